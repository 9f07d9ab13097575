#include "core/sys/process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>

extern char** environ;

namespace mi2 {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kPollInterval{50};
constexpr std::chrono::milliseconds kKillGrace{2000};

// The program to exec: argv[0] itself when it names a path, else the first
// executable match on PATH. Empty when there is none.
std::string resolve_program(const std::string& program, const std::string& path_value,
                            const std::string& cwd) {
  if (program.find('/') != std::string::npos) {
    // A relative path is taken from the child's working directory, as exec will.
    std::string where = program[0] != '/' && !cwd.empty() ? cwd + "/" + program : program;
    return access(where.c_str(), X_OK) == 0 ? program : std::string();
  }
  size_t start = 0;
  while (start <= path_value.size()) {
    size_t end = path_value.find(':', start);
    if (end == std::string::npos) end = path_value.size();
    std::string dir = path_value.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + program;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0)
      return candidate;
    start = end + 1;
  }
  return {};
}

// The child's environment: ours, with request.env added or replacing by name.
std::vector<std::string> child_environment(const std::vector<std::string>& additions) {
  std::vector<std::string> result;
  std::map<std::string, size_t> index;
  auto put = [&](const std::string& entry) {
    std::string name = entry.substr(0, entry.find('='));
    auto it = index.find(name);
    if (it != index.end()) {
      result[it->second] = entry;
      return;
    }
    index.emplace(name, result.size());
    result.push_back(entry);
  };
  for (char** e = environ; e && *e; ++e) put(*e);
  for (const auto& entry : additions)
    if (entry.find('=') != std::string::npos) put(entry);
  return result;
}

std::string lookup_path(const std::vector<std::string>& env) {
  for (const auto& entry : env)
    if (entry.rfind("PATH=", 0) == 0) return entry.substr(5);
  return "/usr/local/bin:/usr/bin:/bin";
}

struct Pipe {
  int read = -1;
  int write = -1;
  bool open() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    read = fds[0];
    write = fds[1];
    return true;
  }
  void close_read() {
    if (read >= 0) ::close(read);
    read = -1;
  }
  void close_write() {
    if (write >= 0) ::close(write);
    write = -1;
  }
  ~Pipe() {
    close_read();
    close_write();
  }
};

