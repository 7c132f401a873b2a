// sendsync link …, sync, conflicts …, quarantine …, matches …, outbox …, runs list, audit ….
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <Poco/Util/OptionSet.h>
#include <nlohmann/json.hpp>

#include "core/audit/anchor.h"
#include "core/audit/audit.h"
#include "core/cli/commands.h"
#include "core/cli/context.h"
#include "core/hub/hub.h"
#include "sendsync/sdk/records.h"

namespace sendsync::cli {
namespace {

using nlohmann::json;

std::string S(const json& j, const char* k, const std::string& fallback = "") {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) return fallback;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string Opt(const std::optional<std::string>& v) { return v ? *v : "(absent)"; }

Result<json> ReadJsonFile(const std::string& path, const std::string& what) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument(what + " " + path + " is not valid JSON");
  return j;
}

// The item id of a queue command, or the usage error to print. The error is its own value (not a
// Status whose text is cut up), so the caller prints it as it is.
struct IdArgument {
  int64_t id = 0;
  std::string usage_error;  // empty when `id` holds the argument
};
IdArgument IdArg(const Invocation& inv) {
  const std::string& a = inv.args[0];
  if (a.empty() || a.find_first_not_of("0123456789") != std::string::npos)
    return {0, "'" + a + "' is not a number"};
  if (a.size() > 18) return {0, "'" + a + "' is too large to be an id"};
  return {std::stoll(a), ""};
}

// Opens the store and a connection, or prints why not.
struct Open {
  std::unique_ptr<Context> ctx;
  std::unique_ptr<store::Conn> conn;
  int code = kExitOk;
};
Open OpenAll(const Invocation& inv) {
  Open o;
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) {
    o.code = Fail(inv, ctx.status());
    return o;
  }
  o.ctx = std::move(*ctx);
  auto c = o.ctx->store->Connect();
  if (!c.ok()) {
    o.code = Fail(inv, c.status());
    return o;
  }
  o.conn = std::move(*c);
  return o;
}

int Done(const Invocation& inv, const Status& st, const std::string& message) {
  if (!st.ok()) return Fail(inv, st);
  if (inv.json)
    inv.PrintJson({{"ok", true}, {"message", message}});
  else
    *inv.out << message << "\n";
  return kExitOk;
}

std::string LinkName(store::Conn& conn, int64_t id) {
  auto l = store::GetLinkById(conn, id);
  return l.ok() ? l->name.substr(0, l->name.find("#removed-")) : "link " + std::to_string(id);
}

store::QueueFilter FilterFrom(const Invocation& inv, store::Conn& conn, const std::string& status,
                              Status& err) {
  store::QueueFilter f;
  f.status = inv.Get("status", status);
  if (f.status == "all") f.status.clear();
  f.school_urn = inv.Get("school");
  f.limit = std::atoll(inv.Get("limit", "100").c_str());
  f.after_id = std::atoll(inv.Get("after", "0").c_str());
  if (inv.Has("link")) {
    auto l = store::GetLink(conn, inv.Get("link"), true);
    if (!l.ok()) err = l.status();
    else f.link_id = l->id;
  }
  return f;
}

void QueueOptions(Poco::Util::OptionSet& s, const std::string& statuses) {
  AddCommonOptions(s);
  AddValueOption(s, "link", "NAME", "only this link");
  AddValueOption(s, "school", "URN", "only this school's links");
  AddValueOption(s, "status", "STATUS", statuses + ", or all");
  AddValueOption(s, "limit", "N", "at most N (default 100)");
  AddValueOption(s, "after", "ID", "the page after this id");
}

// ---- links ----

json LinkJson(store::Conn& conn, const store::Link& l, bool details) {
  json j = {{"name", l.name}, {"school_urn", l.school_urn}, {"adapter", l.adapter_id},
            {"schedule", l.schedule}, {"enabled", l.enabled}};
  // null: follows the newest installed version of the adapter (else the bundled plugin)
  j["adapter_version"] = l.adapter_version.empty() ? json() : json(l.adapter_version);
  if (l.removed_at) j["removed_at"] = FormatTime(*l.removed_at);
  auto runs = store::ListRuns(conn, l.id, 1);
  if (runs.ok() && !runs->empty()) {
    const auto& r = (*runs)[0];
    j["last_run"] = {{"id", r.id}, {"status", r.status}, {"started", FormatTime(r.started_at)},
                     {"summary", r.summary}};
    if (!r.error.empty()) j["last_run"]["error"] = r.error;
  }
  // Health counts what waits for a person, not only how the last run ended: a run can end "ok"
  // while changes an earlier run dead-lettered are still undelivered.
  auto counts = store::OutboxCounts(conn, l.id);
  const int64_t dead = counts.ok() && counts->count("dead") ? counts->at("dead") : 0;
  j["dead_letters"] = dead;
  const std::string last = j.contains("last_run") ? S(j["last_run"], "status") : "";
  j["health"] = last == "failed" || last == "abandoned" ? "failing"
                : dead > 0 || last == "needs_person"    ? "needs_person"
                : last.empty()                          ? "never_run"
                                                        : "ok";
  if (details) {
    j["config"] = l.config;  // secrets are references (env:NAME / file:PATH), never values
    j["settings"] = l.settings;
    json cursors = json::object();
    for (auto k : records::AllKinds()) {
      auto c = store::GetCursor(conn, l.id, records::KindName(k));
      if (c.ok() && !c->empty()) cursors[records::KindName(k)] = *c;
    }
    j["cursors"] = cursors;
    if (counts.ok()) j["outbox"] = *counts;
  }
  return j;
}

