// Fuzz target: the block-YAML reader (core/fleet/yaml_block_reader). Any text
// is either read or declined; a document it reads must be one libyaml reads to
// the same value (the reader is only a faster path to the same answer).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/fleet/yaml_block_reader.h"
#include "core/fleet/yaml_jv.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto value = mi2::read_simple_block_yaml(text);
  if (!value) return 0;
  std::string fast;
  mi2::append_json(fast, *value);  // borrows
  auto reference = mi2::parse_to_jv_with_libyaml(text.data(), text.size(), "config.yaml");
  if (!reference) {
    std::fprintf(stderr, "block reader read what libyaml refuses (%s): %s\n",
                 reference.message().c_str(), fast.c_str());
    std::abort();
  }
  std::string slow;
  mi2::append_json(slow, *reference);
  // Dumped, not jv_equal: NaN is not equal to itself.
  auto dump = [](jv v) {
    jv text = jv_dump_string(jv_copy(v), JV_PRINT_SORTED);
    std::string out = jv_string_value(text);
    jv_free(text);
    return out;
  };
  bool same = dump(*value) == dump(*reference);
  jv_free(*value);
  jv_free(*reference);
  if (!same) {
    std::fprintf(stderr, "block reader and libyaml disagree:\n  %s\n  %s\n", fast.c_str(),
                 slow.c_str());
    std::abort();
  }
  return 0;
}
