#include "core/yaml/config_edit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/base/atomic_file.h"
#include "core/yaml/yaml_guard.h"
#include "core/yaml/yaml_scalar.h"

namespace mi2 {

namespace {

// One line of the text; `end` includes the line break, `content_end` does not.
struct Line {
  size_t begin = 0, content_end = 0, end = 0;
};

enum class Style { kPlain, kSingle, kDouble };

// What follows "key:" on a line.
struct ValueSpan {
  enum Kind { kEmpty, kScalar, kFlow, kBlockScalar, kAlias, kMultiLine } kind = kEmpty;
  size_t begin = 0, end = 0;  // the scalar's bytes (with quotes), or where one would go
  Style style = Style::kPlain;
};

class YamlText {
 public:
  explicit YamlText(std::string_view text) : text_(text) {
    size_t pos = 0;
    while (pos < text_.size()) {
      size_t nl = text_.find('\n', pos);
      Line line;
      line.begin = pos;
      line.end = nl == std::string_view::npos ? text_.size() : nl + 1;
      line.content_end = nl == std::string_view::npos ? text_.size() : nl;
      if (line.content_end > line.begin && text_[line.content_end - 1] == '\r') --line.content_end;
      lines_.push_back(line);
      pos = line.end;
    }
    eol_ = text_.find("\r\n") != std::string_view::npos ? "\r\n" : "\n";
  }

  size_t size() const { return lines_.size(); }
  const Line& line(size_t i) const { return lines_[i]; }
  std::string_view content(size_t i) const {
    return text_.substr(lines_[i].begin, lines_[i].content_end - lines_[i].begin);
  }
  const std::string& eol() const { return eol_; }
  int indent(size_t i) const {
    auto c = content(i);
    size_t n = c.find_first_not_of(' ');
    return n == std::string_view::npos ? static_cast<int>(c.size()) : static_cast<int>(n);
  }
  // Blank, comment-only, or a document marker / directive: carries no data.
  bool is_content(size_t i) const {
    auto c = content(i);
    size_t n = c.find_first_not_of(" \t");
    if (n == std::string_view::npos || c[n] == '#') return false;
    if (n == 0 && (c[0] == '%' || c.substr(0, 3) == "---" || c.substr(0, 3) == "...")) return false;
    return true;
  }
  bool is_sequence_item(size_t i) const {
    auto c = content(i).substr(indent(i));
    return !c.empty() && c[0] == '-' && (c.size() == 1 || c[1] == ' ' || c[1] == '\t');
  }
  // The lines after `i` that belong to the node keyed at line `i` (deeper
  // lines, plus same-indent "- " items of a compact list).
  size_t block_end(size_t i) const {
    int key_indent = indent(i);
    size_t j = i + 1;
    for (; j < size(); ++j) {
      if (!is_content(j)) continue;
      if (indent(j) > key_indent) continue;
      if (indent(j) == key_indent && is_sequence_item(j)) continue;
      break;
    }
    return j;
  }
  bool has_content(size_t begin, size_t end) const {
    for (size_t j = begin; j < end; ++j)
      if (is_content(j)) return true;
    return false;
  }

  // The key on line `i` and where its value starts, when the line is "key: ...".
  std::optional<std::pair<std::string, size_t>> key_at(size_t i) const {
    auto c = content(i);
    size_t p = indent(i);
    if (p >= c.size()) return std::nullopt;
    std::string key;
    size_t after = 0;
    if (c[p] == '"' || c[p] == '\'') {
      char quote = c[p];
      size_t q = p + 1;
      for (; q < c.size(); ++q) {
        if (quote == '\'' && c[q] == '\'' && q + 1 < c.size() && c[q + 1] == '\'') {
          key += '\'';
          ++q;
        } else if (quote == '"' && c[q] == '\\' && q + 1 < c.size()) {
          key += c[++q];
        } else if (c[q] == quote) {
          break;
        } else {
          key += c[q];
        }
      }
      if (q >= c.size()) return std::nullopt;
      after = c.find_first_not_of(" \t", q + 1);
      if (after == std::string_view::npos || c[after] != ':') return std::nullopt;
    } else {
      if (c[p] == '-' && (p + 1 == c.size() || c[p + 1] == ' ')) return std::nullopt;
      size_t q = p;
      for (; q < c.size(); ++q) {
        if (c[q] == '#' && q > p && (c[q - 1] == ' ' || c[q - 1] == '\t')) return std::nullopt;
        if (c[q] == ':' && (q + 1 == c.size() || c[q + 1] == ' ' || c[q + 1] == '\t')) break;
      }
      if (q >= c.size()) return std::nullopt;
      key = std::string(c.substr(p, q - p));
      while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
      after = q;
    }
    size_t value = c.find_first_not_of(" \t", after + 1);
    if (value == std::string_view::npos) value = c.size();
    return std::make_pair(key, line(i).begin + value);
  }