int LinkAdd(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  for (const char* k : {"school", "adapter", "name", "config"})
    if (!inv.Has(k)) return inv.Fail(std::string("link add needs --") + k + " (see --help)", kExitUsage);
  sync::LinkSpec spec;
  spec.name = inv.Get("name");
  spec.school_urn = inv.Get("school");
  spec.adapter_id = inv.Get("adapter");
  if (size_t at = spec.adapter_id.find('@'); at != std::string::npos) {  // ID@VERSION pins one
    spec.adapter_version = spec.adapter_id.substr(at + 1);
    spec.adapter_id.resize(at);
    if (spec.adapter_version.empty())
      return inv.Fail("--adapter ID@VERSION: the version after '@' is empty", kExitUsage);
  }
  spec.schedule = inv.Get("schedule", "manual");
  auto cfg = ReadJsonFile(inv.Get("config"), "config file");
  if (!cfg.ok()) return Fail(inv, cfg.status());
  spec.config = *cfg;
  if (inv.Has("settings")) {
    auto s = ReadJsonFile(inv.Get("settings"), "settings file");
    if (!s.ok()) return Fail(inv, s.status());
    spec.settings = *s;
  }
  auto id = sync::AddLink(*(*ctx)->store, spec, (*ctx)->engine.runtime, (*ctx)->plugin_dir, (*ctx)->actor);
  if (!id.ok()) return Fail(inv, id.status());
  return Done(inv, Status::OK(), "added link " + spec.name + " (" + spec.adapter_id + ") for school " +
                                     spec.school_urn);
}

int LinkList(const Invocation& inv) {
  Open o = OpenAll(inv);
  if (!o.conn) return o.code;
  auto links = store::ListLinks(*o.conn, inv.Has("all"));
  if (!links.ok()) return Fail(inv, links.status());
  json arr = json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : *links) {
    json j = LinkJson(*o.conn, l, false);
    arr.push_back(j);
    const int64_t dead = j["dead_letters"].get<int64_t>();
    rows.push_back({l.name, l.school_urn, l.adapter_id, l.enabled ? "enabled" : "disabled", l.schedule,
                    j.contains("last_run") ? S(j["last_run"], "status") + " " + S(j["last_run"], "started") : "never run",
                    S(j, "health") + (dead ? " (" + std::to_string(dead) + " dead-lettered)" : "")});
  }
  if (inv.json) {
    inv.PrintJson({{"links", arr}});
  } else if (rows.empty()) {
    *inv.out << "no links yet (sendsync link add --help)\n";
  } else {
    PrintTable(*inv.out, {"NAME", "SCHOOL", "ADAPTER", "STATE", "SCHEDULE", "LAST RUN", "HEALTH"}, rows);
  }
  return kExitOk;
}

int LinkShow(const Invocation& inv) {
  Open o = OpenAll(inv);
  if (!o.conn) return o.code;
  auto l = store::GetLink(*o.conn, inv.args[0], true);
  if (!l.ok()) return Fail(inv, l.status());
  json j = LinkJson(*o.conn, *l, true);
  if (inv.json) {
    inv.PrintJson(j);
    return kExitOk;
  }
  *inv.out << "link " << l->name << ": adapter " << l->adapter_id << ", school " << l->school_urn << ", "
           << (l->enabled ? "enabled" : "disabled") << ", schedule " << l->schedule << "\n"
           << "config: " << l->config.dump() << "\nsettings:\n" << l->settings.dump(2) << "\n";
  if (!j["cursors"].empty()) *inv.out << "cursors: " << j["cursors"].dump() << "\n";
  if (j.contains("outbox")) *inv.out << "outbox: " << j["outbox"].dump() << "\n";
  if (j.contains("last_run")) *inv.out << "last run: " << j["last_run"].dump() << "\n";
  return kExitOk;
}

int LinkTest(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  Status st = sync::TestLink(*(*ctx)->store, inv.args[0], (*ctx)->engine.runtime, (*ctx)->plugin_dir);
  return Done(inv, st, "link " + inv.args[0] + ": the adapter's check passed");
}

int LinkToggle(const Invocation& inv, bool enable) {
  Open o = OpenAll(inv);
  if (!o.conn) return o.code;
  auto l = store::GetLink(*o.conn, inv.args[0]);
  if (!l.ok()) return Fail(inv, l.status());
  store::Tx tx(*o.conn);
  Status st = store::SetLinkEnabled(*o.conn, l->id, enable);
  std::vector<audit::Entry> e(1);
  e[0].actor = o.ctx->actor;
  e[0].action = enable ? "link.enable" : "link.disable";
  e[0].detail = {{"link", l->name}};
  if (st.ok()) st = audit::Append(*o.conn, e);
  if (st.ok()) st = tx.Commit();
  return Done(inv, st, "link " + l->name + (enable ? " enabled" : " disabled"));
}

// Rewinds a link's read cursors (all kinds, or --kind), so its next run reads from the start:
// what the adapter advises when the system no longer recognises a cursor. Audited with the
// cursors it forgot.
int LinkResetCursor(const Invocation& inv) {
  Open o = OpenAll(inv);
  if (!o.conn) return o.code;
  auto l = store::GetLink(*o.conn, inv.args[0]);
  if (!l.ok()) return Fail(inv, l.status());
  std::vector<std::string> kinds;
  if (inv.Has("kind")) {
    const std::string k = inv.Get("kind");
    if (!records::ParseKind(k))
      return inv.Fail("--kind: '" + k + "' is not a record kind (pupil, sen, cycle, provision, "
                      "review, referral, ehc_plan)",
                      kExitUsage);
    kinds.push_back(k);
  } else {
    for (auto k : records::AllKinds()) kinds.push_back(records::KindName(k));
  }
  store::Tx tx(*o.conn);
  Status st = tx.status();
  json forgot = json::object();
  for (const std::string& k : kinds) {
    if (!st.ok()) break;
    auto c = store::GetCursor(*o.conn, l->id, k);
    if (!c.ok()) {
      st = c.status();
      break;
    }
    if (c->empty()) continue;
    forgot[k] = *c;
    st = store::SetCursor(*o.conn, l->id, k, "");
  }
  std::vector<audit::Entry> e(1);
  e[0].actor = o.ctx->actor;
  e[0].action = "link.reset_cursor";
  e[0].detail = {{"link", l->name}, {"cursors", forgot}};
  if (st.ok() && !forgot.empty()) st = audit::Append(*o.conn, e);
  if (st.ok()) st = tx.Commit();
  std::string what;
  for (auto it = forgot.begin(); it != forgot.end(); ++it)
    what += (what.empty() ? "" : ", ") + it.key();
  return Done(inv, st,
              forgot.empty() ? "link " + l->name + ": no cursor to reset" +
                                   (inv.Has("kind") ? " for " + inv.Get("kind") : "")
                             : "link " + l->name + ": cursor reset for " + what +
                                   "; its next run reads them again from the start");
}

