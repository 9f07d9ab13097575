// The forge publish step (forge_common, used by github and gitlab) never
// commits terraform's own files, even without a .gitignore rule: state, lock
// info, plans and .terraform/ next to a stack, while the stack's real changes
// (a new stack folder included) are committed.
#include <gtest/gtest.h>
#include <mi2/sdk/fake_host.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "forge_common/git_publisher.h"
#include "tests/plugins/terraform/real_exec.h"
#include "tests/support/temp_dir.h"

namespace mi2::terraform::test {
namespace {

namespace fs = std::filesystem;

class PublishFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* e : {"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@localhost",
                          "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@localhost"})
      putenv(const_cast<char*>(e));
    make_exec_real(fake_);
    fs::create_directories(repo());
    git({"init", "-q", "--bare", "-b", "main", origin().string()}, dir_.path());
    fs::create_directories(stack("app"));
    write(stack("app") / "cdk.tf.json", "{\"locals\": {\"v\": \"1\"}}\n");
    git({"init", "-q", "-b", "main"});
    git({"add", "-A"});
    git({"commit", "-q", "-m", "base"});
    git({"remote", "add", "origin", origin().string()});
    // What terraform leaves next to stacks when state is kept in the stack folder.
    write(stack("app") / "cdk.tf.json", "{\"locals\": {\"v\": \"2\"}}\n");
    for (const char* stack_name : {"app", "dns"}) {
      write(stack(stack_name) / "terraform.tfstate", "{}");
      write(stack(stack_name) / "terraform.tfstate.backup", "{}");
      write(stack(stack_name) / ".terraform.tfstate.lock.info", "{}");
      write(stack(stack_name) / "run.tfplan", "plan");
      write(stack(stack_name) / ".terraform/terraform.tfstate", "{}");
    }
    write(stack("dns") / "main.tf", "resource \"terraform_data\" \"zone\" {}\n");
  }

  fs::path repo() const { return dir_.path() / "fleet"; }
  fs::path origin() const { return dir_.path() / "origin.git"; }
  fs::path instance() const { return repo() / "deployments/src-1"; }
  fs::path stack(const std::string& name) const { return instance() / "terraform/stacks" / name; }
  static void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  std::string git(const std::vector<std::string>& args, const fs::path& cwd = {}) {
    std::vector<std::string> argv{"git"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_process({argv, {}, (cwd.empty() ? repo() : cwd).string(), "", 30000});
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    return r.out;
  }
  void publish() {
    forge::GitPublishRequest request;
    request.work_dir = instance().string();
    request.branch = "acme/upgrade-instance";
    request.commit_message = "acme: upgrade to 2";
    request.paths = {"terraform/stacks"};
    request.scratch_dir = (dir_.path() / "scratch").string();
    forge::commit_and_push(fake_.host(), request);
  }
  std::string committed_files() {
    return git({"ls-tree", "-r", "--name-only", "refs/heads/acme/upgrade-instance"}, origin());
  }

  mi2::test::TempDir dir_{"mi2-tf-publish"};
  sdk::FakeHost fake_;
};

TEST_F(PublishFilterTest, AScratchIndexPublishCommitsTheStacksButNoTerraformFile) {
  publish();
  EXPECT_EQ(committed_files(),
            "deployments/src-1/terraform/stacks/app/cdk.tf.json\n"
            "deployments/src-1/terraform/stacks/dns/main.tf\n");
  EXPECT_NE(git({"show",
                 "refs/heads/acme/upgrade-instance:deployments/src-1/terraform/stacks/"
                 "app/cdk.tf.json"},
                origin())
                .find("\"2\""),
            std::string::npos);
}

TEST_F(PublishFilterTest, PublishingOnTheCheckedOutBranchCommitsNoTerraformFileEither) {
  git({"checkout", "-q", "-b", "acme/upgrade-instance"});
  publish();
  EXPECT_EQ(committed_files(),
            "deployments/src-1/terraform/stacks/app/cdk.tf.json\n"
            "deployments/src-1/terraform/stacks/dns/main.tf\n");
}

}  // namespace
}  // namespace mi2::terraform::test
