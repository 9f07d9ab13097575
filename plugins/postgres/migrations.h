// The migrate role on a real PostgreSQL: the release catalog's SQL for each
// logical database applied in order, one psql session and one transaction per
// migration, each recorded in the database's migration_logs(version, up,
// started_at, finished_at, success, error_message). Inside that transaction
// the session first takes a Postgres advisory lock and re-reads
// migration_logs, so two mi2 processes never both apply a migration (the
// second waits, then skips what the first applied). A migration that failed
// leaves the database dirty: `up` refuses, naming it and the repair path,
// until `ignore_single_dirty_log` re-applies only that one.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "plugins/postgres/settings.h"
#include "plugins/release_catalog/release_catalog.h"
#include "plugins/release_catalog/versions.h"

namespace mi2::postgres {

using releases::compare_versions;
using releases::is_version;
using releases::Migration;
using releases::ReleaseCatalog;

// The fleet's release catalog (plugins/release_catalog) with the SQL of the
// logical database `database`: <version>/migrations/postgres/<database>/NNN_name.sql.
ReleaseCatalog database_catalog(const std::filesystem::path& releases_dir,
                                const std::string& database);

// The latest migration_logs row of one migration.
struct LogRow {
  std::string version;  // the migration id
  std::string state;    // "succeeded", "failed" or "unfinished" (success NULL)
  std::string error;
};

// What a database says about its migrations (one read-only psql query).
struct DbState {
  bool exists = true;
  std::vector<LogRow> logs;    // latest row per migration, in the order they ran
  std::string schema_version;  // versions.version of service 'frontend', "" when none
  bool succeeded(const std::string& id) const;
  std::vector<LogRow> dirty() const;
};

// Throws the connection sentence when the server cannot be reached; a
// missing database is exists=false.
DbState read_state(const PgContext& ctx, const Database& db);

// migrate.up to the run's target version (else spec.sourcegraphVersion).
// Throws sdk::Failure with {dirty, failed_version, repair, error, applied}.
Json migrate_up(const PgContext& ctx);
// migrate.status: {dirty, failed_version, applied, pending, schema_version, databases}.
Json migrate_status(const PgContext& ctx);

}  // namespace mi2::postgres
