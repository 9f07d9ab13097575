#include "core/engine/recipe.h"

#include <gtest/gtest.h>

namespace mi2 {
namespace {

TEST(RecipeTest, UpgradeInstanceFollowsTheDesignsTenSteps) {
  auto recipe = upgrade_instance_recipe();
  std::vector<std::string> names;
  for (const auto& s : recipe.steps) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"precheck", "resolve-version", "bump", "render",
                                             "checkpoint", "migrate", "postmigrate-check", "deploy",
                                             "verify", "publish"}));
  EXPECT_EQ(recipe.steps[8].on_failure, OnFailure::kRollback);
}

TEST(RecipeTest, ParsesStepsAndNamesTheFaultyOne) {
  auto ok = recipe_from_json("r", Json::parse(R"({"steps": [{"name": "m", "role": "migrate",
      "action": "up", "retries": 3, "timeout_s": 5, "on_failure": "continue"}]})"));
  ASSERT_TRUE(ok.ok()) << ok.message();
  EXPECT_EQ(ok->steps[0].retries, 3);
  EXPECT_EQ(ok->steps[0].timeout.count(), 5);
  EXPECT_EQ(ok->steps[0].on_failure, OnFailure::kContinue);

  auto bad_role = recipe_from_json(
      "r", Json::parse(R"({"steps": [{"name": "x", "role": "deploy", "action": "a"}]})"));
  ASSERT_FALSE(bad_role.ok());
  EXPECT_NE(bad_role.message().find("recipe 'r' step 1"), std::string::npos);
  EXPECT_NE(bad_role.message().find("deploy"), std::string::npos);
  EXPECT_FALSE(
      recipe_from_json("r", Json::parse(R"({"steps": [{"name": "x", "action": "nope"}]})")).ok());
  EXPECT_FALSE(
      recipe_from_json(
          "r",
          Json::parse(
              R"({"steps": [{"name": "x", "role": "apply", "action": "a", "on_failure": "panic"}]})"))
          .ok());
  EXPECT_FALSE(
      recipe_from_json(
          "r",
          Json::parse(
              R"({"steps": [{"name": "x", "role": "apply", "action": "a", "retries": "many"}]})"))
          .ok());
}

TEST(RecipeTest, AStepMayBeMarkedOptional) {
  auto ok = recipe_from_json("r", Json::parse(R"({"steps": [
      {"name": "m", "role": "migrate", "action": "up", "optional": true},
      {"name": "a", "role": "apply", "action": "apply"}]})"));
  ASSERT_TRUE(ok.ok()) << ok.message();
  EXPECT_TRUE(ok->steps[0].optional);
  EXPECT_FALSE(ok->steps[1].optional);
  auto bound = [](const std::string& role) { return role == "apply"; };
  EXPECT_TRUE(check_recipe_bindings(*ok, bound).ok());
  ok->steps[0].optional = false;
  auto refused = check_recipe_bindings(*ok, bound);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("binds no plugin to role migrate, needed by step 'm'"),
            std::string::npos)
      << refused.message();
  EXPECT_NE(refused.message().find("optional: true"), std::string::npos);

  auto wrong = recipe_from_json("r", Json::parse(R"({"steps": [
      {"name": "m", "role": "migrate", "action": "up", "optional": "yes"}]})"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.message().find("optional: \"yes\"; use true or false"), std::string::npos)
      << wrong.message();
}

TEST(RecipeTest, ControlBytesInARecipeAreEscapedInItsErrors) {
  auto bad = recipe_from_json(
      "r",
      Json::parse(R"({"steps": [{"name": "x\u001b[2J", "role": "deploy\n", "action": "a"}]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("('x\\x1b[2J') names unknown role 'deploy\\n'"), std::string::npos)
      << bad.message();
  EXPECT_EQ(bad.message().find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace mi2
