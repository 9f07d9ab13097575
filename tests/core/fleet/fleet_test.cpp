#include "core/fleet/fleet.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/host/step_input.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::write_file;

std::string instance_yaml(const std::string& id, const std::string& slug,
                          const std::string& extra = "") {
  return "apiVersion: sourcegraph.com/v1\nkind: SourcegraphCloud\nmetadata:\n  name: " + id +
         "\n  labels:\n    instance-type: production\nspec:\n  displayName: " + slug +
         "\n  sourcegraphVersion: 4.0.0\n" + extra;
}

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("MI2_FLEET_ROOT");
    write_file(dir_ / "mi2.yaml", "roles: {}\n");
    add("prod", "src-b2", "acme");
    add("prod", "src-a1", "globex");
    add("dev", "src-d1", "initech");
  }
  void add(const std::string& env, const std::string& id, const std::string& slug) {
    write_file(dir_.path() / "environments" / env / "deployments" / id / "config.yaml",
               instance_yaml(id, slug));
  }
  fs::path instance_dir(const std::string& env, const std::string& id) {
    return dir_.path() / "environments" / env / "deployments" / id;
  }
  TempDir dir_;
};

TEST_F(FleetTest, DiscoversTheNearestFolderHoldingMi2Yaml) {
  fs::path deep = instance_dir("prod", "src-a1") / "kubernetes";
  fs::create_directories(deep);
  auto fleet = Fleet::discover(deep);
  ASSERT_TRUE(fleet) << fleet.message();
  EXPECT_EQ(fs::canonical(fleet->root()), fs::canonical(dir_.path()));
}

TEST_F(FleetTest, DiscoverFailsOutsideAFleetAndNamesTheFolder) {
  TempDir outside;
  auto fleet = Fleet::discover(outside.path());
  ASSERT_FALSE(fleet);
  EXPECT_NE(fleet.message().find(fs::canonical(outside.path()).string()), std::string::npos);
  EXPECT_NE(fleet.message().find("mi2.yaml"), std::string::npos);
}

TEST_F(FleetTest, EnvironmentVariableOverridesTheSearch) {
  TempDir outside;
  setenv("MI2_FLEET_ROOT", dir_.path().c_str(), 1);
  auto fleet = Fleet::discover(outside.path());
  unsetenv("MI2_FLEET_ROOT");
  ASSERT_TRUE(fleet) << fleet.message();
  EXPECT_EQ(fs::canonical(fleet->root()), fs::canonical(dir_.path()));

  setenv("MI2_FLEET_ROOT", outside.path().c_str(), 1);
  auto bad = Fleet::discover(dir_.path());
  unsetenv("MI2_FLEET_ROOT");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("MI2_FLEET_ROOT"), std::string::npos);
}

TEST_F(FleetTest, ListsEnvironmentsAndInstancesSortedById) {
  Fleet fleet(dir_.path());
  auto envs = fleet.environments();
  ASSERT_TRUE(envs);
  EXPECT_EQ(*envs, (std::vector<std::string>{"dev", "prod"}));
  fs::create_directories(instance_dir("prod", "not-an-instance"));  // no config.yaml
  auto refs = fleet.instances("prod");
  ASSERT_TRUE(refs) << refs.message();
  ASSERT_EQ(refs->size(), 2u);
  EXPECT_EQ((*refs)[0].id, "src-a1");
  EXPECT_EQ((*refs)[1].id, "src-b2");
  EXPECT_EQ((*refs)[0].environment, "prod");
  EXPECT_EQ((*refs)[0].config_path(), instance_dir("prod", "src-a1") / "config.yaml");
}

TEST_F(FleetTest, UnknownEnvironmentNamesTheKnownOnes) {
  auto refs = Fleet(dir_.path()).instances("staging");
  ASSERT_FALSE(refs);
  EXPECT_NE(refs.message().find("'staging'"), std::string::npos);
  EXPECT_NE(refs.message().find("dev, prod"), std::string::npos);
  EXPECT_FALSE(Fleet(dir_.path()).instances("../prod"));
}

TEST_F(FleetTest, FindsBySlugOrId) {
  Fleet fleet(dir_.path());
  auto by_slug = fleet.find("prod", "acme");
  ASSERT_TRUE(by_slug) << by_slug.message();
  EXPECT_EQ(by_slug->id, "src-b2");
  auto by_id = fleet.find("prod", "src-a1");
  ASSERT_TRUE(by_id) << by_id.message();
  EXPECT_EQ(by_id->id, "src-a1");
  auto none = fleet.find("prod", "nobody");
  ASSERT_FALSE(none);
  EXPECT_NE(none.message().find("'nobody'"), std::string::npos);
}

TEST_F(FleetTest, AmbiguousSlugIsAnError) {
  add("prod", "src-c3", "acme");
  auto hit = Fleet(dir_.path()).find("prod", "acme");
  ASSERT_FALSE(hit);
  EXPECT_NE(hit.message().find("src-b2"), std::string::npos);
  EXPECT_NE(hit.message().find("src-c3"), std::string::npos);
}

