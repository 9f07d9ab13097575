#include "tests/support/mi2_process.h"

#include <fcntl.h>
#include <unistd.h>

#include "core/sys/process_runner.h"

#ifndef MI2_EXE
#define MI2_EXE "mi2"
#endif

namespace mi2::test {

Mi2Result run_mi2(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                  const std::vector<std::string>& env) {
  ProcessRequest request;
  request.argv.push_back(MI2_EXE);
  request.argv.insert(request.argv.end(), args.begin(), args.end());
  request.cwd = cwd.string();
  request.env = env;
  request.timeout = std::chrono::seconds(120);
  SystemProcessRunner runner;
  auto result = runner.run(request);
  return {result.exit_code, result.out, result.err + result.spawn_error};
}

pid_t spawn_mi2(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                const std::filesystem::path& log, const std::vector<std::string>& env) {
  std::vector<std::string> argv{MI2_EXE};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid != 0) return pid;
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
  }
  if (chdir(cwd.c_str()) != 0) _exit(127);
  for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  execv(cargv[0], cargv.data());
  _exit(127);
}

}  // namespace mi2::test