int LinkRemove(const Invocation& inv) {
  Open o = OpenAll(inv);
  if (!o.conn) return o.code;
  auto l = store::GetLink(*o.conn, inv.args[0]);
  if (!l.ok()) return Fail(inv, l.status());
  store::Tx tx(*o.conn);
  Status st = store::RemoveLink(*o.conn, l->id);
  std::vector<audit::Entry> e(1);
  e[0].actor = o.ctx->actor;
  e[0].action = "link.remove";
  e[0].detail = {{"link", l->name}};
  if (st.ok()) st = audit::Append(*o.conn, e);
  if (st.ok()) st = tx.Commit();
  return Done(inv, st, "link " + l->name +
                           " removed; its records, history, queues and audit entries are kept");
}

// ---- sync ----

void PrintSummary(std::ostream& out, const sync::RunSummary& s) {
  out << s.link << ": " << s.status << " — pulled " << s.pulled << ", created " << s.created
      << ", updated " << s.updated << ", deleted " << s.deleted << ", unchanged " << s.unchanged
      << ", quarantined " << s.quarantined << ", conflicts " << s.conflicts << ", to match "
      << s.matches << ", pushed " << s.pushed << ", retried " << s.retried << ", dead-lettered "
      << s.dead_lettered << ", rejected " << s.rejected << " (" << s.duration_ms << " ms)\n";
  if (!s.error.empty()) out << "  error: " << s.error << "\n";
}

void PrintChanges(std::ostream& out, const json& changes) {
  for (const json& c : changes) {
    out << "  " << S(c, "action") << " " << S(c, "kind") << " " << S(c, "id");
    if (!S(c, "upn").empty()) out << " (pupil " << S(c, "upn") << ")";
    if (c.contains("fields") && !c["fields"].empty()) {
      out << ":";
      for (const json& f : c["fields"]) out << " " << f.get<std::string>();
    }
    if (c.contains("field")) out << ": " << S(c, "field");
    if (c.contains("reason")) out << ": " << S(c, "reason");
    if (c.contains("reasons"))
      for (const json& r : c["reasons"]) out << "\n      " << S(r, "path") << ": " << S(r, "message");
    out << "\n";
  }
}

// Progress as a person reads it: "mis pupil: 52000 of 300000 records, 2400/s, about 103 s left".
// The total and the time left appear when the adapter says how much is still to come.
std::string ProgressLine(const sync::Progress& p) {
  std::string line =
      p.link + " " + (p.kind.empty() ? p.phase : p.kind) + ": " + std::to_string(p.records);
  const std::string rate =
      p.rate > 0 ? ", " + std::to_string(static_cast<int64_t>(p.rate)) + "/s" : "";
  if (p.phase == "push") return line + " delivered" + rate;
  if (p.remaining > 0) line += " of " + std::to_string(p.records + p.remaining);
  line += " records" + rate;
  if (p.remaining > 0 && p.rate > 0)
    line += ", about " + std::to_string(static_cast<int64_t>(p.remaining / p.rate) + 1) + " s left";
  return line;
}

// The same as a --json progress event; "total" and "seconds_left" only when known.
json ProgressEvent(const sync::Progress& p) {
  json e = {{"event", "progress"}, {"link", p.link},       {"phase", p.phase},
            {"kind", p.kind},      {"records", p.records}, {"rate", static_cast<int64_t>(p.rate)}};
  if (p.phase == "pull" && p.remaining >= 0) e["total"] = p.records + p.remaining;
  if (p.remaining > 0 && p.rate > 0)
    e["seconds_left"] = static_cast<int64_t>(p.remaining / p.rate) + 1;
  return e;
}

int Sync(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  sync::RunMode mode = inv.Has("dry-run")     ? sync::RunMode::kDryRun
                       : inv.Has("push-only") ? sync::RunMode::kPushOnly
                       : inv.Has("pull-only") ? sync::RunMode::kPullOnly
                                              : sync::RunMode::kSync;
  if (inv.Has("page-size")) {
    long n = std::atol(inv.Get("page-size").c_str());
    if (n <= 0 || n > 100000) return inv.Fail("--page-size must be 1..100000", kExitUsage);
    (*ctx)->engine.page_size = static_cast<size_t>(n);
  }
  if (inv.Has("parallel")) {
    const std::string v = inv.Get("parallel");
    if (v.empty() || v.size() > 2 || v.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(v) < 1 || std::stoi(v) > 64)
      return inv.Fail("--parallel must be a whole number 1..64", kExitUsage);
    (*ctx)->engine.max_parallel_links = std::stoi(v);
  }
  const bool tty = !inv.json && ::isatty(STDERR_FILENO);
  const bool events = inv.json && inv.Has("progress");
  if (tty)
    (*ctx)->engine.on_progress = [&inv](const sync::Progress& p) {
      *inv.err << "\r\033[K" << ProgressLine(p) << std::flush;
    };
  else if (events)  // one JSON line per event on stderr; stdout keeps the report alone
    (*ctx)->engine.on_progress = [&inv](const sync::Progress& p) {
      *inv.err << ProgressEvent(p).dump() << "\n" << std::flush;
    };
  sync::Engine engine(*(*ctx)->store, (*ctx)->engine);
  std::vector<sync::RunSummary> runs;
  if (inv.Has("link")) {
    auto r = engine.RunLink(inv.Get("link"), mode);
    if (tty) *inv.err << "\r\033[K";
    if (!r.ok()) return Fail(inv, r.status());
    runs.push_back(*r);
  } else {
    auto all = engine.RunAll(mode, inv.Get("school"));
    if (tty) *inv.err << "\r\033[K";
    if (!all.ok()) return Fail(inv, all.status().WithContext("sync of every enabled link: nothing was run"));
    runs = std::move(*all);
  }
  bool failed = false, person = false;
  json arr = json::array();
  json total = {{"pulled", 0}, {"applied", 0}, {"unchanged", 0}, {"quarantined", 0}, {"conflicts", 0},
                {"matches", 0}, {"pushed", 0}, {"retried", 0}, {"dead_lettered", 0}, {"rejected", 0},
                {"duration_ms", 0}};
  for (const auto& r : runs) {
    failed |= r.status == "failed";
    person |= r.NeedsPerson();
    json j = r.ToJson();
    if (mode == sync::RunMode::kDryRun) j["changes"] = r.changes;
    for (auto it = total.begin(); it != total.end(); ++it) it.value() = it.value().get<int64_t>() + j.value(it.key(), int64_t{0});
    arr.push_back(std::move(j));
  }
  if (inv.json) {
    inv.PrintJson({{"mode", sync::RunModeName(mode)}, {"links", arr}, {"total", total}});
  } else {
    if (runs.empty()) *inv.out << "no enabled links to run\n";
    for (const auto& r : runs) {
      PrintSummary(*inv.out, r);
      if (mode == sync::RunMode::kDryRun) {
        *inv.out << "  would change (nothing was written):\n";
        PrintChanges(*inv.out, r.changes);
      }
    }
    if (person && !failed)
      *inv.out << "some records need a person: see sendsync quarantine list, conflicts list, "
                  "matches list, outbox list --status dead\n";
  }
  if (failed) return kExitFailed;
  return person ? kExitNeedsPerson : kExitOk;
}

