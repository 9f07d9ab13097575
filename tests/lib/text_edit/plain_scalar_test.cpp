// How a plain scalar is typed, and when a string may be written plain: what
// decides whether an edit adds quotes.
#include "lib/text_edit/plain_scalar.h"

#include <gtest/gtest.h>

namespace mi2::text_edit {
namespace {

TEST(PlainScalar, ClassifiesAsTheCoreSchema) {
  EXPECT_EQ(classify_plain_scalar("~").kind, PlainScalarKind::kNull);
  EXPECT_EQ(classify_plain_scalar("True").kind, PlainScalarKind::kBool);
  EXPECT_EQ(classify_plain_scalar("0x1F").integer, 31);
  EXPECT_EQ(classify_plain_scalar("-12").integer, -12);
  EXPECT_TRUE(classify_plain_scalar("18446744073709551615").is_unsigned);
  EXPECT_EQ(classify_plain_scalar("4.10").kind, PlainScalarKind::kFloat);
  EXPECT_EQ(classify_plain_scalar(".5").kind, PlainScalarKind::kFloat);
  EXPECT_EQ(classify_plain_scalar("4.1.0").kind, PlainScalarKind::kString);
  EXPECT_EQ(classify_plain_scalar("yes").kind, PlainScalarKind::kString);  // 1.2: a string
}

TEST(PlainScalar, SafeAsPlainOnlyWhenItReadsBackTheSameEverywhere) {
  for (const char* plain : {"4.1.0", "stable", "v4.1.0", "say \"hi\"", "a:b"})
    EXPECT_TRUE(safe_as_plain_scalar(plain)) << plain;
  for (const char* quoted : {"", "4.10", "1e3", "yes", "off", "null", "0x1F", "1_000", "12:30",
                             "-x", "#x", "a: b", "a #b", " x", "x:", "tab\there"})
    EXPECT_FALSE(safe_as_plain_scalar(quoted)) << quoted;
}

}  // namespace
}  // namespace mi2::text_edit
