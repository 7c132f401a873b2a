// Fan-out: after a commit changes hub records, queue for every link that writes the kind the change
// it needs — limited to the fields its allow-list lets leave the hub, in its own codes and ids.
#include <map>
#include <set>

#include "core/domain/domain.h"
#include "core/hub/hub.h"
#include "core/sync/internal.h"
#include "sendsync/sdk/records.h"

namespace sendsync::sync::detail {

using nlohmann::json;

namespace {

const std::vector<std::string>& AllowOf(const LinkSettings& s, const std::string& kind) {
  const KindSettings* k = s.Find(kind);
  return k ? k->allow : DefaultAllow(kind);
}

json Project(const json& fields, const std::vector<std::string>& allow) {
  json out = json::object();
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    for (const std::string& a : allow)
      if (a == "*" || a == it.key()) {
        out[it.key()] = it.value();
        break;
      }
  }
  return out;
}

struct Target {
  LinkCtx ctx;
  std::map<std::pair<std::string, int64_t>, store::LinkRecord> known;  // (kind, record) -> id
};

// A hub record as `t` receives it: envelope with t's ids, allowed fields, t's codes.
// With `defaults_only`, no field beyond the kind's default allow-list either, whatever the link's
// settings widen it to (a link's narrower list still narrows).
Result<json> Outbound(store::Conn& conn, Target& t, const store::RecordRow& row,
                      const store::RecordRow* pupil, json* canonical_fields,
                      bool defaults_only = false) {
  json body = json::parse(row.body, nullptr, false);
  if (!body.is_object())
    return Status::Corruption("stored record " + hub::HubId(row.id) + " is not JSON");
  json fields = Project(body, AllowOf(t.ctx.settings, row.kind));
  if (defaults_only) fields = Project(fields, DefaultAllow(row.kind));
  if (canonical_fields) *canonical_fields = fields;
  json rec = fields;
  std::vector<json*> bodies = {&rec};
  SENDSYNC_RETURN_IF_ERROR(hub::RefsOut(conn, t.ctx.link.id, row.kind, bodies));
  if (const KindSettings* k = t.ctx.settings.Find(row.kind)) ReverseCodeMaps(rec, *k);
  rec["kind"] = row.kind;
  auto id = t.known.find({row.kind, row.id});
  rec["id"] = id != t.known.end() ? id->second.external_id : hub::HubId(row.id);
  if (row.kind != "pupil" && pupil) {
    auto pid = t.known.find({"pupil", pupil->id});
    rec["pupil"] = {{"id", pid != t.known.end() ? pid->second.external_id : hub::HubId(pupil->id)},
                    {"upn", pupil->upn}};
  }
  return rec;
}

// Whether the family agreed to share (the Referral API's Consent: given by the parent or the
// young person), or made the request themselves.
bool FamilyConsented(const store::RecordRow& referral) {
  json body = json::parse(referral.body, nullptr, false);
  if (!body.is_object()) return false;
  const std::string role = body.value("requester_role", "");
  if (role == "parent" || role == "young_person") return true;
  const json consent = body.value("consent", json::object());
  return consent.is_object() && consent.value("given", false) == true;
}

// The evidence an LA needs with a referral: the pupil's needs, every cycle, review and provision
// entry (with costs), plans, and the readiness checklist — each limited by the link's allow-lists.
// What an admin allows beyond the defaults for reviews and the pupil (the child's and the
// parents' voices, other names) goes only with the family's consent; without it, the defaults.
Result<json> ReferralEvidence(store::Conn& conn, Target& t, const store::RecordRow& pupil,
                              const store::RecordRow& referral) {
  const bool widened = FamilyConsented(referral);
  auto rows = store::RecordsOfPupil(conn, pupil.id);
  if (!rows.ok()) return rows.status();
  std::vector<int64_t> ids;
  for (const auto& r : *rows) ids.push_back(r.id);
  auto known = store::LinkRecordsByRecord(conn, t.ctx.link.id, ids);
  if (!known.ok()) return known.status();
  for (const auto& lr : *known) t.known[{lr.kind, lr.record_id}] = lr;
  json ctx = {{"cycles", json::array()},
              {"reviews", json::array()},
              {"provision", json::array()},
              {"plans", json::array()}};
  auto records = hub::LoadPupilRecords(conn, pupil.id);
  if (!records.ok()) return records.status();
  std::map<std::string, domain::ProvisionCost> costs;
  for (const auto& p : records->provision) costs[p.id] = domain::Cost(p);
  for (const auto& r : *rows) {
    if (r.kind == "pupil" || r.kind == "referral") continue;
    auto rec = Outbound(conn, t, r, &pupil, nullptr, r.kind == "review" && !widened);
    if (!rec.ok()) return rec.status();
    if (r.kind == "sen") ctx["sen"] = *rec;
    if (r.kind == "cycle") ctx["cycles"].push_back(*rec);
    if (r.kind == "review") ctx["reviews"].push_back(*rec);
    if (r.kind == "ehc_plan") ctx["plans"].push_back(*rec);
    if (r.kind == "provision") {
      json p = *rec;
      if (auto c = costs.find(hub::HubId(r.id)); c != costs.end())
        p["x_cost"] = {{"per_week", c->second.per_week},
                       {"per_term", c->second.per_term},
                       {"per_year", c->second.per_year}};
      ctx["provision"].push_back(std::move(p));
    }
  }
  domain::Readiness ready = domain::CheckReadiness(*records, Today());
  json items = json::array();
  for (const auto& i : ready.items)
    items.push_back({{"id", i.id},
                     {"label", i.label},
                     {"met", i.met},
                     {"evidence", i.evidence},
                     {"missing", i.missing}});
  ctx["readiness"] = {{"ready", ready.ready},
                      {"gate", ready.gate},
                      {"requested_by", ready.requested_by},
                      {"advice", ready.advice},
                      {"items", items}};
  json school = {{"urn", pupil.school_urn}};
  json pbody = json::parse(pupil.body, nullptr, false);
  if (pbody.is_object() && pbody.contains("laestab")) school["laestab"] = pbody["laestab"];
  ctx["school"] = school;
  return ctx;
}

// A request for an EHC needs assessment still being prepared goes nowhere until an admin submits
// it (`sendsync referral submit`, referral_submit.cpp).
bool IsDraftReferral(const store::RecordRow& row) {
  if (row.kind != "referral" || row.deleted) return false;
  json body = json::parse(row.body, nullptr, false);
  return body.is_object() && body.value("status", std::string("draft")) == "draft";
}

// Whether `link` may receive this record at all. A link belongs to one school: it gets the
// records of that school's pupils and no one else's (a trust's or an LA's hub holds many
// schools, and one school's MIS must never be sent another school's children). A referral goes
// only to a link for the LA it names, when both say.
bool ForThisLink(const store::Link& link, const store::RecordRow& row,
                 const store::RecordRow* pupil) {
  const std::string& school = pupil ? pupil->school_urn : row.school_urn;
  if (school.empty() || school != link.school_urn) return false;
  if (row.kind != "referral") return true;
  json body = json::parse(row.body, nullptr, false);
  const std::string la = body.is_object() && body.contains("la") && body["la"].is_string()
                             ? body["la"].get<std::string>()
                             : "";
  return la.empty() || LaOfLink(link).empty() || la == LaOfLink(link);
}

}  // namespace

