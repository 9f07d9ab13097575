// vcs: real git (the fleet repo and a bare origin) and the local forge folder.
#include "local_fixture.h"

namespace mi2::local::test {
namespace {

class LocalForgeTest : public LocalFleetTest {
 protected:
  void SetUp() override {
    LocalFleetTest::SetUp();
    origin_ = dir_.path() / "origin.git";
    git({"init", "-q", "--bare", "-b", "main", origin_.string()}, dir_.path());
    git({"init", "-q", "-b", "main"});
    git({"add", "-A"});
    git({"commit", "-q", "-m", "sample fleet"});
    git({"remote", "add", "origin", origin_.string()});
    git({"push", "-q", "origin", "main"});
  }

  std::string git(const std::vector<std::string>& args, fs::path cwd = {}) {
    ProcessRequest request;
    request.argv = {"git"};
    request.argv.insert(request.argv.end(), args.begin(), args.end());
    request.cwd = (cwd.empty() ? root() : cwd).string();
    request.env = {"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
                   "GIT_COMMITTER_EMAIL=t@example.com"};
    ProcessResult r = SystemProcessRunner().run(request);
    EXPECT_TRUE(r.ok()) << r.err;
    return r.out;
  }

  json publish_params() {
    return {{"branch", "acme/upgrade-instance"},
            {"base", "main"},
            {"commit_message", "acme: upgrade to 4.2.0"},
            {"title", "acme: upgrade to 4.2.0"},
            {"body", "Part of #1"},
            {"labels", {"mi-upgrade"}},
            {"paths", {"config.yaml", "kubernetes", "terraform/stacks", "charts"}}};
  }

  fs::path origin_;
};

TEST_F(LocalForgeTest, PublishCommitsPushesAndOpensOnePullRequest) {
  call("render", "render", input("4.2.0"));
  json out = call("vcs", "publish", input("4.2.0", publish_params()));
  EXPECT_EQ(out["branch"], "acme/upgrade-instance");
  EXPECT_TRUE(out["pr"]["created"]);
  EXPECT_EQ(out["pr"]["number"], 1);

  // The origin has the branch: one commit on main, with the instance's files only.
  std::string log =
      git({"--git-dir", origin_.string(), "log", "--format=%s", "acme/upgrade-instance"});
  EXPECT_EQ(log, "acme: upgrade to 4.2.0\nsample fleet\n");
  std::string files =
      git({"--git-dir", origin_.string(), "diff", "--name-only", "main", "acme/upgrade-instance"});
  EXPECT_NE(files.find("src-1a2b3c/kubernetes/kustomization.yaml"), std::string::npos);
  EXPECT_EQ(files.find("src-4d5e6f"), std::string::npos);

  json pr = call("vcs", "pr-view", input("4.2.0", {{"number", 1}}))["pr"];
  EXPECT_EQ(pr["labels"], json({"mi-upgrade"}));
  EXPECT_EQ(pr["body"], "Part of #1");
  EXPECT_EQ(pr["state"], "open");

  // Publishing again (a resumed run) updates the same pull request.
  json again = call("vcs", "publish", input("4.2.0", publish_params()));
  EXPECT_FALSE(again["pr"]["created"]);
  EXPECT_EQ(again["pr"]["number"], 1);
  EXPECT_EQ(again["commit"], out["commit"]);

  EXPECT_EQ(call("vcs", "pr-list", input("4.2.0", {{"label", "mi-upgrade"}}))["prs"].size(), 1u);
  EXPECT_TRUE(call("vcs", "pr-list", input("4.2.0", {{"label", "other"}}))["prs"].empty());
}

TEST_F(LocalForgeTest, ApproveAndSquashMergeIntoOriginMain) {
  call("render", "render", input("4.2.0"));
  call("vcs", "publish", input("4.2.0", publish_params()));
  call("vcs", "pr-approve", input("4.2.0", {{"number", 1}}));
  json merged = call("vcs", "pr-merge", input("4.2.0", {{"number", 1}, {"squash", true}}));
  EXPECT_TRUE(merged["merged"]);
  std::string log = git({"--git-dir", origin_.string(), "log", "--format=%s", "main"});
  EXPECT_EQ(log, "acme: upgrade to 4.2.0 (#1)\nsample fleet\n");
  std::string config = git({"--git-dir", origin_.string(), "show",
                            "main:environments/dev/deployments/src-1a2b3c/config.yaml"});
  EXPECT_NE(config.find("4.1.0"), std::string::npos);  // render does not touch config.yaml
  std::string k =
      git({"--git-dir", origin_.string(), "show",
           "main:environments/dev/deployments/src-1a2b3c/kubernetes/kustomization.yaml"});
  EXPECT_NE(k.find("4.2.0"), std::string::npos);
  json pr = call("vcs", "pr-view", input("4.2.0", {{"number", 1}}))["pr"];
  EXPECT_EQ(pr["state"], "merged");
  EXPECT_EQ(pr["reviews"][0]["state"], "APPROVED");
  EXPECT_TRUE(call("vcs", "pr-list", input("4.2.0", {{"label", "mi-upgrade"}}))["prs"].empty());
}

TEST_F(LocalForgeTest, TrackingIssueIsIdempotentByTitle) {
  json params = {{"version", "4.2.0"},
                 {"environment", "dev"},
                 {"title", "Upgrade dev to 4.2.0"},
                 {"labels", {"team/cloud"}}};
  json first = call("vcs", "tracking-issue", input("4.2.0", params));
  EXPECT_TRUE(first["issue"]["created"]);
  json second = call("vcs", "tracking-issue", input("4.2.0", params));
  EXPECT_FALSE(second["issue"]["created"]);
  EXPECT_EQ(second["issue"]["number"], first["issue"]["number"]);
  EXPECT_EQ(call("vcs", "tracking-issue-check", input("4.2.0", params))["issue"]["number"], 1);
  EXPECT_THROW(call("vcs", "tracking-issue-check", input("4.2.0", {{"version", "9.9.9"}})),
               sdk::Error);
  EXPECT_EQ(call("vcs", "latest-version", input("4.2.0"))["version"], "4.2.0");
}

TEST_F(LocalForgeTest, RefusesBadBranchesAndPathsOutsideTheFleet) {
  json bad = publish_params();
  bad["branch"] = "acme/..bad";
  EXPECT_THROW(call("vcs", "publish", input("4.2.0", bad)), sdk::Error);
  json outside = publish_params();
  outside["paths"] = {"../../../../../etc"};
  EXPECT_THROW(call("vcs", "publish", input("4.2.0", outside)), sdk::Error);
  for (const auto& c : fake().exec_calls) EXPECT_NE(c.argv[0], "sh");  // argv only, never a shell
}

}  // namespace
}  // namespace mi2::local::test

