// The live status block of `mi2 env upgrade` on a terminal, as plain lines:
// the batch's counts and times, then one line per instance in flight.
#include <cstdio>
#include <string>

#include "core/engine/batch_upgrade.h"

namespace mi2 {

std::string format_clock(double seconds) {
  long s = static_cast<long>(seconds + 0.5);
  if (s < 0) s = 0;
  char text[32];
  if (s < 60)
    std::snprintf(text, sizeof text, "%lds", s);
  else if (s < 3600)
    std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  return text;
}

namespace {

std::string clip(std::string line, size_t width) {
  if (width > 3 && line.size() > width) line = line.substr(0, width - 3) + "...";
  return line;
}

}  // namespace

std::vector<std::string> render_batch_status(const BatchStatus& status, size_t width) {
  std::string head = "Wave " + std::to_string(status.wave) + "/" + std::to_string(status.waves) +
                     ": " + std::to_string(status.done) + " done, " +
                     std::to_string(status.running) + " running, " + std::to_string(status.failed) +
                     " failed, " + std::to_string(status.remaining) + " remaining | " +
                     format_clock(status.elapsed) + " elapsed";
  if (status.estimate >= 0) head += ", ~" + format_clock(status.estimate) + " left";
  std::vector<std::string> lines{clip(head, width)};
  size_t name_width = 0;
  for (const auto& [instance, step] : status.in_flight)
    name_width = std::max(name_width, instance.size());
  for (const auto& [instance, step] : status.in_flight) {
    std::string line = "  " + instance + std::string(name_width - instance.size() + 2, ' ') +
                       (step.empty() ? "starting" : step);
    lines.push_back(clip(line, width));
  }
  return lines;
}

}  // namespace mi2
