#include "core/fleet_scan.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>  // libyaml

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "core/jq_native.h"
#include "core/jq_program.h"
#include "core/scan_cache.h"
#include "core/yaml_scalar.h"

namespace mi2 {

namespace fs = std::filesystem;

namespace {

jv plain_scalar_to_jv(std::string_view text) {
  PlainScalar scalar = classify_plain_scalar(text);
  switch (scalar.kind) {
    case PlainScalarKind::kNull:
      return jv_null();
    case PlainScalarKind::kBool:
      return jv_bool(scalar.boolean);
    case PlainScalarKind::kInt:
      return jv_number(scalar.is_unsigned ? static_cast<double>(scalar.unsigned_integer)
                                          : static_cast<double>(scalar.integer));
    case PlainScalarKind::kFloat:
      return jv_number(scalar.number);
    case PlainScalarKind::kString:
      break;
  }
  return jv_string_sized(text.data(), static_cast<int>(text.size()));
}

// Builds one jv document from libyaml events (the first document only, as
// YAML::Load does). Anchors and aliases are resolved; keys are the raw text.
class JvBuilder {
 public:
  ~JvBuilder() {
    for (auto& frame : stack_) {
      jv_free(frame.value);
      jv_free(frame.key);
    }
    for (auto& [name, value] : anchors_) jv_free(value);
    jv_free(result_);
  }

  // Returns false with `error` set on an error (a non-scalar key).
  bool on_event(const yaml_event_t& event, std::string& error) {
    switch (event.type) {
      case YAML_SCALAR_EVENT: {
        std::string_view text(reinterpret_cast<const char*>(event.data.scalar.value),
                              event.data.scalar.length);
        const char* tag = reinterpret_cast<const char*>(event.data.scalar.tag);
        bool as_string = event.data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                         (tag && std::strcmp(tag, "tag:yaml.org,2002:str") == 0);
        if (!stack_.empty() && stack_.back().is_map && !jv_is_valid(stack_.back().key)) {
          // A mapping key: its raw text.
          jv_free(stack_.back().key);
          stack_.back().key = jv_string_sized(text.data(), static_cast<int>(text.size()));
          remember(event.data.scalar.anchor, stack_.back().key);
          return true;
        }
        jv value = as_string ? jv_string_sized(text.data(), static_cast<int>(text.size()))
                             : plain_scalar_to_jv(text);
        remember(event.data.scalar.anchor, value);
        return add(value, error, event);
      }
      case YAML_ALIAS_EVENT: {
        auto it = anchors_.find(reinterpret_cast<const char*>(event.data.alias.anchor));
        jv value = it == anchors_.end() ? jv_null() : jv_copy(it->second);
        if (!stack_.empty() && stack_.back().is_map && !jv_is_valid(stack_.back().key)) {
          if (jv_get_kind(value) != JV_KIND_STRING) {
            jv_free(value);
            return key_error(error, event);
          }
          jv_free(stack_.back().key);
          stack_.back().key = value;
          return true;
        }
        return add(value, error, event);
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (!stack_.empty() && stack_.back().is_map && !jv_is_valid(stack_.back().key))
          return key_error(error, event);
        bool is_map = event.type == YAML_MAPPING_START_EVENT;
        const yaml_char_t* anchor =
            is_map ? event.data.mapping_start.anchor : event.data.sequence_start.anchor;
        stack_.push_back(Frame{is_map ? jv_object() : jv_array(), jv_invalid(), is_map,
                               anchor ? reinterpret_cast<const char*>(anchor) : ""});
        return true;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        Frame frame = stack_.back();
        stack_.pop_back();
        jv_free(frame.key);
        if (!frame.anchor.empty()) {
          auto& slot = anchors_[frame.anchor];
          jv_free(slot);
          slot = jv_copy(frame.value);
        }
        return add(frame.value, error, event);
      }
      case YAML_DOCUMENT_END_EVENT:
        done_ = true;
        return true;
      default:
        return true;
    }
  }

  bool done() const { return done_; }
  // The document (null when empty); the caller owns it.
  jv take() {
    jv out = have_result_ ? result_ : jv_null();
    result_ = jv_invalid();
    have_result_ = false;
    return out;
  }

 private:
  struct Frame {
    jv value;
    jv key;  // invalid until the key of the next entry is read
    bool is_map;
    std::string anchor;
  };

  void remember(const yaml_char_t* anchor, jv value) {
    if (!anchor) return;
    auto& slot = anchors_[reinterpret_cast<const char*>(anchor)];
    jv_free(slot);
    slot = jv_copy(value);
  }

  bool key_error(std::string& error, const yaml_event_t& event) {
    error = "line " + std::to_string(event.start_mark.line + 1) +
            ": a mapping key must be a plain value, not a list or a mapping";
    return false;
  }

