// `sendsync token create / list / revoke` and `sendsync config check` as an admin runs them.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "core/audit/audit.h"
#include "server_fixture.h"

namespace sendsync::server_test {
namespace {

struct Output {
  int code = -1;
  std::string out;
};

// Runs the sendsync binary with `args` against the test's store; stdout only.
Output Sendsync(const std::string& store_url, const std::string& args) {
  Output o;
  const std::string cmd =
      "SENDSYNC_DB='" + store_url + "' timeout 30 " SENDSYNC_BIN " " + args + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return o;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
  const int st = ::pclose(p);
  o.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return o;
}

class TokenCliTest : public ServerTest {};

TEST_F(TokenCliTest, CreatePrintsTheTokenOnceAndStoresOnlyItsHash) {
  Output made = Sendsync(store_url_, "token create --role senco --name st-marys --school 100000");
  ASSERT_EQ(made.code, 0);
  const std::string token = made.out.substr(0, made.out.find('\n'));
  ASSERT_EQ(token.rfind("sst_", 0), 0u) << made.out;
  EXPECT_EQ(token.size(), 4u + 43u);  // 32 random bytes in base64url without padding
  auto tokens = store::ListTokens(*Conn());
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_EQ((*tokens)[0].token_hash, audit::Sha256Hex(token));
  EXPECT_EQ((*tokens)[0].role, "senco");
  EXPECT_EQ((*tokens)[0].school_urn, "100000");
  // Listing shows the token's name and role, never the token or its hash.
  Output list = Sendsync(store_url_, "token list --json");
  EXPECT_NE(list.out.find("st-marys"), std::string::npos);
  EXPECT_EQ(list.out.find(token), std::string::npos);
  EXPECT_EQ(list.out.find((*tokens)[0].token_hash), std::string::npos);
  // Nothing in the store holds the token itself.
  std::ifstream db(dir_ / "store.db", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(db)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find(token), std::string::npos);
}

TEST_F(TokenCliTest, TwoTokensNeverShareAValueAndNamesAreUnique) {
  Output a = Sendsync(store_url_, "token create --role admin --name a");
  Output b = Sendsync(store_url_, "token create --role admin --name b");
  ASSERT_EQ(a.code, 0);
  ASSERT_EQ(b.code, 0);
  EXPECT_NE(a.out, b.out);
  EXPECT_EQ(Sendsync(store_url_, "token create --role admin --name a").code, 1);
  EXPECT_EQ(Sendsync(store_url_, "token create --role chief --name c").code, 2);
  EXPECT_EQ(Sendsync(store_url_, "token create --role admin --name 'bad name'").code, 2);
}

TEST_F(TokenCliTest, RevokedTokenGets401AtOnce) {
  Output made = Sendsync(store_url_, "token create --role auditor --name temp");
  const std::string token = made.out.substr(0, made.out.find('\n'));
  Start();
  EXPECT_EQ(Get("/api/v1/whoami", token).status, 200);
  EXPECT_EQ(Sendsync(store_url_, "token revoke temp").code, 0);
  EXPECT_EQ(Get("/api/v1/whoami", token).status, 401);
  EXPECT_EQ(Sendsync(store_url_, "token revoke temp").code, 1) << "already revoked";
  auto entries = audit::List(*Conn(), {0, 0, 0, 100});
  ASSERT_GE(entries->size(), 2u);
  EXPECT_EQ(entries->back().action, "token.revoke");
}

TEST_F(TokenCliTest, ConfigCheckNamesTheBadKeyAndExitsNonZero) {
  std::ofstream(dir_ / "bad.json") << R"({"listen": "127.0.0.1", "log_level": "info"})";
  Output bad = Sendsync(store_url_, "config check " + (dir_ / "bad.json").string() + " --json");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("listen:"), std::string::npos) << bad.out;
  std::ofstream(dir_ / "good.json")
      << R"({"listen": "127.0.0.1:8470", "data_dir": ".", "store_url": "postgresql://u:secret@db/x"})";
  Output good = Sendsync(store_url_, "config check " + (dir_ / "good.json").string() + " --json");
  EXPECT_EQ(good.code, 0);
  EXPECT_EQ(good.out.find("secret"), std::string::npos) << "a password was printed: " << good.out;
}

TEST_F(TokenCliTest, ConfigCheckAndServeRefuseAMissingOrEmptyWebRoot) {
  fs::create_directories(dir_ / "data");
  fs::create_directories(dir_ / "empty-web");
  const json base = {{"data_dir", (dir_ / "data").string()}, {"store_url", store_url_}};
  json empty = base, missing = base;
  empty["web_root"] = (dir_ / "empty-web").string();
  missing["web_root"] = (dir_ / "no-such-web").string();
  std::ofstream(dir_ / "empty.json") << empty.dump();
  std::ofstream(dir_ / "missing.json") << missing.dump();

  Output e = Sendsync(store_url_, "config check " + (dir_ / "empty.json").string() + " --json");
  EXPECT_EQ(e.code, 1) << e.out;
  EXPECT_NE(e.out.find("web_root: " + (dir_ / "empty-web").string() +
                       " holds no dashboard (no index.html)"),
            std::string::npos)
      << e.out;
  Output m = Sendsync(store_url_, "config check " + (dir_ / "missing.json").string() + " --json");
  EXPECT_EQ(m.code, 1) << m.out;
  EXPECT_NE(m.out.find("web_root: no such folder " + (dir_ / "no-such-web").string()),
            std::string::npos)
      << m.out;

  // serve refuses before it listens (bounded: a serve that started would be stopped by timeout).
  Output s = Sendsync(store_url_, "serve --json --no-scheduler --listen 127.0.0.1:0 --config " +
                                      (dir_ / "empty.json").string());
  EXPECT_EQ(s.code, 1) << s.out;
  EXPECT_NE(s.out.find("holds no dashboard (no index.html)"), std::string::npos) << s.out;

  // With the dashboard's files there, both accept it.
  std::ofstream(dir_ / "empty-web" / "index.html") << "<!doctype html><title>sendsync</title>\n";
  EXPECT_EQ(Sendsync(store_url_, "config check " + (dir_ / "empty.json").string()).code, 0);
}

TEST_F(ServerTest, ServiceRefusesToStartWithoutTheDashboardsFiles) {
  server::ServiceOptions o = Options();
  o.web_root = (dir_ / "no-such-web").string();
  auto missing = server::Service::Start(o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("web_root: no such folder"), std::string::npos)
      << missing.status().message();
  fs::create_directories(dir_ / "empty-web");
  o.web_root = (dir_ / "empty-web").string();
  auto empty = server::Service::Start(o);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no index.html"), std::string::npos)
      << empty.status().message();
  o.web_root = (dir_ / "web").string();
  auto good = server::Service::Start(o);
  ASSERT_TRUE(good.ok()) << good.status().message();
  (*good)->Stop();
}

// `sendsync schools import`: the DfE's establishment list as a CSV whose header names the URN and
// EstablishmentName columns (any others ignored, quoted fields with commas kept whole); a row with
// a bad URN or name is left out and named by its line; the rest are stored, audited, and shown by
// the API. A file without the columns names the one missing and the headers it found.
TEST_F(TokenCliTest, SchoolsImportReadsTheEstablishmentListByItsHeaders) {
  const fs::path csv = dir_ / "edubasealldata.csv";
  std::ofstream(csv) << "URN,LA (code),EstablishmentName,TypeOfEstablishment (name)\r\n"
                        "100000,820,\"Oak Tree Primary School, Bedford\",Community school\r\n"
                        "100001,820,St Mary's C of E Academy,Academy converter\r\n"
                        "12345,820,Too Short Urn School,Community school\r\n"
                        "100002,820,,Community school\r\n";
  Output out = Sendsync(store_url_, "schools import --json " + csv.string());
  ASSERT_EQ(out.code, 0) << out.out;
  json j = json::parse(out.out, nullptr, false);
  EXPECT_EQ(j["rows"], 4);
  EXPECT_EQ(j["named"], 2);
  ASSERT_EQ(j["left_out"].size(), 2u) << out.out;
  EXPECT_NE(j["left_out"][0].get<std::string>().find("line 4: URN \"12345\" is not a URN"),
            std::string::npos)
      << out.out;
  EXPECT_NE(j["left_out"][1].get<std::string>().find("line 5: EstablishmentName is empty"),
            std::string::npos)
      << out.out;
  auto names = store::ListSchoolNames(*Conn());
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(names->size(), 2u);
  EXPECT_EQ((*names)[0].name, "Oak Tree Primary School, Bedford");
  EXPECT_EQ((*names)[0].source, "import:edubasealldata.csv");
  auto entries = audit::List(*Conn(), {});
  ASSERT_TRUE(entries.ok());
  ASSERT_FALSE(entries->empty());
  EXPECT_EQ(entries->back().action, "school.names");
  EXPECT_EQ(entries->back().detail["count"], 2);

  // Windows-1252 text (as the DfE publishes it) converted when asked; refused as UTF-8 otherwise.
  const fs::path latin = dir_ / "latin.csv";
  std::ofstream(latin) << "URN,EstablishmentName\n100003,Ysgol Gymraeg Caerdydd \xe9\n";
  Output bad = Sendsync(store_url_, "schools import --json " + latin.string());
  EXPECT_NE(bad.code, 0);
  Output good = Sendsync(store_url_, "schools import --encoding windows-1252 " + latin.string());
  ASSERT_EQ(good.code, 0) << good.out;
  Output listed = Sendsync(store_url_, "schools list --json");
  EXPECT_NE(listed.out.find("Ysgol Gymraeg Caerdydd \xc3\xa9"), std::string::npos) << listed.out;

  const fs::path wrong = dir_ / "wrong.csv";
  std::ofstream(wrong) << "urn,school\n100004,Elm\n";
  const std::string cmd = "SENDSYNC_DB='" + store_url_ +
                          "' timeout 30 " SENDSYNC_BIN " schools import " + wrong.string() +
                          " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  std::string said;
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) said.append(buf, n);
  EXPECT_EQ(WEXITSTATUS(::pclose(p)), 2);
  EXPECT_NE(said.find("no column headed \"URN\" (headers found: urn, school)"), std::string::npos)
      << said;
  Output mapped = Sendsync(
      store_url_, "schools import --urn-column urn --name-column school " + wrong.string());
  EXPECT_EQ(mapped.code, 0) << mapped.out;

