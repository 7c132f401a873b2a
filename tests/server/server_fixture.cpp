#include "server_fixture.h"

#include <unistd.h>

#include <fstream>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include "core/domain/domain.h"
#include "core/sync/sync.h"
#include "pg_server.h"

namespace sendsync::server_test {

std::string Upn(int n) {
  char body[16];
  std::snprintf(body, sizeof body, "?82012000%04d", n % 10000);
  std::string s(body);
  s[0] = *domain::UpnCheckLetter(s);
  return s;
}

Response Http(uint16_t port, const std::string& method, const std::string& path,
              const std::string& token, const std::string& body) {
  Response out;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!token.empty()) req.set("Authorization", "Bearer " + token);
    if (!body.empty() || method == "POST") {
      req.setContentType("application/json");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse res;
    std::istream& in = session.receiveResponse(res);
    Poco::StreamCopier::copyToString(in, out.body);
    out.status = res.getStatus();
    out.content_type = res.getContentType();
    for (const auto& [k, v] : res) out.headers[k] = v;
  } catch (const Poco::Exception& e) {
    ADD_FAILURE() << method << " " << path << ": " << e.displayText();
  }
  return out;
}

void ServerTest::SetUp() {
  dir_ =
      fs::temp_directory_path() / ("sendsync-server-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(dir_);
  fs::create_directories(dir_ / "web");
  std::ofstream(dir_ / "web" / "index.html")
      << "<!doctype html><title>sendsync</title><script src=\"ui/app.js\"></script>\n";
  std::ofstream(dir_ / "web" / "app.js") << "console.log('dashboard');\n";
  std::ofstream(dir_ / "secret.txt") << "outside the web root\n";
  store_url_ = "sqlite:" + (dir_ / "store.db").string();
  if (postgres_) {
    if (testing_support::PostgresSkipped()) GTEST_SKIP() << "SENDSYNC_SKIP_POSTGRES=1";
    store_url_ = testing_support::FreshPostgresUrl();
    ASSERT_FALSE(store_url_.empty()) << "the test PostgreSQL server did not start";
  }
  auto s = store::Store::Open(store_url_, store::OpenMode::kCreate);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  store_ = std::move(*s);
}

void ServerTest::TearDown() {
  Stop();
  store_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

server::ServiceOptions ServerTest::Options(bool scheduler) {
  server::ServiceOptions o;
  o.store_url = store_url_;
  o.plugin_dir = SERVER_PLUGIN_DIR;
  o.listen = "127.0.0.1:0";
  o.web_root = (dir_ / "web").string();
  o.http_threads = 8;
  o.engine.runtime.mode = plugins::Mode::kInProcess;
  o.engine.plugin_dir = SERVER_PLUGIN_DIR;
  o.engine.backoff_base_ms = 0;
  o.engine.backoff_max_ms = 0;
  o.scheduler.enabled = scheduler;
  o.scheduler.tick = std::chrono::milliseconds(50);
  return o;
}

void ServerTest::Start(const server::ServiceOptions& options) {
  auto s = server::Service::Start(options);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  svc_ = std::move(*s);
}

void ServerTest::Stop() {
  if (svc_) svc_->Stop();
  svc_.reset();
}

void ServerTest::WritePupils(const std::string& folder, int from, int count,
                             const std::string& urn) {
  fs::create_directories(dir_ / folder);
  std::ofstream f(dir_ / folder / "pupil.jsonl", std::ios::app);
  for (int n = from; n < from + count; ++n)
    f << json{{"kind", "pupil"},
              {"id", "p" + std::to_string(n)},
              {"upn", Upn(n)},
              {"legal_surname", "Smith"},
              {"legal_forename", "Sam"},
              {"dob", "2014-03-02"},
              {"sex", "F"},
              {"nc_year", "6"},
              {"school_urn", urn}}
             .dump()
      << "\n";
}

int64_t ServerTest::AddLink(const std::string& name, const std::string& folder,
                            const std::string& urn, const std::string& schedule,
                            const std::string& adapter, json extra) {
  fs::create_directories(dir_ / folder);
  sync::LinkSpec spec;
  spec.name = name;
  spec.school_urn = urn;
  spec.adapter_id = adapter;
  spec.schedule = schedule;
  spec.config = {{"folder", (dir_ / folder).string()}};
  spec.config.update(extra);
  spec.settings = {{"kinds", {{"pupil", {{"direction", "read"}, {"allow", {"*"}}}}}}};
  plugins::RuntimeOptions rt;
  rt.mode = plugins::Mode::kInProcess;
  auto id = sync::AddLink(*store_, spec, rt, SERVER_PLUGIN_DIR, "test");
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : 0;
}

std::string ServerTest::Token(server::Role role, const std::string& school) {
  auto t = server::CreateToken(
      *store_, std::string(server::RoleName(role)) + "-" + std::to_string(++tokens_made_), role,
      school, "test");
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : "";
}

std::unique_ptr<store::Conn> ServerTest::Conn() {
  auto c = store_->Connect();
  EXPECT_TRUE(c.ok());
  return c.ok() ? std::move(*c) : nullptr;
}

bool ServerTest::WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

}  // namespace sendsync::server_test