TEST_F(FleetTest, InfersAndResolvesFromTheCurrentFolder) {
  Fleet fleet(dir_.path());
  fs::path inside = instance_dir("prod", "src-a1") / "terraform" / "stacks";
  fs::create_directories(inside);
  auto inferred = fleet.infer(inside);
  ASSERT_TRUE(inferred);
  EXPECT_EQ(inferred->id, "src-a1");
  EXPECT_EQ(inferred->environment, "prod");
  EXPECT_FALSE(fleet.infer(dir_.path()));
  EXPECT_FALSE(fleet.infer(dir_.path() / "environments" / "prod"));

  auto implicit = fleet.resolve("", "", inside);
  ASSERT_TRUE(implicit) << implicit.message();
  EXPECT_EQ(implicit->id, "src-a1");
  // Explicit flags win over the folder.
  auto explicit_flags = fleet.resolve("prod", "acme", inside);
  ASSERT_TRUE(explicit_flags);
  EXPECT_EQ(explicit_flags->id, "src-b2");

  auto outside = fleet.resolve("", "", dir_.path());
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.message().find(
                "pass -e ENV --slug SLUG or run inside environments/<env>/deployments/<id>/"),
            std::string::npos);
  EXPECT_FALSE(fleet.resolve("prod", "", dir_.path()));
  EXPECT_FALSE(fleet.resolve("dev", "", inside));  // disagrees with the folder
}

TEST_F(FleetTest, StateDirIsOutsideTheInstanceFolder) {
  Fleet fleet(dir_.path());
  InstanceRef ref{"prod", "src-a1", instance_dir("prod", "src-a1")};
  EXPECT_EQ(fleet.state_dir(ref), dir_.path() / ".mi2" / "state" / "prod" / "src-a1");
}

TEST_F(FleetTest, LoadsYamlWithCoreSchemaTyping) {
  fs::path file = dir_ / "typed.yaml";
  write_file(file,
             "a: 4.10\nb: '4.10'\nc: \"true\"\nd: true\ne: ~\nf: null\ng: 42\nh: -7\n"
             "i: 0x1F\nj: 1e3\nk: 4.1.0\nl: yes\nm:\nn: [1, \"2\", x]\no: |\n  block\n"
             "p: !!str 12\nq: .inf\nr: 0o17\ns: 18446744073709551615\nt: False\n");
  auto json = load_yaml_file_as_json(file);
  ASSERT_TRUE(json) << json.message();
  const Json& j = *json;
  EXPECT_TRUE(j["a"].is_number_float());
  EXPECT_DOUBLE_EQ(j["a"].get<double>(), 4.1);
  EXPECT_EQ(j["b"], "4.10");
  EXPECT_EQ(j["c"], "true");
  EXPECT_EQ(j["d"], true);
  EXPECT_TRUE(j["e"].is_null());
  EXPECT_TRUE(j["f"].is_null());
  EXPECT_EQ(j["g"], 42);
  EXPECT_TRUE(j["g"].is_number_integer());
  EXPECT_EQ(j["h"], -7);
  EXPECT_EQ(j["i"], 31);
  EXPECT_DOUBLE_EQ(j["j"].get<double>(), 1000.0);
  EXPECT_EQ(j["k"], "4.1.0");
  EXPECT_EQ(j["l"], "yes");  // YAML 1.2: not a boolean
  EXPECT_TRUE(j["m"].is_null());
  EXPECT_EQ(j["n"], Json::parse(R"([1, "2", "x"])"));
  EXPECT_EQ(j["o"], "block\n");
  EXPECT_EQ(j["p"], "12");
  EXPECT_TRUE(std::isinf(j["q"].get<double>()));
  EXPECT_EQ(j["r"], 15);
  EXPECT_EQ(j["s"].get<std::uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(j["t"], false);
}

TEST_F(FleetTest, YamlErrorNamesFileAndLine) {
  fs::path file = dir_ / "broken.yaml";
  write_file(file, "a: 1\nb: [1, 2\nc: 3\n");
  auto json = load_yaml_file_as_json(file);
  ASSERT_FALSE(json);
  EXPECT_NE(json.message().find(file.string() + ":"), std::string::npos) << json.message();
  auto missing = load_yaml_file_as_json(dir_ / "missing.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.message().find("missing.yaml"), std::string::npos);
}

TEST_F(FleetTest, StepInputCarriesTheInstanceFieldsStepAndParams) {
  Fleet fleet(dir_.path());
  auto ref = fleet.find("prod", "acme");
  ASSERT_TRUE(ref);
  auto json = load_instance(*ref);
  ASSERT_TRUE(json);
  Json input = step_input(fleet, *ref, *json, "check", Json(), true);
  EXPECT_EQ(input["fleet_root"], dir_.path().string());
  EXPECT_EQ(input["environment"], "prod");
  EXPECT_EQ(input["instance_id"], "src-b2");
  EXPECT_EQ(input["slug"], "acme");
  EXPECT_EQ(input["instance_dir"], ref->dir.string());
  EXPECT_EQ(input["state_dir"], fleet.state_dir(*ref).string());
  EXPECT_EQ(input["instance"]["metadata"]["name"], "src-b2");
  EXPECT_EQ(input["step"], "check");
  EXPECT_EQ(input["dry_run"], true);
  EXPECT_EQ(input["params"], Json::object());  // never null
}

}  // namespace
}  // namespace mi2
