// The store suite, run against SQLite and against a real PostgreSQL server.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <thread>

#include "core/audit/audit.h"
#include "core/store/store.h"
#include "pg_server.h"

using namespace sendsync;
using namespace sendsync::store;
using nlohmann::json;

namespace {

class StoreTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres" && testing_support::PostgresSkipped())
      GTEST_SKIP() << "SENDSYNC_SKIP_POSTGRES=1";
    url_ = GetParam() == "sqlite" ? testing_support::FreshSqliteUrl()
                                  : testing_support::FreshPostgresUrl();
    ASSERT_FALSE(url_.empty()) << "could not start a test database for " << GetParam();
    auto s = Store::Open(url_, OpenMode::kCreate);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    auto c = store_->Connect();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
  }
  void TearDown() override {
    conn_.reset();
    store_.reset();
  }

  RecordRow Pupil(int64_t id, const std::string& upn, const std::string& former = "") {
    RecordRow r;
    r.id = id;
    r.kind = "pupil";
    r.upn = upn;
    r.former_upn = former;
    r.dob = "2014-03-02";
    r.school_urn = "100000";
    r.body = json{{"upn", upn}, {"legal_surname", "S"}}.dump();
    r.hash = audit::Sha256Hex(r.body);
    r.created_at = r.updated_at = NowMs();
    return r;
  }

  int64_t MakeLink(const std::string& name) {
    Link l;
    l.name = name;
    l.school_urn = "100000";
    l.adapter_id = "jsonl-folder";
    l.config = {{"folder", "/x"}};
    l.settings = json::object();
    l.schedule = "manual";
    auto id = CreateLink(*conn_, l);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  std::string url_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Conn> conn_;
};

TEST_P(StoreTest, FreshStoreIsMigratedAndReopeningAppliesNothing) {
  EXPECT_EQ(store_->schema_version(), LatestSchemaVersion());
  EXPECT_EQ(store_->migrations_applied(), LatestSchemaVersion());
  auto again = Store::Open(url_, OpenMode::kMustExist);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->migrations_applied(), 0);
  EXPECT_EQ((*again)->schema_version(), LatestSchemaVersion());
}

// A database without sendsync's schema (an empty PostgreSQL database, an empty SQLite file) is not
// a store: only `sendsync init` (kCreate) makes one, and opening it otherwise changes nothing.
TEST_P(StoreTest, OpeningADatabaseWithoutTheSchemaIsRefusedAndCreatesNothing) {
  const std::string url = GetParam() == "sqlite" ? testing_support::FreshSqliteUrl()
                                                 : testing_support::FreshPostgresUrl();
  ASSERT_FALSE(url.empty());
  if (GetParam() == "sqlite") {
    auto parsed = ParseStoreUrl(url);
    ASSERT_TRUE(parsed.ok());
    std::filesystem::create_directories(std::filesystem::path(parsed->connection).parent_path());
    { std::ofstream touch(parsed->connection); }  // an empty file: a database with no tables
  }
  auto s = Store::Open(url, OpenMode::kMustExist);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kNotFound);
  EXPECT_NE(s.status().message().find("no store at "), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("run sendsync init"), std::string::npos);
  // Nothing was created: the database still has no tables, so kMustExist still refuses it.
  auto db = Db::Open(url, OpenMode::kMustExist);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok());
  auto tables = (*conn)->Query(GetParam() == "sqlite"
                                   ? "SELECT name FROM sqlite_master"
                                   : "SELECT table_name FROM information_schema.tables WHERE "
                                     "table_schema = current_schema()");
  ASSERT_TRUE(tables.ok());
  EXPECT_TRUE(tables->empty());
  // init creates it; then it opens.
  ASSERT_TRUE(Store::Open(url, OpenMode::kCreate).ok());
  EXPECT_TRUE(Store::Open(url, OpenMode::kMustExist).ok());
}

// PostgreSQL unreachable, at start or when its connection drops mid-run: the error names the server
// (host and port) and never the password in the URL.
TEST(StorePostgres, UnreachableServerIsNamedWithoutThePassword) {
  if (sendsync::testing_support::PostgresSkipped()) GTEST_SKIP() << "SENDSYNC_SKIP_POSTGRES=1";
  const std::string url = sendsync::testing_support::FreshPostgresUrl();
  ASSERT_FALSE(url.empty());
  // The test server trusts every local connection, so a password in the URL is accepted unused.
  std::string with_password = url;
  with_password.insert(std::string("postgresql://sendsync").size(), ":hunter2");
  auto s = Store::Open(with_password, OpenMode::kCreate);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const std::string host = with_password.substr(
      with_password.find('@') + 1, with_password.rfind('/') - with_password.find('@') - 1);

  // Mid-run: the server ends this connection (as a restart or a network cut would).
  auto victim = (*s)->Connect();
  ASSERT_TRUE(victim.ok());
  auto pid = (*victim)->Query("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok() && !pid->empty());
  auto killer = (*s)->Connect();
  ASSERT_TRUE(killer.ok());
  ASSERT_TRUE((*killer)->Query("SELECT pg_terminate_backend(?)", {AsInt((*pid)[0][0])}).ok());
  Status lost = (*victim)->Exec("SELECT 1");
  ASSERT_FALSE(lost.ok());
  EXPECT_NE(lost.message().find(host), std::string::npos) << lost.message();
  EXPECT_EQ(lost.message().find("hunter2"), std::string::npos) << lost.message();
  // The dead connection is not pooled for the next caller (the next tick would fail again).
  victim->reset();
  killer->reset();
  for (int i = 0; i < 3; ++i) {
    auto again = (*s)->Connect();
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE((*again)->Query("SELECT 1").ok()) << "connection " << i << " from the pool";
  }

  // At start: nothing listens on the port any more.
  std::string gone = with_password;
  const size_t colon = gone.rfind(':'), slash = gone.rfind('/');
  gone.replace(colon + 1, slash - colon - 1, "1");
  auto refused = Store::Open(gone, OpenMode::kMustExist);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("127.0.0.1:1/"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(refused.status().message().find("hunter2"), std::string::npos)
      << refused.status().message();
}

TEST(StoreOpen, AMissingSqliteFileIsRefusedWithoutCreatingTheFileOrItsFolder) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("sendsync-nostore-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const fs::path file = dir / "mistyped" / "sendsync.db";
  for (const std::string& url : {"sqlite:" + file.string(), file.string()}) {
    auto s = Store::Open(url, OpenMode::kMustExist);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), Status::Code::kNotFound);
    EXPECT_EQ(s.status().message(), "no store at sqlite:" + file.string() + "; run sendsync init");
    auto db = Db::Open(url, OpenMode::kMustExist);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.status().code(), Status::Code::kNotFound);
  }
  EXPECT_FALSE(fs::exists(dir)) << "opening created " << dir;
  auto created = Store::Open("sqlite:" + file.string(), OpenMode::kCreate);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  created->reset();
  EXPECT_TRUE(fs::is_regular_file(file));
  EXPECT_TRUE(Store::Open("sqlite:" + file.string(), OpenMode::kMustExist).ok());
  fs::remove_all(dir);
}

