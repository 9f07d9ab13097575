#include "core/yaml/config_edit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "core/fleet/fleet.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::TempDir;
using test::write_file;

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
  auto out = set_yaml_scalar(text, path, value);
  EXPECT_TRUE(out) << out.message();
  return out ? *out : std::string();
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

TEST(SetYamlScalar, ResultParsesToTheNewValue) {
  TempDir dir;
  write_file(dir / "c.yaml", set(kConfig, {"spec", "releaseChannel"}, "4.10"));
  auto json = load_yaml_file_as_json(dir / "c.yaml");
  ASSERT_TRUE(json) << json.message();
  EXPECT_EQ((*json)["spec"]["releaseChannel"], "4.10");
  EXPECT_EQ((*json)["spec"]["notes"],
            "sourcegraphVersion: 9.9.9 inside a block scalar\nmust not be touched\n");
}

TEST(SetYamlScalar, Errors) {
  auto missing_parent = set_yaml_scalar(kConfig, {"spec", "nothere", "x"}, "1");
  ASSERT_FALSE(missing_parent);
  EXPECT_NE(missing_parent.message().find("spec.nothere"), std::string::npos);

  auto mapping = set_yaml_scalar(kConfig, {"spec", "domain"}, "x");
  ASSERT_FALSE(mapping);
  EXPECT_NE(mapping.message().find("spec.domain"), std::string::npos);
  EXPECT_NE(mapping.message().find("line 19"), std::string::npos) << mapping.message();

  auto list = set_yaml_scalar(kConfig, {"spec", "domain", "customDomains", "dnsName"}, "x");
  ASSERT_FALSE(list);
  EXPECT_NE(list.message().find("list"), std::string::npos);

  auto flow_parent = set_yaml_scalar(kConfig, {"spec", "customField", "keep"}, "x");
  ASSERT_FALSE(flow_parent);
  EXPECT_NE(flow_parent.message().find("flow style"), std::string::npos);

  EXPECT_FALSE(set_yaml_scalar(kConfig, {"spec", "customField"}, "x"));
  EXPECT_FALSE(set_yaml_scalar(kConfig, {"spec", "notes"}, "x"));
  EXPECT_FALSE(set_yaml_scalar(kConfig, {"spec", "displayName", "x"}, "x"));
}

TEST(WriteFileAtomic, ReplacesContentsAndKeepsTheMode) {
  TempDir dir;
  fs::path file = dir / "config.yaml";
  write_file(file, "old\n");
  ::chmod(file.c_str(), 0640);
  ASSERT_TRUE(write_file_atomic(file, "new\n"));
  EXPECT_EQ(read_file(file), "new\n");
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(WriteFileAtomic, FailureLeavesTheOriginalAndNoTempFile) {
  TempDir dir;
  fs::path file = dir / "config.yaml";
  std::string original(4096, 'x');
  write_file(file, original);

  // A file-size limit makes the write itself fail part-way, as a full disk would.
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 100;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  Status status = write_file_atomic(file, std::string(10000, 'y'));
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);

  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find(file.string()), std::string::npos);
  EXPECT_NE(status.message().find("unchanged"), std::string::npos);
  EXPECT_EQ(read_file(file), original);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);

  // Renaming over a folder fails after the write: the temp file goes too.
  fs::create_directories(dir / "folder" / "child");
  EXPECT_FALSE(write_file_atomic(dir / "folder", "x"));
  EXPECT_TRUE(fs::is_directory(dir / "folder" / "child"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 2);
}

TEST(SetYamlScalarInFile, EditsInPlaceAndNamesTheFileOnError) {
  TempDir dir;
  fs::path file = dir / "config.yaml";
  write_file(file, kConfig);
  ASSERT_TRUE(set_yaml_scalar_in_file(file, {"spec", "sourcegraphVersion"}, "4.1.0"));
  expect_only_change(kConfig, read_file(file), "\"4.0.0\"", "\"4.1.0\"");
  Status bad = set_yaml_scalar_in_file(file, {"spec", "domain"}, "x");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find(file.string()), std::string::npos);
}

}  // namespace
}  // namespace mi2
