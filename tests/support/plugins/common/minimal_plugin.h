/* A do-nothing plugin in C, for loader tests. Before including, define
 *   MINIMAL_DESCRIBE    the describe() text
 * and optionally MINIMAL_ABI_MAJOR, MINIMAL_ABI_MINOR, MINIMAL_TABLE_SIZE.
 * The including file writes its own mi2_plugin_entry (or none). */
#ifndef MINIMAL_PLUGIN_H
#define MINIMAL_PLUGIN_H

#include <mi2/plugin.h>

#include <stdlib.h>

#ifndef MINIMAL_ABI_MAJOR
#define MINIMAL_ABI_MAJOR MI2_ABI_VERSION_MAJOR
#endif
#ifndef MINIMAL_ABI_MINOR
#define MINIMAL_ABI_MINOR MI2_ABI_VERSION_MINOR
#endif
#ifndef MINIMAL_TABLE_SIZE
#define MINIMAL_TABLE_SIZE sizeof(mi2_plugin_api)
#endif

struct mi2_plugin_instance {
  int unused;
};

static const char* minimal_describe(void) {
  return MINIMAL_DESCRIBE;
}

static mi2_status minimal_create(mi2_host_context* host, const char* config_json,
                                 mi2_plugin_instance** out) {
  (void)host;
  (void)config_json;
  *out = (mi2_plugin_instance*)calloc(1, sizeof(mi2_plugin_instance));
  return *out ? MI2_OK : MI2_FAILED;
}

static mi2_status minimal_invoke(mi2_plugin_instance* self, const char* role, const char* action,
                                 const char* input_json, const char** output_json) {
  (void)self;
  (void)role;
  (void)action;
  (void)input_json;
  *output_json = "{}";
  return MI2_OK;
}

static const char* minimal_last_error(mi2_plugin_instance* self) {
  (void)self;
  return "";
}

static void minimal_destroy(mi2_plugin_instance* self) {
  free(self);
}

static const mi2_plugin_api minimal_api = {MINIMAL_TABLE_SIZE, MINIMAL_ABI_MAJOR, MINIMAL_ABI_MINOR,
                                           minimal_describe,   minimal_create,    minimal_invoke,
                                           minimal_last_error, minimal_destroy};

#endif