// ---- queues ----

int ConflictsList(const Invocation& inv) {
  Open o = OpenAll(inv);
  if (!o.conn) return o.code;
  Status err;
  auto f = FilterFrom(inv, *o.conn, "open", err);
  if (!err.ok()) return Fail(inv, err);
  auto items = store::ListConflicts(*o.conn, f);
  if (!items.ok()) return Fail(inv, items.status());
  json arr = json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : *items) {
    auto rec = store::LoadRecords(*o.conn, {c.record_id});
    std::string upn;
    if (rec.ok() && !rec->empty()) {
      int64_t pid = (*rec)[0].kind == "pupil" ? (*rec)[0].id : (*rec)[0].pupil_id;
      auto p = store::LoadRecords(*o.conn, {pid});
      if (p.ok() && !p->empty()) upn = (*p)[0].upn;
    }
    arr.push_back({{"id", c.id}, {"link", LinkName(*o.conn, c.link_id)}, {"kind", c.kind},
                   {"record_id", hub::HubId(c.record_id)}, {"upn", upn}, {"field", c.field},
                   {"base", c.base ? json::parse(*c.base, nullptr, false) : json()},
                   {"ours", c.ours ? json::parse(*c.ours, nullptr, false) : json()},
                   {"theirs", c.theirs ? json::parse(*c.theirs, nullptr, false) : json()},
                   {"status", store::ReviewStatusName(c.status)},
                   {"created", FormatTime(c.created_at)}});
    rows.push_back({std::to_string(c.id), LinkName(*o.conn, c.link_id), upn, c.kind + "." + c.field,
                    Opt(c.base), Opt(c.ours), Opt(c.theirs)});
  }
  if (inv.json) inv.PrintJson({{"conflicts", arr}});
  else if (rows.empty()) *inv.out << "no " << (f.status.empty() ? "" : f.status + " ") << "conflicts\n";
  else PrintTable(*inv.out, {"ID", "LINK", "UPN", "FIELD", "BASE", "OURS (hub)", "THEIRS (link)"}, rows);
  return kExitOk;
}

int ConflictsResolve(const Invocation& inv) {
  auto id = IdArg(inv);
  if (!id.usage_error.empty()) return inv.Fail(id.usage_error, kExitUsage);
  const std::string take = inv.Get("take");
  auto resolution = store::ParseConflictResolution(take);
  if (!resolution.ok()) return inv.Fail("--take must be ours, theirs or value", kExitUsage);
  std::optional<std::string> value;
  if (*resolution == store::ConflictResolution::kValue) {
    if (!inv.Has("value")) return inv.Fail("--take value needs --value JSON", kExitUsage);
    value = inv.Get("value");
  }
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  sync::Engine engine(*(*ctx)->store, (*ctx)->engine);
  Status st =
      engine.ResolveConflict(id.id, *resolution, value, (*ctx)->actor, inv.Has("whole-record"));
  return Done(inv, st, "conflict " + inv.args[0] + " resolved (" + take + ")");
}

int QuarantineList(const Invocation& inv) {
  Open o = OpenAll(inv);
  if (!o.conn) return o.code;
  Status err;
  auto f = FilterFrom(inv, *o.conn, "open", err);
  if (!err.ok()) return Fail(inv, err);
  auto items = store::ListQuarantine(*o.conn, f);
  if (!items.ok()) return Fail(inv, items.status());
  json arr = json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& q : *items) {
    arr.push_back({{"id", q.id}, {"link", LinkName(*o.conn, q.link_id)}, {"kind", q.kind},
                   {"source_id", q.external_id}, {"upn", q.upn}, {"reasons", q.reasons},
                   {"raw", q.raw}, {"status", store::ReviewStatusName(q.status)},
                   {"created", FormatTime(q.created_at)}, {"times_seen", q.times_seen},
                   {"last_seen", FormatTime(q.last_seen_at)}, {"note", q.note}});
    std::string why;
    for (const json& r : q.reasons) why += (why.empty() ? "" : "; ") + S(r, "path") + ": " + S(r, "message");
    rows.push_back({std::to_string(q.id), LinkName(*o.conn, q.link_id), q.kind, q.external_id,
                    std::to_string(q.times_seen), FormatTime(q.last_seen_at), why});
  }
  if (inv.json) inv.PrintJson({{"quarantine", arr}});
  else if (rows.empty()) *inv.out << "nothing in quarantine\n";
  else PrintTable(*inv.out, {"ID", "LINK", "KIND", "SOURCE ID", "SEEN", "LAST SEEN", "WHY"}, rows);
  return kExitOk;
}

