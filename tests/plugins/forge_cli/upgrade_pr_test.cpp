// One upgrade run, two fleets that differ only in `vcs:` (and the forge's
// config): GitHub gets a PR, GitLab an MR, with the same title, label and
// body (but for the links that name each forge's tracking issue and the run log).
#include <gtest/gtest.h>

#include <regex>

#include "tests/plugins/forge_cli/forge_cli_fixture.h"

namespace fs = std::filesystem;

namespace mi2::test {
namespace {

using Kind = FakeForgeServer::Kind;

const char* kToken = "upgrade-pr-SECRET-token";

struct Published {
  Json pr;            // as the fake forge holds it
  std::string title;  // PR title
  std::string body;
  std::vector<std::string> labels;
  std::string branch, base;
  std::string out, err;
  int code = -1;
  std::vector<std::string> requests;  // "GET /repos/acme/deployments", as the forge got them
  std::string config_after;           // src-a1's config.yaml after the run
  std::string branches;               // acme/* branches of the origin
};

Published upgrade_on(Kind kind, const fs::path& root, bool dry_run = false,
                     std::vector<std::string> ci_env = {"GITHUB_SERVER_URL=", "CI_JOB_URL="},
                     const std::string& token = kToken) {
  FakeForgeServer server(kind, kToken);
  server.add_repository("acme/deployments");
  bool github = kind == Kind::kGitHub;
  std::string yaml = std::string("roles:\n  vcs: ") + (github ? "github" : "gitlab") +
                     "\nplugins:\n  " + (github ? "github" : "gitlab") + ":\n    " +
                     (github ? "repository" : "project") +
                     ": acme/deployments\n    api_url: " + server.api_url() +
                     "\n    backoff_base_ms: 1\n" + kPublishRecipe;
  fs::path fleet = make_fleet_repo(
      root, yaml, {{"prod", "src-a1", "acme", "4.0.0"}, {"prod", "src-b2", "globex", "4.0.0"}});
  sdk::FakeHost::ExecCall call;
  call.argv = {MI2_EXE, "instance", "upgrade", "-target-version", "4.1.0"};
  if (dry_run) call.argv.push_back("--dry-run");
  call.cwd = (fleet / "environments/prod/deployments/src-a1").string();
  call.env = {std::string(github ? "GITHUB_TOKEN=" : "GITLAB_TOKEN=") + token,
              "MI2_PLUGIN_PATH=" MI2_BUILD_PLUGIN_DIR};
  call.env.insert(call.env.end(), ci_env.begin(), ci_env.end());
  sdk::ExecResult result = run_local(call);

  Published p;
  p.code = result.exit_code;
  p.out = result.out;
  p.err = result.err;
  // Nothing the run wrote down holds the token.
  for (const auto& entry : fs::recursive_directory_iterator(fleet / ".mi2"))
    if (entry.is_regular_file()) {
      EXPECT_EQ(read_text(entry.path()).find(token), std::string::npos) << entry.path();
    }
  EXPECT_EQ(p.out.find(token), std::string::npos);
  EXPECT_EQ(p.err.find(token), std::string::npos);
  for (const auto& r : server.requests()) p.requests.push_back(r.method + " " + r.path);
  p.config_after = read_text(fleet / "environments/prod/deployments/src-a1/config.yaml");
  p.branches = git_in(root / "origin.git", {"branch", "--list", "acme/*"});
  if (dry_run) {
    for (const auto& r : server.requests()) EXPECT_EQ(r.method, "GET") << r.target;
    EXPECT_TRUE(server.issues().empty());
    EXPECT_NE(git_in(root / "origin.git", {"branch", "--list"}).find("main"), std::string::npos);
    EXPECT_EQ(git_in(root / "origin.git", {"branch", "--list", "acme/*"}), "");
  }
  Json pulls = server.pulls();
  if (pulls.size() != 1) return p;
  p.pr = pulls[0];
  p.title = p.pr.value("title", "");
  p.body = p.pr.value(github ? "body" : "description", "");
  for (const auto& label : p.pr["labels"])
    p.labels.push_back(label.is_string() ? label.get<std::string>() : label.value("name", ""));
  p.branch = github ? p.pr["head"]["ref"] : p.pr["source_branch"];
  p.base = github ? p.pr["base"]["ref"] : p.pr["target_branch"];
  return p;
}

// The body without the two lines that must differ between forges and runs.
std::string comparable(const std::string& body) {
  std::string out = std::regex_replace(body, std::regex("Part of [^\n]*"), "Part of <issue>");
  return std::regex_replace(out, std::regex("Run log: [^\n]*"), "Run log: <log>");
}

TEST(UpgradePr, SameRunOpensTheSamePrOnGitHubAndGitLab) {
  ScratchDir scratch;
  Published github = upgrade_on(Kind::kGitHub, scratch.path() / "gh");
  Published gitlab = upgrade_on(Kind::kGitLab, scratch.path() / "gl");
  ASSERT_EQ(github.code, 0) << github.out << github.err;
  ASSERT_EQ(gitlab.code, 0) << gitlab.out << gitlab.err;
  ASSERT_FALSE(github.pr.is_null()) << "no GitHub PR:\n" << github.out << github.err;
  ASSERT_FALSE(gitlab.pr.is_null()) << "no GitLab MR:\n" << gitlab.out << gitlab.err;

  EXPECT_EQ(github.title, "acme: upgrade to 4.1.0");
  EXPECT_EQ(gitlab.title, github.title);
  EXPECT_EQ(github.labels, std::vector<std::string>{"mi-upgrade"});
  EXPECT_EQ(gitlab.labels, github.labels);
  EXPECT_EQ(github.branch, "acme/upgrade-instance");
  EXPECT_EQ(gitlab.branch, github.branch);
  EXPECT_EQ(gitlab.base, github.base);
  // Each body links its own forge's tracking issue and the run log.
  EXPECT_NE(github.body.find("Part of http://127.0.0.1:"), std::string::npos) << github.body;
  EXPECT_NE(gitlab.body.find("Part of http://127.0.0.1:"), std::string::npos) << gitlab.body;
  EXPECT_NE(github.body.find("Run log: "), std::string::npos) << github.body;
  EXPECT_NE(github.body.find("## Test plan"), std::string::npos) << github.body;
  EXPECT_EQ(comparable(gitlab.body), comparable(github.body));
}

TEST(UpgradePr, DryRunPlansThePrAndOpensNothing) {
  ScratchDir scratch;
  for (Kind kind : {Kind::kGitHub, Kind::kGitLab}) {
    Published plan = upgrade_on(kind, scratch.path() / (kind == Kind::kGitHub ? "gh" : "gl"), true);
    EXPECT_EQ(plan.code, 0) << plan.out << plan.err;
    EXPECT_TRUE(plan.pr.is_null());
    EXPECT_NE(plan.out.find("git push"), std::string::npos) << plan.out;
    // The plan says what the read-only lookups found.
    std::string said = plan.out + plan.err;
    EXPECT_NE(said.find("no tracking issue titled 'Upgrade prod to 4.1.0'; it would be created"),
              std::string::npos)
        << said;
    EXPECT_NE(said.find("no open pull request for acme/upgrade-instance; one would be opened"),
              std::string::npos)
        << said;
  }
}

// The run log is the CI run's page, named by the forge plugin from its own
// CI's variables: GitHub Actions' for github, GitLab's job URL for gitlab
// (never a GitHub URL with vcs: gitlab), else the journal.
TEST(UpgradePr, TheRunLogLinkComesFromTheForgesOwnCi) {
  ScratchDir scratch;
  std::vector<std::string> actions = {"GITHUB_SERVER_URL=https://github.example",
                                      "GITHUB_REPOSITORY=acme/deployments", "GITHUB_RUN_ID=4242",
                                      "CI_JOB_URL=", "CI_PIPELINE_URL="};
  Published github = upgrade_on(Kind::kGitHub, scratch.path() / "gh", false, actions);
  ASSERT_EQ(github.code, 0) << github.out << github.err;
  EXPECT_NE(github.body.find("Run log: https://github.example/acme/deployments/actions/runs/4242"),
            std::string::npos)
      << github.body;
  Published gitlab_outside = upgrade_on(Kind::kGitLab, scratch.path() / "gl", false, actions);
  ASSERT_EQ(gitlab_outside.code, 0) << gitlab_outside.out << gitlab_outside.err;
  EXPECT_EQ(gitlab_outside.body.find("github.example"), std::string::npos) << gitlab_outside.body;
  EXPECT_NE(gitlab_outside.body.find(".jsonl"), std::string::npos) << gitlab_outside.body;
  actions[3] = "CI_JOB_URL=https://gitlab.example/acme/deployments/-/jobs/77";
  Published gitlab = upgrade_on(Kind::kGitLab, scratch.path() / "gl2", false, actions);
  ASSERT_EQ(gitlab.code, 0) << gitlab.out << gitlab.err;
  EXPECT_NE(gitlab.body.find("Run log: https://gitlab.example/acme/deployments/-/jobs/77"),
            std::string::npos)
      << gitlab.body;
}

// Preflight (#13): a token the forge rejects stops the upgrade before the
// bump, so a bad token can no longer leave a pushed branch without its PR:
// config.yaml stays byte for byte what it was, no branch reaches the origin,
// and the forge saw one read-only lookup of the repository.
TEST(UpgradePr, ARejectedTokenFailsBeforeTheBumpAndPushesNothing) {
  ScratchDir scratch;
  for (Kind kind : {Kind::kGitHub, Kind::kGitLab}) {
    bool github = kind == Kind::kGitHub;
    Published run = upgrade_on(kind, scratch.path() / (github ? "gh" : "gl"), false,
                               {"GITHUB_SERVER_URL=", "CI_JOB_URL="}, "revoked-SECRET-token");
    EXPECT_NE(run.code, 0) << run.out << run.err;
    std::string said = run.out + run.err;
    EXPECT_NE(said.find("preflight"), std::string::npos) << said;
    EXPECT_NE(said.find(github ? "GitHub rejected the token from $GITHUB_TOKEN (401"
                               : "GitLab rejected the token from $GITLAB_TOKEN (401"),
              std::string::npos)
        << said;
    EXPECT_NE(said.find(github ? "repository acme/deployments" : "project acme/deployments"),
              std::string::npos)
        << said;
    EXPECT_NE(said.find("nothing was changed"), std::string::npos) << said;
    EXPECT_EQ(run.config_after, instance_config_yaml({"prod", "src-a1", "acme", "4.0.0"}));
    EXPECT_EQ(run.branches, "");
    EXPECT_TRUE(run.pr.is_null());
    EXPECT_EQ(run.requests,
              std::vector<std::string>{github ? "GET /repos/acme/deployments"
                                              : "GET /api/v4/projects/acme%2Fdeployments"});
  }
}

// The dry run asks the same preflight and shows it.
TEST(UpgradePr, DryRunShowsThePreflightLookup) {
  ScratchDir scratch;
  Published plan = upgrade_on(Kind::kGitHub, scratch.path() / "gh", true);
  ASSERT_EQ(plan.code, 0) << plan.out << plan.err;
  EXPECT_NE(plan.out.find("preflight via github:"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("GET http://127.0.0.1:"), std::string::npos) << plan.out;
  ASSERT_FALSE(plan.requests.empty());
  EXPECT_EQ(plan.requests.front(), "GET /repos/acme/deployments");
}

}  // namespace
}  // namespace mi2::test
