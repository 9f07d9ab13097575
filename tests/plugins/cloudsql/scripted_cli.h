// Test support for the cloudsql plugin: a scripted command-line tool
// (fixtures/fake-gcloud, or the kubectl plugin's fake-kubectl) installed in a
// temp bin folder, its rules and its record of calls; a FakeHost exec handler
// that runs calls as real processes; the sample instance's step input.
#pragma once

#include <mi2/sdk/fake_host.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace mi2::test {

using Json = nlohmann::json;
using Argv = std::vector<std::string>;

inline std::filesystem::path cloudsql_fixtures() {
  return std::filesystem::path(MI2_SOURCE_DIR) / "tests/plugins/cloudsql/fixtures";
}

class ScriptedCli {
 public:
  // `name` on PATH runs `script`; it reads <PREFIX>_DIR and <PREFIX>_FIXTURES.
  ScriptedCli(const std::string& name, const std::filesystem::path& script,
              const std::string& env_prefix, const std::filesystem::path& fixtures,
              std::vector<std::string> extra_env = {});
  // The scripted gcloud answering from fixtures/responses.
  static ScriptedCli gcloud();

  // Answers calls whose argv holds `match` (in order) with `responses` in turn
  // (the last repeats). A response: {"stdout_file"|"stdout", "stderr", "exit"}.
  void rule(const Argv& match, const std::vector<Json>& responses);

  struct Call {
    Argv argv;
    double time = 0;
  };
  std::vector<Call> calls() const;
  std::vector<Argv> argvs() const;

  // This tool's variables (no PATH); see path_env for PATH.
  const std::vector<std::string>& env() const { return env_; }
  const std::filesystem::path& bin_dir() const { return bin_; }

 private:
  std::unique_ptr<TempDir> dir_;
  std::filesystem::path bin_, state_;
  std::vector<std::string> env_;
  Json rules_ = Json::array();
};

// PATH with the tools' bin folders first, plus each tool's variables.
std::vector<std::string> tools_env(const std::vector<const ScriptedCli*>& tools);

// For FakeHost::on_exec: runs each call for real with `env` (PATH first).
std::function<sdk::ExecResult(const sdk::FakeHost::ExecCall&)> process_runner(
    std::vector<std::string> env);

// Stock answers of the scripted gcloud.
Json answer(const std::string& file);                                       // {"stdout_file": file}
Json gcloud_error(const std::string& command, const std::string& message);  // exit 1
extern const char* const kBusy;       // HTTP 409 operationInProgress
extern const char* const kNoAccount;  // no active account

// The step input of instance src-1a2b3c (project src-acme-prj) in run
// 20261127T101500Z-3f2a with `params`.
Json sample_input(const Json& params = Json::object());

}  // namespace mi2::test
