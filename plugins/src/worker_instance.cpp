// Worker instances: the adapter runs in its own sendsync-adapter-host process. A crash, abort,
// exit, hang or runaway allocation there becomes a failed call here, and the next call restarts the
// worker after a backoff that grows with consecutive failures.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/log/log.h"
#include "frames.h"
#include "instances.h"
#include "worker_process.h"

namespace sendsync::plugins {
namespace {
std::atomic<int64_t> g_worker_failures{0};
std::atomic<int64_t> g_worker_restarts{0};
}  // namespace

WorkerCounts WorkerCountsTotal() {
  return {g_worker_failures.load(), g_worker_restarts.load()};
}

}  // namespace sendsync::plugins

namespace sendsync::plugins::detail {
namespace {

class WorkerInstance final : public Instance {
 public:
  WorkerInstance(PluginInfo plugin, std::string config, RuntimeOptions options)
      : plugin_(std::move(plugin)),
        config_(std::move(config)),
        options_(std::move(options)),
        exe_(WorkerPath(options_.worker_path)) {}

  ~WorkerInstance() override { Stop(); }

  // Starts the worker and opens the adapter instance in it.
  Status Start() {
    if (proc_) return Status::OK();
    if (consecutive_failures_ > 0) {
      auto backoff =
          options_.restart_backoff_base * (1LL << std::min(consecutive_failures_ - 1, 16));
      backoff = std::min<std::chrono::milliseconds>(backoff, options_.restart_backoff_max);
      std::this_thread::sleep_until(last_failure_ + backoff);
      ++restarts_;
      ++g_worker_restarts;
      log::Write(log::Level::kInfo, "adapter.worker_restart",
                 {{"adapter", plugin_.manifest.id}, {"restarts", restarts_}});
    }
    auto p = WorkerProcess::Start(exe_, {"--serve", plugin_.path});
    if (!p.ok()) return p.status();
    proc_ = std::move(*p);
    Frame reply;
    Status st = Exchange('O', config_, "", "open", reply);
    if (!st.ok()) return st;
    CallStatus cs = FromAbi(reply.payload.empty() ? 2 : reply.payload[0] - '0');
    if (cs == CallStatus::kOk) return Status::OK();
    std::string msg = MessageOf(reply.payload.substr(1));
    Stop();
    return cs == CallStatus::kRetry ? Status::Unavailable(msg) : Status::InvalidArgument(msg);
  }

  CallResult Call(std::string_view method, std::string_view request) override {
    std::lock_guard<std::mutex> lock(mu_);
    cancel_requested_ = false;
    CallResult r;
    Status st = Start();
    if (!st.ok()) {
      r.status = st.transient() ? CallStatus::kRetry : CallStatus::kFatal;
      r.message = st.message();
      r.body = nlohmann::json{{"message", r.message}}.dump();
      r.worker_failed = st.transient();
      return r;
    }
    Frame reply;
    st = Exchange('C', std::string(method) + "\n", request, std::string(method), reply);
    if (!st.ok()) {
      r.status = CallStatus::kRetry;
      r.message = st.message();
      r.body = nlohmann::json{{"message", r.message}}.dump();
      r.worker_failed = true;
      return r;
    }
    consecutive_failures_ = 0;
    r.status = FromAbi(reply.payload.empty() ? 2 : reply.payload[0] - '0');
    r.body = reply.payload.size() > 1 ? reply.payload.substr(1) : "{}";
    if (r.status != CallStatus::kOk) r.message = MessageOf(r.body);
    return r;
  }

  void Cancel() override { cancel_requested_ = true; }
  int restarts() const override { return restarts_; }
  Mode mode() const override { return Mode::kWorker; }

