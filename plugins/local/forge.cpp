#include "forge.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <random>
#include <sstream>

#include "forge_common/forge_text.h"
#include "forge_common/tracking_checklist.h"

namespace mi2::local {
namespace {

std::string trim_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Terraform's own files (state, lock info, plans, working data) are never
// published, whatever the fleet's .gitignore says: after `add`, their index
// entries go back to `base`. (Exclude pathspecs on `add` would be simpler, but
// git then skips whole untracked folders.)
std::vector<std::string> unstage_terraform_files(const std::string& base) {
  return {"reset",     "-q",          base,       "--",
          "*.tfstate", "*.tfstate.*", "*.tfplan", ":(glob)**/.terraform/**"};
}

bool is_terraform_file(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  return path.find(".terraform/") != std::string::npos ||
         name.find(".tfstate") != std::string::npos ||
         (name.size() > 7 && name.compare(name.size() - 7, 7, ".tfplan") == 0);
}

struct Git {
  LocalContext& ctx;
  std::vector<std::string> prefix;  // {"git", "-C", root} or {"git", "--git-dir", origin}
  std::vector<std::string> env;

  sdk::ExecResult run(const std::vector<std::string>& args, bool mutating,
                      const std::vector<std::string>& extra_env = {}) const {
    std::vector<std::string> argv = prefix;
    argv.insert(argv.end(), args.begin(), args.end());
    sdk::ExecOptions options;
    options.env = env;
    options.env.insert(options.env.end(), extra_env.begin(), extra_env.end());
    options.mutating = mutating;
    options.timeout_ms = 60000;
    return ctx.host.exec(argv, options);
  }
  // Runs and returns trimmed stdout; throws failed with git's message.
  std::string out(const std::vector<std::string>& args, bool mutating,
                  const std::vector<std::string>& extra_env = {}) const {
    sdk::ExecResult r = run(args, mutating, extra_env);
    if (!r.ok()) {
      std::string command = "git";
      for (const auto& a : args) command += " " + a;
      throw sdk::failed("`" + command + "` failed in " + prefix.back() + ": " +
                        trim_line(r.err.empty() ? r.out : r.err));
    }
    return trim_line(r.out);
  }
};

// Serialises changes to the forge folder (parallel upgrades publish at once).
class ForgeLock {
 public:
  explicit ForgeLock(const fs::path& dir) {
    fs::create_directories(dir);
    fd_ = open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0 || flock(fd_, LOCK_EX) != 0)
      throw sdk::failed("cannot lock the local forge " + dir.string());
  }
  ~ForgeLock() {
    if (fd_ >= 0) close(fd_);
  }
  ForgeLock(const ForgeLock&) = delete;
  ForgeLock& operator=(const ForgeLock&) = delete;

 private:
  int fd_ = -1;
};

std::vector<json> load_all(const fs::path& dir) {
  std::vector<json> items;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return items;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ".json") items.push_back(read_json_file(entry.path()));
  std::sort(items.begin(), items.end(), [](const json& a, const json& b) {
    return a.value("number", 0) < b.value("number", 0);
  });
  return items;
}

int next_number(const fs::path& dir) {
  int highest = 0;
  for (const auto& item : load_all(dir)) highest = std::max(highest, item.value("number", 0));
  return highest + 1;
}

std::string item_url(const LocalContext& ctx, const std::string& kind, int number) {
  if (!ctx.config.forge_url.empty())
    return ctx.config.forge_url + "/" + kind + "/" + std::to_string(number);
  return "file://" + (ctx.forge_dir() / kind / (std::to_string(number) + ".json")).string();
}

fs::path item_path(const LocalContext& ctx, const std::string& kind, int number) {
  return ctx.forge_dir() / kind / (std::to_string(number) + ".json");
}

int number_param(const LocalContext& ctx) {
  const json& n = ctx.in.params.contains("number") ? ctx.in.params["number"] : json();
  int number = 0;
  if (n.is_number_integer()) number = n.get<int>();
  if (n.is_string() && !n.get<std::string>().empty() &&
      n.get<std::string>().find_first_not_of("0123456789") == std::string::npos)
    number = std::stoi(n.get<std::string>());
  if (number <= 0) throw sdk::invalid_input("give the pull request's number");
  return number;
}

json load_pr(const LocalContext& ctx, int number) {
  fs::path path = item_path(ctx, "pulls", number);
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw sdk::failed("the local forge " + ctx.forge_dir().string() + " has no pull request #" +
                      std::to_string(number) + "; see `mi2 pr list`");
  return read_json_file(path);
}

