// Block-style YAML read as text, line by line: where a key's line is, where
// its value's bytes are, which lines belong to it, the entries of a list. No
// tree is built, so an edit can change exactly one value's bytes and leave
// comments, key order, quoting and unknown fields as they were.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/text_edit/text_lines.h"

namespace mi2::text_edit {

enum class ScalarStyle { kPlain, kSingle, kDouble };

// What follows "key:" on a line.
struct ValueSpan {
  enum Kind { kEmpty, kScalar, kFlow, kBlockScalar, kAlias, kMultiLine } kind = kEmpty;
  size_t begin = 0, end = 0;  // the scalar's bytes (with quotes), or where one would go
  ScalarStyle style = ScalarStyle::kPlain;
};

// A "key: value" line: the key as read (quotes resolved) and where the value starts.
struct KeyLine {
  std::string key;
  int column = 0;          // where the key starts on its line
  size_t value_begin = 0;  // offset in the text
};

// One entry of a block list ("- a: 1" and the lines under it).
struct ListEntry {
  size_t first_line = 0;  // the "- " line
  size_t end_line = 0;    // one past its last line
  size_t last_line = 0;   // its last line with content (comments after it are not its own)
  int key_column = 0;     // where its keys start
};

// A scalar field of a list entry.
struct EntryField {
  size_t line = 0;
  ValueSpan span;
  std::string value;  // unquoted
};

// `value` written in `style`; a plain value that would read back as another
// type or another string (4.10, yes, "a: b") gets double quotes, and a single
// quoted one that cannot be (control bytes) too.
std::string format_scalar(std::string_view value, ScalarStyle style);
// `value` double quoted with YAML escapes.
std::string double_quoted(std::string_view value);

class BlockYaml {
 public:
  explicit BlockYaml(std::string_view text) : lines_(text) {}

  const TextLines& lines() const { return lines_; }
  size_t size() const { return lines_.size(); }
  int indent(size_t i) const { return lines_.indent(i); }

  // Blank, comment-only, or a document marker / directive: carries no data.
  bool is_content(size_t i) const;
  bool is_sequence_item(size_t i) const;
  // The lines after `i` that belong to the node keyed at line `i` in column
  // `key_column` (the line's indent when not given): deeper lines, plus
  // same-column "- " items of a compact list; [i + 1, block_end).
  size_t block_end(size_t i, std::optional<int> key_column = std::nullopt) const;
  bool has_content(size_t begin, size_t end) const;
  // The indent of the first content line in [begin, end), or -1.
  int child_indent(size_t begin, size_t end) const;
  // The last content line in [begin, end), or `end` when there is none.
  size_t last_content(size_t begin, size_t end) const;

  // The key of line `i` when the line is "key: ..." (from `column` on, the
  // line's indent when not given).
  std::optional<KeyLine> key_at(size_t i, std::optional<size_t> column = std::nullopt) const;
  // What follows the key on line `i`, `value` being where key_at said it starts.
  ValueSpan value_at(size_t i, size_t value) const;
  // The bytes of a scalar span, quotes resolved.
  std::string scalar_value(const ValueSpan& span) const;

  // The line of `key` among the direct children in lines [begin, end).
  // Sets `is_list` when those children are list items, and `twice` to the
  // line of a second `key` among them (libyaml refuses such a document; an
  // edit must not pick one of the two).
  std::optional<size_t> find_key(size_t begin, size_t end, const std::string& key, bool& is_list,
                                 std::optional<size_t>& twice) const;

  // The entries of the block list keyed at line `key_line` (none when its
  // value is not a block list).
  std::vector<ListEntry> list_entries(size_t key_line) const;
  // The scalar `key` directly in `entry`; nullopt when absent or not a scalar.
  std::optional<EntryField> entry_field(const ListEntry& entry, const std::string& key) const;
  // entry_field's value, or "".
  std::string entry_value(const ListEntry& entry, const std::string& key) const;

 private:
  std::string_view text() const { return lines_.text(); }
  TextLines lines_;
};

}  // namespace mi2::text_edit
