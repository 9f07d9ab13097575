// The live status block of `mi2 env upgrade`: its lines, counts and times.
#include <gtest/gtest.h>

#include "core/engine/batch_upgrade.h"

namespace mi2 {
namespace {

TEST(FormatClockTest, SecondsMinutesHours) {
  EXPECT_EQ(format_clock(0), "0s");
  EXPECT_EQ(format_clock(44.6), "45s");
  EXPECT_EQ(format_clock(185), "3m05s");
  EXPECT_EQ(format_clock(3720), "1h02m");
  EXPECT_EQ(format_clock(-3), "0s");
}

TEST(RenderBatchStatusTest, CountsTimesAndOneLinePerInstanceInFlight) {
  BatchStatus status;
  status.wave = 2;
  status.waves = 3;
  status.done = 4;
  status.running = 2;
  status.failed = 1;
  status.remaining = 13;
  status.elapsed = 75;
  status.estimate = 190;
  status.in_flight = {{"src-a", "[8/10] deploy - local: 1/2 healthy"}, {"src-long-id", ""}};
  auto lines = render_batch_status(status);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "Wave 2/3: 4 done, 2 running, 1 failed, 13 remaining | 1m15s elapsed, ~3m10s left");
  EXPECT_EQ(lines[1], "  src-a        [8/10] deploy - local: 1/2 healthy");
  EXPECT_EQ(lines[2], "  src-long-id  starting");
}

TEST(RenderBatchStatusTest, NoEstimateBeforeTheFirstFinishAndLinesAreClipped) {
  BatchStatus status;
  status.wave = 1;
  status.waves = 1;
  status.running = 1;
  status.in_flight = {{"src-a", std::string(200, 'x')}};
  std::string head = render_batch_status(status)[0];
  EXPECT_EQ(head.substr(head.size() - 12), "| 0s elapsed") << head;
  auto lines = render_batch_status(status, 40);
  for (const auto& line : lines) EXPECT_LE(line.size(), 40u) << line;
  EXPECT_EQ(lines[1].substr(37), "...");
}

}  // namespace
}  // namespace mi2
