// The libjq side of JqProgram, for core sources that build jv values
// themselves (the fleet scan builds them straight from YAML events). Includes
// <jv.h>: only .cpp files of mi2_core may include this header.
#pragma once

// libjq 1.6 headers have no extern "C" guards.
extern "C" {
#include <jv.h>
}

#include <string>

#include "core/jq/jq_program.h"

namespace mi2 {

// Consumes nothing: `value` stays owned by the caller.
Json jv_to_json(jv value);
// A new jv the caller owns.
jv json_to_jv(const Json& value);

// JqProgram::matches on a jv input; consumes `input`.
Result<bool> jq_matches(const JqProgram& program, jv input, const std::string& subject);

}  // namespace mi2
