// Lines by byte offset and edits applied at once: the ground of every editor.
#include "lib/text_edit/text_lines.h"

#include <gtest/gtest.h>

namespace mi2::text_edit {
namespace {

TEST(TextLines, SplitsKeepingEachLineBreak) {
  TextLines lines("a: 1\r\n  b: 2\nc");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines.content(0), "a: 1");
  EXPECT_EQ(lines.line(0).end - lines.line(0).content_end, 2u);
  EXPECT_EQ(lines.indent(1), 2);
  EXPECT_FALSE(lines.line(2).has_break());
  EXPECT_EQ(lines.eol(), "\r\n");  // any CRLF makes new lines CRLF
  EXPECT_EQ(TextLines("a\n").eol(), "\n");
}

TEST(TextEdits, EditsInAnyOrderApplyInTextOrder) {
  std::string text = "one\ntwo\nthree\n";
  TextLines lines(text);
  TextEdits edits(lines);
  edits.remove_line(2);
  edits.replace(4, 7, "TWO");
  edits.insert_line_after(0, "one and a half");
  edits.insert_line_after(1, "before three");
  EXPECT_EQ(edits.apply(), "one\none and a half\nTWO\nbefore three\n");
  EXPECT_EQ(TextEdits(lines).apply(), text);
}

TEST(TextEdits, ALastLineWithoutABreakStaysWithoutOne) {
  std::string text = "a: 1\r\nb: 2";
  TextLines lines(text);
  TextEdits after(lines);
  after.insert_line_after(1, "c: 3");
  EXPECT_EQ(after.apply(), "a: 1\r\nb: 2\r\nc: 3");
  TextEdits appended(lines);
  appended.append_line("c: 3");
  EXPECT_EQ(appended.apply(), "a: 1\r\nb: 2\r\nc: 3\r\n");
  std::string empty;
  TextLines none(empty);
  TextEdits first(none);
  first.append_line("a: 1");
  EXPECT_EQ(first.apply(), "a: 1\n");
}

}  // namespace
}  // namespace mi2::text_edit
