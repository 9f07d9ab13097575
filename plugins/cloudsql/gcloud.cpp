#include "plugins/cloudsql/gcloud.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace mi2::cloudsql {
namespace {

using Clock = std::chrono::steady_clock;

bool has(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

std::string without_final_period(std::string text) {
  while (!text.empty() && (text.back() == '.' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string head(const std::string& text) {
  std::string shown = text.substr(0, 160);
  for (char& c : shown)
    if (c == '\n' || c == '\r') c = ' ';
  return shown.empty() ? "nothing" : "\"" + shown + (text.size() > 160 ? "...\"" : "\"");
}

std::string seconds_text(double seconds) {
  if (seconds < 10) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2g", seconds);
    return std::string(buffer) + "s";
  }
  return std::to_string(static_cast<long long>(seconds)) + "s";
}

}  // namespace

GcloudFault classify(const std::string& err) {
  if (has(err, "operationInProgress") || has(err, "another operation was already in progress"))
    return GcloudFault::kBusy;
  if (has(err, "do not currently have an active account") ||
      has(err, "problem refreshing your current auth tokens") ||
      has(err, "Reauthentication failed"))
    return GcloudFault::kUnauthenticated;
  if (has(err, "HTTPError 404")) return GcloudFault::kNotFound;
  if (has(err, "HTTPError 403")) return GcloudFault::kForbidden;
  // Other credential trouble ends by pointing at `gcloud auth login`.
  if (has(err, "gcloud auth login")) return GcloudFault::kUnauthenticated;
  return GcloudFault::kOther;
}

std::string error_message(const std::string& err) {
  std::string last, error_line;
  size_t start = 0;
  while (start < err.size()) {
    size_t end = err.find('\n', start);
    if (end == std::string::npos) end = err.size();
    std::string line = err.substr(start, end - start);
    if (!line.empty() && line.find_first_not_of(" \t\r") != std::string::npos) last = line;
    if (line.rfind("ERROR:", 0) == 0) error_line = line;
    start = end + 1;
  }
  std::string message = error_line.empty() ? last : error_line.substr(6);
  size_t first = message.find_first_not_of(' ');
  message = first == std::string::npos ? "" : message.substr(first);
  if (message.rfind("(gcloud.", 0) == 0 && message.find(") ") != std::string::npos)
    message = message.substr(message.find(") ") + 2);
  return message.empty() ? "gcloud printed no error" : message;
}

bool is_operation_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

std::string text_of(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  return "";
}

std::string operation_errors(const Json& operation) {
  if (!operation.is_object() || !operation.contains("error")) return "";
  const Json& error = operation["error"];
  std::string out;
  for (const Json& e : error.is_object() ? error.value("errors", Json::array()) : Json::array()) {
    if (!e.is_object()) continue;
    std::string one = e.value("code", "");
    std::string message = e.value("message", "");
    if (!message.empty()) one += (one.empty() ? "" : ": ") + message;
    if (!one.empty()) out += (out.empty() ? "" : "; ") + one;
  }
  return out.empty() && error.is_object() && !error.empty() ? error.dump() : out;
}

std::string Gcloud::where() const {
  return "Cloud SQL instance " + target_.instance + " (project " + target_.project + ")";
}

std::string Gcloud::operations_hint() const {
  return "`gcloud sql operations list " + instance_flag() + " " + project_flag() + "`";
}

std::string Gcloud::command(const Args& args) const {
  std::string text = "gcloud";
  for (const std::string& a : args) {
    if (a.rfind("--", 0) == 0) break;
    text += " " + a;
  }
  return text;
}

sdk::ExecResult Gcloud::run(const Args& args, bool mutating, long long timeout_s) const {
  Args argv{settings_.gcloud_binary};
  argv.insert(argv.end(), args.begin(), args.end());
  sdk::ExecOptions options;
  options.env = {"CLOUDSDK_CORE_DISABLE_PROMPTS=1"};  // never wait for an answer on a tty
  options.mutating = mutating;
  options.timeout_ms = static_cast<uint32_t>(std::min<long long>(timeout_s, 4000000) * 1000);
  try {
    return host_.exec(argv, options);
  } catch (const sdk::Error& e) {
    if (e.status() == MI2_FAILED)
      throw sdk::failed("gcloud could not be run for " + where() +
                        " (plugins.cloudsql.gcloud_binary is \"" + settings_.gcloud_binary +
                        "\"): " + without_final_period(e.what()) +
                        "; install the Google Cloud CLI or set gcloud_binary in mi2.yaml.");
    if (e.status() == MI2_TIMEOUT)
      throw sdk::Error(MI2_TIMEOUT, "`" + command(args) + "` for " + where() +
                                        " got no answer within " + std::to_string(timeout_s) +
                                        "s or the step's deadline; try again, or raise "
                                        "plugins.cloudsql.command_timeout_s.");
    throw;
  }
}

void Gcloud::fail(const Args& args, const sdk::ExecResult& result) const {
  std::string message = without_final_period(error_message(result.err));
  // 127: no such program (what a runner that execs, or a wrapper script, reports).
  if (result.exit_code == 127)
    throw sdk::failed("gcloud could not be run for " + where() +
                      " (plugins.cloudsql.gcloud_binary is \"" + settings_.gcloud_binary +
                      "\"): exit 127, " + message +
                      "; install the Google Cloud CLI or set gcloud_binary in mi2.yaml.");
  switch (classify(result.err)) {
    case GcloudFault::kUnauthenticated:
      throw sdk::failed("gcloud has no active account to reach " + where() +
                        ": run `gcloud auth login` (or `gcloud auth activate-service-account`), "
                        "or run mi2 where workload identity gives gcloud a service account, "
                        "then try again.");
    case GcloudFault::kNotFound:
      if (has(message, "instance"))
        throw sdk::failed("Cloud SQL instance " + target_.instance + " does not exist in project " +
                          target_.project + " (gcloud: " + message +
                          "); set plugins.cloudsql.instance in mi2.yaml or status.gcp.cloudSQL in "
                          "the config.yaml of " +
                          (target_.instance_id.empty() ? "the instance" : target_.instance_id) +
                          ".");
      break;
    case GcloudFault::kForbidden:
      throw sdk::failed("gcloud may not use " + where() +
                        ", or that instance does not exist (Cloud SQL answers 403 for both): " +
                        message + "; check `gcloud sql instances describe " + target_.instance +
                        " " + project_flag() + "` with the account mi2 runs as.");
    case GcloudFault::kBusy:
      throw sdk::retryable(where() +
                           " is busy with another operation (HTTP 409 operationInProgress); see " +
                           operations_hint() + " and try again once it is done.");
    case GcloudFault::kOther:
      break;
  }
  throw sdk::failed("`" + command(args) + "` failed for " + where() + " (exit " +
                    std::to_string(result.exit_code) + "): " + message + ".");
}

Json Gcloud::read_json(const Args& args) const {
  sdk::ExecResult result = run(args, false, settings_.command_timeout_s);
  if (!result.ok()) fail(args, result);
  Json parsed = Json::parse(result.out, nullptr, false);
  if (parsed.is_discarded())
    throw sdk::failed("`" + command(args) + "` printed no JSON for " + where() + " (got " +
                      head(result.out) + "); check the installed gcloud with `gcloud version`.");
  return parsed;
}

bool Gcloud::pause(double seconds) const {
  auto until = Clock::now() + std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  while (!host_.cancelled()) {
    auto now = Clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(
        std::min<Clock::duration>(until - now, std::chrono::milliseconds(20)));
  }
  return false;
}

Json Gcloud::start_operation(const Args& args, const OperationText& text) const {
  double backoff = settings_.busy_backoff_s;
  for (long long attempt = 0;; ++attempt) {
    sdk::ExecResult result = run(args, true, settings_.command_timeout_s);
    if (result.skipped_dry_run) return nullptr;
    if (result.ok()) {
      Json operation = Json::parse(result.out, nullptr, false);
      if (!operation.is_object() || !is_operation_name(operation.value("name", "")))
        throw sdk::failed("`" + command(args) + "` may have started " + text.noun + " of " +
                          where() + " but printed no operation name (got " + head(result.out) +
                          "); see " + operations_hint() + ".");
      return operation;
    }
    if (classify(result.err) != GcloudFault::kBusy) fail(args, result);
    std::string attempts =
        std::to_string(attempt + 1) + " of " + std::to_string(settings_.busy_retries + 1);
    if (attempt >= settings_.busy_retries)
      throw sdk::retryable(
          where() + " stayed busy with another operation (HTTP 409 operationInProgress) through " +
          std::to_string(attempt + 1) + " attempts, so " + text.noun + " did not start; see " +
          operations_hint() + ", wait for that operation to finish, then run again.");
    host_.warn(where() +
               " is busy with another operation (HTTP 409 operationInProgress); attempt " +
               attempts + " failed, trying again in " + seconds_text(backoff) + ".");
    host_.progress(-1, where() + " busy with another operation; waiting to start " + text.noun);
    if (!pause(backoff))
      throw sdk::Error(MI2_CANCELLED, "Stopped while " + where() +
                                          " was busy with another operation; " + text.noun +
                                          " was not started.");
    backoff =
        std::min(backoff * 2, std::max(settings_.busy_backoff_max_s, settings_.busy_backoff_s));
  }
}

Json Gcloud::wait_once(const std::string& operation, long long left_s) const {
  Args wait_args = {"sql",     "operations",   "wait",
                    operation, project_flag(), "--timeout=" + std::to_string(left_s)};
  sdk::ExecResult waited = run(wait_args, false, left_s + settings_.command_timeout_s);
  GcloudFault fault = waited.ok() ? GcloudFault::kOther : classify(waited.err);
  if (fault == GcloudFault::kUnauthenticated || fault == GcloudFault::kNotFound ||
      fault == GcloudFault::kForbidden)
    fail(wait_args, waited);
  // Anything else (wait's own timeout, an operation with an error): describe tells.
  return read_json({"sql", "operations", "describe", operation, project_flag(), "--format=json"});
}

Json Gcloud::wait(const std::string& operation, const OperationText& text) const {
  const long long limit = settings_.wait_timeout_s;
  auto start = Clock::now();
  auto deadline = start + std::chrono::seconds(limit);
  std::string status = "PENDING";
  auto stopped = [&](mi2_status why) {
    return sdk::Failure(why,
                        "Stopped waiting for Cloud SQL operation " + operation + " (" + text.noun +
                            " of " + where() + ")" +
                            (why == MI2_TIMEOUT ? " at the step's deadline" : "") + ": " +
                            text.after_stop,
                        Json{{"operation", operation}, {"status", status}});
  };
  while (true) {
    Json described;
    try {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      described = wait_once(operation, std::max<long long>(1, (ms.count() + 999) / 1000));
    } catch (const sdk::Error& e) {
      if (e.status() == MI2_CANCELLED || e.status() == MI2_TIMEOUT) throw stopped(e.status());
      throw;
    }
    status = described.is_object() ? described.value("status", "") : "";
    if (status == "DONE") return described;
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    host_.progress(std::min(0.99, elapsed / static_cast<double>(limit)),
                   "Cloud SQL operation " + operation + " (" + text.noun + " of " +
                       target_.instance + "): " + (status.empty() ? "no status" : status) +
                       " after " + seconds_text(elapsed));
    if (Clock::now() >= deadline)
      throw sdk::Failure(MI2_TIMEOUT,
                         "Cloud SQL operation " + operation + " (" + text.noun + " of " + where() +
                             ") was still " + status + " after plugins.cloudsql.wait_timeout_s=" +
                             std::to_string(limit) + "s: " + text.after_stop,
                         Json{{"operation", operation}, {"status", status}});
    if (!pause(settings_.poll_interval_s)) throw stopped(MI2_CANCELLED);
  }
}

Json Gcloud::operations_in_progress() const {
  Json listed = read_json(
      {"sql", "operations", "list", instance_flag(), project_flag(), "--format=json", "--limit=5"});
  Json running = Json::array();
  for (const Json& op : listed.is_array() ? listed : Json::array()) {
    if (!op.is_object()) continue;
    std::string status = op.value("status", "");
    if (status != "PENDING" && status != "RUNNING") continue;
    running.push_back({{"name", op.value("name", "")},
                       {"operationType", op.value("operationType", "")},
                       {"status", status},
                       {"insertTime", op.value("insertTime", "")}});
  }
  return running;
}

}  // namespace mi2::cloudsql
