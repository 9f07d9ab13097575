// The loader against real shared objects built for these tests
// (tests/support/plugins/*): ABI negotiation both ways and every refusal, each
// a one-sentence message naming the file and the remedy.
#include "core/host/plugin_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/base/redactor.h"
#include "core/sys/http_client.h"
#include "core/sys/process_runner.h"
#include "tests/support/recording_observer.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

using test::RecordingObserver;
using test::test_plugin;

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// One sentence: a single line, naming the file.
void expect_refusal(const std::string& message, const fs::path& file) {
  EXPECT_THAT(message, HasSubstr(file.string()));
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_FALSE(message.empty());
}

// Copies a built plugin into `dir` under `file_name` (a path of its own, so
// the library is loaded afresh).
fs::path copy_plugin(const std::string& name, const fs::path& dir, const std::string& file_name) {
  fs::path to = dir / file_name;
  fs::copy_file(test_plugin(name), to, fs::copy_options::overwrite_existing);
  fs::permissions(to, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                          fs::perms::others_read | fs::perms::others_exec);
  return to;
}

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class PluginLoaderTest : public ::testing::Test {
 protected:
  HostEnvironment environment() { return {&runner_, &http_, &redactor_}; }

  PluginLoader loader_{{fs::path(MI2_TEST_PLUGIN_DIR)}};
  SystemProcessRunner runner_;
  CurlHttpClient http_;
  SecretRedactor redactor_;
};

TEST_F(PluginLoaderTest, LoadsAPluginWrittenInPlainC) {
  auto plugin = loader_.load_file(test_plugin("cplain"));
  ASSERT_TRUE(plugin) << plugin.message();
  const PluginDescription& d = (*plugin)->description();
  EXPECT_EQ(d.name, "cplain");
  EXPECT_EQ(d.version, "1.2.3");
  EXPECT_EQ(d.description, "A test plugin written in C99");
  EXPECT_EQ(d.roles.at("healthcheck"), std::vector<std::string>{"check"});
  EXPECT_EQ(d.checks, std::vector<std::string>{"echo-check"});
  EXPECT_EQ(d.sensitive_config_keys, std::vector<std::string>{"token"});
  EXPECT_TRUE((*plugin)->serves("healthcheck", "check"));
  EXPECT_FALSE((*plugin)->serves("healthcheck", "repair"));
  EXPECT_TRUE((*plugin)->serves_role("healthcheck"));
  EXPECT_FALSE((*plugin)->serves_role("apply"));
  EXPECT_EQ((*plugin)->path(), test_plugin("cplain"));
}

TEST_F(PluginLoaderTest, LoadingTheSameFileTwiceGivesTheSamePlugin) {
  auto first = loader_.load_file(test_plugin("cplain"));
  auto second = loader_.load_file(test_plugin("cplain"));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->get(), second->get());
}

TEST_F(PluginLoaderTest, CPluginRunsAProcessThroughTheHost) {
  auto plugin = loader_.load_file(test_plugin("cplain"));
  ASSERT_TRUE(plugin) << plugin.message();
  auto instance = (*plugin)->create(Json::object(), environment());
  ASSERT_TRUE(instance) << instance.message();
  RecordingObserver observer;
  (*instance)->context().set_call_settings({false, std::nullopt, nullptr, &observer});

  auto outcome = (*instance)->invoke("healthcheck", "check", R"({"params": {"x": 1}})");
  ASSERT_EQ(outcome.status, MI2_OK) << outcome.error;
  Json output = Json::parse(outcome.output_json);
  EXPECT_EQ(output["echo"], "cplain-ok");
  EXPECT_EQ(output["input"]["params"]["x"], 1);
  EXPECT_EQ(output["dry_run"], false);
  ASSERT_EQ(observer.commands.size(), 1u);
  EXPECT_EQ(observer.commands[0].kind, "exec");
  EXPECT_EQ(observer.commands[0].record["argv"], Json::parse(R"(["echo", "cplain-ok"])"));
  EXPECT_EQ(observer.commands[0].record["exit_code"], 0);
  EXPECT_THAT(observer.messages(), ::testing::Contains("cplain ran echo"));
}

