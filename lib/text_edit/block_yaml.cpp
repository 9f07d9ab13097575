#include "lib/text_edit/block_yaml.h"

#include <cstdio>

#include "lib/text_edit/plain_scalar.h"

namespace mi2::text_edit {

namespace {

bool has_control(std::string_view value) {
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// The end of the quoted scalar opened by `quote` at `at` (one past the
// closing quote), or npos when it does not close before `end`.
size_t closing_quote(std::string_view text, size_t at, size_t end) {
  char quote = text[at];
  for (size_t q = at + 1; q < end; ++q) {
    if (quote == '\'' && text[q] == '\'' && q + 1 < end && text[q + 1] == '\'') {
      ++q;
    } else if (quote == '"' && text[q] == '\\') {
      ++q;
    } else if (text[q] == quote) {
      return q + 1;
    }
  }
  return std::string_view::npos;
}

// The text of a quoted scalar without its quotes, escapes resolved (the
// common ones; what a tag or a version holds).
std::string unquoted(std::string_view quoted) {
  std::string out;
  char quote = quoted.front();
  for (size_t i = 1; i + 1 < quoted.size(); ++i) {
    char c = quoted[i];
    if (quote == '\'' && c == '\'' && i + 2 < quoted.size()) {
      out += '\'';
      ++i;
    } else if (quote == '"' && c == '\\' && i + 2 < quoted.size()) {
      char e = quoted[++i];
      out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string double_quoted(std::string_view value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    const char* escape = c == '"'    ? "\\\""
                         : c == '\\' ? "\\\\"
                         : c == '\n' ? "\\n"
                         : c == '\t' ? "\\t"
                         : c == '\r' ? "\\r"
                                     : nullptr;
    if (escape) {
      out += escape;
    } else if (c < 0x20 || c == 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string format_scalar(std::string_view value, ScalarStyle style) {
  if (style == ScalarStyle::kSingle && !has_control(value)) {
    std::string out = "'";
    for (char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  }
  if (style == ScalarStyle::kPlain && safe_as_plain_scalar(value)) return std::string(value);
  return double_quoted(value);
}

bool BlockYaml::is_content(size_t i) const {
  std::string_view c = lines_.content(i);
  size_t n = c.find_first_not_of(" \t");
  if (n == std::string_view::npos || c[n] == '#') return false;
  if (n == 0 && (c[0] == '%' || c.substr(0, 3) == "---" || c.substr(0, 3) == "...")) return false;
  return true;
}

bool BlockYaml::is_sequence_item(size_t i) const {
  std::string_view c = lines_.content(i).substr(indent(i));
  return !c.empty() && c[0] == '-' && (c.size() == 1 || is_blank(c[1]));
}

size_t BlockYaml::block_end(size_t i, std::optional<int> key_column) const {
  int key_indent = key_column ? *key_column : indent(i);
  size_t j = i + 1;
  for (; j < size(); ++j) {
    if (!is_content(j)) continue;
    if (indent(j) > key_indent) continue;
    if (indent(j) == key_indent && is_sequence_item(j)) continue;
    break;
  }
  return j;
}

bool BlockYaml::has_content(size_t begin, size_t end) const {
  for (size_t j = begin; j < end; ++j)
    if (is_content(j)) return true;
  return false;
}

int BlockYaml::child_indent(size_t begin, size_t end) const {
  for (size_t j = begin; j < end; ++j)
    if (is_content(j)) return indent(j);
  return -1;
}

size_t BlockYaml::last_content(size_t begin, size_t end) const {
  size_t last = end;
  for (size_t j = begin; j < end; ++j)
    if (is_content(j)) last = j;
  return last;
}

std::optional<KeyLine> BlockYaml::key_at(size_t i, std::optional<size_t> column) const {
  std::string_view c = lines_.content(i);
  size_t p = column ? *column : static_cast<size_t>(indent(i));
  if (p >= c.size()) return std::nullopt;
  KeyLine out;
  out.column = static_cast<int>(p);
  size_t after = 0;
  if (c[p] == '"' || c[p] == '\'') {
    size_t close = closing_quote(c, p, c.size());
    if (close == std::string_view::npos) return std::nullopt;
    out.key = unquoted(c.substr(p, close - p));
    after = c.find_first_not_of(" \t", close);
    if (after == std::string_view::npos || c[after] != ':') return std::nullopt;
  } else {
    if (c[p] == '-' && (p + 1 == c.size() || c[p + 1] == ' ')) return std::nullopt;
    size_t q = p;
    for (; q < c.size(); ++q) {
      if (c[q] == '#' && q > p && is_blank(c[q - 1])) return std::nullopt;
      if (c[q] == ':' && (q + 1 == c.size() || is_blank(c[q + 1]))) break;
    }
    if (q >= c.size()) return std::nullopt;
    out.key = std::string(c.substr(p, q - p));
    while (!out.key.empty() && is_blank(out.key.back())) out.key.pop_back();
    after = q;
  }
  size_t value = c.find_first_not_of(" \t", after + 1);
  if (value == std::string_view::npos) value = c.size();
  out.value_begin = lines_.line(i).begin + value;
  return out;
}

ValueSpan BlockYaml::value_at(size_t i, size_t value) const {
  std::string_view t = text();
  ValueSpan span;
  size_t end = lines_.line(i).content_end;
  // Skip an anchor or a tag: they stay in front of the new value.
  while (value < end && (t[value] == '&' || t[value] == '!')) {
    size_t space = t.find_first_of(" \t", value);
    if (space == std::string_view::npos || space > end) space = end;
    value = space;
    while (value < end && is_blank(t[value])) ++value;
  }
  span.begin = span.end = value;
  if (value >= end || t[value] == '#') return span;
  char c = t[value];
  if (c == '{' || c == '[') {
    span.kind = ValueSpan::kFlow;
    return span;
  }
  if (c == '|' || c == '>') {
    span.kind = ValueSpan::kBlockScalar;
    return span;
  }
  if (c == '*') {
    span.kind = ValueSpan::kAlias;
    return span;
  }
  span.kind = ValueSpan::kScalar;
  if (c == '\'' || c == '"') {
    span.style = c == '\'' ? ScalarStyle::kSingle : ScalarStyle::kDouble;
    size_t close = closing_quote(t, value, end);
    if (close == std::string_view::npos) {
      span.kind = ValueSpan::kMultiLine;
      return span;
    }
    span.end = close;
    return span;
  }
  size_t q = value;
  for (; q < end; ++q) {
    if (t[q] == '#' && is_blank(t[q - 1])) break;
  }
  while (q > value && is_blank(t[q - 1])) --q;
  span.end = q;
  return span;
}

std::string BlockYaml::scalar_value(const ValueSpan& span) const {
  std::string_view bytes = text().substr(span.begin, span.end - span.begin);
  if (span.kind != ValueSpan::kScalar) return "";
  if (span.style == ScalarStyle::kPlain) return std::string(bytes);
  return unquoted(bytes);
}

std::optional<size_t> BlockYaml::find_key(size_t begin, size_t end, const std::string& key,
                                          bool& is_list, std::optional<size_t>& twice) const {
  int child_indent = -1;
  std::optional<size_t> found;
  for (size_t j = begin; j < end; ++j) {
    if (!is_content(j)) continue;
    if (child_indent < 0) {
      child_indent = indent(j);
      is_list = is_sequence_item(j);
      if (is_list) return std::nullopt;
    }
    // A later "- " line in the same column is an item of the compact list of
    // the key above it ("key:\n- a"), not a sibling.
    if (indent(j) != child_indent || is_sequence_item(j)) continue;
    auto k = key_at(j);
    if (!k || k->key != key) continue;
    if (found) {
      twice = j;
      return found;
    }
    found = j;
  }
  return found;
}

std::vector<ListEntry> BlockYaml::list_entries(size_t key_line) const {
  std::vector<ListEntry> entries;
  size_t end = block_end(key_line);
  int dash_indent = child_indent(key_line + 1, end);
  for (size_t j = key_line + 1; j < end; ++j) {
    if (!is_content(j)) continue;
    if (indent(j) == dash_indent) {
      if (!is_sequence_item(j)) return {};  // a mapping, not a list
      if (!entries.empty()) entries.back().end_line = j;
      ListEntry entry;
      entry.first_line = j;
      std::string_view c = lines_.content(j);
      size_t key = c.find_first_not_of(" \t", dash_indent + 1);
      entry.key_column = key == std::string_view::npos ? -1 : static_cast<int>(key);
      entries.push_back(entry);
    }
    entries.back().last_line = j;
  }
  if (!entries.empty()) entries.back().end_line = end;
  // A bare "-" line: the keys start on the lines below it.
  for (ListEntry& entry : entries) {
    if (entry.key_column >= 0) continue;
    entry.key_column = child_indent(entry.first_line + 1, entry.end_line);
    if (entry.key_column < 0) entry.key_column = dash_indent + 2;
  }
  return entries;
}

std::optional<EntryField> BlockYaml::entry_field(const ListEntry& entry,
                                                 const std::string& key) const {
  std::optional<EntryField> found;
  for (size_t j = entry.first_line; j < entry.end_line; ++j) {
    if (!is_content(j)) continue;
    bool dash_line = j == entry.first_line;
    if (!dash_line && indent(j) != entry.key_column) continue;
    auto k = key_at(j, static_cast<size_t>(entry.key_column));
    if (!k || k->key != key) continue;
    EntryField field;
    field.line = j;
    field.span = value_at(j, k->value_begin);
    field.value = scalar_value(field.span);
    found = field;  // the last one wins, as YAML readers that allow twice read it
  }
  return found;
}

std::string BlockYaml::entry_value(const ListEntry& entry, const std::string& key) const {
  auto field = entry_field(entry, key);
  return field ? field->value : "";
}

}  // namespace mi2::text_edit