json strings(const json& value) {
  json out = json::array();
  if (value.is_array())
    for (const auto& v : value)
      if (v.is_string()) out.push_back(v);
  return out;
}

std::string require_string(const LocalContext& ctx, const char* key) {
  std::string value = ctx.in.params.value(key, "");
  if (value.empty()) throw sdk::invalid_input(std::string("vcs.publish needs params.") + key);
  return value;
}

// Identity for commits when the fleet repo has none configured.
std::vector<std::string> identity_env(const Git& git) {
  if (git.run({"config", "user.email"}, false).ok()) return {};
  return {"GIT_AUTHOR_NAME=mi2", "GIT_AUTHOR_EMAIL=mi2@localhost", "GIT_COMMITTER_NAME=mi2",
          "GIT_COMMITTER_EMAIL=mi2@localhost"};
}

}  // namespace

json publish(LocalContext& ctx) {
  std::string branch = require_string(ctx, "branch");
  std::string base = ctx.in.params.value("base", "main");
  std::string message = require_string(ctx, "commit_message");
  std::string title = ctx.in.params.value("title", message);
  Git git{ctx, {"git", "-C", ctx.fleet_root.string()}, {}};
  if (!git.run({"check-ref-format", "--branch", branch}, false).ok() ||
      !git.run({"check-ref-format", "--branch", base}, false).ok())
    throw sdk::invalid_input("'" + branch + "' or '" + base + "' is not a valid branch name");
  std::string origin = git.out({"remote", "get-url", "origin"}, false);
  // One publish at a time per forge: parallel upgrades share the fleet repo,
  // and concurrent fetches race on its refs.
  std::optional<ForgeLock> lock;
  if (!ctx.dry_run()) lock.emplace(ctx.forge_dir());

  // Paths to commit, relative to the fleet root (params are relative to the instance).
  std::vector<std::string> paths;
  fs::path instance_dir = ctx.in.instance_dir;
  for (const auto& p : strings(ctx.in.params.value("paths", json::array()))) {
    fs::path full = fs::path(p.get<std::string>()).is_absolute() || instance_dir.empty()
                        ? fs::path(p.get<std::string>())
                        : instance_dir / p.get<std::string>();
    if (!full.is_absolute()) full = ctx.fleet_root / full;
    full = full.lexically_normal();
    std::string rel = full.lexically_relative(ctx.fleet_root).generic_string();
    if (rel.empty() || rel.rfind("..", 0) == 0)
      throw sdk::invalid_input("path " + full.string() + " lies outside the fleet repo");
    std::error_code ec;
    if (fs::exists(full, ec)) paths.push_back(rel);
  }
  if (paths.empty()) throw sdk::invalid_input("vcs.publish was given no existing path to commit");
  auto ident = identity_env(git);

  if (ctx.dry_run()) {
    // The plan writes nothing (no private index, no fetched refs): it says
    // which files the commit would hold and what would be pushed.
    std::vector<std::string> status = {"status", "--porcelain", "--"};
    status.insert(status.end(), paths.begin(), paths.end());
    json files = json::array();
    std::istringstream changed(git.out(status, false));
    for (std::string line; std::getline(changed, line);)
      if (line.size() > 3 && !is_terraform_file(line.substr(3))) files.push_back(line.substr(3));
    if (ctx.host.dry_run())  // recorded in the plan, not run
      git.run({"push", "--force", "origin", "<commit>:refs/heads/" + branch}, true);
    return {{"branch", branch},
            {"would_commit", files},
            {"pr", {{"created", false}}},
            {"dry_run", true}};
  }
  git.run({"fetch", "--quiet", "origin"}, false);
  std::string base_ref =
      git.run({"rev-parse", "--verify", "-q", "refs/remotes/origin/" + base}, false).ok()
          ? "refs/remotes/origin/" + base
          : base;
  std::string base_commit = git.out({"rev-parse", "--verify", base_ref + "^{commit}"}, false);
  std::string current = trim_line(git.run({"symbolic-ref", "-q", "--short", "HEAD"}, false).out);

  std::string commit;
  std::vector<std::string> pathspec = {"--"};
  pathspec.insert(pathspec.end(), paths.begin(), paths.end());
  if (current == branch) {
    // The runbook's manual path: the operator is on the branch; commit there.
    std::vector<std::string> add = {"add", "-A"};
    add.insert(add.end(), pathspec.begin(), pathspec.end());
    git.out(add, true);
    git.out(unstage_terraform_files("HEAD"), true);
    if (!git.run({"diff", "--cached", "--quiet"}, false).ok()) {
      std::vector<std::string> c = {"commit", "-q", "-m", message};
      git.out(c, true, ident);
    }
    commit = git.out({"rev-parse", "HEAD"}, false);
  } else {
    // Build the commit on the base in a private index, leaving the operator's
    // checkout and index alone (and letting instances publish in parallel).
    fs::path index =
        ctx.fleet_root / ".mi2" / "tmp" /
        ("index-" + std::to_string(getpid()) + "-" + std::to_string(std::random_device{}()));
    fs::create_directories(index.parent_path());
    std::vector<std::string> env = {"GIT_INDEX_FILE=" + index.string()};
    struct Remove {
      fs::path p;
      ~Remove() {
        std::error_code ec;
        fs::remove(p, ec);
      }
    } cleanup{index};
    git.out({"read-tree", base_commit}, false, env);
    std::vector<std::string> add = {"add", "-A"};
    add.insert(add.end(), pathspec.begin(), pathspec.end());
    git.out(add, false, env);
    git.out(unstage_terraform_files(base_commit), false, env);
    std::string tree = git.out({"write-tree"}, false, env);
    std::string base_tree = git.out({"rev-parse", base_commit + "^{tree}"}, false);
    auto existing =
        git.run({"rev-parse", "--verify", "-q", "refs/remotes/origin/" + branch}, false);
    std::string existing_commit = trim_line(existing.out);
    if (existing.ok() && git.out({"rev-parse", existing_commit + "^{tree}"}, false) == tree &&
        git.out({"rev-parse", existing_commit + "^"}, false) == base_commit) {
      commit = existing_commit;  // published before (a resumed run)
    } else {
      if (tree == base_tree)
        throw sdk::failed("nothing to publish: the paths of instance " + ctx.in.instance_id +
                          " do not differ from " + base);
      std::vector<std::string> all_env = env;
      all_env.insert(all_env.end(), ident.begin(), ident.end());
      commit = git.out({"commit-tree", tree, "-p", base_commit, "-m", message}, true, all_env);
    }
    if (!commit.empty()) git.out({"update-ref", "refs/heads/" + branch, commit}, true);
  }
  if (!commit.empty())
    git.out({"push", "--quiet", "--force", "origin", commit + ":refs/heads/" + branch}, true);

  if (ctx.dry_run())
    return {
        {"branch", branch}, {"commit", commit}, {"pr", {{"created", false}}}, {"dry_run", true}};
  json pr;
  for (auto& existing : load_all(ctx.forge_dir() / "pulls"))
    if (existing.value("branch", "") == branch && existing.value("state", "") == "open")
      pr = existing;
  bool created = pr.is_null();
  if (created) {
    int number = next_number(ctx.forge_dir() / "pulls");
    pr = {{"number", number},
          {"state", "open"},
          {"created_at", now_utc()},
          {"reviews", json::array()},
          {"url", item_url(ctx, "pulls", number)},
          {"repository", origin}};
  }
  pr["title"] = title;
  pr["body"] = ctx.in.params.value("body", "");
  pr["branch"] = branch;
  pr["base"] = base;
  pr["head_commit"] = commit;
  pr["labels"] = strings(ctx.in.params.value("labels", json::array()));
  pr["instance"] = ctx.in.instance_id;
  pr["environment"] = ctx.in.environment;
  pr["updated_at"] = now_utc();
  write_json_file(item_path(ctx, "pulls", pr["number"]), pr);
  ctx.host.info(std::string(created ? "opened" : "updated") + " pull request #" +
                std::to_string(pr["number"].get<int>()) + " " + pr["url"].get<std::string>());
  return {{"branch", branch},
          {"commit", commit},
          {"pr", {{"number", pr["number"]}, {"url", pr["url"]}, {"created", created}}}};
}

