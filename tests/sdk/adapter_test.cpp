// The MI2_PLUGIN adapter as the host sees it: one class, one macro, and the C
// table it produces (entry, create failure with last_error, output lifetime).
#include <gtest/gtest.h>

#include <mi2/sdk/fake_host.hpp>
#include <mi2/sdk/plugin.hpp>

#include <string>

namespace {

class CountingPlugin {
 public:
  static const char* describe() {
    return R"({"name": "counting", "version": "1.0.0", "roles": {"render": ["render"]}})";
  }
  CountingPlugin(mi2::sdk::Host host, const std::string& config_json) : host_(host) {
    if (config_json.find("refuse") != std::string::npos)
      throw mi2::sdk::invalid_input("counting refuses config " + config_json);
    if (config_json.find("crash") != std::string::npos) throw 7;
    config_ = config_json;
  }
  std::string invoke(std::string_view role, std::string_view action, const std::string& input) {
    ++calls_;
    if (input == R"({"fail": true})") throw mi2::sdk::retryable("counting was asked to fail");
    if (input == R"({"partial": true})")
      throw mi2::sdk::Error(MI2_FAILED, "half done", R"({"dirty": true})");
    if (input == R"({"empty": true})") return "";
    if (input == R"({"log": true})") host_.info("counting logs");
    return "{\"call\": " + std::to_string(calls_) + ", \"role\": \"" + std::string(role) +
           "\", \"action\": \"" + std::string(action) + "\", \"config\": " + config_ + "}";
  }

 private:
  mi2::sdk::Host host_;
  std::string config_;
  int calls_ = 0;
};

class ThrowingDescribe {
 public:
  static const char* describe() { throw std::runtime_error("no"); }
  ThrowingDescribe(mi2::sdk::Host, const std::string&) {}
  std::string invoke(std::string_view, std::string_view, const std::string&) { return "{}"; }
};

}  // namespace

MI2_PLUGIN(CountingPlugin)

namespace {

class AdapterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* error = nullptr;
    api_ = mi2_plugin_entry(MI2_ABI_VERSION_MAJOR, MI2_ABI_VERSION_MINOR, fake_.services(), &error);
    ASSERT_NE(api_, nullptr);
  }
  mi2::sdk::FakeHost fake_;
  const mi2_plugin_api* api_ = nullptr;
};

TEST_F(AdapterTest, EntryReturnsACompleteTableOfThisSdkVersion) {
  EXPECT_EQ(api_->struct_size, sizeof(mi2_plugin_api));
  EXPECT_EQ(api_->abi_major, static_cast<uint32_t>(MI2_ABI_VERSION_MAJOR));
  EXPECT_EQ(api_->abi_minor, static_cast<uint32_t>(MI2_ABI_VERSION_MINOR));
  EXPECT_TRUE(api_->describe && api_->create && api_->invoke && api_->last_error && api_->destroy);
  EXPECT_STREQ(api_->describe(), CountingPlugin::describe());
}

TEST_F(AdapterTest, CreateInvokeDestroy) {
  mi2_plugin_instance* instance = nullptr;
  ASSERT_EQ(api_->create(fake_.context(), R"({"k": 1})", &instance), MI2_OK);
  ASSERT_NE(instance, nullptr);
  const char* output = nullptr;
  ASSERT_EQ(api_->invoke(instance, "render", "render", "{}", &output), MI2_OK);
  EXPECT_STREQ(output, R"({"call": 1, "role": "render", "action": "render", "config": {"k": 1}})");
  EXPECT_STREQ(api_->last_error(instance), "");
  api_->destroy(instance);
}

TEST_F(AdapterTest, FailedCreateStillSetsTheInstanceSoLastErrorCanBeRead) {
  mi2_plugin_instance* instance = nullptr;
  EXPECT_EQ(api_->create(fake_.context(), R"({"refuse": 1})", &instance), MI2_INVALID_INPUT);
  ASSERT_NE(instance, nullptr);
  EXPECT_STREQ(api_->last_error(instance), R"(counting refuses config {"refuse": 1})");
  // Invoking an instance whose object was never made is refused, not a crash.
  const char* output = "unchanged";
  EXPECT_EQ(api_->invoke(instance, "render", "render", "{}", &output), MI2_INVALID_INPUT);
  EXPECT_EQ(output, nullptr);
  api_->destroy(instance);

  instance = nullptr;
  EXPECT_EQ(api_->create(fake_.context(), R"({"crash": 1})", &instance), MI2_FAILED);
  ASSERT_NE(instance, nullptr);
  EXPECT_STREQ(api_->last_error(instance), "unknown exception in plugin");
  api_->destroy(instance);
}

