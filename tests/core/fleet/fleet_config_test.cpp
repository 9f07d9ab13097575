#include "core/fleet/fleet_config.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

using test::TempDir;
using test::write_file;

Result<FleetConfig> load(TempDir& dir, const std::string& text) {
  write_file(dir / "mi2.yaml", text);
  return load_fleet_config(dir / "mi2.yaml");
}

TEST(FleetConfig, ReadsRolesPluginsAndDirs) {
  TempDir dir;
  auto config = load(dir, R"(# fleet bindings
roles:
  render: [local]
  backup: [kubectl, cloudsql]
  vcs: github
  apply:
    plugin: kubectl
    config: {context_prefix: gke_}
plugins:
  github: {repository: acme/deployments, api_url: "https://api.github.com"}
  kubectl:
    namespace: default
  cloudsql:
plugin_dirs: [./plugins, /opt/mi2/plugins]
workflows:
  custom: {command: [echo, "{{slug}}"]}
)");
  ASSERT_TRUE(config) << config.message();
  EXPECT_EQ(config->providers("render"), std::vector<std::string>{"local"});
  EXPECT_EQ(config->providers("backup"), (std::vector<std::string>{"kubectl", "cloudsql"}));
  EXPECT_EQ(config->providers("vcs"), std::vector<std::string>{"github"});
  EXPECT_EQ(config->providers("apply"), std::vector<std::string>{"kubectl"});
  EXPECT_TRUE(config->providers("migrate").empty());
  EXPECT_EQ(config->config_for("github")["repository"], "acme/deployments");
  EXPECT_EQ(config->config_for("kubectl")["namespace"], "default");
  EXPECT_EQ(config->config_for("kubectl")["context_prefix"], "gke_");
  EXPECT_TRUE(config->config_for("cloudsql").is_object());
  EXPECT_TRUE(config->config_for("cloudsql").empty());
  EXPECT_TRUE(config->config_for("unbound").is_object());
  ASSERT_EQ(config->plugin_dirs.size(), 2u);
  EXPECT_EQ(config->plugin_dirs[0], dir.path() / "plugins");
  EXPECT_EQ(config->plugin_dirs[1], std::filesystem::path("/opt/mi2/plugins"));
  EXPECT_EQ(config->raw["workflows"]["custom"]["command"][1], "{{slug}}");
}

TEST(FleetConfig, EmptyFileIsAnEmptyConfig) {
  TempDir dir;
  auto config = load(dir, "# nothing yet\n");
  ASSERT_TRUE(config) << config.message();
  EXPECT_TRUE(config->roles.empty());
  EXPECT_TRUE(config->raw.is_object());
}

void expect_error(const std::string& text, const std::string& line, const std::string& fragment) {
  TempDir dir;
  auto config = load(dir, text);
  ASSERT_FALSE(config) << text;
  const std::string& message = config.message();
  EXPECT_NE(message.find((dir / "mi2.yaml").string() + ":" + (line.empty() ? "" : line + ":")),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(fragment), std::string::npos) << message;
}

TEST(FleetConfig, ErrorsNameFileLineAndKey) {
  expect_error("roles:\n  render: local\n  deploy: kubectl\n", "3",
               "roles.deploy: unknown role 'deploy'; the roles are render, healthcheck");
  expect_error("roles:\n  vcs: {name: github}\n", "2", "roles.vcs");
  expect_error("roles:\n  vcs: \"\"\n", "2", "empty");
  expect_error("roles:\n  backup: [kubectl, [x]]\n", "2", "roles.backup[1]");
  expect_error("roles:\n  backup: [kubectl, kubectl]\n", "2", "bound twice");
  expect_error("roles: [render]\n", "1", "roles:");
  expect_error("roles:\n  vcs:\n", "2", "roles.vcs");
  expect_error("plugins: [github]\n", "1", "plugins:");
  expect_error("plugins:\n  github: yes\n", "2", "plugins.github");
  expect_error("plugin_dirs: {a: b}\n", "1", "plugin_dirs");
  expect_error("roles:\n  vcs: [github\n", "", "invalid YAML");
}

TEST(FleetConfig, IsolationIsPerBindingWithATopLevelDefault) {
  TempDir dir;
  auto config = load(dir, R"(roles:
  apply: {plugin: kubectl, isolation: process, config: {context_prefix: gke_}}
  backup: [kubectl, {plugin: cloudsql, isolation: in-process}]
  vcs: github
)");
  ASSERT_TRUE(config) << config.message();
  EXPECT_EQ(config->isolation_for("kubectl"), Isolation::kProcess);
  EXPECT_EQ(config->isolation_for("cloudsql"), Isolation::kInProcess);
  EXPECT_EQ(config->isolation_for("github"), Isolation::kInProcess);  // the default default
  EXPECT_EQ(config->config_for("kubectl")["context_prefix"], "gke_");

  config = load(dir,
                "isolation: process\nroles:\n  vcs: github\n"
                "  apply: {plugin: kubectl, isolation: in-process}\n");
  ASSERT_TRUE(config) << config.message();
  EXPECT_EQ(config->isolation_for("github"), Isolation::kProcess);
  EXPECT_EQ(config->isolation_for("kubectl"), Isolation::kInProcess);  // the binding wins
}

TEST(FleetConfig, AnUnknownIsolationNamesTheFileAndTheBinding) {
  TempDir dir;
  auto config = load(dir, "roles:\n  vcs: github\n  apply: {plugin: kubectl, isolation: thread}\n");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.message(), (dir.path() / "mi2.yaml").string() +
                                  ":3: roles.apply.isolation: unknown isolation 'thread'; use "
                                  "'process' or 'in-process'.");
  expect_error("isolation: sandbox\n", "1", "isolation: unknown isolation 'sandbox'");
  expect_error("isolation: [process]\n", "1", "isolation: expected 'process' or 'in-process'");
  expect_error(
      "roles:\n  apply: {plugin: k, isolation: process}\n"
      "  backup: [{plugin: k, isolation: in-process}]\n",
      "3", "roles.backup[0].isolation: plugin 'k' is bound with another isolation");
}

// mi2.yaml and the loader share one rule, so a binding the file accepts is a
// name the loader can look up (mi2-plugin-<name>.so).
TEST(FleetConfig, PluginNamesFollowTheLoadersRule) {
  EXPECT_TRUE(is_plugin_name("local"));
  EXPECT_TRUE(is_plugin_name("my_forge-2"));
  for (const char* bad : {"", "Local", "k.ctl", "a/b", "x y"}) EXPECT_FALSE(is_plugin_name(bad));
  EXPECT_FALSE(is_plugin_name(std::string(65, 'a')));
  expect_error("roles:\n  render: Local.v2\n", "2", "is not a plugin name (1 to 64 lower-case");
}

}  // namespace
}  // namespace mi2
