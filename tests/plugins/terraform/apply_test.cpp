// apply with real terraform on the sample instance's two terraform_data stacks
// (local backend, state under state_dir): versions land in the state, the
// instance folder gets nothing of terraform's, destructive plans are refused,
// dry runs and plan-only runs change no state, a stale plan is planned again.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>

#include "tests/plugins/terraform/tf_fixture.h"

namespace mi2::terraform::test {
namespace {

const char* kApp = "terraform_data.app_release";
const char* kExecutors = "terraform_data.executors";

TEST_F(TerraformStackTest, ApplyPutsBothStacksAtTheRenderedVersion) {
  NEED_TERRAFORM();
  auto before = instance_files();
  plugin();
  auto first = upgrade_to("4.1.0");
  ASSERT_TRUE(first.ok()) << first.error;
  EXPECT_EQ(state_input("app", kApp), "src-1a2b3c@4.1.0");
  auto second = upgrade_to("4.2.0");
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(state_input("app", kApp), "src-1a2b3c@4.2.0");
  EXPECT_EQ(state_input("executors", kExecutors), "executor:4.2.0x1");

  const Json& stacks = second.output["stacks"];
  ASSERT_EQ(stacks.size(), 2u);
  EXPECT_EQ(stacks[0]["name"], "app");  // sorted by name
  EXPECT_EQ(stacks[0]["change_summary"], Json({{"add", 0}, {"change", 1}, {"destroy", 0}}));
  EXPECT_EQ(stacks[0]["addresses"], Json::array({kApp}));
  EXPECT_EQ(stacks[0]["applied"], true);
  EXPECT_EQ(stacks[0]["plan_only"], false);
  EXPECT_EQ(stacks[1]["name"], "executors");
  EXPECT_EQ(second.output["pr_summary"],
            Json({{"title", "Terraform"},
                  {"lines",
                   {"app: 0 to add, 1 to change, 0 to destroy (applied)",
                    "executors: 0 to add, 1 to change, 0 to destroy (applied)"}}}));
  // Nothing of terraform's in the instance folder: no .terraform/, state, plan or lock file.
  EXPECT_EQ(instance_files(), before);
  // The applied plan is not kept.
  EXPECT_FALSE(fs::exists(state_dir() / "terraform/app/20261202T120000Z-test.tfplan"));

  auto again = driver_->invoke("apply", "apply", input("4.2.0"));
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_EQ(again.output["stacks"][0]["applied"], false);
  EXPECT_EQ(again.output["pr_summary"]["lines"][0], "app: no changes");
}

TEST_F(TerraformStackTest, EveryCommandRunsInTheStackWithTheAutomationEnvironment) {
  NEED_TERRAFORM();
  Driver& d = plugin();
  ASSERT_TRUE(upgrade_to("4.2.0").ok());
  ASSERT_EQ(calls_of(d.fake, "init").size(), 2u);
  for (const auto& call : d.fake.exec_calls) {
    EXPECT_EQ(call.argv[0], "terraform");
    EXPECT_EQ(call.stop_signal, SIGINT) << call.argv[1];
    EXPECT_EQ(call.kill_grace_ms, 20000u);
    EXPECT_EQ(env_value(call, "TF_IN_AUTOMATION"), "1");
    EXPECT_EQ(env_value(call, "TF_INPUT"), "0");
    EXPECT_EQ(env_value(call, "CHECKPOINT_DISABLE"), "1");
    EXPECT_EQ(fs::path(env_value(call, "TF_DATA_DIR")).parent_path().parent_path(),
              state_dir() / "terraform");
    EXPECT_EQ(call.mutating, call.argv[1] == "apply") << call.argv[1];
    EXPECT_EQ(fs::path(call.cwd).parent_path(), instance_dir() / "terraform/stacks");
  }
  auto init = calls_of(d.fake, "init")[0];
  EXPECT_EQ(init.argv,
            (std::vector<std::string>{"terraform", "init", "-input=false", "-no-color",
                                      "-backend-config=path=" + stack_state("app").string()}));
  auto plan = calls_of(d.fake, "plan")[0];
  std::string plan_file = (state_dir() / "terraform/app/20261202T120000Z-test.tfplan").string();
  EXPECT_EQ(plan.argv, (std::vector<std::string>{"terraform", "plan", "-input=false", "-no-color",
                                                 "-json", "-detailed-exitcode",
                                                 "-lock-timeout=300s", "-out=" + plan_file}));
  EXPECT_EQ(calls_of(d.fake, "apply")[0].argv,
            (std::vector<std::string>{"terraform", "apply", "-input=false", "-no-color",
                                      "-lock-timeout=300s", plan_file}));
}

TEST_F(TerraformStackTest, TokensPassThroughAndAreRedactedAtOnce) {
  NEED_TERRAFORM();
  const std::string token = "fake-tfc-token.atlasv1.not-a-real-one-0123456789";
  setenv("TF_TOKEN_app_terraform_io", token.c_str(), 1);
  Driver& d = plugin();
  auto reply = upgrade_to("4.2.0");
  unsetenv("TF_TOKEN_app_terraform_io");
  ASSERT_TRUE(reply.ok()) << reply.error;
  EXPECT_NE(std::find(d.fake.secrets.begin(), d.fake.secrets.end(), token), d.fake.secrets.end());
  for (const auto& call : calls_of(d.fake, "plan")) {
    EXPECT_EQ(env_value(call, "TF_TOKEN_app_terraform_io"), token);
    for (const auto& a : call.argv) EXPECT_EQ(a.find(token), std::string::npos);
  }
  EXPECT_EQ(reply.output.dump().find(token), std::string::npos);
  for (const auto& line : d.fake.logs) EXPECT_EQ(line.message.find(token), std::string::npos);
}

TEST_F(TerraformStackTest, SensitivePlanValuesReachNoOutputAndNoCapturedCommandOutput) {
  NEED_TERRAFORM();
  const std::string secret = "s3cr3t-plan-value-7f1c";
  spit(
      stack_dir("app") / "secret.tf.json",
      R"({"variable": {"db_password": {"type": "string", "sensitive": true, "default": ")" +
          secret +
          R"("}}, "resource": {"terraform_data": {"db": {"input": "${var.db_password}@${local.sourcegraph_version}"}}}})");
  plugin();
  auto first = upgrade_to("4.1.0");
  ASSERT_TRUE(first.ok()) << first.error;
  auto second = upgrade_to("4.2.0");
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(state_input("app", "terraform_data.db"), secret + "@4.2.0");  // it was applied
  EXPECT_EQ(second.output.dump().find(secret), std::string::npos);
  // The host journals every command's output: none may carry the value.
  for (const auto& r : results_) {
    EXPECT_EQ(r.out.find(secret), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(secret), std::string::npos) << r.err;
  }
}

