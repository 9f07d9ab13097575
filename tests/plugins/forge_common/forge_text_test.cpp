// The forge-neutral text rules and the Link-header parser.
#include <gtest/gtest.h>

#include <mi2/sdk/host.hpp>

#include "forge_common/forge_text.h"
#include "forge_common/rest_client.h"

namespace mi2::forge {
namespace {

TEST(TickChecklist, TicksTheLineNamingTheSlugOrTheId) {
  std::string body = "Intro\n- [ ] acme (src-1)\n- [ ] acme-dev (src-9)\n* [ ] globex (src-2)\r\n";
  EXPECT_EQ(tick_checklist(body, "src-2"), TickResult::kTicked);
  EXPECT_EQ(body, "Intro\n- [ ] acme (src-1)\n- [ ] acme-dev (src-9)\n* [x] globex (src-2)\r\n");
  EXPECT_EQ(tick_checklist(body, "acme"), TickResult::kTicked);
  EXPECT_EQ(body, "Intro\n- [x] acme (src-1)\n- [ ] acme-dev (src-9)\n* [x] globex (src-2)\r\n");
  EXPECT_EQ(tick_checklist(body, "acme"), TickResult::kAlreadyTicked);
  EXPECT_EQ(tick_checklist(body, "initech"), TickResult::kNotListed);
  EXPECT_EQ(tick_checklist(body, ""), TickResult::kNotListed);
}

TEST(TickChecklist, LeavesOtherTextAlone) {
  std::string body = "- [ ] \n- [x] done (src-3)\nacme (src-1) is not a checklist line";
  EXPECT_EQ(tick_checklist(body, "src-1"), TickResult::kNotListed);
  EXPECT_EQ(body, "- [ ] \n- [x] done (src-3)\nacme (src-1) is not a checklist line");
}

TEST(BranchNames, OnlySafeNamesPass) {
  EXPECT_TRUE(valid_branch_name("acme/upgrade-instance"));
  EXPECT_TRUE(valid_branch_name("main"));
  for (const char* bad : {"", "-f", "/x", "x/", "a..b", "a b", "a;b", "x.lock", "a//b", "$(x)"})
    EXPECT_FALSE(valid_branch_name(bad)) << bad;
}

TEST(NextLink, FindsRelNextAmongOthers) {
  EXPECT_EQ(
      next_link(
          R"(<https://api.github.com/x?page=3>; rel="next", <https://api.github.com/x?page=9>; rel="last")"),
      "https://api.github.com/x?page=3");
  EXPECT_EQ(next_link(R"(<https://h/x?page=1>; rel="prev", <https://h/x?page=3>; rel="next")"),
            "https://h/x?page=3");
  EXPECT_FALSE(next_link(R"(<https://h/x?page=1>; rel="first")").has_value());
  EXPECT_FALSE(next_link("").has_value());
}

TEST(MainBranchTags, HighestBuildWins) {
  EXPECT_EQ(
      newest_main_branch_tag({"5.0.0", "208045_2023-04-01_5.0-0c4a8d6bb3e2",
                              "99999_2022-01-01_4.0-abcdef0", "210000_2023-05-01_5.0-abcdef12"}),
      "210000_2023-05-01_5.0-abcdef12");
  EXPECT_EQ(newest_main_branch_tag({"v1", "latest"}), "");
}

TEST(Numbers, AcceptsNumberHashAndString) {
  EXPECT_EQ(parse_number(nlohmann::json(12), "n"), 12);
  EXPECT_EQ(parse_number(nlohmann::json("#7"), "n"), 7);
  EXPECT_EQ(parse_number(nlohmann::json("42"), "n"), 42);
  EXPECT_THROW(parse_number(nlohmann::json("0"), "n"), sdk::Error);
  EXPECT_THROW(parse_number(nlohmann::json("7; rm"), "n"), sdk::Error);
  EXPECT_THROW(parse_number(nlohmann::json(-1), "n"), sdk::Error);
}

TEST(ApiMessage, ReadsGitHubAndGitLabShapes) {
  EXPECT_EQ(
      api_message(
          R"({"message":"Validation Failed","errors":[{"message":"A pull request already exists"}]})"),
      "Validation Failed; A pull request already exists");
  EXPECT_EQ(api_message(R"({"message":["Another open merge request already exists"]})"),
            R"(["Another open merge request already exists"])");
  EXPECT_EQ(api_message(R"({"error":"insufficient_scope"})"), "insufficient_scope");
  EXPECT_EQ(api_message("<html>Bad Gateway</html>"), "");
  EXPECT_EQ(url_encode("acme/deployments x"), "acme%2Fdeployments%20x");
}

}  // namespace
}  // namespace mi2::forge
