// mi2/sdk/text.hpp — small text helpers plugins share, so no plugin keeps
// its own copy.
//
//   sdk::join({"deployment/a", "statefulset/b"}, ", ")   // "deployment/a, statefulset/b"
//   sdk::join(argv, " ")                                 // an argv shown in a sentence
//
// Header-only, C++17, standard library only.
#ifndef MI2_SDK_TEXT_HPP
#define MI2_SDK_TEXT_HPP

#include <string>
#include <string_view>
#include <vector>

namespace mi2::sdk {

// The parts with `separator` between each two ("" for none).
inline std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += separator;
    out += parts[i];
  }
  return out;
}

}  // namespace mi2::sdk

#endif  // MI2_SDK_TEXT_HPP
