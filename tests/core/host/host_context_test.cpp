// The host services as a plugin calls them (through the C table), with a
// scripted runner and HTTP client: dry-run, deadlines, cancellation,
// redaction of what the observer records, and structs of older (smaller) sizes.
#include "core/host/host_context.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/base/redactor.h"
#include "core/sys/http_client.h"
#include "core/sys/process_runner.h"
#include "tests/support/recording_observer.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

using test::RecordingObserver;

using ::testing::HasSubstr;
using ::testing::Not;

class ScriptedRunner : public ProcessRunner {
 public:
  ProcessResult run(const ProcessRequest& request) override {
    requests.push_back(request);
    return reply;
  }
  std::vector<ProcessRequest> requests;
  ProcessResult reply{0, 0, false, false, "", "", ""};
};

class ScriptedHttp : public HttpClient {
 public:
  HttpResponse send(const HttpRequest& request) override {
    requests.push_back(request);
    return reply;
  }
  std::vector<HttpRequest> requests;
  HttpResponse reply;
};

class HostContextTest : public ::testing::Test {
 protected:
  HostContextTest() : context_("kubectl", {&runner_, &http_, &redactor_}) {
    settings_.observer = &observer_;
    context_.set_call_settings(settings_);
  }

  void set(const CallSettings& settings) { context_.set_call_settings(settings); }

  mi2_status exec(std::vector<const char*> argv, bool mutating = false, uint32_t timeout_ms = 0) {
    argv.push_back(nullptr);
    mi2_exec_request request{};
    request.struct_size = sizeof request;
    request.argv = argv.data();
    request.mutating = mutating;
    request.timeout_ms = timeout_ms;
    result_ = mi2_exec_result{};
    result_.struct_size = sizeof result_;
    return services_->exec(context_.handle(), &request, &result_);
  }

  mi2_status http(const char* method, const char* url, bool mutating = false,
                  std::vector<mi2_http_header> headers = {}) {
    mi2_http_request request{};
    request.struct_size = sizeof request;
    request.method = method;
    request.url = url;
    request.headers = headers.data();
    request.header_count = headers.size();
    request.mutating = mutating;
    response_ = mi2_http_response{};
    response_.struct_size = sizeof response_;
    return services_->http(context_.handle(), &request, &response_);
  }

  std::string out() const { return std::string(result_.stdout_data, result_.stdout_size); }
  std::string err() const { return std::string(result_.stderr_data, result_.stderr_size); }

  const mi2_host_services* services_ = host_services();
  ScriptedRunner runner_;
  ScriptedHttp http_;
  SecretRedactor redactor_;
  RecordingObserver observer_;
  CallSettings settings_;
  HostContext context_;
  mi2_exec_result result_{};
  mi2_http_response response_{};
};

TEST_F(HostContextTest, TableIsCompleteAndSized) {
  EXPECT_EQ(services_->struct_size, sizeof(mi2_host_services));
  EXPECT_TRUE(services_->log && services_->progress && services_->cancelled && services_->exec &&
              services_->http && services_->redact && services_->dry_run);
  EXPECT_TRUE(services_->spawn && services_->process_signal && services_->process_wait &&
              services_->free_port);
}

TEST_F(HostContextTest, StopSignalAndGraceReachTheRunner) {
  const char* argv[] = {"terraform", "apply", nullptr};
  mi2_exec_request request{};
  request.struct_size = sizeof request;
  request.argv = argv;
  request.stop_signal = SIGINT;
  request.kill_grace_ms = 30000;
  mi2_exec_result result{};
  result.struct_size = sizeof result;
  ASSERT_EQ(services_->exec(context_.handle(), &request, &result), MI2_OK);
  ASSERT_EQ(runner_.requests.size(), 1u);
  EXPECT_EQ(runner_.requests[0].stop_signal, SIGINT);
  EXPECT_EQ(runner_.requests[0].kill_grace.count(), 30000);
  // A 1.0 request (no such fields) keeps SIGTERM and 2 s.
  request.struct_size = offsetof(mi2_exec_request, stop_signal);
  ASSERT_EQ(services_->exec(context_.handle(), &request, &result), MI2_OK);
  EXPECT_EQ(runner_.requests[1].stop_signal, SIGTERM);
  EXPECT_EQ(runner_.requests[1].kill_grace.count(), 2000);
}

