// The built mi2 with the built github/gitlab plugins (loaded by the real host,
// requests sent by its curl client) against a fake forge on 127.0.0.1: the
// tracking issue, the runbook's review commands, and an upgrade run that
// opens the same PR on either forge depending only on `vcs:` in mi2.yaml.
#include <gtest/gtest.h>

#include <algorithm>

#include <regex>

#include "tests/plugins/forge_cli/forge_cli_fixture.h"

namespace mi2::test {
namespace {

TEST_P(ForgeCliTest, CreateTrackingIssueCreatesOnceThenFindsIt) {
  CliRun first = mi2({"env", "create-tracking-issue", "-e", "prod", "4.1.0", "-v"});
  ASSERT_EQ(first.code, 0) << first.err;
  Json issues = server.issues();
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0]["title"], "Upgrade prod to 4.1.0");
  std::string url = issues[0][GetParam() == Kind::kGitHub ? "html_url" : "web_url"];
  EXPECT_EQ(first.out, url + "\n");
  // Every prod instance the version applies to, and only those.
  std::string body = issue_body(issues[0]);
  EXPECT_NE(body.find("- [ ] acme (src-a1)\n"), std::string::npos) << body;
  EXPECT_NE(body.find("- [ ] globex (src-b2)\n"), std::string::npos) << body;
  for (const char* absent : {"initech", "umbrella", "hooli", "acme-dev"})
    EXPECT_EQ(body.find(absent), std::string::npos) << absent << " in " << body;

  CliRun second = mi2({"env", "create-tracking-issue", "-e", "prod", "4.1.0"});
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(second.out, url + "\n");
  EXPECT_NE(second.err.find("Found"), std::string::npos) << second.err;
  EXPECT_EQ(server.issues().size(), 1u);
  expect_no_token(first);
  expect_no_token(second);
  expect_no_token_on_disk();
}

// The text commands come from the forge plugin: gh for GitHub, glab for
// GitLab (never a gh command with vcs: gitlab), one per selected instance.
TEST_P(ForgeCliTest, WorkflowRunTextPrintsTheForgesOwnCommand) {
  CliRun run =
      mi2({"env", "workflow", "run", "-e", "prod", "-filter", ".spec.displayName == \"acme\"",
           "-format", "text", "-target-version", "4.1.0", "upgrade-instance"});
  ASSERT_EQ(run.code, 0) << run.err;
  if (GetParam() == Kind::kGitHub) {
    EXPECT_EQ(run.out.rfind("gh workflow run mi_upgrade.yml --repo acme/deployments", 0), 0u)
        << run.out;
  } else {
    EXPECT_EQ(run.out.find("gh "), std::string::npos) << run.out;
    EXPECT_EQ(run.out.rfind("glab ci run --repo acme/deployments", 0), 0u) << run.out;
    EXPECT_NE(run.out.find("--variables MI2_WORKFLOW:mi_upgrade.yml"), std::string::npos)
        << run.out;
  }
  EXPECT_NE(run.out.find("acme"), std::string::npos) << run.out;
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 1) << run.out;
}

TEST_P(ForgeCliTest, CreateTrackingIssueForLatestAsksTheForge) {
  bool github = GetParam() == Kind::kGitHub;
  write_text(fleet / "mi2.yaml",
             mi2_yaml(GetParam(), github ? "    release_repository: acme/deployments\n"
                                         : "    release_project: acme/deployments\n"));
  server.set_latest_release("v4.1.0");
  CliRun run = mi2({"env", "create-tracking-issue", "-e", "prod", "latest"});
  ASSERT_EQ(run.code, 0) << run.err;
  ASSERT_EQ(server.issues().size(), 1u);
  EXPECT_EQ(server.issues()[0]["title"], "Upgrade prod to 4.1.0");
}

