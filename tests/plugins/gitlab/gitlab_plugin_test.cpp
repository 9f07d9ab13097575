// The gitlab plugin driven through the SDK's FakeHost, whose http service
// forwards to a fake GitLab on 127.0.0.1 (real HTTP) and whose exec runs real git.
#include <gtest/gtest.h>

#include <mi2/sdk/fake_host.hpp>

#include <chrono>
#include <cstdlib>

#include "gitlab/gitlab_plugin.h"
#include "tests/plugins/forge_support/fake_forge_server.h"
#include "tests/plugins/forge_support/local_process.h"

namespace fs = std::filesystem;

namespace mi2::test {
namespace {

using gitlab::GitLabPlugin;

const char* kToken = "glpat-TESTTOKEN-0123456789";
const char* kProject = "/api/v4/projects/acme%2Fdeployments";
const char* kTracking = "/api/v4/projects/acme%2Fcustomer";

struct Outcome {
  mi2_status status = MI2_FAILED;
  Json output;
  std::string error;
};

class GitLabPluginTest : public ::testing::Test {
 protected:
  GitLabPluginTest() : server(FakeForgeServer::Kind::kGitLab, kToken) {
    server.add_repository("acme/deployments");
    server.add_repository("acme/customer");
    fake.on_http = send_over_loopback;
    fake.on_exec = run_local;
    unsetenv("GITLAB_TOKEN");
  }

  Json config(Json extra = Json::object()) {
    Json c = {{"project", "acme/deployments"}, {"tracking_project", "acme/customer"},
              {"api_url", server.api_url()},   {"token", kToken},
              {"backoff_base_ms", 1},          {"max_retry_wait_ms", 3000}};
    c.update(extra);
    return c;
  }