int QuarantineShow(const Invocation& inv) {
  auto id = IdArg(inv);
  if (!id.usage_error.empty()) return inv.Fail(id.usage_error, kExitUsage);
  Open o = OpenAll(inv);
  if (!o.conn) return o.code;
  auto q = store::GetQuarantine(*o.conn, id.id);
  if (!q.ok()) return Fail(inv, q.status());
  json j = {{"id", q->id},
            {"link", LinkName(*o.conn, q->link_id)},
            {"kind", q->kind},
            {"source_id", q->external_id},
            {"reasons", q->reasons},
            {"raw", q->raw},
            {"status", store::ReviewStatusName(q->status)}};
  if (inv.json) {
    inv.PrintJson(j);
  } else {
    *inv.out << "quarantined " << q->kind << " from " << LinkName(*o.conn, q->link_id) << " ("
             << store::ReviewStatusName(q->status) << ")\nreasons:\n";
    for (const json& r : q->reasons) *inv.out << "  " << S(r, "code") << " at " << S(r, "path") << ": " << S(r, "message") << "\n";
    *inv.out << "payload as received:\n" << q->raw << "\n";
  }
  return kExitOk;
}

int QuarantineRetry(const Invocation& inv) {
  auto id = IdArg(inv);
  if (!id.usage_error.empty()) return inv.Fail(id.usage_error, kExitUsage);
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  std::optional<std::string> payload;
  if (inv.Has("payload")) {
    auto text = ReadFile(inv.Get("payload"));
    if (!text.ok()) return Fail(inv, text.status());
    payload = *text;
  }
  sync::Engine engine(*(*ctx)->store, (*ctx)->engine);
  return Done(inv, engine.RetryQuarantine(id.id, payload, (*ctx)->actor),
              "quarantined record " + inv.args[0] + " applied");
}

int QuarantineDiscard(const Invocation& inv) {
  auto id = IdArg(inv);
  if (!id.usage_error.empty()) return inv.Fail(id.usage_error, kExitUsage);
  if (!inv.Has("reason")) return inv.Fail("say why with --reason TEXT", kExitUsage);
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  sync::Engine engine(*(*ctx)->store, (*ctx)->engine);
  return Done(inv, engine.DiscardQuarantine(id.id, inv.Get("reason"), (*ctx)->actor),
              "quarantined record " + inv.args[0] + " discarded");
}

int MatchesList(const Invocation& inv) {
  Open o = OpenAll(inv);
  if (!o.conn) return o.code;
  Status err;
  auto f = FilterFrom(inv, *o.conn, "open", err);
  if (!err.ok()) return Fail(inv, err);
  auto items = store::ListMatches(*o.conn, f);
  if (!items.ok()) return Fail(inv, items.status());
  json arr = json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : *items) {
    json cands = m.candidates;
    for (json& c : cands)
      if (c.contains("record_id") && c["record_id"].is_number()) c["record_id"] = hub::HubId(c["record_id"].get<int64_t>());
    arr.push_back({{"id", m.id}, {"link", LinkName(*o.conn, m.link_id)}, {"kind", m.kind},
                   {"source_id", m.external_id}, {"upn", m.upn}, {"reason", m.reason},
                   {"candidates", cands}, {"raw", m.raw},
                   {"status", store::ReviewStatusName(m.status)}});
    std::string c;
    for (const json& x : cands) c += (c.empty() ? "" : ", ") + S(x, "record_id") + " born " + S(x, "dob");
    rows.push_back({std::to_string(m.id), LinkName(*o.conn, m.link_id), m.external_id, m.upn, m.reason, c});
  }
  if (inv.json) inv.PrintJson({{"matches", arr}});
  else if (rows.empty()) *inv.out << "nothing waiting to be matched\n";
  else PrintTable(*inv.out, {"ID", "LINK", "SOURCE ID", "UPN", "WHY", "CANDIDATES"}, rows);
  return kExitOk;
}

int MatchesResolve(const Invocation& inv) {
  auto id = IdArg(inv);
  if (!id.usage_error.empty()) return inv.Fail(id.usage_error, kExitUsage);
  std::string to = inv.Get("to");
  if (to.empty()) return inv.Fail("--to needs a hub pupil id (h12), new, or discard", kExitUsage);
  std::string resolution = to == "new" || to == "discard" ? to : "record:" + to;
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  sync::Engine engine(*(*ctx)->store, (*ctx)->engine);
  return Done(inv, engine.ResolveMatch(id.id, resolution, (*ctx)->actor),
              "match " + inv.args[0] + " resolved: " + to);
}

int OutboxList(const Invocation& inv) {
  Open o = OpenAll(inv);
  if (!o.conn) return o.code;
  Status err;
  auto f = FilterFrom(inv, *o.conn, "all", err);
  if (!err.ok()) return Fail(inv, err);
  auto items = store::ListOutbox(*o.conn, f);
  if (!items.ok()) return Fail(inv, items.status());
  json arr = json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& x : *items) {
    arr.push_back({{"id", x.id}, {"link", LinkName(*o.conn, x.link_id)}, {"kind", x.kind},
                   {"record_id", hub::HubId(x.record_id)}, {"op", ChangeOpName(x.op)},
                   {"key", x.idem_key}, {"status", store::OutboxStatusName(x.status)},
                   {"attempts", x.attempts}, {"next_attempt", FormatTime(x.next_attempt_at)},
                   {"last_error", x.last_error}, {"remote_id", x.remote_id}});
    rows.push_back({std::to_string(x.id), LinkName(*o.conn, x.link_id),
                    x.kind + " " + hub::HubId(x.record_id), ChangeOpName(x.op),
                    store::OutboxStatusName(x.status), std::to_string(x.attempts),
                    x.status == store::OutboxStatus::kPending ? FormatTime(x.next_attempt_at) : "-",
                    x.last_error});
  }
  if (inv.json) inv.PrintJson({{"outbox", arr}});
  else if (rows.empty()) *inv.out << "the outbox is empty\n";
  else PrintTable(*inv.out, {"ID", "LINK", "RECORD", "OP", "STATUS", "TRIES", "NEXT", "LAST ERROR"}, rows);
  return kExitOk;
}

