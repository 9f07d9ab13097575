#include "core/base/text.h"

#include <gtest/gtest.h>

namespace mi2 {
namespace {

TEST(EscapeControl, EscapesEveryControlByteAndKeepsTheRest) {
  EXPECT_EQ(escape_control("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(escape_control("\x1b[2J\x07\x7f"), "\\x1b[2J\\x07\\x7f");
  EXPECT_EQ(escape_control(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(escape_control("ünïcødé \\ 'q'"), "ünïcødé \\ 'q'");  // UTF-8 and backslashes stay
}

}  // namespace
}  // namespace mi2
