// A state lock held by another real terraform, the terraform-plan-clean
// check, and (scripted, since it needs Terraform Cloud) a remote backend that
// cannot save a plan.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/plugins/terraform/tf_fixture.h"

namespace mi2::terraform::test {
namespace {

bool wait_for(const fs::path& path, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    if (fs::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST_F(TerraformStackTest, ALockHeldElsewhereFailsWithTheLockSentenceAndALaterRunSucceeds) {
  NEED_TERRAFORM();
  Driver& d = plugin(R"({"lock_timeout_s": 1, "stacks": ["app"]})");
  ASSERT_TRUE(upgrade_to("4.1.0").ok());
  ASSERT_TRUE(d.invoke("render", "render", input("4.2.0")).ok());

  // Another terraform applies the same state and waits for "yes", holding the lock.
  std::vector<std::string> env;
  auto inits = calls_of(d.fake, "init");
  for (const auto& e : inits[0].env)
    if (e.rfind("TF_INPUT=", 0) != 0) env.push_back(e);
  BackgroundProcess holder({{"terraform", "apply", "-no-color"}, env, stack_dir("app"), "", 0},
                           (dir_.path() / "holder.log").string());
  fs::path lock_file = state_dir() / "terraform/app/.terraform.tfstate.lock.info";
  ASSERT_TRUE(wait_for(lock_file, 20000)) << slurp(dir_.path() / "holder.log");
  Json lock = Json::parse(slurp(lock_file));
  std::string id = lock["ID"];

  auto started = std::chrono::steady_clock::now();
  auto locked = d.invoke("apply", "apply", input("4.2.0"));
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  RecordProperty("lock_sentence", locked.error);
  EXPECT_EQ(locked.status, MI2_FAILED);
  EXPECT_LT(took, 10.0) << "lock_timeout_s is 1";
  EXPECT_EQ(locked.error.rfind("The state of terraform stack 'app' of instance src-1a2b3c is "
                               "locked (lock ID " +
                                   id + ", held by " + lock["Who"].get<std::string>() + " since ",
                               0),
            0u)
      << locked.error;
  EXPECT_NE(locked.error.find("run `terraform force-unlock " + id + "` in terraform/stacks/app"),
            std::string::npos)
      << locked.error;
  EXPECT_EQ(locked.output["stacks"][0]["result"], "failed");

  holder.write_stdin("no\n");
  EXPECT_GE(holder.wait(20000), 0) << "the holder did not stop";
  EXPECT_FALSE(fs::exists(lock_file));
  auto later = d.invoke("apply", "apply", input("4.2.0"));
  ASSERT_TRUE(later.ok()) << later.error;
  EXPECT_EQ(state_input("app", "terraform_data.app_release"), "src-1a2b3c@4.2.0");
}

TEST_F(TerraformStackTest, PlanCleanAfterApplyAndDriftWhenAStackWouldChange) {
  NEED_TERRAFORM();
  Driver& d = plugin();
  ASSERT_TRUE(upgrade_to("4.1.0").ok());
  auto clean =
      d.invoke("healthcheck", "check", input("4.1.0", {{"checks", {"terraform-plan-clean"}}}));
  ASSERT_TRUE(clean.ok()) << clean.error;
  EXPECT_EQ(clean.output["ok"], true);
  EXPECT_EQ(clean.output["checks"][0]["name"], "terraform-plan-clean");
  EXPECT_EQ(clean.output["checks"][0]["details"],
            Json::array({"app: no changes", "executors: no changes"}));

  std::string text = slurp(stack_dir("executors") / "cdk.tf.json");
  text.replace(text.find("\"executor_count\": 1"), 19, "\"executor_count\": 2");
  spit(stack_dir("executors") / "cdk.tf.json", text);
  std::string state = slurp(stack_state("executors"));
  d.fake.exec_calls.clear();
  auto drift = d.invoke("healthcheck", "check", input("4.1.0"));
  ASSERT_TRUE(drift.ok()) << drift.error;  // a failing check is still MI2_OK
  EXPECT_EQ(drift.output["ok"], false);
  EXPECT_EQ(drift.output["checks"][0]["summary"],
            "1 of 2 stack(s) would change (drift or an unapplied change)");
  EXPECT_EQ(drift.output["checks"][0]["details"][1],
            "executors: 0 to add, 1 to change, 0 to destroy: terraform_data.executors (update)");
  for (const auto& plan : calls_of(d.fake, "plan")) {
    EXPECT_TRUE(has_arg(plan, "-lock=false"));  // a check never blocks a run
    EXPECT_FALSE(has_arg(plan, "-out="));
  }
  EXPECT_EQ(slurp(stack_state("executors")), state);
}

TEST_F(TerraformStackTest, OtherChecksAreNotThisPluginsBusiness) {
  Driver& d = plugin();
  auto reply = d.invoke("healthcheck", "check", input("4.1.0", {{"checks", {"pods-health"}}}));
  ASSERT_TRUE(reply.ok()) << reply.error;
  EXPECT_EQ(reply.output, Json({{"ok", true}, {"checks", Json::array()}}));
  EXPECT_TRUE(d.fake.exec_calls.empty());
}

// Terraform Cloud is not reachable from a test, so terraform is scripted here:
// the remote backend refuses -out, the plugin plans without it and applies
// with the remote run's own approval.
TEST_F(TerraformStackTest, ARemoteBackendThatCannotSaveAPlanIsAppliedByItsOwnRun) {
  std::string text = slurp(stack_dir("app") / "cdk.tf.json");
  text.replace(text.find("\"local\": {"), 10, "\"remote\": {");
  spit(stack_dir("app") / "cdk.tf.json", text);
  Driver d(R"({"stacks": ["app"]})");
  d.fake.on_exec = [](const sdk::FakeHost::ExecCall& call) {
    const std::string& command = call.argv[1];
    if (command == "plan" && has_arg(call, "-out="))
      return sdk::ExecResult{1,
                             0,
                             false,
                             false,
                             "",
                             "Error: Saving a generated plan is currently not supported\n\n"
                             "Terraform Cloud does not support saving the generated execution "
                             "plan locally at this time.\n"};
    if (command == "plan")
      return sdk::ExecResult{2,
                             0,
                             false,
                             false,
                             "  # terraform_data.app_release will be updated in-place\n"
                             "  ~ resource \"terraform_data\" \"app_release\" {\n"
                             "Plan: 0 to add, 1 to change, 0 to destroy.\n",
                             ""};
    return sdk::ExecResult{0, 0, false, false, "Apply complete!", ""};
  };
  auto reply = d.invoke("apply", "apply", input("4.2.0"));
  ASSERT_TRUE(reply.ok()) << reply.error;
  auto plans = calls_of(d.fake, "plan");
  ASSERT_EQ(plans.size(), 2u);
  EXPECT_FALSE(has_arg(plans[1], "-out="));
  EXPECT_FALSE(has_arg(plans[1], "-json"));
  EXPECT_FALSE(has_arg(calls_of(d.fake, "init")[0], "-backend-config"));  // not local
  auto apply = calls_of(d.fake, "apply");
  ASSERT_EQ(apply.size(), 1u);
  EXPECT_EQ(apply[0].argv,
            (std::vector<std::string>{"terraform", "apply", "-input=false", "-no-color",
                                      "-lock-timeout=300s", "-auto-approve"}));
  const Json& stack = reply.output["stacks"][0];
  EXPECT_EQ(stack["saved_plan"], false);
  EXPECT_EQ(stack["backend"], "remote");
  EXPECT_NE(stack["note"].get<std::string>().find("cannot save a plan"), std::string::npos);
  EXPECT_EQ(stack["line"], "app: 0 to add, 1 to change, 0 to destroy (applied by the remote run)");
  EXPECT_EQ(stack["addresses"], Json::array({"terraform_data.app_release"}));
}

// Providers need a dependency lock file, which init writes into the stack
// folder when the fleet has none (scripted: a provider download needs a
// registry); the plugin removes it again, and keeps a committed one.
TEST_F(TerraformStackTest, ALockFileInitWroteIsRemovedAndACommittedOneKept) {
  Driver d(R"({"stacks": ["app", "executors"]})");
  d.fake.on_exec = [](const sdk::FakeHost::ExecCall& call) {
    if (call.argv[1] == "init") spit(fs::path(call.cwd) / ".terraform.lock.hcl", "# written\n");
    return sdk::ExecResult{0, 0, false, false, "", ""};
  };
  spit(stack_dir("executors") / ".terraform.lock.hcl", "# committed\n");
  auto reply = d.invoke("healthcheck", "check", input("4.1.0"));
  ASSERT_TRUE(reply.ok()) << reply.error;
  EXPECT_FALSE(fs::exists(stack_dir("app") / ".terraform.lock.hcl"));
  EXPECT_TRUE(fs::exists(stack_dir("executors") / ".terraform.lock.hcl"));
}

}  // namespace
}  // namespace mi2::terraform::test
