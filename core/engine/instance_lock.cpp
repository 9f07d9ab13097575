#include "core/engine/instance_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "core/base/atomic_file.h"
#include "core/base/text.h"

namespace mi2 {
namespace {

namespace fs = std::filesystem;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string this_host() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

std::string this_user() {
  const char* user = std::getenv("USER");
  if (!user || !*user) user = std::getenv("LOGNAME");
  return user && *user ? user : std::to_string(getuid());
}

std::string new_lock_id() {
  std::random_device rd;
  char id[24];
  std::snprintf(id, sizeof id, "lk-%08x%04x", rd(), rd() & 0xffff);
  return id;
}

// What lock.json holds.
struct LockFile {
  enum Kind { kAbsent, kLease, kBroken } kind = kAbsent;
  LockInfo lease;         // kLease
  std::string problem;    // kBroken: what is wrong with it
  std::string broken_id;  // kBroken: the id `mi2 instance unlock` takes for it
};

// "broken-" + a hash of the contents: unlocking a broken file needs this id,
// so a file rewritten since the refusal is not removed by mistake.
std::string broken_id_of(const std::string& contents) {
  std::uint32_t hash = 2166136261u;  // FNV-1a
  for (unsigned char c : contents) hash = (hash ^ c) * 16777619u;
  char id[24];
  std::snprintf(id, sizeof id, "broken-%08x", hash);
  return id;
}

LockFile read_lock_file(const fs::path& path) {
  LockFile file;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return file;
    file.kind = LockFile::kBroken;
    file.problem = "cannot be read (" + std::string(std::strerror(errno)) + ")";
    file.broken_id = broken_id_of("");
    return file;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string contents = ss.str();
  Json json = Json::parse(contents, nullptr, false);
  std::optional<LockInfo> lease;
  if (!json.is_discarded()) lease = LockInfo::from_json(json);
  if (lease) {
    file.kind = LockFile::kLease;
    file.lease = *lease;
    return file;
  }
  file.kind = LockFile::kBroken;
  file.problem = contents.empty() ? "is empty"
                                  : "is not a lock lease (" + std::to_string(contents.size()) +
                                        " bytes that are not its JSON)";
  file.broken_id = broken_id_of(contents);
  return file;
}

// Serializes every change of lock.json among mi2 processes (and threads) on
// this host: an flock on <state_dir>/lock.guard, released on close or death.
class LockGuard {
 public:
  explicit LockGuard(const fs::path& state_dir) {
    fd_ = ::open((state_dir / "lock.guard").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return;  // a read-only folder: link() below still decides alone
    while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~LockGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  int fd_ = -1;
};

enum class Created { kYes, kExists, kFailed };

// Puts `contents` at `path` whole, only if nothing is there: a synced temp
// file, then link() (or rename without replace where links are not allowed).
Created create_whole(const fs::path& path, const std::string& contents, std::string& error) {
  std::string temp = (path.parent_path() / ("." + path.filename().string() + ".new-XXXXXX"));
  int fd = ::mkstemp(temp.data());
  if (fd < 0) {
    error = "cannot create a temp file beside " + path.string() + ": " + std::strerror(errno);
    return Created::kFailed;
  }
  bool written =
      ::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size());
  written = ::fchmod(fd, 0644) == 0 && ::fsync(fd) == 0 && written;
  ::close(fd);
  if (!written) {
    error = "cannot write " + temp + ": " + std::strerror(errno);
    ::unlink(temp.c_str());
    return Created::kFailed;
  }
  int rc = ::link(temp.c_str(), path.c_str());
  int err = rc == 0 ? 0 : errno;
  if (rc != 0 && (err == EPERM || err == EOPNOTSUPP || err == EMLINK)) {
    rc = ::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
    err = rc == 0 ? 0 : errno;
  }
  ::unlink(temp.c_str());
  if (rc == 0) return Created::kYes;
  if (err == EEXIST) return Created::kExists;
  error = "cannot create " + path.string() + ": " + std::strerror(err);
  return Created::kFailed;
}

std::string held_message(const LockInfo& held) {
  return "the instance is locked by run " + escape_control(held.run_id) + " (pid " +
         std::to_string(held.pid) + " on " + escape_control(held.host) + ", by " +
         escape_control(held.owner) + ", since " + format_utc(held.created) +
         "); wait for it to finish, or if that run is dead: mi2 instance unlock " +
         escape_control(held.lock_id);
}

std::string broken_message(const fs::path& path, const LockFile& file) {
  return "the lock file " + path.string() + " " + file.problem +
         ", so mi2 cannot tell which run holds the instance and will not take it over; another "
         "run may be writing it: if no run is using the instance, remove it with 'mi2 instance "
         "unlock " +
         file.broken_id + "'";
}

// Appends the takeover to <state_dir>/lock-takeovers.jsonl (synced), so that
// every takeover is on record even if the new run dies at once.
Status journal_takeover(const fs::path& state_dir, const LockInfo& stale, const LockInfo& taker) {
  Json event = {{"event", "lock_taken_over"},
                {"at", now_seconds()},
                {"reason", now_seconds() > stale.created + static_cast<double>(stale.ttl_seconds)
                               ? "lease expired"
                               : "holder process gone"},
                {"stale", stale.to_json()},
                {"taken_by", taker.to_json()}};
  fs::path path = state_dir / "lock-takeovers.jsonl";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("cannot open " + path.string() + ": " + std::strerror(errno));
  std::string line = event.dump() + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ok = ::fsync(fd) == 0 && ok;
  int err = errno;
  ::close(fd);
  if (!ok) return make_error("cannot write " + path.string() + ": " + std::strerror(err));
  return {};
}

template <class T>
bool read_field(const Json& json, const char* key, T& out) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) return true;
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return false;
  } else {
    if (!it->is_number()) return false;
  }
  out = it->get<T>();
  return true;
}

}  // namespace