std::string LaOfLink(const store::Link& link) {
  const json& c = link.config;
  return c.is_object() && c.contains("la") && c["la"].is_string() ? c["la"].get<std::string>() : "";
}

Status FanOut(store::Conn& conn, const std::string& kind, const std::vector<int64_t>& record_ids,
              const json& extra_context) {
  if (record_ids.empty()) return Status::OK();
  auto links = store::ListLinks(conn);
  if (!links.ok()) return links.status();
  std::vector<Target> targets;
  for (const auto& l : *links) {
    auto s = LinkSettings::Parse(l.settings, nullptr);
    if (!s.ok()) return s.status().WithContext("link " + l.name);
    const KindSettings* k = s->Find(kind);
    if (!k || !k->write) continue;
    targets.push_back({{l, std::move(*s), "link:" + l.name}, {}});
  }
  if (targets.empty()) return Status::OK();

  auto rows = store::LoadRecords(conn, record_ids);
  if (!rows.ok()) return rows.status();
  std::set<int64_t> pupil_ids;
  for (const auto& r : *rows)
    if (r.kind != "pupil") pupil_ids.insert(r.pupil_id);
  auto pupil_rows =
      store::LoadRecords(conn, std::vector<int64_t>(pupil_ids.begin(), pupil_ids.end()));
  if (!pupil_rows.ok()) return pupil_rows.status();
  std::map<int64_t, store::RecordRow> pupils;
  for (auto& p : *pupil_rows) pupils[p.id] = std::move(p);

  std::vector<int64_t> lookup = record_ids;
  lookup.insert(lookup.end(), pupil_ids.begin(), pupil_ids.end());
  std::vector<store::OutboxItem> out;
  for (Target& t : targets) {
    auto known = store::LinkRecordsByRecord(conn, t.ctx.link.id, lookup);
    if (!known.ok()) return known.status();
    for (const auto& lr : *known) t.known[{lr.kind, lr.record_id}] = lr;
    for (const auto& row : *rows) {
      if (IsDraftReferral(row)) continue;
      const store::RecordRow* pupil = nullptr;
      if (row.kind != "pupil") {
        auto p = pupils.find(row.pupil_id);
        if (p == pupils.end()) continue;  // an orphan cannot be sent meaningfully
        pupil = &p->second;
      }
      if (!ForThisLink(t.ctx.link, row, pupil)) continue;
      auto have = t.known.find({row.kind, row.id});
      json change;
      ChangeOp op = ChangeOp::kUpsert;
      json canonical;
      if (row.deleted) {
        if (have == t.known.end()) continue;  // it never had it
        op = ChangeOp::kDelete;
        change["record"] = {{"kind", row.kind}, {"id", have->second.external_id}};
        if (pupil) change["record"]["pupil"] = {{"upn", pupil->upn}};
      } else {
        auto rec = Outbound(conn, t, row, pupil, &canonical);
        if (!rec.ok()) return rec.status();
        if (have != t.known.end() && have->second.base) {
          json base = json::parse(*have->second.base, nullptr, false);
          if (base == canonical && extra_context.is_null()) continue;  // it already has this
        }
        change["record"] = std::move(*rec);
        change["base"] = canonical;
        json ctx = json::object();
        if (pupil) {
          auto p = Outbound(conn, t, *pupil, nullptr, nullptr,
                            row.kind == "referral" && !FamilyConsented(row));
          if (!p.ok()) return p.status();
          ctx["pupil"] = std::move(*p);
        }
        if (row.kind == "referral" && pupil) {
          auto ev = ReferralEvidence(conn, t, *pupil, row);
          if (!ev.ok()) return ev.status();
          ctx.update(*ev);
        }
        if (extra_context.is_object()) ctx.update(extra_context);
        change["context"] = std::move(ctx);
      }
      store::OutboxItem o;
      o.link_id = t.ctx.link.id;
      o.kind = row.kind;
      o.record_id = row.id;
      o.op = op;
      o.payload = change.dump();
      // Same change to the same link → same key, so a commit replayed after a crash queues
      // nothing twice and the target can recognise a repeat.
      o.idem_key = audit::Sha256Hex(std::to_string(t.ctx.link.id) + "|" + row.kind + "|" +
                                    std::to_string(row.id) + "|" + std::to_string(row.version) +
                                    "|" + ChangeOpName(op) + "|" + o.payload)
                       .substr(0, 40);
      if (have != t.known.end()) o.remote_id = have->second.external_id;
      out.push_back(std::move(o));
    }
  }
  return store::InsertOutbox(conn, out);
}

}  // namespace sendsync::sync::detail
