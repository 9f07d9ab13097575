// The full upgrade recipe with `backup: [kubectl, cloudsql]`, end to end: the
// built mi2 on a copy of the kubectl plugin's fixture fleet, with the scripted
// kubectl and the scripted gcloud first on PATH and /__version served on
// 127.0.0.1. Order and commands are read from the run journal and the
// scripts' records of calls.
#include <gtest/gtest.h>

#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>

#include <fstream>
#include <mutex>
#include <thread>

#include "tests/plugins/cloudsql/scripted_cli.h"
#include "tests/support/mi2_process.h"

namespace mi2::test {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Answers GET /<slug>/__version with `version`.
class VersionServer {
 public:
  VersionServer() {
    server_.Get(R"(/(\w+)/__version)", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      res.set_content(version_, "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ~VersionServer() {
    server_.stop();
    thread_.join();
  }
  void set(const std::string& version) {
    std::lock_guard<std::mutex> lock(mutex_);
    version_ = version;
  }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  std::mutex mutex_;
  std::string version_ = "4.0.0";
  int port_ = 0;
};

fs::path kubectl_fixtures() {
  return fs::path(MI2_SOURCE_DIR) / "tests/plugins/kubectl/fixtures";
}

const char* kKinds =
    "deployments,statefulsets,daemonsets,cronjobs,services,configmaps,serviceaccounts,roles,"
    "rolebindings,persistentvolumeclaims,ingresses";

class CloudsqlKubectlFleet : public ::testing::Test {
 protected:
  void SetUp() override {
    // The recipe's render step runs the real `kubectl kustomize` (offline).
    if (access("/usr/bin/kubectl", X_OK) != 0)
      GTEST_SKIP() << "needs /usr/bin/kubectl (kubectl kustomize renders the fixture fleet)";
    fs::copy(kubectl_fixtures() / "fleet", fleet.path(), fs::copy_options::recursive);
    write_mi2_yaml("[kubectl, cloudsql]");
    kubectl.rule({"get", "pods"}, {Json{{"stdout_file", "pods-healthy.json"}}});
    kubectl.rule({"kustomize"}, {Json{{"passthrough", true}}});
    kubectl.rule({"get", kKinds}, {Json{{"stdout_file", "export.json"}}});
    kubectl.rule({"get", "persistentvolumeclaims"}, {Json{{"stdout_file", "pvcs.json"}}});
    kubectl.rule({"create", "-f", "-"}, {Json{{"stdout", "created\n"}}});
    kubectl.rule({"delete", "jobs"}, {Json{{"stdout", ""}}});
    kubectl.rule({"get", "volumesnapshots"}, {Json{{"stdout_file", "snapshots-ready.json"}}});
    kubectl.rule({"get", "job"}, {Json{{"stdout_file", "job-complete.json"}}});
    kubectl.rule({"logs"}, {Json{{"stdout_file", "migrator-ok.log"}}});
    kubectl.rule({"get", "deployments,statefulsets"},
                 {Json{{"stdout_file", "workloads-before.json"}},
                  Json{{"stdout_file", "workloads-after.json"}}});
    kubectl.rule({"apply", "-f", "-"}, {Json{{"stdout", "configured\n"}}});
    kubectl.rule({"rollout", "status"}, {Json{{"stdout", "successfully rolled out\n"}}});
    kubectl.rule({"rollout", "undo"}, {Json{{"stdout", "rolled back\n"}}});
    // The kubectl plugin's preflight: the cluster and the namespace answer.
    kubectl.rule({"version"}, {Json{{"stdout_file", "version.json"}}});
    kubectl.rule({"get", "namespace"}, {Json{{"stdout", "namespace/src-acme\n"}}});
  }

  void write_mi2_yaml(const std::string& backup, const std::string& cloudsql_extra = "") {
    std::ofstream(fleet.path() / "mi2.yaml")
        << "roles:\n  render: kubectl\n  backup: " << backup
        << "\n  migrate: kubectl\n  apply: kubectl\n  healthcheck: kubectl\n"
        << "plugins:\n  kubectl:\n    poll_interval_s: 0\n"
        << "    version_url: \"http://127.0.0.1:" << server.port() << "/{slug}/__version\"\n"
        << "    registry_api: \"off\"\n"  // no registry here (kubectl's tests have one)
        << "  cloudsql:\n    instance: \"{instance_id}-pg\"\n    poll_interval_s: 0.01\n"
        << "    busy_backoff_s: 0.01\n"
        << cloudsql_extra;
  }

  // A backup whose operation ends with `last` (op-backup-done.json or -failed).
  void script_gcloud(const std::string& last = "op-backup-done.json") {
    gcloud.rule({"sql", "instances", "describe"}, {answer("instance-runnable.json")});
    gcloud.rule({"sql", "backups", "create"}, {answer("op-backup-pending.json")});
    // The real `operations wait` exits 1 once the operation carries an error.
    Json failed_wait = {{"stderr",
                         "ERROR: (gcloud.sql.operations.wait) [INTERNAL_ERROR] An internal error "
                         "has occurred while backing up the instance; retry the operation.\n"},
                        {"exit", 1}};
    gcloud.rule({"sql", "operations", "wait"},
                {Json{{"stdout", ""}}, Json{{"stdout", ""}},
                 last == "op-backup-failed.json" ? failed_wait : Json{{"stdout", ""}}});
    gcloud.rule({"sql", "operations", "describe"},
                {answer("op-backup-pending.json"), answer("op-backup-running.json"), answer(last)});
    gcloud.rule({"sql", "backups", "describe"}, {answer("backup-successful.json")});
    gcloud.rule({"sql", "backups", "list"}, {answer("backups-list.json")});
    gcloud.rule({"sql", "backups", "restore"}, {answer("op-restore-pending.json")});
    gcloud.rule({"sql", "operations", "list"}, {answer("operations-busy.json")});
  }

  Mi2Result mi2(const std::vector<std::string>& args) {
    return run_mi2(args, instance_dir(), tools_env({&gcloud, &kubectl}));
  }
  fs::path instance_dir() const { return fleet.path() / "environments/dev/deployments/src-1a2b3c"; }
  fs::path runs_dir() const { return fleet.path() / ".mi2/state/dev/src-1a2b3c/runs"; }
  std::string run_id() const {
    for (const auto& e : fs::directory_iterator(runs_dir()))
      if (e.path().extension() == ".jsonl") return e.path().stem().string();
    return "";
  }
  std::vector<Json> journal() const {
    std::vector<Json> events;
    std::ifstream in(runs_dir() / (run_id() + ".jsonl"));
    for (std::string line; std::getline(in, line);) events.push_back(Json::parse(line));
    return events;
  }
  // Index of the first event matching, or -1.
  static long find(const std::vector<Json>& events, const std::string& kind,
                   const std::string& step) {
    for (size_t i = 0; i < events.size(); ++i)
      if (events[i].value("event", "") == kind && events[i].value("step", "") == step)
        return static_cast<long>(i);
    return -1;
  }
  bool gcloud_ran(const std::string& verb) const {
    for (const Argv& argv : gcloud.argvs())
      if (argv.size() > 3 && argv[3] == verb) return true;
    return false;
  }

  VersionServer server;
  TempDir fleet{"mi2-cloudsql-fleet"};
  ScriptedCli gcloud = ScriptedCli::gcloud();
  ScriptedCli kubectl{"kubectl",
                      kubectl_fixtures() / "fake-kubectl",
                      "FAKE_KUBECTL",
                      kubectl_fixtures() / "responses",
                      {"FAKE_KUBECTL_REAL=/usr/bin/kubectl"}};
};

TEST_F(CloudsqlKubectlFleet, UpgradeTakesBothCheckpointsBeforeTheMigration) {
  script_gcloud();
  server.set("4.1.0");
  Mi2Result r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "Upgrade succeeded")) << r.out;

