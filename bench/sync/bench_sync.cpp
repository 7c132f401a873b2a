// sendsync-bench-sync: the sync benchmark of issue 4. Generates an LA-scale dataset, then times,
// each in a fresh process:
//   floor       the same rows loaded into equivalent SQLite tables by sqlite3's .import
//   schema      those rows moved into sendsync's own tables by sqlite3 (INSERT ... SELECT)
//   full        initial sync through the jsonl-folder adapter into a fresh SQLite store
//               (out of process, the default, and in process)
//   no-change   a re-sync with nothing new
//   1% change   a re-sync after 1 % of the SEN records changed
// and prints wall time, records/s and peak resident memory of the sendsync process as a table.
//
//   sendsync-bench-sync [--pupils N] [--schools N] [--work DIR] [--page-size N]
//                       [--store sqlite|postgresql|both] [--pg-url URL]
//
// With --adapter ctf|csv|jsonl-folder, the per-adapter bench of issue 19 instead: the generator
// writes one dataset (every pupil's identity, and SEN status and needs for pupils on SEN support
// or with an EHC plan) as canonical JSON lines, as one CTF file and as CSV exports in the csv
// adapter's documented layout; a first sync through the named adapter is timed at each size
// (default 20,000 and 300,000 pupils; --sizes 2000,20000 for a quick run), and so is the same
// sync through jsonl-folder on the same records. It prints seconds per 1,000 records at each
// size, the largest size's figure over the smallest's (linear: <= 1.3), the figure over
// jsonl-folder's (ctf: <= 1.5), and the peak resident memory of the host and of the worker
// (<= 100 MB).
//
// With --store postgresql, the floor, schema floor, full sync (out of process), no-change and 1 %
// change steps run on PostgreSQL instead; with both, on both. On PostgreSQL the floor is psql's
// \copy of the same CSV rows into one staging table, the schema floor moves them into sendsync's
// tables with INSERT ... SELECT. With both, the PostgreSQL/SQLite ratio of each step is printed.
// The server is the bench's own (tests/common's PgServer, stopped at the end) unless --pg-url names
// one you run, with a database from which the bench may CREATE DATABASE (--pg-url alone means
// --store both).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#ifdef BENCH_PG_SERVER
#include "pg_server.h"
#endif

#ifdef SIM_MIS_API
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <nlohmann/json.hpp>
#endif

namespace fs = std::filesystem;

namespace {

// The peak resident memory (VmHWM) of the children of `parent`, in kB. RUSAGE_CHILDREN cannot
// tell one step's worker from another's (it keeps the largest child the bench ever waited for,
// the sendsync processes included), so the bench samples /proc while each step runs.
long ChildrenPeakKb(pid_t parent) {
  long peak = 0;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream status(e.path() / "status");
    std::string line;
    long ppid = -1, hwm = 0;
    while (std::getline(status, line)) {
      if (line.rfind("PPid:", 0) == 0) ppid = std::atol(line.c_str() + 5);
      if (line.rfind("VmHWM:", 0) == 0) hwm = std::atol(line.c_str() + 6);
    }
    if (ppid == parent && hwm > peak) peak = hwm;
  }
  return peak;
}

struct Measure {
  double seconds = 0;
  long max_rss_kb = 0;     // the process itself
  long worker_rss_kb = 0;  // the largest of its children (the adapter worker), 0 if none
  int status = 0;
  std::string output;
};

Measure Run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& stdin_file = "") {
  fs::path log =
      fs::temp_directory_path() / ("sendsync-bench-" + std::to_string(::getpid()) + ".log");
  // What earlier steps wrote (a store is about 1 GB) goes to disk before the clock starts, so a
  // step's fsyncs do not wait for another step's writeback.
  ::sync();
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    std::signal(SIGINT, SIG_DFL);  // the bench may ignore it (WithOwnServer); the step must not
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    FILE* f = std::fopen(log.c_str(), "w");
    ::dup2(fileno(f), 1);
    ::dup2(fileno(f), 2);
    if (!stdin_file.empty()) {
      FILE* in = std::fopen(stdin_file.c_str(), "r");
      if (in) ::dup2(fileno(in), 0);
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    _exit(127);
  }
  std::atomic<bool> done{false};
  std::atomic<long> worker_peak{0};
  std::thread sampler([&] {  // every 20 ms; VmHWM only grows, so the last sample is the peak
    while (!done) {
      long kb = ChildrenPeakKb(pid);
      if (kb > worker_peak) worker_peak = kb;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  int st = 0;
  rusage ru{};
  ::wait4(pid, &st, 0, &ru);
  done = true;
  sampler.join();
  Measure m;
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.max_rss_kb = ru.ru_maxrss;
  m.worker_rss_kb = worker_peak;
  m.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  std::ifstream in(log);
  m.output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  fs::remove(log);
  return m;
}

void Check(const Measure& m, const char* what) {
  if (m.status != 0 && m.status != 3) {
    std::fprintf(stderr, "%s failed (exit %d):\n%s\n", what, m.status, m.output.c_str());
    std::exit(1);
  }
}

long CountLines(const fs::path& dir) {
  long n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".jsonl") continue;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) ++n;
  }
  return n;
}

// One table row; the ratios are to the .import floor and to the schema floor (when given).
std::string Row(const char* step, const Measure& m, long records, double floor_s,
                double schema_s = 0) {
  auto ratio = [&](double base) {
    return base > 0 ? std::to_string(m.seconds / base).substr(0, 4) + "x" : std::string();
  };
  char buf[256];
  std::snprintf(buf, sizeof buf, "| %-26s | %8.2f | %9ld | %10.0f | %7.0f | %9.0f | %6s | %6s |",
                step, m.seconds, records, m.seconds > 0 ? records / m.seconds : 0.0,
                m.max_rss_kb / 1024.0, m.worker_rss_kb / 1024.0, ratio(floor_s).c_str(),
                ratio(schema_s).c_str());
  return buf;
}

