#include "plugins/postgres/pg_tools.h"

#include <ctime>
#include <sstream>

namespace mi2::postgres {
namespace {

std::vector<std::string> child_env(const PgContext& ctx) {
  // English messages (the plugin reads them), UTF-8, a bounded connect.
  std::vector<std::string> env = {
      "LC_ALL=C.UTF-8", "LC_MESSAGES=C", "PGCLIENTENCODING=UTF8", "PGAPPNAME=mi2-postgres",
      "PGCONNECT_TIMEOUT=" + std::to_string(ctx.settings.connect_timeout_s)};
  if (!ctx.password.empty()) env.push_back("PGPASSWORD=" + ctx.password);
  return env;
}

std::string trim(const std::string& text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// "psql:/x/002.sql:4: ERROR:  text" -> "ERROR: text"; collapses double spaces.
std::string strip_prefix(const std::string& line) {
  std::string text = line;
  for (const char* mark : {"ERROR:", "DETAIL:", "HINT:", "FATAL:", "CONTEXT:"}) {
    size_t at = text.find(mark);
    if (at != std::string::npos && at > 0) {
      text = text.substr(at);
      break;
    }
  }
  std::string out;
  for (char c : text)
    if (!(c == ' ' && !out.empty() && out.back() == ' ')) out += c;
  return trim(out);
}

}  // namespace

sdk::ExecResult run_psql(const PgContext& ctx, const std::string& conninfo,
                         const std::vector<std::string>& args, const std::string& script,
                         bool single_transaction, bool mutating) {
  std::vector<std::string> argv = {ctx.settings.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1"};
  if (single_transaction) argv.push_back("--single-transaction");
  argv.insert(argv.end(), {"-d", conninfo});
  argv.insert(argv.end(), args.begin(), args.end());
  sdk::ExecOptions options;
  options.env = child_env(ctx);
  options.stdin_data = script;
  options.mutating = mutating;
  return ctx.host.exec(argv, options);
}

sdk::ExecResult run_tool(const PgContext& ctx, const std::string& program,
                         const std::vector<std::string>& args, bool mutating) {
  std::vector<std::string> argv = {program};
  argv.insert(argv.end(), args.begin(), args.end());
  sdk::ExecOptions options;
  options.env = child_env(ctx);
  options.mutating = mutating;
  return ctx.host.exec(argv, options);
}

std::string connection_failure(const sdk::ExecResult& result) {
  if (result.ok() || result.skipped_dry_run) return "";
  const std::string& err = result.err;
  bool refused = err.find("connection to server") != std::string::npos ||
                 err.find("could not connect") != std::string::npos ||
                 err.find("could not translate host name") != std::string::npos ||
                 err.find("server closed the connection") != std::string::npos ||
                 err.find("no connection to the server") != std::string::npos;
  if (!refused) return "";
  size_t fatal = err.find("FATAL:");
  std::string line = fatal != std::string::npos ? err.substr(fatal + 6) : err;
  line = line.substr(0, line.find('\n'));
  if (fatal == std::string::npos) {
    for (std::string prefix : {"psql: error: ", "pg_dump: error: ", "pg_restore: error: "})
      if (size_t at = line.find(prefix); at != std::string::npos)
        line = line.substr(at + prefix.size());
  }
  return trim(strip_prefix(trim(line)));
}

std::string connect_sentence(const PgContext& ctx, const Database& db, const std::string& reason) {
  std::string hint = "check that the server runs and the connection in mi2.yaml is right";
  if (reason.find("password") != std::string::npos)
    hint = "check the password in " + ctx.settings.password_env +
           " (plugins.postgres.password_env)" +
           (ctx.password.empty() ? std::string(", which is not set") : std::string());
  else if (reason.find("does not exist") != std::string::npos &&
           reason.find("database") != std::string::npos)
    hint = "create it, or set plugins.postgres.create_database: true and run migrate.up";
  std::string text = reason;
  if (!text.empty() && text.back() == '.') text.pop_back();
  return "cannot connect to " + ctx.where(db) + " (" + db.conninfo + "): " + text + "; " + hint +
         ".";
}

void throw_if_unreachable(const PgContext& ctx, const Database& db, const sdk::ExecResult& result) {
  std::string reason = connection_failure(result);
  if (!reason.empty()) throw sdk::failed(connect_sentence(ctx, db, reason));
}

std::string error_text(const std::string& err) {
  std::istringstream in(err);
  std::string out, last;
  for (std::string line; std::getline(in, line);) {
    if (!trim(line).empty()) last = trim(line);
    bool wanted =
        line.find("ERROR:") != std::string::npos || line.find("DETAIL:") != std::string::npos ||
        line.find("HINT:") != std::string::npos || line.find("FATAL:") != std::string::npos;
    if (wanted) out += (out.empty() ? "" : " ") + strip_prefix(line);
  }
  return out.empty() ? strip_prefix(last) : out;
}

std::string sql_literal(const std::string& text) {
  std::string tag = "$mi2$";
  for (int n = 0; text.find(tag) != std::string::npos; ++n) tag = "$mi2_" + std::to_string(n) + "$";
  return tag + text + tag;
}

std::string sql_identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace mi2::postgres
