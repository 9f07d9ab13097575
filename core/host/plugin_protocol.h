// The messages between mi2 and a plugin running in its own process (a child
// `mi2 __plugin-host PLUGIN_FILE`, see plugin_process.h and plugin_server.h).
// Each message is a JSON object, sent as MessagePack in a length-prefixed
// frame (core/sys/connected_child.h): the JSON data model, but bytes that are
// not UTF-8 (command output, request bodies, argv) cross unchanged.
//
//   child -> parent, once, after loading:
//     {"op":"hello","describe":TEXT}            or {"op":"refused","error":TEXT}
//   parent -> child, each answered by the child when the plugin returns:
//     {"op":"create","config":TEXT}             -> {"op":"created","status":N,"error":TEXT,
//                                                   "instance":BOOL}
//     {"op":"invoke","role","action","input","dry_run"}
//                                               -> {"op":"result","status":N,
//                                                   "output":TEXT|null,"error":TEXT}
//     {"op":"destroy"}                          -> {"op":"destroyed"}
//   child -> parent while a create, invoke or destroy runs: the plugin's
//   service calls. One way (no answer): {"op":"log","level","message"},
//   {"op":"progress","fraction","message"}, {"op":"redact","secret"}.
//   Answered by {"op":"reply",...}: {"op":"call","service":NAME,...} for
//   cancelled, exec, http, spawn, process_signal, process_wait, free_port
//   (fields as in service_calls.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/base/json.h"

namespace mi2::plugin_protocol {

// The hidden subcommand that serves a plugin: `mi2 __plugin-host PLUGIN_FILE`.
inline constexpr const char* kHostCommand = "__plugin-host";

std::string encode(const Json& message);
// nullopt when the frame is not a MessagePack object.
std::optional<Json> decode(std::string_view frame);

// A C string field: null for NULL.
Json text_or_null(const char* text);
// A NULL-terminated string array: null for NULL.
Json strings_or_null(const char* const* items);
// The text of a field, or nullptr when it is null or absent (the pointer
// stays valid while `message` lives).
const char* text_field(const Json& message, const char* name);

}  // namespace mi2::plugin_protocol