TEST_F(TerraformStackTest, ReplaceIsRefusedWithoutAllowDestroyNamingTheAddress) {
  NEED_TERRAFORM();
  std::string app = slurp(stack_dir("app") / "cdk.tf.json");
  std::string with_trigger = app;
  with_trigger.replace(with_trigger.find("\"input\""), 0,
                       "\"triggers_replace\": \"${local.sourcegraph_version}\",\n        ");
  spit(stack_dir("app") / "cdk.tf.json", with_trigger);
  plugin();
  ASSERT_TRUE(upgrade_to("4.1.0").ok());
  auto refused = upgrade_to("4.2.0");
  EXPECT_EQ(refused.status, MI2_FAILED);
  EXPECT_EQ(refused.error,
            "terraform stack 'app' of instance src-1a2b3c plans to delete or replace "
            "terraform_data.app_release (replace), so nothing of it was applied; review the plan "
            "and set plugins.terraform.allow_destroy: true in mi2.yaml to allow it.");
  EXPECT_EQ(state_input("app", kApp), "src-1a2b3c@4.1.0");
  ASSERT_EQ(refused.output["stacks"].size(), 1u);  // executors was not touched
  EXPECT_EQ(refused.output["stacks"][0]["result"], "refused");
  EXPECT_EQ(refused.output["stacks"][0]["change_summary"]["destroy"], 1);
  EXPECT_EQ(state_input("executors", kExecutors), "executor:4.1.0x1");

  plugin(R"({"allow_destroy": true})");
  auto allowed = driver_->invoke("apply", "apply", input("4.2.0"));
  ASSERT_TRUE(allowed.ok()) << allowed.error;
  EXPECT_EQ(state_input("app", kApp), "src-1a2b3c@4.2.0");
}

