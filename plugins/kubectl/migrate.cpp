// migrate.up and migrate.status: the migrator image of the target version as a
// Kubernetes Job, watched until it completes or fails, its logs captured, and
// a dirty database reported with the repair path (DOMAIN.md §9).
#include <fstream>
#include <optional>
#include <regex>

#include "plugins/kubectl/actions.h"
#include "plugins/kubectl/kustomization_images.h"

namespace mi2::kubectl {
namespace {

const char* kMigratorSelector = "app.kubernetes.io/managed-by=mi2,job=migrator";

struct MinorVersion {
  int major = 0, minor = 0;
};

// "4.1.0", "v4.1.0", "5.0.0-rc.1" -> {4, 1}; main-branch tags have none.
std::optional<MinorVersion> minor_version(const std::string& version) {
  static const std::regex re(R"(v?(\d+)\.(\d+)(\.\d+)?([-+].*)?)");
  std::smatch m;
  if (!std::regex_match(version, m, re)) return std::nullopt;
  return MinorVersion{std::stoi(m[1]), std::stoi(m[2])};
}

// Sourcegraph's upgrade policy (IsValidUpgrade): same or lower minor, the next
// minor, or the next major's .0.
bool standard_upgrade(const MinorVersion& from, const MinorVersion& to) {
  if (to.major == from.major) return to.minor <= from.minor + 1;
  return to.major == from.major + 1 && to.minor == 0;
}

// A DNS-safe Job name, stable for one run: migrator-<5 chars>.
std::string job_name(const Target& t, const std::vector<std::string>& args) {
  std::string seed = t.in.run_id.empty() ? std::to_string(now_seconds()) : t.in.run_id;
  seed += "/" + t.in.target_version;
  for (const auto& a : args) seed += " " + a;
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : seed) h = (h ^ c) * 1099511628211ull;
  const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string suffix;
  for (int i = 0; i < 5; ++i, h /= 36) suffix += alphabet[h % 36];
  return "migrator-" + suffix;
}

// Default: the PG* variables of the three databases from the *-auth secrets
// the Sourcegraph manifests already carry.
Json default_env() {
  Json env = Json::array();
  const std::pair<const char*, const char*> dbs[] = {{"", "pgsql-auth"},
                                                     {"CODEINTEL_", "codeintel-db-auth"},
                                                     {"CODEINSIGHTS_", "codeinsights-db-auth"}};
  const std::pair<const char*, const char*> keys[] = {{"PGHOST", "host"},
                                                      {"PGPORT", "port"},
                                                      {"PGUSER", "user"},
                                                      {"PGPASSWORD", "password"},
                                                      {"PGDATABASE", "database"}};
  for (const auto& [prefix, secret] : dbs)
    for (const auto& [var, key] : keys)
      env.push_back({{"name", std::string(prefix) + var},
                     {"valueFrom", {{"secretKeyRef", {{"name", secret}, {"key", key}}}}}});
  return env;
}

Json job_env(const KubectlClient& kubectl) {
  const Json& configured = kubectl.settings().migrator_env;
  if (configured.empty()) return default_env();
  Json env = Json::array();
  for (const auto& [name, value] : configured.items()) {
    if (value.is_string()) {
      // Per-instance values come from placeholders ({instance_id}, {project}, ...).
      std::string text = kubectl.target().expand(value.get<std::string>());
      if (name.find("PASSWORD") != std::string::npos || name.find("SECRET") != std::string::npos ||
          name.find("TOKEN") != std::string::npos)
        kubectl.host().redact(text);
      env.push_back({{"name", name}, {"value", text}});
    } else if (value.is_object()) {
      Json from = value;
      for (const char* ref : {"secretKeyRef", "configMapKeyRef"})
        if (from.contains(ref) && from[ref].contains("name") && from[ref]["name"].is_string())
          from[ref]["name"] = kubectl.target().expand(from[ref]["name"].get<std::string>());
      env.push_back({{"name", name}, {"valueFrom", from}});
    } else if (value.is_number()) {
      env.push_back({{"name", name}, {"value", value.dump()}});
    }
  }
  return env;
}

Json job_manifest(const KubectlClient& kubectl, const std::string& name, const std::string& image,
                  const std::vector<std::string>& args) {
  const Target& t = kubectl.target();
  Json labels = {{"app.kubernetes.io/managed-by", "mi2"},
                 {"job", "migrator"},
                 {"mi2.sourcegraph.com/version", t.in.target_version}};
  Json container = {
      {"name", "migrator"}, {"image", image}, {"args", args}, {"env", job_env(kubectl)}};
  return Json{
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata", {{"name", name}, {"namespace", t.namespace_name}, {"labels", labels}}},
      {"spec",
       {{"backoffLimit", kubectl.settings().migrator_backoff_limit},
        {"activeDeadlineSeconds", kubectl.settings().migrate_timeout_s},
        {"template",
         {{"metadata", {{"labels", labels}}},
          {"spec", {{"restartPolicy", "Never"}, {"containers", Json::array({container})}}}}}}}};
}

// "Complete", "Failed" or "" while it runs.
std::string job_state(const Json& job) {
  for (const Json& c : job.value("status", Json::object()).value("conditions", Json::array())) {
    if (c.value("status", "") != "True") continue;
    std::string type = c.value("type", "");
    if (type == "Complete" || type == "Failed") return type;
  }
  if (job.value("status", Json::object()).value("succeeded", 0) > 0) return "Complete";
  return "";
}

std::string failed_reason(const Json& job) {
  for (const Json& c : job.value("status", Json::object()).value("conditions", Json::array()))
    if (c.value("type", "") == "Failed")
      return c.value("reason", "") + ": " + c.value("message", "");
  return "";
}

struct DirtyState {
  bool dirty = false;
  std::string schema, failed_version;
};

// The migrator says: dirty database: schema "frontend" marked the following
// migrations as failed: 1528395968
DirtyState dirty_state(const std::string& logs) {
  DirtyState state;
  static const std::regex failed(
      R"re(schema "([A-Za-z0-9_-]+)" marked the following migrations as failed: ([0-9]+))re");
  static const std::regex migration(R"re(migration ([0-9]{6,}))re");
  std::smatch m;
  if (std::regex_search(logs, m, failed)) {
    state.dirty = true;
    state.schema = m[1];
    state.failed_version = m[2];
    return state;
  }
  state.dirty = logs.find("dirty database") != std::string::npos;
  if (state.dirty && std::regex_search(logs, m, migration)) state.failed_version = m[1];
  return state;
}

std::string repair_sentence(const DirtyState& d) {
  std::string schema = d.schema.empty() ? "<schema>" : d.schema;
  std::string version = d.failed_version.empty() ? "<version>" : d.failed_version;
  return "The old workload keeps serving; re-run the migration once with "
         "ignore_single_dirty_log (it re-applies only the failed migration), and if it fails "
         "again apply migrations/" +
         schema + "/" + version +
         "/up.sql by hand, verify it, run "
         "`migrator add-log -db=" +
         schema + " -version=" + version +
         "`, then re-run `mi2 "
         "instance upgrade`; if data is corrupted restore the pre-upgrade database backup.";
}

std::string tail_lines(const std::string& text, size_t count) {
  size_t pos = text.size();
  for (size_t n = 0; n <= count && pos != std::string::npos && pos > 0; ++n)
    pos = text.rfind('\n', pos - 1);
  return pos == std::string::npos || pos == 0 ? text : text.substr(pos + 1);
}

// A migrator pod that cannot start (wrong registry, missing tag, missing
// secret) would otherwise only end at the deadline.
void stuck_pod_check(const KubectlClient& kubectl, const std::string& job) {
  static const char* fatal[] = {"ImagePullBackOff", "ErrImagePull", "InvalidImageName",
                                "CreateContainerConfigError"};
  Json pods = kubectl.read_json({"get", "pods", "-l", "job-name=" + job, "-o", "json"});
  for (const Json& pod : pods.value("items", Json::array())) {
    for (const Json& cs :
         pod.value("status", Json::object()).value("containerStatuses", Json::array())) {
      Json waiting = cs.value("state", Json::object()).value("waiting", Json::object());
      std::string reason = waiting.value("reason", "");
      for (const char* f : fatal)
        if (reason == f)
          throw sdk::failed("the migrator Job " + job + " of instance " +
                            kubectl.target().in.instance_id + " cannot start its pod (" + reason +
                            ": " + waiting.value("message", "") +
                            "); nothing was migrated: fix plugins.kubectl.registry or migrator_env "
                            "in mi2.yaml and run the upgrade again.");
    }
  }
}

// `mi2 instance upgrade --force` is recorded in the run's journal (its first
// line, run_started) but not in the step input, so read it from there.
bool run_was_forced(const Target& t) {
  std::string log = t.in.run_log;
  if (log.empty()) return false;
  std::ifstream in(log);
  std::string first;
  if (!std::getline(in, first)) return false;
  Json started = Json::parse(first, nullptr, false);
  return started.is_object() && started.value("event", "") == "run_started" &&
         started.value("force", false);
}

std::vector<std::string> migrator_args(const KubectlClient& kubectl) {
  const Target& t = kubectl.target();
  const Json& p = t.in.params;
  // `upgrade --from --to`, or a run the operator forced past the one-minor rule.
  bool multi =
      p.value("multi_version", false) || t.in.force || p.contains("from") || run_was_forced(t);
  std::string from_text = p.value("from", t.in.previous_version);
  std::string to_text = p.value("to", t.in.target_version);
  auto from = minor_version(from_text);
  auto to = minor_version(to_text);
  if (!multi && from && to && !standard_upgrade(*from, *to))
    throw sdk::failed("instance " + t.in.instance_id + " would skip more than one minor version (" +
                      from_text + " to " + to_text +
                      "), which `migrator up` refuses; choose the "
                      "multi-version path (`mi2 instance upgrade --from " +
                      from_text + " --to " + to_text + "`).");
  std::vector<std::string> args = kubectl.settings().migrator_args;
  if (multi) {
    if (!from || !to)
      throw sdk::invalid_input("the multi-version migration of instance " + t.in.instance_id +
                               " needs --from and --to as major.minor versions.");
    args = {"upgrade", "--from=v" + std::to_string(from->major) + "." + std::to_string(from->minor),
            "--to=v" + std::to_string(to->major) + "." + std::to_string(to->minor),
            "--disable-animation"};
  }
  if (p.value("ignore_single_dirty_log", false)) args.push_back("--ignore-single-dirty-log");
  if (p.value("ignore_single_pending_log", false)) args.push_back("--ignore-single-pending-log");
  return args;
}

}  // namespace

