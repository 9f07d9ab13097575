// The migrate role: the release catalog's SQL migrations applied to the
// instance's SQLite database (state_dir/local/db.sqlite), each recorded in
// migration_logs(version, release, up, started_at, finished_at, success,
// error_message) as Sourcegraph's migrator does. A migration whose latest log
// row is failed (success = 0) or never finished (NULL) makes the database
// dirty: `up` refuses until it is repaired (ignore_single_dirty_log).
#pragma once

#include "local_context.h"

namespace mi2::local {

// migrate.up to the run's target version (else spec.sourcegraphVersion).
// Throws sdk::Failure {dirty, failed_version, repair} on failure.
json migrate_up(LocalContext& ctx);
// migrate.status: {dirty, failed_version, error, applied, pending, database}.
json migrate_status(LocalContext& ctx);

}  // namespace mi2::local
