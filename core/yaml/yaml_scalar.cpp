#include "core/yaml/yaml_scalar.h"

#include <nlohmann/json.hpp>
#include <string>

namespace mi2 {

Json typed_plain_scalar(std::string_view text) {
  PlainScalar scalar = classify_plain_scalar(text);
  switch (scalar.kind) {
    case PlainScalarKind::kNull:
      return Json(nullptr);
    case PlainScalarKind::kBool:
      return Json(scalar.boolean);
    case PlainScalarKind::kInt:
      return scalar.is_unsigned ? Json(scalar.unsigned_integer) : Json(scalar.integer);
    case PlainScalarKind::kFloat:
      return Json(scalar.number);
    case PlainScalarKind::kString:
      break;
  }
  return Json(std::string(text));
}

}  // namespace mi2
