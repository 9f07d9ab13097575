// How a plain (unquoted) YAML scalar is typed under YAML 1.2's core schema:
// the classification lives with the line-preserving editors
// (lib/text_edit/plain_scalar.h), so the tree loader, the fast scan parser and
// every edit agree on what `4.10` or `yes` means; here it becomes JSON.
#pragma once

#include <string_view>

#include "core/base/json.h"
#include "lib/text_edit/plain_scalar.h"

namespace mi2 {

using text_edit::classify_plain_scalar;
using text_edit::PlainScalar;
using text_edit::PlainScalarKind;
using text_edit::safe_as_plain_scalar;

// The JSON value of a plain scalar.
Json typed_plain_scalar(std::string_view text);

}  // namespace mi2