// One timed first sync of a fresh store through `adapter` with `config`, reading pupil and sen.
Measure SyncThrough(const fs::path& dir, const std::string& adapter, const std::string& config,
                    long page, const std::map<std::string, std::string>& extra_env = {}) {
  fs::create_directories(dir);
  fs::remove(dir / "store.db");
  std::map<std::string, std::string> env = extra_env;
  env["SENDSYNC_DB"] = "sqlite:" + (dir / "store.db").string();
  std::ofstream(dir / "config.json") << config;
  std::ofstream(dir / "settings.json")
      << R"({"kinds": {"pupil": {"direction": "read"}, "sen": {"direction": "read"}}})";
  Check(Run({SENDSYNC_BIN, "init"}, env), "init");
  Check(Run({SENDSYNC_BIN, "link", "add", "--school", "100000", "--adapter", adapter, "--name",
             "la", "--config", (dir / "config.json").string(), "--settings",
             (dir / "settings.json").string()},
            env),
        "link add");
  Measure m = Run(
      {SENDSYNC_BIN, "sync", "--link", "la", "--json", "--page-size", std::to_string(page)}, env);
  Check(m, ("sync through " + adapter).c_str());
  return m;
}

// "pulled N, applied N, quarantined N" from the "total" of a sync's --json output.
std::string Totals(const std::string& out) {
  const size_t total = out.find("\"total\"");
  std::string line;
  for (const char* key : {"pulled", "applied", "quarantined"}) {
    const size_t at =
        total == std::string::npos ? total : out.find("\"" + std::string(key) + "\"", total);
    const size_t colon = at == std::string::npos ? at : out.find(':', at);
    line += (line.empty() ? "" : ", ") + std::string(key) + " " +
            (colon == std::string::npos ? "?" : std::to_string(std::atol(out.c_str() + colon + 1)));
  }
  return line;
}

int AdapterBench(const std::string& adapter, const std::vector<long>& sizes, const fs::path& work,
                 long page) {
  struct Result {
    long pupils, records;
    Measure m, base;
  };
  std::vector<Result> results;
  const std::map<std::string, std::string> none;
  for (long pupils : sizes) {
    const fs::path dir = work / std::to_string(pupils);
    fs::remove_all(dir);
    const fs::path data = dir / "data";
    std::printf("generating %ld pupils ...\n", pupils);
    std::fflush(stdout);
    Measure gen =
        Run({BENCH_GEN, "--files", data.string(), "--pupils", std::to_string(pupils)}, none);
    Check(gen, "the generator");
    std::printf("%s", gen.output.c_str());
    const long records = CountLines(data / "jsonl");
    std::string config;
    if (adapter == "ctf") {
      config = R"({"drop_folder": ")" + (data / "ctf").string() + R"(", "settle_seconds": 0})";
    } else if (adapter == "csv") {
      config = R"({"sources": [{"name": "roll", "kind": "pupil", "path": ")" +
               (data / "csv" / "roll.csv").string() +
               R"(", "date_format": "dd/mm/yyyy", "columns": {"pupil_id": "Adno", "upn": "UPN",)"
               R"( "legal_surname": "Legal Surname", "legal_forename": "Legal Forename",)"
               R"( "preferred_forename": "Preferred Forename", "dob": "DOB", "sex": "Gender",)"
               R"( "nc_year": "Year"}}, {"name": "sen", "kind": "sen", "path": ")" +
               (data / "csv" / "sen.csv").string() +
               R"(", "date_format": "dd/mm/yyyy", "columns": {"pupil_id": "Adno", "upn": "UPN",)"
               R"( "provision": "SEN Status", "provision_start": "SEN Start Date",)"
               R"( "need1": "Primary Need", "need2": "Secondary Need"}}]})";
    } else {
      config = R"({"folder": ")" + (data / "jsonl").string() + R"("})";
    }
    std::printf("syncing %ld records through %s ...\n", records, adapter.c_str());
    std::fflush(stdout);
    Result r{pupils, records, SyncThrough(dir / adapter, adapter, config, page), {}};
    std::printf("  %s\n", Totals(r.m.output).c_str());
    if (adapter != "jsonl-folder") {
      std::printf("syncing the same records through jsonl-folder ...\n");
      std::fflush(stdout);
      r.base = SyncThrough(dir / "jsonl-folder", "jsonl-folder",
                           R"({"folder": ")" + (data / "jsonl").string() + R"("})", page);
      std::printf("  %s\n", Totals(r.base.output).c_str());
    } else {
      r.base = r.m;
    }
    results.push_back(r);
  }
  auto per_k = [](const Measure& m, long records) { return m.seconds * 1000.0 / records; };
  std::printf("\n| %-12s | %8s | %8s | %8s | %10s | %7s | %9s | %9s | %8s |\n", "adapter", "pupils",
              "records", "wall s", "s/1k rec", "RSS MB", "worker MB", "jsonl s/1k", "vs jsonl");
  std::printf("|%s|\n", std::string(105, '-').c_str());
  for (const Result& r : results)
    std::printf("| %-12s | %8ld | %8ld | %8.2f | %10.4f | %7.0f | %9.0f | %10.4f | %7.2fx |\n",
                adapter.c_str(), r.pupils, r.records, r.m.seconds, per_k(r.m, r.records),
                r.m.max_rss_kb / 1024.0, r.m.worker_rss_kb / 1024.0, per_k(r.base, r.records),
                r.m.seconds / r.base.seconds);
  if (results.size() >= 2) {
    const Result &a = results.front(), &b = results.back();
    std::printf("\n%s: s/1k records at %ld pupils / at %ld pupils = %.2fx (jsonl-folder %.2fx)\n",
                adapter.c_str(), b.pupils, a.pupils, per_k(b.m, b.records) / per_k(a.m, a.records),
                per_k(b.base, b.records) / per_k(a.base, a.records));
  }
  std::printf("targets: linear <= 1.3x; ctf <= 1.5x jsonl-folder; worker RSS <= 100 MB\n");
  return 0;
}