Json LockInfo::to_json() const {
  return Json{{"lock_id", lock_id},
              {"run_id", run_id},
              {"owner", owner},
              {"host", host},
              {"pid", pid},
              {"created", created},
              {"ttl_seconds", ttl_seconds}};
}

std::optional<LockInfo> LockInfo::from_json(const Json& json) {
  if (!json.is_object()) return std::nullopt;
  LockInfo info;
  bool ok = read_field(json, "lock_id", info.lock_id) && read_field(json, "run_id", info.run_id) &&
            read_field(json, "owner", info.owner) && read_field(json, "host", info.host) &&
            read_field(json, "pid", info.pid) && read_field(json, "created", info.created) &&
            read_field(json, "ttl_seconds", info.ttl_seconds);
  if (!ok || info.lock_id.empty()) return std::nullopt;
  return info;
}

bool LockInfo::stale() const {
  if (now_seconds() > created + static_cast<double>(ttl_seconds)) return true;
  if (host != this_host() || pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

Result<InstanceLock> InstanceLock::acquire(const fs::path& state_dir, const std::string& run_id,
                                           std::chrono::seconds ttl) {
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec)
    return make_error("cannot create the state folder " + state_dir.string() + ": " + ec.message());
  auto path = state_dir / "lock.json";

  LockInfo info;
  info.lock_id = new_lock_id();
  info.run_id = run_id;
  info.owner = this_user();
  info.host = this_host();
  info.pid = static_cast<long>(getpid());
  info.created = now_seconds();
  info.ttl_seconds = static_cast<long>(ttl.count());
  std::string contents = info.to_json().dump(2) + "\n";

  LockGuard guard(state_dir);
  LockFile held;
  for (int attempt = 0; attempt < 3 && held.kind == LockFile::kAbsent; ++attempt) {
    std::string error;
    Created created = create_whole(path, contents, error);
    if (created == Created::kYes) return InstanceLock(path, info);
    if (created == Created::kFailed) return make_error(error);
    held = read_lock_file(path);  // absent again: released by a run that holds no guard here
  }
  if (held.kind == LockFile::kAbsent)
    return make_error("could not take the lock " + path.string() + " (other runs raced for it)");
  if (held.kind == LockFile::kBroken) return make_error(broken_message(path, held));
  if (!held.lease.stale()) return make_error(held_message(held.lease));

  // Stale: on record first, then replaced in one rename (under the guard, so
  // no other mi2 on this host is between the read and the rename).
  if (auto journaled = journal_takeover(state_dir, held.lease, info); !journaled)
    return make_error("the lock " + path.string() + " is stale but its takeover cannot be " +
                      "journaled (" + journaled.message() + "); nothing was changed");
  if (auto written = write_file_atomic(path, contents); !written) return written.error();
  InstanceLock lock(path, info);
  lock.took_over_ = held.lease;
  return lock;
}

Status InstanceLock::force_unlock(const fs::path& state_dir, const std::string& lock_id) {
  auto path = state_dir / "lock.json";
  LockGuard guard(state_dir);
  LockFile held = read_lock_file(path);
  if (held.kind == LockFile::kAbsent)
    return make_error("the instance is not locked (no " + path.string() + ")");
  std::string id = held.kind == LockFile::kLease ? held.lease.lock_id : held.broken_id;
  if (id != lock_id) {
    if (held.kind == LockFile::kBroken)
      return make_error("the lock file " + path.string() + " " + held.problem +
                        "; its unlock id is " + id + ", not " + escape_control(lock_id) +
                        "; nothing was removed");
    return make_error("the instance's lock id is " + escape_control(id) + ", not " +
                      escape_control(lock_id) + "; nothing was removed");
  }
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) return make_error("cannot remove " + path.string() + ": " + ec.message());
  return {};
}

std::optional<LockInfo> InstanceLock::current(const fs::path& state_dir) {
  LockFile file = read_lock_file(state_dir / "lock.json");
  if (file.kind != LockFile::kLease) return std::nullopt;
  return file.lease;
}

InstanceLock::InstanceLock(InstanceLock&& other) noexcept
    : path_(std::move(other.path_)),
      info_(std::move(other.info_)),
      took_over_(std::move(other.took_over_)),
      held_(other.held_) {
  other.held_ = false;
}

InstanceLock::~InstanceLock() {
  release();
}

Status InstanceLock::refresh() {
  if (!held_) return make_error("the instance's lock " + path_.string() + " is no longer held");
  LockGuard guard(path_.parent_path());
  LockFile now = read_lock_file(path_);
  if (now.kind != LockFile::kLease || now.lease.lock_id != info_.lock_id) {
    held_ = false;
    std::string state = now.kind == LockFile::kAbsent ? "is gone (unlocked by hand?)"
                        : now.kind == LockFile::kBroken
                            ? now.problem
                            : "now holds run " + escape_control(now.lease.run_id) + " (lock " +
                                  escape_control(now.lease.lock_id) + ")";
    return make_error("this run (lock " + info_.lock_id +
                      ") lost the instance's lock: " + path_.string() + " " + state);
  }
  info_.created = now_seconds();
  return write_file_atomic(path_, info_.to_json().dump(2) + "\n");
}

void InstanceLock::release() {
  if (!held_) return;
  held_ = false;
  LockGuard guard(path_.parent_path());
  LockFile now = read_lock_file(path_);
  if (now.kind == LockFile::kLease && now.lease.lock_id == info_.lock_id) {
    std::error_code ec;
    fs::remove(path_, ec);
  }
}

}  // namespace mi2
