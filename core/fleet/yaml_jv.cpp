#include "core/fleet/yaml_jv.h"

#include <yaml.h>  // libyaml

#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <vector>

#include "core/fleet/yaml_block_reader.h"
#include "core/yaml/yaml_guard.h"
#include "core/yaml/yaml_scalar.h"

namespace mi2 {

namespace {

// Builds one jv document from libyaml events (the first document only, as
// YAML::Load does). Anchors and aliases are resolved; keys are the raw text.
class JvBuilder {
 public:
  ~JvBuilder() {
    for (auto& frame : stack_) {
      jv_free(frame.value);
      jv_free(frame.key);
    }
    for (auto& [name, value] : anchors_) jv_free(value);
    jv_free(result_);
  }

  // Returns false with `error` set on an error: a non-scalar key, or what
  // YamlEventGuard refuses (a duplicate key, deep nesting, an alias bomb).
  bool on_event(const yaml_event_t& event, std::string& error) {
    if (auto problem = guard_.on_event(event)) {
      error = std::to_string(problem->line) + ": " + problem->message;
      return false;
    }
    switch (event.type) {
      case YAML_SCALAR_EVENT: {
        std::string_view text(reinterpret_cast<const char*>(event.data.scalar.value),
                              event.data.scalar.length);
        const char* tag = reinterpret_cast<const char*>(event.data.scalar.tag);
        bool as_string = event.data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                         (tag && std::strcmp(tag, "tag:yaml.org,2002:str") == 0);
        if (!stack_.empty() && stack_.back().is_map && !jv_is_valid(stack_.back().key)) {
          // A mapping key: its raw text.
          jv_free(stack_.back().key);
          stack_.back().key = jv_string_sized(text.data(), static_cast<int>(text.size()));
          remember(event.data.scalar.anchor, stack_.back().key);
          return true;
        }
        jv value = as_string ? jv_string_sized(text.data(), static_cast<int>(text.size()))
                             : plain_scalar_to_jv(text);
        remember(event.data.scalar.anchor, value);
        return add(value, error, event);
      }
      case YAML_ALIAS_EVENT: {
        auto it = anchors_.find(reinterpret_cast<const char*>(event.data.alias.anchor));
        jv value = it == anchors_.end() ? jv_null() : jv_copy(it->second);
        if (!stack_.empty() && stack_.back().is_map && !jv_is_valid(stack_.back().key)) {
          if (jv_get_kind(value) != JV_KIND_STRING) {
            jv_free(value);
            return key_error(error, event);
          }
          jv_free(stack_.back().key);
          stack_.back().key = value;
          return true;
        }
        return add(value, error, event);
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (!stack_.empty() && stack_.back().is_map && !jv_is_valid(stack_.back().key))
          return key_error(error, event);
        bool is_map = event.type == YAML_MAPPING_START_EVENT;
        const yaml_char_t* anchor =
            is_map ? event.data.mapping_start.anchor : event.data.sequence_start.anchor;
        stack_.push_back(Frame{is_map ? jv_object() : jv_array(), jv_invalid(), is_map,
                               anchor ? reinterpret_cast<const char*>(anchor) : ""});
        return true;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        Frame frame = stack_.back();
        stack_.pop_back();
        jv_free(frame.key);
        if (!frame.anchor.empty()) {
          auto& slot = anchors_[frame.anchor];
          jv_free(slot);
          slot = jv_copy(frame.value);
        }
        return add(frame.value, error, event);
      }
      case YAML_DOCUMENT_END_EVENT:
        done_ = true;
        return true;
      default:
        return true;
    }
  }

  bool done() const { return done_; }
  // The document (null when empty); the caller owns it.
  jv take() {
    jv out = have_result_ ? result_ : jv_null();
    result_ = jv_invalid();
    have_result_ = false;
    return out;
  }

 private:
  struct Frame {
    jv value;
    jv key;  // invalid until the key of the next entry is read
    bool is_map;
    std::string anchor;
  };

  void remember(const yaml_char_t* anchor, jv value) {
    if (!anchor) return;
    auto& slot = anchors_[reinterpret_cast<const char*>(anchor)];
    jv_free(slot);
    slot = jv_copy(value);
  }

  bool key_error(std::string& error, const yaml_event_t& event) {
    error = std::to_string(event.start_mark.line + 1) +
            ": a mapping key must be a plain value, not a list or a mapping";
    return false;
  }

  bool add(jv value, std::string&, const yaml_event_t&) {
    if (stack_.empty()) {
      jv_free(result_);
      result_ = value;
      have_result_ = true;
      return true;
    }
    Frame& top = stack_.back();
    if (top.is_map) {
      top.value = jv_object_set(top.value, top.key, value);
      top.key = jv_invalid();
    } else {
      top.value = jv_array_append(top.value, value);
    }
    return true;
  }

