#include "forge_common/git_publisher.h"

#include <filesystem>
#include <system_error>

#include "forge_common/forge_text.h"

namespace fs = std::filesystem;

namespace mi2::forge {

namespace {

std::string first_line(const std::string& text) {
  size_t start = text.find_first_not_of(" \n\r\t");
  if (start == std::string::npos) return "";
  size_t end = text.find('\n', start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string trimmed(const std::string& text) {
  size_t end = text.find_last_not_of(" \n\r\t");
  return end == std::string::npos ? "" : text.substr(0, end + 1);
}

// git in one folder, with a fixed environment.
class Git {
 public:
  Git(const sdk::Host& host, std::string cwd) : host_(host), cwd_(std::move(cwd)) {
    env_.push_back("GIT_TERMINAL_PROMPT=0");  // a push must fail, not wait for a password
  }
  void add_env(const std::string& entry) { env_.push_back(entry); }

  // Runs `git args...`; a non-zero exit throws unless `allow_failure`.
  sdk::ExecResult run(const std::vector<std::string>& args, bool mutating,
                      bool allow_failure = false) const {
    std::vector<std::string> argv{"git"};
    argv.insert(argv.end(), args.begin(), args.end());
    sdk::ExecOptions options;
    options.cwd = cwd_;
    options.env = env_;
    options.mutating = mutating;
    options.timeout_ms = 120000;
    sdk::ExecResult result = host_.exec(argv, options);
    if (result.ok() || result.skipped_dry_run || allow_failure) return result;
    std::string why = first_line(result.err);
    if (why.empty()) why = "exit status " + std::to_string(result.exit_code);
    throw sdk::failed("'git " + args.front() + "' failed in " + cwd_ + ": " + why + ".");
  }
  std::string out(const std::vector<std::string>& args) const {
    return trimmed(run(args, false).out);
  }

 private:
  const sdk::Host& host_;
  std::string cwd_;
  std::vector<std::string> env_;
};

// The paths git can stage: existing files, or tracked ones that were deleted.
std::vector<std::string> stageable_paths(const Git& git, const GitPublishRequest& request) {
  std::vector<std::string> paths = request.paths;
  if (paths.empty()) paths.push_back(".");
  std::vector<std::string> kept;
  for (const auto& path : paths) {
    if (path.empty() || path.front() == '-' || path.find('\0') != std::string::npos)
      throw sdk::invalid_input("publish path '" + path + "' is not a valid file path.");
    fs::path full =
        fs::path(path).is_absolute() ? fs::path(path) : fs::path(request.work_dir) / path;
    std::error_code ec;
    if (fs::exists(full, ec) || !trimmed(git.run({"ls-files", "--", path}, false).out).empty())
      kept.push_back(path);
  }
  if (kept.empty())
    throw sdk::failed("none of the paths to publish exist under " + request.work_dir + ".");
  return kept;
}

// Terraform's own files (state, lock info, plans, working data) are never
// published, whatever the fleet's .gitignore says: after `add`, their index
// entries go back to `base`. (Exclude pathspecs on `add` would be simpler, but
// git then skips whole untracked folders.)
std::vector<std::string> unstage_terraform_files(const std::string& base) {
  return {"reset",     "-q",          base,       "--",
          "*.tfstate", "*.tfstate.*", "*.tfplan", ":(glob)**/.terraform/**"};
}

std::vector<std::string> with_paths(std::vector<std::string> args,
                                    const std::vector<std::string>& paths) {
  args.push_back("--");
  args.insert(args.end(), paths.begin(), paths.end());
  return args;
}

}  // namespace

GitPublishResult commit_and_push(const sdk::Host& host, const GitPublishRequest& request) {
  if (!valid_branch_name(request.branch))
    throw sdk::invalid_input("branch '" + request.branch + "' is not a valid branch name.");
  if (request.commit_message.empty()) throw sdk::invalid_input("publish needs a commit_message.");
  if (request.work_dir.empty()) throw sdk::invalid_input("publish needs the fleet's folder.");
  const std::string ref = "refs/heads/" + request.branch;

  Git git(host, request.work_dir);
  std::string current = git.out({"rev-parse", "--abbrev-ref", "HEAD"});
  std::string head = git.out({"rev-parse", "HEAD"});
  std::vector<std::string> paths = stageable_paths(git, request);
  GitPublishResult result;

  if (current == request.branch) {
    // The operator checked the branch out (runbook's manual flow): commit on it.
    git.run(with_paths({"add", "-A"}, paths), true);
    git.run(unstage_terraform_files("HEAD"), true);
    bool staged = git.run({"diff", "--cached", "--quiet"}, false, true).exit_code == 1;
    if (staged) {
      git.run({"commit", "-q", "-m", request.commit_message}, true);
      result.committed = true;
    }
    result.commit = host.dry_run() && staged ? "" : git.out({"rev-parse", "HEAD"});
    git.run({"push", request.remote, "HEAD:" + ref}, true);
    return result;
  }

  // Build the commit in a scratch index so the working tree and index stay as they are.
  if (request.scratch_dir.empty()) throw sdk::failed("publish needs a state folder for git.");
  std::error_code ec;
  fs::create_directories(request.scratch_dir, ec);
  fs::path index = fs::path(request.scratch_dir) / "publish.index";
  fs::remove(index, ec);
  struct RemoveIndex {
    fs::path path;
    ~RemoveIndex() {
      std::error_code ignored;
      fs::remove(path, ignored);
    }
  } remove_index{index};

  Git scratch(host, request.work_dir);
  scratch.add_env("GIT_INDEX_FILE=" + index.string());
  scratch.run({"read-tree", "HEAD"}, false);
  scratch.run(with_paths({"add", "-A"}, paths), false);
  scratch.run(unstage_terraform_files(head), false);
  std::string tree = scratch.out({"write-tree"});
  // A dry run never wrote the files it would publish: plan the commit anyway.
  if (tree == git.out({"rev-parse", "HEAD^{tree}"}) && !host.dry_run()) {
    throw sdk::failed("nothing to publish: the files under " + request.work_dir +
                      " do not differ from HEAD (" + current + "); was the change already merged?");
  }

  // Re-running a publish whose commit already sits on the branch reuses it.
  sdk::ExecResult existing = git.run({"rev-parse", "--verify", "-q", ref + "^{tree}"}, false, true);
  sdk::ExecResult parent = git.run({"rev-parse", "--verify", "-q", ref + "^"}, false, true);
  if (existing.ok() && trimmed(existing.out) == tree && parent.ok() &&
      trimmed(parent.out) == head) {
    result.commit = git.out({"rev-parse", ref});
  } else {
    result.commit =
        trimmed(git.run({"commit-tree", tree, "-p", head, "-m", request.commit_message}, true).out);
    result.committed = true;
    if (result.commit.empty() && !host.dry_run())
      throw sdk::failed("'git commit-tree' gave no commit in " + request.work_dir + ".");
    git.run({"update-ref", ref, result.commit.empty() ? "<new-commit>" : result.commit}, true);
  }
  // The branch belongs to mi2 (one per instance upgrade) and is rebuilt on
  // every run, so it is force-pushed.
  std::string source = result.commit.empty() ? "<new-commit>" : result.commit;
  git.run({"push", "--force", request.remote, source + ":" + ref}, true);
  return result;
}

}  // namespace mi2::forge
