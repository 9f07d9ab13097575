// The block-YAML editor on text: set_yaml_scalar (the config.yaml bump) and
// the list-entry edits the kustomization editors use.
#include "lib/text_edit/yaml_edit.h"

#include <gtest/gtest.h>

namespace mi2::text_edit {
namespace {

// A config.yaml as people write them: comments everywhere, mixed quoting,
// fields mi2 does not know, anchors, a block scalar, a compact list.
const char* kConfig = R"(# Managed by mi2. Edit with care.
apiVersion: sourcegraph.com/v1   # schema
kind: SourcegraphCloud
metadata:
  name: src-1a2b3c
  labels:
    instance-type: 'production'
  annotations:
    cloud.sourcegraph.com/control-plane-mode: "true"
spec:
  # the slug
  displayName: acme
  sourcegraphVersion: "4.0.0" # bumped by mi2 instance upgrade
  releaseChannel: stable
  customField: {keep: me, and: [1, 2]}
  notes: |
    sourcegraphVersion: 9.9.9 inside a block scalar
    must not be touched
  domain:
    primaryDNSName: acme.sourcegraphcloud.com
    customDomains:
    - dnsName: acme.example.com
      primary: true
  infrastructure:
    gcp:
      region: us-central1   # default
      zone:

  debug: &debug
    tfcRunsMode: cli
status:
  gcp:
    projectId: 'src-1a2b3c-prod'
)";

std::string set(std::string_view text, const std::vector<std::string>& path,
                std::string_view value) {
  EditedText out = set_yaml_scalar(text, path, value);
  EXPECT_TRUE(out) << out.error;
  return out.text;
}

// Everything but `old_fragment` -> `new_fragment` (first occurrence) is unchanged.
void expect_only_change(const std::string& before, const std::string& after,
                        const std::string& old_fragment, const std::string& new_fragment) {
  std::string expected = before;
  size_t at = expected.find(old_fragment);
  ASSERT_NE(at, std::string::npos) << old_fragment;
  expected.replace(at, old_fragment.size(), new_fragment);
  EXPECT_EQ(after, expected);
}

TEST(SetYamlScalar, KeepsDoubleQuotesAndTheTrailingComment) {
  std::string out = set(kConfig, {"spec", "sourcegraphVersion"}, "4.1.0");
  expect_only_change(kConfig, out, "sourcegraphVersion: \"4.0.0\" # bumped",
                     "sourcegraphVersion: \"4.1.0\" # bumped");
}

TEST(SetYamlScalar, KeepsSingleQuotes) {
  std::string out = set(kConfig, {"metadata", "labels", "instance-type"}, "trial");
  expect_only_change(kConfig, out, "instance-type: 'production'", "instance-type: 'trial'");
  out = set(kConfig, {"status", "gcp", "projectId"}, "it's");
  expect_only_change(kConfig, out, "'src-1a2b3c-prod'", "'it''s'");
}

TEST(SetYamlScalar, PlainStaysPlainUnlessTheTypeWouldChange) {
  std::string out = set(kConfig, {"spec", "releaseChannel"}, "insiders");
  expect_only_change(kConfig, out, "releaseChannel: stable", "releaseChannel: insiders");
  for (const char* typed :
       {"4.10", "1e3", "yes", "null", "true", "42", "#hash", "a: b", "-x", ""}) {
    out = set(kConfig, {"spec", "releaseChannel"}, typed);
    std::string quoted = std::string("\"") + typed + "\"";
    expect_only_change(kConfig, out, "releaseChannel: stable", "releaseChannel: " + quoted);
  }
  out = set(kConfig, {"spec", "releaseChannel"}, "say \"hi\"\\");
  expect_only_change(kConfig, out, "releaseChannel: stable",
                     "releaseChannel: say \"hi\"\\");  // safe as plain
}

TEST(FormatScalar, EscapesWhatDoubleQuotesCannotHold) {
  EXPECT_EQ(double_quoted("a\"b\\\n\t\r\x01\x7f"), "\"a\\\"b\\\\\\n\\t\\r\\x01\\x7f\"");
  EXPECT_EQ(format_scalar("it's", ScalarStyle::kSingle), "'it''s'");
  EXPECT_EQ(format_scalar("tab\there", ScalarStyle::kSingle), "\"tab\\there\"");
}

TEST(SetYamlScalar, KeepsTrailingCommentAfterPlainValue) {
  std::string out = set(kConfig, {"spec", "infrastructure", "gcp", "region"}, "europe-west1");
  expect_only_change(kConfig, out, "region: us-central1   # default",
                     "region: europe-west1   # default");
}

TEST(SetYamlScalar, FillsAnEmptyValue) {
  std::string out = set(kConfig, {"spec", "infrastructure", "gcp", "zone"}, "us-central1-a");
  expect_only_change(kConfig, out, "      zone:\n", "      zone: us-central1-a\n");
}

TEST(SetYamlScalar, TagsAndAnchorsStayInFront) {
  std::string text = "a: &x old\nb: !!str old # c\n";
  EXPECT_EQ(set(text, {"a"}, "new"), "a: &x new\nb: !!str old # c\n");
  EXPECT_EQ(set(text, {"b"}, "new"), "a: &x old\nb: !!str new # c\n");
}

TEST(SetYamlScalar, AddsAMissingKeyIndentedLikeItsSiblings) {
  std::string out = set(kConfig, {"spec", "debug", "enableAlerting"}, "true");
  expect_only_change(kConfig, out, "    tfcRunsMode: cli\n",
                     "    tfcRunsMode: cli\n    enableAlerting: \"true\"\n");
  out = set(kConfig, {"metadata", "labels", "tier"}, "gold");
  expect_only_change(kConfig, out, "'production'\n", "'production'\n    tier: gold\n");
  out = set(kConfig, {"spec", "sourcegraphVersion2"}, "4.1.0");
  expect_only_change(kConfig, out, "    tfcRunsMode: cli\n",
                     "    tfcRunsMode: cli\n  sourcegraphVersion2: 4.1.0\n");
  // Under a parent with no children yet.
  EXPECT_EQ(set("a: 1\nspec:\nb: 2\n", {"spec", "x"}, "z"), "a: 1\nspec:\n  x: z\nb: 2\n");
  // At the end of a file without a final line break.
  EXPECT_EQ(set("a: 1", {"b"}, "2"), "a: 1\nb: \"2\"");
}

TEST(SetYamlScalar, AKeyBesideACompactListIsFound) {
  // customDomains' items stand in the column of its siblings.
  std::string out = set(kConfig, {"spec", "domain", "primaryDNSName"}, "acme.example.org");
  expect_only_change(kConfig, out, "primaryDNSName: acme.sourcegraphcloud.com",
                     "primaryDNSName: acme.example.org");
  EXPECT_EQ(set("a:\n- 1\nb: 2\n", {"b"}, "3"), "a:\n- 1\nb: \"3\"\n");
}

TEST(SetYamlScalar, LeavesLookalikesAlone) {
  // "sourcegraphVersion" inside the block scalar and a deeper same-named key are untouched.
  std::string text = "spec:\n  inner:\n    version: 1.0.0\n  version: 2.0.0\n";
  EXPECT_EQ(set(text, {"spec", "version"}, "3.0.0"),
            "spec:\n  inner:\n    version: 1.0.0\n  version: 3.0.0\n");
}

TEST(SetYamlScalar, KeepsCrlfLineEndings) {
  std::string crlf;
  for (char c : std::string(kConfig)) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  std::string out = set(crlf, {"spec", "sourcegraphVersion"}, "4.1.0");
  expect_only_change(crlf, out, "\"4.0.0\" # bumped", "\"4.1.0\" # bumped");
  out = set(crlf, {"spec", "debug", "enableAlerting"}, "on");
  expect_only_change(crlf, out, "    tfcRunsMode: cli\r\n",
                     "    tfcRunsMode: cli\r\n    enableAlerting: \"on\"\r\n");
  out = set(crlf, {"spec", "releaseChannel"}, "pause");
  expect_only_change(crlf, out, "releaseChannel: stable\r\n", "releaseChannel: pause\r\n");
}

TEST(SetYamlScalar, Errors) {
  auto missing_parent = set_yaml_scalar(kConfig, {"spec", "nothere", "x"}, "1");
  ASSERT_FALSE(missing_parent);
  EXPECT_NE(missing_parent.error.find("spec.nothere"), std::string::npos);

  auto mapping = set_yaml_scalar(kConfig, {"spec", "domain"}, "x");
  ASSERT_FALSE(mapping);
  EXPECT_NE(mapping.error.find("spec.domain"), std::string::npos);
  EXPECT_NE(mapping.error.find("line 19"), std::string::npos) << mapping.error;

  auto list = set_yaml_scalar(kConfig, {"spec", "domain", "customDomains", "dnsName"}, "x");
  ASSERT_FALSE(list);
  EXPECT_NE(list.error.find("list"), std::string::npos);

  auto flow_parent = set_yaml_scalar(kConfig, {"spec", "customField", "keep"}, "x");
  ASSERT_FALSE(flow_parent);
  EXPECT_NE(flow_parent.error.find("flow style"), std::string::npos);

  EXPECT_FALSE(set_yaml_scalar(kConfig, {"spec", "customField"}, "x"));
  EXPECT_FALSE(set_yaml_scalar(kConfig, {"spec", "notes"}, "x"));
  EXPECT_FALSE(set_yaml_scalar(kConfig, {"spec", "displayName", "x"}, "x"));
}

// The kustomization shapes the plugins edit: nested and compact lists, a bare
// "-", quoting, comments between entries.
const char* kImages = R"(images:
  - name: sourcegraph/frontend # app
    newTag: '4.0.0'
  # a comment that is no entry's own
  - name: "sourcegraph/worker"
    digest: sha256:abc
  -
    name: sourcegraph/searcher
    extra:
      newTag: nested
kind: Kustomization
)";

