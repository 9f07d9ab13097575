#include "core/engine/instance_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
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
  char id[20];
  std::snprintf(id, sizeof id, "lk-%08x", rd());
  return id;
}

std::optional<LockInfo> read_lock(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  Json json = Json::parse(ss.str(), nullptr, false);
  if (json.is_discarded()) return std::nullopt;
  return LockInfo::from_json(json);
}

// Creates the lock file only if none exists (O_EXCL), so two runs racing for a
// free instance cannot both win.
bool create_exclusive(const std::filesystem::path& path, const std::string& contents) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  bool ok = ::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size());
  ::fsync(fd);
  ::close(fd);
  return ok;
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
  if (!json.is_object() || !json.contains("lock_id")) return std::nullopt;
  LockInfo info;
  info.lock_id = json.value("lock_id", "");
  info.run_id = json.value("run_id", "");
  info.owner = json.value("owner", "");
  info.host = json.value("host", "");
  info.pid = json.value("pid", 0L);
  info.created = json.value("created", 0.0);
  info.ttl_seconds = json.value("ttl_seconds", 0L);
  return info;
}

bool LockInfo::stale() const {
  if (now_seconds() > created + static_cast<double>(ttl_seconds)) return true;
  if (host != this_host() || pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

Result<InstanceLock> InstanceLock::acquire(const std::filesystem::path& state_dir,
                                           const std::string& run_id, std::chrono::seconds ttl) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
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

  std::optional<LockInfo> took_over;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (create_exclusive(path, contents)) {
      InstanceLock lock(path, info);
      lock.took_over_ = took_over;
      return lock;
    }
    auto held = read_lock(path);
    if (held && !held->stale()) {
      return make_error("the instance is locked by run " + held->run_id + " (pid " +
                        std::to_string(held->pid) + " on " + held->host + ", by " + held->owner +
                        ", since " + format_utc(held->created) + "); wait for it to finish, or " +
                        "if that run is dead: mi2 instance unlock " + held->lock_id);
    }
    // Stale or unreadable: take it over. A racing taker loses at O_EXCL.
    took_over = held;
    std::filesystem::remove(path, ec);
  }
  return make_error("could not take the lock " + path.string() + " (another run raced for it)");
}

Status InstanceLock::force_unlock(const std::filesystem::path& state_dir,
                                  const std::string& lock_id) {
  auto path = state_dir / "lock.json";
  auto held = read_lock(path);
  if (!held) return make_error("the instance is not locked (no " + path.string() + ")");
  if (held->lock_id != lock_id) {
    return make_error("the instance's lock id is " + held->lock_id + ", not " + lock_id +
                      "; nothing was removed");
  }
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (ec) return make_error("cannot remove " + path.string() + ": " + ec.message());
  return {};
}

std::optional<LockInfo> InstanceLock::current(const std::filesystem::path& state_dir) {
  return read_lock(state_dir / "lock.json");
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

void InstanceLock::refresh() {
  if (!held_) return;
  auto held = read_lock(path_);
  if (!held || held->lock_id != info_.lock_id) return;  // someone force-unlocked us
  info_.created = now_seconds();
  (void)write_file_atomic(path_, info_.to_json().dump(2) + "\n");
}

void InstanceLock::release() {
  if (!held_) return;
  held_ = false;
  auto held = read_lock(path_);
  if (held && held->lock_id == info_.lock_id) {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
}

}  // namespace mi2
