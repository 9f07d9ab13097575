// Masks registered secrets (tokens, passwords) in any text before it reaches a
// log, a journal or the terminal. Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mi2 {

class SecretRedactor {
 public:
  // Secrets shorter than 4 characters are ignored (masking them would mangle text).
  void add(std::string_view secret);
  // Every occurrence of every secret replaced by "***". Also masks the values of
  // Authorization / Private-Token style headers and "token=" query values.
  std::string apply(std::string_view text) const;

  // The process-wide redactor used by logging.
  static SecretRedactor& global();

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> secrets_;
};

}  // namespace mi2
