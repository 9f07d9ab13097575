// Reading terraform's output: plan -json lines (summary, changes, errors),
// the human plan text of a remote run, and the lock holder of a lock error.
#include <gtest/gtest.h>

#include "plugins/terraform/plan_report.h"

namespace mi2::terraform {
namespace {

TEST(PlanReport, JsonLinesGiveCountsAndChangedAddressesButNoValues) {
  std::string lines =
      R"({"type":"version","terraform":"1.11.4"}
{"type":"planned_change","change":{"resource":{"addr":"terraform_data.r"},"action":"replace","reason":"cannot_update"}}
{"type":"planned_change","change":{"resource":{"addr":"terraform_data.t"},"action":"replace","reason":"tainted"}}
{"type":"planned_change","change":{"resource":{"addr":"terraform_data.gone"},"action":"delete"}}
{"type":"change_summary","changes":{"add":2,"change":0,"import":0,"remove":3,"operation":"plan"}}
)";
  PlanReport r = parse_plan_json(lines);
  EXPECT_EQ(r.add, 2);
  EXPECT_EQ(r.destroy, 3);
  ASSERT_EQ(r.changes.size(), 3u);
  auto destructive = r.destructive_changes();
  ASSERT_EQ(destructive.size(), 2u);  // replacing a tainted resource loses nothing
  EXPECT_EQ(destructive[0].address, "terraform_data.r");
  EXPECT_EQ(destructive[1].address, "terraform_data.gone");
}

TEST(PlanReport, LockHolderFromTheLockError) {
  std::string text = R"(
Error: Error acquiring the state lock

Error message: resource temporarily unavailable
Lock Info:
  ID:        bc405d69-9de6-f76b-57a6-e0392a15d884
  Path:      /tmp/x/terraform.tfstate
  Operation: OperationTypeApply
  Who:       root@vm
  Version:   1.11.4
  Created:   2026-12-02 17:19:15.937242823 +0000 UTC
  Info:
)";
  auto lock = lock_holder(text);
  ASSERT_TRUE(lock);
  EXPECT_EQ(lock->id, "bc405d69-9de6-f76b-57a6-e0392a15d884");
  EXPECT_EQ(lock->who, "root@vm");
  EXPECT_EQ(lock->created, "2026-12-02 17:19:15.937242823 +0000 UTC");
  EXPECT_EQ(lock->operation, "OperationTypeApply");
  EXPECT_FALSE(lock_holder("Error: Saved plan is stale"));
}

TEST(PlanReport, HumanPlanTextAndErrors) {
  PlanReport r = parse_plan_text(
      "  # terraform_data.a is tainted, so must be replaced\n"
      "  # terraform_data.b will be destroyed\n"
      "Plan: 1 to add, 0 to change, 2 to destroy.\n");
  ASSERT_EQ(r.changes.size(), 2u);
  EXPECT_EQ(r.changes[0].reason, "tainted");
  EXPECT_EQ(r.changes[1].action, "delete");
  EXPECT_EQ(r.destroy, 2);
  EXPECT_EQ(first_error(PlanReport{},
                        "\nError: Saved plan is stale\n\nThe given plan file can "
                        "no longer be applied.\n"),
            "Saved plan is stale: The given plan file can no longer be applied");
}

}  // namespace
}  // namespace mi2::terraform