  // The exact gcloud commands, the description naming the run's checkpoint.
  std::string checkpoint = "mi2-" + run_id();
  std::transform(checkpoint.begin(), checkpoint.end(), checkpoint.begin(), ::tolower);
  std::vector<Argv> argvs = gcloud.argvs();
  ASSERT_EQ(argvs.size(), 9u);
  // The preflight's read-only look at the instance comes first, before the bump.
  EXPECT_EQ(argvs[0], (Argv{"gcloud", "sql", "instances", "describe", "src-1a2b3c-pg",
                            "--project=src-acme-prj", "--format=json"}));
  argvs.erase(argvs.begin());
  EXPECT_EQ(argvs[0], (Argv{"gcloud", "sql", "backups", "create", "--instance=src-1a2b3c-pg",
                            "--project=src-acme-prj", "--description=" + checkpoint, "--async",
                            "--format=json"}));
  const std::string op = "5b6a1f0e-7c2d-4e3f-9a8b-00000000c0de";
  Argv describe = {"gcloud",       "sql", "operations", "describe", op, "--project=src-acme-prj",
                   "--format=json"};
  for (size_t i : {1, 3, 5}) EXPECT_EQ(argvs[i][3], "wait");
  for (size_t i : {2, 4, 6}) EXPECT_EQ(argvs[i], describe);
  EXPECT_EQ(argvs[7],
            (Argv{"gcloud", "sql", "backups", "describe", "1764236100000",
                  "--instance=src-1a2b3c-pg", "--project=src-acme-prj", "--format=json"}));

