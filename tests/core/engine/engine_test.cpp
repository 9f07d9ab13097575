// The step engine end to end through the real mi2 binary and the `scripted`
// test plugin: order, retries, timeouts, dry-run, resume, lock, rollback.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/engine/instance_lock.h"
#include "core/engine/journal.h"
#include "tests/support/mi2_process.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

using nlohmann::json;
using test::read_file;
using test::run_mi2;
using test::TempDir;
using test::write_file;

constexpr const char* kConfig = R"(# An instance for engine tests.
apiVersion: sourcegraph.com/v1
kind: SourcegraphCloud
metadata:
  name: src-acme01
  labels:
    instance-type: production  # keep
spec:
  displayName: acme
  sourcegraphVersion: "4.0.0"   # bumped by upgrades
  releaseChannel: stable
  unknownField: {a: 1}
)";

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_dir_ = dir_.path() / "environments/dev/deployments/src-acme01";
    write_file(instance_dir_ / "config.yaml", kConfig);
    write_file(instance_dir_ / "kubernetes/kustomization.yaml", "resources: []\n");
    state_dir_ = dir_.path() / ".mi2/state/dev/src-acme01";
    write_fleet("{}", "");
  }

  // mi2.yaml binding every role to `scripted` with `plugin_config`, plus extra YAML.
  void write_fleet(const std::string& plugin_config, const std::string& extra) {
    write_file(dir_.path() / "mi2.yaml",
               "roles:\n  render: scripted\n  healthcheck: scripted\n  backup: scripted\n"
               "  migrate: scripted\n  apply: scripted\n  vcs: scripted\n"
               "plugins:\n  scripted: " +
                   plugin_config + "\n" + "plugin_dirs: [\"" + std::string(MI2_TEST_PLUGIN_DIR) +
                   "\"]\n" + extra);
  }

  test::Mi2Result mi2(std::vector<std::string> args) { return run_mi2(args, instance_dir_); }

  std::vector<json> calls() {
    std::vector<json> out;
    std::ifstream in(state_dir_ / "scripted/calls.jsonl");
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }
  std::vector<std::string> call_keys() {
    std::vector<std::string> keys;
    for (const auto& c : calls())
      keys.push_back(c["role"].get<std::string>() + "." + c["action"].get<std::string>());
    return keys;
  }

  std::filesystem::path only_journal() {
    std::vector<std::filesystem::path> found;
    for (const auto& e : std::filesystem::directory_iterator(state_dir_ / "runs"))
      found.push_back(e.path());
    EXPECT_EQ(found.size(), 1u);
    return found.empty() ? std::filesystem::path() : found[0];
  }
  std::vector<json> events(const std::filesystem::path& journal) {
    auto read = RunJournal::read(journal);
    EXPECT_TRUE(read.ok());
    return read.ok() ? *read : std::vector<json>{};
  }
  static int count(const std::vector<json>& events, const std::string& kind,
                   const std::string& step, const std::string& result = "") {
    int n = 0;
    for (const auto& e : events)
      if (e.value("event", "") == kind && e.value("step", "") == step &&
          (result.empty() || e.value("result", "") == result))
        ++n;
    return n;
  }
  // The journal of the one run, once `step` has started in it (empty on timeout).
  std::filesystem::path wait_for_step(const std::string& step) {
    for (int i = 0; i < 300; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      std::error_code ec;
      std::filesystem::path journal;
      for (const auto& e : std::filesystem::directory_iterator(state_dir_ / "runs", ec))
        journal = e.path();
      if (!journal.empty() &&
          read_file(journal).find("\"step\":\"" + step + "\"") != std::string::npos)
        return journal;
    }
    return {};
  }
  static std::string run_id_of(const std::filesystem::path& journal) {
    return journal.stem().string();
  }

  TempDir dir_{"mi2-engine"};
  std::filesystem::path instance_dir_;
  std::filesystem::path state_dir_;
};

