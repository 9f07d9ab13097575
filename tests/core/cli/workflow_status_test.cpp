// watch_runs on a fake clock with a scripted forge: runs are looked at until
// they finish, an uncertain dispatch whose run turns up becomes dispatched,
// and the deadline ends the watch, all without sleeping.
#include <gtest/gtest.h>

#include <map>

#include "core/cli/workflow_status.h"
#include "tests/support/fake_clock.h"

namespace mi2::cli {
namespace {

using namespace std::chrono_literals;

DispatchEntry entry(const std::string& instance, DispatchState state, int64_t run_id) {
  DispatchEntry e;
  e.instance = instance;
  e.dispatch_id = "wf-1-" + instance;
  e.state = state;
  e.run_found = run_id > 0;
  e.run_id = run_id;
  e.run_state = run_id > 0 ? "queued" : "";
  return e;
}

// Each instance's states, one per look; the last repeats.
struct ScriptedForge {
  std::map<std::string, std::vector<std::string>> states;
  std::map<std::string, size_t> looks;
  RunFetcher fetcher() {
    return [this](const DispatchBatch&, const DispatchEntry& e) -> Result<RunUpdate> {
      auto& script = states[e.instance];
      size_t i = std::min(looks[e.instance]++, script.size() - 1);
      if (script[i] == "missing") return RunUpdate{};
      return RunUpdate{true, 100 + static_cast<int64_t>(e.instance.size()),
                       "https://ci/" + e.instance, script[i], script[i]};
    };
  }
};

TEST(WatchRuns, LooksUntilEveryRunFinishedSleepingTheIntervalBetween) {
  DispatchBatch batch;
  batch.entries = {entry("a", DispatchState::kDispatched, 7),
                   entry("bb", DispatchState::kUncertain, 0),
                   entry("ccc", DispatchState::kNotDispatched, 0)};
  ScriptedForge forge;
  forge.states = {{"a", {"queued", "in_progress", "success"}},
                  {"bb", {"missing", "in_progress", "in_progress", "failure"}}};
  test::FakeClock clock;
  std::vector<std::string> changes;
  int rounds = 0;
  WatchResult result = watch_runs(
      batch, forge.fetcher(), clock, WatchOptions{true, 30s, 1h},
      [&](const DispatchEntry& e) { changes.push_back(e.instance + ":" + e.run_state); },
      [&] { ++rounds; }, [] { return false; });
  EXPECT_EQ(rounds, 4);
  EXPECT_EQ(clock.sleeps, (std::vector<std::chrono::milliseconds>{30s, 30s, 30s}));
  EXPECT_EQ(changes, (std::vector<std::string>{"a:in_progress", "bb:in_progress", "a:success",
                                               "bb:failure"}));
  EXPECT_EQ(forge.looks["a"], 3u);  // not looked at once it finished
  EXPECT_EQ(forge.looks.count("ccc"), 0u);
  EXPECT_EQ(batch.entries[1].state, DispatchState::kDispatched);
  EXPECT_EQ(batch.entries[1].url, "https://ci/bb");
  EXPECT_EQ(result.succeeded, 1u);
  EXPECT_EQ(result.failed, 1u);
  EXPECT_EQ(result.not_dispatched, 1u);
  EXPECT_FALSE(result.timed_out);
}

TEST(WatchRuns, TheDeadlineEndsTheWatchWithTheRunsUnfinished) {
  DispatchBatch batch;
  batch.entries = {entry("a", DispatchState::kDispatched, 7),
                   entry("b", DispatchState::kUncertain, 0)};
  ScriptedForge forge;
  forge.states = {{"a", {"in_progress"}}, {"b", {"missing"}}};
  test::FakeClock clock;
  WatchResult result = watch_runs(
      batch, forge.fetcher(), clock, WatchOptions{true, 10s, 35s}, [](const DispatchEntry&) {},
      [] {}, [] { return false; });
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(clock.sleeps.size(), 3u);
  EXPECT_EQ(result.unfinished, 1u);
  EXPECT_EQ(result.uncertain, 1u);
}

TEST(WatchRuns, WithoutWaitingItLooksOnce) {
  DispatchBatch batch;
  batch.entries = {entry("a", DispatchState::kDispatched, 7)};
  ScriptedForge forge;
  forge.states = {{"a", {"in_progress"}}};
  test::FakeClock clock;
  WatchResult result = watch_runs(
      batch, forge.fetcher(), clock, WatchOptions{false, 10s, 1h}, [](const DispatchEntry&) {},
      [] {}, [] { return false; });
  EXPECT_TRUE(clock.sleeps.empty());
  EXPECT_EQ(result.unfinished, 1u);
  EXPECT_EQ(batch.entries[0].run_state, "in_progress");
}

TEST(WorkflowBatch, EntryReportSaysDispatchedTrueFalseOrUnknown) {
  DispatchEntry found = entry("a", DispatchState::kDispatched, 7);
  found.url = "https://ci/a";
  Json a = entry_report(found);
  EXPECT_EQ(a["dispatched"], true);
  EXPECT_EQ(a["run_id"], 7);
  EXPECT_EQ(a["run_url"], "https://ci/a");
  EXPECT_TRUE(entry_report(entry("b", DispatchState::kUncertain, 0))["dispatched"].is_null());
  Json c = entry_report(entry("c", DispatchState::kNotDispatched, 0));
  EXPECT_EQ(c["dispatched"], false);
  EXPECT_TRUE(c["run_url"].is_null());
  EXPECT_TRUE(valid_batch_id("wf-20261203T061500Z-3fa2c1"));
  EXPECT_FALSE(valid_batch_id("wf-../../etc"));
}

}  // namespace
}  // namespace mi2::cli