  // What follows the key on line `i`, `value` being where key_at said it starts.
  ValueSpan value_at(size_t i, size_t value) const {
    ValueSpan span;
    size_t end = line(i).content_end;
    // Skip an anchor or a tag: they stay in front of the new value.
    while (value < end && (text_[value] == '&' || text_[value] == '!')) {
      size_t space = text_.find_first_of(" \t", value);
      if (space == std::string_view::npos || space > end) space = end;
      value = space;
      while (value < end && (text_[value] == ' ' || text_[value] == '\t')) ++value;
    }
    span.begin = span.end = value;
    if (value >= end || text_[value] == '#') return span;
    char c = text_[value];
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
      span.style = c == '\'' ? Style::kSingle : Style::kDouble;
      size_t q = value + 1;
      for (; q < end; ++q) {
        if (c == '\'' && text_[q] == '\'' && q + 1 < end && text_[q + 1] == '\'') {
          ++q;
        } else if (c == '"' && text_[q] == '\\') {
          ++q;
        } else if (text_[q] == c) {
          break;
        }
      }
      if (q >= end) {
        span.kind = ValueSpan::kMultiLine;
        return span;
      }
      span.end = q + 1;
      return span;
    }
    size_t q = value;
    for (; q < end; ++q) {
      if (text_[q] == '#' && (text_[q - 1] == ' ' || text_[q - 1] == '\t')) break;
    }
    while (q > value && (text_[q - 1] == ' ' || text_[q - 1] == '\t')) --q;
    span.end = q;
    return span;
  }

  // The line of `key` among the direct children in lines [begin, end).
  // Sets `is_list` when those children are list items.
  // Sets `twice` to the line of a second `key` among them (libyaml refuses
  // such a document; an edit must not pick one of the two).
  std::optional<size_t> find_key(size_t begin, size_t end, const std::string& key, bool& is_list,
                                 std::optional<size_t>& twice) const {
    int child_indent = -1;
    std::optional<size_t> found;
    for (size_t j = begin; j < end; ++j) {
      if (!is_content(j)) continue;
      if (child_indent < 0) child_indent = indent(j);
      if (indent(j) != child_indent) continue;
      if (is_sequence_item(j)) {
        is_list = true;
        return std::nullopt;
      }
      auto k = key_at(j);
      if (!k || k->first != key) continue;
      if (found) {
        twice = j;
        return found;
      }
      found = j;
    }
    return found;
  }

  int child_indent(size_t begin, size_t end) const {
    for (size_t j = begin; j < end; ++j)
      if (is_content(j)) return indent(j);
    return -1;
  }
  size_t last_content(size_t begin, size_t end) const {
    size_t last = end;
    for (size_t j = begin; j < end; ++j)
      if (is_content(j)) last = j;
    return last;
  }

