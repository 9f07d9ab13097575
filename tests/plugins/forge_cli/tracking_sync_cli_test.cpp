// The runbook's last step through the built mi2 on GitHub and on GitLab
// (fake forges on 127.0.0.1): real upgrade runs open the PRs and write the
// journals, one PR is merged in the web page, one by auto-merge once checks
// pass, one stays open, one run fails at publish; then `mi2 env
// tracking-issue sync` ticks, marks, leaves, and a second sync writes nothing.
#include <gtest/gtest.h>

#include "tests/plugins/forge_cli/forge_cli_fixture.h"

namespace mi2::test {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class TrackingSyncCliTest : public ForgeCliTest {
 protected:
  TrackingSyncCliTest() {
    fleet = make_fleet_repo(scratch.path() / "sync", mi2_yaml(GetParam(), kPublishRecipe),
                            {{"prod", "src-a1", "acme", "4.0.0"},
                             {"prod", "src-b2", "globex", "4.0.0"},
                             {"prod", "src-c3", "initech", "4.0.0"},
                             {"prod", "src-d4", "umbrella", "4.0.0"},
                             {"prod", "src-e5", "hooli", "4.0.0"},
                             {"dev", "src-f6", "hooli", "4.0.0"}});
  }

  bool github() const { return GetParam() == Kind::kGitHub; }
  fs::path instance(const std::string& environment, const std::string& id) {
    return fleet / "environments" / environment / "deployments" / id;
  }
  CliRun upgrade(const std::string& environment, const std::string& id,
                 std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"instance", "upgrade", "-target-version", "4.1.0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return mi2(args, instance(environment, id));
  }
  // The PR/MR the fake forge holds for `title` in `environment`.
  int64_t pull_number(const std::string& title, const std::string& environment) {
    for (const auto& pull : server.pulls()) {
      std::string body = pull.value(github() ? "body" : "description", "");
      if (pull["title"] == title && has(body, "environment `" + environment + "`"))
        return pull[github() ? "number" : "iid"].get<int64_t>();
    }
    ADD_FAILURE() << "no pull request '" << title << "' in " << environment;
    return 0;
  }
  Json prod_issue() {
    for (const auto& issue : server.issues())
      if (issue["title"] == "Upgrade prod to 4.1.0") return issue;
    return nullptr;
  }
  // Requests that change an issue (GitHub PATCH, GitLab PUT on its path).
  size_t issue_writes() {
    std::string path =
        github() ? "/repos/acme/customer/issues" : "/api/v4/projects/acme%2Fcustomer/issues";
    return server.requests_to(github() ? "PATCH" : "PUT", path).size();
  }
  std::string only_run(const std::string& environment, const std::string& id) {
    fs::path runs = fleet / ".mi2/state" / environment / id / "runs";
    std::vector<std::string> ids;
    for (const auto& entry : fs::directory_iterator(runs))
      if (entry.path().extension() == ".jsonl") ids.push_back(entry.path().stem().string());
    EXPECT_EQ(ids.size(), 1u);
    return ids.empty() ? "" : ids[0];
  }
};

TEST_P(TrackingSyncCliTest, TicksMergedAndAutoMergedMarksFailedLeavesOpenAndIsIdempotent) {
  // No issue yet: one sentence saying how to make one, and no write.
  CliRun missing = mi2({"env", "tracking-issue", "sync", "-e", "prod", "4.1.0"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(has(missing.err, "there is no tracking issue for 4.1.0 in prod")) << missing.err;
  EXPECT_TRUE(has(missing.err, "mi2 env create-tracking-issue -e prod 4.1.0")) << missing.err;
  EXPECT_TRUE(server.issues().empty());
  ASSERT_EQ(mi2({"env", "create-tracking-issue", "-e", "prod", "4.1.0"}).code, 0);

  // dev's hooli upgrades and merges first: its PR has prod hooli's title.
  CliRun dev = upgrade("dev", "src-f6");
  ASSERT_EQ(dev.code, 0) << dev.out << dev.err;
  server.set_pull_state("acme/deployments", pull_number("hooli: upgrade to 4.1.0", "dev"),
                        "merged");
  for (const char* id : {"src-a1", "src-b2", "src-e5"}) {
    CliRun run = upgrade("prod", id);
    ASSERT_EQ(run.code, 0) << id << run.out << run.err;
  }
  // initech's run fails at publish: the forge refuses its PR.
  server.inject("POST",
                github() ? "/repos/acme/deployments/pulls"
                         : "/api/v4/projects/acme%2Fdeployments/merge_requests",
                403, {}, R"({"message":"Resource not accessible by integration"})");
  CliRun failed = upgrade("prod", "src-c3");
  ASSERT_EQ(failed.code, 1) << failed.out << failed.err;
  std::string failed_run = only_run("prod", "src-c3");

  // acme merged in the web page; globex by auto-merge once checks pass; hooli stays open.
  server.set_pull_state("acme/deployments", pull_number("acme: upgrade to 4.1.0", "prod"),
                        "merged");
  server.set_checks_pending(true);
  std::string globex = std::to_string(pull_number("globex: upgrade to 4.1.0", "prod"));
  CliRun queued = mi2({"pr", "merge", globex, "--squash", "--auto"});
  ASSERT_EQ(queued.code, 0) << queued.err;
  ASSERT_TRUE(has(queued.out, "Auto-merge enabled")) << queued.out;
  server.set_checks_pending(false);

  const std::string before = issue_body(prod_issue());
  CliRun plan = mi2({"env", "tracking-issue", "sync", "-e", "prod", "4.1.0", "-dry-run"});
  ASSERT_EQ(plan.code, 0) << plan.err;
  EXPECT_TRUE(has(plan.out, "Dry run, nothing written")) << plan.out;
  EXPECT_TRUE(has(plan.out, "would tick")) << plan.out;
  EXPECT_TRUE(has(plan.out, "would mark")) << plan.out;
  EXPECT_TRUE(has(plan.out, "ticked 2, failed 1, unchanged 2, not listed 0")) << plan.out;
  EXPECT_EQ(issue_writes(), 0u);
  EXPECT_EQ(issue_body(prod_issue()), before);

  CliRun sync = mi2({"env", "tracking-issue", "sync", "--environment", "prod", "4.1.0"});
  ASSERT_EQ(sync.code, 0) << sync.err;
  EXPECT_TRUE(has(sync.out, "ticked 2, failed 1, unchanged 2, not listed 0")) << sync.out;
  EXPECT_TRUE(has(sync.out, "(auto-merge)")) << sync.out;
  std::string body = issue_body(prod_issue());
  EXPECT_TRUE(has(body, "- [x] acme (src-a1)\n")) << body;
  EXPECT_TRUE(has(body, "- [x] globex (src-b2)\n")) << body;
  EXPECT_TRUE(
      has(body, "- [ ] initech (src-c3) \u274C failed at publish (run " + failed_run + ")\n"))
      << body;
  EXPECT_TRUE(has(body, "- [ ] umbrella (src-d4)\n")) << body;
  EXPECT_TRUE(has(body, "- [ ] hooli (src-e5)\n")) << body;  // dev's merged PR is not its
  EXPECT_EQ(issue_writes(), 1u);

  // Nothing new: the second sync reads and writes nothing.
  size_t requests = server.requests().size();
  CliRun again = mi2({"env", "tracking-issue", "sync", "-e", "prod", "4.1.0", "--json"});
  ASSERT_EQ(again.code, 0) << again.err;
  Json out = Json::parse(again.out);
  EXPECT_FALSE(out["changed"].get<bool>());
  EXPECT_FALSE(out["updated"].get<bool>());
  EXPECT_EQ(out["summary"]["ticked"], 0);
  EXPECT_EQ(out["summary"]["failed"], 0);
  EXPECT_EQ(out["summary"]["unchanged"], 5);
  EXPECT_EQ(out["version"], "4.1.0");
  EXPECT_EQ(issue_writes(), 1u);
  for (size_t i = requests; i < server.requests().size(); ++i)
    EXPECT_EQ(server.requests()[i].method, "GET") << server.requests()[i].target;
  EXPECT_EQ(issue_body(prod_issue()), body);

  // initech's run resumed and succeeded: its mark goes (its PR is open, not ticked).
  CliRun resumed = upgrade("prod", "src-c3", {"--resume", failed_run});
  ASSERT_EQ(resumed.code, 0) << resumed.out << resumed.err;
  CliRun cleared = mi2({"env", "tracking-issue", "sync", "-e", "prod", "4.1.0"});
  ASSERT_EQ(cleared.code, 0) << cleared.err;
  EXPECT_TRUE(has(cleared.out, "ticked 0, failed 0, cleared 1, unchanged 4")) << cleared.out;
  EXPECT_TRUE(has(issue_body(prod_issue()), "- [ ] initech (src-c3)\n"))
      << issue_body(prod_issue());
  EXPECT_EQ(issue_writes(), 2u);
  for (const CliRun* run : {&missing, &plan, &sync, &again, &cleared}) expect_no_token(*run);
  expect_no_token_on_disk();
}

TEST_P(TrackingSyncCliTest, HelpAndUsageErrors) {
  CliRun help = mi2({"env", "tracking-issue", "sync", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_TRUE(has(help.out, "-e ENV VERSION")) << help.out;
  EXPECT_TRUE(has(help.out, "--dry-run")) << help.out;
  CliRun group = mi2({"env", "tracking-issue", "-help"});
  EXPECT_EQ(group.code, 0);
  EXPECT_TRUE(has(group.out, "mi2 env tracking-issue sync")) << group.out;
  CliRun no_version = mi2({"env", "tracking-issue", "sync", "-e", "prod"});
  EXPECT_EQ(no_version.code, 2);
  EXPECT_TRUE(has(no_version.err, "VERSION")) << no_version.err;
  CliRun bad_version = mi2({"env", "tracking-issue", "sync", "-e", "prod", "4.1;rm"});
  EXPECT_EQ(bad_version.code, 2);
  CliRun unknown = mi2({"env", "tracking-issue", "tick"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_TRUE(has(unknown.err, "unknown subcommand 'tick'")) << unknown.err;
  EXPECT_TRUE(server.requests().empty());
}

INSTANTIATE_TEST_SUITE_P(Forges, TrackingSyncCliTest,
                         ::testing::Values(Kind::kGitHub, Kind::kGitLab),
                         [](const auto& info) { return forge_name(info.param); });

}  // namespace
}  // namespace mi2::test
