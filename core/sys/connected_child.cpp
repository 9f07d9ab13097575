#include "core/sys/connected_child.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace mi2 {
namespace {

// A frame larger than this is a broken peer, not a message.
constexpr uint32_t kMaxFrame = 512u * 1024 * 1024;

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd, data, size);  // a pipe
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// -1 on error, 0 on EOF before the first byte, 1 when all `size` bytes came.
int read_all(int fd, char* data, size_t size) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd, data + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) return got == 0 ? 0 : -1;
    got += static_cast<size_t>(n);
  }
  return 1;
}

// The child's side of posix_spawn: its own process group, default signal
// dispositions and an empty mask, the socket on fd 3 and stdout on stderr.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;

  explicit SpawnSetup(int child_fd) {
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, child_fd, kChildChannelFd);
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
    posix_spawnattr_init(&attributes);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGHUP}) sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(
        &attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
};

}  // namespace

bool write_frame(int fd, std::string_view payload) {
  if (payload.size() > kMaxFrame) return false;
  uint32_t size = static_cast<uint32_t>(payload.size());
  char header[4] = {static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                    static_cast<char>(size >> 8), static_cast<char>(size)};
  return write_all(fd, header, sizeof header) && write_all(fd, payload.data(), payload.size());
}

FrameRead read_frame(int fd, std::string& payload) {
  unsigned char header[4];
  int got = read_all(fd, reinterpret_cast<char*>(header), sizeof header);
  if (got <= 0) return got == 0 ? FrameRead::kClosed : FrameRead::kError;
  uint32_t size = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) |
                  (uint32_t{header[2]} << 8) | uint32_t{header[3]};
  if (size > kMaxFrame) return FrameRead::kError;
  payload.resize(size);
  if (size > 0 && read_all(fd, payload.data(), size) != 1) return FrameRead::kError;
  return FrameRead::kFrame;
}

std::string describe_wait_status(int status) {
  if (WIFSIGNALED(status)) {
    int number = WTERMSIG(status);
    const char* abbreviation = sigabbrev_np(number);
    return "killed by signal " + std::to_string(number) +
           (abbreviation ? ", SIG" + std::string(abbreviation) : std::string());
  }
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "ended with wait status " + std::to_string(status);
}

void end_with_parent() {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
}

Result<std::unique_ptr<ConnectedChild>> ConnectedChild::start(
    const std::string& program, const std::vector<std::string>& argv) {
  if (argv.empty() || program.empty() || program[0] != '/')
    return make_error("a connected child needs an absolute program path and an argv");
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return make_error("could not create a socket for '" + program + "': " + std::strerror(errno));
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int error = 0;
  {
    SpawnSetup setup(fds[1]);
    error =
        posix_spawn(&pid, argv[0].c_str(), &setup.actions, &setup.attributes, args.data(), environ);
  }
  ::close(fds[1]);
  if (error != 0) {
    ::close(fds[0]);
    return make_error("could not start '" + program + "': " + std::strerror(error));
  }
  return std::unique_ptr<ConnectedChild>(new ConnectedChild(pid, fds[0]));
}

ConnectedChild::~ConnectedChild() {
  if (!reaped_) finish(std::chrono::milliseconds(0));
}

FrameRead ConnectedChild::receive(std::string& payload, std::chrono::milliseconds wait) {
  if (fd_ < 0) return FrameRead::kClosed;
  pollfd entry{fd_, POLLIN, 0};
  int ready = ::poll(&entry, 1, static_cast<int>(wait.count()));
  if (ready < 0 && errno == EINTR) return FrameRead::kTimeout;
  if (ready < 0) return FrameRead::kError;
  if (ready == 0) return FrameRead::kTimeout;
  return read_frame(fd_, payload);
}

int ConnectedChild::finish(std::chrono::milliseconds grace) {
  if (reaped_) return status_;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  auto until = std::chrono::steady_clock::now() + grace;
  while (true) {
    pid_t done = ::waitpid(pid_, &status_, WNOHANG);
    if (done == pid_ || (done < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() >= until) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  reaped_ = true;
  return status_;
}

}  // namespace mi2
