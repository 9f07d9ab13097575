// vcs publish on GitHub: real git (commit, push to a bare origin) through the
// FakeHost's exec, and the PR through the fake GitHub over loopback.
#include <gtest/gtest.h>

#include <mi2/sdk/fake_host.hpp>

#include "github/github_plugin.h"
#include "tests/plugins/forge_support/fake_forge_server.h"
#include "tests/plugins/forge_support/local_process.h"

namespace fs = std::filesystem;

namespace mi2::test {
namespace {

const char* kPublishToken = "fake-gh-publish-token-abcdef";

class GitHubPublishTest : public ::testing::Test {
 protected:
  GitHubPublishTest() : server(FakeForgeServer::Kind::kGitHub, kPublishToken) {
    server.add_repository("acme/deployments");
    fake.on_http = send_over_loopback;
    fake.on_exec = run_local;
    fleet = make_fleet_repo(scratch.path(), "roles:\n  vcs: github\n",
                            {{"prod", "src-1", "acme", "4.0.0"}});
    instance_dir = fleet / "environments/prod/deployments/src-1";
    write_text(instance_dir / "config.yaml",
               instance_config_yaml({"prod", "src-1", "acme", "4.1.0"}));
    write_text(instance_dir / "kubernetes/kustomization.yaml", "resources: [app.yaml]\n");
  }

  Json publish(const std::string& body = "Part of #1\n\nRun log: x") {
    github::GitHubPlugin plugin(fake.host(), Json({{"repository", "acme/deployments"},
                                                   {"api_url", server.api_url()},
                                                   {"token", kPublishToken}})
                                                 .dump());
    Json input = {{"fleet_root", fleet.string()},
                  {"instance_dir", instance_dir.string()},
                  {"state_dir", (scratch.path() / "state").string()},
                  {"params",
                   {{"branch", "acme/upgrade-instance"},
                    {"base", "main"},
                    {"commit_message", "acme: upgrade to 4.1.0"},
                    {"title", "acme: upgrade to 4.1.0"},
                    {"body", body},
                    {"labels", {"mi-upgrade"}},
                    {"paths", {"config.yaml", "kubernetes"}}}}};
    return Json::parse(plugin.invoke("vcs", "publish", input.dump()));
  }

  std::string origin_branch() {
    sdk::FakeHost::ExecCall call;
    call.argv = {"git", "rev-parse", "--verify", "-q", "refs/heads/acme/upgrade-instance"};
    call.cwd = (scratch.path() / "origin.git").string();
    auto r = run_local(call);
    return r.ok() ? r.out.substr(0, 40) : "";
  }

  ScratchDir scratch;
  FakeForgeServer server;
  sdk::FakeHost fake;
  fs::path fleet, instance_dir;
};

TEST_F(GitHubPublishTest, CommitsPushesAndOpensALabelledPr) {
  std::string main_head = git_in(fleet, {"rev-parse", "HEAD"});
  Json out = publish();

  std::string commit = out["commit"];
  ASSERT_EQ(commit.size(), 40u);
  EXPECT_EQ(out["branch"], "acme/upgrade-instance");
  EXPECT_EQ(origin_branch(), commit);
  EXPECT_EQ(git_in(fleet, {"rev-parse", commit + "^"}), main_head);
  std::string files = git_in(fleet, {"show", "--name-only", "--format=%s", commit});
  EXPECT_NE(files.find("acme: upgrade to 4.1.0"), std::string::npos);
  EXPECT_NE(files.find("environments/prod/deployments/src-1/config.yaml"), std::string::npos);
  EXPECT_NE(files.find("environments/prod/deployments/src-1/kubernetes/kustomization.yaml"),
            std::string::npos);
  // The operator's checkout is left as it was: still on main, changes uncommitted.
  EXPECT_EQ(git_in(fleet, {"rev-parse", "--abbrev-ref", "HEAD"}), "main");
  EXPECT_EQ(git_in(fleet, {"rev-parse", "HEAD"}), main_head);
  EXPECT_NE(git_in(fleet, {"status", "--porcelain"}).find("config.yaml"), std::string::npos);

  EXPECT_TRUE(out["pr"]["created"].get<bool>());
  auto posts = server.requests_to("POST", "/repos/acme/deployments/pulls");
  ASSERT_EQ(posts.size(), 1u);
  Json body = posts[0].json();
  EXPECT_EQ(body["head"], "acme/upgrade-instance");
  EXPECT_EQ(body["base"], "main");
  EXPECT_EQ(body["title"], "acme: upgrade to 4.1.0");
  EXPECT_EQ(body["body"], "Part of #1\n\nRun log: x");
  auto labels = server.requests_to("POST", "/repos/acme/deployments/issues/");
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0].json()["labels"], Json::array({"mi-upgrade"}));
  EXPECT_EQ(server.pulls()[0]["labels"][0]["name"], "mi-upgrade");

