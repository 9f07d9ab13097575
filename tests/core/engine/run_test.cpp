// The engine in-process: a FakeInvoker for the plugins and a FakeClock for
// time, so order, retry, backoff, deadlines, resume, rollback and a failed
// journal write are tested without plugins and without sleeping.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/engine/engine.h"
#include "core/engine/journal.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_invoker.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kRunConfig =
    "apiVersion: sourcegraph.com/v1\nkind: SourcegraphCloud\nmetadata:\n  name: src-acme01\n"
    "spec:\n  displayName: acme\n  sourcegraphVersion: \"4.0.0\"  # bumped\n";

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_ = {"dev", "src-acme01", dir_.path() / "environments/dev/deployments/src-acme01"};
    std::filesystem::create_directories(instance_.dir);
    std::ofstream(instance_.dir / "config.yaml") << kRunConfig;
    for (const char* role : {"render", "healthcheck", "backup", "migrate", "apply", "vcs"})
      invoker_.bind(role, "fake");
  }

  RunOutcome run(const Recipe& recipe, const std::string& resume = "") {
    RunOptions options;
    options.target_version = "4.1.0";
    options.resume_run_id = resume;
    options.out = &out_;
    RunEngine engine(fleet_, invoker_, clock_);
    return engine.run(instance_, recipe, options);
  }

  std::string config() const {
    std::ifstream in(instance_.dir / "config.yaml");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  static Recipe one_step(const std::string& role, const std::string& action, int retries,
                         std::chrono::seconds timeout = std::chrono::seconds(600)) {
    RecipeStep step{"only", role, action, Json::object(), timeout};
    step.retries = retries;
    return Recipe{"test", {step}};
  }

  test::TempDir dir_{"mi2-run"};
  Fleet fleet_{dir_.path()};
  InstanceRef instance_;
  test::FakeInvoker invoker_;
  test::FakeClock clock_;
  std::ostringstream out_;
};

TEST_F(RunTest, TheUpgradeRecipeCallsTheRolesInOrderAndBumpsTheVersion) {
  RunOutcome outcome = run(upgrade_instance_recipe());
  ASSERT_EQ(outcome.result, RunResult::kSucceeded) << outcome.error;
  EXPECT_THAT(invoker_.keys(),
              ElementsAre("healthcheck.check", "render.render", "backup.create", "migrate.up",
                          "healthcheck.check", "apply.apply", "healthcheck.check", "vcs.run-link",
                          "vcs.tracking-issue", "vcs.publish"));
  EXPECT_THAT(config(), HasSubstr("sourcegraphVersion: \"4.1.0\"  # bumped"));
  EXPECT_EQ(invoker_.calls[3].input["target_version"], "4.1.0");
  EXPECT_EQ(invoker_.calls[3].input["previous_version"], "4.0.0");
}

// The built-in recipe names no check: before the deploy each provider runs
// its checks but the ones its describe marks as version checks; verify runs all.
TEST_F(RunTest, HealthStepsRunThePluginsDeclaredChecksAndVersionChecksOnlyAtVerify) {
  invoker_.set_checks("fake", {"up", "serves-target"}, {"serves-target"});
  RunOutcome outcome = run(upgrade_instance_recipe());
  ASSERT_EQ(outcome.result, RunResult::kSucceeded) << outcome.error;
  std::vector<Json> asked;
  for (const auto& call : invoker_.calls)
    if (call.role == "healthcheck") asked.push_back(call.input["params"].value("checks", Json()));
  EXPECT_THAT(asked, ElementsAre(Json::array({"up"}), Json::array({"up"}), Json()));
}

TEST_F(RunTest, ARecipeNamingChecksSkipsAProviderThatHasNone) {
  invoker_.set_checks("fake", {"up"});
  Recipe recipe = one_step("healthcheck", "check", 0);
  recipe.steps[0].params = {{"checks", {"db-reachable"}}};
  RunOutcome outcome = run(recipe);
  ASSERT_EQ(outcome.result, RunResult::kSucceeded) << outcome.error;
  EXPECT_TRUE(invoker_.calls.empty());
}

