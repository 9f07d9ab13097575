// A stateful fake of GitHub's or GitLab's REST API on 127.0.0.1, for the
// forge plugins' tests: real HTTP over loopback, every request recorded,
// faults injectable. Only what the plugins call is implemented.
#pragma once

#include <mi2/sdk/host.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace mi2::test {

using Json = nlohmann::json;

struct RecordedRequest {
  std::string method;
  std::string target;                          // raw path and query, as sent
  std::string path;                            // raw path (percent-encoding kept)
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  Json json() const;
  std::string header(const std::string& lower_name) const;
};

class FakeForgeServer {
 public:
  enum class Kind { kGitHub, kGitLab };

  // Starts listening on 127.0.0.1 (a free port) at once; stops in the destructor.
  FakeForgeServer(Kind kind, std::string token);
  ~FakeForgeServer();
  FakeForgeServer(const FakeForgeServer&) = delete;
  FakeForgeServer& operator=(const FakeForgeServer&) = delete;

  // GitHub: http://127.0.0.1:PORT ; GitLab: http://127.0.0.1:PORT/api/v4
  std::string api_url() const;
  int port() const { return port_; }

  // Repositories (GitHub owner/name) or projects (GitLab path) that exist.
  void add_repository(const std::string& name);
  // Lists answer at most this many items per page (forces pagination).
  void set_page_size(int size);
  // The next `times` requests with this method whose raw path starts with
  // `path_prefix` get this answer instead.
  // `after_handling`: the request is served as usual first (a 5xx that hides
  // a success), then answered with this status and body.
  void inject(const std::string& method, const std::string& path_prefix, int status,
              std::map<std::string, std::string> headers, std::string body, int times = 1,
              bool after_handling = false);
  // What the token may do in the repositories (GET /repos/R, GET /projects/P):
  // GitHub permissions.push, GitLab access level Developer (30) or Reporter (20).
  void set_push_access(bool push);
  // Merges are refused (405) until checks pass: auto-merge is the way in.
  // When checks pass, every open PR with auto-merge set merges, as the forges
  // do (GitHub: closed with merged_at, auto_merge kept; GitLab: merged).
  void set_checks_pending(bool pending);
  void set_latest_release(const std::string& tag);
  void set_tags(const std::vector<std::string>& names);

  // CI runs (fake_forge_runs.cpp). Each new run (GitHub workflow run, GitLab
  // pipeline) moves through `states`, one step each time its status is read
  // (GET of that one run); it then stays in the last. GitHub states are
  // "queued", "in_progress", "completed:<conclusion>"; GitLab's are its
  // pipeline statuses ("created", "running", "success", "failed", ...).
  void set_run_states(const std::vector<std::string>& states);
  // Runs with an input (GitHub) or variable (GitLab) equal to `value` end in
  // `final_state` instead of the last of set_run_states.
  void set_final_state_for(const std::string& value, const std::string& final_state);
  // GitHub: a new run shows in runs lists only from the n-th list request
  // after its dispatch on (GitHub's lag between a dispatch and its run).
  void set_run_listing_delay(int list_requests);
  // GitHub: the run-name template of every workflow, `${{ inputs.NAME }}`
  // replaced by the dispatch's inputs (GitHub's display_title). Empty: the
  // workflow's name alone, as a workflow without run-name shows.
  void set_run_name(const std::string& run_name_template);
  // GitHub: whether a dispatch with return_run_details answers 200 with the
  // run's id (GitHub since 2026-02) or always 204 (older GitHub, GHES).
  void set_return_run_details(bool supported);
  // GitHub: the inputs a workflow declares; a dispatch with another input is
  // refused with 422 "Unexpected inputs provided" as GitHub does. Unset: any.
  void set_workflow_inputs(const std::string& workflow, const std::vector<std::string>& inputs);

  // State, as plain JSON copies.
  std::vector<RecordedRequest> requests() const;
  std::vector<RecordedRequest> requests_to(const std::string& method,
                                           const std::string& path_prefix) const;
  Json pulls() const;   // PRs / MRs
  Json issues() const;  // issues only
  Json runs() const;    // workflow runs / pipelines
  Json approvals() const;

  // Seeds a PR/MR directly (as if opened by someone else).
  Json seed_pull(const std::string& repository, const std::string& branch, const std::string& title,
                 const std::vector<std::string>& labels, const std::string& body = "");
  // Moves a PR/MR to "merged" (as a merge in the web page does), "closed"
  // (without merging) or "open".
  void set_pull_state(const std::string& repository, int64_t number, const std::string& state);
  Json seed_issue(const std::string& repository, const std::string& title, const std::string& body,
                  const std::vector<std::string>& labels);

 private:
  struct Fault {
    std::string method, prefix;
    int status;
    std::map<std::string, std::string> headers;
    std::string body;
    int times;
    bool after_handling;
  };

  void handle(const httplib::Request& req, httplib::Response& res);
  void handle_github(const RecordedRequest& r, httplib::Response& res);
  void handle_gitlab(const RecordedRequest& r, httplib::Response& res);
  // The runs endpoints; false when `rest` is not one of them.
  bool handle_github_runs(const RecordedRequest& r, const std::string& repo,
                          const std::vector<std::string>& rest, httplib::Response& res);
  bool handle_gitlab_pipelines(const RecordedRequest& r, const std::string& project,
                               const std::vector<std::string>& rest, httplib::Response& res);
  Json new_run(const Json& values);  // the script fields of a new run
  // Reads a run's status: answers it, then moves it one state on.
  Json read_run(Json& run);
  // Answers one page of `items` with Link headers.
  void page(const RecordedRequest& r, const Json& items, httplib::Response& res);
  Json* find_pull(const std::string& repo, int64_t number);
  Json* find_issue(const std::string& repo, int64_t number);
  void move_pull(Json& pull, const std::string& state);  // mutex held

  Kind kind_;
  std::string token_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;

  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;
  std::vector<Fault> faults_;
  std::set<std::string> repositories_;
  int page_size_ = 100;
  bool checks_pending_ = false;
  bool push_access_ = true;
  std::string latest_tag_ = "v4.1.0";
  std::vector<std::string> tags_;
  int64_t next_number_ = 1;
  int64_t next_id_ = 1000;
  Json pulls_ = Json::array();
  Json issues_ = Json::array();
  Json runs_ = Json::array();
  std::vector<std::string> run_states_;
  std::map<std::string, std::string> final_states_;
  int run_listing_delay_ = 0;
  std::string run_name_;
  bool return_run_details_ = true;
  std::map<std::string, std::vector<std::string>> workflow_inputs_;
  Json approvals_ = Json::array();
};

// "2026-12-03T06:15:00Z": now, as the forges write times.
std::string now_utc();

// Sends one request of a plugin (as the SDK's FakeHost sees it) over real
// HTTP with cpp-httplib: FakeHost::on_http = mi2::test::send_over_loopback.
sdk::HttpResponse send_over_loopback(const sdk::HttpRequest& request);

}  // namespace mi2::test
