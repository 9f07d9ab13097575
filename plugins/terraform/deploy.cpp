// apply / rollback: per stack, in order, init -> plan (saved under state_dir)
// -> apply of the saved plan; destructive plans refused unless allowed; a
// stale saved plan is planned again once; a backend that cannot save a plan
// is applied with the remote run's own approval.
#include <cctype>
#include <filesystem>

#include "plugins/terraform/actions.h"
#include "plugins/terraform/stacks.h"
#include "plugins/terraform/terraform_cli.h"

namespace mi2::terraform {
namespace {

namespace fs = std::filesystem;

// A run id as a file name ("manual" outside a run).
std::string plan_name(const std::string& run_id) {
  std::string name;
  for (char c : run_id)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') name += c;
  if (name.empty() || name.front() == '.') name = "manual";
  return name + ".tfplan";
}

// Earlier runs' plan files: only the newest plan of a stack is kept.
void remove_old_plans(const Stack& stack) {
  std::error_code ec;
  fs::create_directories(stack.state_dir, ec);
  if (ec)
    throw sdk::failed("cannot create " + stack.state_dir + " for stack '" + stack.name +
                      "': " + ec.message() + ".");
  for (const auto& entry : fs::directory_iterator(stack.state_dir, ec))
    if (entry.path().extension() == ".tfplan") fs::remove(entry.path(), ec);
}

std::string counts(const PlanReport& r) {
  return std::to_string(r.add) + " to add, " + std::to_string(r.change) + " to change, " +
         std::to_string(r.destroy) + " to destroy";
}

std::string addresses_of(const std::vector<ResourceChange>& changes) {
  std::string out;
  for (const ResourceChange& c : changes)
    out += (out.empty() ? "" : ", ") + c.address + " (" + c.action + ")";
  return out;
}

void record_plan(Json& entry, const PlanResult& plan) {
  const PlanReport& r = plan.report;
  entry["change_summary"] = {{"add", r.add}, {"change", r.change}, {"destroy", r.destroy}};
  Json changes = Json::array(), addresses = Json::array();
  for (const ResourceChange& c : r.changes) {
    Json change = {{"address", c.address}, {"action", c.action}};
    if (!c.reason.empty()) change["reason"] = c.reason;
    changes.push_back(change);
    addresses.push_back(c.address);
  }
  entry["changes"] = changes;
  entry["addresses"] = addresses;
  entry["saved_plan"] = plan.saved;
}

class StackDeploy {
 public:
  StackDeploy(const sdk::Host& host, const Settings& settings, const sdk::StepInput& in,
              const TerraformCli& cli)
      : host_(host),
        settings_(settings),
        in_(in),
        cli_(cli),
        dry_run_(in.dry_run || host.dry_run()) {}

  // Fills `entry` as it goes, so a failure still reports what was learnt.
  void run(const Stack& stack, Json& entry) {
    entry["plan_only"] = !settings_.apply;
    entry["applied"] = false;
    entry["dry_run"] = dry_run_;
    cli_.init(stack);
    std::string plan_file = stack.state_dir + "/" + plan_name(in_.run_id);
    if (!dry_run_) remove_old_plans(stack);
    PlanResult plan = make_plan(stack, plan_file, entry);
    if (!plan.report.has_changes()) return finish(entry, "no changes", stack.name + ": no changes");
    if (!settings_.apply)
      return finish(entry, "planned", line(stack, plan, "plan only: applied on merge"));
    std::string saved = plan.saved ? plan_file : (dry_run_ ? plan_file : "");
    if (!cli_.apply(stack, saved)) {
      host_.warn("the saved plan of stack '" + stack.name + "' was stale; planning again once");
      entry["replanned"] = true;
      plan = make_plan(stack, plan_file, entry);
      if (!plan.report.has_changes())
        return finish(entry, "no changes", stack.name + ": no changes");
      if (!cli_.apply(stack, plan.saved ? plan_file : ""))
        throw sdk::failed("the saved plan of terraform stack '" + stack.name + "' of instance " +
                          in_.instance_id +
                          " went stale twice (another run keeps changing its state); re-run the "
                          "step when that run is done.");
    }
    if (dry_run_) return finish(entry, "planned", line(stack, plan, "dry run: not applied"));
    entry["applied"] = true;
    if (plan.saved) fs::remove(plan_file);
    finish(entry, "applied",
           line(stack, plan, plan.saved ? "applied" : "applied by the remote run"));
  }

