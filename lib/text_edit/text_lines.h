// Text seen as lines, and edits applied to it all at once: the ground every
// line-preserving editor here stands on. An edit names byte spans and lines of
// the original text, so edits made in any order never shift one another, and
// every byte no edit names is copied through unchanged (CRLF included).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mi2::text_edit {

// One line: [begin, content_end) is its text, [content_end, end) its line
// break (empty on a last line without one, "\r\n" or "\n" otherwise).
struct Line {
  size_t begin = 0, content_end = 0, end = 0;
  bool has_break() const { return end > content_end; }
};

// The lines of a text the caller keeps alive.
class TextLines {
 public:
  explicit TextLines(std::string_view text);

  std::string_view text() const { return text_; }
  size_t size() const { return lines_.size(); }
  const Line& line(size_t i) const { return lines_[i]; }
  std::string_view content(size_t i) const;
  // The document's line break: "\r\n" when any line ends so, else "\n".
  const std::string& eol() const { return eol_; }
  // Leading spaces of line `i` (a blank line counts all of its spaces).
  int indent(size_t i) const;

 private:
  std::string_view text_;
  std::vector<Line> lines_;
  std::string eol_;
};

// Edits of a TextLines' text, applied by `apply` in text order.
class TextEdits {
 public:
  explicit TextEdits(const TextLines& lines) : lines_(lines) {}

  // Bytes [begin, end) of the text become `text` (begin == end inserts).
  void replace(size_t begin, size_t end, std::string text);
  // A new line with `content` after line `i`, ending with the document's line
  // break; after a last line without a break the text keeps ending without one.
  void insert_line_after(size_t i, const std::string& content);
  // A new line at the end of the text (a break first when the text lacks one).
  void append_line(const std::string& content);
  // Line `i` and its line break go.
  void remove_line(size_t i);

  bool empty() const { return edits_.empty(); }
  std::string apply() const;

 private:
  struct Edit {
    size_t begin = 0, end = 0;
    std::string text;
  };
  const TextLines& lines_;
  std::vector<Edit> edits_;
};

}  // namespace mi2::text_edit