int OutboxRetry(const Invocation& inv) {
  if (inv.Has("all")) {
    if (!inv.args.empty()) return inv.Fail("outbox retry takes an ID or --all, not both", kExitUsage);
    const std::string status = inv.Get("status", "dead");
    if (status != "dead" && status != "rejected")
      return inv.Fail("--status must be dead or rejected, not '" + status + "'", kExitUsage);
    auto ctx = MakeContext(inv);
    if (!ctx.ok()) return Fail(inv, ctx.status());
    sync::Engine engine(*(*ctx)->store, (*ctx)->engine);
    auto n = engine.RetryOutboxAll(inv.Get("link"), status, (*ctx)->actor);
    if (!n.ok()) return Fail(inv, n.status());
    if (inv.json) {
      inv.PrintJson({{"retried", *n}, {"status", status}, {"link", inv.Get("link")}});
    } else {
      *inv.out << *n << (*n == 1 ? " change" : " changes") << " (" << status << ") queued again; they go with "
               << (inv.Has("link") ? "the link's" : "each link's") << " next run\n";
    }
    return kExitOk;
  }
  if (inv.args.size() != 1 || inv.Has("link") || inv.Has("status"))
    return inv.Fail("outbox retry takes one change ID, or --all [--link NAME] [--status dead|rejected]", kExitUsage);
  auto id = IdArg(inv);
  if (!id.usage_error.empty()) return inv.Fail(id.usage_error, kExitUsage);
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  sync::Engine engine(*(*ctx)->store, (*ctx)->engine);
  return Done(inv, engine.RetryOutbox(id.id, (*ctx)->actor),
              "change " + inv.args[0] + " queued again; it goes with the link's next run");
}

int RunsList(const Invocation& inv) {
  Open o = OpenAll(inv);
  if (!o.conn) return o.code;
  int64_t link_id = 0;
  if (inv.Has("link")) {
    auto l = store::GetLink(*o.conn, inv.Get("link"), true);
    if (!l.ok()) return Fail(inv, l.status());
    link_id = l->id;
  }
  auto runs = store::ListRuns(*o.conn, link_id, std::atoll(inv.Get("limit", "20").c_str()));
  if (!runs.ok()) return Fail(inv, runs.status());
  json arr = json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : *runs) {
    arr.push_back({{"id", r.id}, {"link", LinkName(*o.conn, r.link_id)}, {"mode", r.mode}, {"status", r.status},
                   {"started", FormatTime(r.started_at)}, {"finished", FormatTime(r.finished_at.value_or(0))},
                   {"summary", r.summary}, {"error", r.error}});
    rows.push_back({std::to_string(r.id), LinkName(*o.conn, r.link_id), r.mode, r.status, FormatTime(r.started_at),
                    "pulled " + S(r.summary, "pulled", "0") + ", applied " + S(r.summary, "applied", "0") +
                        ", pushed " + S(r.summary, "pushed", "0"),
                    r.error});
  }
  if (inv.json) inv.PrintJson({{"runs", arr}});
  else if (rows.empty()) *inv.out << "no runs yet\n";
  else PrintTable(*inv.out, {"ID", "LINK", "MODE", "STATUS", "STARTED", "COUNTS", "ERROR"}, rows);
  return kExitOk;
}

// The anchor file and key a command reads: the context's, or those an auditor names.
audit::AnchorOptions AnchorsOf(const Invocation& inv, const Context& ctx) {
  audit::AnchorOptions a = ctx.anchors;
  if (inv.Has("anchors")) a.file = inv.Get("anchors");
  if (inv.Has("public-key")) a.key_file = inv.Get("public-key");
  return a;
}

int AuditVerify(const Invocation& inv) {
  Open o = OpenAll(inv);
  if (!o.conn) return o.code;
  const audit::AnchorOptions anchors = AnchorsOf(inv, *o.ctx);
  auto v = audit::VerifyWithAnchors(*o.conn, anchors, audit::StoreIdentity(o.ctx->store_url));
  if (!v.ok()) return Fail(inv, v.status());
  if (inv.json) {
    json j = {{"ok", v->ok},
              {"checked", v->checked},
              {"first_bad_seq", v->first_bad_seq},
              {"problem", v->problem},
              {"anchor_file", anchors.file},
              {"anchors", v->anchors},
              {"anchored_seq", v->anchored_seq},
              {"anchored_at", v->anchored_at ? audit::FormatUtc(v->anchored_at) : ""}};
    if (v->missing_from) j["missing"] = {{"from", v->missing_from}, {"to", v->missing_to}};
    inv.PrintJson(j);
  } else if (v->ok) {
    *inv.out << "audit log intact: " << v->checked << " entries, hash chain verified";
    if (v->anchored_seq)
      *inv.out << "; matches the anchor of " << audit::FormatUtc(v->anchored_at) << " (entry "
               << v->anchored_seq << ", " << v->anchors << " anchors checked)";
    else
      *inv.out << "; no anchor for this store yet in " << anchors.file;
    *inv.out << "\n";
  } else {
    *inv.out << "audit log DAMAGED at entry " << v->first_bad_seq << ": " << v->problem << "\n";
  }
  return v->ok ? kExitOk : kExitFailed;
}

int AuditAnchorExport(const Invocation& inv) {
  auto ctx = MakeContext(inv, false);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  const audit::AnchorOptions anchors = AnchorsOf(inv, **ctx);
  auto file = audit::ReadAnchors(anchors);
  if (!file.ok()) return Fail(inv, file.status());
  if (!file->present) return inv.Fail("no anchors yet: " + anchors.file + " does not exist");
  if (inv.Has("out")) {
    namespace fs = std::filesystem;
    const fs::path dir = inv.Get("out");
    std::error_code ec;
    fs::create_directories(dir, ec);
    std::ofstream lines(dir / "audit-anchors.jsonl", std::ios::trunc);
    for (const auto& a : file->anchors) lines << a.line << "\n";
    std::ofstream(dir / "audit-anchor.pub", std::ios::trunc) << file->public_key_pem;
    if (!lines.flush())
      return inv.Fail("cannot write to " + dir.string());
  }
  json arr = json::array();
  for (const auto& a : file->anchors) arr.push_back(json::parse(a.line));
  const json out = {{"anchor_file", anchors.file}, {"key_id", file->key_id},
                    {"public_key", file->public_key_pem}, {"anchors", arr},
                    {"ok", file->ok}, {"problem", file->problem}};
  if (inv.json || !inv.Has("out")) {
    inv.PrintJson(out);
  } else {
    *inv.out << file->anchors.size() << " anchors and the public key (key " << file->key_id
             << ") written to " << inv.Get("out") << "\n";
  }
  if (!file->ok) *inv.err << "sendsync: the anchor file is damaged: " << file->problem << "\n";
  return file->ok ? kExitOk : kExitFailed;
}

