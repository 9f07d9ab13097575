// The gitlab plugin's pipelines against the stateful fake GitLab on
// 127.0.0.1: the create call's pipeline id is the run's, pipelines move
// through their states, one whose reply was lost is found again by its
// MI2_DISPATCH_ID variable, and the CI run link is GitLab's job URL.
#include <gtest/gtest.h>

#include <mi2/sdk/fake_host.hpp>

#include <cstdlib>
#include <set>
#include <thread>

#include "gitlab/gitlab_plugin.h"
#include "tests/plugins/forge_support/fake_forge_server.h"

namespace mi2::test {
namespace {

using gitlab::GitLabPlugin;

const char* kRunsToken = "fake-gl-runs-token-77";

struct RunsOutcome {
  mi2_status status = MI2_FAILED;
  Json output;
  std::string error;
};

class GitLabRunsTest : public ::testing::Test {
 protected:
  GitLabRunsTest() : server(FakeForgeServer::Kind::kGitLab, kRunsToken) {
    server.add_repository("acme/deployments");
    unsetenv("GITLAB_TOKEN");
  }

  RunsOutcome invoke(const std::string& action, const Json& params, Json extra = Json::object()) {
    sdk::FakeHost fake;
    fake.on_http = send_over_loopback;
    Json config = {{"project", "acme/deployments"},
                   {"api_url", server.api_url()},
                   {"token", kRunsToken},
                   {"backoff_base_ms", 1}};
    config.update(extra);
    RunsOutcome outcome;
    try {
      GitLabPlugin plugin(fake.host(), config.dump());
      outcome.output = Json::parse(plugin.invoke("vcs", action, Json{{"params", params}}.dump()));
      outcome.status = MI2_OK;
    } catch (const sdk::Error& e) {
      outcome.status = e.status();
      outcome.error = e.what();
      if (!e.output().empty()) outcome.output = Json::parse(e.output());
    }
    return outcome;
  }

  RunsOutcome dispatch(const std::string& customer, const std::string& id) {
    return invoke("dispatch-workflow", {{"workflow", "mi_upgrade"},
                                        {"ref", "main"},
                                        {"dispatch_id", id},
                                        {"inputs", {{"customer", customer}}}});
  }

  Json status(const Json& params) {
    RunsOutcome out = invoke("workflow-run-status", params);
    EXPECT_EQ(out.status, MI2_OK) << out.error;
    return out.output;
  }

  FakeForgeServer server;
};

TEST_F(GitLabRunsTest, ThePipelineIdComesFromTheCreateCall) {
  std::vector<RunsOutcome> outcomes(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      outcomes[i] = dispatch("c" + std::to_string(i), "wf-1-src-" + std::to_string(i));
    });
  for (auto& t : threads) t.join();
  std::set<int64_t> ids;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(outcomes[i].status, MI2_OK) << outcomes[i].error;
    EXPECT_TRUE(outcomes[i].output["found"].get<bool>());
    int64_t id = outcomes[i].output["run_id"].get<int64_t>();
    ids.insert(id);
    for (const auto& run : server.runs())
      if (run["id"] == id) {
        EXPECT_EQ(outcomes[i].output["url"], run["web_url"]);
        Json expected = {{"key", "MI2_DISPATCH_ID"}, {"value", "wf-1-src-" + std::to_string(i)}};
        EXPECT_EQ(run["variables"][1], expected);
      }
  }
  EXPECT_EQ(ids.size(), 4u);
  // No pipeline list was needed to find them.
  EXPECT_TRUE(server.requests_to("GET", "/api/v4/projects/acme%2Fdeployments/pipelines").empty());
}

TEST_F(GitLabRunsTest, PipelinesMoveThroughTheirStates) {
  server.set_run_states({"created", "pending", "running", "success"});
  server.set_final_state_for("globex", "failed");
  RunsOutcome a = dispatch("acme", "wf-2-src-a1");
  RunsOutcome g = dispatch("globex", "wf-2-src-b2");
  ASSERT_EQ(a.status, MI2_OK) << a.error;
  EXPECT_EQ(a.output["state"], "queued");
  std::vector<std::string> seen_a, seen_g;
  for (int i = 0; i < 4; ++i) {
    seen_a.push_back(status({{"workflow", "mi_upgrade"},
                             {"run_id", a.output["run_id"]},
                             {"dispatch_id", "wf-2-src-a1"}})["state"]);
    seen_g.push_back(status({{"workflow", "mi_upgrade"},
                             {"run_id", g.output["run_id"]},
                             {"dispatch_id", "wf-2-src-b2"}})["state"]);
  }
  EXPECT_EQ(seen_a, (std::vector<std::string>{"queued", "queued", "in_progress", "success"}));
  EXPECT_EQ(seen_g, (std::vector<std::string>{"queued", "queued", "in_progress", "failure"}));
}

TEST_F(GitLabRunsTest, ALostReplyIsUncertainAndItsPipelineIsFoundByItsDispatchId) {
  ASSERT_EQ(dispatch("acme", "wf-3-src-a1").status, MI2_OK);
  server.inject("POST", "/api/v4/projects/acme%2Fdeployments/pipeline", 502, {}, "{}", 1, true);
  RunsOutcome lost = dispatch("globex", "wf-3-src-b2");
  EXPECT_EQ(lost.status, MI2_FAILED);
  EXPECT_EQ(lost.output["dispatched"], "unknown");
  EXPECT_EQ(server.runs().size(), 2u);  // it did start, and only once
  Json found = status({{"workflow", "mi_upgrade"}, {"dispatch_id", "wf-3-src-b2"}});
  EXPECT_TRUE(found["found"].get<bool>());
  EXPECT_EQ(found["run_id"], server.runs()[1]["id"]);
  Json none = status({{"workflow", "mi_upgrade"}, {"dispatch_id", "wf-3-src-zz"}});
  EXPECT_FALSE(none["found"].get<bool>());
  EXPECT_NE(none["url"].get<std::string>().find("/-/pipelines"), std::string::npos);
}

TEST_F(GitLabRunsTest, ARefusedPipelineIsKnownNotDispatched) {
  server.inject("POST", "/api/v4/projects/acme%2Fdeployments/pipeline", 400, {},
                R"({"message":{"base":["Reference not found"]}})");
  RunsOutcome out = dispatch("acme", "wf-4-src-a1");
  EXPECT_EQ(out.status, MI2_FAILED);
  EXPECT_EQ(out.output["dispatched"], false);
  EXPECT_TRUE(server.runs().empty());
}

TEST_F(GitLabRunsTest, RunLinkIsTheJobUrlNeverGitHubs) {
  setenv("GITHUB_SERVER_URL", "https://github.example", 1);
  setenv("GITHUB_REPOSITORY", "acme/deployments", 1);
  setenv("GITHUB_RUN_ID", "991", 1);
  RunsOutcome github_only = invoke("run-link", Json::object());
  setenv("CI_JOB_URL", "https://gitlab.example/acme/deployments/-/jobs/5", 1);
  RunsOutcome in_ci = invoke("run-link", Json::object());
  for (const char* name : {"GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID", "CI_JOB_URL"})
    unsetenv(name);
  ASSERT_EQ(in_ci.status, MI2_OK) << in_ci.error;
  EXPECT_EQ(in_ci.output["url"], "https://gitlab.example/acme/deployments/-/jobs/5");
  EXPECT_TRUE(github_only.output["url"].is_null()) << github_only.output;
}

}  // namespace
}  // namespace mi2::test
