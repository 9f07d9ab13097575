// CurlHttpClient against a cpp-httplib server on 127.0.0.1 (ephemeral port),
// started and stopped by each test.
#include "core/sys/http_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

namespace mi2 {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("X-Custom-Header", "custom value");
      res.set_content("hello body", "text/plain");
    });
    server_.Get("/missing", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content(R"({"message":"Not Found"})", "application/json");
    });
    auto echo = [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      last_method_ = req.method;
      last_body_ = req.body;
      last_auth_ = req.get_header_value("Authorization");
      res.status = 201;
      res.set_content(req.method + ":" + req.body, "text/plain");
    };
    server_.Post("/echo", echo);
    server_.Put("/echo", echo);
    server_.Patch("/echo", echo);
    server_.Delete("/echo", echo);
    server_.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      for (int i = 0; i < 100 && !stopping_; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      res.set_content("late", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Accepting already works after bind (the socket listens); wait for the loop anyway.
    for (int i = 0; i < 500 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }

  void TearDown() override {
    stopping_ = true;
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  HttpResponse send(const std::string& method, const std::string& path, std::string body = "",
                    HttpHeaders headers = {}) {
    HttpRequest request;
    request.method = method;
    request.url = url(path);
    request.body = std::move(body);
    request.headers = std::move(headers);
    request.timeout = std::chrono::milliseconds(5000);
    return client_.send(request);
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::string last_method_, last_body_, last_auth_;
  CurlHttpClient client_;
};

TEST_F(HttpClientTest, GetReturnsStatusBodyAndLowerCasedHeaders) {
  HttpResponse response = send("GET", "/hello");
  EXPECT_EQ(response.error, "");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello body");
  EXPECT_THAT(response.headers, Contains(Pair("x-custom-header", "custom value")));
  EXPECT_THAT(response.headers, Contains(Pair("content-type", "text/plain")));
  EXPECT_FALSE(response.timed_out);
}

TEST_F(HttpClientTest, AnErrorStatusIsAResponseNotATransportError) {
  HttpResponse response = send("GET", "/missing");
  EXPECT_EQ(response.error, "");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, R"({"message":"Not Found"})");
}

TEST_F(HttpClientTest, SendsMethodBodyAndHeaders) {
  for (const std::string method : {"POST", "PUT", "PATCH", "DELETE"}) {
    HttpResponse response =
        send(method, "/echo", R"({"a":1})", {{"Authorization", "Bearer t0ken"}});
    ASSERT_EQ(response.error, "") << method;
    EXPECT_EQ(response.status, 201) << method;
    EXPECT_EQ(response.body, method + R"(:{"a":1})");
    std::lock_guard lock(mutex_);
    EXPECT_EQ(last_method_, method);
    EXPECT_EQ(last_body_, R"({"a":1})");
    EXPECT_EQ(last_auth_, "Bearer t0ken");
  }
}

TEST_F(HttpClientTest, PostWithAnEmptyBodyWorks) {
  HttpResponse response = send("POST", "/echo");
  ASSERT_EQ(response.error, "");
  EXPECT_EQ(response.body, "POST:");
}

TEST_F(HttpClientTest, TimeoutIsATransportError) {
  HttpRequest request;
  request.url = url("/slow");
  request.timeout = std::chrono::milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  HttpResponse response = client_.send(request);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_TRUE(response.timed_out);
  EXPECT_EQ(response.status, 0);
  EXPECT_THAT(response.error, HasSubstr("imed out"));
}

TEST_F(HttpClientTest, CancellationAbortsTheExchange) {
  HttpRequest request;
  request.url = url("/slow");
  auto start = std::chrono::steady_clock::now();
  request.cancelled = [start] {
    return std::chrono::steady_clock::now() - start > std::chrono::milliseconds(150);
  };
  HttpResponse response = client_.send(request);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
  EXPECT_TRUE(response.cancelled);
  EXPECT_FALSE(response.timed_out);
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.error, "the request was cancelled");
}

TEST_F(HttpClientTest, ConnectionRefusedIsATransportError) {
  int port = port_;
  TearDown();
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/hello";
  request.timeout = std::chrono::milliseconds(2000);
  HttpResponse response = client_.send(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.timed_out);
  EXPECT_FALSE(response.error.empty());
}

TEST_F(HttpClientTest, OnlyHttpAndHttpsAreSpoken) {
  HttpRequest request;
  request.url = "file:///etc/passwd";
  HttpResponse response = client_.send(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.error.empty());
  EXPECT_EQ(response.body, "");
}

TEST_F(HttpClientTest, ClientsOnSeveralThreadsWork) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([this, &ok] {
      CurlHttpClient client;
      HttpRequest request;
      request.url = url("/hello");
      if (client.send(request).status == 200) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 4);
}

}  // namespace
}  // namespace mi2
