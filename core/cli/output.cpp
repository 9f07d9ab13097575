#include "core/cli/output.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace mi2::cli {

void add_output_options(po::options_description& options, bool with_json_flag) {
  if (with_json_flag) options.add_options()("json", "Print JSON (the same as -o json)");
  options.add_options()("output,o", po::value<std::string>(),
                        "Output format: json, or table (the default)");
}

std::optional<OutputMode> output_mode(const CommandContext& ctx, const Parsed& parsed,
                                      int& exit_code) {
  exit_code = kExitOk;
  std::string output = parsed.vm.count("output") ? parsed.vm["output"].as<std::string>() : "";
  if (!output.empty() && output != "json" && output != "table") {
    exit_code = usage_error(ctx, "-o takes 'json' or 'table', not '" + output + "'");
    return std::nullopt;
  }
  bool json_flag = parsed.vm.count("json") > 0;
  if (output == "json" || (json_flag && output != "table")) return OutputMode::kJson;
  if (ctx.global.quiet) return OutputMode::kQuiet;
  return OutputMode::kTable;
}

std::string Style::paint(const std::string& text, const char* code) const {
  if (!color || text.empty()) return text;
  return std::string("\033[") + code + "m" + text + "\033[0m";
}

std::string Style::result(const std::string& word) const {
  static const char* kGood[] = {"ok", "succeeded", "applied", "clean", "planned", "merged"};
  static const char* kBad[] = {"failed", "FAILED", "dirty", "refused", "cancelled", "unfinished"};
  for (const char* good : kGood)
    if (word == good) return green(word);
  for (const char* bad : kBad)
    if (word == bad) return red(word);
  return word.empty() ? word : yellow(word);
}

bool is_live_terminal(const std::ostream& stream) {
  int fd = &stream == &std::cout ? STDOUT_FILENO : &stream == &std::cerr ? STDERR_FILENO : -1;
  if (fd < 0 || !isatty(fd)) return false;
  const char* term = std::getenv("TERM");
  return !(term && std::strcmp(term, "dumb") == 0);
}

Style style_for(const std::ostream& stream) {
  Style style;
  int fd = &stream == &std::cout ? STDOUT_FILENO : &stream == &std::cerr ? STDERR_FILENO : -1;
  if (fd < 0 || !isatty(fd)) return style;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return style;
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return style;
  style.color = true;
  return style;
}

void print_table(std::ostream& out, const std::vector<TableRow>& rows, const Style& style,
                 int result_column) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size());
    }
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (size_t i = 0; i < rows[r].size(); ++i) {
      const std::string& cell = rows[r][i];
      std::string shown = r == 0                                 ? style.bold(cell)
                          : static_cast<int>(i) == result_column ? style.result(cell)
                                                                 : cell;
      line += shown;
      if (i + 1 < rows[r].size()) line += std::string(widths[i] - cell.size() + 2, ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);  // empty last columns leave no padding
    out << line << '\n';
  }
}

}  // namespace mi2::cli
