// backup.create / list / restore: manifests exported to the checkpoint folder,
// one VolumeSnapshot per bound PVC waited for, and restore re-applying them.
#include <gtest/gtest.h>

#include "tests/plugins/kubectl/scripted_kubectl.h"

namespace mi2::test {
namespace {

const char* kKinds =
    "deployments,statefulsets,daemonsets,cronjobs,services,configmaps,serviceaccounts,roles,"
    "rolebindings,persistentvolumeclaims,ingresses";
const char* kCheckpoint = "mi2-20261127t101500z-3f2a";

class KubectlBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kubectl.rule({"get", kKinds}, {Json{{"stdout_file", "export.json"}}});
    kubectl.rule({"get", "persistentvolumeclaims"}, {Json{{"stdout_file", "pvcs.json"}}});
    kubectl.rule({"create", "-f", "-"},
                 {Json{{"stdout", "volumesnapshot.snapshot.storage.k8s.io/x created\n"}}});
    kubectl.rule({"scale"}, {Json{{"stdout", "scaled\n"}}});
    kubectl.rule({"delete", "persistentvolumeclaim"}, {Json{{"stdout", "deleted\n"}}});
    kubectl.rule({"apply", "-f", "-"}, {Json{{"stdout", "configured\n"}}});
  }
  std::filesystem::path checkpoint_dir() const {
    return fleet.state_dir() / "kubectl/checkpoints" / kCheckpoint;
  }
  const std::string config = R"({"poll_interval_s": 0})";
  ScriptedKubectl kubectl;
  SampleFleet fleet;
};

TEST_F(KubectlBackupTest, CreateExportsManifestsAndWaitsForSnapshots) {
  kubectl.rule({"get", "volumesnapshots"}, {Json{{"stdout_file", "snapshots-pending.json"}},
                                            Json{{"stdout_file", "snapshots-ready.json"}}});
  auto plugin = make_plugin(kubectl, config);
  PluginCall call = plugin->invoke("backup", "create", fleet.input());
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  const Json& checkpoint = call.output["checkpoint"];
  EXPECT_EQ(checkpoint["id"], kCheckpoint);
  ASSERT_EQ(checkpoint["snapshots"].size(), 1u);
  EXPECT_EQ(checkpoint["snapshots"][0]["pvc"], "repos-gitserver-0");
  EXPECT_EQ(checkpoint["snapshots"][0]["restoreSize"], "200Gi");

  std::string selector = std::string("mi2.sourcegraph.com/checkpoint=") + kCheckpoint;
  std::vector<Argv> expected = {
      kubectl_argv({"get", kKinds, "-o", "json"}),
      kubectl_argv({"get", "persistentvolumeclaims", "-o", "json"}),
      kubectl_argv({"create", "-f", "-"}),
      kubectl_argv({"get", "volumesnapshots", "-l", selector, "-o", "json"}),
      kubectl_argv({"get", "volumesnapshots", "-l", selector, "-o", "json"})};
  EXPECT_EQ(kubectl.argvs(), expected);

  Json snapshots = Json::parse(kubectl.calls()[2].stdin_data);
  ASSERT_EQ(snapshots["items"].size(), 1u);  // the Pending claim has no volume yet
  const Json& snapshot = snapshots["items"][0];
  EXPECT_EQ(snapshot["apiVersion"], "snapshot.storage.k8s.io/v1");
  EXPECT_EQ(snapshot["kind"], "VolumeSnapshot");
  EXPECT_EQ(snapshot["metadata"]["name"], std::string(kCheckpoint) + "-repos-gitserver-0");
  EXPECT_EQ(snapshot["metadata"]["labels"]["mi2.sourcegraph.com/checkpoint"], kCheckpoint);
  EXPECT_EQ(snapshot["spec"]["source"]["persistentVolumeClaimName"], "repos-gitserver-0");

  Json manifests = Json::parse(read_file(checkpoint_dir() / "manifests.json"));
  std::vector<std::string> names;
  for (const Json& item : manifests["items"]) {
    names.push_back(item["kind"].get<std::string>() + "/" +
                    item["metadata"]["name"].get<std::string>());
    EXPECT_FALSE(item["metadata"].contains("uid"));
    EXPECT_FALSE(item["metadata"].contains("resourceVersion"));
    EXPECT_FALSE(item.contains("status"));
  }
  // The ReplicaSet (owned) and kube-root-ca.crt (cluster-made) are not exported.
  EXPECT_EQ(names, (std::vector<std::string>{
                       "Deployment/sourcegraph-frontend", "StatefulSet/gitserver",
                       "Service/sourcegraph-frontend", "PersistentVolumeClaim/repos-gitserver-0"}));
  EXPECT_FALSE(manifests["items"][2]["spec"].contains("clusterIP"));
  EXPECT_TRUE(std::filesystem::exists(checkpoint_dir() / "checkpoint.json"));

  PluginCall list = plugin->invoke("backup", "list", fleet.input());
  ASSERT_EQ(list.status, MI2_OK) << list.error;
  ASSERT_EQ(list.output["backups"].size(), 1u);
  EXPECT_EQ(list.output["backups"][0]["id"], kCheckpoint);
  EXPECT_EQ(list.output["backups"][0]["snapshots"], 1);
}

