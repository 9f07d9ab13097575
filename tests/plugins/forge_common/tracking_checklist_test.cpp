// The tracking issue's checklist rewrite every forge shares: ticks, failure
// marks that are replaced and cleared, lines left alone, idempotence.
#include <gtest/gtest.h>

#include <mi2/sdk/host.hpp>
#include <mi2/sdk/step.hpp>

#include "forge_common/forge_text.h"
#include "forge_common/tracking_checklist.h"

namespace mi2::forge {
namespace {

const char* kBody =
    "Tracking the upgrade of `prod` to 4.1.0.\n\n"
    "- [ ] acme (src-a1)\n"
    "- [ ] globex (src-b2)\n"
    "- [ ] initech (src-c3)\n"
    "- [ ] hooli (src-e5)\n";

PullRequest pr(int64_t number, const std::string& title, const std::string& state,
               bool auto_merge = false, const std::string& body = "") {
  PullRequest p;
  p.number = number;
  p.title = title;
  p.state = state;
  p.auto_merge = auto_merge;
  p.body = body;
  p.url = "https://forge/pr/" + std::to_string(number);
  return p;
}

TrackedInstance instance(const std::string& id, const std::string& slug,
                         const std::string& result = "", const std::string& run_id = "",
                         const std::string& step = "") {
  return {id, slug, result, run_id, step};
}

TrackingSyncRequest request(std::vector<TrackedInstance> instances) {
  return {"prod", "4.1.0", std::move(instances)};
}

const SyncedInstance& find(const TrackingSync& sync, const std::string& id) {
  for (const auto& i : sync.instances)
    if (i.id == id) return i;
  throw std::runtime_error("no " + id);
}

TEST(TrackingSync, TicksMergedAndAutoMergedMarksFailedLeavesTheRest) {
  auto req = request({instance("src-a1", "acme"), instance("src-b2", "globex"),
                      instance("src-c3", "initech", "failed", "r-3", "migrate"),
                      instance("src-e5", "hooli")});
  std::vector<PullRequest> prs = {
      pr(1, "acme: upgrade to 4.1.0", "merged"), pr(2, "globex: upgrade to 4.1.0", "merged", true),
      pr(3, "hooli: upgrade to 4.1.0", "open"), pr(4, "initech: upgrade to 4.0.1", "merged")};
  TrackingSync sync = sync_tracking_checklist(kBody, req, prs);
  EXPECT_EQ(sync.body,
            "Tracking the upgrade of `prod` to 4.1.0.\n\n"
            "- [x] acme (src-a1)\n"
            "- [x] globex (src-b2)\n"
            "- [ ] initech (src-c3) \u274C failed at migrate (run r-3)\n"
            "- [ ] hooli (src-e5)\n");
  EXPECT_TRUE(sync.changed);
  EXPECT_EQ(sync.ticked, 2);
  EXPECT_EQ(sync.marked, 1);
  EXPECT_EQ(sync.unchanged, 1);
  EXPECT_EQ(sync.not_listed, 0);
  EXPECT_EQ(find(sync, "src-b2").state, "merged");
  EXPECT_TRUE(find(sync, "src-b2").pr->auto_merge);
  EXPECT_EQ(find(sync, "src-e5").state, "open");
  EXPECT_EQ(find(sync, "src-e5").change, SyncChange::kNone);
  EXPECT_EQ(find(sync, "src-c3").mark, "\u274C failed at migrate (run r-3)");

  // The same facts again: the same body, nothing to write.
  TrackingSync again = sync_tracking_checklist(sync.body, req, prs);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.body, sync.body);
  EXPECT_EQ(again.ticked + again.marked + again.cleared, 0);
  EXPECT_EQ(again.unchanged, 4);
}

TEST(TrackingSync, ANewerFailureReplacesTheMarkAndSuccessOrMergeClearsIt) {
  std::string body =
      "- [ ] initech (src-c3) \u274C failed at migrate (run r-3)\r\n- [ ] acme (src-a1)";
  TrackingSync newer = sync_tracking_checklist(
      body, request({instance("src-c3", "initech", "rolled_back", "r-4", "verify")}), {});
  EXPECT_EQ(newer.body,
            "- [ ] initech (src-c3) \u274C failed at verify, rolled back (run r-4)\r\n"
            "- [ ] acme (src-a1)");
  EXPECT_EQ(newer.marked, 1);

  TrackingSync succeeded = sync_tracking_checklist(
      newer.body, request({instance("src-c3", "initech", "succeeded", "r-5")}),
      {pr(9, "initech: upgrade to 4.1.0", "open")});
  EXPECT_EQ(succeeded.body, "- [ ] initech (src-c3)\r\n- [ ] acme (src-a1)");
  EXPECT_EQ(succeeded.cleared, 1);

  // Merged after a failure: ticked, and the mark goes in the same change.
  TrackingSync merged = sync_tracking_checklist(
      newer.body, request({instance("src-c3", "initech", "failed", "r-4", "verify")}),
      {pr(9, "initech: upgrade to 4.1.0", "merged")});
  EXPECT_EQ(merged.body, "- [x] initech (src-c3)\r\n- [ ] acme (src-a1)");
  EXPECT_EQ(merged.ticked, 1);
  EXPECT_EQ(merged.marked, 0);
}

TEST(TrackingSync, NoNewsLeavesAMarkAndOtherLinesAlone) {
  std::string body =
      "Notes: acme (src-a1) went first\n"
      "- [ ] initech (src-c3) \u274C failed at migrate (run r-3)\n"
      "- [x] done-by-hand (src-z9)\n"
      "- [ ] acme-dev (src-f6)\n";
  // A run still going (or killed) is no news: the mark of the last failure stays.
  TrackingSync sync =
      sync_tracking_checklist(body,
                              request({instance("src-c3", "initech", "running or killed", "r-6"),
                                       instance("src-a1", "acme")}),
                              {pr(1, "acme: upgrade to 4.1.0", "merged")});
  EXPECT_EQ(sync.body, body);
  EXPECT_FALSE(sync.changed);
  EXPECT_EQ(sync.not_listed, 1);  // acme merged, but the checklist does not list it
  EXPECT_FALSE(find(sync, "src-a1").listed);
}

TEST(TrackingSync, APrOfAnotherEnvironmentOrVersionIsNotThisInstances) {
  auto req = request({instance("src-a1", "acme")});
  TrackingSync other_env = sync_tracking_checklist(
      kBody, req,
      {pr(1, "acme: upgrade to 4.1.0", "merged", false,
          "Upgrade of **acme** (`src-x`, environment `dev`) from 4.0.0 to 4.1.0")});
  EXPECT_FALSE(other_env.changed);
  EXPECT_EQ(find(other_env, "src-a1").state, "none");

  TrackingSync this_env = sync_tracking_checklist(
      kBody, req,
      {pr(1, "acme: upgrade to 4.1.0", "merged", false,
          "Upgrade of **acme** (`src-a1`, environment `prod`) from 4.0.0 to 4.1.0")});
  EXPECT_EQ(this_env.ticked, 1);

  // A closed (not merged) PR next to a merged one: the merged one counts.
  TrackingSync both = sync_tracking_checklist(
      kBody, req,
      {pr(7, "acme: upgrade to 4.1.0", "closed"), pr(3, "acme: upgrade to 4.1.0", "merged")});
  EXPECT_EQ(find(both, "src-a1").pr->number, 3);
  EXPECT_EQ(both.ticked, 1);
}

TEST(TrackingSync, AMarkStaysOnOneLine) {
  TrackingSync sync = sync_tracking_checklist(
      "- [ ] acme (src-a1)\n- [ ] globex (src-b2)\n",
      request({instance("src-a1", "acme", "failed", "r-1", "mig\nrate\r")}), {});
  EXPECT_EQ(sync.body,
            "- [ ] acme (src-a1) \u274C failed at mig rate  (run r-1)\n- [ ] globex (src-b2)\n");
}

TEST(TrackingSync, TickChecklistDropsAFailureMark) {
  std::string body = "- [ ] initech (src-c3) \u274C failed at migrate (run r-3)\n";
  EXPECT_EQ(tick_checklist(body, "src-c3"), TickResult::kTicked);
  EXPECT_EQ(body, "- [x] initech (src-c3)\n");
}

TEST(TrackingSync, ParamsAreCheckedAndAMissingIssueSaysHowToCreateIt) {
  EXPECT_THROW(read_tracking_sync_request({{"version", "4.1.0"}}), sdk::Error);
  EXPECT_THROW(read_tracking_sync_request({{"instances", nlohmann::json::array()}}), sdk::Error);
  EXPECT_THROW(read_tracking_sync_request({{"version", "4.1.0"}, {"instances", {{{"slug", "x"}}}}}),
               sdk::Error);
  auto req = read_tracking_sync_request(
      {{"environment", "prod"},
       {"version", "4.1.0"},
       {"instances",
        {{{"id", "src-a1"}, {"slug", "acme"}, {"run", nullptr}},
         {{"id", "src-c3"},
          {"slug", "initech"},
          {"run", {{"run_id", "r-3"}, {"result", "failed"}, {"failed_step", "migrate"}}}}}}});
  ASSERT_EQ(req.instances.size(), 2u);
  EXPECT_EQ(req.instances[1].failed_step, "migrate");
  try {
    throw_no_tracking_issue("Upgrade prod to 4.1.0", req);
    FAIL() << "no throw";
  } catch (const sdk::Failure& e) {
    EXPECT_NE(std::string(e.what()).find("mi2 env create-tracking-issue -e prod 4.1.0"),
              std::string::npos)
        << e.what();
    EXPECT_EQ(e.json_output()["found"], false);
  }
}

}  // namespace
}  // namespace mi2::forge
