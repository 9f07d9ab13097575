// The github plugin driven through the SDK's FakeHost, whose http service
// forwards to a fake GitHub on 127.0.0.1 (real HTTP) and whose exec runs real git.
#include <gtest/gtest.h>

#include <mi2/sdk/fake_host.hpp>

#include <chrono>
#include <cstdlib>

#include "github/github_plugin.h"
#include "tests/plugins/forge_support/fake_forge_server.h"
#include "tests/plugins/forge_support/local_process.h"

namespace mi2::test {
namespace {

using github::GitHubPlugin;

const char* kToken = "fake-gh-test-token-0123456789";

struct Outcome {
  mi2_status status = MI2_FAILED;
  Json output;
  std::string error;
};

class GitHubPluginTest : public ::testing::Test {
 protected:
  GitHubPluginTest() : server(FakeForgeServer::Kind::kGitHub, kToken) {
    server.add_repository("acme/deployments");
    server.add_repository("acme/customer");
    fake.on_http = send_over_loopback;
    fake.on_exec = run_local;
    unsetenv("GITHUB_TOKEN");
    unsetenv("GH_TOKEN");
  }

  Json config(Json extra = Json::object()) {
    Json c = {{"repository", "acme/deployments"},
              {"tracking_repository", "acme/customer"},
              {"api_url", server.api_url()},
              {"token", kToken},
              {"backoff_base_ms", 1},
              {"max_retry_wait_ms", 3000},
              {"run_lookup_wait_ms", 10}};
    c.update(extra);
    return c;
  }

  Outcome invoke(const std::string& action, const Json& params, Json input = Json::object(),
                 Json extra_config = Json::object()) {
    Outcome outcome;
    try {
      GitHubPlugin plugin(fake.host(), config(extra_config).dump());
      input["params"] = params;
      outcome.output = Json::parse(plugin.invoke("vcs", action, input.dump()));
      outcome.status = MI2_OK;
    } catch (const sdk::Error& e) {
      outcome.status = e.status();
      outcome.error = e.what();
    } catch (const std::exception& e) {
      outcome.error = e.what();
    }
    return outcome;
  }

  Json issue_params() {
    return {{"version", "4.1.0"},
            {"environment", "prod"},
            {"title", "Upgrade prod to 4.1.0"},
            {"body", "- [ ] acme (src-1)\n- [ ] globex (src-2)\n"},
            {"labels", {"team/cloud"}}};
  }

  void expect_token_never_logged() {
    for (const auto& line : fake.logs)
      EXPECT_EQ(line.message.find(kToken), std::string::npos) << line.message;
  }

