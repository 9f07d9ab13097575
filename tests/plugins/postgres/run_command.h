// Runs a program from a test (fork + exec, argv array, extra environment,
// stdin text), waiting for it and capturing stdout and stderr. Tests may
// start processes; the plugin never does (it goes through the host).
#pragma once

#include <string>
#include <vector>

namespace mi2::postgres::test {

struct CommandResult {
  int exit_code = -1;  // -1 when it did not exit normally or could not start
  std::string out, err;
  bool ok() const { return exit_code == 0; }
};

// argv[0] is looked up on PATH when it has no '/'. `env` entries ("NAME=value")
// are added to (or replace in) this process's environment.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env = {},
                          const std::string& stdin_text = {}, const std::string& cwd = {});

// "a b 'c d'": for messages.
std::string shown(const std::vector<std::string>& argv);

}  // namespace mi2::postgres::test
