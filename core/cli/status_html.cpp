#include "core/cli/status_html.h"

#include <nlohmann/json.hpp>

namespace mi2::cli {
namespace {

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// JSON safe inside <script>: '<' only occurs in strings, where \u003c reads the same.
std::string script_json(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string out;
  for (char c : text) out += c == '<' ? std::string("\\u003c") : std::string(1, c);
  return out;
}

// Horizontal bars, one per version, most instances first.
std::string version_chart(const FleetStatus& status) {
  auto versions = status.versions_by_count();
  size_t most = 1;
  for (const auto& [v, n] : versions) most = std::max(most, n);
  const int row = 26, label = 170, bar = 420;
  int height = static_cast<int>(versions.size()) * row + 10;
  std::string svg = "<svg id=\"versions\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(label + bar + 60) + "\" height=\"" + std::to_string(height) +
                    "\" role=\"img\" aria-label=\"instances per version\">";
  int y = 5;
  for (const auto& [version, count] : versions) {
    int width = std::max(2, static_cast<int>(bar * count / most));
    std::string name = version.empty() ? "(none)" : version;
    svg += "<g class=\"bar\" data-version=\"" + html_escape(name) + "\" data-count=\"" +
           std::to_string(count) + "\"><text x=\"" + std::to_string(label - 8) + "\" y=\"" +
           std::to_string(y + 16) + "\" text-anchor=\"end\">" + html_escape(name) +
           "</text><rect x=\"" + std::to_string(label) + "\" y=\"" + std::to_string(y + 3) +
           "\" width=\"" + std::to_string(width) + "\" height=\"18\" rx=\"3\"></rect><text x=\"" +
           std::to_string(label + width + 6) + "\" y=\"" + std::to_string(y + 16) + "\">" +
           std::to_string(count) + "</text></g>";
    y += row;
  }
  return svg + "</svg>";
}

const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1d2330;background:#fff}
h1{font-size:1.4em;margin:0 0 .2em}.meta{color:#667;margin-bottom:1.5em}
svg text{font-size:13px;fill:#1d2330}svg rect{fill:#4a7bd0}
table{border-collapse:collapse;margin-top:1.5em;min-width:60%}
th,td{text-align:left;padding:.35em .8em;border-bottom:1px solid #e3e6ee;white-space:nowrap}
th{cursor:pointer;user-select:none;background:#f4f6fa}th.sorted-asc::after{content:" \25B2"}
th.sorted-desc::after{content:" \25BC"}td.succeeded{color:#17803d}td.failed,td.rolled_back,
td.refused,td.cancelled{color:#b42318;font-weight:600}td.locked{color:#b25e09}
)";

const char* kScript = R"(
(function () {
  var data = JSON.parse(document.getElementById('status-data').textContent);
  var cols = [
    ['id', 'Instance', function (r) { return r.id; }],
    ['slug', 'Slug', function (r) { return r.slug; }],
    ['type', 'Type', function (r) { return r.type; }],
    ['version', 'Version', function (r) { return r.version; }],
    ['channel', 'Channel', function (r) { return r.channel; }],
    ['result', 'Last run', function (r) { return r.last_run ? r.last_run.result : ''; }],
    ['when', 'When', function (r) { return r.last_run ? r.last_run.when : ''; }],
    ['failed_step', 'Failed step', function (r) { return r.last_run ? r.last_run.failed_step : ''; }],
    ['pr', 'Upgrade PR', function (r) { return r.pr ? '#' + r.pr.number : ''; }],
    ['lock', 'Lock', function (r) { return r.lock ? (r.lock_stale ? 'stale ' : 'held ') + r.lock.run_id : ''; }]
  ];
  var table = document.getElementById('instances');
  var head = document.createElement('tr');
  cols.forEach(function (c, i) {
    var th = document.createElement('th');
    th.textContent = c[1]; th.dataset.col = c[0];
    th.addEventListener('click', function () { sort(i, th.classList.contains('sorted-asc')); });
    head.appendChild(th);
  });
  table.tHead.appendChild(head);
  function versionKey(v) {
    var m = /^(\d+)\.(\d+)\.(\d+)(-.*)?$/.exec(v || '');
    if (!m) return [1e9, v || ''];
    return [0, +m[1], +m[2], +m[3], m[4] ? 0 : 1, m[4] || ''];
  }
  function cmp(a, b) {
    for (var i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i] === undefined) return -1; if (b[i] === undefined) return 1;
      if (a[i] < b[i]) return -1; if (a[i] > b[i]) return 1;
    }
    return 0;
  }
  function render(rows) {
    var body = table.tBodies[0];
    body.textContent = '';
    rows.forEach(function (r) {
      var tr = document.createElement('tr');
      tr.dataset.id = r.id;
      cols.forEach(function (c) {
        var td = document.createElement('td');
        var text = c[2](r);
        if (c[0] === 'pr' && r.pr && r.pr.url) {
          var a = document.createElement('a'); a.href = r.pr.url; a.textContent = text;
          td.appendChild(a);
        } else {
          td.textContent = text || '-';
        }
        td.dataset.col = c[0];
        if (c[0] === 'result' && text) td.className = text;
        if (c[0] === 'lock' && text) td.className = 'locked';
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }
  function sort(i, desc) {
    var key = cols[i][2], byVersion = cols[i][0] === 'version';
    var rows = data.instances.slice().sort(function (a, b) {
      var r = byVersion ? cmp(versionKey(key(a)), versionKey(key(b)))
                        : String(key(a)).localeCompare(String(key(b)));
      if (r === 0) r = a.id.localeCompare(b.id);
      return desc ? -r : r;
    });
    Array.prototype.forEach.call(head.children, function (th, j) {
      th.className = j === i ? (desc ? 'sorted-desc' : 'sorted-asc') : '';
    });
    render(rows);
  }
  var m = /sort=([a-z_]+)(:desc)?/.exec(location.hash);
  var first = 0;
  if (m) cols.forEach(function (c, i) { if (c[0] === m[1]) first = i; });
  sort(first, !!(m && m[2]));
  document.getElementById('rendered').textContent = String(data.instances.length);
})();
)";

}  // namespace

std::string status_html(const FleetStatus& status, const std::string& generated_at) {
  Json data = status.to_json();
  std::string env = html_escape(status.environment);
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  page +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">";
  page += "<title>mi2 env status: " + env + "</title><style>" + kStyle + "</style></head><body>";
  page += "<h1>Environment " + env + "</h1><div class=\"meta\">" +
          std::to_string(status.instances.size()) + " instance(s) at " +
          std::to_string(status.version_counts.size()) + " version(s); generated " +
          html_escape(generated_at) + " by mi2 env status. Rendered rows: <span id=\"rendered\">" +
          "0</span>. Click a column to sort.</div>";
  page += version_chart(status);
  page += "<table id=\"instances\"><thead></thead><tbody></tbody></table>";
  page += "<script type=\"application/json\" id=\"status-data\">" + script_json(data) +
          "</script><script>" + kScript + "</script></body></html>\n";
  return page;
}

}  // namespace mi2::cli
