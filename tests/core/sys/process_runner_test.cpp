// SystemProcessRunner against real programs: argv without a shell, captured
// output, environment, cwd, stdin, timeouts, cancellation and PATH lookup.
#include "core/sys/process_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

ProcessResult run(std::vector<std::string> argv) {
  ProcessRequest request;
  request.argv = std::move(argv);
  return SystemProcessRunner().run(request);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A process that is gone, or a zombie nobody reaps (no init in a container).
bool process_gone(pid_t pid) {
  if (kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t paren = content.rfind(')');
  return paren != std::string::npos && content.size() > paren + 2 && content[paren + 2] == 'Z';
}

TEST(ProcessRunner, CapturesStdoutAndExitCode) {
  ProcessResult result = run({"echo", "hello", "two words", "$HOME;|"});
  ASSERT_TRUE(result.started()) << result.spawn_error;
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.term_signal, 0);
  EXPECT_TRUE(result.ok());
  // No shell: quotes, variables and metacharacters reach the program as is.
  EXPECT_EQ(result.out, "hello two words $HOME;|\n");
  EXPECT_EQ(result.err, "");
}

TEST(ProcessRunner, CapturesStderrSeparatelyAndNonZeroExit) {
  ProcessResult result = run({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.started());
  EXPECT_EQ(result.out, "out\n");
  EXPECT_EQ(result.err, "err\n");
}

TEST(ProcessRunner, ReportsTheSignalThatEndedTheChild) {
  ProcessResult result = run({"sh", "-c", "kill -9 $$"});
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_EQ(result.term_signal, SIGKILL);
  EXPECT_FALSE(result.ok());
}

TEST(ProcessRunner, SaysWhenTheProgramIsNotOnPath) {
  ProcessResult result = run({"mi2-no-such-program", "x"});
  EXPECT_FALSE(result.started());
  EXPECT_EQ(result.spawn_error, "'mi2-no-such-program' was not found on PATH");
  EXPECT_EQ(result.exit_code, -1);

  ProcessResult by_path = run({"/nonexistent/bin/tool"});
  EXPECT_FALSE(by_path.started());
  EXPECT_THAT(by_path.spawn_error, HasSubstr("'/nonexistent/bin/tool' does not exist"));

  ProcessResult empty = run({});
  EXPECT_FALSE(empty.started());
}

TEST(ProcessRunner, LooksUpThePathOfTheAddedEnvironment) {
  test::TempDir dir;
  test::write_file(dir / "mi2-fake-tool", "#!/bin/sh\necho fake tool ran\n");
  std::filesystem::permissions(dir / "mi2-fake-tool", std::filesystem::perms::owner_all);
  ProcessRequest request;
  request.argv = {"mi2-fake-tool"};
  request.env = {"PATH=" + dir.path().string() + ":/usr/bin:/bin"};
  ProcessResult result = SystemProcessRunner().run(request);
  ASSERT_TRUE(result.started()) << result.spawn_error;
  EXPECT_EQ(result.out, "fake tool ran\n");
}

TEST(ProcessRunner, ARelativeProgramPathIsTakenFromTheWorkingDirectory) {
  test::TempDir dir;
  test::write_file(dir / "bin" / "tool", "#!/bin/sh\necho relative tool ran\n");
  std::filesystem::permissions(dir / "bin" / "tool", std::filesystem::perms::owner_all);
  ProcessRequest request;
  request.argv = {"./bin/tool"};
  request.cwd = dir.path().string();
  ProcessResult result = SystemProcessRunner().run(request);
  ASSERT_TRUE(result.started()) << result.spawn_error;
  EXPECT_EQ(result.out, "relative tool ran\n");
}

TEST(ProcessRunner, AddsAndReplacesEnvironmentVariables) {
  setenv("MI2_RUNNER_TEST_OLD", "old", 1);
  ProcessRequest request;
  request.argv = {"env"};
  request.env = {"MI2_RUNNER_TEST_NEW=new value", "MI2_RUNNER_TEST_OLD=replaced"};
  ProcessResult result = SystemProcessRunner().run(request);
  unsetenv("MI2_RUNNER_TEST_OLD");
  ASSERT_TRUE(result.ok()) << result.spawn_error;
  EXPECT_THAT(result.out, HasSubstr("MI2_RUNNER_TEST_NEW=new value\n"));
  EXPECT_THAT(result.out, HasSubstr("MI2_RUNNER_TEST_OLD=replaced\n"));
  EXPECT_THAT(result.out, ::testing::Not(HasSubstr("MI2_RUNNER_TEST_OLD=old")));
  EXPECT_THAT(result.out, HasSubstr("PATH="));  // the host's environment is kept
}

TEST(ProcessRunner, RunsInTheGivenWorkingDirectory) {
  test::TempDir dir;
  ProcessRequest request;
  request.argv = {"pwd"};
  request.cwd = dir.path().string();
  ProcessResult result = SystemProcessRunner().run(request);
  ASSERT_TRUE(result.ok()) << result.spawn_error;
  EXPECT_EQ(result.out, std::filesystem::canonical(dir.path()).string() + "\n");

  request.cwd = (dir / "missing").string();
  ProcessResult missing = SystemProcessRunner().run(request);
  EXPECT_FALSE(missing.started());
  EXPECT_THAT(missing.spawn_error, HasSubstr((dir / "missing").string()));
}

TEST(ProcessRunner, WritesStdinAndClosesIt) {
  ProcessRequest request;
  request.argv = {"cat"};
  request.stdin_data = "line one\nline two\n";
  ProcessResult result = SystemProcessRunner().run(request);
  EXPECT_EQ(result.out, "line one\nline two\n");

  // No stdin: /dev/null, so cat ends at once.
  request.stdin_data.clear();
  EXPECT_EQ(SystemProcessRunner().run(request).out, "");
}

TEST(ProcessRunner, MovesLargeInputAndOutputWithoutDeadlock) {
  ProcessRequest request;
  request.argv = {"sh", "-c", "cat; head -c 300000 /dev/zero >&2"};
  request.stdin_data = std::string(1 << 20, 'x');
  ProcessResult result = SystemProcessRunner().run(request);
  ASSERT_TRUE(result.ok()) << result.spawn_error;
  EXPECT_EQ(result.out.size(), size_t{1} << 20);
  EXPECT_EQ(result.err.size(), 300000u);
}

TEST(ProcessRunner, AChildThatIgnoresItsInputDoesNotHurtTheHost) {
  ProcessRequest request;
  request.argv = {"true"};
  request.stdin_data = std::string(1 << 20, 'x');  // more than a pipe holds: EPIPE, not SIGPIPE
  ProcessResult result = SystemProcessRunner().run(request);
  EXPECT_EQ(result.exit_code, 0);
}

TEST(ProcessRunner, TimeoutEndsTheChildWithSigterm) {
  ProcessRequest request;
  request.argv = {"sleep", "10"};
  request.timeout = std::chrono::milliseconds(200);
  auto start = Clock::now();
  ProcessResult result = SystemProcessRunner().run(request);
  EXPECT_LT(seconds_since(start), 1.5);
  EXPECT_TRUE(result.timed_out);
  EXPECT_FALSE(result.cancelled);
  EXPECT_EQ(result.term_signal, SIGTERM);
  EXPECT_FALSE(result.ok());
}

TEST(ProcessRunner, TimeoutEndsTheWholeProcessGroup) {
  ProcessRequest request;
  request.argv = {"sh", "-c", "sleep 30 & echo $!; wait"};
  request.timeout = std::chrono::milliseconds(300);
  ProcessResult result = SystemProcessRunner().run(request);
  EXPECT_TRUE(result.timed_out);
  pid_t grandchild = std::stoi(result.out);
  for (int i = 0; i < 100 && !process_gone(grandchild); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(process_gone(grandchild));
}

TEST(ProcessRunner, AChildIgnoringSigtermGetsSigkillAfterTwoSeconds) {
  ProcessRequest request;
  request.argv = {"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"};
  request.timeout = std::chrono::milliseconds(100);
  auto start = Clock::now();
  ProcessResult result = SystemProcessRunner().run(request);
  double took = seconds_since(start);
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.term_signal, SIGKILL);
  EXPECT_GE(took, 2.0);
  EXPECT_LT(took, 4.0);
  EXPECT_EQ(result.out, "ready\n");
}

TEST(ProcessRunner, CancellationIsPolledAndEndsTheChild) {
  ProcessRequest request;
  request.argv = {"sleep", "10"};
  auto start = Clock::now();
  request.cancelled = [start] { return Clock::now() - start > std::chrono::milliseconds(150); };
  ProcessResult result = SystemProcessRunner().run(request);
  EXPECT_LT(seconds_since(start), 1.5);
  EXPECT_TRUE(result.cancelled);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.term_signal, SIGTERM);
  EXPECT_FALSE(result.ok());
}

TEST(ProcessRunner, RunsConcurrentlyFromSeveralThreads) {
  std::vector<std::thread> threads;
  std::vector<std::string> outputs(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([i, &outputs] {
      outputs[static_cast<size_t>(i)] = run({"echo", std::to_string(i)}).out;
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(outputs[static_cast<size_t>(i)], std::to_string(i) + "\n");
}

}  // namespace
}  // namespace mi2