 private:
  // Sends one frame and waits for the 'R' reply, forwarding log frames. Any failure of the worker
  // (crash, exit, hang, memory) kills it, counts as a failure and is described in the Status.
  Status Exchange(char type, std::string_view a, std::string_view b, const std::string& what,
                  Frame& reply) {
    auto deadline = Clock::now() + options_.call_timeout;
    bool over_memory = false;
    bool cancel_sent = false;
    auto tick = [&]() -> Status {
      if (cancel_requested_ && !cancel_sent) {
        cancel_sent = true;
        auto soon = Clock::now() + std::chrono::seconds(1);
        // Best effort: a worker that cannot take the cancel frame is dead or stuck, and the
        // wait below finds that out (read failure or deadline) either way.
        (void)WriteFrame(proc_->to_child(), 'K', "", "", &soon);
      }
      if (options_.memory_limit_mb && proc_->ResidentMiB() > options_.memory_limit_mb) {
        over_memory = true;
        return Status::Unavailable("memory");
      }
      return Status::OK();
    };
    Status st = WriteFrame(proc_->to_child(), type, a, b, &deadline);
    while (st.ok()) {
      st = ReadFrame(proc_->from_child(), reply, &deadline, tick);
      if (!st.ok()) break;
      if (reply.type == 'R') return Status::OK();
      if (reply.type == 'L') ForwardLog(reply.payload);
    }
    return Failed(st, over_memory, what);
  }

  Status Failed(const Status& st, bool over_memory, const std::string& what) {
    std::string how;
    if (over_memory) {
      proc_->KillAndReap();
      how = "used more than " + std::to_string(options_.memory_limit_mb) +
            " MiB of memory and was killed";
    } else if (st.code() == Status::Code::kDeadlineExceeded) {
      proc_->KillAndReap();
      how = "did not answer within " +
            std::to_string(options_.call_timeout.count() / 1000.0).substr(0, 5) +
            " s (hung) and was killed";
    } else {
      std::string ended = proc_->WaitFor(2000);
      how = ended.empty() ? "stopped answering (" + st.message() + ") and was killed" : ended;
      if (ended.empty()) proc_->KillAndReap();
    }
    proc_.reset();
    ++consecutive_failures_;
    ++g_worker_failures;
    last_failure_ = Clock::now();
    std::string msg = "adapter worker for '" + plugin_.manifest.id + "' " + how + " during " + what;
    log::Write(log::Level::kWarn, "adapter.worker_failed",
               {{"adapter", plugin_.manifest.id}, {"call", what}, {"reason", how}});
    return Status::Unavailable(msg);
  }

  void ForwardLog(const std::string& payload) {
    if (payload.empty()) return;
    int level = std::clamp(payload[0] - '0', 0, 3);
    log::Write(static_cast<log::Level>(level), "adapter.log",
               {{"adapter", plugin_.manifest.id}, {"message", payload.substr(1)}});
  }

  void Stop() {
    if (!proc_) return;
    auto soon = Clock::now() + std::chrono::milliseconds(500);
    // Best effort: a worker that cannot take the quit frame is killed below after the wait.
    (void)WriteFrame(proc_->to_child(), 'Q', "", "", &soon);
    proc_->CloseInput();
    if (proc_->WaitFor(1000).empty()) proc_->KillAndReap();
    proc_.reset();
  }

  const PluginInfo plugin_;
  const std::string config_;
  const RuntimeOptions options_;
  const std::string exe_;
  std::mutex mu_;
  std::unique_ptr<WorkerProcess> proc_;  // guarded by mu_
  int restarts_ = 0;
  int consecutive_failures_ = 0;
  Clock::time_point last_failure_{};
  std::atomic<bool> cancel_requested_{false};
};

}  // namespace

Result<std::unique_ptr<Instance>> OpenWorker(const PluginInfo& plugin,
                                             const std::string& config_json,
                                             const RuntimeOptions& options) {
  auto inst = std::make_unique<WorkerInstance>(plugin, config_json, options);
  SENDSYNC_RETURN_IF_ERROR(inst->Start());
  return std::unique_ptr<Instance>(std::move(inst));
}

}  // namespace sendsync::plugins::detail
