// What mi2 refuses in any YAML it reads, whichever reader reads it: a
// document over kMaxYamlBytes, nesting deeper than kMaxYamlDepth, aliases that
// expand past kMaxYamlAliasNodes nodes or kMaxYamlAliasBytes bytes (a "billion laughs"
// bomb), and
// a key given twice in one mapping. YamlEventGuard watches a libyaml event
// stream for them, so the jq scan (fleet/yaml_jv) and the config editor apply
// the same rules; the block reader declines such documents to libyaml.
// Includes <yaml.h> (libyaml): only .cpp files of mi2_core may include it.
#pragma once

#include <yaml.h>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"

namespace mi2 {

constexpr size_t kMaxYamlBytes = 8u << 20;        // config.yaml files are a few KB
constexpr size_t kMaxYamlDepth = 256;             // nested mappings and lists
constexpr size_t kMaxYamlAliasNodes = 100000;     // nodes that all aliases add, all told
constexpr size_t kMaxYamlAliasBytes = 16u << 20;  // scalar bytes that all aliases add

// "<path> is N bytes, more than the 8 MiB mi2 reads ...": the refusal of a
// document over kMaxYamlBytes.
std::string yaml_too_big(const std::string& path, size_t size);

struct YamlProblem {
  size_t line = 0;  // 1-based
  std::string message;
};

class YamlEventGuard {
 public:
  // Call with every event, in order; stop at the first problem.
  std::optional<YamlProblem> on_event(const yaml_event_t& event);

 private:
  struct Frame {
    bool is_map = false;
    bool expect_key = true;  // in a mapping: the next node is a key
    size_t nodes = 1;        // this node and everything under it
    size_t bytes = 0;        // the scalar text under it
    std::string anchor;
    std::map<std::string, size_t> keys;  // key -> its line
  };
  struct Anchor {
    size_t nodes = 1;
    size_t bytes = 0;
    bool scalar = false;
    std::string text;  // a scalar's text (a key given by an alias)
  };
  // A node of `nodes` nodes and `bytes` scalar bytes (a scalar, an alias or a
  // closed collection) was read; `key` is its text when it is a scalar.
  std::optional<YamlProblem> add_node(size_t nodes, size_t bytes, const std::string* key,
                                      size_t line);

  std::vector<Frame> stack_;
  std::map<std::string, Anchor> anchors_;
  size_t alias_nodes_ = 0;
  size_t alias_bytes_ = 0;
};

// Parses `text` with libyaml under YamlEventGuard (first document only).
// The error is "<path>:<line>: invalid YAML: ..." or the guard's refusal.
Status check_yaml_document(std::string_view text, const std::string& path);

}  // namespace mi2
