// `mi2 plugin list|describe` as a user runs them: the built mi2 binary with
// --plugin-dir pointing at the test plugins.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/base/json.h"
#include "core/sys/process_runner.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const char* const kRefused[] = {"abimajor2", "abiminor99", "baddescribe",
                                "entrynull", "noentry",    "smalltable"};

ProcessResult mi2(std::vector<std::string> args) {
  ProcessRequest request;
  request.argv = {MI2_EXE};
  request.argv.insert(request.argv.end(), args.begin(), args.end());
  request.env = {"MI2_PLUGIN_PATH=", "MI2_TEST_DESCRIBE="};
  request.timeout = std::chrono::seconds(30);
  return SystemProcessRunner().run(request);
}

std::string plugin_path(const std::string& name) {
  return std::string(MI2_TEST_PLUGIN_DIR) + "/mi2-plugin-" + name + ".so";
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) result.push_back(line);
  return result;
}

TEST(PluginListCommand, ShowsATableAndEveryRefusalOnStderr) {
  ProcessResult result = mi2({"plugin", "list", "--plugin-dir", MI2_TEST_PLUGIN_DIR});
  ASSERT_TRUE(result.started()) << result.spawn_error;
  EXPECT_EQ(result.exit_code, 0) << result.err;
  auto out = lines(result.out);
  ASSERT_FALSE(out.empty());
  EXPECT_THAT(out[0], ::testing::MatchesRegex("NAME +VERSION +ROLES +PATH"));
  EXPECT_THAT(result.out,
              ::testing::ContainsRegex("cplain +1\\.2\\.3 +healthcheck +" + plugin_path("cplain")));
  EXPECT_THAT(result.out, ::testing::ContainsRegex(
                              "echo +0\\.9\\.0 +render,healthcheck,backup,migrate,apply,vcs +" +
                              plugin_path("echo")));
  for (const char* name : kRefused) {
    EXPECT_THAT(result.out, Not(HasSubstr(plugin_path(name)))) << name;
    EXPECT_THAT(result.err, HasSubstr(plugin_path(name))) << name;
  }
  for (const auto& line : lines(result.err))
    EXPECT_THAT(line, ::testing::StartsWith("mi2 plugin list: "));
  EXPECT_THAT(result.err, HasSubstr("rebuild the plugin against SDK 1.1"));
}

TEST(PluginListCommand, JsonListsPluginsRefusalsAndTheSearchPath) {
  ProcessResult result = mi2({"plugin", "list", "--json", "-plugin-dir", MI2_TEST_PLUGIN_DIR});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  Json doc = Json::parse(result.out);
  std::map<std::string, Json> plugins;
  for (const auto& p : doc["plugins"]) plugins[p["name"]] = p;
  ASSERT_TRUE(plugins.count("cplain"));
  EXPECT_EQ(plugins["cplain"]["version"], "1.2.3");
  EXPECT_EQ(plugins["cplain"]["path"], plugin_path("cplain"));
  EXPECT_EQ(plugins["cplain"]["roles"]["healthcheck"], Json::array({"check"}));
  ASSERT_TRUE(plugins.count("echo"));
  EXPECT_EQ(plugins["echo"]["roles"].size(), 6u);

  std::map<std::string, std::string> refused;
  for (const auto& r : doc["refused"]) refused[r["path"]] = r["error"];
  for (const char* name : kRefused) {
    ASSERT_TRUE(refused.count(plugin_path(name))) << name;
    EXPECT_THAT(refused[plugin_path(name)], HasSubstr(plugin_path(name)));
  }
  EXPECT_EQ(doc["search_path"][0], MI2_TEST_PLUGIN_DIR);
}

TEST(PluginListCommand, AnEmptyFolderListsNothingAndSaysWhereItLooked) {
  test::TempDir empty;
  ProcessResult result = mi2({"plugin", "list", "--plugin-dir", empty.path().string(), "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(Json::parse(result.out)["search_path"][0], empty.path().string());
}

TEST(PluginListCommand, RejectsStrayArguments) {
  ProcessResult result = mi2({"plugin", "list", "extra"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--help"));
}

TEST(PluginDescribeCommand, ShowsRolesChecksConfigAndPath) {
  ProcessResult result = mi2({"plugin", "describe", "echo", "--plugin-dir", MI2_TEST_PLUGIN_DIR});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("echo 0.9.0 - Echoes its input"));
  EXPECT_THAT(result.out, HasSubstr("path: " + plugin_path("echo")));
  EXPECT_THAT(result.out, HasSubstr("  backup: create, list, restore\n"));
  EXPECT_THAT(result.out, HasSubstr("  vcs: publish, tracking-issue,"));
  EXPECT_THAT(result.out, HasSubstr("checks: echo-ok\n"));
  EXPECT_THAT(result.out, HasSubstr("  token (string, sensitive)\n"));
  EXPECT_THAT(result.out, HasSubstr("  refuse (boolean)\n"));
}

TEST(PluginDescribeCommand, JsonIsTheDescribeDocumentWithItsPath) {
  ProcessResult result =
      mi2({"plugin", "describe", "cplain", "--json", "--plugin-dir", MI2_TEST_PLUGIN_DIR});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  Json doc = Json::parse(result.out);
  EXPECT_EQ(doc["name"], "cplain");
  EXPECT_EQ(doc["path"], plugin_path("cplain"));
  EXPECT_EQ(doc["checks"], Json::array({"echo-check"}));
  EXPECT_EQ(doc["config_schema"]["properties"]["token"]["sensitive"], true);
  EXPECT_EQ(doc["sensitive_config_keys"], Json::array({"token"}));
}

TEST(PluginDescribeCommand, ARefusedPluginFailsWithItsOneSentence) {
  ProcessResult result =
      mi2({"plugin", "describe", "abimajor2", "--plugin-dir", MI2_TEST_PLUGIN_DIR});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(lines(result.err).size(), 1u) << result.err;
  EXPECT_THAT(result.err, HasSubstr(plugin_path("abimajor2")));
  EXPECT_THAT(result.err, HasSubstr("rebuild the plugin against SDK 1.1"));
}

TEST(PluginDescribeCommand, AnUnknownPluginSaysWhereItLooked) {
  ProcessResult result =
      mi2({"plugin", "describe", "nosuchplugin", "--plugin-dir", MI2_TEST_PLUGIN_DIR});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("no plugin named 'nosuchplugin'"));
  EXPECT_THAT(result.err, HasSubstr(MI2_TEST_PLUGIN_DIR));
}

TEST(PluginDescribeCommand, AcceptsThePathOfAPluginFile) {
  ProcessResult result = mi2({"plugin", "describe", plugin_path("cplain")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("cplain 1.2.3"));
}

TEST(PluginDescribeCommand, NeedsExactlyOneName) {
  EXPECT_EQ(mi2({"plugin", "describe"}).exit_code, 2);
  EXPECT_EQ(mi2({"plugin", "describe", "a", "b"}).exit_code, 2);
}

}  // namespace
}  // namespace mi2
