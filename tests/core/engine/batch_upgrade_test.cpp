// Batch upgrades: waves, the cumulative failure threshold, the recap and resume.
#include "core/engine/batch_upgrade.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/mi2_process.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

using nlohmann::json;

TEST(PlanWavesTest, CountsPercentagesAndTheLastSizeRepeats) {
  EXPECT_EQ(*plan_waves(20, {"1", "5", "25%", "100%"}), (std::vector<size_t>{1, 5, 5, 9}));
  EXPECT_EQ(*plan_waves(10, {"3"}), (std::vector<size_t>{3, 3, 3, 1}));
  EXPECT_EQ(*plan_waves(3, {"1", "100%"}), (std::vector<size_t>{1, 2}));
  EXPECT_EQ(*plan_waves(0, {"1"}), (std::vector<size_t>{}));
  auto bad = plan_waves(10, {"1", "five"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("'five'"), std::string::npos);
  EXPECT_FALSE(plan_waves(10, {"0"}).ok());
  EXPECT_FALSE(plan_waves(10, {"150%"}).ok());
}

class BatchUpgradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 20; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "src-i%02d", i);
      test::write_file(
          dir_.path() / "environments/dev/deployments" / id / "config.yaml",
          std::string(
              "apiVersion: sourcegraph.com/v1\nkind: SourcegraphCloud\nmetadata:\n  name: ") +
              id + "\n  labels:\n    instance-type: " + (i % 2 ? "trial" : "production") +
              "\nspec:\n  displayName: c" + std::to_string(i) +
              "\n  sourcegraphVersion: 4.0.0\n  releaseChannel: " + (i == 19 ? "pause" : "stable") +
              "\n");
    }
    test::write_file(
        dir_.path() / "mi2.yaml",
        "roles: {render: scripted, healthcheck: scripted, backup: scripted, migrate: scripted,"
        " apply: scripted, vcs: scripted}\n"
        "plugins: {scripted: {unhealthy_instances: [src-i03]}}\n"
        "plugin_dirs: [\"" +
            std::string(MI2_TEST_PLUGIN_DIR) + "\"]\n");
  }
  test::Mi2Result mi2(const std::vector<std::string>& args) {
    return test::run_mi2(args, dir_.path());
  }
  std::string version_of(const std::string& id) {
    auto text = test::read_file(dir_.path() / "environments/dev/deployments" / id / "config.yaml");
    return text.substr(text.find("sourcegraphVersion: ") + 20, 5);
  }
  test::TempDir dir_{"mi2-batch"};
};

TEST_F(BatchUpgradeTest, StopsAtTheThresholdShowsEveryInstanceAndResumes) {
  const std::string filter =
      R"(.spec.sourcegraphVersion != "4.1.0" and .spec.releaseChannel != "pause")";
  auto r = mi2({"env", "upgrade", "-e", "dev", "-filter", filter, "-target-version", "4.1.0",
                "--waves", "1,5,100%", "--max-parallel", "2", "--json"});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  json report = json::parse(r.out);
  ASSERT_EQ(report["instances"].size(), 19u);  // src-i19 is paused: not selected
  std::map<std::string, std::string> result;
  for (const auto& e : report["instances"]) result[e["instance"]] = e["result"];
  EXPECT_EQ(result["src-i00"], "succeeded");  // wave 1
  EXPECT_EQ(result["src-i03"], "failed");
  EXPECT_EQ(result["src-i18"], "not_started");  // wave 3 never began
  EXPECT_NE(report["stop_reason"].get<std::string>().find("threshold"), std::string::npos);
  int not_started = 0;
  for (const auto& [id, res] : result) not_started += res == "not_started";
  EXPECT_GE(not_started, 13);
  EXPECT_EQ(version_of("src-i18"), "4.0.0");
  EXPECT_EQ(version_of("src-i00"), "4.1.0");

  // The operator fixes src-i03, then resumes: the batch finishes the rest.
  test::write_file(dir_.path() / ".mi2/state/dev/src-i03/scripted/healed", "");
  r = mi2({"env", "upgrade", "--resume", report["batch_id"], "--max-parallel", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("src-i18"), std::string::npos);  // the recap lists every instance
  for (int i = 0; i < 19; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "src-i%02d", i);
    EXPECT_EQ(version_of(id), "4.1.0") << id;
  }
  EXPECT_EQ(version_of("src-i19"), "4.0.0");
}

TEST_F(BatchUpgradeTest, DryRunShowsTheWavesAndStartsNothing) {
  auto r = mi2(
      {"env", "upgrade", "-e", "dev", "-target-version", "4.1.0", "--waves", "1,25%", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wave 1: src-i00\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("20 instance(s) would be upgraded"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / ".mi2"));
}

TEST_F(BatchUpgradeTest, ABadFilterNamesTheExpressionAndInstance) {
  auto r = mi2({"env", "upgrade", "-e", "dev", "-filter", ".spec.sourcegraphVersion",
                "-target-version", "4.1.0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(".spec.sourcegraphVersion"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("src-i00"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mi2