// The default bench: which stores it runs on, and where.
struct SyncBenchOptions {
  long pupils = 300000, schools = 400, page = 2000;
  fs::path work;
  bool sqlite = true, pg = false;
  std::string pg_url;  // a database on the server to CREATE DATABASE from
};

constexpr const char* kKinds[] = {"pupil", "sen", "cycle", "provision", "review"};

// The record hash the schema floors store: a 64-character constant (nothing is hashed).
std::string ConstHash() {
  return "'" + std::string(64, 'a') + "'";
}

using Env = std::map<std::string, std::string>;

struct Floors {
  Measure floor, schema;
};

// A schema floor must have moved every row into records, link_records and audit, each record
// other than a pupil with its pupil found; else its time would measure less than the work.
// `query` runs SQL and prints the row as a|b|c|d (sqlite3 and psql -tA both do).
void CheckSchemaFloor(std::vector<std::string> query, long records, const char* what) {
  query.push_back(
      "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM link_records),"
      " (SELECT count(*) FROM audit),"
      " (SELECT count(*) FROM records WHERE kind <> 'pupil' AND pupil_id IS NULL)");
  Measure m = Run(query, {});
  const std::string n = std::to_string(records);
  const std::string want = n + "|" + n + "|" + n + "|0";
  if (m.status != 0 || m.output.substr(0, m.output.find_last_not_of("\n ") + 1) != want) {
    std::fprintf(stderr,
                 "%s: expected %s (records, link records, audit entries, records without their "
                 "pupil), got (exit %d):\n%s\n",
                 what, want.c_str(), m.status, m.output.c_str());
    std::exit(1);
  }
}

// SQLite's floor: sqlite3 importing the same rows (id, pupil, JSON body) into one table per kind.
// Its schema floor: sqlite3 moving those rows into sendsync's own tables (records, link records
// with their base, one audit entry each, and every index) with INSERT ... SELECT. No parsing,
// validation, matching or hashing: what SQLite alone costs to store these rows the way the sync
// must.
Floors SqliteFloors(const fs::path& work, long records) {
  const Env none;
  Floors f;
  std::string script = (work / "floor.sql").string();
  {
    std::ofstream s(script);
    s << "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\n";
    for (const char* k : kKinds)
      s << "CREATE TABLE " << k << " (id TEXT, pupil TEXT, body TEXT);\n";
    s << ".mode csv\n";
    for (const char* k : kKinds)
      s << ".import " << (work / "data" / "csv" / (std::string(k) + ".csv")).string() << " " << k
        << "\n";
  }
  f.floor = Run({"sqlite3", (work / "floor.db").string()}, none, script);
  Check(f.floor, "sqlite3 .import");

  Check(Run({SENDSYNC_BIN, "init"}, {{"SENDSYNC_DB", "sqlite:" + (work / "schema.db").string()}}),
        "creating an empty store");
  const std::string schema_script = (work / "schema.sql").string();
  {
    const std::string h = ConstHash();
    std::ofstream s(schema_script);
    s << "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\n"
      << "ATTACH '" << (work / "floor.db").string() << "' AS f;\n"
      << "CREATE TEMP TABLE src AS SELECT 'pupil' AS kind, id, pupil, body FROM f.pupil";
    for (const char* k : {"sen", "cycle", "provision", "review"})
      s << " UNION ALL SELECT '" << k << "', id, pupil, body FROM f." << k;
    s << ";\nCREATE TEMP TABLE pupil_ids AS SELECT id AS ext, rowid AS rid FROM temp.src WHERE "
         "kind = 'pupil';\n"
      << "CREATE INDEX temp.pupil_ext ON pupil_ids (ext);\n"
      << "BEGIN;\n"
      << "INSERT INTO records (id, kind, pupil_id, upn, former_upn, dob, school_urn, body, hash, "
         "version,"
         " deleted, created_at, updated_at) SELECT s.rowid, s.kind, CASE WHEN s.kind = 'pupil' "
         "THEN NULL"
         " ELSE (SELECT rid FROM temp.pupil_ids WHERE ext = s.pupil) END,"
         " CASE WHEN s.kind = 'pupil' THEN json_extract(s.body, '$.upn') END, NULL,"
         " CASE WHEN s.kind = 'pupil' THEN json_extract(s.body, '$.dob') END,"
         " CASE WHEN s.kind = 'pupil' THEN '100000' END, s.body, "
      << h
      << ", 1, 0, 0, 0"
         " FROM temp.src s ORDER BY s.rowid;\n"
      << "INSERT INTO link_records (link_id, kind, external_id, record_id, base, base_hash, "
         "updated_at)"
         " SELECT 1, s.kind, s.id, s.rowid, s.body, "
      << h << ", 0 FROM temp.src s ORDER BY s.rowid;\n"
      << "INSERT INTO audit (seq, ts, actor, action, kind, record_id, pupil_id, detail, prev_hash, "
         "hash)"
         " SELECT s.rowid, 0, 'link:mis', 'record.create', s.kind, s.rowid,"
         " CASE WHEN s.kind = 'pupil' THEN s.rowid ELSE (SELECT rid FROM temp.pupil_ids WHERE ext "
         "= s.pupil) END,"
         " json_object('hash', "
      << h << ", 'source_id', s.id, 'version', 1), " << h << ", " << h
      << " FROM temp.src s ORDER BY s.rowid;\n"
      << "COMMIT;\n";
  }
  f.schema = Run({"sqlite3", (work / "schema.db").string()}, none, schema_script);
  Check(f.schema, "sqlite3 into sendsync's tables");  // sqlite3 exits 1 on any SQL error
  CheckSchemaFloor({"sqlite3", (work / "schema.db").string()}, records, "SQLite schema floor");
  for (const char* name : {"schema.db", "schema.db-wal", "schema.db-shm"}) fs::remove(work / name);
  return f;
}

