#include "core/server/http_front.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <sstream>
#include <thread>
#include <unordered_map>

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/PollSet.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>
#include <nlohmann/json.hpp>

#include "base/log/log.h"

namespace sendsync::server {

ConnectionCount::Admit ConnectionCount::TryAdd(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = per_address_.find(address);
  if (it != per_address_.end() && it->second >= max_per_address_) return Admit::kAddressFull;
  if (total_ >= max_total_) return Admit::kTotalFull;
  ++per_address_[address];
  ++total_;
  return Admit::kYes;
}

void ConnectionCount::Remove(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = per_address_.find(address);
  if (it == per_address_.end()) return;
  if (--it->second == 0) per_address_.erase(it);
  --total_;
}

int ConnectionCount::total() {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

uint64_t RaiseFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur == RLIM_INFINITY ? uint64_t{1} << 20 : static_cast<uint64_t>(rl.rlim_cur);
}

namespace {

using Clock = std::chrono::steady_clock;
using Poco::Net::PollSet;

// Descriptors kept free for the store, plugin workers, logs and the wake-up socket.
constexpr uint64_t kSpareFiles = 256;
// How long a worker that has answered waits for the same connection's next request.
constexpr long kLingerUs = 2000;

enum class Phase {
  kIdle,  // kept alive, waiting for the next request's first byte
  kHead,  // reading the request line and headers
  kBody,  // reading a body of known length
};

// One client connection. The reader thread owns it while it waits for bytes; a worker owns it
// while its request is answered. Destroying it closes the socket and gives back its count.
struct Conn {
  Conn(Poco::Net::StreamSocket s, std::string addr, ConnectionCount& c)
      : socket(std::move(s)), client(std::move(addr)), count(c) {}
  ~Conn() {
    try {
      socket.close();
    } catch (const Poco::Exception&) {
    }
    count.Remove(client);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  Poco::Net::StreamSocket socket;
  const std::string client;
  ConnectionCount& count;
  std::string in;  // bytes received and not yet taken into a request
  Phase phase = Phase::kHead;
  Clock::time_point deadline, since;  // since: when it began waiting (the oldest is evicted)
  std::unique_ptr<FrontRequest> request;
  size_t body_length = 0;
  int served = 0;
  bool peer_closed = false;  // the client shut its side after sending: answer, then close
};

std::string Serialize(const FrontAnswer& a, bool keep_alive, bool head_only) {
  Poco::Net::HTTPResponse res;
  res.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
  res.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(a.status));
  for (const auto& [k, v] : a.headers) res.set(k, v);
  if (!a.content_type.empty()) res.setContentType(a.content_type);
  res.setContentLength64(static_cast<Poco::Int64>(a.body.size()));
  res.setKeepAlive(keep_alive);
  res.setDate(Poco::Timestamp());
  std::ostringstream os;
  res.write(os);
  std::string out = os.str();
  if (!head_only) out += a.body;
  return out;
}

// Writes what the kernel takes now without waiting (answers from the reader thread are small).
void SendNow(Poco::Net::StreamSocket& s, const std::string& bytes) {
  try {
    s.setBlocking(false);
    size_t off = 0;
    while (off < bytes.size()) {
      const int n = s.sendBytes(bytes.data() + off, static_cast<int>(bytes.size() - off));
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  } catch (const Poco::Exception&) {
  }
}

// Reads what the socket holds now (a TLS socket may hold decrypted bytes a poll cannot see), up to
// what the connection's phase can use; level-triggered polling brings the rest later. False when
// the connection failed.
bool ReadSome(Conn& c, const FrontLimits& limits, bool& eof) {
  const size_t want =
      c.phase == Phase::kBody ? c.body_length : static_cast<size_t>(limits.max_head_bytes) + 4;
  eof = false;
  try {
    char buf[16384];
    while (c.in.size() < want) {
      const int n = c.socket.receiveBytes(buf, sizeof buf);
      if (n == 0) {
        eof = true;
        break;
      }
      if (n < 0) break;  // would block (a TLS handshake waits the same way)
      c.in.append(buf, static_cast<size_t>(n));
    }
  } catch (const Poco::TimeoutException&) {
    // Poco 1.11's TLS socket keeps a blocking inner socket: with only part of a TLS record here
    // it polls that for no time and throws. Nothing is lost; the rest comes with a later poll.
  } catch (const Poco::Exception&) {
    return false;
  }
  return true;
}

// What the bytes a connection holds make: a complete request (moved into c.request), a refusal,
// or nothing yet. Moves the connection through its phases and sets their deadlines.
struct Parsed {
  bool ready = false;
  int status = 0;  // a refusal: the connection is answered and closed
  std::string detail;
};

Parsed Refusal(int status, std::string detail) {
  Parsed p;
  p.status = status;
  p.detail = std::move(detail);
  return p;
}

Parsed Parse(Conn& c, const FrontLimits& limits) {
  const auto now = Clock::now();
  if (c.phase == Phase::kIdle) {
    const size_t start = c.in.find_first_not_of("\r\n");  // blank lines before a request
    c.in.erase(0, start == std::string::npos ? c.in.size() : start);
    if (c.in.empty()) return {};
    c.phase = Phase::kHead;
    c.since = now;
    c.deadline = now + std::chrono::milliseconds(limits.header_timeout_ms);
  }
  if (c.phase == Phase::kHead) {
    // The blank line that ends the head; bare LFs are taken as Poco's parser takes them.
    const size_t crlf = c.in.find("\r\n\r\n"), lf = c.in.find("\n\n");
    const size_t end = std::min(crlf == std::string::npos ? crlf : crlf + 4,
                                lf == std::string::npos ? lf : lf + 2);
    const size_t max = static_cast<size_t>(limits.max_head_bytes);
    if (end == std::string::npos ? c.in.size() > max : end > max)
      return Refusal(
          431, "the request line and headers are larger than " + std::to_string(max) + " bytes");
    if (end == std::string::npos) return {};
    auto req = std::make_unique<FrontRequest>();
    try {
      std::istringstream head(c.in.substr(0, end));
      req->head.read(head);
    } catch (const Poco::Exception& e) {
      return Refusal(400, "the request is not valid HTTP/1.1: " + e.message());
    }
    c.in.erase(0, end);
    const std::string& version = req->head.getVersion();
    if (version != "HTTP/1.1" && version != "HTTP/1.0")
      return Refusal(400, "the request is not HTTP/1.1 or HTTP/1.0");
    if (req->head.has("Transfer-Encoding"))
      return Refusal(411, "send the body with a Content-Length; chunked bodies are not taken");
    int64_t length = 0;
    if (req->head.hasContentLength()) {
      try {
        length = req->head.getContentLength64();
      } catch (const Poco::Exception&) {
        length = -1;
      }
      if (length < 0) return Refusal(400, "the Content-Length is not a whole number");
    }
    if (length > limits.max_body_bytes)
      return Refusal(413, "the request body is larger than " +
                              std::to_string(limits.max_body_bytes) + " bytes");
    // No Content-Length and no Transfer-Encoding: the request has no body (RFC 9112 6.3).
    if (length > 0 && Poco::icompare(req->head.get("Expect", ""), std::string("100-continue")) == 0)
      SendNow(c.socket, "HTTP/1.1 100 Continue\r\n\r\n");
    c.request = std::move(req);
    c.body_length = static_cast<size_t>(length);
    c.phase = Phase::kBody;
    c.deadline = now + std::chrono::milliseconds(limits.body_timeout_ms);
  }
  if (c.in.size() < c.body_length) return {};
  c.request->body = c.in.substr(0, c.body_length);
  c.in.erase(0, c.body_length);
  c.request->client = c.client;
  Parsed p;
  p.ready = true;
  return p;
}

}  // namespace

struct HttpFront::Impl {
  Impl(const FrontLimits& l, FrontHandlers h)
      : limits(l),
        handlers(std::move(h)),
        count(l.max_connections, l.max_connections_per_address) {}

