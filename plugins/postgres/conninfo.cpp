#include "plugins/postgres/conninfo.h"

#include <cctype>
#include <stdexcept>

namespace mi2::postgres {
namespace {

bool is_keyword(const std::string& key) {
  if (key.empty()) return false;
  for (char c : key)
    if (!std::islower(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || hex_value(text[i + 1]) < 0 || hex_value(text[i + 2]) < 0)
      throw std::invalid_argument("the URI has a malformed %-escape");
    out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
    i += 2;
  }
  return out;
}

// "h1:5432,h2" -> hosts "h1,h2", ports "5432," (libpq's lists); [v6] kept bare.
void split_hosts(const std::string& hostspec, std::string& hosts, std::string& ports) {
  bool any_port = false;
  size_t start = 0;
  while (start <= hostspec.size()) {
    size_t comma = hostspec.find(',', start);
    std::string one = hostspec.substr(start, comma == std::string::npos ? comma : comma - start);
    std::string host = one, port;
    if (!one.empty() && one[0] == '[') {
      size_t close = one.find(']');
      if (close == std::string::npos) throw std::invalid_argument("the URI has an unclosed [");
      host = one.substr(1, close - 1);
      if (close + 1 < one.size() && one[close + 1] == ':') port = one.substr(close + 2);
    } else if (size_t colon = one.rfind(':'); colon != std::string::npos) {
      host = one.substr(0, colon);
      port = one.substr(colon + 1);
    }
    any_port = any_port || !port.empty();
    hosts += (start ? "," : "") + percent_decode(host);
    ports += (start ? "," : "") + port;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (!any_port) ports.clear();
}

}  // namespace

Conninfo Conninfo::parse(const std::string& text) {
  for (const char* scheme : {"postgresql://", "postgres://"}) {
    std::string prefix = scheme;
    if (text.compare(0, prefix.size(), prefix) == 0) return parse_uri(text, prefix.size());
  }
  if (text.find('=') == std::string::npos) {
    // A bare word is a database name, as psql -d takes it.
    Conninfo c;
    size_t first = text.find_first_not_of(" \t\n");
    if (first == std::string::npos) throw std::invalid_argument("the connection string is empty");
    size_t last = text.find_last_not_of(" \t\n");
    std::string name = text.substr(first, last - first + 1);
    if (name.find_first_of(" \t\n") != std::string::npos)
      throw std::invalid_argument("the connection string has words without '='");
    c.set("dbname", name);
    return c;
  }
  return parse_keywords(text);
}

Conninfo Conninfo::parse_uri(const std::string& text, size_t scheme_length) {
  Conninfo c;
  std::string rest = text.substr(scheme_length);
  std::string query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string path;
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (size_t at = rest.rfind('@'); at != std::string::npos) {
    std::string userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = userinfo.find(':');
    if (!userinfo.substr(0, colon).empty())
      c.set("user", percent_decode(userinfo.substr(0, colon)));
    if (colon != std::string::npos) c.set("password", percent_decode(userinfo.substr(colon + 1)));
  }
  if (!rest.empty()) {
    std::string hosts, ports;
    split_hosts(rest, hosts, ports);
    if (hosts.find_first_not_of(',') != std::string::npos) c.set("host", hosts);
    if (!ports.empty()) c.set("port", ports);
  }
  if (!path.empty()) c.set("dbname", percent_decode(path));
  size_t start = 0;
  while (!query.empty() && start <= query.size()) {
    size_t amp = query.find('&', start);
    std::string pair = query.substr(start, amp == std::string::npos ? amp : amp - start);
    size_t eq = pair.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("a URI parameter has no '='");
    std::string key = percent_decode(pair.substr(0, eq));
    if (!is_keyword(key)) throw std::invalid_argument("a URI parameter name is not a keyword");
    c.set(key, percent_decode(pair.substr(eq + 1)));
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return c;
}

Conninfo Conninfo::parse_keywords(const std::string& text) {
  Conninfo c;
  size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  while (true) {
    skip_space();
    if (i >= text.size()) break;
    size_t key_start = i;
    while (i < text.size() && text[i] != '=' && !std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    std::string key = text.substr(key_start, i - key_start);
    skip_space();
    if (i >= text.size() || text[i] != '=')
      throw std::invalid_argument("a word of the connection string has no '=' after it");
    if (!is_keyword(key))
      throw std::invalid_argument("a keyword of the connection string is not lower-case letters");
    ++i;
    skip_space();
    std::string value;
    if (i < text.size() && text[i] == '\'') {
      ++i;
      bool closed = false;
      for (; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          value += text[++i];
        } else if (text[i] == '\'') {
          closed = true;
          ++i;
          break;
        } else {
          value += text[i];
        }
      }
      if (!closed) throw std::invalid_argument("a quoted value is not closed");
    } else {
      for (; i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])); ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value += text[i];
      }
    }
    c.set(key, value);
  }
  return c;
}

std::string Conninfo::get(const std::string& key) const {
  for (const auto& [k, v] : params_)
    if (k == key) return v;
  return "";
}

bool Conninfo::has(const std::string& key) const {
  for (const auto& [k, v] : params_)
    if (k == key) return true;
  return false;
}

void Conninfo::set(const std::string& key, const std::string& value) {
  for (auto& [k, v] : params_) {
    if (k != key) continue;
    v = value;
    return;
  }
  params_.emplace_back(key, value);
}

std::string Conninfo::str() const {
  std::string out;
  for (const auto& [key, value] : params_) {
    bool quote = value.empty() || value.find_first_of(" \t\n'\\") != std::string::npos;
    std::string shown;
    for (char ch : value) {
      if (quote && (ch == '\'' || ch == '\\')) shown += '\\';
      shown += ch;
    }
    out += (out.empty() ? "" : " ") + key + "=" + (quote ? "'" + shown + "'" : shown);
  }
  return out;
}

}  // namespace mi2::postgres