TEST_P(ForgeCliTest, ReviewCommandsListViewApproveMergeAndTickTheIssue) {
  server.seed_issue("acme/customer", "Upgrade prod to 4.1.0",
                    "- [ ] acme (src-a1)\n- [ ] globex (src-b2)\n", {"team/cloud"});
  Json a = server.seed_pull("acme/deployments", "acme/upgrade-instance", "acme: upgrade to 4.1.0",
                            {"mi-upgrade"});
  server.seed_pull("acme/deployments", "unrelated", "unrelated", {});
  Json g = server.seed_pull("acme/deployments", "globex/upgrade-instance",
                            "globex: upgrade to 4.1.0", {"mi-upgrade"});
  const char* key = GetParam() == Kind::kGitHub ? "number" : "iid";
  std::string na = std::to_string(a[key].get<int64_t>()),
              ng = std::to_string(g[key].get<int64_t>());

  CliRun numbers =
      mi2({"pr", "list", "--label", "mi-upgrade", "--json", "number", "--jq", ".[].number"});
  ASSERT_EQ(numbers.code, 0) << numbers.err;
  std::string expected =
      GetParam() == Kind::kGitHub ? na + "\n" + ng + "\n" : ng + "\n" + na + "\n";
  EXPECT_EQ(numbers.out, expected);

  CliRun text = mi2({"pr", "list", "--label", "mi-upgrade"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("#" + na + "\tacme: upgrade to 4.1.0\tacme/upgrade-instance"),
            std::string::npos)
      << text.out;
  EXPECT_EQ(text.out.find("unrelated"), std::string::npos);

  CliRun view = mi2({"pr", "view", na});
  ASSERT_EQ(view.code, 0) << view.err;
  EXPECT_NE(view.out.find("acme: upgrade to 4.1.0 #" + na), std::string::npos) << view.out;

  CliRun approve = mi2({"pr", "approve", na, ng});
  ASSERT_EQ(approve.code, 0) << approve.err;
  EXPECT_EQ(server.approvals().size(), 2u);

  CliRun merge = mi2({"pr", "merge", na, "--squash", "--auto"});
  ASSERT_EQ(merge.code, 0) << merge.err;
  EXPECT_NE(merge.out.find("Merged #" + na), std::string::npos) << merge.out;
  EXPECT_NE(merge.out.find("Ticked src-a1"), std::string::npos) << merge.out << merge.err;
  std::string body = issue_body(server.issues()[0]);
  EXPECT_NE(body.find("- [x] acme (src-a1)"), std::string::npos) << body;
  EXPECT_NE(body.find("- [ ] globex (src-b2)"), std::string::npos) << body;

  // Checks pending: auto-merge is enabled, the issue is not ticked yet.
  server.set_checks_pending(true);
  CliRun queued = mi2({"pr", "merge", ng, "--squash", "--auto"});
  ASSERT_EQ(queued.code, 0) << queued.err;
  EXPECT_NE(queued.out.find("Auto-merge enabled for #" + ng), std::string::npos) << queued.out;
  EXPECT_NE(issue_body(server.issues()[0]).find("- [ ] globex (src-b2)"), std::string::npos);
  for (const CliRun* run : {&numbers, &text, &view, &approve, &merge, &queued})
    expect_no_token(*run);
  expect_no_token_on_disk();
}

TEST_P(ForgeCliTest, WrongTokenFailsWithASentenceThatHidesIt) {
  CliRun run = mi2({"pr", "list", "--label", "mi-upgrade"}, {}, "wrong-SECRET-value");
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("401"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(GetParam() == Kind::kGitHub ? "$GITHUB_TOKEN" : "$GITLAB_TOKEN"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("wrong-SECRET-value"), std::string::npos) << run.err;
}

TEST_P(ForgeCliTest, UnknownEnvironmentAndBadVersionAreRefused) {
  CliRun env = mi2({"env", "create-tracking-issue", "-e", "nope", "4.1.0"});
  EXPECT_EQ(env.code, 1);
  EXPECT_NE(env.err.find("nope"), std::string::npos) << env.err;
  CliRun version = mi2({"env", "create-tracking-issue", "-e", "prod", "4.1;rm"});
  EXPECT_EQ(version.code, 2) << version.err;
  EXPECT_TRUE(server.issues().empty());
}

INSTANTIATE_TEST_SUITE_P(Forges, ForgeCliTest, ::testing::Values(Kind::kGitHub, Kind::kGitLab),
                         [](const auto& info) { return forge_name(info.param); });

}  // namespace
}  // namespace mi2::test