TEST_F(PluginLoaderTest, APluginBuiltAgainstTheAbi10HeaderLoadsAndRunsUnchanged) {
  auto plugin = loader_.load_file(test_plugin("cplain10"));
  ASSERT_TRUE(plugin) << plugin.message();
  EXPECT_EQ((*plugin)->description().name, "cplain10");
  auto instance = (*plugin)->create(Json::object(), environment());
  ASSERT_TRUE(instance) << instance.message();
  RecordingObserver observer;
  (*instance)->context().set_call_settings({false, std::nullopt, nullptr, &observer});
  auto outcome = (*instance)->invoke("healthcheck", "check", R"({"params": {}})");
  ASSERT_EQ(outcome.status, MI2_OK) << outcome.error;
  EXPECT_EQ(Json::parse(outcome.output_json)["echo"], "cplain-ok");
}

TEST_F(PluginLoaderTest, UnservedActionIsNotSupportedWithTheReason) {
  auto plugin = loader_.load_file(test_plugin("cplain"));
  ASSERT_TRUE(plugin);
  auto instance = (*plugin)->create(Json::object(), environment());
  ASSERT_TRUE(instance);
  auto outcome = (*instance)->invoke("apply", "apply", "{}");
  EXPECT_EQ(outcome.status, MI2_NOT_SUPPORTED);
  EXPECT_EQ(outcome.error, "cplain does not serve apply/apply");
}

TEST_F(PluginLoaderTest, FailedCreateReportsTheLastError) {
  auto plugin = loader_.load_file(test_plugin("cplain"));
  ASSERT_TRUE(plugin);
  auto instance = (*plugin)->create(Json{{"refuse", true}}, environment());
  ASSERT_FALSE(instance);
  EXPECT_EQ(instance.message(),
            "plugin 'cplain' refused its configuration: the config asks cplain to refuse");

  auto echo = loader_.load_file(test_plugin("echo"));
  ASSERT_TRUE(echo) << echo.message();
  auto refused = (*echo)->create(Json{{"refuse", true}}, environment());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.message(),
            "plugin 'echo' refused its configuration: echo was told to refuse its configuration");
}

TEST_F(PluginLoaderTest, SensitiveConfigValuesAreRedactedBeforeCreate) {
  auto plugin = loader_.load_file(test_plugin("cplain"));
  ASSERT_TRUE(plugin);
  auto instance =
      (*plugin)->create(Json{{"token", "tok-123456"}, {"greeting", "hello-there"}}, environment());
  ASSERT_TRUE(instance) << instance.message();
  EXPECT_EQ(redactor_.apply("using tok-123456 now"), "using *** now");
  EXPECT_EQ(redactor_.apply("hello-there"), "hello-there");  // not marked sensitive
}

TEST_F(PluginLoaderTest, RefusesAPluginBuiltForAnotherAbiMajor) {
  auto plugin = loader_.load_file(test_plugin("abimajor2"));
  ASSERT_FALSE(plugin);
  expect_refusal(plugin.message(), test_plugin("abimajor2"));
  EXPECT_THAT(plugin.message(), HasSubstr("plugin ABI 2.0"));
  EXPECT_THAT(plugin.message(), HasSubstr("ABI 1.1"));
  EXPECT_THAT(plugin.message(), HasSubstr("rebuild the plugin against SDK 1.1"));
}

TEST_F(PluginLoaderTest, RefusesAPluginBuiltForANewerAbiMinor) {
  auto plugin = loader_.load_file(test_plugin("abiminor99"));
  ASSERT_FALSE(plugin);
  expect_refusal(plugin.message(), test_plugin("abiminor99"));
  EXPECT_THAT(plugin.message(), HasSubstr("plugin ABI 1.99"));
  EXPECT_THAT(plugin.message(), HasSubstr("ABI 1.1"));
  EXPECT_THAT(plugin.message(), HasSubstr("rebuild the plugin against SDK 1.1"));
}

