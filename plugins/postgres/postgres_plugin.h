// The postgres provider: migrate (up, status), backup (create, list, restore)
// and the db-health check on a real PostgreSQL, through psql, pg_dump and
// pg_restore run by the host's exec service. See README.md.
#pragma once

#include <mi2/sdk/routes.hpp>

#include <string>
#include <vector>

#include "plugins/postgres/settings.h"

namespace mi2::postgres {

class PostgresPlugin : public sdk::RoutedPlugin<PostgresPlugin> {
 public:
  static sdk::About about();
  static const std::vector<Route>& routes();
  PostgresPlugin(sdk::Host host, const std::string& config_json);

  Json up(const sdk::StepInput& in);
  Json status(const sdk::StepInput& in);
  Json create(const sdk::StepInput& in);
  Json list(const sdk::StepInput& in);
  Json restore(const sdk::StepInput& in);
  Json check(const sdk::StepInput& in);
  Json preflight(const sdk::StepInput& in);

 private:
  PgContext context(const sdk::StepInput& in) const;

  sdk::Host host_;
  Settings settings_;
};

// preflight (before the bump, read-only): psql, pg_dump and pg_restore run,
// the target's migrations are catalogued, every database answers SELECT 1;
// what is checked follows params.roles. {"psql", "pg_dump", "pg_restore", "databases"}.
Json preflight(const PgContext& ctx);

// db-health of every database: reachable, not dirty, schema at spec.sourcegraphVersion.
Json db_health(const PgContext& ctx);

}  // namespace mi2::postgres
