// Matching pulled records against changes still in flight in the outbox: a record the hub sent a
// link, whose answer was lost (or whose sender died after sending), comes back in the link's next
// pull under an id the link has never reported. It is the hub's record, not a new one. The same
// test (the pulled record holds what was sent) confirms updates whose outcome was unknown.
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "core/hub/hub.h"
#include "core/sync/internal.h"
#include "core/sync/kind_policy.h"

namespace sendsync::sync::detail {

using nlohmann::json;

namespace {

// The request's own reference, which a target echoes (the Referral API's client_reference): ""
// when the record has none.
std::string ClientReferenceOf(const json& record) {
  if (!record.is_object()) return "";
  auto it = record.find("client_reference");
  return it != record.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

bool HoldsWhatWasSent(const json& sent, const json& pulled) {
  if (!pulled.is_object()) return false;
  const json fields = FieldsOf(sent);
  if (fields.empty()) return false;
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    auto p = pulled.find(it.key());
    if (it.value().is_null()) {
      if (p != pulled.end() && !p->is_null()) return false;
    } else if (p == pulled.end() || *p != it.value()) {
      return false;
    }
  }
  return true;
}

bool DeliveredWithTheRecord(const std::string& kind) {
  const KindPolicy* policy = PolicyOf(kind);
  return !policy || policy->delivered_with_record;
}

namespace {

// Whether every SEN episode sent is one the link reports: in its history, or its current status
// (a system may keep the current episode only as the status, and past ones as its history).
bool HoldsSenHistory(const json& sent, const json& pulled) {
  if (!sent.is_array()) return sent.is_null();
  std::vector<json> theirs;
  if (auto h = pulled.find("history"); h != pulled.end() && h->is_array())
    theirs.insert(theirs.end(), h->begin(), h->end());
  json current = json::object();
  if (auto p = pulled.find("provision"); p != pulled.end()) current["provision"] = *p;
  if (auto p = pulled.find("provision_start"); p != pulled.end()) current["start"] = *p;
  theirs.push_back(std::move(current));
  for (const json& e : sent) {
    if (!e.is_object()) return false;
    bool found = false;
    for (const json& t : theirs) {
      if (!t.is_object()) continue;
      bool same = true;
      for (const char* k : {"provision", "start", "end"}) {
        auto a = e.find(k);
        if (a == e.end() || a->is_null()) continue;  // the sent episode does not say
        auto b = t.find(k);
        same = same && b != t.end() && *b == *a;
      }
      if (same) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace

bool LinkHolds(const std::string& kind, const json& sent, const json& pulled) {
  if (kind != "sen" || !sent.is_object() || !sent.contains("history"))
    return HoldsWhatWasSent(sent, pulled);
  json rest = sent;
  rest.erase("history");
  return HoldsWhatWasSent(rest, pulled) && pulled.is_object() &&
         HoldsSenHistory(sent["history"], pulled);
}

Result<std::vector<std::optional<store::OutboxItem>>> MatchInFlight(
    store::Conn& conn, int64_t link_id, const std::string& kind,
    const std::vector<InFlightProbe>& probes) {
  std::vector<std::optional<store::OutboxItem>> out(probes.size());
  if (probes.empty()) return out;
  auto creates = store::InFlightCreates(conn, link_id, kind);
  if (!creates.ok()) return creates.status();
  if (creates->empty()) return out;
  std::vector<int64_t> ids;
  for (const store::OutboxItem& o : *creates) ids.push_back(o.record_id);
  auto rows = store::LoadRecords(conn, ids);
  if (!rows.ok()) return rows.status();
  std::map<int64_t, int64_t> pupil_of;
  for (const store::RecordRow& r : *rows) pupil_of[r.id] = r.pupil_id;
  // A hub record this link already knows under an id of its own is not in flight any more.
  auto linked = store::LinkRecordsByRecord(conn, link_id, ids);
  if (!linked.ok()) return linked.status();
  std::set<int64_t> known;
  for (const store::LinkRecord& l : *linked)
    if (l.kind == kind && l.external_id != hub::HubId(l.record_id)) known.insert(l.record_id);

  std::set<int64_t> taken;  // each change matches one pulled record at most
  for (size_t i = 0; i < probes.size(); ++i) {
    const json& pulled = *probes[i].raw;
    for (const store::OutboxItem& o : *creates) {  // oldest first
      if (taken.count(o.id) || known.count(o.record_id)) continue;
      if (pupil_of[o.record_id] != probes[i].pupil_id) continue;
      json payload = json::parse(o.payload, nullptr, false);
      if (!payload.is_object()) continue;
      const json sent = payload.value("record", json());
      // A request the target knows by the reference the hub gave it (a referral's
      // client_reference) is that request whatever the target has done with it since; anything
      // else is the same record when it holds what was sent, value for value.
      const std::string ref = ClientReferenceOf(sent);
      const std::string theirs = ClientReferenceOf(pulled);
      if (!ref.empty() && !theirs.empty() ? ref != theirs : !HoldsWhatWasSent(sent, pulled))
        continue;
      out[i] = o;
      taken.insert(o.id);
      known.insert(o.record_id);  // a record goes out as one create at a time
      break;
    }
  }
  return out;
}

}  // namespace sendsync::sync::detail
