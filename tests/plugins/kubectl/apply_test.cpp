// apply.apply / apply.rollback / apply.workon against the scripted kubectl:
// the manifests on stdin, rollout status only for what changed, a stuck
// rollout, and both rollback paths of the runbook.
#include <gtest/gtest.h>

#include "tests/plugins/kubectl/scripted_kubectl.h"

namespace mi2::test {
namespace {

const char* kRolledOut = "deployment \"x\" successfully rolled out\n";

class KubectlApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kubectl.pass_kustomize_through();
    kubectl.rule({"get", "deployments,statefulsets"},
                 {Json{{"stdout_file", "workloads-before.json"}},
                  Json{{"stdout_file", "workloads-after.json"}}});
    kubectl.rule({"apply", "-f", "-"},
                 {Json{{"stdout", "deployment.apps/sourcegraph-frontend configured\n"}}});
    kubectl.rule({"rollout", "undo"}, {Json{{"stdout", "rolled back\n"}}});
  }
  std::string built() const {
    return run_for_output({"/usr/bin/kubectl", "kustomize", "--load-restrictor",
                           "LoadRestrictionsNone", (fleet.instance_dir() / "kubernetes").string()});
  }
  Argv kustomize() const {
    return {"kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsNone",
            (fleet.instance_dir() / "kubernetes").string()};
  }
  ScriptedKubectl kubectl;
  SampleFleet fleet;
};

TEST_F(KubectlApplyTest, AppliesTheBuildAndWaitsForChangedWorkloadsOnly) {
  kubectl.rule({"rollout", "status"}, {Json{{"stdout", kRolledOut}}});
  auto plugin = make_plugin(kubectl, "{}");
  PluginCall call = plugin->invoke("apply", "apply", fleet.input());
  ASSERT_EQ(call.status, MI2_OK) << call.error;

  auto calls = kubectl.calls();
  std::vector<Argv> expected = {
      kustomize(),
      kubectl_argv({"get", "deployments,statefulsets", "-o", "json"}),
      kubectl_argv({"apply", "-f", "-"}),
      kubectl_argv({"get", "deployments,statefulsets", "-o", "json"}),
      kubectl_argv({"rollout", "status", "deployment/sourcegraph-frontend", "--timeout=600s"}),
      kubectl_argv({"rollout", "status", "statefulset/gitserver", "--timeout=600s"})};
  EXPECT_EQ(kubectl.argvs(), expected);
  EXPECT_EQ(calls[2].stdin_data, built());
  EXPECT_TRUE(plugin->fake.exec_calls[2].mutating);
  EXPECT_FALSE(plugin->fake.exec_calls[4].mutating);

  const Json& workloads = call.output["workloads"];
  ASSERT_EQ(workloads.size(), 4u);
  Json frontend = workloads[2];
  EXPECT_EQ(frontend["name"], "sourcegraph-frontend");
  EXPECT_EQ(frontend["version"], "4.1.0");
  EXPECT_TRUE(frontend["changed"]);
  EXPECT_TRUE(frontend["ok"]);
  EXPECT_FALSE(workloads[1]["changed"]);  // searcher: same generation
}

TEST_F(KubectlApplyTest, StuckRolloutFailsNamingTheWorkloadAndRollbackUndoesIt) {
  kubectl.rule(
      {"rollout", "status", "deployment/sourcegraph-frontend"},
      {Json{{"exit", 1},
            {"stderr",
             "error: deployment \"sourcegraph-frontend\" exceeded its progress deadline\n"}},
       Json{{"stdout", kRolledOut}}});
  kubectl.rule({"rollout", "status"}, {Json{{"stdout", kRolledOut}}});
  auto plugin = make_plugin(kubectl, "{}");
  PluginCall call = plugin->invoke("apply", "apply", fleet.input());
  ASSERT_EQ(call.status, MI2_FAILED);
  EXPECT_EQ(
      call.error,
      "the rollout of deployment/sourcegraph-frontend (error: deployment \"sourcegraph-frontend\" "
      "exceeded its progress deadline) did not finish within 600s after the apply in instance "
      "src-1a2b3c; run `mi2 instance rollback` to undo it.");
  ASSERT_EQ(call.output["workloads"].size(), 4u);  // the per-workload report, on failure too
  EXPECT_FALSE(call.output["workloads"][2]["ok"]);
  EXPECT_TRUE(call.output["workloads"][3]["ok"]);

  size_t before = kubectl.calls().size();
  PluginCall undo = plugin->invoke("apply", "rollback", fleet.input({{"mode", "undo"}}));
  ASSERT_EQ(undo.status, MI2_OK) << undo.error;
  std::vector<Argv> all = kubectl.argvs();
  std::vector<Argv> rollback(all.begin() + before, all.end());
  std::vector<Argv> expected = {
      kubectl_argv({"rollout", "undo", "deployment/sourcegraph-frontend"}),
      kubectl_argv({"rollout", "undo", "statefulset/gitserver"}),
      kubectl_argv({"rollout", "status", "deployment/sourcegraph-frontend", "--timeout=600s"}),
      kubectl_argv({"rollout", "status", "statefulset/gitserver", "--timeout=600s"})};
  EXPECT_EQ(rollback, expected);
  EXPECT_TRUE(plugin->fake.exec_calls[before].mutating);
  EXPECT_EQ(undo.output["mode"], "undo");
  EXPECT_EQ(undo.output["workloads"].size(), 2u);

  // Undoing twice would redo the upgrade.
  PluginCall again = plugin->invoke("apply", "rollback", fleet.input({{"mode", "undo"}}));
  EXPECT_EQ(again.status, MI2_FAILED);
  EXPECT_NE(again.error.find("already rolled back"), std::string::npos);
}

