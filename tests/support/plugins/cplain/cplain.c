/* cplain: a provider written in plain C99 against <mi2/plugin.h> alone.
 * Serves healthcheck/check: runs `echo cplain-ok` through the host's exec
 * service and answers with what it saw plus the input it was given.
 * A config containing "refuse" makes create fail (with last_error set). */
#include <mi2/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const mi2_host_services* g_services; /* set once by the entry; read-only after */

struct mi2_plugin_instance {
  mi2_host_context* host;
  char* output;
  char error[256];
};

#ifndef CPLAIN_NAME
#define CPLAIN_NAME "cplain"
#endif

static const char* cplain_describe(void) {
  return "{\"name\": \"" CPLAIN_NAME "\", \"version\": \"1.2.3\","
         " \"description\": \"A test plugin written in C99\","
         " \"roles\": {\"healthcheck\": [\"check\"]},"
         " \"checks\": [\"echo-check\"],"
         " \"config_schema\": {\"properties\": {"
         "   \"token\": {\"type\": \"string\", \"sensitive\": true},"
         "   \"greeting\": {\"type\": \"string\"}}}}";
}

static mi2_status cplain_create(mi2_host_context* host, const char* config_json,
                                mi2_plugin_instance** out) {
  mi2_plugin_instance* self = (mi2_plugin_instance*)calloc(1, sizeof *self);
  if (!self) return MI2_FAILED;
  self->host = host;
  *out = self;
  if (config_json && strstr(config_json, "\"refuse\"")) {
    snprintf(self->error, sizeof self->error, "the config asks cplain to refuse");
    return MI2_INVALID_INPUT;
  }
  return MI2_OK;
}

/* Keeps only characters that need no escaping inside a JSON string. */
static void copy_plain(char* to, size_t capacity, const char* from, size_t size) {
  size_t n = 0;
  size_t i;
  for (i = 0; i < size && n + 1 < capacity; ++i) {
    char c = from[i];
    if (c >= 0x20 && c != '"' && c != '\\') to[n++] = c;
  }
  to[n] = '\0';
}

static mi2_status cplain_invoke(mi2_plugin_instance* self, const char* role, const char* action,
                                const char* input_json, const char** output_json) {
  const char* argv[] = {"echo", "cplain-ok", NULL};
  mi2_exec_request request;
  mi2_exec_result result;
  char echoed[128];
  size_t size;

  self->error[0] = '\0';
  if (strcmp(role, "healthcheck") != 0 || strcmp(action, "check") != 0) {
    snprintf(self->error, sizeof self->error, "cplain does not serve %s/%s", role, action);
    return MI2_NOT_SUPPORTED;
  }
  memset(&request, 0, sizeof request);
  request.struct_size = sizeof request;
  request.argv = argv;
  memset(&result, 0, sizeof result);
  result.struct_size = sizeof result;
  if (g_services->exec(self->host, &request, &result) != MI2_OK || result.exit_code != 0) {
    snprintf(self->error, sizeof self->error, "cplain could not run echo");
    return MI2_FAILED;
  }
  copy_plain(echoed, sizeof echoed, result.stdout_data, result.stdout_size);
  g_services->log(self->host, MI2_LOG_INFO, "cplain ran echo");

  free(self->output);
  size = strlen(input_json) + strlen(echoed) + 128;
  self->output = (char*)malloc(size);
  if (!self->output) return MI2_FAILED;
  snprintf(self->output, size, "{\"ok\": true, \"echo\": \"%s\", \"dry_run\": %s, \"input\": %s}",
           echoed, g_services->dry_run(self->host) ? "true" : "false", input_json);
  *output_json = self->output;
  return MI2_OK;
}

static const char* cplain_last_error(mi2_plugin_instance* self) {
  return self ? self->error : "";
}

static void cplain_destroy(mi2_plugin_instance* self) {
  if (!self) return;
  free(self->output);
  free(self);
}

static const mi2_plugin_api kApi = {
    sizeof(mi2_plugin_api), MI2_ABI_VERSION_MAJOR, MI2_ABI_VERSION_MINOR, cplain_describe,
    cplain_create,          cplain_invoke,         cplain_last_error,     cplain_destroy};

MI2_EXPORT const mi2_plugin_api* mi2_plugin_entry(uint32_t host_abi_major, uint32_t host_abi_minor,
                                                  const mi2_host_services* services,
                                                  const char** error) {
  (void)host_abi_minor;
  if (host_abi_major != MI2_ABI_VERSION_MAJOR || !services) {
    *error = "cplain needs a host speaking plugin ABI 1";
    return NULL;
  }
  g_services = services;
  return &kApi;
}
