// How a plain (unquoted) YAML scalar is typed under YAML 1.2's core schema, and
// whether a string may be written plain: shared by core's tree loader and scan
// parser (through core/yaml/yaml_scalar.h) and by every YAML edit here, so
// `instance get`, filters and edits agree on what `4.10` or `yes` means.
#pragma once

#include <cstdint>
#include <string_view>

namespace mi2::text_edit {

enum class PlainScalarKind { kNull, kBool, kInt, kFloat, kString };

struct PlainScalar {
  PlainScalarKind kind = PlainScalarKind::kString;
  bool boolean = false;
  bool is_unsigned = false;  // an int above INT64_MAX
  std::int64_t integer = 0;
  std::uint64_t unsigned_integer = 0;
  double number = 0;
};

// Classifies `text` as the core schema resolves a plain scalar.
PlainScalar classify_plain_scalar(std::string_view text);

// True when `text` written plain would read back as the same string: not
// typed as null/bool/number (nor a YAML 1.1 bool such as yes/no/on/off), no
// indicator at the start, no ": " or " #" inside, no edge spaces.
bool safe_as_plain_scalar(std::string_view text);

}  // namespace mi2::text_edit
