// The page `mi2 env status --html FILE` writes: one self-contained HTML file
// (inline CSS, an inline SVG bar chart of the version distribution, the
// instances as a table that inline JS builds and sorts; nothing from the
// network). The page reads `#sort=COLUMN` or `#sort=COLUMN:desc` on load.
#pragma once

#include <string>

#include "core/engine/fleet_status.h"

namespace mi2::cli {

std::string status_html(const FleetStatus& status, const std::string& generated_at);

}  // namespace mi2::cli
