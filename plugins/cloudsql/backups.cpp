#include "plugins/cloudsql/backups.h"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace mi2::cloudsql {
namespace {

bool is_checkpoint_name(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

// Lower-case alphanumerics and '-', as the kubectl plugin names its checkpoints.
std::string sanitize(const std::string& text, size_t max) {
  std::string out;
  for (char c : text) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += std::isalnum(static_cast<unsigned char>(l)) ? l : '-';
  }
  while (!out.empty() && out.front() == '-') out.erase(0, 1);
  if (out.size() > max) out.resize(max);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string first_text(const Json& a, const Json& b, const char* key) {
  std::string value = a.is_object() ? a.value(key, "") : "";
  return !value.empty() ? value : (b.is_object() ? b.value(key, "") : "");
}

Json describe_backup(const Gcloud& g, const std::string& id, const std::string& instance) {
  return g.read_json({"sql", "backups", "describe", id, "--instance=" + instance, g.project_flag(),
                      "--format=json"});
}

// The BackupRun once it has left ENQUEUED/RUNNING (the operation may finish
// a moment before the run says so).
Json settled_backup_run(const Gcloud& g, const std::string& id) {
  const Target& t = g.target();
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(g.settings().wait_timeout_s);
  while (true) {
    Json run = describe_backup(g, id, t.instance);
    std::string status = run.is_object() ? run.value("status", "") : "";
    if (status != "RUNNING" && status != "ENQUEUED") return run;
    if (std::chrono::steady_clock::now() >= deadline) return run;
    if (!g.pause(g.settings().poll_interval_s))
      throw sdk::Failure(MI2_CANCELLED,
                         "Stopped waiting for Cloud SQL backup " + id + " of " + g.where() +
                             " to say SUCCESSFUL: the backup itself goes on in Google's hands, and "
                             "`mi2 instance backup list` shows it once it is done.",
                         Json{{"backup_id", id}, {"status", status}});
  }
}

std::string backup_run_error(const Json& run) {
  if (!run.is_object() || !run.contains("error") || !run["error"].is_object()) return "";
  const Json& e = run["error"];
  std::string code = e.value("code", ""), message = e.value("message", "");
  return code.empty() ? message : message.empty() ? code : code + ": " + message;
}

Json backup_entry(const Json& run, const Target& t) {
  return {{"id", text_of(run.value("id", Json()))},
          {"status", run.value("status", "")},
          {"type", run.value("type", "")},
          {"description", run.value("description", "")},
          {"created", run.value("windowStartTime", "")},
          {"started", run.value("startTime", "")},
          {"finished", run.value("endTime", "")},
          {"instance", run.value("instance", t.instance)},
          {"project", t.project}};
}

}  // namespace

Json with_dry_run_report(const Gcloud& g, Json output) {
  Json running = g.operations_in_progress();
  std::string note = "no operation is running on " + g.where() + " now";
  if (!running.empty()) {
    const Json& op = running[0];
    note = "operation " + op.value("name", "") + " (" + op.value("operationType", "") + ") is " +
           op.value("status", "") + " on " + g.where() +
           " now: the real run would retry while it holds the instance (HTTP 409)";
    g.host().warn(note + ".");
  }
  output["dry_run"] = true;
  output["operations_in_progress"] = running;
  output["note"] = note;
  return output;
}

bool is_backup_id(const std::string& text) {
  return !text.empty() && text.size() <= 20 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string checkpoint_name(const sdk::StepInput& in) {
  auto given = in.params.find("name");
  if (given != in.params.end() && !given->is_null()) {
    std::string name = given->is_string() ? given->get<std::string>() : given->dump();
    if (!is_checkpoint_name(name))
      throw sdk::invalid_input("backup name '" + name + "' for instance " + in.instance_id +
                               " must be 1 to 63 letters, digits, '.', '_' or '-'.");
    return name;
  }
  if (!in.run_id.empty()) return "mi2-" + sanitize(in.run_id, 36);
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%dt%H%M%Sz", &tm);
  return std::string("mi2-") + stamp;
}

Json create_backup(const Gcloud& g, const sdk::StepInput& in) {
  const Target& t = g.target();
  std::string name = checkpoint_name(in);
  Json checkpoint = {
      {"id", name}, {"description", name}, {"instance", t.instance}, {"project", t.project}};
  OperationText text{"the backup",
                     "the backup itself goes on in Google's hands, and `mi2 instance backup list` "
                     "shows it once it is done."};
  Json op = g.start_operation({"sql", "backups", "create", g.instance_flag(), g.project_flag(),
                               "--description=" + name, "--async", "--format=json"},
                              text);
  if (op.is_null()) {
    checkpoint["dry_run"] = true;
    return with_dry_run_report(g, Json{{"checkpoint", checkpoint}});
  }
  std::string operation = op["name"];
  checkpoint["operation"] = operation;
  g.host().info("Cloud SQL backup " + name + " of " + g.where() + " started: operation " +
                operation);
  Json done = g.wait(operation, text);
  checkpoint["started"] = first_text(done, op, "startTime");
  checkpoint["finished"] = done.value("endTime", "");
  if (std::string errors = operation_errors(done); !errors.empty())
    throw sdk::Failure("The Cloud SQL backup of " + g.where() + " failed: " + errors +
                           " (operation " + operation +
                           "); without the database checkpoint the upgrade must not go on: fix "
                           "the cause, then run again.",
                       Json{{"checkpoint", checkpoint}, {"error", errors}});
  std::string id = text_of(done.value("backupContext", Json::object()).value("backupId", Json()));
  if (!is_backup_id(id))
    throw sdk::Failure("Cloud SQL operation " + operation + " of " + g.where() +
                           " finished without a backup id (backupContext.backupId); see "
                           "`gcloud sql backups list " +
                           g.instance_flag() + " " + g.project_flag() + "`.",
                       Json{{"checkpoint", checkpoint}});
  checkpoint["backup_id"] = id;
  Json run = settled_backup_run(g, id);
  std::string status = run.is_object() ? run.value("status", "") : "";
  checkpoint["status"] = status;
  if (status != "SUCCESSFUL") {
    std::string why = backup_run_error(run);
    throw sdk::Failure("Cloud SQL backup " + id + " of " + g.where() + " is " +
                           (status.empty() ? "without status" : status) + ", not SUCCESSFUL" +
                           (why.empty() ? "" : " (" + why + ")") +
                           "; without the database checkpoint the upgrade must not go on.",
                       Json{{"checkpoint", checkpoint}});
  }
  checkpoint["started"] = first_text(run, done, "startTime");
  checkpoint["finished"] = first_text(run, done, "endTime");
  checkpoint["created"] = run.value("windowStartTime", "");
  g.host().info("Cloud SQL backup " + id + " (" + name + ") of " + g.where() + " is SUCCESSFUL");
  return Json{{"checkpoint", checkpoint}};
}

Json list_backups(const Gcloud& g) {
  Json listed =
      g.read_json({"sql", "backups", "list", g.instance_flag(), g.project_flag(), "--format=json"});
  Json backups = Json::array();
  for (const Json& run : listed.is_array() ? listed : Json::array())
    if (run.is_object()) backups.push_back(backup_entry(run, g.target()));
  std::stable_sort(backups.begin(), backups.end(), [](const Json& a, const Json& b) {
    return a.value("created", "") < b.value("created", "");
  });
  return Json{{"backups", backups}};
}

}  // namespace mi2::cloudsql
