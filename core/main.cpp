// mi2: parses the command's name and dispatches, behind a last-resort
// barrier (no exception leaves main). Nothing else lives here.
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/text.h"
#include "core/base/version.h"
#include "core/cli/command_table.h"

namespace {

using mi2::cli::CommandContext;
using mi2::cli::CommandEntry;

void print_commands(std::ostream& os, std::string_view prefix) {
  os << "Usage: mi2 " << (prefix.empty() ? "<command>" : std::string(prefix) + " <command>")
     << " [options]\n\nCommands:\n";
  for (const auto& c : mi2::cli::command_table()) {
    if (c.hidden) continue;
    if (!prefix.empty() && c.name.substr(0, prefix.size() + 1) != std::string(prefix) + " ")
      continue;
    os << "  mi2 " << c.name;
    for (size_t pad = c.name.size(); pad < 28; ++pad) os << ' ';
    os << c.summary << '\n';
  }
  os << "\nEvery command takes --help. Options may be spelled -flag or --flag.\n"
        "Global options: --plugin-dir DIR, --log-format text|json, -v, -q/--quiet,\n"
        "--isolation process|in-process.\n"
        "Listings and status commands take --json (or -o json) and print a table otherwise.\n";
}

// The last-resort barrier: one sentence, exit 1. Core reports expected
// failures as values, so reaching it is a bug in mi2.
[[noreturn]] void internal_error(const std::string& command, const std::string& what) {
  std::cout.flush();
  std::cerr << "mi2" << (command.empty() ? "" : " " + command)
            << ": internal error: " << mi2::escape_control(what)
            << "; nothing more was done (this is a bug in mi2: please report it with the "
               "command that led to it)"
            << std::endl;
  std::_Exit(mi2::cli::kExitFailure);
}

std::string current_exception_text() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an unknown exception";
  }
}

std::string g_command;  // for the terminate handler: the command being run

int dispatch(int argc, char** argv);

}  // namespace

int main(int argc, char** argv) {
  // An exception that escapes any thread ends here rather than in abort().
  std::set_terminate([] {
    internal_error(g_command, std::current_exception() ? current_exception_text()
                                                       : "std::terminate was called");
  });
  try {
    return dispatch(argc, argv);
  } catch (...) {
    internal_error(g_command, current_exception_text());
  }
}

namespace {

int dispatch(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // Global options may come before the command: move them after it.
  std::vector<std::string> leading;
  while (!args.empty()) {
    const std::string& a = args[0];
    bool takes_value = a == "--plugin-dir" || a == "-plugin-dir" || a == "--log-format" ||
                       a == "-log-format" || a == "--isolation" || a == "-isolation";
    bool flag = a == "-v" || a == "--verbose" || a == "-q" || a == "--quiet" ||
                a.rfind("--plugin-dir=", 0) == 0 || a.rfind("--log-format=", 0) == 0 ||
                a.rfind("--isolation=", 0) == 0;
    if (!takes_value && !flag) break;
    size_t n = takes_value && args.size() > 1 ? 2 : 1;
    leading.insert(leading.end(), args.begin(), args.begin() + static_cast<long>(n));
    args.erase(args.begin(), args.begin() + static_cast<long>(n));
  }
  if (args.empty() || args[0] == "--help" || args[0] == "-help" || args[0] == "-h" ||
      args[0] == "help") {
    print_commands(std::cout, "");
    return args.empty() ? mi2::cli::kExitUsage : mi2::cli::kExitOk;
  }
  if (args[0] == "--version" || args[0] == "-version") {
    std::cout << "mi2 " << mi2::kVersion << " (plugin ABI " << MI2_ABI_VERSION_MAJOR << '.'
              << MI2_ABI_VERSION_MINOR << ")\n";
    return mi2::cli::kExitOk;
  }

  size_t best_words = 0;
  const CommandEntry* best = mi2::cli::find_command(args, best_words);
  if (!best) {
    bool is_group = false;
    for (const auto& c : mi2::cli::command_table())
      is_group |= c.name.substr(0, args[0].size() + 1) == args[0] + " ";
    if (is_group && (args.size() == 1 || args[1] == "--help" || args[1] == "-h")) {
      print_commands(std::cout, args[0]);
      return args.size() == 1 ? mi2::cli::kExitUsage : mi2::cli::kExitOk;
    }
    std::cerr << "mi2: unknown command '" << mi2::escape_control(args[0])
              << (args.size() > 1 && is_group ? " " + mi2::escape_control(args[1]) : "")
              << "'; run 'mi2 --help' for the list of commands.\n";
    return mi2::cli::kExitUsage;
  }

  CommandContext ctx;
  ctx.name = std::string(best->name);
  g_command = ctx.name;
  ctx.summary = std::string(best->summary);
  ctx.args.assign(args.begin() + static_cast<long>(best_words), args.end());
  ctx.args.insert(ctx.args.end(), leading.begin(), leading.end());
  std::error_code ec;
  ctx.cwd = std::filesystem::current_path(ec);
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  return best->run(ctx);
}

}  // namespace
