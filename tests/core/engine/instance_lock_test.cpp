#include "core/engine/instance_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

TEST(InstanceLockTest, ASecondAcquireIsRefusedWithTheHolderNamed) {
  test::TempDir dir;
  auto first = InstanceLock::acquire(dir.path(), "run-one");
  ASSERT_TRUE(first.ok()) << first.message();
  auto second = InstanceLock::acquire(dir.path(), "run-two");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.message().find("run-one"), std::string::npos);
  EXPECT_NE(second.message().find("pid " + std::to_string(getpid())), std::string::npos);
  EXPECT_NE(second.message().find("mi2 instance unlock " + first->info().lock_id),
            std::string::npos);
}

TEST(InstanceLockTest, ReleasedOnDestruction) {
  test::TempDir dir;
  {
    auto lock = InstanceLock::acquire(dir.path(), "run-one");
    ASSERT_TRUE(lock.ok());
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "lock.json"));
  EXPECT_TRUE(InstanceLock::acquire(dir.path(), "run-two").ok());
}

TEST(InstanceLockTest, ALeaseOfADeadProcessIsTakenOver) {
  test::TempDir dir;
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);  // a pid that no longer runs
  LockInfo dead;
  dead.lock_id = "lk-dead";
  dead.run_id = "run-dead";
  dead.host = [] {
    char h[256] = {};
    gethostname(h, 255);
    return std::string(h);
  }();
  dead.pid = child;
  dead.created = static_cast<double>(time(nullptr));
  dead.ttl_seconds = 3600;
  test::write_file(dir.path() / "lock.json", dead.to_json().dump());
  auto lock = InstanceLock::acquire(dir.path(), "run-new");
  ASSERT_TRUE(lock.ok()) << lock.message();
  ASSERT_TRUE(lock->took_over().has_value());
  EXPECT_EQ(lock->took_over()->run_id, "run-dead");
}

TEST(InstanceLockTest, AnExpiredLeaseIsTakenOver) {
  test::TempDir dir;
  LockInfo old;
  old.lock_id = "lk-old";
  old.run_id = "run-old";
  old.host = "another-host";
  old.pid = 1;
  old.created = static_cast<double>(time(nullptr)) - 7200;
  old.ttl_seconds = 60;
  test::write_file(dir.path() / "lock.json", old.to_json().dump());
  EXPECT_TRUE(InstanceLock::acquire(dir.path(), "run-new").ok());
}

TEST(InstanceLockTest, ForceUnlockNeedsTheLockId) {
  test::TempDir dir;
  auto lock = InstanceLock::acquire(dir.path(), "run-one");
  ASSERT_TRUE(lock.ok());
  EXPECT_FALSE(InstanceLock::force_unlock(dir.path(), "lk-nope").ok());
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "lock.json"));
  EXPECT_TRUE(InstanceLock::force_unlock(dir.path(), lock->info().lock_id).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "lock.json"));
}

// 100 processes start at once (released by one closed pipe) and race for the
// real lock file; the winner keeps it until every other has tried.
TEST(InstanceLockTest, OfAHundredSimultaneousStartsExactlyOneProceeds) {
  test::TempDir dir;
  constexpr int kRacers = 100;
  int start[2], results[2], done[2];
  ASSERT_EQ(pipe(start), 0);
  ASSERT_EQ(pipe(results), 0);
  ASSERT_EQ(pipe(done), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kRacers; ++i) {
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(start[1]);
      close(results[0]);
      close(done[1]);
      char c;
      (void)!read(start[0], &c, 1);  // returns 0 when the parent closes its end
      auto lock = InstanceLock::acquire(dir.path(), "run-" + std::to_string(i));
      char verdict = lock.ok() ? 'W' : 'L';
      (void)!write(results[1], &verdict, 1);
      if (lock.ok()) (void)!read(done[0], &c, 1);  // hold it until everyone has tried
      _exit(0);
    }
    children.push_back(child);
  }
  close(start[0]);
  close(results[1]);
  close(done[0]);
  close(start[1]);  // go
  int winners = 0, verdicts = 0;
  for (char c; verdicts < kRacers && read(results[0], &c, 1) == 1; ++verdicts) winners += c == 'W';
  close(done[1]);
  for (pid_t child : children) waitpid(child, nullptr, 0);
  close(results[0]);
  EXPECT_EQ(verdicts, kRacers);
  EXPECT_EQ(winners, 1);
}

