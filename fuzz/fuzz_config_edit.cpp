// Fuzz target: the config editor (core/yaml/config_edit). The first line of the
// input is "key.path<TAB>new value"; the rest is the YAML text to edit. Also
// runs the YAML guard the file editor runs before and after an edit.
#include <string>
#include <string_view>
#include <vector>

#include "core/yaml/config_edit.h"
#include "core/yaml/yaml_guard.h"
#include "fuzz/fuzz_support.h"

namespace {

std::vector<std::string> split_path(std::string_view spec) {
  std::vector<std::string> path;
  size_t start = 0;
  for (;;) {
    size_t dot = spec.find('.', start);
    path.emplace_back(spec.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return path;
    start = dot + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  std::string_view header = input.substr(0, newline);
  std::string_view text = input.substr(newline + 1);
  size_t tab = header.find('\t');
  std::string_view spec = header.substr(0, tab);
  std::string_view value = tab == std::string_view::npos ? "5.1.0" : header.substr(tab + 1);
  auto path = split_path(spec);
  if (path.size() > 16) return 0;
  (void)mi2::check_yaml_document(text, "config.yaml");
  auto edited = mi2::set_yaml_scalar(text, path, value);
  if (edited) (void)mi2::check_yaml_document(*edited, "config.yaml");
  return 0;
}