  bool add(jv value, std::string&, const yaml_event_t&) {
    if (stack_.empty()) {
      jv_free(result_);
      result_ = value;
      have_result_ = true;
      return true;
    }
    Frame& top = stack_.back();
    if (top.is_map) {
      top.value = jv_object_set(top.value, top.key, value);
      top.key = jv_invalid();
    } else {
      top.value = jv_array_append(top.value, value);
    }
    return true;
  }

  std::vector<Frame> stack_;
  std::map<std::string, jv> anchors_;
  jv result_ = jv_invalid();
  bool have_result_ = false;
  bool done_ = false;
};

// Parses `text` into a jv (owned by the caller), or an error naming `path`.
Result<jv> parse_to_jv(const char* text, size_t size, const std::string& path) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return make_error("cannot start the YAML parser.");
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text), size);
  JvBuilder builder;
  std::string error;
  for (;;) {
    yaml_event_t event;
    if (!yaml_parser_parse(&parser, &event)) {
      std::string problem = parser.problem ? parser.problem : "syntax error";
      size_t line = parser.problem_mark.line + 1;
      if (parser.context) problem = std::string(parser.context) + ", " + problem;
      yaml_parser_delete(&parser);
      return make_error(path + ":" + std::to_string(line) + ": invalid YAML: " + problem + ".");
    }
    bool end = event.type == YAML_STREAM_END_EVENT;
    bool ok = builder.on_event(event, error);
    yaml_event_delete(&event);
    if (!ok) {
      yaml_parser_delete(&parser);
      return make_error(path + ":" + error + ".");
    }
    if (end || builder.done()) break;
  }
  yaml_parser_delete(&parser);
  return builder.take();
}