TEST_F(KubectlBackupTest, SnapshotErrorFailsTheCheckpoint) {
  kubectl.rule({"get", "volumesnapshots"}, {Json{{"stdout_file", "snapshots-error.json"}}});
  auto plugin = make_plugin(kubectl, config);
  PluginCall call = plugin->invoke("backup", "create", fleet.input());
  EXPECT_EQ(call.status, MI2_FAILED);
  EXPECT_NE(call.error.find("quota exceeded"), std::string::npos) << call.error;
  EXPECT_NE(call.error.find("the upgrade must not go on"), std::string::npos);
}

TEST_F(KubectlBackupTest, FullReplaceRestoresVolumesFromSnapshotsThenManifests) {
  kubectl.rule({"get", "volumesnapshots"}, {Json{{"stdout_file", "snapshots-ready.json"}}});
  auto plugin = make_plugin(kubectl, config);
  ASSERT_EQ(plugin->invoke("backup", "create", fleet.input()).status, MI2_OK);
  size_t before = kubectl.calls().size();

  PluginCall call =
      plugin->invoke("backup", "restore",
                     fleet.input({{"backup_name", kCheckpoint}, {"restore_type", "full-replace"}}));
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  auto calls = kubectl.calls();
  std::vector<Argv> restore;
  for (size_t i = before; i < calls.size(); ++i) restore.push_back(calls[i].argv);
  std::vector<Argv> expected = {
      kubectl_argv(
          {"scale", "deployment/sourcegraph-frontend", "statefulset/gitserver", "--replicas=0"}),
      kubectl_argv({"delete", "persistentvolumeclaim", "repos-gitserver-0", "--wait=true",
                    "--timeout=600s"}),
      kubectl_argv({"apply", "-f", "-"}), kubectl_argv({"apply", "-f", "-"})};
  EXPECT_EQ(restore, expected);
  Json claims = Json::parse(calls[before + 2].stdin_data);
  EXPECT_EQ(
      claims["items"][0]["spec"]["dataSource"],
      Json::parse(
          std::string(
              R"({"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": ")") +
          kCheckpoint + "-repos-gitserver-0\"}"));
  EXPECT_FALSE(claims["items"][0]["spec"].contains("volumeName"));
  Json manifests = Json::parse(calls[before + 3].stdin_data);
  EXPECT_EQ(manifests["items"].size(), 3u);  // the claims came from the snapshots
  EXPECT_EQ(call.output["restored"], kCheckpoint);
}

TEST_F(KubectlBackupTest, ManifestsRestoreOnlyReapplies) {
  kubectl.rule({"get", "volumesnapshots"}, {Json{{"stdout_file", "snapshots-ready.json"}}});
  auto plugin = make_plugin(kubectl, config);
  ASSERT_EQ(plugin->invoke("backup", "create", fleet.input()).status, MI2_OK);
  size_t before = kubectl.calls().size();
  Json input = fleet.input({{"restore_type", "manifests"}});
  input["checkpoints"] = {{"kubectl", {{"id", kCheckpoint}}}};  // as a run hands it over
  PluginCall call = plugin->invoke("backup", "restore", input);
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  auto calls = kubectl.calls();
  ASSERT_EQ(calls.size(), before + 1);
  EXPECT_EQ(calls[before].argv, kubectl_argv({"apply", "-f", "-"}));
  EXPECT_EQ(Json::parse(calls[before].stdin_data)["items"].size(), 4u);
}

TEST_F(KubectlBackupTest, UnknownCheckpointIsASentence) {
  auto plugin = make_plugin(kubectl, config);
  PluginCall call = plugin->invoke("backup", "restore", fleet.input({{"backup_name", "nope"}}));
  EXPECT_EQ(call.status, MI2_FAILED);
  EXPECT_NE(call.error.find("cluster checkpoint nope of instance src-1a2b3c"), std::string::npos);
}

}  // namespace
}  // namespace mi2::test