 private:
  PlanResult make_plan(const Stack& stack, const std::string& plan_file, Json& entry) {
    PlanRequest request;
    request.out = dry_run_ ? "" : plan_file;  // a dry run writes no plan file
    request.lock = !dry_run_;                 // and takes no lock
    PlanResult plan = cli_.plan(stack, request);
    if (plan.unsupported_out) {
      entry["note"] = "the " + stack.backend +
                      " backend cannot save a plan: planned without -out, and the apply is the "
                      "remote run's own, approved by mi2";
      request.out.clear();
      request.text = true;
      plan = cli_.plan(stack, request);
    }
    record_plan(entry, plan);
    refuse_destruction(stack, plan, entry);
    return plan;
  }

  void refuse_destruction(const Stack& stack, const PlanResult& plan, Json& entry) {
    std::vector<ResourceChange> destructive = plan.report.destructive_changes();
    if (destructive.empty() || settings_.allow_destroy) return;
    entry["result"] = "refused";
    entry["line"] = line(stack, plan, "refused: it deletes or replaces resources");
    throw sdk::failed("terraform stack '" + stack.name + "' of instance " + in_.instance_id +
                      " plans to delete or replace " + addresses_of(destructive) +
                      ", so nothing of it was applied; review the plan and set "
                      "plugins.terraform.allow_destroy: true in mi2.yaml to allow it.");
  }

  std::string line(const Stack& stack, const PlanResult& plan, const std::string& how) const {
    return stack.name + ": " + counts(plan.report) + " (" + how + ")";
  }

  void finish(Json& entry, const std::string& result, const std::string& summary) {
    entry["result"] = result;
    entry["line"] = summary;
    host_.info(summary);
  }

  const sdk::Host& host_;
  const Settings& settings_;
  const sdk::StepInput& in_;
  const TerraformCli& cli_;
  bool dry_run_;
};

Json output_of(const Json& stacks) {
  Json lines = Json::array();
  for (const Json& s : stacks)
    if (s.contains("line")) lines.push_back(s["line"]);
  return {{"stacks", stacks}, {"pr_summary", {{"title", "Terraform"}, {"lines", lines}}}};
}

}  // namespace

Json deploy_stacks(const sdk::Host& host, const Settings& settings, const sdk::StepInput& in) {
  in.require(in.instance_dir, "instance_dir");
  in.require(in.state_dir, "state_dir");
  TerraformCli cli(host, settings, in);
  StackDeploy deploy(host, settings, in, cli);
  std::vector<Stack> stacks = find_stacks(settings, in.instance_dir, in.state_dir, in.instance_id);
  Json done = Json::array();
  for (size_t i = 0; i < stacks.size(); ++i) {
    const Stack& stack = stacks[i];
    host.progress(static_cast<double>(i) / stacks.size(), "terraform stack " + stack.name);
    Json entry = {{"name", stack.name},
                  {"dir", stack.relative},
                  {"backend", stack.backend.empty() ? "local" : stack.backend}};
    try {
      if (host.cancelled())
        throw sdk::Error(MI2_CANCELLED, "the terraform step of instance " + in.instance_id +
                                            " was cancelled before stack '" + stack.name + "'.");
      deploy.run(stack, entry);
    } catch (const sdk::Error& e) {
      if (!entry.contains("result")) entry["result"] = "failed";
      if (!entry.contains("line")) entry["line"] = stack.name + ": failed";
      entry["error"] = e.what();
      done.push_back(entry);
      throw sdk::Failure(e.status(), e.what(), output_of(done));
    }
    done.push_back(entry);
  }
  Json out = output_of(done);
  if (stacks.empty())
    out["note"] =
        "instance " + in.instance_id + " has no terraform stacks under " + settings.stacks_dir;
  return out;
}

}  // namespace mi2::terraform
