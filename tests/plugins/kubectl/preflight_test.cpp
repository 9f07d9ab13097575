// preflight: read-only, before the bump, what each bound role needs — kubectl
// itself, the kustomization, the cluster behind the context (as kubectl says
// when it cannot reach it), the namespace, a migrator tag; the same in a dry run.
#include <gtest/gtest.h>

#include "tests/plugins/kubectl/scripted_kubectl.h"

namespace mi2::test {
namespace {

const char* kContext = "gke_src-acme-prj_us-central1_src-acme-cluster";

Json roles(std::initializer_list<const char*> names) {
  Json out = Json::array();
  for (const char* n : names) out.push_back(n);
  return {{"roles", out}};
}

class KubectlPreflightTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kubectl.rule({"version", "--client"}, {Json{{"stdout_file", "version-client.json"}}});
  }
  PluginCall preflight(const Json& params, const std::string& target = "4.1.0") {
    plugin = make_plugin(kubectl, "{}");
    plugin->fake.dry_run = dry_run;
    return plugin->invoke("apply", "preflight", fleet.input(params, target));
  }
  ScriptedKubectl kubectl;
  SampleFleet fleet;
  std::unique_ptr<KubectlDriver> plugin;
  bool dry_run = false;
};

TEST_F(KubectlPreflightTest, EveryRoleAsksKubectlTheClusterAndTheNamespaceReadOnly) {
  kubectl.rule({"version"}, {Json{{"stdout_file", "version.json"}}});
  kubectl.rule({"get", "namespace"}, {Json{{"stdout", "namespace/src-acme\n"}}});
  for (bool dry : {false, true}) {
    dry_run = dry;
    PluginCall call = preflight(roles({"healthcheck", "render", "backup", "migrate", "apply"}));
    ASSERT_EQ(call.status, MI2_OK) << call.error;
    EXPECT_EQ(call.output, (Json{{"kubectl", "v1.32.4"},
                                 {"context", kContext},
                                 {"server", "v1.31.6-gke.1020000"},
                                 {"namespace", "src-acme"}}));
    for (const auto& exec : plugin->fake.exec_calls) EXPECT_FALSE(exec.mutating);
  }
  std::vector<Argv> once = {
      {"kubectl", "version", "--client", "-o", "json"},
      kubectl_argv({"version", "-o", "json", "--request-timeout=30s"}),
      kubectl_argv({"get", "namespace", "src-acme", "--ignore-not-found", "-o", "name"})};
  std::vector<Argv> twice = once;
  twice.insert(twice.end(), once.begin(), once.end());
  EXPECT_EQ(kubectl.argvs(), twice);
}

TEST_F(KubectlPreflightTest, AnUnreachableClusterIsOneSentenceInKubectlsWords) {
  kubectl.rule({"version"},
               {Json{{"stdout_file", "version-client.json"},
                     {"stderr",
                      "The connection to the server 34.70.1.2 was refused - did you specify the "
                      "right host or port?\n"},
                     {"exit", 1}}});
  PluginCall call = preflight(roles({"apply"}));
  EXPECT_EQ(call.status, MI2_FAILED);
  EXPECT_EQ(call.error,
            std::string("the kubectl plugin cannot reach the cluster of instance src-1a2b3c "
                        "through context ") +
                kContext +
                " (The connection to the server 34.70.1.2 was refused - did you specify the right "
                "host or port?); check that the context is in your kubeconfig and its "
                "credentials work (`mi2 instance workon -exec` sets it up), or set "
                "plugins.kubectl.context in mi2.yaml.");
}

TEST_F(KubectlPreflightTest, AContextMissingFromTheKubeconfigIsNamed) {
  kubectl.rule(
      {"version"},
      {Json{{"stderr", std::string("error: context \"") + kContext + "\" does not exist\n"},
            {"exit", 1}}});
  PluginCall call = preflight(roles({"healthcheck"}));
  EXPECT_EQ(call.status, MI2_FAILED);
  EXPECT_NE(call.error.find(std::string("(error: context \"") + kContext + "\" does not exist)"),
            std::string::npos)
      << call.error;
}

TEST_F(KubectlPreflightTest, AMissingNamespaceIsRefused) {
  kubectl.rule({"version"}, {Json{{"stdout_file", "version.json"}}});
  kubectl.rule({"get", "namespace"}, {Json{{"stdout", ""}}});
  PluginCall call = preflight(roles({"apply"}));
  EXPECT_EQ(call.status, MI2_FAILED);
  EXPECT_EQ(call.error, std::string("namespace src-acme of instance src-1a2b3c does not exist in "
                                    "the cluster of context ") +
                            kContext +
                            "; set status.kubernetes.namespace in its config.yaml or "
                            "plugins.kubectl.namespace in mi2.yaml.");
}

TEST_F(KubectlPreflightTest, RenderAloneNeedsNoCluster) {
  PluginCall call = preflight(roles({"render"}));
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  EXPECT_EQ(call.output, (Json{{"kubectl", "v1.32.4"}}));
  EXPECT_EQ(kubectl.argvs(), (std::vector<Argv>{{"kubectl", "version", "--client", "-o", "json"}}));
}

TEST_F(KubectlPreflightTest, AVersionThatCannotTagTheMigratorImageIsRefused) {
  PluginCall call = preflight(roles({"migrate"}), "4.1.0+build.7");
  EXPECT_EQ(call.status, MI2_FAILED);
  EXPECT_EQ(call.error,
            "the version '4.1.0+build.7' of instance src-1a2b3c cannot be the tag of the migrator "
            "image index.docker.io/sourcegraph/migrator; choose a release like 4.1.0.");
}

TEST_F(KubectlPreflightTest, NoKustomizationIsNamedForRender) {
  std::filesystem::remove(fleet.kustomization());
  PluginCall call = preflight(roles({"render"}));
  EXPECT_EQ(call.status, MI2_FAILED);
  EXPECT_NE(call.error.find("instance src-1a2b3c has no kustomization.yaml"), std::string::npos)
      << call.error;
}

}  // namespace
}  // namespace mi2::test
