// End to end: the built mi2 upgrades a git copy of examples/fleet with
// `render: [local, terraform]` and `apply: [local, terraform]`, running the
// real terraform on both stacks of src-1a2b3c. Versions land in the state,
// the PR commit holds none of terraform's files, no token is written
// anywhere, a dry run changes no state, and SIGINT mid-apply leaves no lock.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/e2e/e2e_fixture.h"
#include "tests/plugins/terraform/real_exec.h"

namespace mi2::e2e {
namespace {

const char* kToken = "fake-tfc-token.atlasv1.e2e-not-real-4c1d";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class TerraformFleetTest : public FleetE2eTest {
 protected:
  void SetUp() override {
    FleetE2eTest::SetUp();
    edit_mi2_yaml("render: [local]", "render: [local, terraform]");
    edit_mi2_yaml("apply: local", "apply: [local, terraform]");
    edit_mi2_yaml("plugins:\n",
                  "plugins:\n  terraform: {lock_timeout_s: 10" + extra_config() + "}\n");
    env_.push_back(std::string("TF_TOKEN_app_terraform_io=") + kToken);
  }
  virtual std::string extra_config() const { return ""; }

  fs::path stack_state(const std::string& stack) {
    return root() / ".mi2/state/dev/src-1a2b3c/terraform" / stack / "terraform.tfstate";
  }
  fs::path stack_dir(const std::string& stack) {
    return instance_dir("src-1a2b3c") / "terraform/stacks" / stack;
  }
  // The `input` of the stack's first resource of that address in a state file.
  std::string state_input(const fs::path& state, const std::string& name) {
    json s = json::parse(slurp(state), nullptr, false);
    if (!s.is_object()) return "";
    for (const auto& r : s.value("resources", json::array()))
      if (r.value("name", "") == name)
        for (const auto& i : r.value("instances", json::array()))
          return i["attributes"]["input"].value("value", "");
    return "";
  }
  // Files of the upgrade branch on the origin.
  std::string branch_files() {
    return git(
        {"--git-dir", origin().string(), "ls-tree", "-r", "--name-only", "acme/upgrade-instance"});
  }
  // Every file under the fleet (journals, forge, state) that holds `text`.
  std::vector<std::string> files_containing(const std::string& text) {
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(dir_.path()))
      if (e.is_regular_file() && contains(slurp(e.path()), text))
        found.push_back(e.path().string());
    return found;
  }
  json step_outputs(const std::vector<json>& events, const std::string& step) {
    json out;
    for (const auto& e : events)
      if (e.value("event", "") == "step_finished" && e.value("step", "") == step)
        out = e["outputs"];
    return out;
  }
  bool have_terraform() { return !terraform::test::find_on_path("terraform").empty(); }
};

#define NEED_TERRAFORM() \
  if (!have_terraform()) \
  GTEST_SKIP() << "terraform is not on PATH: this test runs the real terraform binary"

TEST_F(TerraformFleetTest, UpgradeAppliesBothStacksAndPublishesNoneOfTerraformsFiles) {
  NEED_TERRAFORM();
  first_deploy("src-1a2b3c");
  EXPECT_EQ(state_input(stack_state("app"), "app_release"), "src-1a2b3c@4.1.0");

  auto started = std::chrono::steady_clock::now();
  auto r = mi2({"instance", "upgrade", "-target-version", "4.2.0"});
  double upgrade_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(state_input(stack_state("app"), "app_release"), "src-1a2b3c@4.2.0");
  EXPECT_EQ(state_input(stack_state("executors"), "executors"), "executor:4.2.0x1");

  // The deploy step's terraform output carries the per-stack summary for the PR body.
  auto events = journal("src-1a2b3c", latest_run("src-1a2b3c"));
  json terraform = step_outputs(events, "deploy")["terraform"];
  EXPECT_EQ(terraform["pr_summary"]["title"], "Terraform");
  EXPECT_EQ(terraform["pr_summary"]["lines"],
            json::array({"app: 0 to add, 1 to change, 0 to destroy (applied)",
                         "executors: 0 to add, 1 to change, 0 to destroy (applied)"}));

  // The time terraform took inside the upgrade: every command of the deploy step.
  double terraform_s = 0, deploy_s = 0;
  std::vector<std::string> commands;
  for (const auto& e : events) {
    if (e.value("event", "") == "command" && e.value("plugin", "") == "terraform" &&
        e.value("step", "") == "deploy") {
      terraform_s += e.value("seconds", 0.0);
      commands.push_back(e["argv"][1]);
    }
    if (e.value("event", "") == "step_finished" && e.value("step", "") == "deploy")
      deploy_s = e.value("seconds", 0.0);
  }
  EXPECT_EQ(commands, (std::vector<std::string>{"init", "plan", "apply", "init", "plan", "apply"}));
  // The preflight, before the bump: terraform runs, each stack initialises
  // with its backend and validates (read-only for the instance folder).
  std::vector<std::string> preflight;
  for (const auto& e : events)
    if (e.value("event", "") == "command" && e.value("plugin", "") == "terraform" &&
        e.value("step", "") == "resolve-version")
      preflight.push_back(e["argv"][1].get<std::string>() + " " + e["argv"][2].get<std::string>());
  EXPECT_EQ(preflight,
            (std::vector<std::string>{"version -json", "init -input=false", "validate -json",
                                      "init -input=false", "validate -json"}));
  RecordProperty("terraform_seconds", std::to_string(terraform_s));
  RecordProperty("deploy_step_seconds", std::to_string(deploy_s));
  RecordProperty("upgrade_seconds", std::to_string(upgrade_s));
  std::cout << "two-stack terraform init+plan+apply inside the upgrade: " << terraform_s
            << " s (deploy step " << deploy_s << " s, whole upgrade " << upgrade_s << " s)\n";

  // The pull request's body has a Terraform section, one line per stack.
  std::string bodies;
  for (const auto& e : fs::directory_iterator(root() / ".mi2/forge/pulls"))
    bodies += json::parse(slurp(e.path())).value("body", "");
  EXPECT_TRUE(contains(bodies,
                       "\n## Terraform\n\n- app: 0 to add, 1 to change, 0 to destroy (applied)\n"
                       "- executors: 0 to add, 1 to change, 0 to destroy (applied)\n"))
      << bodies;

  // The PR commit: the stack pins changed, nothing of terraform's committed.
  std::string files = branch_files();
  EXPECT_TRUE(contains(files, "src-1a2b3c/terraform/stacks/app/cdk.tf.json")) << files;
  for (const char* never : {".tfstate", ".tfplan", ".terraform/", ".terraform-data"})
    EXPECT_FALSE(contains(files, never)) << never << " in " << files;
  // No token anywhere: not in stdout, the journal, the forge or any state file.
  EXPECT_FALSE(contains(r.out + r.err, kToken));
  EXPECT_EQ(files_containing(kToken), std::vector<std::string>{});
}

TEST_F(TerraformFleetTest, DryRunPlansTheStacksButChangesNoStateFile) {
  NEED_TERRAFORM();
  first_deploy("src-1a2b3c");
  // A change the stacks would apply (as after a render): one more executor.
  std::string text = slurp(stack_dir("executors") / "cdk.tf.json");
  text.replace(text.find("\"executor_count\": 1"), 19, "\"executor_count\": 2");
  std::ofstream(stack_dir("executors") / "cdk.tf.json") << text;
  std::string app = slurp(stack_state("app")), executors = slurp(stack_state("executors"));
  auto app_time = fs::last_write_time(stack_state("app"));

  // At the deployed version, so the local plugin's verify passes in a dry run too.
  auto r = mi2({"instance", "upgrade", "-target-version", "4.1.0", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out,
                       "$ terraform plan -input=false -no-color -json -detailed-exitcode "
                       "-lock-timeout=10s -lock=false   (in "))
      << r.out;
  EXPECT_TRUE(contains(r.out, "[would run]")) << r.out;
  EXPECT_TRUE(contains(r.out, "$ terraform apply -input=false -no-color -lock-timeout=10s"))
      << r.out;
  EXPECT_EQ(slurp(stack_state("app")), app);
  EXPECT_EQ(slurp(stack_state("executors")), executors);
  EXPECT_EQ(fs::last_write_time(stack_state("app")), app_time);
  for (const auto& e :
       fs::recursive_directory_iterator(root() / ".mi2/state/dev/src-1a2b3c/terraform")) {
    EXPECT_NE(e.path().extension(), ".tfplan") << e.path();
    EXPECT_FALSE(contains(e.path().filename().string(), "lock.info")) << e.path();
  }
  EXPECT_FALSE(contains(r.out + r.err, kToken));
}

TEST_F(TerraformFleetTest, SigintMidApplyLeavesNoLockAndTheResumedRunFinishes) {
  NEED_TERRAFORM();
  first_deploy("src-1a2b3c");
  // Test fixture only: a resource whose creation takes a while, made by the upgrade.
  fs::path started = dir_.path() / "slow-started", done = dir_.path() / "slow-done";
  auto doc = nlohmann::ordered_json::parse(slurp(stack_dir("app") / "cdk.tf.json"));
  doc["resource"]["terraform_data"]["slow"] = {
      {"input", "${local.sourcegraph_version}"},
      {"provisioner",
       {{"local-exec",
         {{"command",
           "[ -e " + done.string() + " ] || { touch " + started.string() + "; sleep 5; }"}}}}}};
  std::ofstream(stack_dir("app") / "cdk.tf.json") << doc.dump(2) << "\n";
  git({"commit", "-q", "-am", "app: a slow resource"});

  pid_t upgrade = mi2_in_background({"instance", "upgrade", "-target-version", "4.2.0"});
  ASSERT_TRUE(wait_for_file(started, 60000)) << "the slow apply never started";
  ASSERT_EQ(kill(upgrade, SIGINT), 0);
  int status = 0;
  auto stop_started = std::chrono::steady_clock::now();
  waitpid(upgrade, &status, 0);
  double stop_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stop_started).count();
  EXPECT_LT(stop_s, 15.0) << "mi2 took long to stop after SIGINT";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  std::string run = latest_run("src-1a2b3c");
  std::string result;
  for (const auto& e : journal("src-1a2b3c", run))
    if (e.value("event", "") == "run_finished") result = e.value("result", "");
  EXPECT_EQ(result, "cancelled");
  // terraform stopped by itself on SIGINT (no SIGKILL needed).
  json interrupted;
  for (const auto& e : journal("src-1a2b3c", run))
    if (e.value("event", "") == "command" && e.value("plugin", "") == "terraform" &&
        e["argv"][1] == "apply")
      interrupted = e;
  ASSERT_FALSE(interrupted.is_null());
  EXPECT_EQ(interrupted.value("term_signal", -1), 0) << interrupted.dump();
  EXPECT_TRUE(contains(interrupted.value("stdout", "") + interrupted.value("stderr", ""),
                       "Interrupt received"))
      << interrupted.dump();
  // terraform got SIGINT first and released its lock: no lock info is left.
  EXPECT_FALSE(fs::exists(stack_state("app").parent_path() / ".terraform.tfstate.lock.info"));

