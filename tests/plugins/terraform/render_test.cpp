// render: only the pinned version changes (byte for byte the rest of the file
// stays), paths are relative to the instance folder, a dry run writes nothing,
// a render_command runs through the host and its changes are reported.
#include <gtest/gtest.h>

#include "tests/plugins/terraform/tf_fixture.h"

namespace mi2::terraform::test {
namespace {

TEST_F(TerraformStackTest, RenderChangesOnlyThePinnedVersion) {
  std::string app = slurp(stack_dir("app") / "cdk.tf.json");
  std::string executors = slurp(stack_dir("executors") / "cdk.tf.json");
  Driver& d = plugin();
  auto reply = d.invoke("render", "render", input("4.2.0"));
  ASSERT_TRUE(reply.ok()) << reply.error;
  EXPECT_EQ(reply.output["changed_files"], Json::array({"terraform/stacks/app/cdk.tf.json",
                                                        "terraform/stacks/executors/cdk.tf.json"}));
  std::string expected = app;
  expected.replace(expected.find("\"sourcegraph_version\": \"4.1.0\""), 30,
                   "\"sourcegraph_version\": \"4.2.0\"");
  EXPECT_EQ(slurp(stack_dir("app") / "cdk.tf.json"), expected);
  expected = executors;
  expected.replace(expected.find("\"sourcegraph_version\": \"4.1.0\""), 30,
                   "\"sourcegraph_version\": \"4.2.0\"");
  EXPECT_EQ(slurp(stack_dir("executors") / "cdk.tf.json"), expected);
  EXPECT_TRUE(d.fake.exec_calls.empty());

  auto again = d.invoke("render", "render", input("4.2.0"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.output["changed_files"], Json::array());
}

TEST_F(TerraformStackTest, RenderInADryRunReportsButWritesNothing) {
  std::string app = slurp(stack_dir("app") / "cdk.tf.json");
  Driver& d = plugin();
  d.fake.dry_run = true;
  Json in = input("4.2.0");
  in["dry_run"] = true;
  auto reply = d.invoke("render", "render", in);
  ASSERT_TRUE(reply.ok()) << reply.error;
  EXPECT_EQ(reply.output["changed_files"].size(), 2u);
  EXPECT_EQ(reply.output["dry_run"], true);
  EXPECT_EQ(slurp(stack_dir("app") / "cdk.tf.json"), app);
}

TEST_F(TerraformStackTest, AStackWithoutThePinIsLeftAlone) {
  fs::create_directories(stack_dir("dns"));
  spit(stack_dir("dns") / "main.tf", "resource \"terraform_data\" \"zone\" {}\n");
  Driver& d = plugin();
  auto reply = d.invoke("render", "render", input("4.2.0"));
  ASSERT_TRUE(reply.ok()) << reply.error;
  EXPECT_EQ(reply.output["stacks"][1]["name"], "dns");
  EXPECT_EQ(reply.output["stacks"][1]["pinned"], false);
  EXPECT_EQ(reply.output["changed_files"].size(), 2u);
}

TEST_F(TerraformStackTest, RenderCommandRunsThroughTheHostAndItsChangesAreReported) {
  Driver& d = plugin(R"({"render_command": ["cdktf", "synth", "--app-version={version}"]})");
  d.fake.on_exec = [this](const sdk::FakeHost::ExecCall&) {
    spit(stack_dir("app") / "cdk.tf.json", "{}\n");  // what a synth would write
    return sdk::ExecResult{0, 0, false, false, "", ""};
  };
  auto reply = d.invoke("render", "render", input("4.2.0"));
  ASSERT_TRUE(reply.ok()) << reply.error;
  ASSERT_EQ(d.fake.exec_calls.size(), 1u);
  const auto& call = d.fake.exec_calls[0];
  EXPECT_EQ(call.argv, (std::vector<std::string>{"cdktf", "synth", "--app-version=4.2.0"}));
  EXPECT_EQ(call.cwd, instance_dir().string());
  EXPECT_TRUE(call.mutating);
  EXPECT_EQ(reply.output["changed_files"], Json::array({"terraform/stacks/app/cdk.tf.json"}));
}

TEST_F(TerraformStackTest, AVersionThatIsNotPlainIsRefused) {
  Driver& d = plugin();
  auto reply = d.invoke("render", "render", input("4.2.0\", \"x"));
  EXPECT_EQ(reply.status, MI2_INVALID_INPUT);
  EXPECT_NE(reply.error.find("is not a plain version"), std::string::npos) << reply.error;
}

TEST(TerraformConfig, UnsafeOrUnknownOptionsAreSentences) {
  Driver outside(R"({"stacks_dir": "../other"})");
  EXPECT_EQ(outside.create_status, MI2_INVALID_INPUT);
  EXPECT_EQ(outside.create_error,
            "plugins.terraform.stacks_dir in mi2.yaml must be a relative path inside the "
            "instance folder (got \"../other\").");
  Driver name(R"({"stacks": ["app", "../x"]})");
  EXPECT_EQ(name.create_status, MI2_INVALID_INPUT);
  Driver typo(R"({"allow_destory": true})");
  EXPECT_EQ(typo.create_status, MI2_INVALID_INPUT);
  EXPECT_NE(typo.create_error.find("plugins.terraform.allow_destory in mi2.yaml is not an option"),
            std::string::npos);
  Driver data_dir(R"({"env": {"TF_DATA_DIR": "/tmp/x"}})");
  EXPECT_EQ(data_dir.create_status, MI2_INVALID_INPUT);
}

TEST(TerraformDescribe, ListsEveryOptionAndTheCheck) {
  Driver d;
  Json doc = d.describe();
  EXPECT_EQ(doc["name"], "terraform");
  EXPECT_EQ(doc["roles"]["apply"], Json::array({"apply", "rollback", "preflight"}));
  EXPECT_EQ(doc["roles"]["render"], Json::array({"render", "preflight"}));
  EXPECT_EQ(doc["roles"]["healthcheck"], Json::array({"check", "preflight"}));
  EXPECT_EQ(doc["checks"], Json::array({"terraform-plan-clean"}));
  for (const char* option : {"stacks_dir", "stacks", "terraform_binary", "apply", "allow_destroy",
                             "lock_timeout_s", "render_command", "env"})
    EXPECT_TRUE(doc["config_schema"]["properties"].contains(option)) << option;
}

}  // namespace
}  // namespace mi2::terraform::test