TEST_P(StoreTest, NewerDatabaseIsRefusedClearly) {
  ASSERT_TRUE(conn_->Exec("UPDATE schema_info SET value = '99' WHERE key = 'version'").ok());
  auto s = Store::Open(url_, OpenMode::kCreate);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("schema version 99, newer than this sendsync"),
            std::string::npos)
      << s.status().message();
}

TEST_P(StoreTest, AStoreAtVersionTwoGetsPartialRecordIndexesAndKeepsItsRecords) {
  // Put the store back to version 2: full indexes, records in them, an audit entry.
  ASSERT_TRUE(InsertRecords(*conn_, {Pupil(1, "A123456789012"), Pupil(2, "B123456789012")}).ok());
  {
    Tx tx(*conn_);
    std::vector<audit::Entry> entries(1);
    entries[0].actor = "test";
    entries[0].action = "record.create";
    entries[0].record_id = entries[0].pupil_id = 2;
    entries[0].detail = {{"version", 1}};
    ASSERT_TRUE(audit::Append(*conn_, entries).ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  for (const char* sql :
       {"DROP INDEX records_upn", "CREATE INDEX records_upn ON records (upn)",
        "DROP INDEX records_former_upn", "CREATE INDEX records_former_upn ON records (former_upn)",
        "DROP INDEX records_pupil", "CREATE INDEX records_pupil ON records (pupil_id, kind)",
        "DROP INDEX records_school", "CREATE INDEX records_school ON records (school_urn, kind)",
        // and without migration 5's quarantine columns
        "DROP INDEX quarantine_payload", "ALTER TABLE quarantine DROP COLUMN times_seen",
        "ALTER TABLE quarantine DROP COLUMN last_seen_at",
        "ALTER TABLE quarantine DROP COLUMN payload_hash",
        // and without migration 6's adapter version columns, migration 7's hosts table,
        // migration 8's schools table and migration 9's run progress column
        "ALTER TABLE links DROP COLUMN adapter_version",
        "ALTER TABLE links DROP COLUMN adapter_previous_version", "DROP TABLE hosts",
        "DROP TABLE schools", "ALTER TABLE runs DROP COLUMN progress",
        "UPDATE schema_info SET value = '2' WHERE key = 'version'"})
    ASSERT_TRUE(conn_->Exec(sql).ok()) << sql;
  auto again = Store::Open(url_, OpenMode::kCreate);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->migrations_applied(), LatestSchemaVersion() - 2);
  const std::string kNames =
      "('records_upn', 'records_former_upn', 'records_pupil', 'records_school')";
  auto defs = conn_->Query(conn_->dialect() == Dialect::kSqlite
                               ? "SELECT sql FROM sqlite_master WHERE name IN " + kNames
                               : "SELECT indexdef FROM pg_indexes WHERE indexname IN " + kNames);
  ASSERT_TRUE(defs.ok());
  ASSERT_EQ(defs->size(), 4u);
  for (const Row& d : *defs)
    EXPECT_NE(AsText(d[0]).find("IS NOT NULL"), std::string::npos) << AsText(d[0]);
  auto found = PupilsByUpn(*conn_, {"B123456789012"});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, 2);
  auto verified = audit::Verify(*conn_);
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problem;
  EXPECT_EQ(verified->checked, 1);
}

// The partial indexes serve the queries that match pupils and list a school's records (SQLite's
// planner, on the same WHERE forms records_store.cpp uses).
TEST(StorePlans, MatchingAndListingUseThePartialIndexes) {
  auto s = Store::Open(testing_support::FreshSqliteUrl(), OpenMode::kCreate);
  ASSERT_TRUE(s.ok());
  auto c = (*s)->Connect();
  ASSERT_TRUE(c.ok());
  auto plan = [&](const std::string& where) {
    auto rows = (*c)->Query("EXPLAIN QUERY PLAN SELECT id FROM records " + where);
    if (!rows.ok()) return rows.status().ToString();
    std::string out;
    for (const Row& r : *rows) out += AsText(r.back()) + "\n";
    return out;
  };
  std::string p = plan(
      "WHERE kind = 'pupil' AND deleted = 0 AND (upn IN ('A', 'B') OR former_upn IN ('A', 'B')) "
      "ORDER BY id");
  EXPECT_NE(p.find("records_upn"), std::string::npos) << p;
  EXPECT_NE(p.find("records_former_upn"), std::string::npos) << p;
  p = plan("WHERE kind = 'sen' AND deleted = 0 AND pupil_id IN (1, 2) ORDER BY id");
  EXPECT_NE(p.find("records_pupil"), std::string::npos) << p;
  p = plan("WHERE kind = 'pupil' AND deleted = 0 AND school_urn = '100000' ORDER BY id");
  EXPECT_NE(p.find("records_school"), std::string::npos) << p;
  p = plan("WHERE deleted = 0 AND (id = 1 OR pupil_id = 1) ORDER BY kind, id");
  EXPECT_NE(p.find("records_pupil"), std::string::npos) << p;
  // Records and audit entries are found by the row id itself, not through a second index.
  p = plan("WHERE id IN (1, 2)");
  EXPECT_NE(p.find("INTEGER PRIMARY KEY"), std::string::npos) << p;
  auto audit = (*c)->Query("EXPLAIN QUERY PLAN SELECT seq FROM audit WHERE seq >= 5 ORDER BY seq");
  ASSERT_TRUE(audit.ok());
  EXPECT_NE(AsText(audit->front().back()).find("INTEGER PRIMARY KEY"), std::string::npos)
      << AsText(audit->front().back());
}

// SQLite's write-ahead log is copied into the database file by a thread of the store's own rather
// than by the writer after every thousand pages, and it stays bounded when the writer outruns that
// thread; nothing written is lost on the way.
TEST(StoreCheckpoints, TheLogIsCopiedInTheBackgroundAndStaysBounded) {
  const std::string url = testing_support::FreshSqliteUrl();
  const std::string path = url.substr(url.find(':') + 1);
  auto size = [](const std::string& p) {
    std::error_code ec;
    auto n = std::filesystem::file_size(p, ec);
    return ec ? uintmax_t{0} : n;
  };
  const std::string body(4000, 'x');  // about a page a row
  auto write = [&](Conn& c, int first, int rows) {
    std::vector<Row> values;
    for (int i = 0; i < rows; ++i) values.push_back({int64_t{first + i}, body});
    Tx tx(c);
    EXPECT_TRUE(c.ExecEach("INSERT INTO blobs (id, body) VALUES (?, ?)", values).ok());
    EXPECT_TRUE(tx.Commit().ok());
  };
  {
    auto db = Db::Open(url, OpenMode::kCreate);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto conn = (*db)->Connect();
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT)").ok());
    const uintmax_t before = size(path);
    write(**conn, 0, 2000);  // about 2,000 pages: past the 1,000 that start a checkpoint
    // The pages reach the database file while the store is open and idle.
    for (int i = 0; i < 500 && size(path) < before + 7'000'000; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_GE(size(path), before + 7'000'000) << "the log was not copied into the database";
    // A writer that never pauses: the log never grows much past the writer's own bound (64 MB).
    uintmax_t largest = 0;
    for (int t = 0; t < 90; ++t) {
      write(**conn, 2000 + t * 250, 250);
      largest = std::max(largest, size(path + "-wal"));
    }
    EXPECT_LT(largest, uintmax_t{72'000'000});
  }
  auto db = Db::Open(url, OpenMode::kCreate);
  ASSERT_TRUE(db.ok());
  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok());
  auto n = (*conn)->Query("SELECT count(*), sum(length(body)) FROM blobs");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(AsInt((*n)[0][0]), 2000 + 90 * 250);
  EXPECT_EQ(AsInt((*n)[0][1]), int64_t{2000 + 90 * 250} * 4000);
}

