// Shared helpers for the end-to-end tests in tests/e2e (and only for them): running the real
// `sendsync` binary against a store in a temporary folder, starting simulator programs on
// 127.0.0.1 with an ephemeral port and stopping them, calling their control endpoints, and small
// file utilities. Every test file in this folder may use them; keep them free of any one
// scenario's data.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sendsync::e2e {

namespace fs = std::filesystem;
using nlohmann::json;

// What a finished program printed and how it ended. exit_code is -1 when it was killed (by a
// signal, or by RunProgram after its time limit).
struct ProgramResult {
  int exit_code = -1;
  std::string out, err;
  bool timed_out = false;

  // stdout parsed as JSON (a discarded value when it is not JSON).
  json Json() const;
  // "exit 3\n--- stdout\n…\n--- stderr\n…", for assertion messages.
  std::string Describe() const;
};

// Runs `program` with `args`, this process's environment plus `env`, no stdin, and captures stdout
// and stderr (through files in `scratch`). Kills it after `limit`.
ProgramResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env, const fs::path& scratch,
                         std::chrono::seconds limit = std::chrono::seconds(120));

// A fresh folder under the system temp folder, named for the running test. Removed when the test
// passed; kept (and its path printed) when it failed, so the store and files can be inspected.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// The sendsync CLI over one SQLite store: SENDSYNC_DB, SENDSYNC_PLUGINS (the bundled adapters)
// and SENDSYNC_ADAPTER_HOST (the worker) point into the build, so adapters run out of process as
// in production.
class Cli {
 public:
  // The store is `dir`/hub.db; output scratch files also go to `dir`.
  explicit Cli(fs::path dir);
  ProgramResult Run(const std::vector<std::string>& args) const;
  // Runs with --json added and returns the parsed output; fails the test (and returns null) when
  // the exit code is not `expected_exit` or the output is not JSON.
  json RunJson(std::vector<std::string> args, int expected_exit = 0) const;
  // Extra environment for every run (e.g. the variable an env: secret reference names).
  void SetEnv(const std::string& name, const std::string& value) { env_[name] = value; }
  const std::string& db_url() const { return db_url_; }

 private:
  fs::path dir_;
  std::string db_url_;
  std::map<std::string, std::string> env_;
};

// A simulator program (sendsync-sim-mis-api, sendsync-sim-la-portal, …) started with
// `--port-file`, so it listens on an ephemeral port on 127.0.0.1. Stopped with SIGTERM by Stop or
// the destructor; its stderr is kept in `dir`/<name>.log.
class SimProcess {
 public:
  SimProcess() = default;
  ~SimProcess();
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  // Starts `program args… --port-file <dir>/<name>.port` and waits (up to 20 s) for the port
  // file. Returns false, with the reason in `error`, when the program exits or never listens.
  bool Start(const std::string& program, std::vector<std::string> args, const fs::path& dir,
             const std::string& name, std::string& error);
  // SIGTERM, then waits for the program to end (SIGKILL after 10 s). Returns its exit code.
  int Stop();
  bool running() const { return pid_ > 0; }
  uint16_t port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  fs::path log_;
};

struct HttpReply {
  int status = 0;  // 0 when no answer could be had; `error` says why
  std::string body, error;
  json Json() const;
};

// One HTTP request to 127.0.0.1:`port` (control endpoints of the simulators). `body`, when not
// empty, is sent as application/json.
HttpReply Http(uint16_t port, const std::string& method, const std::string& path,
               const std::string& body = "");

void WriteText(const fs::path& file, const std::string& text);
std::string ReadText(const fs::path& file);
// Each line of a JSON-lines file parsed (blank lines skipped).
std::vector<json> ReadJsonLines(const fs::path& file);

}  // namespace sendsync::e2e
