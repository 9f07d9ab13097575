// The plugin's one export. A FailureWithOutput carries its partial output in
// the SDK's Error (the migrate contract's {dirty, failed_version, repair}),
// which the adapter hands to the host on failure.
#include <mi2/sdk/plugin.hpp>

#include "local_plugin.h"

MI2_PLUGIN(mi2::local::LocalPlugin)
