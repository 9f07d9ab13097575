#include "lib/text_edit/plain_scalar.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace mi2::text_edit {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

bool all_of(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) return false;
  for (char c : s)
    if (!pred(c)) return false;
  return true;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_core_float(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++int_digits;
  bool dot = false;
  if (i < s.size() && s[i] == '.') {
    dot = true;
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (int_digits == 0 && !dot) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

bool set_integer(std::string_view digits, int base, bool negative, PlainScalar& out) {
  std::uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (end != digits.data() + digits.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    out.kind = PlainScalarKind::kFloat;
    out.number = std::strtod(std::string(digits).c_str(), nullptr) * (negative ? -1 : 1);
    return true;
  }
  out.kind = PlainScalarKind::kInt;
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!negative && magnitude > kMax) {
    out.is_unsigned = true;
    out.unsigned_integer = magnitude;
  } else if (negative && magnitude > kMax + 1) {
    out.kind = PlainScalarKind::kFloat;
    out.number = -static_cast<double>(magnitude);
  } else {
    out.integer =
        negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
  }
  return true;
}

}  // namespace

PlainScalar classify_plain_scalar(std::string_view s) {
  PlainScalar out;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    out.kind = PlainScalarKind::kNull;
    return out;
  }
  if (s == "true" || s == "True" || s == "TRUE") {
    out.kind = PlainScalarKind::kBool;
    out.boolean = true;
    return out;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    out.kind = PlainScalarKind::kBool;
    return out;
  }
  char first = s[0];
  if (!is_digit(first) && first != '-' && first != '+' && first != '.') return out;

  if (s.size() > 2 && s[0] == '0' && s[1] == 'o' &&
      all_of(s.substr(2), [](char c) { return c >= '0' && c <= '7'; })) {
    set_integer(s.substr(2), 8, false, out);
    return out;
  }
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x' && all_of(s.substr(2), is_hex)) {
    set_integer(s.substr(2), 16, false, out);
    return out;
  }
  std::string_view unsigned_part = s;
  bool negative = false;
  if (first == '-' || first == '+') {
    negative = first == '-';
    unsigned_part = s.substr(1);
  }
  if (all_of(unsigned_part, is_digit)) {
    set_integer(unsigned_part, 10, negative, out);
    return out;
  }
  if (unsigned_part == ".inf" || unsigned_part == ".Inf" || unsigned_part == ".INF") {
    out.kind = PlainScalarKind::kFloat;
    out.number = negative ? -std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::infinity();
    return out;
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    out.kind = PlainScalarKind::kFloat;
    out.number = std::numeric_limits<double>::quiet_NaN();
    return out;
  }
  if (is_core_float(s)) {
    out.kind = PlainScalarKind::kFloat;
    out.number = std::strtod(std::string(s).c_str(), nullptr);
  }
  return out;
}

bool safe_as_plain_scalar(std::string_view s) {
  if (s.empty()) return false;
  if (classify_plain_scalar(s).kind != PlainScalarKind::kString) return false;
  // YAML 1.1 readers (and the python yq) type these as booleans.
  static constexpr std::string_view kYaml11Bools[] = {"y",  "Y",   "yes", "Yes", "YES", "n",
                                                      "N",  "no",  "No",  "NO",  "on",  "On",
                                                      "ON", "off", "Off", "OFF"};
  for (auto word : kYaml11Bools)
    if (s == word) return false;
  // Numbers in other spellings (YAML 1.1 sexagesimal, 1_000, leading dot) stay quoted too.
  if (is_digit(s[0]) || s[0] == '.' || s[0] == '+' || s[0] == '-') {
    bool looks_numeric = true;
    for (char c : s) {
      if (!is_digit(c) && c != '.' && c != '_' && c != ':' && c != 'e' && c != 'E' && c != '+' &&
          c != '-')
        looks_numeric = false;
    }
    // A dotted version such as 4.1.0 stays plain: it reads back as a string everywhere.
    size_t dots = 0;
    for (char c : s) dots += c == '.';
    if (looks_numeric && !(dots >= 2 && s.find_first_of("eE_:") == std::string_view::npos))
      return false;
  }
  static constexpr std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  if (kIndicators.find(s[0]) != std::string_view::npos) {
    // "-", "?" and ":" may start a plain scalar when a non-space follows, but keep it simple.
    return false;
  }
  if (s.front() == ' ' || s.back() == ' ' || s.front() == '\t' || s.back() == '\t') return false;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos ||
      s.back() == ':')
    return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace mi2::text_edit