TEST_F(KubectlApplyTest, UndoWithoutARecordPointsToTheOtherPath) {
  auto plugin = make_plugin(kubectl, "{}");
  PluginCall call = plugin->invoke("apply", "rollback", fleet.input());
  EXPECT_EQ(call.status, MI2_FAILED);
  EXPECT_NE(call.error.find("roll back with mode restore-origin-main instead"), std::string::npos)
      << call.error;
  EXPECT_TRUE(kubectl.calls().empty());
}

TEST_F(KubectlApplyTest, RestoreOriginMainReappliesTheManifestsOfMain) {
  auto git = [&](const Argv& args) {
    Argv argv = {"git", "-C", fleet.root().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_for_output(argv);
  };
  git({"init", "-q", "-b", "main"});
  git({"-c", "user.name=t", "-c", "user.email=t@example.test", "add", "."});
  git({"-c", "user.name=t", "-c", "user.email=t@example.test", "commit", "-q", "-m", "fleet"});
  run_for_output({"git", "clone", "-q", "--bare", fleet.root().string(),
                  (fleet.root() / ".origin.git").string()});
  git({"remote", "add", "origin", (fleet.root() / ".origin.git").string()});
  git({"fetch", "-q", "origin"});
  std::string main_text = read_file(fleet.kustomization());
  auto plugin = make_plugin(kubectl, "{}");
  kubectl.rule({"rollout", "status"}, {Json{{"stdout", kRolledOut}}});
  ASSERT_EQ(plugin->invoke("render", "render", fleet.input()).status, MI2_OK);
  ASSERT_NE(read_file(fleet.kustomization()), main_text);

  PluginCall call =
      plugin->invoke("apply", "rollback", fleet.input({{"mode", "restore-origin-main"}}));
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  EXPECT_EQ(read_file(fleet.kustomization()), main_text);
  bool restored = false;
  for (const auto& c : plugin->fake.exec_calls)
    if (c.argv ==
        Argv{"git", "restore", "--source=origin/main", "--worktree", "--", "kubernetes"}) {
      restored = true;
      EXPECT_EQ(c.cwd, fleet.instance_dir().string());
      EXPECT_TRUE(c.mutating);
    }
  EXPECT_TRUE(restored);
  auto calls = kubectl.calls();
  std::string applied;
  for (const auto& c : calls)
    if (c.argv == kubectl_argv({"apply", "-f", "-"})) applied = c.stdin_data;
  EXPECT_NE(applied.find("image: index.docker.io/sourcegraph/frontend:4.0.0"), std::string::npos);
  EXPECT_EQ(call.output["mode"], "restore-origin-main");
}

TEST_F(KubectlApplyTest, DryRunRecordsTheApplyAndRunsNoClusterCommand) {
  auto plugin = make_plugin(kubectl, "{}");
  plugin->fake.dry_run = true;
  Json input = fleet.input();
  input["dry_run"] = true;
  PluginCall call = plugin->invoke("apply", "apply", input);
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  ASSERT_EQ(plugin->fake.exec_calls.size(), 2u);
  EXPECT_EQ(plugin->fake.exec_calls[0].argv, kustomize());
  EXPECT_EQ(plugin->fake.exec_calls[1].argv, kubectl_argv({"apply", "-f", "-"}));
  EXPECT_TRUE(plugin->fake.exec_calls[1].mutating);
  EXPECT_EQ(plugin->fake.exec_calls[1].stdin_data, built());
  EXPECT_EQ(kubectl.argvs(), std::vector<Argv>{kustomize()});  // only the build really ran
}

TEST_F(KubectlApplyTest, WorkonPrintsTheCommandsForTheInstance) {
  KubectlDriver plugin;  // its FakeHost runs nothing: it records
  auto& recorder = plugin.fake;
  PluginCall call = plugin.invoke("apply", "workon", fleet.input());
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  Json expected = Json::array(
      {Json::array({"gcloud", "container", "clusters", "get-credentials", "src-acme-cluster",
                    "--project=src-acme-prj", "--region=us-central1"}),
       Json::array(
           {"kubectl", "config", "use-context", "gke_src-acme-prj_us-central1_src-acme-cluster"}),
       Json::array({"kubectl", "config", "set-context", "--current", "--namespace=src-acme"})});
  EXPECT_EQ(call.output["commands"], expected);
  EXPECT_TRUE(recorder.exec_calls.empty());

  PluginCall run = plugin.invoke("apply", "workon", fleet.input({{"exec", true}}));
  ASSERT_EQ(run.status, MI2_OK) << run.error;
  ASSERT_EQ(recorder.exec_calls.size(), 3u);
  EXPECT_EQ(Json(recorder.exec_calls[0].argv), expected[0]);
  EXPECT_TRUE(recorder.exec_calls[0].mutating);
}

TEST_F(KubectlApplyTest, UnknownContextIsASentenceAboutWhatToSet) {
  Json input = fleet.input();
  input["instance"].erase("status");
  auto plugin = make_plugin(kubectl, "{}");
  PluginCall call = plugin->invoke("apply", "apply", input);
  EXPECT_EQ(call.status, MI2_INVALID_INPUT);
  EXPECT_NE(call.error.find("set plugins.kubectl.context in mi2.yaml"), std::string::npos)
      << call.error;
}

}  // namespace
}  // namespace mi2::test
