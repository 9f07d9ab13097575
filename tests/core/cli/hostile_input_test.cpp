// The built mi2 binary on input a hostile or careless user gives it: every
// case ends in one escaped sentence on stderr and exit 1 (never a crash, an
// uncaught exception or a silent success), and nothing on disk changes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/mi2_process.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::run_mi2;
using test::write_file;

constexpr const char* kConfig =
    "apiVersion: sourcegraph.com/v1\nkind: SourcegraphCloud\nmetadata:\n  name: src-acme01\n"
    "spec:\n  displayName: acme\n  sourcegraphVersion: \"4.0.0\"\n";

constexpr const char* kAllRoles =
    "roles:\n  render: scripted\n  healthcheck: scripted\n  backup: scripted\n"
    "  migrate: scripted\n  apply: scripted\n  vcs: scripted\n";

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_dir_ = dir_.path() / "environments/dev/deployments/src-acme01";
    write_file(instance_dir_ / "config.yaml", kConfig);
    write_mi2_yaml(kAllRoles);
  }
  void write_mi2_yaml(const std::string& text) {
    write_file(dir_.path() / "mi2.yaml",
               text + "plugin_dirs: [\"" + std::string(MI2_TEST_PLUGIN_DIR) + "\"]\n");
  }
  test::Mi2Result mi2(std::vector<std::string> args) {
    return run_mi2(args, instance_dir_, {"MI2_FLEET_ROOT="});
  }
  // One line on stderr, exit 1, saying `says`, with no raw control byte.
  static void expect_one_sentence(const test::Mi2Result& r, const std::string& says) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
    for (unsigned char c : r.err.substr(0, r.err.size() - 1))
      EXPECT_FALSE(c < 0x20 || c == 0x7f) << "control byte " << int(c) << " in: " << r.err;
  }
  fs::path config() const { return instance_dir_ / "config.yaml"; }
  fs::path state_dir() const { return dir_.path() / ".mi2/state/dev/src-acme01"; }

  test::TempDir dir_{"mi2-hostile"};
  fs::path instance_dir_;
};

TEST_F(HostileInputTest, AConfigYamlThatIsNotAnInstanceIsOneSentenceNotACrash) {
  struct Case {
    std::string text, says;
  };
  const Case cases[] = {
      {"", " is empty; an instance's config.yaml is a mapping"},
      {"42\n", " holds the single value 42; an instance's config.yaml is a mapping"},
      {"~\n", " is empty; an instance's config.yaml"},
      {"hello there\n", " holds the text 'hello there'; an instance's"},
      {"- a\n- b\n", " holds a list; an instance's"},
      {"spec: 3\n", ": spec is the single value 3, not a mapping"},
      {"spec:\n  sourcegraphVersion: [1]\n", ": spec.sourcegraphVersion is a list, not a version"},
      {"spec:\n  sourcegraphVersion: {a: 1}\n", ": spec.sourcegraphVersion is a mapping"},
  };
  for (const Case& c : cases) {
    write_file(config(), c.text);
    std::string path = config().string();
    for (auto args : std::vector<std::vector<std::string>>{
             {"instance", "upgrade", "-target-version", "4.1.0"},
             {"instance", "get"},
             {"instance", "list", "-e", "dev"},
             {"instance", "get", "-e", "dev", "--slug", "acme"}}) {
      auto r = mi2(args);
      expect_one_sentence(r, path + c.says);
    }
    EXPECT_EQ(read_file(config()), c.text);
  }
  // A number where the version goes: the upgrade says to quote it.
  write_file(config(), "spec:\n  sourcegraphVersion: 4.10\n");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.11.0"});
  expect_one_sentence(r, "spec.sourcegraphVersion is 4.1, which YAML reads as a number");
  EXPECT_EQ(read_file(config()), "spec:\n  sourcegraphVersion: 4.10\n");
}

TEST_F(HostileInputTest, AnMi2YamlThatBindsNoRoleDoesNotUpgrade) {
  for (const char* roles : {"", "roles: {}\n", "roles:\n  vcs: scripted\n"}) {
    write_mi2_yaml(roles);
    auto r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
    expect_one_sentence(r, "recipe 'upgrade-instance' cannot run: mi2.yaml binds no plugin to");
    EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("succeeded"), std::string::npos) << r.out;
    EXPECT_EQ(read_file(config()), kConfig);
    EXPECT_FALSE(fs::exists(state_dir() / "runs"));
  }
  // Every role but vcs: publish is optional, so the upgrade runs without a PR.
  write_mi2_yaml(
      "roles:\n  render: scripted\n  healthcheck: scripted\n  backup: scripted\n"
      "  migrate: scripted\n  apply: scripted\n");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("publish: skipped"), std::string::npos) << r.out;
}

