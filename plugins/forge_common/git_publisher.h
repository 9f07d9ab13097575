// Commits an instance's changed files to a branch and pushes it, through the
// host's exec (argv arrays only; every state change marked mutating).
//
// When the checkout is not on `branch`, the commit is built in a scratch
// index on top of HEAD (read-tree, add, write-tree, commit-tree, update-ref),
// so the operator's working tree, index and current branch are left alone and
// several instances of one checkout can be published in parallel. When the
// checkout is on `branch` (the runbook's manual flow), it is a plain add and
// commit.
#pragma once

#include <mi2/sdk/host.hpp>

#include <string>
#include <vector>

namespace mi2::forge {

struct GitPublishRequest {
  std::string work_dir;  // inside the fleet repo; relative paths are relative to it
  std::string branch;
  std::string commit_message;
  std::vector<std::string> paths;  // empty: everything under work_dir
  std::string remote = "origin";
  std::string scratch_dir;  // where the scratch index may live (the plugin's state dir)
};

struct GitPublishResult {
  std::string commit;      // empty in a dry run
  bool committed = false;  // false when the branch already held these changes
};

// Throws sdk::Error with a sentence naming the git command and its stderr.
GitPublishResult commit_and_push(const sdk::Host& host, const GitPublishRequest& request);

}  // namespace mi2::forge