  FakeForgeServer server;
  sdk::FakeHost fake;
};

TEST_F(GitHubPluginTest, CreatesTrackingIssueWithGitHubHeadersAndBody) {
  Outcome out = invoke("tracking-issue", issue_params());
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  EXPECT_TRUE(out.output["issue"]["created"].get<bool>());
  EXPECT_NE(out.output["issue"]["url"].get<std::string>().find("/acme/customer/issues/"),
            std::string::npos);

  auto posts = server.requests_to("POST", "/repos/acme/customer/issues");
  ASSERT_EQ(posts.size(), 1u);
  const RecordedRequest& post = posts[0];
  EXPECT_EQ(post.header("authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(post.header("accept"), "application/vnd.github+json");
  EXPECT_EQ(post.header("x-github-api-version"), "2022-11-28");
  EXPECT_EQ(post.header("user-agent"), MI2_FORGE_USER_AGENT);
  EXPECT_EQ(post.header("content-type"), "application/json");
  EXPECT_EQ(post.json()["title"], "Upgrade prod to 4.1.0");
  EXPECT_EQ(post.json()["body"], "- [ ] acme (src-1)\n- [ ] globex (src-2)\n");
  EXPECT_EQ(post.json()["labels"], Json::array({"team/cloud"}));
  // The token was registered with the host's redactor, and never logged.
  ASSERT_FALSE(fake.secrets.empty());
  EXPECT_EQ(fake.secrets[0], kToken);
  expect_token_never_logged();
}

TEST_F(GitHubPluginTest, TrackingIssueIsFoundAcrossPagesInsteadOfDuplicated) {
  server.set_page_size(2);
  for (int i = 0; i < 4; ++i)
    server.seed_issue("acme/customer", "Other " + std::to_string(i), "", {"team/cloud"});
  Outcome first = invoke("tracking-issue", issue_params());
  ASSERT_EQ(first.status, MI2_OK) << first.error;
  for (int i = 0; i < 3; ++i)
    server.seed_issue("acme/customer", "Later " + std::to_string(i), "", {"team/cloud"});
  Outcome second = invoke("tracking-issue", issue_params());
  ASSERT_EQ(second.status, MI2_OK) << second.error;

  EXPECT_FALSE(second.output["issue"]["created"].get<bool>());
  EXPECT_EQ(second.output["issue"]["number"], first.output["issue"]["number"]);
  int matching = 0;
  for (const auto& issue : server.issues()) matching += issue["title"] == "Upgrade prod to 4.1.0";
  EXPECT_EQ(matching, 1);
  // The lookup walked the pages by the Link header, filtered by label.
  bool saw_page_two = false;
  for (const auto& r : server.requests_to("GET", "/repos/acme/customer/issues")) {
    EXPECT_EQ(r.query.at("labels"), "team/cloud");
    EXPECT_EQ(r.query.at("state"), "all");
    saw_page_two |= r.query.count("page") && r.query.at("page") == "2";
  }
  EXPECT_TRUE(saw_page_two);
}

TEST_F(GitHubPluginTest, TrackingIssueCheckTicksOnlyThatInstance) {
  server.seed_issue("acme/customer", "Upgrade prod to 4.1.0",
                    "Intro\n- [ ] acme (src-1)\n- [ ] globex (src-2)\n", {"team/cloud"});
  Outcome out =
      invoke("tracking-issue-check",
             {{"version", "4.1.0"}, {"title", "Upgrade prod to 4.1.0"}, {"instance", "src-2"}});
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  EXPECT_TRUE(out.output["checked"].get<bool>());
  auto patches = server.requests_to("PATCH", "/repos/acme/customer/issues/");
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0].json()["body"], "Intro\n- [ ] acme (src-1)\n- [x] globex (src-2)\n");
}

TEST_F(GitHubPluginTest, PrListFollowsPaginationAndFiltersByLabel) {
  server.set_page_size(2);
  server.seed_pull("acme/deployments", "a/upgrade-instance", "a: upgrade to 4.1.0", {"mi-upgrade"});
  server.seed_pull("acme/deployments", "other", "unrelated", {});
  server.seed_pull("acme/deployments", "b/upgrade-instance", "b: upgrade to 4.1.0", {"mi-upgrade"});
  server.seed_pull("acme/deployments", "c/upgrade-instance", "c: upgrade to 4.1.0",
                   {"mi-upgrade", "x"});
  server.seed_pull("acme/deployments", "more", "unrelated too", {"x"});

  Outcome out = invoke("pr-list", {{"label", "mi-upgrade"}, {"state", "open"}});
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  ASSERT_EQ(out.output["prs"].size(), 3u);
  EXPECT_EQ(out.output["prs"][0]["branch"], "a/upgrade-instance");
  EXPECT_EQ(out.output["prs"][2]["title"], "c: upgrade to 4.1.0");
  EXPECT_EQ(server.requests_to("GET", "/repos/acme/deployments/pulls").size(), 3u);
}

TEST_F(GitHubPluginTest, ViewApproveAndSquashMerge) {
  Json pull =
      server.seed_pull("acme/deployments", "a/upgrade-instance", "a: upgrade", {"mi-upgrade"});
  int64_t n = pull["number"];
  Outcome view = invoke("pr-view", {{"number", n}});
  ASSERT_EQ(view.status, MI2_OK) << view.error;
  EXPECT_EQ(view.output["pr"]["title"], "a: upgrade");
  EXPECT_TRUE(view.output["pr"].contains("body"));

  ASSERT_EQ(invoke("pr-approve", {{"number", std::to_string(n)}}).status, MI2_OK);
  auto reviews =
      server.requests_to("POST", "/repos/acme/deployments/pulls/" + std::to_string(n) + "/reviews");
  ASSERT_EQ(reviews.size(), 1u);
  EXPECT_EQ(reviews[0].json()["event"], "APPROVE");

  Outcome merge = invoke("pr-merge", {{"number", n}, {"squash", true}});
  ASSERT_EQ(merge.status, MI2_OK) << merge.error;
  EXPECT_TRUE(merge.output["merged"].get<bool>());
  auto puts =
      server.requests_to("PUT", "/repos/acme/deployments/pulls/" + std::to_string(n) + "/merge");
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_EQ(puts[0].json()["merge_method"], "squash");
}

TEST_F(GitHubPluginTest, MergeWithPendingChecksEnablesAutoMergeThroughGraphQL) {
  Json pull =
      server.seed_pull("acme/deployments", "a/upgrade-instance", "a: upgrade", {"mi-upgrade"});
  server.set_checks_pending(true);
  Outcome refused = invoke("pr-merge", {{"number", pull["number"]}, {"squash", true}});
  EXPECT_EQ(refused.status, MI2_FAILED);
  EXPECT_NE(refused.error.find("--auto"), std::string::npos) << refused.error;

  Outcome out = invoke("pr-merge", {{"number", pull["number"]}, {"squash", true}, {"auto", true}});
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  EXPECT_FALSE(out.output["merged"].get<bool>());
  EXPECT_TRUE(out.output["auto_merge"].get<bool>());
  auto graphql = server.requests_to("POST", "/graphql");
  ASSERT_EQ(graphql.size(), 1u);
  EXPECT_NE(graphql[0].json()["query"].get<std::string>().find("enablePullRequestAutoMerge"),
            std::string::npos);
  EXPECT_EQ(graphql[0].json()["variables"]["id"], pull["node_id"]);
  EXPECT_EQ(graphql[0].json()["variables"]["method"], "SQUASH");
  EXPECT_EQ(graphql[0].header("authorization"), std::string("Bearer ") + kToken);
}

TEST_F(GitHubPluginTest, DispatchesWorkflowAndReturnsTheRunUrl) {
  Outcome out =
      invoke("dispatch-workflow",
             {{"workflow", "mi_upgrade.yml"},
              {"ref", "main"},
              {"inputs",
               {{"customer", "acme"}, {"environment", "prod"}, {"target_src_version", "4.1.0"}}}});
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  auto posts = server.requests_to(
      "POST", "/repos/acme/deployments/actions/workflows/mi_upgrade.yml/dispatches");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].json()["ref"], "main");
  EXPECT_EQ(posts[0].json()["inputs"]["customer"], "acme");
  EXPECT_TRUE(out.output["found"].get<bool>());
  EXPECT_EQ(out.output["url"], server.runs()[0]["html_url"]);

