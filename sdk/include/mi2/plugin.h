/*
 * mi2/plugin.h — the stable C ABI between the mi2 host and a provider plugin.
 *
 * This header is the plugin author's manual. It is C99, includes nothing but
 * <stdint.h>, <stddef.h> and <stdbool.h>, and is all a plugin needs: a plugin
 * written in plain C against this file alone loads and runs.
 *
 * Naming: types and functions are `mi2_*`, macros and enum constants `MI2_*`.
 *
 * ---------------------------------------------------------------------------
 * The life of a plugin
 * ---------------------------------------------------------------------------
 *  1. The host dlopen()s the shared object (RTLD_NOW | RTLD_LOCAL) and looks up
 *     the one exported symbol, `mi2_plugin_entry` (see the end of this file).
 *  2. It calls the entry with its own ABI version and its service table. The
 *     plugin returns its function table (`mi2_plugin_api`), which names the ABI
 *     version the plugin was built against.
 *  3. The host checks versions: the majors must be equal and the plugin's minor
 *     must be <= the host's. Otherwise the plugin is refused with a sentence
 *     naming both versions ("rebuild the plugin against SDK X.Y").
 *  4. `describe()` tells the host the plugin's name, roles, actions, checks and
 *     config schema (JSON).
 *  5. For each binding in mi2.yaml the host calls `create(config)`, then any
 *     number of `invoke(role, action, input)`, then `destroy`.
 *  6. The library is never unloaded before the process exits.
 *  The host may run all of this in a child process of its own (`isolation:
 *  process` in mi2.yaml), answering every service call from the parent: the
 *  plugin sees no difference, except that a crash ends only that process.
 *
 * ---------------------------------------------------------------------------
 * Rules that hold everywhere
 * ---------------------------------------------------------------------------
 *  - Versioning: MI2_ABI_VERSION_MAJOR changes when the *meaning* of anything
 *    changes, not only a signature. MI2_ABI_VERSION_MINOR changes when a field
 *    or a function is appended.
 *  - Size-versioned structs: every struct that crosses the boundary starts with
 *    `uint32_t struct_size`, set by whoever fills the struct to sizeof() of the
 *    struct as *they* compiled it. Fields are only ever appended. A reader uses a
 *    field only if it lies entirely inside `struct_size` (MI2_HAS_FIELD below);
 *    otherwise it treats the field as absent (zero / NULL).
 *  - Strings are NUL-terminated UTF-8 unless a length is given next to them.
 *    Structured data (config, step input and output, describe) crosses as a
 *    UTF-8 JSON text.
 *  - Ownership: everything the host passes in is borrowed for the duration of
 *    the call. Everything the plugin returns stays valid until the next call
 *    on the same plugin instance, or until `destroy`. Nothing is ever freed by
 *    the other side.
 *  - Errors are values: a mi2_status, plus `last_error(instance)` for the
 *    sentence. No C++ exception, longjmp or signal may cross the boundary.
 *  - Threading: the host calls one plugin instance from one thread at a time.
 *    Distinct instances (of the same or different plugins) may be called on
 *    different threads concurrently, so a plugin keeps no mutable globals.
 *  - A plugin never forks, execs or opens sockets itself: it asks the host
 *    (`exec`, `http`, and since 1.1 `spawn`, `process_signal`, `process_wait`,
 *    `free_port`). That is how dry-run, timeouts, retries, cancellation,
 *    secret redaction and the run journal work for every plugin alike.
 *
 * ---------------------------------------------------------------------------
 * What each minor version appended
 * ---------------------------------------------------------------------------
 *  1.0  the first table: log, progress, cancelled, exec, http, redact, dry_run.
 *  1.1  mi2_exec_request.stop_signal and .kill_grace_ms (how a timed-out or
 *       cancelled child is stopped); services spawn, process_signal,
 *       process_wait, free_port for detached long-running processes.
 *       A 1.0 plugin loads unchanged in a 1.1 host; a 1.1 plugin on a 1.0
 *       host finds the new services outside services->struct_size (absent).
 */
