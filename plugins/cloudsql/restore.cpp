// backup.restore: only on an explicit request naming the backup (never from a
// checkpoint of the run), only from a SUCCESSFUL backup; it overwrites all
// data of the instance, and its output says so.
#include <algorithm>

#include "plugins/cloudsql/backups.h"

namespace mi2::cloudsql {
namespace {

std::string param_text(const sdk::StepInput& in, const char* key) {
  auto it = in.params.find(key);
  return it == in.params.end() ? "" : text_of(*it);
}

void check_restore_type(const Gcloud& g, const sdk::StepInput& in) {
  std::string type = param_text(in, "restore_type");
  if (type.empty() || type == "full-replace" || type == "database") return;
  throw sdk::not_supported("restore type '" + type + "' does not restore a database, so the " +
                           "cloudsql plugin left " + g.where() +
                           " untouched; use --restore-type full-replace (or database) to "
                           "restore it.");
}

// The newest backup of `source` whose description (the checkpoint name) is `name`.
Json find_by_name(const Gcloud& g, const std::string& name, const std::string& source) {
  Json listed = g.read_json(
      {"sql", "backups", "list", "--instance=" + source, g.project_flag(), "--format=json"});
  Json chosen;
  for (const Json& run : listed.is_array() ? listed : Json::array()) {
    if (!run.is_object() || run.value("description", "") != name) continue;
    bool better =
        chosen.is_null() ||
        (run.value("status", "") == "SUCCESSFUL") > (chosen.value("status", "") == "SUCCESSFUL") ||
        ((run.value("status", "") == "SUCCESSFUL") ==
             (chosen.value("status", "") == "SUCCESSFUL") &&
         run.value("windowStartTime", "") > chosen.value("windowStartTime", ""));
    if (better) chosen = run;
  }
  if (chosen.is_null())
    throw sdk::failed("Cloud SQL instance " + source + " (project " + g.target().project +
                      ") has no backup named '" + name +
                      "'; `mi2 instance backup list` shows its backups (name or id).");
  return chosen;
}

Json chosen_backup(const Gcloud& g, const sdk::StepInput& in, const std::string& source) {
  std::string id = param_text(in, "backup_id");
  std::string name = param_text(in, "backup_name");
  if (name.empty()) name = param_text(in, "name");
  if (id.empty() && name.empty())
    throw sdk::invalid_input("a restore overwrites all data of " + g.where() +
                             ", so it needs the backup named explicitly: pass --backup-name "
                             "(a checkpoint name or a Cloud SQL backup id from `mi2 instance "
                             "backup list`).");
  if (id.empty() && is_backup_id(name)) id = name;
  if (id.empty()) return find_by_name(g, name, source);
  if (!is_backup_id(id))
    throw sdk::invalid_input("'" + id + "' is not a Cloud SQL backup id (digits); `mi2 instance " +
                             "backup list` shows the backups of instance " + source + ".");
  return g.read_json({"sql", "backups", "describe", id, "--instance=" + source, g.project_flag(),
                      "--format=json"});
}

}  // namespace

Json restore_backup(const Gcloud& g, const sdk::StepInput& in) {
  const Target& t = g.target();
  check_restore_type(g, in);
  std::string source = param_text(in, "backup_instance");
  if (!source.empty() && !is_instance_name(source))
    throw sdk::invalid_input("backup_instance '" + source +
                             "' is not a Cloud SQL instance id (lower-case letters, digits and "
                             "'-', starting with a letter).");
  Json backup = chosen_backup(g, in, source.empty() ? t.instance : source);
  std::string id = text_of(backup.value("id", Json()));
  std::string from = source.empty() ? t.instance : source;
  std::string status = backup.value("status", "");
  if (!is_backup_id(id) || status != "SUCCESSFUL")
    throw sdk::failed("Cloud SQL backup " + (id.empty() ? "?" : id) + " of instance " + from +
                      " is " + (status.empty() ? "without status" : status) +
                      "; only a SUCCESSFUL backup is restored: pick one from `mi2 instance "
                      "backup list`. Nothing was changed on " +
                      g.where() + ".");
  std::string label = backup.value("description", "");
  std::string taken = backup.value("windowStartTime", "");
  std::string overwrote = "All data of " + g.where() + " was replaced by Cloud SQL backup " + id +
                          (label.empty() ? "" : " (" + label + ")") + " of instance " + from +
                          (taken.empty() ? "" : " taken " + taken) +
                          "; what was written after that backup is gone.";

  Args args = {"sql",           "backups", "restore", id, "--restore-instance=" + t.instance,
               g.project_flag()};
  if (!source.empty()) args.push_back("--backup-instance=" + source);
  args.insert(args.end(), {"--async", "--quiet", "--format=json"});
  std::string restored = param_text(in, "backup_name").empty() ? id : param_text(in, "backup_name");
  Json output = {{"restored", restored},
                 {"backup_id", id},
                 {"backup_instance", from},
                 {"instance", t.instance},
                 {"project", t.project}};
  OperationText text{"the restore of backup " + id,
                     "the restore itself goes on in Google's hands and still overwrites all data "
                     "of " +
                         g.where() + "; `gcloud sql operations list " + g.instance_flag() + " " +
                         g.project_flag() + "` tells when it is done."};
  Json op = g.start_operation(args, text);
  if (op.is_null()) {
    output["restored"] = "";
    output["would_overwrite"] = overwrote;
    return with_dry_run_report(g, output);
  }
  std::string operation = op["name"];
  output["operation"] = operation;
  g.host().warn("Restoring Cloud SQL backup " + id + " onto " + g.where() + ": operation " +
                operation);
  Json done = g.wait(operation, text);
  if (std::string errors = operation_errors(done); !errors.empty())
    throw sdk::Failure("The restore of Cloud SQL backup " + id + " onto " + g.where() +
                           " failed: " + errors + " (operation " + operation +
                           "); the instance may hold partial data: check it before it serves "
                           "again, and restore again once the cause is fixed.",
                       output);
  output["started"] = done.value("startTime", "");
  output["finished"] = done.value("endTime", "");
  output["overwrote"] = overwrote;
  g.host().warn(overwrote);
  return output;
}

}  // namespace mi2::cloudsql