  Start();
  json schools = Get("/api/v1/schools", Token(server::Role::kAdmin)).Json();
  EXPECT_TRUE(schools["items"].empty()) << "no links yet: " << schools.dump();
}

// POST /schools/{urn}/name: an admin names a school; GET /schools shows it; a SENCO may not, an
// admin of another school may not, and a bad name is a 400 naming /name.
TEST_F(TokenCliTest, SchoolNameSetThroughTheApiIsShownWithTheSchool) {
  WritePupils("mis", 1, 1);
  AddLink("mis", "mis");
  Start();
  const std::string admin = Token(server::Role::kAdmin);
  Response r = Post("/api/v1/schools/100000/name", admin, R"({"name": "Oak Tree Primary"})");
  ASSERT_EQ(r.status, 200) << r.body;
  json schools = Get("/api/v1/schools", admin).Json();
  ASSERT_EQ(schools["items"].size(), 1u) << schools.dump();
  EXPECT_EQ(schools["items"][0]["name"], "Oak Tree Primary");
  EXPECT_EQ(
      Post("/api/v1/schools/100000/name", Token(server::Role::kSenco, "100000"), R"({"name": "X"})")
          .status,
      403);
  EXPECT_EQ(
      Post("/api/v1/schools/100000/name", Token(server::Role::kAdmin, "200000"), R"({"name": "X"})")
          .status,
      403);
  Response empty = Post("/api/v1/schools/100000/name", admin, R"({"name": ""})");
  ASSERT_EQ(empty.status, 400) << empty.body;
  EXPECT_EQ(empty.Json()["errors"][0]["path"], "/name");
  EXPECT_EQ(Post("/api/v1/schools/12345/name", admin, R"({"name": "X"})").status, 400);
  EXPECT_EQ(Get("/api/v1/schools", admin).Json()["items"][0]["name"], "Oak Tree Primary");
  Output listed = Sendsync(store_url_, "schools list --json");
  EXPECT_NE(listed.out.find("\"api\""), std::string::npos) << listed.out;
}

}  // namespace
}  // namespace sendsync::server_test
