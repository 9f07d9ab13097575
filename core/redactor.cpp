#include "core/redactor.h"

#include <regex>

namespace mi2 {

void SecretRedactor::add(std::string_view secret) {
  if (secret.size() < 4) return;
  std::lock_guard lock(mutex_);
  for (const auto& s : secrets_)
    if (s == secret) return;
  secrets_.emplace_back(secret);
}

std::string SecretRedactor::apply(std::string_view text) const {
  std::string result(text);
  {
    std::lock_guard lock(mutex_);
    for (const auto& secret : secrets_) {
      for (size_t pos = result.find(secret); pos != std::string::npos;
           pos = result.find(secret, pos + 3)) {
        result.replace(pos, secret.size(), "***");
      }
    }
  }
  // Credentials that were never registered still follow recognisable shapes.
  static const std::regex header(
      R"(((?:authorization|private-token|x-api-key)\s*[:=]\s*(?:bearer |token |basic )?)[^\s"',]+)",
      std::regex::icase);
  static const std::regex query(R"(([?&](?:access_)?token=)[^&\s"']+)", std::regex::icase);
  if (result.find_first_of(":=") == std::string::npos) return result;
  result = std::regex_replace(result, header, "$1***");
  result = std::regex_replace(result, query, "$1***");
  return result;
}

SecretRedactor& SecretRedactor::global() {
  static SecretRedactor* instance = new SecretRedactor();  // never destroyed: used until exit
  return *instance;
}

}  // namespace mi2