  // The journal: every gcloud command inside the checkpoint step, which ends
  // (with both checkpoints recorded) before the migration starts.
  std::vector<Json> events = journal();
  long finished = find(events, "step_finished", "checkpoint");
  long migrate = find(events, "step_started", "migrate");
  ASSERT_GE(finished, 0);
  ASSERT_GT(migrate, finished);
  long gcloud_commands = 0;
  long bumped = find(events, "step_started", "bump");
  ASSERT_GE(bumped, 0);
  for (long i = 0; i < static_cast<long>(events.size()); ++i) {
    if (events[i].value("event", "") != "command" || events[i].value("plugin", "") != "cloudsql")
      continue;
    if (++gcloud_commands == 1) {  // the preflight, before the bump
      EXPECT_EQ(events[i]["step"], "resolve-version");
      EXPECT_LT(i, bumped);
      continue;
    }
    EXPECT_EQ(events[i]["step"], "checkpoint");
    EXPECT_LT(i, finished);
  }
  EXPECT_EQ(gcloud_commands, 9);
  const Json& outputs = events[finished]["outputs"];
  EXPECT_EQ(events[finished]["result"], "ok");
  EXPECT_EQ(outputs["cloudsql"]["checkpoint"]["backup_id"], "1764236100000");
  EXPECT_EQ(outputs["cloudsql"]["checkpoint"]["id"], checkpoint);
  EXPECT_EQ(outputs["kubectl"]["checkpoint"]["id"], checkpoint);  // one name for both halves
  EXPECT_FALSE(gcloud_ran("restore"));
}

TEST_F(CloudsqlKubectlFleet, AFailedBackupStopsTheRunBeforeTheMigration) {
  script_gcloud("op-backup-failed.json");
  server.set("4.1.0");
  Mi2Result r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.out + r.err,
                       "failed: INTERNAL_ERROR: An internal error has occurred while backing up "
                       "the instance; retry the operation."))
      << r.out << r.err;
  std::vector<Json> events = journal();
  long finished = find(events, "step_finished", "checkpoint");
  ASSERT_GE(finished, 0);
  EXPECT_EQ(events[finished]["result"], "failed");
  EXPECT_EQ(find(events, "step_started", "migrate"), -1);
  for (const Argv& argv : kubectl.argvs()) {
    EXPECT_NE(argv[3], "logs");    // no migrator Job ran
    EXPECT_NE(argv[3], "delete");  // ... nor was one prepared
    EXPECT_NE(argv[3], "apply");   // the old workload serves on
  }
}

TEST_F(CloudsqlKubectlFleet, AFailedVerifyRollsTheWorkloadBackButNeverRestoresTheDatabase) {
  script_gcloud();
  server.set("4.0.0");  // the new version never comes up
  Mi2Result r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.out + r.err, "rolled back")) << r.out << r.err;
  EXPECT_TRUE(gcloud_ran("create"));
  EXPECT_FALSE(gcloud_ran("restore"));
}