TEST_P(StoreTest, IdBlocksNeverOverlap) {
  auto a = AllocateIds(*conn_, "records", 1000);
  auto b = AllocateIds(*conn_, "records", 5);
  auto c = AllocateIds(*conn_, "other", 3);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, 1);
  EXPECT_EQ(*b, 1001);
  EXPECT_EQ(*c, 1);
}

TEST_P(StoreTest, RecordsRoundTripInBulkAndUpdatesKeepHistory) {
  std::vector<RecordRow> rows;
  for (int i = 1; i <= 1200; ++i) rows.push_back(Pupil(i, "UPN" + std::to_string(i)));
  {
    Tx tx(*conn_);
    ASSERT_TRUE(InsertRecords(*conn_, rows).ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  std::vector<int64_t> ids;
  for (int i = 1; i <= 1200; ++i) ids.push_back(i);
  auto loaded = LoadRecords(*conn_, ids);
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 1200u);

  RecordRow next = rows[41];
  next.version = 2;
  next.body = json{{"upn", next.upn}, {"legal_surname", "Changed"}}.dump();
  next.hash = audit::Sha256Hex(next.body);
  ASSERT_TRUE(UpdateRecords(*conn_, {next}, "link:mis").ok());
  auto history = RecordHistory(*conn_, next.id);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].version, 1);
  EXPECT_EQ((*history)[0].body, rows[41].body);
  EXPECT_EQ((*history)[0].changed_by, "link:mis");
  auto now = LoadRecords(*conn_, {next.id});
  EXPECT_EQ((*now)[0].body, next.body);

  // A stale writer (expecting version 1 again) is refused, not allowed to overwrite, and leaves
  // no history behind.
  ASSERT_FALSE(UpdateRecords(*conn_, {next}, "link:other").ok());
  EXPECT_EQ(RecordHistory(*conn_, next.id)->size(), 1u);

  // One batch with a record whose UPN and school change (every column rewritten) and one whose
  // fields alone change (the indexed columns left as they are): both land, both are found by
  // what they now are.
  RecordRow moved = rows[10], edited = rows[11];
  moved.version = edited.version = 2;
  moved.upn = "MOVED11";
  moved.school_urn = "200000";
  moved.body = json{{"upn", moved.upn}, {"legal_surname", "S"}}.dump();
  edited.body = json{{"upn", edited.upn}, {"legal_surname", "Edited"}}.dump();
  ASSERT_TRUE(UpdateRecords(*conn_, {moved, edited}, "link:mis").ok());
  auto found = PupilsByUpn(*conn_, {"MOVED11", "UPN11", edited.upn});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].id, moved.id);
  EXPECT_EQ((*found)[0].school_urn, "200000");
  EXPECT_EQ((*found)[1].id, edited.id);
  EXPECT_EQ((*found)[1].body, edited.body);
  EXPECT_EQ((*found)[1].version, 2);
  EXPECT_EQ(ListPupils(*conn_, "200000")->size(), 1u);
}

TEST_P(StoreTest, PupilsAreFoundByUpnOrFormerUpnButNotWhenDeleted) {
  RecordRow gone = Pupil(3, "C3");
  gone.deleted = true;
  ASSERT_TRUE(InsertRecords(*conn_, {Pupil(1, "A1"), Pupil(2, "B2", "TEMP2"), gone}).ok());
  auto found = PupilsByUpn(*conn_, {"A1", "TEMP2", "C3", "nobody"});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].id, 1);
  EXPECT_EQ((*found)[1].id, 2);
}

TEST_P(StoreTest, RecordsOfAPupilIncludeItsOtherKinds) {
  RecordRow sen;
  sen.id = 10;
  sen.kind = "sen";
  sen.pupil_id = 1;
  sen.body = "{}";
  sen.hash = audit::Sha256Hex(sen.body);
  ASSERT_TRUE(InsertRecords(*conn_, {Pupil(1, "A1"), Pupil(2, "B2"), sen}).ok());
  auto recs = RecordsOfPupil(*conn_, 1);
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ((*recs)[0].kind, "pupil");
  EXPECT_EQ((*recs)[1].kind, "sen");
}

TEST_P(StoreTest, RolledBackTransactionLeavesNothing) {
  {
    Tx tx(*conn_);
    ASSERT_TRUE(InsertRecords(*conn_, {Pupil(1, "A1")}).ok());
  }  // no commit
  auto recs = LoadRecords(*conn_, {1});
  ASSERT_TRUE(recs.ok());
  EXPECT_TRUE(recs->empty());
}

TEST_P(StoreTest, LinksAreCreatedListedDisabledAndRemovedKeepingHistory) {
  int64_t id = MakeLink("mis");
  Link dup;
  dup.name = "mis";
  dup.config = dup.settings = json::object();
  auto again = CreateLink(*conn_, dup);
  EXPECT_EQ(again.status().code(), Status::Code::kAlreadyExists);
  ASSERT_TRUE(SetLinkEnabled(*conn_, id, false).ok());
  EXPECT_FALSE(GetLink(*conn_, "mis")->enabled);
  ASSERT_TRUE(RemoveLink(*conn_, id).ok());
  EXPECT_EQ(GetLink(*conn_, "mis").status().code(), Status::Code::kNotFound);
  auto removed = GetLink(*conn_, "mis", /*include_removed=*/true);
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->removed_at.has_value());
  EXPECT_EQ(removed->id, id);
  int64_t id2 = MakeLink("mis");  // the name is free again
  EXPECT_NE(id2, id);
  EXPECT_EQ(ListLinks(*conn_)->size(), 1u);
  EXPECT_EQ(ListLinks(*conn_, true)->size(), 2u);
}

