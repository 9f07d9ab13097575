// Test helpers that touch the machine: run a process for the SDK's FakeHost
// (so git really runs), a temp folder, and a fleet repo with a bare origin.
#pragma once

#include <mi2/sdk/fake_host.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace mi2::test {

// Runs call.argv (no shell) in call.cwd with call.env added; captures output.
sdk::ExecResult run_local(const sdk::FakeHost::ExecCall& call);

// Runs git in `dir`; throws with its stderr when it fails. Returns stdout, trimmed.
std::string git_in(const std::filesystem::path& dir, const std::vector<std::string>& args);

class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void write_text(const std::filesystem::path& path, const std::string& text);
std::string read_text(const std::filesystem::path& path);

// A fleet repo under `root`: root/origin.git (bare) and root/fleet (a clone on
// main) holding mi2.yaml and environments/<env>/deployments/<id>/config.yaml
// for each instance, committed and pushed.
struct FleetInstance {
  std::string environment, id, slug, version, channel = "stable", type = "production";
};
std::filesystem::path make_fleet_repo(const std::filesystem::path& root,
                                      const std::string& mi2_yaml,
                                      const std::vector<FleetInstance>& instances);
std::string instance_config_yaml(const FleetInstance& instance);

}  // namespace mi2::test
