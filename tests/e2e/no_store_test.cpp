// Only `sendsync init` creates a store. Every other command given a store that is not there (a
// mistyped path, a PostgreSQL database without sendsync's schema) fails with "no store at …; run
// sendsync init" and exit 1, and creates no file or folder; `config check` refuses a data folder
// that does not exist and plain HTTP on an address other than loopback.
#include <gtest/gtest.h>

#include <fstream>

#include "e2e_support.h"
#include "pg_server.h"

namespace sendsync::e2e {
namespace {

// Commands that open the store, with the arguments they need to get that far.
const std::vector<std::vector<std::string>> kStoreCommands = {
    {"link", "list"},
    {"link", "show", "mis"},
    {"sync"},
    {"sync", "--link", "mis"},
    {"quarantine", "list"},
    {"conflicts", "list"},
    {"outbox", "list"},
    {"runs", "list"},
    {"audit", "verify"},
    {"pupil", "show", "B801200005001"},
    {"due"},
    {"export-json"},
    {"token", "list"},
    {"token", "create", "--role", "admin", "--name", "it"},
    {"serve", "--listen", "127.0.0.1:0", "--no-scheduler"},
};

void ExpectEveryCommandRefuses(const Cli& cli, const std::string& db_url,
                               const std::string& message) {
  for (std::vector<std::string> args : kStoreCommands) {
    std::string shown;
    for (const auto& a : args) shown += " " + a;
    args.push_back("--db");
    args.push_back(db_url);
    ProgramResult r = cli.Run(args);
    EXPECT_EQ(r.exit_code, 1) << "sendsync" << shown << ": " << r.Describe();
    EXPECT_NE(r.err.find(message), std::string::npos)
        << "sendsync" << shown << ": " << r.Describe();
  }
}

TEST(NoStore, AMistypedSqlitePathFailsEveryCommandButInitAndCreatesNothing) {
  TempDir dir;
  Cli cli(dir.path());
  const fs::path typo = dir / "mistyped" / "sendsync.db";
  ExpectEveryCommandRefuses(cli, "sqlite:" + typo.string(),
                            "no store at sqlite:" + typo.string() + "; run sendsync init");
  EXPECT_FALSE(fs::exists(dir / "mistyped")) << "a command created the store's folder";

  ASSERT_EQ(cli.Run({"init", "--db", "sqlite:" + typo.string()}).exit_code, 0);
  EXPECT_TRUE(fs::is_regular_file(typo));
  ProgramResult list = cli.Run({"link", "list", "--db", "sqlite:" + typo.string()});
  EXPECT_EQ(list.exit_code, 0) << list.Describe();
  EXPECT_NE(list.out.find("no links yet"), std::string::npos) << list.Describe();
}

TEST(NoStore, AnEmptySqliteFileIsNoStoreAndIsLeftEmpty) {
  TempDir dir;
  Cli cli(dir.path());
  const fs::path empty = dir / "empty.db";
  { std::ofstream touch(empty); }
  ExpectEveryCommandRefuses(cli, "sqlite:" + empty.string(),
                            "no store at sqlite:" + empty.string() +
                                " (the database has no sendsync schema); run sendsync init");
  EXPECT_EQ(fs::file_size(empty), 0u);
}

TEST(NoStore, APostgresDatabaseWithoutTheSchemaFailsEveryCommandButInit) {
  if (testing_support::PostgresSkipped()) GTEST_SKIP() << "SENDSYNC_SKIP_POSTGRES=1";
  const std::string url = testing_support::FreshPostgresUrl();
  ASSERT_FALSE(url.empty());
  TempDir dir;
  Cli cli(dir.path());
  ExpectEveryCommandRefuses(cli, url, "(the database has no sendsync schema); run sendsync init");
  // Still nothing there: init migrates it from scratch.
  json init = cli.RunJson({"init", "--db", url});
  EXPECT_EQ(init.value("migrations_applied", 0), init.value("schema_version", -1)) << init.dump();
  EXPECT_EQ(cli.Run({"link", "list", "--db", url}).exit_code, 0);
}

TEST(NoStore, ConfigCheckRefusesADataFolderThatDoesNotExist) {
  TempDir dir;
  Cli cli(dir.path());
  std::ofstream(dir / "typo.json") << R"({"data_dir": "/nonexistent/var/lib/sendsync"})";
  ProgramResult r = cli.Run({"config", "check", (dir / "typo.json").string()});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.err.find("config: data_dir: no such folder /nonexistent/var/lib/sendsync"),
            std::string::npos)
      << r.Describe();
  fs::create_directories(dir / "data");
  std::ofstream(dir / "good.json") << R"({"data_dir": "data"})";
  ProgramResult good = cli.Run({"config", "check", (dir / "good.json").string()});
  EXPECT_EQ(good.exit_code, 0) << good.Describe();
}

TEST(NoStore, PlainHttpOffLoopbackIsRefusedUnlessAllowed) {
  TempDir dir;
  Cli cli(dir.path());
  fs::create_directories(dir / "var");
  std::ofstream(dir / "open.json") << R"({"listen": "0.0.0.0:8470"})";
  ProgramResult r = cli.Run({"config", "check", (dir / "open.json").string()});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.err.find("config: listen: 0.0.0.0:8470 is not a loopback address and no TLS is set"),
            std::string::npos)
      << r.Describe();
  std::ofstream(dir / "allowed.json") << R"({"listen": "0.0.0.0:8470", "allow_plain_http": true})";
  ProgramResult allowed = cli.Run({"config", "check", (dir / "allowed.json").string()});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.Describe();
  for (const char* loopback : {"127.0.0.1:8470", "[::1]:8470", "localhost:8470"}) {
    std::ofstream(dir / "loop.json") << json{{"listen", loopback}}.dump();
    ProgramResult ok = cli.Run({"config", "check", (dir / "loop.json").string()});
    EXPECT_EQ(ok.exit_code, 0) << loopback << ": " << ok.Describe();
  }
  // serve --listen is held to the same rule (before it binds).
  ASSERT_EQ(cli.Run({"init"}).exit_code, 0);
  ProgramResult serve = cli.Run({"serve", "--listen", "0.0.0.0:0"});
  EXPECT_EQ(serve.exit_code, 2) << serve.Describe();
  EXPECT_NE(serve.err.find("--listen: 0.0.0.0:0 is not a loopback address"), std::string::npos)
      << serve.Describe();
}