TEST_F(HostileInputTest, AGarbageLockIsRefusedAndUnlockRemovesIt) {
  write_file(state_dir() / "lock.json", "\x01garbage{");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  expect_one_sentence(
      r, "the lock file " + (state_dir() / "lock.json").string() + " is not a lock lease");
  EXPECT_EQ(read_file(config()), kConfig);
  size_t at = r.err.find("mi2 instance unlock broken-");
  ASSERT_NE(at, std::string::npos) << r.err;
  std::string id = r.err.substr(at + 20, 15);

  auto wrong = mi2({"instance", "unlock", "lk-12345678"});
  expect_one_sentence(wrong, "its unlock id is " + id);
  auto unlocked = mi2({"instance", "unlock", id});
  EXPECT_EQ(unlocked.exit_code, 0) << unlocked.err;
  EXPECT_FALSE(fs::exists(state_dir() / "lock.json"));
  EXPECT_EQ(mi2({"instance", "upgrade", "-target-version", "4.1.0"}).exit_code, 0);
}

TEST_F(HostileInputTest, ControlBytesFromInputAreEscapedInEveryMessage) {
  // A slug, a version, a plugin name, a duplicated key and a tampered lock,
  // each carrying an escape sequence and a line break.
  auto slug = mi2({"instance", "get", "-e", "dev", "--slug", "evil\x1b[2J\nFAKE"});
  expect_one_sentence(slug, "no instance with slug or id 'evil\\x1b[2J\\nFAKE'");

  auto version = mi2({"instance", "upgrade", "-target-version", "4.1.0\x1b]0;x\x07\n"});
  expect_one_sentence(version, "'4.1.0\\x1b]0;x\\x07\\n' is not a version");

  write_mi2_yaml("roles:\n  vcs: \"bad\\e[31m\"\n");
  auto plugin = mi2({"instance", "check"});
  expect_one_sentence(plugin, "'bad\\x1b[31m' is not a plugin name");
  write_mi2_yaml(kAllRoles);

  write_file(config(), std::string(kConfig) + "\"k\\e\": 1\n\"k\\e\": 2\n");
  auto key = mi2({"instance", "get"});
  expect_one_sentence(key, "the key 'k\\x1b' appears twice in one mapping (first on line 8)");

  write_file(config(), kConfig);
  write_file(state_dir() / "lock.json",
             R"({"lock_id": "lk-\u001b[2J", "run_id": "run-\r\n", "host": "h\u0007",
                 "owner": "o", "pid": 1, "created": 9e12, "ttl_seconds": 60})");
  auto lock = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  expect_one_sentence(lock, "locked by run run-\\r\\n (pid 1 on h\\x07");
  EXPECT_NE(lock.err.find("mi2 instance unlock lk-\\x1b[2J"), std::string::npos) << lock.err;
}

TEST_F(HostileInputTest, NoExceptionLeavesMain) {
  // A run journal edited by hand (a step name that is a number): before the
  // barrier, `run show` died of an uncaught exception (exit 134).
  ASSERT_EQ(mi2({"instance", "upgrade", "-target-version", "4.1.0"}).exit_code, 0);
  fs::path runs = state_dir() / "runs";
  fs::path journal;
  for (const auto& entry : fs::directory_iterator(runs)) journal = entry.path();
  ASSERT_FALSE(journal.empty());
  write_file(journal, read_file(journal) + R"({"event": "step_started", "step": 5})" + "\n");
  auto r = mi2({"run", "show", journal.stem().string()});
  EXPECT_NE(r.exit_code, 134) << r.err;
  if (r.exit_code != 0) expect_one_sentence(r, "mi2 run show: ");
}

TEST_F(HostileInputTest, ATruncatedPluginIsRefusedNotABusError) {
  std::string whole = read_file(fs::path(MI2_TEST_PLUGIN_DIR) / "mi2-plugin-scripted.so");
  fs::path cut = dir_.path() / "cut" / "mi2-plugin-scripted.so";
  write_file(cut, whole.substr(0, 4096));  // the rest of its segments are missing
  auto describe = mi2({"plugin", "describe", cut.string()});
  expect_one_sentence(describe, "plugin file '" + cut.string() +
                                    "' cannot be loaded: it is "
                                    "truncated or corrupt: segment ");
  write_file(dir_.path() / "mi2.yaml",
             std::string(kAllRoles) + "plugin_dirs: [\"" + cut.parent_path().string() + "\"]\n");
  auto upgrade = mi2({"instance", "upgrade", "-target-version", "4.1.0"});
  expect_one_sentence(upgrade, "cannot be loaded: it is truncated or corrupt");
  EXPECT_EQ(read_file(config()), kConfig);
}

}  // namespace
}  // namespace mi2
