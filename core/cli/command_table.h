// The table of every mi2 command: its words, summary, handler, subcommands and
// what its bare words name. main.cpp dispatches through it; `mi2 --help` and
// `mi2 completion` are generated from it.
#pragma once

#include <span>
#include <string_view>

#include "core/cli/cli.h"

namespace mi2::cli {

struct CommandEntry {
  std::string_view name;  // words, space-separated: "instance upgrade"
  std::string_view summary;
  int (*run)(CommandContext&);
  std::string_view subcommands = {};  // space-separated words the command takes first
  // What its bare words are, for completion: "plugins", "runs", "checks" or "".
  std::string_view positional_values = {};
  bool hidden = false;  // not in --help nor completion (`__complete`)
};

std::span<const CommandEntry> command_table();

// The longest command whose words prefix `args`, and how many words it took;
// nullptr when none does.
const CommandEntry* find_command(const std::vector<std::string>& args, size_t& words);

}  // namespace mi2::cli
