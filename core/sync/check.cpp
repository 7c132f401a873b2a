// The store-free first stage of a batch: code maps, validation and ids (see internal.h).
#include <map>

#include "core/audit/audit.h"
#include "core/domain/domain.h"
#include "core/hub/hub.h"
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

namespace {

// Whether `fields` of a record of `kind` hold a reference that hub::RefsIn maps to a hub id: then
// what the hub stores depends on the store, and the merge makes the body itself.
bool HoldsReference(const std::string& kind, const json& fields) {
  for (const hub::RefField& r : hub::RefFields()) {
    if (kind != r.kind) continue;
    auto it = fields.find(r.field);
    if (it != fields.end() && (r.list ? it->is_array() : it->is_string())) return true;
  }
  return false;
}

// The text of what the merge's fresh path stores for `fields` (CheckedRecord::fresh_body): the
// dump of `fields` less explicit nulls, with a pupil's school the link's when it names none,
// written key by key in the order and form nlohmann::json dumps an object (one serializer for the
// whole record, nothing copied).
std::string FreshBody(const LinkCtx& link, const std::string& kind, const json& fields) {
  static const std::string kSchool = "school_urn";
  bool school_due = kind == "pupil" && !link.link.school_urn.empty();
  if (school_due)
    if (auto it = fields.find(kSchool); it != fields.end() && !it->is_null()) school_due = false;
  std::string out = "{";
  nlohmann::detail::serializer<json> writer(nlohmann::detail::output_adapter<char>(out), ' ');
  auto put = [&](const std::string& key, const json& value) {
    if (out.size() > 1) out += ',';
    writer.dump(json(key), false, false, 0);
    out += ':';
    writer.dump(value, false, false, 0);
  };
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    if (school_due && it.key() >= kSchool) {
      put(kSchool, json(link.link.school_urn));
      school_due = false;
      if (it.key() == kSchool) continue;  // a null school: the link's replaces it
    }
    if (!it->is_null()) put(it.key(), *it);
  }
  if (school_due) put(kSchool, json(link.link.school_urn));
  out += '}';
  return out;
}

}  // namespace

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
    if (kind != "sen" && !HoldsReference(kind, c.fields)) {
      try {
        c.fresh_body = FreshBody(link, kind, c.fields);
        c.fresh_hash = audit::Sha256Hex(c.fresh_body);
      } catch (const json::exception&) {  // text json cannot write: the merge meets it and says so
        c.fresh_body.clear();
        c.fresh_hash.clear();
      }
    }
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