TEST_F(PluginLoaderTest, RefusesASharedObjectWithoutTheEntry) {
  auto plugin = loader_.load_file(test_plugin("noentry"));
  ASSERT_FALSE(plugin);
  expect_refusal(plugin.message(), test_plugin("noentry"));
  EXPECT_THAT(plugin.message(), HasSubstr("no 'mi2_plugin_entry' symbol"));
}

TEST_F(PluginLoaderTest, RefusesAPluginWhoseEntryReturnsNull) {
  auto plugin = loader_.load_file(test_plugin("entrynull"));
  ASSERT_FALSE(plugin);
  expect_refusal(plugin.message(), test_plugin("entrynull"));
  EXPECT_THAT(plugin.message(), HasSubstr("refused to load"));
  EXPECT_THAT(plugin.message(), HasSubstr("entrynull needs a licence file that is missing"));
}

TEST_F(PluginLoaderTest, RefusesAFunctionTableThatIsTooSmall) {
  auto plugin = loader_.load_file(test_plugin("smalltable"));
  ASSERT_FALSE(plugin);
  expect_refusal(plugin.message(), test_plugin("smalltable"));
  EXPECT_THAT(plugin.message(), HasSubstr(std::to_string(offsetof(mi2_plugin_api, last_error)) +
                                          " bytes, smaller than the " +
                                          std::to_string(sizeof(mi2_plugin_api)) + " bytes"));
  EXPECT_THAT(plugin.message(), HasSubstr("rebuild the plugin against SDK 1.1"));
}

TEST_F(PluginLoaderTest, RefusesADescribeThatIsNotJson) {
  ScopedEnv env("MI2_TEST_DESCRIBE", nullptr);
  auto plugin = loader_.load_file(test_plugin("baddescribe"));
  ASSERT_FALSE(plugin);
  expect_refusal(plugin.message(), test_plugin("baddescribe"));
  EXPECT_THAT(plugin.message(), HasSubstr("is not JSON"));
  EXPECT_THAT(plugin.message(), HasSubstr("fix the plugin's describe()"));
}

TEST_F(PluginLoaderTest, RefusesEveryKindOfBadDescribeDocument) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"([1, 2])", "is not a JSON object"},
      {R"({"version": "1", "roles": {"render": ["render"]}})", "has no \"name\" string"},
      {R"({"name": "Bad Name", "version": "1", "roles": {"render": ["render"]}})",
       "is not a plugin name (1 to 64 lower-case"},
      {R"({"name": "baddescribe", "roles": {"render": ["render"]}})", "has no \"version\" string"},
      {R"({"name": "baddescribe", "version": "1"})", "has no \"roles\" object"},
      {R"({"name": "baddescribe", "version": "1", "roles": {}})", "serves no role"},
      {R"({"name": "baddescribe", "version": "1", "roles": {"deploy": ["go"]}})",
       "unknown role 'deploy'"},
      {R"({"name": "baddescribe", "version": "1", "roles": {"render": "render"}})",
       "role 'render' is not a list of action names"},
      {R"({"name": "baddescribe", "version": "1", "roles": {"render": ["render"]},
           "checks": "all"})",
       "\"checks\" is not a list of names"},
      {R"({"name": "baddescribe", "version": "1", "roles": {"render": ["render"]},
           "config_schema": []})",
       "\"config_schema\" is not a JSON object"},
  };
  for (const auto& [document, expected] : cases) {
    ScopedEnv env("MI2_TEST_DESCRIBE", document.c_str());
    PluginLoader loader({fs::path(MI2_TEST_PLUGIN_DIR)});
    auto plugin = loader.load_file(test_plugin("baddescribe"));
    ASSERT_FALSE(plugin) << document;
    expect_refusal(plugin.message(), test_plugin("baddescribe"));
    EXPECT_THAT(plugin.message(), HasSubstr(expected)) << document;
  }
  // A good document from the same file loads.
  ScopedEnv env("MI2_TEST_DESCRIBE",
                R"({"name": "baddescribe", "version": "1", "roles": {"render": ["render"]}})");
  PluginLoader loader({fs::path(MI2_TEST_PLUGIN_DIR)});
  auto plugin = loader.load_file(test_plugin("baddescribe"));
  EXPECT_TRUE(plugin) << plugin.message();
}