// Preflight (#13): a provider that cannot do the run refuses before the bump,
// and config.yaml stays byte for byte what it was.
TEST_F(RunTest, APreflightRefusalStopsTheRunBeforeAnythingChanges) {
  invoker_.on("render.preflight", [](const test::FakeInvoker::Call& call) {
    EXPECT_EQ(call.input["target_version"], "4.1.0");
    // Asked once, told every role the recipe binds it to.
    EXPECT_EQ(call.input["params"]["roles"],
              Json::array({"healthcheck", "render", "backup", "migrate", "apply", "vcs"}));
    return StepReply{MI2_FAILED, Json(), "fake: 4.1.0 is not in the release catalog"};
  });
  RunOutcome outcome = run(upgrade_instance_recipe());
  EXPECT_EQ(outcome.result, RunResult::kFailed);
  EXPECT_EQ(outcome.failed_step, "resolve-version");
  EXPECT_THAT(outcome.error, HasSubstr("preflight: fake: 4.1.0 is not in the release catalog"));
  EXPECT_THAT(outcome.error, HasSubstr("nothing was changed"));
  EXPECT_EQ(config(), kRunConfig);
  EXPECT_THAT(invoker_.keys(), ElementsAre("healthcheck.check", "render.preflight"));
}

TEST_F(RunTest, ASlugThatCannotNameABranchIsRefusedBeforeTheBump) {
  std::string text = kRunConfig;
  text.replace(text.find("displayName: acme"), 17, "displayName: \"ac me\\n\"");
  std::ofstream(instance_.dir / "config.yaml") << text;
  RunOutcome outcome = run(upgrade_instance_recipe());
  EXPECT_EQ(outcome.result, RunResult::kFailed);
  EXPECT_THAT(outcome.error,
              HasSubstr("the slug 'ac me\\n' (spec.displayName) cannot name a branch"));
  EXPECT_EQ(config(), text);
}

TEST_F(RunTest, AnOverlongVersionIsRefusedBeforeTheRun) {
  RunOptions options;
  options.target_version = "4.1.0-rc." + std::string(300, '1');
  options.out = &out_;
  RunEngine engine(fleet_, invoker_, clock_);
  RunOutcome outcome = engine.run(instance_, upgrade_instance_recipe(), options);
  EXPECT_EQ(outcome.result, RunResult::kRefused);
  EXPECT_THAT(outcome.error, HasSubstr("309 characters long; a version has at most 64"));
  EXPECT_TRUE(invoker_.calls.empty());
  EXPECT_EQ(config(), kRunConfig);
}

TEST_F(RunTest, RetryableFailuresAreRetriedWithDoublingBackoffOnTheClock) {
  int attempts = 0;
  invoker_.on("migrate.up", [&](const auto&) {
    return ++attempts < 3 ? StepReply{MI2_RETRYABLE, Json(), "busy"}
                          : StepReply{MI2_OK, Json::object(), ""};
  });
  RunOutcome outcome = run(one_step("migrate", "up", 3));
  ASSERT_EQ(outcome.result, RunResult::kSucceeded) << outcome.error;
  EXPECT_EQ(attempts, 3);
  EXPECT_THAT(clock_.sleeps,
              ElementsAre(std::chrono::milliseconds(1000), std::chrono::milliseconds(2000)));
}

TEST_F(RunTest, RetriesRunOutAndTheRunFailsResumably) {
  invoker_.on("migrate.up", [](const auto&) { return StepReply{MI2_RETRYABLE, Json(), "busy"}; });
  RunOutcome outcome = run(one_step("migrate", "up", 2));
  EXPECT_EQ(outcome.result, RunResult::kFailed);
  EXPECT_EQ(invoker_.calls.size(), 3u);
  EXPECT_THAT(outcome.error, HasSubstr("resume with --resume " + outcome.run_id));
}

TEST_F(RunTest, AStepPastItsDeadlineTimesOut) {
  invoker_.on("apply.apply", [&](const test::FakeInvoker::Call& call) {
    EXPECT_TRUE(call.settings.deadline.has_value());
    clock_.advance(std::chrono::seconds(6));  // the plugin took longer than the step may
    return StepReply{MI2_TIMEOUT, Json(), "rollout still waiting"};
  });
  RunOutcome outcome = run(one_step("apply", "apply", 0, std::chrono::seconds(5)));
  EXPECT_EQ(outcome.result, RunResult::kFailed);
  EXPECT_THAT(outcome.error, HasSubstr("passed its deadline of 5s (rollout still waiting)"));
  EXPECT_THAT(out_.str(), HasSubstr("only: timeout"));
}

