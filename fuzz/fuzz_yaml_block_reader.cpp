// Fuzz target: the block-YAML reader (core/fleet/yaml_block_reader). Any text
// is either read or declined; a value read must print as JSON.
#include <string>
#include <string_view>

#include "core/fleet/yaml_block_reader.h"
#include "core/fleet/yaml_jv.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto value = mi2::read_simple_block_yaml(text)) {
    std::string json;
    mi2::append_json(json, jv_copy(*value));
    jv_free(*value);
  }
  return 0;
}
