/* describe() returns what MI2_TEST_DESCRIBE says, or text that is not JSON.
 * Lets one plugin exercise every way a describe document can be wrong. */
#include <stdlib.h>

static const char* baddescribe_text(void) {
  const char* text = getenv("MI2_TEST_DESCRIBE");
  return text ? text : "{\"name\": \"baddescribe\", not json";
}
#define MINIMAL_DESCRIBE baddescribe_text()
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
