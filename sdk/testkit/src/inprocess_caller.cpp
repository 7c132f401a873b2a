// The kit's default way to run an adapter: load it here with Boost.DLL and call the C table.
#include <cstddef>

#include <boost/dll/shared_library.hpp>
#include <nlohmann/json.hpp>

#include "sendsync/plugin_abi.h"
#include "sendsync/testkit/conformance.h"

namespace sendsync::testkit {
namespace {

class InProcessCaller : public Caller {
 public:
  InProcessCaller(std::shared_ptr<boost::dll::shared_library> lib, const sendsync_plugin* t)
      : lib_(std::move(lib)), t_(t) {}
  ~InProcessCaller() override {
    if (instance_) t_->close(instance_);
  }
  bool Open(const std::string& config, std::string* error) {
    char* err = nullptr;
    size_t len = 0;
    int st = t_->open(config.data(), config.size(), nullptr, &instance_, &err, &len);
    if (st != SENDSYNC_OK && error) {
      nlohmann::json j = nlohmann::json::parse(std::string(err ? err : "", len), nullptr, false);
      *error = j.is_object() && j.contains("message") ? j["message"].get<std::string>()
                                                      : std::string(err ? err : "", len);
    }
    t_->free_buffer(err);
    return st == SENDSYNC_OK;
  }
  Reply Call(const std::string& method, const std::string& request) override {
    char* resp = nullptr;
    size_t len = 0;
    Reply r;
    r.status = t_->call(instance_, method.c_str(), request.data(), request.size(), &resp, &len);
    r.body = resp ? std::string(resp, len) : "";
    t_->free_buffer(resp);
    return r;
  }

 private:
  std::shared_ptr<boost::dll::shared_library> lib_;  // outlives instance_
  const sendsync_plugin* t_;
  void* instance_ = nullptr;
};

const sendsync_plugin* Table(boost::dll::shared_library& lib) {
  auto& entry = lib.get_alias<const sendsync_plugin*()>(SENDSYNC_ENTRY_ALIAS);
  const sendsync_plugin* t = entry();
  constexpr size_t kAbi10Size = offsetof(sendsync_plugin, free_buffer) + sizeof(void (*)(char*));
  if (!t || t->abi_major != SENDSYNC_ABI_MAJOR || t->abi_minor > SENDSYNC_ABI_MINOR ||
      t->struct_size < kAbi10Size)
    return nullptr;
  return t;
}

}  // namespace

std::unique_ptr<Caller> OpenInProcess(const std::string& path, const std::string& config,
                                      std::string* error) {
  try {
    auto lib = std::make_shared<boost::dll::shared_library>(path);
    const sendsync_plugin* t = Table(*lib);
    if (!t) {
      if (error) *error = "incompatible plugin table";
      return nullptr;
    }
    auto c = std::make_unique<InProcessCaller>(lib, t);
    if (!c->Open(config, error)) return nullptr;
    return c;
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return nullptr;
  }
}

std::string ReadManifest(const std::string& path) {
  try {
    boost::dll::shared_library lib(path);
    const sendsync_plugin* t = Table(lib);
    return t && t->manifest_json ? t->manifest_json : "";
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace sendsync::testkit
