// One run per instance at a time: a lease file <state_dir>/lock.json holding
// the lock id, run id, owner, host, pid, created time and TTL. A lease whose
// TTL has passed, or whose process is gone from this host, is stale and may be
// taken over; otherwise only `mi2 instance unlock LOCK_ID` removes it.
//
// Every change of lock.json (take, take over, refresh, release, unlock) is
// made under an flock on <state_dir>/lock.guard, and a new lease appears
// whole: written to a temp file, then link()ed into place, which fails when a
// lease exists. A lock.json that is empty, partial or not a lease is never
// taken over: it is refused, and `mi2 instance unlock broken-XXXXXXXX` (the id
// the refusal names) removes it. Each takeover is appended to
// <state_dir>/lock-takeovers.jsonl before the stale lease is replaced.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "core/base/json.h"
#include "core/base/result.h"

namespace mi2 {

struct LockInfo {
  std::string lock_id;
  std::string run_id;
  std::string owner;
  std::string host;
  long pid = 0;
  double created = 0;  // seconds since the epoch (renewed by each refresh)
  long ttl_seconds = 0;

  Json to_json() const;
  // nullopt unless `json` is an object with a non-empty string lock_id and
  // fields of the right types.
  static std::optional<LockInfo> from_json(const Json& json);
  // True when the TTL has passed or the owning process is gone from this host.
  bool stale() const;
};

class InstanceLock {
 public:
  // Takes the lock for `run_id`. When held by a live run the error names the
  // run, pid, host, start time and lock id, and how to unlock. A stale lease
  // is taken over (said so in `took_over`, and journaled). A lock.json that is
  // not a lease is refused with a sentence naming the file.
  static Result<InstanceLock> acquire(const std::filesystem::path& state_dir,
                                      const std::string& run_id,
                                      std::chrono::seconds ttl = std::chrono::hours(2));
  // Removes the lock if its id is `lock_id` (for a lock.json that is not a
  // lease: the broken-XXXXXXXX id that acquire's refusal names).
  static Status force_unlock(const std::filesystem::path& state_dir, const std::string& lock_id);
  // The lease, when lock.json holds a valid one.
  static std::optional<LockInfo> current(const std::filesystem::path& state_dir);

  InstanceLock(InstanceLock&& other) noexcept;
  InstanceLock& operator=(InstanceLock&&) = delete;
  InstanceLock(const InstanceLock&) = delete;
  ~InstanceLock();  // releases

  // Checks that lock.json still holds this lease and extends it (called
  // between steps). The error says who holds the instance now; the lock is
  // then no longer held and release() leaves lock.json alone.
  Status refresh();
  void release();
  bool held() const { return held_; }
  const LockInfo& info() const { return info_; }
  std::optional<LockInfo> took_over() const { return took_over_; }

 private:
  InstanceLock(std::filesystem::path path, LockInfo info)
      : path_(std::move(path)), info_(std::move(info)) {}
  std::filesystem::path path_;
  LockInfo info_;
  std::optional<LockInfo> took_over_;
  bool held_ = true;
};

}  // namespace mi2
