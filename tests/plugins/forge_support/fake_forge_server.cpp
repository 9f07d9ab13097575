#include "tests/plugins/forge_support/fake_forge_server.h"

#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <stdexcept>

namespace mi2::test {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::string percent_decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string percent_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Label names of an item: GitHub [{name}], GitLab ["x"].
std::vector<std::string> label_names(const Json& item) {
  std::vector<std::string> names;
  for (const auto& label : item.value("labels", Json::array()))
    names.push_back(label.is_string() ? label.get<std::string>() : label.value("name", ""));
  return names;
}

bool has_labels(const Json& item, const std::string& wanted) {
  auto names = label_names(item);
  for (const auto& label : split_commas(wanted))
    if (std::find(names.begin(), names.end(), label) == names.end()) return false;
  return true;
}

void reply(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  if (!body.is_null()) res.set_content(body.dump(), "application/json");
}

int64_t to_number(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(text);
}

}  // namespace

std::string now_utc() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

Json RecordedRequest::json() const {
  Json parsed = Json::parse(body, nullptr, false);
  return parsed.is_discarded() ? Json(nullptr) : parsed;
}

std::string RecordedRequest::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

FakeForgeServer::FakeForgeServer(Kind kind, std::string token)
    : kind_(kind), token_(std::move(token)), server_(std::make_unique<httplib::Server>()) {
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  server_->Patch(".*", handler);
  server_->Delete(".*", handler);
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("the fake forge could not bind 127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  for (int i = 0; i < 200 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

FakeForgeServer::~FakeForgeServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeForgeServer::api_url() const {
  std::string root = "http://127.0.0.1:" + std::to_string(port_);
  return kind_ == Kind::kGitHub ? root : root + "/api/v4";
}

void FakeForgeServer::add_repository(const std::string& name) {
  std::lock_guard lock(mutex_);
  repositories_.insert(name);
}

void FakeForgeServer::set_push_access(bool push) {
  std::lock_guard lock(mutex_);
  push_access_ = push;
}

void FakeForgeServer::set_page_size(int size) {
  std::lock_guard lock(mutex_);
  page_size_ = size;
}

void FakeForgeServer::inject(const std::string& method, const std::string& path_prefix, int status,
                             std::map<std::string, std::string> headers, std::string body,
                             int times, bool after_handling) {
  std::lock_guard lock(mutex_);
  faults_.push_back(
      {method, path_prefix, status, std::move(headers), std::move(body), times, after_handling});
}

void FakeForgeServer::set_checks_pending(bool pending) {
  std::lock_guard lock(mutex_);
  checks_pending_ = pending;
  if (pending) return;
  for (auto& pull : pulls_) {
    bool queued = kind_ == Kind::kGitHub ? !pull["auto_merge"].is_null()
                                         : pull.value("merge_when_pipeline_succeeds", false);
    bool open = pull["state"] == (kind_ == Kind::kGitHub ? "open" : "opened");
    if (queued && open) move_pull(pull, "merged");
  }
}

void FakeForgeServer::set_pull_state(const std::string& repository, int64_t number,
                                     const std::string& state) {
  std::lock_guard lock(mutex_);
  Json* pull = find_pull(repository, number);
  if (!pull) throw std::runtime_error("the fake forge has no pull " + std::to_string(number));
  move_pull(*pull, state);
}

void FakeForgeServer::move_pull(Json& pull, const std::string& state) {
  if (kind_ == Kind::kGitLab) {
    pull["state"] = state == "open" ? "opened" : state;
    return;
  }
  pull["state"] = state == "merged" ? "closed" : state;
  pull["merged_at"] = state == "merged" ? Json(now_utc()) : Json(nullptr);
}

void FakeForgeServer::set_latest_release(const std::string& tag) {
  std::lock_guard lock(mutex_);
  latest_tag_ = tag;
}

void FakeForgeServer::set_tags(const std::vector<std::string>& names) {
  std::lock_guard lock(mutex_);
  tags_ = names;
}

std::vector<RecordedRequest> FakeForgeServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<RecordedRequest> FakeForgeServer::requests_to(const std::string& method,
                                                          const std::string& path_prefix) const {
  std::vector<RecordedRequest> out;
  for (auto& r : requests())
    if (r.method == method && r.path.rfind(path_prefix, 0) == 0) out.push_back(r);
  return out;
}

Json FakeForgeServer::pulls() const {
  std::lock_guard lock(mutex_);
  return pulls_;
}
Json FakeForgeServer::issues() const {
  std::lock_guard lock(mutex_);
  return issues_;
}
Json FakeForgeServer::runs() const {
  std::lock_guard lock(mutex_);
  return runs_;
}
Json FakeForgeServer::approvals() const {
  std::lock_guard lock(mutex_);
  return approvals_;
}

Json FakeForgeServer::seed_pull(const std::string& repository, const std::string& branch,
                                const std::string& title, const std::vector<std::string>& labels,
                                const std::string& body) {
  std::lock_guard lock(mutex_);
  int64_t number = next_number_++;
  std::string web = "http://127.0.0.1:" + std::to_string(port_) + "/" + repository;
  Json pull;
  if (kind_ == Kind::kGitHub) {
    Json label_objects = Json::array();
    for (const auto& l : labels) label_objects.push_back({{"name", l}});
    pull = {{"repo", repository},
            {"number", number},
            {"node_id", "PR_node_" + std::to_string(number)},
            {"title", title},
            {"body", body},
            {"state", "open"},
            {"html_url", web + "/pull/" + std::to_string(number)},
            {"head", {{"ref", branch}}},
            {"base", {{"ref", "main"}}},
            {"labels", label_objects},
            {"draft", false},
            {"auto_merge", nullptr},
            {"merged_at", nullptr}};
  } else {
    pull = {{"repo", repository},
            {"iid", number},
            {"id", next_id_++},
            {"title", title},
            {"description", body},
            {"state", "opened"},
            {"web_url", web + "/-/merge_requests/" + std::to_string(number)},
            {"source_branch", branch},
            {"target_branch", "main"},
            {"labels", labels},
            {"draft", false},
            {"merge_when_pipeline_succeeds", false}};
  }
  pulls_.push_back(pull);
  return pull;
}

Json FakeForgeServer::seed_issue(const std::string& repository, const std::string& title,
                                 const std::string& body, const std::vector<std::string>& labels) {
  std::lock_guard lock(mutex_);
  int64_t number = next_number_++;
  std::string web = "http://127.0.0.1:" + std::to_string(port_) + "/" + repository;
  Json issue;
  if (kind_ == Kind::kGitHub) {
    Json label_objects = Json::array();
    for (const auto& l : labels) label_objects.push_back({{"name", l}});
    issue = {{"repo", repository},
             {"number", number},
             {"title", title},
             {"body", body},
             {"state", "open"},
             {"labels", label_objects},
             {"html_url", web + "/issues/" + std::to_string(number)}};
  } else {
    issue = {{"repo", repository},  {"iid", number},
             {"id", next_id_++},    {"title", title},
             {"description", body}, {"state", "opened"},
             {"labels", labels},    {"web_url", web + "/-/issues/" + std::to_string(number)}};
  }
  issues_.push_back(issue);
  return issue;
}

Json* FakeForgeServer::find_pull(const std::string& repo, int64_t number) {
  const char* key = kind_ == Kind::kGitHub ? "number" : "iid";
  for (auto& pull : pulls_)
    if (pull["repo"] == repo && pull[key] == number) return &pull;
  return nullptr;
}

Json* FakeForgeServer::find_issue(const std::string& repo, int64_t number) {
  const char* key = kind_ == Kind::kGitHub ? "number" : "iid";
  for (auto& issue : issues_)
    if (issue["repo"] == repo && issue[key] == number) return &issue;
  return nullptr;
}

void FakeForgeServer::page(const RecordedRequest& r, const Json& items, httplib::Response& res) {
  int per_page = page_size_;
  if (r.query.count("per_page")) per_page = std::min(per_page, std::stoi(r.query.at("per_page")));
  int page_number = r.query.count("page") ? std::stoi(r.query.at("page")) : 1;
  size_t begin = static_cast<size_t>((page_number - 1) * per_page);
  Json slice = Json::array();
  for (size_t i = begin; i < items.size() && i < begin + per_page; ++i) slice.push_back(items[i]);
  if (begin + per_page < items.size()) {
    std::map<std::string, std::string> query = r.query;
    query["page"] = std::to_string(page_number + 1);
    std::string next = "http://127.0.0.1:" + std::to_string(port_) + r.path + "?";
    for (const auto& [k, v] : query) next += percent_encode(k) + "=" + percent_encode(v) + "&";
    next.pop_back();
    res.set_header("Link", "<" + next + ">; rel=\"next\"");
  }
  reply(res, 200, slice);
}

void FakeForgeServer::handle(const httplib::Request& req, httplib::Response& res) {
  RecordedRequest r;
  r.method = req.method;
  r.target = req.target;
  r.path = req.target.substr(0, req.target.find('?'));
  for (const auto& [k, v] : req.params) r.query[k] = v;
  for (const auto& [k, v] : req.headers) {
    std::string lower = k;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[lower] = v;
  }
  r.body = req.body;

  std::lock_guard lock(mutex_);
  requests_.push_back(r);
  for (auto& fault : faults_) {
    if (fault.times <= 0 || fault.method != r.method || r.path.rfind(fault.prefix, 0) != 0)
      continue;
    --fault.times;
    if (fault.after_handling) {
      if (kind_ == Kind::kGitHub)
        handle_github(r, res);
      else
        handle_gitlab(r, res);
    }
    res.status = fault.status;
    for (const auto& [k, v] : fault.headers) res.set_header(k, v);
    res.set_content(fault.body, "application/json");
    return;
  }
  if (kind_ == Kind::kGitHub) {
    if (r.header("authorization") != "Bearer " + token_)
      return reply(res, 401, {{"message", "Bad credentials"}});
    return handle_github(r, res);
  }
  if (r.header("private-token") != token_)
    return reply(res, 401, {{"message", "401 Unauthorized"}});
  handle_gitlab(r, res);
}

void FakeForgeServer::handle_github(const RecordedRequest& r, httplib::Response& res) {
  auto s = split_path(r.path);
  const Json body = r.json();
  const Json not_found = {{"message", "Not Found"}};
  if (s.size() == 1 && s[0] == "graphql" && r.method == "POST") {
    std::string node = body["variables"].value("id", "");
    for (auto& pull : pulls_) {
      if (pull["node_id"] != node) continue;
      pull["auto_merge"] = {{"merge_method", body["variables"].value("method", "")}};
      return reply(
          res, 200,
          {{"data",
            {{"enablePullRequestAutoMerge", {{"pullRequest", {{"number", pull["number"]}}}}}}}});
    }
    return reply(res, 200, {{"errors", {{{"message", "Could not resolve to a node"}}}}});
  }
  if (s.size() < 3 || s[0] != "repos") return reply(res, 404, not_found);
  const std::string repo = s[1] + "/" + s[2];
  if (!repositories_.count(repo)) return reply(res, 404, not_found);
  if (s.size() == 3 && r.method == "GET") {
    // GitHub's repository object, with the permissions of the token's user.
    return reply(res, 200,
                 {{"id", 4242},
                  {"full_name", repo},
                  {"private", true},
                  {"archived", false},
                  {"default_branch", "main"},
                  {"html_url", "http://127.0.0.1:" + std::to_string(port_) + "/" + repo},
                  {"permissions",
                   {{"admin", false},
                    {"maintain", false},
                    {"push", push_access_},
                    {"triage", true},
                    {"pull", true}}}});
  }
  if (s.size() < 4) return reply(res, 404, not_found);
  std::vector<std::string> rest(s.begin() + 3, s.end());
  const std::string web = "http://127.0.0.1:" + std::to_string(port_) + "/" + repo;

  if (rest[0] == "pulls" && rest.size() == 1 && r.method == "GET") {
    std::string state = r.query.count("state") ? r.query.at("state") : "open";
    std::string head = r.query.count("head") ? r.query.at("head") : "";
    Json items = Json::array();
    for (const auto& pull : pulls_) {
      if (pull["repo"] != repo) continue;
      if (state != "all" && pull["state"] != state) continue;
      if (!head.empty() && s[1] + ":" + pull["head"]["ref"].get<std::string>() != head) continue;
      items.push_back(pull);
    }
    return page(r, items, res);
  }
  if (rest[0] == "pulls" && rest.size() == 1 && r.method == "POST") {
    for (const auto& pull : pulls_) {
      if (pull["repo"] == repo && pull["state"] == "open" && pull["head"]["ref"] == body["head"])
        return reply(res, 422,
                     {{"message", "Validation Failed"},
                      {"errors",
                       {{{"resource", "PullRequest"},
                         {"code", "custom"},
                         {"message", "A pull request already exists for " + s[1] + ":" +
                                         body["head"].get<std::string>() + "."}}}}});
    }
    int64_t number = next_number_++;
    Json pull = {{"repo", repo},
                 {"number", number},
                 {"node_id", "PR_node_" + std::to_string(number)},
                 {"title", body["title"]},
                 {"body", body["body"]},
                 {"state", "open"},
                 {"html_url", web + "/pull/" + std::to_string(number)},
                 {"head", {{"ref", body["head"]}}},
                 {"base", {{"ref", body["base"]}}},
                 {"labels", Json::array()},
                 {"draft", false},
                 {"auto_merge", nullptr},
                 {"merged_at", nullptr}};
    pulls_.push_back(pull);
    return reply(res, 201, pull);
  }
  if (rest[0] == "pulls" && rest.size() >= 2) {
    Json* pull = find_pull(repo, to_number(rest[1]));
    if (!pull) return reply(res, 404, not_found);
    if (rest.size() == 2 && r.method == "GET") return reply(res, 200, *pull);
    if (rest.size() == 2 && r.method == "PATCH") {
      for (const char* key : {"title", "body"})
        if (body.contains(key)) (*pull)[key] = body[key];
      if (body.contains("base")) (*pull)["base"]["ref"] = body["base"];
      return reply(res, 200, *pull);
    }
    if (rest.size() == 3 && rest[2] == "reviews" && r.method == "POST") {
      approvals_.push_back({{"number", (*pull)["number"]}, {"event", body.value("event", "")}});
      return reply(res, 200, {{"id", next_id_++}, {"state", "APPROVED"}});
    }
    if (rest.size() == 3 && rest[2] == "merge" && r.method == "PUT") {
      if (checks_pending_)
        return reply(res, 405, {{"message", "Required status check \"ci\" is expected."}});
      (*pull)["state"] = "closed";
      (*pull)["merged_at"] = now_utc();
      (*pull)["merge_method"] = body.value("merge_method", "");
      return reply(res, 200, {{"sha", "abc123"}, {"merged", true}, {"message", "merged"}});
    }
  }
  if (rest[0] == "issues" && rest.size() == 1 && r.method == "GET") {
    std::string state = r.query.count("state") ? r.query.at("state") : "open";
    std::string labels = r.query.count("labels") ? r.query.at("labels") : "";
    Json items = Json::array();
    for (const Json* list : {&issues_, &pulls_}) {
      for (Json item : *list) {
        if (item["repo"] != repo) continue;
        if (state != "all" && item["state"] != state) continue;
        if (!labels.empty() && !has_labels(item, labels)) continue;
        if (list == &pulls_) item["pull_request"] = {{"url", item["html_url"]}};
        items.push_back(item);
      }
    }
    std::sort(items.begin(), items.end(),
              [](const Json& a, const Json& b) { return a["number"] > b["number"]; });
    return page(r, items, res);
  }
  if (rest[0] == "issues" && rest.size() == 1 && r.method == "POST") {
    int64_t number = next_number_++;
    Json labels = Json::array();
    for (const auto& l : body.value("labels", Json::array())) labels.push_back({{"name", l}});
    Json issue = {{"repo", repo},
                  {"number", number},
                  {"title", body["title"]},
                  {"body", body.value("body", "")},
                  {"state", "open"},
                  {"labels", labels},
                  {"html_url", web + "/issues/" + std::to_string(number)}};
    issues_.push_back(issue);
    return reply(res, 201, issue);
  }
  if (rest[0] == "issues" && rest.size() >= 2) {
    int64_t number = to_number(rest[1]);
    Json* item = find_issue(repo, number);
    if (!item) item = find_pull(repo, number);
    if (!item) return reply(res, 404, not_found);
    if (rest.size() == 2 && r.method == "GET") return reply(res, 200, *item);
    if (rest.size() == 2 && r.method == "PATCH") {
      for (const char* key : {"title", "body", "state"})
        if (body.contains(key)) (*item)[key] = body[key];
      return reply(res, 200, *item);
    }
    if (rest.size() == 3 && rest[2] == "labels" && r.method == "POST") {
      for (const auto& l : body.value("labels", Json::array())) {
        auto names = label_names(*item);
        if (std::find(names.begin(), names.end(), l) == names.end())
          (*item)["labels"].push_back({{"name", l}});
      }
      return reply(res, 200, (*item)["labels"]);
    }
  }
  if (handle_github_runs(r, repo, rest, res)) return;
  if (rest.size() == 1 && rest[0] == "tags" && r.method == "GET") {
    Json items = Json::array();
    for (const auto& name : tags_) items.push_back({{"name", name}});
    return page(r, items, res);
  }
  if (rest.size() == 2 && rest[0] == "releases" && rest[1] == "latest" && r.method == "GET")
    return reply(res, 200, {{"tag_name", latest_tag_}, {"name", latest_tag_}});
  reply(res, 404, not_found);
}

void FakeForgeServer::handle_gitlab(const RecordedRequest& r, httplib::Response& res) {
  auto s = split_path(r.path);
  const Json body = r.json();
  const Json not_found = {{"message", "404 Project Not Found"}};
  if (s.size() < 4 || s[0] != "api" || s[1] != "v4" || s[2] != "projects")
    return reply(res, 404, {{"message", "404 Not Found"}});
  const std::string project = percent_decode(s[3]);
  if (!repositories_.count(project)) return reply(res, 404, not_found);
  if (s.size() == 4 && r.method == "GET") {
    // GitLab's project object: the token user's membership under permissions.
    return reply(res, 200,
                 {{"id", 4242},
                  {"path_with_namespace", project},
                  {"default_branch", "main"},
                  {"archived", false},
                  {"web_url", "http://127.0.0.1:" + std::to_string(port_) + "/" + project},
                  {"permissions",
                   {{"project_access",
                     {{"access_level", push_access_ ? 30 : 20}, {"notification_level", 3}}},
                    {"group_access", nullptr}}}});
  }
  if (s.size() < 5) return reply(res, 404, {{"message", "404 Not Found"}});
  std::vector<std::string> rest(s.begin() + 4, s.end());
  const std::string web = "http://127.0.0.1:" + std::to_string(port_) + "/" + project;
  auto labels_of = [](const Json& value) {
    Json out = Json::array();
    if (value.is_string())
      for (const auto& l : split_commas(value.get<std::string>())) out.push_back(l);
    if (value.is_array()) out = value;
    return out;
  };

  if (rest[0] == "merge_requests" && rest.size() == 1 && r.method == "GET") {
    std::string state = r.query.count("state") ? r.query.at("state") : "all";
    Json items = Json::array();
    for (const auto& mr : pulls_) {
      if (mr["repo"] != project) continue;
      if (state != "all" && mr["state"] != state) continue;
      if (r.query.count("source_branch") && mr["source_branch"] != r.query.at("source_branch"))
        continue;
      if (r.query.count("labels") && !has_labels(mr, r.query.at("labels"))) continue;
      items.push_back(mr);
    }
    std::sort(items.begin(), items.end(),
              [](const Json& a, const Json& b) { return a["iid"] > b["iid"]; });
    return page(r, items, res);
  }
  if (rest[0] == "merge_requests" && rest.size() == 1 && r.method == "POST") {
    for (const auto& mr : pulls_) {
      if (mr["repo"] == project && mr["state"] == "opened" &&
          mr["source_branch"] == body["source_branch"])
        return reply(res, 409,
                     {{"message",
                       {"Another open merge request already exists for this source "
                        "branch: !" +
                        std::to_string(mr["iid"].get<int64_t>())}}});
    }
    int64_t iid = next_number_++;
    Json mr = {{"repo", project},
               {"iid", iid},
               {"id", next_id_++},
               {"title", body["title"]},
               {"description", body.value("description", "")},
               {"state", "opened"},
               {"web_url", web + "/-/merge_requests/" + std::to_string(iid)},
               {"source_branch", body["source_branch"]},
               {"target_branch", body["target_branch"]},
               {"labels", labels_of(body.value("labels", Json()))},
               {"draft", false},
               {"merge_when_pipeline_succeeds", false}};
    pulls_.push_back(mr);
    return reply(res, 201, mr);
  }
  if (rest[0] == "merge_requests" && rest.size() >= 2) {
    Json* mr = find_pull(project, to_number(rest[1]));
    if (!mr) return reply(res, 404, {{"message", "404 Not found"}});
    if (rest.size() == 2 && r.method == "GET") return reply(res, 200, *mr);
    if (rest.size() == 2 && r.method == "PUT") {
      for (const char* key : {"title", "description", "target_branch"})
        if (body.contains(key)) (*mr)[key] = body[key];
      if (body.contains("labels")) (*mr)["labels"] = labels_of(body["labels"]);
      if (body.contains("add_labels"))
        for (const auto& l : labels_of(body["add_labels"]))
          if (!has_labels(*mr, l.get<std::string>())) (*mr)["labels"].push_back(l);
      return reply(res, 200, *mr);
    }
    if (rest.size() == 3 && rest[2] == "approve" && r.method == "POST") {
      approvals_.push_back({{"number", (*mr)["iid"]}, {"event", "approve"}});
      return reply(res, 201, {{"id", (*mr)["id"]}, {"iid", (*mr)["iid"]}, {"approved", true}});
    }
    if (rest.size() == 3 && rest[2] == "merge" && r.method == "PUT") {
      (*mr)["squash"] = body.value("squash", false);
      if (checks_pending_) {
        if (!body.value("merge_when_pipeline_succeeds", false))
          return reply(res, 405, {{"message", "405 Method Not Allowed"}});
        (*mr)["merge_when_pipeline_succeeds"] = true;
        return reply(res, 200, *mr);
      }
      (*mr)["state"] = "merged";
      return reply(res, 200, *mr);
    }
  }
  if (rest[0] == "issues" && rest.size() == 1 && r.method == "GET") {
    std::string state = r.query.count("state") ? r.query.at("state") : "all";
    std::string search = r.query.count("search") ? r.query.at("search") : "";
    Json items = Json::array();
    for (const auto& issue : issues_) {
      if (issue["repo"] != project) continue;
      if (state != "all" && issue["state"] != state) continue;
      if (!search.empty() && issue["title"].get<std::string>().find(search) == std::string::npos)
        continue;
      if (r.query.count("labels") && !has_labels(issue, r.query.at("labels"))) continue;
      items.push_back(issue);
    }
    return page(r, items, res);
  }
  if (rest[0] == "issues" && rest.size() == 1 && r.method == "POST") {
    int64_t iid = next_number_++;
    Json issue = {{"repo", project},
                  {"iid", iid},
                  {"id", next_id_++},
                  {"title", body["title"]},
                  {"description", body.value("description", "")},
                  {"state", "opened"},
                  {"labels", labels_of(body.value("labels", Json()))},
                  {"web_url", web + "/-/issues/" + std::to_string(iid)}};
    issues_.push_back(issue);
    return reply(res, 201, issue);
  }
  if (rest[0] == "issues" && rest.size() == 2) {
    Json* issue = find_issue(project, to_number(rest[1]));
    if (!issue) return reply(res, 404, {{"message", "404 Not found"}});
    if (r.method == "GET") return reply(res, 200, *issue);
    if (r.method == "PUT") {
      for (const char* key : {"title", "description"})
        if (body.contains(key)) (*issue)[key] = body[key];
      return reply(res, 200, *issue);
    }
  }
  if (handle_gitlab_pipelines(r, project, rest, res)) return;
  if (rest.size() == 2 && rest[0] == "repository" && rest[1] == "tags" && r.method == "GET") {
    Json items = Json::array();
    for (const auto& name : tags_) items.push_back({{"name", name}});
    return page(r, items, res);
  }
  if (rest.size() == 1 && rest[0] == "releases" && r.method == "GET")
    return reply(res, 200, Json::array({{{"tag_name", latest_tag_}, {"name", latest_tag_}}}));
  reply(res, 404, {{"message", "404 Not Found"}});
}

// A minimal HTTP/1.1 client (one exchange per connection). Not cpp-httplib's
// client: 0.11 URL-decodes response header values, which breaks Link headers
// holding %2F (GitLab project paths).
sdk::HttpResponse send_over_loopback(const sdk::HttpRequest& request) {
  const std::string prefix = "http://";
  if (request.url.rfind(prefix, 0) != 0) return {0, {}, "not an http:// URL", false};
  size_t slash = request.url.find('/', prefix.size());
  std::string authority = request.url.substr(prefix.size(), slash - prefix.size());
  std::string target = slash == std::string::npos ? "/" : request.url.substr(slash);
  size_t colon = authority.find(':');
  std::string host = authority.substr(0, colon);
  int port = colon == std::string::npos ? 80 : std::stoi(authority.substr(colon + 1));

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &address.sin_addr);
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return {};
  }
  std::string wire = request.method + " " + target + " HTTP/1.1\r\nHost: " + authority +
                     "\r\nConnection: close\r\n";
  for (const auto& [name, value] : request.headers) wire += name + ": " + value + "\r\n";
  if (!request.body.empty() || request.method != "GET")
    wire += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  wire += "\r\n" + request.body;
  for (size_t sent = 0; sent < wire.size();) {
    ssize_t n = send(fd, wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buffer[8192];
  for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;)
    raw.append(buffer, static_cast<size_t>(n));
  close(fd);

  sdk::HttpResponse response;
  size_t head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) return response;
  response.status = std::stoi(raw.substr(9, 3));
  size_t line_start = raw.find("\r\n") + 2;
  while (line_start < head_end) {
    size_t line_end = raw.find("\r\n", line_start);
    std::string line = raw.substr(line_start, line_end - line_start);
    size_t sep = line.find(':');
    if (sep != std::string::npos) {
      std::string name = line.substr(0, sep);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t value_start = line.find_first_not_of(' ', sep + 1);
      response.headers.emplace_back(
          name, value_start == std::string::npos ? "" : line.substr(value_start));
    }
    line_start = line_end + 2;
  }
  response.body = raw.substr(head_end + 4);
  return response;
}

}  // namespace mi2::test