TEST_F(RunTest, AFailedRunResumesWithoutRepeatingCompletedSteps) {
  bool broken = true;
  invoker_.on("migrate.up", [&](const auto&) {
    return broken ? StepReply{MI2_FAILED, Json{{"dirty", true}}, "migration 4.1.0 failed"}
                  : StepReply{MI2_OK, Json::object(), ""};
  });
  RunOutcome first = run(upgrade_instance_recipe());
  ASSERT_EQ(first.result, RunResult::kFailed);
  EXPECT_EQ(first.failed_step, "migrate");
  broken = false;
  invoker_.calls.clear();
  RunOutcome second = run(upgrade_instance_recipe(), first.run_id);
  ASSERT_EQ(second.result, RunResult::kSucceeded) << second.error;
  EXPECT_THAT(invoker_.keys(),
              ElementsAre("migrate.up", "healthcheck.check", "apply.apply", "healthcheck.check",
                          "vcs.run-link", "vcs.tracking-issue", "vcs.publish"));
}

// The PR's run log is the CI run's page when the vcs plugin names one
// (vcs.run-link), else the run's journal: the engine reads no CI variable.
TEST_F(RunTest, ThePrLinksTheCiRunTheVcsPluginNames) {
  invoker_.on("vcs.run-link", [](const test::FakeInvoker::Call&) {
    return StepReply{MI2_OK, Json{{"url", "https://ci.example/runs/7"}}, ""};
  });
  ASSERT_EQ(run(upgrade_instance_recipe()).result, RunResult::kSucceeded);
  std::string body = invoker_.calls.back().input["params"]["body"];
  EXPECT_THAT(body, HasSubstr("Run log: https://ci.example/runs/7\n"));

  invoker_.calls.clear();
  invoker_.on("vcs.run-link", [](const test::FakeInvoker::Call&) {
    return StepReply{MI2_OK, Json{{"url", nullptr}}, ""};
  });
  ASSERT_EQ(run(upgrade_instance_recipe()).result, RunResult::kSucceeded);
  std::string outside = invoker_.calls.back().input["params"]["body"];
  EXPECT_THAT(outside, HasSubstr(".jsonl\n"));
}

TEST_F(RunTest, AFailedVerificationRollsBackAndVerifiesTheOldVersion) {
  int checks = 0;
  invoker_.on("healthcheck.check", [&](const auto&) {
    bool ok = ++checks != 3;  // precheck, postmigrate ok; verify fails
    return StepReply{MI2_OK,
                     Json{{"ok", ok},
                          {"checks", Json::array({{{"name", "pods-health"},
                                                   {"ok", ok},
                                                   {"summary", ok ? "ok" : "1/2 pods ready"}}})}},
                     ""};
  });
  RunOutcome outcome = run(upgrade_instance_recipe());
  EXPECT_EQ(outcome.result, RunResult::kRolledBack) << outcome.error;
  EXPECT_THAT(outcome.error, HasSubstr("pods-health: 1/2 pods ready"));
  auto keys = invoker_.keys();
  ASSERT_GE(keys.size(), 3u);
  EXPECT_THAT(std::vector<std::string>(keys.end() - 3, keys.end()),
              ElementsAre("render.render", "apply.rollback", "healthcheck.check"));
  EXPECT_EQ(invoker_.calls[invoker_.calls.size() - 2].input["params"]["to_version"], "4.0.0");
  EXPECT_THAT(config(), HasSubstr("sourcegraphVersion: \"4.0.0\""));
}

TEST_F(RunTest, AStepWhoseRoleHasNoProviderIsRefusedBeforeTheRunStarts) {
  test::FakeInvoker none;
  RunOptions options;
  options.target_version = "4.1.0";
  options.out = &out_;
  RunOutcome outcome =
      RunEngine(fleet_, none, clock_).run(instance_, upgrade_instance_recipe(), options);
  EXPECT_EQ(outcome.result, RunResult::kRefused);
  EXPECT_THAT(outcome.error, HasSubstr("recipe 'upgrade-instance' cannot run: mi2.yaml binds no "
                                       "plugin to roles apply, backup, healthcheck, migrate, "
                                       "render, needed by steps 'precheck' (role healthcheck)"));
  EXPECT_THAT(outcome.error, ::testing::Not(HasSubstr("publish")));  // optional in the recipe
  EXPECT_EQ(config(), kRunConfig);                                   // nothing was bumped
  EXPECT_TRUE(none.calls.empty());
  EXPECT_FALSE(std::filesystem::exists(fleet_.state_dir(instance_) / "runs"));
}