TEST_F(HostContextTest, TimedOutChildGetsTheStopSignalItAskedFor) {
  SystemProcessRunner real;
  SecretRedactor redactor;
  HostContext context("real", {&real, &http_, &redactor});
  context.set_call_settings(settings_);
  const char* argv[] = {"sleep", "5", nullptr};
  mi2_exec_request request{};
  request.struct_size = sizeof request;
  request.argv = argv;
  request.timeout_ms = 100;
  request.stop_signal = SIGINT;
  mi2_exec_result result{};
  result.struct_size = sizeof result;
  EXPECT_EQ(services_->exec(context.handle(), &request, &result), MI2_TIMEOUT);
  EXPECT_EQ(result.term_signal, SIGINT);
}

TEST_F(HostContextTest, SpawnsADetachedProcessSignalsAndWaitsForIt) {
  test::TempDir dir;
  std::string log = (dir.path() / "sleep.log").string();
  std::string pid_file = (dir.path() / "pids" / "sleep.pid").string();
  const char* argv[] = {"/bin/sleep", "30", nullptr};
  mi2_spawn_request request{};
  request.struct_size = sizeof request;
  request.argv = argv;
  request.log_path = log.c_str();
  request.pid_file = pid_file.c_str();
  mi2_spawn_result result{};
  result.struct_size = sizeof result;
  ASSERT_EQ(services_->spawn(context_.handle(), &request, &result), MI2_OK);
  ASSERT_GT(result.pid, 0);
  EXPECT_FALSE(result.skipped_dry_run);
  std::ifstream in(pid_file);
  int64_t written = 0;
  in >> written;
  EXPECT_EQ(written, result.pid);
  EXPECT_EQ(services_->process_signal(context_.handle(), result.pid, "sleep", 0), MI2_OK);
  EXPECT_EQ(services_->process_signal(context_.handle(), result.pid, "other", 0), MI2_FAILED);
  EXPECT_EQ(services_->process_wait(context_.handle(), result.pid, "sleep", 50), MI2_TIMEOUT);
  EXPECT_EQ(services_->process_signal(context_.handle(), result.pid, "sleep", SIGTERM), MI2_OK);
  EXPECT_EQ(services_->process_wait(context_.handle(), result.pid, "sleep", 5000), MI2_OK);
  EXPECT_EQ(services_->process_signal(context_.handle(), result.pid, "sleep", 0), MI2_FAILED);
  ASSERT_FALSE(observer_.commands.empty());
  EXPECT_EQ(observer_.commands[0].record["detached"], true);
  EXPECT_EQ(observer_.commands[0].record["pid"], result.pid);

  uint16_t port = 0;
  EXPECT_EQ(services_->free_port(context_.handle(), &port), MI2_OK);
  EXPECT_GT(port, 0);
}

TEST_F(HostContextTest, SpawnInDryRunIsRecordedNotStarted) {
  settings_.dry_run = true;
  set(settings_);
  const char* argv[] = {"/bin/sleep", "30", nullptr};
  mi2_spawn_request request{};
  request.struct_size = sizeof request;
  request.argv = argv;
  mi2_spawn_result result{};
  result.struct_size = sizeof result;
  ASSERT_EQ(services_->spawn(context_.handle(), &request, &result), MI2_OK);
  EXPECT_EQ(result.pid, 0);
  EXPECT_TRUE(result.skipped_dry_run);
  ASSERT_EQ(observer_.commands.size(), 1u);
  EXPECT_EQ(observer_.commands[0].record["skipped_dry_run"], true);
  const char* relative[] = {"sleep", nullptr};
  request.argv = relative;
  settings_.dry_run = false;
  set(settings_);
  EXPECT_EQ(services_->spawn(context_.handle(), &request, &result), MI2_FAILED);
}

