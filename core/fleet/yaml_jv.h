// The fast, read-only path from config.yaml text to jq values: libyaml events
// straight into a jv (no tree, no nlohmann::json), typed like the tree loader
// (YAML 1.2 core schema), and jv back to compact JSON for the scan cache.
// Includes <jv.h>: only .cpp files of mi2_core may include this header.
#pragma once

#include <string>
#include <string_view>

#include "core/base/result.h"
#include "core/jq/jq_native.h"

namespace mi2 {

// `text` as a jv the caller owns (null for an empty document; the first
// document only). The error names `path` and the line.
// Plain block YAML goes through read_simple_block_yaml, the rest through libyaml.
Result<jv> parse_to_jv(const char* text, size_t size, const std::string& path);
// libyaml alone.
Result<jv> parse_to_jv_with_libyaml(const char* text, size_t size, const std::string& path);

// A plain (unquoted) scalar typed by the YAML 1.2 core schema: null, bool,
// number, else string. Shared by the libyaml path and the block reader.
jv plain_scalar_to_jv(std::string_view text);

// Appends `value` as compact JSON; false when it holds a number JSON cannot
// carry (inf, nan). Faster than jv_dump_string.
bool append_json(std::string& out, jv value);

}  // namespace mi2
