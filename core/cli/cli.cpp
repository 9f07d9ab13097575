#include "core/cli/cli.h"

#include <boost/program_options/parsers.hpp>

#include <iostream>
#include <sstream>

#include "core/base/log.h"
#include "core/base/text.h"
#include "core/fleet/fleet_config.h"

namespace mi2::cli {
namespace {

void describe_options(const po::options_description& options, CommandSpec& spec) {
  for (const auto& option : options.options()) {
    OptionSpec one;
    one.long_name = option->long_name();
    // format_name() is "-e [ --environment ]" when there is a short name.
    std::string shown = option->format_name();
    if (shown.size() > 1 && shown[0] == '-' && shown[1] != '-') one.short_name = shown[1];
    one.takes_value = option->semantic()->min_tokens() > 0;
    one.description = option->description();
    if (!one.long_name.empty()) spec.options.push_back(std::move(one));
  }
}

}  // namespace

std::optional<Parsed> parse(CommandContext& ctx, const std::string& usage,
                            const po::options_description& options, int& exit_code,
                            const char* positional_name, int positional_max) {
  po::options_description global("Global options");
  global.add_options()("help,h", "Show this help and exit")(
      "plugin-dir", po::value<std::vector<std::string>>()->composing(),
      "Search this folder for plugins first (repeatable)")(
      "log-format", po::value<std::string>()->default_value("text"), "Log lines as text or json")(
      "verbose,v", "Log debug detail")(
      "quiet,q", "Print only what a script needs (ids, results); no progress, no decoration")(
      "isolation", po::value<std::string>(),
      "Run plugins in mi2's process (in-process) or each in its own (process), for bindings "
      "that name no isolation in mi2.yaml");

  if (ctx.describe) {
    describe_options(options, *ctx.describe);
    describe_options(global, *ctx.describe);
    ctx.describe->positional = positional_name && positional_max != 0;
    exit_code = kExitOk;
    return std::nullopt;
  }

  po::options_description all;
  all.add(options).add(global);
  if (positional_name) {
    all.add_options()(positional_name, po::value<std::vector<std::string>>(), "");
  }
  po::positional_options_description positional;
  if (positional_name) positional.add(positional_name, positional_max);

  // unix style minus prefix guessing, plus single-dash long options (-filter).
  int style = (po::command_line_style::unix_style | po::command_line_style::allow_long_disguise) &
              ~po::command_line_style::allow_guessing;
  Parsed parsed;
  try {
    auto parser = po::command_line_parser(ctx.args).options(all).style(style);
    if (positional_name) parser.positional(positional);
    po::store(parser.run(), parsed.vm);
    po::notify(parsed.vm);
  } catch (const po::error& e) {
    exit_code = usage_error(ctx, e.what());
    return std::nullopt;
  }

  if (parsed.vm.count("help")) {
    std::ostringstream help;
    help << "Usage: mi2 " << ctx.name << ' ' << usage << "\n\n" << ctx.summary << "\n\n";
    if (!options.options().empty()) help << options << '\n';
    help << global << '\n';
    *ctx.out << help.str();
    exit_code = kExitOk;
    return std::nullopt;
  }
  if (parsed.vm.count("plugin-dir"))
    ctx.global.plugin_dirs = parsed.vm["plugin-dir"].as<std::vector<std::string>>();
  ctx.global.log_format = parsed.vm["log-format"].as<std::string>();
  if (ctx.global.log_format != "text" && ctx.global.log_format != "json") {
    exit_code = usage_error(
        ctx, "--log-format takes 'text' or 'json', not '" + ctx.global.log_format + "'");
    return std::nullopt;
  }
  if (parsed.vm.count("isolation")) {
    ctx.global.isolation = parsed.vm["isolation"].as<std::string>();
    if (!parse_isolation(ctx.global.isolation)) {
      exit_code = usage_error(ctx, "--isolation takes " + std::string(kIsolationValues) +
                                       ", not '" + ctx.global.isolation + "'");
      return std::nullopt;
    }
  }
  ctx.global.verbosity = parsed.vm.count("verbose") ? 1 : 0;
  ctx.global.quiet = ctx.global.quiet || parsed.vm.count("quiet") > 0;
  if (positional_name && parsed.vm.count(positional_name))
    parsed.positional = parsed.vm[positional_name].as<std::vector<std::string>>();
  configure_logging(ctx.global);
  exit_code = kExitOk;
  return parsed;
}

// Messages echo input (slugs, versions, keys, file contents, plugin output):
// control bytes are escaped so that input can never forge a line or a
// terminal sequence.
int run_subcommand(CommandContext& ctx, const std::vector<Subcommand>& subcommands,
                   const std::string& usage) {
  std::string sub = ctx.args.empty() ? "" : ctx.args.front();
  for (const auto& entry : subcommands) {
    if (sub != entry.name) continue;
    ctx.args.erase(ctx.args.begin());
    ctx.name += " " + sub;
    ctx.summary = entry.summary;
    return entry.run(ctx);
  }
  bool help = sub == "--help" || sub == "-h" || sub == "-help";
  std::ostream& os = sub.empty() || help ? *ctx.out : *ctx.err;
  os << "Usage: " << usage << "\n\n";
  for (const auto& entry : subcommands)
    os << "  mi2 " << ctx.name << " " << entry.name << "\t" << entry.summary << '\n';
  if (help) return kExitOk;
  return sub.empty() ? kExitUsage : usage_error(ctx, "unknown subcommand '" + sub + "'");
}

int fail(const CommandContext& ctx, const std::string& message) {
  *ctx.err << "mi2 " << ctx.name << ": " << escape_control(message) << '\n';
  return kExitFailure;
}

int usage_error(const CommandContext& ctx, const std::string& message) {
  *ctx.err << "mi2 " << ctx.name << ": " << escape_control(message) << "\nRun 'mi2 " << ctx.name
           << " --help' for usage.\n";
  return kExitUsage;
}

void configure_logging(const GlobalOptions& global) {
  // --quiet keeps warnings and errors only; -v wins over it.
  int verbosity = global.verbosity > 0 ? global.verbosity : (global.quiet ? -1 : 0);
  init_logging(global.log_format == "json" ? LogFormat::kJson : LogFormat::kText, verbosity);
}

}  // namespace mi2::cli