TEST(InstanceLockTest, AnEmptyLockFileIsHeldNotTakenOver) {
  test::TempDir dir;
  test::write_file(dir.path() / "lock.json", "");  // another run between create and write
  auto lock = InstanceLock::acquire(dir.path(), "run-two");
  ASSERT_FALSE(lock.ok());
  EXPECT_NE(lock.message().find((dir.path() / "lock.json").string() + " is empty"),
            std::string::npos)
      << lock.message();
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "lock.json"));
  EXPECT_EQ(test::read_file(dir.path() / "lock.json"), "");
}

TEST(InstanceLockTest, AGarbageLockIsRefusedNamingTheFileAndUnlockRemovesIt) {
  test::TempDir dir;
  auto file = dir.path() / "lock.json";
  for (const char* garbage :
       {"\x01\x02 not json", "{\"lock_id\": 5}", "[1, 2]", "{\"lock_id\": \"\"}"}) {
    test::write_file(file, garbage);
    auto lock = InstanceLock::acquire(dir.path(), "run-two");
    ASSERT_FALSE(lock.ok()) << garbage;
    EXPECT_NE(lock.message().find("the lock file " + file.string() + " is not a lock lease"),
              std::string::npos)
        << lock.message();
    EXPECT_EQ(test::read_file(file), garbage);  // never taken over
    size_t at = lock.message().find("mi2 instance unlock broken-");
    ASSERT_NE(at, std::string::npos) << lock.message();
    std::string id = lock.message().substr(at + 20, 15);

    auto wrong = InstanceLock::force_unlock(dir.path(), "lk-nope");
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.message().find(id), std::string::npos) << wrong.message();
    EXPECT_TRUE(std::filesystem::exists(file));
    ASSERT_TRUE(InstanceLock::force_unlock(dir.path(), id).ok()) << id;
    EXPECT_FALSE(std::filesystem::exists(file));
  }
  EXPECT_TRUE(InstanceLock::acquire(dir.path(), "run-three").ok());
}

TEST(InstanceLockTest, EveryTakeoverIsJournaledBeforeTheStaleLeaseIsReplaced) {
  test::TempDir dir;
  LockInfo old;
  old.lock_id = "lk-old";
  old.run_id = "run-old";
  old.host = "another-host";
  old.created = static_cast<double>(time(nullptr)) - 7200;
  old.ttl_seconds = 60;
  test::write_file(dir.path() / "lock.json", old.to_json().dump());
  {
    auto lock = InstanceLock::acquire(dir.path(), "run-new");
    ASSERT_TRUE(lock.ok()) << lock.message();
  }
  test::write_file(dir.path() / "lock.json", old.to_json().dump());
  ASSERT_TRUE(InstanceLock::acquire(dir.path(), "run-newer").ok());
  std::ifstream in(dir.path() / "lock-takeovers.jsonl");
  std::vector<nlohmann::json> events;
  for (std::string line; std::getline(in, line);) events.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["stale"]["lock_id"], "lk-old");
  EXPECT_EQ(events[0]["reason"], "lease expired");
  EXPECT_EQ(events[0]["taken_by"]["run_id"], "run-new");
  EXPECT_EQ(events[1]["taken_by"]["run_id"], "run-newer");
}

TEST(InstanceLockTest, RefreshVerifiesOwnership) {
  test::TempDir dir;
  auto lock = InstanceLock::acquire(dir.path(), "run-one");
  ASSERT_TRUE(lock.ok());
  EXPECT_TRUE(lock->refresh().ok());
  LockInfo other = lock->info();
  other.lock_id = "lk-other";
  other.run_id = "run-other";
  test::write_file(dir.path() / "lock.json", other.to_json().dump());  // taken over meanwhile
  auto refreshed = lock->refresh();
  ASSERT_FALSE(refreshed.ok());
  EXPECT_NE(refreshed.message().find("now holds run run-other (lock lk-other)"), std::string::npos)
      << refreshed.message();
  EXPECT_FALSE(lock->held());
  lock->release();  // leaves the other run's lease alone
  EXPECT_EQ(InstanceLock::current(dir.path())->lock_id, "lk-other");
}

TEST(InstanceLockTest, UnlockOfAFreeInstanceSaysItIsNotLocked) {
  test::TempDir dir;
  auto unlocked = InstanceLock::force_unlock(dir.path(), "lk-x");
  ASSERT_FALSE(unlocked.ok());
  EXPECT_NE(unlocked.message().find("not locked"), std::string::npos);
}

}  // namespace
}  // namespace mi2
