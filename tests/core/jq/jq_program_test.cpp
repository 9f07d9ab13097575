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

// Filters that never end are stopped by the time bound, with a sentence; the
// program stays usable. (Small bounds keep the test short; it asserts what
// is said, never how long it took.)
TEST(JqProgram, FiltersThatNeverEndAreStoppedWithASentence) {
  JqLimits limits;
  limits.time = std::chrono::milliseconds(200);
  for (const char* expression : {"def f: f; f", "last(repeat(1)) == 1", "until(false; .)"}) {
    auto program = JqProgram::compile(expression, limits);
    ASSERT_TRUE(program) << program.message();
    auto result = program->matches(kInstance, "src-1");
    ASSERT_FALSE(result) << expression;
    EXPECT_NE(result.message().find("filter '" + std::string(expression) +
                                    "' failed on instance src-1: it was stopped because it "
                                    "ran for more than 200 ms"),
              std::string::npos)
        << result.message();
    auto run = program->run(kInstance);
    ASSERT_FALSE(run) << expression;
    EXPECT_NE(run.message().find("ran for more than 200 ms"), std::string::npos) << run.message();
  }
  auto program =
      JqProgram::compile(".spec.replicas == 3 and (def f: f; if . then true else f end)", limits);
  ASSERT_TRUE(program) << program.message();
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(*program->matches(kInstance, "src-1"));  // after a halt too
}

TEST(JqProgram, FiltersThatEatMemoryAreStoppedWithASentence) {
  JqLimits limits;
  limits.time = std::chrono::minutes(5);
  limits.memory_bytes = 64u << 20;
  for (const char* expression : {"[repeat(1)] | length > 0", "def f: [f]; f"}) {
    auto program = JqProgram::compile(expression, limits);
    ASSERT_TRUE(program) << program.message();
    auto result = program->matches(kInstance, "src-1");
    ASSERT_FALSE(result) << expression;
    EXPECT_NE(result.message().find("it was stopped because it used more than 64 MiB of memory"),
              std::string::npos)
        << result.message();
  }
  auto outputs = JqProgram::compile("repeat(.)", limits);  // collected by run(): our memory
  ASSERT_TRUE(outputs);
  auto run = outputs->run(kInstance);
  ASSERT_FALSE(run);
  EXPECT_NE(run.message().find("used more than 64 MiB"), std::string::npos) << run.message();
}

TEST(JqProgram, APredicateStopsAtItsFirstNonBooleanOutput) {
  JqLimits limits;
  limits.time = std::chrono::minutes(5);  // were it not at once, this test would hang
  auto endless = JqProgram::compile("repeat(1)", limits);
  ASSERT_TRUE(endless);
  auto result = endless->matches(kInstance, "src-1");
  ASSERT_FALSE(result);
  EXPECT_NE(result.message().find("filter 'repeat(1)' gave 1 (not a boolean) on instance src-1"),
            std::string::npos)
      << result.message();
  auto many = JqProgram::compile("true, repeat(true)", limits);
  ASSERT_TRUE(many);
  auto twice = many->matches(kInstance, "src-1");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.message().find("gave at least 2 outputs"), std::string::npos) << twice.message();
}

TEST(JqProgram, HaltIsNotAvailableAndNeverBreaksTheNextInput) {
  auto program = JqProgram::compile("\"bye\" | halt_error");
  ASSERT_TRUE(program) << program.message();
  for (int i = 0; i < 3; ++i) {  // libjq 1.6 would free the message twice
    auto result = program->matches(kInstance, "src-1");
    ASSERT_FALSE(result);
    EXPECT_NE(result.message().find("halt is not available in mi2 filters"), std::string::npos)
        << result.message();
  }
  auto bad = JqProgram::compile("halt | ]");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.message().find("def halt"), std::string::npos) << bad.message();
}

TEST(JqProgram, ControlBytesInExpressionsAndErrorsAreEscaped) {
  auto program = JqProgram::compile("error(\"x\\u001b[2Jy\")");
  ASSERT_TRUE(program) << program.message();
  auto result = program->matches(kInstance, "src-\x1b");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.message().find('\x1b'), std::string::npos) << result.message();
  EXPECT_NE(result.message().find("x\\x1b[2Jy"), std::string::npos) << result.message();
  EXPECT_NE(result.message().find("on instance src-\\x1b"), std::string::npos) << result.message();
}

}  // namespace
}  // namespace mi2