  for (const auto& call : fake.exec_calls) {
    EXPECT_EQ(call.argv[0], "git");
    if (call.argv[1] == "push" || call.argv[1] == "commit-tree" || call.argv[1] == "update-ref") {
      EXPECT_TRUE(call.mutating) << call.argv[1];
    }
  }
}

TEST_F(GitHubPublishTest, SecondPublishUpdatesTheOpenPrInsteadOfOpeningAnother) {
  Json first = publish("first body");
  Json second = publish("second body");
  EXPECT_FALSE(second["pr"]["created"].get<bool>());
  EXPECT_EQ(second["pr"]["number"], first["pr"]["number"]);
  EXPECT_EQ(second["commit"], first["commit"]);  // same tree on the same parent: reused
  EXPECT_EQ(server.pulls().size(), 1u);
  EXPECT_EQ(server.pulls()[0]["body"], "second body");
  EXPECT_EQ(server.requests_to("POST", "/repos/acme/deployments/pulls").size(), 1u);
  EXPECT_EQ(server.requests_to("PATCH", "/repos/acme/deployments/pulls/").size(), 1u);
}

TEST_F(GitHubPublishTest, PrOpenedConcurrentlyIs422AndGetsUpdated) {
  server.seed_pull("acme/deployments", "acme/upgrade-instance", "old title", {});
  server.inject("GET", "/repos/acme/deployments/pulls", 200, {}, "[]");  // our lookup misses it
  Json out = publish();
  EXPECT_FALSE(out["pr"]["created"].get<bool>());
  EXPECT_EQ(server.pulls().size(), 1u);
  EXPECT_EQ(server.pulls()[0]["title"], "acme: upgrade to 4.1.0");
  auto posts = server.requests_to("POST", "/repos/acme/deployments/pulls");
  ASSERT_EQ(posts.size(), 1u);
}

TEST_F(GitHubPublishTest, DryRunPushesNothingAndOpensNothing) {
  fake.dry_run = true;
  Json out = publish();
  EXPECT_TRUE(out["dry_run"].get<bool>());
  EXPECT_EQ(origin_branch(), "");
  EXPECT_TRUE(server.pulls().empty());
  for (const auto& r : server.requests()) EXPECT_EQ(r.method, "GET");
}

// A dry run says what its lookup found: the open PR it would update, or
// that one would be opened.
TEST_F(GitHubPublishTest, DryRunReportsTheOpenPrItWouldUpdate) {
  fake.dry_run = true;
  Json none = publish();
  EXPECT_FALSE(none["found"].get<bool>());
  EXPECT_EQ(none["would"], "open");
  Json pull = server.seed_pull("acme/deployments", "acme/upgrade-instance", "old title", {});
  Json found = publish();
  EXPECT_TRUE(found["found"].get<bool>());
  EXPECT_EQ(found["would"], "update");
  EXPECT_EQ(found["pr"]["number"], pull["number"]);
  bool said = false;
  for (const auto& line : fake.logs)
    said |= line.message.find("pull request #" + std::to_string(pull["number"].get<int64_t>()) +
                              " (") != std::string::npos &&
            line.message.find("it would be updated") != std::string::npos;
  EXPECT_TRUE(said);
  EXPECT_EQ(server.pulls()[0]["title"], "old title");
  for (const auto& r : server.requests()) EXPECT_EQ(r.method, "GET");
}

TEST_F(GitHubPublishTest, NothingChangedIsASentence) {
  git_in(fleet, {"checkout", "-q", "--", "."});
  try {
    publish();
    FAIL() << "expected a failure";
  } catch (const sdk::Error& e) {
    EXPECT_NE(std::string(e.what()).find("nothing to publish"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(server.requests_to("POST", "/").empty());
}

}  // namespace
}  // namespace mi2::test

namespace mi2::test {
namespace {

TEST_F(GitHubPublishTest, DryRunWithoutChangesStillPlansThePush) {
  git_in(fleet, {"checkout", "-q", "--", "."});  // a dry run wrote nothing
  fake.dry_run = true;
  Json out = publish();
  EXPECT_TRUE(out["dry_run"].get<bool>());
  bool planned_push = false;
  for (const auto& call : fake.exec_calls) planned_push |= call.argv[1] == "push" && call.mutating;
  EXPECT_TRUE(planned_push);
  EXPECT_EQ(origin_branch(), "");
  EXPECT_TRUE(server.pulls().empty());
}

}  // namespace
}  // namespace mi2::test
