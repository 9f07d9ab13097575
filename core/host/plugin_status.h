// core/host/plugin_status.h — the words for a plugin's mi2_status, in one table:
// a short name ("timeout") for lists and JSON, and a phrase that follows
// "<role>.<action>" in a sentence ("timed out").
#ifndef MI2_CORE_HOST_PLUGIN_STATUS_H
#define MI2_CORE_HOST_PLUGIN_STATUS_H

#include <mi2/plugin.h>

#include <string_view>

namespace mi2 {

// A host treats a status it does not know as MI2_FAILED (plugin.h).
mi2_status known_status(int status);

std::string_view status_name(mi2_status status);
std::string_view status_phrase(mi2_status status);

}  // namespace mi2

#endif  // MI2_CORE_HOST_PLUGIN_STATUS_H