TEST_F(PluginLoaderTest, RefusesATextFileNamedLikeAPlugin) {
  test::TempDir dir;
  fs::path fake = dir / "mi2-plugin-fake.so";
  test::write_file(fake, "this is not a shared object\n");
  auto plugin = loader_.load_file(fake);
  ASSERT_FALSE(plugin);
  expect_refusal(plugin.message(), fake);
  EXPECT_THAT(plugin.message(), HasSubstr("is not a shared object"));
}

TEST_F(PluginLoaderTest, RefusesAnElfFileThatCannotBeLoaded) {
  test::TempDir dir;
  fs::path broken = dir / "mi2-plugin-broken.so";
  test::write_file(broken, std::string("\x7f"
                                       "ELF",
                                       4) +
                               std::string(64, '\0'));
  auto plugin = loader_.load_file(broken);
  ASSERT_FALSE(plugin);
  expect_refusal(plugin.message(), broken);
  EXPECT_THAT(plugin.message(), HasSubstr("cannot be loaded"));
}

// A truncated .so would be mapped past its end and kill the host with SIGBUS
// inside dlopen: the ELF structure is checked against the file size first.
TEST_F(PluginLoaderTest, RefusesATruncatedOrCorruptElfFileBeforeLoadingIt) {
  test::TempDir dir;
  std::string whole = test::read_file(test_plugin("cplain"));
  ASSERT_GT(whole.size(), 4096u);
  struct Case {
    std::string bytes;
    const char* says;
  };
  std::string other_machine = whole;
  other_machine[18] = 3;  // e_machine: EM_386
  other_machine[19] = 0;
  std::string not_dyn = whole;
  not_dyn[16] = 1;  // e_type: ET_REL
  not_dyn[17] = 0;
  const Case cases[] = {
      {whole.substr(0, 4096), "is truncated or corrupt: segment "},  // SIGBUS in dlopen before
      {whole.substr(0, whole.size() / 2), "is truncated or corrupt: "},
      {whole.substr(0, whole.size() - 64), "the section header table ends at byte"},
      {whole.substr(0, 100), "the program header table ends at byte"},
      {whole.substr(0, 40), "the ELF header ends at byte 64 but the file has 40 bytes"},
      {other_machine, "was built for another machine (ELF machine 3"},
      {not_dyn, "is not a shared object (ELF type 1)"},
  };
  int n = 0;
  for (const Case& c : cases) {
    fs::path file = dir / ("cut" + std::to_string(n++)) / "mi2-plugin-cplain.so";
    test::write_file(file, c.bytes);
    auto plugin = loader_.load_file(file);
    ASSERT_FALSE(plugin) << c.says;
    expect_refusal(plugin.message(), file);
    EXPECT_THAT(plugin.message(),
                HasSubstr("plugin file '" + file.string() + "' cannot be loaded: "));
    EXPECT_THAT(plugin.message(), HasSubstr(c.says));
    EXPECT_THAT(plugin.message(), HasSubstr("rebuild it for this machine or remove it"));
  }
  // The whole file still loads.
  fs::path good = dir / "whole" / "mi2-plugin-cplain.so";
  test::write_file(good, whole);
  EXPECT_TRUE(loader_.load_file(good)) << loader_.load_file(good).message();
}

