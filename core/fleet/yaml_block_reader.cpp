#include "core/fleet/yaml_block_reader.h"

#include <string>
#include <vector>

#include "core/fleet/yaml_jv.h"
#include "core/yaml/yaml_guard.h"
#include "core/yaml/yaml_scalar.h"

namespace mi2 {

namespace {

struct Line {
  int indent = 0;         // column of the content
  std::string_view text;  // from the content to the end (no line break)
};

jv string_jv(std::string_view s) {
  return jv_string_sized(s.data(), static_cast<int>(s.size()));
}

bool is_sequence_item(std::string_view text) {
  return !text.empty() && text[0] == '-' && (text.size() == 1 || text[1] == ' ');
}

// Strips a trailing comment and spaces from what follows a scalar or a colon;
// false when anything else is left.
bool only_comment(std::string_view rest) {
  size_t i = rest.find_first_not_of(' ');
  return i == std::string_view::npos || rest[i] == '#';
}

class Reader {
 public:
  explicit Reader(std::vector<Line> lines) : lines_(std::move(lines)) {}

  std::optional<jv> document() {
    if (lines_.empty()) return jv_null();
    auto root = node(0);
    if (!root) return std::nullopt;
    if (pos_ != lines_.size()) {
      jv_free(*root);
      return std::nullopt;
    }
    return root;
  }

 private:
  // A block (mapping or list) whose lines start at the current line's indent,
  // which must be at least `min_indent`.
  std::optional<jv> node(int min_indent) {
    if (pos_ >= lines_.size() || lines_[pos_].indent < min_indent) return jv_null();
    if (is_sequence_item(lines_[pos_].text)) return sequence(lines_[pos_].indent);
    return mapping(lines_[pos_].indent);
  }

  // Counts the nesting of sequence() and mapping(); past kMaxYamlDepth the
  // document is declined, and libyaml's guard says how deep is too deep.
  struct Nest {
    explicit Nest(size_t& depth) : depth_(depth) { ++depth_; }
    ~Nest() { --depth_; }
    bool too_deep() const { return depth_ > kMaxYamlDepth; }
    size_t& depth_;
  };

  std::optional<jv> sequence(int indent) {
    Nest nest(depth_);
    if (nest.too_deep()) return std::nullopt;
    jv list = jv_array();
    while (pos_ < lines_.size() && lines_[pos_].indent == indent &&
           is_sequence_item(lines_[pos_].text)) {
      Line& line = lines_[pos_];
      std::string_view rest = line.text.substr(1);
      size_t skip = rest.find_first_not_of(' ');
      std::optional<jv> item;
      if (skip == std::string_view::npos || rest[skip] == '#') {
        ++pos_;
        item = nested(indent, true);
      } else {
        // "- key: value" opens a mapping at the item's column; "- x" is a scalar.
        line.indent = indent + 1 + static_cast<int>(skip);
        line.text = rest.substr(skip);
        if (key_of(line.text)) {
          item = mapping(line.indent);
        } else if (is_sequence_item(line.text)) {
          item = sequence(line.indent);
        } else {
          item = scalar_line(line.text);
          ++pos_;
          if (item && pos_ < lines_.size() && lines_[pos_].indent > indent) {
            jv_free(*item);
            item.reset();  // a scalar continued on the next line
          }
        }
      }
      if (!item) {
        jv_free(list);
        return std::nullopt;
      }
      list = jv_array_append(list, *item);
    }
    if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
      jv_free(list);
      return std::nullopt;
    }
    return list;
  }

  std::optional<jv> mapping(int indent) {
    Nest nest(depth_);
    if (nest.too_deep()) return std::nullopt;
    jv object = jv_object();
    while (pos_ < lines_.size() && lines_[pos_].indent == indent) {
      const Line& line = lines_[pos_];
      auto key = key_of(line.text);
      if (!key) {
        jv_free(object);
        return std::nullopt;
      }
      std::string_view rest = line.text.substr(key->second);
      jv key_jv = string_jv(key->first);
      if (jv_object_has(jv_copy(object), jv_copy(key_jv))) {  // libyaml names both lines
        jv_free(key_jv);
        jv_free(object);
        return std::nullopt;
      }
      std::optional<jv> value;
      if (only_comment(rest)) {
        ++pos_;
        // A list may sit at the key's own indent.
        bool same_indent_list = pos_ < lines_.size() && lines_[pos_].indent == indent &&
                                is_sequence_item(lines_[pos_].text);
        value = same_indent_list ? sequence(indent) : nested(indent, false);
      } else {
        value = scalar_line(rest.substr(rest.find_first_not_of(' ')));
        ++pos_;
        if (value && pos_ < lines_.size() && lines_[pos_].indent > indent) {
          jv_free(*value);
          value.reset();
        }
      }
      if (!value) {
        jv_free(key_jv);
        jv_free(object);
        return std::nullopt;
      }
      object = jv_object_set(object, key_jv, *value);
    }
    if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
      jv_free(object);
      return std::nullopt;
    }
    return object;
  }

  // The value of an entry whose line held no value: the deeper block that
  // follows, or null.
  std::optional<jv> nested(int parent_indent, bool) {
    if (pos_ >= lines_.size() || lines_[pos_].indent <= parent_indent) return jv_null();
    return node(parent_indent + 1);
  }

  // YAML bounds an implicit key: its ':' at most 1024 characters after the key
  // starts (libyaml refuses a longer one). Counted in bytes here, so a longer
  // key is declined and libyaml decides.
  static constexpr size_t kMaxImplicitKey = 1024;

