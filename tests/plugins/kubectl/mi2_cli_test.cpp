// The runbook's manual path with mi2 alone, end to end: the built mi2 binary on
// a temp fleet whose mi2.yaml binds every role but vcs to the kubectl plugin,
// with the scripted kubectl first on PATH and /__version served on 127.0.0.1.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <thread>

#include "tests/plugins/kubectl/scripted_kubectl.h"
#include "tests/support/mi2_process.h"

namespace mi2::test {
namespace {

namespace fs = std::filesystem;

// Answers GET /<slug>/__version with `version`, and is the image registry:
// GET /v2/sourcegraph/migrator/manifests/<tag> is 200 for a released tag,
// 404 (as the Registry API says MANIFEST_UNKNOWN) for any other.
class VersionServer {
 public:
  VersionServer() {
    server_.Get(R"(/(\w+)/__version)", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      res.set_content(version_, "text/plain");
    });
    server_.Get(R"(/v2/sourcegraph/migrator/manifests/([\w.-]+))", [](const httplib::Request& req,
                                                                      httplib::Response& res) {
      std::string tag = req.matches[1];
      if (tag == "4.0.0" || tag == "4.1.0" || tag == "4.2.0") {
        res.set_content("{}", "application/vnd.oci.image.index.v1+json");
      } else {
        res.status = 404;
        res.set_content(R"({"errors":[{"code":"MANIFEST_UNKNOWN"}]})", "application/json");
      }
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

class Mi2KubectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(fleet.root() / "mi2.yaml", std::ios::app)
        << "    poll_interval_s: 0\n"
        << "    version_url: \"http://127.0.0.1:" << server.port() << "/{slug}/__version\"\n"
        << "    registry_api: \"http://127.0.0.1:" << server.port() << "\"\n";
    kubectl.rule({"get", "pods"}, {Json{{"stdout_file", "pods-healthy.json"}}});
    kubectl.pass_kustomize_through();
    // The preflight: kubectl, the cluster and the namespace answer.
    kubectl.rule({"version"}, {Json{{"stdout_file", "version.json"}}});
    kubectl.rule({"get", "namespace"}, {Json{{"stdout", "namespace/src-acme\n"}}});
  }

  void script_upgrade(const std::string& job = "job-complete.json",
                      const std::string& logs = "migrator-ok.log") {
    kubectl.rule({"get", kKinds}, {Json{{"stdout_file", "export.json"}}});
    kubectl.rule({"get", "persistentvolumeclaims"}, {Json{{"stdout_file", "pvcs.json"}}});
    kubectl.rule({"create", "-f", "-"}, {Json{{"stdout", "created\n"}}});
    kubectl.rule({"delete", "jobs"}, {Json{{"stdout", ""}}});
    kubectl.rule({"get", "volumesnapshots"}, {Json{{"stdout_file", "snapshots-ready.json"}}});
    kubectl.rule({"get", "job"}, {Json{{"stdout_file", job}}});
    kubectl.rule({"logs"}, {Json{{"stdout_file", logs}}});
    kubectl.rule({"get", "deployments,statefulsets"},
                 {Json{{"stdout_file", "workloads-before.json"}},
                  Json{{"stdout_file", "workloads-after.json"}}});
    kubectl.rule({"apply", "-f", "-"}, {Json{{"stdout", "configured\n"}}});
    kubectl.rule({"rollout", "status"}, {Json{{"stdout", "successfully rolled out\n"}}});
    kubectl.rule({"rollout", "undo"}, {Json{{"stdout", "rolled back\n"}}});
  }

  Mi2Result mi2(const std::vector<std::string>& args) {
    return run_mi2(args, fleet.instance_dir(), kubectl.env());
  }
  std::string kustomize_dir() const { return (fleet.instance_dir() / "kubernetes").string(); }
  Argv kustomize() const {
    return {"kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsNone", kustomize_dir()};
  }
  std::string journal() const {
    std::string all;
    for (const auto& e : fs::directory_iterator(fleet.state_dir() / "runs"))
      if (e.path().extension() == ".jsonl") all += read_file(e.path());
    return all;
  }

  static constexpr const char* kKinds =
      "deployments,statefulsets,daemonsets,cronjobs,services,configmaps,serviceaccounts,roles,"
      "rolebindings,persistentvolumeclaims,ingresses";
  VersionServer server;
  ScriptedKubectl kubectl;
  SampleFleet fleet;
};

TEST_F(Mi2KubectlTest, UpgradeRunsTheWholeRecipeThroughKubectl) {
  script_upgrade();
  server.set("4.1.0");
  Mi2Result r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Upgrade succeeded"), std::string::npos) << r.out;

  std::string snapshots = "mi2.sourcegraph.com/checkpoint=mi2-";
  std::vector<Argv> argvs = kubectl.argvs();
  std::vector<Argv> expected = {
      kubectl_argv({"get", "pods", "-o", "json"}),       // precheck
      {"kubectl", "version", "--client", "-o", "json"},  // resolve-version: preflight
      kubectl_argv({"version", "-o", "json", "--request-timeout=30s"}),
      kubectl_argv({"get", "namespace", "src-acme", "--ignore-not-found", "-o", "name"}),
      kustomize(),                                  // render
      kubectl_argv({"get", kKinds, "-o", "json"}),  // checkpoint
      kubectl_argv({"get", "persistentvolumeclaims", "-o", "json"}),
      kubectl_argv({"create", "-f", "-"}),
      argvs.size() > 8 ? argvs[8] : Argv{},  // get volumesnapshots -l ...
      argvs.size() > 9 ? argvs[9] : Argv{},  // migrate: delete earlier migrator Jobs
      kubectl_argv({"create", "-f", "-"}),
      argvs.size() > 11 ? argvs[11] : Argv{},       // get job migrator-xxxxx
      argvs.size() > 12 ? argvs[12] : Argv{},       // logs job/migrator-xxxxx
      kubectl_argv({"get", "pods", "-o", "json"}),  // postmigrate-check
      kustomize(),                                  // deploy
      kubectl_argv({"get", "deployments,statefulsets", "-o", "json"}),
      kubectl_argv({"apply", "-f", "-"}),
      kubectl_argv({"get", "deployments,statefulsets", "-o", "json"}),
      kubectl_argv({"rollout", "status", "deployment/sourcegraph-frontend", "--timeout=600s"}),
      kubectl_argv({"rollout", "status", "statefulset/gitserver", "--timeout=600s"}),
      kubectl_argv({"get", "pods", "-o", "json"})};  // verify
  EXPECT_EQ(argvs, expected);
  ASSERT_GE(argvs.size(), 13u);
  EXPECT_EQ(argvs[8][3], "get");
  EXPECT_EQ(argvs[8][4], "volumesnapshots");
  EXPECT_EQ(argvs[8][6].rfind(snapshots, 0), 0u);
  EXPECT_EQ(argvs[9][3], "delete");
  EXPECT_EQ(argvs[11][4], "job");
  EXPECT_EQ(argvs[12][3], "logs");

  // Files: version bumped (comment kept), tags rendered; the apply got them.
  EXPECT_NE(read_file(fleet.instance_dir() / "config.yaml")
                .find("sourcegraphVersion: 4.1.0 # bumped by mi2"),
            std::string::npos);
  auto calls = kubectl.calls();
  EXPECT_NE(calls[16].stdin_data.find("image: index.docker.io/sourcegraph/frontend:4.1.0"),
            std::string::npos);
  Json job = Json::parse(calls[10].stdin_data);
  EXPECT_EQ(job["spec"]["template"]["spec"]["containers"][0]["image"],
            "index.docker.io/sourcegraph/migrator:4.1.0");
  // The migrator's logs are in the run journal.
  EXPECT_NE(journal().find("Schema(s) are up-to-date"), std::string::npos);
}

TEST_F(Mi2KubectlTest, DryRunPrintsTheExactKubectlCommands) {
  script_upgrade();
  Mi2Result r = mi2({"instance", "upgrade", "--dry-run", "-target-version", "4.1.0"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string prefix =
      "$ kubectl --context=gke_src-acme-prj_us-central1_src-acme-cluster --namespace=src-acme ";
  EXPECT_NE(r.out.find(prefix + "get pods -o json   [ran: read-only]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    preflight via kubectl:\n"
                       "      $ kubectl version --client -o json   [ran: read-only]\n"
                       "      GET http://127.0.0.1:" +
                       std::to_string(server.port()) +
                       "/v2/sourcegraph/migrator/manifests/4.1.0   [ran: read-only]\n      " +
                       prefix + "version -o json --request-timeout=30s   [ran: read-only]"),
            std::string::npos)
      << r.out;
  EXPECT_NE(
      r.out.find("$ kubectl kustomize --load-restrictor LoadRestrictionsNone " + kustomize_dir()),
      std::string::npos);
  EXPECT_NE(r.out.find(prefix + "create -f -   [would run]"), std::string::npos);
  EXPECT_NE(r.out.find(prefix + "apply -f -   [would run]"), std::string::npos);
  EXPECT_NE(r.out.find("GET http://127.0.0.1:" + std::to_string(server.port()) + "/acme/__version"),
            std::string::npos);
  // Nothing that changes the cluster ran, and config.yaml is untouched.
  for (const Argv& argv : kubectl.argvs()) {
    EXPECT_NE(argv[3], "apply");
    EXPECT_NE(argv[3], "create");
    EXPECT_NE(argv[3], "delete");
  }
  EXPECT_NE(read_file(fleet.instance_dir() / "config.yaml").find("sourcegraphVersion: 4.0.0"),
            std::string::npos);
}

TEST_F(Mi2KubectlTest, CheckPodsHealthAndApplicationVersion) {
  server.set("4.0.0");
  Mi2Result r = mi2({"instance", "check", "pods-health", "src-application-version"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("pods-health: 3 pods healthy in namespace src-acme"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("src-application-version: remote version 4.0.0 equals"), std::string::npos);

  server.set("3.43.0");
  Mi2Result wrong = mi2({"instance", "check", "src-application-version"});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.out.find("remote version 3.43.0 is not spec.sourcegraphVersion 4.0.0"),
            std::string::npos)
      << wrong.out << wrong.err;
}

TEST_F(Mi2KubectlTest, CheckReportsACrashLoopingPod) {
  ScriptedKubectl crashing;
  crashing.rule({"get", "pods"}, {Json{{"stdout_file", "pods-crashloop.json"}}});
  Mi2Result r = run_mi2({"instance", "check", "pods-health"}, fleet.instance_dir(), crashing.env());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("searcher-6f7d8-abcde/searcher CrashLoopBackOff"), std::string::npos)
      << r.out << r.err;
}

// Preflight (#13): a cluster the context cannot reach (kubectl's own words)
// stops the upgrade before the bump: config.yaml byte for byte as it was,
// nothing rendered, nothing created or applied.
TEST_F(Mi2KubectlTest, AnUnreachableClusterStopsTheUpgradeBeforeTheBump) {
  ScriptedKubectl offline;
  offline.rule({"get", "pods"}, {Json{{"stdout_file", "pods-healthy.json"}}});
  offline.rule({"version", "--client"}, {Json{{"stdout_file", "version-client.json"}}});
  offline.rule({"version"}, {Json{{"stdout_file", "version-client.json"},
                                  {"stderr",
                                   "Unable to connect to the server: dial tcp 34.70.1.2:443: i/o "
                                   "timeout\n"},
                                  {"exit", 1}}});
  std::string before = read_file(fleet.instance_dir() / "config.yaml");
  Mi2Result r = run_mi2({"instance", "upgrade", "-target-version", "4.1.0"}, fleet.instance_dir(),
                        offline.env());
  EXPECT_NE(r.exit_code, 0);
  // Asked once, under the first role of the recipe it serves (the precheck's).
  EXPECT_NE(r.err.find("preflight: plugin 'kubectl' healthcheck.preflight failed: the kubectl "
                       "plugin cannot reach the cluster of instance src-1a2b3c through context "
                       "gke_src-acme-prj_us-central1_src-acme-cluster (Unable to connect to the "
                       "server: dial tcp 34.70.1.2:443: i/o timeout)"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(fleet.instance_dir() / "config.yaml"), before);
  for (const Argv& argv : offline.argvs()) {
    EXPECT_NE(argv[1], "kustomize");
    EXPECT_NE(argv[3], "create");
    EXPECT_NE(argv[3], "apply");
  }
}

// Preflight (#13 item 3): a version the registry has no migrator image for
// is refused before the bump, naming the image; nothing changed.
TEST_F(Mi2KubectlTest, AVersionWithNoMigratorImageStopsTheUpgradeBeforeTheBump) {
  std::string before = read_file(fleet.instance_dir() / "config.yaml");
  Mi2Result r = mi2({"instance", "upgrade", "-target-version", "4.1.99"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("the migrator image index.docker.io/sourcegraph/migrator:4.1.99 of "
                       "instance src-1a2b3c is not in its registry (GET http://127.0.0.1:" +
                       std::to_string(server.port()) +
                       "/v2/sourcegraph/migrator/manifests/4.1.99 answered HTTP 404)"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(fleet.instance_dir() / "config.yaml"), before);
  for (const Argv& argv : kubectl.argvs()) {
    EXPECT_NE(argv[1], "kustomize");
    EXPECT_NE(argv[3], "create");
    EXPECT_NE(argv[3], "apply");
  }
}

TEST_F(Mi2KubectlTest, FailedMigrationStopsBeforeTheDeploy) {
  script_upgrade("job-failed.json", "migrator-failed.log");
  Mi2Result r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  EXPECT_NE(r.exit_code, 0);
  std::string all = r.out + r.err;
  EXPECT_NE(all.find("dirty at migration 1528395968"), std::string::npos) << all;
  for (const Argv& argv : kubectl.argvs()) EXPECT_NE(argv[3], "apply");  // old workload serves on
}

TEST_F(Mi2KubectlTest, RollbackUndoesWhatTheUpgradeChanged) {
  script_upgrade();
  server.set("4.1.0");
  ASSERT_EQ(mi2({"instance", "upgrade", "-target-version", "4.1.0"}).exit_code, 0);
  size_t before = kubectl.calls().size();

  server.set("4.0.0");
  Mi2Result r = mi2({"instance", "rollback"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::vector<Argv> all = kubectl.argvs();
  std::vector<Argv> rollback(all.begin() + before, all.end());
  std::vector<Argv> expected = {
      kustomize(),  // render the earlier version
      kubectl_argv({"rollout", "undo", "deployment/sourcegraph-frontend"}),
      kubectl_argv({"rollout", "undo", "statefulset/gitserver"}),
      kubectl_argv({"rollout", "status", "deployment/sourcegraph-frontend", "--timeout=600s"}),
      kubectl_argv({"rollout", "status", "statefulset/gitserver", "--timeout=600s"}),
      kubectl_argv({"get", "pods", "-o", "json"})};
  EXPECT_EQ(rollback, expected);
  EXPECT_NE(read_file(fleet.instance_dir() / "config.yaml").find("sourcegraphVersion: 4.0.0"),
            std::string::npos);
  EXPECT_NE(read_file(fleet.kustomization()).find("newTag: 4.0.0 # the frontend"),
            std::string::npos);
}

TEST_F(Mi2KubectlTest, WorkonPrintsTheClusterCommands) {
  Mi2Result r = mi2({"instance", "workon"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out,
            "gcloud container clusters get-credentials src-acme-cluster --project=src-acme-prj "
            "--region=us-central1\n"
            "kubectl config use-context gke_src-acme-prj_us-central1_src-acme-cluster\n"
            "kubectl config set-context --current --namespace=src-acme\n");
  EXPECT_TRUE(kubectl.calls().empty());
}

TEST_F(Mi2KubectlTest, FailedVerifyRollsTheWorkloadBackAutomatically) {
  script_upgrade();
  server.set("4.0.0");  // the new version never comes up
  Mi2Result r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("rolled_back"), std::string::npos) << r.out << r.err;
  std::vector<Argv> argvs = kubectl.argvs();
  auto has = [&](const Argv& argv) {
    return std::find(argvs.begin(), argvs.end(), argv) != argvs.end();
  };
  EXPECT_TRUE(has(kubectl_argv({"rollout", "undo", "deployment/sourcegraph-frontend"})));
  EXPECT_TRUE(has(kubectl_argv({"rollout", "undo", "statefulset/gitserver"})));
  EXPECT_NE(read_file(fleet.instance_dir() / "config.yaml").find("sourcegraphVersion: 4.0.0"),
            std::string::npos);
}

TEST_F(Mi2KubectlTest, RollbackCanReapplyTheManifestsOfOriginMain) {
  auto git = [&](const Argv& args) {
    Argv argv = {"git",         "-C", fleet.root().string(),      "-c",
                 "user.name=t", "-c", "user.email=t@example.test"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_for_output(argv);
  };
  git({"init", "-q", "-b", "main"});
  git({"add", "."});
  git({"commit", "-q", "-m", "fleet"});
  run_for_output({"git", "clone", "-q", "--bare", fleet.root().string(),
                  (fleet.root() / ".origin.git").string()});
  git({"remote", "add", "origin", (fleet.root() / ".origin.git").string()});
  git({"fetch", "-q", "origin"});
  std::string main_text = read_file(fleet.kustomization());
  script_upgrade();
  server.set("4.1.0");
  ASSERT_EQ(mi2({"instance", "upgrade", "-target-version", "4.1.0"}).exit_code, 0);
  // Someone edited the rendered folder by hand; origin/main is the known-good state.
  std::ofstream(fleet.kustomization(), std::ios::app) << "# local edit\n";
  size_t before = kubectl.calls().size();

  server.set("4.0.0");
  Mi2Result r = mi2({"instance", "rollback", "--mode", "restore-origin-main"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(read_file(fleet.kustomization()), main_text);
  EXPECT_NE(
      journal().find(R"("git","restore","--source=origin/main","--worktree","--","kubernetes")"),
      std::string::npos);
  auto calls = kubectl.calls();
  std::string applied;
  for (size_t i = before; i < calls.size(); ++i)
    if (calls[i].argv == kubectl_argv({"apply", "-f", "-"})) applied = calls[i].stdin_data;
  EXPECT_NE(applied.find("image: index.docker.io/sourcegraph/frontend:4.0.0"), std::string::npos);
}

TEST_F(Mi2KubectlTest, BackupCreateListAndRestore) {
  script_upgrade();
  Mi2Result created = mi2({"instance", "backup", "create", "--name", "before-test"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  EXPECT_EQ(Json::parse(created.out)["checkpoints"]["kubectl"]["id"], "before-test");
  Mi2Result list = mi2({"instance", "backup", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(Json::parse(list.out)["backups"][0]["id"], "before-test");
  EXPECT_EQ(Json::parse(list.out)["backups"][0]["provider"], "kubectl");
  Mi2Result table = mi2({"instance", "backup", "list"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_EQ(table.out.rfind("PROVIDER", 0), 0u) << table.out;
  EXPECT_NE(table.out.find("\nkubectl   before-test  20"), std::string::npos) << table.out;
  Mi2Result missing = mi2({"instance", "restore", "create", "--backup-name", "no-such"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("no bound backup plugin holds a backup named 'no-such'"),
            std::string::npos)
      << missing.err;
  size_t before = kubectl.calls().size();
  Mi2Result restored = mi2({"instance", "restore", "create", "--backup-name", "before-test",
                            "--restore-type", "manifests"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  auto calls = kubectl.calls();
  ASSERT_EQ(calls.size(), before + 1);
  EXPECT_EQ(calls[before].argv, kubectl_argv({"apply", "-f", "-"}));
}

TEST_F(Mi2KubectlTest, DbStatusAfterAFailedMigrationSaysDirty) {
  script_upgrade("job-failed.json", "migrator-failed.log");
  ASSERT_NE(mi2({"instance", "upgrade", "-target-version", "4.1.0"}).exit_code, 0);
  kubectl.rule({"get", "jobs", "-l"}, {Json{{"stdout_file", "jobs-list.json"}}});
  Mi2Result status = mi2({"instance", "db", "status", "--json"});
  EXPECT_NE(status.exit_code, 0);
  Json out = Json::parse(status.out);
  EXPECT_TRUE(out["dirty"]);
  EXPECT_EQ(out["failed_version"], "1528395968");
}

TEST_F(Mi2KubectlTest, ForcedSkipRunsTheMultiVersionMigrator) {
  script_upgrade();
  server.set("4.2.0");
  Mi2Result refused = mi2({"instance", "upgrade", "-target-version", "4.2.0"});
  EXPECT_NE(refused.exit_code, 0);  // the engine's version policy, before anything changes
  Mi2Result r = mi2({"instance", "upgrade", "-target-version", "4.2.0", "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json job;
  for (const auto& call : kubectl.calls())
    if (call.argv == kubectl_argv({"create", "-f", "-"}) &&
        call.stdin_data.find("\"kind\": \"Job\"") != std::string::npos)
      job = Json::parse(call.stdin_data);
  ASSERT_TRUE(job.is_object());
  EXPECT_EQ(job["spec"]["template"]["spec"]["containers"][0]["args"],
            Json::array({"upgrade", "--from=v4.0", "--to=v4.2", "--disable-animation"}));
}

}  // namespace
}  // namespace mi2::test
