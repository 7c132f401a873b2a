// The three-way field merge. Pure: no store, no adapter.
#include <algorithm>

#include "core/sync/sync.h"

namespace sendsync::sync {

using nlohmann::json;

namespace {

// The field's value, or nullptr when the side has no such field or it is null. Values are
// compared and copied through these pointers: a merge copies a value only when it takes it.
const json* Field(const json* obj, const std::string& f) {
  if (!obj || !obj->is_object()) return nullptr;
  auto it = obj->find(f);
  if (it == obj->end() || it->is_null()) return nullptr;
  return &*it;
}

bool Same(const json* a, const json* b) {
  return a && b ? *a == *b : a == b;
}

std::optional<json> Copy(const json* v) {
  return v ? std::optional<json>(*v) : std::nullopt;
}

void Set(json& obj, const std::string& f, const json* v) {
  if (v)
    obj[f] = *v;
  else
    obj.erase(f);
}

}  // namespace

MergeOutcome Merge(const json* base, const json* ours, const json& theirs,
                   const KindSettings& settings, const std::set<std::string>& held) {
  MergeOutcome out;
  out.merged = ours && ours->is_object() ? *ours : json::object();
  out.agreed_base = base && base->is_object() ? *base : json::object();

  std::set<std::string> fields;
  for (const json* side : {base, ours, &theirs})
    if (side && side->is_object())
      for (auto it = side->begin(); it != side->end(); ++it) fields.insert(it.key());

  for (const std::string& f : fields) {
    const json *b = Field(base, f), *h = Field(ours, f), *t = Field(&theirs, f);
    // A field the link leaves out is "no opinion", never "cleared": systems that do not store a
    // field we pushed them must not wipe it from the hub. Clearing takes an explicit null.
    if (!theirs.is_object() || !theirs.contains(f)) continue;
    if (held.count(f)) continue;  // a person is deciding this field
    if (!ours) {
      Set(out.merged, f, t);
      Set(out.agreed_base, f, t);
      if (t) out.changed.push_back(f);
      continue;
    }
    if (Same(t, h)) {
      Set(out.agreed_base, f, t);
      continue;
    }
    if (Same(t, b)) continue;  // only the hub changed it; the base stays until the link has it
    if (Same(h, b)) {          // only the link changed it
      Set(out.merged, f, t);
      Set(out.agreed_base, f, t);
      out.changed.push_back(f);
      continue;
    }
    // Both changed it, differently.
    const std::optional<FieldAuthority> who = settings.AuthorityFor(f);
    if (who == FieldAuthority::kLink) {
      Set(out.merged, f, t);
      Set(out.agreed_base, f, t);
      out.changed.push_back(f);
    } else if (who == FieldAuthority::kHub) {
      Set(out.agreed_base, f, t);  // the link has t; the hub's value will be pushed to it
    } else {
      out.conflicts.push_back({f, Copy(b), Copy(h), Copy(t)});
    }
  }
  return out;
}

}  // namespace sendsync::sync
