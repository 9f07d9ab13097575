// config.yaml edits in the host: the shared text editor's answer as a Result,
// the libyaml check around it and the atomic write (the text edit itself:
// tests/lib/text_edit/yaml_edit_test.cpp).
#include "core/yaml/config_edit.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/base/atomic_file.h"
#include "core/fleet/fleet.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::TempDir;
using test::write_file;

const char* kConfig = R"(# Managed by mi2.
spec:
  sourcegraphVersion: "4.0.0" # bumped by mi2 instance upgrade
  releaseChannel: stable
  notes: |
    sourcegraphVersion: 9.9.9 inside a block scalar
  domain:
    primaryDNSName: acme.sourcegraphcloud.com
)";

TEST(SetYamlScalar, ResultParsesToTheNewValue) {
  TempDir dir;
  auto edited = set_yaml_scalar(kConfig, {"spec", "releaseChannel"}, "4.10");
  ASSERT_TRUE(edited) << edited.message();
  write_file(dir / "c.yaml", *edited);
  auto json = load_yaml_file_as_json(dir / "c.yaml");
  ASSERT_TRUE(json) << json.message();
  EXPECT_EQ((*json)["spec"]["releaseChannel"], "4.10");
  EXPECT_EQ((*json)["spec"]["notes"], "sourcegraphVersion: 9.9.9 inside a block scalar\n");
}

TEST(SetYamlScalar, ARefusalIsAnErrorNamingTheKeyAndLine) {
  auto mapping = set_yaml_scalar(kConfig, {"spec", "domain"}, "x");
  ASSERT_FALSE(mapping);
  EXPECT_EQ(mapping.message(),
            "cannot set spec.domain (line 7): it is a mapping or a list, not a single value.");
}

TEST(WriteFileAtomic, AFailureIsAnErrorAndTheFolderStays) {
  TempDir dir;
  fs::create_directories(dir / "folder" / "child");
  Status status = write_file_atomic(dir / "folder", "x");
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("unchanged"), std::string::npos) << status.message();
  EXPECT_TRUE(fs::is_directory(dir / "folder" / "child"));
}

TEST(SetYamlScalarInFile, EditsInPlaceAndNamesTheFileOnError) {
  TempDir dir;
  fs::path file = dir / "config.yaml";
  write_file(file, kConfig);
  ASSERT_TRUE(set_yaml_scalar_in_file(file, {"spec", "sourcegraphVersion"}, "4.1.0"));
  std::string expected = kConfig;
  expected.replace(expected.find("\"4.0.0\""), 7, "\"4.1.0\"");
  EXPECT_EQ(read_file(file), expected);
  Status bad = set_yaml_scalar_in_file(file, {"spec", "domain"}, "x");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find(file.string()), std::string::npos);
}

}  // namespace
}  // namespace mi2