// psql exits 3 when a script stops on an SQL error (ON_ERROR_STOP), which Check lets through.
void CheckPsql(const Measure& m, const char* what) {
  if (m.status != 0) {
    std::fprintf(stderr, "%s failed (exit %d):\n%s\n", what, m.status, m.output.c_str());
    std::exit(1);
  }
}

// PostgreSQL's floor: psql's \copy of the same CSV rows into one staging table (kind, id, pupil,
// body and a generated row number), in a fresh database where `sendsync init` has made sendsync's
// tables. Its schema floor: those rows moved from the staging table into sendsync's tables with
// INSERT ... SELECT, as SQLite's schema floor does (the same columns, a constant hash, every index
// sendsync's migrations create). `base` is the server's URL up to and including the last '/'.
Floors PgFloors(const fs::path& work, const std::string& base, const std::string& db,
                long records) {
  const Env none;
  Floors f;
  Check(Run({SENDSYNC_BIN, "init"}, {{"SENDSYNC_DB", base + db}}),
        "creating an empty store (PostgreSQL)");
  const std::string floor_script = (work / "pg-floor.sql").string();
  {
    std::ofstream s(floor_script);
    s << "\\set ON_ERROR_STOP 1\nBEGIN;\n"
      << "CREATE TABLE bench_stage (n BIGINT GENERATED ALWAYS AS IDENTITY, kind TEXT NOT NULL,"
         " id TEXT, pupil TEXT, body TEXT);\n";
    for (const char* k : kKinds)
      s << "ALTER TABLE bench_stage ALTER COLUMN kind SET DEFAULT '" << k << "';\n"
        << "\\copy bench_stage (id, pupil, body) FROM '"
        << (work / "data" / "csv" / (std::string(k) + ".csv")).string() << "' CSV\n";
    s << "COMMIT;\n";
  }
  f.floor = Run({"psql", "-q", base + db}, none, floor_script);
  CheckPsql(f.floor, "psql \\copy");

  const std::string schema_script = (work / "pg-schema.sql").string();
  {
    const std::string h = ConstHash();
    // Each row's pupil: its own row number for a pupil, else the pupil row it names.
    const std::string from =
        " FROM bench_stage s LEFT JOIN bench_stage p ON s.kind <> 'pupil' AND p.kind = 'pupil'"
        " AND p.id = s.pupil ORDER BY s.n;\n";
    std::ofstream s(schema_script);
    s << "\\set ON_ERROR_STOP 1\nANALYZE bench_stage;\nBEGIN;\n"
      << "INSERT INTO records (id, kind, pupil_id, upn, former_upn, dob, school_urn, body, hash,"
         " version, deleted, created_at, updated_at) SELECT s.n, s.kind, p.n,"
         " CASE WHEN s.kind = 'pupil' THEN s.body::json->>'upn' END, NULL,"
         " CASE WHEN s.kind = 'pupil' THEN s.body::json->>'dob' END,"
         " CASE WHEN s.kind = 'pupil' THEN '100000' END, s.body, "
      << h << ", 1, 0, 0, 0" << from
      << "INSERT INTO link_records (link_id, kind, external_id, record_id, base, base_hash,"
         " updated_at) SELECT 1, s.kind, s.id, s.n, s.body, "
      << h << ", 0 FROM bench_stage s ORDER BY s.n;\n"
      << "INSERT INTO audit (seq, ts, actor, action, kind, record_id, pupil_id, detail, prev_hash,"
         " hash) SELECT s.n, 0, 'link:mis', 'record.create', s.kind, s.n,"
         " CASE WHEN s.kind = 'pupil' THEN s.n ELSE p.n END,"
         " json_build_object('hash', "
      << h << ", 'source_id', s.id, 'version', 1)::text, " << h << ", " << h << from << "COMMIT;\n";
  }
  f.schema = Run({"psql", "-q", base + db}, none, schema_script);
  CheckPsql(f.schema, "psql into sendsync's tables");
  CheckSchemaFloor({"psql", "-tA", "-v", "ON_ERROR_STOP=1", base + db, "-c"}, records,
                   "PostgreSQL schema floor");
  return f;
}

// One store's syncs of the `mis` link: full (out of process and, for SQLite, in process),
// no-change, and 1 % change (run after the change generator).
struct Syncs {
  Measure full, inproc, again, one;
};

