// The five upgrade scenarios of the embedded default, through the real mi2:
// each asserts outcomes (versions served, database rows, git refs, forge
// files, journals), not log lines.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <regex>

#include "tests/e2e/e2e_fixture.h"

namespace mi2::e2e {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string run_result(const std::vector<json>& events) {
  std::string result;
  for (const auto& e : events)
    if (e.value("event", "") == "run_finished") result = e.value("result", "");
  return result;
}

std::string configured_version(const fs::path& instance_dir) {
  std::string config = slurp(instance_dir / "config.yaml");
  size_t at = config.find("sourcegraphVersion: \"");
  return at == std::string::npos ? "" : config.substr(at + 21, config.find('"', at + 21) - at - 21);
}

using LocalFleetE2eTest = FleetE2eTest;

TEST_F(LocalFleetE2eTest, CleanUpgradeServesTheTargetRecordsMigrationsAndOpensThePr) {
  first_deploy("src-1a2b3c");
  ASSERT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.1.0");

  auto r = mi2({"instance", "upgrade", "-target-version", "4.2.0"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.2.0");
  EXPECT_EQ(configured_version(instance_dir("src-1a2b3c")), "4.2.0");
  auto check = mi2({"instance", "check", "pods-health", "src-application-version"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

  // Migrations of 4.2.0 recorded as succeeded.
  EXPECT_EQ(sql("src-1a2b3c",
                "SELECT version, success FROM migration_logs WHERE release = '4.2.0' ORDER BY id"),
            std::vector<std::string>(
                {"4.2.0/001_create_audit_log.sql|1", "4.2.0/002_create_repo_topics.sql|1"}));

  // The pull request: label, tracking issue, run log, health summary.
  std::string run = latest_run("src-1a2b3c");
  json pr;
  for (const auto& entry : fs::directory_iterator(root() / ".mi2/forge/pulls")) {
    json candidate = json::parse(slurp(entry.path()));
    if (candidate["branch"] == "acme/upgrade-instance") pr = candidate;
  }
  ASSERT_FALSE(pr.is_null()) << "no pull request for acme/upgrade-instance";
  EXPECT_EQ(pr["title"], "acme: upgrade to 4.2.0");
  EXPECT_EQ(pr["state"], "open");
  auto labels = pr["labels"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(labels.begin(), labels.end(), "mi-upgrade"), labels.end());
  std::string body = pr["body"];
  json issue = json::parse(slurp(root() / ".mi2/forge/issues/1.json"));
  EXPECT_TRUE(contains(body, issue["url"].get<std::string>())) << body;
  EXPECT_TRUE(contains(body, run + ".jsonl")) << body;
  EXPECT_TRUE(contains(body, "pods-health")) << body;

  // The origin has the branch with the runbook's commit message and the instance's files.
  EXPECT_EQ(
      git({"--git-dir", origin().string(), "log", "-1", "--format=%s", "acme/upgrade-instance"}),
      "acme: upgrade to 4.2.0\n");
  std::string changed =
      git({"--git-dir", origin().string(), "diff", "--name-only", "main", "acme/upgrade-instance"});
  EXPECT_TRUE(contains(changed, "src-1a2b3c/config.yaml"));
  EXPECT_TRUE(contains(changed, "src-1a2b3c/kubernetes/kustomization.yaml"));
  EXPECT_TRUE(contains(changed, "src-1a2b3c/terraform/stacks/app/cdk.tf.json"));
}

// Issue #13: the deploy step itself fails when the new frontend never gets
// healthy within rollout_timeout_ms, so the rollback starts from deploy
// (verify never runs on a half-done rollout).
TEST_F(LocalFleetE2eTest, BrokenReleaseFailsTheDeployAndIsRolledBackAutomatically) {
  edit_mi2_yaml("rollout_timeout_ms: 8000", "rollout_timeout_ms: 1500");
  first_deploy("src-0d1e2f");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.2.0-rc.1"}, "src-0d1e2f");
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  std::vector<json> events = journal("src-0d1e2f", latest_run("src-0d1e2f"));
  EXPECT_EQ(run_result(events), "rolled_back");
  std::string deploy_result, rollback_from, failed_step;
  bool verified = false;
  for (const auto& e : events) {
    std::string event = e.value("event", "");
    if (event == "step_finished" && e.value("step", "") == "deploy")
      deploy_result = e.value("result", "");
    if (event == "step_started" && e.value("step", "") == "verify") verified = true;
    if (event == "rollback_started") rollback_from = e.value("step", "");
    if (event == "run_finished") failed_step = e.value("failed_step", "");
  }
  EXPECT_EQ(deploy_result, "failed");
  EXPECT_EQ(rollback_from, "deploy");
  EXPECT_EQ(failed_step, "deploy");
  EXPECT_FALSE(verified);
  EXPECT_TRUE(contains(r.out + r.err, "did not become healthy within 1500 ms")) << r.out << r.err;

  EXPECT_EQ(frontend_get("src-0d1e2f", "/__version"), "4.1.0");
  EXPECT_EQ(configured_version(instance_dir("src-0d1e2f")), "4.1.0");
  json d = deployment("src-0d1e2f");
  EXPECT_EQ(d["version"], "4.1.0");
  EXPECT_TRUE(d["candidates"].empty());  // the never-healthy processes are gone
  EXPECT_EQ(live_workload_pids().size(), 2u);
  auto check = mi2({"instance", "check", "pods-health", "src-application-version"}, "src-0d1e2f");
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_FALSE(fs::exists(root() / ".mi2/forge/pulls/1.json"));  // no PR for a failed run
}

// Preflight (#13): a version the release catalog does not have is refused
// before the bump, so config.yaml stays byte for byte what it was.
TEST_F(LocalFleetE2eTest, AnUncataloguedVersionIsRefusedBeforeConfigYamlChanges) {
  first_deploy("src-1a2b3c");
  std::string before = slurp(instance_dir("src-1a2b3c") / "config.yaml");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.2.7"});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("preflight"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("4.2.7"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(instance_dir("src-1a2b3c") / "config.yaml"), before);
  EXPECT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.1.0");
}

// Preflight (#13): a 300-character version is refused before anything runs,
// naming the bound; config.yaml stays byte for byte what it was.
TEST_F(LocalFleetE2eTest, AThreeHundredCharacterVersionIsRefusedBeforeConfigYamlChanges) {
  std::string before = slurp(instance_dir("src-1a2b3c") / "config.yaml");
  std::string version = "4.2.0-rc." + std::string(291, '7');
  ASSERT_EQ(version.size(), 300u);
  auto r = mi2({"instance", "upgrade", "-target-version", version});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "is 300 characters long; a version has at most 64")) << r.err;
  EXPECT_FALSE(contains(r.out + r.err, version)) << "the whole version was echoed";
  EXPECT_EQ(slurp(instance_dir("src-1a2b3c") / "config.yaml"), before);
  EXPECT_EQ(git({"status", "--porcelain"}), "");
}

// Preflight (#13): a slug with a newline cannot name the upgrade branch; it is
// refused before the bump (and before any branch or commit), config.yaml unchanged.
TEST_F(LocalFleetE2eTest, ASlugWithANewlineIsRefusedBeforeConfigYamlChanges) {
  fs::path config = instance_dir("src-1a2b3c") / "config.yaml";
  std::string text = slurp(config);
  text.replace(text.find("displayName: acme\n"), 18, "displayName: \"ac\\nme\"\n");
  {
    std::ofstream out(config, std::ios::binary);
    out << text;
  }
  git({"commit", "-qam", "a slug with a newline"});
  first_deploy("src-1a2b3c");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.2.0"});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.err,
                       "preflight: the slug 'ac\\nme' (spec.displayName) cannot name a "
                       "branch"))
      << r.err;
  EXPECT_TRUE(contains(r.err, "nothing was changed")) << r.err;
  EXPECT_EQ(slurp(config), text);
  EXPECT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.1.0");
  EXPECT_EQ(git({"branch", "--list", "*upgrade-instance*"}), "");
}

// The dry run asks the same preflight and shows it; an uncatalogued version
// fails the dry run the same way.
TEST_F(LocalFleetE2eTest, DryRunShowsThePreflightAndRefusesAnUncataloguedVersion) {
  first_deploy("src-1a2b3c");
  std::string before = slurp(instance_dir("src-1a2b3c") / "config.yaml");
  auto plan = mi2({"instance", "upgrade", "--dry-run", "-target-version", "4.2.0"});
  EXPECT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  EXPECT_TRUE(contains(plan.out, "preflight via local:")) << plan.out;
  auto refused = mi2({"instance", "upgrade", "--dry-run", "-target-version", "4.2.7"});
  EXPECT_NE(refused.exit_code, 0) << refused.out << refused.err;
  EXPECT_TRUE(contains(refused.err, "preflight: ")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "4.2.7 is not in the release catalog")) << refused.err;
  EXPECT_EQ(slurp(instance_dir("src-1a2b3c") / "config.yaml"), before);
}

