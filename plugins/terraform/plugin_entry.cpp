// The terraform plugin's one export.
#include <mi2/sdk/plugin.hpp>

#include "plugins/terraform/terraform_plugin.h"

MI2_PLUGIN(mi2::terraform::TerraformPlugin)