  Outcome invoke(const std::string& action, const Json& params, Json input = Json::object(),
                 Json extra_config = Json::object()) {
    Outcome outcome;
    try {
      GitLabPlugin plugin(fake.host(), config(extra_config).dump());
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

  FakeForgeServer server;
  sdk::FakeHost fake;
};

TEST_F(GitLabPluginTest, CreatesTrackingIssueOnceWithPrivateTokenHeader) {
  server.set_page_size(1);
  server.seed_issue("acme/customer", "Upgrade prod to 4.1.0 (old draft)", "", {"team/cloud"});
  Outcome first = invoke("tracking-issue", issue_params());
  ASSERT_EQ(first.status, MI2_OK) << first.error;
  EXPECT_TRUE(first.output["issue"]["created"].get<bool>());
  Outcome second = invoke("tracking-issue", issue_params());
  ASSERT_EQ(second.status, MI2_OK) << second.error;
  EXPECT_FALSE(second.output["issue"]["created"].get<bool>());
  EXPECT_EQ(second.output["issue"]["number"], first.output["issue"]["number"]);
  EXPECT_EQ(server.issues().size(), 2u);

  auto posts = server.requests_to("POST", std::string(kTracking) + "/issues");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].header("private-token"), kToken);
  EXPECT_EQ(posts[0].header("user-agent"), MI2_FORGE_USER_AGENT);
  EXPECT_EQ(posts[0].header("authorization"), "");
  EXPECT_EQ(posts[0].json()["title"], "Upgrade prod to 4.1.0");
  EXPECT_EQ(posts[0].json()["description"], "- [ ] acme (src-1)\n- [ ] globex (src-2)\n");
  EXPECT_EQ(posts[0].json()["labels"], "team/cloud");
  // The search was by title, paged by the Link header.
  auto gets = server.requests_to("GET", std::string(kTracking) + "/issues");
  ASSERT_FALSE(gets.empty());
  EXPECT_EQ(gets[0].query.at("search"), "Upgrade prod to 4.1.0");
  EXPECT_EQ(gets[0].query.at("in"), "title");
  bool paged = false;
  for (const auto& g : gets) paged |= g.query.count("page") && g.query.at("page") == "2";
  EXPECT_TRUE(paged);
  EXPECT_EQ(fake.secrets.at(0), kToken);
  for (const auto& line : fake.logs) EXPECT_EQ(line.message.find(kToken), std::string::npos);
}

TEST_F(GitLabPluginTest, TrackingIssueCheckTicksTheInstance) {
  server.seed_issue("acme/customer", "Upgrade prod to 4.1.0",
                    "- [ ] acme (src-1)\n- [ ] globex (src-2)", {"team/cloud"});
  Outcome out =
      invoke("tracking-issue-check",
             {{"version", "4.1.0"}, {"title", "Upgrade prod to 4.1.0"}, {"instance", "acme"}});
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  auto puts = server.requests_to("PUT", std::string(kTracking) + "/issues/");
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_EQ(puts[0].json()["description"], "- [x] acme (src-1)\n- [ ] globex (src-2)");
}

TEST_F(GitLabPluginTest, ListsMergeRequestsByLabelAcrossPages) {
  server.set_page_size(2);
  for (const char* slug : {"a", "b", "c"})
    server.seed_pull("acme/deployments", std::string(slug) + "/upgrade-instance",
                     std::string(slug) + ": upgrade to 4.1.0", {"mi-upgrade"});
  server.seed_pull("acme/deployments", "other", "other", {"x"});
  Outcome out = invoke("pr-list", {{"label", "mi-upgrade"}, {"state", "open"}});
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  ASSERT_EQ(out.output["prs"].size(), 3u);
  EXPECT_EQ(out.output["prs"][0]["state"], "open");
  auto gets = server.requests_to("GET", std::string(kProject) + "/merge_requests");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[0].query.at("labels"), "mi-upgrade");
  EXPECT_EQ(gets[0].query.at("state"), "opened");
}

TEST_F(GitLabPluginTest, ApproveAndMergeWithSquashOrWhenPipelineSucceeds) {
  Json mr =
      server.seed_pull("acme/deployments", "a/upgrade-instance", "a: upgrade", {"mi-upgrade"});
  std::string iid = std::to_string(mr["iid"].get<int64_t>());
  ASSERT_EQ(invoke("pr-approve", {{"number", iid}}).status, MI2_OK);
  EXPECT_EQ(
      server.requests_to("POST", std::string(kProject) + "/merge_requests/" + iid + "/approve")
          .size(),
      1u);

  server.set_checks_pending(true);
  Outcome refused = invoke("pr-merge", {{"number", iid}, {"squash", true}});
  EXPECT_EQ(refused.status, MI2_FAILED);
  EXPECT_NE(refused.error.find("--auto"), std::string::npos) << refused.error;

  Outcome queued = invoke("pr-merge", {{"number", iid}, {"squash", true}, {"auto", true}});
  ASSERT_EQ(queued.status, MI2_OK) << queued.error;
  EXPECT_TRUE(queued.output["auto_merge"].get<bool>());
  EXPECT_FALSE(queued.output["merged"].get<bool>());
  auto puts =
      server.requests_to("PUT", std::string(kProject) + "/merge_requests/" + iid + "/merge");
  ASSERT_EQ(puts.size(), 2u);
  EXPECT_EQ(puts[1].json()["squash"], true);
  EXPECT_EQ(puts[1].json()["merge_when_pipeline_succeeds"], true);

  server.set_checks_pending(false);
  Json other =
      server.seed_pull("acme/deployments", "b/upgrade-instance", "b: upgrade", {"mi-upgrade"});
  Outcome merged = invoke("pr-merge", {{"number", other["iid"]}, {"squash", true}});
  ASSERT_EQ(merged.status, MI2_OK) << merged.error;
  EXPECT_TRUE(merged.output["merged"].get<bool>());
}

TEST_F(GitLabPluginTest, PipelineWithVariablesReturnsItsUrl) {
  Outcome out = invoke("dispatch-workflow",
                       {{"workflow", "mi_upgrade"},
                        {"ref", "main"},
                        {"inputs", {{"customer", "acme"}, {"target_src_version", "4.1.0"}}}});
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  auto posts = server.requests_to("POST", std::string(kProject) + "/pipeline");
  ASSERT_EQ(posts.size(), 1u);
  Json body = posts[0].json();
  EXPECT_EQ(body["ref"], "main");
  Json expected = Json::array({{{"key", "MI2_WORKFLOW"}, {"value", "mi_upgrade"}},
                               {{"key", "customer"}, {"value", "acme"}},
                               {{"key", "target_src_version"}, {"value", "4.1.0"}}});
  EXPECT_EQ(body["variables"], expected);
  EXPECT_EQ(out.output["url"], server.runs()[0]["web_url"]);
}

TEST_F(GitLabPluginTest, LatestVersionFromReleasesOrMainBranchTags) {
  server.add_repository("sourcegraph/sourcegraph");
  server.set_latest_release("v4.2.0");
  Outcome release = invoke("latest-version", Json::object(), Json::object(),
                           {{"release_project", "sourcegraph/sourcegraph"}});
  ASSERT_EQ(release.status, MI2_OK) << release.error;
  EXPECT_EQ(release.output["version"], "4.2.0");
  server.set_tags({"208045_2023-04-01_5.0-0c4a8d6bb3e2", "210001_2023-05-02_5.0-1d2e3f4a5b6c"});
  Outcome tag =
      invoke("latest-version", Json::object(), Json::object(),
             {{"release_project", "sourcegraph/sourcegraph"}, {"latest_source", "main-tag"}});
  ASSERT_EQ(tag.status, MI2_OK) << tag.error;
  EXPECT_EQ(tag.output["version"], "210001_2023-05-02_5.0-1d2e3f4a5b6c");
  EXPECT_FALSE(
      server.requests_to("GET", "/api/v4/projects/sourcegraph%2Fsourcegraph/repository/tags")
          .empty());
}

TEST_F(GitLabPluginTest, ErrorsNameTokenProjectAndEndpoint) {
  Outcome unknown = invoke("pr-list", {{"label", "x"}}, Json::object(), {{"project", "acme/nope"}});
  EXPECT_EQ(unknown.status, MI2_FAILED);
  EXPECT_NE(unknown.error.find("'acme/nope'"), std::string::npos) << unknown.error;
  EXPECT_NE(unknown.error.find("404"), std::string::npos) << unknown.error;

  setenv("GITLAB_TOKEN", "glpat-WRONG", 1);
  Json c = config();
  c.erase("token");
  GitLabPlugin plugin(fake.host(), c.dump());
  try {
    plugin.invoke("vcs", "pr-view", R"({"params":{"number":3}})");
    FAIL() << "expected a failure";
  } catch (const sdk::Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("$GITLAB_TOKEN"), std::string::npos) << message;
    EXPECT_NE(message.find("GET /projects/acme%2Fdeployments/merge_requests/3"), std::string::npos)
        << message;
    EXPECT_EQ(message.find("glpat-WRONG"), std::string::npos);
  }
  unsetenv("GITLAB_TOKEN");
}

