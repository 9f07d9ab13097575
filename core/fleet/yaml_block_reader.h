// A reader for the plain block-YAML most config.yaml files are written in
// (nested mappings and lists, plain and simply quoted one-line scalars,
// comments), about ten times cheaper than a general parser. Anything else
// (flow collections, anchors, tags, block or multi-line scalars, tabs,
// directives, syntax errors, a key given twice, nesting deeper than
// kMaxYamlDepth) is declined, and the caller falls back to libyaml, which
// refuses or reads it. Typing follows the YAML 1.2 core schema, like the other loaders.
// Includes <jv.h>: only .cpp files of mi2_core may include this header.
#pragma once

#include <optional>
#include <string_view>

#include "core/jq/jq_native.h"

namespace mi2 {

// The document as a jv the caller owns, or nullopt when declined.
std::optional<jv> read_simple_block_yaml(std::string_view text);

}  // namespace mi2
