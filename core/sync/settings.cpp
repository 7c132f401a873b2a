// Link settings: direction, authority, code maps and allow-lists per record kind.
#include <algorithm>

#include "core/sync/sync.h"
#include "sendsync/sdk/records.h"

namespace sendsync::sync {

using nlohmann::json;

namespace {

Status Bad(const std::string& key, const std::string& why) {
  return Status::InvalidArgument("settings: " + key + ": " + why);
}

// Every field of a kind plus the dotted paths of nested code fields a map may name.
bool KnownField(const std::string& kind, const std::string& path) {
  auto k = records::ParseKind(kind);
  if (!k) return false;
  std::string top = path.substr(0, path.find('.'));
  const auto& fields = records::FieldNames(*k);
  return std::find(fields.begin(), fields.end(), top) != fields.end();
}

}  // namespace

std::optional<FieldAuthority> KindSettings::AuthorityFor(const std::string& field) const {
  auto it = authority.find(field);
  if (it != authority.end()) return it->second;
  it = authority.find("*");
  if (it == authority.end()) return std::nullopt;
  return it->second;
}

bool KindSettings::Allows(const std::string& field) const {
  for (const std::string& a : allow)
    if (a == "*" || a == field) return true;
  return false;
}

const std::vector<std::string>& DefaultAllow(const std::string& kind) {
  // What each kind needs to be useful to another system, and no more. Voices in reviews and the
  // pupil's other names and numbers stay in the hub unless a link is allowed them explicitly.
  static const std::map<std::string, std::vector<std::string>> kDefaults = {
      {"pupil",
       {"upn", "former_upn", "legal_surname", "legal_forename", "dob", "sex", "nc_year",
        "school_urn", "laestab"}},
      {"sen", {"*"}},
      {"cycle", {"*"}},
      {"provision", {"*"}},
      {"review",
       {"cycle_id", "date", "review_kind", "attendees", "parents_met", "progress", "impact",
        "decision", "next_review", "notice_sent", "report_sent", "la_decision_date", "la_decision",
        "proposals_sent", "amended_plan_issued"}},
      {"referral", {"*"}},
      {"ehc_plan", {"*"}},
  };
  static const std::vector<std::string> kNone;
  auto it = kDefaults.find(kind);
  return it == kDefaults.end() ? kNone : it->second;
}

const KindSettings* LinkSettings::Find(const std::string& kind) const {
  auto it = kinds.find(kind);
  return it == kinds.end() ? nullptr : &it->second;
}

LinkSettings LinkSettings::Defaults(const plugins::Manifest& m) {
  LinkSettings s;
  for (auto kind : records::AllKinds()) {
    std::string name = records::KindName(kind);
    bool r = m.CanRead(name), w = m.CanWrite(name);
    if (!r && !w) continue;
    KindSettings k;
    k.read = r;
    k.write = w;
    k.allow = DefaultAllow(name);
    s.kinds[name] = k;
  }
  return s;
}

Result<LinkSettings> LinkSettings::Parse(const json& j, const plugins::Manifest* m) {
  if (!j.is_object()) return Bad("(top)", "must be a JSON object with \"kinds\"");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "kinds") return Bad(it.key(), "unknown key (expected \"kinds\")");
  auto kinds = j.find("kinds");
  if (kinds == j.end() || !kinds->is_object())
    return Bad("kinds", "must be an object keyed by record kind");
  LinkSettings out;
  for (auto it = kinds->begin(); it != kinds->end(); ++it) {
    const std::string kind = it.key();
    const std::string at = "kinds." + kind;
    if (!records::ParseKind(kind)) return Bad(at, "unknown record kind");
    if (!it->is_object()) return Bad(at, "must be an object");
    KindSettings k;
    std::string direction = "read";
    for (auto f = it->begin(); f != it->end(); ++f) {
      const std::string key = f.key();
      if (key == "direction") {
        if (!f->is_string())
          return Bad(at + ".direction", "must be \"read\", \"write\", \"both\" or \"none\"");
        direction = f->get<std::string>();
        // none: the link neither reads nor writes the kind itself; its allow-list says what of
        // it may go out as context with the kinds the link writes (reviews in a referral).
        if (direction != "read" && direction != "write" && direction != "both" &&
            direction != "none")
          return Bad(
              at + ".direction",
              "must be \"read\", \"write\", \"both\" or \"none\", not \"" + direction + "\"");
      } else if (key == "authority") {
        if (!f->is_object())
          return Bad(at + ".authority", "must map fields to \"link\" or \"hub\"");
        for (auto a = f->begin(); a != f->end(); ++a) {
          auto who = ParseFieldAuthority(a->is_string() ? a->get_ref<const std::string&>() : "");
          if (!who.ok()) return Bad(at + ".authority." + a.key(), "must be \"link\" or \"hub\"");
          if (a.key() != "*" && !KnownField(kind, a.key()))
            return Bad(at + ".authority." + a.key(), "is not a field of " + kind);
          k.authority[a.key()] = *who;
        }
      } else if (key == "code_maps") {
        if (!f->is_object()) return Bad(at + ".code_maps", "must map field paths to code tables");
        for (auto c = f->begin(); c != f->end(); ++c) {
          if (!KnownField(kind, c.key()))
            return Bad(at + ".code_maps." + c.key(), "is not a field of " + kind);
          if (!c->is_object())
            return Bad(at + ".code_maps." + c.key(), "must map local codes to canonical codes");
          for (auto v = c->begin(); v != c->end(); ++v) {
            if (!v->is_string())
              return Bad(at + ".code_maps." + c.key() + "." + v.key(), "must be a code (text)");
            k.code_maps[c.key()][v.key()] = v->get<std::string>();
          }
        }
      } else if (key == "allow") {
        if (!f->is_array()) return Bad(at + ".allow", "must be a list of field names (or [\"*\"])");
        for (const json& a : *f) {
          if (!a.is_string()) return Bad(at + ".allow", "must hold field names");
          std::string name = a.get<std::string>();
          if (name != "*" && !KnownField(kind, name))
            return Bad(at + ".allow", "\"" + name + "\" is not a field of " + kind);
          k.allow.push_back(name);
        }
      } else {
        return Bad(at + "." + key, "unknown key (expected direction, authority, code_maps, allow)");
      }
    }
    if (!it->contains("allow")) k.allow = DefaultAllow(kind);
    k.read = direction == "read" || direction == "both";
    k.write = direction == "write" || direction == "both";
    if (m) {
      if (k.read && !m->CanRead(kind))
        return Bad(at + ".direction", "adapter '" + m->id + "' cannot read " + kind);
      if (k.write && !m->CanWrite(kind))
        return Bad(at + ".direction", "adapter '" + m->id + "' cannot write " + kind);
    }
    out.kinds[kind] = std::move(k);
  }
  return out;
}