void AddLink(const fs::path& work, const Env& env, const std::string& what) {
  Check(Run({SENDSYNC_BIN, "init"}, env), ("init" + what).c_str());
  Check(Run({SENDSYNC_BIN, "link", "add", "--school", "100000", "--adapter", "jsonl-folder",
             "--name", "mis", "--config", (work / "source.json").string(), "--settings",
             (work / "settings.json").string()},
            env),
        ("link add" + what).c_str());
}

Measure Sync(const Env& env, long page, const std::string& what, bool in_process = false) {
  std::vector<std::string> args = {
      SENDSYNC_BIN, "sync", "--link", "mis", "--json", "--page-size", std::to_string(page)};
  if (in_process) args.push_back("--in-process");
  Measure m = Run(args, env);
  Check(m, what.c_str());
  return m;
}

// A full sync must have pulled every record and applied or quarantined each; and when both stores
// run, PostgreSQL must end each step with the same totals as SQLite.
void CheckTotals(const Measure& m, long pulled, const std::string& what) {
  const std::string totals = Totals(m.output);
  if (totals.rfind("pulled " + std::to_string(pulled) + ",", 0) != 0) {
    std::fprintf(stderr, "%s: expected %ld records pulled, got %s\n%s\n", what.c_str(), pulled,
                 totals.c_str(), m.output.c_str());
    std::exit(1);
  }
}
void CheckSame(const Measure& pg, const Measure& sqlite, const std::string& what) {
  if (Totals(pg.output) != Totals(sqlite.output)) {
    std::fprintf(stderr, "%s: PostgreSQL %s, SQLite %s\n", what.c_str(), Totals(pg.output).c_str(),
                 Totals(sqlite.output).c_str());
    std::exit(1);
  }
}

double Ratio(const Measure& a, const Measure& b) {
  return b.seconds > 0 ? a.seconds / b.seconds : 0;
}

void PrintResults(const SyncBenchOptions& o, long records, long changed, const Floors& sf,
                  const Syncs& s, const Floors& pf, const Syncs& p) {
  std::printf("\n%ld records (%ld pupils); %ld changed for the 1%% run; page size %ld\n\n", records,
              o.pupils, changed, o.page);
  std::printf("| %-26s | %8s | %9s | %10s | %7s | %9s | %6s | %6s |\n", "step", "wall s", "records",
              "records/s", "RSS MB", "worker MB", "floor", "schema");
  std::printf("|%s|\n", std::string(106, '-').c_str());
  if (o.sqlite) {
    const double fl = sf.floor.seconds, sc = sf.schema.seconds;
    std::printf("%s\n", Row("floor: sqlite3 .import", sf.floor, records, 0).c_str());
    std::printf("%s\n", Row("schema floor: sqlite3", sf.schema, records, fl).c_str());
    std::printf("%s\n", Row("full sync, out of process", s.full, records, fl, sc).c_str());
    std::printf("%s\n", Row("full sync, in process", s.inproc, records, fl, sc).c_str());
    std::printf("%s\n", Row("no-change re-sync", s.again, 0, 0).c_str());
    std::printf("%s\n", Row("1% change re-sync", s.one, changed, 0).c_str());
  }
  if (o.pg) {
    const double fl = pf.floor.seconds, sc = pf.schema.seconds;
    std::printf("%s\n", Row("pg floor: psql \\copy", pf.floor, records, 0).c_str());
    std::printf("%s\n", Row("pg schema floor: psql", pf.schema, records, fl).c_str());
    std::printf("%s\n", Row("pg full sync, out of proc", p.full, records, fl, sc).c_str());
    std::printf("%s\n", Row("pg no-change re-sync", p.again, 0, 0).c_str());
    std::printf("%s\n", Row("pg 1% change re-sync", p.one, changed, 0).c_str());
  }
  if (o.sqlite) {
    std::printf("\nout of process / in process: %.2fx\n", Ratio(s.full, s.inproc));
    std::printf("full sync / schema floor: out of process %.2fx, in process %.2fx\n",
                Ratio(s.full, sf.schema), Ratio(s.inproc, sf.schema));
    std::printf(
        "targets: full <= 15 s in and out of process and <= 1.5x the schema floor; RSS <= 400 MB "
        "(host and worker); no-change <= 0.2 s; 1%% <= 0.4 s; out/in <= 1.1x\n");
  }
  if (o.pg) {
    std::printf("\nPostgreSQL full sync / PostgreSQL schema floor: %.2fx\n",
                Ratio(p.full, pf.schema));
    if (o.sqlite)
      std::printf(
          "PostgreSQL / SQLite: floor %.2fx, schema floor %.2fx, full sync %.2fx, no-change "
          "%.2fx, 1%% change %.2fx\n",
          Ratio(pf.floor, sf.floor), Ratio(pf.schema, sf.schema), Ratio(p.full, s.full),
          Ratio(p.again, s.again), Ratio(p.one, s.one));
    std::printf(
        "targets (300,000 pupils): PostgreSQL full sync <= 1.5x SQLite's and <= 2x the PostgreSQL "
        "schema floor; no-change <= 0.3 s; 1%% <= 1 s\n");
  }
}

