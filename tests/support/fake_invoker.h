// A StepInvoker without plugins: roles are bound to named fake providers, each
// call is recorded, and a test scripts the replies per role.action.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/engine/step_invoker.h"

namespace mi2::test {

class FakeInvoker : public StepInvoker {
 public:
  struct Call {
    std::string provider, role, action;
    Json input;
    CallSettings settings;
  };
  using Reply = std::function<StepReply(const Call&)>;

  // Binds `provider` to `role` (after any already bound).
  void bind(const std::string& role, const std::string& provider) {
    bound_[role].push_back(provider);
  }
  // The reply of role.action (any provider); default: MI2_OK with {}, and a
  // healthy healthcheck.
  void on(const std::string& role_action, Reply reply) { replies_[role_action] = std::move(reply); }
  // The checks `provider` declares; `version_checks` are the ones among them
  // that hold only once the target version runs.
  void set_checks(const std::string& provider, std::vector<std::string> checks,
                  std::vector<std::string> version_checks = {}) {
    checks_[provider] = std::move(checks);
    version_checks_[provider] = std::move(version_checks);
  }

  std::vector<std::string> providers(std::string_view role) override {
    auto it = bound_.find(std::string(role));
    return it == bound_.end() ? std::vector<std::string>{} : it->second;
  }
  std::vector<std::string> checks(const std::string& provider, bool health_only) override {
    auto it = checks_.find(provider);
    if (it == checks_.end()) return {"health", "version"};
    std::vector<std::string> names;
    const auto& version = version_checks_[provider];
    for (const auto& name : it->second)
      if (!health_only || std::find(version.begin(), version.end(), name) == version.end())
        names.push_back(name);
    return names;
  }
  // Every action is served but the optional `preflight`, which is served
  // where a reply for it is set.
  bool serves(const std::string&, std::string_view role, std::string_view action) override {
    return action != "preflight" || replies_.count(std::string(role) + ".preflight") > 0;
  }
  StepReply invoke(const std::string& provider, std::string_view role, std::string_view action,
                   const Json& input, const CallSettings& settings) override {
    Call call{provider, std::string(role), std::string(action), input, settings};
    calls.push_back(call);
    auto it = replies_.find(call.role + "." + call.action);
    if (it != replies_.end()) return it->second(call);
    if (call.role == "healthcheck")
      return {MI2_OK, Json{{"ok", true}, {"checks", Json::array()}}, ""};
    return {MI2_OK, Json::object(), ""};
  }

  // "role.action" of every call, in order.
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& c : calls) out.push_back(c.role + "." + c.action);
    return out;
  }

  std::vector<Call> calls;

 private:
  std::map<std::string, std::vector<std::string>> bound_;
  std::map<std::string, Reply> replies_;
  std::map<std::string, std::vector<std::string>> checks_;
  std::map<std::string, std::vector<std::string>> version_checks_;
};

}  // namespace mi2::test
