// Plugins in a process of their own (isolation: process) through the real
// mi2: a plugin that segfaults, aborts or exits fails its step with one
// sentence naming the plugin, the action and the signal; mi2 itself carries
// on, releases the lock and leaves a run that resumes once the fault is gone.
// And the embedded local plugin upgrades an instance for real from a child
// process, survives a kill -9 of mi2 and resumes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/e2e/e2e_fixture.h"
#include "tests/support/mi2_process.h"
#include "tests/support/temp_dir.h"

namespace mi2::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kConfig = R"(apiVersion: sourcegraph.com/v1
kind: SourcegraphCloud
metadata:
  name: src-acme01
  labels:
    instance-type: production
spec:
  displayName: acme
  sourcegraphVersion: "4.0.0"
  releaseChannel: stable
)";

std::vector<json> read_journal(const fs::path& file) {
  std::vector<json> events;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    if (json e = json::parse(line, nullptr, false); e.is_object()) events.push_back(e);
  return events;
}

// The result of the run (`event` run_finished), of a step (step_finished of
// `step`) or of the automatic rollback (rollback_finished).
std::string result_of(const std::vector<json>& events, const std::string& step = "",
                      const std::string& event = "") {
  std::string result;
  for (const auto& e : events) {
    std::string kind = e.value("event", "");
    bool wanted = !event.empty() ? kind == event
                  : step.empty() ? kind == "run_finished"
                                 : kind == "step_finished" && e.value("step", "") == step;
    if (wanted) result = e.value("result", "");
  }
  return result;
}

// A fleet of one instance whose roles are all served by the `scripted` test plugin.
class IsolatedScriptedFleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_dir_ = dir_.path() / "environments/dev/deployments/src-acme01";
    mi2::test::write_file(instance_dir_ / "config.yaml", kConfig);
    mi2::test::write_file(instance_dir_ / "kubernetes/kustomization.yaml", "resources: []\n");
    state_dir_ = dir_.path() / ".mi2/state/dev/src-acme01";
  }

  // `migrate` is bound as `migrate_binding`; the other roles name scripted plainly.
  void write_fleet(const std::string& migrate_binding, const std::string& scripted_config,
                   const std::string& extra = "") {
    mi2::test::write_file(dir_.path() / "mi2.yaml",
                          extra +
                              "roles:\n  render: scripted\n  healthcheck: scripted\n"
                              "  backup: scripted\n  migrate: " +
                              migrate_binding +
                              "\n  apply: scripted\n  vcs: scripted\n"
                              "plugins:\n  scripted: " +
                              scripted_config + "\nplugin_dirs: [\"" MI2_TEST_PLUGIN_DIR "\"]\n");
  }

  mi2::test::Mi2Result mi2(const std::vector<std::string>& args) {
    return mi2::test::run_mi2(args, instance_dir_);
  }

  fs::path only_journal() {
    std::vector<fs::path> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(state_dir_ / "runs", ec)) found.push_back(e.path());
    EXPECT_EQ(found.size(), 1u);
    return found.empty() ? fs::path() : found[0];
  }

  std::string applied() { return slurp(state_dir_ / "scripted/applied"); }

  mi2::test::TempDir dir_{"mi2-isolation-e2e"};
  fs::path instance_dir_;
  fs::path state_dir_;
};

TEST_F(IsolatedScriptedFleetTest, ASegfaultFailsTheStepReleasesTheLockAndTheRunResumes) {
  const std::string binding = "{plugin: scripted, isolation: process}";
  write_fleet(binding, R"({"crash": {"migrate.up": "segv"}})");
  auto failed = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
  EXPECT_THAT(failed.err, HasSubstr("step 'migrate' failed: plugin 'scripted' crashed during "
                                    "migrate.up (killed by signal 11, SIGSEGV)"));
  EXPECT_THAT(failed.err, HasSubstr("resume with --resume"));
  EXPECT_FALSE(fs::exists(state_dir_ / "lock.json"));  // released by mi2, which lived on
  fs::path journal = only_journal();
  EXPECT_EQ(result_of(read_journal(journal), "migrate"), "failed");
  EXPECT_EQ(result_of(read_journal(journal)), "failed");

  write_fleet(binding, "{}");  // the fault removed
  auto resumed = mi2({"instance", "upgrade", "--resume", journal.stem().string()});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  auto events = read_journal(journal);
  EXPECT_EQ(result_of(events), "succeeded");
  EXPECT_EQ(result_of(events, "migrate"), "ok");
  EXPECT_EQ(applied(), "4.1.0");
  EXPECT_FALSE(fs::exists(state_dir_ / "lock.json"));
}

