// The vcs role: real git (the fleet repo and its origin, a bare repo) and a
// local forge: <forge_dir>/pulls/<n>.json and <forge_dir>/issues/<n>.json,
// which `mi2 pr list|view|approve|merge` read and change. A merge squashes the
// PR's branch into the origin's base branch.
#pragma once

#include <string_view>

#include "local_context.h"

namespace mi2::local {

json forge_action(LocalContext& ctx, std::string_view action);

}  // namespace mi2::local