TEST_P(StoreTest, CursorsAreKeptPerLinkAndKind) {
  int64_t id = MakeLink("mis");
  EXPECT_EQ(*GetCursor(*conn_, id, "pupil"), "");
  ASSERT_TRUE(SetCursor(*conn_, id, "pupil", "c1").ok());
  ASSERT_TRUE(SetCursor(*conn_, id, "pupil", "c2").ok());
  ASSERT_TRUE(SetCursor(*conn_, id, "sen", "s1").ok());
  EXPECT_EQ(*GetCursor(*conn_, id, "pupil"), "c2");
  EXPECT_EQ(*GetCursor(*conn_, id, "sen"), "s1");
}

TEST_P(StoreTest, LinkRecordsUpsertKeepsTheLastRowForAKey) {
  int64_t link = MakeLink("mis");
  ASSERT_TRUE(UpsertLinkRecords(*conn_, {{link, "pupil", "S1", 1, "{\"a\":1}", "h1"},
                                         {link, "pupil", "S2", 2, std::nullopt, ""},
                                         {link, "pupil", "S1", 1, "{\"a\":2}", "h2"}})
                  .ok());
  auto rows = LinkRecordsByExternal(*conn_, link, "pupil", {"S1", "S2", "S3"});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  for (const auto& r : *rows) {
    if (r.external_id == "S1") {
      EXPECT_EQ(*r.base, "{\"a\":2}");
    } else {
      EXPECT_FALSE(r.base.has_value());
    }
  }
  EXPECT_EQ(LinkRecordsByRecord(*conn_, link, {2})->size(), 1u);
  EXPECT_EQ(LinkRecordsOf(*conn_, 1)->size(), 1u);
}

TEST_P(StoreTest, RecordIdsByExternalNamesEachKnownIdOnceForTheLinkAndKind) {
  int64_t link = MakeLink("mis");
  int64_t other = MakeLink("la");
  std::vector<LinkRecord> rows;
  for (int i = 0; i < 700; ++i)  // more than one chunk of ids
    rows.push_back({link, "pupil", "P" + std::to_string(i), 1000 + i, "{}", "h"});
  rows.push_back({link, "sen", "P1", 5, "{}", "h"});     // another kind, same id
  rows.push_back({other, "pupil", "P2", 6, "{}", "h"});  // another link, same id
  ASSERT_TRUE(UpsertLinkRecords(*conn_, rows).ok());
  std::vector<std::string> asked;
  for (int i = 0; i < 700; i += 2) asked.push_back("P" + std::to_string(i));
  for (int i = 0; i < 700; i += 7) asked.push_back("P" + std::to_string(i));  // repeats
  asked.push_back("unknown");
  auto ids = RecordIdsByExternal(*conn_, link, "pupil", asked);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  std::set<std::string> expected;
  for (const std::string& a : asked)
    if (a != "unknown") expected.insert(a);
  ASSERT_EQ(ids->size(), expected.size());
  for (const auto& [ext, record_id] : *ids)
    EXPECT_EQ(record_id, 1000 + std::stoi(ext.substr(1))) << ext;
  EXPECT_EQ(ids->count("P1"), 0u);  // odd, not asked (only its sen record has id 5)
  EXPECT_EQ(RecordIdsByExternal(*conn_, link, "sen", {"P1", "P1"})->at("P1"), 5);
  EXPECT_EQ(RecordIdsByExternal(*conn_, other, "pupil", {"P2"})->at("P2"), 6);
  EXPECT_TRUE(RecordIdsByExternal(*conn_, link, "pupil", {})->empty());
}

TEST_P(StoreTest, LinkBasesAreReplacedOnlyWhereTheLinkRecordNamesThatRecord) {
  int64_t link = MakeLink("mis");
  ASSERT_TRUE(UpsertLinkRecords(*conn_, {{link, "pupil", "S1", 1, "{\"a\":1}", "h1"},
                                         {link, "pupil", "S2", 2, "{\"b\":1}", "g1"}})
                  .ok());
  ASSERT_TRUE(UpdateLinkBases(*conn_, {{link, "pupil", "S1", 1, "{\"a\":2}", "h2"}}).ok());
  auto rows = LinkRecordsByExternal(*conn_, link, "pupil", {"S1", "S2"});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  for (const auto& r : *rows) {
    EXPECT_EQ(*r.base, r.external_id == "S1" ? "{\"a\":2}" : "{\"b\":1}");
    EXPECT_EQ(r.base_hash, r.external_id == "S1" ? "h2" : "g1");
  }
  // A link record that is not there, or that names another hub record, is an error rather than
  // a base silently not kept.
  for (const LinkRecord& wrong : {LinkRecord{link, "pupil", "S3", 3, "{}", "x"},
                                  LinkRecord{link, "pupil", "S2", 9, "{}", "x"}}) {
    Status st = UpdateLinkBases(*conn_, {wrong});
    EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition) << wrong.external_id;
  }
  EXPECT_EQ(*LinkRecordsByExternal(*conn_, link, "pupil", {"S2"})->at(0).base, "{\"b\":1}");
}

TEST_P(StoreTest, QuarantineIsListedResolvedOnceAndFilteredBySchool) {
  int64_t link = MakeLink("csv");
  std::vector<QuarantineItem> items(2);
  items[0].link_id = items[1].link_id = link;
  items[0].kind = items[1].kind = "provision";
  items[0].raw = "row 1";
  items[1].raw = "row 2";
  items[0].reasons = json::array({{{"code", "X"}, {"path", "wave"}, {"message", "bad"}}});
  items[1].reasons = json::array();
  ASSERT_TRUE(InsertQuarantine(*conn_, items).ok());
  EXPECT_GT(items[1].id, items[0].id);
  QueueFilter f;
  f.school_urn = "100000";
  EXPECT_EQ(ListQuarantine(*conn_, f)->size(), 2u);
  f.school_urn = "999999";
  EXPECT_EQ(ListQuarantine(*conn_, f)->size(), 0u);
  ASSERT_TRUE(
      ResolveQuarantine(*conn_, items[0].id, ReviewStatus::kDiscarded, "cli:alice", "duplicate")
          .ok());
  EXPECT_FALSE(
      ResolveQuarantine(*conn_, items[0].id, ReviewStatus::kDiscarded, "cli:alice", "").ok());
  auto q = GetQuarantine(*conn_, items[0].id);
  EXPECT_EQ(q->status, sendsync::store::ReviewStatus::kDiscarded);
  EXPECT_EQ(q->note, "duplicate");
  EXPECT_EQ(q->reasons[0]["path"], "wave");
}

std::vector<QuarantineItem> BadWave(int64_t link, const std::string& raw) {
  std::vector<QuarantineItem> items(1);
  items[0].link_id = link;
  items[0].kind = "provision";
  items[0].external_id = "PR1";
  items[0].raw = raw;
  items[0].reasons = json::array({{{"code", "X"}, {"path", "wave"}, {"message", "bad"}}});
  return items;
}