TEST_F(IsolatedScriptedFleetTest, AnAbortDuringDeployIsRolledBackByAFreshProcess) {
  write_fleet("scripted", R"({"crash": {"apply.apply": "abort"}})", "isolation: process\n");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("plugin 'scripted' crashed during apply.apply (killed by signal 6, "
                               "SIGABRT)"));
  EXPECT_EQ(result_of(read_journal(only_journal())), "rolled_back");
  EXPECT_EQ(result_of(read_journal(only_journal()), "", "rollback_finished"), "ok");
  EXPECT_EQ(applied(), "4.0.0");  // apply.rollback ran in the restarted plugin process
  EXPECT_FALSE(fs::exists(state_dir_ / "lock.json"));
}

TEST_F(IsolatedScriptedFleetTest, AnExitInProcessEndsMi2ButIsolatedItFailsTheStep) {
  write_fleet("scripted", R"({"crash": {"migrate.up": "exit"}})");
  // In process, the plugin's exit(3) is mi2's: no message, and the lock stays behind.
  auto in_process = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  EXPECT_EQ(in_process.exit_code, 3);
  EXPECT_TRUE(fs::exists(state_dir_ / "lock.json"));
  auto unlock = mi2(
      {"instance", "unlock", json::parse(slurp(state_dir_ / "lock.json")).value("lock_id", "")});
  ASSERT_EQ(unlock.exit_code, 0) << unlock.err;

  auto isolated = mi2({"--isolation", "process", "instance", "upgrade", "--resume",
                       only_journal().stem().string()});
  EXPECT_EQ(isolated.exit_code, 1) << isolated.out << isolated.err;
  EXPECT_THAT(isolated.err,
              HasSubstr("plugin 'scripted' crashed during migrate.up (exited with status 3)"));
  EXPECT_FALSE(fs::exists(state_dir_ / "lock.json"));
}

TEST_F(IsolatedScriptedFleetTest, AnUnknownIsolationIsRefusedNamingMi2YamlAndTheBinding) {
  write_fleet("{plugin: scripted, isolation: container}", "{}");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("mi2.yaml:5: roles.migrate.isolation: unknown isolation "
                               "'container'; use 'process' or 'in-process'."));
  write_fleet("scripted", "{}");
  r = mi2({"--isolation", "sandbox", "instance", "upgrade", "-target-version", "4.1.0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--isolation takes 'process' or 'in-process', not 'sandbox'"));
}

// The pids of `parent`'s children that serve a plugin (`mi2 __plugin-host`).
std::vector<pid_t> plugin_hosts_of(pid_t parent) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    pid_t pid = std::atoi(entry.path().filename().c_str());
    if (pid <= 0) continue;
    std::string stat = slurp(entry.path() / "stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    int ppid = 0;
    if (std::sscanf(stat.c_str() + close + 2, "%*c %d", &ppid) != 1 || ppid != parent) continue;
    if (slurp(entry.path() / "cmdline").find("__plugin-host") != std::string::npos)
      found.push_back(pid);
  }
  return found;
}

using IsolatedLocalFleetE2eTest = FleetE2eTest;

TEST_F(IsolatedLocalFleetE2eTest, KilledDuringAnIsolatedDeployThenResumedEndsHealthy) {
  edit_mi2_yaml("rollout_timeout_ms: 8000", "rollout_timeout_ms: 8000\n    ready_after_ms: 2500");
  first_deploy("src-1a2b3c");
  pid_t upgrade = mi2_in_background(
      {"--isolation", "process", "instance", "upgrade", "-target-version", "4.2.0"});
  ASSERT_TRUE(wait_for_file(local_state("src-1a2b3c") / "pids/frontend-4.2.0.pid", 20000));
  std::vector<pid_t> hosts = plugin_hosts_of(upgrade);
  ASSERT_EQ(hosts.size(), 1u);  // the local plugin runs in a process of its own
  kill(upgrade, SIGKILL);
  waitpid(upgrade, nullptr, 0);
  background_.clear();
  for (int i = 0; i < 100 && kill(hosts[0], 0) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_NE(kill(hosts[0], 0), 0) << "the plugin process outlived mi2";

  std::string run = latest_run("src-1a2b3c");
  auto resumed = mi2({"--isolation", "process", "instance", "upgrade", "--resume", run});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(result_of(journal("src-1a2b3c", run)), "succeeded");
  EXPECT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.2.0");
  auto check = mi2(
      {"--isolation", "process", "instance", "check", "pods-health", "src-application-version"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(live_workload_pids().size(), 2u);  // no orphan from the killed attempt
}

}  // namespace
}  // namespace mi2::e2e
