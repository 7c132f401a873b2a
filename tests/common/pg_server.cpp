#include "pg_server.h"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "core/store/db.h"

namespace sendsync::testing_support {
namespace fs = std::filesystem;

namespace {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

std::string BinDir() {
  std::error_code ec;
  std::string best;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(e.path() / "bin" / "initdb") && e.path().string() > best)
      best = e.path().string();
  return best.empty() ? "" : best + "/bin";
}

}  // namespace

bool PgServer::Start(bool durable, std::string* error) {
  auto fail = [&](const std::string& why) {
    if (error) *error = why;
    return false;
  };
  if (started_) return true;
  std::string bin = BinDir();
  if (bin.empty())
    return fail(
        "no PostgreSQL server found under /usr/lib/postgresql (apt-get install postgresql)");
  char tmpl[] = "/tmp/sendsync-pg-XXXXXX";
  if (!::mkdtemp(tmpl)) return fail("cannot make a temporary folder");
  dir_ = tmpl;
  as_ = "";
  if (::geteuid() == 0) {
    // initdb refuses to run as root.
    passwd* pw = ::getpwnam("postgres");
    if (!pw) return fail("running as root but there is no postgres user");
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return fail("cannot chown " + dir_);
    as_ = "runuser -u postgres -- ";
  }
  port_ = FreePort();
  std::string data = dir_ + "/data";
  std::string cmd = as_ + bin + "/initdb -D " + data + " -A trust -U sendsync -E UTF8 >" + dir_ +
                    "/initdb.log 2>&1";
  if (std::system(cmd.c_str()) != 0) return fail("initdb failed; see " + dir_ + "/initdb.log");
  const std::string settings =
      durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
  cmd = as_ + bin + "/pg_ctl -D " + data + " -w -t 60 -l " + dir_ +
        "/server.log -o \"-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " +
        dir_ + settings + "\" start >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0)
    return fail("pg_ctl start failed; see " + dir_ + "/server.log");
  bin_ = bin;
  started_ = true;
  return true;
}

void PgServer::Stop() {
  if (!started_) return;
  std::string cmd = as_ + bin_ + "/pg_ctl -D " + dir_ + "/data -m immediate stop >/dev/null 2>&1";
  std::system(cmd.c_str());
  std::error_code ec;
  fs::remove_all(dir_, ec);
  started_ = false;
}

std::string PgServer::NewDatabase(std::string* error) {
  static std::atomic<int> n{0};
  std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(++n);
  auto db = store::Db::Open(Url("postgres"), store::OpenMode::kMustExist);
  if (!db.ok()) {
    if (error) *error = "cannot reach the PostgreSQL server: " + db.status().ToString();
    return "";
  }
  auto conn = (*db)->Connect();
  if (!conn.ok()) {
    if (error) *error = "cannot connect to the PostgreSQL server: " + conn.status().ToString();
    return "";
  }
  if (auto st = (*conn)->Exec("CREATE DATABASE " + name); !st.ok()) {
    if (error) *error = "CREATE DATABASE " + name + ": " + st.ToString();
    return "";
  }
  return Url(name);
}

std::string PgServer::Url(const std::string& db) const {
  return "postgresql://sendsync@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

namespace {

PgServer* Shared() {
  static std::once_flag once;
  static PgServer* server = nullptr;
  static bool ok = false;
  std::call_once(once, [] {
    server = new PgServer();
    std::string error;
    ok = server->Start(/*durable=*/false, &error);
    if (!ok) std::fprintf(stderr, "test PostgreSQL: %s\n", error.c_str());
    std::atexit([] { server->Stop(); });
  });
  return ok ? server : nullptr;
}

}  // namespace

bool PostgresSkipped() {
  const char* v = std::getenv("SENDSYNC_SKIP_POSTGRES");
  return v && std::string(v) == "1";
}

std::string FreshPostgresUrl() {
  PgServer* s = Shared();
  if (!s) return "";
  std::string error;
  std::string url = s->NewDatabase(&error);
  if (url.empty()) std::fprintf(stderr, "test PostgreSQL: %s\n", error.c_str());
  return url;
}

std::string FreshSqliteUrl() {
  static std::atomic<int> n{0};
  static const fs::path base = [] {
    fs::path b = fs::temp_directory_path() / ("sendsync-sqlite-" + std::to_string(::getpid()));
    std::error_code ec;
    fs::remove_all(b, ec);
    std::atexit([] {
      std::error_code e;
      fs::remove_all(fs::temp_directory_path() / ("sendsync-sqlite-" + std::to_string(::getpid())),
                     e);
    });
    return b;
  }();
  fs::path dir = base / std::to_string(++n);
  fs::create_directories(dir);
  return "sqlite:" + (dir / "hub.db").string();
}

}  // namespace sendsync::testing_support