  YamlEventGuard guard_;
  std::vector<Frame> stack_;
  std::map<std::string, jv> anchors_;
  jv result_ = jv_invalid();
  bool have_result_ = false;
  bool done_ = false;
};

}  // namespace

Result<jv> parse_to_jv(const char* text, size_t size, const std::string& path) {
  if (size > kMaxYamlBytes) return make_error(yaml_too_big(path, size));
  if (auto simple = read_simple_block_yaml(std::string_view(text, size))) return *simple;
  return parse_to_jv_with_libyaml(text, size, path);
}

jv plain_scalar_to_jv(std::string_view text) {
  PlainScalar scalar = classify_plain_scalar(text);
  switch (scalar.kind) {
    case PlainScalarKind::kNull:
      return jv_null();
    case PlainScalarKind::kBool:
      return jv_bool(scalar.boolean);
    case PlainScalarKind::kInt:
      return jv_number(scalar.is_unsigned ? static_cast<double>(scalar.unsigned_integer)
                                          : static_cast<double>(scalar.integer));
    case PlainScalarKind::kFloat:
      return jv_number(scalar.number);
    case PlainScalarKind::kString:
      break;
  }
  return jv_string_sized(text.data(), static_cast<int>(text.size()));
}

Result<jv> parse_to_jv_with_libyaml(const char* text, size_t size, const std::string& path) {
  if (size > kMaxYamlBytes) return make_error(yaml_too_big(path, size));
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return make_error("cannot start the YAML parser.");
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text), size);
  JvBuilder builder;
  std::string error;
  for (;;) {
    yaml_event_t event;
    if (!yaml_parser_parse(&parser, &event)) {
      std::string problem = parser.problem ? parser.problem : "syntax error";
      size_t line = parser.problem_mark.line + 1;
      if (parser.context) problem = std::string(parser.context) + ", " + problem;
      yaml_parser_delete(&parser);
      return make_error(path + ":" + std::to_string(line) + ": invalid YAML: " + problem + ".");
    }
    bool end = event.type == YAML_STREAM_END_EVENT;
    bool ok = builder.on_event(event, error);
    yaml_event_delete(&event);
    if (!ok) {
      yaml_parser_delete(&parser);
      return make_error(path + ":" + error + ".");
    }
    if (end || builder.done()) break;
  }
  yaml_parser_delete(&parser);
  return builder.take();
}

namespace {

void append_json_string(std::string& out, const char* text, size_t size) {
  out += '"';
  for (size_t i = 0; i < size; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      static const char* kHex = "0123456789abcdef";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

}  // namespace

// `value` as compact JSON (for the cache); false when it holds a number JSON
// cannot carry (inf, nan). Faster than jv_dump_string, which matters on a
// cold scan of thousands of files.
bool append_json(std::string& out, jv value) {
  switch (jv_get_kind(value)) {
    case JV_KIND_INVALID:
    case JV_KIND_NULL:
      out += "null";
      return true;
    case JV_KIND_FALSE:
      out += "false";
      return true;
    case JV_KIND_TRUE:
      out += "true";
      return true;
    case JV_KIND_NUMBER: {
      double d = jv_number_value(value);
      if (!std::isfinite(d)) return false;
      char buffer[32];
      auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
      if (ec != std::errc()) return false;
      out.append(buffer, end);
      return true;
    }
    case JV_KIND_STRING:
      append_json_string(out, jv_string_value(value),
                         static_cast<size_t>(jv_string_length_bytes(jv_copy(value))));
      return true;
    case JV_KIND_ARRAY: {
      out += '[';
      int n = jv_array_length(jv_copy(value));
      for (int i = 0; i < n; ++i) {
        if (i) out += ',';
        jv item = jv_array_get(jv_copy(value), i);
        bool ok = append_json(out, item);
        jv_free(item);
        if (!ok) return false;
      }
      out += ']';
      return true;
    }
    case JV_KIND_OBJECT: {
      out += '{';
      bool first = true;
      for (int it = jv_object_iter(value); jv_object_iter_valid(value, it);
           it = jv_object_iter_next(value, it)) {
        if (!first) out += ',';
        first = false;
        jv key = jv_object_iter_key(value, it);
        append_json_string(out, jv_string_value(key),
                           static_cast<size_t>(jv_string_length_bytes(jv_copy(key))));
        jv_free(key);
        out += ':';
        jv item = jv_object_iter_value(value, it);
        bool ok = append_json(out, item);
        jv_free(item);
        if (!ok) return false;
      }
      out += '}';
      return true;
    }
  }
  return false;
}

}  // namespace mi2