TEST_P(StoreTest, SameRecordQuarantinedOnFourRunsIsOneOpenItem) {
  int64_t link = MakeLink("csv");
  std::vector<int64_t> ids;
  for (int run = 0; run < 4; ++run) {
    auto items = BadWave(link, "row 1");
    ASSERT_TRUE(InsertQuarantine(*conn_, items).ok());
    ids.push_back(items[0].id);
  }
  EXPECT_EQ(ids, std::vector<int64_t>(4, ids[0])) << "one item, not four";
  QueueFilter f;
  f.status = "open";
  EXPECT_EQ(ListQuarantine(*conn_, f)->size(), 1u);
}

TEST_P(StoreTest, RepeatedQuarantineCountsTimesSeenAndLastSeen) {
  int64_t link = MakeLink("csv");
  for (int run = 0; run < 4; ++run) {
    auto items = BadWave(link, "row 1");
    ASSERT_TRUE(InsertQuarantine(*conn_, items).ok());
    EXPECT_EQ(items[0].times_seen, run + 1);
  }
  QueueFilter f;
  f.status = "open";
  auto open = ListQuarantine(*conn_, f);
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].times_seen, 4);
  EXPECT_GE((*open)[0].last_seen_at, (*open)[0].created_at);
}

TEST_P(StoreTest, QuarantineCountsOnlyIdenticalPayloadAndReasonsOnAnOpenItem) {
  int64_t link = MakeLink("csv");
  auto first = BadWave(link, "row 1");
  ASSERT_TRUE(InsertQuarantine(*conn_, first).ok());
  auto other_payload = BadWave(link, "row 1 changed");
  auto other_reason = BadWave(link, "row 1");
  other_reason[0].reasons[0]["message"] = "worse";
  ASSERT_TRUE(InsertQuarantine(*conn_, other_payload).ok());
  ASSERT_TRUE(InsertQuarantine(*conn_, other_reason).ok());
  EXPECT_NE(other_payload[0].id, first[0].id);
  EXPECT_NE(other_reason[0].id, first[0].id);
  ASSERT_TRUE(
      ResolveQuarantine(*conn_, first[0].id, ReviewStatus::kDiscarded, "cli:alice", "").ok());
  auto again = BadWave(link, "row 1");
  ASSERT_TRUE(InsertQuarantine(*conn_, again).ok());
  EXPECT_NE(again[0].id, first[0].id) << "a resolved item is never reopened";
  EXPECT_EQ(again[0].times_seen, 1);
}

TEST_P(StoreTest, SamePayloadTwiceInOneBatchIsOneItem) {
  int64_t link = MakeLink("csv");
  auto items = BadWave(link, "row 1");
  items.push_back(items[0]);
  ASSERT_TRUE(InsertQuarantine(*conn_, items).ok());
  EXPECT_EQ(items[0].id, items[1].id);
  auto q = GetQuarantine(*conn_, items[0].id);
  EXPECT_EQ(q->times_seen, 2);
}

TEST_P(StoreTest, ItemsFromBeforeMigrationFiveAreCountedToo) {
  int64_t link = MakeLink("csv");
  auto old = BadWave(link, "row 1");
  ASSERT_TRUE(InsertQuarantine(*conn_, old).ok());
  ASSERT_TRUE(conn_->Exec("UPDATE quarantine SET payload_hash = NULL").ok());
  auto again = BadWave(link, "row 1");
  ASSERT_TRUE(InsertQuarantine(*conn_, again).ok());
  EXPECT_EQ(again[0].id, old[0].id);
  EXPECT_EQ(again[0].times_seen, 2);
}

TEST_P(StoreTest, ConflictsKeepBaseOursAndTheirs) {
  int64_t link = MakeLink("mis");
  std::vector<Conflict> c(1);
  c[0].link_id = link;
  c[0].kind = "sen";
  c[0].record_id = 7;
  c[0].external_id = "S1";
  c[0].field = "provision";
  c[0].base = "\"K\"";
  c[0].ours = "\"E\"";
  c[0].theirs = "\"N\"";
  ASSERT_TRUE(InsertConflicts(*conn_, c).ok());
  auto open = OpenConflictsFor(*conn_, {7});
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ(*(*open)[0].theirs, "\"N\"");
  ASSERT_TRUE(ResolveConflict(*conn_, c[0].id, sendsync::store::ConflictResolution::kOurs,
                              std::nullopt, "cli:senco")
                  .ok());
  EXPECT_TRUE(OpenConflictsFor(*conn_, {7})->empty());
  EXPECT_EQ(GetConflict(*conn_, c[0].id)->resolution, ConflictResolution::kOurs);
  auto raw = conn_->Query("SELECT resolution FROM conflicts WHERE id = ?", {c[0].id});
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(AsText((*raw)[0][0]), "ours") << "the column keeps its wire string";
}

// A status column is parsed where the row is read: a value this host does not know is reported
// as damage naming the table and row, never read as some other status.
TEST_P(StoreTest, AnUnknownOutboxStatusInTheStoreIsCorruptionNamingTheRow) {
  int64_t link = MakeLink("mis");
  std::vector<OutboxItem> items(1);
  items[0].link_id = link;
  items[0].kind = "sen";
  items[0].record_id = 100;
  items[0].op = ChangeOp::kDelete;
  items[0].payload = "{}";
  items[0].idem_key = "k0";
  ASSERT_TRUE(InsertOutbox(*conn_, items).ok());
  auto raw = conn_->Query("SELECT op, status FROM outbox WHERE id = ?", {items[0].id});
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(AsText((*raw)[0][0]), "delete");
  EXPECT_EQ(AsText((*raw)[0][1]), "pending");
  ASSERT_TRUE(GetOutbox(*conn_, items[0].id).ok());
  ASSERT_TRUE(conn_->Exec("UPDATE outbox SET status = 'lost' WHERE id = ?", {items[0].id}).ok());
  auto got = GetOutbox(*conn_, items[0].id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(got.status().message(),
            "outbox row " + std::to_string(items[0].id) +
                ": unknown outbox status 'lost': expected pending, delivered, rejected, dead or "
                "superseded");
  QueueFilter all;
  all.status = "";
  EXPECT_EQ(ListOutbox(*conn_, all).status().code(), Status::Code::kCorruption);
}

TEST_P(StoreTest, OutboxSkipsARepeatedKeyAndKeepsOrder) {
  int64_t link = MakeLink("mis");
  std::vector<OutboxItem> items(3);
  for (int i = 0; i < 3; ++i) {
    items[i].link_id = link;
    items[i].kind = "sen";
    items[i].record_id = 100 + i;
    items[i].op = sendsync::ChangeOp::kUpsert;
    items[i].payload = "{}";
    items[i].idem_key = "k" + std::to_string(i);
  }
  ASSERT_TRUE(InsertOutbox(*conn_, items).ok());
  std::vector<OutboxItem> repeat = {items[1]};
  ASSERT_TRUE(InsertOutbox(*conn_, repeat).ok());
  auto due = DueOutbox(*conn_, link, NowMs() + 1, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 3u);
  EXPECT_EQ((*due)[0].idem_key, "k0");
  EXPECT_EQ((*due)[2].idem_key, "k2");
  OutboxItem later = (*due)[0];
  later.attempts = 1;
  later.next_attempt_at = NowMs() + 60000;
  later.last_error = "HTTP 503";
  ASSERT_TRUE(UpdateOutbox(*conn_, later).ok());
  EXPECT_EQ(DueOutbox(*conn_, link, NowMs() + 1, 10)->size(), 2u);
  auto waiting = WaitingOutbox(*conn_, link, NowMs() + 1);
  ASSERT_EQ(waiting->size(), 1u);
  EXPECT_EQ(waiting->at(100), later.id);
  EXPECT_EQ(OutboxCounts(*conn_, link)->at("pending"), 3);
}

TEST_P(StoreTest, LeaseIsExclusiveUntilItExpires) {
  int64_t link = MakeLink("mis");
  EXPECT_TRUE(*AcquireLease(*conn_, link, "host-a", 60000));
  EXPECT_FALSE(*AcquireLease(*conn_, link, "host-b", 60000));
  EXPECT_TRUE(*AcquireLease(*conn_, link, "host-a", 60000));  // re-entrant for its holder
  EXPECT_TRUE(*RenewLease(*conn_, link, "host-a", -1));       // expire it now
  EXPECT_TRUE(*AcquireLease(*conn_, link, "host-b", 60000));
  EXPECT_FALSE(*RenewLease(*conn_, link, "host-a", 60000));  // a lost lease cannot be renewed
  ASSERT_TRUE(ReleaseLease(*conn_, link, "host-b").ok());
  EXPECT_TRUE(*AcquireLease(*conn_, link, "host-a", 60000));
}

TEST_P(StoreTest, RunsAreRecordedAndStaleOnesAbandoned) {
  int64_t link = MakeLink("mis");
  auto r1 = StartRun(*conn_, link, "sync", "host-a");
  ASSERT_TRUE(r1.ok());
  ASSERT_TRUE(AbandonStaleRuns(*conn_, link, "host-b").ok());
  EXPECT_EQ(GetRun(*conn_, *r1)->status, "abandoned");
  auto r2 = StartRun(*conn_, link, "sync", "host-b");
  ASSERT_TRUE(FinishRun(*conn_, *r2, "ok", {{"pulled", 3}}, "").ok());
  auto runs = ListRuns(*conn_, link, 10);
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].summary["pulled"], 3);
}

