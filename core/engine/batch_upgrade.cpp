#include "core/engine/batch_upgrade.h"

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <thread>

#include "core/base/atomic_file.h"
#include "core/engine/engine.h"
#include "core/engine/journal.h"
#include "core/engine/run.h"
#include "core/fleet/fleet_scan.h"
#include "core/host/providers.h"
#include "core/sys/workers.h"

namespace mi2 {
namespace {

using SteadyClock = std::chrono::steady_clock;

Json entry_json(const BatchEntry& e) {
  return {{"instance", e.instance},
          {"slug", e.slug},
          {"wave", e.wave},
          {"run_id", e.run_id},
          {"result", to_string(e.result)},
          {"seconds", e.seconds},
          {"pr_url", e.pr_url},
          {"failed_step", e.failed_step},
          {"error", e.error},
          {"log", e.log}};
}

BatchEntry entry_from_json(const Json& j) {
  BatchEntry e;
  e.instance = j.value("instance", "");
  e.slug = j.value("slug", "");
  e.wave = j.value("wave", 0);
  e.run_id = j.value("run_id", "");
  e.result = parse_batch_result(j.value("result", "pending")).value_or(BatchResult::kPending);
  e.seconds = j.value("seconds", 0.0);
  e.pr_url = j.value("pr_url", "");
  e.failed_step = j.value("failed_step", "");
  e.error = j.value("error", "");
  e.log = j.value("log", "");
  return e;
}

// At least two spaces after every cell, so a long one never runs into the next.
std::string pad(std::string text, size_t width) {
  text.append(text.size() + 2 > width ? 2 : width - text.size(), ' ');
  return text;
}

class Batch;

// Forwards one instance's run progress to the batch.
class InstanceProgress : public RunProgress {
 public:
  InstanceProgress(Batch& batch, size_t index) : batch_(batch), index_(index) {}
  void on_step_started(const std::string& step, size_t index, size_t total) override;
  void on_plugin_progress(const std::string& plugin, double fraction,
                          const std::string& message) override;

 private:
  Batch& batch_;
  size_t index_;
};

class Batch {
 public:
  Batch(const Fleet& fleet, const FleetConfig& config, PluginLoader& loader, const Recipe& recipe,
        const BatchOptions& options)
      : fleet_(fleet), config_(config), loader_(loader), recipe_(recipe), options_(options) {}

  Result<BatchReport> run();
  void step_started(size_t index, const std::string& step);
  void plugin_progress(size_t index, const std::string& message);

 private:
  Status select();
  Status load_resumed();
  void save();
  void run_one(size_t index);
  bool threshold_crossed() const;
  void say(const std::string& line);
  void redraw_status();
  void erase_status();
  BatchStatus status() const;
  void run_wave(int wave, const std::vector<size_t>& todo);
  void tick();  // live: redraws the block every second until the batch ends
  bool cancelled() const { return options_.cancel_flag && options_.cancel_flag->load(); }

