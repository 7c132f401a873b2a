// In-process instances: the adapter runs on the caller's thread through the C table. Only for
// trusted adapters: a crash here is a crash of the host.
#include <atomic>
#include <mutex>

#include <nlohmann/json.hpp>

#include <sendsync/sdk/json_limits.h>
#include "base/log/log.h"
#include "instances.h"

namespace sendsync::plugins::detail {
namespace {

class InProcessInstance final : public Instance {
 public:
  InProcessInstance(std::shared_ptr<LoadedLibrary> lib, std::string plugin_id)
      : lib_(std::move(lib)), plugin_id_(std::move(plugin_id)) {
    host_.struct_size = sizeof(host_);
    host_.host_ctx = this;
    host_.log = &InProcessInstance::LogThunk;
    host_.is_cancelled = &InProcessInstance::CancelledThunk;
  }
  ~InProcessInstance() override {
    if (instance_) lib_->table->close(instance_);
    // lib_ is released after close, so the library outlives everything it made.
  }

  Status OpenWith(const std::string& config) {
    char* err = nullptr;
    size_t err_len = 0;
    int st = lib_->table->open(config.data(), config.size(), &host_, &instance_, &err, &err_len);
    std::string body = err ? std::string(err, err_len) : "";
    lib_->table->free_buffer(err);
    if (st == SENDSYNC_OK && instance_) return Status::OK();
    std::string msg = body.empty() ? "the adapter refused to open" : MessageOf(body);
    return st == SENDSYNC_RETRY ? Status::Unavailable(msg) : Status::InvalidArgument(msg);
  }

  CallResult Call(std::string_view method, std::string_view request) override {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = false;
    std::string m(method);
    char* resp = nullptr;
    size_t len = 0;
    int st = lib_->table->call(instance_, m.c_str(), request.data(), request.size(), &resp, &len);
    CallResult r;
    r.status = FromAbi(st);
    r.body = resp ? std::string(resp, len) : "{}";
    lib_->table->free_buffer(resp);
    if (r.status != CallStatus::kOk) r.message = MessageOf(r.body);
    return r;
  }

  void Cancel() override { cancelled_ = true; }
  int restarts() const override { return 0; }
  Mode mode() const override { return Mode::kInProcess; }

 private:
  static void LogThunk(void* ctx, int level, const char* msg, size_t len) {
    auto* self = static_cast<InProcessInstance*>(ctx);
    auto lv = static_cast<log::Level>(level < 0 ? 0 : level > 3 ? 3 : level);
    log::Write(lv, "adapter.log", {{"adapter", self->plugin_id_}, {"message", std::string(msg, len)}});
  }
  static int CancelledThunk(void* ctx) {
    return static_cast<InProcessInstance*>(ctx)->cancelled_.load() ? 1 : 0;
  }

  const std::shared_ptr<LoadedLibrary> lib_;
  const std::string plugin_id_;
  sendsync_host_api host_{};
  void* instance_ = nullptr;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
};

}  // namespace

std::string MessageOf(const std::string& body) {
  nlohmann::json j = sdk::ParseJson(body);
  if (j.is_object() && j.contains("message") && j["message"].is_string())
    return j["message"].get<std::string>();
  return body;
}

CallStatus FromAbi(int status) {
  switch (status) {
    case SENDSYNC_OK: return CallStatus::kOk;
    case SENDSYNC_RETRY: return CallStatus::kRetry;
    default: return CallStatus::kFatal;
  }
}

Result<std::unique_ptr<Instance>> OpenInProcess(std::shared_ptr<LoadedLibrary> lib,
                                                const std::string& plugin_id,
                                                const std::string& config_json) {
  auto inst = std::make_unique<InProcessInstance>(std::move(lib), plugin_id);
  SENDSYNC_RETURN_IF_ERROR(inst->OpenWith(config_json));
  return std::unique_ptr<Instance>(std::move(inst));
}

}  // namespace sendsync::plugins::detail