// The default bench (see the top of this file and bench/README.md).
int SyncBench(const SyncBenchOptions& o) {
  const fs::path& work = o.work;
  fs::remove_all(work);
  fs::create_directories(work / "data");
  const std::string data = (work / "data").string();
  const Env none;

  std::printf("generating %ld pupils in %ld schools ...\n", o.pupils, o.schools);
  std::fflush(stdout);
  Measure gen = Run({BENCH_GEN, "--out", data, "--pupils", std::to_string(o.pupils), "--schools",
                     std::to_string(o.schools)},
                    none);
  Check(gen, "the generator");
  std::printf("%s", gen.output.c_str());
  const long records = CountLines(data);

  std::ofstream(work / "source.json") << "{\"folder\": \"" << data << "\"}";
  std::ofstream(work / "settings.json")
      << R"({"kinds": {"pupil": {"direction": "read"}, "sen": {"direction": "read"},)"
      << R"( "cycle": {"direction": "read"}, "provision": {"direction": "read"}, "review": {"direction": "read"}}})";
  const Env sqlite_env = {{"SENDSYNC_DB", "sqlite:" + (work / "worker.db").string()}};
  Floors sf, pf;
  Syncs s, p;
  if (o.sqlite) {
    std::printf("SQLite: floors, full syncs, no-change ...\n");
    std::fflush(stdout);
    sf = SqliteFloors(work, records);
    AddLink(work, sqlite_env, "");
    s.full = Sync(sqlite_env, o.page, "full sync (worker)");
    CheckTotals(s.full, records, "full sync (worker)");
    const Env inproc_env = {{"SENDSYNC_DB", "sqlite:" + (work / "inproc.db").string()}};
    AddLink(work, inproc_env, "");
    s.inproc = Sync(inproc_env, o.page, "full sync (in-process)", true);
    CheckTotals(s.inproc, records, "full sync (in-process)");
    s.again = Sync(sqlite_env, o.page, "no-change re-sync");
  }
  // PostgreSQL: a fresh database for the floors and one for the syncs, next to pg_url's.
  Env pg_env;
  if (o.pg) {
    std::printf("PostgreSQL: floors, full sync, no-change ...\n");
    std::fflush(stdout);
    const std::string base = o.pg_url.substr(0, o.pg_url.rfind('/') + 1);
    const std::string tag = std::to_string(::getpid());
    for (const std::string& db : {"bench_schema_" + tag, "bench_sync_" + tag})
      CheckPsql(
          Run({"psql", "-q", "-v", "ON_ERROR_STOP=1", o.pg_url, "-c", "CREATE DATABASE " + db},
              none),
          "psql CREATE DATABASE (is --pg-url right?)");
    pf = PgFloors(work, base, "bench_schema_" + tag, records);
    pg_env = {{"SENDSYNC_DB", base + "bench_sync_" + tag}};
    AddLink(work, pg_env, " (PostgreSQL)");
    p.full = Sync(pg_env, o.page, "full sync (PostgreSQL)");
    CheckTotals(p.full, records, "full sync (PostgreSQL)");
    if (o.sqlite) CheckSame(p.full, s.full, "full sync");
    p.again = Sync(pg_env, o.page, "no-change re-sync (PostgreSQL)");
    if (o.sqlite) CheckSame(p.again, s.again, "no-change re-sync");
  }
  Measure change = Run({BENCH_GEN, "--out", data, "--pupils", std::to_string(o.pupils), "--schools",
                        std::to_string(o.schools), "--change-percent", "1"},
                       none);
  Check(change, "the change generator");
  const long changed = CountLines(data) - records;
  if (o.sqlite) s.one = Sync(sqlite_env, o.page, "1% change re-sync");
  if (o.pg) {
    p.one = Sync(pg_env, o.page, "1% change re-sync (PostgreSQL)");
    if (o.sqlite) CheckSame(p.one, s.one, "1% change re-sync");
  }
  PrintResults(o, records, changed, sf, s, pf, p);
  return 0;
}

#ifdef BENCH_PG_SERVER
// --store postgresql|both without --pg-url: a PostgreSQL server of the bench's own (tests/common's
// PgServer: initdb and pg_ctl in a temporary folder, 127.0.0.1, a free port, its socket in that
// folder, PostgreSQL's default durability), stopped and removed when the bench ends, whether or not
// a step failed. With SENDSYNC_SKIP_POSTGRES=1 (as for the tests) it skips: exit 77.
int WithOwnServer(SyncBenchOptions o) {
  if (sendsync::testing_support::PostgresSkipped()) {
    std::fprintf(stderr, "sendsync-bench-sync: SENDSYNC_SKIP_POSTGRES=1: skipped\n");
    return 77;
  }
  // Static, so that std::exit (how a failed step ends the bench) stops it too.
  static sendsync::testing_support::PgServer server;
  std::printf("starting PostgreSQL ...\n");
  std::fflush(stdout);
  std::string error;
  if (!server.Start(/*durable=*/true, &error)) {
    std::fprintf(stderr, "sendsync-bench-sync: cannot start PostgreSQL: %s\n", error.c_str());
    return 1;
  }
  // Ctrl-C then stops only the step running (Run puts SIGINT back in its child), which fails the
  // bench, which stops the server, instead of leaving the server behind.
  std::signal(SIGINT, SIG_IGN);
  o.pg_url = server.Url("postgres");
  const int rc = SyncBench(o);
  server.Stop();
  return rc;
}
#else
int WithOwnServer(const SyncBenchOptions&) {
  std::fprintf(stderr,
               "sendsync-bench-sync: starting a PostgreSQL server needs tests/common's PgServer, "
               "built with the tests (SENDSYNC_TESTS=ON); or give --pg-url\n");
  return 2;
}
#endif

}  // namespace

#ifdef SIM_MIS_API
// --adapter mis-api: the dataset served by the MIS API simulator with a set latency per request,
// read with requests_in_flight 1 and N. The target (issue 19): wall time <= 1.2 x (requests x
// latency) / requests in flight.