// Reads `relative` under the folder `dir_fd` (a short path walk per file).
bool read_whole_file(int dir_fd, const char* relative, std::string& buffer, int& error) {
  int fd = ::openat(dir_fd, relative, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = errno;
    return false;
  }
  buffer.clear();
  char chunk[16384];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = errno;
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

std::string dump_jv(jv value) {
  jv text = jv_dump_string(jv_copy(value), 0);
  std::string out(jv_string_value(text),
                  static_cast<size_t>(jv_string_length_bytes(jv_copy(text))));
  jv_free(text);
  return out;
}

// The instance folders of an environment, sorted by id, without a stat per
// entry (the readers find out which hold a config.yaml).
Result<std::vector<InstanceRef>> candidate_instances(const Fleet& fleet, const std::string& env) {
  fs::path deployments = fleet.root() / "environments" / env / "deployments";
  std::error_code ec;
  if (env.empty() || env.find('/') != std::string::npos || env[0] == '.' ||
      !fs::is_directory(deployments, ec)) {
    return fleet.instances(env).error();  // the message lists the known environments
  }
  std::vector<InstanceRef> refs;
  for (fs::directory_iterator it(deployments, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (!it->is_directory(ec)) continue;  // uses the entry's d_type when the filesystem gives it
    refs.push_back(InstanceRef{env, std::move(name), it->path()});
  }
  if (ec) return make_error("cannot list " + deployments.string() + ": " + ec.message() + ".");
  std::sort(refs.begin(), refs.end(),
            [](const InstanceRef& a, const InstanceRef& b) { return a.id < b.id; });
  return refs;
}

struct Slot {
  enum State { kSkipped, kSelected, kRejected, kFailed } state = kSkipped;
  Json instance;
  std::string error;
  FileStamp stamp;
  std::string_view cached;  // the cache's JSON when it was used
  std::string fresh;        // JSON to cache, when parsed now
};

}  // namespace

Result<Json> parse_yaml_fast(const std::string& text, const std::string& path) {
  auto doc = parse_to_jv(text.data(), text.size(), path);
  if (!doc) return doc.error();
  Json json = jv_to_json(*doc);
  jv_free(*doc);
  return json;
}

Result<std::vector<ScannedInstance>> scan_instances(const Fleet& fleet, const std::string& env,
                                                    const ScanOptions& options) {
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };
  auto list_start = Clock::now();
  auto refs = candidate_instances(fleet, env);
  if (!refs) return refs.error();
  const size_t count = refs->size();
  double list_ms = ms_since(list_start);
  auto scan_start = Clock::now();

  unsigned threads = options.threads;
  if (threads == 0) {
    threads = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
    // A thread costs a jq compile (~15 ms): not worth it for a few instances.
    threads = static_cast<unsigned>(std::min<size_t>(threads, 1 + count / 200));
  }
  // Compile once up front so a bad filter fails before any file is read.
  std::vector<std::optional<JqProgram>> programs(threads);
  if (!options.filter.empty()) {
    auto first = JqProgram::compile(options.filter);
    if (!first) return make_error(first.message() + "; fix the -filter expression.");
    programs[0].emplace(std::move(*first));
  }

  fs::path deployments = fleet.root() / "environments" / env / "deployments";
  int dir_fd = ::open(deployments.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    return make_error("cannot open " + deployments.string() + ": " + std::strerror(errno) + ".");
  std::optional<ScanCache> cache;
  if (options.use_cache) cache.emplace(fleet.root() / ".mi2" / "cache" / ("scan-" + env));

  std::vector<Slot> slots(count);
  std::atomic<size_t> next{0};
  std::atomic<size_t> first_failure{count};
  auto work = [&](unsigned worker) {
    if (!options.filter.empty() && !programs[worker]) {
      auto program = JqProgram::compile(options.filter);
      if (!program) return;  // cannot happen: it compiled above
      programs[worker].emplace(std::move(*program));
    }
    const JqProgram* program = programs[worker] ? &*programs[worker] : nullptr;
    std::string buffer;
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= count || i > first_failure.load()) return;
      const InstanceRef& ref = (*refs)[i];
      Slot& slot = slots[i];
      std::string relative = ref.id + "/config.yaml";
      struct stat st {};
      if (::fstatat(dir_fd, relative.c_str(), &st, 0) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) continue;  // a folder that is no instance
        slot.state = Slot::kFailed;
        slot.error =
            "cannot read " + ref.config_path().string() + ": " + std::strerror(errno) + ".";
      } else if (!S_ISREG(st.st_mode)) {
        continue;
      }
      slot.stamp = FileStamp::of(st);
      jv doc = jv_invalid();
      if (slot.state != Slot::kFailed && cache) {
        std::string_view cached = cache->find(ref.id, slot.stamp);
        if (!cached.empty()) {
          doc = jv_parse_sized(cached.data(), static_cast<int>(cached.size()));
          if (jv_is_valid(doc)) slot.cached = cached;
        }
      }
      if (slot.state != Slot::kFailed && !jv_is_valid(doc)) {
        jv_free(doc);
        doc = jv_invalid();
        int err = 0;
        if (!read_whole_file(dir_fd, relative.c_str(), buffer, err)) {
          slot.state = Slot::kFailed;
          slot.error =
              "cannot read " + ref.config_path().string() + ": " + std::strerror(err) + ".";
        } else if (auto parsed =
                       parse_to_jv(buffer.data(), buffer.size(), ref.config_path().string());
                   !parsed) {
          slot.state = Slot::kFailed;
          slot.error = parsed.message();
        } else {
          doc = *parsed;
          if (cache) slot.fresh = dump_jv(doc);
        }
      }
      if (slot.state != Slot::kFailed) {
        bool selected = true;
        if (program) {
          auto match = jq_matches(*program, jv_copy(doc), ref.id);
          if (!match) {
            slot.state = Slot::kFailed;
            slot.error = match.message();
          } else {
            selected = *match;
          }
        }
        if (slot.state != Slot::kFailed) {
          slot.state = selected ? Slot::kSelected : Slot::kRejected;
          if (selected) slot.instance = jv_to_json(doc);
        }
      }
      jv_free(doc);
      if (slot.state == Slot::kFailed) {
        size_t seen = first_failure.load();
        while (i < seen && !first_failure.compare_exchange_weak(seen, i)) {
        }
      }
    }
  };

  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& thread : pool) thread.join();
  ::close(dir_fd);

  if (first_failure.load() < count) return make_error(slots[first_failure.load()].error);
  size_t cache_hits = 0;
  if (cache) {
    size_t entries = 0;
    bool changed = false;
    for (size_t i = 0; i < count; ++i) {
      if (slots[i].state == Slot::kSkipped) continue;
      ++entries;
      cache_hits += !slots[i].cached.empty();
      changed = changed || slots[i].cached.empty();
    }
    if (changed || entries != cache->size()) {
      std::string contents;
      for (size_t i = 0; i < count; ++i) {
        const Slot& slot = slots[i];
        if (slot.state == Slot::kSkipped) continue;
        if ((*refs)[i].id.find_first_of("\t\n") != std::string::npos) continue;
        ScanCache::append_entry(contents, (*refs)[i].id, slot.stamp,
                                slot.cached.empty() ? std::string_view(slot.fresh) : slot.cached);
      }
      cache->write(contents);  // best effort: a read-only checkout just parses every time
    }
  }
  std::vector<ScannedInstance> selected;
  for (size_t i = 0; i < count; ++i) {
    if (slots[i].state == Slot::kSelected)
      selected.push_back(ScannedInstance{(*refs)[i], std::move(slots[i].instance)});
  }
  if (options.stats) {
    size_t instances = 0;
    for (const auto& slot : slots) instances += slot.state != Slot::kSkipped;
    *options.stats =
        ScanStats{list_ms, ms_since(scan_start), threads, instances, cache_hits, selected.size()};
  }
  return selected;
}

}  // namespace mi2
