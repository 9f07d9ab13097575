// The plugin's one export. An sdk::Failure carries its partial output (a
// failed migration's dirty state, a failed rollout's per-workload report),
// which the adapter hands to the host on failure.
#include <mi2/sdk/plugin.hpp>

#include "plugins/kubectl/kubectl_plugin.h"

MI2_PLUGIN(mi2::kubectl::KubectlPlugin)