namespace mi2::local::test {
namespace {

TEST_F(LocalForgeTest, TrackingIssueCheckTicksTheInstance) {
  json params = {{"version", "4.2.0"},
                 {"title", "Upgrade dev to 4.2.0"},
                 {"body", "Instances:\n\n- [ ] acme (src-1a2b3c)\n- [ ] globex (src-4d5e6f)\n"}};
  call("vcs", "tracking-issue", input("4.2.0", params));
  json out = call(
      "vcs", "tracking-issue-check",
      input("4.2.0",
            {{"version", "4.2.0"}, {"title", "Upgrade dev to 4.2.0"}, {"instance", "src-1a2b3c"}}));
  EXPECT_TRUE(out["listed"]);
  json issue = json::parse(slurp(root() / ".mi2/forge/issues/1.json"));
  EXPECT_EQ(issue["body"], "Instances:\n\n- [x] acme (src-1a2b3c)\n- [ ] globex (src-4d5e6f)\n");
  json missing = call("vcs", "tracking-issue-check",
                      input("4.2.0", {{"version", "4.2.0"},
                                      {"title", "Upgrade dev to 4.2.0"},
                                      {"instance", "src-1a2b3"}}));  // a prefix is not a match
  EXPECT_FALSE(missing["listed"]);
}

}  // namespace
}  // namespace mi2::local::test

namespace mi2::local::test {
namespace {

TEST_F(LocalForgeTest, DryRunWritesNothing) {
  call("render", "render", input("4.2.0"));
  fake().dry_run = true;
  json out = call("vcs", "publish", input("4.2.0", publish_params()));
  EXPECT_TRUE(out["dry_run"]);
  EXPECT_EQ(out["would_commit"].size(), 3u) << out.dump();
  EXPECT_FALSE(fs::exists(root() / ".mi2"));  // no index, no forge, no lock
  EXPECT_EQ(git({"--git-dir", origin_.string(), "branch", "--list", "acme/*"}), "");
  bool planned_push = false;
  for (const auto& c : fake().exec_calls)
    planned_push |= c.mutating && std::find(c.argv.begin(), c.argv.end(), "push") != c.argv.end();
  EXPECT_TRUE(planned_push);  // the plan shows the push
  call("migrate", "status", input("4.2.0"));
  EXPECT_FALSE(fs::exists(root() / ".mi2"));
}

}  // namespace
}  // namespace mi2::local::test

