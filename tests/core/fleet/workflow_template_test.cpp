#include "core/fleet/workflow_template.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace mi2 {
namespace {

const Json kInstance = Json::parse(
    R"({"metadata": {"name": "src-1"}, "spec": {"releaseChannel": "stable", "replicas": 3,
        "domain": {"primaryDNSName": "acme.example.com"}}})");

FleetConfig config_with(const std::string& workflows_json) {
  FleetConfig config;
  config.raw = Json::object();
  config.raw["workflows"] = Json::parse(workflows_json);
  return config;
}

TEST(WorkflowTemplate, BuiltInUpgradeInstanceRendersTheRunbookCommand) {
  auto workflow = find_workflow_template(FleetConfig{}, "upgrade-instance");
  ASSERT_TRUE(workflow) << workflow.message();
  auto rendered = render_workflow(*workflow, {"prod", "src-1", "acme", "4.1.0", &kInstance});
  ASSERT_TRUE(rendered) << rendered.message();
  EXPECT_EQ(rendered->command,
            "gh workflow run mi_upgrade.yml -f customer=acme -f environment=prod -f "
            "target_src_version=4.1.0");
  EXPECT_EQ(rendered->argv.size(), 10u);
  auto missing = render_workflow(*workflow, {"prod", "src-1", "acme", std::nullopt, &kInstance});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.message().find("-target-version"), std::string::npos);
  EXPECT_NE(missing.message().find("TARGET_VERSION"), std::string::npos);
}

TEST(WorkflowTemplate, QuotesValuesThatNeedIt) {
  auto workflow = find_workflow_template(FleetConfig{}, "upgrade-instance");
  auto rendered =
      render_workflow(*workflow, {"prod", "src-1", "o'brien & co", "4.1.0", &kInstance});
  ASSERT_TRUE(rendered);
  EXPECT_EQ(rendered->command,
            "gh workflow run mi_upgrade.yml -f 'customer=o'\\''brien & co' -f environment=prod "
            "-f target_src_version=4.1.0");
  EXPECT_EQ(shell_quote("plain-1.2_3/x=y"), "plain-1.2_3/x=y");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("$HOME"), "'$HOME'");
}

TEST(WorkflowTemplate, FleetDefinedTemplatesWithFieldPlaceholders) {
  FleetConfig config = config_with(R"({"reload-frontend": {"workflow": "mi_reload.yml",
      "ref": "release", "inputs": {"customer": "{{slug}}", "id": "{{ instance }}",
      "channel": "{{.spec.releaseChannel}}", "dns": "https://{{.spec.domain.primaryDNSName}}/",
      "replicas": "{{.spec.replicas}}"}}})");
  auto workflow = find_workflow_template(config, "reload-frontend");
  ASSERT_TRUE(workflow) << workflow.message();
  auto rendered = render_workflow(*workflow, {"prod", "src-1", "acme", std::nullopt, &kInstance});
  ASSERT_TRUE(rendered) << rendered.message();
  EXPECT_EQ(rendered->command,
            "gh workflow run mi_reload.yml --ref release -f channel=stable -f customer=acme -f "
            "dns=https://acme.example.com/ -f id=src-1 -f replicas=3");
  EXPECT_FALSE(needs_target_version(*workflow));
  EXPECT_TRUE(needs_target_version(*find_workflow_template(config, "upgrade-instance")));
  EXPECT_EQ(workflow_template_names(config),
            (std::vector<std::string>{"reload-frontend", "upgrade-instance"}));

  auto bad_field = render_workflow(
      *find_workflow_template(
          config_with(R"({"w": {"workflow": "x.yml", "inputs": {"a": "{{.spec.nope}}"}}})"), "w"),
      {"prod", "src-1", "acme", std::nullopt, &kInstance});
  ASSERT_FALSE(bad_field);
  EXPECT_NE(bad_field.message().find("src-1"), std::string::npos);
  auto unknown = render_workflow(
      *find_workflow_template(
          config_with(R"({"w": {"workflow": "x.yml", "inputs": {"a": "{{who}}"}}})"), "w"),
      {"prod", "src-1", "acme", std::nullopt, &kInstance});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.message().find("{{who}}"), std::string::npos);
}

TEST(WorkflowTemplate, ErrorsNameMi2YamlAndTheKey) {
  auto none = find_workflow_template(FleetConfig{}, "deploy");
  ASSERT_FALSE(none);
  EXPECT_NE(none.message().find("upgrade-instance"), std::string::npos);
  auto no_file = find_workflow_template(config_with(R"({"w": {"inputs": {}}})"), "w");
  ASSERT_FALSE(no_file);
  EXPECT_NE(no_file.message().find("mi2.yaml: workflows.w.workflow"), std::string::npos);
  auto extra = find_workflow_template(config_with(R"({"w": {"workflow": "x", "job": 1}})"), "w");
  ASSERT_FALSE(extra);
  EXPECT_NE(extra.message().find("workflows.w.job"), std::string::npos);
  auto nested = find_workflow_template(
      config_with(R"({"w": {"workflow": "x", "inputs": {"a": {"b": 1}}}})"), "w");
  ASSERT_FALSE(nested);
  EXPECT_NE(nested.message().find("workflows.w.inputs.a"), std::string::npos);
}

TEST(WorkflowTemplate, VersionText) {
  EXPECT_TRUE(valid_version_text("4.1.0"));
  EXPECT_TRUE(valid_version_text("5.0.0-rc.1"));
  EXPECT_TRUE(valid_version_text("08248_2017-12-14_8dad5ab"));
  EXPECT_FALSE(valid_version_text("-rf"));
  EXPECT_FALSE(valid_version_text("4.1.0; rm"));
  EXPECT_FALSE(valid_version_text(""));
}

}  // namespace
}  // namespace mi2
