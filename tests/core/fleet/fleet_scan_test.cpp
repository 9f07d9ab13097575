#include "core/fleet/fleet_scan.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/sys/process_runner.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::write_file;

ScanOptions filter_options(const std::string& filter, unsigned threads) {
  ScanOptions options;
  options.filter = filter;
  options.threads = threads;
  return options;
}

// The runbook's four batch filters (TARGET_VERSION=4.1.0).
std::vector<std::string> runbook_filters() {
  const std::string tail =
      R"(.spec.sourcegraphVersion != "4.1.0" and .spec.releaseChannel != "insiders" and .spec.releaseChannel != "pause")";
  return {R"(.metadata.labels."instance-type" == "internal" and )" + tail,
          R"(.metadata.labels."instance-type" == "production" and )" + tail,
          R"(.metadata.labels."instance-type" == "trial" and )" + tail, tail};
}

class FleetScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_ / "mi2.yaml", "roles: {}\n");
    const char* types[] = {"production", "trial", "internal", "'production'", "\"trial\""};
    const char* versions[] = {"4.1.0", "\"4.1.0\"", "'4.0.0'", "4.0.0", "4.10", "'4.1.0'"};
    const char* channels[] = {"stable", "insiders", "pause", "\"pause\"", "fast", "~"};
    for (int i = 0; i < 60; ++i) {
      std::string id = "src-" + std::to_string(1000 + i * 37 % 60);
      std::string text =
          "# instance " + id + "\napiVersion: sourcegraph.com/v1\nmetadata:\n  name: " + id + "\n";
      if (i % 11 != 5) text += "  labels:\n    instance-type: " + std::string(types[i % 5]) + "\n";
      text += "spec:\n  displayName: slug-" + std::to_string(i) +
              "\n  sourcegraphVersion: " + versions[i % 6] + "  # comment\n";
      if (i % 7 != 3) text += "  releaseChannel: " + std::string(channels[i % 6]) + "\n";
      text += "  debug: {enableAlerting: true, replicas: " + std::to_string(i % 4) + "}\n";
      add(id, text);
    }
  }
  void add(const std::string& id, const std::string& text) {
    write_file(dir_.path() / "environments" / "prod" / "deployments" / id / "config.yaml", text);
  }
  std::vector<std::string> scan_ids(const std::string& filter, unsigned threads = 0) {
    ScanOptions options;
    options.filter = filter;
    options.threads = threads;
    auto selected = scan_instances(Fleet(dir_.path()), "prod", options);
    EXPECT_TRUE(selected) << selected.message();
    std::vector<std::string> ids;
    if (selected)
      for (const auto& s : *selected) ids.push_back(s.ref.id);
    return ids;
  }
  // What the jq binary selects from the instances as load_instance reads them.
  std::vector<std::string> jq_ids(const std::string& filter) {
    if (!fs::exists(dir_ / "all.json")) {
      auto refs = Fleet(dir_.path()).instances("prod");
      Json all = Json::array();
      for (const auto& ref : *refs) all.push_back(*load_instance(ref));
      write_file(dir_ / "all.json", all.dump());
    }
    ProcessRequest request;
    request.argv = {"jq", "-r", ".[] | select(" + filter + ") | .metadata.name",
                    (dir_ / "all.json").string()};
    auto result = SystemProcessRunner().run(request);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    std::vector<std::string> ids;
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);) ids.push_back(line);
    return ids;
  }
  TempDir dir_;
};

TEST_F(FleetScanTest, RunbookFiltersSelectWhatJqSelects) {
  for (const auto& filter : runbook_filters()) {
    auto expected = jq_ids(filter);
    EXPECT_FALSE(expected.empty()) << filter;
    EXPECT_EQ(scan_ids(filter), expected) << filter;
    EXPECT_EQ(scan_ids(filter, 1), expected) << filter;
    EXPECT_EQ(scan_ids(filter, 4), expected) << filter;
  }
}

TEST_F(FleetScanTest, EmptyFilterSelectsEveryInstanceSortedWithItsJson) {
  fs::create_directories(dir_.path() / "environments" / "prod" / "deployments" / "no-config");
  ScanOptions options;
  ScanStats stats;
  options.stats = &stats;
  auto all = scan_instances(Fleet(dir_.path()), "prod", options);
  ASSERT_TRUE(all) << all.message();
  ASSERT_EQ(all->size(), 60u);
  EXPECT_EQ(stats.instances, 60u);
  for (size_t i = 1; i < all->size(); ++i) EXPECT_LT((*all)[i - 1].ref.id, (*all)[i].ref.id);
  for (const auto& scanned : *all) {
    auto expected = load_instance(scanned.ref);
    ASSERT_TRUE(expected);
    EXPECT_EQ(scanned.instance, *expected) << scanned.ref.id;
  }
}