// A unique-constraint violation becomes AlreadyExists where the database answers, on both backends
// and through both statement paths, so no caller has to read the database's wording.
TEST_P(StoreTest, AUniqueViolationIsAlreadyExistsByCode) {
  Token t;
  t.name = "ops";
  t.role = "operator";
  t.token_hash = audit::Sha256Hex("one");
  ASSERT_TRUE(CreateToken(*conn_, t).ok());
  const std::string insert =
      "INSERT INTO tokens (id, name, role, school_urn, token_hash, created_at) "
      "VALUES (?, 'ops', 'operator', NULL, ?, 0)";
  Status single = conn_->Exec(insert, {int64_t{9001}, std::string("h1")});
  EXPECT_EQ(single.code(), Status::Code::kAlreadyExists) << single.ToString();
  Status batch = conn_->ExecEach(insert, {{int64_t{9002}, std::string("h2")}});
  EXPECT_EQ(batch.code(), Status::Code::kAlreadyExists) << batch.ToString();
  t.token_hash = audit::Sha256Hex("two");
  auto again = CreateToken(*conn_, t);
  EXPECT_EQ(again.status().ToString(), "already exists: a token named 'ops' already exists");
}

TEST_P(StoreTest, TokensAreFoundByHashUntilRevoked) {
  Token t;
  t.name = "ops";
  t.role = "operator";
  t.token_hash = audit::Sha256Hex("secret-token");
  ASSERT_TRUE(CreateToken(*conn_, t).ok());
  EXPECT_EQ(CreateToken(*conn_, t).status().code(), Status::Code::kAlreadyExists);
  auto found = FindTokenByHash(*conn_, t.token_hash);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->role, "operator");
  ASSERT_TRUE(RevokeToken(*conn_, "ops").ok());
  EXPECT_FALSE(FindTokenByHash(*conn_, t.token_hash)->has_value());
}

TEST_P(StoreTest, EveryChangeToRecordsLinksOrTokensMovesTheHubGeneration) {
  int64_t last = *HubGeneration(*conn_);
  auto moved = [&](const char* what) {
    auto now = HubGeneration(*conn_);
    ASSERT_TRUE(now.ok()) << now.status().ToString();
    EXPECT_GT(*now, last) << what << " did not move the generation";
    last = *now;
  };
  auto still = [&](const char* what) { EXPECT_EQ(*HubGeneration(*conn_), last) << what; };
  still("reading");
  RecordRow p = Pupil(1, "A123456789012");
  ASSERT_TRUE(InsertRecords(*conn_, {p}).ok());
  moved("inserting records");
  p.version = 2;
  p.body = json{{"upn", p.upn}, {"legal_surname", "T"}}.dump();
  ASSERT_TRUE(UpdateRecords(*conn_, {p}, "test").ok());
  moved("updating records");
  const int64_t link = MakeLink("mis");
  moved("adding a link");
  ASSERT_TRUE(UpsertLinkRecords(*conn_, {{link, "pupil", "e1", 1, std::nullopt, ""}}).ok());
  moved("linking a record");
  ASSERT_TRUE(DeleteLinkRecord(*conn_, link, "pupil", "e1").ok());
  moved("unlinking a record");
  ASSERT_TRUE(SetLinkEnabled(*conn_, link, false).ok());
  moved("disabling a link");
  ASSERT_TRUE(RemoveLink(*conn_, link).ok());
  moved("removing a link");
  Token t;
  t.name = "ops";
  t.role = "operator";
  t.token_hash = audit::Sha256Hex("secret-token");
  ASSERT_TRUE(CreateToken(*conn_, t).ok());
  ASSERT_TRUE(TouchToken(*conn_, 1, NowMs()).ok());
  still("creating or touching a token");
  ASSERT_TRUE(RevokeToken(*conn_, "ops").ok());
  moved("revoking a token");
}

TEST_P(StoreTest, StatementsAreReusedAfterErrorsAndManyDistinctOnes) {
  // More distinct statements than a connection keeps prepared, then the first ones again.
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < 150; ++i) {
      auto rows = conn_->Query("SELECT " + std::to_string(i) + " + ?", {int64_t{1}});
      ASSERT_TRUE(rows.ok()) << rows.status().ToString();
      ASSERT_EQ(rows->size(), 1u);
      EXPECT_EQ(AsInt(rows->front()[0]), i + 1);
    }
  // A statement that failed (a duplicate key) works again with good values.
  ASSERT_TRUE(InsertRecords(*conn_, {Pupil(1, "A123456789012")}).ok());
  Status dup = InsertRecords(*conn_, {Pupil(1, "B123456789012")});
  EXPECT_FALSE(dup.ok());
  EXPECT_EQ(dup.message().find("B123456789012"), std::string::npos) << "no values in errors";
  ASSERT_TRUE(InsertRecords(*conn_, {Pupil(2, "B123456789012")}).ok());
  EXPECT_EQ(PupilsByUpn(*conn_, {"A123456789012", "B123456789012"})->size(), 2u);
  // Text, whole numbers, fractions and nulls come back as they went in.
  auto row =
      conn_->Query("SELECT ?, ?, ?, ?", {std::string("t\xc3\xa9xt"), int64_t{-5}, 2.5, Value()});
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(AsText((*row)[0][0]), "t\xc3\xa9xt");
  EXPECT_EQ(AsInt((*row)[0][1]), -5);
  EXPECT_DOUBLE_EQ(std::stod(AsText((*row)[0][2])), 2.5);  // PostgreSQL: untyped, so text
  EXPECT_TRUE(IsNull((*row)[0][3]));
}