// In the child after fork: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(const std::string& program, char* const* argv, char* const* envp,
                             const std::string& cwd, Pipe& in, Pipe& out, Pipe& err, bool has_stdin,
                             int error_fd) {
  setpgid(0, 0);
  // Undo anything the host set that exec would inherit.
  signal(SIGPIPE, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  int stdin_fd = has_stdin ? in.read : open("/dev/null", O_RDONLY);
  if (stdin_fd < 0 || dup2(stdin_fd, 0) < 0 || dup2(out.write, 1) < 0 || dup2(err.write, 2) < 0) {
    int e = errno;
    (void)!write(error_fd, &e, sizeof e);
    _exit(127);
  }
  if (!cwd.empty() && chdir(cwd.c_str()) != 0) {
    int e = -errno;  // negative: the cwd failed, not the exec
    (void)!write(error_fd, &e, sizeof e);
    _exit(127);
  }
  execve(program.c_str(), argv, envp);
  int e = errno;
  (void)!write(error_fd, &e, sizeof e);
  _exit(127);
}

// One started child, from its pipes to its exit status: pumps stdin, stdout
// and stderr, and enforces the timeout, cancellation and kill grace.
class Supervisor {
 public:
  Supervisor(const ProcessRequest& request, ProcessResult& result, pid_t pid, Pipe& in, Pipe& out,
             Pipe& err)
      : request_(request), result_(result), pid_(pid), in_(in), out_(out), err_(err) {}

  void pump() {
    if (!request_.stdin_data.empty()) fcntl(in_.write, F_SETFL, O_NONBLOCK);
    while (out_.read >= 0 || err_.read >= 0) {
      pollfd fds[3];
      int count = 0;
      int out_index = -1, err_index = -1, in_index = -1;
      if (out_.read >= 0) {
        out_index = count;
        fds[count++] = {out_.read, POLLIN, 0};
      }
      if (err_.read >= 0) {
        err_index = count;
        fds[count++] = {err_.read, POLLIN, 0};
      }
      if (in_.write >= 0) {
        in_index = count;
        fds[count++] = {in_.write, POLLOUT, 0};
      }
      int ready = poll(fds, count, static_cast<int>(kPollInterval.count()));
      if (ready < 0 && errno != EINTR) break;
      if (ready > 0) {
        if (out_index >= 0) drain(fds[out_index], out_, result_.out);
        if (err_index >= 0) drain(fds[err_index], err_, result_.err);
        if (in_index >= 0) feed(fds[in_index]);
      }
      Clock::time_point now = enforce_limits();
      // A grandchild holding the pipes open must not keep us here after SIGKILL.
      if (killed_ && now - *term_sent_ >= request_.kill_grace + std::chrono::milliseconds(500))
        break;
    }
    in_.close_write();
  }

  // The pipes closed, but the child may still run (it closed its stdout).
  void reap() {
    int wstatus = 0;
    while (true) {
      pid_t done = waitpid(pid_, &wstatus, WNOHANG);
      if (done == pid_ || (done < 0 && errno != EINTR)) break;
      enforce_limits();
      usleep(10000);
    }
    if (WIFEXITED(wstatus)) {
      result_.exit_code = WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
      result_.term_signal = WTERMSIG(wstatus);
    }
    // Whatever the child left behind in its group goes with it.
    if (term_sent_) kill(-pid_, SIGKILL);
  }

 private:
  void drain(const pollfd& fd, Pipe& pipe, std::string& into) {
    if (!(fd.revents & (POLLIN | POLLHUP | POLLERR))) return;
    ssize_t got = read(pipe.read, buffer_, sizeof buffer_);
    if (got > 0)
      into.append(buffer_, static_cast<size_t>(got));
    else if (got == 0 || (errno != EINTR && errno != EAGAIN))
      pipe.close_read();
  }

  void feed(const pollfd& fd) {
    if (!(fd.revents & (POLLOUT | POLLERR | POLLHUP))) return;
    const std::string& data = request_.stdin_data;
    ssize_t put = write(in_.write, data.data() + written_, data.size() - written_);
    if (put > 0) written_ += static_cast<size_t>(put);
    // EPIPE: the child does not read its input; that is its business.
    if ((put < 0 && errno != EAGAIN && errno != EINTR) || written_ == data.size())
      in_.close_write();
  }

  void stop(bool timed_out) {
    if (term_sent_) return;
    if (timed_out)
      result_.timed_out = true;
    else
      result_.cancelled = true;
    kill(-pid_, request_.stop_signal > 0 ? request_.stop_signal : SIGTERM);
    term_sent_ = Clock::now();
  }

  // Timeout, cancellation and the kill after the grace period; returns now.
  Clock::time_point enforce_limits() {
    Clock::time_point now = Clock::now();
    if (request_.timeout.count() > 0 && now - start_ >= request_.timeout) stop(true);
    if (request_.cancelled && !term_sent_ && request_.cancelled()) stop(false);
    if (term_sent_ && !killed_ && now - *term_sent_ >= request_.kill_grace) {
      kill(-pid_, SIGKILL);
      killed_ = true;
    }
    return now;
  }

  const ProcessRequest& request_;
  ProcessResult& result_;
  pid_t pid_;
  Pipe& in_;
  Pipe& out_;
  Pipe& err_;
  Clock::time_point start_ = Clock::now();
  std::optional<Clock::time_point> term_sent_;
  bool killed_ = false;
  size_t written_ = 0;
  char buffer_[65536];
};

// The program exec will run, or "" with result.spawn_error set.
std::string runnable_program(const ProcessRequest& request, const std::vector<std::string>& env,
                             ProcessResult& result) {
  if (request.argv.empty() || request.argv[0].empty()) {
    result.spawn_error = "no program was given to run";
    return {};
  }
  const std::string& name = request.argv[0];
  std::string program = resolve_program(name, lookup_path(env), request.cwd);
  if (program.empty()) {
    result.spawn_error = name.find('/') != std::string::npos
                             ? "'" + name + "' does not exist or is not executable"
                             : "'" + name + "' was not found on PATH";
    return {};
  }
  if (!request.cwd.empty()) {
    struct stat st {};
    if (stat(request.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      result.spawn_error =
          "cannot run '" + name + "': the working directory '" + request.cwd + "' does not exist";
      return {};
    }
  }
  return program;
}

// After fork: did exec succeed? The status pipe closes on exec (CLOEXEC) or
// carries errno; on a failure the child is reaped and spawn_error set.
bool exec_succeeded(const ProcessRequest& request, pid_t pid, Pipe& status, ProcessResult& result) {
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(status.read, &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n != sizeof child_errno) return true;
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  const std::string& name = request.argv[0];
  result.spawn_error = child_errno < 0 ? "cannot run '" + name + "' in '" + request.cwd +
                                             "': " + std::strerror(-child_errno)
                                       : "cannot run '" + name + "': " + std::strerror(child_errno);
  return false;
}

}  // namespace

ProcessResult SystemProcessRunner::run(const ProcessRequest& request) {
  // A child that stops reading its stdin must not kill the host with SIGPIPE;
  // the write then fails with EPIPE instead. (The child gets SIG_DFL back.)
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { signal(SIGPIPE, SIG_IGN); });

  ProcessResult result;
  std::vector<std::string> env = child_environment(request.env);
  std::string program = runnable_program(request, env, result);
  if (program.empty()) return result;
  const std::string& name = request.argv[0];

  std::vector<char*> argv;
  for (const auto& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  bool has_stdin = !request.stdin_data.empty();
  Pipe in, out, err, status;
  if ((has_stdin && !in.open()) || !out.open() || !err.open() || !status.open()) {
    result.spawn_error = "cannot run '" + name + "': " + std::strerror(errno);
    return result;
  }
  pid_t pid = fork();
  if (pid < 0) {
    result.spawn_error = "cannot run '" + name + "': " + std::strerror(errno);
    return result;
  }
  if (pid == 0)
    exec_child(program, argv.data(), envp.data(), request.cwd, in, out, err, has_stdin,
               status.write);
  setpgid(pid, pid);  // also in the parent, so a kill never races the child's own call

  in.close_read();
  out.close_write();
  err.close_write();
  status.close_write();
  if (!exec_succeeded(request, pid, status, result)) return result;
  if (!has_stdin) in.close_write();

  Supervisor supervisor(request, result, pid, in, out, err);
  supervisor.pump();
  supervisor.reap();
  return result;
}

}  // namespace mi2
