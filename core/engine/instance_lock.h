// One run per instance at a time: a lease file <state_dir>/lock.json holding
// the lock id, run id, owner, host, pid, created time and TTL. A lease whose
// TTL has passed, or whose process is gone from this host, is stale and may be
// taken over; otherwise only `mi2 instance unlock LOCK_ID` removes it.
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
  double created = 0;  // seconds since the epoch
  long ttl_seconds = 0;

  Json to_json() const;
  static std::optional<LockInfo> from_json(const Json& json);
  // True when the TTL has passed or the owning process is gone from this host.
  bool stale() const;
};

class InstanceLock {
 public:
  // Takes the lock for `run_id`. When held by a live run the error names the
  // run, pid, host, start time and lock id, and how to unlock. A stale lease
  // is taken over (and said so in `took_over`).
  static Result<InstanceLock> acquire(const std::filesystem::path& state_dir,
                                      const std::string& run_id,
                                      std::chrono::seconds ttl = std::chrono::hours(2));
  // Removes the lock if its id is `lock_id`.
  static Status force_unlock(const std::filesystem::path& state_dir, const std::string& lock_id);
  static std::optional<LockInfo> current(const std::filesystem::path& state_dir);

  InstanceLock(InstanceLock&& other) noexcept;
  InstanceLock& operator=(InstanceLock&&) = delete;
  InstanceLock(const InstanceLock&) = delete;
  ~InstanceLock();  // releases

  // Extends the lease (called between steps).
  void refresh();
  void release();
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
