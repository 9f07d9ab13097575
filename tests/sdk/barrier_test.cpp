// mi2::sdk::barrier, the one catch-all every export shares: each kind of
// exception becomes a status and a sentence, and nothing escapes.
#include <gtest/gtest.h>

#include <mi2/sdk/plugin.hpp>

#include <new>
#include <stdexcept>

namespace {

using mi2::sdk::barrier;

TEST(Barrier, PassesTheStatusThroughAndClearsTheError) {
  std::string error = "left over";
  EXPECT_EQ(barrier(error, [] { return MI2_OK; }), MI2_OK);
  EXPECT_EQ(error, "");
  EXPECT_EQ(barrier(error, [] { return MI2_NOT_SUPPORTED; }), MI2_NOT_SUPPORTED);
}

TEST(Barrier, SdkErrorKeepsItsStatusAndSentence) {
  const std::pair<mi2_status, mi2::sdk::Error> cases[] = {
      {MI2_FAILED, mi2::sdk::failed("it failed")},
      {MI2_RETRYABLE, mi2::sdk::retryable("try again")},
      {MI2_INVALID_INPUT, mi2::sdk::invalid_input("bad input")},
      {MI2_NOT_SUPPORTED, mi2::sdk::not_supported("not here")},
      {MI2_TIMEOUT, mi2::sdk::Error(MI2_TIMEOUT, "too slow")},
      {MI2_CANCELLED, mi2::sdk::Error(MI2_CANCELLED, "stopped")},
  };
  for (const auto& item : cases) {
    const mi2::sdk::Error& thrown = item.second;
    std::string error;
    EXPECT_EQ(barrier(error, [&]() -> mi2_status { throw thrown; }), item.first);
    EXPECT_EQ(error, thrown.what());
  }
}

TEST(Barrier, AnErrorClaimingOkStillFails) {
  std::string error;
  EXPECT_EQ(barrier(error, []() -> mi2_status { throw mi2::sdk::Error(MI2_OK, "odd"); }),
            MI2_FAILED);
  EXPECT_EQ(error, "odd");
}

TEST(Barrier, StdExceptionBecomesFailedWithWhat) {
  std::string error;
  EXPECT_EQ(barrier(error, []() -> mi2_status { throw std::out_of_range("index 7 is past 3"); }),
            MI2_FAILED);
  EXPECT_EQ(error, "index 7 is past 3");
}

TEST(Barrier, BadAllocBecomesOutOfMemory) {
  std::string error;
  EXPECT_EQ(barrier(error, []() -> mi2_status { throw std::bad_alloc(); }), MI2_FAILED);
  EXPECT_EQ(error, "out of memory");
}

TEST(Barrier, NonStdExceptionsAreCaughtToo) {
  std::string error;
  EXPECT_EQ(barrier(error, []() -> mi2_status { throw 42; }), MI2_FAILED);
  EXPECT_EQ(error, "unknown exception in plugin");
  struct Custom {};
  EXPECT_EQ(barrier(error, []() -> mi2_status { throw Custom{}; }), MI2_FAILED);
  EXPECT_EQ(error, "unknown exception in plugin");
  EXPECT_EQ(barrier(error, []() -> mi2_status { throw "a C string"; }), MI2_FAILED);
}

TEST(Barrier, IsNoexcept) {
  std::string error;
  auto fn = []() -> mi2_status { throw 1; };
  static_assert(noexcept(barrier(error, fn)), "the barrier must be noexcept");
}

}  // namespace