TEST_F(CloudsqlKubectlFleet, DryRunShowsTheBackupAndRunsOnlyTheOperationsList) {
  script_gcloud();
  Mi2Result r = mi2({"instance", "upgrade", "--dry-run", "-target-version", "4.1.0"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out,
                       "$ gcloud sql backups create --instance=src-1a2b3c-pg "
                       "--project=src-acme-prj --description=mi2-"))
      << r.out;
  EXPECT_TRUE(contains(r.out, " --async --format=json   [would run]")) << r.out;
  EXPECT_TRUE(contains(r.out,
                       "$ gcloud sql operations list --instance=src-1a2b3c-pg "
                       "--project=src-acme-prj --format=json --limit=5   [ran: read-only]"))
      << r.out;
  EXPECT_TRUE(contains(r.out,
                       "    preflight via cloudsql:\n      $ gcloud sql instances describe "
                       "src-1a2b3c-pg --project=src-acme-prj --format=json   [ran: read-only]"))
      << r.out;
  EXPECT_EQ(gcloud.argvs(),
            (std::vector<Argv>{{"gcloud", "sql", "instances", "describe", "src-1a2b3c-pg",
                                "--project=src-acme-prj", "--format=json"},
                               {"gcloud", "sql", "operations", "list", "--instance=src-1a2b3c-pg",
                                "--project=src-acme-prj", "--format=json", "--limit=5"}}));
}

TEST_F(CloudsqlKubectlFleet, TheReadmeBindingWorksWithoutCloudsqlConfig) {
  // README: `backup: [kubectl, cloudsql]`, no plugins.cloudsql; config.yaml names the instance.
  std::ofstream(fleet.path() / "mi2.yaml")
      << "roles:\n  render: kubectl\n  backup: [kubectl, cloudsql]\n  migrate: kubectl\n"
      << "  apply: kubectl\n  healthcheck: kubectl\n"
      << "plugins:\n  kubectl: {registry_api: \"off\", version_url: \"http://127.0.0.1:"
      << server.port() << "/{slug}/__version\"}\n";
  fs::path config = instance_dir() / "config.yaml";
  std::string text = read_file(config);
  text.replace(text.find("projectId: src-acme-prj\n"), 24,
               "projectId: src-acme-prj\n    cloudSQL:\n      - name: src-acme-sql\n");
  write_file(config, text);
  script_gcloud();
  Mi2Result r = mi2({"instance", "upgrade", "--dry-run", "-target-version", "4.1.0"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out,
                       "$ gcloud sql backups create --instance=src-acme-sql "
                       "--project=src-acme-prj --description=mi2-"))
      << r.out;
}

