#include "core/base/redactor.h"

#include <algorithm>
#include <cctype>
#include <regex>

namespace mi2 {

namespace {

bool iequals_at(const std::string& text, size_t pos, std::string_view word) {
  if (pos + word.size() > text.size()) return false;
  for (size_t i = 0; i < word.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[pos + i])) != word[i]) return false;
  return true;
}

// Masks the string values of credential-named JSON fields ("password": "..."),
// as found in journal lines and echoed configs. A hand-written scan: std::regex
// recurses per character and could overflow the stack on long values.
std::string mask_json_fields(std::string text) {
  static constexpr std::string_view kKeys[] = {
      "\"token\"",  "\"access_token\"",  "\"private_token\"", "\"password\"",
      "\"secret\"", "\"client_secret\"", "\"api_key\""};
  for (size_t pos = text.find('"'); pos != std::string::npos; pos = text.find('"', pos + 1)) {
    const std::string_view* key = nullptr;
    for (const auto& k : kKeys)
      if (iequals_at(text, pos, k)) key = &k;
    if (!key) continue;
    size_t i = pos + key->size();
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || text[i] != ':') continue;
    ++i;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || text[i] != '"') continue;
    size_t start = i + 1, end = start;
    while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
    if (end >= text.size() || end == start) continue;
    text.replace(start, end - start, "***");
    pos = start + 3;
  }
  return text;
}

}  // namespace

void SecretRedactor::add(std::string_view secret) {
  if (secret.size() < 4) return;
  std::lock_guard lock(mutex_);
  for (const auto& s : secrets_)
    if (s == secret) return;
  // Kept longest first (see apply).
  auto at = std::find_if(secrets_.begin(), secrets_.end(),
                         [&](const std::string& s) { return s.size() < secret.size(); });
  secrets_.emplace(at, secret);
}

std::string SecretRedactor::apply(std::string_view text) const {
  std::string result(text);
  {
    std::lock_guard lock(mutex_);
    // Longest first: a secret that contains a shorter one is masked whole.
    for (const auto& secret : secrets_) {
      for (size_t pos = result.find(secret); pos != std::string::npos;
           pos = result.find(secret, pos + 3)) {
        result.replace(pos, secret.size(), "***");
      }
    }
  }
  // Credentials that were never registered still follow recognisable shapes.
  if (result.find_first_of(":=") == std::string::npos) return result;
  static const std::regex header(
      R"(((?:authorization|private-token|x-api-key)\s*[:=]\s*(?:bearer |token |basic )?)[^\s"',]+)",
      std::regex::icase);
  static const std::regex query(
      R"(([?&](?:access_token|private_token|token|password|client_secret|api_key)=)[^&\s"']+)",
      std::regex::icase);
  result = std::regex_replace(result, header, "$1***");
  result = std::regex_replace(result, query, "$1***");
  return mask_json_fields(result);
}

SecretRedactor& SecretRedactor::global() {
  static SecretRedactor* instance = new SecretRedactor();  // never destroyed: used until exit
  return *instance;
}

}  // namespace mi2
