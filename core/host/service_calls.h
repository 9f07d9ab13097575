// The parent's answers to the host service calls of a plugin that runs in its
// own process. Each call message (plugin_protocol.h) becomes the C request of
// plugin.h and goes through the very service table an in-process plugin calls
// (host_services()) with this process's HostContext, so dry-run, deadlines,
// cancellation, redaction and the journal work alike. Fields:
//   cancelled                                           -> {cancelled}
//   exec {argv, env, cwd, stdin, timeout_ms, mutating, stop_signal, kill_grace_ms}
//        -> {status, exit_code, term_signal, timed_out, skipped_dry_run, stdout, stderr}
//   http {method, url, headers: [[name, value], ...], body, timeout_ms, mutating}
//        -> {status, http_status, headers, body, skipped_dry_run}
//   spawn {argv, env, cwd, log_path, pid_file}          -> {status, pid, skipped_dry_run}
//   process_signal {pid, program, signal}               -> {status}
//   process_wait {pid, program, timeout_ms}             -> {status}
//   free_port                                           -> {status, port}
// and the one-way notices log {level, message}, progress {fraction, message},
// redact {secret}. A string field may be null where plugin.h allows NULL.
#pragma once

#include "core/base/json.h"
#include "core/host/host_context.h"

namespace mi2 {

// The reply to {"op":"call",...}; throws a std::exception when the message
// is malformed (the caller stops a child that sends one).
Json answer_service_call(HostContext& context, const Json& call);

// Performs a one-way notice (log, progress, redact); false when `notice` is
// none of those.
bool take_service_notice(HostContext& context, const Json& notice);

}  // namespace mi2