  std::ofstream(done) << "";
  auto resumed = mi2({"instance", "upgrade", "--resume", run});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_FALSE(contains(resumed.out + resumed.err, "state lock"));
  EXPECT_EQ(state_input(stack_state("app"), "app_release"), "src-1a2b3c@4.2.0");
  EXPECT_EQ(state_input(stack_state("app"), "slow"), "4.2.0");
}

TEST_F(TerraformFleetTest, PluginDescribeShowsEveryOption) {
  auto r = mi2({"plugin", "describe", "terraform"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* option :
       {"stacks_dir", "stacks", "terraform_binary", "apply", "allow_destroy", "lock_timeout_s",
        "render_command", "env", "stop_grace_s", "version_file", "version_key", "local_state"})
    EXPECT_TRUE(contains(r.out, std::string("  ") + option + " (")) << option << "\n" << r.out;
  EXPECT_TRUE(contains(r.out, "checks: terraform-plan-clean")) << r.out;
}

// State kept in the stack folder and no .gitignore rule: the local forge's
// publish still commits none of terraform's files.
class TerraformStateInTheStackTest : public TerraformFleetTest {
 protected:
  std::string extra_config() const override { return ", local_state: stack"; }
};

TEST_F(TerraformStateInTheStackTest, PublishLeavesTheStackStateOut) {
  NEED_TERRAFORM();
  std::string ignore = slurp(root() / ".gitignore");
  std::ofstream(root() / ".gitignore") << ignore.substr(0, ignore.find("# terraform"));
  git({"commit", "-q", "-am", "no terraform ignore rules"});
  first_deploy("src-1a2b3c");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.2.0"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  fs::path state = stack_dir("app") / "terraform.tfstate";
  ASSERT_TRUE(fs::exists(state)) << "the state should be in the stack folder";
  EXPECT_EQ(state_input(state, "app_release"), "src-1a2b3c@4.2.0");
  std::string files = branch_files();
  EXPECT_TRUE(contains(files, "src-1a2b3c/terraform/stacks/app/cdk.tf.json")) << files;
  EXPECT_FALSE(contains(files, ".tfstate")) << files;
}

}  // namespace
}  // namespace mi2::e2e
