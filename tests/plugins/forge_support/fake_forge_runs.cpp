// The CI runs of the fake forge: GitHub workflow runs and GitLab pipelines
// that move through scripted states as they are read, several in flight at
// once, found again by id or (GitHub) by their run-name.
#include <httplib.h>

#include <algorithm>

#include "tests/plugins/forge_support/fake_forge_server.h"

namespace mi2::test {

namespace {

void answer(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  if (!body.is_null()) res.set_content(body.dump(), "application/json");
}

// The run without the fake's own bookkeeping (keys starting with '_').
Json visible(const Json& run) {
  Json out = Json::object();
  for (const auto& [key, value] : run.items())
    if (key.empty() || key[0] != '_') out[key] = value;
  return out;
}

// `${{ inputs.NAME }}` (any spacing) replaced by the input's value.
std::string render_run_name(std::string text, const Json& inputs) {
  for (size_t open = text.find("${{"); open != std::string::npos; open = text.find("${{", open)) {
    size_t close = text.find("}}", open);
    if (close == std::string::npos) break;
    std::string expression = text.substr(open + 3, close - open - 3);
    expression.erase(0, expression.find_first_not_of(' '));
    expression.erase(expression.find_last_not_of(' ') + 1);
    std::string value;
    if (expression.rfind("inputs.", 0) == 0) {
      std::string name = expression.substr(7);
      if (inputs.contains(name) && inputs[name].is_string()) value = inputs[name];
    }
    text.replace(open, close + 2 - open, value);
    open += value.size();
  }
  return text;
}

int64_t number_of(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(text);
}

// GitHub's status and conclusion of a scripted state ("completed:success").
void set_github_state(Json& run, const std::string& state) {
  size_t colon = state.find(':');
  run["status"] = state.substr(0, colon);
  run["conclusion"] = colon == std::string::npos ? Json(nullptr) : Json(state.substr(colon + 1));
}

}  // namespace

void FakeForgeServer::set_run_states(const std::vector<std::string>& states) {
  std::lock_guard lock(mutex_);
  run_states_ = states;
}

void FakeForgeServer::set_final_state_for(const std::string& value,
                                          const std::string& final_state) {
  std::lock_guard lock(mutex_);
  final_states_[value] = final_state;
}

void FakeForgeServer::set_run_listing_delay(int list_requests) {
  std::lock_guard lock(mutex_);
  run_listing_delay_ = list_requests;
}

void FakeForgeServer::set_run_name(const std::string& run_name_template) {
  std::lock_guard lock(mutex_);
  run_name_ = run_name_template;
}

void FakeForgeServer::set_return_run_details(bool supported) {
  std::lock_guard lock(mutex_);
  return_run_details_ = supported;
}

void FakeForgeServer::set_workflow_inputs(const std::string& workflow,
                                          const std::vector<std::string>& inputs) {
  std::lock_guard lock(mutex_);
  workflow_inputs_[workflow] = inputs;
}

Json FakeForgeServer::new_run(const Json& values) {
  std::vector<std::string> states = run_states_;
  if (states.empty()) {
    states = kind_ == Kind::kGitHub
                 ? std::vector<std::string>{"queued", "in_progress", "completed:success"}
                 : std::vector<std::string>{"created", "running", "success"};
  }
  for (const auto& value : values)
    if (value.is_string() && final_states_.count(value.get<std::string>()))
      states.back() = final_states_.at(value.get<std::string>());
  return {{"_states", states}, {"_step", 0}, {"_hidden_lists", run_listing_delay_}};
}

Json FakeForgeServer::read_run(Json& run) {
  Json shown = visible(run);
  const Json& states = run["_states"];
  size_t step = run["_step"].get<size_t>();
  if (step + 1 < states.size()) {
    run["_step"] = step + 1;
    std::string next = states[step + 1].get<std::string>();
    if (kind_ == Kind::kGitHub)
      set_github_state(run, next);
    else
      run["status"] = next;
  }
  return shown;
}

bool FakeForgeServer::handle_github_runs(const RecordedRequest& r, const std::string& repo,
                                         const std::vector<std::string>& rest,
                                         httplib::Response& res) {
  const std::string web = "http://127.0.0.1:" + std::to_string(port_) + "/" + repo;
  const Json body = r.json();
  if (rest.size() == 4 && rest[0] == "actions" && rest[1] == "workflows" &&
      rest[3] == "dispatches" && r.method == "POST") {
    const std::string& workflow = rest[2];
    Json inputs = body.value("inputs", Json::object());
    if (workflow_inputs_.count(workflow)) {
      const auto& declared = workflow_inputs_.at(workflow);
      for (const auto& [name, value] : inputs.items())
        if (std::find(declared.begin(), declared.end(), name) == declared.end()) {
          answer(res, 422, {{"message", "Unexpected inputs provided: [\"" + name + "\"]"}});
          return true;
        }
    }
    int64_t id = next_id_++;
    Json run = new_run(inputs);
    run.update({{"repo", repo},
                {"workflow", workflow},
                {"id", id},
                {"name", "Upgrade instance"},
                {"display_title", run_name_.empty() ? std::string("Upgrade instance")
                                                    : render_run_name(run_name_, inputs)},
                {"event", "workflow_dispatch"},
                {"head_branch", body.value("ref", "")},
                {"inputs", inputs},
                {"created_at", now_utc()},
                {"html_url", web + "/actions/runs/" + std::to_string(id)}});
    set_github_state(run, run["_states"][0].get<std::string>());
    runs_.push_back(run);
    if (return_run_details_ && body.value("return_run_details", false)) {
      answer(res, 200,
             {{"workflow_run_id", id},
              {"run_url", "http://127.0.0.1:" + std::to_string(port_) + "/repos/" + repo +
                              "/actions/runs/" + std::to_string(id)},
              {"html_url", run["html_url"]}});
    } else {
      res.status = 204;
    }
    return true;
  }
  bool workflow_runs =
      rest.size() == 4 && rest[0] == "actions" && rest[1] == "workflows" && rest[3] == "runs";
  bool repo_runs = rest.size() == 2 && rest[0] == "actions" && rest[1] == "runs";
  if ((workflow_runs || repo_runs) && r.method == "GET") {
    Json list = Json::array();
    for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
      Json& run = *it;
      if (run["repo"] != repo || (workflow_runs && run["workflow"] != rest[2])) continue;
      if (r.query.count("branch") && run["head_branch"] != r.query.at("branch")) continue;
      if (r.query.count("event") && run["event"] != r.query.at("event")) continue;
      int hidden = run["_hidden_lists"].get<int>();
      if (hidden > 0) {
        run["_hidden_lists"] = hidden - 1;
        continue;
      }
      list.push_back(visible(run));
    }
    answer(res, 200, {{"total_count", list.size()}, {"workflow_runs", list}});
    return true;
  }
  if (rest.size() == 3 && rest[0] == "actions" && rest[1] == "runs" && r.method == "GET") {
    for (auto& run : runs_)
      if (run["repo"] == repo && run["id"] == number_of(rest[2])) {
        answer(res, 200, read_run(run));
        return true;
      }
    answer(res, 404, {{"message", "Not Found"}});
    return true;
  }
  return false;
}

