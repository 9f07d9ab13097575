// `mi2 env workflow run -exec` and `mi2 env workflow status`, the built mi2
// with the built github/gitlab plugins against a stateful fake forge on
// 127.0.0.1: four dispatches in flight each shown their own run, a JSON
// array with -format json, a lost reply reported as uncertain and never
// re-dispatched by --resume, runs watched until they finish, a second
// dispatch refused while the first run is in flight, and a dry run that says
// what its lookup found.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/plugins/forge_support/fake_forge_server.h"
#include "tests/plugins/forge_support/local_process.h"

namespace fs = std::filesystem;

namespace mi2::test {
namespace {

using Kind = FakeForgeServer::Kind;

const char* kWorkflowToken = "workflow-cli-SECRET-token-9";

struct CliRun {
  int code = -1;
  std::string out, err;
};

// The run-name line of the example workflow, as GitHub would render it.
std::string example_run_name() {
  std::ifstream in(fs::path(MI2_SOURCE_DIR) / "examples/fleet/.github/workflows/mi_upgrade.yml");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("run-name: ", 0) == 0) return line.substr(10);
  return "";
}

class WorkflowCliTest : public ::testing::TestWithParam<Kind> {
 protected:
  WorkflowCliTest() : server(GetParam(), kWorkflowToken) {
    github = GetParam() == Kind::kGitHub;
    server.add_repository("acme/deployments");
    server.set_run_name(example_run_name());
    std::string name = github ? "github" : "gitlab";
    std::string yaml = "roles:\n  vcs: " + name + "\nplugins:\n  " + name + ":\n    " +
                       (github ? "repository" : "project") +
                       ": acme/deployments\n    api_url: " + server.api_url() +
                       "\n    backoff_base_ms: 1\n    run_lookup_wait_ms: 5\n";
    fleet = make_fleet_repo(scratch.path(), yaml,
                            {{"prod", "src-a1", "acme", "4.0.0"},
                             {"prod", "src-b2", "globex", "4.0.0"},
                             {"prod", "src-c3", "initech", "4.0.0"},
                             {"prod", "src-d4", "umbrella", "4.0.0"}});
  }

  CliRun mi2(std::vector<std::string> args) {
    sdk::FakeHost::ExecCall call;
    call.argv = {MI2_EXE};
    call.argv.insert(call.argv.end(), args.begin(), args.end());
    call.cwd = fleet.string();
    call.env = {std::string(github ? "GITHUB_TOKEN=" : "GITLAB_TOKEN=") + kWorkflowToken,
                "MI2_PLUGIN_PATH=" MI2_BUILD_PLUGIN_DIR, "TARGET_VERSION="};
    sdk::ExecResult result = run_local(call);
    EXPECT_EQ(result.out.find(kWorkflowToken), std::string::npos);
    EXPECT_EQ(result.err.find(kWorkflowToken), std::string::npos);
    return {result.exit_code, result.out, result.err};
  }

