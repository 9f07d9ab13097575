#include "core/host/plugin_protocol.h"

#include <cstdint>
#include <nlohmann/json.hpp>

namespace mi2::plugin_protocol {

std::string encode(const Json& message) {
  std::string frame;
  Json::to_msgpack(message, frame);
  return frame;
}

std::optional<Json> decode(std::string_view frame) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(frame.data());
  Json message = Json::from_msgpack(bytes, bytes + frame.size(), /*strict=*/true,
                                    /*allow_exceptions=*/false);
  if (message.is_discarded() || !message.is_object()) return std::nullopt;
  return message;
}

Json text_or_null(const char* text) {
  return text ? Json(std::string(text)) : Json(nullptr);
}

Json strings_or_null(const char* const* items) {
  if (!items) return nullptr;
  Json list = Json::array();
  for (const char* const* item = items; *item; ++item) list.push_back(std::string(*item));
  return list;
}

const char* text_field(const Json& message, const char* name) {
  auto found = message.find(name);
  if (found == message.end() || !found->is_string()) return nullptr;
  return found->get_ref<const std::string&>().c_str();
}

}  // namespace mi2::plugin_protocol
