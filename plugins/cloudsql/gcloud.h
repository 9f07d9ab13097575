// Every gcloud call of the cloudsql plugin, through the host's exec service:
// reading JSON, starting an operation (with backoff while another operation
// holds the instance: HTTP 409 operationInProgress), waiting for it, and the
// one-sentence errors for what gcloud says when it fails.
#pragma once

#include <mi2/sdk/host.hpp>
#include <mi2/sdk/step.hpp>

#include <string>
#include <vector>

#include "plugins/cloudsql/settings.h"

namespace mi2::cloudsql {

using Args = std::vector<std::string>;

// What a failed gcloud call's stderr says, as far as the plugin cares.
enum class GcloudFault { kBusy, kUnauthenticated, kNotFound, kForbidden, kOther };
GcloudFault classify(const std::string& stderr_text);
// The last "ERROR: (gcloud.x.y) message" line of stderr, as "message" (or the
// last non-empty line).
std::string error_message(const std::string& stderr_text);

// Words for the sentences about one kind of operation.
struct OperationText {
  std::string noun;        // "the backup" | "the restore of backup 123"
  std::string after_stop;  // a clause: what goes on once mi2 stops waiting
};

class Gcloud {
 public:
  Gcloud(sdk::Host host, const Settings& settings, Target target)
      : host_(host), settings_(settings), target_(std::move(target)) {}

  // Runs `gcloud args...`. Throws when gcloud could not be started, timed out
  // or was cancelled; a non-zero exit is returned.
  sdk::ExecResult run(const Args& args, bool mutating, long long timeout_s) const;
  // A read-only call whose stdout is JSON; a failure throws its sentence.
  Json read_json(const Args& args) const;
  // A mutating call that prints an Operation (--async --format=json): retried
  // after 409 with backoff. Null in a dry run (recorded, not run).
  Json start_operation(const Args& args, const OperationText& text) const;
  // Waits (operations wait, then operations describe) until the operation is
  // DONE; returns its last description. Cancel and wait_timeout_s throw a
  // sentence saying the operation goes on in Google's hands.
  Json wait(const std::string& operation, const OperationText& text) const;
  // PENDING/RUNNING operations among the instance's latest five (read-only).
  Json operations_in_progress() const;

  // The sentence for a failed call, with the status it fails with.
  [[noreturn]] void fail(const Args& args, const sdk::ExecResult& result) const;

  // Sleeps, looking at host.cancelled(); false when asked to stop.
  bool pause(double seconds) const;

  const Target& target() const { return target_; }
  const Settings& settings() const { return settings_; }
  const sdk::Host& host() const { return host_; }
  std::string instance_flag() const { return "--instance=" + target_.instance; }
  std::string project_flag() const { return "--project=" + target_.project; }
  // "Cloud SQL instance I (project P)"
  std::string where() const;
  // "`gcloud sql operations list --instance=I --project=P`"
  std::string operations_hint() const;

 private:
  std::string command(const Args& args) const;

  sdk::Host host_;
  Settings settings_;
  Target target_;
};

// A Cloud SQL operation name (as gcloud printed it) safe to pass back.
bool is_operation_name(const std::string& name);
// A JSON string or number as text ("" otherwise): int64 ids come either way.
std::string text_of(const Json& value);
// "code: message; ..." of an Operation's error.errors, "" when none.
std::string operation_errors(const Json& operation);

}  // namespace mi2::cloudsql
