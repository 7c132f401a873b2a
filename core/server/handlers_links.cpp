// whoami, schools, links, runs and plugins.
#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>

#include "core/server/handlers.h"
#include "core/server/schools.h"

namespace sendsync::server::handlers {

using nlohmann::json;

namespace {

// A page of an in-memory list; the cursor is an offset.
json OffsetPage(const json& all, const Page& page) {
  const size_t from = page.cursor.empty() ? 0 : static_cast<size_t>(std::stoll(page.cursor));
  json items = json::array();
  for (size_t i = from; i < all.size() && items.size() < static_cast<size_t>(page.limit); ++i)
    items.push_back(all[i]);
  const size_t end = from + items.size();
  return Page::Wrap(std::move(items), end < all.size() ? std::to_string(end) : "");
}

int Severity(const std::string& status) {
  if (status == "failed" || status == "abandoned") return 3;
  if (status == "needs_person") return 2;
  if (status == "running") return 1;
  return 0;
}

Reply Toggle(Call& call, bool enable) {
  store::Link l;
  if (auto r = LinkParam(call, l)) return *r;
  store::Tx tx(*call.conn);
  Status st = tx.status();
  if (st.ok()) st = store::SetLinkEnabled(*call.conn, l.id, enable);
  if (st.ok()) st = AuditAction(call, enable ? "link.enable" : "link.disable", {{"link", l.name}});
  if (st.ok()) st = tx.Commit();
  if (!st.ok()) return FromStatus(st);
  l.enabled = enable;
  return {200, LinkJson(call, l, true)};
}

}  // namespace

Reply WhoAmI(Call& call) {
  json perms = json::array();
  for (Perm p : AllPerms())
    if (RoleAllows(call.caller.role, p)) perms.push_back(PermName(p));
  return {200,
          {{"name", call.caller.name},
           {"role", RoleName(call.caller.role)},
           {"school_urn", call.caller.school_urn.empty() ? json() : json(call.caller.school_urn)},
           {"permissions", perms}}};
}

Reply ListSchools(Call& call) {
  Page page;
  if (auto r = ParsePage(call, page)) return *r;
  auto links = store::ListLinks(*call.conn);
  if (!links.ok()) return FromStatus(links.status());
  const std::string school = call.School();
  std::map<std::string, json> by_urn;
  for (const auto& l : *links) {
    if (!school.empty() && l.school_urn != school) continue;
    if (l.adapter_id == sync::kImportAdapter) continue;  // no school of its own
    json& s = by_urn[l.school_urn];
    if (s.is_null())
      s = {{"urn", l.school_urn},
           {"links", 0},
           {"links_enabled", 0},
           {"running", 0},
           {"last_run_status", nullptr}};
    s["links"] = s["links"].get<int>() + 1;
    if (l.enabled) s["links_enabled"] = s["links_enabled"].get<int>() + 1;
    if (call.env.scheduler.RunningAnywhere(*call.conn, l))
      s["running"] = s["running"].get<int>() + 1;
    auto runs = store::ListRuns(*call.conn, l.id, 1);
    if (runs.ok() && !runs->empty()) {
      const std::string st = (*runs)[0].status;
      if (s["last_run_status"].is_null() ||
          Severity(st) > Severity(s["last_run_status"].get<std::string>()))
        s["last_run_status"] = st;
    }
  }
  auto names = store::ListSchoolNames(*call.conn);
  if (!names.ok()) return FromStatus(names.status());
  for (auto& [urn, s] : by_urn) s["name"] = nullptr;
  for (const auto& n : *names)
    if (auto it = by_urn.find(n.urn); it != by_urn.end()) it->second["name"] = n.name;
  json all = json::array();
  for (auto& [urn, s] : by_urn) all.push_back(std::move(s));
  return {200, OffsetPage(all, page)};
}

// Names one school (a token limited to a school may name only its own), audited.
Reply SetSchoolName(Call& call) {
  const std::string urn = call.params["urn"];
  Errors e;
  if (urn.size() != 6 || urn.find_first_not_of("0123456789") != std::string::npos)
    e.Add("path:urn", "must be a school URN (6 digits)");
  else if (!call.MaySee(urn))
    return Problem(403, "this token is limited to another school");
  OnlyFields(call.body, {"name"}, e);
  std::string name;
  if (!call.body.is_object() || !call.body.contains("name") || !call.body["name"].is_string())
    e.Add("/name", "is required: the school's name as text");
  else if (Status st = CheckSchoolName(call.body["name"].get<std::string>()); !st.ok())
    e.Add("/name", st.message());
  else
    name = call.body["name"].get<std::string>();
  if (!e.empty()) return e.ToReply();
  Status st = StoreSchoolNames(*call.conn, {{urn, name, "api", 0}}, call.caller.Actor(), "api");
  if (!st.ok()) return FromStatus(st);
  return {200, {{"urn", urn}, {"name", name}}};
}

Reply ListLinks(Call& call) {
  Page page;
  if (auto r = ParsePage(call, page)) return *r;
  auto links = store::ListLinks(*call.conn);
  if (!links.ok()) return FromStatus(links.status());
  const std::string school = call.School();
  json all = json::array();
  for (const auto& l : *links) {
    if (!school.empty() && l.school_urn != school) continue;
    if (l.adapter_id == "builtin-import") continue;  // the built-in link behind import-json
    all.push_back(LinkJson(call, l, false));
  }
  return {200, OffsetPage(all, page)};
}

Reply AddLink(Call& call) {
  static const std::regex kName(R"([A-Za-z0-9][A-Za-z0-9_.-]{0,63})");
  static const std::regex kUrn(R"([0-9]{6})");
  Errors e;
  const json& b = call.body;
  if (!b.is_object()) {
    e.Add("", "a JSON object with name, school_urn, adapter and config is needed");
    return e.ToReply();
  }
  for (auto it = b.begin(); it != b.end(); ++it)
    if (it.key() != "name" && it.key() != "school_urn" && it.key() != "adapter" &&
        it.key() != "schedule" && it.key() != "config" && it.key() != "settings")
      e.Add("/" + it.key(), "unknown field");
  auto text = [&](const char* k, bool required) -> std::string {
    if (!b.contains(k)) {
      if (required) e.Add(std::string("/") + k, "is required");
      return "";
    }
    if (!b[k].is_string()) {
      e.Add(std::string("/") + k, "must be text");
      return "";
    }
    return b[k].get<std::string>();
  };
  sync::LinkSpec spec;
  spec.name = text("name", true);
  spec.school_urn = text("school_urn", true);
  spec.adapter_id = text("adapter", true);
  if (size_t at = spec.adapter_id.find('@'); at != std::string::npos) {  // ID@VERSION pins one
    spec.adapter_version = spec.adapter_id.substr(at + 1);
    spec.adapter_id.resize(at);
    if (spec.adapter_version.empty()) e.Add("/adapter", "the version after '@' is empty");
  }
  if (b.contains("schedule")) spec.schedule = text("schedule", false);
  if (!spec.name.empty() && !std::regex_match(spec.name, kName))
    e.Add("/name", "must be 1-64 letters, digits, '.', '_' or '-'");
  if (!spec.school_urn.empty() && !std::regex_match(spec.school_urn, kUrn))
    e.Add("/school_urn", "must be a school URN (6 digits)");
  if (!b.contains("config"))
    e.Add("/config", "is required");
  else if (!b["config"].is_object())
    e.Add("/config", "must be a JSON object");
  else
    spec.config = b["config"];
  if (b.contains("settings")) {
    if (!b["settings"].is_object())
      e.Add("/settings", "must be a JSON object");
    else
      spec.settings = b["settings"];
  }
  if (b.contains("schedule") && b["schedule"].is_string()) {
    Status st = sync::ValidateSchedule(spec.schedule);
    if (!st.ok()) e.Add("/schedule", st.message());
  }
  if (!e.empty()) return e.ToReply();
  if (!call.MaySee(spec.school_urn)) return Problem(403, "this token is limited to another school");
  auto id = sync::AddLink(call.env.store, spec, call.env.runtime, call.env.plugin_dir,
                          call.caller.Actor());
  if (!id.ok()) return FromStatus(id.status());
  auto l = store::GetLinkById(*call.conn, *id);
  if (!l.ok()) return FromStatus(l.status());
  return {201, LinkJson(call, *l, true)};
}

Reply ShowLink(Call& call) {
  store::Link l;
  if (auto r = LinkParam(call, l)) return *r;
  return {200, LinkJson(call, l, true)};
}

Reply TestLink(Call& call) {
  store::Link l;
  if (auto r = LinkParam(call, l)) return *r;
  Status st = sync::TestLink(call.env.store, l.name, call.env.runtime, call.env.plugin_dir);
  if (st.code() == Status::Code::kNotFound || st.code() == Status::Code::kInternal)
    return FromStatus(st);
  return {200,
          {{"ok", st.ok()}, {"message", st.ok() ? "the adapter's check passed" : st.message()}}};
}

Reply EnableLink(Call& call) {
  return Toggle(call, true);
}
Reply DisableLink(Call& call) {
  return Toggle(call, false);
}

Reply RunLink(Call& call) {
  store::Link l;
  if (auto r = LinkParam(call, l)) return *r;
  const std::string wait = call.Query("wait", "false");
  if (wait != "true" && wait != "false" && wait != "1" && wait != "0") {
    Errors e;
    e.Add("query:wait", "must be true or false");
    return e.ToReply();
  }
  if (!l.enabled) return Problem(409, "link '" + l.name + "' is disabled");
  auto audit_request = [&]() {
    store::Tx tx(*call.conn);
    Status st = tx.status();
    if (st.ok()) st = AuditAction(call, "link.run", {{"link", l.name}});
    if (st.ok()) st = tx.Commit();
    return st;
  };
  if (wait == "true" || wait == "1") {
    if (call.env.scheduler.Running(l.name))
      return Problem(409, "link '" + l.name + "' is running already");
    if (Status st = audit_request(); !st.ok()) return FromStatus(st);
    auto r = call.env.scheduler.RunNow(l.name, sync::RunMode::kSync);
    if (!r.ok()) return FromStatus(r.status());
    return {200, r->ToJson()};
  }
  Status st = call.env.scheduler.StartRun(l.name);
  if (!st.ok()) return FromStatus(st);
  if (Status a = audit_request(); !a.ok()) return FromStatus(a);
  return {202, {{"link", l.name}, {"mode", "sync"}, {"state", "started"}}};
}

Reply DryRunLink(Call& call) {
  store::Link l;
  if (auto r = LinkParam(call, l)) return *r;
  auto r = call.env.scheduler.RunNow(l.name, sync::RunMode::kDryRun);
  if (!r.ok()) return FromStatus(r.status());
  json j = r->ToJson();
  j["changes"] = r->changes;
  return {200, j};
}

Reply ListRuns(Call& call) {
  Page page;
  if (auto r = ParsePage(call, page)) return *r;
  int64_t link_id = 0;
  if (auto r = LinkFilter(call, link_id)) return *r;
  const std::string school = call.School();
  LinkCache links(*call.conn);
  int64_t before = page.cursor.empty() ? 0 : std::stoll(page.cursor);
  json items = json::array();
  std::string next;
  // Filtering by school happens here, so read on until the page is full or the runs run out.
  for (;;) {
    auto runs = store::ListRuns(*call.conn, link_id, page.limit + 1, before);
    if (!runs.ok()) return FromStatus(runs.status());
    for (const auto& r : *runs) {
      before = r.id;
      if (!school.empty() && links.School(r.link_id) != school) continue;
      if (static_cast<int64_t>(items.size()) == page.limit) {
        next = std::to_string(items.back()["id"].get<int64_t>());
        break;
      }
      items.push_back(RunJson(r, links.Name(r.link_id), links.School(r.link_id)));
    }
    if (!next.empty() || static_cast<int64_t>(runs->size()) < page.limit + 1) break;
  }
  return {200, Page::Wrap(std::move(items), next)};
}

Reply ShowRun(Call& call) {
  int64_t id = 0;
  if (auto r = IdParam(call, "run_id", id)) return *r;
  auto run = store::GetRun(*call.conn, id);
  if (!run.ok()) return FromStatus(run.status());
  LinkCache links(*call.conn);
  if (!call.MaySee(links.School(run->link_id)))
    return Problem(403, "this token is limited to another school");
  return {200, RunJson(*run, links.Name(run->link_id), links.School(run->link_id))};
}

Reply ListPlugins(Call& call) {
  Page page;
  if (auto r = ParsePage(call, page)) return *r;
  // Which links run which version: a pin, else the newest installed, else the bundled plugin.
  auto installed = plugins::ListInstalled(call.env.runtime.adapters_dir);
  std::map<std::pair<std::string, std::string>, json> users;
  if (auto links = store::ListLinks(*call.conn); links.ok())
    for (const auto& l : *links) {
      if (!call.MaySee(l.school_urn)) continue;
      std::string v = l.adapter_version;
      if (v.empty())
        for (const auto& a : installed)
          if (a.id == l.adapter_id) v = a.version;  // sorted oldest first
      auto& u = users[{l.adapter_id, v}];
      if (u.is_null()) u = json::array();
      u.push_back(l.name);
    }
  auto describe = [&](const plugins::PluginInfo& p, json j, const std::string& version_key) {
    j["ok"] = p.ok;
    j["reason"] = p.reason;
    if (p.ok) {
      j["id"] = p.manifest.id;
      j["name"] = p.manifest.name;
      j["version"] = p.manifest.version;
      j["vendor"] = p.manifest.vendor;
      j["abi"] = p.manifest.abi;
      j["reads"] = p.manifest.reads;
      j["writes"] = p.manifest.writes;
      auto u = users.find({p.manifest.id, version_key});
      j["links"] = u == users.end() ? json::array() : u->second;
    }
    return j;
  };
  json all = json::array();
  for (const auto& p : plugins::Discover(call.env.plugin_dir, call.env.runtime))
    all.push_back(describe(
        p, {{"file", std::filesystem::path(p.path).filename().string()}, {"installed", false}},
        ""));
  for (const auto& a : installed)
    all.push_back(describe(plugins::Inspect(a.library, call.env.runtime),
                           {{"file", a.id + "/" + a.version + "/" +
                                         std::filesystem::path(a.library).filename().string()},
                            {"installed", true}},
                           a.version));
  return {200, OffsetPage(all, page)};
}

}  // namespace sendsync::server::handlers