TEST_F(GitLabPluginTest, RetriesRateLimitAndBadGateway) {
  server.inject("GET", std::string(kProject) + "/merge_requests", 429,
                {{"Retry-After", "0"}, {"RateLimit-Remaining", "0"}},
                R"({"message":"Retry later"})");
  server.inject("GET", std::string(kProject) + "/merge_requests", 502, {}, "bad gateway");
  Outcome out = invoke("pr-list", {{"label", "mi-upgrade"}});
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  EXPECT_EQ(server.requests_to("GET", std::string(kProject) + "/merge_requests").size(), 3u);

  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  server.inject("GET", std::string(kProject) + "/merge_requests", 429,
                {{"RateLimit-Remaining", "0"}, {"RateLimit-Reset", std::to_string(now + 600)}},
                "{}");
  Outcome late = invoke("pr-list", {{"label", "mi-upgrade"}});
  EXPECT_EQ(late.status, MI2_RETRYABLE);
  EXPECT_NE(late.error.find("GET /projects/acme%2Fdeployments/merge_requests"), std::string::npos)
      << late.error;
}

class GitLabPublishTest : public GitLabPluginTest {
 protected:
  GitLabPublishTest() {
    fleet = make_fleet_repo(scratch.path(), "roles:\n  vcs: gitlab\n",
                            {{"prod", "src-1", "acme", "4.0.0"}});
    instance_dir = fleet / "environments/prod/deployments/src-1";
    write_text(instance_dir / "config.yaml",
               instance_config_yaml({"prod", "src-1", "acme", "4.1.0"}));
  }
  Outcome publish(const std::string& body) {
    Json input = {{"fleet_root", fleet.string()},
                  {"instance_dir", instance_dir.string()},
                  {"state_dir", (scratch.path() / "state").string()}};
    return invoke("publish",
                  {{"branch", "acme/upgrade-instance"},
                   {"base", "main"},
                   {"commit_message", "acme: upgrade to 4.1.0"},
                   {"title", "acme: upgrade to 4.1.0"},
                   {"body", body},
                   {"labels", {"mi-upgrade"}},
                   {"paths", {"config.yaml", "kubernetes"}}},
                  input);
  }
  ScratchDir scratch;
  fs::path fleet, instance_dir;
};

