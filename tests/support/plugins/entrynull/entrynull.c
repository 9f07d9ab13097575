/* The entry refuses to load and says why. */
#define MINIMAL_DESCRIBE \
  "{\"name\": \"entrynull\", \"version\": \"1.0.0\", \"roles\": {\"render\": [\"render\"]}}"
#include "minimal_plugin.h"

MI2_EXPORT const mi2_plugin_api* mi2_plugin_entry(uint32_t host_abi_major, uint32_t host_abi_minor,
                                                  const mi2_host_services* services,
                                                  const char** error) {
  (void)host_abi_major;
  (void)host_abi_minor;
  (void)services;
  *error = "entrynull needs a licence file that is missing";
  (void)minimal_api;
  return NULL;
}
