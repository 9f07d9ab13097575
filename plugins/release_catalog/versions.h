// Release versions as the fleet's release catalog names them: 4.1.0 or
// 4.2.0-rc.1 (no 'v' prefix), in semantic-version order.
#pragma once

#include <string>

namespace mi2::releases {

// digits.digits.digits (at most 9 digits each) with an optional -prerelease
// of [0-9A-Za-z.-], 64 characters in all at most.
bool is_version(const std::string& version);
// Throws sdk::invalid_input naming `what` when `version` is not one.
void require_version(const std::string& version, const std::string& what);
// Semantic-version order (pre-releases before their release); text order for
// anything that is not a version.
int compare_versions(const std::string& a, const std::string& b);

}  // namespace mi2::releases
