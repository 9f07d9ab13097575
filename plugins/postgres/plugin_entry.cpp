// The plugin's one export. An sdk::Failure carries its partial output (the
// migrate contract's {dirty, failed_version, repair}) to the host.
#include <mi2/sdk/plugin.hpp>

#include "plugins/postgres/postgres_plugin.h"

MI2_PLUGIN(mi2::postgres::PostgresPlugin)