  // "key:" or "key: rest": the key's text and where the rest starts.
  static std::optional<std::pair<std::string, size_t>> key_of(std::string_view text) {
    if (text.empty()) return std::nullopt;
    char first = text[0];
    if (first == '\'' || first == '"') {
      size_t end = 0;
      auto key = quoted(text, end);
      if (!key || end >= text.size() || text[end] != ':' || end > kMaxImplicitKey)
        return std::nullopt;
      if (end + 1 < text.size() && text[end + 1] != ' ') return std::nullopt;
      return std::make_pair(*key, end + 1);
    }
    if (std::string_view("-?:,[]{}#&*!|>%@`").find(first) != std::string_view::npos)
      return std::nullopt;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '#' && i > 0 && text[i - 1] == ' ') return std::nullopt;
      if (text[i] == ':' && (i + 1 == text.size() || text[i + 1] == ' ')) {
        if (i > kMaxImplicitKey) return std::nullopt;
        std::string_view key = text.substr(0, i);
        while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
        if (key.empty()) return std::nullopt;
        return std::make_pair(std::string(key), i + 1);
      }
    }
    return std::nullopt;
  }

  // A quoted scalar starting at text[0]; `end` is set past the closing quote.
  static std::optional<std::string> quoted(std::string_view text, size_t& end) {
    char quote = text[0];
    std::string out;
    for (size_t i = 1; i < text.size(); ++i) {
      char c = text[i];
      if (quote == '\'' && c == '\'') {
        if (i + 1 < text.size() && text[i + 1] == '\'') {
          out += '\'';
          ++i;
          continue;
        }
        end = i + 1;
        return out;
      }
      if (quote == '"' && c == '"') {
        end = i + 1;
        return out;
      }
      if (quote == '"' && c == '\\') {
        if (++i >= text.size()) return std::nullopt;
        switch (text[i]) {
          case '\\':
            out += '\\';
            break;
          case '"':
            out += '"';
            break;
          case '/':
            out += '/';
            break;
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          default:
            return std::nullopt;  // rarer escapes: leave them to libyaml
        }
        continue;
      }
      out += c;
    }
    return std::nullopt;  // unclosed: a multi-line scalar
  }

  // A one-line scalar value (plain or quoted) with an optional comment.
  static std::optional<jv> scalar_line(std::string_view text) {
    if (text.empty()) return jv_null();
    char first = text[0];
    if (first == '\'' || first == '"') {
      size_t end = 0;
      auto value = quoted(text, end);
      if (!value || !only_comment(text.substr(end))) return std::nullopt;
      if (end < text.size() && text[end] != ' ') return std::nullopt;
      return string_jv(*value);
    }
    if (text == "{}" || text.rfind("{} ", 0) == 0) {
      if (!only_comment(text.substr(2))) return std::nullopt;
      return jv_object();
    }
    if (text == "[]" || text.rfind("[] ", 0) == 0) {
      if (!only_comment(text.substr(2))) return std::nullopt;
      return jv_array();
    }
    if (std::string_view("[]{}#&*!|>%@`,").find(first) != std::string_view::npos)
      return std::nullopt;
    if ((first == '-' || first == '?' || first == ':') && (text.size() == 1 || text[1] == ' '))
      return std::nullopt;
    size_t end = text.size();
    for (size_t i = 1; i < text.size(); ++i) {
      if (text[i] == '#' && text[i - 1] == ' ') {
        end = i;
        break;
      }
      if (text[i] == ':' && (i + 1 == text.size() || text[i + 1] == ' ')) return std::nullopt;
    }
    std::string_view value = text.substr(0, end);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    return plain_scalar_to_jv(value);
  }

  std::vector<Line> lines_;
  size_t pos_ = 0;
  size_t depth_ = 0;
};

// True when the non-ASCII bytes of `raw` are well-formed UTF-8 of characters
// libyaml takes as printable (no C1 controls or NEL, which YAML reads as a line
// break, no surrogates, BOM, U+FFFE or U+FFFF); else libyaml decides.
bool printable_utf8(std::string_view raw) {
  for (size_t i = 0; i < raw.size();) {
    unsigned char lead = static_cast<unsigned char>(raw[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
    if (n == 0 || lead > 0xF4 || i + n > raw.size()) return false;
    char32_t cp = lead & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      unsigned char c = static_cast<unsigned char>(raw[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    const char32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || cp < 0xA0 || (cp >= 0xD800 && cp <= 0xDFFF) ||
        cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF)
      return false;
    i += n;
  }
  return true;
}

}  // namespace

std::optional<jv> read_simple_block_yaml(std::string_view text) {
  if (text.size() > kMaxYamlBytes) return std::nullopt;
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF) return std::nullopt;  // BOM
  std::vector<Line> lines;
  lines.reserve(32);
  size_t pos = 0;
  bool first_content = true;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view raw =
        text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    for (char c : raw) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) return std::nullopt;  // tabs and control characters
    }
    if (!printable_utf8(raw)) return std::nullopt;
    size_t indent = raw.find_first_not_of(' ');
    if (indent == std::string_view::npos || raw[indent] == '#') continue;
    std::string_view content = raw.substr(indent);
    if (indent == 0 && (content[0] == '%' || content.rfind("...", 0) == 0)) return std::nullopt;
    if (indent == 0 && content.rfind("---", 0) == 0) {
      // "---x" is a scalar, not a document start: libyaml reads it.
      if (!first_content || (content.size() > 3 && content[3] != ' ') ||
          !only_comment(content.substr(3)))
        return std::nullopt;
      first_content = false;
      continue;
    }
    first_content = false;
    while (!content.empty() && content.back() == ' ') content.remove_suffix(1);
    lines.push_back(Line{static_cast<int>(indent), content});
  }
  return Reader(std::move(lines)).document();
}

}  // namespace mi2