TEST_F(CloudsqlKubectlFleet, CliBackupCreateListAndExplicitRestore) {
  write_mi2_yaml("[cloudsql]");
  script_gcloud();
  Mi2Result created = mi2({"instance", "backup", "create", "--name", "before-test"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  EXPECT_EQ(Json::parse(created.out)["checkpoints"]["cloudsql"]["description"], "before-test");
  EXPECT_EQ(gcloud.argvs()[0][6], "--description=before-test");

  Mi2Result listed = mi2({"instance", "backup", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(Json::parse(listed.out)["backups"].size(), 4u);
  EXPECT_EQ(Json::parse(listed.out)["backups"][0]["provider"], "cloudsql");

  size_t before = gcloud.argvs().size();
  Mi2Result restored = mi2({"instance", "restore", "create", "--backup-name", "before-test"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  std::vector<Argv> argvs = gcloud.argvs();
  ASSERT_GT(argvs.size(), before + 1);
  Argv restore_argv{"gcloud",
                    "sql",
                    "backups",
                    "restore",
                    "1764140000000",
                    "--restore-instance=src-1a2b3c-pg",
                    "--project=src-acme-prj",
                    "--async",
                    "--quiet",
                    "--format=json"};
  EXPECT_EQ(std::count(argvs.begin() + static_cast<long>(before), argvs.end(), restore_argv), 1);
  EXPECT_TRUE(contains(Json::parse(restored.out)["restored"]["cloudsql"]["overwrote"],
                       "All data of Cloud SQL instance src-1a2b3c-pg (project src-acme-prj) was "
                       "replaced by Cloud SQL backup 1764140000000 (before-test)"));
}

TEST_F(CloudsqlKubectlFleet, OneCheckpointAcrossKubectlAndCloudsqlThenTheDatabaseAlone) {
  script_gcloud();
  Mi2Result created = mi2({"instance", "backup", "create", "--name", "before-test"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  Json checkpoints = Json::parse(created.out)["checkpoints"];
  EXPECT_EQ(checkpoints["kubectl"]["id"], "before-test");
  EXPECT_EQ(checkpoints["cloudsql"]["id"], "before-test");
  EXPECT_EQ(checkpoints["cloudsql"]["backup_id"], "1764236100000");

  Mi2Result listed = mi2({"instance", "backup", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.out << listed.err;
  EXPECT_TRUE(contains(listed.out, "PROVIDER")) << listed.out;
  EXPECT_TRUE(contains(listed.out, "cloudsql  1764140000000  2026-11-26T07:13:20.000Z  SUCCESSFUL"))
      << listed.out;
  EXPECT_TRUE(contains(listed.out, "kubectl ")) << listed.out;

  size_t kubectl_before = kubectl.argvs().size();
  Mi2Result restored = mi2(
      {"instance", "restore", "create", "--backup-name", "before-test", "--provider", "cloudsql"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  Json out = Json::parse(restored.out)["restored"];
  EXPECT_FALSE(out.contains("kubectl"));
  EXPECT_EQ(out["cloudsql"]["backup_id"], "1764140000000");
  EXPECT_EQ(kubectl.argvs().size(), kubectl_before);  // the cluster was not touched
}

TEST_F(CloudsqlKubectlFleet, PluginDescribeShowsEveryOption) {
  Mi2Result r = mi2({"plugin", "describe", "cloudsql"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* key :
       {"project", "instance", "gcloud_binary", "wait_timeout_s", "poll_interval_s",
        "command_timeout_s", "busy_retries", "busy_backoff_s", "busy_backoff_max_s"})
    EXPECT_TRUE(contains(r.out, key)) << key << "\n" << r.out;
  EXPECT_TRUE(contains(r.out, "backup")) << r.out;
}

TEST_F(CloudsqlKubectlFleet, AMissingGcloudIsOneSentence) {
  write_mi2_yaml("[cloudsql]", "    gcloud_binary: /nonexistent/gcloud\n");
  Mi2Result r = mi2({"instance", "backup", "list"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.out + r.err,
                       "gcloud could not be run for Cloud SQL instance src-1a2b3c-pg (project "
                       "src-acme-prj) (plugins.cloudsql.gcloud_binary is \"/nonexistent/gcloud\")"))
      << r.out << r.err;
  EXPECT_TRUE(contains(r.out + r.err, "install the Google Cloud CLI")) << r.out << r.err;
}

TEST_F(CloudsqlKubectlFleet, SigintStopsTheWaitAndTheBackupGoesOnInGooglesHands) {
  gcloud.rule({"sql", "instances", "describe"}, {answer("instance-runnable.json")});
  gcloud.rule({"sql", "backups", "create"}, {answer("op-backup-pending.json")});
  gcloud.rule({"sql", "operations", "wait"}, {Json{{"stdout", ""}}});
  gcloud.rule({"sql", "operations", "describe"}, {answer("op-backup-running.json")});
  write_mi2_yaml("[kubectl, cloudsql]");
  fs::path log = fleet.path() / "upgrade.log";
  pid_t pid = spawn_mi2({"instance", "upgrade", "-target-version", "4.1.0"}, instance_dir(), log,
                        tools_env({&gcloud, &kubectl}));
  bool waiting = false;
  for (int i = 0; i < 1000 && !waiting; ++i) {
    for (const Argv& argv : gcloud.argvs())
      waiting |= argv[2] == "operations" && argv[3] == "describe";
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(waiting) << read_file(log);
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  std::string out = read_file(log);
  EXPECT_TRUE(contains(out,
                       "the backup itself goes on in Google's hands, and `mi2 instance "
                       "backup list` shows it once it is done."))
      << out;
  EXPECT_EQ(find(journal(), "step_started", "migrate"), -1);
}

}  // namespace
}  // namespace mi2::test
