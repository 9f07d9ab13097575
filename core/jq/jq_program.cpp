#include "core/jq/jq_program.h"

// libjq 1.6 headers have no extern "C" guards.
extern "C" {
#include <jq.h>
}

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/base/text.h"
#include "core/jq/jq_native.h"

namespace mi2 {

namespace {

void collect_message(void* data, jv message) {
  auto* messages = static_cast<std::vector<std::string>*>(data);
  if (jv_get_kind(message) == JV_KIND_STRING) {
    messages->push_back(jv_string_value(message));
    jv_free(message);
    return;
  }
  jv text = jv_dump_string(message, 0);  // consumes message
  messages->push_back(jv_string_value(text));
  jv_free(text);
}

void drop_message(void*, jv message) {
  jv_free(message);
}

std::string strip_prefix(std::string message) {
  for (const char* prefix : {"jq: error: ", "jq: "}) {
    if (message.rfind(prefix, 0) == 0) return message.substr(std::string(prefix).size());
  }
  return message;
}

// The message of an invalid jv (consumed).
std::string invalid_message(jv invalid) {
  jv message = jv_invalid_get_msg(invalid);
  std::string text;
  if (jv_get_kind(message) == JV_KIND_STRING) {
    text = jv_string_value(message);
    jv_free(message);
  } else {
    jv dumped = jv_dump_string(message, 0);
    text = jv_string_value(dumped);
    jv_free(dumped);
  }
  return text;
}

std::string describe(const Json& value) {
  std::string text = value.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

// Runs `program` on `input` (consumed), calling `on_output` with each output
// jv (the callback owns it; it returns false to stop). Returns false with
// `error` set on a runtime error or when the watchdog halted the evaluation.
template <class OnOutput>
bool run_jv(jq_state* state, JqWatchdog& watchdog, jv input, OnOutput&& on_output,
            std::string& error) {
  watchdog.begin();
  jq_start(state, input, 0);
  bool ok = true;
  for (;;) {
    jv out = jq_next(state);
    if (jv_is_valid(out)) {
      if (on_output(out)) continue;
      break;
    }
    if (jv_invalid_has_msg(jv_copy(out))) {
      error = escape_control(invalid_message(out));
      ok = false;
    } else {
      jv_free(out);
    }
    break;
  }
  std::string halted = watchdog.end();
  if (halted.empty()) return ok;
  error = "it was stopped because " + halted +
          " (a filter reads one instance: does it loop, like repeat or a recursive def?)";
  return false;
}

// libjq 1.6 frees a halt_error's message at each reset without clearing it
// (a double free on the next input): filters get no halt.
const char* kNoHalt =
    "def halt: error(\"halt is not available in mi2 filters\"); "
    "def halt_error: halt; def halt_error(f): halt; ";

}  // namespace

Json jv_to_json(jv value) {
  switch (jv_get_kind(value)) {
    case JV_KIND_INVALID:
    case JV_KIND_NULL:
      return Json(nullptr);
    case JV_KIND_FALSE:
      return Json(false);
    case JV_KIND_TRUE:
      return Json(true);
    case JV_KIND_NUMBER: {
      double d = jv_number_value(value);
      // jq has only doubles; whole numbers print as integers, as jq prints them.
      if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9007199254740992.0)
        return Json(static_cast<std::int64_t>(d));
      return Json(d);
    }
    case JV_KIND_STRING:
      return Json(std::string(jv_string_value(value),
                              static_cast<size_t>(jv_string_length_bytes(jv_copy(value)))));
    case JV_KIND_ARRAY: {
      Json array = Json::array();
      int n = jv_array_length(jv_copy(value));
      for (int i = 0; i < n; ++i) {
        jv item = jv_array_get(jv_copy(value), i);
        array.push_back(jv_to_json(item));
        jv_free(item);
      }
      return array;
    }
    case JV_KIND_OBJECT: {
      Json object = Json::object();
      for (int it = jv_object_iter(value); jv_object_iter_valid(value, it);
           it = jv_object_iter_next(value, it)) {
        jv key = jv_object_iter_key(value, it);
        jv item = jv_object_iter_value(value, it);
        object[std::string(jv_string_value(key),
                           static_cast<size_t>(jv_string_length_bytes(jv_copy(key))))] =
            jv_to_json(item);
        jv_free(key);
        jv_free(item);
      }
      return object;
    }
  }
  return Json(nullptr);
}

jv json_to_jv(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded:
      return jv_null();
    case Json::value_t::boolean:
      return jv_bool(value.get<bool>());
    case Json::value_t::number_integer:
      return jv_number(static_cast<double>(value.get<std::int64_t>()));
    case Json::value_t::number_unsigned:
      return jv_number(static_cast<double>(value.get<std::uint64_t>()));
    case Json::value_t::number_float:
      return jv_number(value.get<double>());
    case Json::value_t::string: {
      const auto& s = value.get_ref<const std::string&>();
      return jv_string_sized(s.data(), static_cast<int>(s.size()));
    }
    case Json::value_t::binary:
      return jv_null();
    case Json::value_t::array: {
      jv array = jv_array_sized(static_cast<int>(value.size()));
      for (const auto& item : value) array = jv_array_append(array, json_to_jv(item));
      return array;
    }
    case Json::value_t::object: {
      jv object = jv_object();
      for (const auto& [key, item] : value.items())
        object = jv_object_set(object, jv_string_sized(key.data(), static_cast<int>(key.size())),
                               json_to_jv(item));
      return object;
    }
  }
  return jv_null();
}

