// Which versions mi2 accepts and which upgrades are safe. A standard upgrade
// moves at most one minor forward (or to the next major's .0); anything else
// needs the multi-version path, or --force.
#pragma once

#include <optional>
#include <string>

#include "core/base/result.h"

namespace mi2 {

struct Version {
  int major = 0, minor = 0, patch = 0;
  std::string prerelease;  // "rc.1" for 4.1.0-rc.1
};

// "4.1.0", "4.1.0-rc.1" (an optional leading "v" is refused: config.yaml has none).
std::optional<Version> parse_release_version(const std::string& text);
// A main-branch build tag, e.g. "208045_2023-04-01_5.0-0c4a8d6bb3e2".
bool is_main_branch_tag(const std::string& text);
// Either of the above, at most kMaxVersionLength characters. The error says
// what a valid version looks like.
inline constexpr size_t kMaxVersionLength = 64;
Status validate_version(const std::string& text);

// A slug (spec.displayName) usable in a branch name and a file name: 1 to 63
// of [A-Za-z0-9._-], not starting with '-' or '.', without "..".
Status check_slug(const std::string& slug);
// Refuses a skip of more than one minor (or a jump to a later major's non-.0),
// naming both versions and the way out. Tags and unknown previous versions pass.
Status check_upgrade_path(const std::string& from, const std::string& to);

}  // namespace mi2
