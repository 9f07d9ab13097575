// Where an environment stands: rows from config.yaml, the newest run journal
// and lock.json; the version counts; upgrade PRs matched by title.
#include "core/engine/fleet_status.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

class FleetStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(dir_.path() / "mi2.yaml", "roles: {}\n");
    add("src-a", "alpha", "4.1.0");
    add("src-b", "beta", "4.2.0");
    add("src-c", "gamma", "4.1.0");
    add("src-d", "delta", "4.2.0-rc.1");
  }
  void add(const std::string& id, const std::string& slug, const std::string& version) {
    test::write_file(
        dir_.path() / "environments/dev/deployments" / id / "config.yaml",
        "apiVersion: sourcegraph.com/v1\nkind: SourcegraphCloud\nmetadata:\n  name: " + id +
            "\n  labels:\n    instance-type: trial\nspec:\n  displayName: " + slug +
            "\n  sourcegraphVersion: " + version + "\n  releaseChannel: stable\n");
  }
  std::filesystem::path state(const std::string& id) { return dir_.path() / ".mi2/state/dev" / id; }
  test::TempDir dir_{"mi2-fleet-status"};
};

TEST_F(FleetStatusTest, RowsLastRunsLocksAndVersionCounts) {
  // src-a: an older succeeded run and a newer failed one.
  test::write_file(
      state("src-a") / "runs/20260101T000000Z-aaaaaa.jsonl",
      R"({"event":"run_started","recipe":"upgrade-instance","target_version":"4.1.0","previous_version":"4.0.0","ts":1767225600}
{"event":"run_finished","result":"succeeded","failed_step":"","seconds":3}
)");
  test::write_file(
      state("src-a") / "runs/20260102T000000Z-bbbbbb.jsonl",
      R"({"event":"run_started","recipe":"upgrade-instance","target_version":"4.2.0","previous_version":"4.1.0","ts":1767312000}
{"event":"run_finished","result":"failed","failed_step":"migrate","seconds":5}
)");
  test::write_file(state("src-b") / "lock.json",
                   nlohmann::json{{"lock_id", "lk-1"},
                                  {"run_id", "20260103T000000Z-cccccc"},
                                  {"owner", "t"},
                                  {"host", "elsewhere.invalid"},
                                  {"pid", 1},
                                  {"created", 1.0},
                                  {"ttl_seconds", 60}}
                       .dump());
  auto fleet = Fleet::discover(dir_.path());
  ASSERT_TRUE(fleet.ok()) << fleet.message();
  auto status = read_fleet_status(*fleet, "dev", "");
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(status->instances.size(), 4u);
  const InstanceStatus& a = status->instances[0];
  EXPECT_EQ(a.id, "src-a");
  EXPECT_EQ(a.slug, "alpha");
  EXPECT_EQ(a.type, "trial");
  EXPECT_EQ(a.channel, "stable");
  ASSERT_TRUE(a.last_run.has_value());
  EXPECT_EQ(a.last_run->id, "20260102T000000Z-bbbbbb");
  EXPECT_EQ(a.last_run->result, "failed");
  EXPECT_EQ(a.last_run->failed_step, "migrate");
  EXPECT_FALSE(a.lock.has_value());
  const InstanceStatus& b = status->instances[1];
  ASSERT_TRUE(b.lock.has_value());
  EXPECT_EQ(b.lock->run_id, "20260103T000000Z-cccccc");
  EXPECT_TRUE(b.lock->stale());  // its TTL passed long ago
  EXPECT_FALSE(b.last_run.has_value());

  // For one version (env tracking-issue sync): the newest run to it, not the newest of all.
  auto to_41 = read_fleet_status(*fleet, "dev", "", "4.1.0");
  ASSERT_TRUE(to_41.ok()) << to_41.message();
  ASSERT_TRUE(to_41->instances[0].last_run.has_value());
  EXPECT_EQ(to_41->instances[0].last_run->id, "20260101T000000Z-aaaaaa");
  EXPECT_EQ(to_41->instances[0].last_run->result, "succeeded");
  auto to_43 = read_fleet_status(*fleet, "dev", "", "4.3.0");
  ASSERT_TRUE(to_43.ok()) << to_43.message();
  EXPECT_FALSE(to_43->instances[0].last_run.has_value());

  auto versions = status->versions_by_count();
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_EQ(versions[0], (std::pair<std::string, size_t>{"4.1.0", 2}));
  EXPECT_EQ(versions[1].first, "4.2.0");  // ties: the higher version first
  EXPECT_EQ(versions[2].first, "4.2.0-rc.1");

  nlohmann::json j = status->to_json();
  EXPECT_EQ(j["instances"][0]["last_run"]["failed_step"], "migrate");
  EXPECT_EQ(j["instances"][1]["lock_stale"], true);
  EXPECT_EQ(j["versions"][0]["instances"], 2);
}

TEST_F(FleetStatusTest, FilterSelectsAndUpgradePrsMatchBySlugInTheTitle) {
  auto fleet = Fleet::discover(dir_.path());
  ASSERT_TRUE(fleet.ok());
  auto status = read_fleet_status(*fleet, "dev", R"(.spec.sourcegraphVersion == "4.1.0")");
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(status->instances.size(), 2u);
  attach_upgrade_prs(*status, nlohmann::json::parse(R"([
    {"number": 7, "title": "alphabet: upgrade to 4.2.0", "url": "u7"},
    {"number": 8, "title": "alpha: upgrade to 4.2.0", "url": "u8"},
    {"number": 9, "title": "unrelated", "url": "u9"}])"));
  EXPECT_EQ(status->instances[0].pr_url, "u8");
  EXPECT_EQ(status->instances[0].pr_number, 8);
  EXPECT_EQ(status->instances[1].pr_url, "");  // gamma has none

  auto bad = read_fleet_status(*fleet, "dev", ".spec |");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace mi2