Json migrate_up(const KubectlClient& kubectl) {
  const Target& t = kubectl.target();
  const Settings& s = kubectl.settings();
  if (!is_image_tag(t.in.target_version))
    throw sdk::invalid_input("the version '" + t.in.target_version + "' of instance " +
                             t.in.instance_id +
                             " cannot be a migrator image tag; set spec.sourcegraphVersion to a "
                             "release like 4.1.0.");
  std::vector<std::string> args = migrator_args(kubectl);  // refuses a skip before any Job
  std::string name = job_name(t, args);
  std::string image = s.registry + "/migrator:" + t.in.target_version;
  Json manifest = job_manifest(kubectl, name, image, args);
  // Earlier mi2 migrator Jobs (a failed attempt's pod would fail pods-health
  // for good) go first; their logs are in the journal of the run that made them.
  kubectl.change_or_throw({"delete", "jobs", "-l", kMigratorSelector,
                           "--field-selector=metadata.name!=" + name, "--cascade=foreground",
                           "--ignore-not-found=true"});
  sdk::ExecResult created = kubectl.change({"create", "-f", "-"}, manifest.dump(2) + "\n");
  // A resumed run finds its own Job (same run, version and args): watch it again.
  bool resumed = !created.ok() && created.err.find("AlreadyExists") != std::string::npos;
  if (!created.ok() && !resumed)
    throw sdk::failed(kubectl.failure(kubectl.argv({"create", "-f", "-"}), created));
  if (resumed) kubectl.host().info("migrator Job " + name + " exists already; watching it");
  Json out = {{"applied", Json::array()}, {"job", name}, {"image", image}, {"args", args}};
  if (t.in.dry_run) {
    out["dry_run"] = true;
    return out;
  }

  auto deadline = now_seconds() + s.migrate_timeout_s;
  std::string state;
  Json job;
  while (true) {
    job = kubectl.read_json({"get", "job", name, "-o", "json"});
    state = job_state(job);
    if (!state.empty() || now_seconds() >= deadline) break;
    stuck_pod_check(kubectl, name);
    kubectl.host().progress(-1, "migrator Job " + name + " is running");
    pause(kubectl.host(), s.poll_interval_s);
  }
  // The logs go into the run journal through the host's capture of this call.
  sdk::ExecResult logs = kubectl.run({"logs", "job/" + name, "--all-containers=true"}, 120000);
  std::string log_text = logs.ok() ? logs.out : "";
  out["logs"] = tail_lines(log_text, 60);

  if (state.empty()) {
    write_state(t, "migrate.json",
                {{"job", name}, {"version", t.in.target_version}, {"state", "running"}});
    throw sdk::Error(MI2_TIMEOUT, "the migrator Job " + name + " of instance " + t.in.instance_id +
                                      " did not finish within " +
                                      std::to_string(s.migrate_timeout_s) +
                                      "s; follow it with `kubectl logs job/" + name +
                                      " -f` before "
                                      "deploying.");
  }
  if (state == "Complete") {
    kubectl.host().info("migrator Job " + name + " completed for version " + t.in.target_version);
    write_state(
        t, "migrate.json",
        {{"job", name}, {"version", t.in.target_version}, {"state", "Complete"}, {"dirty", false}});
    out["state"] = "Complete";
    return out;
  }

  DirtyState dirty = dirty_state(log_text);
  std::string repair = repair_sentence(dirty);
  Json record = {{"job", name},
                 {"version", t.in.target_version},
                 {"state", "Failed"},
                 {"dirty", dirty.dirty},
                 {"schema", dirty.schema},
                 {"failed_version", dirty.failed_version},
                 {"repair", repair},
                 {"reason", failed_reason(job)}};
  write_state(t, "migrate.json", record);
  kubectl.host().error("migrator Job " + name + " failed; last log lines:\n" +
                       tail_lines(log_text, 20));
  std::string what = dirty.dirty
                         ? "left database schema " + (dirty.schema.empty() ? "?" : dirty.schema) +
                               " dirty at migration " +
                               (dirty.failed_version.empty() ? "?" : dirty.failed_version)
                         : "failed (" + failed_reason(job) + "); the database may be dirty";
  out["state"] = "Failed";
  out["dirty"] = dirty.dirty;
  out["schema"] = dirty.schema;
  out["failed_version"] = dirty.failed_version;
  out["repair"] = repair;
  throw sdk::Failure(
      MI2_FAILED,
      "the migrator Job " + name + " of instance " + t.in.instance_id + " " + what + ". " + repair,
      out);
}