// A batch (pipelined on PostgreSQL, in chunks) whose row fails names that row, leaves nothing of
// the batch once its transaction rolls back, and leaves the connection usable; rows each meant to
// change one row name the one that did not, past the first chunk.
TEST_P(StoreTest, ABatchNamesTheRowThatFailedAndIsAllOrNothingInItsTransaction) {
  ASSERT_TRUE(conn_->Exec("CREATE TABLE batch_t (id BIGINT PRIMARY KEY, body TEXT)").ok());
  std::vector<Row> rows;
  for (int64_t i = 0; i < 700; ++i) rows.push_back({i, "body " + std::to_string(i)});
  rows[400][0] = int64_t{3};  // a key taken by row 3
  {
    Tx tx(*conn_);
    Status st = conn_->ExecEach("INSERT INTO batch_t (id, body) VALUES (?, ?)", rows);
    EXPECT_EQ(st.code(), Status::Code::kAlreadyExists) << st.ToString();
    EXPECT_NE(st.message().find("row 400"), std::string::npos) << st.ToString();
  }  // rolled back
  auto count = conn_->Query("SELECT COUNT(*) FROM batch_t");
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(AsInt((*count)[0][0]), 0);

  rows[400][0] = int64_t{400};
  {
    Tx tx(*conn_);
    ASSERT_TRUE(conn_->ExecEach("INSERT INTO batch_t (id, body) VALUES (?, ?)", rows).ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  std::vector<Row> updates;
  for (int64_t i = 0; i < 700; ++i) updates.push_back({"new " + std::to_string(i), i});
  updates[650][1] = int64_t{9999};  // no such row
  {
    Tx tx(*conn_);
    Status st = conn_->ExecEach("UPDATE batch_t SET body = ? WHERE id = ?", updates,
                                /*each_changes_one=*/true);
    EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition) << st.ToString();
    EXPECT_NE(st.message().find("row 650"), std::string::npos) << st.ToString();
  }
  auto changed = conn_->Query("SELECT COUNT(*) FROM batch_t WHERE body LIKE 'new%'");
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(AsInt((*changed)[0][0]), 0);
  // Values that need care as text: the extremes of a whole number, a fraction that has no exact
  // short decimal, a placeholder character and quotes inside text.
  auto row =
      conn_->Query("SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS DOUBLE PRECISION), ?",
                   {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
                    0.1 + 0.2, std::string("it's a '?' \"x\"")});
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(AsInt((*row)[0][0]), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(AsInt((*row)[0][1]), std::numeric_limits<int64_t>::min());
  ASSERT_TRUE(std::holds_alternative<double>((*row)[0][2]));
  EXPECT_EQ(std::get<double>((*row)[0][2]), 0.1 + 0.2);
  EXPECT_EQ(AsText((*row)[0][3]), "it's a '?' \"x\"");
}

// Many rows at once (COPY on PostgreSQL) come back exactly as they went in, whatever the text
// holds; a duplicate key among them is AlreadyExists and nothing of the batch stays.
TEST_P(StoreTest, ManyRowsInsertedAtOnceComeBackExactly) {
  ASSERT_TRUE(conn_
                  ->Exec("CREATE TABLE many_t (id BIGINT PRIMARY KEY, body TEXT, n BIGINT, x "
                         "DOUBLE PRECISION)")
                  .ok());
  const std::vector<std::string> texts = {"plain",
                                          "back\\slash",
                                          "tab\there",
                                          "new\nline",
                                          "cr\rlf\r\n",
                                          "\\N",
                                          "t\xc3\xa9xt \xe2\x9c\x93",
                                          "",
                                          "'quote' \"double\" ?",
                                          "\\.\nend",
                                          "trailing\\"};
  std::vector<Row> rows;
  for (size_t i = 0; i < 40; ++i)
    rows.push_back({static_cast<int64_t>(i), i % 7 == 6 ? Value() : Value(texts[i % texts.size()]),
                    i % 5 == 4 ? Value() : Value(static_cast<int64_t>(i) * -1'000'000'007),
                    0.1 * static_cast<double>(i)});
  ASSERT_TRUE(conn_->InsertMany("many_t", {"id", "body", "n", "x"}, rows).ok());
  auto back = conn_->Query("SELECT id, body, n, x FROM many_t ORDER BY id");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(AsInt((*back)[i][0]), AsInt(rows[i][0]));
    EXPECT_EQ(IsNull((*back)[i][1]), IsNull(rows[i][1])) << i;
    EXPECT_EQ(AsText((*back)[i][1]), AsText(rows[i][1])) << i;
    EXPECT_EQ(IsNull((*back)[i][2]), IsNull(rows[i][2])) << i;
    EXPECT_EQ(AsInt((*back)[i][2]), AsInt(rows[i][2])) << i;
    ASSERT_TRUE(std::holds_alternative<double>((*back)[i][3])) << i;
    EXPECT_EQ(std::get<double>((*back)[i][3]), std::get<double>(rows[i][3])) << i;
  }
  std::vector<Row> again = rows;
  for (Row& r : again) r[0] = AsInt(r[0]) + 100;
  again[20][0] = int64_t{5};  // taken
  {
    Tx tx(*conn_);
    Status st = conn_->InsertMany("many_t", {"id", "body", "n", "x"}, again);
    EXPECT_EQ(st.code(), Status::Code::kAlreadyExists) << st.ToString();
  }
  auto count = conn_->Query("SELECT COUNT(*) FROM many_t");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(AsInt((*count)[0][0]), static_cast<int64_t>(rows.size()));
}

// Inside a transaction the hub generation moves once, when it commits, however many changes it
// holds; a transaction rolled back leaves it where it was (the API's caches keep what they hold).
TEST_P(StoreTest, TheHubGenerationMovesOncePerCommittedTransaction) {
  const int64_t before = *HubGeneration(*conn_);
  {
    Tx tx(*conn_);
    ASSERT_TRUE(InsertRecords(*conn_, {Pupil(1, "A123456789012")}).ok());
    ASSERT_TRUE(InsertRecords(*conn_, {Pupil(2, "B123456789012")}).ok());
    const int64_t link = MakeLink("mis");
    ASSERT_TRUE(UpsertLinkRecords(*conn_, {{link, "pupil", "e1", 1, std::nullopt, ""}}).ok());
  }  // rolled back
  EXPECT_EQ(*HubGeneration(*conn_), before);
  {
    Tx tx(*conn_);
    ASSERT_TRUE(InsertRecords(*conn_, {Pupil(1, "A123456789012")}).ok());
    ASSERT_TRUE(InsertRecords(*conn_, {Pupil(2, "B123456789012")}).ok());
    const int64_t link = MakeLink("mis");
    ASSERT_TRUE(UpsertLinkRecords(*conn_, {{link, "pupil", "e1", 1, std::nullopt, ""}}).ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  EXPECT_EQ(*HubGeneration(*conn_), before + 1);
  // Another connection sees the move as soon as the transaction committed.
  auto other = store_->Connect();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*HubGeneration(**other), before + 1);
}

// ---- audit ----

void AppendThree(Conn& conn) {
  Tx tx(conn);
  std::vector<audit::Entry> e(3);
  for (int i = 0; i < 3; ++i) {
    e[i].actor = "link:mis";
    e[i].action = "record.update";
    e[i].kind = "sen";
    e[i].record_id = 10 + i;
    e[i].pupil_id = 1;
    e[i].detail = {{"fields", {"provision"}}};
  }
  ASSERT_TRUE(audit::Append(conn, e).ok());
  ASSERT_TRUE(tx.Commit().ok());
}

TEST_P(StoreTest, AuditChainVerifies) {
  AppendThree(*conn_);
  AppendThree(*conn_);
  auto v = audit::Verify(*conn_);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->checked, 6);
  audit::Query q;
  q.pupil_id = 1;
  EXPECT_EQ(audit::List(*conn_, q)->size(), 6u);
}

// Entries chained in steps (the sync hashes some on another thread while it writes records) make
// one chain with what came before and after, in the order they were chained.
TEST_P(StoreTest, AuditAppendedInStepsContinuesOneChain) {
  AppendThree(*conn_);
  {
    Tx tx(*conn_);
    auto a = audit::Appender::Begin(*conn_);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    std::vector<audit::Entry> first(2), then(1);
    for (audit::Entry* e : {&first[0], &first[1], &then[0]}) {
      e->actor = "link:mis";
      e->action = "record.create";
      e->kind = "pupil";
      e->record_id = e->pupil_id = 7;
    }
    Status hashed;
    std::thread([&] { hashed = a->Chain(first); }).join();
    ASSERT_TRUE(hashed.ok());
    ASSERT_TRUE(a->Chain(then).ok());
    EXPECT_EQ(first[0].seq, 4);
    EXPECT_EQ(then[0].seq, 6);
    EXPECT_EQ(then[0].prev_hash, first[1].hash);
    ASSERT_TRUE(a->Finish(*conn_).ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  AppendThree(*conn_);
  auto v = audit::Verify(*conn_);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->checked, 9);
}

// A detail that cannot be written as JSON (not UTF-8) is an error value, and nothing is written.
TEST_P(StoreTest, AuditEntryThatIsNotJsonIsRefusedAndNothingIsWritten) {
  Tx tx(*conn_);
  std::vector<audit::Entry> e(1);
  e[0].actor = "link:mis";
  e[0].action = "record.update";
  e[0].detail = {{"source_id", std::string("\xff\xfe")}};
  Status st = audit::Append(*conn_, e);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << st.ToString();
  ASSERT_TRUE(tx.Commit().ok());
  auto v = audit::Verify(*conn_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->checked, 0);
}

TEST_P(StoreTest, AuditHashIsTheSha256OfThePreviousHashAndTheEntryAsACompactJsonArray) {
  // The form every stored chain was written in; changing it would fail every existing store.
  AppendThree(*conn_);
  auto entries = audit::List(*conn_, {0, 0, 0, 10});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 3u);
  std::string prev;
  for (const audit::Entry& e : *entries) {
    const json canonical =
        json::array({e.seq, e.ts, e.actor, e.action, e.kind, e.record_id, e.pupil_id, e.detail});
    EXPECT_EQ(e.hash, audit::Sha256Hex(prev + "\n" + canonical.dump()));
    prev = e.hash;
  }
}

TEST_P(StoreTest, AuditDetectsAnEditedEntry) {
  AppendThree(*conn_);
  ASSERT_TRUE(conn_->Exec("UPDATE audit SET actor = 'someone-else' WHERE seq = 2").ok());
  auto v = audit::Verify(*conn_);
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 2);
  EXPECT_NE(v->problem.find("edited"), std::string::npos);
}

TEST_P(StoreTest, AuditDetectsARemovedEntry) {
  AppendThree(*conn_);
  ASSERT_TRUE(conn_->Exec("DELETE FROM audit WHERE seq = 2").ok());
  auto v = audit::Verify(*conn_);
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 2);
  EXPECT_NE(v->problem.find("missing"), std::string::npos);
}