// Sets `key` to `value` in every entry; the edited text.
std::string set_in_entries(const std::string& text, const std::string& key,
                           const std::string& value) {
  BlockYaml yaml(text);
  TextEdits edits(yaml.lines());
  for (const ListEntry& entry : top_level_list(yaml, "images").entries)
    EXPECT_EQ(set_entry_scalar(yaml, edits, entry, key, value), "");
  return edits.apply();
}

TEST(TopLevelList, FindsTheEntriesAndTheirFields) {
  BlockYaml yaml(kImages);
  TopLevelList list = top_level_list(yaml, "images");
  ASSERT_TRUE(list.found);
  ASSERT_TRUE(list.is_block);
  ASSERT_EQ(list.entries.size(), 3u);
  EXPECT_EQ(yaml.entry_value(list.entries[0], "name"), "sourcegraph/frontend");
  EXPECT_EQ(yaml.entry_value(list.entries[0], "newTag"), "4.0.0");
  EXPECT_EQ(yaml.entry_value(list.entries[1], "name"), "sourcegraph/worker");
  EXPECT_EQ(yaml.entry_field(list.entries[1], "digest")->line, 5u);
  EXPECT_EQ(list.entries[2].key_column, 4);
  EXPECT_EQ(yaml.entry_value(list.entries[2], "name"), "sourcegraph/searcher");
  EXPECT_FALSE(yaml.entry_field(list.entries[2], "newTag"));  // only a nested one

  EXPECT_FALSE(top_level_list(yaml, "resources").found);
  BlockYaml flow("images: [{name: x}]\n");
  EXPECT_TRUE(top_level_list(flow, "images").found);
  EXPECT_FALSE(top_level_list(flow, "images").is_block);
  BlockYaml compact("images:\n- name: x\nkind: K\n");
  EXPECT_EQ(top_level_list(compact, "images").entries.size(), 1u);
}

