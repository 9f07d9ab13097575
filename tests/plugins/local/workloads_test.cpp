// apply, rollback, healthcheck and backup with real mi2-workload processes.
#include "workloads.h"
#include "core/sys/detached_process.h"
#include "local_fixture.h"
#include "sqlite_db.h"

namespace mi2::local::test {
namespace {

using LocalWorkloadsTest = LocalFleetTest;

bool alive(const json& process) {
  return process_alive(process["pid"].get<int>(), "mi2-workload");
}

TEST_F(LocalWorkloadsTest, DeployServesTheVersionAndChecksPass) {
  deploy("4.1.0");
  json d = deployment();
  EXPECT_EQ(d["version"], "4.1.0");
  ASSERT_EQ(d["workloads"].size(), 2u);
  for (const auto& w : d["workloads"]) {
    EXPECT_TRUE(alive(w));
    EXPECT_TRUE(fs::exists(state() / "pids" / (w["name"].get<std::string>() + "-4.1.0.pid")));
    EXPECT_EQ(get(w["port"], "/__version"), "200 4.1.0");
    EXPECT_EQ(get(w["port"], "/healthz"), "200 ok");
  }
  json checks = call("healthcheck", "check", input("4.1.0"));
  EXPECT_TRUE(checks["ok"]) << checks.dump();
  EXPECT_EQ(checks["checks"][0]["details"].size(), 2u);  // one line per workload
  // The version check compares with config.yaml's version.
  json wrong =
      call("healthcheck", "check", input("4.2.0", {{"checks", {"src-application-version"}}}));
  EXPECT_FALSE(wrong["ok"]);
  EXPECT_EQ(wrong["checks"][0]["remote_version"], "4.1.0");
}

TEST_F(LocalWorkloadsTest, RollingReplaceStopsTheOldProcessesOnlyAfterTheNewAreHealthy) {
  deploy("4.1.0");
  json before = deployment()["workloads"];
  call("render", "render", input("4.2.0"));
  json out = call("apply", "apply", input("4.2.0"));
  EXPECT_EQ(out["workloads"].size(), 2u);
  json after = deployment();
  EXPECT_EQ(after["version"], "4.2.0");
  EXPECT_EQ(after["previous_version"], "4.1.0");
  for (const auto& w : before) EXPECT_FALSE(alive(w)) << w.dump();
  for (const auto& w : after["workloads"]) EXPECT_EQ(get(w["port"], "/__version"), "200 4.2.0");
  EXPECT_TRUE(call("healthcheck", "check", input("4.2.0"))["ok"]);
  EXPECT_FALSE(fs::exists(state() / "pids/frontend-4.1.0.pid"));

  // Rollback returns to the previous version's processes.
  call("render", "render", input("4.1.0"));
  call("apply", "rollback", input("4.1.0", {{"to_version", "4.1.0"}}));
  for (const auto& w : after["workloads"]) EXPECT_FALSE(alive(w));
  EXPECT_EQ(deployment()["version"], "4.1.0");
  EXPECT_TRUE(call("healthcheck", "check", input("4.1.0"))["ok"]);
}

// Issue #13: the apply of a release that never gets healthy fails at its
// deadline (it used to say ok with "rollout": "stuck"), so the recipe's
// rollback runs from the deploy step. The deadline is the plugin's
// rollout_timeout_ms; 0 here, so the test waits for nothing.
TEST_F(LocalWorkloadsTest, ABrokenReleaseFailsTheApplyAndNeverReplacesTheServingProcesses) {
  deploy("4.1.0");
  json before = deployment()["workloads"];
  call("render", "render", input("4.2.0-rc.1"));
  auto impatient = make_plugin(R"({"releases_dir": "releases", "rollout_timeout_ms": 0})");
  Driver::Reply out = impatient->invoke("apply", "apply", input("4.2.0-rc.1"));
  ASSERT_EQ(out.status, MI2_FAILED) << out.output.dump();
  EXPECT_NE(out.error.find(" 4.2.0-rc.1 (pid "), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("of instance src-1a2b3c did not become healthy within 0 ms"),
            std::string::npos)
      << out.error;
  EXPECT_NE(out.error.find("`mi2 instance rollback` removes the new ones"), std::string::npos);
  EXPECT_EQ(out.output["rollout"], "stuck");  // the per-workload report, on failure too
  bool reported_new = false;
  for (const auto& w : out.output["workloads"])
    reported_new |= w["name"] == "frontend" && w["version"] == "4.2.0-rc.1" && !w["ok"].get<bool>();
  EXPECT_TRUE(reported_new) << out.output.dump();
  EXPECT_EQ(deployment()["rollout"]["state"], "stuck");
  EXPECT_EQ(deployment()["version"], "4.1.0");
  for (const auto& w : before) EXPECT_TRUE(alive(w));  // still serving
  EXPECT_EQ(get(before[0]["port"], "/__version"), "200 4.1.0");
  json health = call("healthcheck", "check", input("4.2.0-rc.1", {{"checks", {"pods-health"}}}));
  EXPECT_FALSE(health["ok"]);  // the stuck new frontend is reported
  bool reported = false;
  for (const auto& d : health["checks"][0]["workloads"])
    reported |= d["version"] == "4.2.0-rc.1" && d["workload"] == "frontend" && !d["ok"].get<bool>();
  EXPECT_TRUE(reported) << health.dump();

  json candidates = deployment()["candidates"];
  call("apply", "rollback", input("4.1.0", {{"to_version", "4.1.0"}}));
  for (const auto& c : candidates) EXPECT_FALSE(alive(c));
  for (const auto& w : before) EXPECT_TRUE(alive(w));  // the old ones were kept
  EXPECT_TRUE(call("healthcheck", "check", input("4.1.0"))["ok"]);
}

TEST_F(LocalWorkloadsTest, ProcessesAFailedRolloutLeftAreStoppedByTheNextApply) {
  deploy("4.1.0");
  call("render", "render", input("4.2.0-rc.1"));
  auto impatient = make_plugin(R"({"releases_dir": "releases", "rollout_timeout_ms": 0})");
  ASSERT_EQ(impatient->invoke("apply", "apply", input("4.2.0-rc.1")).status, MI2_FAILED);
  json stuck = deployment()["candidates"];
  ASSERT_FALSE(stuck.empty());
  call("render", "render", input("4.2.0"));
  call("apply", "apply", input("4.2.0"));
  for (const auto& c : stuck) EXPECT_FALSE(alive(c)) << c.dump();
  EXPECT_TRUE(deployment()["candidates"].empty());
  EXPECT_TRUE(call("healthcheck", "check", input("4.2.0"))["ok"]);
}

TEST_F(LocalWorkloadsTest, AWorkloadThatDiesIsReported) {
  deploy("4.1.0");
  json w = deployment()["workloads"][1];
  kill(w["pid"].get<int>(), SIGTERM);
  wait_process_gone(w["pid"].get<int>(), "mi2-workload", std::chrono::seconds(5), nullptr);
  json health = call("healthcheck", "check", input("4.1.0", {{"checks", {"pods-health"}}}));
  EXPECT_FALSE(health["ok"]);
  EXPECT_EQ(health["checks"][0]["summary"], "1/2 workloads healthy");
}

TEST_F(LocalWorkloadsTest, EnforceDeploysAnInstanceThatNeverRan) {
  json before = call("healthcheck", "check", input("4.1.0", {{"checks", {"pods-health"}}}));
  EXPECT_FALSE(before["ok"]);
  json after = call("healthcheck", "check",
                    input("4.1.0", {{"checks", {"pods-health"}}, {"enforce", true}}));
  EXPECT_TRUE(after["ok"]) << after.dump();
  EXPECT_TRUE(fs::exists(state() / "db.sqlite"));
}

TEST_F(LocalWorkloadsTest, BackupAndRestoreBringBackDatabaseAndWorkloads) {
  deploy("4.1.0");
  json created = call("backup", "create", input("4.1.0", {{"name", "before-upgrade"}}));
  EXPECT_EQ(created["checkpoint"]["id"], "before-upgrade");
  EXPECT_EQ(created["checkpoint"]["version"], "4.1.0");
  EXPECT_THROW(call("backup", "create", input("4.1.0", {{"name", "before-upgrade"}})), sdk::Error);
  EXPECT_THROW(call("backup", "create", input("4.1.0", {{"name", "../x"}})), sdk::Error);

  call("render", "render", input("4.2.0"));
  call("migrate", "up", input("4.2.0"));
  call("apply", "apply", input("4.2.0"));
  {
    SqliteDb db(state() / "db.sqlite", false);
    db.exec_or_throw("DELETE FROM users");
  }
  json list = call("backup", "list", input("4.2.0"));
  ASSERT_EQ(list["backups"].size(), 1u);
  EXPECT_EQ(list["backups"][0]["id"], "before-upgrade");

  json restored = call("backup", "restore", input("4.2.0", {{"backup_name", "before-upgrade"}}));
  EXPECT_EQ(restored["restored"], "before-upgrade");
  SqliteDb db(state() / "db.sqlite", false);
  EXPECT_EQ(db.query("SELECT COUNT(*) FROM users")[0][0], "4");
  EXPECT_TRUE(db.query("SELECT name FROM sqlite_master WHERE name = 'audit_log'").empty());
  EXPECT_EQ(deployment()["version"], "4.1.0");
  EXPECT_EQ(get(deployment()["workloads"][0]["port"], "/__version"), "200 4.1.0");
  EXPECT_THROW(call("backup", "restore", input("4.2.0", {{"backup_name", "nope"}})), sdk::Error);
}

TEST_F(LocalWorkloadsTest, StopAllLeavesNoProcess) {
  deploy("4.1.0");
  json workloads = deployment()["workloads"];
  LocalContext ctx = LocalContext::from_input(fake().host(), LocalConfig::parse(config_json()),
                                              sdk::StepInput::parse(input("4.1.0").dump()), true);
  stop_all_workloads(ctx);
  for (const auto& w : workloads) EXPECT_FALSE(alive(w));
  EXPECT_FALSE(fs::exists(state() / "pids/frontend-4.1.0.pid"));
}

}  // namespace
}  // namespace mi2::local::test

