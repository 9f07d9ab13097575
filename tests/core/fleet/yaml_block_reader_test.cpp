// The block-YAML shortcut must give exactly what libyaml (and yaml-cpp) give,
// or decline: every document here is read all three ways.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/fleet/fleet.h"
#include "core/fleet/fleet_scan.h"
#include "core/fleet/yaml_block_reader.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

void expect_same(const std::string& text) {
  auto fast = parse_yaml_fast(text, "doc.yaml");
  auto libyaml = parse_yaml_with_libyaml(text, "doc.yaml");
  ASSERT_EQ(fast.ok(), libyaml.ok())
      << text << "\nfast: " << (fast ? fast->dump() : fast.message())
      << "\nlibyaml: " << (libyaml ? libyaml->dump() : libyaml.message());
  if (!fast) return;
  EXPECT_EQ(*fast, *libyaml) << text;
  test::TempDir dir;
  test::write_file(dir / "doc.yaml", text);
  auto tree = load_yaml_file_as_json(dir / "doc.yaml");
  ASSERT_TRUE(tree) << tree.message();
  EXPECT_EQ(*fast, *tree) << text;
}

TEST(YamlBlockReader, AgreesWithLibyamlOnConfigShapes) {
  const char* docs[] = {
      "",
      "# only a comment\n",
      "---\na: 1\n",
      "--- # header\na: 1\n",
      "a: 1\nb: two\nc: 'three'\nd: \"four\"\n",
      "a:\n  b:\n    c: 1\n  d: 2\ne: 3\n",
      "list:\n- a\n- b\nnext: 1\n",
      "list:\n  - a\n  - 'b'\n  - 3\n",
      "items:\n  - name: one\n    value: 1.5\n  - name: two\n    nested:\n      - deep\n      - x: "
      "y\n",
      "a: 1 # trailing\nb: x#y\nc: 'q # not a comment'\nd: https://example.com:8443/path\n",
      "v1: 4.10\nv2: '4.10'\nv3: 4.1.0\nv4: 1e3\nv5: 0x1F\nv6: 0o17\nv7: -7\nv8: .inf\nv9: ~\n"
      "v10: null\nv11: true\nv12: False\nv13: yes\nv14:\nv15: 12345678901234567890\n",
      "\"quoted key\": 1\n'single key': 2\nkey with spaces: 3\ncloud.sourcegraph.com/mode: "
      "\"true\"\n",
      "esc: \"a\\\"b\\\\c\\nd\\te\"\nsq: 'it''s'\nempty1: ''\nempty2: \"\"\n",
      "a: {}\nb: []\nc: {} # empty\n",
      "a: 1\r\nb:\r\n  c: 2\r\n",
      "a:   spaced   \nb:    'x'   \n",
      "seq:\n-\n  a: 1\n- - inner\n  - more\n",
      "top:\n    deep: 1\n    deeper:\n        x: 2\n",
      "dup: 1\ndup: 2\n",
      "k: -x\nj: '-'\nm: ?x\n",
  };
  for (const char* doc : docs) {
    expect_same(doc);
    // These shapes take the shortcut.
    auto simple = read_simple_block_yaml(doc);
    EXPECT_TRUE(simple.has_value()) << doc;
    if (simple) jv_free(*simple);
  }
}

TEST(YamlBlockReader, DeclinesTheRestToLibyaml) {
  const char* docs[] = {
      "a: [1, 2]\nb: {c: d}\n",
      "a: &x 1\nb: *x\n",
      "a: |\n  text\n",
      "a: multi\n  line plain\n",
      "a: 'multi\n  line quoted'\n",
      "a: !!str 12\n",
      "a:\tb\n",
      "a: b: c\n",
      "a: 1\n b: 2\n",
      "- a\nb: 1\n",
      "scalar document\n",
      "a: \"\\u00e9\"\n",
      "%YAML 1.2\n---\na: 1\n",
      "a: 1\n...\n",
      "a: 1\n---\nb: 2\n",
  };
  for (const char* doc : docs) {
    expect_same(doc);
    auto simple = read_simple_block_yaml(doc);
    EXPECT_FALSE(simple.has_value()) << doc;
    if (simple) jv_free(*simple);
  }
}

TEST(YamlBlockReader, AgreesOnGeneratedConfigs) {
  const char* types[] = {"production", "'trial'", "\"internal\""};
  const char* versions[] = {"4.1.0", "\"4.1.0\"", "'4.0.0'", "4.10", "5"};
  for (int i = 0; i < 30; ++i) {
    std::string text = "# instance " + std::to_string(i) +
                       "\napiVersion: sourcegraph.com/v1\nmetadata:\n  name: src-" +
                       std::to_string(i) + "\n  labels:\n    instance-type: " + types[i % 3] +
                       "\nspec:\n  sourcegraphVersion: " + versions[i % 5] +
                       "  # bumped\n  domain:\n    customDomains:\n" +
                       (i % 2 ? "    - dnsName: a.example.com\n      primary: true\n"
                              : "      - dnsName: b.example.com\n") +
                       "  replicas: " + std::to_string(i) + "\n";
    expect_same(text);
  }
}

}  // namespace
}  // namespace mi2