TEST(SetEntryScalar, ReplacesKeepingQuotingOrAddsAfterTheEntry) {
  EXPECT_EQ(set_in_entries(kImages, "newTag", "4.1.0"), R"(images:
  - name: sourcegraph/frontend # app
    newTag: '4.1.0'
  # a comment that is no entry's own
  - name: "sourcegraph/worker"
    digest: sha256:abc
    newTag: 4.1.0
  -
    name: sourcegraph/searcher
    extra:
      newTag: nested
    newTag: 4.1.0
kind: Kustomization
)");
  // A value that would read as a number gets quotes; the same value changes nothing.
  EXPECT_EQ(set_in_entries("images:\n- name: x\n  newTag: a\n", "newTag", "5.10"),
            "images:\n- name: x\n  newTag: \"5.10\"\n");
  std::string done = "images:\n  - name: x\n    newTag: \"4.1.0\" # pinned\n";
  EXPECT_EQ(set_in_entries(done, "newTag", "4.1.0"), done);
}

TEST(SetEntryScalar, ASetOnTheDashLineAndAnEmptyValue) {
  EXPECT_EQ(set_in_entries("images:\n  - name: old\n", "name", "new"), "images:\n  - name: new\n");
  EXPECT_EQ(set_in_entries("images:\n  - name: x\n    newTag:\n", "newTag", "4.1.0"),
            "images:\n  - name: x\n    newTag: 4.1.0\n");
}

TEST(SetEntryScalar, RefusesWhatIsNotOneScalar) {
  std::string text = "images:\n  - name: x\n    newTag:\n      deeper: 1\n";
  BlockYaml yaml(text);
  TextEdits edits(yaml.lines());
  ListEntry entry = top_level_list(yaml, "images").entries.at(0);
  EXPECT_EQ(set_entry_scalar(yaml, edits, entry, "newTag", "4.1.0"),
            "cannot set newTag (line 3): it is a mapping or a list, not a single value.");
  EXPECT_TRUE(edits.empty());
}

}  // namespace
}  // namespace mi2::text_edit