// A queue command's id is checked before anything opens; the usage error is printed as it was
// made, and an id too long for 64 bits is a usage error too, not an escaped exception.
TEST(NoStore, AQueueItemIdThatIsNotANumberOrTooLargeIsAUsageError) {
  TempDir dir;
  Cli cli(dir.path());
  ProgramResult word = cli.Run({"conflicts", "resolve", "abc", "--take", "ours"});
  EXPECT_EQ(word.exit_code, 2) << word.Describe();
  EXPECT_NE(word.err.find("'abc' is not a number"), std::string::npos) << word.Describe();
  EXPECT_EQ(word.err.find("--:"), std::string::npos) << word.Describe();
  ProgramResult huge = cli.Run({"outbox", "retry", "99999999999999999999"});
  EXPECT_EQ(huge.exit_code, 2) << huge.Describe();
  EXPECT_NE(huge.err.find("'99999999999999999999' is too large to be an id"), std::string::npos)
      << huge.Describe();
}

// A bad --log-level is a usage error of every command, found before the command runs; the exit
// code comes from where the error was found, not from how its message begins.
TEST(NoStore, ABadLogLevelIsAUsageErrorBeforeTheCommandRuns) {
  TempDir dir;
  Cli cli(dir.path());
  ProgramResult r = cli.Run({"conflicts", "list", "--log-level", "loud"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_NE(r.err.find("--log-level must be debug, info, warn, error or off"), std::string::npos)
      << r.Describe();
}

}  // namespace
}  // namespace sendsync::e2e
