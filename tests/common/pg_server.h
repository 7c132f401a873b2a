// Test support: a throw-away PostgreSQL server for the test binaries that run their suites against
// both store backends. Started once per process (initdb + pg_ctl, as the postgres user when run as
// root) in a temporary folder, listening on 127.0.0.1 on a free port, and stopped at exit.
#pragma once

#include <string>

namespace sendsync::testing_support {

// A store URL for a new, empty PostgreSQL database on the shared server (started on first use).
// Fails the calling test (via the returned empty string and a message on stderr) when PostgreSQL
// cannot be started; set SENDSYNC_SKIP_POSTGRES=1 to run only the SQLite half locally.
std::string FreshPostgresUrl();
bool PostgresSkipped();

// A store URL for a new SQLite file in a fresh temporary folder.
std::string FreshSqliteUrl();

}  // namespace sendsync::testing_support
