#include "plugins/kubectl/registry.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdio>
#include <map>

namespace mi2::kubectl {
namespace {

constexpr uint32_t kTimeoutMs = 20000;

const char* kManifestTypes =
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

std::string percent_encoded(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

// `Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull"`
// -> {realm, service, scope}; empty for another scheme.
std::map<std::string, std::string> bearer_challenge(const std::string& header) {
  std::map<std::string, std::string> params;
  if (header.size() < 7 || header.compare(0, 7, "Bearer ") != 0) return params;
  size_t i = 7;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ',')) ++i;
    size_t eq = header.find('=', i);
    if (eq == std::string::npos) break;
    std::string name = header.substr(i, eq - i);
    std::string value;
    i = eq + 1;
    if (i < header.size() && header[i] == '"') {
      size_t close = header.find('"', i + 1);
      if (close == std::string::npos) break;
      value = header.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      size_t comma = header.find(',', i);
      value = header.substr(i, comma == std::string::npos ? std::string::npos : comma - i);
      i = comma == std::string::npos ? header.size() : comma;
    }
    params[name] = value;
  }
  return params;
}

sdk::HttpResponse get(const sdk::Host& host, const std::string& url, sdk::Headers headers) {
  sdk::HttpRequest request;
  request.url = url;
  request.headers = std::move(headers);
  request.timeout_ms = kTimeoutMs;
  return host.http(request);  // read-only: runs in a dry run too
}

// An anonymous token from the challenge's realm, "" when none is given.
std::string pull_token(const sdk::Host& host, const std::map<std::string, std::string>& challenge,
                       std::string& why) {
  auto realm = challenge.find("realm");
  if (realm == challenge.end() || realm->second.rfind("http", 0) != 0) {
    why = "it asks for credentials without a token realm";
    return "";
  }
  std::string url = realm->second;
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  for (const char* key : {"service", "scope"}) {
    auto it = challenge.find(key);
    if (it == challenge.end()) continue;
    url += sep + std::string(key) + "=" + percent_encoded(it->second);
    sep = '&';
  }
  sdk::HttpResponse r = get(host, url, {});
  nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, false);
  std::string token;
  if (r.status == 200 && doc.is_object()) {
    if (doc.contains("token") && doc["token"].is_string()) token = doc["token"];
    if (token.empty() && doc.contains("access_token") && doc["access_token"].is_string())
      token = doc["access_token"];
  }
  host.redact(token);
  if (token.empty())
    why = "its token service " + realm->second + " gave no anonymous token (HTTP " +
          std::to_string(r.status) + ")";
  return token;
}

}  // namespace

std::string registry_api_base(const Settings& settings) {
  if (settings.registry_api == "off") return "";
  if (!settings.registry_api.empty()) {
    std::string base = settings.registry_api;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
  }
  std::string host = settings.registry.substr(0, settings.registry.find('/'));
  if (host == "docker.io" || host == "index.docker.io") host = "registry-1.docker.io";
  return "https://" + host;
}

std::string registry_repository(const std::string& registry, const std::string& image) {
  size_t slash = registry.find('/');
  std::string path = slash == std::string::npos ? "" : registry.substr(slash + 1);
  return path.empty() ? image : path + "/" + image;
}

ImageLookup lookup_image(const sdk::Host& host, const std::string& api,
                         const std::string& repository, const std::string& tag) {
  ImageLookup out;
  out.url = api + "/v2/" + repository + "/manifests/" + tag;
  sdk::Headers headers = {{"Accept", kManifestTypes}};
  try {
    sdk::HttpResponse r = get(host, out.url, headers);
    if (r.status == 401) {
      auto challenge = bearer_challenge(r.header("www-authenticate").value_or(""));
      std::string token = challenge.empty() ? "" : pull_token(host, challenge, out.why);
      if (challenge.empty()) out.why = "it asks for credentials mi2 does not have (HTTP 401)";
      if (token.empty()) return out;
      headers.emplace_back("Authorization", "Bearer " + token);
      r = get(host, out.url, headers);
    }
    if (r.status == 200) {
      out.answer = ImageLookup::kFound;
    } else if (r.status == 404) {
      out.answer = ImageLookup::kMissing;
      out.why = "HTTP 404";
    } else {
      out.why = "HTTP " + std::to_string(r.status);
    }
  } catch (const sdk::Error& e) {
    if (e.status() != MI2_FAILED) throw;  // cancelled, deadline: not a registry answer
    out.why = e.what();
  }
  return out;
}

}  // namespace mi2::kubectl
