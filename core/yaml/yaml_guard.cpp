#include "core/yaml/yaml_guard.h"

#include "core/base/text.h"

namespace mi2 {

namespace {

std::string shown_key(const std::string& key) {
  std::string text = escape_control(key);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::string anchor_of(const yaml_char_t* anchor) {
  return anchor ? reinterpret_cast<const char*>(anchor) : "";
}

}  // namespace

std::string yaml_too_big(const std::string& path, size_t size) {
  return path + " is " + std::to_string(size) + " bytes, more than the " +
         std::to_string(kMaxYamlBytes >> 20) +
         " MiB mi2 reads from one YAML file; it is not a config file mi2 can use.";
}

std::optional<YamlProblem> YamlEventGuard::add_node(size_t nodes, size_t bytes,
                                                    const std::string* key, size_t line) {
  if (stack_.empty()) return std::nullopt;
  Frame& top = stack_.back();
  top.nodes += nodes;
  top.bytes += bytes;
  if (!top.is_map) return std::nullopt;
  bool is_key = top.expect_key;
  top.expect_key = !top.expect_key;
  if (!is_key || !key) return std::nullopt;
  auto [it, fresh] = top.keys.emplace(*key, line);
  if (fresh) return std::nullopt;
  return YamlProblem{line, "invalid YAML: the key '" + shown_key(*key) +
                               "' appears twice in one mapping (first on line " +
                               std::to_string(it->second) + ")"};
}

std::optional<YamlProblem> YamlEventGuard::on_event(const yaml_event_t& event) {
  size_t line = event.start_mark.line + 1;
  switch (event.type) {
    case YAML_SCALAR_EVENT: {
      std::string text(reinterpret_cast<const char*>(event.data.scalar.value),
                       event.data.scalar.length);
      if (event.data.scalar.anchor)
        anchors_[anchor_of(event.data.scalar.anchor)] = Anchor{1, text.size(), true, text};
      return add_node(1, text.size(), &text, line);
    }
    case YAML_ALIAS_EVENT: {
      auto it = anchors_.find(anchor_of(event.data.alias.anchor));
      if (it == anchors_.end())
        return YamlProblem{line, "invalid YAML: the alias *" +
                                     shown_key(anchor_of(event.data.alias.anchor)) +
                                     " names no anchor defined before it"};
      const Anchor& anchor = it->second;
      alias_nodes_ += anchor.nodes;
      alias_bytes_ += anchor.bytes;
      if (alias_nodes_ > kMaxYamlAliasNodes || alias_bytes_ > kMaxYamlAliasBytes)
        return YamlProblem{line, "its aliases expand to more than " +
                                     std::to_string(kMaxYamlAliasNodes) + " nodes or " +
                                     std::to_string(kMaxYamlAliasBytes >> 20) +
                                     " MiB (an alias bomb?), so mi2 refuses to read it"};
      return add_node(anchor.nodes, anchor.bytes, anchor.scalar ? &anchor.text : nullptr, line);
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
      bool is_map = event.type == YAML_MAPPING_START_EVENT;
      if (stack_.size() >= kMaxYamlDepth)
        return YamlProblem{line, "invalid YAML: lists and mappings nest more than " +
                                     std::to_string(kMaxYamlDepth) + " levels deep"};
      Frame frame;
      frame.is_map = is_map;
      frame.anchor =
          anchor_of(is_map ? event.data.mapping_start.anchor : event.data.sequence_start.anchor);
      stack_.push_back(std::move(frame));
      return std::nullopt;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
      if (stack_.empty()) return std::nullopt;
      Frame frame = std::move(stack_.back());
      stack_.pop_back();
      if (!frame.anchor.empty())
        anchors_[frame.anchor] = Anchor{frame.nodes, frame.bytes, false, ""};
      return add_node(frame.nodes, frame.bytes, nullptr, line);
    }
    default:
      return std::nullopt;
  }
}

Status check_yaml_document(std::string_view text, const std::string& path) {
  if (text.size() > kMaxYamlBytes) return make_error(yaml_too_big(path, text.size()));
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return make_error("cannot start the YAML parser.");
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  YamlEventGuard guard;
  Status status;
  for (bool done = false; !done;) {
    yaml_event_t event;
    if (!yaml_parser_parse(&parser, &event)) {
      std::string problem = parser.problem ? parser.problem : "syntax error";
      if (parser.context) problem = std::string(parser.context) + ", " + problem;
      status = make_error(path + ":" + std::to_string(parser.problem_mark.line + 1) +
                          ": invalid YAML: " + problem + ".");
      break;
    }
    done = event.type == YAML_STREAM_END_EVENT || event.type == YAML_DOCUMENT_END_EVENT;
    auto problem = guard.on_event(event);
    yaml_event_delete(&event);
    if (problem) {
      status =
          make_error(path + ":" + std::to_string(problem->line) + ": " + problem->message + ".");
      break;
    }
  }
  yaml_parser_delete(&parser);
  return status;
}

}  // namespace mi2
