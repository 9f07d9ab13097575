#include "core/host/plugin_status.h"

namespace mi2 {
namespace {

struct StatusWords {
  mi2_status status;
  std::string_view name, phrase;
};

constexpr StatusWords kWords[] = {
    {MI2_OK, "ok", "ok"},
    {MI2_FAILED, "failed", "failed"},
    {MI2_RETRYABLE, "retryable", "failed (retryable)"},
    {MI2_TIMEOUT, "timeout", "timed out"},
    {MI2_CANCELLED, "cancelled", "was cancelled"},
    {MI2_NOT_SUPPORTED, "not supported", "is not supported"},
    {MI2_INVALID_INPUT, "invalid input", "rejected its input"},
};

const StatusWords& words(mi2_status status) {
  for (const StatusWords& w : kWords)
    if (w.status == status) return w;
  return kWords[1];
}

}  // namespace

mi2_status known_status(int status) {
  return status >= MI2_OK && status <= MI2_INVALID_INPUT ? static_cast<mi2_status>(status)
                                                         : MI2_FAILED;
}

std::string_view status_name(mi2_status status) {
  return words(status).name;
}
std::string_view status_phrase(mi2_status status) {
  return words(status).phrase;
}

}  // namespace mi2