namespace mi2::local::test {
namespace {

// The runbook's last step on the local forge, with real git: PRs published
// and squash-merged into the bare origin, then `tracking-issue-sync`.
TEST_F(LocalForgeTest, TrackingIssueSyncTicksMergedMarksFailedAndWritesOnlyOnChange) {
  const std::vector<std::pair<std::string, std::string>> instances = {
      {"src-1a2b3c", "acme"}, {"src-0d1e2f", "umbrella"}, {"src-7a8b9c", "initech"}};
  for (const auto& [id, slug] : instances) {
    call("render", "render", input("4.2.0", {}, id));
    json params = publish_params();
    params["branch"] = slug + "/upgrade-instance";
    params["title"] = params["commit_message"] = slug + ": upgrade to 4.2.0";
    call("vcs", "publish", input("4.2.0", params, id));
  }
  json issue_params = {{"version", "4.2.0"},
                       {"title", "Upgrade dev to 4.2.0"},
                       {"body",
                        "Instances:\n\n- [ ] acme (src-1a2b3c)\n- [ ] umbrella (src-0d1e2f)\n"
                        "- [ ] initech (src-7a8b9c)\n- [ ] globex (src-4d5e6f)\n"}};
  call("vcs", "tracking-issue", input("4.2.0", issue_params));
  call("vcs", "pr-merge", input("4.2.0", {{"number", 1}, {"squash", true}}));
  call("vcs", "pr-merge", input("4.2.0", {{"number", 2}, {"squash", true}, {"auto", true}}));
  EXPECT_EQ(git({"--git-dir", origin_.string(), "log", "--format=%s", "-2", "main"}),
            "umbrella: upgrade to 4.2.0 (#2)\nacme: upgrade to 4.2.0 (#1)\n");

  json sync = {
      {"environment", "dev"},
      {"version", "4.2.0"},
      {"title", "Upgrade dev to 4.2.0"},
      {"label", "mi-upgrade"},
      {"instances",
       {{{"id", "src-1a2b3c"}, {"slug", "acme"}, {"run", nullptr}},
        {{"id", "src-0d1e2f"}, {"slug", "umbrella"}, {"run", nullptr}},
        {{"id", "src-7a8b9c"},
         {"slug", "initech"},
         {"run", {{"run_id", "r-7"}, {"result", "succeeded"}}}},
        {{"id", "src-4d5e6f"},
         {"slug", "globex"},
         {"run", {{"run_id", "r-9"}, {"result", "failed"}, {"failed_step", "migrate"}}}}}}};
  fs::path issue_file = root() / ".mi2/forge/issues/1.json";
  json out = call("vcs", "tracking-issue-sync", input("4.2.0", sync));
  EXPECT_TRUE(out["updated"]);
  EXPECT_EQ(
      out["summary"],
      json({{"ticked", 2}, {"failed", 1}, {"cleared", 0}, {"unchanged", 1}, {"not_listed", 0}}));
  EXPECT_EQ(json::parse(slurp(issue_file))["body"],
            "Instances:\n\n- [x] acme (src-1a2b3c)\n- [x] umbrella (src-0d1e2f)\n"
            "- [ ] initech (src-7a8b9c)\n- [ ] globex (src-4d5e6f) \u274C failed at migrate (run "
            "r-9)\n");

  // Idempotent: the second sync leaves the file as it is (not even rewritten).
  std::string written = slurp(issue_file);
  auto mtime = fs::last_write_time(issue_file);
  json again = call("vcs", "tracking-issue-sync", input("4.2.0", sync));
  EXPECT_FALSE(again["changed"]);
  EXPECT_FALSE(again["updated"]);
  EXPECT_EQ(again["summary"]["unchanged"], 4);
  EXPECT_EQ(slurp(issue_file), written);
  EXPECT_EQ(fs::last_write_time(issue_file), mtime);

  // A dry run says what a newer failure would change, and writes nothing.
  sync["instances"][3]["run"]["run_id"] = "r-10";
  fake().dry_run = true;
  json plan = call("vcs", "tracking-issue-sync", input("4.2.0", sync));
  EXPECT_TRUE(plan["dry_run"]);
  EXPECT_TRUE(plan["changed"]);
  EXPECT_FALSE(plan["updated"]);
  EXPECT_EQ(plan["instances"][3]["mark"], "\u274C failed at migrate (run r-10)");
  EXPECT_EQ(slurp(issue_file), written);
  fake().dry_run = false;

  // No issue for the version: a failure saying how to create it.
  sync["version"] = "9.9.9";
  sync["title"] = "Upgrade dev to 9.9.9";
  Driver::Reply missing = invoke("vcs", "tracking-issue-sync", input("4.2.0", sync));
  EXPECT_EQ(missing.status, MI2_FAILED);
  EXPECT_NE(missing.error.find("mi2 env create-tracking-issue -e dev 9.9.9"), std::string::npos)
      << missing.error;
  EXPECT_EQ(missing.output["found"], false);
}

}  // namespace
}  // namespace mi2::local::test
