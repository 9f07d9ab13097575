// backup.create / list / restore of the cloudsql plugin: what each runs
// through Gcloud and the JSON it answers (docs/plugin-guide.md, role backup).
#pragma once

#include <mi2/sdk/step.hpp>

#include "plugins/cloudsql/gcloud.h"

namespace mi2::cloudsql {

// {"checkpoint": {"id", "backup_id", "instance", "project", "description",
//  "started", "finished", "operation", "status"}}; in a dry run also
// "dry_run": true and "operations_in_progress".
Json create_backup(const Gcloud& gcloud, const sdk::StepInput& input);
// {"backups": [{"id", "status", "type", "description", "created", "started",
//  "finished", "instance", "project"}]}, oldest first.
Json list_backups(const Gcloud& gcloud);
// params {"backup_name" | "backup_id", "backup_instance"?, "restore_type"?} ->
// {"restored", "backup_id", "backup_instance", "instance", "project",
//  "operation", "overwrote": sentence}.
Json restore_backup(const Gcloud& gcloud, const sdk::StepInput& input);

// backup.preflight: `gcloud sql instances describe` (read-only) must succeed
// and say RUNNABLE, not stopped: {"instance", "project", "state",
// "database_version"}. Throws the gcloud sentence (not authenticated,
// forbidden, no such instance, gcloud missing) or the state's.
Json preflight_instance(const Gcloud& gcloud);

// A dry run's output plus what holds the instance now (the read-only
// `operations list`): "dry_run", "operations_in_progress", "note".
Json with_dry_run_report(const Gcloud& gcloud, Json output);

// The checkpoint name: params.name, else "mi2-<run id>" (as the kubectl
// plugin names its half), else "mi2-<UTC time>". Throws invalid_input for a
// name that is not 1-63 of [A-Za-z0-9._-].
std::string checkpoint_name(const sdk::StepInput& input);

// A Cloud SQL backup id: 1-20 decimal digits.
bool is_backup_id(const std::string& text);

}  // namespace mi2::cloudsql
