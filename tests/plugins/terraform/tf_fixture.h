// One sample instance (src-1a2b3c of examples/fleet, with its app and
// executors stacks) in a temp folder, the terraform plugin driven through the
// SDK's C adapter with a FakeHost that runs terraform for real.
#pragma once

#include <gtest/gtest.h>
#include <mi2/sdk/test_driver.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "plugins/terraform/terraform_plugin.h"
#include "tests/plugins/terraform/real_exec.h"
#include "tests/support/temp_dir.h"

namespace mi2::terraform::test {

namespace fs = std::filesystem;
using Json = sdk::Json;
using Driver = sdk::PluginDriver<TerraformPlugin>;

// First line of a test that runs the real terraform: skips it, saying so,
// when terraform is not on PATH.
#define NEED_TERRAFORM()                                                                 \
  if (!need_terraform())                                                                 \
  GTEST_SKIP() << "terraform is not on PATH: these tests run the real terraform binary " \
                  "(install it, e.g. /usr/local/bin/terraform)"

class TerraformStackTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // A new driver with this config (the real-exec host). Terraform must be on PATH.
  Driver& plugin(const std::string& config = "{}");
  bool need_terraform();

  // The step input at `version` (config.yaml's spec.sourcegraphVersion).
  Json input(const std::string& version, Json params = Json::object()) const;
  // render + apply at `version`; the apply reply.
  Driver::Reply upgrade_to(const std::string& version);

  fs::path instance_dir() const { return root() / "environments/dev/deployments/src-1a2b3c"; }
  fs::path state_dir() const { return root() / ".mi2/state/dev/src-1a2b3c"; }
  fs::path stack_dir(const std::string& stack) const {
    return instance_dir() / "terraform/stacks" / stack;
  }
  fs::path stack_state(const std::string& stack) const {
    return state_dir() / "terraform" / stack / "terraform.tfstate";
  }
  fs::path root() const { return dir_.path() / "fleet"; }
  // The `input` attribute of resource `address` in the stack's state ("" when absent).
  std::string state_input(const std::string& stack, const std::string& address);
  // Every file under the instance folder, relative.
  std::vector<std::string> instance_files() const;

  mi2::test::TempDir dir_{"mi2-terraform"};
  std::unique_ptr<Driver> driver_;
  std::vector<sdk::ExecResult> results_;  // every exec's result, in order
};

// Every exec call whose argv[1] is `command` ("init", "plan", "apply").
std::vector<sdk::FakeHost::ExecCall> calls_of(const sdk::FakeHost& fake,
                                              const std::string& command);
bool has_arg(const sdk::FakeHost::ExecCall& call, const std::string& prefix);
std::string env_value(const sdk::FakeHost::ExecCall& call, const std::string& name);
std::string slurp(const fs::path& path);
void spit(const fs::path& path, const std::string& text);

}  // namespace mi2::terraform::test
