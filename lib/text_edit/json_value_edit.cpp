#include "lib/text_edit/json_value_edit.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace mi2::text_edit {
namespace {

// A scanner over text already known to be valid JSON: it only finds where
// tokens end, it never judges them.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  size_t skip_space(size_t at) const {
    while (at < text_.size() &&
           (text_[at] == ' ' || text_[at] == '\n' || text_[at] == '\r' || text_[at] == '\t'))
      ++at;
    return at;
  }

  // One past the closing quote of the string starting at `at`.
  size_t string_end(size_t at) const {
    for (size_t i = at + 1; i < text_.size(); ++i) {
      if (text_[i] == '\\') {
        ++i;
      } else if (text_[i] == '"') {
        return i + 1;
      }
    }
    throw std::invalid_argument("unterminated string");
  }

  // One past the value starting at `at`.
  size_t value_end(size_t at) const {
    char c = text_[at];
    if (c == '"') return string_end(at);
    if (c != '{' && c != '[') {
      while (at < text_.size() && text_[at] != ',' && text_[at] != '}' && text_[at] != ']' &&
             text_[at] != ' ' && text_[at] != '\n' && text_[at] != '\r' && text_[at] != '\t')
        ++at;
      return at;
    }
    int depth = 0;
    for (size_t i = at; i < text_.size(); ++i) {
      if (text_[i] == '"') {
        i = string_end(i) - 1;
      } else if (text_[i] == '{' || text_[i] == '[') {
        ++depth;
      } else if ((text_[i] == '}' || text_[i] == ']') && --depth == 0) {
        return i + 1;
      }
    }
    throw std::invalid_argument("unterminated container");
  }

  // The span of member `key`'s value in the object starting at `at`.
  std::optional<TextSpan> member(size_t at, const std::string& key) const {
    if (text_[at] != '{') return std::nullopt;
    size_t i = skip_space(at + 1);
    std::optional<TextSpan> found;
    while (i < text_.size() && text_[i] == '"') {
      size_t key_end = string_end(i);
      std::string name = nlohmann::json::parse(text_.substr(i, key_end - i)).get<std::string>();
      size_t value = skip_space(skip_space(key_end) + 1);  // past ':'
      size_t end = value_end(value);
      if (name == key) found = TextSpan{value, end};  // the last duplicate wins, as in parsers
      i = skip_space(end);
      if (i < text_.size() && text_[i] == ',') i = skip_space(i + 1);
    }
    return found;
  }

 private:
  std::string_view text_;
};

}  // namespace

std::optional<TextSpan> find_json_value(std::string_view text,
                                        const std::vector<std::string>& path) {
  if (!nlohmann::json::accept(text)) throw std::invalid_argument("not valid JSON");
  Scanner scan(text);
  size_t start = scan.skip_space(0);
  TextSpan span{start, scan.value_end(start)};
  for (const std::string& key : path) {
    std::optional<TextSpan> next = scan.member(span.begin, key);
    if (!next) return std::nullopt;
    span = *next;
  }
  return span;
}

std::optional<std::string> replace_json_value(std::string_view text,
                                              const std::vector<std::string>& path,
                                              const std::string& replacement) {
  std::optional<TextSpan> span = find_json_value(text, path);
  if (!span) return std::nullopt;
  std::string out(text.substr(0, span->begin));
  out += replacement;
  out += text.substr(span->end);
  return out;
}

std::vector<std::string> split_key_path(const std::string& dotted) {
  std::vector<std::string> keys(1);
  for (char c : dotted) {
    if (c == '.') {
      keys.emplace_back();
    } else {
      keys.back() += c;
    }
  }
  return keys;
}

}  // namespace mi2::text_edit