  FrontLimits limits;
  const FrontHandlers handlers;
  ConnectionCount count;
  Poco::Net::ServerSocket listener;
  Poco::Net::DatagramSocket wake;  // connected to itself: a worker's byte wakes the reader
  PollSet poll;
  std::unordered_map<poco_socket_t, std::unique_ptr<Conn>> waiting;  // the reader thread's only
  std::atomic<bool> stop{false};
  bool started = false;
  std::thread reader;
  std::vector<std::thread> workers;

  // Complete requests for the workers: `urgent` (/healthz, calls with credentials) is served by
  // every worker first and by the reserved ones only.
  std::mutex mu;
  std::condition_variable cv_any, cv_urgent;
  std::deque<std::unique_ptr<Conn>> urgent, normal;
  bool draining = false;
  int idle_any = 0, idle_reserved = 0;  // workers waiting for a request, of each kind

  // Connections answered and kept alive, on their way back to the reader.
  std::mutex back_mu;
  std::vector<std::unique_ptr<Conn>> back;

  void ReaderLoop();
  void Accept();
  void Refuse(Poco::Net::StreamSocket& s, int status, const std::string& detail);
  bool EvictOldest();
  void Arrive(poco_socket_t fd);
  enum class Step { kWait, kGone };
  Step Advance(poco_socket_t fd, Conn& c);
  Step Drop(poco_socket_t fd, int status, const std::string& detail);
  Step Hand(poco_socket_t fd);
  void TakeBack();
  void Sweep(Clock::time_point now);
  void WorkerLoop(bool reserved);
  void Serve(std::unique_ptr<Conn> c);
  enum class Next { kServe, kBack, kClose };
  Next Linger(Conn& c);
  void GiveBack(std::unique_ptr<Conn> c);
  void Wake();

