#include "core/engine/version_policy.h"

#include <gtest/gtest.h>

namespace mi2 {
namespace {

TEST(VersionPolicyTest, AcceptsReleasesCandidatesAndMainBranchTags) {
  EXPECT_TRUE(validate_version("4.1.0").ok());
  EXPECT_TRUE(validate_version("4.1.0-rc.2").ok());
  EXPECT_TRUE(validate_version("208045_2023-04-01_5.0-0c4a8d6bb3e2").ok());
  for (const char* bad : {"v4.1.0", "4.1", "", "4.1.0; rm -rf /", "../4.1.0", "latest"}) {
    auto r = validate_version(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
}

TEST(VersionPolicyTest, OneMinorAtATime) {
  EXPECT_TRUE(check_upgrade_path("4.0.0", "4.1.0").ok());
  EXPECT_TRUE(check_upgrade_path("4.1.0", "4.1.3").ok());
  EXPECT_TRUE(check_upgrade_path("4.2.0", "4.1.0").ok());  // rollback
  EXPECT_TRUE(check_upgrade_path("3.43.0", "4.0.0").ok());
  auto skip = check_upgrade_path("4.0.0", "4.2.0");
  ASSERT_FALSE(skip.ok());
  EXPECT_NE(skip.message().find("4.0.0"), std::string::npos);
  EXPECT_NE(skip.message().find("--force"), std::string::npos);
  EXPECT_FALSE(check_upgrade_path("3.43.0", "4.1.0").ok());
}

}  // namespace
}  // namespace mi2