TEST_F(FleetScanTest, FastParserAgreesWithTheTreeLoader) {
  const std::string tricky = R"(# comment
a: 4.10
b: '4.10'
c: "true"
d: true
e: ~
f: null
g: 42
h: -7
i: 0x1F
j: 1e3
k: 4.1.0
l: yes
m:
n: [1, "2", x, {y: z}]
o: |
  block
  text
p: !!str 12
r: 0o17
base: &base {x: 1, y: [a, b]}
copy: *base
"quoted key": 1
nested:
  - name: one
    value: 1.5
  - name: two
    list:
    - deep
empty_map: {}
empty_list: []
folded: >
  one
  two
)";
  write_file(dir_ / "tricky.yaml", tricky);
  auto fast = parse_yaml_fast(tricky, "tricky.yaml");
  ASSERT_TRUE(fast) << fast.message();
  auto tree = load_yaml_file_as_json(dir_ / "tricky.yaml");
  ASSERT_TRUE(tree) << tree.message();
  EXPECT_EQ(*fast, *tree) << fast->dump(1) << "\n---\n" << tree->dump(1);
  auto empty = parse_yaml_fast("# nothing\n", "empty.yaml");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->is_null());
}

TEST_F(FleetScanTest, CompileErrorNamesTheExpression) {
  auto result = scan_instances(Fleet(dir_.path()), "prod", filter_options(".spec | ]", 0));
  ASSERT_FALSE(result);
  EXPECT_NE(result.message().find("'.spec | ]' does not compile"), std::string::npos)
      << result.message();
}

TEST_F(FleetScanTest, NonBooleanNamesTheExpressionAndTheFirstInstance) {
  auto result = scan_instances(Fleet(dir_.path()), "prod", filter_options(".spec.displayName", 2));
  ASSERT_FALSE(result);
  EXPECT_NE(result.message().find("'.spec.displayName'"), std::string::npos) << result.message();
  EXPECT_NE(result.message().find("src-1000"), std::string::npos) << result.message();
  // A filter boolean for most instances but not for one is still an error.
  add("src-2000", "metadata:\n  name: src-2000\nspec:\n  flag: 1\n");
  auto partial =
      scan_instances(Fleet(dir_.path()), "prod", filter_options(".spec.flag // false", 0));
  ASSERT_FALSE(partial);
  EXPECT_NE(partial.message().find("src-2000"), std::string::npos) << partial.message();
}

TEST_F(FleetScanTest, BrokenYamlAndUnknownEnvironmentAreErrors) {
  add("src-0999", "spec: [unclosed\n");
  auto broken = scan_instances(Fleet(dir_.path()), "prod", filter_options("true", 2));
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.message().find("src-0999/config.yaml:"), std::string::npos) << broken.message();
  auto unknown = scan_instances(Fleet(dir_.path()), "staging", ScanOptions{});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.message().find("known environments: prod"), std::string::npos);
}

}  // namespace
}  // namespace mi2

namespace mi2 {
namespace {

TEST_F(FleetScanTest, CacheIsReusedAndNeverStale) {
  fs::path cache = dir_.path() / ".mi2" / "cache" / "scan-prod";
  ScanOptions no_cache;
  no_cache.use_cache = false;
  ASSERT_TRUE(scan_instances(Fleet(dir_.path()), "prod", no_cache));
  EXPECT_FALSE(fs::exists(cache));

  ScanOptions options;
  ScanStats stats;
  options.stats = &stats;
  options.filter = R"(.spec.displayName == "slug-7")";
  auto first = scan_instances(Fleet(dir_.path()), "prod", options);
  ASSERT_TRUE(first) << first.message();
  EXPECT_TRUE(fs::exists(cache));
  EXPECT_EQ(stats.cache_hits, 0u);
  auto second = scan_instances(Fleet(dir_.path()), "prod", options);
  ASSERT_TRUE(second);
  EXPECT_EQ(stats.cache_hits, 60u);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].instance, (*first)[0].instance);

  // Same size, same second: the ctime still tells the edit apart.
  fs::path config = (*second)[0].ref.config_path();
  std::string text = test::read_file(config);
  size_t at = text.find("slug-7");
  text.replace(at, 6, "slug-8");
  write_file(config, text);
  auto third = scan_instances(Fleet(dir_.path()), "prod", options);
  ASSERT_TRUE(third);
  EXPECT_TRUE(third->empty());
  EXPECT_EQ(stats.cache_hits, 59u);

  // A removed instance disappears; a corrupt cache is ignored.
  fs::remove_all(config.parent_path());
  write_file(cache, "mi2-scan-cache 1\nsrc-1000\t1\t2\t3\t4\t999999\n{");
  options.filter = "true";
  auto fourth = scan_instances(Fleet(dir_.path()), "prod", options);
  ASSERT_TRUE(fourth) << fourth.message();
  EXPECT_EQ(fourth->size(), 59u);
  EXPECT_EQ(stats.cache_hits, 0u);
  auto fifth = scan_instances(Fleet(dir_.path()), "prod", options);
  ASSERT_TRUE(fifth);
  EXPECT_EQ(stats.cache_hits, 59u);
  for (const auto& scanned : *fifth) EXPECT_EQ(scanned.instance, *load_instance(scanned.ref));
}

}  // namespace
}  // namespace mi2
