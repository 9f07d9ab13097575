// Runs terraform for one stack through the host's exec: the argv of every
// command the plugin can run, the environment (automation flags, TF_DATA_DIR
// under state_dir, TF_TOKEN_* passed through and redacted), SIGINT before
// SIGKILL on cancel, and errors turned into sentences naming the stack.
#pragma once

#include <mi2/sdk/host.hpp>
#include <mi2/sdk/step.hpp>

#include <string>
#include <vector>

#include "plugins/terraform/plan_report.h"
#include "plugins/terraform/settings.h"
#include "plugins/terraform/stacks.h"

namespace mi2::terraform {

// How a plan is made.
struct PlanRequest {
  std::string out;    // -out=<path>; "" to save no plan (dry run, health check, remote backend)
  bool lock = true;   // false: -lock=false (read-only previews never block a real run)
  bool text = false;  // human output instead of -json (remote backends that stream a run)
};

struct PlanResult {
  PlanReport report;
  bool saved = false;            // the plan went to PlanRequest::out
  bool unsupported_out = false;  // the backend cannot save a plan (remote)
  std::vector<std::string> argv;
};

class TerraformCli {
 public:
  // Reads TF_TOKEN_* from the environment and registers each value with
  // host.redact before anything runs.
  TerraformCli(const sdk::Host& host, const Settings& settings, const sdk::StepInput& input);

  // `terraform init -input=false -no-color [-backend-config=path=<state>]`.
  void init(const Stack& stack) const;
  // Preflight, read-only for the instance folder (init writes TF_DATA_DIR under
  // state_dir only): `terraform version -json` in the stack folder, the version
  // terraform reports; throws the sentence saying terraform cannot be run.
  std::string version(const Stack& stack) const;
  // `terraform init -backend=false -input=false -no-color`: providers and
  // modules, no backend (no credentials asked, no remote state or workspace
  // touched). Throws the failure naming the stack.
  void init_without_backend(const Stack& stack) const;
  // `terraform validate -json -no-color`: throws the first error naming the stack.
  void validate(const Stack& stack) const;
  // `terraform plan -input=false -no-color -json -detailed-exitcode -lock-timeout=Ns ...`.
  // Throws the lock sentence, or a plan failure naming the stack.
  PlanResult plan(const Stack& stack, const PlanRequest& request) const;
  // `terraform apply -input=false -no-color -lock-timeout=Ns <plan>` (mutating), or with
  // -auto-approve and no plan file when `plan_file` is "". Returns false when the
  // saved plan is stale (the caller plans again); throws on any other failure.
  bool apply(const Stack& stack, const std::string& plan_file) const;

  const std::string& instance_id() const { return instance_id_; }

 private:
  sdk::ExecResult run(const Stack& stack, const std::string& command,
                      const std::vector<std::string>& args, bool mutating) const;
  std::vector<std::string> state_args(const Stack& stack) const;
  // `terraform init ARGS`, leaving no .terraform.lock.hcl the stack did not have.
  sdk::ExecResult run_init(const Stack& stack, const std::vector<std::string>& args) const;
  [[noreturn]] void fail(const Stack& stack, const std::string& command,
                         const std::string& output) const;

  const sdk::Host& host_;
  const Settings& settings_;
  std::string instance_id_;
  std::vector<std::string> env_;
};

// The sentence for a state lock held by someone else.
std::string lock_sentence(const Stack& stack, const std::string& instance_id,
                          const LockHolder& lock, long long waited_s);

}  // namespace mi2::terraform
