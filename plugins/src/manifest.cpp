#include <algorithm>

#include "plugins/plugins.h"
#include "sendsync/sdk/records.h"

namespace sendsync::plugins {

using nlohmann::json;

namespace {

Status Bad(const std::string& what) { return Status::InvalidArgument("manifest: " + what); }

Status RequireString(const json& m, const char* key, std::string& out) {
  auto it = m.find(key);
  if (it == m.end()) return Bad(std::string("missing \"") + key + "\"");
  if (!it->is_string() || it->get<std::string>().empty())
    return Bad(std::string("\"") + key + "\" must be a non-empty string");
  out = it->get<std::string>();
  return Status::OK();
}

Status KindList(const json& m, const char* key, std::vector<std::string>& out) {
  auto it = m.find(key);
  if (it == m.end()) return Bad(std::string("missing \"") + key + "\" (a list of record kinds)");
  if (!it->is_array()) return Bad(std::string("\"") + key + "\" must be a list of record kinds");
  for (const json& k : *it) {
    if (!k.is_string() || !records::ParseKind(k.get<std::string>()))
      return Bad(std::string("\"") + key + "\" has an unknown record kind " + k.dump());
    out.push_back(k.get<std::string>());
  }
  return Status::OK();
}

// Collects JSON Pointers of properties marked "secret": true, through nested objects.
Status CollectSecrets(const json& schema, const std::string& prefix,
                      std::vector<std::string>& out) {
  auto props = schema.find("properties");
  if (props == schema.end() || !props->is_object()) return Status::OK();
  for (auto it = props->begin(); it != props->end(); ++it) {
    std::string path = prefix + "/" + it.key();
    if (!it->is_object()) continue;
    auto secret = it->find("secret");
    if (secret != it->end()) {
      if (!secret->is_boolean())
        return Bad("config_schema: \"secret\" on " + path + " must be true or false");
      if (secret->get<bool>()) out.push_back(path);
    }
    SENDSYNC_RETURN_IF_ERROR(CollectSecrets(*it, path, out));
  }
  return Status::OK();
}

}  // namespace

bool Manifest::CanRead(std::string_view kind) const {
  return std::find(reads.begin(), reads.end(), kind) != reads.end();
}
bool Manifest::CanWrite(std::string_view kind) const {
  return std::find(writes.begin(), writes.end(), kind) != writes.end();
}

Result<Manifest> ParseManifest(std::string_view text) {
  json m = json::parse(text, nullptr, false);
  if (m.is_discarded()) return Bad("not valid JSON");
  if (!m.is_object()) return Bad("must be a JSON object");
  if (m.contains("manifest_error"))
    return Bad("the adapter failed to build it: " + m["manifest_error"].dump());
  Manifest out;
  SENDSYNC_RETURN_IF_ERROR(RequireString(m, "id", out.id));
  bool id_ok = out.id.size() <= 64 && out.id[0] != '-' &&
               std::all_of(out.id.begin(), out.id.end(), [](char c) {
                 return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
               });
  if (!id_ok)
    return Bad("\"id\" must be lower-case letters, digits and '-' (got \"" + out.id + "\")");
  SENDSYNC_RETURN_IF_ERROR(RequireString(m, "name", out.name));
  SENDSYNC_RETURN_IF_ERROR(RequireString(m, "version", out.version));
  SENDSYNC_RETURN_IF_ERROR(RequireString(m, "vendor", out.vendor));
  SENDSYNC_RETURN_IF_ERROR(RequireString(m, "abi", out.abi));
  SENDSYNC_RETURN_IF_ERROR(KindList(m, "reads", out.reads));
  SENDSYNC_RETURN_IF_ERROR(KindList(m, "writes", out.writes));
  if (out.reads.empty() && out.writes.empty())
    return Bad("declares no record kinds to read or write");
  auto schema = m.find("config_schema");
  if (schema == m.end()) return Bad("missing \"config_schema\" (a JSON Schema object)");
  auto type = schema->is_object() ? schema->find("type") : schema->end();
  if (!schema->is_object() || type == schema->end() || !type->is_string() || *type != "object")
    return Bad("\"config_schema\" must be a JSON Schema with \"type\": \"object\"");
  out.config_schema = *schema;
  SENDSYNC_RETURN_IF_ERROR(CollectSecrets(out.config_schema, "", out.secret_fields));
  out.raw = std::move(m);
  return out;
}

const char* ModeName(Mode mode) { return mode == Mode::kWorker ? "worker" : "in-process"; }

const char* CallStatusName(CallStatus s) {
  switch (s) {
    case CallStatus::kOk: return "ok";
    case CallStatus::kRetry: return "retry";
    case CallStatus::kFatal: return "fatal";
  }
  return "?";
}

}  // namespace sendsync::plugins