TEST_F(LocalFleetE2eTest, FailingMigrationStopsBeforeDeployAndResumesAfterRepair) {
  first_deploy("src-1a2b3c");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.2.0-rc.2"});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  std::string run = latest_run("src-1a2b3c");
  EXPECT_EQ(run_result(journal("src-1a2b3c", run)), "failed");

  // The old workload keeps serving, healthy.
  EXPECT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.1.0");
  EXPECT_EQ(deployment("src-1a2b3c")["version"], "4.1.0");
  auto health = mi2({"instance", "check", "pods-health"});
  EXPECT_EQ(health.exit_code, 0) << health.out << health.err;

  // db status: dirty, naming the failed migration.
  auto status = mi2({"instance", "db", "status", "--json"});
  EXPECT_NE(status.exit_code, 0);
  json s = json::parse(status.out, nullptr, false);
  ASSERT_TRUE(s.is_object()) << status.out << status.err;
  EXPECT_TRUE(s["dirty"]);
  EXPECT_EQ(s["failed_version"], "4.2.0-rc.2/002_unique_user_email.sql");
  // For people: a table of the migrations, the failed one with its error.
  auto table = mi2({"instance", "db", "status"});
  EXPECT_EQ(table.exit_code, 1);
  EXPECT_NE(table.out.find("Database of dev/src-1a2b3c: dirty"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("MIGRATION"), std::string::npos) << table.out;
  EXPECT_TRUE(std::regex_search(
      table.out, std::regex(R"(\n4\.2\.0-rc\.2/002_unique_user_email\.sql +failed)")))
      << table.out;
  EXPECT_NE(table.out.find("\nRepair: "), std::string::npos) << table.out;
  EXPECT_EQ(mi2({"instance", "db", "status", "-q"}).out, "");

  // Repair: fix the data, re-apply the one migration, resume the run.
  sql("src-1a2b3c", "DELETE FROM users WHERE username = 'alice-old'");
  auto repair = mi2({"instance", "db", "repair"});
  ASSERT_EQ(repair.exit_code, 0) << repair.out << repair.err;
  EXPECT_NE(repair.out.find("Re-applied the failed migration 4.2.0-rc.2/002_unique_user_email.sql"),
            std::string::npos)
      << repair.out;
  auto resumed = mi2({"instance", "upgrade", "--resume", run});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.2.0-rc.2");
  json after = json::parse(mi2({"instance", "db", "status", "-o", "json"}).out, nullptr, false);
  EXPECT_FALSE(after.value("dirty", true));
  EXPECT_EQ(sql("src-1a2b3c",
                "SELECT COUNT(*) FROM migration_logs WHERE release = '4.2.0-rc.2' AND success = 1"),
            std::vector<std::string>({"3"}));
}

TEST_F(LocalFleetE2eTest, KilledDuringDeployThenResumedEndsHealthyAtTheTarget) {
  edit_mi2_yaml("rollout_timeout_ms: 8000", "rollout_timeout_ms: 8000\n    ready_after_ms: 2500");
  first_deploy("src-1a2b3c");
  pid_t upgrade = mi2_in_background({"instance", "upgrade", "-target-version", "4.2.0"});
  // The deploy step has started the new processes and waits for them.
  ASSERT_TRUE(wait_for_file(local_state("src-1a2b3c") / "pids/frontend-4.2.0.pid", 20000));
  kill(upgrade, SIGKILL);
  waitpid(upgrade, nullptr, 0);
  background_.clear();
  std::string run = latest_run("src-1a2b3c");
  EXPECT_EQ(run_result(journal("src-1a2b3c", run)), "");  // never finished

  auto resumed = mi2({"instance", "upgrade", "--resume", run});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(run_result(journal("src-1a2b3c", run)), "succeeded");
  EXPECT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.2.0");
  auto check = mi2({"instance", "check", "pods-health", "src-application-version"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  json d = deployment("src-1a2b3c");
  EXPECT_TRUE(d["candidates"].empty());
  EXPECT_EQ(live_workload_pids().size(), 2u);  // no orphan from the killed attempt
}

TEST_F(LocalFleetE2eTest, ASecondUpgradeOfTheSameInstanceIsRefusedByTheLock) {
  edit_mi2_yaml("rollout_timeout_ms: 8000", "rollout_timeout_ms: 8000\n    ready_after_ms: 2000");
  first_deploy("src-1a2b3c");
  pid_t first = mi2_in_background({"instance", "upgrade", "-target-version", "4.2.0"});
  ASSERT_TRUE(wait_for_file(local_state("src-1a2b3c") / "pids/frontend-4.2.0.pid", 20000));

  auto second = mi2({"instance", "upgrade", "-target-version", "4.2.0"});
  EXPECT_NE(second.exit_code, 0);
  EXPECT_TRUE(contains(second.out + second.err, "lock")) << second.out << second.err;

  int status = 0;
  waitpid(first, &status, 0);
  background_.clear();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.2.0");
}

}  // namespace
}  // namespace mi2::e2e
