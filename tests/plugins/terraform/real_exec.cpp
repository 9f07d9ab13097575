#include "tests/plugins/terraform/real_exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

namespace mi2::terraform::test {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void exec_child(const RunRequest& request) {
  if (!request.cwd.empty() && chdir(request.cwd.c_str()) != 0) _exit(127);
  for (const std::string& e : request.env) putenv(strdup(e.c_str()));
  std::vector<char*> argv;
  for (const std::string& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  _exit(127);
}

}  // namespace

sdk::ExecResult run_process(const RunRequest& request) {
  sdk::ExecResult result;
  int in[2], out[2], err[2];
  if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0) return result;
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    exec_child(request);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!request.stdin_data.empty())
    (void)!write(in[1], request.stdin_data.data(), request.stdin_data.size());
  close(in[1]);
  auto deadline = Clock::now() + std::chrono::milliseconds(request.timeout_ms);
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[8192];
  while (open_fds > 0) {
    if (Clock::now() > deadline) {
      kill(-pid, SIGKILL);
      result.timed_out = true;
      break;
    }
    if (poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  return result;
}

void make_exec_real(sdk::FakeHost& fake, std::vector<sdk::ExecResult>* seen) {
  fake.on_exec = [seen](const sdk::FakeHost::ExecCall& call) {
    sdk::ExecResult r = run_process({call.argv, call.env, call.cwd, call.stdin_data,
                                     call.timeout_ms ? static_cast<int>(call.timeout_ms) : 60000});
    if (seen) seen->push_back(r);
    return r;
  };
}

BackgroundProcess::BackgroundProcess(const RunRequest& request, const std::string& log_path) {
  int in[2];
  if (pipe(in) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(in[0], 0);
    dup2(log, 1);
    dup2(log, 2);
    close(in[0]);
    close(in[1]);
    exec_child(request);
  }
  close(in[0]);
  stdin_fd_ = in[1];
}

BackgroundProcess::~BackgroundProcess() {
  close_stdin();
  if (pid_ > 0 && !reaped_) {
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void BackgroundProcess::write_stdin(const std::string& text) {
  if (stdin_fd_ >= 0) (void)!write(stdin_fd_, text.data(), text.size());
}

void BackgroundProcess::close_stdin() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

int BackgroundProcess::wait(int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int status = 0;
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (Clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    if (colon == std::string::npos) colon = dirs.size();
    std::filesystem::path candidate =
        std::filesystem::path(dirs.substr(start, colon - start)) / program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = colon + 1;
  }
  return "";
}

}  // namespace mi2::terraform::test
