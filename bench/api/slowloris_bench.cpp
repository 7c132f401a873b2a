// The admin server under a slowloris attack: holds --connections connections to a running
// `sendsync serve` that each send part of a request's head and then one more header line every
// --trickle-ms (reconnecting whenever the server drops one), spread over --sources loopback
// addresses (127.0.0.2, 127.0.0.3, ...) so that the per-address cap does not simply refuse them.
// Meanwhile, from 127.0.0.1, it times GET /healthz and an authenticated GET /api/v1/whoami, each
// on a new connection, every --probe-ms. Prints the attack's held connections and the probes'
// p50/p99/max. Target: p99 <= 100 ms for both. Driven by slowloris_bench.sh.
//
//   sendsync-bench-slowloris-client --port P --token T [--connections 2000] [--sources 40]
//                                   [--duration 60] [--trickle-ms 5000] [--probe-ms 50]
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  int port = 0;
  std::string token;
  int connections = 2000;
  int sources = 40;
  int duration = 60;
  int trickle_ms = 5000;
  int probe_ms = 50;
};

Poco::Net::StreamSocket Open(int port, const std::string& source) {
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress::IPv4);
  s.impl()->bind(Poco::Net::SocketAddress(source, 0), false);
  s.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<uint16_t>(port)),
            Poco::Timespan(2, 0));
  return s;
}

struct Attacker {
  Poco::Net::StreamSocket socket;
  std::string source;
  bool open = false;
};

// Opens (or reopens) one attacking connection and sends the start of a request.
bool Begin(Attacker& a, int port, std::atomic<long>& opened) {
  try {
    a.socket = Open(port, a.source);
    const std::string start = "GET /api/v1/links HTTP/1.1\r\nHost: bench\r\n";
    a.socket.sendBytes(start.data(), static_cast<int>(start.size()));
    a.open = true;
    ++opened;
  } catch (const Poco::Exception&) {
    a.open = false;
  }
  return a.open;
}

// True when the server has closed the connection or answered it (a 408 or 503): either way it is
// no longer held.
bool Dropped(Attacker& a) {
  pollfd p{a.socket.impl()->sockfd(), POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

struct Timings {
  std::vector<double> ms;
  long failed = 0;
};

// One GET on a new connection; its latency in ms, or -1 when it failed or did not answer 200.
double TimeOne(int port, const std::string& path, const std::string& token) {
  const auto t0 = Clock::now();
  try {
    Poco::Net::StreamSocket s;
    s.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<uint16_t>(port)),
              Poco::Timespan(5, 0));
    s.setReceiveTimeout(Poco::Timespan(5, 0));
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
    req += "\r\n";
    s.sendBytes(req.data(), static_cast<int>(req.size()));
    std::string got;
    char buf[4096];
    for (int n; (n = s.receiveBytes(buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
    if (got.rfind("HTTP/1.1 200", 0) != 0) return -1;
  } catch (const Poco::Exception&) {
    return -1;
  }
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i =
      std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())));
  return v[i];
}

void Report(const char* name, const Timings& t) {
  std::printf("%-22s %6zu answered  %4ld failed   p50 %7.2f ms   p99 %7.2f ms   max %7.2f ms\n",
              name, t.ms.size(), t.failed, Percentile(t.ms, 50), Percentile(t.ms, 99),
              t.ms.empty() ? 0.0 : *std::max_element(t.ms.begin(), t.ms.end()));
}

int Usage() {
  std::fprintf(stderr,
               "usage: sendsync-bench-slowloris-client --port P --token T [--connections N] "
               "[--sources N] [--duration S] [--trickle-ms MS] [--probe-ms MS]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--port")
      a.port = std::atoi(v.c_str());
    else if (k == "--token")
      a.token = v;
    else if (k == "--connections")
      a.connections = std::atoi(v.c_str());
    else if (k == "--sources")
      a.sources = std::max(1, std::atoi(v.c_str()));
    else if (k == "--duration")
      a.duration = std::atoi(v.c_str());
    else if (k == "--trickle-ms")
      a.trickle_ms = std::atoi(v.c_str());
    else if (k == "--probe-ms")
      a.probe_ms = std::atoi(v.c_str());
    else
      return Usage();
  }
  if (a.port <= 0 || a.token.empty() || argc % 2 == 0) return Usage();

  std::vector<Attacker> attackers(static_cast<size_t>(a.connections));
  for (size_t i = 0; i < attackers.size(); ++i)
    attackers[i].source = "127.0.0." + std::to_string(2 + i % static_cast<size_t>(a.sources));
  std::atomic<long> opened{0};
  std::atomic<bool> done{false};
  for (auto& x : attackers) Begin(x, a.port, opened);
  long held_at_start = 0;
  for (const auto& x : attackers) held_at_start += x.open;
  std::printf(
      "attack: %ld of %d connections open from %d addresses; trickling a header every %d ms\n",
      held_at_start, a.connections, a.sources, a.trickle_ms);
  std::fflush(stdout);

  // The attack: every trickle interval each connection sends one more header line; a dropped one
  // is opened again at once.
  long min_held = held_at_start, samples = 0;
  double held_sum = 0;
  std::thread attack([&] {
    auto next = Clock::now();
    while (!done.load()) {
      long held = 0;
      for (auto& x : attackers) {
        if (x.open && Dropped(x)) x.open = false;
        if (!x.open && !Begin(x, a.port, opened)) continue;
        try {
          x.socket.sendBytes("X-Slow: 1\r\n", 11);
          ++held;
        } catch (const Poco::Exception&) {
          x.open = false;
        }
      }
      min_held = std::min(min_held, held);
      held_sum += static_cast<double>(held);
      ++samples;
      next += std::chrono::milliseconds(a.trickle_ms);
      while (!done.load() && Clock::now() < next)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });

  Timings healthz, api;
  const auto until = Clock::now() + std::chrono::seconds(a.duration);
  while (Clock::now() < until) {
    const double h = TimeOne(a.port, "/healthz", "");
    if (h < 0)
      ++healthz.failed;
    else
      healthz.ms.push_back(h);
    const double w = TimeOne(a.port, "/api/v1/whoami", a.token);
    if (w < 0)
      ++api.failed;
    else
      api.ms.push_back(w);
    std::this_thread::sleep_for(std::chrono::milliseconds(a.probe_ms));
  }
  done = true;
  attack.join();
  std::printf("attack: held %.0f connections on average (at least %ld), %ld opened in all\n",
              samples ? held_sum / static_cast<double>(samples) : 0.0, min_held, opened.load());
  Report("GET /healthz", healthz);
  Report("GET /api/v1/whoami", api);
  const bool met = healthz.failed == 0 && api.failed == 0 && Percentile(healthz.ms, 99) <= 100 &&
                   Percentile(api.ms, 99) <= 100;
  std::printf("p99 target (<= 100 ms, no failures): %s\n", met ? "met" : "NOT met");
  return met ? 0 : 1;
}
