// Live progress and the fleet status view on the sample fleet, through the
// real mi2: `env upgrade` and `instance upgrade` under a pseudo-terminal
// (python3's pty module) and through pipes (no escape codes), then
// `env status` as a table, as JSON and as an HTML page that headless
// Chromium renders (Debian's chromium, installed here when missing).
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <regex>

#include "core/sys/process_runner.h"
#include "tests/e2e/e2e_fixture.h"

namespace mi2::e2e {
namespace {

const char* kTwo = R"(.metadata.name == "src-1a2b3c" or .metadata.name == "src-0d1e2f")";

// True when one line of `text` (split at \n and \r) matches `pattern`.
bool some_line_matches(const std::string& text, const std::string& pattern) {
  std::regex re(pattern);
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find_first_of("\r\n", start);
    if (end == std::string::npos) end = text.size();
    if (std::regex_search(text.begin() + static_cast<long>(start),
                          text.begin() + static_cast<long>(end), re))
      return true;
    start = end + 1;
  }
  return false;
}

// The rendered row of `id` (from <tr data-id="ID"> to its </tr>), or "".
std::string row_of(const std::string& dom, const std::string& id) {
  size_t at = dom.find("<tr data-id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  return dom.substr(at, dom.find("</tr>", at) - at);
}

class StatusE2eTest : public FleetE2eTest {
 protected:
  // mi2 ARGS on a pseudo-terminal 100 columns wide; what it showed there.
  mi2::test::Mi2Result mi2_on_terminal(const std::vector<std::string>& args,
                                       const std::string& id = "src-1a2b3c") {
    fs::path screen = dir_.path() / "screen.out";
    ProcessRequest request;
    request.argv = {"python3", MI2_SOURCE_DIR "/tests/e2e/pty_run.py", screen.string(), "100",
                    MI2_BINARY_DIR "/bin/mi2"};
    request.argv.insert(request.argv.end(), args.begin(), args.end());
    request.cwd = instance_dir(id).string();
    request.env = env_;
    request.env.push_back("TERM=xterm");
    request.env.push_back("NO_COLOR=");
    request.timeout = std::chrono::minutes(5);
    ProcessResult r = SystemProcessRunner().run(request);
    return {r.exit_code, slurp(screen), r.err};
  }
  bool have_python() {
    ProcessRequest request;
    request.argv = {"python3", "-c", "import pty"};
    return SystemProcessRunner().run(request).ok();
  }
};

TEST_F(StatusE2eTest, EnvUpgradeOffATerminalPrintsOneLinePerEventAndNoEscapes) {
  first_deploy("src-0d1e2f");
  auto r = mi2({"env", "upgrade", "-e", "dev", "-filter", R"(.metadata.name == "src-0d1e2f")",
                "-target-version", "4.2.0"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("src-0d1e2f: started (wave 1)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("src-0d1e2f: [1/10] precheck\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("src-0d1e2f: [8/10] deploy\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("src-0d1e2f: succeeded ("), std::string::npos) << r.out;
  // Plugin log lines are in the instance's run log, linked in the recap.
  EXPECT_EQ(r.err.find("local: started"), std::string::npos) << r.err;
  std::smatch log;
  ASSERT_TRUE(std::regex_search(r.out, log, std::regex(R"((/\S+/src-0d1e2f\.log))"))) << r.out;
  std::string text = slurp(log[1].str());
  EXPECT_NE(text.find("local info: started frontend 4.2.0"), std::string::npos)
      << log[1].str() << ":\n"
      << text;
  EXPECT_NE(text.find("new workloads healthy"), std::string::npos) << text;  // progress
}

TEST_F(StatusE2eTest, EnvUpgradeOnATerminalShowsOneLiveStatusBlock) {
  if (!have_python()) GTEST_SKIP() << "python3 with its pty module is not installed";
  first_deploy("src-1a2b3c");
  first_deploy("src-0d1e2f");
  auto r = mi2_on_terminal({"env", "upgrade", "-e", "dev", "-filter", kTwo, "-target-version",
                            "4.2.0", "--max-parallel", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string& screen = r.out;
  EXPECT_NE(screen.find("\x1b[J"), std::string::npos) << screen;  // the block is redrawn
  EXPECT_NE(screen.find("Wave 1/1: 0 done, 2 running, 0 failed, 0 remaining |"), std::string::npos)
      << screen;
  EXPECT_NE(screen.find("elapsed"), std::string::npos);
  EXPECT_TRUE(some_line_matches(screen, R"(^  src-(1a2b3c|0d1e2f)  \[\d+/10\] \w)")) << screen;
  EXPECT_TRUE(some_line_matches(screen, R"(1 done, 1 running.* elapsed, ~\S+ left$)")) << screen;
  // Off the block: the event lines and the recap; no plugin log line at all.
  EXPECT_EQ(screen.find("local: started"), std::string::npos) << screen;
  EXPECT_EQ(screen.find("src-1a2b3c: [1/10]"), std::string::npos) << screen;
  EXPECT_NE(screen.find("src-1a2b3c: succeeded ("), std::string::npos) << screen;
  EXPECT_NE(screen.find("INSTANCE"), std::string::npos) << screen;
  EXPECT_NE(screen.find("/src-1a2b3c.log"), std::string::npos) << screen;
  EXPECT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.2.0");
  EXPECT_EQ(frontend_get("src-0d1e2f", "/__version"), "4.2.0");
}

TEST_F(StatusE2eTest, InstanceUpgradeShowsTheStepAndPluginProgress) {
  first_deploy("src-0d1e2f");
  auto piped = mi2({"instance", "upgrade", "-target-version", "4.2.0"}, "src-0d1e2f");
  ASSERT_EQ(piped.exit_code, 0) << piped.out << piped.err;
  EXPECT_EQ(piped.out.find('\x1b'), std::string::npos) << piped.out;
  EXPECT_NE(piped.out.find("      local: 2/2 new workloads healthy (100%)\n"), std::string::npos)
      << piped.out;

  if (!have_python()) GTEST_SKIP() << "python3 with its pty module is not installed";
  first_deploy("src-1a2b3c");
  auto r = mi2_on_terminal({"instance", "upgrade", "-target-version", "4.2.0"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // The running step on a line redrawn in place, with the plugin's progress.
  EXPECT_NE(r.out.find("\r\x1b[K[8/10] deploy ..."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[8/10] deploy - local: 2/2 new workloads healthy (100%)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("[8/10] deploy: ok ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("      local: started frontend 4.2.0"), std::string::npos) << r.out;
}

// Chromium when installed, else installs Debian's package; "" when that fails.
std::string chromium() {
  for (const char* name : {"chromium", "chromium-browser"}) {
    ProcessRequest which;
    which.argv = {"sh", "-c", std::string("command -v ") + name};
    ProcessResult found = SystemProcessRunner().run(which);
    if (found.ok() && !found.out.empty()) return found.out.substr(0, found.out.find('\n'));
  }
  ProcessRequest install;
  install.argv = {"sh", "-c",
                  "(apt-get install -y -qq chromium || (apt-get update -qq && apt-get install -y "
                  "-qq chromium)) >/dev/null 2>&1"};
  install.env = {"DEBIAN_FRONTEND=noninteractive"};
  install.timeout = std::chrono::minutes(8);
  if (!SystemProcessRunner().run(install).ok()) return "";
  return fs::exists("/usr/bin/chromium") ? "/usr/bin/chromium" : "";
}

// The DOM headless Chromium rendered for `url` (after the page's scripts ran).
std::string rendered_dom(const std::string& browser, const std::string& url,
                         const fs::path& profile) {
  ProcessRequest request;
  request.argv = {browser,
                  "--headless",
                  "--no-sandbox",
                  "--disable-gpu",
                  "--disable-quic",
                  "--no-first-run",
                  "--disable-background-networking",
                  "--disable-component-update",
                  "--disable-sync",
                  "--user-data-dir=" + profile.string(),
                  "--dump-dom",
                  url};
  request.timeout = std::chrono::minutes(2);
  ProcessResult r = SystemProcessRunner().run(request);
  EXPECT_TRUE(r.ok()) << "chromium: " << r.err;
  return r.out;
}

// The rendered table's rows: each <tr data-id="ID"> in page order.
std::vector<std::string> row_ids(const std::string& dom) {
  std::vector<std::string> ids;
  std::regex row(R"re(<tr data-id="([^"]+)")re");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), row); it != std::sregex_iterator();
       ++it)
    ids.push_back((*it)[1].str());
  return ids;
}

TEST_F(StatusE2eTest, EnvStatusShowsVersionsRunsPullRequestsAndLocks) {
  first_deploy("src-1a2b3c");
  ASSERT_EQ(mi2({"instance", "upgrade", "-target-version", "4.2.0"}).exit_code, 0);
  // A live run holds src-0d1e2f's lock (this test process).
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  json lock = {{"lock_id", "lk-test"}, {"run_id", "20260101T000000Z-abc123"},
               {"owner", "e2e"},       {"host", host},
               {"pid", getpid()},      {"created", static_cast<double>(std::time(nullptr))},
               {"ttl_seconds", 7200}};
  fs::path state = root() / ".mi2/state/dev/src-0d1e2f";
  fs::create_directories(state);
  std::ofstream(state / "lock.json") << lock.dump();

  auto r = mi2({"env", "status", "-e", "dev", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json status = json::parse(r.out);
  std::map<std::string, json> by_id;
  for (const auto& row : status["instances"]) by_id[row["id"]] = row;
  ASSERT_EQ(by_id.size(), 4u);
  const json& upgraded = by_id["src-1a2b3c"];
  EXPECT_EQ(upgraded["version"], "4.2.0");
  EXPECT_EQ(upgraded["channel"], "stable");
  EXPECT_EQ(upgraded["last_run"]["result"], "succeeded");
  EXPECT_EQ(upgraded["last_run"]["recipe"], "upgrade-instance");
  ASSERT_TRUE(upgraded["pr"].is_object()) << upgraded.dump();
  EXPECT_NE(upgraded["pr"]["url"].get<std::string>(), "");
  EXPECT_TRUE(upgraded["lock"].is_null());
  EXPECT_EQ(by_id["src-0d1e2f"]["lock"]["run_id"], "20260101T000000Z-abc123");
  EXPECT_EQ(by_id["src-0d1e2f"]["lock_stale"], false);
  EXPECT_TRUE(by_id["src-0d1e2f"]["last_run"].is_null());
  ASSERT_GE(status["versions"].size(), 2u);
  size_t counted = 0;
  for (const auto& v : status["versions"]) counted += v["instances"].get<size_t>();
  EXPECT_EQ(counted, 4u);

  auto table = mi2({"env", "status", "-e", "dev", "-filter", kTwo});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_EQ(table.out.find('\x1b'), std::string::npos);
  EXPECT_NE(table.out.find("UPGRADE PR"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("held: 20260101T000000Z-abc123 (pid "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("2 instance(s) - "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("4.2.0: 1"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("succeeded"), std::string::npos) << table.out;

  auto quiet = mi2({"-q", "env", "status", "-e", "dev", "-filter", kTwo});
  EXPECT_EQ(quiet.out, "src-0d1e2f\nsrc-1a2b3c\n");
  auto bad = mi2({"env", "status", "-e", "dev", "-filter", ".spec |"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find(".spec |"), std::string::npos) << bad.err;
}

TEST_F(StatusE2eTest, EnvStatusHtmlRendersInHeadlessChromium) {
  first_deploy("src-1a2b3c");
  ASSERT_EQ(mi2({"instance", "upgrade", "-target-version", "4.2.0"}).exit_code, 0);
  fs::path page = dir_.path() / "status.html";
  auto r = mi2({"env", "status", "-e", "dev", "--html", page.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string html = slurp(page);
  ASSERT_NE(html.find("<svg id=\"versions\""), std::string::npos);
  // Self-contained: nothing is fetched.
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(html.find("src=\""), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_FALSE(fs::exists(page.string() + ".tmp"));

  std::string browser = chromium();
  if (browser.empty())
    GTEST_SKIP() << "headless Chromium is not installed and 'apt-get install -y chromium' "
                    "failed: the page was written but not rendered";
  std::string dom = rendered_dom(browser, "file://" + page.string(), dir_.path() / "profile1");
  EXPECT_NE(dom.find("<span id=\"rendered\">4</span>"), std::string::npos) << dom;
  EXPECT_EQ(row_ids(dom),
            (std::vector<std::string>{"src-0d1e2f", "src-1a2b3c", "src-4d5e6f", "src-7a8b9c"}));
  std::string row = row_of(dom, "src-1a2b3c");
  EXPECT_NE(row.find("<td data-col=\"version\">4.2.0</td>"), std::string::npos) << row;
  EXPECT_NE(row.find("<td data-col=\"result\" class=\"succeeded\">succeeded</td>"),
            std::string::npos)
      << row;
  EXPECT_NE(row.find("<a href=\""), std::string::npos) << row;  // the upgrade PR
  EXPECT_NE(row_of(dom, "src-7a8b9c").find("<td data-col=\"version\">4.0.0</td>"),
            std::string::npos);
  EXPECT_NE(dom.find("data-count=\"1\""), std::string::npos);  // a bar of the chart
  // Sorted by version, newest first, from the address.
  std::string sorted =
      rendered_dom(browser, "file://" + page.string() + "#sort=version:desc", dir_.path() / "p2");
  auto ids = row_ids(sorted);
  ASSERT_EQ(ids.size(), 4u) << sorted;
  EXPECT_EQ(ids.front(), "src-1a2b3c");
  EXPECT_NE(sorted.find("class=\"sorted-desc\""), std::string::npos);
}

}  // namespace
}  // namespace mi2::e2e
