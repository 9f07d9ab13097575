// Fuzz target: config.yaml text to jq values (core/fleet/yaml_jv): the fast
// path (block reader, then libyaml) and libyaml alone, each printed as JSON.
#include <string>

#include "core/fleet/yaml_jv.h"
#include "fuzz/fuzz_support.h"

namespace {

void parse_and_print(mi2::Result<jv> (*parse)(const char*, size_t, const std::string&),
                     const char* text, size_t size) {
  auto value = parse(text, size, "config.yaml");
  if (!value) return;
  std::string json;
  mi2::append_json(json, *value);  // borrows
  jv_free(*value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  parse_and_print(mi2::parse_to_jv, text, size);
  parse_and_print(mi2::parse_to_jv_with_libyaml, text, size);
  return 0;
}
