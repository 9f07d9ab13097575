// The SDK's shared text helpers.
#include <gtest/gtest.h>

#include <mi2/sdk/text.hpp>

namespace {

using mi2::sdk::join;

TEST(Join, PutsTheSeparatorBetweenEachTwoParts) {
  EXPECT_EQ(join({"deployment/a", "statefulset/b"}, ", "), "deployment/a, statefulset/b");
  EXPECT_EQ(join({"kubectl", "get", "pods"}, " "), "kubectl get pods");
  EXPECT_EQ(join({"one"}, ","), "one");
  EXPECT_EQ(join({}, ","), "");
}

TEST(Join, KeepsEmptyParts) {
  EXPECT_EQ(join({"", "b"}, ","), ",b");
  EXPECT_EQ(join({"a", "", "c"}, "\n"), "a\n\nc");
}

}  // namespace