TEST_F(TerraformStackTest, DryRunPlansButChangesNoStateAndWritesNoPlanOrLock) {
  NEED_TERRAFORM();
  plugin();
  ASSERT_TRUE(upgrade_to("4.1.0").ok());
  std::string app_state = slurp(stack_state("app"));
  auto time = fs::last_write_time(stack_state("app"));

  Driver& d = plugin();
  d.fake.dry_run = true;
  Json in = input("4.2.0");
  in["dry_run"] = true;
  auto rendered = d.invoke("render", "render", in);
  ASSERT_TRUE(rendered.ok()) << rendered.error;
  EXPECT_EQ(rendered.output["changed_files"].size(), 2u);  // would change, but did not:
  EXPECT_NE(slurp(stack_dir("app") / "cdk.tf.json").find("\"4.1.0\""), std::string::npos);
  // As if rendered: plan the new version.
  for (const char* stack : {"app", "executors"}) {
    std::string text = slurp(stack_dir(stack) / "cdk.tf.json");
    text.replace(text.find("4.1.0"), 5, "4.2.0");
    spit(stack_dir(stack) / "cdk.tf.json", text);
  }
  auto planned = d.invoke("apply", "apply", in);
  ASSERT_TRUE(planned.ok()) << planned.error;
  EXPECT_EQ(planned.output["pr_summary"]["lines"][0],
            "app: 0 to add, 1 to change, 0 to destroy (dry run: not applied)");
  EXPECT_EQ(slurp(stack_state("app")), app_state);
  EXPECT_EQ(fs::last_write_time(stack_state("app")), time);
  for (const auto& e : fs::recursive_directory_iterator(state_dir() / "terraform")) {
    EXPECT_NE(e.path().extension(), ".tfplan") << e.path();
    EXPECT_EQ(e.path().filename().string().find(".lock.info"), std::string::npos);
  }
  for (const auto& plan : calls_of(d.fake, "plan")) {
    EXPECT_TRUE(has_arg(plan, "-lock=false"));
    EXPECT_FALSE(has_arg(plan, "-out="));
  }
  auto applies = calls_of(d.fake, "apply");
  ASSERT_EQ(applies.size(), 2u);  // recorded for the plan, not run
  EXPECT_TRUE(applies[0].mutating);
}

TEST_F(TerraformStackTest, PlanOnlyReportsThePlanAndAppliesNothing) {
  NEED_TERRAFORM();
  Driver& d = plugin(R"({"apply": false})");
  auto reply = upgrade_to("4.2.0");
  ASSERT_TRUE(reply.ok()) << reply.error;
  EXPECT_TRUE(calls_of(d.fake, "apply").empty());
  EXPECT_FALSE(fs::exists(stack_state("app")));
  EXPECT_EQ(reply.output["stacks"][0]["plan_only"], true);
  EXPECT_EQ(reply.output["stacks"][0]["saved_plan"], true);
  EXPECT_EQ(reply.output["pr_summary"]["lines"][0],
            "app: 1 to add, 0 to change, 0 to destroy (plan only: applied on merge)");
  EXPECT_TRUE(fs::exists(state_dir() / "terraform/app/20261202T120000Z-test.tfplan"));
}

