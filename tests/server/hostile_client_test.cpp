// Clients that do not play fair: connections that send nothing or trickle their headers, too many
// connections from one address or in all, a POST with no length, NUL bytes in paths, a filter
// given as a LIKE pattern, a school-limited token asking about another school's pupil, and 405
// answers that must say what the path takes. Counts here are a few hundred; bench/api
// (sendsync-bench-slowloris) holds 2,000 connections for a minute and measures the latencies.
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <chrono>
#include <thread>
#include <vector>

#include "core/hub/hub.h"
#include "core/server/http_front.h"
#include "server_fixture.h"

namespace sendsync::server_test {
namespace {

using Clock = std::chrono::steady_clock;

// A TCP connection to the server from `source` (any 127.0.0.0/8 address is this host's).
Poco::Net::StreamSocket Connect(uint16_t port, const std::string& source = "127.0.0.1") {
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress::IPv4);
  s.impl()->bind(Poco::Net::SocketAddress(source, 0), false);
  s.connect(Poco::Net::SocketAddress("127.0.0.1", port), Poco::Timespan(5, 0));
  return s;
}

// Reads until the server closes the connection or `limit` passes; what it sent, and whether it
// closed.
std::pair<std::string, bool> ReadUntilClosed(Poco::Net::StreamSocket& s,
                                             std::chrono::milliseconds limit) {
  std::string got;
  const auto until = Clock::now() + limit;
  char buf[4096];
  while (Clock::now() < until) {
    try {
      s.setReceiveTimeout(Poco::Timespan(0, 100 * 1000));
      const int n = s.receiveBytes(buf, sizeof buf);
      if (n <= 0) return {got, true};
      got.append(buf, static_cast<size_t>(n));
    } catch (const Poco::TimeoutException&) {
    } catch (const Poco::Exception&) {
      return {got, true};  // reset
    }
  }
  return {got, false};
}

// Sends `request` and reads one answer's head and Content-Length body; "" when none came within
// `limit`.
std::string Exchange(Poco::Net::StreamSocket& s, const std::string& request,
                     std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  s.sendBytes(request.data(), static_cast<int>(request.size()));
  std::string got;
  const auto until = Clock::now() + limit;
  char buf[4096];
  while (Clock::now() < until) {
    const size_t end = got.find("\r\n\r\n");
    if (end != std::string::npos) {
      const size_t cl = got.find("Content-Length: ");
      const size_t length =
          cl == std::string::npos || cl > end ? 0 : std::stoul(got.substr(cl + 16));
      if (got.size() >= end + 4 + length) return got.substr(0, end + 4 + length);
    }
    try {
      s.setReceiveTimeout(Poco::Timespan(0, 100 * 1000));
      const int n = s.receiveBytes(buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    } catch (const Poco::TimeoutException&) {
    } catch (const Poco::Exception&) {
      break;
    }
  }
  return "";
}

int StatusOf(const std::string& answer) {
  return answer.size() > 12 && answer.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(answer.substr(9, 3))
                                                                 : 0;
}

// One request on a fresh connection with a short timeout; 0 when no answer came.
int Probe(uint16_t port, const std::string& path, const std::string& token = "") {
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest req("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!token.empty()) req.set("Authorization", "Bearer " + token);
    session.sendRequest(req);
    Poco::Net::HTTPResponse res;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(res), body);
    return res.getStatus();
  } catch (const Poco::Exception&) {
    return 0;
  }
}

TEST(ConnectionCount, CapsEachAddressAndTheTotalAndGivesPlacesBack) {
  using Admit = server::ConnectionCount::Admit;
  server::ConnectionCount count(3, 2);
  EXPECT_EQ(count.TryAdd("10.0.0.1"), Admit::kYes);
  EXPECT_EQ(count.TryAdd("10.0.0.1"), Admit::kYes);
  EXPECT_EQ(count.TryAdd("10.0.0.1"), Admit::kAddressFull);
  EXPECT_EQ(count.TryAdd("10.0.0.2"), Admit::kYes);
  EXPECT_EQ(count.TryAdd("10.0.0.3"), Admit::kTotalFull);
  EXPECT_EQ(count.total(), 3);
  count.Remove("10.0.0.1");
  EXPECT_EQ(count.TryAdd("10.0.0.3"), Admit::kYes);
  EXPECT_EQ(count.TryAdd("10.0.0.1"), Admit::kTotalFull);
}

class HostileClientTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    WritePupils("mis", 1, 3);
    AddLink("mis", "mis");
  }
};

