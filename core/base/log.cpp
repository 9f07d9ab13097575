#include "core/base/log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "core/base/redactor.h"
#include "core/base/text.h"

namespace mi2 {
namespace {

class RedactingStderrSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RedactingStderrSink(LogFormat format) : format_(format) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string text =
        SecretRedactor::global().apply(std::string_view(msg.payload.data(), msg.payload.size()));
    std::string line;
    if (format_ == LogFormat::kJson) {
      auto seconds = std::chrono::duration<double>(msg.time.time_since_epoch()).count();
      nlohmann::json j = {{"ts", seconds},
                          {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                                                spdlog::level::to_string_view(msg.level).size())},
                          {"msg", text}};
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    } else {
      const char* level = msg.level >= spdlog::level::err     ? "error: "
                          : msg.level == spdlog::level::warn  ? "warning: "
                          : msg.level <= spdlog::level::debug ? "debug: "
                                                              : "";
      line = std::string("mi2: ") + level + escape_control(text) + "\n";  // plugins echo input
    }
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  LogFormat format_;
};

}  // namespace

void init_logging(LogFormat format, int verbosity) {
  auto sink = std::make_shared<RedactingStderrSink>(format);
  auto logger = std::make_shared<spdlog::logger>("mi2", sink);
  logger->set_level(verbosity > 0   ? spdlog::level::debug
                    : verbosity < 0 ? spdlog::level::warn
                                    : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace mi2