  const Fleet& fleet_;
  const FleetConfig& config_;
  PluginLoader& loader_;
  const Recipe& recipe_;
  BatchOptions options_;
  BatchReport report_;
  std::filesystem::path batch_dir_;
  std::mutex mutex_;  // guards report_, loader_ and output
  std::vector<size_t> wave_sizes_;
  Json state_ = Json::object();
  std::vector<std::string> steps_;  // per entry: its current step, for the block
  int wave_ = 0;
  SteadyClock::time_point started_ = SteadyClock::now();
  size_t finished_now_ = 0;  // instances this invocation finished
  size_t block_lines_ = 0;   // lines of the live block on screen
  bool ended_ = false;
  std::condition_variable ended_cv_;
};

void InstanceProgress::on_step_started(const std::string& step, size_t index, size_t total) {
  batch_.step_started(index_,
                      "[" + std::to_string(index + 1) + "/" + std::to_string(total) + "] " + step);
}

void InstanceProgress::on_plugin_progress(const std::string& plugin, double fraction,
                                          const std::string& message) {
  (void)fraction;
  if (!message.empty()) batch_.plugin_progress(index_, plugin + ": " + message);
}

// The same selection `env workflow run` makes: the fleet scan with the filter.
Status Batch::select() {
  ScanOptions scan;
  scan.filter = options_.filter;
  scan.use_cache = !options_.dry_run;  // a dry run writes nothing, not even the cache
  auto selected = scan_instances(fleet_, options_.environment, scan);
  if (!selected) return selected.error();
  for (const ScannedInstance& scanned : *selected) {
    BatchEntry entry;
    entry.instance = scanned.ref.id;
    entry.slug = slug_of(scanned.instance, scanned.ref.id);
    report_.entries.push_back(entry);
  }
  return {};
}

Status Batch::load_resumed() {
  auto path = fleet_.root() / ".mi2/batches" / (options_.resume_batch_id + ".json");
  std::ifstream in(path);
  if (!in)
    return make_error("there is no batch " + options_.resume_batch_id + " (no " + path.string() +
                      ")");
  state_ = Json::parse(in, nullptr, false);
  if (state_.is_discarded() || !state_.is_object())
    return make_error("the batch state " + path.string() +
                      " is not a JSON object; start a new batch instead of resuming");
  options_.environment = state_.value("environment", "");
  options_.target_version = state_.value("target_version", "");
  options_.filter = state_.value("filter", "");
  options_.force = options_.force || state_.value("force", false);
  if (state_.contains("waves")) options_.waves = state_["waves"].get<std::vector<std::string>>();
  for (const auto& e : state_.value("entries", Json::array())) {
    BatchEntry entry = entry_from_json(e);
    // What failed part-way is tried again (its run resumed) before it counts
    // against the threshold; a rolled-back run stays failed.
    if (entry.result == BatchResult::kRefused) entry.run_id.clear();
    if (entry.result == BatchResult::kFailed || entry.result == BatchResult::kCancelled ||
        entry.result == BatchResult::kRunning || entry.result == BatchResult::kRefused ||
        entry.result == BatchResult::kNotStarted)
      entry.result = BatchResult::kPending;
    report_.entries.push_back(entry);
  }
  return {};
}

void Batch::save() {
  if (options_.dry_run) return;
  Json entries = Json::array();
  for (const auto& e : report_.entries) entries.push_back(entry_json(e));
  state_["batch_id"] = report_.batch_id;
  state_["environment"] = options_.environment;
  state_["filter"] = options_.filter;
  state_["target_version"] = options_.target_version;
  state_["waves"] = options_.waves;
  state_["force"] = options_.force;
  state_["max_fail_percentage"] = options_.max_fail_percentage;
  state_["stop_reason"] = report_.stop_reason;
  state_["entries"] = entries;
  (void)write_file_atomic(report_.state_file, state_.dump(2) + "\n");
}

bool Batch::threshold_crossed() const {
  if (report_.entries.empty()) return false;
  size_t failed = 0;
  for (const auto& e : report_.entries) failed += is_failure(e.result) ? 1 : 0;
  double percent =
      100.0 * static_cast<double>(failed) / static_cast<double>(report_.entries.size());
  return percent > options_.max_fail_percentage;
}

// Called with mutex_ held. On a terminal the line goes above the live block.
void Batch::say(const std::string& line) {
  if (!options_.out) return;
  if (options_.live) erase_status();
  *options_.out << line << '\n';
  if (options_.live) redraw_status();
  options_.out->flush();
}

BatchStatus Batch::status() const {
  BatchStatus st;
  st.wave = wave_;
  st.waves = static_cast<int>(wave_sizes_.size());
  for (size_t i = 0; i < report_.entries.size(); ++i) {
    const BatchEntry& e = report_.entries[i];
    if (e.result == BatchResult::kRunning) {
      ++st.running;
      st.in_flight.emplace_back(e.instance, i < steps_.size() ? steps_[i] : "");
    } else if (e.result == BatchResult::kPending) {
      ++st.remaining;
    } else if (is_failure(e.result)) {
      ++st.failed;
    } else {
      ++st.done;
    }
  }
  st.elapsed = std::chrono::duration<double>(SteadyClock::now() - started_).count();
  if (finished_now_ > 0)  // this invocation's pace so far
    st.estimate = st.elapsed / static_cast<double>(finished_now_) *
                  static_cast<double>(st.running + st.remaining);
  return st;
}

void Batch::erase_status() {
  if (block_lines_ == 0) return;
  *options_.out << '\r';
  if (block_lines_ > 1) *options_.out << "\033[" << (block_lines_ - 1) << 'A';
  *options_.out << "\033[J";
  block_lines_ = 0;
}

void Batch::redraw_status() {
  erase_status();
  if (wave_ == 0) return;  // nothing started yet
  std::vector<std::string> lines = render_batch_status(status(), options_.live_width);
  for (size_t i = 0; i < lines.size(); ++i) *options_.out << (i ? "\n" : "") << lines[i];
  block_lines_ = lines.size();
  options_.out->flush();
}

void Batch::tick() {
  std::unique_lock lock(mutex_);
  while (!ended_) {
    ended_cv_.wait_for(lock, std::chrono::seconds(1));
    if (!ended_ && wave_ > 0) redraw_status();
  }
}

void Batch::step_started(size_t index, const std::string& step) {
  std::lock_guard lock(mutex_);
  steps_[index] = step;
  if (options_.live)
    redraw_status();
  else
    say(report_.entries[index].instance + ": " + step);
}

void Batch::plugin_progress(size_t index, const std::string& message) {
  std::lock_guard lock(mutex_);
  std::string& step = steps_[index];
  step = step.substr(0, step.find(" - ")) + " - " + message;
  if (options_.live) redraw_status();
}

void Batch::run_one(size_t index) {
  BatchEntry entry;
  std::unique_ptr<ProviderSet> providers;
  {
    std::lock_guard lock(mutex_);
    entry = report_.entries[index];
    report_.entries[index].result = BatchResult::kRunning;
    auto opened = ProviderSet::open(config_, loader_, default_host_environment());
    if (!opened) {
      report_.entries[index].result = BatchResult::kRefused;
      report_.entries[index].error = opened.message();
      say(entry.instance + ": refused - " + opened.message());
      save();
      return;
    }
    providers = std::move(*opened);
    steps_[index].clear();
    report_.entries[index].log = (batch_dir_ / (entry.instance + ".log")).string();
    if (options_.live)
      redraw_status();
    else
      say(entry.instance + ": started (wave " + std::to_string(entry.wave) + ")");
  }

  InstanceRef ref{options_.environment, entry.instance,
                  fleet_.deployments_dir(options_.environment) / entry.instance};
  std::ofstream log(batch_dir_ / (entry.instance + ".log"));
  RunOptions run;
  run.target_version = options_.target_version;
  run.force = options_.force;
  run.out = &log;
  run.plugin_log = &log;
  InstanceProgress progress(*this, index);
  run.progress = &progress;
  run.cancel_flag = options_.cancel_flag;
  // A run that failed part-way (not rolled back) continues where it stopped.
  if (!entry.run_id.empty()) run.resume_run_id = entry.run_id;
  auto start = SteadyClock::now();
  RunEngine engine(fleet_, *providers);
  RunOutcome outcome = engine.run(ref, recipe_, run);

  std::lock_guard lock(mutex_);
  BatchEntry& e = report_.entries[index];
  if (!outcome.run_id.empty()) e.run_id = outcome.run_id;
  e.result = batch_result_of(outcome.result);
  e.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  e.pr_url = outcome.pr.is_object() ? outcome.pr.value("url", "") : "";
  e.failed_step = outcome.failed_step;
  e.error = outcome.error;
  ++finished_now_;
  std::ostringstream line;
  line.setf(std::ios::fixed);
  line.precision(1);
  line << e.instance << ": " << to_string(e.result) << " (" << format_step_seconds(e.seconds)
       << ")";
  if (!e.pr_url.empty()) line << " " << e.pr_url;
  if (!e.error.empty()) line << " - " << e.error;
  say(line.str());
  save();
}

// Runs one wave's instances, at most max_parallel at a time; none is started
// once the batch is cancelled or the failure threshold is crossed.
void Batch::run_wave(int wave, const std::vector<size_t>& todo) {
  {
    std::lock_guard lock(mutex_);
    wave_ = wave;
    say("Wave " + std::to_string(wave) + ": " + std::to_string(todo.size()) + " instance(s)");
  }

  std::mutex queue_mutex;
  size_t cursor = 0;
  auto worker = [&] {
    for (;;) {
      size_t index;
      {
        std::lock_guard lock(queue_mutex);
        if (cursor >= todo.size()) return;
        {
          std::lock_guard state(mutex_);
          if (cancelled() || threshold_crossed()) return;  // start no new instance
        }
        index = todo[cursor++];
      }
      run_one(index);
    }
  };
  size_t width = std::min<size_t>(std::max(1, options_.max_parallel), todo.size());
  run_workers(static_cast<unsigned>(width), [&](unsigned) { worker(); });
}

Result<BatchReport> Batch::run() {
  if (!options_.resume_batch_id.empty()) {
    if (auto loaded = load_resumed(); !loaded) return loaded.error();
    report_.batch_id = options_.resume_batch_id;
  } else {
    if (options_.target_version.empty()) return make_error("pass -target-version V");
    if (auto selected = select(); !selected) return selected.error();
    report_.batch_id = new_run_id();
  }
  report_.environment = options_.environment;
  report_.target_version = options_.target_version;
  report_.state_file = fleet_.root() / ".mi2/batches" / (report_.batch_id + ".json");
  batch_dir_ = fleet_.root() / ".mi2/batches" / report_.batch_id;

  auto sizes = plan_waves(report_.entries.size(), options_.waves);
  if (!sizes) return sizes.error();
  wave_sizes_ = *sizes;
  steps_.assign(report_.entries.size(), "");
  // Entries keep their wave across resumes; new batches number them now.
  size_t next = 0;
  for (size_t w = 0; w < sizes->size(); ++w)
    for (size_t k = 0; k < (*sizes)[w]; ++k) report_.entries[next++].wave = static_cast<int>(w + 1);

  if (options_.dry_run) {
    for (size_t w = 0; w < sizes->size(); ++w) {
      std::string names;
      for (const auto& e : report_.entries)
        if (e.wave == static_cast<int>(w + 1)) names += (names.empty() ? "" : ", ") + e.instance;
      say("wave " + std::to_string(w + 1) + ": " + names);
    }
    say(std::to_string(report_.entries.size()) + " instance(s) would be upgraded to " +
        options_.target_version + " (dry run: nothing was started)");
    return report_;
  }
  std::error_code ec;
  std::filesystem::create_directories(batch_dir_, ec);
  if (ec) return make_error("cannot create " + batch_dir_.string() + ": " + ec.message());
  report_.stop_reason.clear();
  save();
  started_ = SteadyClock::now();
  std::thread ticker;
  if (options_.live && options_.out) ticker = std::thread([this] { tick(); });
  say("Batch " + report_.batch_id + ": " + std::to_string(report_.entries.size()) +
      " instance(s) of " + options_.environment + " to " + options_.target_version + " in " +
      std::to_string(sizes->size()) + " wave(s), at most " + std::to_string(options_.max_parallel) +
      " at a time");

  for (int wave = 1; wave <= static_cast<int>(sizes->size()); ++wave) {
    std::vector<size_t> todo;
    for (size_t i = 0; i < report_.entries.size(); ++i) {
      const auto& e = report_.entries[i];
      if (e.wave == wave && e.result == BatchResult::kPending) todo.push_back(i);
    }
    if (todo.empty()) continue;
    if (cancelled()) {
      report_.stop_reason = "interrupted";
    } else if (threshold_crossed()) {
      std::ostringstream reason;
      reason << "the failure threshold of " << options_.max_fail_percentage << "% was crossed";
      report_.stop_reason = reason.str();
    }
    if (!report_.stop_reason.empty()) break;
    run_wave(wave, todo);
  }
  if (report_.stop_reason.empty() && threshold_crossed()) {
    std::ostringstream reason;
    reason << "the failure threshold of " << options_.max_fail_percentage << "% was crossed";
    report_.stop_reason = reason.str();
  }
  if (report_.stop_reason.empty() && cancelled()) report_.stop_reason = "interrupted";
  for (auto& e : report_.entries)
    if (e.result == BatchResult::kPending) e.result = BatchResult::kNotStarted;
  save();
  {
    std::lock_guard lock(mutex_);
    ended_ = true;
    if (options_.live && options_.out) erase_status();
  }
  ended_cv_.notify_all();
  if (ticker.joinable()) ticker.join();
  return report_;
}

}  // namespace

Result<std::vector<size_t>> plan_waves(size_t total, const std::vector<std::string>& specs) {
  std::vector<size_t> sizes;
  size_t assigned = 0;
  if (specs.empty()) return make_error("--waves needs at least one size");
  size_t last = 0;
  for (size_t i = 0; assigned < total; ++i) {
    if (i < specs.size()) {
      const std::string& spec = specs[i];
      bool percent = !spec.empty() && spec.back() == '%';
      std::string number = percent ? spec.substr(0, spec.size() - 1) : spec;
      if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos)
        return make_error("--waves entry '" + spec +
                          "' is neither a count (5) nor a percentage (25%)");
      double value = std::stod(number);
      if (value <= 0 || (percent && value > 100))
        return make_error("--waves entry '" + spec + "' must be above 0" +
                          (percent ? " and at most 100%" : ""));
      last = percent ? static_cast<size_t>(std::ceil(value * static_cast<double>(total) / 100.0))
                     : static_cast<size_t>(value);
      last = std::max<size_t>(last, 1);
    }
    size_t size = std::min(last, total - assigned);
    sizes.push_back(size);
    assigned += size;
  }
  return sizes;
}

