// Does the hand-written block reader pay? Parses every config.yaml of a fleet
// folder to jq values both ways — parse_to_jv (block reader, libyaml fallback)
// and libyaml alone — checks they agree document by document, and prints the
// best CPU time per file of each over several passes.
//
//   yaml_scan_bench DEPLOYMENTS_DIR [PASSES]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/fleet/yaml_jv.h"

namespace fs = std::filesystem;

namespace {

using ParseFn = mi2::Result<jv> (*)(const char*, size_t, const std::string&);

// Best wall time of `passes` over all files, in microseconds per file.
double best_us_per_file(ParseFn parse, const std::vector<std::string>& files, int passes) {
  double best = 1e30;
  for (int p = 0; p < passes; ++p) {
    auto start = std::chrono::steady_clock::now();
    for (const std::string& text : files) {
      auto doc = parse(text.data(), text.size(), "bench");
      if (!doc) std::abort();
      jv_free(*doc);
    }
    std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
    best = std::min(best, took.count() / static_cast<double>(files.size()));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: yaml_scan_bench DEPLOYMENTS_DIR [PASSES]\n");
    return 2;
  }
  int passes = argc > 2 ? std::atoi(argv[2]) : 5;
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(argv[1])) {
    std::ifstream in(entry.path() / "config.yaml", std::ios::binary);
    if (!in) continue;
    std::stringstream text;
    text << in.rdbuf();
    files.push_back(text.str());
  }
  if (files.empty()) {
    std::fprintf(stderr, "yaml_scan_bench: no */config.yaml under %s\n", argv[1]);
    return 1;
  }
  for (const std::string& text : files) {  // both paths must give the same document
    auto a = mi2::parse_to_jv(text.data(), text.size(), "a");
    auto b = mi2::parse_to_jv_with_libyaml(text.data(), text.size(), "b");
    if (!a || !b || !jv_equal(*a, *b)) {
      std::fprintf(stderr, "yaml_scan_bench: the two readers disagree on a file\n");
      return 1;
    }
  }
  double block = best_us_per_file(&mi2::parse_to_jv, files, passes);
  double libyaml = best_us_per_file(&mi2::parse_to_jv_with_libyaml, files, passes);
  std::printf(
      "yaml scan parse, %zu files, best of %d: block reader %.1f us/file, "
      "libyaml alone %.1f us/file (%.1fx)\n",
      files.size(), passes, block, libyaml, libyaml / block);
  return 0;
}