  CliRun dispatch(std::vector<std::string> extra, const std::string& filter = "true") {
    std::vector<std::string> args = {"env",  "workflow",        "run",   "-e",   "prod", "-filter",
                                     filter, "-target-version", "4.1.0", "-exec"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("upgrade-instance");
    return mi2(args);
  }

  static std::string batch_of(const CliRun& run) {
    std::smatch match;
    static const std::regex id(R"(Batch (wf-\d{8}T\d{6}Z-[0-9a-f]{6}))");
    return std::regex_search(run.err, match, id) ? match[1].str() : "";
  }

  // The customer (slug) of a run the fake started.
  std::string customer_of(const Json& run) {
    if (github) return run["inputs"].value("customer", "");
    for (const auto& variable : run["variables"])
      if (variable["key"] == "customer") return variable["value"];
    return "";
  }
  std::string url_of(const Json& run) { return run[github ? "html_url" : "web_url"]; }
  Json run_for(const std::string& customer) {
    for (const auto& run : server.runs())
      if (customer_of(run) == customer) return run;
    return nullptr;
  }

  ScratchDir scratch;
  FakeForgeServer server;
  bool github = true;
  fs::path fleet;
};

TEST_P(WorkflowCliTest, FourDispatchesInFlightAreEachShownTheirOwnRun) {
  server.set_return_run_details(false);  // GitHub: found by the run-name's dispatch id
  server.set_run_listing_delay(3);
  CliRun run = dispatch({"-exec.concurrency", "4"});
  ASSERT_EQ(run.code, 0) << run.err;
  ASSERT_EQ(server.runs().size(), 4u);
  for (const auto& [id, slug] :
       std::vector<std::pair<std::string, std::string>>{{"src-a1", "acme"},
                                                        {"src-b2", "globex"},
                                                        {"src-c3", "initech"},
                                                        {"src-d4", "umbrella"}}) {
    Json mine = run_for(slug);
    ASSERT_FALSE(mine.is_null()) << slug;
    EXPECT_NE(run.out.find(id + " " + url_of(mine) + "\n"), std::string::npos)
        << id << " should show " << url_of(mine) << ":\n"
        << run.out;
  }
  EXPECT_FALSE(batch_of(run).empty()) << run.err;
}

TEST_P(WorkflowCliTest, AnUnmatchedRunIsReportedAsNotYetFound) {
  if (!github) GTEST_SKIP() << "GitLab names the pipeline in the create call's answer";
  server.set_return_run_details(false);
  server.set_run_listing_delay(1000);
  CliRun run = dispatch({}, ".metadata.name == \"src-a1\"");
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("src-a1 dispatched, run not yet found"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("/actions/runs/"), std::string::npos) << run.out;
}

TEST_P(WorkflowCliTest, JsonFormatPrintsAnArrayOfDispatches) {
  CliRun run = dispatch({"-format", "json", "-exec.concurrency", "2"});
  ASSERT_EQ(run.code, 0) << run.err;
  Json out = Json::parse(run.out, nullptr, false);
  ASSERT_TRUE(out.is_array()) << run.out;
  ASSERT_EQ(out.size(), 4u);
  for (const auto& item : out) {
    for (const char* key : {"instance", "slug", "dispatched", "run_id", "run_url", "error"})
      EXPECT_TRUE(item.contains(key)) << key << " in " << item;
    EXPECT_EQ(item["dispatched"], true);
    EXPECT_TRUE(item["error"].is_null());
    EXPECT_EQ(item["run_url"], url_of(run_for(item["slug"])));
    EXPECT_EQ(item["run_id"], run_for(item["slug"])["id"]);
  }
}

TEST_P(WorkflowCliTest, ALostReplyIsNamedAndResumeDispatchesOnlyTheRefused) {
  std::string post = github ? "/repos/acme/deployments/actions/workflows/"
                            : "/api/v4/projects/acme%2Fdeployments/pipeline";
  server.inject("POST", post, 502, {}, "{}", 1, true);  // src-a1: started, reply lost
  server.inject("POST", post, 404, {}, R"({"message":"Not Found"})", 1);  // src-b2: refused
  CliRun run = dispatch({});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(server.runs().size(), 3u);  // a1 (lost reply), c3, d4
  EXPECT_NE(run.err.find("may have started a run"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("  src-a1 (dispatch id "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(github ? "is listed on http://127.0.0.1:" : "/-/pipelines)"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("run again"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("run the command again"), std::string::npos) << run.err;
  std::string batch = batch_of(run);
  ASSERT_FALSE(batch.empty()) << run.err;
  EXPECT_NE(run.err.find("--resume " + batch), std::string::npos) << run.err;

  CliRun resumed = mi2({"env", "workflow", "run", "-e", "prod", "-exec", "--resume", batch});
  EXPECT_EQ(resumed.code, 1) << resumed.err;  // src-a1 is still uncertain
  ASSERT_EQ(server.runs().size(), 4u) << resumed.out << resumed.err;
  EXPECT_EQ(customer_of(server.runs()[3]), "globex");
  EXPECT_NE(resumed.out.find("src-b2 "), std::string::npos) << resumed.out;
  EXPECT_EQ(resumed.out.find("src-a1"), std::string::npos) << resumed.out;

  // The status finds src-a1's run by its dispatch id: no longer uncertain.
  CliRun status = mi2({"env", "workflow", "status", "-e", "prod", "--batch", batch, "--no-wait",
                       "-format", "json"});
  Json entries = Json::parse(status.out, nullptr, false);
  ASSERT_TRUE(entries.is_array()) << status.out << status.err;
  for (const auto& e : entries) EXPECT_EQ(e["dispatched"], true) << e;
  CliRun again = mi2({"env", "workflow", "run", "-e", "prod", "-exec", "--resume", batch});
  EXPECT_EQ(server.runs().size(), 4u) << again.out << again.err;
}

TEST_P(WorkflowCliTest, StatusWatchesEveryRunUntilItFinishes) {
  server.set_final_state_for("initech", github ? "completed:failure" : "failed");
  CliRun run = dispatch({"-exec.concurrency", "2"});
  ASSERT_EQ(run.code, 0) << run.err;
  std::string batch = batch_of(run);
  CliRun status = mi2({"env", "workflow", "status", "-e", "prod", "--interval", "0"});
  EXPECT_EQ(status.code, 1) << status.err;  // initech's run failed
  // Each change as it happens (stderr), then every run's final state (stdout).
  for (const char* state : {"in_progress", "success", "failure"})
    EXPECT_NE(status.err.find(std::string("\t") + state + "\t"), std::string::npos)
        << state << " in\n"
        << status.err;
  EXPECT_EQ(std::count(status.out.begin(), status.out.end(), '\n'), 4) << status.out;
  EXPECT_NE(status.out.find("src-c3\tfailure\t" + url_of(run_for("initech"))), std::string::npos)
      << status.out;
  EXPECT_NE(status.out.find("src-a1\tsuccess\t" + url_of(run_for("acme"))), std::string::npos)
      << status.out;
  EXPECT_NE(status.err.find("Batch " + batch + ": 3 succeeded, 1 failed"), std::string::npos)
      << status.err;
  // Finished runs are not asked about again.
  size_t requests = server.requests().size();
  CliRun later = mi2({"env", "workflow", "status", "-e", "prod", "--batch", batch});
  EXPECT_EQ(later.code, 1);
  EXPECT_EQ(server.requests().size(), requests);
}

TEST_P(WorkflowCliTest, ExecWaitReturnsZeroWhenEveryRunSucceeds) {
  CliRun run = dispatch({"-exec.concurrency", "4", "--wait", "--interval", "0"});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.err.find(": 4 succeeded, 0 failed"), std::string::npos) << run.err;
}

TEST_P(WorkflowCliTest, ASecondDispatchWhileTheRunIsInFlightIsRefused) {
  // Each look at the run moves it on: queued, in progress, success.
  std::string acme = ".metadata.name == \"src-a1\"";
  ASSERT_EQ(dispatch({}, acme).code, 0);
  CliRun second = dispatch({}, acme);
  EXPECT_EQ(second.code, 1);
  EXPECT_EQ(server.runs().size(), 1u);
  EXPECT_NE(second.err.find("src-a1: not dispatched"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("concurrency group"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("--allow-duplicate"), std::string::npos) << second.err;
  // Its run goes on (in_progress), then finishes: a new dispatch is allowed again.
  EXPECT_EQ(dispatch({}, acme).code, 1);
  CliRun third = dispatch({}, acme);
  EXPECT_EQ(third.code, 0) << third.err;
  EXPECT_EQ(server.runs().size(), 2u);
  CliRun forced = dispatch({"--allow-duplicate"}, acme);
  EXPECT_EQ(forced.code, 0) << forced.err;
  EXPECT_EQ(server.runs().size(), 3u);
}

TEST_P(WorkflowCliTest, TrackingIssueDryRunSaysWhatItsLookupFound) {
  CliRun absent = mi2({"env", "create-tracking-issue", "-e", "prod", "4.1.0", "--dry-run"});
  ASSERT_EQ(absent.code, 0) << absent.err;
  EXPECT_NE(absent.err.find("no tracking issue titled 'Upgrade prod to 4.1.0' was found; it "
                            "would be created"),
            std::string::npos)
      << absent.err;
  Json seeded = server.seed_issue("acme/deployments", "Upgrade prod to 4.1.0", "- [ ] acme\n",
                                  {"team/cloud"});
  int64_t number = seeded[github ? "number" : "iid"];
  CliRun found = mi2({"env", "create-tracking-issue", "-e", "prod", "4.1.0", "--dry-run"});
  ASSERT_EQ(found.code, 0) << found.err;
  EXPECT_NE(found.err.find("exists: #" + std::to_string(number)), std::string::npos) << found.err;
  EXPECT_EQ(found.err.find("would be created"), std::string::npos) << found.err;
  EXPECT_EQ(found.out, url_of(seeded) + "\n");
  for (const auto& r : server.requests()) EXPECT_EQ(r.method, "GET") << r.target;
  EXPECT_EQ(server.issues().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Forges, WorkflowCliTest, ::testing::Values(Kind::kGitHub, Kind::kGitLab),
                         [](const auto& info) {
                           return info.param == Kind::kGitHub ? "github" : "gitlab";
                         });

}  // namespace
}  // namespace mi2::test
