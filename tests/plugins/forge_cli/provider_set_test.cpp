// The built plugins loaded in-process by core's PluginLoader/ProviderSet and
// served by the real host (curl, redactor, observer) against a fake forge on
// 127.0.0.1: what the journal sees is every request, never the token.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdlib>

#include "core/fleet/fleet_config.h"
#include "core/host/plugin_loader.h"
#include "core/host/providers.h"
#include "tests/plugins/forge_support/fake_forge_server.h"

namespace mi2::test {
namespace {

using Kind = FakeForgeServer::Kind;

const char* kProviderSetToken = "provider-set-SECRET-token-7";

class RecordingObserver : public StepObserver {
 public:
  void on_command(const std::string& plugin, const std::string& kind, const Json& record) override {
    commands.push_back({{"plugin", plugin}, {"kind", kind}, {"record", record}});
  }
  void on_log(const std::string& plugin, mi2_log_level, const std::string& message) override {
    logs.push_back(plugin + ": " + message);
  }
  std::vector<Json> commands;
  std::vector<std::string> logs;
};

class ProviderSetForgeTest : public ::testing::TestWithParam<Kind> {
 protected:
  ProviderSetForgeTest() : server(GetParam(), kProviderSetToken) {
    server.add_repository("acme/deployments");
    github = GetParam() == Kind::kGitHub;
    name = github ? "github" : "gitlab";
    setenv(github ? "GITHUB_TOKEN" : "GITLAB_TOKEN", kProviderSetToken, 1);
    config.roles["vcs"] = {name};
    config.plugin_config[name] = {{github ? "repository" : "project", "acme/deployments"},
                                  {"api_url", server.api_url()},
                                  {"backoff_base_ms", 1}};
  }
  ~ProviderSetForgeTest() override {
    unsetenv("GITHUB_TOKEN");
    unsetenv("GITLAB_TOKEN");
  }

  InvokeResult invoke(const std::string& action, const Json& params, bool dry_run = false) {
    PluginLoader loader({MI2_BUILD_PLUGIN_DIR});
    auto set = ProviderSet::open(config, loader, default_host_environment(), {"vcs"});
    EXPECT_TRUE(set.ok()) << set.message();
    if (!set) return {};
    auto vcs = (*set)->first("vcs");
    EXPECT_TRUE(vcs.ok()) << vcs.message();
    CallSettings settings;
    settings.dry_run = dry_run;
    settings.observer = &observer;
    return ProviderSet::invoke(**vcs, "vcs", action,
                               {{"step", "test"}, {"dry_run", dry_run}, {"params", params}},
                               settings);
  }

  void expect_no_token_recorded() {
    for (const auto& command : observer.commands)
      EXPECT_EQ(command.dump().find(kProviderSetToken), std::string::npos) << command.dump();
    for (const auto& line : observer.logs)
      EXPECT_EQ(line.find(kProviderSetToken), std::string::npos) << line;
  }

  FakeForgeServer server;
  bool github = true;
  std::string name;
  FleetConfig config;
  RecordingObserver observer;
};

TEST_P(ProviderSetForgeTest, RealHostSendsAuthAndRecordsEveryRequestWithoutTheToken) {
  server.seed_pull("acme/deployments", "acme/upgrade-instance", "acme: upgrade to 4.1.0",
                   {"mi-upgrade"});
  std::string list_path = github ? "/repos/acme/deployments/pulls"
                                 : "/api/v4/projects/acme%2Fdeployments/merge_requests";
  server.inject("GET", list_path, 502, {}, "bad gateway");  // retried, and logged as a warning
  InvokeResult result = invoke("pr-list", {{"label", "mi-upgrade"}});
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_EQ(result.output["prs"].size(), 1u);
  EXPECT_EQ(result.output["prs"][0]["title"], "acme: upgrade to 4.1.0");

  auto requests = server.requests_to("GET", list_path);
  ASSERT_EQ(requests.size(), 2u);
  if (github) {
    EXPECT_EQ(requests[1].header("authorization"), std::string("Bearer ") + kProviderSetToken);
    EXPECT_EQ(requests[1].header("x-github-api-version"), "2022-11-28");
    EXPECT_EQ(requests[1].header("accept"), "application/vnd.github+json");
  } else {
    EXPECT_EQ(requests[1].header("private-token"), kProviderSetToken);
  }
  EXPECT_EQ(requests[1].header("user-agent"), "mi2/0.1.0");

  ASSERT_EQ(observer.commands.size(), 2u);
  EXPECT_EQ(observer.commands[0]["kind"], "http");
  EXPECT_EQ(observer.commands[0]["record"]["status"], 502);
  EXPECT_EQ(observer.commands[1]["record"]["status"], 200);
  EXPECT_EQ(observer.commands[1]["record"]["method"], "GET");
  EXPECT_FALSE(observer.logs.empty());  // the retry warning
  expect_no_token_recorded();
}

TEST_P(ProviderSetForgeTest, DryRunRecordsTheMutatingRequestAndSendsNothing) {
  InvokeResult result = invoke("tracking-issue",
                               {{"version", "4.1.0"},
                                {"environment", "prod"},
                                {"title", "Upgrade prod to 4.1.0"},
                                {"body", "- [ ] acme (src-1)\n"},
                                {"labels", {"team/cloud"}}},
                               true);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_TRUE(result.output["dry_run"].get<bool>());
  EXPECT_TRUE(server.issues().empty());
  for (const auto& r : server.requests()) EXPECT_EQ(r.method, "GET");
  bool planned_post = false;
  for (const auto& command : observer.commands)
    planned_post |=
        command["record"]["method"] == "POST" && command["record"].value("skipped_dry_run", false);
  EXPECT_TRUE(planned_post);
  expect_no_token_recorded();
}

INSTANTIATE_TEST_SUITE_P(Forges, ProviderSetForgeTest,
                         ::testing::Values(Kind::kGitHub, Kind::kGitLab), [](const auto& info) {
                           return std::string(info.param == Kind::kGitHub ? "github" : "gitlab");
                         });

}  // namespace
}  // namespace mi2::test
