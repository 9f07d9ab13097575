#include "core/engine/instance_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

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

}  // namespace
}  // namespace mi2
