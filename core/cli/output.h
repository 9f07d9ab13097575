// How commands print, the same everywhere (kubectl's and gh's habits): a table
// for people, JSON for scripts with --json or -o json, ids only with --quiet;
// colour only on a terminal, never with NO_COLOR set.
#pragma once

#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/cli/cli.h"

namespace mi2::cli {

enum class OutputMode { kTable, kJson, kQuiet };

// Adds -o/--output json|table and, unless the command has its own, --json.
void add_output_options(po::options_description& options, bool with_json_flag = true);
// The mode the flags ask for (--json or -o json; else --quiet; else a table).
// nullopt after a usage error (an -o other than json or table), `exit_code` set.
std::optional<OutputMode> output_mode(const CommandContext& ctx, const Parsed& parsed,
                                      int& exit_code);

// ANSI colour for one stream: on only when it is a terminal, NO_COLOR is unset
// (or empty) and TERM is not "dumb".
struct Style {
  bool color = false;
  std::string paint(const std::string& text, const char* code) const;
  std::string bold(const std::string& t) const { return paint(t, "1"); }
  std::string dim(const std::string& t) const { return paint(t, "2"); }
  std::string red(const std::string& t) const { return paint(t, "31"); }
  std::string green(const std::string& t) const { return paint(t, "32"); }
  std::string yellow(const std::string& t) const { return paint(t, "33"); }
  // Green for ok/succeeded/applied, red for failed/dirty, yellow for the rest
  // of the words a result column holds (pending, running, rolled-back...).
  std::string result(const std::string& word) const;
};
Style style_for(const std::ostream& stream);
// True when `stream` is a terminal that can redraw a line in place (TERM is
// not "dumb"): live progress is shown there, plain lines elsewhere.
bool is_live_terminal(const std::ostream& stream);

// Columns padded to the widest cell, two spaces apart; the first row is the
// header (bold in colour). `result_column` is coloured by Style::result.
using TableRow = std::vector<std::string>;
void print_table(std::ostream& out, const std::vector<TableRow>& rows, const Style& style,
                 int result_column = -1);

}  // namespace mi2::cli