namespace mi2::local::test {
namespace {

// The workload program on its own: versions, health, SIGTERM.
TEST(LocalWorkloadProgramTest, ServesVersionAndHealthAndStopsOnSigterm) {
  mi2::test::TempDir dir("mi2-workload");
  const std::string program = MI2_BINARY_DIR "/bin/mi2-workload";
  int port = 0;
  {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof a;
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    port = ntohs(a.sin_port);
    close(fd);
  }
  std::string error;
  pid_t pid = spawn_detached(
      {{program, "--version", "4.2.0-rc.1", "--port", std::to_string(port), "--unhealthy"},
       {},
       "",
       (dir / "w.log").string(),
       (dir / "w.pid").string()},
      error);
  ASSERT_GT(pid, 0) << error;
  EXPECT_EQ(std::stoi(slurp(dir / "w.pid")), pid);
  std::pair<int, std::string> version;
  for (int i = 0; i < 100 && version.first == 0; ++i) {
    version = http_get(port, "/__version");
    if (version.first == 0) usleep(20000);
  }
  EXPECT_EQ(version, std::make_pair(200, std::string("4.2.0-rc.1")));
  EXPECT_EQ(http_get(port, "/healthz").first, 503);  // never healthy
  EXPECT_EQ(http_get(port, "/other").first, 404);
  EXPECT_TRUE(process_alive(pid, "mi2-workload"));
  EXPECT_FALSE(process_alive(pid, "something-else"));  // a reused pid is not ours
  kill(pid, SIGTERM);
  EXPECT_TRUE(wait_process_gone(pid, "mi2-workload", std::chrono::seconds(2), nullptr));
  EXPECT_FALSE(process_alive(pid, "mi2-workload"));
  EXPECT_NE(slurp(dir / "w.log").find("stopped"), std::string::npos);  // SIGTERM, not SIGKILL
  EXPECT_EQ(spawn_detached({{"relative/program"}, {}, "", "", ""}, error), -1);
  EXPECT_EQ(error, "a detached program must be given by absolute path");
  EXPECT_EQ(spawn_detached({{"/nonexistent/program"}, {}, "", "", ""}, error), -1);
  EXPECT_NE(error.find("cannot run /nonexistent/program"), std::string::npos);
}

}  // namespace
}  // namespace mi2::local::test