TEST_F(EngineTest, UpgradeRunsTheTenStepsInOrderAndBumpsTheVersion) {
  auto r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::vector<std::string> expected = {"healthcheck.check", "render.render",      "backup.create",
                                       "migrate.up",        "healthcheck.check",  "apply.apply",
                                       "healthcheck.check", "vcs.tracking-issue", "vcs.publish"};
  EXPECT_EQ(call_keys(), expected);
  std::string config = read_file(instance_dir_ / "config.yaml");
  std::string want = kConfig;
  want.replace(want.find("\"4.0.0\""), 7, "\"4.1.0\"");
  EXPECT_EQ(config, want);  // only the version changed, byte for byte

  auto ev = events(only_journal());
  EXPECT_EQ(ev.back().value("event", ""), "run_finished");
  EXPECT_EQ(ev.back().value("result", ""), "succeeded");
  // The checkpoint from backup.create reached the later steps.
  json publish = json::parse(read_file(state_dir_ / "scripted/publish.json"));
  EXPECT_EQ(publish["title"], "acme: upgrade to 4.1.0");
  EXPECT_EQ(publish["branch"], "acme/upgrade-instance");
  EXPECT_EQ(publish["labels"], json::array({"mi-upgrade"}));
  EXPECT_NE(publish["body"].get<std::string>().find("https://forge.test/issues/7"),
            std::string::npos);
  EXPECT_NE(publish["body"].get<std::string>().find("| pods-health | ok |"), std::string::npos);
  EXPECT_NE(publish["body"].get<std::string>().find(only_journal().string()), std::string::npos);
  EXPECT_NE(r.out.find("https://forge.test/pulls/1"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(state_dir_ / "lock.json"));  // released
}

TEST_F(EngineTest, BothFlagSpellingsParse) {
  auto r = mi2({"instance", "upgrade", "--target-version=4.1.0", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = mi2({"instance", "upgrade", "-target-version", "4.1.0", "-dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = mi2({"instance", "upgrade", "-bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--help"), std::string::npos);
}

TEST_F(EngineTest, DryRunPrintsThePlanAndChangesNothing) {
  auto before = read_file(instance_dir_ / "config.yaml");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.1.0", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(read_file(instance_dir_ / "config.yaml"), before);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / ".mi2"));  // no journal, lock or state
  // Steps in order, the mutating command shown but not run, the read-only one run.
  size_t precheck = r.out.find("precheck"), bump = r.out.find("bump"),
         deploy = r.out.find("deploy"), publish = r.out.find("publish");
  ASSERT_NE(precheck, std::string::npos) << r.out;
  EXPECT_LT(precheck, bump);
  EXPECT_LT(bump, deploy);
  EXPECT_LT(deploy, publish);
  EXPECT_NE(r.out.find("would set spec.sourcegraphVersion: 4.0.0 -> 4.1.0"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("$ touch"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[would run]"), std::string::npos);
  EXPECT_NE(r.out.find("$ ls"), std::string::npos);
  EXPECT_NE(r.out.find("[ran: read-only]"), std::string::npos);
}

TEST_F(EngineTest, RetryableFailuresAreRetriedWithBackoff) {
  write_fleet(R"({"fail": {"migrate.up": {"status": "retryable", "times": 2}}})",
              "recipes:\n  upgrade-instance:\n    steps:\n"
              "      - {name: bump, action: bump}\n"
              "      - {name: migrate, role: migrate, action: up, retries: 2, backoff_ms: 10}\n");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto ev = events(only_journal());
  EXPECT_EQ(count(ev, "step_retry", "migrate"), 2);
  EXPECT_EQ(count(ev, "step_finished", "migrate", "ok"), 1);
}

TEST_F(EngineTest, RetriesRunOutAndTheRunFails) {
  write_fleet(R"({"fail": {"migrate.up": {"status": "retryable", "times": 5}}})",
              "recipes:\n  upgrade-instance:\n    steps:\n"
              "      - {name: migrate, role: migrate, action: up, retries: 1, backoff_ms: 10}\n");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("step 'migrate' failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--resume"), std::string::npos);
  EXPECT_EQ(count(events(only_journal()), "step_retry", "migrate"), 1);
}

TEST_F(EngineTest, AStepPastItsDeadlineTimesOut) {
  write_fleet(R"({"sleep_ms": {"apply.apply": 20000}})",
              "recipes:\n  upgrade-instance:\n    steps:\n"
              "      - {name: deploy, role: apply, action: apply, timeout_s: 1}\n");
  auto start = std::chrono::steady_clock::now();
  auto r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(count(events(only_journal()), "step_finished", "deploy", "timeout"), 1);
}

TEST_F(EngineTest, AFailedRunResumesWithoutRepeatingCompletedSteps) {
  write_fleet(R"({"fail": {"migrate.up": {"status": "failed", "times": 1}}})", "");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  ASSERT_EQ(r.exit_code, 1);
  auto journal = only_journal();
  r = mi2({"instance", "upgrade", "--resume", run_id_of(journal)});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto keys = call_keys();
  EXPECT_EQ(std::count(keys.begin(), keys.end(), "render.render"), 1);
  EXPECT_EQ(std::count(keys.begin(), keys.end(), "backup.create"), 1);
  EXPECT_EQ(std::count(keys.begin(), keys.end(), "migrate.up"), 2);  // failed once, then ran
  auto ev = events(journal);
  EXPECT_EQ(count(ev, "step_finished", "render", "ok"), 1);
  EXPECT_EQ(count(ev, "step_skipped", "render"), 1);
  EXPECT_EQ(ev.back().value("result", ""), "succeeded");
}

TEST_F(EngineTest, ASecondRunIsRefusedByTheLock) {
  auto lock = InstanceLock::acquire(state_dir_, "20261127T000000Z-abcdef");
  ASSERT_TRUE(lock.ok()) << lock.message();
  auto r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("locked by run 20261127T000000Z-abcdef"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mi2 instance unlock " + lock->info().lock_id), std::string::npos);
  EXPECT_TRUE(calls().empty());  // nothing ran

  r = mi2({"instance", "unlock", "lk-wrong"});
  EXPECT_EQ(r.exit_code, 1);
  r = mi2({"instance", "unlock", lock->info().lock_id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(EngineTest, AFailedVerificationRollsBack) {
  write_fleet(R"({"unhealthy_after_apply": true, "bad_version": "4.1.0"})",
              "recipes:\n  upgrade-instance:\n    steps:\n"
              "      - {name: bump, action: bump}\n"
              "      - {name: deploy, role: apply, action: apply}\n"
              "      - {name: verify, role: healthcheck, action: check, on_failure: rollback,\n"
              "         params: {checks: [pods-health]}}\n"
              "      - {name: publish, role: vcs, action: publish}\n");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("rolled_back"), std::string::npos) << r.err;
  EXPECT_NE(read_file(instance_dir_ / "config.yaml").find("sourcegraphVersion: \"4.0.0\""),
            std::string::npos);
  EXPECT_EQ(read_file(state_dir_ / "scripted/applied"), "4.0.0");
  auto keys = call_keys();
  EXPECT_NE(std::find(keys.begin(), keys.end(), "apply.rollback"), keys.end());
  EXPECT_EQ(std::find(keys.begin(), keys.end(), "vcs.publish"),
            keys.end());  // no PR for a failed run
  auto ev = events(only_journal());
  EXPECT_EQ(ev.back().value("result", ""), "rolled_back");
}

TEST_F(EngineTest, AVersionSkipIsRefusedUnlessForced) {
  auto r = mi2({"instance", "upgrade", "-target-version", "4.3.0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("skips more than one minor"), std::string::npos) << r.err;
  EXPECT_NE(read_file(instance_dir_ / "config.yaml").find("\"4.0.0\""), std::string::npos);
  r = mi2({"instance", "upgrade", "-target-version", "4.3.0", "--force"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(EngineTest, AMalformedVersionIsRefusedBeforeAnythingRuns) {
  auto r = mi2({"instance", "upgrade", "-target-version", "4.1; rm -rf /"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is not a version"), std::string::npos);
  EXPECT_TRUE(calls().empty());
}

TEST_F(EngineTest, SecretsNeverReachTheJournal) {
  write_fleet(R"({"token": "tok-s3cr3t-value-123"})", "");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string journal = read_file(only_journal());
  EXPECT_EQ(journal.find("tok-s3cr3t-value-123"), std::string::npos);
  EXPECT_NE(journal.find("calling the forge with token ***"), std::string::npos);
  EXPECT_EQ(r.err.find("tok-s3cr3t-value-123"), std::string::npos);
  EXPECT_EQ(r.out.find("tok-s3cr3t-value-123"), std::string::npos);
}

TEST_F(EngineTest, ARunKilledDuringDeployResumesToCompletion) {
  write_fleet(R"({"sleep_ms": {"apply.apply": 4000}})", "");
  pid_t pid = test::spawn_mi2({"instance", "upgrade", "-target-version", "4.1.0"}, instance_dir_,
                              dir_.path() / "first.log");
  // Wait until the deploy step has started, then kill -9.
  std::filesystem::path journal = wait_for_step("deploy");
  ASSERT_FALSE(journal.empty());
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_TRUE(std::filesystem::exists(state_dir_ / "lock.json"));  // left behind by the kill

  write_fleet("{}", "");
  auto r = mi2({"instance", "upgrade", "--resume", run_id_of(journal)});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto ev = events(journal);
  for (const char* step : {"precheck", "resolve-version", "bump", "render", "checkpoint", "migrate",
                           "postmigrate-check"}) {
    EXPECT_EQ(count(ev, "step_started", step), 1) << step;  // no completed step ran twice
    EXPECT_EQ(count(ev, "step_skipped", step), 1) << step;
  }
  EXPECT_EQ(count(ev, "step_finished", "deploy", "ok"), 1);
  EXPECT_EQ(count(ev, "step_finished", "publish", "ok"), 1);
  EXPECT_EQ(ev.back().value("result", ""), "succeeded");
  EXPECT_FALSE(std::filesystem::exists(state_dir_ / "lock.json"));
}

TEST_F(EngineTest, SigintCancelsTheRunningStepAndLeavesTheRunResumable) {
  write_fleet(R"({"sleep_ms": {"apply.apply": 20000}})", "");
  pid_t pid = test::spawn_mi2({"instance", "upgrade", "-target-version", "4.1.0"}, instance_dir_,
                              dir_.path() / "first.log");
  std::filesystem::path journal = wait_for_step("deploy");
  ASSERT_FALSE(journal.empty());
  auto start = std::chrono::steady_clock::now();
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start,
            std::chrono::seconds(5));  // not the 20 s sleep
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  auto ev = events(journal);
  EXPECT_EQ(ev.back().value("result", ""), "cancelled");
  EXPECT_FALSE(std::filesystem::exists(state_dir_ / "lock.json"));  // released cleanly

  write_fleet("{}", "");
  auto r = mi2({"instance", "upgrade", "--resume", run_id_of(journal)});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count(events(journal), "step_started", "migrate"), 1);
}

TEST_F(EngineTest, RunListAndShowReadTheJournal) {
  ASSERT_EQ(mi2({"instance", "upgrade", "-target-version", "4.1.0"}).exit_code, 0);
  auto id = run_id_of(only_journal());
  auto list = mi2({"run", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto runs = json::parse(list.out);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["run_id"], id);
  EXPECT_EQ(runs[0]["result"], "succeeded");
  EXPECT_EQ(runs[0]["to"], "4.1.0");
  auto show = mi2({"run", "show", id});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("step deploy: ok"), std::string::npos) << show.out;
  EXPECT_EQ(mi2({"run", "show", "nope"}).exit_code, 2);
}

TEST_F(EngineTest, CheckRunsNamedChecksAndFailsWhenUnhealthy) {
  auto r = mi2({"instance", "check", "pods-health", "src-application-version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ok     pods-health"), std::string::npos) << r.out;
  write_fleet(R"({"unhealthy": ["pods-health"]})", "");
  r = mi2({"instance", "check", "pods-health"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("FAILED pods-health"), std::string::npos);
  r = mi2({"instance", "check", "no-such-check"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no-such-check"), std::string::npos);
}

}  // namespace
}  // namespace mi2