TEST_F(RunTest, AnOptionalStepWithoutAProviderIsSkippedAndSaysSo) {
  test::FakeInvoker none;
  RunOptions options;
  options.target_version = "4.1.0";
  options.out = &out_;
  Recipe recipe = one_step("render", "render", 0);
  recipe.steps[0].optional = true;
  RunOutcome outcome = RunEngine(fleet_, none, clock_).run(instance_, recipe, options);
  EXPECT_EQ(outcome.result, RunResult::kSucceeded) << outcome.error;
  EXPECT_THAT(out_.str(), HasSubstr("no plugin bound to role 'render'"));
}

TEST_F(RunTest, OnlyPublishIsOptionalInTheUpgradeRecipe) {
  test::FakeInvoker no_forge;
  for (const char* role : {"render", "healthcheck", "backup", "migrate", "apply"})
    no_forge.bind(role, "fake");
  RunOptions options;
  options.target_version = "4.1.0";
  options.out = &out_;
  RunOutcome outcome =
      RunEngine(fleet_, no_forge, clock_).run(instance_, upgrade_instance_recipe(), options);
  EXPECT_EQ(outcome.result, RunResult::kSucceeded) << outcome.error;
  EXPECT_THAT(out_.str(), HasSubstr("publish: skipped"));
}

// A journal write that fails (here: the file-size limit, EFBIG) stops the run
// before its next step, with a sentence naming the journal; the run resumes.
TEST_F(RunTest, AJournalWriteThatFailsStopsTheRunBeforeTheNextStep) {
  struct rlimit saved {};
  getrlimit(RLIMIT_FSIZE, &saved);
  auto old_handler = signal(SIGXFSZ, SIG_IGN);
  std::filesystem::path journal;
  invoker_.on("render.render", [&](const test::FakeInvoker::Call& call) {
    journal = call.input["run_log"].get<std::string>();
    struct rlimit limit = saved;
    limit.rlim_cur = std::filesystem::file_size(journal);
    setrlimit(RLIMIT_FSIZE, &limit);
    return StepReply{MI2_OK, Json::object(), ""};
  });
  Recipe recipe{"test",
                {RecipeStep{"render", "render", "render", Json::object()},
                 RecipeStep{"migrate", "migrate", "up", Json::object()}}};
  RunOutcome first = run(recipe);
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, old_handler);

  EXPECT_EQ(first.result, RunResult::kFailed);
  EXPECT_THAT(first.error, HasSubstr("the run journal could not be written (cannot write to the "
                                     "run journal " +
                                     journal.string()));
  EXPECT_THAT(first.error, HasSubstr("the run stopped before 'migrate'"));
  EXPECT_THAT(invoker_.keys(), ElementsAre("render.render"));  // migrate never ran

  invoker_.on("render.render", [](const auto&) { return StepReply{MI2_OK, Json::object(), ""}; });
  invoker_.calls.clear();
  RunOutcome resumed = run(recipe, first.run_id);
  ASSERT_EQ(resumed.result, RunResult::kSucceeded) << resumed.error;
  // render's step_finished never reached the journal, so render runs again.
  EXPECT_THAT(invoker_.keys(), ElementsAre("render.render", "migrate.up"));
}

TEST_F(RunTest, StepDurationsUnderASecondShowMilliseconds) {
  invoker_.on("render.render", [&](const auto&) {
    clock_.advance(std::chrono::milliseconds(412));
    return StepReply{MI2_OK, Json::object(), ""};
  });
  ASSERT_EQ(run(one_step("render", "render", 0)).result, RunResult::kSucceeded);
  EXPECT_THAT(out_.str(), HasSubstr("only: ok (412ms)"));
}

}  // namespace
}  // namespace mi2
