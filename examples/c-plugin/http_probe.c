/* http_probe: an mi2 plugin in plain C99, against mi2/plugin.h alone.
 *
 * Serves role "healthcheck", action "check", with one check, "http-probe":
 * GET the URL from its config through the host's http service and pass when
 * the answer is 2xx. Config (mi2.yaml):
 *
 *   roles: {healthcheck: [http_probe]}
 *   plugins: {http_probe: {url: "https://example.test/healthz"}}
 */
#include <mi2/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const mi2_host_services* g_services; /* set once by the entry; read-only after */

struct mi2_plugin_instance {
  mi2_host_context* host;
  char url[1024];
  char output[2048];
  char error[512];
};

static const char* describe(void) {
  return "{\"name\": \"http_probe\", \"version\": \"1.0.0\","
         " \"description\": \"health check: GET a URL, pass on 2xx\","
         " \"roles\": {\"healthcheck\": [\"check\"]},"
         " \"checks\": [\"http-probe\"],"
         " \"config_schema\": {\"properties\": {\"url\": {\"type\": \"string\"}}}}";
}

/* Copies the string value of "key" from a flat JSON object into out. A real
 * plugin would use a JSON library; this one stays dependency-free. */
static int json_string_field(const char* json, const char* key, char* out, size_t size) {
  char pattern[64];
  const char* p;
  size_t n = 0;
  snprintf(pattern, sizeof pattern, "\"%s\"", key);
  p = strstr(json, pattern);
  if (!p) return 0;
  p = strchr(p + strlen(pattern), '"');
  if (!p) return 0;
  for (++p; *p && *p != '"' && n + 1 < size; ++p) out[n++] = *p;
  out[n] = '\0';
  return *p == '"';
}

static mi2_status create(mi2_host_context* host, const char* config_json,
                         mi2_plugin_instance** out) {
  mi2_plugin_instance* self = calloc(1, sizeof *self);
  if (!self) return MI2_FAILED;
  self->host = host;
  *out = self;
  if (!json_string_field(config_json, "url", self->url, sizeof self->url)) {
    snprintf(self->error, sizeof self->error, "http_probe needs a 'url' in its config");
    return MI2_INVALID_INPUT;
  }
  return MI2_OK;
}

static mi2_status invoke(mi2_plugin_instance* self, const char* role, const char* action,
                         const char* input_json, const char** output_json) {
  mi2_http_request request;
  mi2_http_response response;
  int ok;
  (void)input_json;
  self->error[0] = '\0';
  if (strcmp(role, "healthcheck") != 0 || strcmp(action, "check") != 0) {
    snprintf(self->error, sizeof self->error, "http_probe serves only healthcheck.check");
    return MI2_NOT_SUPPORTED;
  }
  memset(&request, 0, sizeof request);
  request.struct_size = sizeof request;
  request.method = "GET";
  request.url = self->url;
  request.timeout_ms = 5000;
  memset(&response, 0, sizeof response);
  response.struct_size = sizeof response;
  if (g_services->http(self->host, &request, &response) != MI2_OK) {
    snprintf(self->error, sizeof self->error, "GET %s got no answer", self->url);
    return MI2_RETRYABLE;
  }
  ok = response.status >= 200 && response.status < 300;
  snprintf(self->output, sizeof self->output,
           "{\"ok\": %s, \"checks\": [{\"name\": \"http-probe\", \"ok\": %s,"
           " \"summary\": \"GET %s answered %d\"}]}",
           ok ? "true" : "false", ok ? "true" : "false", self->url, response.status);
  *output_json = self->output;
  return MI2_OK;
}

static const char* last_error(mi2_plugin_instance* self) {
  return self ? self->error : "";
}

static void destroy(mi2_plugin_instance* self) {
  free(self);
}

static const mi2_plugin_api kApi = {sizeof(mi2_plugin_api),
                                    MI2_ABI_VERSION_MAJOR,
                                    MI2_ABI_VERSION_MINOR,
                                    describe,
                                    create,
                                    invoke,
                                    last_error,
                                    destroy};

MI2_EXPORT const mi2_plugin_api* mi2_plugin_entry(uint32_t host_abi_major, uint32_t host_abi_minor,
                                                  const mi2_host_services* services,
                                                  const char** error) {
  (void)host_abi_major;
  (void)host_abi_minor;
  (void)error;
  g_services = services;
  return &kApi;
}
