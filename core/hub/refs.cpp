// Translating references between records across id spaces (see hub.h).
#include <map>
#include <set>

#include "core/hub/hub.h"

namespace sendsync::hub {

using nlohmann::json;

const std::vector<RefField>& RefFields() {
  static const std::vector<RefField> kRefs = {
      {"cycle", "planned_provision", "provision", true},
      {"provision", "cycle_id", "cycle", false},
      {"review", "cycle_id", "cycle", false},
      {"referral", "cycle_ids", "cycle", true},
      {"referral", "review_ids", "review", true},
      {"referral", "provision_ids", "provision", true},
      {"ehc_plan", "referral_id", "referral", false},
  };
  return kRefs;
}

namespace {

// Calls fn on every reference value (a string) of `kind` in `bodies`.
void ForEachRef(const std::string& kind, const std::vector<json*>& bodies,
                const std::function<void(const RefField&, json&)>& fn) {
  for (const RefField& r : RefFields()) {
    if (kind != r.kind) continue;
    for (json* b : bodies) {
      if (!b || !b->is_object()) continue;
      auto it = b->find(r.field);
      if (it == b->end()) continue;
      if (r.list && it->is_array()) {
        for (json& v : *it)
          if (v.is_string()) fn(r, v);
      } else if (!r.list && it->is_string()) {
        fn(r, *it);
      }
    }
  }
}

bool IsPending(const std::string& v) {
  return v.rfind("x:", 0) == 0;
}

// "x:<link>:<ext>" -> (link, ext).
bool SplitPending(const std::string& v, int64_t& link, std::string& ext) {
  size_t colon = v.find(':', 2);
  if (colon == std::string::npos) return false;
  try {
    link = std::stoll(v.substr(2, colon - 2));
  } catch (...) {
    return false;
  }
  ext = v.substr(colon + 1);
  return true;
}

}  // namespace

Status RefsIn(store::Conn& conn, int64_t link_id, const std::string& kind,
              const std::vector<json*>& bodies) {
  std::map<std::string, std::set<std::string>> wanted;  // target kind -> their ids
  ForEachRef(kind, bodies, [&](const RefField& r, json& v) { wanted[r.target].insert(v); });
  std::map<std::string, std::map<std::string, int64_t>> found;
  for (const auto& [target, ids] : wanted) {
    auto rows = store::RecordIdsByExternal(conn, link_id, target,
                                           std::vector<std::string>(ids.begin(), ids.end()));
    if (!rows.ok()) return rows.status();
    found[target] = std::move(*rows);
  }
  ForEachRef(kind, bodies, [&](const RefField& r, json& v) {
    const std::string ext = v.get<std::string>();
    auto it = found[r.target].find(ext);
    v = it != found[r.target].end() ? HubId(it->second)
                                    : "x:" + std::to_string(link_id) + ":" + ext;
  });
  return Status::OK();
}

Status ResolvePending(store::Conn& conn, const std::string& kind,
                      const std::vector<json*>& bodies) {
  // (link, target kind) -> their ids
  std::map<std::pair<int64_t, std::string>, std::set<std::string>> wanted;
  ForEachRef(kind, bodies, [&](const RefField& r, json& v) {
    int64_t link;
    std::string ext;
    if (IsPending(v) && SplitPending(v, link, ext)) wanted[{link, r.target}].insert(ext);
  });
  if (wanted.empty()) return Status::OK();
  std::map<std::pair<int64_t, std::string>, std::map<std::string, int64_t>> found;
  for (const auto& [key, ids] : wanted) {
    auto rows = store::RecordIdsByExternal(conn, key.first, key.second,
                                           std::vector<std::string>(ids.begin(), ids.end()));
    if (!rows.ok()) return rows.status();
    found[key] = std::move(*rows);
  }
  ForEachRef(kind, bodies, [&](const RefField& r, json& v) {
    int64_t link;
    std::string ext;
    if (!IsPending(v) || !SplitPending(v, link, ext)) return;
    auto& m = found[{link, r.target}];
    if (auto it = m.find(ext); it != m.end()) v = HubId(it->second);
  });
  return Status::OK();
}

Status RefsOut(store::Conn& conn, int64_t link_id, const std::string& kind,
               const std::vector<json*>& bodies) {
  SENDSYNC_RETURN_IF_ERROR(ResolvePending(conn, kind, bodies));
  std::set<int64_t> ids;
  ForEachRef(kind, bodies, [&](const RefField&, json& v) {
    if (int64_t id = ParseHubId(v.get<std::string>())) ids.insert(id);
  });
  if (ids.empty()) return Status::OK();
  auto rows =
      store::LinkRecordsByRecord(conn, link_id, std::vector<int64_t>(ids.begin(), ids.end()));
  if (!rows.ok()) return rows.status();
  std::map<int64_t, std::string> theirs;
  for (const auto& lr : *rows) theirs[lr.record_id] = lr.external_id;
  ForEachRef(kind, bodies, [&](const RefField&, json& v) {
    int64_t id = ParseHubId(v.get<std::string>());
    if (auto it = theirs.find(id); id && it != theirs.end()) v = it->second;
  });
  return Status::OK();
}

}  // namespace sendsync::hub
