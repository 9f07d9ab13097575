#include "core/jq/jq_program.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace mi2 {
namespace {

const Json kInstance = Json::parse(R"({
  "metadata": {"name": "src-1", "labels": {"instance-type": "production"}},
  "spec": {"displayName": "acme", "sourcegraphVersion": "4.0.0", "releaseChannel": "stable",
           "replicas": 3, "ratio": 0.5, "big": 12345678901, "tags": ["a", "b"], "debug": null,
           "flag": true, "unicode": "ünïcødé \u0000 nul"}
})");

TEST(JqProgram, RunsAndRoundTripsEveryJsonType) {
  auto program = JqProgram::compile(".");
  ASSERT_TRUE(program) << program.message();
  auto out = program->run(kInstance);
  ASSERT_TRUE(out) << out.message();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0], kInstance);
  EXPECT_TRUE((*out)[0]["spec"]["replicas"].is_number_integer());
}

TEST(JqProgram, YieldsEveryOutput) {
  auto program = JqProgram::compile(".spec.tags[], .metadata.name, (.spec.replicas * 2)");
  ASSERT_TRUE(program);
  auto out = program->run(kInstance);
  ASSERT_TRUE(out);
  EXPECT_EQ(Json(*out), Json::parse(R"(["a", "b", "src-1", 6])"));
  auto none = JqProgram::compile("empty");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->run(kInstance)->empty());
}

TEST(JqProgram, MatchesTheRunbookFilter) {
  auto program = JqProgram::compile(
      R"(.metadata.labels."instance-type" == "production" and .spec.sourcegraphVersion != "4.1.0" and .spec.releaseChannel != "insiders" and .spec.releaseChannel != "pause")");
  ASSERT_TRUE(program) << program.message();
  auto yes = program->matches(kInstance, "src-1");
  ASSERT_TRUE(yes) << yes.message();
  EXPECT_TRUE(*yes);
  Json paused = kInstance;
  paused["spec"]["releaseChannel"] = "pause";
  auto no = program->matches(paused, "src-1");
  ASSERT_TRUE(no);
  EXPECT_FALSE(*no);
  // The program is reusable many times.
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(*program->matches(kInstance, "src-1"));
}

TEST(JqProgram, CompileErrorNamesTheExpression) {
  auto program = JqProgram::compile(".spec | ]");
  ASSERT_FALSE(program);
  EXPECT_NE(program.message().find("jq expression '.spec | ]' does not compile: "),
            std::string::npos)
      << program.message();
  EXPECT_NE(program.message().find("syntax error"), std::string::npos) << program.message();
  EXPECT_FALSE(JqProgram::compile("nosuchfunction(1)"));
}

TEST(JqProgram, NonBooleanOrManyOutputsIsAnErrorNamingExpressionAndSubject) {
  auto text = JqProgram::compile(".spec.releaseChannel");
  ASSERT_TRUE(text);
  auto r = text->matches(kInstance, "src-1");
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("'.spec.releaseChannel'"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("src-1"), std::string::npos);
  EXPECT_NE(r.message().find("\"stable\""), std::string::npos);

  auto many = JqProgram::compile("true, false");
  ASSERT_TRUE(many);
  auto m = many->matches(kInstance, "src-1");
  ASSERT_FALSE(m);
  EXPECT_NE(m.message().find("2 outputs"), std::string::npos) << m.message();

  auto none = JqProgram::compile("empty");
  auto n = none->matches(kInstance, "src-1");
  ASSERT_FALSE(n);
  EXPECT_NE(n.message().find("no output"), std::string::npos);

  auto runtime = JqProgram::compile(".spec.tags + 1");
  auto e = runtime->matches(kInstance, "src-7");
  ASSERT_FALSE(e);
  EXPECT_NE(e.message().find("src-7"), std::string::npos);
  EXPECT_NE(e.message().find("cannot be added"), std::string::npos) << e.message();
  // After an error the program still works.
  auto again = runtime->run(Json::parse(R"({"spec": {"tags": 1}})"));
  ASSERT_TRUE(again) << again.message();
  EXPECT_EQ((*again)[0], 2);
}

TEST(JqProgram, MovesKeepTheProgram) {
  auto program = JqProgram::compile(".metadata.name");
  ASSERT_TRUE(program);
  JqProgram moved = std::move(*program);
  EXPECT_EQ((*moved.run(kInstance))[0], "src-1");
  auto other = JqProgram::compile(".spec.displayName");
  moved = std::move(*other);
  EXPECT_EQ((*moved.run(kInstance))[0], "acme");
}

}  // namespace
}  // namespace mi2
