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

TEST_F(InstanceQueryTest, ListPrintsAnArraySortedByIdWithJson) {
  for (auto flags : std::vector<std::vector<std::string>>{
           {"--json"}, {"-json"}, {"-o", "json"}, {"--output=json"}}) {
    std::vector<std::string> args = {"instance", "list", "-e", "prod"};
    args.insert(args.end(), flags.begin(), flags.end());
    auto r = mi2(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    Json list = Json::parse(r.out);
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0]["metadata"]["name"], "src-a1");
    EXPECT_EQ(list[1]["metadata"]["name"], "src-b2");
  }
  auto names = mi2({"instance", "list", "--environment", "prod", "-jq", ".[].spec.displayName"});
  ASSERT_EQ(names.exit_code, 0) << names.err;
  EXPECT_EQ(names.out, "\"globex\"\n\"acme\"\n");
}

TEST_F(InstanceQueryTest, ListPrintsATableForPeopleAndIdsWithQuiet) {
  auto r = mi2({"instance", "list", "-e", "prod"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "ID      SLUG    TYPE        VERSION  CHANNEL  DOMAIN\n"
            "src-a1  globex  trial       4.1.0\n"
            "src-b2  acme    production  4.0.0\n");
  EXPECT_EQ(r.out.find('\033'), std::string::npos) << "no colour off a terminal";
  auto quiet = mi2({"instance", "list", "-e", "prod", "-q"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out, "src-a1\nsrc-b2\n");
  EXPECT_EQ(mi2({"--quiet", "instance", "list", "-e", "prod"}).out, quiet.out);
  auto bad = mi2({"instance", "list", "-e", "prod", "-o", "yaml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("-o takes 'json' or 'table', not 'yaml'"), std::string::npos) << bad.err;
}

// Colour only on a terminal (script(1) gives mi2 one), never with NO_COLOR.
TEST_F(InstanceQueryTest, ColourOnlyOnATerminalWithoutNoColor) {
  if (!fs::exists("/usr/bin/script")) GTEST_SKIP() << "script(1) (util-linux) is not installed";
  auto on_tty = [&](const std::string& no_color) {
    ProcessRequest request;
    request.argv = {"/usr/bin/script", "-qec",
                    std::string("'") + MI2_EXE + "' instance list -e prod", "/dev/null"};
    request.cwd = dir_.path().string();
    request.env = {"MI2_FLEET_ROOT=", "NO_COLOR=" + no_color, "TERM=xterm"};
    request.timeout = std::chrono::seconds(30);
    return SystemProcessRunner().run(request);
  };
  auto coloured = on_tty("");
  ASSERT_EQ(coloured.exit_code, 0) << coloured.err;
  EXPECT_NE(coloured.out.find("\033[1mID\033[0m"), std::string::npos) << coloured.out;
  auto plain = on_tty("1");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.out.find("src-a1  globex"), std::string::npos) << plain.out;
  EXPECT_EQ(plain.out.find('\033'), std::string::npos) << plain.out;
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
