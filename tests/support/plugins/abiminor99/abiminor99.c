/* Claims plugin ABI 1.99: newer than the host, which must refuse it. */
#define MINIMAL_DESCRIBE \
  "{\"name\": \"abiminor99\", \"version\": \"1.0.0\", \"roles\": {\"render\": [\"render\"]}}"
#define MINIMAL_ABI_MINOR 99
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