Json migrate_status(const KubectlClient& kubectl) {
  const Target& t = kubectl.target();
  Json jobs = kubectl.read_json({"get", "jobs", "-l", kMigratorSelector, "-o", "json"});
  Json latest;
  for (const Json& job : jobs.value("items", Json::array())) {
    std::string created = job["metadata"].value("creationTimestamp", "");
    if (latest.is_null() || created >= latest["metadata"].value("creationTimestamp", ""))
      latest = job;
  }
  Json record = read_state(t, "migrate.json");
  Json out = {{"dirty", false},
              {"failed_version", ""},
              {"applied", Json::array()},
              {"pending", Json::array()}};
  if (record.is_object()) {
    out["dirty"] = record.value("dirty", false);
    out["failed_version"] = record.value("failed_version", "");
    out["schema"] = record.value("schema", "");
    if (record.contains("repair") && out["dirty"].get<bool>()) out["repair"] = record["repair"];
  }
  if (!latest.is_null()) {
    std::string state = job_state(latest);
    out["job"] = {{"name", latest["metadata"].value("name", "")},
                  {"state", state.empty() ? "Running" : state},
                  {"version", latest["metadata"]
                                  .value("labels", Json::object())
                                  .value("mi2.sourcegraph.com/version", "")}};
  }
  return out;
}

}  // namespace mi2::kubectl
