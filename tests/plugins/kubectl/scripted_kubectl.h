// Test support for the kubectl plugin: the scripted `kubectl` (fixtures/fake-kubectl)
// installed as bin/kubectl in a temp folder, its rules and its record of calls,
// a FakeHost exec handler that runs every call as a real process, and the
// plugin driven through the SDK's C adapter (PluginDriver), as the host calls it.
#pragma once

#include <mi2/sdk/fake_host.hpp>
#include <mi2/sdk/test_driver.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "plugins/kubectl/kubectl_plugin.h"
#include "tests/support/temp_dir.h"

namespace mi2::test {

using Json = nlohmann::json;
using Argv = std::vector<std::string>;

inline std::filesystem::path kubectl_fixtures() {
  return std::filesystem::path(MI2_SOURCE_DIR) / "tests/plugins/kubectl/fixtures";
}

class ScriptedKubectl {
 public:
  ScriptedKubectl();

  // Answers calls whose argv holds `match` (in order) with `responses` in turn
  // (the last repeats). A response: {"stdout_file"|"stdout", "stderr", "exit"}.
  void rule(const Argv& match, const std::vector<Json>& responses);
  // `kubectl kustomize ...` runs the real kubectl.
  void pass_kustomize_through() { rule({"kustomize"}, {Json{{"passthrough", true}}}); }

  struct Call {
    Argv argv;
    std::string stdin_data;
  };
  std::vector<Call> calls() const;
  std::vector<Argv> argvs() const;

  // "NAME=value" entries a process needs to reach this script (PATH first).
  std::vector<std::string> env() const;
  const std::filesystem::path& bin_dir() const { return bin_; }

  // For FakeHost::on_exec: runs the call for real ("kubectl" is this script).
  std::function<sdk::ExecResult(const sdk::FakeHost::ExecCall&)> runner() const;

 private:
  TempDir dir_{"mi2-kubectl"};
  std::filesystem::path bin_, state_;
  Json rules_ = Json::array();
};

// A copy of fixtures/fleet in a temp folder: the instance src-1a2b3c of env dev.
class SampleFleet {
 public:
  SampleFleet();
  const std::filesystem::path& root() const { return dir_.path(); }
  std::filesystem::path instance_dir() const;
  std::filesystem::path kustomization() const {
    return instance_dir() / "kubernetes/kustomization.yaml";
  }
  std::filesystem::path state_dir() const;  // the engine's per-instance state dir
  // The step input of an invoke (docs/plugin-guide.md) with `params`.
  Json input(const Json& params = Json::object(), const std::string& target = "4.1.0",
             const std::string& previous = "4.0.0") const;

 private:
  TempDir dir_{"mi2-kubectl-fleet"};
};

// The instance's config.yaml as JSON (what `mi2 instance get` prints).
Json sample_instance(const std::string& version = "4.0.0");

// kubectl --context=<the sample's context> --namespace=src-acme args...
Argv kubectl_argv(const Argv& args);

using KubectlDriver = sdk::PluginDriver<kubectl::KubectlPlugin>;
// One invoke as the host sees it: status, output (partial output on failure
// included) and last_error.
using PluginCall = KubectlDriver::Reply;

// A plugin instance created with `config`, its FakeHost running every exec for
// real with `script` as kubectl (the creation must succeed).
std::unique_ptr<KubectlDriver> make_plugin(const ScriptedKubectl& script,
                                           const std::string& config = "{}");

// Runs argv for real and returns its stdout (asserts success).
std::string run_for_output(const Argv& argv, const std::vector<std::string>& env = {});

}  // namespace mi2::test
