// JSON values replaced in place: every other byte of the document stays.
#include "lib/text_edit/json_value_edit.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace mi2::text_edit {
namespace {

TEST(JsonValueEdit, ReplacesOneValueAndKeepsEveryOtherByte) {
  std::string text =
      "{\n  \"a\" : {\"x\": \"{not}\", \"k\\u0065y\": [1, {\"k\": 2}],\n"
      "    \"key\":   \"old\"  },\n  \"key\": true\n}\n";
  auto edited = replace_json_value(text, {"a", "key"}, "\"new\"");
  ASSERT_TRUE(edited);
  std::string expected = text;
  expected.replace(expected.find("\"old\""), 5, "\"new\"");
  EXPECT_EQ(*edited, expected);
  EXPECT_FALSE(replace_json_value(text, {"a", "missing"}, "1"));
  EXPECT_FALSE(replace_json_value(text, {"key", "deeper"}, "1"));
  auto top = replace_json_value(text, {"key"}, "false");
  ASSERT_TRUE(top);
  EXPECT_NE(top->find("\"key\": false\n}"), std::string::npos);
  EXPECT_THROW(find_json_value("{\"a\": ", {"a"}), std::invalid_argument);
  EXPECT_EQ(split_key_path("locals.sourcegraph_version"),
            (std::vector<std::string>{"locals", "sourcegraph_version"}));
}

}  // namespace
}  // namespace mi2::text_edit
