// The embedded default: every role on one machine. Workloads are local
// processes, the database is SQLite, the forge is a folder of JSON next to a
// real git origin. See docs/plugin-guide.md for the step contract.
#pragma once

#include <mi2/sdk/host.hpp>

#include <string>
#include <string_view>

#include "local_context.h"

namespace mi2::local {

class LocalPlugin {
 public:
  static const char* describe();
  LocalPlugin(sdk::Host host, const std::string& config_json);
  std::string invoke(std::string_view role, std::string_view action, const std::string& input_json);

  // The partial output of the last failed invoke ("" when none): see failure.h.
  const std::string& failure_output() const { return failure_output_; }

 private:
  json dispatch(std::string_view role, std::string_view action, const std::string& input_json);
  json healthcheck(LocalContext& ctx);

  sdk::Host host_;
  LocalConfig config_;
  std::string failure_output_;
};

}  // namespace mi2::local
