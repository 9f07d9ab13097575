#include "plugins/kubectl/kustomization_images.h"

#include <yaml-cpp/yaml.h>
#include <mi2/sdk/host.hpp>

#include <map>
#include <optional>
#include <regex>

namespace mi2::kubectl {
namespace {

struct Line {
  std::string body;  // without the line break
  std::string eol;   // "\n", "\r\n" or "" for the last line
};

std::vector<Line> split_lines(const std::string& text) {
  std::vector<Line> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back({text.substr(start), ""});
      break;
    }
    std::string body = text.substr(start, nl - start);
    std::string eol = "\n";
    if (!body.empty() && body.back() == '\r') {
      body.pop_back();
      eol = "\r\n";
    }
    lines.push_back({body, eol});
    start = nl + 1;
  }
  return lines;
}

size_t indent_of(const std::string& s) {
  size_t n = s.find_first_not_of(' ');
  return n == std::string::npos ? s.size() : n;
}

bool blank_or_comment(const std::string& s) {
  size_t n = s.find_first_not_of(" \t");
  return n == std::string::npos || s[n] == '#';
}

// One `key: value` of an item, with where its value sits on the line.
struct Field {
  size_t line = 0;
  size_t key_column = 0;
  size_t value_begin = 0, value_end = 0;  // [begin, end) of the value text incl. quotes
  char quote = 0;
  std::string value;  // unquoted
};

std::optional<Field> parse_field(const std::string& body, size_t from, std::string& key) {
  static const std::regex field_re(R"(([A-Za-z_][A-Za-z0-9_]*):(\s+|$))");
  std::smatch m;
  std::string rest = body.substr(from);
  if (!std::regex_search(rest, m, field_re, std::regex_constants::match_continuous))
    return std::nullopt;
  key = m[1];
  Field f;
  f.key_column = from;
  f.value_begin = from + m.length(0);
  size_t end = f.value_begin;
  if (end < body.size() && (body[end] == '"' || body[end] == '\'')) {
    f.quote = body[end];
    size_t close = body.find(f.quote, end + 1);
    if (close == std::string::npos) close = body.size() - 1;
    f.value = body.substr(end + 1, close - end - 1);
    f.value_end = close + 1;
  } else {
    size_t comment = body.find(" #", end);
    size_t stop = comment == std::string::npos ? body.size() : comment;
    while (stop > end && (body[stop - 1] == ' ' || body[stop - 1] == '\t')) --stop;
    f.value = body.substr(end, stop - end);
    f.value_end = stop;
  }
  return f;
}

struct Item {
  size_t first_line = 0, last_field_line = 0;
  size_t field_column = 0;
  std::map<std::string, Field> fields;
};

// A plain scalar YAML would read as something other than a string gets quotes.
std::string render_scalar(const std::string& value, char quote) {
  static const std::regex non_string(
      R"(([-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|true|false|yes|no|on|off|null|~|True|False|Null|TRUE|FALSE|NULL))");
  if (quote) return std::string(1, quote) + value + std::string(1, quote);
  if (std::regex_match(value, non_string)) return "\"" + value + "\"";
  return value;
}

std::string strip_docker_hub(std::string ref) {
  for (const char* prefix : {"index.docker.io/", "docker.io/"})
    if (ref.rfind(prefix, 0) == 0) return ref.substr(std::string(prefix).size());
  return ref;
}

std::string last_part(const std::string& ref) {
  size_t slash = ref.rfind('/');
  return slash == std::string::npos ? ref : ref.substr(slash + 1);
}

}  // namespace

