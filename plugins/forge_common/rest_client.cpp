#include "forge_common/rest_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>
#include <type_traits>

namespace mi2::forge {

namespace {

bool is_absolute(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

// "https://host:port" of an absolute URL.
std::string origin_of(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  size_t slash = url.find('/', scheme + 3);
  return slash == std::string::npos ? url : url.substr(0, slash);
}

std::optional<uint64_t> parse_uint(const std::string& text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

std::optional<std::string> ApiResponse::header(const std::string& lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return std::nullopt;
}

Json ApiResponse::json() const {
  if (body.empty()) return nullptr;
  Json parsed = Json::parse(body, nullptr, false);
  return parsed.is_discarded() ? Json(nullptr) : parsed;
}

RestClient::RestClient(sdk::Host host, ClientSettings settings)
    : host_(host), settings_(std::move(settings)) {
  while (!settings_.base_url.empty() && settings_.base_url.back() == '/')
    settings_.base_url.pop_back();
}

std::string RestClient::url_for(const std::string& path) const {
  if (is_absolute(path)) return path;
  return settings_.base_url + path;
}

std::string RestClient::endpoint_of(const std::string& method, const std::string& url) const {
  std::string path = url;
  if (path.rfind(settings_.base_url, 0) == 0) {
    path = path.substr(settings_.base_url.size());
  } else {
    std::string origin = origin_of(url);
    path = path.substr(origin.size());
  }
  size_t query = path.find('?');
  if (query != std::string::npos) path.resize(query);
  return method + " " + (path.empty() ? "/" : path);
}

void RestClient::wait(uint32_t ms) const {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    if (host_.cancelled()) throw sdk::Error(MI2_CANCELLED, settings_.forge + " request cancelled");
    auto left = until - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(20)));
  }
  if (host_.cancelled()) throw sdk::Error(MI2_CANCELLED, settings_.forge + " request cancelled");
}

std::optional<uint64_t> RestClient::rate_limit_wait_ms(const ApiResponse& response) const {
  if (auto retry_after = response.header("retry-after")) {
    if (auto seconds = parse_uint(trim(*retry_after))) return *seconds * 1000;
  }
  auto remaining = response.header("x-ratelimit-remaining");
  if (!remaining) remaining = response.header("ratelimit-remaining");
  auto reset = response.header("x-ratelimit-reset");
  if (!reset) reset = response.header("ratelimit-reset");
  if (remaining && trim(*remaining) == "0" && reset) {
    if (auto epoch = parse_uint(trim(*reset))) {
      auto now = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
      uint64_t now_s = static_cast<uint64_t>(now);
      return *epoch > now_s ? (*epoch - now_s) * 1000 : 0;
    }
  }
  return std::nullopt;
}

void RestClient::give_up(int status, const std::string& endpoint, const ApiResponse& response,
                         const std::string& extra, bool rate_limited) const {
  std::string message = api_message(response.body);
  std::string sentence;
  if (settings_.explain && !rate_limited) sentence = settings_.explain(status, endpoint, message);
  if (sentence.empty()) {
    sentence = settings_.forge + " API " + endpoint + " failed with status " +
               std::to_string(status) + extra + (message.empty() ? "" : ": " + message);
    if (sentence.back() != '.') sentence += '.';
  }
  bool transient = rate_limited || status >= 500 || status == 429 || status == 0;
  throw sdk::Error(transient ? MI2_RETRYABLE : MI2_FAILED, sentence);
}

ApiResponse RestClient::call(const std::string& method, const std::string& path, const Json& body,
                             std::vector<int> accept, bool retry_server_errors) {
  last_status_ = -1;
  if (!ready_) {
    if (settings_.before_first_request) settings_.before_first_request();
    ready_ = true;
  }
  std::string url = url_for(path);
  // A pagination link pointing elsewhere would carry our token to another host.
  if (origin_of(url) != origin_of(settings_.base_url)) {
    throw sdk::failed(settings_.forge + " API returned a link to " + origin_of(url) +
                      ", outside api_url " + settings_.base_url + "; refusing to follow it.");
  }
  std::string endpoint = endpoint_of(method, url);

  sdk::HttpRequest request;
  request.method = method;
  request.url = url;
  request.headers = settings_.headers;
  if (!body.is_null()) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body.dump();
  }
  request.timeout_ms = settings_.retry.timeout_ms;
  request.mutating = method != "GET" && method != "HEAD";

