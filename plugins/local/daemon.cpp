#include "daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <mi2/sdk/host.hpp>
#include <thread>

namespace mi2::local {
namespace {

void close_other_fds(int keep) {
  long max = sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 65536) max = 65536;
  for (int fd = 3; fd < max; ++fd)
    if (fd != keep) close(fd);
}

// Runs in the grandchild: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(char* const* argv, int log_fd, int report_fd) {
  int null_fd = open("/dev/null", O_RDONLY);
  dup2(null_fd, STDIN_FILENO);
  dup2(log_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  close_other_fds(report_fd);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  execv(argv[0], argv);
  int error = errno;
  ssize_t ignored = write(report_fd, &error, sizeof error);
  (void)ignored;
  _exit(127);
}

// Writes "<pid>\n" to `path` through `temp` and rename: async-signal-safe.
void write_pid_file(const char* temp, const char* path, pid_t pid) {
  char digits[24];
  int n = 0;
  char reversed[24];
  for (long v = pid; v > 0 && n < 20; v /= 10) reversed[n++] = static_cast<char>('0' + v % 10);
  for (int i = 0; i < n; ++i) digits[i] = reversed[n - 1 - i];
  digits[n++] = '\n';
  int fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t ignored = write(fd, digits, static_cast<size_t>(n));
  (void)ignored;
  close(fd);
  rename(temp, path);
}

}  // namespace

pid_t spawn_daemon(const std::vector<std::string>& argv, const std::filesystem::path& log,
                   const std::filesystem::path& pid_file) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/')
    throw sdk::failed("a workload program must be given by absolute path");
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  std::filesystem::create_directories(pid_file.parent_path());
  std::string pid_path = pid_file.string();
  std::string pid_temp = pid_path + ".new";
  int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw sdk::failed("cannot open the workload log " + log.string());
  // pid_pipe carries the grandchild's pid; err_pipe (close-on-exec) carries
  // errno when exec fails and closes silently when it succeeds.
  int pid_pipe[2], err_pipe[2];
  if (pipe2(pid_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(log_fd);
    throw sdk::failed("cannot create a pipe to start " + argv[0]);
  }
  pid_t child = fork();
  if (child < 0) {
    close(log_fd);
    throw sdk::failed("cannot fork to start " + argv[0] + ": " + std::strerror(errno));
  }
  if (child == 0) {
    setsid();
    pid_t grandchild = fork();
    if (grandchild == 0) exec_child(cargv.data(), log_fd, err_pipe[1]);
    if (grandchild > 0) write_pid_file(pid_temp.c_str(), pid_path.c_str(), grandchild);
    ssize_t ignored = write(pid_pipe[1], &grandchild, sizeof grandchild);
    (void)ignored;
    _exit(grandchild < 0 ? 1 : 0);
  }
  close(log_fd);
  close(pid_pipe[1]);
  close(err_pipe[1]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  pid_t pid = -1;
  ssize_t n = read(pid_pipe[0], &pid, sizeof pid);
  close(pid_pipe[0]);
  int exec_errno = 0;
  ssize_t e = -1;
  do {
    e = read(err_pipe[0], &exec_errno, sizeof exec_errno);
  } while (e < 0 && errno == EINTR);
  close(err_pipe[0]);
  if (n != sizeof pid || pid <= 0) throw sdk::failed("cannot fork to start " + argv[0]);
  if (e == sizeof exec_errno)
    throw sdk::failed("cannot run " + argv[0] + ": " + std::strerror(exec_errno));
  return pid;
}

bool daemon_alive(pid_t pid, const std::string& program) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  size_t paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 >= text.size()) return false;
  char state = text[paren + 2];
  if (state == 'Z' || state == 'X') return false;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  if (ec) return true;  // not ours to read: trust kill()
  std::string name = exe.filename().string();
  return name == program || name == program + " (deleted)";
}

void stop_daemon(pid_t pid, const std::string& program, int grace_ms) {
  if (!daemon_alive(pid, program)) return;
  kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (daemon_alive(pid, program)) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace mi2::local