namespace {

json summary(const json& pr) {
  return {{"number", pr["number"]},
          {"title", pr.value("title", "")},
          {"url", pr.value("url", "")},
          {"branch", pr.value("branch", "")},
          {"labels", pr.value("labels", json::array())},
          {"state", pr.value("state", "")}};
}

}  // namespace

json pr_list(LocalContext& ctx) {
  std::string label = ctx.in.params.value("label", "");
  std::string state = ctx.in.params.value("state", "open");
  json prs = json::array();
  for (const auto& pr : load_all(ctx.forge_dir() / "pulls")) {
    if (state != "all" && pr.value("state", "") != state) continue;
    const json labels = pr.value("labels", json::array());
    if (!label.empty() && std::find(labels.begin(), labels.end(), label) == labels.end()) continue;
    prs.push_back(summary(pr));
  }
  return {{"prs", prs}};
}

json pr_approve(LocalContext& ctx) {
  int number = number_param(ctx);
  if (ctx.dry_run()) return json::object();
  ForgeLock lock(ctx.forge_dir());
  json pr = load_pr(ctx, number);
  if (pr.value("state", "") != "open")
    throw sdk::failed("pull request #" + std::to_string(number) + " is " + pr.value("state", "") +
                      ", not open");
  const char* user = std::getenv("USER");
  pr["reviews"].push_back(
      {{"state", "APPROVED"}, {"by", user ? user : "operator"}, {"at", now_utc()}});
  pr["approved"] = true;
  write_json_file(item_path(ctx, "pulls", number), pr);
  return json::object();
}

