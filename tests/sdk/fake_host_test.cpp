// The FakeHost a plugin author tests with: it records every service call,
// answers from scripts, and applies dry-run like the real host.
#include <gtest/gtest.h>

#include <mi2/sdk/fake_host.hpp>
#include <mi2/sdk/host.hpp>

namespace {

using mi2::sdk::ExecResult;
using mi2::sdk::FakeHost;

TEST(FakeHost, RecordsExecCallsAndAnswersFromTheScript) {
  FakeHost fake;
  fake.on_exec = [](const FakeHost::ExecCall& call) {
    return ExecResult{call.argv[1] == "fail" ? 3 : 0, 0,    false, false,
                      "out:" + call.stdin_data,       "err"};
  };
  mi2::sdk::ExecOptions options;
  options.env = {"A=1"};
  options.cwd = "/work";
  options.stdin_data = "in";
  options.timeout_ms = 250;
  ExecResult result = fake.host().exec({"tool", "ok"}, options);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.out, "out:in");
  EXPECT_EQ(result.err, "err");
  EXPECT_FALSE(fake.host().exec({"tool", "fail"}).ok());

  ASSERT_EQ(fake.exec_calls.size(), 2u);
  EXPECT_EQ(fake.exec_calls[0].argv, (std::vector<std::string>{"tool", "ok"}));
  EXPECT_EQ(fake.exec_calls[0].env, std::vector<std::string>{"A=1"});
  EXPECT_EQ(fake.exec_calls[0].cwd, "/work");
  EXPECT_EQ(fake.exec_calls[0].timeout_ms, 250u);
  EXPECT_FALSE(fake.exec_calls[0].mutating);
}

TEST(FakeHost, DryRunSkipsMutatingExecAndHttp) {
  FakeHost fake;
  fake.dry_run = true;
  bool scripted = false;
  fake.on_exec = [&](const FakeHost::ExecCall&) {
    scripted = true;
    return ExecResult{};
  };
  mi2::sdk::ExecOptions mutating;
  mutating.mutating = true;
  ExecResult result = fake.host().exec({"kubectl", "apply"}, mutating);
  EXPECT_TRUE(result.skipped_dry_run);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_FALSE(scripted);
  EXPECT_TRUE(fake.host().dry_run());
  EXPECT_EQ(fake.exec_calls.size(), 1u);  // recorded anyway: it is the plan

  mi2::sdk::HttpRequest post;
  post.method = "POST";
  post.url = "https://forge.test/merge";
  post.mutating = true;
  auto response = fake.host().http(post);
  EXPECT_TRUE(response.skipped_dry_run);
  EXPECT_EQ(response.status, 0);
}

TEST(FakeHost, HttpDefaultsTo404AndFollowsTheScript) {
  FakeHost fake;
  mi2::sdk::HttpRequest get;
  get.url = "https://forge.test/x";
  get.headers = {{"Authorization", "Bearer t"}};
  EXPECT_EQ(fake.host().http(get).status, 404);
  fake.on_http = [](const mi2::sdk::HttpRequest& request) {
    return mi2::sdk::HttpResponse{200, {{"x-next", "2"}}, "body of " + request.url, false};
  };
  auto response = fake.host().http(get);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "body of https://forge.test/x");
  EXPECT_EQ(response.header("x-next"), "2");
  EXPECT_EQ(response.header("x-other"), std::nullopt);
  ASSERT_EQ(fake.http_calls.size(), 2u);
  EXPECT_EQ(fake.http_calls[0].headers[0].second, "Bearer t");
}

TEST(FakeHost, RecordsLogsSecretsAndReportsCancellation) {
  FakeHost fake;
  mi2::sdk::Host host = fake.host();
  host.warn("careful");
  host.redact("s3cret-token");
  host.redact("");  // ignored
  EXPECT_FALSE(host.cancelled());
  fake.cancelled = true;
  EXPECT_TRUE(host.cancelled());
  ASSERT_EQ(fake.logs.size(), 1u);
  EXPECT_EQ(fake.logs[0].level, MI2_LOG_WARN);
  EXPECT_EQ(fake.logs[0].message, "careful");
  EXPECT_EQ(fake.secrets, std::vector<std::string>{"s3cret-token"});
}

TEST(FakeHost, TimedOutExecThrowsATimeoutError) {
  FakeHost fake;
  fake.on_exec = [](const FakeHost::ExecCall&) { return ExecResult{-1, 15, true, false, "", ""}; };
  try {
    fake.host().exec({"slow"});
    FAIL() << "expected a timeout";
  } catch (const mi2::sdk::Error& e) {
    EXPECT_EQ(e.status(), MI2_TIMEOUT);
    EXPECT_STREQ(e.what(), "'slow' timed out");
  }
}

TEST(Host, WithoutServicesEveryCallIsSafe) {
  mi2::sdk::Host host;
  host.info("nobody listens");
  host.redact("secret-value");
  EXPECT_FALSE(host.cancelled());
  EXPECT_FALSE(host.dry_run());
  EXPECT_THROW(host.exec({"x"}), mi2::sdk::Error);
  EXPECT_THROW(host.http({}), mi2::sdk::Error);
}

TEST(Host, DryRunIsAbsentFromAnOlderSmallerServiceTable) {
  FakeHost fake;
  fake.dry_run = true;
  mi2_host_services older = *fake.services();
  older.struct_size = offsetof(mi2_host_services, dry_run);  // a host from before dry_run
  mi2::sdk::Host host(&older, fake.context());
  EXPECT_FALSE(host.dry_run());
}

}  // namespace
