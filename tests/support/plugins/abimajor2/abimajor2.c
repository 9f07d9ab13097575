/* Claims plugin ABI 2.0: the host (1.x) must refuse it, naming both versions. */
#define MINIMAL_DESCRIBE \
  "{\"name\": \"abimajor2\", \"version\": \"2.0.0\", \"roles\": {\"render\": [\"render\"]}}"
#define MINIMAL_ABI_MAJOR 2
#define MINIMAL_ABI_MINOR 0
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