  std::chrono::milliseconds Ms(int v) const { return std::chrono::milliseconds(v); }
};

void HttpFront::Impl::Wake() {
  try {
    wake.sendBytes("w", 1);
  } catch (const Poco::Exception&) {
    // a full buffer means wake-ups are already pending
  }
}

void HttpFront::Impl::ReaderLoop() {
  Clock::time_point next_sweep = Clock::now();
  char drain[256];
  while (!stop.load()) {
    PollSet::SocketModeMap ready;
    try {
      ready = poll.poll(Poco::Timespan(0, 50 * 1000));
    } catch (const Poco::Exception& e) {
      log::Write(log::Level::kWarn, "http.poll_failed", nlohmann::json{{"error", e.displayText()}});
    }
    for (const auto& [socket, mode] : ready) {
      if (socket == listener) {
        Accept();
      } else if (socket == wake) {
        try {
          while (wake.receiveBytes(drain, sizeof drain) > 0) {
          }
        } catch (const Poco::Exception&) {
        }
        TakeBack();
      } else {
        Arrive(socket.impl()->sockfd());
      }
    }
    const auto now = Clock::now();
    if (now >= next_sweep) {
      Sweep(now);
      next_sweep = now + std::chrono::milliseconds(50);
    }
  }
  for (auto& [fd, c] : waiting) poll.remove(c->socket);
  waiting.clear();
  try {
    poll.remove(listener);
    listener.close();
  } catch (const Poco::Exception&) {
  }
}

void HttpFront::Impl::Refuse(Poco::Net::StreamSocket& s, int status, const std::string& detail) {
  FrontAnswer a = handlers.problem(status, detail);
  if (status == 503) a.headers.emplace_back("Retry-After", "1");
  SendNow(s, Serialize(a, false, false));
  try {
    s.shutdownSend();
  } catch (const Poco::Exception&) {
  }
}

void HttpFront::Impl::Accept() {
  for (int i = 0; i < 64; ++i) {
    Poco::Net::StreamSocket s;
    Poco::Net::SocketAddress peer;
    try {
      s = listener.acceptConnection(peer);
    } catch (const Poco::Exception&) {
      return;  // nothing more to accept now
    }
    const std::string address = peer.host().toString();
    auto admit = count.TryAdd(address);
    if (admit == ConnectionCount::Admit::kTotalFull && EvictOldest()) admit = count.TryAdd(address);
    if (admit != ConnectionCount::Admit::kYes) {
      Refuse(s, 503,
             admit == ConnectionCount::Admit::kAddressFull
                 ? "too many connections from this address (max_connections_per_address)"
                 : "too many connections (max_connections)");
      continue;
    }
    auto c = std::make_unique<Conn>(s, address, count);
    try {
      c->socket.setBlocking(false);
      c->socket.setNoDelay(true);
    } catch (const Poco::Exception&) {
      continue;
    }
    c->phase = Phase::kHead;
    c->since = Clock::now();
    c->deadline = c->since + Ms(limits.header_timeout_ms);
    const poco_socket_t fd = c->socket.impl()->sockfd();
    poll.add(c->socket, PollSet::POLL_READ);
    waiting[fd] = std::move(c);
  }
}

bool HttpFront::Impl::EvictOldest() {
  auto oldest = waiting.end();
  for (auto it = waiting.begin(); it != waiting.end(); ++it)
    if (oldest == waiting.end() || it->second->since < oldest->second->since) oldest = it;
  if (oldest == waiting.end()) return false;
  poll.remove(oldest->second->socket);
  waiting.erase(oldest);
  return true;
}

void HttpFront::Impl::Arrive(poco_socket_t fd) {
  auto it = waiting.find(fd);
  if (it == waiting.end()) return;
  Conn& c = *it->second;
  bool eof = false;
  if (!ReadSome(c, limits, eof)) {
    poll.remove(c.socket);
    waiting.erase(it);
    return;
  }
  c.peer_closed = eof;
  if (Advance(fd, c) == Step::kWait && eof) {
    poll.remove(c.socket);
    waiting.erase(fd);
  }
}

HttpFront::Impl::Step HttpFront::Impl::Drop(poco_socket_t fd, int status,
                                            const std::string& detail) {
  auto it = waiting.find(fd);
  if (it == waiting.end()) return Step::kGone;
  poll.remove(it->second->socket);
  if (status) Refuse(it->second->socket, status, detail);
  waiting.erase(it);
  return Step::kGone;
}

HttpFront::Impl::Step HttpFront::Impl::Advance(poco_socket_t fd, Conn& c) {
  const Parsed p = Parse(c, limits);
  if (p.status) return Drop(fd, p.status, p.detail);
  return p.ready ? Hand(fd) : Step::kWait;
}

HttpFront::Impl::Step HttpFront::Impl::Hand(poco_socket_t fd) {
  auto it = waiting.find(fd);
  const Poco::Net::HTTPRequest& head = it->second->request->head;
  const std::string& uri = head.getURI();
  const bool is_urgent =
      uri.compare(0, uri.find('?'), "/healthz") == 0 || head.has("Authorization");
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!is_urgent && normal.size() >= static_cast<size_t>(4 * limits.workers)) {
      // fall through to the refusal below, outside the lock
    } else {
      poll.remove(it->second->socket);
      (is_urgent ? urgent : normal).push_back(std::move(it->second));
      waiting.erase(it);
      // One thread woken per request: a reserved worker only when no other is free.
      if (is_urgent && idle_any == 0)
        cv_urgent.notify_one();
      else
        cv_any.notify_one();
      return Step::kGone;
    }
  }
  return Drop(fd, 503, "the server is busy; try again");
}

