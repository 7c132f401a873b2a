// The plugin side of the C ABI: turns C calls into Adapter method calls and back, and makes sure no
// exception or C++ object crosses the boundary.
#include "sendsync/sdk/adapter.h"

#include <cstdlib>
#include <cstring>
#include <memory>

namespace sendsync::sdk {

using nlohmann::json;

void Host::Log(sendsync_log_level level, const std::string& message) const {
  if (api_ && api_->log) api_->log(api_->host_ctx, level, message.data(), message.size());
}

bool Host::Cancelled() const {
  return api_ && api_->is_cancelled && api_->is_cancelled(api_->host_ctx) != 0;
}

Status Adapter::Read(const ReadRequest& request, ReadResult&) {
  return Status::InvalidArgument("this adapter does not read records of kind '" + request.kind +
                                 "'");
}

Status Adapter::Write(const WriteRequest& request, WriteResult&) {
  return Status::InvalidArgument("this adapter does not write records of kind '" + request.kind +
                                 "'");
}

namespace detail {
namespace {

struct Instance {
  std::unique_ptr<Adapter> adapter;
  sendsync_host_api host{};  // copied: the host's table need only live through open()
};

// Copies `text` into a malloc'd buffer owned by this plugin (freed by FreeBuffer).
void Give(const std::string& text, char** out, size_t* out_len) {
  char* buf = static_cast<char*>(std::malloc(text.size() + 1));
  if (!buf) {
    *out = nullptr;
    *out_len = 0;
    return;
  }
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  *out = buf;
  *out_len = text.size();
}

std::string ErrorJson(const std::string& message, const char* code) {
  return json{{"message", message}, {"code", code}}.dump();
}

sendsync_status ToAbi(const Status& st) {
  if (st.ok()) return SENDSYNC_OK;
  return st.transient() ? SENDSYNC_RETRY : SENDSYNC_FATAL;
}

// Appends `raw` (a serialised JSON object) as an array element.
void AppendRecords(std::string& out, const std::vector<std::string>& records) {
  out += "\"records\":[";
  for (size_t i = 0; i < records.size(); ++i) {
    if (i) out += ',';
    out += records[i];
  }
  out += ']';
}

Result<std::string> DoRead(Adapter& a, const json& req) {
  ReadRequest r;
  if (!req.contains("kind") || !req["kind"].is_string())
    return Status::InvalidArgument("read request needs a string 'kind'");
  r.kind = req["kind"].get<std::string>();
  if (req.contains("cursor") && req["cursor"].is_string()) r.cursor = req["cursor"];
  if (req.contains("limit") && req["limit"].is_number_unsigned()) r.limit = req["limit"];
  if (r.limit == 0) r.limit = 500;
  ReadResult res;
  SENDSYNC_RETURN_IF_ERROR(a.Read(r, res));
  std::string out = "{";
  AppendRecords(out, res.records);
  json dels = json::array();
  for (const Deletion& d : res.deletions) {
    json e = {{"kind", d.kind.empty() ? r.kind : d.kind}, {"id", d.id}};
    if (!d.upn.empty()) e["upn"] = d.upn;
    dels.push_back(std::move(e));
  }
  out += ",\"deletions\":" + dels.dump();
  if (!res.rejects.empty()) {
    json rej = json::array();
    for (const Reject& x : res.rejects) {
      json e = {{"raw", x.raw}, {"where", x.where}, {"reason", x.reason}};
      if (!x.id.empty()) e["id"] = x.id;
      rej.push_back(std::move(e));
    }
    out += ",\"rejects\":" + rej.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  out += ",\"next_cursor\":" + json(res.next_cursor).dump();
  if (res.remaining >= 0) out += ",\"remaining\":" + std::to_string(res.remaining);
  out += res.more ? ",\"more\":true}" : ",\"more\":false}";
  return out;
}

Result<std::string> DoWrite(Adapter& a, const json& req) {
  WriteRequest w;
  if (!req.contains("kind") || !req["kind"].is_string())
    return Status::InvalidArgument("write request needs a string 'kind'");
  w.kind = req["kind"].get<std::string>();
  if (!req.contains("changes") || !req["changes"].is_array())
    return Status::InvalidArgument("write request needs an array 'changes'");
  for (const json& c : req["changes"]) {
    Change ch;
    ch.key = c.value("key", "");
    ch.op = c.value("op", "upsert");
    ch.remote_id = c.value("remote_id", "");
    if (c.contains("record")) ch.record = c["record"];
    if (c.contains("context")) ch.context = c["context"];
    if (ch.key.empty()) return Status::InvalidArgument("every change needs an idempotency 'key'");
    w.changes.push_back(std::move(ch));
  }
  WriteResult res;
  SENDSYNC_RETURN_IF_ERROR(a.Write(w, res));
  // One result per change, in the order of the changes; a change the adapter forgot is rejected
  // so a person sees it rather than it vanishing.
  json results = json::array();
  for (const Change& ch : w.changes) {
    const ChangeResult* found = nullptr;
    for (const ChangeResult& r : res.results)
      if (r.key == ch.key) found = &r;
    if (!found) {
      results.push_back({{"key", ch.key},
                         {"result", "rejected"},
                         {"reason", "the adapter returned no result for this change"}});
      continue;
    }
    json e = {{"key", found->key}, {"result", found->result}};
    if (!found->remote_id.empty()) e["remote_id"] = found->remote_id;
    if (!found->reason.empty()) e["reason"] = found->reason;
    results.push_back(std::move(e));
  }
  return json{{"results", std::move(results)}}.dump();
}

Result<std::string> Dispatch(Adapter& a, const std::string& method, const json& req) {
  if (method == "read") return DoRead(a, req);
  if (method == "write") return DoWrite(a, req);
  if (method == "check") {
    SENDSYNC_RETURN_IF_ERROR(a.Check());
    return std::string("{\"ok\":true}");
  }
  if (method == "describe") {
    Result<json> d = a.Describe();
    if (!d.ok()) return d.status();
    return d->dump();
  }
  if (method == "discover") {
    Result<json> d = a.Discover();
    if (!d.ok()) return d.status();
    return json{{"items", *d}}.dump();
  }
  return Status::InvalidArgument("unknown method '" + method + "'");
}

sendsync_status Call(void* instance, const char* method, const char* request, size_t request_len,
                     char** response, size_t* response_len) {
  try {
    auto* inst = static_cast<Instance*>(instance);
    json req = request_len ? json::parse(request, request + request_len) : json::object();
    Result<std::string> out = Dispatch(*inst->adapter, method ? method : "", req);
    if (!out.ok()) {
      Give(ErrorJson(out.status().message(), Status::CodeName(out.status().code())), response,
           response_len);
      return ToAbi(out.status());
    }
    Give(*out, response, response_len);
    return SENDSYNC_OK;
  } catch (const std::exception& e) {
    Give(ErrorJson(std::string("adapter threw: ") + e.what(), "internal error"), response,
         response_len);
  } catch (...) {
    Give(ErrorJson("adapter threw a non-standard exception", "internal error"), response,
         response_len);
  }
  return SENDSYNC_FATAL;
}

void Close(void* instance) noexcept {
  try {
    delete static_cast<Instance*>(instance);
  } catch (...) {  // a destructor that throws must not cross the boundary
  }
}

void FreeBuffer(char* buffer) { std::free(buffer); }

}  // namespace

Table::Table(OpenFn open, ManifestFn manifest) {
  try {
    json m = manifest();
    if (m.is_object() && !m.contains("abi"))
      m["abi"] = std::to_string(SENDSYNC_ABI_MAJOR) + "." + std::to_string(SENDSYNC_ABI_MINOR);
    manifest_ = m.dump();
  } catch (const std::exception& e) {
    manifest_ = json{{"manifest_error", e.what()}}.dump();
  } catch (...) {
    manifest_ = R"({"manifest_error":"non-standard exception"})";
  }
  table_.abi_major = SENDSYNC_ABI_MAJOR;
  table_.abi_minor = SENDSYNC_ABI_MINOR;
  table_.struct_size = sizeof(sendsync_plugin);
  table_.manifest_json = manifest_.c_str();
  table_.open = open;
  table_.call = &Call;
  table_.close = &Close;
  table_.free_buffer = &FreeBuffer;
}

sendsync_status OpenInstance(Factory factory, const char* config, size_t config_len,
                             const sendsync_host_api* host, void** instance, char** error,
                             size_t* error_len) {
  *instance = nullptr;
  *error = nullptr;
  *error_len = 0;
  try {
    auto inst = std::make_unique<Instance>();
    if (host) {
      // Copy only what the host compiled (struct_size), so an older host works with a newer SDK.
      size_t n = host->struct_size < sizeof(sendsync_host_api) ? host->struct_size
                                                              : sizeof(sendsync_host_api);
      std::memcpy(&inst->host, host, n);
    }
    inst->adapter.reset(factory());
    inst->adapter->AttachHost(&inst->host);
    json cfg = config_len ? json::parse(config, config + config_len) : json::object();
    Status st = inst->adapter->Configure(cfg);
    if (!st.ok()) {
      Give(ErrorJson(st.message(), Status::CodeName(st.code())), error, error_len);
      return ToAbi(st);
    }
    *instance = inst.release();
    return SENDSYNC_OK;
  } catch (const std::exception& e) {
    Give(ErrorJson(std::string("adapter threw while opening: ") + e.what(), "internal error"),
         error, error_len);
  } catch (...) {
    Give(ErrorJson("adapter threw a non-standard exception while opening", "internal error"),
         error, error_len);
  }
  return SENDSYNC_FATAL;
}

}  // namespace detail
}  // namespace sendsync::sdk
