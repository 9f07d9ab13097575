// The plugin's one export.
#include <mi2/sdk/plugin.hpp>

#include "plugins/kubectl/kubectl_plugin.h"

MI2_PLUGIN(mi2::kubectl::KubectlPlugin)