int AuditShow(const Invocation& inv) {
  Open o = OpenAll(inv);
  if (!o.conn) return o.code;
  audit::Query q;
  q.limit = std::atoll(inv.Get("limit", "200").c_str());
  q.after_seq = std::atoll(inv.Get("after", "0").c_str());
  if (inv.Has("pupil")) {
    auto p = hub::FindPupil(*o.conn, inv.Get("pupil"));
    if (!p.ok()) return Fail(inv, p.status());
    q.pupil_id = p->id;
  }
  auto entries = audit::List(*o.conn, q);
  if (!entries.ok()) return Fail(inv, entries.status());
  json arr = json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : *entries) {
    arr.push_back({{"seq", e.seq}, {"time", FormatTime(e.ts)}, {"actor", e.actor}, {"action", e.action},
                   {"kind", e.kind}, {"record_id", e.record_id ? hub::HubId(e.record_id) : ""},
                   {"detail", e.detail}, {"hash", e.hash}});
    rows.push_back({std::to_string(e.seq), FormatTime(e.ts), e.actor, e.action,
                    e.kind + (e.record_id ? " " + hub::HubId(e.record_id) : ""), e.detail.dump()});
  }
  if (inv.json) inv.PrintJson({{"entries", arr}});
  else if (rows.empty()) *inv.out << "no audit entries\n";
  else PrintTable(*inv.out, {"SEQ", "TIME", "WHO", "WHAT", "RECORD", "DETAIL"}, rows);
  return kExitOk;
}

void IdCommand(Registry& reg, const std::string& name, const std::string& summary,
               const std::function<void(Poco::Util::OptionSet&)>& extra, int (*run)(const Invocation&),
               const std::string& help = "") {
  reg.Add({name, summary, "ID", help, 1, 1,
           [extra](Poco::Util::OptionSet& s) {
             AddCommonOptions(s);
             if (extra) extra(s);
           },
           run});
}

// `link …`: adding, listing, switching and resetting links.
void RegisterLinkCommands(Registry& reg) {
  reg.Add({"link add", "install an adapter for a school", "",
           "The config file is the adapter's JSON configuration; secret fields must be references "
           "(env:NAME or file:PATH), never the secret itself. The settings file says, per record "
           "kind, the direction (read, write, both), field authority, code maps and which fields "
           "may leave the hub (docs/sync.md); without one, every kind the adapter supports is used "
           "with the default allow-lists.",
           0, 0,
           [](Poco::Util::OptionSet& s) {
             AddCommonOptions(s, /*with_config=*/false);
             AddValueOption(s, "host-config", "FILE", "sendsync's own config file (default: $SENDSYNC_CONFIG)");
             AddValueOption(s, "school", "URN", "the school's URN (6 digits)");
             AddValueOption(s, "adapter", "ID[@VERSION]",
                            "adapter id (see sendsync plugins list); @VERSION pins an installed "
                            "version (see sendsync adapters list), else the newest is used");
             AddValueOption(s, "name", "NAME", "a name for this link");
             AddValueOption(s, "config", "FILE", "the adapter's configuration (JSON)");
             AddValueOption(s, "settings", "FILE", "directions, authority, code maps, allow-lists (JSON)");
             AddValueOption(s, "schedule", "WHEN", "manual (default), hourly, \"every 15m\", \"daily 06:30\"");
           },
           LinkAdd});
  reg.Add({"link list", "list links with their last run", "", "", 0, 0,
           [](Poco::Util::OptionSet& s) {
             AddCommonOptions(s);
             AddFlag(s, "all", "include removed links");
           },
           LinkList});
  reg.Add({"link show", "a link's config (secrets as references), settings, cursors, outbox", "NAME", "", 1, 1,
           CommonOptions, LinkShow});
  reg.Add({"link test", "ask the link's adapter whether it can reach its system", "NAME", "", 1, 1,
           CommonOptions, LinkTest});
  reg.Add({"link enable", "let a link run again", "NAME", "", 1, 1, CommonOptions,
           [](const Invocation& i) { return LinkToggle(i, true); }});
  reg.Add({"link disable", "stop a link from running (changes for it still queue)", "NAME", "", 1, 1,
           CommonOptions, [](const Invocation& i) { return LinkToggle(i, false); }});
  reg.Add({"link remove", "remove a link, keeping its history, queues and audit", "NAME", "", 1, 1,
           CommonOptions, LinkRemove});
  reg.Add({"link reset-cursor", "make a link read a kind (or all) again from the start", "NAME",
           "Forgets the link's read cursor for --kind (or every kind), so its next run reads "
           "from the start; what a link advises when its system no longer recognises the "
           "cursor. Re-reading is safe: unchanged records change nothing. Audited.",
           1, 1,
           [](Poco::Util::OptionSet& s) {
             AddCommonOptions(s);
             AddValueOption(s, "kind", "KIND", "only this record kind (e.g. referral)");
           },
           LinkResetCursor});
}