  const int max_attempts = std::max(1, settings_.retry.max_attempts);
  const int server_error_attempts = retry_server_errors ? max_attempts : 1;
  for (int attempt = 1;; ++attempt) {
    uint32_t backoff = settings_.retry.backoff_base_ms * (1u << std::min(attempt - 1, 10));
    std::string attempts = " after " + std::to_string(attempt) + " attempts";
    ApiResponse response;
    try {
      last_status_ = 0;
      sdk::HttpResponse raw = host_.http(request);
      last_status_ = raw.skipped_dry_run ? -1 : raw.status;
      response.status = raw.status;
      response.headers = std::move(raw.headers);
      response.body = std::move(raw.body);
      response.skipped_dry_run = raw.skipped_dry_run;
    } catch (const sdk::Error& e) {
      if (e.status() == MI2_CANCELLED || e.status() == MI2_INVALID_INPUT) throw;
      if (attempt >= server_error_attempts) {
        throw sdk::retryable(settings_.forge + " API " + endpoint + " got no response" +
                             (attempt > 1 ? attempts : "") + " (" + e.what() +
                             "); check api_url and the network.");
      }
      host_.warn(settings_.forge + " API " + endpoint + " got no response; retrying in " +
                 std::to_string(backoff) + " ms");
      wait(backoff);
      continue;
    }
    if (response.skipped_dry_run) return response;
    if (response.status >= 200 && response.status < 300) return response;
    if (std::find(accept.begin(), accept.end(), response.status) != accept.end()) return response;

    if (response.status == 429 || response.status == 403) {
      std::optional<uint64_t> wait_ms = rate_limit_wait_ms(response);
      if (!wait_ms && response.status == 429) wait_ms = backoff;
      // GitHub's secondary rate limit may come without headers: its docs say
      // to wait at least a minute.
      if (!wait_ms && lower(api_message(response.body)).find("rate limit") != std::string::npos)
        wait_ms = 60000;
      if (wait_ms) {
        if (*wait_ms > settings_.retry.max_retry_wait_ms) {
          give_up(response.status, endpoint, response,
                  " (rate limited; the limit resets in " + std::to_string(*wait_ms / 1000) +
                      " s, longer than max_retry_wait_ms " +
                      std::to_string(settings_.retry.max_retry_wait_ms) + "; try again later)",
                  true);
        }
        if (attempt >= max_attempts)
          give_up(response.status, endpoint, response, attempts + " (rate limited)", true);
        host_.warn(settings_.forge + " API " + endpoint + " is rate limited (status " +
                   std::to_string(response.status) + "); waiting " + std::to_string(*wait_ms) +
                   " ms");
        wait(static_cast<uint32_t>(*wait_ms));
        continue;
      }
    }
    if (response.status >= 500) {
      if (attempt >= server_error_attempts) {
        give_up(response.status, endpoint, response, attempt > 1 ? attempts : "");
      }
      host_.warn(settings_.forge + " API " + endpoint + " answered " +
                 std::to_string(response.status) + "; retrying in " + std::to_string(backoff) +
                 " ms");
      wait(backoff);
      continue;
    }
    give_up(response.status, endpoint, response, "");
  }
}

std::vector<Json> RestClient::get_all(const std::string& path, size_t max_items) {
  std::vector<Json> items;
  std::string url = path;
  for (int page = 0; page < 1000 && items.size() < max_items; ++page) {
    ApiResponse response = call("GET", url);
    Json list = response.json();
    if (!list.is_array()) {
      throw sdk::failed(settings_.forge + " API " + endpoint_of("GET", url_for(url)) +
                        " did not return a JSON list.");
    }
    for (auto& item : list) items.push_back(std::move(item));
    auto link = response.header("link");
    if (!link) break;
    auto next = next_link(*link);
    if (!next) break;
    url = *next;
  }
  return items;
}

RetryPolicy retry_policy_from(const Json& config) {
  RetryPolicy policy;
  auto read = [&](const char* key, auto& field, long long min, long long max) {
    if (!config.contains(key)) return;
    const Json& value = config[key];
    if (!value.is_number_integer() || value.get<long long>() < min || value.get<long long>() > max)
      throw sdk::invalid_input(std::string("config '") + key + "' must be a whole number from " +
                               std::to_string(min) + " to " + std::to_string(max) + ".");
    field = static_cast<std::decay_t<decltype(field)>>(value.get<long long>());
  };
  read("max_attempts", policy.max_attempts, 1, 20);
  read("backoff_base_ms", policy.backoff_base_ms, 0, 60000);
  read("max_retry_wait_ms", policy.max_retry_wait_ms, 0, 3600000);
  read("timeout_ms", policy.timeout_ms, 0, 600000);
  return policy;
}

std::string config_string(const Json& config, const std::string& plugin, const char* key,
                          const std::string& fallback) {
  if (!config.contains(key) || config[key].is_null()) return fallback;
  if (!config[key].is_string())
    throw sdk::invalid_input("mi2.yaml: plugins." + plugin + "." + key + " must be a string.");
  return config[key].get<std::string>();
}

std::optional<std::string> next_link(const std::string& link_header) {
  // <url>; rel="next", <url>; rel="last"
  size_t pos = 0;
  while (pos < link_header.size()) {
    size_t open = link_header.find('<', pos);
    if (open == std::string::npos) break;
    size_t close = link_header.find('>', open);
    if (close == std::string::npos) break;
    size_t end = link_header.find(",", close);
    std::string params = link_header.substr(
        close + 1, (end == std::string::npos ? link_header.size() : end) - close);
    if (params.find("rel=\"next\"") != std::string::npos ||
        params.find("rel=next") != std::string::npos)
      return link_header.substr(open + 1, close - open - 1);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return std::nullopt;
}

std::string url_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string api_message(const std::string& body) {
  Json parsed = Json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    std::string text = body.substr(0, 200);
    return text.find('<') == std::string::npos ? trim(text) : "";
  }
  std::string message;
  for (const char* key : {"message", "error", "error_description"}) {
    if (!parsed.contains(key)) continue;
    const Json& value = parsed[key];
    message = value.is_string() ? value.get<std::string>() : value.dump();
    break;
  }
  if (parsed.contains("errors") && parsed["errors"].is_array()) {
    for (const Json& error : parsed["errors"]) {
      std::string detail;
      if (error.is_string())
        detail = error.get<std::string>();
      else if (error.is_object() && error.contains("message"))
        detail = error["message"].is_string() ? error["message"].get<std::string>()
                                              : error["message"].dump();
      else if (error.is_object() && error.contains("code"))
        detail = error.value("field", "") + " " + error["code"].dump();
      if (!detail.empty()) message += (message.empty() ? "" : "; ") + detail;
    }
  }
  return message;
}

}  // namespace mi2::forge
