// Shared by every command: the context a command runs in and the one option
// parser, which accepts both -flag and --flag spellings (as the runbook writes).
#pragma once

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/positional_options.hpp>
#include <boost/program_options/variables_map.hpp>

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace mi2::cli {

namespace po = boost::program_options;

// Exit codes: 0 success, 1 failure, 2 usage error.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Options every command accepts.
struct GlobalOptions {
  std::vector<std::string> plugin_dirs;  // --plugin-dir (repeatable)
  std::string log_format = "text";       // --log-format text|json
  int verbosity = 0;                     // -v (repeatable)
  bool quiet = false;                    // -q/--quiet: only what a script needs
  std::string isolation;                 // --isolation process|in-process; empty: mi2.yaml's
};

// What parse() records, instead of parsing, when CommandContext::describe is
// set: the command's options, for `mi2 completion`.
struct OptionSpec {
  std::string long_name;  // "target-version"
  char short_name = 0;    // 'e', or 0
  bool takes_value = false;
  std::string description;
};
struct CommandSpec {
  std::vector<OptionSpec> options;  // the command's own, then the global ones
  bool positional = false;          // takes bare words
};

struct CommandContext {
  std::string name;               // "instance upgrade"
  std::string summary;            // one line, for --help
  std::vector<std::string> args;  // what follows the command's name
  GlobalOptions global;
  std::filesystem::path cwd;
  std::ostream* out;
  std::ostream* err;
  CommandSpec* describe = nullptr;  // set: parse() fills it and the command returns
};

struct Parsed {
  po::variables_map vm;
  std::vector<std::string> positional;
};

// Parses ctx.args against `options` (plus --help and the global options, whose
// values land in ctx.global). `positional_name`, when given, collects the
// remaining bare words. Returns nullopt with `exit_code` set when --help was
// printed (0) or the usage was wrong (2, with one sentence and a hint), and
// when ctx.describe asked for the options only (0).
std::optional<Parsed> parse(CommandContext& ctx, const std::string& usage,
                            const po::options_description& options, int& exit_code,
                            const char* positional_name = nullptr, int positional_max = -1);

// A command's subcommand ("pr list", "env tracking-issue sync").
struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(CommandContext&);
};

// Runs the subcommand ctx.args names first (its words join ctx.name). Bare,
// or with --help, prints `usage` and one line per subcommand to stdout (exit
// 2, or 0 for --help); an unknown one is a usage error.
int run_subcommand(CommandContext& ctx, const std::vector<Subcommand>& subcommands,
                   const std::string& usage);

// Prints "mi2 <command>: <message>" to stderr; returns kExitFailure.
int fail(const CommandContext& ctx, const std::string& message);
// Prints a usage error with a pointer to --help; returns kExitUsage.
int usage_error(const CommandContext& ctx, const std::string& message);

// Sets up logging (spdlog) from the global options: text or JSON lines on
// stderr, -v for debug; every line goes through the secret redactor.
void configure_logging(const GlobalOptions& global);

}  // namespace mi2::cli
