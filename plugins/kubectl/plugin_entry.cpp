// The plugin's one export: MI2_PLUGIN's table, with invoke wrapped so that a
// failed call still hands over its partial output (see failure_output.h).
#include <mi2/sdk/plugin.hpp>

#include "plugins/kubectl/kubectl_plugin.h"

namespace {

using Adapter = mi2::sdk::detail::Adapter<mi2::kubectl::KubectlPlugin>;
using Instance = mi2::sdk::detail::Instance<mi2::kubectl::KubectlPlugin>;

mi2_status invoke(mi2_plugin_instance* self, const char* role, const char* action,
                  const char* input_json, const char** output_json) noexcept {
  mi2_status status = Adapter::invoke(self, role, action, input_json, output_json);
  auto* instance = reinterpret_cast<Instance*>(self);
  if (status != MI2_OK && instance && instance->object && output_json &&
      !instance->object->failure_output().empty()) {
    instance->output = instance->object->failure_output();
    *output_json = instance->output.c_str();
  }
  return status;
}

const mi2_plugin_api* table() noexcept {
  static const mi2_plugin_api api = [] {
    mi2_plugin_api copy = *Adapter::table();
    copy.invoke = &invoke;
    return copy;
  }();
  return &api;
}

}  // namespace

extern "C" MI2_EXPORT const mi2_plugin_api* mi2_plugin_entry(uint32_t host_abi_major,
                                                             uint32_t host_abi_minor,
                                                             const mi2_host_services* services,
                                                             const char** error) {
  (void)host_abi_major;
  (void)host_abi_minor;
  (void)error;
  mi2::sdk::detail::services_slot() = services;
  return table();
}
