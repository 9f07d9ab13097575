#include "forge_common/forge_text.h"

#include <mi2/sdk/host.hpp>

#include <cctype>
#include <cstdlib>
#include <regex>
#include <sstream>

#include "forge_common/tracking_checklist.h"

namespace mi2::forge {

bool valid_branch_name(const std::string& name) {
  if (name.empty() || name.size() > 200) return false;
  if (name.front() == '-' || name.front() == '/' || name.back() == '/' || name.back() == '.')
    return false;
  if (name.find("..") != std::string::npos || name.find("//") != std::string::npos) return false;
  if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".lock") == 0) return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '/' && c != '-') return false;
  return true;
}

bool checklist_item(const std::string& line, size_t& box, std::string& text) {
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string::npos || (line[i] != '-' && line[i] != '*')) return false;
  if (line.compare(i + 1, 2, " [") != 0 || line.size() < i + 5 || line[i + 4] != ']') return false;
  box = i + 3;
  text = line.substr(i + 5);
  size_t start = text.find_first_not_of(' ');
  text = start == std::string::npos ? "" : text.substr(start);
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return true;
}

bool item_names(const std::string& text, const std::string& instance) {
  if (instance.empty()) return false;
  if (text == instance) return true;
  if (text.rfind(instance + " (", 0) == 0) return true;  // "<slug> (<id>)"
  return text.find("(" + instance + ")") != std::string::npos;
}

TickResult tick_checklist(std::string& body, const std::string& instance) {
  std::string out;
  TickResult result = TickResult::kNotListed;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('\n', start);
    std::string line =
        body.substr(start, end == std::string::npos ? std::string::npos : end - start);
    size_t box = 0;
    std::string text;
    if (checklist_item(line, box, text) && item_names(without_failure_mark(text), instance)) {
      if (line[box] == ' ') {
        // Merged: whatever failed before is over, so its mark goes.
        size_t mark = line.find(kFailureMark);
        if (mark != std::string::npos)
          line = line.substr(0, mark) + (line.back() == '\r' ? "\r" : "");
        line[box] = 'x';
        result = TickResult::kTicked;
      } else if (result == TickResult::kNotListed) {
        result = TickResult::kAlreadyTicked;
      }
    }
    out += line;
    if (end == std::string::npos) break;
    out += '\n';
    start = end + 1;
  }
  body = out;
  return result;
}

std::string strip_v_prefix(const std::string& tag) {
  if (tag.size() > 1 && (tag[0] == 'v' || tag[0] == 'V') && std::isdigit((unsigned char)tag[1]))
    return tag.substr(1);
  return tag;
}

std::string newest_main_branch_tag(const std::vector<std::string>& tags) {
  // The same shape the host accepts as a version (core/version_policy.cpp).
  static const std::regex pattern(R"((\d{5,7})_\d{4}-\d{2}-\d{2}_[0-9A-Za-z.\-]*[0-9a-f]{7,40})");
  std::string newest;
  long long newest_build = -1;
  for (const auto& tag : tags) {
    std::smatch match;
    if (!std::regex_match(tag, match, pattern)) continue;
    long long build = std::stoll(match[1].str());
    if (build > newest_build) {
      newest_build = build;
      newest = tag;
    }
  }
  return newest;
}

int64_t parse_number(const nlohmann::json& value, const std::string& what) {
  if (value.is_number_integer() && value.get<int64_t>() > 0) return value.get<int64_t>();
  if (value.is_string()) {
    std::string text = value.get<std::string>();
    if (!text.empty() && text[0] == '#') text.erase(0, 1);
    if (!text.empty() && text.size() < 16 &&
        text.find_first_not_of("0123456789") == std::string::npos && text != "0")
      return std::stoll(text);
  }
  throw sdk::invalid_input(what + " must be a positive number, not " + value.dump() + ".");
}

namespace {
bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}
}  // namespace

bool contains_token(const std::string& text, const std::string& token) {
  if (token.empty()) return false;
  for (size_t at = text.find(token); at != std::string::npos; at = text.find(token, at + 1)) {
    bool before = at > 0 && token_char(text[at - 1]);
    size_t end = at + token.size();
    bool after = end < text.size() && token_char(text[end]);
    if (!before && !after) return true;
  }
  return false;
}

std::string text_of(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return "";
  return object[key].get<std::string>();
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string env_text(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : "";
}

}  // namespace mi2::forge
