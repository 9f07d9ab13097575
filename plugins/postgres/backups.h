// The backup role: one checkpoint holds a pg_dump (custom format, no owner,
// no privileges) of every configured database, under
// state_dir/postgres/backups/<name>/<database>.dump with checkpoint.json. A dump
// counts only after `pg_restore --list` and a full read (`pg_restore
// --file=/dev/null`) accept it; the folder is written under a temporary name
// and renamed into place. Restore is in place, in one transaction per
// database: see README.md ("Restore") for why.
#pragma once

#include "plugins/postgres/settings.h"

namespace mi2::postgres {

Json backup_create(const PgContext& ctx);   // {"checkpoint": {"id", "databases", ...}}
Json backup_list(const PgContext& ctx);     // {"backups": [{"id", "created", ...}]}
Json backup_restore(const PgContext& ctx);  // {"restored": name, "databases": [...]}

}  // namespace mi2::postgres