json pr_merge(LocalContext& ctx) {
  int number = number_param(ctx);
  if (ctx.dry_run()) {
    load_pr(ctx, number);  // says so when there is no such pull request
    return {{"merged", false}, {"auto_merge", false}, {"dry_run", true}};
  }
  ForgeLock lock(ctx.forge_dir());
  json pr = load_pr(ctx, number);
  if (pr.value("state", "") == "merged")
    return {{"merged", true}, {"auto_merge", false}, {"commit", pr.value("merge_commit", "")}};
  if (pr.value("state", "") != "open")
    throw sdk::failed("pull request #" + std::to_string(number) + " is " + pr.value("state", "") +
                      " and cannot be merged");
  Git repo{ctx, {"git", "-C", ctx.fleet_root.string()}, {}};
  std::string origin = repo.out({"remote", "get-url", "origin"}, false);
  if (origin.rfind("file://", 0) == 0) origin = origin.substr(7);
  fs::path origin_path =
      fs::path(origin).is_absolute() ? fs::path(origin) : ctx.fleet_root / origin;
  std::error_code ec;
  if (!fs::is_directory(origin_path, ec))
    throw sdk::failed("the local forge merges into a local origin, and " + origin +
                      " is not a folder");
  Git bare{ctx, {"git", "--git-dir", origin_path.lexically_normal().string()}, {}};
  std::string base = pr.value("base", "main");
  std::string branch = pr.value("branch", "");
  std::string base_commit = bare.out({"rev-parse", "--verify", "refs/heads/" + base}, false);
  std::string head = bare.out({"rev-parse", "--verify", "refs/heads/" + branch}, false);
  auto merged_tree = bare.run({"merge-tree", "--write-tree", base_commit, head}, false);
  if (!merged_tree.ok())
    throw sdk::failed("pull request #" + std::to_string(number) + " conflicts with " + base +
                      "; re-run the upgrade on an up-to-date " + base);
  std::string tree = trim_line(merged_tree.out.substr(0, merged_tree.out.find('\n')));
  std::string message =
      pr.value("title", "") + " (#" + std::to_string(number) + ")\n\n" + pr.value("body", "");
  if (ctx.dry_run()) return {{"merged", false}, {"auto_merge", false}, {"dry_run", true}};
  std::string commit =
      bare.out({"commit-tree", tree, "-p", base_commit, "-m", message}, true, identity_env(repo));
  bare.out({"update-ref", "refs/heads/" + base, commit, base_commit}, true);
  pr["state"] = "merged";
  pr["merged_at"] = now_utc();
  pr["merge_commit"] = commit;
  pr["squash"] = ctx.in.params.value("squash", true);
  write_json_file(item_path(ctx, "pulls", number), pr);
  return {{"merged", true}, {"auto_merge", false}, {"commit", commit}};
}

namespace {

json find_issue(LocalContext& ctx, const std::string& title) {
  for (const auto& issue : load_all(ctx.forge_dir() / "issues"))
    if (issue.value("title", "") == title) return issue;
  return nullptr;
}

json issue_summary(const json& issue, bool created) {
  return {{"number", issue["number"]},
          {"url", issue["url"]},
          {"title", issue["title"]},
          {"state", issue.value("state", "open")},
          {"created", created}};
}

}  // namespace

