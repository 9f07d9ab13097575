// One HTTP exchange, behind an interface so tests can swap it. The real client
// is libcurl. No retries here: retry policy belongs to the caller.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace mi2 {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HttpHeaders headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};
  std::function<bool()> cancelled;  // optional; polled during the exchange, true aborts it
};

struct HttpResponse {
  int status = 0;       // 0 when no response arrived
  HttpHeaders headers;  // names lower-cased
  std::string body;
  std::string error;  // transport failure (connect refused, timeout, TLS...)
  bool timed_out = false;
  bool cancelled = false;  // aborted because request.cancelled said so
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual HttpResponse send(const HttpRequest& request) = 0;
};

class CurlHttpClient : public HttpClient {
 public:
  CurlHttpClient();
  HttpResponse send(const HttpRequest& request) override;
};

}  // namespace mi2
