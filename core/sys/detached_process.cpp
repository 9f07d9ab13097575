#include "core/sys/detached_process.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

extern char** environ;

namespace mi2 {
namespace {

void close_other_fds(int keep) {
  long max = sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 65536) max = 65536;
  for (int fd = 3; fd < max; ++fd)
    if (fd != keep) close(fd);
}

// Runs in the grandchild: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(char* const* argv, char* const* envp, const char* cwd, int log_fd,
                             int report_fd) {
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
  if (cwd && chdir(cwd) != 0) {
    int error = errno;
    ssize_t ignored = write(report_fd, &error, sizeof error);
    (void)ignored;
    _exit(127);
  }
  execve(argv[0], argv, envp);
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

// The environment with `extra` entries added or replacing same-named ones.
std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& x : extra)
      if (x.compare(0, name.size() + 1, name + "=") == 0) replaced = true;
    if (!replaced) out.push_back(entry);
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

}  // namespace

pid_t spawn_detached(const DetachedRequest& request, std::string& error) {
  const auto& argv = request.argv;
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    error = "a detached program must be given by absolute path";
    return -1;
  }
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<std::string> env = merged_environment(request.env);
  std::vector<char*> cenv;
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  std::string pid_path = request.pid_file;
  std::string pid_temp = pid_path + ".new";
  if (!pid_path.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(pid_path).parent_path(), ec);
  }
  const char* log = request.log_path.empty() ? "/dev/null" : request.log_path.c_str();
  int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    error = std::string("cannot open the log ") + log + ": " + std::strerror(errno);
    return -1;
  }
  // pid_pipe carries the grandchild's pid; err_pipe (close-on-exec) carries
  // errno when exec fails and closes silently when it succeeds.
  int pid_pipe[2], err_pipe[2];
  if (pipe2(pid_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(log_fd);
    error = "cannot create a pipe to start " + argv[0];
    return -1;
  }
  const char* cwd = request.cwd.empty() ? nullptr : request.cwd.c_str();
  pid_t child = fork();
  if (child < 0) {
    close(log_fd);
    error = "cannot fork to start " + argv[0] + ": " + std::strerror(errno);
    return -1;
  }
  if (child == 0) {
    setsid();
    pid_t grandchild = fork();
    if (grandchild == 0) exec_child(cargv.data(), cenv.data(), cwd, log_fd, err_pipe[1]);
    if (grandchild > 0 && !pid_path.empty())
      write_pid_file(pid_temp.c_str(), pid_path.c_str(), grandchild);
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
  if (n != sizeof pid || pid <= 0) {
    error = "cannot fork to start " + argv[0];
    return -1;
  }
  if (e == sizeof exec_errno) {
    error = "cannot run " + argv[0] + ": " + std::strerror(exec_errno);
    return -1;
  }
  return pid;
}

bool process_alive(pid_t pid, const std::string& program) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  size_t paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 >= text.size()) return false;
  char state = text[paren + 2];
  if (state == 'Z' || state == 'X') return false;
  if (program.empty()) return true;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  if (ec) return true;  // not ours to read: trust kill()
  std::string name = exe.filename().string();
  return name == program || name == program + " (deleted)";
}

bool wait_process_gone(pid_t pid, const std::string& program, std::chrono::milliseconds timeout,
                       const std::function<bool()>& cancelled) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (process_alive(pid, program)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (cancelled && cancelled()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

unsigned short free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  unsigned short port = 0;
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  close(fd);
  return port;
}

}  // namespace mi2
