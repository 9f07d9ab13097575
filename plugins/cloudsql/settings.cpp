#include "plugins/cloudsql/settings.h"

#include <cctype>

namespace mi2::cloudsql {
namespace {

bool lower_alnum_or_dash(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// status.gcp.cloudSQL[0].name (older configs: status.cloudSQL[0].name).
std::string instance_from_status(const Json& instance) {
  for (const char* pointer : {"/status/gcp/cloudSQL", "/status/cloudSQL"}) {
    Json::json_pointer p(pointer);
    if (!instance.contains(p)) continue;
    const Json& list = instance.at(p);
    if (list.is_array() && !list.empty() && list[0].is_object())
      return list[0].value("name", std::string());
  }
  return "";
}

}  // namespace

void Settings::read(sdk::ConfigReader& config) {
  project = config.string("project", "",
                          "GCP project of the Cloud SQL instance (placeholders allowed); "
                          "default status.gcp.projectId of config.yaml");
  instance = config.string("instance", "",
                           "Cloud SQL instance id (placeholders allowed, e.g. "
                           "\"{instance_id}-pg\"); default status.gcp.cloudSQL[0].name");
  gcloud_binary =
      config.string("gcloud_binary", "gcloud", "the gcloud program (name on PATH or path)");
  wait_timeout_s = config.integer("wait_timeout_s", 1800,
                                  "how long a backup or restore operation may run, seconds", 1);
  poll_interval_s = config.number("poll_interval_s", 5,
                                  "pause between two looks at a running operation, seconds");
  command_timeout_s =
      config.integer("command_timeout_s", 300, "limit of every other gcloud call, seconds", 1);
  busy_retries = config.integer(
      "busy_retries", 6,
      "extra attempts when another operation holds the instance (HTTP 409 operationInProgress)");
  busy_backoff_s = config.number("busy_backoff_s", 10,
                                 "first pause after a 409, seconds; doubled after each attempt");
  busy_backoff_max_s =
      config.number("busy_backoff_max_s", 120, "longest pause after a 409, seconds");
}

Settings Settings::parse(const std::string& config_json) {
  sdk::ConfigReader config("cloudsql", config_json);
  Settings settings;
  settings.read(config);
  config.finish();
  if (settings.gcloud_binary.empty())
    throw config.bad("gcloud_binary", "the gcloud program to run", Json(""));
  return settings;
}

Json Settings::schema() {
  sdk::ConfigReader config("cloudsql", "{}");
  Settings settings;
  settings.read(config);
  return config.schema();
}

bool is_instance_name(const std::string& name) {
  if (name.empty() || name.size() > 98 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name)
    if (!lower_alnum_or_dash(c)) return false;
  return name.back() != '-';
}

bool is_project_id(const std::string& id) {
  if (id.size() < 6 || id.size() > 30 || !(id[0] >= 'a' && id[0] <= 'z')) return false;
  for (char c : id)
    if (!lower_alnum_or_dash(c)) return false;
  return id.back() != '-';
}

Target resolve_target(const Settings& settings, const sdk::StepInput& input) {
  Target target;
  target.instance_id = input.instance_id;
  target.dry_run = input.dry_run;
  std::string who = input.instance_id.empty() ? "this instance" : "instance " + input.instance_id;

  target.instance = settings.instance.empty() ? instance_from_status(input.instance)
                                              : sdk::expand(settings.instance, input);
  if (target.instance.empty())
    throw sdk::invalid_input("the cloudsql plugin has no Cloud SQL instance for " + who +
                             ": set plugins.cloudsql.instance in mi2.yaml (e.g. "
                             "\"{instance_id}-pg\") or status.gcp.cloudSQL[0].name in its "
                             "config.yaml.");
  if (!is_instance_name(target.instance))
    throw sdk::invalid_input("'" + target.instance + "' (plugins.cloudsql.instance for " + who +
                             ") is not a Cloud SQL instance id: use lower-case letters, digits "
                             "and '-', starting with a letter, at most 98 characters.");

  target.project =
      settings.project.empty() ? input.project() : sdk::expand(settings.project, input);
  if (target.project.empty())
    throw sdk::invalid_input("the cloudsql plugin has no GCP project for " + who +
                             ": set status.gcp.projectId in its config.yaml or "
                             "plugins.cloudsql.project in mi2.yaml.");
  if (!is_project_id(target.project))
    throw sdk::invalid_input("'" + target.project + "' (the GCP project of " + who +
                             ") is not a project id: use 6 to 30 lower-case letters, digits "
                             "and '-', starting with a letter.");
  return target;
}

}  // namespace mi2::cloudsql