TEST_F(AdapterTest, CreateWithoutAnOutPointerIsInvalidInput) {
  EXPECT_EQ(api_->create(fake_.context(), "{}", nullptr), MI2_INVALID_INPUT);
}

TEST_F(AdapterTest, NullConfigIsAnEmptyObject) {
  mi2_plugin_instance* instance = nullptr;
  ASSERT_EQ(api_->create(fake_.context(), nullptr, &instance), MI2_OK);
  const char* output = nullptr;
  ASSERT_EQ(api_->invoke(instance, nullptr, nullptr, nullptr, &output), MI2_OK);
  EXPECT_STREQ(output, R"({"call": 1, "role": "", "action": "", "config": {}})");
  api_->destroy(instance);
}

TEST_F(AdapterTest, OutputStaysValidUntilTheNextCallOnTheInstance) {
  mi2_plugin_instance* a = nullptr;
  mi2_plugin_instance* b = nullptr;
  ASSERT_EQ(api_->create(fake_.context(), "{}", &a), MI2_OK);
  ASSERT_EQ(api_->create(fake_.context(), "{}", &b), MI2_OK);
  const char* first = nullptr;
  ASSERT_EQ(api_->invoke(a, "render", "render", "{}", &first), MI2_OK);
  std::string copy = first;
  // Calls on another instance and last_error on this one leave it intact.
  const char* other = nullptr;
  ASSERT_EQ(api_->invoke(b, "render", "render", "{}", &other), MI2_OK);
  api_->last_error(a);
  EXPECT_EQ(std::string(first), copy);
  const char* second = nullptr;
  ASSERT_EQ(api_->invoke(a, "render", "render", "{}", &second), MI2_OK);
  EXPECT_NE(std::string(second), copy);  // the next call's output replaced it
  api_->destroy(a);
  api_->destroy(b);
}

TEST_F(AdapterTest, FailedInvokeGivesNoOutputAndKeepsTheError) {
  mi2_plugin_instance* instance = nullptr;
  ASSERT_EQ(api_->create(fake_.context(), "{}", &instance), MI2_OK);
  const char* output = "unchanged";
  EXPECT_EQ(api_->invoke(instance, "render", "render", R"({"fail": true})", &output),
            MI2_RETRYABLE);
  EXPECT_EQ(output, nullptr);
  EXPECT_STREQ(api_->last_error(instance), "counting was asked to fail");
  // The next success clears it.
  ASSERT_EQ(api_->invoke(instance, "render", "render", "{}", &output), MI2_OK);
  EXPECT_STREQ(api_->last_error(instance), "");
  api_->destroy(instance);
}

TEST_F(AdapterTest, EmptyOutputBecomesAnEmptyObject) {
  mi2_plugin_instance* instance = nullptr;
  ASSERT_EQ(api_->create(fake_.context(), "{}", &instance), MI2_OK);
  const char* output = nullptr;
  ASSERT_EQ(api_->invoke(instance, "render", "render", R"({"empty": true})", &output), MI2_OK);
  EXPECT_STREQ(output, "{}");
  api_->destroy(instance);
}

TEST_F(AdapterTest, TheInstanceTalksToTheHostItWasCreatedWith) {
  mi2_plugin_instance* instance = nullptr;
  ASSERT_EQ(api_->create(fake_.context(), "{}", &instance), MI2_OK);
  const char* output = nullptr;
  ASSERT_EQ(api_->invoke(instance, "render", "render", R"({"log": true})", &output), MI2_OK);
  ASSERT_EQ(fake_.logs.size(), 1u);
  EXPECT_EQ(fake_.logs[0].message, "counting logs");
  EXPECT_EQ(fake_.logs[0].level, MI2_LOG_INFO);
  api_->destroy(instance);
}

TEST_F(AdapterTest, DestroyOfNullDoesNothing) {
  api_->destroy(nullptr);
}

TEST(AdapterDescribe, AThrowingDescribeGivesItsReason) {
  EXPECT_STREQ(mi2::sdk::detail::Adapter<ThrowingDescribe>::describe(),
               R"({"describe_error":"no"})");
}

}  // namespace

namespace {

TEST_F(AdapterTest, AFailureCanCarryPartialOutput) {
  mi2_plugin_instance* instance = nullptr;
  ASSERT_EQ(api_->create(fake_.context(), "{}", &instance), MI2_OK);
  const char* output = nullptr;
  EXPECT_EQ(api_->invoke(instance, "render", "render", R"({"partial": true})", &output),
            MI2_FAILED);
  ASSERT_NE(output, nullptr);
  EXPECT_STREQ(output, R"({"dirty": true})");
  EXPECT_STREQ(api_->last_error(instance), "half done");
  api_->destroy(instance);
}

}  // namespace
