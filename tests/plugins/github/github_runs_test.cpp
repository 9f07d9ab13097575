// The github plugin's CI runs against the stateful fake GitHub on 127.0.0.1:
// each dispatch finds its own run (by the id GitHub returns, else by the
// dispatch id its run-name echoes), runs move through their states, a lost
// reply is reported as uncertain, and the CI run link comes from GitHub's
// own variables.
#include <gtest/gtest.h>

#include <mi2/sdk/fake_host.hpp>

#include <cstdlib>
#include <set>
#include <thread>

#include "github/github_plugin.h"
#include "tests/plugins/forge_support/fake_forge_server.h"

namespace mi2::test {
namespace {

using github::GitHubPlugin;

const char* kRunsToken = "fake-gh-runs-token-42";
const char* kRunName = "Upgrade ${{ inputs.customer }} [${{ inputs.mi2_dispatch_id }}]";

struct RunsOutcome {
  mi2_status status = MI2_FAILED;
  Json output;
  std::string error;
};

class GitHubRunsTest : public ::testing::Test {
 protected:
  GitHubRunsTest() : server(FakeForgeServer::Kind::kGitHub, kRunsToken) {
    server.add_repository("acme/deployments");
    server.set_run_name(kRunName);
    unsetenv("GITHUB_TOKEN");
    unsetenv("GH_TOKEN");
  }

  Json config(Json extra = Json::object()) {
    Json c = {{"repository", "acme/deployments"},
              {"api_url", server.api_url()},
              {"token", kRunsToken},
              {"backoff_base_ms", 1},
              {"run_lookup_wait_ms", 5},
              {"run_lookup_attempts", 5}};
    c.update(extra);
    return c;
  }

  RunsOutcome invoke(const std::string& action, const Json& params, Json extra = Json::object()) {
    sdk::FakeHost fake;
    fake.on_http = send_over_loopback;
    RunsOutcome outcome;
    try {
      GitHubPlugin plugin(fake.host(), config(extra).dump());
      Json input = {{"params", params}};
      outcome.output = Json::parse(plugin.invoke("vcs", action, input.dump()));
      outcome.status = MI2_OK;
    } catch (const sdk::Error& e) {
      outcome.status = e.status();
      outcome.error = e.what();
      if (!e.output().empty()) outcome.output = Json::parse(e.output());
    }
    return outcome;
  }

  RunsOutcome dispatch(const std::string& customer, const std::string& id, Json extra = {}) {
    return invoke("dispatch-workflow",
                  {{"workflow", "mi_upgrade.yml"},
                   {"ref", "main"},
                   {"dispatch_id", id},
                   {"inputs", {{"customer", customer}, {"environment", "prod"}}}},
                  extra.is_null() ? Json::object() : extra);
  }

  // The run the fake started for `customer`.
  Json run_of(const std::string& customer) {
    for (const auto& run : server.runs())
      if (run["inputs"].value("customer", "") == customer) return run;
    return nullptr;
  }