#ifndef MI2_PLUGIN_H
#define MI2_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version of this header. See "Versioning" above. */
#define MI2_ABI_VERSION_MAJOR 1
#define MI2_ABI_VERSION_MINOR 1

/* Symbol visibility: build plugins with -fvisibility=hidden; MI2_EXPORT marks
 * the one symbol that must be visible. */
#if defined(_WIN32)
#define MI2_EXPORT __declspec(dllexport)
#else
#define MI2_EXPORT __attribute__((visibility("default")))
#endif

/* True when `field` of the struct `type` that `s` points to lies inside
 * s->struct_size, i.e. the side that filled the struct knew of the field. */
#define MI2_HAS_FIELD(s, type, field) \
  ((s) != NULL && (size_t)(s)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* ===========================================================================
 * Status codes
 * ======================================================================== */

/* The result of every call that can fail. Values are stable; new ones may be
 * appended, and a host or plugin treats an unknown value as MI2_FAILED. */
typedef enum mi2_status {
  MI2_OK = 0,            /* success */
  MI2_FAILED = 1,        /* failed; retrying will not help */
  MI2_RETRYABLE = 2,     /* failed transiently; the host may retry with backoff */
  MI2_TIMEOUT = 3,       /* a deadline passed */
  MI2_CANCELLED = 4,     /* the host asked to stop (see services.cancelled) */
  MI2_NOT_SUPPORTED = 5, /* this plugin does not serve that role/action */
  MI2_INVALID_INPUT = 6  /* the config or input is malformed; fix the input */
} mi2_status;

typedef enum mi2_log_level {
  MI2_LOG_DEBUG = 0,
  MI2_LOG_INFO = 1,
  MI2_LOG_WARN = 2,
  MI2_LOG_ERROR = 3
} mi2_log_level;

/* ===========================================================================
 * Opaque handles
 * ======================================================================== */

/* The host's context for one plugin instance. Given to `create`; the plugin
 * keeps it and passes it back to every host service call. Owned by the host;
 * valid until `destroy` of the instance returns. */
typedef struct mi2_host_context mi2_host_context;

/* The plugin's own state for one instance. Created by `create`, released by
 * `destroy`. Opaque to the host. */
typedef struct mi2_plugin_instance mi2_plugin_instance;

/* ===========================================================================
 * Host services: exec
 * ======================================================================== */

/* A process to run. Filled by the plugin; borrowed by the host for the call.
 * The host runs argv[0] (looked up on PATH when it has no '/') with argv as
 * given: never through a shell, so no quoting is ever needed or done. */
typedef struct mi2_exec_request {
  uint32_t struct_size; /* sizeof(mi2_exec_request) */
  /* Required. NULL-terminated array of arguments; argv[0] is the program. */
  const char* const* argv;
  /* Optional. NULL-terminated array of "NAME=value" added to (or replacing in)
   * the host's environment. NULL: the host's environment as is. */
  const char* const* env;
  /* Optional. Working directory; NULL: the host's current directory. */
  const char* cwd;
  /* Optional. Bytes written to the child's standard input, which is then
   * closed. NULL with size 0: stdin is /dev/null. */
  const char* stdin_data;
  size_t stdin_size;
  /* Optional. 0: no limit of the plugin's own (the step's deadline still
   * applies). On expiry the child gets SIGTERM, then SIGKILL. */
  uint32_t timeout_ms;
  /* true when the command changes anything outside the process (applies,
   * writes, pushes). In dry-run the host records a mutating command in the
   * plan and does not run it; a non-mutating one runs either way. */
  bool mutating;
  /* 1.1, optional. The signal that asks the child to stop on timeout or
   * cancellation (0: SIGTERM). A tool that cleans up on SIGINT (terraform
   * releases its state lock) asks for SIGINT here. */
  int32_t stop_signal;
  /* 1.1, optional. Milliseconds between stop_signal and SIGKILL (0: 2000). */
  uint32_t kill_grace_ms;
} mi2_exec_request;

/* What happened. Filled by the host; the plugin sets struct_size first. Data
 * pointers are owned by the host and stay valid until the next exec call with
 * the same context, or until the current invoke returns. */
typedef struct mi2_exec_result {
  uint32_t struct_size;    /* set by the plugin: sizeof(mi2_exec_result) */
  int exit_code;           /* the child's exit status; -1 if it did not exit normally */
  int term_signal;         /* the signal that ended it, or 0 */
  bool timed_out;          /* true if the timeout or the step deadline ended it */
  bool skipped_dry_run;    /* true if not run because of dry-run (exit_code is 0) */
  const char* stdout_data; /* captured standard output (not NUL-terminated) */
  size_t stdout_size;
  const char* stderr_data; /* captured standard error (not NUL-terminated) */
  size_t stderr_size;
} mi2_exec_result;

/* ===========================================================================
 * Host services: detached processes (1.1)
 * ======================================================================== */

/* A long-running process the host starts detached (own session, reparented to
 * init, stdin from /dev/null): it outlives the call and the mi2 process. A
 * plugin keeps its pid (e.g. in a state file) and later asks the host to
 * signal or wait for it. Filled by the plugin; borrowed by the host. */
typedef struct mi2_spawn_request {
  uint32_t struct_size;    /* sizeof(mi2_spawn_request) */
  const char* const* argv; /* Required. argv[0] an absolute path */
  const char* const* env;  /* Optional. "NAME=value" added to the environment */
  const char* cwd;         /* Optional. NULL: the host's current directory */
  const char* log_path;    /* Optional. stdout+stderr appended here; NULL: /dev/null */
  const char* pid_file;    /* Optional. The host writes the pid here before the
                              process runs, so a host killed right after the
                              start still leaves the pid behind */
} mi2_spawn_request;

/* Filled by the host; the plugin sets struct_size first. */
typedef struct mi2_spawn_result {
  uint32_t struct_size; /* set by the plugin: sizeof(mi2_spawn_result) */
  int64_t pid;          /* the process id, or 0 when skipped in dry-run */
  bool skipped_dry_run; /* true if not started because of dry-run */
} mi2_spawn_result;

/* ===========================================================================
 * Host services: http
 * ======================================================================== */

typedef struct mi2_http_header {
  const char* name;  /* e.g. "Authorization" */
  const char* value; /* e.g. "Bearer ..." (the host redacts Authorization) */
} mi2_http_header;

/* One HTTP exchange. Filled by the plugin; borrowed by the host. */
typedef struct mi2_http_request {
  uint32_t struct_size;           /* sizeof(mi2_http_request) */
  const char* method;             /* Required. "GET", "POST", ... */
  const char* url;                /* Required. Absolute http:// or https:// URL */
  const mi2_http_header* headers; /* Optional. `header_count` entries */
  size_t header_count;
  const char* body; /* Optional. Request body bytes */
  size_t body_size;
  uint32_t timeout_ms; /* Optional. 0: the host's default (30 s) */
  /* true for requests that change state (POST/PUT/PATCH/DELETE usually).
   * In dry-run a mutating request is recorded in the plan, not sent. */
  bool mutating;
} mi2_http_request;

/* The response. Filled by the host; the plugin sets struct_size first. Owned by
 * the host until the next http call with the same context, or until the
 * current invoke returns. The host does not retry: retry policy (Retry-After,
 * rate limits) belongs to the plugin, which knows the API. */
typedef struct mi2_http_response {
  uint32_t struct_size;           /* set by the plugin: sizeof(mi2_http_response) */
  int status;                     /* HTTP status, e.g. 200; 0 if no response arrived */
  const mi2_http_header* headers; /* response headers, names lower-cased */
  size_t header_count;
  const char* body; /* response body (not NUL-terminated) */
  size_t body_size;
  bool skipped_dry_run; /* true if not sent because of dry-run (status 0) */
} mi2_http_response;

/* ===========================================================================
 * The host's service table
 * ======================================================================== */

/* Passed to mi2_plugin_entry; valid until the process exits. Functions are
 * only appended; check MI2_HAS_FIELD before using one added after 1.0.
 * Every function is thread-safe for distinct contexts. */
typedef struct mi2_host_services {
  uint32_t struct_size;

  /* Structured log line, attributed to the plugin instance and current step.
   * `message` is borrowed. Secrets registered with `redact` are masked. */
  void (*log)(mi2_host_context* ctx, mi2_log_level level, const char* message);

  /* Progress of the current step: `fraction` in [0,1], or negative when
   * unknown; `message` is borrowed and may be NULL. */
  void (*progress)(mi2_host_context* ctx, double fraction, const char* message);

  /* true once the user asked to stop (SIGINT) or the step's deadline passed.
   * A long-running action polls it and returns MI2_CANCELLED. */
  bool (*cancelled)(mi2_host_context* ctx);

  /* Runs a process (see mi2_exec_request). Returns MI2_OK when the process
   * ran (whatever its exit code: read result->exit_code), MI2_INVALID_INPUT for
   * a malformed request, MI2_FAILED if it could not be started (the reason is
   * logged and in result->stderr_data), MI2_TIMEOUT or MI2_CANCELLED. Both the
   * command and its output are captured into the run journal, redacted. */
  mi2_status (*exec)(mi2_host_context* ctx, const mi2_exec_request* request,
                     mi2_exec_result* result);

  /* Performs one HTTP exchange (see mi2_http_request). Returns MI2_OK when a
   * response arrived (whatever its status), MI2_RETRYABLE on a connection
   * failure, MI2_TIMEOUT, MI2_CANCELLED or MI2_INVALID_INPUT. */
  mi2_status (*http)(mi2_host_context* ctx, const mi2_http_request* request,
                     mi2_http_response* response);

  /* Registers a secret value (a token, a password): from now on the host
   * masks it in logs, journals and captured output. Call it as soon as the
   * plugin reads a secret. `secret` is borrowed and copied. */
  void (*redact)(mi2_host_context* ctx, const char* secret);

  /* true when the current run is a dry run: mutating exec/http calls are
   * recorded, not performed. A plugin may use it to skip its own writes. */
  bool (*dry_run)(mi2_host_context* ctx);

  /* ---- 1.1: check MI2_HAS_FIELD(services, mi2_host_services, spawn) ---- */

  /* Starts a detached process (see mi2_spawn_request). Mutating: in dry-run
   * it is recorded, not started (result->skipped_dry_run). Returns MI2_OK,
   * MI2_INVALID_INPUT, or MI2_FAILED when it could not start (the reason is
   * in last log line and the returned status's error). */
  mi2_status (*spawn)(mi2_host_context* ctx, const mi2_spawn_request* request,
                      mi2_spawn_result* result);

  /* Sends `signal` to process `pid` if it runs and its executable's file name
   * is `program` (a guard against a reused pid; NULL: no guard). signal 0
   * only probes. Returns MI2_OK when the process runs (and was signalled),
   * MI2_FAILED when it does not. A non-zero signal is mutating: in dry-run it
   * is recorded, not sent (MI2_OK). */
  mi2_status (*process_signal)(mi2_host_context* ctx, int64_t pid, const char* program,
                               int32_t signal);

  /* Waits until process `pid` (guarded by `program` as above) is gone, at
   * most timeout_ms. MI2_OK: gone; MI2_TIMEOUT: still running;
   * MI2_CANCELLED: the user asked to stop. */
  mi2_status (*process_wait)(mi2_host_context* ctx, int64_t pid, const char* program,
                             uint32_t timeout_ms);

  /* A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick),
   * for a process the plugin is about to spawn. */
  mi2_status (*free_port)(mi2_host_context* ctx, uint16_t* port);
} mi2_host_services;

/* ===========================================================================
 * The plugin's function table
 * ======================================================================== */

typedef struct mi2_plugin_api {
  uint32_t struct_size; /* sizeof(mi2_plugin_api) */

  /* The ABI the plugin was built against: MI2_ABI_VERSION_MAJOR/MINOR. */
  uint32_t abi_major;
  uint32_t abi_minor;

  /* Required. Returns the describe document, a JSON object:
   *   {
   *     "name": "local",                 (required; [a-z0-9_-]+, unique)
   *     "version": "1.0.0",              (required; the plugin's own version)
   *     "description": "...",
   *     "roles": {                       (required; role -> actions served)
   *        "render": ["render"], "healthcheck": ["check"], ...
   *     },
   *     "checks": ["pods-health", ...],  (health checks it provides)
   *     "version_checks": [...],         (optional; those of "checks" that pass
   *                                       only once the target version runs)
   *     "config_schema": {               (JSON-Schema-like; mark secrets)
   *        "properties": {"token": {"type": "string", "sensitive": true}}
   *     }
   *   }
   * Roles: render, healthcheck, backup, migrate, apply, vcs.
   * Owned by the plugin; static: valid until the process exits. */
  const char* (*describe)(void);

  /* Required. Creates an instance from `config_json` (a JSON object: the
   * binding's config from mi2.yaml, `{}` when none). `host` is the context to
   * pass to every service call from this instance.
   * Returns MI2_OK and sets *out. On failure returns another status; the
   * plugin may still set *out so that the host can read last_error(*out)
   * before it calls destroy(*out). Both arguments are borrowed. */
  mi2_status (*create)(mi2_host_context* host, const char* config_json, mi2_plugin_instance** out);

  /* Required. Performs `action` of `role` (as named in describe) with
   * `input_json` (a JSON object; see docs/plugin-guide.md). On MI2_OK sets
   * *output_json to a JSON object (the step's output; `{}` when none). On any
   * other status, *output_json may be set to a JSON object with partial
   * results (or NULL), and last_error() says what went wrong.
   * MI2_NOT_SUPPORTED for a role/action it does not serve.
   * Inputs are borrowed; *output_json is owned by the plugin until the next
   * call on this instance. */
  mi2_status (*invoke)(mi2_plugin_instance* self, const char* role, const char* action,
                       const char* input_json, const char** output_json);

  /* Required. The sentence describing the last failure on this instance, or
   * "" when none. Owned by the plugin until the next call on the instance. */
  const char* (*last_error)(mi2_plugin_instance* self);

  /* Required. Releases the instance. `self` may be NULL (then it does
   * nothing). No service call with its context may follow. */
  void (*destroy)(mi2_plugin_instance* self);
} mi2_plugin_api;

/* ===========================================================================
 * The one export
 * ======================================================================== */

/* Every plugin exports exactly this function, with C linkage, under this name:
 *
 *   MI2_EXPORT const mi2_plugin_api* mi2_plugin_entry(
 *       uint32_t host_abi_major, uint32_t host_abi_minor,
 *       const mi2_host_services* services, const char** error);
 *
 * host_abi_major/minor: the host's ABI version. `services`: the host's table,
 * valid until exit (the plugin keeps the pointer). Returns the plugin's table,
 * which must stay valid until exit (a static const struct is usual), or NULL
 * with *error set to a static sentence saying why the plugin refuses to load.
 * Called once per process, from one thread. */
typedef const mi2_plugin_api* (*mi2_plugin_entry_fn)(uint32_t host_abi_major,
                                                     uint32_t host_abi_minor,
                                                     const mi2_host_services* services,
                                                     const char** error);

#define MI2_PLUGIN_ENTRY_SYMBOL "mi2_plugin_entry"

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MI2_PLUGIN_H */