// The generator's pupils and SEN records as the simulator's school (school_data.h's load form).
void WriteMisSchool(const fs::path& jsonl, const fs::path& out) {
  using nlohmann::json;
  std::map<std::string, json> sen;  // pupil id -> sen record
  std::ifstream sj(jsonl / "sen.jsonl");
  for (std::string line; std::getline(sj, line);) {
    json r = json::parse(line);
    const std::string pupil = r.at("pupil").at("id").get<std::string>();
    sen.emplace(pupil, std::move(r));
  }
  std::ofstream o(out);
  o << R"({"school": {"id": "SCH-BENCH", "name": "Bench Academy", "urn": "100000",)"
    << R"( "la_code": "820", "establishment_number": "1234"}, "students": [)" << '\n';
  std::ifstream pj(jsonl / "pupil.jsonl");
  bool first = true;
  for (std::string line; std::getline(pj, line);) {
    json p = json::parse(line);
    const std::string id = p.at("id").get<std::string>();
    json st = {{"code", "N"}}, needs = json::array();
    if (auto it = sen.find(id); it != sen.end()) {
      st = {{"code", it->second["provision"]}, {"start_date", it->second["provision_start"]}};
      needs = it->second.value("needs", json::array());
    }
    json student = {{"id", id},
                    {"upn", p["upn"]},
                    {"legal_surname", p["legal_surname"]},
                    {"legal_forename", p["legal_forename"]},
                    {"date_of_birth", p["dob"]},
                    {"gender", p["sex"]},
                    {"year_group", p["nc_year"]},
                    {"updated_at", "2025-01-10T09:00:00.000Z"},
                    {"sen_status", st},
                    {"sen_needs", needs}};
    o << (first ? "" : ",\n") << student.dump();
    first = false;
  }
  o << "\n]}\n";
}

