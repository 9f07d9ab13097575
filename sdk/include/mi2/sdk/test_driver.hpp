// mi2/sdk/test_driver.hpp — call a plugin class in a unit test through the
// same C adapter the host uses, with a FakeHost behind it. Production classes
// need no test hooks: the test sees exactly what the host would see (status,
// output JSON — partial output on failure included —, last_error).
//
//   mi2::sdk::PluginDriver<TerraformPlugin> driver(R"({"apply": false})");
//   driver.fake.on_exec = [](const auto& call) { ... };
//   auto reply = driver.invoke("apply", "apply", {{"instance_dir", dir}});
//   EXPECT_EQ(reply.status, MI2_OK) << reply.error;
//
// Header-only, C++17; needs nlohmann/json.
#ifndef MI2_SDK_TEST_DRIVER_HPP
#define MI2_SDK_TEST_DRIVER_HPP

#include <mi2/sdk/fake_host.hpp>
#include <mi2/sdk/plugin.hpp>
#include <mi2/sdk/step.hpp>

#include <string>

namespace mi2::sdk {

template <class T>
class PluginDriver {
 public:
  struct Reply {
    mi2_status status = MI2_FAILED;
    Json output;  // null when the plugin returned none
    std::string error;
    bool ok() const { return status == MI2_OK; }
  };

  FakeHost fake;

  // Creates the instance; create_status/create_error say how it went.
  explicit PluginDriver(const std::string& config_json = "{}") {
    detail::services_slot() = fake.services();
    api_ = detail::Adapter<T>::table();
    create_status = api_->create(fake.context(), config_json.c_str(), &instance_);
    if (create_status != MI2_OK && instance_) create_error = api_->last_error(instance_);
  }
  ~PluginDriver() { api_->destroy(instance_); }
  PluginDriver(const PluginDriver&) = delete;
  PluginDriver& operator=(const PluginDriver&) = delete;

  mi2_status create_status = MI2_FAILED;
  std::string create_error;

  Reply invoke(const std::string& role, const std::string& action, const Json& input) {
    Reply reply;
    if (create_status != MI2_OK) {
      reply.error = "not created: " + create_error;
      return reply;
    }
    const char* out = nullptr;
    std::string text = input.dump();
    reply.status = api_->invoke(instance_, role.c_str(), action.c_str(), text.c_str(), &out);
    if (out) reply.output = Json::parse(out, nullptr, false);
    reply.error = api_->last_error(instance_);
    return reply;
  }

  Json describe() const { return Json::parse(api_->describe(), nullptr, false); }

 private:
  const mi2_plugin_api* api_ = nullptr;
  mi2_plugin_instance* instance_ = nullptr;
};

}  // namespace mi2::sdk

#endif  // MI2_SDK_TEST_DRIVER_HPP
