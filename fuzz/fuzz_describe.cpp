// Fuzz target: a plugin's describe() document (core/host/plugin_loader).
#include <string>

#include "core/host/plugin_loader.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);  // NUL-terminated
  (void)mi2::parse_description(text.c_str());
  return 0;
}
