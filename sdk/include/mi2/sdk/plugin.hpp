// mi2/sdk/plugin.hpp — write a plugin as one C++ class and one macro.
//
//   #include <mi2/sdk/plugin.hpp>
//
//   class MyPlugin {
//    public:
//     static const char* describe();      // the describe JSON (static storage)
//     MyPlugin(mi2::sdk::Host host, const std::string& config_json);  // throw to refuse
//     std::string invoke(std::string_view role, std::string_view action,
//                        const std::string& input_json);           // returns output JSON
//   };
//   MI2_PLUGIN(MyPlugin)
//
// Throw mi2::sdk::Error(status, sentence) to fail with a given status; any
// other exception becomes MI2_FAILED with its what(). No exception ever crosses
// the C boundary: every export goes through mi2::sdk::barrier().
// Header-only, C++17, standard library only.
#ifndef MI2_SDK_PLUGIN_HPP
#define MI2_SDK_PLUGIN_HPP

#include <mi2/plugin.h>
#include <mi2/sdk/host.hpp>

#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace mi2::sdk {

// Runs `fn`, turning any exception into a status and an error sentence (and,
// when `output` is given, the partial output an Error carries).
// The one catch-all every export shares.
template <class Fn>
mi2_status barrier(std::string& error, std::string* output, Fn&& fn) noexcept {
  try {
    error.clear();
    return fn();
  } catch (const Error& e) {
    try {
      error = e.what();
      if (output) *output = e.output();
    } catch (...) {
    }
    return e.status() == MI2_OK ? MI2_FAILED : e.status();
  } catch (const std::bad_alloc&) {
    error = "out of memory";
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown exception in plugin";
  }
  return MI2_FAILED;
}

template <class Fn>
mi2_status barrier(std::string& error, Fn&& fn) noexcept {
  return barrier(error, nullptr, std::forward<Fn>(fn));
}

namespace detail {

template <class T, class = void>
struct has_describe : std::false_type {};
template <class T>
struct has_describe<T, std::void_t<decltype(T::describe())>>
    : std::is_convertible<decltype(T::describe()), const char*> {};

template <class T, class = void>
struct has_invoke : std::false_type {};
template <class T>
struct has_invoke<T,
                  std::void_t<decltype(std::declval<T&>().invoke(
                      std::string_view{}, std::string_view{}, std::declval<const std::string&>()))>>
    : std::is_convertible<decltype(std::declval<T&>().invoke(std::string_view{}, std::string_view{},
                                                             std::declval<const std::string&>())),
                          std::string> {};

// One plugin instance as the host sees it: the author's object plus the
// strings whose lifetime the ABI promises (until the next call).
template <class T>
struct Instance {
  std::unique_ptr<T> object;
  std::string output;
  std::string error;
};

inline const mi2_host_services*& services_slot() {
  static const mi2_host_services* services = nullptr;
  return services;
}

template <class T>
struct Adapter {
  static_assert(has_describe<T>::value,
                "an mi2 plugin class needs: static const char* describe();");
  static_assert(
      std::is_constructible<T, Host, const std::string&>::value,
      "an mi2 plugin class needs: T(mi2::sdk::Host host, const std::string& config_json);");
  static_assert(has_invoke<T>::value,
                "an mi2 plugin class needs: std::string invoke(std::string_view role, "
                "std::string_view action, const std::string& input_json);");

  // Through the one barrier too: a describe() that throws yields a document
  // the host refuses with the reason ("describe_error"), never a crash.
  static const char* describe() noexcept {
    static std::string refused;
    const char* document = nullptr;
    std::string error;
    mi2_status status = barrier(error, [&] {
      document = T::describe();
      return MI2_OK;
    });
    if (status == MI2_OK && document) return document;
    try {
      refused = "{\"describe_error\":\"";
      for (char c : error.empty() ? std::string("describe() returned NULL") : error)
        refused += (c == '"' || c == '\\')                  ? std::string("\\") + c
                   : (static_cast<unsigned char>(c) < 0x20) ? std::string(" ")
                                                            : std::string(1, c);
      refused += "\"}";
      return refused.c_str();
    } catch (...) {
      return "{}";
    }
  }

  static mi2_status create(mi2_host_context* host, const char* config_json,
                           mi2_plugin_instance** out) noexcept {
    if (!out) return MI2_INVALID_INPUT;
    *out = nullptr;
    Instance<T>* instance = new (std::nothrow) Instance<T>();
    if (!instance) return MI2_FAILED;
    *out = reinterpret_cast<mi2_plugin_instance*>(instance);
    return barrier(instance->error, [&] {
      instance->object = std::make_unique<T>(Host(services_slot(), host),
                                             std::string(config_json ? config_json : "{}"));
      return MI2_OK;
    });
  }

  static mi2_status invoke(mi2_plugin_instance* self, const char* role, const char* action,
                           const char* input_json, const char** output_json) noexcept {
    auto* instance = reinterpret_cast<Instance<T>*>(self);
    if (output_json) *output_json = nullptr;
    if (!instance || !instance->object) return MI2_INVALID_INPUT;
    std::string partial;
    mi2_status status = barrier(instance->error, &partial, [&] {
      instance->output = instance->object->invoke(role ? role : "", action ? action : "",
                                                  std::string(input_json ? input_json : "{}"));
      return MI2_OK;
    });
    if (status != MI2_OK) {
      if (partial.empty()) return status;
      instance->output.swap(partial);
    }
    if (output_json) {
      if (instance->output.empty()) instance->output = "{}";
      *output_json = instance->output.c_str();
    }
    return status;
  }

  static const char* last_error(mi2_plugin_instance* self) noexcept {
    auto* instance = reinterpret_cast<Instance<T>*>(self);
    return instance ? instance->error.c_str() : "";
  }

  static void destroy(mi2_plugin_instance* self) noexcept {
    auto* instance = reinterpret_cast<Instance<T>*>(self);
    std::string ignored;
    barrier(ignored, [&] {
      delete instance;
      return MI2_OK;
    });
  }

  static const mi2_plugin_api* table() noexcept {
    static const mi2_plugin_api api = {sizeof(mi2_plugin_api),
                                       MI2_ABI_VERSION_MAJOR,
                                       MI2_ABI_VERSION_MINOR,
                                       &describe,
                                       &create,
                                       &invoke,
                                       &last_error,
                                       &destroy};
    return &api;
  }
};

}  // namespace detail
}  // namespace mi2::sdk

// Defines the plugin's one export for class `Class`.
// The host checks the versions in the returned table and refuses a mismatch
// with a sentence of its own, so the entry itself never refuses.
#define MI2_PLUGIN(Class)                                                                  \
  extern "C" MI2_EXPORT const mi2_plugin_api* mi2_plugin_entry(                            \
      uint32_t host_abi_major, uint32_t host_abi_minor, const mi2_host_services* services, \
      const char** error) {                                                                \
    (void)host_abi_major;                                                                  \
    (void)host_abi_minor;                                                                  \
    (void)error;                                                                           \
    ::mi2::sdk::detail::services_slot() = services;                                        \
    return ::mi2::sdk::detail::Adapter<Class>::table();                                    \
  }

#endif  // MI2_SDK_PLUGIN_HPP
