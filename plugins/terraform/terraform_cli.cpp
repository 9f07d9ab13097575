#include "plugins/terraform/terraform_cli.h"

#include <csignal>
#include <cstring>
#include <filesystem>
#include <regex>

extern char** environ;

namespace mi2::terraform {
namespace {

constexpr const char* kTokenPrefix = "TF_TOKEN_";

bool mentions(const std::string& text, const char* what) {
  return text.find(what) != std::string::npos;
}

std::string lock_timeout_arg(const Settings& s) {
  return "-lock-timeout=" + std::to_string(s.lock_timeout_s) + "s";
}

}  // namespace

TerraformCli::TerraformCli(const sdk::Host& host, const Settings& settings,
                           const sdk::StepInput& input)
    : host_(host), settings_(settings), instance_id_(input.instance_id) {
  env_ = {"TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1"};
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, kTokenPrefix, std::strlen(kTokenPrefix)) != 0) continue;
    const char* eq = std::strchr(*e, '=');
    if (!eq) continue;
    host_.redact(eq + 1);  // before it can appear anywhere
    env_.emplace_back(*e);
  }
  for (const auto& [name, value] : settings.env)
    env_.push_back(name + "=" + sdk::expand(value, input));
}

std::vector<std::string> TerraformCli::state_args(const Stack& stack) const {
  if (settings_.local_state != "state_dir" || !stack.backend.empty()) return {};
  return {"-state=" + stack.state_file()};  // the implied local backend has no path to configure
}

sdk::ExecResult TerraformCli::run(const Stack& stack, const std::string& command,
                                  const std::vector<std::string>& args, bool mutating) const {
  std::vector<std::string> argv{settings_.terraform_binary, command};
  argv.insert(argv.end(), args.begin(), args.end());
  sdk::ExecOptions options;
  options.cwd = stack.dir;
  options.env = env_;
  options.env.push_back("TF_DATA_DIR=" + stack.data_dir());
  options.mutating = mutating;
  options.stop_signal = SIGINT;  // terraform stops cleanly and releases its state lock
  options.kill_grace_ms = static_cast<uint32_t>(settings_.stop_grace_s * 1000);
  try {
    return host_.exec(argv, options);
  } catch (const sdk::Error& e) {
    std::string what =
        "terraform " + command + " of stack '" + stack.name + "' of instance " + instance_id_;
    if (e.status() == MI2_CANCELLED)
      throw sdk::Error(e.status(), what +
                                       " was cancelled (terraform got SIGINT first, so it released "
                                       "its state lock); re-run or resume the step to finish.");
    if (e.status() == MI2_TIMEOUT)
      throw sdk::Error(e.status(),
                       what +
                           " passed the step's deadline (stopped with SIGINT, then "
                           "SIGKILL); raise the step's timeout_s or check the backend.");
    throw sdk::Error(e.status(), "cannot run " + what + " (" + e.what() +
                                     "); install terraform or set "
                                     "plugins.terraform.terraform_binary in mi2.yaml.");
  }
}

sdk::ExecResult TerraformCli::run_init(const Stack& stack,
                                       const std::vector<std::string>& args) const {
  // init writes .terraform.lock.hcl next to the configuration when the stack
  // has none (stacks of terraform_data alone never need one); a lock file the
  // fleet did not commit is removed again, so init leaves the instance as it was.
  std::filesystem::path lock_file = std::filesystem::path(stack.dir) / ".terraform.lock.hcl";
  std::error_code ec;
  bool had_lock_file = std::filesystem::exists(lock_file, ec);
  sdk::ExecResult r = run(stack, "init", args, false);
  if (!had_lock_file && std::filesystem::remove(lock_file, ec))
    host_.info("removed the .terraform.lock.hcl terraform init wrote into " + stack.relative +
               " (commit one to the fleet repo to pin provider versions)");
  return r;
}

void TerraformCli::init(const Stack& stack) const {
  std::vector<std::string> args{"-input=false", "-no-color"};
  if (settings_.local_state == "state_dir" && stack.backend == "local")
    args.push_back("-backend-config=path=" + stack.state_file());
  sdk::ExecResult r = run_init(stack, args);
  if (r.ok()) return;
  std::string why = first_error(PlanReport{}, r.err + "\n" + r.out);
  throw sdk::failed(
      "terraform init failed for stack '" + stack.name + "' of instance " + instance_id_ +
      " (backend " + (stack.backend.empty() ? "local, implied" : stack.backend) + "): " + why +
      "; fix the backend configuration in " + stack.relative + " or its credentials, and re-run.");
}

std::string TerraformCli::version(const Stack& stack) const {
  sdk::ExecResult r = run(stack, "version", {"-json"}, false);
  Json reported = Json::parse(r.out, nullptr, false);
  if (r.ok() && reported.is_object() && reported.contains("terraform_version") &&
      reported["terraform_version"].is_string())
    return reported["terraform_version"].get<std::string>();
  std::string why = first_error(PlanReport{}, r.err + "\n" + r.out);
  throw sdk::failed("`" + settings_.terraform_binary +
                    " version -json` did not report a terraform version (exit " +
                    std::to_string(r.exit_code) + (why.empty() ? "" : ": " + why) +
                    "); install terraform or set plugins.terraform.terraform_binary in mi2.yaml.");
}