void HttpFront::Impl::TakeBack() {
  std::vector<std::unique_ptr<Conn>> got;
  {
    std::lock_guard<std::mutex> lock(back_mu);
    got.swap(back);
  }
  for (auto& c : got) {
    const poco_socket_t fd = c->socket.impl()->sockfd();
    Conn& conn = *c;
    waiting[fd] = std::move(c);
    poll.add(conn.socket, PollSet::POLL_READ);
    if (!conn.in.empty()) {
      if (Advance(fd, conn) == Step::kGone) continue;
    }
    if (conn.socket.secure()) Arrive(fd);  // bytes OpenSSL already decrypted
  }
}

void HttpFront::Impl::Sweep(Clock::time_point now) {
  std::vector<std::pair<poco_socket_t, Phase>> late;
  for (const auto& [fd, c] : waiting)
    if (c->deadline <= now) late.emplace_back(fd, c->phase);
  for (const auto& [fd, phase] : late) {
    if (phase == Phase::kIdle)
      Drop(fd, 0, "");
    else
      Drop(fd, 408,
           phase == Phase::kHead ? "the request's headers did not arrive within " +
                                       std::to_string(limits.header_timeout_ms) + " ms"
                                 : "the request's body did not arrive within " +
                                       std::to_string(limits.body_timeout_ms) + " ms");
  }
}

void HttpFront::Impl::WorkerLoop(bool reserved) {
  for (;;) {
    std::unique_ptr<Conn> c;
    {
      std::unique_lock<std::mutex> lock(mu);
      auto ready = [&] { return draining || !urgent.empty() || (!reserved && !normal.empty()); };
      if (!ready()) {
        int& idle = reserved ? idle_reserved : idle_any;
        ++idle;
        (reserved ? cv_urgent : cv_any).wait(lock, ready);
        --idle;
      }
      if (!urgent.empty()) {
        c = std::move(urgent.front());
        urgent.pop_front();
      } else if (!reserved && !normal.empty()) {
        c = std::move(normal.front());
        normal.pop_front();
      } else {
        return;  // draining and nothing left
      }
    }
    Serve(std::move(c));
  }
}

