// Process-wide logging: spdlog (compiled library) behind one stderr sink that
// redacts registered secrets and writes either text or JSON lines.
#pragma once

namespace mi2 {

enum class LogFormat { kText, kJson };

// verbosity 0: info and up; 1 or more: debug; below 0: warnings and errors.
void init_logging(LogFormat format, int verbosity);

}  // namespace mi2
