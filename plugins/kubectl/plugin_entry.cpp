// The plugin's one export. A FailureWithOutput carries its partial output in
// the SDK's Error, which the adapter hands to the host on failure.
#include <mi2/sdk/plugin.hpp>

#include "plugins/kubectl/kubectl_plugin.h"

MI2_PLUGIN(mi2::kubectl::KubectlPlugin)