void HttpFront::Impl::Serve(std::unique_ptr<Conn> c) {
  for (;;) {
    const FrontRequest& r = *c->request;
    FrontAnswer a;
    try {
      a = handlers.handle(r);
    } catch (const std::exception&) {
      a = handlers.problem(500, "internal error; see the service log");
    }
    bool keep = !a.close && r.head.getKeepAlive() && !c->peer_closed &&
                ++c->served < limits.max_requests_per_connection && !stop.load();
    const std::string out = Serialize(a, keep, r.head.getMethod() == "HEAD");
    try {
      c->socket.setBlocking(true);
      c->socket.setSendTimeout(
          Poco::Timespan(Poco::Timespan::TimeDiff(limits.send_timeout_ms) * 1000));
      size_t off = 0;
      while (off < out.size()) {
        const int n = c->socket.sendBytes(out.data() + off, static_cast<int>(out.size() - off));
        if (n <= 0) throw Poco::Net::NetException("short write");
        off += static_cast<size_t>(n);
      }
      if (keep) c->socket.setBlocking(false);
    } catch (const Poco::Exception&) {
      keep = false;
    }
    if (!keep) return;  // closed as `c` goes
    c->request.reset();
    c->body_length = 0;
    c->phase = Phase::kIdle;
    c->since = Clock::now();
    c->deadline = c->since + Ms(limits.keepalive_timeout_ms);
    switch (Linger(*c)) {
      case Next::kServe:
        continue;
      case Next::kClose:
        return;
      case Next::kBack:
        GiveBack(std::move(c));
        return;
    }
  }
}

HttpFront::Impl::Next HttpFront::Impl::Linger(Conn& c) {
  // A busy client sends its next request within a moment of the answer: while no other request
  // waits for a worker, this one takes it without the trip through the reader thread.
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!urgent.empty() || !normal.empty()) return Next::kBack;
  }
  try {
    if (!c.socket.poll(Poco::Timespan(0, kLingerUs), Poco::Net::Socket::SELECT_READ))
      return Next::kBack;
  } catch (const Poco::Exception&) {
    return Next::kClose;
  }
  bool eof = false;
  if (!ReadSome(c, limits, eof)) return Next::kClose;
  const Parsed p = Parse(c, limits);
  if (p.status) {
    Refuse(c.socket, p.status, p.detail);
    return Next::kClose;
  }
  c.peer_closed = eof;
  if (p.ready) return Next::kServe;
  return eof ? Next::kClose : Next::kBack;
}

void HttpFront::Impl::GiveBack(std::unique_ptr<Conn> c) {
  bool first;
  {
    std::lock_guard<std::mutex> lock(back_mu);
    first = back.empty();
    back.push_back(std::move(c));
  }
  if (first) Wake();
}

HttpFront::HttpFront(const FrontLimits& limits, FrontHandlers handlers) {
  FrontLimits l = limits;
  const uint64_t files = RaiseFileLimit();
  const uint64_t fit = files > 2 * kSpareFiles ? files - kSpareFiles : files / 2;
  if (static_cast<uint64_t>(l.max_connections) > fit) {
    log::Write(log::Level::kWarn, "http.max_connections_lowered",
               nlohmann::json{
                   {"configured", l.max_connections}, {"open_file_limit", files}, {"now", fit}});
    l.max_connections = static_cast<int>(fit);
  }
  l.workers = std::max(2, l.workers);
  impl_ = std::make_unique<Impl>(l, std::move(handlers));
}

HttpFront::~HttpFront() {
  Stop();
}

const FrontLimits& HttpFront::limits() const {
  return impl_->limits;
}

void HttpFront::Start(Poco::Net::ServerSocket socket) {
  Impl& I = *impl_;
  I.listener = socket;
  I.listener.setBlocking(false);
  I.wake = Poco::Net::DatagramSocket(Poco::Net::SocketAddress("127.0.0.1", 0), true);
  I.wake.connect(I.wake.address());
  I.wake.setBlocking(false);
  I.poll.add(I.listener, PollSet::POLL_READ);
  I.poll.add(I.wake, PollSet::POLL_READ);
  // One worker in eight (at least one) serves only /healthz and calls with credentials.
  const int reserved = std::max(1, I.limits.workers / 8);
  for (int i = 0; i < I.limits.workers; ++i)
    I.workers.emplace_back([&I, r = i < reserved] { I.WorkerLoop(r); });
  I.reader = std::thread([&I] { I.ReaderLoop(); });
  I.started = true;
}

void HttpFront::Stop() {
  Impl& I = *impl_;
  if (!I.started) return;
  I.started = false;
  I.stop = true;
  I.Wake();
  I.reader.join();
  {
    std::lock_guard<std::mutex> lock(I.mu);
    I.draining = true;
  }
  I.cv_any.notify_all();
  I.cv_urgent.notify_all();
  for (auto& t : I.workers) t.join();
  I.workers.clear();
  std::lock_guard<std::mutex> lock(I.back_mu);
  I.back.clear();
}

}  // namespace sendsync::server