namespace {

// jq_compile with its messages as one sentence's tail, or "" when it compiled.
std::string compile_into(jq_state* state, const std::string& program) {
  std::vector<std::string> messages;
  jq_set_error_cb(state, collect_message, &messages);
  int ok = jq_compile(state, program.c_str());
  jq_set_error_cb(state, drop_message, nullptr);
  if (ok) return "";
  std::string detail;
  for (const auto& m : messages) {
    // jq ends with a count ("jq: 1 compile error"); the first lines say what is wrong.
    if (m.find("compile error") != std::string::npos && m.rfind("jq: error", 0) != 0) continue;
    detail += (detail.empty() ? "" : "; ") + strip_prefix(m);
  }
  if (detail.empty()) detail = "syntax error";
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  return detail;
}

}  // namespace

Result<JqProgram> JqProgram::compile(const std::string& expression, JqLimits limits) {
  jq_state* state = jq_init();
  if (!state)
    return make_error("cannot start libjq to compile '" + escape_control(expression) + "'.");
  std::string detail = compile_into(state, expression);
  // Compiled as written first, so errors quote the user's text alone.
  if (detail.empty() && expression.find("halt") != std::string::npos) {
    jq_teardown(&state);
    state = jq_init();
    if (!state)
      return make_error("cannot start libjq to compile '" + escape_control(expression) + "'.");
    detail = compile_into(state, kNoHalt + expression);
  }
  if (!detail.empty()) {
    jq_teardown(&state);
    return make_error("jq expression '" + escape_control(expression) +
                      "' does not compile: " + escape_control(detail));
  }
  return JqProgram(state, expression, limits);
}

JqProgram::JqProgram(jq_state* state, std::string expression, JqLimits limits)
    : state_(state),
      expression_(std::move(expression)),
      watchdog_(std::make_unique<JqWatchdog>(state, limits)) {}

JqProgram::JqProgram(JqProgram&& other) noexcept
    : state_(other.state_),
      expression_(std::move(other.expression_)),
      watchdog_(std::move(other.watchdog_)) {
  other.state_ = nullptr;
}

JqProgram& JqProgram::operator=(JqProgram&& other) noexcept {
  if (this != &other) {
    watchdog_.reset();  // its thread goes before the state it watches
    if (state_) jq_teardown(&state_);
    state_ = other.state_;
    expression_ = std::move(other.expression_);
    watchdog_ = std::move(other.watchdog_);
    other.state_ = nullptr;
  }
  return *this;
}

JqProgram::~JqProgram() {
  watchdog_.reset();
  if (state_) jq_teardown(&state_);
}

Result<std::vector<Json>> JqProgram::run(const Json& input) const {
  std::vector<Json> outputs;
  std::string error;
  bool ok = run_jv(
      state_, *watchdog_, json_to_jv(input),
      [&](jv out) {
        outputs.push_back(jv_to_json(out));
        jv_free(out);
        return true;
      },
      error);
  if (!ok)
    return make_error("jq expression '" + escape_control(expression_) + "' failed: " + error);
  return outputs;
}

Result<bool> JqProgram::matches(const Json& input, const std::string& subject) const {
  return jq_matches(*this, json_to_jv(input), subject);
}

Result<bool> jq_matches(const JqProgram& program, jv input, const std::string& subject) {
  int count = 0;
  bool result = false;
  bool first_is_boolean = true;
  Json first;
  std::string error;
  bool ok = run_jv(
      program.native(), program.watchdog(), input,
      [&](jv out) {
        if (++count == 1) {
          jv_kind kind = jv_get_kind(out);
          first_is_boolean = kind == JV_KIND_TRUE || kind == JV_KIND_FALSE;
          result = kind == JV_KIND_TRUE;
          if (!first_is_boolean) first = jv_to_json(out);
        }
        jv_free(out);
        return count == 1 && first_is_boolean;  // the answer is known otherwise
      },
      error);
  std::string expression = escape_control(program.expression());
  std::string where = " on instance " + escape_control(subject);
  if (!ok) return make_error("filter '" + expression + "' failed" + where + ": " + error + ".");
  if (count == 1 && first_is_boolean) return result;
  std::string gave;
  if (count == 0)
    gave = "no output";
  else if (!first_is_boolean)
    gave = escape_control(describe(first)) + " (not a boolean)";
  else
    gave = "at least 2 outputs";
  return make_error("filter '" + expression + "' gave " + gave + where +
                    "; a filter must give exactly one true or false.");
}

}  // namespace mi2
