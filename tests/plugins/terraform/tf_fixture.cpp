#include "tests/plugins/terraform/tf_fixture.h"

#include <fstream>

namespace mi2::terraform::test {

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

void TerraformStackTest::SetUp() {
  fs::create_directories(instance_dir().parent_path());
  fs::copy(MI2_SOURCE_DIR "/examples/fleet/environments/dev/deployments/src-1a2b3c", instance_dir(),
           fs::copy_options::recursive);
}

bool TerraformStackTest::need_terraform() {
  return !find_on_path("terraform").empty();
}

Driver& TerraformStackTest::plugin(const std::string& config) {
  driver_ = std::make_unique<Driver>(config);
  EXPECT_EQ(driver_->create_status, MI2_OK) << driver_->create_error;
  results_.clear();
  make_exec_real(driver_->fake, &results_);
  return *driver_;
}

Json TerraformStackTest::input(const std::string& version, Json params) const {
  return {{"run_id", "20261202T120000Z-test"},
          {"step", "deploy"},
          {"fleet_root", root().string()},
          {"environment", "dev"},
          {"instance_id", "src-1a2b3c"},
          {"slug", "acme"},
          {"instance_dir", instance_dir().string()},
          {"state_dir", state_dir().string()},
          {"instance",
           {{"metadata", {{"name", "src-1a2b3c"}}},
            {"spec", {{"displayName", "acme"}, {"sourcegraphVersion", version}}}}},
          {"target_version", version},
          {"params", params}};
}

Driver::Reply TerraformStackTest::upgrade_to(const std::string& version) {
  auto rendered = driver_->invoke("render", "render", input(version));
  EXPECT_TRUE(rendered.ok()) << rendered.error;
  return driver_->invoke("apply", "apply", input(version));
}

std::string TerraformStackTest::state_input(const std::string& stack, const std::string& address) {
  Json state = Json::parse(slurp(stack_state(stack)), nullptr, false);
  if (!state.is_object()) return "";
  for (const Json& r : state.value("resources", Json::array())) {
    if (r.value("type", "") + "." + r.value("name", "") != address) continue;
    for (const Json& i : r.value("instances", Json::array())) {
      const Json& value = i["attributes"]["input"];  // dynamic: {"value": ..., "type": ...}
      if (value.is_object() && value.contains("value") && value["value"].is_string())
        return value["value"];
      return value.is_string() ? value.get<std::string>() : "";
    }
  }
  return "";
}

std::vector<std::string> TerraformStackTest::instance_files() const {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(instance_dir()))
    files.push_back(fs::relative(e.path(), instance_dir()).generic_string());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<sdk::FakeHost::ExecCall> calls_of(const sdk::FakeHost& fake,
                                              const std::string& command) {
  std::vector<sdk::FakeHost::ExecCall> out;
  for (const auto& call : fake.exec_calls)
    if (call.argv.size() > 1 && call.argv[1] == command) out.push_back(call);
  return out;
}

bool has_arg(const sdk::FakeHost::ExecCall& call, const std::string& prefix) {
  for (const auto& a : call.argv)
    if (a.rfind(prefix, 0) == 0) return true;
  return false;
}

std::string env_value(const sdk::FakeHost::ExecCall& call, const std::string& name) {
  for (const auto& e : call.env)
    if (e.rfind(name + "=", 0) == 0) return e.substr(name.size() + 1);
  return "";
}

}  // namespace mi2::terraform::test
