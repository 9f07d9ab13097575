// The JSON type used across core. Headers include only the forward declaration;
// sources that build or read JSON include <nlohmann/json.hpp> themselves.
#pragma once

#include <nlohmann/json_fwd.hpp>

namespace mi2 {
using Json = nlohmann::json;
}  // namespace mi2
