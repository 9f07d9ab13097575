// The fixture of the forge CLI tests: the built mi2 with the built github or
// gitlab plugin (the test's parameter) against a fake forge on 127.0.0.1, and
// a fleet repo with a bare origin whose mi2.yaml binds `vcs` to that forge.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/plugins/forge_support/fake_forge_server.h"
#include "tests/plugins/forge_support/local_process.h"

namespace fs = std::filesystem;

namespace mi2::test {

using Kind = FakeForgeServer::Kind;

inline constexpr const char* kToken = "forge-cli-SECRET-token-42";

// An upgrade-instance recipe with only the steps that need no cluster: the
// version bump and the PR.
inline constexpr const char* kPublishRecipe =
    "recipes:\n"
    "  upgrade-instance:\n"
    "    steps:\n"
    "      - {name: resolve-version, action: resolve-version}\n"
    "      - {name: bump, action: bump}\n"
    "      - {name: publish, role: vcs, action: publish}\n";

struct CliRun {
  int code = -1;
  std::string out, err;
};

inline std::string forge_name(Kind kind) {
  return kind == Kind::kGitHub ? "github" : "gitlab";
}

class ForgeCliTest : public ::testing::TestWithParam<Kind> {
 protected:
  ForgeCliTest() : server(GetParam(), kToken) {
    server.add_repository("acme/deployments");
    server.add_repository("acme/customer");
    fleet = make_fleet_repo(scratch.path(), mi2_yaml(GetParam()),
                            {{"prod", "src-a1", "acme", "4.0.0"},
                             {"prod", "src-b2", "globex", "4.0.1", "stable", "trial"},
                             {"prod", "src-c3", "initech", "4.1.0"},
                             {"prod", "src-d4", "umbrella", "4.0.0", "insiders"},
                             {"prod", "src-e5", "hooli", "4.0.0", "pause"},
                             {"dev", "src-f6", "acme-dev", "4.0.0"}});
  }

  std::string mi2_yaml(Kind kind, const std::string& extra = "") {
    std::string name = forge_name(kind);
    std::string repo_key = kind == Kind::kGitHub ? "repository" : "project";
    std::string tracking_key = kind == Kind::kGitHub ? "tracking_repository" : "tracking_project";
    return "roles:\n  vcs: " + name + "\nplugins:\n  " + name + ":\n    " + repo_key +
           ": acme/deployments\n    " + tracking_key +
           ": acme/customer\n    api_url: " + server.api_url() +
           "\n    backoff_base_ms: 1\n    run_lookup_wait_ms: 10\n" + extra;
  }

  CliRun mi2(const std::vector<std::string>& args, const fs::path& cwd = {},
             const std::string& token = kToken) {
    sdk::FakeHost::ExecCall call;
    call.argv = {MI2_EXE};
    call.argv.insert(call.argv.end(), args.begin(), args.end());
    call.cwd = (cwd.empty() ? fleet : cwd).string();
    std::string variable = GetParam() == Kind::kGitHub ? "GITHUB_TOKEN" : "GITLAB_TOKEN";
    call.env = {variable + "=" + token, "MI2_PLUGIN_PATH=" MI2_BUILD_PLUGIN_DIR,
                "GITHUB_SERVER_URL=", "CI_JOB_URL="};
    sdk::ExecResult result = run_local(call);
    return {result.exit_code, result.out, result.err};
  }

  void expect_no_token(const CliRun& run) {
    EXPECT_EQ(run.out.find(kToken), std::string::npos) << run.out;
    EXPECT_EQ(run.err.find(kToken), std::string::npos) << run.err;
  }

  // Every file under the fleet's .mi2 (journals, state) is free of the token.
  void expect_no_token_on_disk() {
    fs::path state = fleet / ".mi2";
    if (!fs::exists(state)) return;
    for (const auto& entry : fs::recursive_directory_iterator(state))
      if (entry.is_regular_file()) {
        EXPECT_EQ(read_text(entry.path()).find(kToken), std::string::npos) << entry.path();
      }
  }

  std::string issue_body(const Json& issue) {
    return issue.value(GetParam() == Kind::kGitHub ? "body" : "description", "");
  }

  ScratchDir scratch;
  FakeForgeServer server;
  fs::path fleet;
};

}  // namespace mi2::test
