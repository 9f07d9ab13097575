// The plugin's one export.
#include <mi2/sdk/plugin.hpp>

#include "plugins/cloudsql/cloudsql_plugin.h"

MI2_PLUGIN(mi2::cloudsql::CloudsqlPlugin)
