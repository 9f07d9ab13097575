#include "plugins/release_catalog/versions.h"

#include <mi2/sdk/host.hpp>

#include <cctype>
#include <sstream>
#include <vector>

namespace mi2::releases {

namespace {

struct ParsedVersion {
  long major = 0, minor = 0, patch = 0;
  std::string pre;
};

bool parse_version(const std::string& text, ParsedVersion& out) {
  size_t i = 0;
  long* parts[] = {&out.major, &out.minor, &out.patch};
  for (int k = 0; k < 3; ++k) {
    if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    long value = 0;
    size_t digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && digits < 9) {
      value = value * 10 + (text[i++] - '0');
      ++digits;
    }
    *parts[k] = value;
    if (k < 2) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
  }
  if (i == text.size()) return true;
  if (text[i] != '-' || i + 1 == text.size() || text.size() > 64) return false;
  out.pre = text.substr(i + 1);
  for (char c : out.pre)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
  return true;
}

int compare_prerelease(const std::string& a, const std::string& b) {
  if (a == b) return 0;
  if (a.empty()) return 1;  // a release sorts after its pre-releases
  if (b.empty()) return -1;
  auto split = [](const std::string& s) {
    std::vector<std::string> parts;
    std::stringstream in(s);
    for (std::string p; std::getline(in, p, '.');) parts.push_back(p);
    return parts;
  };
  auto pa = split(a), pb = split(b);
  for (size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
    bool na = !pa[i].empty() && pa[i].find_first_not_of("0123456789") == std::string::npos;
    bool nb = !pb[i].empty() && pb[i].find_first_not_of("0123456789") == std::string::npos;
    if (na && nb && pa[i].size() != pb[i].size()) return pa[i].size() < pb[i].size() ? -1 : 1;
    if (na != nb) return na ? -1 : 1;
    if (pa[i] != pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return pa.size() == pb.size() ? 0 : (pa.size() < pb.size() ? -1 : 1);
}

}  // namespace

bool is_version(const std::string& version) {
  ParsedVersion v;
  return parse_version(version, v);
}

void require_version(const std::string& version, const std::string& what) {
  if (!is_version(version))
    throw sdk::invalid_input(what + " '" + version +
                             "' is not a version like 4.1.0 or 4.2.0-rc.1 (no 'v' prefix)");
}

int compare_versions(const std::string& a, const std::string& b) {
  ParsedVersion va, vb;
  if (!parse_version(a, va) || !parse_version(b, vb)) return a.compare(b) < 0 ? -1 : a == b ? 0 : 1;
  if (va.major != vb.major) return va.major < vb.major ? -1 : 1;
  if (va.minor != vb.minor) return va.minor < vb.minor ? -1 : 1;
  if (va.patch != vb.patch) return va.patch < vb.patch ? -1 : 1;
  return compare_prerelease(va.pre, vb.pre);
}

}  // namespace mi2::releases
