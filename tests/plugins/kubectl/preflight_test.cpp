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
    plugin = make_plugin(kubectl, config);
    plugin->fake.dry_run = dry_run;
    plugin->fake.on_http = registry;
    return plugin->invoke("apply", "preflight", fleet.input(params, target));
  }
  // The registry as Docker Hub answers a pull: 401 with a Bearer challenge,
  // an anonymous token from the realm, then the manifest (or 404).
  static sdk::HttpResponse docker_hub(const sdk::HttpRequest& r, bool has_tag) {
    const std::string manifest = "https://registry-1.docker.io/v2/sourcegraph/migrator/manifests/";
    if (r.url.rfind("https://auth.docker.io/token?", 0) == 0)
      return {200, {}, R"({"token":"anon-pull-TOKEN-1","expires_in":300})", false};
    if (r.url.rfind(manifest, 0) != 0) return {500, {}, "", false};
    bool authorized = false;
    for (const auto& [name, value] : r.headers)
      authorized |= name == "Authorization" && value == "Bearer anon-pull-TOKEN-1";
    if (!authorized)
      return {401,
              {{"www-authenticate",
                "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                "scope=\"repository:sourcegraph/migrator:pull\""}},
              R"({"errors":[{"code":"UNAUTHORIZED"}]})",
              false};
    if (!has_tag) return {404, {}, R"({"errors":[{"code":"MANIFEST_UNKNOWN"}]})", false};
    return {200, {{"content-type", "application/vnd.oci.image.index.v1+json"}}, "{}", false};
  }
  ScriptedKubectl kubectl;
  SampleFleet fleet;
  std::unique_ptr<KubectlDriver> plugin;
  bool dry_run = false;
  std::string config = "{}";
  std::function<sdk::HttpResponse(const sdk::HttpRequest&)> registry =
      [](const sdk::HttpRequest& r) { return docker_hub(r, true); };
};

TEST_F(KubectlPreflightTest, EveryRoleAsksKubectlTheClusterAndTheNamespaceReadOnly) {
  kubectl.rule({"version"}, {Json{{"stdout_file", "version.json"}}});
  kubectl.rule({"get", "namespace"}, {Json{{"stdout", "namespace/src-acme\n"}}});
  for (bool dry : {false, true}) {
    dry_run = dry;
    PluginCall call = preflight(roles({"healthcheck", "render", "backup", "migrate", "apply"}));
    ASSERT_EQ(call.status, MI2_OK) << call.error;
    EXPECT_EQ(call.output, (Json{{"kubectl", "v1.32.4"},
                                 {"migrator_image", "index.docker.io/sourcegraph/migrator:4.1.0"},
                                 {"context", kContext},
                                 {"server", "v1.31.6-gke.1020000"},
                                 {"namespace", "src-acme"}}));
    for (const auto& exec : plugin->fake.exec_calls) EXPECT_FALSE(exec.mutating);
    ASSERT_EQ(plugin->fake.http_calls.size(), 3u);
    for (const auto& http : plugin->fake.http_calls) EXPECT_FALSE(http.mutating);
    EXPECT_EQ(plugin->fake.http_calls[0].url,
              "https://registry-1.docker.io/v2/sourcegraph/migrator/manifests/4.1.0");
    EXPECT_EQ(
        plugin->fake.http_calls[1].url,
        "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Asourcegraph"
        "%2Fmigrator%3Apull");
    EXPECT_EQ(plugin->fake.http_calls[2].url, plugin->fake.http_calls[0].url);
    EXPECT_EQ(plugin->fake.secrets, std::vector<std::string>{"anon-pull-TOKEN-1"});
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

// #13 item 3: a version whose migrator image the registry does not have is
// refused before the bump (the tag is well formed, so only the registry knows).
TEST_F(KubectlPreflightTest, AMigratorImageTheRegistryDoesNotHaveIsRefused) {
  registry = [](const sdk::HttpRequest& r) { return docker_hub(r, false); };
  PluginCall call = preflight(roles({"migrate"}), "4.1.99");
  EXPECT_EQ(call.status, MI2_FAILED);
  EXPECT_EQ(call.error,
            "the migrator image index.docker.io/sourcegraph/migrator:4.1.99 of instance src-1a2b3c "
            "is not in its registry (GET "
            "https://registry-1.docker.io/v2/sourcegraph/migrator/manifests/4.1.99 answered HTTP "
            "404); choose a released version, or set plugins.kubectl.registry to where the images "
            "are.");
  EXPECT_TRUE(kubectl.argvs().size() == 1u) << "refused before the cluster is asked";
}

// A registry that cannot say (down, or wanting credentials mi2 has not got)
// is no reason to refuse: a warning says the image was not checked.
TEST_F(KubectlPreflightTest, ARegistryThatCannotSayIsAWarning) {
  config = R"({"registry": "registry.example.test/acme/sg"})";
  kubectl.rule({"version"}, {Json{{"stdout_file", "version.json"}}});
  kubectl.rule({"get", "namespace"}, {Json{{"stdout", "namespace/src-acme\n"}}});
  for (int status : {503, 401}) {
    registry = [status](const sdk::HttpRequest&) {
      return sdk::HttpResponse{status, {{"www-authenticate", "Basic realm=\"x\""}}, "", false};
    };
    PluginCall call = preflight(roles({"migrate"}));
    ASSERT_EQ(call.status, MI2_OK) << call.error;
    EXPECT_FALSE(call.output.contains("migrator_image"));
    ASSERT_EQ(plugin->fake.http_calls.size(), 1u);
    EXPECT_EQ(plugin->fake.http_calls[0].url,
              "https://registry.example.test/v2/acme/sg/migrator/manifests/4.1.0");
    bool warned = false;
    for (const auto& line : plugin->fake.logs)
      warned |= line.level == MI2_LOG_WARN &&
                line.message.find(
                    "could not check that the migrator image "
                    "registry.example.test/acme/sg/migrator:4.1.0 is in its registry") !=
                    std::string::npos;
    EXPECT_TRUE(warned) << status;
  }
}

TEST_F(KubectlPreflightTest, RegistryApiOffAsksNoRegistry) {
  config = R"({"registry_api": "off"})";
  kubectl.rule({"version"}, {Json{{"stdout_file", "version.json"}}});
  kubectl.rule({"get", "namespace"}, {Json{{"stdout", "namespace/src-acme\n"}}});
  PluginCall call = preflight(roles({"migrate"}));
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  EXPECT_TRUE(plugin->fake.http_calls.empty());
  EXPECT_FALSE(call.output.contains("migrator_image"));
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
