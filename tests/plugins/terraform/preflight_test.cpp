// preflight with real terraform on the sample instance's two stacks: version,
// init with the backend and validate per stack, in a real run and in a dry
// run alike, with the instance folder byte for byte as it was and no state
// written; a backend whose credentials are refused (an http backend on
// 127.0.0.1 answering 401), an invalid stack, a missing stack and a missing
// terraform refused with one sentence; a render-only binding runs no terraform.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <map>
#include <thread>

#include "tests/plugins/terraform/tf_fixture.h"

namespace mi2::terraform::test {
namespace {

Json roles(std::initializer_list<const char*> names) {
  Json out = Json::array();
  for (const char* n : names) out.push_back(n);
  return {{"roles", out}};
}

std::map<std::string, std::string> contents(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).generic_string()] = slurp(e.path());
  return files;
}

TEST_F(TerraformStackTest, PreflightValidatesEachStackAndChangesNothingInTheInstance) {
  NEED_TERRAFORM();
  for (bool dry_run : {true, false}) {
    auto before = contents(instance_dir());
    Driver& d = plugin();
    d.fake.dry_run = dry_run;
    auto reply = d.invoke("apply", "preflight", input("4.2.0", roles({"render", "apply"})));
    ASSERT_TRUE(reply.ok()) << reply.error;
    EXPECT_EQ(reply.output["stacks"], Json::array({"app", "executors"}));
    EXPECT_EQ(reply.output["validated"], Json::array({"app", "executors"}));
    EXPECT_FALSE(reply.output.value("terraform_version", "").empty()) << reply.output;

    std::vector<std::string> commands;
    for (const auto& call : d.fake.exec_calls) {
      EXPECT_FALSE(call.mutating) << call.argv[1];
      std::string line = call.argv[1];
      for (size_t i = 2; i < call.argv.size(); ++i) line += " " + call.argv[i];
      commands.push_back(fs::path(call.cwd).filename().string() + ": " + line);
      EXPECT_EQ(
          env_value(call, "TF_DATA_DIR"),
          (state_dir() / "terraform" / fs::path(call.cwd).filename() / ".terraform-data").string());
    }
    // The declared local backends keep their state under state_dir.
    EXPECT_EQ(commands, (std::vector<std::string>{
                            "app: version -json",
                            "app: init -input=false -no-color -backend-config=path=" +
                                stack_state("app").string(),
                            "app: validate -json -no-color",
                            "executors: init -input=false -no-color -backend-config=path=" +
                                stack_state("executors").string(),
                            "executors: validate -json -no-color",
                        }));
    for (const auto& r : results_) EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(contents(instance_dir()), before) << "dry run: " << dry_run;
    EXPECT_FALSE(fs::exists(stack_state("app")));
    EXPECT_FALSE(fs::exists(stack_state("executors")));
  }
}