  // A second dispatch finds its own run, not the earlier one.
  Outcome again = invoke("dispatch-workflow", {{"workflow", "mi_upgrade.yml"}, {"ref", "main"}});
  ASSERT_EQ(again.status, MI2_OK) << again.error;
  ASSERT_EQ(server.runs().size(), 2u);
  EXPECT_EQ(again.output["url"], server.runs()[1]["html_url"]);
}

TEST_F(GitHubPluginTest, LatestVersionStripsTheV) {
  server.add_repository("sourcegraph/sourcegraph");
  server.set_latest_release("v4.2.1");
  Outcome out = invoke("latest-version", Json::object(), Json::object(),
                       {{"release_repository", "sourcegraph/sourcegraph"}});
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  EXPECT_EQ(out.output["version"], "4.2.1");
}

TEST_F(GitHubPluginTest, LatestMainBranchTagHasTheHighestBuildNumber) {
  server.add_repository("sourcegraph/sourcegraph");
  server.set_page_size(2);
  server.set_tags({"v5.0.0", "208045_2023-04-01_5.0-0c4a8d6bb3e2", "not-a-tag",
                   "210001_2023-05-02_5.0-1d2e3f4a5b6c", "199999_2023-01-01_4.5-abcdef1"});
  Outcome out =
      invoke("latest-version", Json::object(), Json::object(),
             {{"release_repository", "sourcegraph/sourcegraph"}, {"latest_source", "main-tag"}});
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  EXPECT_EQ(out.output["version"], "210001_2023-05-02_5.0-1d2e3f4a5b6c");
}

TEST_F(GitHubPluginTest, BadTokenFromEnvironmentNamesTheVariable) {
  setenv("GITHUB_TOKEN", "fake-gh-wrong-token-value", 1);
  Json c = config();
  c.erase("token");
  GitHubPlugin plugin(fake.host(), c.dump());
  try {
    plugin.invoke("vcs", "pr-list", R"({"params":{"label":"mi-upgrade"}})");
    FAIL() << "expected a failure";
  } catch (const sdk::Error& e) {
    std::string message = e.what();
    EXPECT_EQ(e.status(), MI2_FAILED);
    EXPECT_NE(message.find("$GITHUB_TOKEN"), std::string::npos) << message;
    EXPECT_NE(message.find("GET /repos/acme/deployments/pulls"), std::string::npos) << message;
    EXPECT_EQ(message.find("fake-gh-wrong-token-value"), std::string::npos) << message;
  }
  EXPECT_EQ(fake.secrets.at(0), "fake-gh-wrong-token-value");
  unsetenv("GITHUB_TOKEN");
}

