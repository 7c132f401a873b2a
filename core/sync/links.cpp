// Installing and checking links; resolving secret references; schedules.
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "base/schema/json_schema.h"
#include "core/audit/audit.h"
#include "core/sync/engine_impl.h"
#include "core/sync/internal.h"

namespace sendsync::sync {

using nlohmann::json;

namespace detail {

Result<LinkCtx> LoadLinkById(store::Conn& conn, int64_t id) {
  auto l = store::GetLinkById(conn, id);
  if (!l.ok()) return l.status();
  auto s = LinkSettings::Parse(l->settings, nullptr);
  if (!s.ok()) return s.status().WithContext("link " + l->name);
  std::string name = l->name.substr(0, l->name.find("#removed-"));
  return LinkCtx{std::move(*l), std::move(*s), "link:" + name};
}

Result<LinkCtx> LoadLink(store::Conn& conn, const std::string& name) {
  auto l = store::GetLink(conn, name);
  if (!l.ok()) return l.status();
  return LoadLinkById(conn, l->id);
}

}  // namespace detail

Status ValidateSchedule(const std::string& s) {
  static const std::regex every(R"(every ([1-9][0-9]{0,5})(s|m|h))");
  static const std::regex daily(R"(daily ([01][0-9]|2[0-3]):([0-5][0-9]))");
  if (s == "manual" || s == "hourly" || std::regex_match(s, every) || std::regex_match(s, daily))
    return Status::OK();
  return Status::InvalidArgument("schedule '" + s +
                                 "' is not understood; use manual, hourly, \"every 15m\" (s, m or "
                                 "h), or \"daily 06:30\"");
}

Result<json> ResolveSecrets(const json& config, const std::vector<std::string>& secret_fields) {
  json out = config;
  for (const std::string& path : secret_fields) {
    json::json_pointer ptr(path);
    if (!out.contains(ptr)) continue;
    const json& v = out.at(ptr);
    if (!v.is_string())
      return Status::InvalidArgument("secret " + path +
                                     " must be a reference env:NAME or file:PATH");
    const std::string ref = v.get<std::string>();
    if (ref.rfind("env:", 0) == 0) {
      const char* value = std::getenv(ref.substr(4).c_str());
      if (!value || !*value)
        return Status::InvalidArgument("secret " + path + ": environment variable " +
                                       ref.substr(4) + " is not set");
      out[ptr] = std::string(value);
    } else if (ref.rfind("file:", 0) == 0) {
      std::ifstream f(ref.substr(5));
      if (!f)
        return Status::InvalidArgument("secret " + path + ": file " + ref.substr(5) +
                                       " cannot be read");
      std::stringstream ss;
      ss << f.rdbuf();
      std::string value = ss.str();
      while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
      if (value.empty())
        return Status::InvalidArgument("secret " + path + ": file " + ref.substr(5) + " is empty");
      out[ptr] = value;
    } else {
      return Status::InvalidArgument("secret " + path +
                                     " must be a reference env:NAME or file:PATH, never the secret "
                                     "itself");
    }
  }
  return out;
}

Result<int64_t> AddLink(store::Store& store, const LinkSpec& spec,
                        const plugins::RuntimeOptions& runtime, const std::string& plugin_dir,
                        const std::string& actor) {
  static const std::regex name_re(R"([A-Za-z0-9][A-Za-z0-9._-]{0,63})");
  if (!std::regex_match(spec.name, name_re))
    return Status::InvalidArgument("link name '" + spec.name +
                                   "' must be letters, digits, '.', '_' or '-' (at most 64)");
  static const std::regex urn_re(R"([0-9]{6})");
  if (!std::regex_match(spec.school_urn, urn_re))
    return Status::InvalidArgument("school URN '" + spec.school_urn +
                                   "' must be 6 digits (GIAS URN)");
  SENDSYNC_RETURN_IF_ERROR(ValidateSchedule(spec.schedule));
  if (spec.adapter_id == kImportAdapter)
    return Status::InvalidArgument("'" + spec.adapter_id + "' is built in and cannot be added");

  auto resolved = plugins::ResolveAdapter(plugin_dir, runtime.adapters_dir, spec.adapter_id,
                                          spec.adapter_version, runtime);
  if (!resolved.ok()) return resolved.status();
  const plugins::PluginInfo* plugin = &*resolved;
  if (!spec.config.is_object()) return Status::InvalidArgument("config must be a JSON object");

  // Secrets are stored as references only.
  std::set<std::string> secret(plugin->manifest.secret_fields.begin(),
                               plugin->manifest.secret_fields.end());
  for (const std::string& path : plugin->manifest.secret_fields) {
    json::json_pointer ptr(path);
    if (!spec.config.contains(ptr)) continue;
    const json& v = spec.config.at(ptr);
    if (!v.is_string() ||
        (v.get<std::string>().rfind("env:", 0) != 0 && v.get<std::string>().rfind("file:", 0) != 0))
      return Status::InvalidArgument("config " + path +
                                     ": a secret must be given as env:NAME or file:PATH, never the "
                                     "secret itself");
  }
  auto schema = schema::JsonSchema::Compile(plugin->manifest.config_schema);
  if (!schema.ok()) return schema.status();
  auto violations = (*schema)->Validate(spec.config);
  if (!violations.empty()) {
    std::string msg = "config does not fit adapter '" + spec.adapter_id + "':";
    for (const auto& v : violations) {
      bool is_secret = false;
      for (const auto& s : secret) is_secret |= v.path.rfind(s, 0) == 0;
      msg += "\n  " + v.path + ": " + (is_secret ? "invalid value (not shown: secret)" : v.message);
    }
    return Status::InvalidArgument(msg);
  }
  LinkSettings settings = LinkSettings::Defaults(plugin->manifest);
  if (!spec.settings.is_null()) {
    auto parsed = LinkSettings::Parse(spec.settings, &plugin->manifest);
    if (!parsed.ok()) return parsed.status();
    settings = std::move(*parsed);
  }
  auto conn = store.Connect();
  if (!conn.ok()) return conn.status();
  store::Tx tx(**conn);
  SENDSYNC_RETURN_IF_ERROR(tx.status());
  store::Link l;
  l.name = spec.name;
  l.school_urn = spec.school_urn;
  l.adapter_id = spec.adapter_id;
  l.config = spec.config;
  l.settings = settings.ToJson();
  l.schedule = spec.schedule;
  l.adapter_version = spec.adapter_version;
  auto id = store::CreateLink(**conn, l);
  if (!id.ok()) return id.status();
  std::vector<audit::Entry> e(1);
  e[0].actor = actor;
  e[0].action = "link.add";
  e[0].detail = {{"link", spec.name}, {"adapter", spec.adapter_id}, {"school", spec.school_urn}};
  if (!spec.adapter_version.empty()) e[0].detail["adapter_version"] = spec.adapter_version;
  SENDSYNC_RETURN_IF_ERROR(audit::Append(**conn, e));
  SENDSYNC_RETURN_IF_ERROR(tx.Commit());
  return *id;
}

Status TestLink(store::Store& store, const std::string& name,
                const plugins::RuntimeOptions& runtime, const std::string& plugin_dir,
                const std::string& version) {
  auto conn = store.Connect();
  if (!conn.ok()) return conn.status();
  auto link = store::GetLink(**conn, name);
  if (!link.ok()) return link.status();
  auto p = plugins::ResolveAdapter(plugin_dir, runtime.adapters_dir, link->adapter_id,
                                   version.empty() ? link->adapter_version : version, runtime);
  if (!p.ok()) return p.status();
  auto config = ResolveSecrets(link->config, p->manifest.secret_fields);
  if (!config.ok()) return config.status();
  auto inst = plugins::Open(*p, config->dump(), runtime);
  if (!inst.ok()) return inst.status();
  plugins::CallResult r = (*inst)->Call("check", "{}");
  if (r.status == plugins::CallStatus::kOk) return Status::OK();
  return r.status == plugins::CallStatus::kRetry ? Status::Unavailable(r.message)
                                                 : Status::FailedPrecondition(r.message);
}

}  // namespace sendsync::sync
