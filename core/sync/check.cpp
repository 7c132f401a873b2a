// The store-free first stage of a batch: code maps, validation and ids (see internal.h).
#include <map>

#include "core/domain/domain.h"
#include "core/sync/internal.h"

namespace sendsync::sync::detail {

using nlohmann::json;

json FieldsOf(const json& record) {
  json f = json::object();
  if (!record.is_object()) return f;
  for (auto it = record.begin(); it != record.end(); ++it) {
    const std::string& k = it.key();
    if (k == "kind" || k == "id" || k == "pupil" || k == "updated_at") continue;
    f[k] = it.value();
  }
  return f;
}

std::string ExternalIdOf(const std::string& kind, const json& r) {
  auto str = [](const json& j, const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (!r.is_object()) return "";
  if (kind == "pupil") {
    std::string id = str(r, "id");
    return id.empty() ? str(r, "upn") : id;
  }
  if (kind == "sen") {  // one SEN record per pupil per system: keyed by the pupil
    auto p = r.find("pupil");
    if (p == r.end() || !p->is_object()) return "";
    std::string id = str(*p, "id");
    return id.empty() ? "upn:" + str(*p, "upn") : id;
  }
  return str(r, "id");
}

std::string Str(const json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json Reason(const std::string& code, const std::string& path, const std::string& message) {
  return {{"code", code}, {"path", path}, {"message", message}};
}

const KindSettings& SettingsOf(const LinkCtx& link, const std::string& kind) {
  static const KindSettings kEmpty;
  const KindSettings* ks = link.settings.Find(kind);
  return ks ? *ks : kEmpty;
}

CheckedBatch CheckBatch(const LinkCtx& link, const std::string& kind,
                        const std::vector<Incoming>& items) {
  const KindSettings& ks = SettingsOf(link, kind);
  CheckedBatch out;
  std::map<std::string, size_t> position;
  for (const Incoming& in : items) {
    // Without code maps the record is checked as received; with them, on a mapped copy. Either
    // way in.raw stays as received for the queues.
    const bool maps = !ks.code_maps.empty();
    json mapped;
    if (maps) mapped = in.raw;
    const json& rec = maps ? mapped : in.raw;
    if (!rec.is_object()) {
      out.failed.push_back({in.raw.dump(), in.ext_id, "", in.ext_id,
                            json::array({Reason("RECORD_SHAPE", "$", "expected a JSON object")})});
      continue;
    }
    json reasons = json::array();
    if (Str(rec, "kind") != kind)
      reasons.push_back(
          Reason("RECORD_KIND", "kind",
                 "a " + kind + " read returned a record of kind \"" + Str(rec, "kind") + "\""));
    if (maps)
      for (const std::string& p : ApplyCodeMaps(mapped, ks))
        reasons.push_back(Reason("CODE_UNMAPPED", p.substr(0, p.find(':')), p));
    for (const domain::Issue& i : domain::ValidateJson(rec))
      if (i.severity == domain::Severity::kError)
        reasons.push_back(Reason(i.code, i.path, i.message));
    CheckedRecord c;
    c.in = &in;
    c.ext = ExternalIdOf(kind, rec);
    if (c.ext.empty() || c.ext == "upn:")
      reasons.push_back(Reason("RECORD_ID_MISSING", "id", "the record has no id to know it by"));
    if (kind == "pupil") {
      c.upn = Str(rec, "upn");
      c.former_upn = Str(rec, "former_upn");
      c.dob = Str(rec, "dob");
    } else if (auto p = rec.find("pupil"); p != rec.end() && p->is_object()) {
      c.pupil_ext = Str(*p, "id");
      c.pupil_upn = Str(*p, "upn");
    }
    if (!reasons.empty()) {
      out.failed.push_back({in.raw.dump(), c.ext.empty() ? in.ext_id : c.ext,
                            kind == "pupil" ? c.upn : c.pupil_upn, in.ext_id, std::move(reasons)});
      continue;
    }
    c.fields = FieldsOf(rec);
    auto pos = position.find(c.ext);
    if (pos != position.end()) {
      out.ok[pos->second] = std::move(c);
    } else {
      position[c.ext] = out.ok.size();
      out.ok.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace sendsync::sync::detail