TEST_F(GitHubPluginTest, GhTokenIsTheFallback) {
  setenv("GH_TOKEN", kToken, 1);
  Json c = config();
  c.erase("token");
  GitHubPlugin plugin(fake.host(), c.dump());
  EXPECT_NO_THROW(plugin.invoke("vcs", "pr-list", R"({"params":{}})"));
  unsetenv("GH_TOKEN");
}

TEST_F(GitHubPluginTest, MissingTokenIsASentenceNotARequest) {
  Json c = config();
  c.erase("token");
  GitHubPlugin plugin(fake.host(), c.dump());
  try {
    plugin.invoke("vcs", "pr-list", R"({"params":{}})");
    FAIL() << "expected a failure";
  } catch (const sdk::Error& e) {
    EXPECT_NE(std::string(e.what()).find("GITHUB_TOKEN"), std::string::npos);
  }
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(GitHubPluginTest, UnknownRepositoryIsNamed) {
  Outcome out =
      invoke("pr-list", {{"label", "mi-upgrade"}}, Json::object(), {{"repository", "acme/nope"}});
  EXPECT_EQ(out.status, MI2_FAILED);
  EXPECT_NE(out.error.find("404"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("'acme/nope'"), std::string::npos) << out.error;
}

TEST_F(GitHubPluginTest, RateLimitedRequestWaitsForTheResetThenSucceeds) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  server.inject("GET", "/repos/acme/deployments/pulls", 403,
                {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", std::to_string(now)}},
                R"({"message":"API rate limit exceeded"})");
  server.inject("GET", "/repos/acme/deployments/pulls", 429, {{"Retry-After", "0"}},
                R"({"message":"secondary rate limit"})");
  Outcome out = invoke("pr-list", {{"label", "mi-upgrade"}});
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  EXPECT_EQ(server.requests_to("GET", "/repos/acme/deployments/pulls").size(), 3u);
}

TEST_F(GitHubPluginTest, RateLimitResettingTooLateGivesUpWithASentence) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  server.inject("GET", "/repos/acme/deployments/pulls", 403,
                {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", std::to_string(now + 3600)}},
                R"({"message":"API rate limit exceeded"})");
  auto started = std::chrono::steady_clock::now();
  Outcome out = invoke("pr-list", {{"label", "mi-upgrade"}});
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_EQ(out.status, MI2_RETRYABLE);
  EXPECT_NE(out.error.find("GET /repos/acme/deployments/pulls"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("rate limit"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("403"), std::string::npos) << out.error;
}

TEST_F(GitHubPluginTest, SecondaryRateLimitWithoutHeadersIsNotAPermissionError) {
  server.inject("POST", "/repos/acme/deployments/pulls/", 403, {},
                R"({"message":"You have exceeded a secondary rate limit."})");
  Outcome out = invoke("pr-approve", {{"number", 3}});
  EXPECT_EQ(out.status, MI2_RETRYABLE);
  EXPECT_NE(out.error.find("POST /repos/acme/deployments/pulls/3/reviews"), std::string::npos)
      << out.error;
  EXPECT_NE(out.error.find("rate limited"), std::string::npos) << out.error;
  EXPECT_EQ(out.error.find("lacks permission"), std::string::npos) << out.error;
}

TEST_F(GitHubPluginTest, ServerErrorIsRetriedThenSucceeds) {
  server.inject("POST", "/repos/acme/customer/issues", 502, {}, "<html>Bad Gateway</html>");
  Outcome out = invoke("tracking-issue", issue_params());
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  EXPECT_EQ(server.requests_to("POST", "/repos/acme/customer/issues").size(), 2u);
  EXPECT_EQ(server.issues().size(), 1u);
}

TEST_F(GitHubPluginTest, ServerErrorHidingACreatedIssueDoesNotDuplicateIt) {
  server.inject("POST", "/repos/acme/customer/issues", 502, {}, "<html>Bad Gateway</html>", 1,
                true);
  Outcome out = invoke("tracking-issue", issue_params());
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  EXPECT_EQ(server.issues().size(), 1u);
  EXPECT_EQ(server.requests_to("POST", "/repos/acme/customer/issues").size(), 1u);
  EXPECT_EQ(out.output["issue"]["number"], server.issues()[0]["number"]);
}

TEST_F(GitHubPluginTest, DispatchIsNotRepeatedAfterAServerError) {
  server.inject("POST", "/repos/acme/deployments/actions/workflows/", 502, {}, "{}", 1, true);
  Outcome out = invoke("dispatch-workflow", {{"workflow", "mi_upgrade.yml"}, {"ref", "main"}});
  // Not retryable: the run may have started (its reply was lost).
  EXPECT_EQ(out.status, MI2_FAILED);
  EXPECT_NE(out.error.find("may have started"), std::string::npos) << out.error;
  EXPECT_NE(
      out.error.find("POST /repos/acme/deployments/actions/workflows/mi_upgrade.yml/dispatches"),
      std::string::npos)
      << out.error;
  EXPECT_EQ(server.runs().size(), 1u);
}

TEST_F(GitHubPluginTest, PersistentServerErrorGivesUpNamingEndpointAndStatus) {
  server.inject("GET", "/repos/acme/deployments/pulls/", 503, {}, R"({"message":"unavailable"})",
                10);
  Outcome out = invoke("pr-view", {{"number", 7}}, Json::object(), {{"max_attempts", 3}});
  EXPECT_EQ(out.status, MI2_RETRYABLE);
  EXPECT_NE(out.error.find("GET /repos/acme/deployments/pulls/7"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("503"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("3 attempts"), std::string::npos) << out.error;
  EXPECT_EQ(server.requests_to("GET", "/repos/acme/deployments/pulls/7").size(), 3u);
}

TEST_F(GitHubPluginTest, CancelStopsTheBackoff) {
  server.inject("GET", "/repos/acme/deployments/pulls", 502, {}, "{}", 10);
  fake.cancelled = true;
  Outcome out = invoke("pr-list", {{"label", "x"}}, Json::object(), {{"backoff_base_ms", 5000}});
  EXPECT_EQ(out.status, MI2_CANCELLED);
}

TEST_F(GitHubPluginTest, DryRunSendsNoMutatingRequest) {
  fake.dry_run = true;
  Outcome out = invoke("tracking-issue", issue_params());
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  EXPECT_TRUE(out.output["dry_run"].get<bool>());
  EXPECT_FALSE(out.output["found"].get<bool>());
  EXPECT_EQ(out.output["would"], "create");
  Json seeded = server.seed_issue("acme/customer", "Upgrade prod to 4.1.0", "", {"team/cloud"});
  Outcome found = invoke("tracking-issue", issue_params());
  ASSERT_EQ(found.status, MI2_OK) << found.error;
  EXPECT_TRUE(found.output["found"].get<bool>());
  EXPECT_EQ(found.output["would"], "use");
  EXPECT_EQ(found.output["issue"]["number"], seeded["number"]);
  for (const auto& r : server.requests()) EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(server.issues().size(), 1u);  // only the seeded one
}

TEST(GitHubConfig, EnterpriseUrlsAreDerived) {
  sdk::FakeHost fake;
  auto c = github::load_github_config(
      fake.host(),
      R"({"repository":"a/b","api_url":"https://ghe.example.com/api/v3/","token":"t"})");
  EXPECT_EQ(c.api_url, "https://ghe.example.com/api/v3");
  EXPECT_EQ(c.graphql_url, "https://ghe.example.com/api/graphql");
  EXPECT_EQ(c.web_url, "https://ghe.example.com");
  EXPECT_EQ(c.tracking_repository, "a/b");
  auto dotcom = github::load_github_config(fake.host(), R"({"repository":"a/b","token":"t"})");
  EXPECT_EQ(dotcom.graphql_url, "https://api.github.com/graphql");
  EXPECT_EQ(dotcom.web_url, "https://github.com");
}

TEST(GitHubConfig, BadRepositoryIsRefusedWithTheKeyNamed) {
  sdk::FakeHost fake;
  try {
    github::load_github_config(fake.host(), R"({"repository":"nope"})");
    FAIL();
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.status(), MI2_INVALID_INPUT);
    EXPECT_NE(std::string(e.what()).find("plugins.github.repository"), std::string::npos);
  }
}

}  // namespace
}  // namespace mi2::test

namespace mi2::test {
namespace {

TEST_F(GitHubPluginTest, ConfiguredTrackingLabelsReplaceTheHostsForCreateAndFind) {
  Json extra = {{"tracking_labels", {"cloud-upgrades", "prod"}}};
  Outcome first = invoke("tracking-issue", issue_params(), Json::object(), extra);
  ASSERT_EQ(first.status, MI2_OK) << first.error;
  auto posts = server.requests_to("POST", "/repos/acme/customer/issues");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].json()["labels"], Json::array({"cloud-upgrades", "prod"}));
  Outcome second = invoke("tracking-issue", issue_params(), Json::object(), extra);
  EXPECT_FALSE(second.output["issue"]["created"].get<bool>());
  EXPECT_EQ(server.requests_to("GET", "/repos/acme/customer/issues").back().query.at("labels"),
            "cloud-upgrades,prod");
}

}  // namespace
}  // namespace mi2::test

namespace mi2::test {
namespace {

// Preflight (#13): before the bump, one read-only GET per repository proves
// the token works and may push; it runs as it is in a dry run.
TEST_F(GitHubPluginTest, PreflightReadsTheRepositoriesAndThePushPermission) {
  for (bool dry_run : {false, true}) {
    fake.dry_run = dry_run;
    size_t before = server.requests().size();
    Outcome out = invoke("preflight", {{"roles", {"vcs"}}});
    ASSERT_EQ(out.status, MI2_OK) << out.error;
    EXPECT_EQ(out.output["repository"], "acme/deployments");
    EXPECT_EQ(out.output["push"], true);
    EXPECT_EQ(out.output["tracking_repository"], "acme/customer");
    auto requests = server.requests();
    ASSERT_EQ(requests.size() - before, 2u);
    EXPECT_EQ(requests[before].method + " " + requests[before].path, "GET /repos/acme/deployments");
    EXPECT_EQ(requests[before + 1].method + " " + requests[before + 1].path,
              "GET /repos/acme/customer");
    EXPECT_EQ(requests[before].header("authorization"), std::string("Bearer ") + kToken);
  }
  std::string described = GitHubPlugin::describe();
  EXPECT_NE(Json::parse(described)["roles"]["vcs"].dump().find("\"preflight\""), std::string::npos);
}

TEST_F(GitHubPluginTest, PreflightWithABadTokenNamesForgeRepositoryAndFixNotTheToken) {
  setenv("GITHUB_TOKEN", "fake-gh-revoked-token-value", 1);
  Json c = config();
  c.erase("token");
  GitHubPlugin plugin(fake.host(), c.dump());
  try {
    plugin.invoke("vcs", "preflight", R"({"params":{"roles":["vcs"]}})");
    FAIL() << "a rejected token passed the preflight";
  } catch (const sdk::Error& e) {
    std::string message = e.what();
    EXPECT_EQ(e.status(), MI2_FAILED);
    EXPECT_EQ(message,
              "GitHub rejected the token from $GITHUB_TOKEN (401: Bad credentials) when mi2 looked "
              "up repository acme/deployments; set GITHUB_TOKEN (or GH_TOKEN) to a valid token "
              "that can push to it.");
  }
  unsetenv("GITHUB_TOKEN");
  ASSERT_EQ(server.requests().size(), 1u);  // one GET, no retry of a 401
  for (const auto& line : fake.logs)
    EXPECT_EQ(line.message.find("fake-gh-revoked-token-value"), std::string::npos);
}

TEST_F(GitHubPluginTest, PreflightRefusesATokenThatCanOnlyRead) {
  server.set_push_access(false);
  Outcome out = invoke("preflight", Json::object());
  EXPECT_EQ(out.status, MI2_FAILED);
  EXPECT_EQ(out.error,
            "the token from plugins.github.token can read GitHub repository acme/deployments but "
            "not push to it; use a token with write access (fine-grained: Contents and Pull "
            "requests read and write), so the upgrade can push its branch and open its pull "
            "request.");
  expect_token_never_logged();
}

TEST_F(GitHubPluginTest, PreflightNamesARepositoryTheTokenCannotSee) {
  Outcome out = invoke("preflight", Json::object(), Json::object(), {{"repository", "acme/nope"}});
  EXPECT_EQ(out.status, MI2_FAILED);
  EXPECT_EQ(out.error,
            "GitHub repository acme/nope does not exist or the token from plugins.github.token "
            "cannot see it (404: Not Found); check plugins.github in mi2.yaml and the token's "
            "access to it.");
}

TEST_F(GitHubPluginTest, PreflightWithoutATokenSendsNothing) {
  Json c = config();
  c.erase("token");
  GitHubPlugin plugin(fake.host(), c.dump());
  EXPECT_THROW(plugin.invoke("vcs", "preflight", "{}"), sdk::Error);
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace mi2::test
