#include "core/fleet/fleet_scan.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "core/fleet/scan_cache.h"
#include "core/fleet/yaml_jv.h"
#include "core/jq/jq_native.h"
#include "core/jq/jq_program.h"
#include "core/sys/workers.h"
#include "core/yaml/yaml_guard.h"

namespace mi2 {

namespace fs = std::filesystem;

namespace {

// The instance folders of an environment, sorted by id, without a stat per
// entry (the readers find out which hold a config.yaml).
Result<std::vector<InstanceRef>> candidate_instances(const Fleet& fleet, const std::string& env) {
  fs::path deployments = fleet.deployments_dir(env);
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

enum class Loaded { kNoInstance, kDocument, kFailed };

// check_instance_shape on a jv: quick when the shape is right, which it
// nearly always is; the sentence comes from the Json check.
Status check_shape(jv doc, const std::string& path) {
  bool ok = jv_get_kind(doc) == JV_KIND_OBJECT;
  if (ok) {
    jv spec = jv_object_get(jv_copy(doc), jv_string("spec"));
    jv_kind spec_kind = jv_get_kind(spec);
    if (spec_kind == JV_KIND_OBJECT) {
      jv version = jv_object_get(jv_copy(spec), jv_string("sourcegraphVersion"));
      jv_kind kind = jv_get_kind(version);
      ok = kind != JV_KIND_ARRAY && kind != JV_KIND_OBJECT;
      jv_free(version);
    } else {
      ok = spec_kind == JV_KIND_INVALID || spec_kind == JV_KIND_NULL;
    }
    jv_free(spec);
  }
  if (ok) return {};
  Status shape = check_instance_shape(jv_to_json(doc), path);
  if (shape) return make_error(path + " does not have the shape of an instance's config.yaml.");
  return shape;
}

// Instance `ref`'s config.yaml as a jv (into `doc`): from the cache when its
// stamp matches, else read and parsed. Cold files cost open, fstat, one read
// and close; relative paths under `dir_fd` keep the path walk short.
Loaded load_document(int dir_fd, const InstanceRef& ref, const ScanCache* cache,
                     std::string& buffer, Slot& slot, jv& doc) {
  std::string relative = ref.id + "/config.yaml";
  auto failed = [&](int err) {
    slot.state = Slot::kFailed;
    slot.error = "cannot read " + ref.config_path().string() + ": " + std::strerror(err) + ".";
    return Loaded::kFailed;
  };
  auto missing = [](int err) { return err == ENOENT || err == ENOTDIR; };
  struct stat st {};
  if (cache && cache->contains(ref.id)) {
    if (::fstatat(dir_fd, relative.c_str(), &st, 0) != 0)
      return missing(errno) ? Loaded::kNoInstance : failed(errno);
    if (!S_ISREG(st.st_mode)) return Loaded::kNoInstance;
    slot.stamp = FileStamp::of(st);
    std::string_view cached = cache->find(ref.id, slot.stamp);
    if (!cached.empty()) {
      doc = jv_parse_sized(cached.data(), static_cast<int>(cached.size()));
      if (jv_is_valid(doc)) {
        slot.cached = cached;
        return Loaded::kDocument;
      }
      jv_free(doc);
    }
  }
  int fd = ::openat(dir_fd, relative.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return missing(errno) ? Loaded::kNoInstance : failed(errno);
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return failed(err);
  }
  if (!S_ISREG(st.st_mode)) {  // e.g. a folder named config.yaml
    ::close(fd);
    return Loaded::kNoInstance;
  }
  slot.stamp = FileStamp::of(st);
  if (static_cast<size_t>(st.st_size) > kMaxYamlBytes) {
    ::close(fd);
    slot.state = Slot::kFailed;
    slot.error = yaml_too_big(ref.config_path().string(), static_cast<size_t>(st.st_size));
    return Loaded::kFailed;
  }
  // One read for the size fstat gave (plus one byte to see a file that grew).
  buffer.resize(static_cast<size_t>(st.st_size) + 1);
  size_t filled = 0;
  for (;;) {
    ssize_t n = ::read(fd, buffer.data() + filled, buffer.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return failed(err);
    }
    filled += static_cast<size_t>(n);
    if (n == 0 || filled < buffer.size()) break;
    buffer.resize(buffer.size() * 2);
  }
  ::close(fd);
  buffer.resize(filled);
  auto parsed = parse_to_jv(buffer.data(), buffer.size(), ref.config_path().string());
  if (!parsed) {
    slot.state = Slot::kFailed;
    slot.error = parsed.message();
    return Loaded::kFailed;
  }
  doc = *parsed;
  if (auto shape = check_shape(doc, ref.config_path().string()); !shape) {
    slot.state = Slot::kFailed;
    slot.error = shape.message();
    return Loaded::kFailed;
  }
  if (cache && !append_json(slot.fresh, doc)) slot.fresh.clear();
  return Loaded::kDocument;
}

// Rewrites the cache when an instance was parsed now or went away; returns
// how many instances came from the cache.
size_t refresh_cache(const ScanCache& cache, const std::vector<InstanceRef>& refs,
                     const std::vector<Slot>& slots) {
  size_t hits = 0, entries = 0;
  bool changed = false;
  for (const Slot& slot : slots) {
    hits += !slot.cached.empty();
    entries += !slot.cached.empty() || !slot.fresh.empty();
    changed = changed || !slot.fresh.empty();
  }
  if (!changed && entries == cache.size()) return hits;
  std::string contents;
  size_t bytes = 64;
  for (const Slot& slot : slots) bytes += slot.cached.size() + slot.fresh.size() + 96;
  contents.reserve(bytes);
  for (size_t i = 0; i < slots.size(); ++i) {
    const Slot& slot = slots[i];
    std::string_view json = slot.cached.empty() ? std::string_view(slot.fresh) : slot.cached;
    if (json.empty() || refs[i].id.find_first_of("\t\n") != std::string::npos) continue;
    ScanCache::append_entry(contents, refs[i].id, slot.stamp, json);
  }
  cache.write(contents);  // best effort: a read-only checkout just parses every time
  return hits;
}

}  // namespace

Result<Json> parse_yaml_with_libyaml(const std::string& text, const std::string& path) {
  auto doc = parse_to_jv_with_libyaml(text.data(), text.size(), path);
  if (!doc) return doc.error();
  Json json = jv_to_json(*doc);
  jv_free(*doc);
  return json;
}

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

  fs::path deployments = fleet.deployments_dir(env);
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
      jv doc = jv_invalid();
      Loaded loaded = load_document(dir_fd, ref, cache ? &*cache : nullptr, buffer, slot, doc);
      if (loaded == Loaded::kNoInstance) continue;
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

  run_workers(threads, work);
  ::close(dir_fd);

  if (first_failure.load() < count) return make_error(slots[first_failure.load()].error);
  size_t cache_hits = cache ? refresh_cache(*cache, *refs, slots) : 0;
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
