// `mi2 env upgrade` on 20 local instances: one of them is broken, the batch
// stops at the failure threshold, the recap shows every instance, and
// resuming the batch after the fix finishes the rest.
#include <signal.h>

#include <fstream>

#include "tests/e2e/e2e_fixture.h"

namespace mi2::e2e {
namespace {

class BatchE2eTest : public FleetE2eTest {
 protected:
  // Adds instances src-b00.. as copies of src-1a2b3c (production, stable, 4.1.0).
  void add_instances(int count) {
    for (int i = 0; i < count; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "src-b%02d", i);
      fs::copy(instance_dir("src-1a2b3c"), instance_dir(id), fs::copy_options::recursive);
      std::string text = slurp(instance_dir(id) / "config.yaml");
      auto replace = [&](const std::string& from, const std::string& to) {
        size_t at = text.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        text.replace(at, from.size(), to);
      };
      replace("name: src-1a2b3c", std::string("name: ") + id);
      replace("displayName: acme", "displayName: batch" + std::to_string(i));
      std::ofstream(instance_dir(id) / "config.yaml") << text;
    }
    git({"add", "-A"});
    git({"commit", "-q", "-m", "more instances"});
    git({"push", "-q", "origin", "main"});
  }
  void stop_workloads(const std::string& id) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(local_state(id) / "pids", ec)) {
      int pid = std::atoi(slurp(e.path()).c_str());
      if (pid > 0) kill(pid, SIGKILL);
    }
  }
};

TEST_F(BatchE2eTest, StopsAtTheThresholdAndResumingFinishesTheRest) {
  add_instances(18);  // 22 instances: 20 stable, 1 insiders, 1 paused
  std::vector<std::string> ids;
  for (const auto& e : fs::directory_iterator(root() / "environments/dev/deployments")) {
    std::string id = e.path().filename().string();
    if (id == "src-4d5e6f" || id == "src-7a8b9c") continue;  // insiders, pause
    ids.push_back(id);
  }
  ASSERT_EQ(ids.size(), 20u);
  for (const auto& id : ids) first_deploy(id);
  stop_workloads("src-b01");  // broken: its precheck fails (wave 2)

  // The runbook's "all instances" filter.
  const std::string filter =
      R"(.spec.sourcegraphVersion != "4.2.0" and .spec.releaseChannel != "insiders" and )"
      R"(.spec.releaseChannel != "pause")";
  auto r = mi2({"env", "upgrade", "-e", "dev", "-filter", filter, "-target-version", "4.2.0",
                "--waves", "1,4,100%", "--max-parallel", "2", "--json"});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  json report = json::parse(r.out);
  std::map<std::string, std::string> result;
  for (const auto& e : report["instances"]) result[e["instance"]] = e["result"];
  EXPECT_EQ(result.size(), ids.size());  // the recap names every selected instance
  EXPECT_EQ(result["src-b01"], "failed");
  EXPECT_EQ(result["src-0d1e2f"], "succeeded");  // wave 1
  int not_started = 0;
  for (const auto& [id, res] : result) not_started += res == "not_started";
  EXPECT_GE(not_started, 15);  // wave 3 never began
  EXPECT_NE(report["stop_reason"].get<std::string>().find("threshold"), std::string::npos);
  EXPECT_EQ(frontend_get("src-0d1e2f", "/__version"), "4.2.0");
  EXPECT_EQ(frontend_get("src-b15", "/__version"), "4.1.0");  // never started

  first_deploy("src-b01");  // the operator fixes the broken instance
  r = mi2({"env", "upgrade", "--resume", report["batch_id"], "--max-parallel", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const auto& id : ids) EXPECT_EQ(frontend_get(id, "/__version"), "4.2.0") << id;
}

}  // namespace
}  // namespace mi2::e2e

namespace mi2::e2e {
namespace {

// `mi2 env upgrade` runs the recipe `mi2 instance upgrade` runs: an
// upgrade-instance recipe in mi2.yaml overrides the built-in one for both.
TEST_F(BatchE2eTest, EnvUpgradeRunsTheRecipeMi2YamlOverrides) {
  edit_mi2_yaml("recipes:\n",
                "recipes:\n"
                "  upgrade-instance:\n"
                "    steps:\n"
                "      - {name: resolve, action: resolve-version}\n"
                "      - {name: bump-only, action: bump, description: \"overridden\"}\n");
  auto r = mi2({"env", "upgrade", "-e", "dev", "-filter", ".metadata.name == \"src-1a2b3c\"",
                "-target-version", "4.2.0", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(slurp(instance_dir("src-1a2b3c") / "config.yaml").find("4.2.0"), std::string::npos);
  std::vector<std::string> steps;
  for (const auto& e : journal("src-1a2b3c", latest_run("src-1a2b3c")))
    if (e.value("event", "") == "step_started") steps.push_back(e.value("step", ""));
  EXPECT_EQ(steps, (std::vector<std::string>{"resolve", "bump-only"}));

  auto unknown = mi2({"env", "upgrade", "-e", "dev", "-filter", "true", "-target-version", "4.2.0",
                      "--recipe", "no-such"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("there is no recipe 'no-such'"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace mi2::e2e