TEST_F(HostileClientTest, IdleAndTricklingConnectionsLeaveHealthzAndTheApiAnswering) {
  auto o = Options();
  o.http_threads = 4;
  o.max_connections = 2000;
  o.max_connections_per_address = 1000;
  Start(o);
  const std::string token = Token(server::Role::kAuditor);
  std::vector<Poco::Net::StreamSocket> held;
  for (int i = 0; i < 200; ++i) held.push_back(Connect(port()));  // send nothing
  for (int i = 0; i < 100; ++i) {
    held.push_back(Connect(port()));
    const std::string part = "GET /healthz HTTP/1.1\r\nHost: x\r\n";  // and never the rest
    held.back().sendBytes(part.data(), static_cast<int>(part.size()));
  }
  EXPECT_EQ(Probe(port(), "/healthz"), 200);
  EXPECT_EQ(Probe(port(), "/api/v1/whoami", token), 200);
  // A connection that has sent its whole request is answered however many others wait.
  auto s = Connect(port());
  EXPECT_EQ(StatusOf(Exchange(s, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")), 200);
}

TEST_F(HostileClientTest, ConnectionsOverThePerAddressCapAreRefused) {
  auto o = Options();
  o.max_connections_per_address = 4;
  Start(o);
  std::vector<Poco::Net::StreamSocket> held;
  for (int i = 0; i < 4; ++i) held.push_back(Connect(port()));
  auto fifth = Connect(port());
  auto [answer, closed] = ReadUntilClosed(fifth, std::chrono::seconds(5));
  EXPECT_TRUE(closed);
  EXPECT_EQ(StatusOf(answer), 503) << answer;
  EXPECT_NE(answer.find("max_connections_per_address"), std::string::npos) << answer;
  // Another address is not held back by this one's connections.
  auto other = Connect(port(), "127.0.0.2");
  EXPECT_EQ(StatusOf(Exchange(other, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")), 200);
  // A closed connection gives its place back.
  held.pop_back();
  EXPECT_TRUE(WaitFor([&] { return Probe(port(), "/healthz") == 200; }));
}

TEST_F(HostileClientTest, AFullServerDropsTheConnectionThatWaitedLongestForANewOne) {
  auto o = Options();
  o.max_connections = 16;
  o.max_connections_per_address = 64;  // the total is the cap that binds here
  Start(o);
  std::vector<Poco::Net::StreamSocket> held;
  for (int i = 0; i < 16; ++i) held.push_back(Connect(port()));
  EXPECT_EQ(Probe(port(), "/healthz"), 200);
  auto [answer, closed] = ReadUntilClosed(held.front(), std::chrono::seconds(5));
  EXPECT_TRUE(closed) << "the oldest idle connection should have made way";
}

TEST_F(HostileClientTest, AHeaderDeadlineDropsAClientThatTricklesItsHeaders) {
  auto o = Options();
  o.header_timeout_ms = 300;
  Start(o);
  auto s = Connect(port());
  const std::string line = "GET /healthz HTTP/1.1\r\n";
  s.sendBytes(line.data(), static_cast<int>(line.size()));
  // One header every 50 ms keeps a per-read timeout from ever firing; the deadline for the whole
  // head does. Bounded: 100 headers (5 s) at most.
  std::string answer;
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    try {
      s.sendBytes("X-Slow: 1\r\n", 11);
    } catch (const Poco::Exception&) {
      closed = true;  // reset after the server closed
    }
    auto [got, shut] = ReadUntilClosed(s, std::chrono::milliseconds(50));
    answer += got;
    closed = closed || shut;
  }
  EXPECT_TRUE(closed);
  if (!answer.empty()) {
    EXPECT_EQ(StatusOf(answer), 408) << answer;
  }
}

TEST_F(HostileClientTest, ABodyDeadlineDropsAClientThatNeverSendsItsBody) {
  auto o = Options();
  o.body_timeout_ms = 300;
  Start(o);
  auto s = Connect(port());
  const std::string head =
      "POST /api/v1/links/mis/disable HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{}";
  s.sendBytes(head.data(), static_cast<int>(head.size()));
  auto [answer, closed] = ReadUntilClosed(s, std::chrono::seconds(5));
  EXPECT_TRUE(closed);
  EXPECT_EQ(StatusOf(answer), 408) << answer;
}

TEST_F(HostileClientTest, OverTlsSilentAndHalfHandshakenConnectionsLeaveHealthzAnswering) {
  auto o = Options();
  o.tls_cert = TEST_CERT;
  o.tls_key = TEST_KEY;
  o.http_threads = 4;
  Start(o);
  std::vector<Poco::Net::StreamSocket> held;
  for (int i = 0; i < 30; ++i) held.push_back(Connect(port()));  // no ClientHello at all
  for (int i = 0; i < 30; ++i) {
    held.push_back(Connect(port()));
    // The start of a TLS handshake record that says 512 bytes follow; only 4 do.
    const unsigned char part[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc};
    held.back().sendBytes(part, sizeof part);
  }
  Poco::Net::initializeSSL();
  Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
      Poco::Net::Context::TLS_CLIENT_USE, "", "", TEST_CERT, Poco::Net::Context::VERIFY_RELAXED);
  for (int i = 0; i < 3; ++i) {  // and a keep-alive connection's later requests too
    Poco::Net::HTTPSClientSession session("127.0.0.1", port(), ctx);
    session.setTimeout(Poco::Timespan(5, 0));
    for (int j = 0; j < 2; ++j) {
      Poco::Net::HTTPRequest req("GET", "/healthz", Poco::Net::HTTPMessage::HTTP_1_1);
      session.sendRequest(req);
      Poco::Net::HTTPResponse res;
      std::string body;
      Poco::StreamCopier::copyToString(session.receiveResponse(res), body);
      EXPECT_EQ(res.getStatus(), 200);
    }
  }
}

TEST_F(HostileClientTest, APostWithNoBodyAndNoContentLengthIsAnsweredAtOnce) {
  Start();
  const std::string token = Token(server::Role::kAdmin);
  auto s = Connect(port());
  const std::string answer = Exchange(s,
                                      "POST /api/v1/links/mis/disable HTTP/1.1\r\nHost: x\r\n"
                                      "Authorization: Bearer " +
                                          token + "\r\n\r\n");
  EXPECT_EQ(StatusOf(answer), 200) << answer;
}

TEST_F(HostileClientTest, RequestsSentTogetherOnOneConnectionAreAnsweredInOrder) {
  Start();
  auto s = Connect(port());
  const std::string two =
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/nothing HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string first = Exchange(s, two);
  EXPECT_EQ(StatusOf(first), 200) << first;
  EXPECT_EQ(StatusOf(Exchange(s, "")), 404);
  // Bare LF line ends (a hand-typed request) end the head too.
  EXPECT_EQ(StatusOf(Exchange(s, "GET /healthz HTTP/1.1\nHost: x\n\n")), 200);
}

TEST_F(HostileClientTest, AChunkedBodyIsRefusedWithLengthRequired) {
  Start();
  auto s = Connect(port());
  const std::string answer =
      Exchange(s,
               "POST /api/v1/links HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
               "chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
  EXPECT_EQ(StatusOf(answer), 411) << answer;
}

TEST_F(HostileClientTest, ANulAnywhereInAPathIsRefusedWith400) {
  Start();
  const std::string token = Token(server::Role::kAdmin);
  EXPECT_EQ(Get("/ui/app.js%00.html", "").status, 400);
  EXPECT_EQ(Get("/healthz%00", "").status, 400);
  EXPECT_EQ(Get("/api/v1/links/mis%00", token).status, 400);
  EXPECT_EQ(Get("/api/v1/links/mis%2500", token).status, 400);  // decoded twice on its way
  EXPECT_EQ(Get("/ui/app.js", "").status, 200);                 // the control
}

TEST_F(HostileClientTest, MethodNotAllowedSaysWhichMethodsThePathTakes) {
  Start();
  const std::string token = Token(server::Role::kAdmin);
  struct Case {
    const char *method, *path, *allow;
  };
  for (const Case& c :
       {Case{"POST", "/api/v1/runs", "GET"}, Case{"GET", "/api/v1/links/mis/run", "POST"},
        Case{"DELETE", "/api/v1/links", "GET, POST"}, Case{"POST", "/ui/app.js", "GET, HEAD"},
        Case{"POST", "/healthz", "GET"}, Case{"PUT", "/metrics", "GET"}}) {
    Response r = Http(port(), c.method, c.path, token);
    EXPECT_EQ(r.status, 405) << c.method << " " << c.path;
    EXPECT_EQ(r.headers["Allow"], c.allow) << c.method << " " << c.path;
  }
}

TEST_F(HostileClientTest, TheRunsLinkFilterMatchesTheNameExactlyNotAsAPattern) {
  const int64_t old_link = AddLink("old", "old");
  {
    auto c = Conn();
    ASSERT_TRUE(store::RemoveLink(*c, old_link).ok());
  }
  Start();
  const std::string token = Token(server::Role::kAdmin);
  EXPECT_EQ(Get("/api/v1/runs?link=old", token).status, 200);  // a removed link's runs, by name
  EXPECT_EQ(Get("/api/v1/runs?link=mis", token).status, 200);
  for (const char* pattern : {"%25", "_", "o_d", "ol%25", "MIS", "OLD"})
    EXPECT_EQ(Get(std::string("/api/v1/runs?link=") + pattern, token).status, 404) << pattern;
}

TEST_F(HostileClientTest, ASchoolLimitedTokenCannotTellAnotherSchoolsPupilFromAnUnknownUpn) {
  Start();
  auto run = svc_->scheduler().RunNow("mis", sync::RunMode::kSync);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  const std::string admin = Token(server::Role::kAdmin);
  const std::string senco = Token(server::Role::kSenco, "200000");
  EXPECT_EQ(Get("/api/v1/pupils/" + Upn(2), admin).status, 200);  // and now in the summary cache
  for (const std::string suffix : {"", "/readiness"}) {
    Response elsewhere = Get("/api/v1/pupils/" + Upn(2) + suffix, senco);
    Response nowhere = Get("/api/v1/pupils/" + Upn(77) + suffix, senco);
    EXPECT_EQ(elsewhere.status, 404) << suffix;
    EXPECT_EQ(elsewhere.body, nowhere.body) << suffix;
  }
  Response elsewhere = Post("/api/v1/pupils/" + Upn(2) + "/referral/submit", senco, "{}");
  Response nowhere = Post("/api/v1/pupils/" + Upn(77) + "/referral/submit", senco, "{}");
  EXPECT_EQ(elsewhere.status, 404);
  EXPECT_EQ(elsewhere.body, nowhere.body);
}

TEST_F(HostileClientTest, ASchoolLimitedTokenCannotMatchARecordToAnotherSchoolsPupil) {
  WritePupils("other", 50, 1, "200000");
  const int64_t other = AddLink("other", "other", "200000");
  Start();
  ASSERT_TRUE(svc_->scheduler().RunNow("mis", sync::RunMode::kSync).ok());
  auto c = Conn();
  auto pupil = store::PupilsByUpn(*c, {Upn(2)});
  ASSERT_TRUE(pupil.ok() && pupil->size() == 1);
  std::vector<store::MatchItem> m(1);
  m[0].link_id = other;
  m[0].kind = "pupil";
  m[0].external_id = "p60";
  m[0].upn = Upn(60);
  m[0].raw =
      json{{"kind", "pupil"}, {"id", "p60"}, {"upn", Upn(60)}, {"school_urn", "200000"}}.dump();
  m[0].candidates = json::array();
  m[0].reason = "same name and date of birth, different UPN";
  ASSERT_TRUE(store::InsertMatches(*c, m).ok());
  const std::string operator_token = Token(server::Role::kOperator, "200000");
  const std::string path = "/api/v1/matches/" + std::to_string(m[0].id) + "/resolve";
  Response elsewhere = Post(path, operator_token, json{{"to", hub::HubId((*pupil)[0].id)}}.dump());
  Response nowhere = Post(path, operator_token, json{{"to", hub::HubId(999999)}}.dump());
  EXPECT_EQ(elsewhere.status, 400) << elsewhere.body;
  EXPECT_EQ(nowhere.status, 400) << nowhere.body;
  // The same words, but for the id itself ("'h12' is not a pupil in the hub").
  auto words = [](const Response& r) {
    const std::string d = r.Json().value("detail", "");
    return d.empty() ? d : d.substr(d.find('\'', 1) + 1);
  };
  EXPECT_FALSE(words(nowhere).empty());
  EXPECT_EQ(words(elsewhere), words(nowhere));
  auto after = store::GetMatch(*c, m[0].id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, sendsync::store::ReviewStatus::kOpen);
}

}  // namespace
}  // namespace sendsync::server_test
