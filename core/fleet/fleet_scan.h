// Reads and filters every instance of an environment fast: a read-only
// libyaml event parse straight into jq values, on every core, one compiled
// jq program per thread. Same JSON as load_instance (YAML 1.2 core-schema
// typing), so a filter selects what `mi2 instance get | jq` would.
#pragma once

#include <nlohmann/json.hpp>  // ScannedInstance holds Json by value
#include <string>
#include <vector>

#include "core/base/json.h"
#include "core/base/result.h"
#include "core/fleet/fleet.h"

namespace mi2 {

struct ScannedInstance {
  InstanceRef ref;
  Json instance;  // config.yaml as JSON
};

// Where the time went (for -v and bench/).
struct ScanStats {
  double list_ms = 0;  // listing the deployments folder
  double scan_ms = 0;  // read + parse + filter, all threads
  unsigned threads = 0;
  size_t instances = 0;
  size_t cache_hits = 0;  // instances read from the scan cache, not parsed
  size_t selected = 0;
};

struct ScanOptions {
  // A jq expression that must give exactly one boolean per instance; empty
  // selects every instance.
  std::string filter;
  // Worker threads; 0: one per core (at most 8), fewer for small fleets.
  unsigned threads = 0;
  // Reuse and refresh <root>/.mi2/cache/scan-<env> (see scan_cache.h).
  bool use_cache = true;
  ScanStats* stats = nullptr;  // filled when given
};

// The selected instances of `env`, sorted by id. Any unreadable config.yaml,
// filter that does not compile, or non-boolean result is an error naming the
// file or instance (the first one in id order), never a silent skip.
Result<std::vector<ScannedInstance>> scan_instances(const Fleet& fleet, const std::string& env,
                                                    const ScanOptions& options);

// config.yaml text as JSON through the same fast parser; `path` names the file
// in errors.
Result<Json> parse_yaml_fast(const std::string& text, const std::string& path);
// The same through libyaml alone, never the block-YAML shortcut (for tests
// that hold the two to the same answers).
Result<Json> parse_yaml_with_libyaml(const std::string& text, const std::string& path);

}  // namespace mi2