TEST_F(HostContextTest, ExecRunsTheArgvAndRecordsIt) {
  runner_.reply.out = "pods\n";
  runner_.reply.err = "warning\n";
  const char* env[] = {"KUBECONFIG=/k", nullptr};
  const char* argv[] = {"kubectl", "get", "pods", nullptr};
  mi2_exec_request request{};
  request.struct_size = sizeof request;
  request.argv = argv;
  request.env = env;
  request.cwd = "/tmp";
  request.stdin_data = "input";
  request.stdin_size = 5;
  request.timeout_ms = 1500;
  mi2_exec_result result{};
  result.struct_size = sizeof result;
  ASSERT_EQ(services_->exec(context_.handle(), &request, &result), MI2_OK);

  ASSERT_EQ(runner_.requests.size(), 1u);
  const ProcessRequest& ran = runner_.requests[0];
  EXPECT_EQ(ran.argv, (std::vector<std::string>{"kubectl", "get", "pods"}));
  EXPECT_EQ(ran.env, std::vector<std::string>{"KUBECONFIG=/k"});
  EXPECT_EQ(ran.cwd, "/tmp");
  EXPECT_EQ(ran.stdin_data, "input");
  EXPECT_EQ(ran.timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_FALSE(result.skipped_dry_run);
  EXPECT_EQ(std::string(result.stdout_data, result.stdout_size), "pods\n");
  EXPECT_EQ(std::string(result.stderr_data, result.stderr_size), "warning\n");

  ASSERT_EQ(observer_.commands.size(), 1u);
  const auto& record = observer_.commands[0];
  EXPECT_EQ(record.plugin, "kubectl");
  EXPECT_EQ(record.kind, "exec");
  EXPECT_EQ(record.record["argv"], Json::parse(R"(["kubectl", "get", "pods"])"));
  EXPECT_EQ(record.record["cwd"], "/tmp");
  EXPECT_EQ(record.record["mutating"], false);
  EXPECT_EQ(record.record["skipped_dry_run"], false);
  EXPECT_EQ(record.record["exit_code"], 0);
  EXPECT_EQ(record.record["term_signal"], 0);
  EXPECT_EQ(record.record["timed_out"], false);
  EXPECT_EQ(record.record["stdout"], "pods\n");
  EXPECT_EQ(record.record["stderr"], "warning\n");
  EXPECT_TRUE(record.record["seconds"].is_number());
}

TEST_F(HostContextTest, NonZeroExitIsStillOk) {
  runner_.reply.exit_code = 2;
  EXPECT_EQ(exec({"false"}), MI2_OK);
  EXPECT_EQ(result_.exit_code, 2);
}

TEST_F(HostContextTest, DryRunSkipsMutatingCommandsOnly) {
  settings_.dry_run = true;
  set(settings_);
  EXPECT_TRUE(services_->dry_run(context_.handle()));

  runner_.reply.exit_code = 7;
  ASSERT_EQ(exec({"kubectl", "apply", "-f", "x.yaml"}, /*mutating=*/true), MI2_OK);
  EXPECT_TRUE(runner_.requests.empty());
  EXPECT_TRUE(result_.skipped_dry_run);
  EXPECT_EQ(result_.exit_code, 0);
  EXPECT_EQ(result_.stdout_size, 0u);
  ASSERT_EQ(observer_.commands.size(), 1u);
  EXPECT_EQ(observer_.commands[0].record["skipped_dry_run"], true);
  EXPECT_EQ(observer_.commands[0].record["mutating"], true);
  EXPECT_EQ(observer_.commands[0].record["exit_code"], 0);

  ASSERT_EQ(exec({"kubectl", "get", "pods"}, /*mutating=*/false), MI2_OK);
  EXPECT_EQ(runner_.requests.size(), 1u);
  EXPECT_FALSE(result_.skipped_dry_run);
  EXPECT_EQ(result_.exit_code, 7);
}

TEST_F(HostContextTest, ObserverRecordsAreRedactedButThePluginSeesTheRealOutput) {
  services_->redact(context_.handle(), "hunter2-secret");
  runner_.reply.out = "token is hunter2-secret\n";
  runner_.reply.err = "Authorization: Bearer abc.def.ghi\n";
  ASSERT_EQ(exec({"tool", "--password=hunter2-secret"}), MI2_OK);
  EXPECT_EQ(out(), "token is hunter2-secret\n");  // the plugin needs the real bytes
  const Json& record = observer_.commands.at(0).record;
  EXPECT_EQ(record["argv"][1], "--password=***");
  EXPECT_EQ(record["stdout"], "token is ***\n");
  EXPECT_EQ(record["stderr"], "Authorization: Bearer ***\n");
  EXPECT_THAT(record.dump(), Not(HasSubstr("hunter2-secret")));
  // redact registers with this context's redactor and the process-wide one.
  EXPECT_EQ(redactor_.apply("hunter2-secret"), "***");
  EXPECT_EQ(SecretRedactor::global().apply("hunter2-secret"), "***");
}

TEST_F(HostContextTest, RecordedOutputIsTruncatedTo64KiBAndValidUtf8) {
  runner_.reply.out = std::string(100 * 1024, 'a');
  runner_.reply.err = std::string("bad \xff\xfe bytes");
  ASSERT_EQ(exec({"tool"}), MI2_OK);
  EXPECT_EQ(result_.stdout_size, 100u * 1024);  // the plugin gets everything
  const Json& record = observer_.commands.at(0).record;
  std::string recorded = record["stdout"];
  EXPECT_LT(recorded.size(), 64u * 1024 + 100);
  EXPECT_EQ(recorded.substr(0, 64 * 1024), std::string(64 * 1024, 'a'));
  EXPECT_THAT(recorded, HasSubstr("36864 more bytes not kept"));
  EXPECT_NO_THROW(record.dump());
  EXPECT_EQ(record["stderr"], "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}

TEST_F(HostContextTest, TimeoutIsCappedByTheStepDeadline) {
  settings_.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  set(settings_);
  ASSERT_EQ(exec({"tool"}, false, /*timeout_ms=*/0), MI2_OK);
  EXPECT_GT(runner_.requests[0].timeout.count(), 0);
  EXPECT_LE(runner_.requests[0].timeout, std::chrono::seconds(5));

  ASSERT_EQ(exec({"tool"}, false, /*timeout_ms=*/100), MI2_OK);
  EXPECT_EQ(runner_.requests[1].timeout, std::chrono::milliseconds(100));

  ASSERT_EQ(exec({"tool"}, false, /*timeout_ms=*/60000), MI2_OK);
  EXPECT_LE(runner_.requests[2].timeout, std::chrono::seconds(5));
}

TEST_F(HostContextTest, NoDeadlineAndNoTimeoutMeansNoLimit) {
  ASSERT_EQ(exec({"tool"}), MI2_OK);
  EXPECT_EQ(runner_.requests[0].timeout.count(), 0);
}

TEST_F(HostContextTest, APassedDeadlineTimesOutWithoutRunning) {
  settings_.deadline = std::chrono::steady_clock::now() - std::chrono::milliseconds(1);
  set(settings_);
  EXPECT_TRUE(context_.cancelled());
  EXPECT_TRUE(services_->cancelled(context_.handle()));
  EXPECT_EQ(exec({"tool"}), MI2_TIMEOUT);
  EXPECT_TRUE(runner_.requests.empty());
  EXPECT_TRUE(result_.timed_out);
  EXPECT_THAT(err(), HasSubstr("deadline"));
}

TEST_F(HostContextTest, CancelFlagStopsCalls) {
  std::atomic<bool> cancel{false};
  settings_.cancel_flag = &cancel;
  set(settings_);
  EXPECT_FALSE(services_->cancelled(context_.handle()));
  cancel = true;
  EXPECT_TRUE(services_->cancelled(context_.handle()));
  EXPECT_EQ(exec({"tool"}), MI2_CANCELLED);
  EXPECT_TRUE(runner_.requests.empty());
  EXPECT_EQ(http("GET", "http://127.0.0.1:1/"), MI2_CANCELLED);
  EXPECT_TRUE(http_.requests.empty());
}

TEST_F(HostContextTest, TheRunnerPollsTheCancelFlag) {
  std::atomic<bool> cancel{false};
  settings_.cancel_flag = &cancel;
  set(settings_);
  ASSERT_EQ(exec({"tool"}), MI2_OK);
  ASSERT_TRUE(runner_.requests[0].cancelled);
  EXPECT_FALSE(runner_.requests[0].cancelled());
  cancel = true;
  EXPECT_TRUE(runner_.requests[0].cancelled());
}

TEST_F(HostContextTest, RunnerOutcomesBecomeStatuses) {
  runner_.reply = ProcessResult{};
  runner_.reply.timed_out = true;
  runner_.reply.term_signal = 15;
  EXPECT_EQ(exec({"tool"}), MI2_TIMEOUT);
  EXPECT_TRUE(result_.timed_out);
  EXPECT_EQ(result_.term_signal, 15);
  EXPECT_EQ(observer_.commands.back().record["timed_out"], true);

  runner_.reply = ProcessResult{};
  runner_.reply.cancelled = true;
  EXPECT_EQ(exec({"tool"}), MI2_CANCELLED);

  runner_.reply = ProcessResult{};
  runner_.reply.spawn_error = "'kubectl' was not found on PATH";
  EXPECT_EQ(exec({"kubectl"}), MI2_FAILED);
  EXPECT_EQ(err(), "'kubectl' was not found on PATH");
  EXPECT_EQ(result_.exit_code, -1);
  EXPECT_EQ(observer_.commands.back().record["stderr"], "'kubectl' was not found on PATH");
}

TEST_F(HostContextTest, MalformedExecRequestsAreInvalidInput) {
  mi2_exec_result result{};
  result.struct_size = sizeof result;
  EXPECT_EQ(services_->exec(context_.handle(), nullptr, &result), MI2_INVALID_INPUT);
  mi2_exec_request request{};
  request.struct_size = sizeof request;
  EXPECT_EQ(services_->exec(context_.handle(), &request, &result), MI2_INVALID_INPUT);
  const char* empty[] = {nullptr};
  request.argv = empty;
  EXPECT_EQ(services_->exec(context_.handle(), &request, &result), MI2_INVALID_INPUT);
  const char* argv[] = {"x", nullptr};
  request.argv = argv;
  EXPECT_EQ(services_->exec(context_.handle(), &request, nullptr), MI2_INVALID_INPUT);
  EXPECT_EQ(services_->exec(nullptr, &request, &result), MI2_INVALID_INPUT);
  EXPECT_TRUE(runner_.requests.empty());
}

TEST_F(HostContextTest, AnOlderSmallerExecRequestLacksItsLaterFields) {
  settings_.dry_run = true;
  set(settings_);
  const char* argv[] = {"kubectl", "apply", nullptr};
  mi2_exec_request request{};
  request.argv = argv;
  request.timeout_ms = 999;
  request.mutating = true;  // beyond struct_size: must read as absent (false)
  request.struct_size = offsetof(mi2_exec_request, timeout_ms);
  mi2_exec_result result{};
  result.struct_size = sizeof result;
  ASSERT_EQ(services_->exec(context_.handle(), &request, &result), MI2_OK);
  ASSERT_EQ(runner_.requests.size(), 1u);  // not mutating, so it ran despite dry-run
  EXPECT_EQ(runner_.requests[0].timeout.count(), 0);

  request.struct_size = offsetof(mi2_exec_request, argv);  // not even argv
  EXPECT_EQ(services_->exec(context_.handle(), &request, &result), MI2_INVALID_INPUT);
}

TEST_F(HostContextTest, AnOlderSmallerExecResultIsWrittenOnlyWithinItsSize) {
  runner_.reply.exit_code = 4;
  runner_.reply.out = "data";
  const char* argv[] = {"tool", nullptr};
  mi2_exec_request request{};
  request.struct_size = sizeof request;
  request.argv = argv;
  mi2_exec_result result;
  std::memset(&result, 0xAB, sizeof result);
  result.struct_size = offsetof(mi2_exec_result, stdout_data);
  ASSERT_EQ(services_->exec(context_.handle(), &request, &result), MI2_OK);
  EXPECT_EQ(result.struct_size, offsetof(mi2_exec_result, stdout_data));
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_EQ(result.term_signal, 0);
  mi2_exec_result untouched;
  std::memset(&untouched, 0xAB, sizeof untouched);
  EXPECT_EQ(std::memcmp(&result.stdout_data, &untouched.stdout_data,
                        sizeof result - offsetof(mi2_exec_result, stdout_data)),
            0);
}

TEST_F(HostContextTest, ExecThroughTheRealRunnerTimesOut) {
  SystemProcessRunner real;
  SecretRedactor redactor;
  HostContext context("real", {&real, &http_, &redactor});
  context.set_call_settings(settings_);
  const char* argv[] = {"sleep", "5", nullptr};
  mi2_exec_request request{};
  request.struct_size = sizeof request;
  request.argv = argv;
  request.timeout_ms = 150;
  mi2_exec_result result{};
  result.struct_size = sizeof result;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(services_->exec(context.handle(), &request, &result), MI2_TIMEOUT);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.term_signal, SIGTERM);

  const char* missing[] = {"mi2-no-such-tool", nullptr};
  request.argv = missing;
  EXPECT_EQ(services_->exec(context.handle(), &request, &result), MI2_FAILED);
  EXPECT_EQ(std::string(result.stderr_data, result.stderr_size),
            "'mi2-no-such-tool' was not found on PATH");
}

TEST_F(HostContextTest, HttpPassesTheRequestAndReturnsTheResponse) {
  http_.reply.status = 201;
  http_.reply.headers = {{"content-type", "application/json"}, {"x-rate", "5"}};
  http_.reply.body = R"({"id": 1})";
  std::vector<mi2_http_header> headers = {{"Authorization", "Bearer tok-abcdef"},
                                          {"Accept", "application/json"}};
  ASSERT_EQ(http("POST", "https://api.example.test/x", false, headers), MI2_OK);
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.requests[0].method, "POST");
  EXPECT_EQ(http_.requests[0].url, "https://api.example.test/x");
  EXPECT_EQ(http_.requests[0].headers.size(), 2u);
  EXPECT_EQ(http_.requests[0].timeout, std::chrono::seconds(30));
  EXPECT_EQ(response_.status, 201);
  ASSERT_EQ(response_.header_count, 2u);
  EXPECT_STREQ(response_.headers[0].name, "content-type");
  EXPECT_STREQ(response_.headers[1].value, "5");
  EXPECT_EQ(std::string(response_.body, response_.body_size), R"({"id": 1})");

  const auto& record = observer_.commands.at(0);
  EXPECT_EQ(record.kind, "http");
  EXPECT_EQ(record.record["method"], "POST");
  EXPECT_EQ(record.record["status"], 201);
  EXPECT_FALSE(record.record.contains("headers"));
  EXPECT_THAT(record.record.dump(), Not(HasSubstr("tok-abcdef")));
}

TEST_F(HostContextTest, HttpUrlIsRedactedInTheRecord) {
  ASSERT_EQ(http("GET", "https://h.test/api?private_token=zzz&access_token=abcdef12"), MI2_OK);
  EXPECT_THAT(observer_.commands.at(0).record["url"].get<std::string>(),
              Not(HasSubstr("abcdef12")));
}

TEST_F(HostContextTest, HttpDryRunSkipsMutatingRequests) {
  settings_.dry_run = true;
  set(settings_);
  ASSERT_EQ(http("POST", "https://h.test/merge", /*mutating=*/true), MI2_OK);
  EXPECT_TRUE(http_.requests.empty());
  EXPECT_TRUE(response_.skipped_dry_run);
  EXPECT_EQ(response_.status, 0);
  EXPECT_EQ(observer_.commands.at(0).record["skipped_dry_run"], true);
  ASSERT_EQ(http("GET", "https://h.test/pulls"), MI2_OK);
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST_F(HostContextTest, HttpTransportFailuresBecomeStatuses) {
  http_.reply.error = "Connection refused";
  EXPECT_EQ(http("GET", "http://127.0.0.1:1/"), MI2_RETRYABLE);
  EXPECT_EQ(response_.status, 0);
  EXPECT_EQ(observer_.commands.at(0).record["error"], "Connection refused");
  http_.reply.timed_out = true;
  EXPECT_EQ(http("GET", "http://127.0.0.1:1/"), MI2_TIMEOUT);
}

TEST_F(HostContextTest, HttpTimeoutIsCappedByTheDeadline) {
  settings_.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  set(settings_);
  ASSERT_EQ(http("GET", "http://h.test/"), MI2_OK);
  EXPECT_LE(http_.requests[0].timeout, std::chrono::seconds(2));
  settings_.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  set(settings_);
  EXPECT_EQ(http("GET", "http://h.test/"), MI2_TIMEOUT);
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST_F(HostContextTest, MalformedHttpRequestsAreInvalidInput) {
  EXPECT_EQ(http("GET", "ftp://h.test/"), MI2_INVALID_INPUT);
  EXPECT_EQ(http("GET", nullptr), MI2_INVALID_INPUT);
  EXPECT_EQ(http(nullptr, "http://h.test/"), MI2_INVALID_INPUT);
  EXPECT_EQ(http("GET", "/relative"), MI2_INVALID_INPUT);
  EXPECT_TRUE(http_.requests.empty());
}

TEST_F(HostContextTest, AnOlderSmallerHttpResponseIsWrittenOnlyWithinItsSize) {
  http_.reply.status = 200;
  settings_.dry_run = false;
  mi2_http_request request{};
  request.struct_size = sizeof request;
  request.method = "GET";
  request.url = "http://h.test/";
  mi2_http_response response;
  std::memset(&response, 0xCD, sizeof response);
  response.struct_size = offsetof(mi2_http_response, skipped_dry_run);
  ASSERT_EQ(services_->http(context_.handle(), &request, &response), MI2_OK);
  EXPECT_EQ(response.status, 200);
  unsigned char tail;
  std::memcpy(&tail, &response.skipped_dry_run, 1);
  EXPECT_EQ(tail, 0xCD);
}

TEST_F(HostContextTest, LogGoesToSpdlogPrefixedAndRedactedAndToTheObserver) {
  std::ostringstream captured;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  logger->set_level(spdlog::level::debug);
  logger->set_pattern("%l|%v");
  spdlog::set_default_logger(logger);
  services_->redact(context_.handle(), "pa55word-xyz");
  services_->log(context_.handle(), MI2_LOG_WARN, "login with pa55word-xyz failed");
  spdlog::set_default_logger(previous);

  EXPECT_EQ(captured.str(), "warning|kubectl: login with *** failed\n");
  ASSERT_EQ(observer_.logs.size(), 1u);
  EXPECT_EQ(observer_.logs[0].plugin, "kubectl");
  EXPECT_EQ(observer_.logs[0].level, MI2_LOG_WARN);
  EXPECT_EQ(observer_.logs[0].message, "login with *** failed");
}

TEST_F(HostContextTest, ProgressReachesTheObserver) {
  services_->progress(context_.handle(), 0.5, "half way");
  services_->progress(context_.handle(), -1, nullptr);
  ASSERT_EQ(observer_.progress.size(), 2u);
  EXPECT_EQ(observer_.progress[0], std::make_pair(0.5, std::string("half way")));
  EXPECT_EQ(observer_.progress[1].second, "");
}

TEST_F(HostContextTest, ServicesToleratesANullObserverAndNullStrings) {
  settings_.observer = nullptr;
  set(settings_);
  services_->log(context_.handle(), MI2_LOG_INFO, nullptr);
  services_->redact(context_.handle(), nullptr);
  services_->progress(context_.handle(), 1.0, "done");
  EXPECT_EQ(exec({"tool"}), MI2_OK);
  EXPECT_EQ(http("GET", "http://h.test/"), MI2_OK);
}

}  // namespace
}  // namespace mi2
