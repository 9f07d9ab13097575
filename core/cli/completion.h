// Shell completion, generated from the command table: every command path with
// its options (collected by running each command's parse() in describe mode),
// and the scripts for bash, zsh and fish built from them.
#pragma once

#include <string>
#include <vector>

#include "core/cli/cli.h"

namespace mi2::cli {

struct CompletionPath {
  std::string path;               // "", "instance", "instance backup", "instance backup list"
  CommandSpec spec;               // its options (a group's: the global ones)
  std::vector<std::string> next;  // the words that extend it (commands, subcommands)
  std::string positional;         // what its bare words are: "plugins", "runs", "checks" or ""
};

// Every path a command line can spell, from the command table; hidden commands left out.
std::vector<CompletionPath> completion_paths();

// What an option's value is, by the option's long name: "environments",
// "slugs", "plugins", "runs" (read from the fleet at completion time), "dirs",
// a fixed list of words ("text json"), or "" (nothing to offer).
std::string option_values(const std::string& long_name);
bool is_dynamic_kind(const std::string& kind);

std::string bash_script(const std::vector<CompletionPath>& paths);
std::string zsh_script(const std::vector<CompletionPath>& paths);
std::string fish_script(const std::vector<CompletionPath>& paths);

}  // namespace mi2::cli
