// mi2 env workflow run, run as the built binary on a temp fleet.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/base/json.h"
#include "core/sys/process_runner.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::TempDir;
using test::write_file;

const std::string kProductionFilter =
    R"(.metadata.labels."instance-type" == "production" and .spec.sourcegraphVersion != "4.1.0" and .spec.releaseChannel != "insiders" and .spec.releaseChannel != "pause")";

class EnvWorkflowRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_mi2_yaml("roles: {}\n");
    add("src-c3", "acme", "production", "4.0.0", "stable");
    add("src-a1", "o'brien & co", "production", "4.0.0", "stable");  // needs quoting
    add("src-b2", "globex", "production", "4.1.0", "stable");        // already upgraded
    add("src-d4", "initech", "production", "4.0.0", "pause");
    add("src-e5", "hooli", "trial", "4.0.0", "stable");
  }
  void write_mi2_yaml(const std::string& text) { write_file(dir_ / "mi2.yaml", text); }
  void add(const std::string& id, const std::string& slug, const std::string& type,
           const std::string& version, const std::string& channel) {
    std::string quoted_slug = "'";
    for (char c : slug) quoted_slug += c == '\'' ? std::string("''") : std::string(1, c);
    quoted_slug += "'";
    write_file(dir_.path() / "environments" / "prod" / "deployments" / id / "config.yaml",
               "apiVersion: sourcegraph.com/v1\nkind: SourcegraphCloud\nmetadata:\n  name: " + id +
                   "\n  labels:\n    instance-type: " + type +
                   "\nspec:\n  displayName: " + quoted_slug + "\n  sourcegraphVersion: \"" +
                   version + "\"\n  releaseChannel: " + channel + "\n");
  }
  ProcessResult mi2(std::vector<std::string> args, std::vector<std::string> env = {}) {
    ProcessRequest request;
    request.argv = {MI2_EXE};
    request.argv.insert(request.argv.end(), args.begin(), args.end());
    request.cwd = dir_.path().string();
    request.env = {"MI2_FLEET_ROOT=", "TARGET_VERSION="};
    request.env.insert(request.env.end(), env.begin(), env.end());
    request.timeout = std::chrono::seconds(60);
    return SystemProcessRunner().run(request);
  }
  TempDir dir_;
};

