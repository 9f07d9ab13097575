#pragma once

#include <mi2/plugin.h>

namespace mi2 {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace mi2
