#include "core/engine/version_policy.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include "core/base/text.h"

namespace mi2 {

std::optional<Version> parse_release_version(const std::string& text) {
  static const std::regex pattern(R"((\d{1,4})\.(\d{1,4})\.(\d{1,6})(?:-(rc\.\d{1,4}))?)");
  std::smatch m;
  if (!std::regex_match(text, m, pattern)) return std::nullopt;
  return Version{std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3]), m[4].str()};
}

bool is_main_branch_tag(const std::string& text) {
  static const std::regex pattern(R"(\d{5,7}_\d{4}-\d{2}-\d{2}_[0-9A-Za-z.\-]*[0-9a-f]{7,40})");
  return std::regex_match(text, pattern);
}

Status validate_version(const std::string& text) {
  if (text.size() > kMaxVersionLength)
    return make_error("the version '" + escape_control(text.substr(0, 40)) + "...' is " +
                      std::to_string(text.size()) + " characters long; a version has at most " +
                      std::to_string(kMaxVersionLength));
  if (parse_release_version(text) || is_main_branch_tag(text)) return {};
  std::string shown = escape_control(text.size() > 80 ? text.substr(0, 77) + "..." : text);
  return make_error("'" + shown +
                    "' is not a version: use a release like 4.1.0, a release candidate like "
                    "4.1.0-rc.1, a main-branch tag like 208045_2023-04-01_5.0-0c4a8d6bb3e2, or "
                    "'latest'");
}

Status check_slug(const std::string& slug) {
  bool ok =
      !slug.empty() && slug.size() <= 63 && slug[0] != '-' && slug[0] != '.' &&
      slug.find("..") == std::string::npos && std::all_of(slug.begin(), slug.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      });
  if (ok) return {};
  std::string shown = escape_control(slug.size() > 80 ? slug.substr(0, 77) + "..." : slug);
  return make_error("the slug '" + shown +
                    "' (spec.displayName) cannot name a branch: use 1 to 63 letters, digits, "
                    "'-', '_' and '.', not starting with '-' or '.'");
}

Status check_upgrade_path(const std::string& from, const std::string& to) {
  auto a = parse_release_version(from);
  auto b = parse_release_version(to);
  if (!a || !b) return {};
  bool same_or_lower_minor = b->major < a->major || (b->major == a->major && b->minor <= a->minor);
  bool next_minor = b->major == a->major && b->minor == a->minor + 1;
  bool next_major = b->major == a->major + 1 && b->minor == 0;
  if (same_or_lower_minor || next_minor || next_major) return {};
  return make_error("upgrading from " + from + " to " + to +
                    " skips more than one minor version, which the migrator refuses; upgrade "
                    "one minor at a time, use the multi-version path, or pass --force");
}

}  // namespace mi2
