#include "core/engine/journal.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/base/redactor.h"
#include "core/engine/run_history.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

TEST(RunJournalTest, AppendsEventsAsJsonLinesWithTimestamps) {
  test::TempDir dir;
  auto journal = RunJournal::create(dir.path() / "runs", "20261127T101500Z-abc123");
  ASSERT_TRUE(journal.ok()) << journal.message();
  ASSERT_TRUE(journal->append({{"event", "run_started"}}).ok());
  ASSERT_TRUE(journal->append({{"event", "step_started"}, {"step", "bump"}}).ok());
  auto events = RunJournal::read(journal->path());
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1]["step"], "bump");
  EXPECT_GT((*events)[0]["ts"].get<double>(), 1.7e9);
}

// Two runs that start in the same second: the newer is the one whose first
// event is later, whatever the random suffixes of their ids say.
TEST(RunJournalTest, RunsOfTheSameSecondAreOrderedByTheirFirstEvent) {
  test::TempDir dir;
  auto runs = dir.path() / "runs";
  std::filesystem::create_directories(runs);
  auto write = [&](const std::string& id, double ts, const std::string& recipe) {
    std::ofstream(runs / (id + ".jsonl"))
        << Json{{"event", "run_started"}, {"recipe", recipe}, {"ts", ts}}.dump() << "\n";
  };
  write("20261127T101500Z-ffffff", 1000.1, "first-deploy");
  write("20261127T101500Z-000001", 1000.7, "upgrade-instance");
  write("20261127T101459Z-aaaaaa", 999.0, "older");
  auto journals = run_journals(runs);
  ASSERT_EQ(journals.size(), 3u);
  EXPECT_EQ(journals[0].stem(), "20261127T101500Z-000001");
  EXPECT_EQ(journals[1].stem(), "20261127T101500Z-ffffff");
  EXPECT_EQ(journals[2].stem(), "20261127T101459Z-aaaaaa");
}

TEST(RunJournalTest, RefusesToOverwriteAnExistingRun) {
  test::TempDir dir;
  ASSERT_TRUE(RunJournal::create(dir.path(), "20261127T101500Z-abc123").ok());
  auto again = RunJournal::create(dir.path(), "20261127T101500Z-abc123");
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.message().find("20261127T101500Z-abc123.jsonl"), std::string::npos);
}

TEST(RunJournalTest, ATornLastLineIsSkippedAndResumeStartsOnAFreshLine) {
  test::TempDir dir;
  auto path = dir.path() / "r.jsonl";
  test::write_file(path, "{\"event\":\"run_started\"}\n{\"event\":\"step_sta");
  auto events = RunJournal::read(path);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 1u);
  auto journal = RunJournal::open(path);
  ASSERT_TRUE(journal.ok());
  ASSERT_TRUE(journal->append({{"event", "run_resumed"}}).ok());
  events = RunJournal::read(path);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1]["event"], "run_resumed");
}

// Found by fuzz/fuzz_journal: a field of another type threw out of `run list`.
TEST(RunJournalTest, FieldsOfTheWrongTypeReadAsAbsent) {
  test::TempDir dir;
  auto path = dir.path() / "20261127T101500Z-3f2a9c.jsonl";
  test::write_file(path,
                   "{\"event\":\"run_started\",\"recipe\":7,\"ts\":\"x\",\"force\":\"yes\"}\n"
                   "{\"event\":\"step_finished\",\"step\":[1],\"result\":\"ok\",\"outputs\":3}\n"
                   "{\"event\":\"run_finished\",\"result\":false,\"seconds\":\"2\"}\n");
  auto events = RunJournal::read(path);
  ASSERT_TRUE(events) << events.message();
  RunSummary s = summarize_run("20261127T101500Z-3f2a9c", *events);
  EXPECT_EQ(s.recipe, "");
  EXPECT_EQ(s.result, "");
  EXPECT_EQ(s.started, 0);
  auto resume = read_resume_state(path, "upgrade-instance");
  ASSERT_FALSE(resume);
  EXPECT_NE(resume.message().find("ran recipe ''"), std::string::npos) << resume.message();
}

TEST(RunJournalTest, RegisteredSecretsAreRedactedOnDisk) {
  test::TempDir dir;
  SecretRedactor::global().add("hunter2-secret-token");
  auto journal = RunJournal::create(dir.path(), "20261127T101500Z-abc124");
  ASSERT_TRUE(journal->append({{"event", "log"}, {"message", "token hunter2-secret-token"}}).ok());
  std::string text = test::read_file(journal->path());
  EXPECT_EQ(text.find("hunter2-secret-token"), std::string::npos);
  EXPECT_NE(text.find("token ***"), std::string::npos);
}

TEST(RunJournalTest, RunIdsAreSortableAndValidated) {
  auto id = new_run_id();
  EXPECT_TRUE(is_valid_run_id(id)) << id;
  EXPECT_FALSE(is_valid_run_id("../../etc/passwd"));
  EXPECT_FALSE(is_valid_run_id(""));
}

}  // namespace
}  // namespace mi2
