// Runs the built mi2 binary from tests, in the foreground or the background.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace mi2::test {

struct Mi2Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `mi2 args...` in `cwd` with extra "NAME=value" entries in the environment.
Mi2Result run_mi2(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                  const std::vector<std::string>& env = {});

// Starts `mi2 args...` in the background (output to `log`); returns its pid.
pid_t spawn_mi2(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                const std::filesystem::path& log, const std::vector<std::string>& env = {});

}  // namespace mi2::test
