#include "lib/text_edit/text_lines.h"

#include <algorithm>

namespace mi2::text_edit {

TextLines::TextLines(std::string_view text) : text_(text) {
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

std::string_view TextLines::content(size_t i) const {
  return text_.substr(lines_[i].begin, lines_[i].content_end - lines_[i].begin);
}

int TextLines::indent(size_t i) const {
  std::string_view c = content(i);
  size_t n = c.find_first_not_of(' ');
  return static_cast<int>(n == std::string_view::npos ? c.size() : n);
}

void TextEdits::replace(size_t begin, size_t end, std::string text) {
  edits_.push_back({begin, end, std::move(text)});
}

void TextEdits::insert_line_after(size_t i, const std::string& content) {
  const Line& line = lines_.line(i);
  if (line.has_break()) return replace(line.end, line.end, content + lines_.eol());
  replace(line.end, line.end, lines_.eol() + content);
}

void TextEdits::append_line(const std::string& content) {
  std::string_view text = lines_.text();
  std::string added = !text.empty() && text.back() != '\n' ? lines_.eol() : "";
  replace(text.size(), text.size(), added + content + lines_.eol());
}

void TextEdits::remove_line(size_t i) {
  replace(lines_.line(i).begin, lines_.line(i).end, "");
}

std::string TextEdits::apply() const {
  std::vector<const Edit*> order;
  for (const Edit& edit : edits_) order.push_back(&edit);
  // Text order; an insertion goes before a span that starts where it stands.
  std::stable_sort(order.begin(), order.end(), [](const Edit* a, const Edit* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::string_view text = lines_.text();
  std::string out;
  size_t copied = 0;
  for (const Edit* edit : order) {
    if (edit->begin < copied) continue;  // overlaps an earlier edit: callers never ask that
    out.append(text.substr(copied, edit->begin - copied));
    out += edit->text;
    copied = edit->end;
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace mi2::text_edit
