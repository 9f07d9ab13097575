#include "tests/plugins/cloudsql/scripted_cli.h"

#include <cstdlib>
#include <fstream>

#include "core/sys/process_runner.h"

namespace mi2::test {

namespace fs = std::filesystem;

const char* const kBusy =
    "HTTPError 409: Operation failed because another operation was already in progress. Try your "
    "request after the current operation is complete.";
const char* const kNoAccount =
    "You do not currently have an active account selected.\nPlease run:\n\n  $ gcloud auth "
    "login\n\nto obtain new credentials.\n\nIf you have already logged in with a different "
    "account, run:\n\n  $ gcloud config set account ACCOUNT\n\nto select an already "
    "authenticated account to use.";

ScriptedCli::ScriptedCli(const std::string& name, const fs::path& script,
                         const std::string& env_prefix, const fs::path& fixtures,
                         std::vector<std::string> extra_env)
    : dir_(std::make_unique<TempDir>("mi2-scripted-" + name)) {
  bin_ = dir_->path() / "bin";
  state_ = dir_->path() / "state";
  fs::create_directories(bin_);
  fs::create_directories(state_);
  fs::copy_file(script, bin_ / name);
  fs::permissions(bin_ / name, fs::perms::owner_all, fs::perm_options::add);
  write_file(state_ / "rules.json", "[]");
  env_ = {env_prefix + "_DIR=" + state_.string(), env_prefix + "_FIXTURES=" + fixtures.string()};
  env_.insert(env_.end(), extra_env.begin(), extra_env.end());
}

ScriptedCli ScriptedCli::gcloud() {
  return ScriptedCli("gcloud", cloudsql_fixtures() / "fake-gcloud", "FAKE_GCLOUD",
                     cloudsql_fixtures() / "responses");
}

void ScriptedCli::rule(const Argv& match, const std::vector<Json>& responses) {
  rules_.push_back({{"match", match}, {"responses", responses}});
  write_file(state_ / "rules.json", rules_.dump(2));
}

std::vector<ScriptedCli::Call> ScriptedCli::calls() const {
  std::vector<Call> out;
  std::ifstream in(state_ / "calls.jsonl");
  for (std::string line; std::getline(in, line);) {
    Json call = Json::parse(line);
    out.push_back({call["argv"].get<Argv>(), call.value("time", 0.0)});
  }
  return out;
}

std::vector<Argv> ScriptedCli::argvs() const {
  std::vector<Argv> out;
  for (const auto& c : calls()) out.push_back(c.argv);
  return out;
}

std::vector<std::string> tools_env(const std::vector<const ScriptedCli*>& tools) {
  const char* path = std::getenv("PATH");
  std::string dirs;
  for (const ScriptedCli* t : tools) dirs += t->bin_dir().string() + ":";
  std::vector<std::string> env = {"PATH=" + dirs + (path ? path : "/usr/bin:/bin")};
  for (const ScriptedCli* t : tools) env.insert(env.end(), t->env().begin(), t->env().end());
  return env;
}

std::function<sdk::ExecResult(const sdk::FakeHost::ExecCall&)> process_runner(
    std::vector<std::string> env) {
  return [env](const sdk::FakeHost::ExecCall& call) {
    ProcessRequest request;
    request.argv = call.argv;
    request.env = env;
    request.env.insert(request.env.end(), call.env.begin(), call.env.end());
    request.cwd = call.cwd;
    request.stdin_data = call.stdin_data;
    request.timeout = std::chrono::milliseconds(call.timeout_ms ? call.timeout_ms : 60000);
    ProcessResult r = SystemProcessRunner().run(request);
    sdk::ExecResult out;
    out.exit_code = r.started() ? r.exit_code : 127;
    out.term_signal = r.term_signal;
    out.timed_out = r.timed_out;
    out.out = r.out;
    out.err = r.err + r.spawn_error;
    return out;
  };
}

Json answer(const std::string& file) {
  return Json{{"stdout_file", file}};
}

Json gcloud_error(const std::string& command, const std::string& message) {
  return Json{{"stderr", "ERROR: (gcloud." + command + ") " + message + "\n"}, {"exit", 1}};
}

Json sample_input(const Json& params) {
  Json instance = Json::parse(R"({
    "apiVersion": "sourcegraph.com/v1", "kind": "SourcegraphCloud",
    "metadata": {"name": "src-1a2b3c", "labels": {"instance-type": "internal"}},
    "spec": {"displayName": "acme", "sourcegraphVersion": "4.1.0"},
    "status": {"gcp": {"projectId": "src-acme-prj", "region": "us-central1",
                       "cloudSQL": [{"name": "src-acme-sql"}]}}})");
  return Json{{"run_id", "20261127T101500Z-3f2a"},
              {"step", "checkpoint"},
              {"dry_run", false},
              {"environment", "dev"},
              {"instance_id", "src-1a2b3c"},
              {"slug", "acme"},
              {"instance", instance},
              {"target_version", "4.1.0"},
              {"previous_version", "4.0.0"},
              {"params", params},
              {"checkpoints", Json::object()}};
}

}  // namespace mi2::test