TEST_F(PluginLoaderTest, RefusesAFileWritableByGroupOrOthers) {
  test::TempDir dir;
  fs::path file = copy_plugin("cplain", dir.path(), "mi2-plugin-cplain.so");
  fs::permissions(file, fs::perms::group_write, fs::perm_options::add);
  auto plugin = loader_.load_file(file);
  ASSERT_FALSE(plugin);
  expect_refusal(plugin.message(), file);
  EXPECT_THAT(plugin.message(), HasSubstr("writable by group or others"));
  EXPECT_THAT(plugin.message(), HasSubstr("chmod go-w " + file.string()));

  fs::permissions(file, fs::perms::group_write, fs::perm_options::remove);
  fs::permissions(file, fs::perms::others_write, fs::perm_options::add);
  EXPECT_FALSE(loader_.load_file(file));
}

TEST_F(PluginLoaderTest, RefusesAPluginInAFolderWritableByOthers) {
  test::TempDir dir;
  fs::path file = copy_plugin("cplain", dir.path(), "mi2-plugin-cplain.so");
  fs::permissions(dir.path(), fs::perms::all);
  auto plugin = loader_.load_file(file);
  fs::permissions(dir.path(), fs::perms::owner_all);
  ASSERT_FALSE(plugin);
  expect_refusal(plugin.message(), file);
  EXPECT_THAT(plugin.message(), HasSubstr("its folder '" + dir.path().string() + "'"));
  EXPECT_THAT(plugin.message(), HasSubstr("chmod go-w " + dir.path().string()));

  // Once fixed, the same file loads.
  auto fixed = loader_.load_file(file);
  EXPECT_TRUE(fixed) << fixed.message();
}

TEST_F(PluginLoaderTest, RefusesAPluginWhoseNameDoesNotMatchItsFile) {
  test::TempDir dir;
  fs::path file = copy_plugin("cplain", dir.path(), "mi2-plugin-other.so");
  auto plugin = loader_.load_file(file);
  ASSERT_FALSE(plugin);
  expect_refusal(plugin.message(), file);
  EXPECT_THAT(plugin.message(), HasSubstr("calls itself 'cplain'"));
  EXPECT_THAT(plugin.message(), HasSubstr("mi2-plugin-cplain.so"));
}

TEST_F(PluginLoaderTest, MissingFileIsNamed) {
  auto plugin = loader_.load_file("/nonexistent/mi2-plugin-x.so");
  ASSERT_FALSE(plugin);
  expect_refusal(plugin.message(), "/nonexistent/mi2-plugin-x.so");
}

TEST_F(PluginLoaderTest, ScanListsGoodPluginsAndEveryRefusalAndTheHostKeepsWorking) {
  auto candidates = loader_.scan();
  std::map<std::string, PluginLoader::Candidate> by_file;
  for (const auto& c : candidates) by_file[c.path.filename().string()] = c;
  for (const char* bad : {"abimajor2", "abiminor99", "noentry", "entrynull", "smalltable"}) {
    ASSERT_TRUE(by_file.count(plugin_file_name(bad))) << bad;
    EXPECT_EQ(by_file[plugin_file_name(bad)].plugin, nullptr) << bad;
    expect_refusal(by_file[plugin_file_name(bad)].error, test_plugin(bad));
  }
  ASSERT_TRUE(by_file.count("mi2-plugin-cplain.so"));
  ASSERT_NE(by_file["mi2-plugin-cplain.so"].plugin, nullptr);
  ASSERT_NE(by_file["mi2-plugin-echo.so"].plugin, nullptr);

  // After all those refusals, the good plugins still load and run.
  auto echo = loader_.find("echo");
  ASSERT_TRUE(echo) << echo.message();
  auto instance = (*echo)->create(Json::object(), environment());
  ASSERT_TRUE(instance) << instance.message();
  auto outcome = (*instance)->invoke("render", "render", R"({"params": {}})");
  ASSERT_EQ(outcome.status, MI2_OK) << outcome.error;
  EXPECT_EQ(Json::parse(outcome.output_json)["role"], "render");
}

