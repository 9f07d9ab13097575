// The backup role: a checkpoint is state_dir/local/backups/<name>/ holding a
// copy of the database (SQLite online backup API, safe while it is in use)
// and of deployment.json, plus meta.json {id, created, version, schema_version}.
#pragma once

#include "local_context.h"

namespace mi2::local {

json backup_create(LocalContext& ctx);  // {"checkpoint": {...}}
json backup_list(LocalContext& ctx);    // {"backups": [...]}, oldest first
// restore_type: full-replace (default: database and workloads), database, workloads.
json backup_restore(LocalContext& ctx);  // {"restored": name, ...}

}  // namespace mi2::local
