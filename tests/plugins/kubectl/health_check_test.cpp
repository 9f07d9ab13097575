// healthcheck.check against the scripted kubectl's pod lists and a scripted
// HTTP answer for /__version.
#include <gtest/gtest.h>

#include "tests/plugins/kubectl/scripted_kubectl.h"

namespace mi2::test {
namespace {

class KubectlHealthCheckTest : public ::testing::Test {
 protected:
  PluginCall pods_health(const std::string& fixture, const std::string& config = "{}") {
    kubectl.rule({"get", "pods"}, {Json{{"stdout_file", fixture}}});
    auto plugin = make_plugin(kubectl, config);
    return plugin->invoke("healthcheck", "check", fleet.input({{"checks", {"pods-health"}}}));
  }
  const Json& only_check(const PluginCall& call) { return call.output["checks"][0]; }

  ScriptedKubectl kubectl;
  SampleFleet fleet;
};

TEST_F(KubectlHealthCheckTest, HealthyPodsAndACompletedJobPass) {
  PluginCall call = pods_health("pods-healthy.json");
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  EXPECT_TRUE(call.output["ok"]);
  EXPECT_EQ(only_check(call)["name"], "pods-health");
  EXPECT_EQ(only_check(call)["summary"], "3 pods healthy in namespace src-acme");
  EXPECT_EQ(kubectl.argvs(), std::vector<Argv>{kubectl_argv({"get", "pods", "-o", "json"})});
}

TEST_F(KubectlHealthCheckTest, CrashLoopBackOffFailsNamingPodAndContainer) {
  PluginCall call = pods_health("pods-crashloop.json");
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  EXPECT_FALSE(call.output["ok"]);
  const Json& details = only_check(call)["details"];
  ASSERT_EQ(details.size(), 1u);
  EXPECT_EQ(details[0]["pod"], "searcher-6f7d8-abcde");
  EXPECT_EQ(details[0]["container"], "searcher");
  EXPECT_EQ(details[0]["reason"], "CrashLoopBackOff");
  EXPECT_EQ(only_check(call)["summary"],
            "1 of 2 pods unhealthy in namespace src-acme: searcher-6f7d8-abcde/searcher "
            "CrashLoopBackOff");
}

TEST_F(KubectlHealthCheckTest, ImagePullBackOffFailsEvenWithinTheGracePeriod) {
  PluginCall call = pods_health("pods-imagepull.json");
  ASSERT_EQ(call.status, MI2_OK);
  const Json& details = only_check(call)["details"];
  ASSERT_EQ(details.size(), 1u);
  EXPECT_EQ(details[0]["reason"], "ImagePullBackOff");
  EXPECT_EQ(details[0]["container"], "frontend");
  EXPECT_NE(details[0]["message"].get<std::string>().find("frontend:9.9.9"), std::string::npos);
}

TEST_F(KubectlHealthCheckTest, RecentOomKillFailsAndAnOldRestartDoesNot) {
  PluginCall call = pods_health("pods-oomkilled.json");
  ASSERT_EQ(call.status, MI2_OK);
  EXPECT_FALSE(call.output["ok"]);
  const Json& details = only_check(call)["details"];
  ASSERT_EQ(details.size(), 1u);
  EXPECT_EQ(details[0]["pod"], "zoekt-webserver-0");
  EXPECT_EQ(details[0]["container"], "zoekt-webserver");
  EXPECT_EQ(details[0]["reason"], "OOMKilled");
}

TEST_F(KubectlHealthCheckTest, RestartOutsideAShortWindowPasses) {
  PluginCall call = pods_health("pods-oomkilled.json", R"({"restart_window_s": 60})");
  ASSERT_EQ(call.status, MI2_OK);
  EXPECT_TRUE(call.output["ok"]) << call.output.dump();
}

TEST_F(KubectlHealthCheckTest, PendingPastTheGracePeriodFailsAndAFreshOneDoesNot) {
  PluginCall call = pods_health("pods-pending.json");
  ASSERT_EQ(call.status, MI2_OK);
  const Json& details = only_check(call)["details"];
  ASSERT_EQ(details.size(), 1u) << details.dump();
  EXPECT_EQ(details[0]["pod"], "gitserver-1");
  EXPECT_EQ(details[0]["reason"], "Pending");
  EXPECT_NE(details[0]["message"].get<std::string>().find("Insufficient memory"),
            std::string::npos);
}

TEST_F(KubectlHealthCheckTest, NoPodsIsNotHealthy) {
  PluginCall call = pods_health("pods-empty.json");
  ASSERT_EQ(call.status, MI2_OK);
  EXPECT_FALSE(call.output["ok"]);
  EXPECT_EQ(only_check(call)["summary"], "no pods in namespace src-acme");
}

TEST_F(KubectlHealthCheckTest, UnreachableClusterMeansTheCheckCouldNotRun) {
  kubectl.rule(
      {"get", "pods"},
      {Json{{"exit", 1},
            {"stderr", "Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout\n"}}});
  auto plugin = make_plugin(kubectl, "{}");
  PluginCall call =
      plugin->invoke("healthcheck", "check", fleet.input({{"checks", {"pods-health"}}}));
  EXPECT_EQ(call.status, MI2_FAILED);
  EXPECT_NE(call.error.find("failed for instance src-1a2b3c: Unable to connect"), std::string::npos)
      << call.error;
}

TEST_F(KubectlHealthCheckTest, ApplicationVersionComparesTheRemoteVersion) {
  auto plugin = make_plugin(kubectl, "{}");
  plugin->fake.on_http = [](const sdk::HttpRequest&) {
    return sdk::HttpResponse{200, {}, "4.1.0\n", false};
  };
  PluginCall call = plugin->invoke("healthcheck", "check",
                                   fleet.input({{"checks", {"src-application-version"}}}));
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  EXPECT_TRUE(call.output["ok"]);
  ASSERT_EQ(plugin->fake.http_calls.size(), 1u);
  EXPECT_EQ(plugin->fake.http_calls[0].method, "GET");
  EXPECT_EQ(plugin->fake.http_calls[0].url, "https://acme.sourcegraphcloud.com/__version");
  EXPECT_FALSE(plugin->fake.http_calls[0].mutating);
}

TEST_F(KubectlHealthCheckTest, ApplicationVersionMismatchFails) {
  auto plugin = make_plugin(kubectl, "{}");
  plugin->fake.on_http = [](const sdk::HttpRequest&) {
    return sdk::HttpResponse{200, {}, "4.0.0", false};
  };
  PluginCall call = plugin->invoke("healthcheck", "check",
                                   fleet.input({{"checks", {"src-application-version"}}}));
  ASSERT_EQ(call.status, MI2_OK);
  EXPECT_FALSE(call.output["ok"]);
  EXPECT_EQ(call.output["checks"][0]["summary"],
            "remote version 4.0.0 is not spec.sourcegraphVersion 4.1.0");
}

TEST_F(KubectlHealthCheckTest, ApplicationVersionFallsBackToKubectlExec) {
  auto plugin = make_plugin(kubectl, R"({"version_exec_fallback": true,
                                        "version_url": "https://{slug}.example.test/__version"})");
  plugin->fake.on_http = [](const sdk::HttpRequest&) {
    return sdk::HttpResponse{502, {}, "bad gateway", false};
  };
  kubectl.rule({"exec"}, {Json{{"stdout", "4.1.0"}}});
  PluginCall call = plugin->invoke("healthcheck", "check",
                                   fleet.input({{"checks", {"src-application-version"}}}));
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  EXPECT_TRUE(call.output["ok"]) << call.output.dump();
  EXPECT_EQ(plugin->fake.http_calls[0].url, "https://acme.example.test/__version");
  EXPECT_EQ(kubectl.argvs(), std::vector<Argv>{kubectl_argv(
                                 {"exec", "deploy/sourcegraph-frontend", "-c", "frontend", "--",
                                  "wget", "-q", "-O", "-", "http://127.0.0.1:3080/__version"})});
}

TEST_F(KubectlHealthCheckTest, NoNamesRunsBothChecks) {
  auto plugin = make_plugin(kubectl, "{}");
  kubectl.rule({"get", "pods"}, {Json{{"stdout_file", "pods-healthy.json"}}});
  plugin->fake.on_http = [](const sdk::HttpRequest&) {
    return sdk::HttpResponse{200, {}, "4.1.0", false};
  };
  PluginCall call = plugin->invoke("healthcheck", "check", fleet.input());
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  ASSERT_EQ(call.output["checks"].size(), 2u);
  EXPECT_TRUE(call.output["ok"]);
}

TEST_F(KubectlHealthCheckTest, UnknownCheckIsInvalidInput) {
  auto plugin = make_plugin(kubectl, "{}");
  PluginCall call = plugin->invoke("healthcheck", "check", fleet.input({{"checks", {"smtp"}}}));
  EXPECT_EQ(call.status, MI2_INVALID_INPUT);
  EXPECT_NE(call.error.find("no check named 'smtp'"), std::string::npos);
}

TEST(KubectlPluginConfig, WrongTypeNamesTheKey) {
  KubectlDriver plugin(R"({"rollout_timeout_s": "ten"})");
  EXPECT_EQ(plugin.create_status, MI2_INVALID_INPUT);
  EXPECT_EQ(plugin.create_error,
            "plugins.kubectl.rollout_timeout_s in mi2.yaml must be an integer (got \"ten\").");
  KubectlDriver typo(R"({"rollout_timeout": 600})");
  EXPECT_EQ(typo.create_status, MI2_INVALID_INPUT);
  EXPECT_NE(typo.create_error.find("plugins.kubectl.rollout_timeout in mi2.yaml is not an option"),
            std::string::npos)
      << typo.create_error;
  KubectlDriver helm(R"({"enable_helm": 1})");
  EXPECT_EQ(helm.create_error,
            "plugins.kubectl.enable_helm in mi2.yaml must be auto, true or false (got 1).");
  EXPECT_EQ(KubectlDriver(R"({"enable_helm": false})").create_status, MI2_OK);
}

TEST(KubectlPluginConfig, DescribeListsRolesChecksAndSchema) {
  Json d = KubectlDriver().describe();
  EXPECT_EQ(d["name"], "kubectl");
  EXPECT_EQ(d["roles"]["apply"], Json::array({"apply", "rollback", "workon"}));
  EXPECT_EQ(d["checks"], Json::array({"pods-health", "src-application-version"}));
  EXPECT_TRUE(d["config_schema"]["properties"].contains("rollout_timeout_s"));
  EXPECT_TRUE(d["config_schema"]["properties"]["migrator_env"]["sensitive"]);
}

}  // namespace
}  // namespace mi2::test
