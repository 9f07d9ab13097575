/* Returns a function table whose struct_size stops before last_error and
 * destroy: the host must refuse it as too small. */
#include <stddef.h>
#define MINIMAL_DESCRIBE \
  "{\"name\": \"smalltable\", \"version\": \"1.0.0\", \"roles\": {\"render\": [\"render\"]}}"
#define MINIMAL_TABLE_SIZE offsetof(mi2_plugin_api, last_error)
#include "minimal_plugin.h"

MI2_EXPORT const mi2_plugin_api* mi2_plugin_entry(uint32_t host_abi_major, uint32_t host_abi_minor,
                                                  const mi2_host_services* services,
                                                  const char** error) {
  (void)host_abi_major;
  (void)host_abi_minor;
  (void)services;
  (void)error;
  return &minimal_api;
}