// The simulator as a child process until destroyed; its port from --port-file.
class MisSim {
 public:
  MisSim(const fs::path& school, const fs::path& dir, int latency_ms) {
    const fs::path port_file = dir / "sim.port";
    fs::remove(port_file);
    const std::string faults = "{\"latency_ms\": " + std::to_string(latency_ms) + "}";
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* f = std::fopen((dir / "sim.log").c_str(), "w");
      if (f) ::dup2(fileno(f), 2);
      ::execl(SIM_MIS_API, SIM_MIS_API, "--token", kToken, "--data", school.c_str(), "--port-file",
              port_file.c_str(), "--faults", faults.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 6000 && port_ == 0; ++i) {  // loading 300,000 students takes a while
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::ifstream in(port_file);
      in >> port_;
    }
    if (port_ == 0) {
      std::fprintf(stderr, "the MIS API simulator did not start (see %s)\n",
                   (dir / "sim.log").c_str());
      std::exit(1);
    }
  }
  ~MisSim() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  MisSim(const MisSim&) = delete;
  MisSim& operator=(const MisSim&) = delete;
  int port() const { return port_; }
  // Requests the API has answered so far (GET /_sim/stats), control requests excluded.
  long Requests() const {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
    Poco::Net::HTTPRequest rq(Poco::Net::HTTPRequest::HTTP_GET, "/_sim/stats");
    session.sendRequest(rq);
    Poco::Net::HTTPResponse rs;
    std::istream& body = session.receiveResponse(rs);
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    return j.is_object() ? j.value("requests", 0L) : -1;
  }
  static constexpr char kToken[] = "bench-mis-token";

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

int MisApiBench(const std::vector<long>& sizes, const fs::path& work, long page, int latency_ms,
                int per_page, int in_flight) {
  struct Row {
    long pupils, records, requests;
    int in_flight;
    Measure m;
  };
  std::vector<Row> rows;
  const std::map<std::string, std::string> none;
  for (long pupils : sizes) {
    const fs::path dir = work / ("mis-api-" + std::to_string(pupils));
    fs::remove_all(dir);
    const fs::path data = dir / "data";
    std::printf("generating %ld pupils ...\n", pupils);
    std::fflush(stdout);
    Check(Run({BENCH_GEN, "--files", data.string(), "--pupils", std::to_string(pupils)}, none),
          "the generator");
    WriteMisSchool(data / "jsonl", dir / "school.json");
    for (int n : {1, in_flight}) {
      MisSim sim(dir / "school.json", dir, latency_ms);
      const std::string config = "{\"base_url\": \"http://127.0.0.1:" + std::to_string(sim.port()) +
                                 "/v1.0\", \"school_id\": \"SCH-BENCH\", \"token\": "
                                 "\"env:BENCH_MIS_TOKEN\", \"per_page\": " +
                                 std::to_string(per_page) +
                                 ", \"requests_in_flight\": " + std::to_string(n) +
                                 ", \"timeout_seconds\": 600}";
      std::printf(
          "syncing %ld pupils (pupil and sen) through mis-api, %d request(s) in flight, "
          "%d ms a request ...\n",
          pupils, n, latency_ms);
      std::fflush(stdout);
      const long before = sim.Requests();
      Measure m = SyncThrough(dir / ("link-" + std::to_string(n)), "mis-api", config, page,
                              {{"BENCH_MIS_TOKEN", MisSim::kToken}});
      const long requests = sim.Requests() - before;
      std::printf("  %s; %ld requests\n", Totals(m.output).c_str(), requests);
      rows.push_back({pupils, 2 * pupils, requests, n, m});
    }
  }
  std::printf("\n| %8s | %9s | %8s | %8s | %8s | %12s | %6s | %7s | %9s |\n", "pupils", "in flight",
              "requests", "wall s", "s/1k rec", "ideal s", "ratio", "RSS MB", "worker MB");
  for (const Row& r : rows) {
    // Ideal: every request's latency, spread over the requests in flight; the target is 1.2x it.
    const double ideal = r.requests * latency_ms / 1000.0 / r.in_flight;
    std::printf("| %8ld | %9d | %8ld | %8.2f | %8.3f | %12.2f | %5.2fx | %7ld | %9ld |\n", r.pupils,
                r.in_flight, r.requests, r.m.seconds, r.m.seconds * 1000.0 / r.records, ideal,
                r.m.seconds / ideal, r.m.max_rss_kb / 1024, r.m.worker_rss_kb / 1024);
  }
  std::printf(
      "records: a pupil and a sen record per student (the API returns a SEN status for "
      "every student)\n"
      "target: wall <= 1.2x ideal, ideal = requests x %d ms / requests in flight\n",
      latency_ms);
  return 0;
}
#endif

int main(int argc, char** argv) {
  long pupils = 300000, schools = 400, page = 2000;
  fs::path work = fs::current_path() / "bench-out";
  std::string adapter;
  std::string pg_url;  // postgresql://user@host:port/db: databases are made next to db
  std::string store;   // sqlite, postgresql or both; default sqlite, or both with --pg-url
  std::vector<long> sizes = {20000, 300000};
  int latency_ms = 250, per_page = 100, in_flight = 4;  // --adapter mis-api
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() { return i + 1 < argc ? argv[++i] : (std::exit(2), argv[0]); };
    if (!std::strcmp(argv[i], "--pupils"))
      pupils = std::atol(next());
    else if (!std::strcmp(argv[i], "--schools"))
      schools = std::atol(next());
    else if (!std::strcmp(argv[i], "--work"))
      work = next();
    else if (!std::strcmp(argv[i], "--page-size"))
      page = std::atol(next());
    else if (!std::strcmp(argv[i], "--pg-url"))
      pg_url = next();
    else if (!std::strcmp(argv[i], "--store"))
      store = next();
    else if (!std::strcmp(argv[i], "--adapter"))
      adapter = next();
    else if (!std::strcmp(argv[i], "--latency-ms"))
      latency_ms = std::atoi(next());
    else if (!std::strcmp(argv[i], "--per-page"))
      per_page = std::atoi(next());
    else if (!std::strcmp(argv[i], "--in-flight"))
      in_flight = std::atoi(next());
    else if (!std::strcmp(argv[i], "--sizes")) {
      sizes.clear();
      std::string list = next();
      for (size_t from = 0; from <= list.size();) {
        size_t comma = list.find(',', from);
        if (comma == std::string::npos) comma = list.size();
        long n = std::atol(list.substr(from, comma - from).c_str());
        if (n > 0) sizes.push_back(n);
        from = comma + 1;
      }
    } else {
      std::fprintf(
          stderr,
          "usage: sendsync-bench-sync [--pupils N] [--schools N] [--work DIR] [--page-size N]"
          " [--store sqlite|postgresql|both] [--pg-url postgresql://user@host:port/db]\n"
          "       sendsync-bench-sync --adapter ctf|csv|jsonl-folder [--sizes N,N,...] [--work DIR]"
          " [--page-size N]\n"
          "       sendsync-bench-sync --adapter mis-api [--sizes N,N,...] [--latency-ms 250]"
          " [--per-page 100] [--in-flight 4] [--work DIR]\n");
      return 2;
    }
  }
  if (!adapter.empty()) {
    if (adapter != "ctf" && adapter != "csv" && adapter != "jsonl-folder" && adapter != "mis-api") {
      std::fprintf(stderr, "sendsync-bench-sync: --adapter is ctf, csv, jsonl-folder or mis-api\n");
      return 2;
    }
    if (sizes.empty()) {
      std::fprintf(stderr, "sendsync-bench-sync: --sizes needs at least one number of pupils\n");
      return 2;
    }
    fs::create_directories(work);
    if (adapter == "mis-api") {
#ifdef SIM_MIS_API
      if (latency_ms < 0 || per_page < 1 || per_page > 1000 || in_flight < 1 || in_flight > 16) {
        std::fprintf(stderr,
                     "sendsync-bench-sync: --latency-ms >= 0, --per-page 1-1000, "
                     "--in-flight 1-16\n");
        return 2;
      }
      return MisApiBench(sizes, work, page, latency_ms, per_page, in_flight);
#else
      std::fprintf(stderr,
                   "sendsync-bench-sync: --adapter mis-api needs the simulator, which is "
                   "built with the tests (SENDSYNC_TESTS=ON)\n");
      return 2;
#endif
    }
    return AdapterBench(adapter, sizes, work, page);
  }
  if (store.empty()) store = pg_url.empty() ? "sqlite" : "both";
  if (store != "sqlite" && store != "postgresql" && store != "both") {
    std::fprintf(stderr, "sendsync-bench-sync: --store is sqlite, postgresql or both\n");
    return 2;
  }
  if (store == "sqlite" && !pg_url.empty()) {
    std::fprintf(stderr, "sendsync-bench-sync: --pg-url needs --store postgresql or both\n");
    return 2;
  }
  if (pupils < 1 || schools < 1 || page < 1) {
    std::fprintf(stderr, "sendsync-bench-sync: --pupils, --schools and --page-size are >= 1\n");
    return 2;
  }
  SyncBenchOptions o;
  o.pupils = pupils;
  o.schools = schools;
  o.page = page;
  o.work = work;
  o.sqlite = store != "postgresql";
  o.pg = store != "sqlite";
  o.pg_url = pg_url;
  if (o.pg && o.pg_url.empty()) return WithOwnServer(o);
  return SyncBench(o);
}
