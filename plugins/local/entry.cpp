// The plugin's one export. An sdk::Failure carries its partial output (the
// migrate contract's {dirty, failed_version, repair}, a stuck rollout's
// workloads), which the adapter hands to the host on failure.
#include <mi2/sdk/plugin.hpp>

#include "local_plugin.h"

MI2_PLUGIN(mi2::local::LocalPlugin)