void TerraformCli::init_without_backend(const Stack& stack) const {
  sdk::ExecResult r = run_init(stack, {"-backend=false", "-input=false", "-no-color"});
  if (r.ok()) return;
  throw sdk::failed("terraform init -backend=false failed for stack '" + stack.name +
                    "' of instance " + instance_id_ + ": " +
                    first_error(PlanReport{}, r.err + "\n" + r.out) +
                    "; fix the providers and modules of " + stack.relative + " and re-run.");
}

void TerraformCli::validate(const Stack& stack) const {
  sdk::ExecResult r = run(stack, "validate", {"-json", "-no-color"}, false);
  Json report = Json::parse(r.out, nullptr, false);
  if (r.ok() && report.is_object() && report.value("valid", false)) return;
  std::string why;
  if (report.is_object() && report.contains("diagnostics") && report["diagnostics"].is_array()) {
    for (const Json& d : report["diagnostics"]) {
      if (!d.is_object() || d.value("severity", "") != "error") continue;
      why = d.value("summary", "");
      std::string detail = d.value("detail", "");
      detail = detail.substr(0, detail.find('\n'));
      if (!detail.empty()) why += ": " + detail;
      if (d.contains("range") && d["range"].is_object())
        why += " (" + d["range"].value("filename", "") + " line " +
               std::to_string(d["range"].value("start", Json::object()).value("line", 0)) + ")";
      break;
    }
  }
  if (why.empty()) why = first_error(PlanReport{}, r.err + "\n" + r.out);
  throw sdk::failed("terraform validate found stack '" + stack.name + "' of instance " +
                    instance_id_ + " invalid: " + why + "; fix " + stack.relative + " and re-run.");
}

PlanResult TerraformCli::plan(const Stack& stack, const PlanRequest& request) const {
  PlanResult result;
  std::vector<std::string> args{"-input=false", "-no-color"};
  if (!request.text) args.push_back("-json");
  args.push_back("-detailed-exitcode");
  args.push_back(lock_timeout_arg(settings_));
  if (!request.lock) args.push_back("-lock=false");
  if (!request.out.empty()) args.push_back("-out=" + request.out);
  for (const auto& a : state_args(stack)) args.push_back(a);
  sdk::ExecResult r = run(stack, "plan", args, false);
  result.argv = args;
  result.report = request.text ? parse_plan_text(r.out + "\n" + r.err) : parse_plan_json(r.out);
  if (r.exit_code == 0 || r.exit_code == 2) {
    result.saved = !request.out.empty();
    return result;
  }
  std::string all = result.report.error_text + "\n" + r.err;
  if (mentions(all, "Saving a generated plan is currently not supported")) {
    result.unsupported_out = true;
    return result;
  }
  if (auto lock = lock_holder(all))
    throw sdk::failed(lock_sentence(stack, instance_id_, *lock, settings_.lock_timeout_s));
  throw sdk::failed("terraform plan failed for stack '" + stack.name + "' of instance " +
                    instance_id_ + ": " + first_error(result.report, r.err) + "; fix " +
                    stack.relative + " (or the state) and re-run.");
}

bool TerraformCli::apply(const Stack& stack, const std::string& plan_file) const {
  std::vector<std::string> args{"-input=false", "-no-color", lock_timeout_arg(settings_)};
  for (const auto& a : state_args(stack)) args.push_back(a);
  if (plan_file.empty()) {
    args.push_back("-auto-approve");  // the remote run approves its own plan
  } else {
    args.push_back(plan_file);
  }
  sdk::ExecResult r = run(stack, "apply", args, true);
  if (r.ok() || r.skipped_dry_run) return true;
  std::string all = r.err + "\n" + r.out;
  if (!plan_file.empty() && mentions(all, "Saved plan is stale")) return false;
  if (auto lock = lock_holder(all))
    throw sdk::failed(lock_sentence(stack, instance_id_, *lock, settings_.lock_timeout_s));
  throw sdk::failed("terraform apply failed for stack '" + stack.name + "' of instance " +
                    instance_id_ + ": " + first_error(PlanReport{}, all) +
                    "; the stack may be partly applied: fix the cause and re-run the step.");
}

std::string lock_sentence(const Stack& stack, const std::string& instance_id,
                          const LockHolder& lock, long long waited_s) {
  std::string id = lock.id.empty() ? "<ID>" : lock.id;
  // "2026-12-02 17:19:15.937242823 +0000 UTC" -> "2026-12-02 17:19:15 +0000 UTC"
  std::string since = std::regex_replace(lock.created, std::regex(R"(\.[0-9]+)"), "");
  // The backend settings live in TF_DATA_DIR, so a manual unlock needs it too.
  std::string where = stack.relative + " with TF_DATA_DIR=" + stack.data_dir();
  return "The state of terraform stack '" + stack.name + "' of instance " + instance_id +
         " is locked (lock ID " + id + ", held by " + (lock.who.empty() ? "unknown" : lock.who) +
         " since " + (since.empty() ? "an unknown time" : since) +
         (lock.operation.empty() ? "" : " for " + lock.operation) + ", still held after " +
         std::to_string(waited_s) + "s): wait for that run to finish, or if it is dead run " +
         "`terraform force-unlock " + id + "` in " + where + ".";
}

}  // namespace mi2::terraform
