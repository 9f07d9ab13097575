// The shared release catalog: version order, both plugins' layouts of the
// sample fleet's releases/, and a sentence for each mistake in a catalog.
#include "plugins/release_catalog/release_catalog.h"

#include <gtest/gtest.h>
#include <mi2/sdk/host.hpp>

#include <string>
#include <vector>

#include "plugins/release_catalog/versions.h"
#include "tests/support/temp_dir.h"

namespace mi2::releases {
namespace {

const char* kReleases = MI2_SOURCE_DIR "/examples/fleet/releases";

std::vector<std::string> ids(const std::vector<Migration>& migrations) {
  std::vector<std::string> out;
  for (const auto& m : migrations) out.push_back(m.id);
  return out;
}

std::string failure(const std::filesystem::path& dir, const CatalogLayout& layout) {
  try {
    ReleaseCatalog::load(dir, layout);
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.status(), MI2_FAILED);
    return e.what();
  }
  return "loaded";
}

TEST(ReleaseVersionsTest, PreReleasesSortBeforeTheirRelease) {
  EXPECT_LT(compare_versions("4.1.0", "4.2.0-rc.1"), 0);
  EXPECT_LT(compare_versions("4.2.0-rc.1", "4.2.0-rc.2"), 0);
  EXPECT_LT(compare_versions("4.2.0-rc.2", "4.2.0-rc.10"), 0);
  EXPECT_LT(compare_versions("4.2.0-rc.2", "4.2.0"), 0);
  EXPECT_LT(compare_versions("4.9.0", "4.10.0"), 0);
  EXPECT_EQ(compare_versions("4.1.0", "4.1.0"), 0);
  EXPECT_TRUE(is_version("4.2.0-rc.1"));
  EXPECT_FALSE(is_version("v4.1.0"));
  EXPECT_FALSE(is_version("4.1"));
  EXPECT_FALSE(is_version("4.1.0-rc.1;rm"));
  EXPECT_FALSE(is_version("4.1.0-"));
  EXPECT_FALSE(is_version("1234567890.1.0"));
}

TEST(ReleaseVersionsTest, RequireNamesWhatIsWrong) {
  try {
    require_version("v4.1.0", "the tag of frontend");
    FAIL();
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.status(), MI2_INVALID_INPUT);
    EXPECT_EQ(std::string(e.what()),
              "the tag of frontend 'v4.1.0' is not a version like 4.1.0 or 4.2.0-rc.1 (no 'v' "
              "prefix)");
  }
}

TEST(ReleaseCatalogTest, TheLocalLayoutReadsManifestsAndMigrations) {
  ReleaseCatalog catalog = ReleaseCatalog::load(kReleases, {"local", "migrations", true});
  EXPECT_EQ(catalog.latest(), "4.2.0");
  ASSERT_EQ(catalog.releases().size(), 5u);
  EXPECT_EQ(catalog.releases().front().version, "4.0.0");  // oldest first
  EXPECT_EQ(catalog.releases()[2].version, "4.2.0-rc.1");
  std::vector<std::string> up = ids(catalog.migrations_up_to("4.2.0"));
  EXPECT_EQ(up.front(), "4.0.0/001_create_users.sql");
  EXPECT_EQ(up.back(), "4.2.0/002_create_repo_topics.sql");
  for (const auto& id : up) EXPECT_EQ(id.find("rc"), std::string::npos) << id;
  EXPECT_TRUE(catalog.get("4.2.0-rc.1").workload_unhealthy("frontend"));
  EXPECT_FALSE(catalog.get("4.2.0").workload_unhealthy("frontend"));
  const Migration* m = catalog.find_migration("4.1.0/001_add_repo_stars.sql");
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->file.is_absolute());
  EXPECT_EQ(m->release, "4.1.0");
  EXPECT_EQ(catalog.find_migration("4.1.0/999_none.sql"), nullptr);
}

TEST(ReleaseCatalogTest, ThePostgresLayoutReadsOneDatabasesSql) {
  ReleaseCatalog catalog =
      ReleaseCatalog::load(kReleases, {"postgres", "migrations/postgres/pgsql", false});
  EXPECT_EQ(ids(catalog.migrations_up_to("4.2.0")),
            (std::vector<std::string>{
                "4.0.0/001_create_users.sql", "4.0.0/002_create_repos.sql",
                "4.1.0/001_add_repo_stars.sql", "4.1.0/002_create_settings.sql",
                "4.2.0/001_create_audit_log.sql", "4.2.0/002_create_repo_topics.sql"}));
  EXPECT_TRUE(catalog.get("4.2.0-rc.1").unhealthy.empty());  // release.json left unread
}

TEST(ReleaseCatalogTest, MistakesAreSentencesNamingTheFileOrOption) {
  mi2::test::TempDir dir("mi2-releases");
  EXPECT_EQ(failure(dir / "none", {"postgres"}),
            "the release catalog " + (dir / "none").string() +
                " does not exist; set plugins.postgres.releases_dir in mi2.yaml.");

  mi2::test::write_file(dir / "4.1.0/release.json", R"({"version": "4.0.0"})");
  EXPECT_EQ(failure(dir.path(), {"local"}),
            (dir / "4.1.0/release.json").string() +
                " says version \"4.0.0\" but lives in the folder of 4.1.0.");
  mi2::test::write_file(dir / "4.1.0/release.json", R"({"unhealthy": "frontend"})");
  EXPECT_EQ(failure(dir.path(), {"local"}), (dir / "4.1.0/release.json").string() +
                                                ": 'unhealthy' must be a list of workload names.");

  mi2::test::write_file(dir / "4.1.0/release.json", "{}");
  mi2::test::write_file(dir / "notes/README.md", "not a release");
  ReleaseCatalog catalog = ReleaseCatalog::load(dir.path(), {"local"});
  ASSERT_EQ(catalog.releases().size(), 1u);
  try {
    catalog.get("4.2.0");
    FAIL();
  } catch (const sdk::Error& e) {
    EXPECT_EQ(std::string(e.what()), "version 4.2.0 is not in the release catalog " +
                                         dir.path().string() + " (it has 4.1.0).");
  }
}

}  // namespace
}  // namespace mi2::releases
