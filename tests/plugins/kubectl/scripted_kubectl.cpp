#include "tests/plugins/kubectl/scripted_kubectl.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/sys/process_runner.h"

namespace mi2::test {

namespace fs = std::filesystem;

ScriptedKubectl::ScriptedKubectl() {
  bin_ = dir_ / "bin";
  state_ = dir_ / "state";
  fs::create_directories(bin_);
  fs::create_directories(state_);
  fs::copy_file(kubectl_fixtures() / "fake-kubectl", bin_ / "kubectl");
  fs::permissions(bin_ / "kubectl", fs::perms::owner_all, fs::perm_options::add);
  write_file(state_ / "rules.json", "[]");
}

void ScriptedKubectl::rule(const Argv& match, const std::vector<Json>& responses) {
  rules_.push_back({{"match", match}, {"responses", responses}});
  write_file(state_ / "rules.json", rules_.dump(2));
}

std::vector<ScriptedKubectl::Call> ScriptedKubectl::calls() const {
  std::vector<Call> out;
  std::ifstream in(state_ / "calls.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    Json call = Json::parse(line);
    out.push_back({call["argv"].get<Argv>(), call["stdin"].get<std::string>()});
  }
  return out;
}

std::vector<Argv> ScriptedKubectl::argvs() const {
  std::vector<Argv> out;
  for (const auto& c : calls()) out.push_back(c.argv);
  return out;
}

std::vector<std::string> ScriptedKubectl::env() const {
  const char* path = std::getenv("PATH");
  return {"PATH=" + bin_.string() + ":" + (path ? path : "/usr/bin:/bin"),
          "FAKE_KUBECTL_DIR=" + state_.string(),
          "FAKE_KUBECTL_FIXTURES=" + (kubectl_fixtures() / "responses").string(),
          "FAKE_KUBECTL_REAL=/usr/bin/kubectl"};
}

std::function<sdk::ExecResult(const sdk::FakeHost::ExecCall&)> ScriptedKubectl::runner() const {
  std::vector<std::string> env = this->env();
  fs::path script = bin_ / "kubectl";
  return [env, script](const sdk::FakeHost::ExecCall& call) {
    ProcessRequest request;
    request.argv = call.argv;
    if (request.argv[0] == "kubectl") request.argv[0] = script.string();
    request.env = env;
    request.env.insert(request.env.end(), call.env.begin(), call.env.end());
    request.cwd = call.cwd;
    request.stdin_data = call.stdin_data;
    request.timeout = std::chrono::milliseconds(call.timeout_ms ? call.timeout_ms : 60000);
    SystemProcessRunner runner;
    ProcessResult r = runner.run(request);
    sdk::ExecResult out;
    out.exit_code = r.started() ? r.exit_code : 127;
    out.term_signal = r.term_signal;
    out.timed_out = r.timed_out;
    out.out = r.out;
    out.err = r.err + r.spawn_error;
    return out;
  };
}

SampleFleet::SampleFleet() {
  fs::copy(kubectl_fixtures() / "fleet", dir_.path(), fs::copy_options::recursive);
}

fs::path SampleFleet::instance_dir() const {
  return dir_.path() / "environments/dev/deployments/src-1a2b3c";
}

fs::path SampleFleet::state_dir() const {
  return dir_.path() / ".mi2/state/dev/src-1a2b3c";
}

Json sample_instance(const std::string& version) {
  Json instance = Json::parse(R"({
    "apiVersion": "sourcegraph.com/v1", "kind": "SourcegraphCloud",
    "metadata": {"name": "src-1a2b3c", "labels": {"instance-type": "internal"}},
    "spec": {"displayName": "acme", "sourcegraphVersion": "", "releaseChannel": "stable",
             "domain": {"primaryDNSName": "acme.sourcegraphcloud.com"},
             "infrastructure": {"gcp": {"region": "us-central1"}}},
    "status": {"gcp": {"projectId": "src-acme-prj", "region": "us-central1",
                       "gkeClusters": [{"name": "src-acme-cluster"}]},
               "kubernetes": {"namespace": "src-acme"}}})");
  instance["spec"]["sourcegraphVersion"] = version;
  return instance;
}

Json SampleFleet::input(const Json& params, const std::string& target,
                        const std::string& previous) const {
  return Json{{"run_id", "20261127T101500Z-3f2a"},
              {"step", "test"},
              {"dry_run", false},
              {"fleet_root", root().string()},
              {"environment", "dev"},
              {"instance_id", "src-1a2b3c"},
              {"slug", "acme"},
              {"instance_dir", instance_dir().string()},
              {"state_dir", state_dir().string()},
              {"instance", sample_instance(target)},
              {"target_version", target},
              {"previous_version", previous},
              {"params", params},
              {"checkpoints", Json::object()}};
}

Argv kubectl_argv(const Argv& args) {
  Argv out = {"kubectl", "--context=gke_src-acme-prj_us-central1_src-acme-cluster",
              "--namespace=src-acme"};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

std::unique_ptr<KubectlDriver> make_plugin(const ScriptedKubectl& script,
                                           const std::string& config) {
  auto driver = std::make_unique<KubectlDriver>(config);
  EXPECT_EQ(driver->create_status, MI2_OK) << driver->create_error;
  driver->fake.on_exec = script.runner();
  return driver;
}

std::string run_for_output(const Argv& argv, const std::vector<std::string>& env) {
  ProcessRequest request;
  request.argv = argv;
  request.env = env;
  request.timeout = std::chrono::seconds(60);
  SystemProcessRunner runner;
  ProcessResult r = runner.run(request);
  EXPECT_TRUE(r.ok()) << argv[0] << ": " << r.err << r.spawn_error;
  return r.out;
}

}  // namespace mi2::test
