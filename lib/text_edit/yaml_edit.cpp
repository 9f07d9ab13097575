#include "lib/text_edit/yaml_edit.h"

#include <optional>

#include "lib/text_edit/plain_scalar.h"

namespace mi2::text_edit {

namespace {

std::string join_path(const std::vector<std::string>& path, size_t count) {
  std::string out;
  for (size_t i = 0; i < count && i < path.size(); ++i) out += (i ? "." : "") + path[i];
  return out;
}

// A new "key: value" line in `column`.
std::string new_key_line(int column, const std::string& key, std::string_view value) {
  std::string written = safe_as_plain_scalar(key) ? key : double_quoted(key);
  return std::string(column, ' ') + written + ": " + format_scalar(value, ScalarStyle::kPlain);
}

// Sets the value of the key `key` read on line `key_line`; `here` names it in
// the sentence of a refusal.
std::string set_value_at(const BlockYaml& yaml, TextEdits& edits, size_t key_line,
                         const KeyLine& key, std::string_view value, const std::string& here) {
  ValueSpan span = yaml.value_at(key_line, key.value_begin);
  bool has_children = yaml.has_content(key_line + 1, yaml.block_end(key_line, key.column));
  std::string refused = "cannot set " + here + " (line " + std::to_string(key_line + 1) + "): ";
  switch (span.kind) {
    case ValueSpan::kFlow:
    case ValueSpan::kAlias:
      return refused + "it is not a single value.";
    case ValueSpan::kBlockScalar:
    case ValueSpan::kMultiLine:
      return refused + "it spans several lines; edit it by hand.";
    case ValueSpan::kEmpty:
      if (has_children) return refused + "it is a mapping or a list, not a single value.";
      break;
    case ValueSpan::kScalar:
      if (has_children) return refused + "it spans several lines; edit it by hand.";
      break;
  }
  std::string text = format_scalar(value, span.style);
  if (span.kind != ValueSpan::kEmpty) {
    edits.replace(span.begin, span.end, text);
    return "";
  }
  const Line& line = yaml.lines().line(key_line);
  if (span.begin < line.content_end) {  // before a comment
    edits.replace(span.begin, span.begin, text + " ");
    return "";
  }
  // "key:" alone: the value goes after one space (none yet when the line ends
  // at the colon).
  std::string_view all = yaml.lines().text();
  bool spaced =
      span.begin > line.begin && (all[span.begin - 1] == ' ' || all[span.begin - 1] == '\t');
  edits.replace(span.begin, span.begin, (spaced ? "" : " ") + text);
  return "";
}

// Adds the missing last key of `path` among the children [begin, end) of
// `parent_line` (none: the document).
void add_key(const BlockYaml& yaml, TextEdits& edits, size_t begin, size_t end,
             std::optional<size_t> parent_line, const std::string& key, std::string_view value) {
  int column = yaml.child_indent(begin, end);
  if (column < 0) column = parent_line ? yaml.indent(*parent_line) + 2 : 0;
  std::string line = new_key_line(column, key, value);
  size_t after = yaml.last_content(begin, end);
  if (after == end && parent_line) after = *parent_line;
  if (after == end) return edits.append_line(line);  // an empty document
  edits.insert_line_after(after, line);
}

}  // namespace

EditedText set_yaml_scalar(std::string_view yaml_text, const std::vector<std::string>& path,
                           std::string_view value) {
  if (path.empty()) return {"", "cannot set a value: the key path is empty."};
  const std::string whole = join_path(path, path.size());
  BlockYaml yaml(yaml_text);
  TextEdits edits(yaml.lines());
  size_t begin = 0, end = yaml.size();
  std::optional<size_t> parent_line;

  for (size_t depth = 0; depth < path.size(); ++depth) {
    bool last = depth + 1 == path.size();
    std::string here = join_path(path, depth + 1);
    bool is_list = false;
    std::optional<size_t> twice;
    auto found = yaml.find_key(begin, end, path[depth], is_list, twice);
    if (twice) {
      return {"", "cannot set " + whole + ": " + here + " is given twice (lines " +
                      std::to_string(*found + 1) + " and " + std::to_string(*twice + 1) +
                      "); remove one."};
    }
    if (is_list) {
      return {"", "cannot set " + whole + ": " +
                      (depth ? join_path(path, depth) : std::string("the document")) +
                      " is a list, not a mapping."};
    }
    if (!found && !last)
      return {"", "cannot set " + whole + ": its parent " + here + " is missing; add it first."};
    if (!found) {
      add_key(yaml, edits, begin, end, parent_line, path[depth], value);
      return {edits.apply(), ""};
    }

    size_t key_line = *found;
    KeyLine key = *yaml.key_at(key_line);
    if (last) {
      std::string refused = set_value_at(yaml, edits, key_line, key, value, here);
      if (!refused.empty()) return {"", refused};
      return {edits.apply(), ""};
    }
    ValueSpan span = yaml.value_at(key_line, key.value_begin);
    std::string where = " (line " + std::to_string(key_line + 1) + ")";
    if (span.kind == ValueSpan::kFlow) {
      return {"", "cannot set " + whole + ": " + here + where +
                      " is written in flow style ({...}); rewrite it as a block."};
    }
    if (span.kind != ValueSpan::kEmpty)
      return {"",
              "cannot set " + whole + ": " + here + where + " is a single value, not a mapping."};
    begin = key_line + 1;
    end = yaml.block_end(key_line);
    parent_line = key_line;
  }
  return {"", "cannot set " + whole + "."};
}

std::string set_entry_scalar(const BlockYaml& yaml, TextEdits& edits, const ListEntry& entry,
                             const std::string& key, std::string_view value) {
  auto field = yaml.entry_field(entry, key);
  if (!field) {
    edits.insert_line_after(entry.last_line, new_key_line(entry.key_column, key, value));
    return "";
  }
  KeyLine key_line = *yaml.key_at(field->line, static_cast<size_t>(entry.key_column));
  return set_value_at(yaml, edits, field->line, key_line, value, key);
}

TopLevelList top_level_list(const BlockYaml& yaml, const std::string& key) {
  TopLevelList list;
  bool is_list = false;
  std::optional<size_t> twice;
  auto found = yaml.find_key(0, yaml.size(), key, is_list, twice);
  if (!found) return list;
  list.found = true;
  list.key_line = *found;
  KeyLine key_line = *yaml.key_at(*found);
  if (yaml.value_at(*found, key_line.value_begin).kind != ValueSpan::kEmpty) return list;
  list.entries = yaml.list_entries(*found);
  list.is_block = !list.entries.empty() || !yaml.has_content(*found + 1, yaml.block_end(*found));
  return list;
}

}  // namespace mi2::text_edit
