// mi2 instance get | list, run as the built binary on a temp fleet.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/base/json.h"
#include "core/sys/process_runner.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::write_file;

class InstanceQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_ / "mi2.yaml", "roles: {}\n");
    add("src-b2", "acme", "production", "4.0.0");
    add("src-a1", "globex", "trial", "4.1.0");
  }
  void add(const std::string& id, const std::string& slug, const std::string& type,
           const std::string& version) {
    write_file(instance_dir(id) / "config.yaml",
               "# comment\napiVersion: sourcegraph.com/v1\nkind: SourcegraphCloud\nmetadata:\n"
               "  name: " +
                   id + "\n  labels:\n    instance-type: " + type +
                   "\nspec:\n  displayName: " + slug + "\n  sourcegraphVersion: \"" + version +
                   "\"\n  replicas: 2\n  debug:\n    enableAlerting: true\n");
  }
  fs::path instance_dir(const std::string& id) {
    return dir_.path() / "environments" / "prod" / "deployments" / id;
  }
  ProcessResult mi2(std::vector<std::string> args, const fs::path& cwd = {}) {
    ProcessRequest request;
    request.argv = {MI2_EXE};
    request.argv.insert(request.argv.end(), args.begin(), args.end());
    request.cwd = (cwd.empty() ? dir_.path() : cwd).string();
    request.env = {"MI2_FLEET_ROOT="};
    request.timeout = std::chrono::seconds(30);
    return SystemProcessRunner().run(request);
  }
  TempDir dir_;
};

TEST_F(InstanceQueryTest, GetPrintsTheInstancePretty) {
  auto r = mi2({"instance", "get", "-e", "prod", "--slug", "acme"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json json = Json::parse(r.out);
  EXPECT_EQ(json["metadata"]["name"], "src-b2");
  EXPECT_EQ(json["spec"]["replicas"], 2);
  EXPECT_EQ(json["spec"]["debug"]["enableAlerting"], true);
  EXPECT_EQ(json["spec"]["sourcegraphVersion"], "4.0.0");
  EXPECT_NE(r.out.find("\n  \"apiVersion\": \"sourcegraph.com/v1\""), std::string::npos) << r.out;
}

TEST_F(InstanceQueryTest, BothFlagSpellingsAndShortSlug) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"instance", "get", "--environment", "prod", "-s", "acme"},
           {"instance", "get", "-environment", "prod", "-slug", "acme"},
           {"instance", "get", "-e", "prod", "--slug", "src-b2"},
           {"instance", "get", "-e", "prod", "--slug=acme"}}) {
    auto r = mi2(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(Json::parse(r.out)["metadata"]["name"], "src-b2");
  }
}

TEST_F(InstanceQueryTest, RunbookPipeIntoJq) {
  ProcessRequest request;
  request.argv = {
      "bash", "-c",
      std::string(MI2_EXE) + " instance get -e $ENVIRONMENT --slug $SLUG | jq -r '.metadata.name'"};
  request.env = {"ENVIRONMENT=prod", "SLUG=globex", "MI2_FLEET_ROOT="};
  request.cwd = dir_.path().string();
  auto r = SystemProcessRunner().run(request);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "src-a1\n");
}

TEST_F(InstanceQueryTest, GetInfersTheInstanceFromTheFolder) {
  fs::create_directories(instance_dir("src-a1") / "kubernetes");
  auto r = mi2({"instance", "get", "-jq", ".metadata.name"}, instance_dir("src-a1") / "kubernetes");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "\"src-a1\"\n");
  auto outside = mi2({"instance", "get"});
  EXPECT_EQ(outside.exit_code, 1);
  EXPECT_NE(outside.err.find("pass -e ENV --slug SLUG or run inside"), std::string::npos)
      << outside.err;
}

TEST_F(InstanceQueryTest, JqPrintsEachOutputCompact) {
  auto r = mi2({"instance", "get", "-e", "prod", "-s", "acme", "-jq",
                ".metadata.labels, .spec.replicas, .spec.displayName"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"instance-type\":\"production\"}\n2\n\"acme\"\n");
  auto bad = mi2({"instance", "get", "-e", "prod", "-s", "acme", "--jq", ".spec |"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("'.spec |'"), std::string::npos) << bad.err;
}

TEST_F(InstanceQueryTest, ListPrintsAnArraySortedById) {
  auto r = mi2({"instance", "list", "-e", "prod"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json list = Json::parse(r.out);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["metadata"]["name"], "src-a1");
  EXPECT_EQ(list[1]["metadata"]["name"], "src-b2");
  auto names = mi2({"instance", "list", "--environment", "prod", "-jq", ".[].spec.displayName"});
  ASSERT_EQ(names.exit_code, 0) << names.err;
  EXPECT_EQ(names.out, "\"globex\"\n\"acme\"\n");
}

TEST_F(InstanceQueryTest, ErrorsNameWhatIsWrong) {
  auto unknown_env = mi2({"instance", "list", "-e", "staging"});
  EXPECT_EQ(unknown_env.exit_code, 1);
  EXPECT_NE(unknown_env.err.find("known environments: prod"), std::string::npos) << unknown_env.err;
  auto unknown_slug = mi2({"instance", "get", "-e", "prod", "-s", "nobody"});
  EXPECT_EQ(unknown_slug.exit_code, 1);
  EXPECT_NE(unknown_slug.err.find("'nobody'"), std::string::npos);
  write_file(instance_dir("src-c3") / "config.yaml", "spec: [unclosed\n");
  auto broken = mi2({"instance", "list", "-e", "prod"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.err.find("src-c3/config.yaml:"), std::string::npos) << broken.err;
  auto help = mi2({"instance", "get", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--slug"), std::string::npos);
}

}  // namespace
}  // namespace mi2
