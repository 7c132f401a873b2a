// A throw-away PostgreSQL server, for the test binaries that run their suites against both store
// backends and for the sync bench (`sendsync-bench-sync --store postgresql`). initdb and pg_ctl
// (as the postgres user when run as root: initdb refuses root) in a temporary folder, listening on
// 127.0.0.1 on a free port with its socket in that folder; stopped, and the folder removed, when
// the PgServer is destroyed.
#pragma once

#include <string>

namespace sendsync::testing_support {

class PgServer {
 public:
  PgServer() = default;
  ~PgServer() { Stop(); }
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // Starts the server. `durable`: PostgreSQL's own defaults (fsync, full_page_writes and
  // synchronous_commit on), what a deployment runs and what the bench measures; otherwise fsync,
  // full_page_writes and synchronous_commit are off, which is enough for tests. On failure returns
  // false and says why in `error` (with the log to read).
  bool Start(bool durable, std::string* error);
  // Stops it immediately and removes its folder; does nothing when it is not running.
  void Stop();
  bool running() const { return started_; }

  // postgresql://sendsync@127.0.0.1:<port>/<db> (trust authentication on loopback: no password).
  std::string Url(const std::string& db) const;
  // A new, empty database on this server: its URL, or "" with the reason in `error`.
  std::string NewDatabase(std::string* error);

 private:
  std::string dir_, as_, bin_;
  int port_ = 0;
  bool started_ = false;
};

// A store URL for a new, empty PostgreSQL database on the shared test server (started on first
// use, fsync off, stopped at exit). Fails the calling test (via the returned empty string and a
// message on stderr) when PostgreSQL cannot be started; set SENDSYNC_SKIP_POSTGRES=1 to run only
// the SQLite half locally.
std::string FreshPostgresUrl();
bool PostgresSkipped();

// A store URL for a new SQLite file in a fresh temporary folder.
std::string FreshSqliteUrl();

}  // namespace sendsync::testing_support