 private:
  std::string_view text_;
  std::vector<Line> lines_;
  std::string eol_;
};

std::string join_path(const std::vector<std::string>& path, size_t count) {
  std::string out;
  for (size_t i = 0; i < count && i < path.size(); ++i) out += (i ? "." : "") + path[i];
  return out;
}

bool has_control(std::string_view value) {
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

std::string double_quoted(std::string_view value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static const char* kHex = "0123456789abcdef";
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string formatted(std::string_view value, Style style) {
  if (style == Style::kSingle && !has_control(value)) {
    std::string out = "'";
    for (char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  }
  if (style == Style::kPlain && safe_as_plain_scalar(value)) return std::string(value);
  return double_quoted(value);
}

}  // namespace

Result<std::string> set_yaml_scalar(std::string_view yaml_text,
                                    const std::vector<std::string>& path, std::string_view value) {
  if (path.empty()) return make_error("cannot set a value: the key path is empty.");
  YamlText yaml(yaml_text);
  size_t begin = 0, end = yaml.size();
  int parent_indent = -1;
  std::optional<size_t> parent_line;

  for (size_t depth = 0; depth < path.size(); ++depth) {
    bool last = depth + 1 == path.size();
    std::string here = join_path(path, depth + 1);
    bool is_list = false;
    std::optional<size_t> twice;
    auto found = yaml.find_key(begin, end, path[depth], is_list, twice);
    if (twice) {
      return make_error("cannot set " + join_path(path, path.size()) + ": " + here +
                        " is given twice (lines " + std::to_string(*found + 1) + " and " +
                        std::to_string(*twice + 1) + "); remove one.");
    }
    if (is_list) {
      return make_error("cannot set " + join_path(path, path.size()) + ": " +
                        (depth ? join_path(path, depth) : std::string("the document")) +
                        " is a list, not a mapping.");
    }
    if (!found) {
      if (!last) {
        return make_error("cannot set " + join_path(path, path.size()) + ": its parent " + here +
                          " is missing; add it first.");
      }
      // Add the key under its parent, indented like its siblings.
      int indent = yaml.child_indent(begin, end);
      if (indent < 0) indent = parent_indent < 0 ? 0 : parent_indent + 2;
      std::string key =
          safe_as_plain_scalar(path[depth]) ? path[depth] : double_quoted(path[depth]);
      std::string new_line =
          std::string(indent, ' ') + key + ": " + formatted(value, Style::kPlain);
      size_t after = yaml.last_content(begin, end);
      if (after == end) after = parent_line ? *parent_line : end;
      std::string out(yaml_text);
      if (after == end) {  // an empty document
        size_t at = out.size();
        if (!out.empty() && out.back() != '\n') out += yaml.eol(), at = out.size();
        return out.insert(at, new_line + yaml.eol());
      }
      const Line& line = yaml.line(after);
      if (line.end == line.content_end) {  // the last line has no line break
        return out.insert(line.end, yaml.eol() + new_line);
      }
      return out.insert(line.end, new_line + yaml.eol());
    }

    size_t key_line = *found;
    size_t value_pos = yaml.key_at(key_line)->second;
    ValueSpan span = yaml.value_at(key_line, value_pos);
    size_t block = yaml.block_end(key_line);
    bool has_children = yaml.has_content(key_line + 1, block);
    std::string where = " (line " + std::to_string(key_line + 1) + ")";

    if (!last) {
      if (span.kind == ValueSpan::kFlow) {
        return make_error("cannot set " + join_path(path, path.size()) + ": " + here + where +
                          " is written in flow style ({...}); rewrite it as a block.");
      }
      if (span.kind != ValueSpan::kEmpty) {
        return make_error("cannot set " + join_path(path, path.size()) + ": " + here + where +
                          " is a single value, not a mapping.");
      }
      begin = key_line + 1;
      end = block;
      parent_indent = yaml.indent(key_line);
      parent_line = key_line;
      continue;
    }

    switch (span.kind) {
      case ValueSpan::kFlow:
      case ValueSpan::kAlias:
        return make_error("cannot set " + here + where + ": it is not a single value.");
      case ValueSpan::kBlockScalar:
      case ValueSpan::kMultiLine:
        return make_error("cannot set " + here + where +
                          ": it spans several lines; edit it by hand.");
      case ValueSpan::kEmpty:
        if (has_children) {
          return make_error("cannot set " + here + where +
                            ": it is a mapping or a list, not a single value.");
        }
        break;
      case ValueSpan::kScalar:
        if (has_children) {
          return make_error("cannot set " + here + where +
                            ": it spans several lines; edit it by hand.");
        }
        break;
    }

    std::string out(yaml_text);
    std::string text = formatted(value, span.style);
    if (span.kind == ValueSpan::kEmpty) {
      const Line& line = yaml.line(key_line);
      if (span.begin >= line.content_end) {
        // "key:" alone: the value goes after one space (none yet when the
        // line ends at the colon).
        bool spaced = span.begin > line.begin &&
                      (yaml_text[span.begin - 1] == ' ' || yaml_text[span.begin - 1] == '\t');
        return out.insert(span.begin, (spaced ? "" : " ") + text);
      }
      return out.insert(span.begin, text + " ");  // before a comment
    }
    return out.replace(span.begin, span.end - span.begin, text);
  }
  return make_error("cannot set " + join_path(path, path.size()) + ".");
}

Status set_yaml_scalar_in_file(const std::filesystem::path& path,
                               const std::vector<std::string>& key_path, std::string_view value) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path.string() + ": " + std::strerror(errno) + ".");
  std::stringstream text;
  text << in.rdbuf();
  // What libyaml refuses is not edited (an unclosed quote further down would
  // swallow the new value, a key given twice would be read the other way).
  if (auto valid = check_yaml_document(text.str(), path.string()); !valid)
    return make_error(valid.message() + " Fix the file; it was not changed.");
  auto edited = set_yaml_scalar(text.str(), key_path, value);
  if (!edited) return make_error(path.string() + ": " + edited.message());
  if (*edited == text.str()) return {};
  if (auto valid = check_yaml_document(*edited, path.string()); !valid)
    return make_error("setting " + join_path(key_path, key_path.size()) + " would leave " +
                      path.string() + " invalid (" + valid.message() + "); it was not changed.");
  return write_file_atomic(path, *edited);
}

}  // namespace mi2