// #13 item 3: the backend's credentials are proved before the bump. An http
// backend whose server refuses them (401) stops the preflight with
// terraform's words; the same backend answering "no state yet" passes.
TEST_F(TerraformStackTest, PreflightRefusesABackendWhoseCredentialsAreRefused) {
  NEED_TERRAFORM();
  std::atomic<bool> accept{false};
  std::atomic<int> reads{0};
  httplib::Server server;
  server.Get("/state/app", [&](const httplib::Request&, httplib::Response& res) {
    ++reads;
    if (accept) {
      res.status = 404;  // the http backend's "no state yet"
    } else {
      res.status = 401;
      res.set_content("token rejected", "text/plain");
    }
  });
  server.Post("/state/app", [](const httplib::Request&, httplib::Response& res) {
    res.status = 500;  // preflight must never write state
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread thread([&server] { server.listen_after_bind(); });
  // The app stack's backend becomes http (it declares local in cdk.tf.json).
  fs::path stack_file = stack_dir("app") / "cdk.tf.json";
  Json stack = Json::parse(slurp(stack_file));
  stack["terraform"]["backend"] = {
      {"http", {{"address", "http://127.0.0.1:" + std::to_string(port) + "/state/app"}}}};
  spit(stack_file, stack.dump(2));
  auto before = contents(instance_dir());

  Driver& d = plugin();
  auto refused = d.invoke("apply", "preflight", input("4.2.0", roles({"apply"})));
  EXPECT_EQ(refused.status, MI2_FAILED);
  EXPECT_EQ(refused.error.rfind(
                "terraform init failed for stack 'app' of instance src-1a2b3c (backend http): ", 0),
            0u)
      << refused.error;
  EXPECT_NE(refused.error.find("HTTP remote state endpoint requires auth"), std::string::npos)
      << refused.error;
  EXPECT_NE(refused.error.find("; fix the backend configuration in terraform/stacks/app or its "
                               "credentials, and re-run."),
            std::string::npos)
      << refused.error;
  EXPECT_GT(reads.load(), 0) << "init did not read the backend's state";

  accept = true;
  Driver& again = plugin();
  auto passed = again.invoke("apply", "preflight", input("4.2.0", roles({"apply"})));
  EXPECT_TRUE(passed.ok()) << passed.error;
  EXPECT_EQ(contents(instance_dir()), before);
  server.stop();
  thread.join();
}

TEST_F(TerraformStackTest, PreflightRefusesAnInvalidStackNamingIt) {
  NEED_TERRAFORM();
  spit(stack_dir("executors") / "broken.tf",
       "resource \"terraform_data\" \"broken\" {\n  no_such_argument = 1\n}\n");
  Driver& d = plugin();
  auto reply = d.invoke("apply", "preflight", input("4.2.0", roles({"apply"})));
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_EQ(reply.error.rfind("terraform validate found stack 'executors' of instance src-1a2b3c "
                              "invalid: Unsupported argument",
                              0),
            0u)
      << reply.error;
  EXPECT_NE(reply.error.find("broken.tf line 2"), std::string::npos) << reply.error;
  EXPECT_NE(reply.error.find("; fix terraform/stacks/executors and re-run."), std::string::npos)
      << reply.error;
}

TEST_F(TerraformStackTest, PreflightNamesAConfiguredStackThatIsMissing) {
  Driver& d = plugin(R"({"stacks": ["app", "network"]})");
  auto reply = d.invoke("render", "preflight", input("4.2.0", roles({"render"})));
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_EQ(reply.error,
            "instance src-1a2b3c has no terraform stack 'network' under terraform/stacks (a "
            "folder with *.tf or *.tf.json files); fix plugins.terraform.stacks in mi2.yaml or "
            "add the stack.");
  EXPECT_TRUE(d.fake.exec_calls.empty());
}

TEST_F(TerraformStackTest, PreflightWithoutTerraformIsOneSentence) {
  Driver& d = plugin(R"({"terraform_binary": "/nonexistent/bin/terraform"})");
  auto reply = d.invoke("healthcheck", "preflight", input("4.2.0", roles({"healthcheck"})));
  EXPECT_EQ(reply.status, MI2_FAILED);
  // The host says the program could not be run; a runner that execs reports exit 127.
  EXPECT_NE(reply.error.find("/nonexistent/bin/terraform"), std::string::npos) << reply.error;
  EXPECT_EQ(reply.error.find('\n'), std::string::npos) << reply.error;
  EXPECT_NE(reply.error.find("install terraform or set plugins.terraform.terraform_binary"),
            std::string::npos)
      << reply.error;
}

// Render edits files only: bound to render alone, the preflight needs no terraform.
TEST_F(TerraformStackTest, PreflightOfARenderOnlyBindingRunsNoTerraform) {
  Driver& d = plugin(R"({"terraform_binary": "/nonexistent/bin/terraform"})");
  auto reply = d.invoke("render", "preflight", input("4.2.0", roles({"render"})));
  ASSERT_TRUE(reply.ok()) << reply.error;
  EXPECT_EQ(reply.output["stacks"], Json::array({"app", "executors"}));
  EXPECT_TRUE(d.fake.exec_calls.empty());
}

}  // namespace
}  // namespace mi2::terraform::test
