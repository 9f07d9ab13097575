// Small text helpers every layer uses: joining, quoting a word for a shell
// line the user may copy (never run by mi2), UTC times, escaping control bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mi2 {

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

// The word as a POSIX shell reads it back: as is when safe, else in single quotes.
std::string shell_quote(std::string_view word);

// "2026-11-27 10:15:00Z" for seconds since the epoch.
std::string format_utc(double seconds_since_epoch);

// Control bytes (and DEL) as \n, \t, \xNN, so input can never forge a line of output.
std::string escape_control(std::string_view text);

}  // namespace mi2