TEST_F(EnvWorkflowRunTest, TextPrintsOneCommandPerSelectedInstanceSortedById) {
  auto r = mi2({"env", "workflow", "run", "-e", "prod", "-filter", kProductionFilter, "-format",
                "text", "upgrade-instance"},
               {"TARGET_VERSION=4.1.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "gh workflow run mi_upgrade.yml -f 'customer=o'\\''brien & co' -f environment=prod "
            "-f target_src_version=4.1.0\n"
            "gh workflow run mi_upgrade.yml -f customer=acme -f environment=prod -f "
            "target_src_version=4.1.0\n");
}

TEST_F(EnvWorkflowRunTest, PrintedCommandsRunInAShell) {
  // A stub gh first on PATH records each call's argv, one argument per line.
  fs::path bin = dir_ / "bin";
  fs::path log = dir_ / "gh.log";
  write_file(bin / "gh",
             "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >> \"$GH_LOG\"\n"
             "echo --- >> \"$GH_LOG\"\n");
  ::chmod((bin / "gh").c_str(), 0755);
  auto r = mi2({"env", "workflow", "run", "--environment", "prod", "--filter", kProductionFilter,
                "--format", "text", "--target-version", "4.1.0", "upgrade-instance"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  write_file(dir_ / "commands.sh", r.out);

  ProcessRequest shell;
  shell.argv = {"bash", (dir_ / "commands.sh").string()};
  shell.env = {"PATH=" + bin.string() + ":" + std::getenv("PATH"), "GH_LOG=" + log.string()};
  auto ran = SystemProcessRunner().run(shell);
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(read_file(log),
            "workflow\nrun\nmi_upgrade.yml\n-f\ncustomer=o'brien & co\n-f\nenvironment=prod\n-f\n"
            "target_src_version=4.1.0\n---\n"
            "workflow\nrun\nmi_upgrade.yml\n-f\ncustomer=acme\n-f\nenvironment=prod\n-f\n"
            "target_src_version=4.1.0\n---\n");
}

TEST_F(EnvWorkflowRunTest, JsonDescribesEachRun) {
  auto r = mi2({"env", "workflow", "run", "-e", "prod", "-filter", kProductionFilter, "-format",
                "json", "-target-version", "4.1.0", "upgrade-instance"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json runs = Json::parse(r.out);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1]["instance"], "src-c3");
  EXPECT_EQ(runs[1]["slug"], "acme");
  EXPECT_EQ(runs[1]["environment"], "prod");
  EXPECT_EQ(runs[1]["workflow"], "upgrade-instance");
  EXPECT_EQ(runs[1]["inputs"], Json::parse(R"({"customer": "acme", "environment": "prod",
                                               "target_src_version": "4.1.0"})"));
  EXPECT_EQ(runs[1]["command"],
            "gh workflow run mi_upgrade.yml -f customer=acme -f environment=prod -f "
            "target_src_version=4.1.0");
}

TEST_F(EnvWorkflowRunTest, TargetVersionIsRequiredAndValidated) {
  auto missing =
      mi2({"env", "workflow", "run", "-e", "prod", "-filter", "true", "upgrade-instance"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("-target-version"), std::string::npos) << missing.err;
  auto bad = mi2({"env", "workflow", "run", "-e", "prod", "-filter", "true", "-target-version",
                  "4.1; rm -rf /", "upgrade-instance"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("is not a version"), std::string::npos) << bad.err;
}

TEST_F(EnvWorkflowRunTest, FilterErrorsNameTheExpressionAndTheInstance) {
  auto non_boolean = mi2({"env", "workflow", "run", "-e", "prod", "-filter", ".spec.releaseChannel",
                          "-target-version", "4.1.0", "upgrade-instance"});
  EXPECT_EQ(non_boolean.exit_code, 1);
  EXPECT_NE(non_boolean.err.find("'.spec.releaseChannel'"), std::string::npos) << non_boolean.err;
  EXPECT_NE(non_boolean.err.find("src-a1"), std::string::npos) << non_boolean.err;
  EXPECT_TRUE(non_boolean.out.empty());

  auto broken = mi2({"env", "workflow", "run", "-e", "prod", "-filter",
                     ".spec.version ==", "-target-version", "4.1.0", "upgrade-instance"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.err.find("'.spec.version ==' does not compile"), std::string::npos)
      << broken.err;
  EXPECT_TRUE(broken.out.empty());
}

TEST_F(EnvWorkflowRunTest, FleetDefinedWorkflowsAndUnknownNames) {
  write_mi2_yaml(
      "roles: {}\nworkflows:\n  reload-frontend:\n    workflow: mi_reload_frontend.yml\n"
      "    inputs:\n      customer: \"{{slug}}\"\n      channel: \"{{.spec.releaseChannel}}\"\n");
  auto r = mi2({"env", "workflow", "run", "-e", "prod", "-filter",
                ".metadata.labels.\"instance-type\" == \"trial\"", "reload-frontend"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "gh workflow run mi_reload_frontend.yml -f channel=stable -f customer=hooli\n");
  auto unknown = mi2({"env", "workflow", "run", "-e", "prod", "-filter", "true", "deploy"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("reload-frontend, upgrade-instance"), std::string::npos)
      << unknown.err;
}

// -exec dispatches through the vcs plugin: the github plugin against a fake
// GitHub on 127.0.0.1.
TEST_F(EnvWorkflowRunTest, ExecDispatchesThroughTheVcsPlugin) {
  if (!fs::exists(fs::path(MI2_BUILD_PLUGIN_DIR) / "mi2-plugin-github.so"))
    GTEST_SKIP() << "the github plugin is not built";
  httplib::Server server;
  std::mutex mutex;
  std::vector<Json> dispatches;
  server.Post(R"(/repos/acme/deployments/actions/workflows/([^/]+)/dispatches)",
              [&](const httplib::Request& request, httplib::Response& response) {
                Json body = Json::parse(request.body);
                body["workflow"] = request.matches[1].str();
                std::lock_guard lock(mutex);
                dispatches.push_back(body);
                response.set_content(
                    Json{{"html_url", "https://github.test/runs/" +
                                          body["inputs"]["customer"].get<std::string>()}}
                        .dump(),
                    "application/json");
              });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { server.listen_after_bind(); });
  write_mi2_yaml(
      "roles:\n  vcs: github\nplugins:\n  github:\n    repository: acme/deployments\n"
      "    api_url: http://127.0.0.1:" +
      std::to_string(port) + "\n    token: test-token\n    run_lookup_attempts: 0\n");
  auto r = mi2({"env", "workflow", "run", "-e", "prod", "-filter", kProductionFilter, "-exec",
                "-exec.concurrency", "2", "-target-version", "4.1.0", "upgrade-instance"});
  server.stop();
  serving.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("src-c3 https://github.test/runs/acme\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("src-a1 https://github.test/runs/o'brien & co\n"), std::string::npos);
  ASSERT_EQ(dispatches.size(), 2u);
  for (const auto& d : dispatches) {
    EXPECT_EQ(d["workflow"], "mi_upgrade.yml");
    EXPECT_EQ(d["ref"], "main");
    EXPECT_EQ(d["inputs"]["environment"], "prod");
    EXPECT_EQ(d["inputs"]["target_src_version"], "4.1.0");
  }
}

}  // namespace
}  // namespace mi2

namespace mi2 {
namespace {

TEST_F(EnvWorkflowRunTest, ExecReportsEachFailedDispatchByInstance) {
  if (!fs::exists(fs::path(MI2_BUILD_PLUGIN_DIR) / "mi2-plugin-github.so"))
    GTEST_SKIP() << "the github plugin is not built";
  httplib::Server server;
  server.Post(R"(/repos/acme/deployments/actions/workflows/([^/]+)/dispatches)",
              [&](const httplib::Request&, httplib::Response& response) {
                response.status = 404;
                response.set_content(R"({"message": "Not Found"})", "application/json");
              });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { server.listen_after_bind(); });
  write_mi2_yaml(
      "roles:\n  vcs: github\nplugins:\n  github:\n    repository: acme/deployments\n"
      "    api_url: http://127.0.0.1:" +
      std::to_string(port) + "\n    token: test-token\n    run_lookup_attempts: 0\n");
  auto r = mi2({"env", "workflow", "run", "-e", "prod", "-filter", kProductionFilter, "-exec",
                "-target-version", "4.1.0", "upgrade-instance"});
  server.stop();
  serving.join();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("src-a1: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("src-c3: "), std::string::npos) << r.err;
  // A 404 is a refusal: no run started, so --resume may send them again.
  EXPECT_NE(r.err.find("2 of 2 not dispatched"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("-exec --resume wf-"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mi2