json tracking_issue(LocalContext& ctx) {
  std::string version = ctx.in.params.value("version", "");
  require_version(version, "the tracking issue's version");
  std::string title = ctx.in.params.value("title", "Upgrade instances to " + version);
  if (ctx.dry_run()) return {{"issue", {{"title", title}, {"created", false}}}, {"dry_run", true}};
  ForgeLock lock(ctx.forge_dir());
  json issue = find_issue(ctx, title);
  if (!issue.is_null()) return {{"issue", issue_summary(issue, false)}};
  int number = next_number(ctx.forge_dir() / "issues");
  issue = {{"number", number},
           {"title", title},
           {"body", ctx.in.params.value("body", "")},
           {"labels", strings(ctx.in.params.value("labels", json::array()))},
           {"version", version},
           {"environment", ctx.in.params.value("environment", "")},
           {"state", "open"},
           {"created_at", now_utc()},
           {"url", item_url(ctx, "issues", number)}};
  write_json_file(item_path(ctx, "issues", number), issue);
  return {{"issue", issue_summary(issue, true)}};
}

// Finds the tracking issue and ticks the instance off its checklist.
json tracking_issue_check(LocalContext& ctx) {
  std::string version = ctx.in.params.value("version", "");
  std::string title = ctx.in.params.value("title", "Upgrade instances to " + version);
  std::string instance = ctx.in.params.value("instance", "");
  std::optional<ForgeLock> lock;
  if (!ctx.dry_run()) lock.emplace(ctx.forge_dir());
  json issue = find_issue(ctx, title);
  if (issue.is_null())
    throw sdk::failed("the local forge has no tracking issue titled '" + title +
                      "'; create it with `mi2 env create-tracking-issue " + version + "`");
  bool listed = false;
  if (!instance.empty()) {
    std::string body = issue.value("body", "");
    listed = forge::tick_checklist(body, instance) != forge::TickResult::kNotListed;
    if (listed && body != issue.value("body", "") && !ctx.dry_run()) {
      issue["body"] = body;
      issue["updated_at"] = now_utc();
      write_json_file(item_path(ctx, "issues", issue["number"]), issue);
    }
    if (!listed)
      ctx.host.warn("tracking issue #" + std::to_string(issue["number"].get<int>()) +
                    " does not list " + instance);
  }
  return {{"issue", issue_summary(issue, false)}, {"listed", listed}, {"checked", listed}};
}

namespace {

// A pull request of the forge folder as the forge-neutral sync reads it.
forge::PullRequest pull_request_of(const json& pr) {
  forge::PullRequest out;
  out.number = pr.value("number", 0);
  out.title = pr.value("title", "");
  out.url = pr.value("url", "");
  out.branch = pr.value("branch", "");
  out.base = pr.value("base", "");
  out.state = pr.value("state", "");
  out.body = pr.value("body", "");
  for (const auto& label : strings(pr.value("labels", json::array())))
    out.labels.push_back(label.get<std::string>());
  return out;
}

}  // namespace

// Ticks the merged, marks the failed, leaves the rest (forge_common's rewrite);
// writes the issue only when its body changed, never in a dry run.
json tracking_issue_sync(LocalContext& ctx) {
  forge::TrackingSyncRequest request = forge::read_tracking_sync_request(ctx.in.params);
  std::string title = ctx.in.params.value("title", "Upgrade instances to " + request.version);
  std::string label = ctx.in.params.value("label", "mi-upgrade");
  std::optional<ForgeLock> lock;
  if (!ctx.dry_run()) lock.emplace(ctx.forge_dir());
  json issue = find_issue(ctx, title);
  if (issue.is_null()) forge::throw_no_tracking_issue(title, request);
  std::vector<forge::PullRequest> prs;
  for (const auto& pr : load_all(ctx.forge_dir() / "pulls")) {
    forge::PullRequest one = pull_request_of(pr);
    if (std::find(one.labels.begin(), one.labels.end(), label) != one.labels.end())
      prs.push_back(std::move(one));
  }
  forge::TrackingSync sync = forge::sync_tracking_checklist(issue.value("body", ""), request, prs);
  bool update = sync.changed && !ctx.dry_run();
  if (update) {
    issue["body"] = sync.body;
    issue["updated_at"] = now_utc();
    write_json_file(item_path(ctx, "issues", issue["number"]), issue);
  }
  forge::Issue summary{issue.value("number", 0), issue.value("title", ""), issue.value("url", ""),
                       sync.body, issue.value("state", "open")};
  return forge::tracking_sync_json(summary, sync, ctx.dry_run(), update);
}

json pr_view(LocalContext& ctx) {
  return {{"pr", load_pr(ctx, number_param(ctx))}};
}

json latest_version(LocalContext& ctx) {
  std::string latest = ctx.catalog().latest();
  if (latest.empty())
    throw sdk::failed("the release catalog " + ctx.releases_dir().string() + " is empty");
  return {{"version", latest}};
}

}  // namespace mi2::local