TEST_F(PluginLoaderTest, ScanReportsALaterPluginOfTheSameNameAsShadowed) {
  test::TempDir first, second;
  fs::path winner = copy_plugin("cplain", first.path(), "mi2-plugin-cplain.so");
  fs::path loser = copy_plugin("cplain", second.path(), "mi2-plugin-cplain.so");
  PluginLoader loader({first.path(), second.path(), first.path()});
  auto candidates = loader.scan();
  ASSERT_EQ(candidates.size(), 2u);
  EXPECT_NE(candidates[0].plugin, nullptr) << candidates[0].error;
  EXPECT_EQ(candidates[1].plugin, nullptr);
  EXPECT_THAT(candidates[1].error, HasSubstr(loser.string()));
  EXPECT_THAT(candidates[1].error, HasSubstr("shadowed by '" + winner.string() + "'"));
}

TEST_F(PluginLoaderTest, FindSaysWhereItLookedAndWhatToDo) {
  auto missing = loader_.find("nosuchplugin");
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.message(), HasSubstr("mi2-plugin-nosuchplugin.so"));
  EXPECT_THAT(missing.message(), HasSubstr(MI2_TEST_PLUGIN_DIR));
  EXPECT_THAT(missing.message(), HasSubstr("--plugin-dir"));

  auto bad = loader_.find("../etc/passwd");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.message(), HasSubstr("is not a plugin name"));
}

TEST_F(PluginLoaderTest, EchoPluginStatusesCrossTheBoundary) {
  auto echo = loader_.find("echo");
  ASSERT_TRUE(echo) << echo.message();
  auto instance = (*echo)->create(Json::object(), environment());
  ASSERT_TRUE(instance) << instance.message();
  const std::vector<std::tuple<std::string, mi2_status, std::string>> cases = {
      {"failed", MI2_FAILED, "echo was told to fail"},
      {"retryable", MI2_RETRYABLE, "echo was told to fail transiently"},
      {"invalid", MI2_INVALID_INPUT, "echo was told its input is invalid"},
      {"not_supported", MI2_NOT_SUPPORTED, "echo was told not to serve this"},
      {"timeout", MI2_TIMEOUT, "echo was told to time out"},
      {"std", MI2_FAILED, "echo threw a std::runtime_error"},
      {"int", MI2_FAILED, "unknown exception in plugin"},
      {"bad_alloc", MI2_FAILED, "out of memory"},
  };
  for (const auto& [how, status, error] : cases) {
    auto outcome = (*instance)->invoke("apply", "apply", Json{{"params", {{"fail", how}}}}.dump());
    EXPECT_EQ(outcome.status, status) << how;
    EXPECT_EQ(outcome.error, error) << how;
  }
  // A success after failures clears the error.
  auto outcome = (*instance)->invoke("vcs", "pr-list", R"({"params": {}})");
  EXPECT_EQ(outcome.status, MI2_OK);
  EXPECT_EQ(outcome.error, "");
}

TEST(PluginSearchPath, FlagsThenEnvironmentThenBuildThenInstall) {
  ScopedEnv env("MI2_PLUGIN_PATH", "/c::/d");
  auto dirs = plugin_search_path({"/a", "/b"});
  std::vector<fs::path> expected = {"/a", "/b", "/c", "/d", MI2_BUILD_PLUGIN_DIR};
  ASSERT_EQ(dirs.size(), 6u);
  EXPECT_EQ(std::vector<fs::path>(dirs.begin(), dirs.begin() + 5), expected);
  EXPECT_THAT(dirs[5].string(), HasSubstr("mi2/plugins"));
}

TEST(PluginFileName, FollowsTheConvention) {
  EXPECT_EQ(plugin_file_name("kubectl"), "mi2-plugin-kubectl.so");
}

}  // namespace
}  // namespace mi2