bool FakeForgeServer::handle_gitlab_pipelines(const RecordedRequest& r, const std::string& project,
                                              const std::vector<std::string>& rest,
                                              httplib::Response& res) {
  const std::string web = "http://127.0.0.1:" + std::to_string(port_) + "/" + project;
  const Json body = r.json();
  if (rest.size() == 1 && rest[0] == "pipeline" && r.method == "POST") {
    int64_t id = next_id_++;
    Json values = Json::array();
    for (const auto& variable : body.value("variables", Json::array()))
      values.push_back(variable.value("value", ""));
    Json run = new_run(values);
    run.update({{"repo", project},
                {"id", id},
                {"iid", id - 999},
                {"ref", body.value("ref", "")},
                {"source", "api"},
                {"variables", body.value("variables", Json::array())},
                {"created_at", now_utc()},
                {"web_url", web + "/-/pipelines/" + std::to_string(id)}});
    run["status"] = run["_states"][0];
    runs_.push_back(run);
    Json shown = visible(run);
    shown.erase("variables");  // GitLab does not echo them
    answer(res, 201, shown);
    return true;
  }
  if (rest.size() == 1 && rest[0] == "pipelines" && r.method == "GET") {
    Json list = Json::array();
    for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
      if ((*it)["repo"] != project) continue;
      if (r.query.count("ref") && (*it)["ref"] != r.query.at("ref")) continue;
      if (r.query.count("source") && (*it)["source"] != r.query.at("source")) continue;
      Json shown = visible(*it);
      shown.erase("variables");
      list.push_back(shown);
    }
    page(r, list, res);
    return true;
  }
  if (rest.size() >= 2 && rest.size() <= 3 && rest[0] == "pipelines" && r.method == "GET") {
    for (auto& run : runs_) {
      if (run["repo"] != project || run["id"] != number_of(rest[1])) continue;
      if (rest.size() == 3 && rest[2] == "variables") {
        answer(res, 200, run["variables"]);
      } else if (rest.size() == 2) {
        Json shown = read_run(run);
        shown.erase("variables");
        answer(res, 200, shown);
      } else {
        answer(res, 404, {{"message", "404 Not Found"}});
      }
      return true;
    }
    answer(res, 404, {{"message", "404 Not found"}});
    return true;
  }
  return false;
}

}  // namespace mi2::test
