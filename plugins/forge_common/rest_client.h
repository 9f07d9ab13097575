// A forge's REST API seen through the host's http service: JSON in and out,
// retries on 5xx and lost connections with backoff, waits on rate limits
// (Retry-After, X-RateLimit-Reset / RateLimit-Reset) and pagination by the
// Link header. Failures become one sentence naming the endpoint and status.
#pragma once

#include <mi2/sdk/host.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mi2::forge {

using Json = nlohmann::json;

struct RetryPolicy {
  int max_attempts = 5;                // per request, the first try included
  uint32_t backoff_base_ms = 500;      // 5xx / no response: base * 2^(attempt-1)
  uint32_t max_retry_wait_ms = 60000;  // a longer rate-limit wait gives up instead
  uint32_t timeout_ms = 30000;         // per exchange
};

struct ApiResponse {
  int status = 0;
  sdk::Headers headers;
  std::string body;
  bool skipped_dry_run = false;  // a mutating request in a dry run: nothing was sent

  std::optional<std::string> header(const std::string& lower_name) const;
  Json json() const;  // the body parsed; null when empty or not JSON
};

struct ClientSettings {
  std::string forge;     // "GitHub", "GitLab": the start of every sentence
  std::string base_url;  // no trailing slash
  sdk::Headers headers;  // sent with every request (auth, accept, user agent)
  RetryPolicy retry;
  // The sentence for a final 4xx: given status, endpoint ("GET /x/y") and the
  // API's own message. Empty result: the generic sentence is used.
  std::function<std::string(int, const std::string&, const std::string&)> explain;
  // Called once before the first request; throws when the client cannot be
  // used (no token). Lets a plugin load without a token for dry runs and
  // commands that never reach the forge.
  std::function<void()> before_first_request;
};

class RestClient {
 public:
  RestClient(sdk::Host host, ClientSettings settings);

  // `path` starts with '/' and is appended to base_url; an absolute URL is
  // used as is (pagination links). Statuses in `accept` (besides 2xx) are
  // returned to the caller; any other non-2xx throws sdk::Error.
  // `retry_server_errors` false: a 5xx or a lost response is not retried here
  // (for creations a 5xx may hide: the caller looks before it tries again).
  ApiResponse call(const std::string& method, const std::string& path, const Json& body = nullptr,
                   std::vector<int> accept = {}, bool retry_server_errors = true);

  // GET every page of a list endpoint (following rel="next"), concatenated.
  std::vector<Json> get_all(const std::string& path, size_t max_items = 10000);

  const ClientSettings& settings() const { return settings_; }
  const sdk::Host& host() const { return host_; }

  // Waits `ms`, polling the host's cancel flag; throws MI2_CANCELLED.
  void wait(uint32_t ms) const;

  // The HTTP status of the last exchange call() made: -1 when it sent
  // nothing, 0 when a request got no response. Tells a refused creation
  // (4xx: nothing happened) from one whose reply was lost (it may have).
  int last_status() const { return last_status_; }

 private:
  std::string url_for(const std::string& path) const;
  std::string endpoint_of(const std::string& method, const std::string& url) const;
  // How long the API asks us to wait before retrying, when it says so.
  std::optional<uint64_t> rate_limit_wait_ms(const ApiResponse& response) const;
  [[noreturn]] void give_up(int status, const std::string& endpoint, const ApiResponse& response,
                            const std::string& extra, bool rate_limited = false) const;

  sdk::Host host_;
  ClientSettings settings_;
  bool ready_ = false;
  int last_status_ = -1;
};

// The retry knobs a plugin's config may set: max_attempts, backoff_base_ms,
// max_retry_wait_ms, timeout_ms. Throws sdk::invalid_input on a bad value.
RetryPolicy retry_policy_from(const Json& config);

// A string from a plugin's config, `fallback` when absent. Throws
// sdk::invalid_input naming `plugin` and `key` when it is not a string.
std::string config_string(const Json& config, const std::string& plugin, const char* key,
                          const std::string& fallback = "");

// "GET https://x/y?page=2" from a Link header's rel="next" entry, if any.
std::optional<std::string> next_link(const std::string& link_header);
// Percent-encodes everything but unreserved characters (RFC 3986).
std::string url_encode(const std::string& text);
// The API's error message out of a JSON body ("message", "error", "errors").
std::string api_message(const std::string& body);

}  // namespace mi2::forge
