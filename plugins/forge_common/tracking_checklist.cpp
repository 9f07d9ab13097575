#include "forge_common/tracking_checklist.h"

#include <mi2/sdk/host.hpp>
#include <mi2/sdk/step.hpp>

#include <map>

#include "forge_common/forge_text.h"

namespace mi2::forge {
namespace {

std::string text_param(const Json& object, const char* key, const std::string& where) {
  if (!object.contains(key) || object[key].is_null()) return "";
  if (!object[key].is_string())
    throw sdk::invalid_input(where + "'s '" + key + "' must be a string.");
  return object[key].get<std::string>();
}

bool failed_result(const std::string& result) {
  return result == "failed" || result == "rolled_back";
}

std::string failure_mark(const TrackedInstance& instance) {
  std::string what = "failed";
  if (!instance.failed_step.empty()) what += " at " + instance.failed_step;
  if (instance.run_result == "rolled_back") what += ", rolled back";
  if (!instance.run_id.empty()) what += " (run " + instance.run_id + ")";
  for (char& c : what)  // one line, whatever a hand-edited journal says
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return std::string(kFailureMark).substr(1) + what;  // the mark without its leading space
}

// True when the PR's body names an environment, and not this one (the host
// writes "environment `prod`" into every upgrade PR it opens).
bool names_other_environment(const std::string& body, const std::string& environment) {
  static const std::string kKey = "environment `";
  bool named = false;
  for (size_t at = body.find(kKey); at != std::string::npos; at = body.find(kKey, at + 1)) {
    size_t end = body.find('`', at + kKey.size());
    if (end == std::string::npos) break;
    if (body.compare(at + kKey.size(), end - at - kKey.size(), environment) == 0) return false;
    named = true;
  }
  return named;
}

// The instance's upgrade PR for the version: a merged one first, then an
// open one, then the newest closed one.
std::optional<PullRequest> upgrade_pr(const TrackedInstance& instance,
                                      const TrackingSyncRequest& request,
                                      const std::vector<PullRequest>& prs) {
  const std::string title = instance.slug + ": upgrade to " + request.version;
  auto rank = [](const std::string& state) { return state == "merged" ? 2 : state == "open"; };
  std::optional<PullRequest> best;
  for (const auto& pr : prs) {
    if (pr.title != title || names_other_environment(pr.body, request.environment)) continue;
    if (!best || rank(pr.state) > rank(best->state) ||
        (rank(pr.state) == rank(best->state) && pr.number > best->number))
      best = pr;
  }
  return best;
}

const char* change_name(SyncChange change) {
  switch (change) {
    case SyncChange::kTicked:
      return "ticked";
    case SyncChange::kMarked:
      return "marked";
    case SyncChange::kCleared:
      return "cleared";
    case SyncChange::kNone:
      break;
  }
  return "none";
}

// The line as `instance` wants it: ticked without a mark once merged, marked
// after a failed run, without a mark after a succeeded one, else as it was.
std::string synced_line(const std::string& line, size_t box, const std::string& item,
                        const SyncedInstance& instance, const std::string& mark) {
  std::string bare = without_failure_mark(item);
  bool merged = instance.state == "merged";
  std::string wanted_item = item;
  if (merged || instance.state == "succeeded") wanted_item = bare;
  if (instance.state == "failed") wanted_item = bare + " " + mark;
  if (wanted_item == item && (!merged || line[box] != ' ')) return line;
  std::string out = line.substr(0, box) + (merged ? "x" : line.substr(box, 1)) + "] " + wanted_item;
  if (!line.empty() && line.back() == '\r') out += '\r';
  return out;
}

SyncChange classify(const std::string& before, const std::string& after, size_t box) {
  if (before == after) return SyncChange::kNone;
  if (before[box] == ' ' && after[box] != ' ') return SyncChange::kTicked;
  size_t unused = 0;
  std::string item;
  checklist_item(after, unused, item);
  return without_failure_mark(item) == item ? SyncChange::kCleared : SyncChange::kMarked;
}

}  // namespace

std::string without_failure_mark(const std::string& text) {
  size_t at = text.find(kFailureMark);
  if (at == std::string::npos) return text;
  std::string bare = text.substr(0, at);
  while (!bare.empty() && bare.back() == ' ') bare.pop_back();
  return bare;
}

TrackingSyncRequest read_tracking_sync_request(const Json& params) {
  const std::string where = "vcs tracking-issue-sync";
  TrackingSyncRequest request;
  request.environment = text_param(params, "environment", where);
  request.version = text_param(params, "version", where);
  if (request.version.empty()) throw sdk::invalid_input(where + " needs the param 'version'.");
  const Json instances = params.value("instances", Json());
  if (!instances.is_array())
    throw sdk::invalid_input(where + " needs 'instances', a list of {id, slug, run}.");
  for (const Json& item : instances) {
    if (!item.is_object())
      throw sdk::invalid_input(where + "'s instances must be objects {id, slug, run}.");
    TrackedInstance instance;
    instance.id = text_param(item, "id", where + " instance");
    instance.slug = text_param(item, "slug", where + " instance");
    if (instance.id.empty()) throw sdk::invalid_input(where + ": an instance has no 'id'.");
    if (instance.slug.empty()) instance.slug = instance.id;
    const Json run = item.value("run", Json());
    if (run.is_object()) {
      instance.run_result = text_param(run, "result", where + " run");
      instance.run_id = text_param(run, "run_id", where + " run");
      instance.failed_step = text_param(run, "failed_step", where + " run");
    } else if (!run.is_null()) {
      throw sdk::invalid_input(where + ": the run of " + instance.id + " must be an object.");
    }
    request.instances.push_back(std::move(instance));
  }
  return request;
}

TrackingSync sync_tracking_checklist(const std::string& body, const TrackingSyncRequest& request,
                                     const std::vector<PullRequest>& prs) {
  TrackingSync sync;
  std::map<size_t, std::string> marks;  // instance index -> its mark when failed
  for (const auto& tracked : request.instances) {
    SyncedInstance instance;
    instance.id = tracked.id;
    instance.slug = tracked.slug;
    instance.pr = upgrade_pr(tracked, request, prs);
    if (instance.pr && instance.pr->state == "merged")
      instance.state = "merged";
    else if (failed_result(tracked.run_result))
      instance.state = "failed";
    else if (tracked.run_result == "succeeded")
      instance.state = "succeeded";
    else
      instance.state = instance.pr ? instance.pr->state : "none";
    if (instance.state == "failed") marks[sync.instances.size()] = failure_mark(tracked);
    sync.instances.push_back(std::move(instance));
  }

  std::vector<SyncChange> changes(sync.instances.size(), SyncChange::kNone);
  std::string out;
  for (size_t start = 0; start <= body.size();) {
    size_t end = body.find('\n', start);
    std::string line = body.substr(start, end == std::string::npos ? end : end - start);
    size_t box = 0;
    std::string item;
    if (checklist_item(line, box, item)) {
      std::string bare = without_failure_mark(item);
      for (size_t i = 0; i < sync.instances.size(); ++i) {
        SyncedInstance& instance = sync.instances[i];
        if (!item_names(bare, instance.id) && !item_names(bare, instance.slug)) continue;
        instance.listed = true;
        std::string synced = synced_line(line, box, item, instance, marks[i]);
        SyncChange change = classify(line, synced, box);
        if (change != SyncChange::kNone) changes[i] = change;
        line = synced;
        break;  // one instance per line
      }
    }
    out += line;
    if (end == std::string::npos) break;
    out += '\n';
    start = end + 1;
  }

  sync.body = out;
  sync.changed = out != body;
  for (size_t i = 0; i < sync.instances.size(); ++i) {
    SyncedInstance& instance = sync.instances[i];
    instance.change = changes[i];
    if (instance.listed && instance.state == "failed") instance.mark = marks[i];
    if (!instance.listed) {
      if (instance.state == "merged" || instance.state == "failed") ++sync.not_listed;
      continue;
    }
    // By SyncChange: none, ticked, marked, cleared.
    int* counts[] = {&sync.unchanged, &sync.ticked, &sync.marked, &sync.cleared};
    ++*counts[static_cast<int>(instance.change)];
  }
  return sync;
}

Json tracking_sync_json(const Issue& issue, const TrackingSync& sync, bool dry_run, bool updated) {
  Json instances = Json::array();
  for (const auto& instance : sync.instances) {
    Json pr = nullptr;
    if (instance.pr)
      pr = {{"number", instance.pr->number},
            {"url", instance.pr->url},
            {"state", instance.pr->state},
            {"auto_merge", instance.pr->auto_merge}};
    instances.push_back({{"id", instance.id},
                         {"slug", instance.slug},
                         {"listed", instance.listed},
                         {"state", instance.state},
                         {"change", change_name(instance.change)},
                         {"mark", instance.mark},
                         {"pr", pr}});
  }
  return {{"issue",
           {{"number", issue.number},
            {"url", issue.url},
            {"title", issue.title},
            {"state", issue.state}}},
          {"dry_run", dry_run},
          {"changed", sync.changed},
          {"updated", updated},
          {"summary",
           {{"ticked", sync.ticked},
            {"failed", sync.marked},
            {"cleared", sync.cleared},
            {"unchanged", sync.unchanged},
            {"not_listed", sync.not_listed}}},
          {"instances", instances}};
}

void throw_no_tracking_issue(const std::string& title, const TrackingSyncRequest& request) {
  throw sdk::Failure(MI2_FAILED,
                     "there is no tracking issue titled '" + title +
                         "'; create it with 'mi2 env create-tracking-issue -e " +
                         request.environment + " " + request.version + "'.",
                     {{"found", false}, {"title", title}});
}

}  // namespace mi2::forge