TEST_F(TerraformStackTest, AStaleSavedPlanIsPlannedAgainOnce) {
  NEED_TERRAFORM();
  Driver& d = plugin(R"({"stacks": ["app"]})");
  ASSERT_TRUE(upgrade_to("4.1.0").ok());
  ASSERT_TRUE(d.invoke("render", "render", input("4.2.0")).ok());
  // Just before the plugin applies its saved plan, someone else applies a change.
  bool interfered = false;
  auto real = d.fake.on_exec;
  d.fake.on_exec = [&](const sdk::FakeHost::ExecCall& call) {
    if (call.argv[1] == "apply" && !interfered) {
      interfered = true;
      std::string text = slurp(stack_dir("app") / "cdk.tf.json");
      spit(stack_dir("app") / "cdk.tf.json", text.replace(text.find("4.2.0"), 5, "4.1.9"));
      auto other = run_process(
          {{"terraform", "apply", "-auto-approve", "-input=false"}, call.env, call.cwd, "", 60000});
      EXPECT_EQ(other.exit_code, 0) << other.err;
      text.replace(text.find("4.1.9"), 5, "4.2.0");
      spit(stack_dir("app") / "cdk.tf.json", text);
    }
    return real(call);
  };
  d.fake.exec_calls.clear();
  auto reply = d.invoke("apply", "apply", input("4.2.0"));
  ASSERT_TRUE(reply.ok()) << reply.error;
  EXPECT_TRUE(interfered);
  EXPECT_EQ(reply.output["stacks"][0]["replanned"], true);
  EXPECT_EQ(reply.output["stacks"][0]["applied"], true);
  EXPECT_EQ(state_input("app", kApp), "src-1a2b3c@4.2.0");
  EXPECT_EQ(calls_of(d.fake, "apply").size(), 2u);
}

TEST_F(TerraformStackTest, InitFailureNamesTheStackAndTheBackend) {
  NEED_TERRAFORM();
  std::string text = slurp(stack_dir("executors") / "cdk.tf.json");
  text.replace(text.find("\"local\": {"), 10, "\"nosuch\": {");
  spit(stack_dir("executors") / "cdk.tf.json", text);
  plugin();
  auto reply = upgrade_to("4.2.0");
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_EQ(reply.error.rfind("terraform init failed for stack 'executors' of instance "
                              "src-1a2b3c (backend nosuch): ",
                              0),
            0u)
      << reply.error;
  EXPECT_NE(reply.error.find("; fix the backend configuration in terraform/stacks/executors"),
            std::string::npos);
  EXPECT_EQ(reply.output["stacks"][0]["result"], "applied");  // app went first
  EXPECT_EQ(reply.output["stacks"][1]["result"], "failed");
}

TEST_F(TerraformStackTest, RollbackRendersAndAppliesTheOldVersion) {
  NEED_TERRAFORM();
  plugin();
  ASSERT_TRUE(upgrade_to("4.1.0").ok());
  ASSERT_TRUE(upgrade_to("4.2.0").ok());
  auto reply = driver_->invoke("apply", "rollback", input("4.2.0", {{"to_version", "4.1.0"}}));
  ASSERT_TRUE(reply.ok()) << reply.error;
  EXPECT_EQ(reply.output["rendered"].size(), 2u);
  EXPECT_EQ(state_input("app", kApp), "src-1a2b3c@4.1.0");
  EXPECT_EQ(state_input("executors", kExecutors), "executor:4.1.0x1");
}

TEST_F(TerraformStackTest, AnInstanceWithoutStacksHasNothingToDo) {
  fs::remove_all(instance_dir() / "terraform");
  Driver& d = plugin();
  auto reply = d.invoke("apply", "apply", input("4.2.0"));
  ASSERT_TRUE(reply.ok()) << reply.error;
  EXPECT_EQ(reply.output["stacks"], Json::array());
  EXPECT_TRUE(d.fake.exec_calls.empty());
}

}  // namespace
}  // namespace mi2::terraform::test
