// psql, pg_dump and pg_restore as the plugin runs them: always through the
// host's exec service with an argv array, the password only in the child's
// environment (PGPASSWORD), never in argv; errors turned into sentences.
#pragma once

#include <string>
#include <vector>

#include "plugins/postgres/settings.h"

namespace mi2::postgres {

// The advisory lock every migration, log write and restore takes.
inline constexpr const char* kLockSql =
    "SELECT pg_advisory_xact_lock(hashtext('mi2.postgres.migrations'))";

// psql -X -q -v ON_ERROR_STOP=1 [--single-transaction] -d CONNINFO ARGS... with
// `script` on stdin (ARGS end in "-f -" to run it). `mutating` runs are shown, not run, in dry-run.
sdk::ExecResult run_psql(const PgContext& ctx, const std::string& conninfo,
                         const std::vector<std::string>& args, const std::string& script,
                         bool single_transaction, bool mutating);
// `program ARGS...` (pg_dump or pg_restore) with the same environment.
sdk::ExecResult run_tool(const PgContext& ctx, const std::string& program,
                         const std::vector<std::string>& args, bool mutating);

// The reason psql/pg_dump could not connect ("" when it did connect): the
// server's or libpq's message without the program prefix.
std::string connection_failure(const sdk::ExecResult& result);
// "cannot connect to database pgsql of instance X (conninfo): reason; what to do."
std::string connect_sentence(const PgContext& ctx, const Database& db, const std::string& reason);
// Throws the connect sentence when `result` is a connection failure.
void throw_if_unreachable(const PgContext& ctx, const Database& db, const sdk::ExecResult& result);

// The ERROR/DETAIL/HINT lines of stderr on one line, without "psql:file:line:"
// prefixes; the last stderr line when there is none.
std::string error_text(const std::string& err);
// A SQL string literal for any text (dollar-quoted with a tag not in it).
std::string sql_literal(const std::string& text);
// An identifier quoted for SQL ("a""b").
std::string sql_identifier(const std::string& name);
std::string now_utc();  // 2026-11-27T10:15:00Z

}  // namespace mi2::postgres