bool is_image_tag(const std::string& tag) {
  static const std::regex tag_re("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  return std::regex_match(tag, tag_re);
}

ImageFilter application_images(const Settings& settings) {
  if (!settings.images.empty()) {
    std::vector<std::string> wanted = settings.images;
    return [wanted](const std::string& name, const std::string& new_name) {
      for (const auto& w : wanted) {
        for (const auto& ref : {name, new_name}) {
          if (ref.empty()) continue;
          if (ref == w || strip_docker_hub(ref) == strip_docker_hub(w) || last_part(ref) == w)
            return true;
        }
      }
      return false;
    };
  }
  std::string prefix = strip_docker_hub(settings.registry) + "/";
  return [prefix](const std::string& name, const std::string& new_name) {
    const std::string& ref = new_name.empty() ? name : new_name;
    return strip_docker_hub(ref).rfind(prefix, 0) == 0;
  };
}

ImageTagResult set_image_tags(const std::string& yaml_text, const ImageFilter& is_app_image,
                              const std::string& tag, const std::string& file_label) {
  std::vector<Line> lines = split_lines(yaml_text);
  static const std::regex images_key(R"(images:\s*(#.*)?)");
  size_t start = lines.size();
  for (size_t i = 0; i < lines.size(); ++i) {
    if (std::regex_match(lines[i].body, images_key)) {
      start = i;
      break;
    }
    if (lines[i].body.rfind("images:", 0) == 0)
      throw sdk::failed(file_label +
                        " lists images in flow style; write them one per line "
                        "(block style) so mi2 can set their tags.");
  }
  ImageTagResult result;
  result.text = yaml_text;
  if (start == lines.size()) return result;

  // Collect the list items of the block.
  std::vector<Item> items;
  std::optional<size_t> dash_indent;
  for (size_t i = start + 1; i < lines.size(); ++i) {
    const std::string& body = lines[i].body;
    if (blank_or_comment(body)) continue;
    size_t indent = indent_of(body);
    bool dash =
        body.compare(indent, 1, "-") == 0 && (body.size() == indent + 1 || body[indent + 1] == ' ');
    if (indent == 0 && !dash) break;  // the next top-level key
    if (dash && (!dash_indent || indent == *dash_indent)) {
      dash_indent = indent;
      Item item;
      item.first_line = item.last_field_line = i;
      item.field_column = body.find_first_not_of(' ', indent + 1);
      if (item.field_column == std::string::npos) item.field_column = indent + 2;
      items.push_back(item);
      std::string key;
      if (auto f = parse_field(body, item.field_column, key)) {
        f->line = i;
        items.back().fields[key] = *f;
      }
      continue;
    }
    if (items.empty() || !dash_indent || indent <= *dash_indent) break;
    std::string key;
    if (auto f = parse_field(body, indent, key)) {
      f->line = i;
      items.back().fields[key] = *f;
      items.back().last_field_line = i;
      if (items.back().fields.size() == 1) items.back().field_column = indent;
    }
  }

  // Edit from the bottom up so earlier line numbers stay valid.
  std::vector<std::optional<std::string>> replaced(lines.size());
  std::vector<bool> removed(lines.size(), false);
  std::map<size_t, std::string> inserted_after;
  for (const Item& item : items) {
    auto get = [&](const char* k) { return item.fields.count(k) ? item.fields.at(k).value : ""; };
    std::string name = get("name");
    if (name.empty() || !is_app_image(name, get("newName"))) continue;
    ImageTagEdit edit{name, get("newTag"), tag, false};
    if (item.fields.count("newTag")) {
      const Field& f = item.fields.at("newTag");
      if (f.value != tag) {
        std::string body = lines[f.line].body;
        replaced[f.line] =
            body.substr(0, f.value_begin) + render_scalar(tag, f.quote) + body.substr(f.value_end);
      }
    } else {
      inserted_after[item.last_field_line] =
          std::string(item.field_column, ' ') + "newTag: " + render_scalar(tag, 0);
    }
    if (item.fields.count("digest")) {
      removed[item.fields.at("digest").line] = true;
      edit.digest_removed = true;
    }
    result.edits.push_back(edit);
  }

  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string eol = lines[i].eol.empty() ? "\n" : lines[i].eol;
    if (!removed[i]) out += (replaced[i] ? *replaced[i] : lines[i].body) + lines[i].eol;
    if (inserted_after.count(i)) {
      if (lines[i].eol.empty() && !removed[i]) out += "\n";
      out += inserted_after[i] + eol;
    }
  }
  result.changed = out != yaml_text;
  result.text = out;

  // The edit must read back as intended, or it is not written.
  try {
    YAML::Node root = YAML::Load(out);
    for (const ImageTagEdit& edit : result.edits) {
      bool found = false;
      for (const auto& entry : root["images"])
        if (entry["name"] && entry["name"].as<std::string>() == edit.name && entry["newTag"] &&
            entry["newTag"].as<std::string>() == tag)
          found = true;
      if (!found) throw sdk::failed("");
    }
  } catch (const std::exception&) {
    throw sdk::failed("mi2 could not set the image tags in " + file_label +
                      " without breaking it; set newTag: " + tag +
                      " on the application's images: entries by hand.");
  }
  return result;
}

}  // namespace mi2::kubectl
