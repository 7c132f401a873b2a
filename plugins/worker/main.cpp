// sendsync-adapter-host: loads one adapter library and serves it to the sendsync host over
// stdin/stdout (plugins/src/frames.h), so that whatever the adapter does — crash, hang, leak —
// happens in this process and not in the host.
//
//   sendsync-adapter-host --inspect FILE   print the table header and manifest as one JSON line
//   sendsync-adapter-host --serve FILE     serve open/call/quit frames until stdin closes
//
// The worker dies with its host: the host holds the only write end of the worker's stdin, so when
// the host dies (even by SIGKILL) the worker reads the pipe's end and exits at once, mid-call if
// need be. (PR_SET_PDEATHSIG is not used: it fires when the thread that spawned the worker ends,
// not the host process, and the host spawns workers from threads that come and go.)
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "../src/frames.h"
#include "../src/loader.h"

namespace {

using sendsync::Status;
using namespace sendsync::plugins::detail;

int g_proto_fd = -1;  // the real stdout, kept for frames; fd 1 is pointed at stderr
std::mutex g_write_mu;
std::atomic<bool> g_cancelled{false};

void SendFrame(char type, std::string_view a, std::string_view b = {}) {
  std::lock_guard<std::mutex> lock(g_write_mu);
  Status st = WriteFrame(g_proto_fd, type, a, b);
  if (!st.ok()) _exit(0);  // the host has gone; nothing left to do
}

void HostLog(void*, int level, const char* msg, size_t len) {
  char lv = static_cast<char>('0' + (level < 0 ? 0 : level > 3 ? 3 : level));
  SendFrame('L', std::string_view(&lv, 1), std::string_view(msg, len));
}

int HostCancelled(void*) {
  return g_cancelled.load() ? 1 : 0;
}

// Keeps the protocol safe from adapters that print: frames go to a private copy of stdout, and
// anything the adapter writes to fd 1 lands on stderr.
void IsolateStdout() {
  g_proto_fd = ::dup(STDOUT_FILENO);
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
}

int Inspect(const std::string& path) {
  nlohmann::json out;
  auto loaded = Load(path);
  if (!loaded.ok()) {
    out["error"] = loaded.status().message();
  } else {
    const sendsync_plugin* t = (*loaded)->table;
    out["abi_major"] = t->abi_major;
    out["abi_minor"] = t->abi_minor;
    out["struct_size"] = t->struct_size;
    // Only a table whose header this host understands may be read further.
    if (CheckTableHeader(t->abi_major, t->abi_minor, t->struct_size).ok())
      out["manifest"] = t->manifest_json ? t->manifest_json : "";
  }
  std::string line = out.dump() + "\n";
  ssize_t n = ::write(g_proto_fd, line.data(), line.size());
  return n == static_cast<ssize_t>(line.size()) && !out.contains("error") ? 0 : 1;
}

// Frames from the host, read on their own thread so that a cancel arrives while a call runs.
class Inbox {
 public:
  void Run() {
    for (;;) {
      Frame f;
      Status st = ReadFrame(STDIN_FILENO, f);
      std::lock_guard<std::mutex> lock(mu_);
      if (!st.ok()) {
        // The pipe ended without a 'Q': the host died (or gave up on this worker). Stop at once,
        // even in the middle of a call, so nothing more is sent on behalf of a run that is over
        // while the next run may already hold the link.
        if (!quit_) _exit(0);
        closed_ = true;
        cv_.notify_all();
        return;
      }
      if (f.type == 'Q') quit_ = true;
      if (f.type == 'K') {
        g_cancelled = true;
        continue;
      }
      frames_.push_back(std::move(f));
      cv_.notify_all();
    }
  }
  // False when the host closed the pipe.
  bool Next(Frame& out) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !frames_.empty(); });
    if (frames_.empty()) return false;
    out = std::move(frames_.front());
    frames_.pop_front();
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Frame> frames_;
  bool closed_ = false;
  bool quit_ = false;  // the host said 'Q': the pipe's end is then expected
};

void Reply(sendsync_status st, const char* body, size_t len) {
  char digit = static_cast<char>('0' + static_cast<int>(st));
  SendFrame('R', std::string_view(&digit, 1), std::string_view(body, len));
}

void ReplyError(const std::string& message) {
  std::string body = nlohmann::json{{"message", message}}.dump();
  Reply(SENDSYNC_FATAL, body.data(), body.size());
}

int Serve(const std::string& path) {
  auto loaded = Load(path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "sendsync-adapter-host: %s\n", loaded.status().message().c_str());
    return 4;
  }
  const sendsync_plugin* t = (*loaded)->table;
  Status header = CheckTableHeader(t->abi_major, t->abi_minor, t->struct_size);
  if (!header.ok()) {
    std::fprintf(stderr, "sendsync-adapter-host: %s\n", header.message().c_str());
    return 4;
  }
  sendsync_host_api host{sizeof(sendsync_host_api), nullptr, &HostLog, &HostCancelled};
  // The reader thread blocks on stdin and may outlive Serve (after a 'Q' frame the host may keep
  // the pipe open a moment), so the inbox it uses lives until the process ends.
  // Held through a static pointer so leak checkers see it as reachable, not lost.
  static Inbox* const inbox_holder = new Inbox();
  Inbox& inbox = *inbox_holder;
  std::thread reader([&inbox] { inbox.Run(); });
  reader.detach();

  void* instance = nullptr;
  Frame f;
  while (inbox.Next(f)) {
    g_cancelled = false;
    if (f.type == 'Q') break;
    if (f.type == 'O') {
      if (instance) {
        ReplyError("instance already open");
        continue;
      }
      char* err = nullptr;
      size_t err_len = 0;
      sendsync_status st =
          t->open(f.payload.data(), f.payload.size(), &host, &instance, &err, &err_len);
      if (st == SENDSYNC_OK) {
        Reply(st, "{}", 2);
      } else {
        Reply(st, err ? err : "{}", err ? err_len : 2);
      }
      t->free_buffer(err);
    } else if (f.type == 'C') {
      if (!instance) {
        ReplyError("no instance open");
        continue;
      }
      size_t nl = f.payload.find('\n');
      std::string method = f.payload.substr(0, nl);
      const char* req = nl == std::string::npos ? "" : f.payload.data() + nl + 1;
      size_t req_len = nl == std::string::npos ? 0 : f.payload.size() - nl - 1;
      char* resp = nullptr;
      size_t resp_len = 0;
      sendsync_status st = t->call(instance, method.c_str(), req, req_len, &resp, &resp_len);
      Reply(st, resp ? resp : "{}", resp ? resp_len : 2);
      t->free_buffer(resp);
    } else {
      ReplyError(std::string("unknown frame type '") + f.type + "'");
    }
  }
  if (instance) t->close(instance);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  IsolateStdout();
  if (argc == 3 && std::strcmp(argv[1], "--inspect") == 0) return Inspect(argv[2]);
  if (argc == 3 && std::strcmp(argv[1], "--serve") == 0) return Serve(argv[2]);
  std::fprintf(stderr,
               "usage: sendsync-adapter-host --inspect FILE | --serve FILE\n"
               "Started by sendsync to run one adapter in its own process.\n");
  return 2;
}