TEST_F(GitLabPublishTest, PushesTheBranchAndOpensThenUpdatesOneMergeRequest) {
  Outcome first = publish("first");
  ASSERT_EQ(first.status, MI2_OK) << first.error;
  EXPECT_TRUE(first.output["pr"]["created"].get<bool>());
  EXPECT_EQ(
      git_in(scratch.path() / "origin.git", {"rev-parse", "refs/heads/acme/upgrade-instance"}),
      first.output["commit"]);
  auto posts = server.requests_to("POST", std::string(kProject) + "/merge_requests");
  ASSERT_EQ(posts.size(), 1u);
  Json body = posts[0].json();
  EXPECT_EQ(body["source_branch"], "acme/upgrade-instance");
  EXPECT_EQ(body["target_branch"], "main");
  EXPECT_EQ(body["title"], "acme: upgrade to 4.1.0");
  EXPECT_EQ(body["description"], "first");
  EXPECT_EQ(body["labels"], "mi-upgrade");

  Outcome second = publish("second");
  ASSERT_EQ(second.status, MI2_OK) << second.error;
  EXPECT_FALSE(second.output["pr"]["created"].get<bool>());
  EXPECT_EQ(second.output["pr"]["number"], first.output["pr"]["number"]);
  EXPECT_EQ(server.pulls().size(), 1u);
  EXPECT_EQ(server.pulls()[0]["description"], "second");
}

TEST_F(GitLabPublishTest, MergeRequestOpenedConcurrentlyIs409AndGetsUpdated) {
  server.seed_pull("acme/deployments", "acme/upgrade-instance", "old", {});
  server.inject("GET", std::string(kProject) + "/merge_requests", 200, {}, "[]");
  Outcome out = publish("body");
  ASSERT_EQ(out.status, MI2_OK) << out.error;
  EXPECT_FALSE(out.output["pr"]["created"].get<bool>());
  EXPECT_EQ(server.pulls().size(), 1u);
  EXPECT_EQ(server.pulls()[0]["title"], "acme: upgrade to 4.1.0");
  EXPECT_EQ(server.pulls()[0]["labels"], Json::array({"mi-upgrade"}));
}

}  // namespace
}  // namespace mi2::test

namespace mi2::test {
namespace {

// Preflight (#13): GET /projects/:id for the project and the tracking
// project; the access level must reach Developer (30). Read-only, so a dry
// run sends the same requests.
TEST_F(GitLabPluginTest, PreflightReadsTheProjectsAndTheAccessLevel) {
  for (bool dry_run : {false, true}) {
    fake.dry_run = dry_run;
    size_t before = server.requests().size();
    Outcome out = invoke("preflight", {{"roles", {"vcs"}}});
    ASSERT_EQ(out.status, MI2_OK) << out.error;
    EXPECT_EQ(out.output["project"], "acme/deployments");
    EXPECT_EQ(out.output["access_level"], 30);
    EXPECT_EQ(out.output["tracking_project"], "acme/customer");
    auto requests = server.requests();
    ASSERT_EQ(requests.size() - before, 2u);
    EXPECT_EQ(requests[before].method + " " + requests[before].path,
              std::string("GET ") + kProject);
    EXPECT_EQ(requests[before + 1].method + " " + requests[before + 1].path,
              std::string("GET ") + kTracking);
    EXPECT_EQ(requests[before].header("private-token"), kToken);
  }
}

TEST_F(GitLabPluginTest, PreflightWithABadTokenNamesForgeProjectAndFixNotTheToken) {
  setenv("GITLAB_TOKEN", "glpat-REVOKED", 1);
  Json c = config();
  c.erase("token");
  GitLabPlugin plugin(fake.host(), c.dump());
  try {
    plugin.invoke("vcs", "preflight", R"({"params":{"roles":["vcs"]}})");
    FAIL() << "a rejected token passed the preflight";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.status(), MI2_FAILED);
    EXPECT_EQ(std::string(e.what()),
              "GitLab rejected the token from $GITLAB_TOKEN (401: 401 Unauthorized) when mi2 "
              "looked up project acme/deployments; set GITLAB_TOKEN to a valid token with the api "
              "scope.");
  }
  unsetenv("GITLAB_TOKEN");
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(GitLabPluginTest, PreflightRefusesAReporter) {
  server.set_push_access(false);
  Outcome out = invoke("preflight", Json::object());
  EXPECT_EQ(out.status, MI2_FAILED);
  EXPECT_EQ(out.error,
            "the token from plugins.gitlab.token has the Reporter role (20) in GitLab project "
            "acme/deployments, which cannot push a branch; it needs Developer (30) or more, so "
            "the upgrade can push its branch and open its merge request.");
}

TEST_F(GitLabPluginTest, PreflightNamesAProjectTheTokenCannotSee) {
  Outcome out = invoke("preflight", Json::object(), Json::object(), {{"project", "acme/nope"}});
  EXPECT_EQ(out.status, MI2_FAILED);
  EXPECT_EQ(out.error,
            "GitLab project acme/nope does not exist or the token from plugins.gitlab.token "
            "cannot see it (404: 404 Project Not Found); check plugins.gitlab in mi2.yaml and the "
            "token's membership.");
}

}  // namespace
}  // namespace mi2::test