TEST_P(StoreTest, AuditDetectsReorderedEntries) {
  AppendThree(*conn_);
  // Swap the contents of entries 2 and 3, keeping their sequence numbers.
  ASSERT_TRUE(conn_->Exec("UPDATE audit SET seq = -1 WHERE seq = 2").ok());
  ASSERT_TRUE(conn_->Exec("UPDATE audit SET seq = 2 WHERE seq = 3").ok());
  ASSERT_TRUE(conn_->Exec("UPDATE audit SET seq = 3 WHERE seq = -1").ok());
  auto v = audit::Verify(*conn_);
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 2);
}

TEST_P(StoreTest, AuditDetectsEntriesCutFromTheEnd) {
  AppendThree(*conn_);
  ASSERT_TRUE(conn_->Exec("DELETE FROM audit WHERE seq = 3").ok());
  auto v = audit::Verify(*conn_);
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 3);
  EXPECT_NE(v->problem.find("removed from the end"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST(StoreUrl, PasswordsAreNeverShown) {
  auto u = ParseStoreUrl("postgresql://hub:s3cret@db.internal:5433/sendsync?sslmode=require");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->dialect, Dialect::kPostgres);
  EXPECT_EQ(u->display, "postgresql://hub:***@db.internal:5433/sendsync");
  EXPECT_NE(u->connection.find("sslmode='require'"), std::string::npos);
  EXPECT_EQ(u->display.find("s3cret"), std::string::npos);
}

TEST(StoreUrl, SqliteFormsAndBadSchemes) {
  EXPECT_EQ(ParseStoreUrl("sqlite:/var/lib/sendsync/hub.db")->connection,
            "/var/lib/sendsync/hub.db");
  EXPECT_EQ(ParseStoreUrl("hub.db")->connection, "hub.db");
  EXPECT_FALSE(ParseStoreUrl("mysql://x/y").ok());
  EXPECT_FALSE(ParseStoreUrl("postgresql://hostonly").ok());
  EXPECT_FALSE(ParseStoreUrl("").ok());
}

}  // namespace