bool BatchReport::ok() const {
  for (const auto& e : entries)
    if (e.result != BatchResult::kSucceeded) return false;
  return true;
}

Json BatchReport::to_json() const {
  Json list = Json::array();
  for (const auto& e : entries) list.push_back(entry_json(e));
  return {{"batch_id", batch_id},
          {"environment", environment},
          {"target_version", target_version},
          {"stop_reason", stop_reason},
          {"state_file", state_file.string()},
          {"instances", list}};
}

std::string BatchReport::recap_table() const {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(1);
  os << pad("INSTANCE", 24) << pad("RESULT", 13) << pad("DURATION", 10) << pad("FAILED STEP", 19)
     << pad("PULL REQUEST", 40) << "LOG\n";
  for (const auto& e : entries) {
    std::string duration = e.seconds > 0 ? format_step_seconds(e.seconds) : "";
    os << pad(e.instance, 24) << pad(to_string(e.result), 13) << pad(duration, 10)
       << pad(e.failed_step.empty() ? "-" : e.failed_step, 19)
       << pad(e.pr_url.empty() ? "-" : e.pr_url, 40) << (e.log.empty() ? "-" : e.log) << '\n';
  }
  return os.str();
}

Result<BatchReport> run_batch_upgrade(const Fleet& fleet, const FleetConfig& config,
                                      PluginLoader& loader, const Recipe& recipe,
                                      const BatchOptions& options) {
  Batch batch(fleet, config, loader, recipe, options);
  return batch.run();
}

}  // namespace mi2