  FakeForgeServer server;
};

TEST_F(GitHubRunsTest, DispatchUsesTheRunIdGitHubReturns) {
  RunsOutcome out = dispatch("acme", "wf-1-src-a1");
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  auto posts = server.requests_to("POST", "/repos/acme/deployments/actions/workflows/");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_TRUE(posts[0].json()["return_run_details"].get<bool>());
  EXPECT_EQ(posts[0].json()["inputs"]["mi2_dispatch_id"], "wf-1-src-a1");
  Json run = run_of("acme");
  EXPECT_TRUE(out.output["found"].get<bool>());
  EXPECT_TRUE(out.output["dispatched"].get<bool>());
  EXPECT_EQ(out.output["run_id"], run["id"]);
  EXPECT_EQ(out.output["url"], run["html_url"]);
  EXPECT_EQ(out.output["state"], "queued");
  // No runs list was needed.
  EXPECT_TRUE(server.requests_to("GET", "/repos/acme/deployments/actions/workflows/").empty());
}

// Older GitHub (204): several dispatches in flight at once each find their
// own run by the dispatch id in its run-name, never a neighbour's.
TEST_F(GitHubRunsTest, ConcurrentDispatchesEachFindTheirOwnRun) {
  server.set_return_run_details(false);
  server.set_run_listing_delay(2);
  const std::vector<std::string> customers = {"acme", "globex", "initech", "umbrella"};
  std::vector<RunsOutcome> outcomes(customers.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < customers.size(); ++i)
    threads.emplace_back(
        [&, i] { outcomes[i] = dispatch(customers[i], "wf-2-src-" + std::to_string(i)); });
  for (auto& t : threads) t.join();
  std::set<std::string> urls;
  for (size_t i = 0; i < customers.size(); ++i) {
    ASSERT_EQ(outcomes[i].status, MI2_OK) << outcomes[i].error;
    EXPECT_TRUE(outcomes[i].output["found"].get<bool>()) << customers[i];
    EXPECT_EQ(outcomes[i].output["url"], run_of(customers[i])["html_url"]) << customers[i];
    urls.insert(outcomes[i].output["url"].get<std::string>());
  }
  EXPECT_EQ(urls.size(), customers.size());
}

TEST_F(GitHubRunsTest, AnUnlistedRunIsNotFoundRatherThanAnothersRun) {
  server.set_return_run_details(false);
  ASSERT_EQ(dispatch("acme", "wf-3-src-a1").status, MI2_OK);
  server.set_run_listing_delay(1000);  // the next run never shows within the deadline
  RunsOutcome out = dispatch("acme", "wf-3-src-a10");
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  EXPECT_TRUE(out.output["dispatched"].get<bool>());
  EXPECT_FALSE(out.output["found"].get<bool>());
  EXPECT_TRUE(out.output["run_id"].is_null());
  EXPECT_EQ(out.output["url"].get<std::string>().find("/actions/runs/"), std::string::npos)
      << out.output;
  EXPECT_NE(out.output["url"].get<std::string>().find("/actions/workflows/mi_upgrade.yml"),
            std::string::npos);
}

TEST_F(GitHubRunsTest, RunStatusMovesThroughItsStatesToItsConclusion) {
  server.set_final_state_for("globex", "completed:failure");
  RunsOutcome a = dispatch("acme", "wf-4-src-a1");
  RunsOutcome g = dispatch("globex", "wf-4-src-b2");
  ASSERT_EQ(a.status, MI2_OK) << a.error;
  ASSERT_EQ(g.status, MI2_OK) << g.error;
  std::vector<std::string> seen_a, seen_g;
  for (int i = 0; i < 4; ++i) {
    for (auto* pair : {&a, &g}) {
      RunsOutcome s = invoke("workflow-run-status", {{"workflow", "mi_upgrade.yml"},
                                                     {"run_id", pair->output["run_id"]},
                                                     {"dispatch_id", "x"}});
      ASSERT_EQ(s.status, MI2_OK) << s.error;
      EXPECT_EQ(s.output["url"], pair->output["url"]);
      (pair == &a ? seen_a : seen_g).push_back(s.output["state"]);
    }
  }
  EXPECT_EQ(seen_a, (std::vector<std::string>{"queued", "in_progress", "success", "success"}));
  EXPECT_EQ(seen_g, (std::vector<std::string>{"queued", "in_progress", "failure", "failure"}));
}

TEST_F(GitHubRunsTest, RunStatusFindsARunByItsDispatchIdAlone) {
  server.set_return_run_details(false);
  server.set_run_listing_delay(1000);
  ASSERT_EQ(dispatch("acme", "wf-5-src-a1").status, MI2_OK);
  RunsOutcome missing = invoke("workflow-run-status",
                               {{"workflow", "mi_upgrade.yml"}, {"dispatch_id", "wf-5-src-a1"}});
  ASSERT_EQ(missing.status, MI2_OK) << missing.error;
  EXPECT_FALSE(missing.output["found"].get<bool>());
  server.set_run_listing_delay(0);
  ASSERT_EQ(dispatch("globex", "wf-5-src-b2").status, MI2_OK);
  RunsOutcome found = invoke("workflow-run-status",
                             {{"workflow", "mi_upgrade.yml"}, {"dispatch_id", "wf-5-src-b2"}});
  ASSERT_EQ(found.status, MI2_OK) << found.error;
  EXPECT_TRUE(found.output["found"].get<bool>());
  EXPECT_EQ(found.output["run_id"], run_of("globex")["id"]);
}

TEST_F(GitHubRunsTest, ALostReplyIsUncertainAndNotRetried) {
  server.inject("POST", "/repos/acme/deployments/actions/workflows/", 502, {}, "{}", 1, true);
  RunsOutcome out = dispatch("acme", "wf-6-src-a1");
  EXPECT_EQ(out.status, MI2_FAILED);
  EXPECT_EQ(out.output["dispatched"], "unknown");
  EXPECT_NE(out.error.find("may have started"), std::string::npos) << out.error;
  EXPECT_EQ(server.runs().size(), 1u);
  EXPECT_EQ(server.requests_to("POST", "/repos/acme/deployments/actions/").size(), 1u);
}

TEST_F(GitHubRunsTest, ARefusedDispatchIsKnownNotDispatchedAndNamesTheMissingInput) {
  server.set_workflow_inputs("mi_upgrade.yml", {"customer", "environment"});
  RunsOutcome out = dispatch("acme", "wf-7-src-a1");
  EXPECT_EQ(out.status, MI2_FAILED);
  EXPECT_EQ(out.output["dispatched"], false);
  EXPECT_NE(out.error.find("422"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("must declare the input 'mi2_dispatch_id'"), std::string::npos)
      << out.error;
  EXPECT_TRUE(server.runs().empty());
  // Without the input, the dispatch goes through (and its run is found by the id GitHub gives).
  RunsOutcome plain = dispatch("acme", "wf-7-src-a1", {{"dispatch_id_input", ""}});
  ASSERT_EQ(plain.status, MI2_OK) << plain.error;
  EXPECT_TRUE(plain.output["found"].get<bool>());
}

TEST_F(GitHubRunsTest, RunLinkComesFromGitHubActionsVariables) {
  setenv("GITHUB_SERVER_URL", "https://github.example", 1);
  setenv("GITHUB_REPOSITORY", "acme/deployments", 1);
  setenv("GITHUB_RUN_ID", "991", 1);
  setenv("CI_JOB_URL", "https://gitlab.example/job/1", 1);
  RunsOutcome in_ci = invoke("run-link", Json::object());
  unsetenv("GITHUB_RUN_ID");
  RunsOutcome outside = invoke("run-link", Json::object());
  unsetenv("GITHUB_SERVER_URL");
  unsetenv("GITHUB_REPOSITORY");
  unsetenv("CI_JOB_URL");
  ASSERT_EQ(in_ci.status, MI2_OK) << in_ci.error;
  EXPECT_EQ(in_ci.output["url"], "https://github.example/acme/deployments/actions/runs/991");
  ASSERT_EQ(outside.status, MI2_OK) << outside.error;
  EXPECT_TRUE(outside.output["url"].is_null()) << outside.output;
}

TEST_F(GitHubRunsTest, SharedConfigKeysAreCheckedWithTheirNames) {
  RunsOutcome out = invoke("run-link", Json::object(), {{"run_lookup_attempts", "many"}});
  EXPECT_EQ(out.status, MI2_INVALID_INPUT);
  EXPECT_NE(out.error.find("plugins.github.run_lookup_attempts"), std::string::npos) << out.error;
  RunsOutcome labels = invoke("run-link", Json::object(), {{"tracking_labels", 7}});
  EXPECT_NE(labels.error.find("plugins.github.tracking_labels"), std::string::npos) << labels.error;
}

}  // namespace
}  // namespace mi2::test