// The queues a person works through: conflicts, quarantine, matches, outbox.
void RegisterQueueCommands(Registry& reg) {
  reg.Add({"conflicts list", "fields two systems changed differently, waiting for a person", "", "", 0, 0,
           [](Poco::Util::OptionSet& s) { QueueOptions(s, "open (default), resolved"); }, ConflictsList});
  IdCommand(reg, "conflicts resolve", "decide a conflict: keep ours, take theirs, or set a value",
            [](Poco::Util::OptionSet& s) {
              AddValueOption(s, "take", "WHICH", "ours, theirs or value");
              AddValueOption(s, "value", "JSON", "with --take value: the value, as JSON (\"K\", 3, [...])");
              AddFlag(s, "whole-record", "resolve every open conflict of this record from this link the same way");
            },
            ConflictsResolve);
  reg.Add({"quarantine list", "records that failed checks, with every reason", "", "", 0, 0,
           [](Poco::Util::OptionSet& s) { QueueOptions(s, "open (default), applied, discarded, superseded"); },
           QuarantineList});
  IdCommand(reg, "quarantine show", "one quarantined record: reasons and the payload as received", nullptr,
            QuarantineShow);
  IdCommand(reg, "quarantine retry", "run a quarantined record through the checks again", [](Poco::Util::OptionSet& s) {
    AddValueOption(s, "payload", "FILE", "a corrected record (canonical JSON) to use instead");
  }, QuarantineRetry, "Stays in quarantine, with the reasons printed, if it still fails.");
  IdCommand(reg, "quarantine discard", "give up on a quarantined record, saying why", [](Poco::Util::OptionSet& s) {
    AddValueOption(s, "reason", "TEXT", "why (kept in the audit log)");
  }, QuarantineDiscard);
  reg.Add({"matches list", "pupils that could not be matched safely", "", "", 0, 0,
           [](Poco::Util::OptionSet& s) { QueueOptions(s, "open (default), resolved"); }, MatchesList});
  IdCommand(reg, "matches resolve", "link to a hub pupil, create a new one, or discard", [](Poco::Util::OptionSet& s) {
    AddValueOption(s, "to", "TARGET", "a hub pupil id (h12), new, or discard");
  }, MatchesResolve);
  reg.Add({"outbox list", "changes waiting for, delivered to, or refused by other systems", "", "", 0, 0,
           [](Poco::Util::OptionSet& s) { QueueOptions(s, "pending, delivered, rejected, dead, superseded"); },
           OutboxList});
  reg.Add({"outbox retry", "queue a dead-lettered or rejected change again (or all of them)", "ID | --all",
           "With --all, every dead-lettered change (of the link given with --link, else of every link; "
           "--status rejected for the rejected ones) is queued again in one step, each audited. They go "
           "with the link's next run.",
           0, 1,
           [](Poco::Util::OptionSet& s) {
             AddCommonOptions(s);
             AddFlag(s, "all", "every change with the status below, instead of one ID");
             AddValueOption(s, "link", "NAME", "with --all: only this link's changes");
             AddValueOption(s, "status", "STATUS", "with --all: dead (default) or rejected");
           },
           OutboxRetry});
}

// `runs list` and `audit …`.
void RegisterRunAndAuditCommands(Registry& reg) {
  reg.Add({"runs list", "recent runs and what they did", "", "", 0, 0,
           [](Poco::Util::OptionSet& s) {
             AddCommonOptions(s);
             AddValueOption(s, "link", "NAME", "only this link");
             AddValueOption(s, "limit", "N", "at most N (default 20)");
           },
           RunsList});
  auto anchor_options = [](Poco::Util::OptionSet& s) {
    AddCommonOptions(s);
    AddValueOption(s, "anchors", "FILE", "the anchor file (default: the configured one)");
    AddValueOption(s, "public-key", "FILE",
                   "check the anchors' signatures with this key, e.g. one exported earlier");
  };
  reg.Add({"audit verify", "check the audit log's hash chain and its anchors; name what is wrong", "",
           "Walks the chain, then compares it with the newest anchor (written at the end of each run "
           "to the anchor file outside the store), so that entries cut from the end are named too. "
           "Exits 1 when the log has been edited, cut or reordered, or the anchor file edited.",
           0, 0, anchor_options, AuditVerify});
  reg.Add({"audit anchor export", "the audit chain's anchors and the public key, for an auditor", "",
           "Prints the anchors and the host's public key as JSON, or with --out writes "
           "audit-anchors.jsonl and audit-anchor.pub into DIR; an auditor keeps them and later runs "
           "audit verify --anchors ... --public-key ... against the store.",
           0, 0,
           [anchor_options](Poco::Util::OptionSet& s) {
             anchor_options(s);
             AddValueOption(s, "out", "DIR", "write the anchor file and public key into DIR");
           },
           AuditAnchorExport});
  reg.Add({"audit show", "audit entries, for one pupil or all", "", "", 0, 0,
           [](Poco::Util::OptionSet& s) {
             AddCommonOptions(s);
             AddValueOption(s, "pupil", "UPN", "only this pupil's entries");
             AddValueOption(s, "limit", "N", "at most N (default 200)");
             AddValueOption(s, "after", "SEQ", "entries after this sequence number");
           },
           AuditShow});
}

}  // namespace

void RegisterSyncCommands(Registry& reg) {
  RegisterLinkCommands(reg);
  reg.Add(
      {"sync", "run links: pull, check, merge, store, push", "",
       "Links run side by side, up to --parallel (the config's max_parallel_runs, default 2) at "
       "a time, so one whose adapter hangs does not hold up the others; the report lists them "
       "in the order they were added. --parallel 1 runs them one after another in that order. "
       "Exit codes: 0 all well, 1 a link failed, 3 finished but records need a person.",
       0, 0,
       [](Poco::Util::OptionSet& s) {
         AddCommonOptions(s);
         AddValueOption(s, "link", "NAME", "run only this link");
         AddValueOption(s, "school", "URN", "run only this school's links");
         AddFlag(s, "dry-run", "do everything up to storing, then report what would change");
         AddFlag(s, "push-only", "only deliver waiting changes");
         AddFlag(s, "pull-only", "only pull; leave changes waiting");
         AddValueOption(s, "page-size", "N", "records per read and per commit (default 1000)");
         AddFlag(s, "progress",
                 "with --json: write progress events to stderr as JSON lines (records done, "
                 "total when known, rate, seconds left)");
         AddValueOption(s, "parallel", "N",
                        "links run at the same time, 1..64 (default: max_parallel_runs, 2)");
       },
       Sync});
  RegisterQueueCommands(reg);
  RegisterRunAndAuditCommands(reg);
}

}  // namespace sendsync::cli