json LinkSettings::ToJson() const {
  json kinds_json = json::object();
  for (const auto& [kind, k] : kinds) {
    json e;
    e["direction"] = k.read && k.write ? "both" : k.read ? "read" : k.write ? "write" : "none";
    json authority = json::object();
    for (const auto& [field, who] : k.authority) authority[field] = FieldAuthorityName(who);
    e["authority"] = std::move(authority);
    e["code_maps"] = k.code_maps;
    e["allow"] = k.allow;
    kinds_json[kind] = std::move(e);
  }
  return {{"kinds", kinds_json}};
}

// ---- code maps ----

namespace {

// Visits every string value at a dotted path ("needs.type" walks arrays of objects).
void Visit(json& node, const std::string& path, const std::string& shown,
           const std::function<void(json&, const std::string&)>& fn) {
  size_t dot = path.find('.');
  std::string head = path.substr(0, dot);
  if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i)
      Visit(node[i], path, shown + "[" + std::to_string(i) + "]", fn);
    return;
  }
  if (!node.is_object()) return;
  auto it = node.find(head);
  if (it == node.end()) return;
  std::string here = shown.empty() ? head : shown + "." + head;
  if (dot == std::string::npos) {
    if (it->is_string()) fn(*it, here);
    return;
  }
  Visit(*it, path.substr(dot + 1), here, fn);
}

}  // namespace

std::vector<std::string> ApplyCodeMaps(json& record, const KindSettings& s) {
  std::vector<std::string> problems;
  for (const auto& map : s.code_maps) {  // not a structured binding: clang 14 cannot capture one
    Visit(record, map.first, "",
          [&, &path = map.first, &table = map.second](json& v, const std::string& at) {
            const std::string local = v.get<std::string>();
            auto it = table.find(local);
            if (it != table.end()) {
              v = it->second;
              return;
            }
            // A canonical code that is already one of the map's targets passes (systems that send
            // census codes for some values and local wording for others).
            for (const auto& [from, to] : table)
              if (to == local) return;
            problems.push_back(at + ": no code map entry for \"" + local +
                               "\" (add it to this link's code_maps." + path + ")");
          });
  }
  return problems;
}

void ReverseCodeMaps(json& record, const KindSettings& s) {
  for (const auto& map : s.code_maps) {  // not a structured binding: clang 14 cannot capture one
    Visit(record, map.first, "", [&, &table = map.second](json& v, const std::string&) {
      const std::string canonical = v.get<std::string>();
      for (const auto& [local, to] : table)  // std::map order: the first local code by name
        if (to == canonical) {
          v = local;
          return;
        }
    });
  }
}

}  // namespace sendsync::sync
