// The block-YAML shortcut must give exactly what libyaml (and yaml-cpp) give,
// or decline: every document here is read all three ways.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/fleet/fleet.h"
#include "core/fleet/fleet_scan.h"
#include "core/fleet/yaml_block_reader.h"
#include "core/yaml/config_edit.h"
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
      // Found by fuzz/fuzz_yaml_block_reader: libyaml refuses the first and
      // reads the second as one scalar; the reader took them.
      "\xff: 1\n",
      "---#u:c -2\n",
  };
  for (const char* doc : docs) {
    expect_same(doc);
    auto simple = read_simple_block_yaml(doc);
    EXPECT_FALSE(simple.has_value()) << doc;
    if (simple) jv_free(*simple);
  }
}

// Found by fuzz/fuzz_yaml_block_reader (10-minute run): an implicit key whose
// ':' lies more than 1024 characters on is refused by libyaml; the reader took
// it. Up to 1024 both read it.
TEST(YamlBlockReader, DeclinesAKeyLongerThanYamlAllows) {
  for (size_t length : {size_t{1024}, size_t{1025}, size_t{3000}}) {
    for (const std::string& prefix : {std::string(), std::string("- - ")}) {
      std::string doc = "a:\n  " + prefix + std::string(length, 'k') + ": v\n";
      expect_same(doc);
      auto simple = read_simple_block_yaml(doc);
      EXPECT_EQ(simple.has_value(), length <= 1024) << length << " " << prefix;
      if (simple) jv_free(*simple);
    }
    std::string quoted = "'" + std::string(length - 2, 'q') + "': v\n";
    expect_same(quoted);
    auto simple = read_simple_block_yaml(quoted);
    EXPECT_EQ(simple.has_value(), length <= 1024) << "quoted " << length;
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

// What libyaml refuses, every reader refuses with the same line: the block
// reader declines it, the fast path, libyaml, the tree loader (yaml-cpp alone
// would accept the first and keep the last of a key given twice) and the
// config editor (which would rewrite the first of the two) all fail.
TEST(YamlBlockReader, EveryReaderRefusesWhatLibyamlRefusesWithTheLine) {
  struct Case {
    const char* text;
    const char* says;  // in every error, after "doc.yaml:"
  };
  const Case cases[] = {
      {"spec:\n  displayName: \"acme\n  sourcegraphVersion: 4.0.0\nstatus:\n  x: 1\n",
       "6: invalid YAML: while scanning a quoted scalar"},
      {"spec:\n  sourcegraphVersion: 4.0.0\n  sourcegraphVersion: 4.1.0\n",
       "3: invalid YAML: the key 'sourcegraphVersion' appears twice in one mapping (first on line "
       "2)"},
      {"a: 1\n'a': 2\n", "2: invalid YAML: the key 'a' appears twice"},
      {"spec:\n  x: 1\nspec:\n  sourcegraphVersion: 4.0.0\n", "3: invalid YAML: the key 'spec'"},
      {"a: {b: 1, b: 2}\n", "1: invalid YAML: the key 'b' appears twice"},
      {"a: *nothing\n", "1: invalid YAML: the alias *nothing names no anchor"},
  };
  for (const Case& c : cases) {
    std::string want = std::string("doc.yaml:") + c.says;
    auto simple = read_simple_block_yaml(c.text);
    EXPECT_FALSE(simple.has_value()) << c.text;
    if (simple) jv_free(*simple);
    auto fast = parse_yaml_fast(c.text, "doc.yaml");
    ASSERT_FALSE(fast.ok()) << c.text;
    EXPECT_EQ(fast.message().rfind(want, 0), 0u) << fast.message();
    auto libyaml = parse_yaml_with_libyaml(c.text, "doc.yaml");
    ASSERT_FALSE(libyaml.ok()) << c.text;
    EXPECT_EQ(libyaml.message().rfind(want, 0), 0u) << libyaml.message();

    test::TempDir dir;
    test::write_file(dir / "doc.yaml", c.text);
    auto path = (dir / "doc.yaml").string();
    auto tree = load_yaml_file_as_json(dir / "doc.yaml");
    ASSERT_FALSE(tree.ok()) << c.text;
    EXPECT_EQ(tree.message().rfind(path + ":" + c.says, 0), 0u) << tree.message();
    auto edit = set_yaml_scalar_in_file(dir / "doc.yaml", {"spec", "sourcegraphVersion"}, "9.9.9");
    ASSERT_FALSE(edit.ok()) << c.text;
    EXPECT_EQ(edit.message().rfind(path + ":" + c.says, 0), 0u) << edit.message();
    EXPECT_EQ(test::read_file(dir / "doc.yaml"), c.text);  // not changed
  }
}

// "Billion laughs": nine levels of ten aliases would be 10^9 nodes.
std::string alias_bomb() {
  std::string text = "a0: &a0 [lol]\n";
  for (int i = 1; i <= 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) text += (j ? ", " : "") + prev;
    text += "]\n";
  }
  return text;
}

TEST(YamlBlockReader, AliasBombsDeepNestingAndHugeFilesAreRefusedNamingTheFile) {
  test::TempDir dir;
  struct Case {
    std::string text;
    std::string says;
  };
  std::string deep = "a: " + std::string(300, '[') + std::string(300, ']') + "\n";
  std::string deep_block;
  for (int i = 0; i < 300; ++i) deep_block += std::string(i * 2, ' ') + "k:\n";
  std::string big_string = "s: &s \"" + std::string(1 << 20, 'x') + "\"\nl: [";
  for (int i = 0; i < 20; ++i) big_string += std::string(i ? ", " : "") + "*s";
  big_string += "]\n";
  const Case cases[] = {
      {alias_bomb(), "aliases expand to more than 100000 nodes"},
      {big_string, "aliases expand to more than"},
      {deep, "nest more than 256 levels deep"},
      {deep_block, "nest more than 256 levels deep"},
      {"a: " + std::string(9u << 20, 'x') + "\n", "bytes, more than the 8 MiB"},
  };
  for (const Case& c : cases) {
    auto path = dir / "config.yaml";
    test::write_file(path, c.text);
    for (auto result :
         {parse_yaml_fast(c.text, path.string()), parse_yaml_with_libyaml(c.text, path.string()),
          load_yaml_file_as_json(path)}) {
      ASSERT_FALSE(result.ok()) << c.says;
      EXPECT_EQ(result.message().rfind(path.string(), 0), 0u) << result.message().substr(0, 200);
      EXPECT_NE(result.message().find(c.says), std::string::npos)
          << result.message().substr(0, 200);
    }
    auto edit = set_yaml_scalar_in_file(path, {"a"}, "1");
    ASSERT_FALSE(edit.ok());
    EXPECT_NE(edit.message().find(c.says), std::string::npos) << edit.message().substr(0, 200);
  }
}

}  // namespace
}  // namespace mi2
