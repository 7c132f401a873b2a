// sendsync init, pupil show, due, referral check, import-json, export-json.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <Poco/Util/OptionSet.h>
#include <nlohmann/json.hpp>

#include "core/cli/commands.h"
#include "core/cli/context.h"
#include "core/domain/domain.h"
#include "core/hub/hub.h"

namespace sendsync::cli {
namespace {

using nlohmann::json;

std::string S(const json& j, const char* k, const std::string& fallback = "") {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) return fallback;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string Label(std::string_view set, const std::string& code) {
  const domain::CodeEntry* e = domain::CodeSets::Builtin().FindEntry(set, code);
  return e ? code + " (" + e->label + ")" : code;
}

Result<Date> AsOf(const Invocation& inv) {
  if (!inv.Has("as-of")) return Today();
  auto d = Date::Parse(inv.Get("as-of"));
  if (!d) return Status::InvalidArgument("--as-of must be a date yyyy-mm-dd");
  return *d;
}

std::string Money(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "£%.2f", v);
  return buf;
}

int Init(const Invocation& inv) {
  auto ctx = MakeContext(inv, false);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  // The only command that creates: the config's data folder, and the store (with its folder)
  // when missing.
  std::error_code ec;
  if (!(*ctx)->cfg.source.empty()) std::filesystem::create_directories((*ctx)->cfg.data_dir, ec);
  if (ec)
    return Fail(inv, Status::IoError("cannot create the data folder " + (*ctx)->cfg.data_dir +
                                     ": " + ec.message()));
  auto s = store::Store::Open((*ctx)->store_url, store::OpenMode::kCreate);
  if (!s.ok()) return Fail(inv, s.status());
  auto url = store::ParseStoreUrl((*ctx)->store_url);
  json j = {{"store", url->display},
            {"schema_version", (*s)->schema_version()},
            {"migrations_applied", (*s)->migrations_applied()}};
  if (inv.json) {
    inv.PrintJson(j);
  } else {
    *inv.out << "store " << url->display << " is at schema version " << (*s)->schema_version()
             << ((*s)->migrations_applied()
                     ? " (" + std::to_string((*s)->migrations_applied()) + " migration(s) applied)"
                     : " (already up to date)")
             << "\n";
  }
  return kExitOk;
}

void PrintPupil(std::ostream& out, const json& s) {
  const json& p = s["pupil"];
  out << "Pupil " << S(p, "legal_forename") << " " << S(p, "legal_surname");
  if (p.contains("preferred_forename")) out << " (known as " << S(p, "preferred_forename") << ")";
  out << "\n  UPN " << S(p, "upn")
      << (p.contains("former_upn") ? ", former " + S(p, "former_upn") : "")
      << (p.contains("uln") ? ", ULN " + S(p, "uln") : "") << "\n  born " << S(p, "dob") << ", sex "
      << S(p, "sex") << ", NC year " << S(p, "nc_year", "-") << ", school URN "
      << S(p, "school_urn", "-") << (p.contains("home_la") ? ", home LA " + S(p, "home_la") : "")
      << (p.contains("eal") ? std::string(", EAL ") + (p["eal"] == true ? "yes" : "no") : "")
      << (p.contains("first_language") ? ", first language " + S(p, "first_language") : "")
      << "\n  hub id " << S(p, "id") << "; in other systems:";
  for (const json& i : s["system_ids"]) out << " " << S(i, "link") << "=" << S(i, "id");
  out << "\n\nSEN status\n";
  if (s["sen"].is_null()) {
    out << "  none recorded\n";
  } else {
    const json& sen = s["sen"];
    out << "  " << Label(domain::sets::kSenProvision, S(sen, "provision"))
        << (sen.contains("provision_start") ? " since " + S(sen, "provision_start") : "")
        << (sen.contains("local_status") ? "  [local: " + S(sen, "local_status") + "]" : "")
        << "\n";
    for (const json& n : sen.value("needs", json::array()))
      out << "  need " << n.value("rank", 0) << ": " << Label(domain::sets::kNeedType, S(n, "type"))
          << "\n";
    if (sen.contains("history") && !sen["history"].empty()) {
      out << "  history:";
      for (const json& e : sen["history"])
        out << "  " << S(e, "provision") << " " << S(e, "start") << "→" << S(e, "end", "");
      out << "\n";
    }
    // The school's duty to tell parents when it makes SEN provision (CoP 6.43): said either way.
    out << "  parents told of SEN provision: "
        << (sen.contains("parents_informed") ? S(sen, "parents_informed") : "not recorded") << "\n";
    if (sen.contains("key_adult")) out << "  key adult: " << S(sen, "key_adult") << "\n";
    if (sen.contains("agencies") && !sen["agencies"].empty()) {
      out << "  agencies involved:";
      std::string sep = " ";
      for (const json& a : sen["agencies"]) {
        out << sep << S(a, "name");
        if (a.contains("from") || a.contains("to"))
          out << " (" << S(a, "from", "") << "→" << S(a, "to", "") << ")";
        sep = "; ";
      }
      out << "\n";
    }
  }
  out << "\nAssess/Plan/Do/Review cycles (" << s["cycles"].size() << ")\n";
  for (const json& c : s["cycles"]) {
    out << "  " << S(c, "id") << "  from " << S(c, "start") << "  " << S(c, "status", "open")
        << (c.contains("stage") ? ", stage " + S(c, "stage") : "")
        << (c.contains("review_date") ? ", review " + S(c, "review_date") : "") << "\n";
    for (const json& o : c.value("outcomes", json::array()))
      for (const json& t : o.value("targets", json::array()))
        out << "      target " << S(t, "id") << ": " << S(t, "description") << " ["
            << S(t, "progress") << (t.contains("due") ? ", due " + S(t, "due") : "") << "]\n";
  }
  out << "\nProvision (" << s["provision"].size() << "), "
      << Money(s.value("provision_cost_per_year", 0.0)) << " a year in all\n";
  for (const json& p : s["provision"]) {
    out << "  " << S(p, "id") << "  " << S(p, "intervention") << ", " << S(p, "area") << ", wave "
        << S(p, "wave") << ", group of " << S(p, "group_size", "1") << ", "
        << S(p, "sessions_per_week") << "×" << S(p, "minutes_per_session") << " min a week"
        << (p.contains("parents_letter") ? ", letter to parents " + S(p, "parents_letter") : "");
    if (p.contains("cost"))
      out << "  → " << Money(p["cost"].value("per_term", 0.0)) << " a term, "
          << Money(p["cost"].value("per_year", 0.0)) << " a year";
    out << "\n";
  }
  out << "\nReviews (" << s["reviews"].size() << ")\n";
  for (const json& r : s["reviews"])
    out << "  " << S(r, "id") << "  " << S(r, "date") << "  " << S(r, "review_kind")
        << (r.contains("decision") ? ", decision " + S(r, "decision") : "")
        << (r.value("parents_met", false) ? ", met parents" : "")
        << (r.contains("next_review") ? ", next " + S(r, "next_review") : "") << "\n";
  out << "\nRequests for EHC needs assessment (" << s["referrals"].size() << ")\n";
  for (const json& r : s["referrals"]) {
    const std::string delivery = S(r, "delivery");
    std::string what = S(r, "status");
    if (delivery == "queued") what = "submitted, queued for the LA (not delivered yet)";
    if (delivery == "delivered")
      what = "submitted, delivered to the LA (its id " + S(r, "la_id") + "), not yet acknowledged";
    out << "  " << S(r, "id") << "  " << what
        << (r.contains("client_reference") ? ", school's reference " + S(r, "client_reference")
                                           : "")
        << (r.contains("la_reference") ? ", LA ref " + S(r, "la_reference") : "")
        << (r.contains("received_date") ? ", received " + S(r, "received_date") : "")
        << (r.contains("decision_date")
                ? ", decided " + S(r, "decision_date") + " (" + S(r, "decision") + ")"
                : "")
        << (r.contains("draft_plan_date") ? ", draft plan " + S(r, "draft_plan_date") : "")
        << (r.contains("final_plan_date") ? ", final plan " + S(r, "final_plan_date") : "")
        << (r.contains("no_plan_date") ? ", no plan " + S(r, "no_plan_date") : "") << "\n";
  }
  out << "\nEHC plans (" << s["plans"].size() << ")\n";
  for (const json& p : s["plans"])
    out << "  " << S(p, "id") << "  issued " << S(p, "issued") << " by LA " << S(p, "la", "-")
        << (p.contains("named_setting") ? ", setting " + S(p, "named_setting") : "") << "\n";
  out << "\nClocks as of " << S(s, "as_of") << "\n";
  bool any = false;
  for (const json& c : s["clocks"]) {
    const std::string st = S(c, "state");
    if (st == "met" || st == "excused") continue;
    any = true;
    out << "  " << S(c, "due") << "  " << st << "  " << S(c, "title") << " (" << S(c, "owner")
        << ")" << (c.contains("detail") ? " — " + S(c, "detail") : "") << "\n";
  }
  if (!any) out << "  nothing outstanding\n";
  if (!s["consistency"].empty() || !s["warnings"].empty()) {
    out << "\nTo check\n";
    for (const json& i : s["consistency"])
      out << "  " << S(i, "severity") << " " << S(i, "code") << ": " << S(i, "message") << "\n";
    for (const json& w : s["warnings"])
      out << "  warning " << S(w, "code") << " on the " << S(w, "record_kind") << " record "
          << S(w, "record_id") << (S(w, "path").empty() ? "" : " at " + S(w, "path")) << ": "
          << S(w, "message") << "\n";
  }
}

int PupilShow(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  auto as_of = AsOf(inv);
  if (!as_of.ok()) return inv.Fail(as_of.status().message(), kExitUsage);
  auto conn = (*ctx)->store->Connect();
  if (!conn.ok()) return Fail(inv, conn.status());
  auto pupil = hub::FindPupil(**conn, inv.args[0]);
  if (!pupil.ok()) return Fail(inv, pupil.status());
  auto s = hub::PupilSummary(**conn, pupil->id, *as_of);
  if (!s.ok()) return Fail(inv, s.status());
  if (inv.json)
    inv.PrintJson(*s);
  else
    PrintPupil(*inv.out, *s);
  return kExitOk;
}

int Due(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  auto as_of = AsOf(inv);
  if (!as_of.ok()) return inv.Fail(as_of.status().message(), kExitUsage);
  auto conn = (*ctx)->store->Connect();
  if (!conn.ok()) return Fail(inv, conn.status());
  int days = 0;
  if (inv.Has("within")) {
    days = std::atoi(inv.Get("within").c_str());
    if (days <= 0) return inv.Fail("--within needs a number of days", kExitUsage);
  }
  auto due = hub::DueList(**conn, *as_of, inv.Get("school"), days);
  if (!due.ok()) return Fail(inv, due.status());
  if (inv.json) {
    inv.PrintJson({{"as_of", as_of->ToString()}, {"items", *due}});
    return kExitOk;
  }
  if (due->empty()) {
    *inv.out << "nothing due or overdue as of " << as_of->ToString() << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const json& d : *due)
    rows.push_back({S(d, "due"), S(d, "state"), S(d, "upn"), S(d, "name"), S(d, "title"),
                    S(d, "owner"), S(d, "detail")});
  PrintTable(*inv.out, {"DUE", "STATE", "UPN", "PUPIL", "WHAT", "WHO", "NOTE"}, rows);
  return kExitOk;
}

int ReferralCheck(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  auto as_of = AsOf(inv);
  if (!as_of.ok()) return inv.Fail(as_of.status().message(), kExitUsage);
  auto conn = (*ctx)->store->Connect();
  if (!conn.ok()) return Fail(inv, conn.status());
  auto pupil = hub::FindPupil(**conn, inv.args[0]);
  if (!pupil.ok()) return Fail(inv, pupil.status());
  auto r = hub::ReadinessOf(**conn, pupil->id, *as_of);
  if (!r.ok()) return Fail(inv, r.status());
  if (inv.json) {
    inv.PrintJson(*r);
  } else {
    *inv.out << "Request for an EHC needs assessment for " << inv.args[0] << ": "
             << ((*r)["ready"].get<bool>() ? "ready" : "not ready yet")
             << ((*r).value("gate", true) ? "" : " (advice, not a condition of the request)")
             << "\n";
    if (!S(*r, "advice").empty()) *inv.out << "  " << S(*r, "advice") << "\n";
    for (const json& i : (*r)["items"]) {
      *inv.out << "  [" << (i["met"].get<bool>() ? "x" : " ") << "] " << S(i, "label");
      const json names = i.value("evidence_names", json::array());
      if (!names.empty()) {  // the records as the SENCO knows them, not the hub's ids
        *inv.out << "  (";
        for (size_t k = 0; k < names.size(); ++k)
          *inv.out << (k ? ", " : "") << names[k].get<std::string>();
        *inv.out << ")";
      }
      *inv.out << "\n";
      if (!i["met"].get<bool>() && !S(i, "missing").empty())
        *inv.out << "      missing: " << S(i, "missing") << "\n";
    }
  }
  // A request by the parent or young person is theirs to make: an unmet checklist is advice.
  return (*r)["ready"].get<bool>() || !(*r).value("gate", true) ? kExitOk : kExitNeedsPerson;
}

int ImportJson(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  sync::Engine engine(*(*ctx)->store, (*ctx)->engine);
  auto rep = engine.ImportJsonLines(inv.args[0], (*ctx)->actor);
  if (!rep.ok()) return Fail(inv, rep.status());
  json j = {{"file", inv.args[0]},       {"lines", rep->lines},           {"created", rep->created},
            {"updated", rep->updated},   {"unchanged", rep->unchanged},   {"errors", rep->errors},
            {"warnings", rep->warnings}, {"written", rep->errors.empty()}};
  if (inv.json) {
    inv.PrintJson(j);
  } else if (rep->errors.empty()) {
    *inv.out << "imported " << inv.args[0] << ": " << rep->created << " created, " << rep->updated
             << " updated, " << rep->unchanged << " unchanged\n";
    if (!rep->warnings.empty()) {
      *inv.err << "sendsync: " << rep->warnings.size() << " warning(s), imported all the same:\n";
      for (const auto& w : rep->warnings) *inv.err << "  " << w << "\n";
    }
  } else {
    *inv.err << "sendsync: " << inv.args[0] << " was not imported; nothing was written:\n";
    for (const auto& e : rep->errors) *inv.err << "  " << e << "\n";
  }
  return rep->errors.empty() ? kExitOk : kExitFailed;
}

int ExportJson(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  auto conn = (*ctx)->store->Connect();
  if (!conn.ok()) return Fail(inv, conn.status());
  std::ofstream file;
  std::ostream* out = inv.out;
  const std::string path = inv.args.empty() ? "-" : inv.args[0];
  std::string tmp = path + ".tmp";
  if (path != "-") {
    file.open(tmp, std::ios::trunc);
    if (!file) return inv.Fail("cannot write " + tmp);
    out = &file;
  }
  std::map<int64_t, std::string> upn;
  int64_t after = 0, n = 0;
  for (;;) {
    auto rows = store::ScanRecords(**conn, after, 5000);
    if (!rows.ok()) return Fail(inv, rows.status());
    if (rows->empty()) break;
    std::vector<int64_t> missing;
    for (const auto& r : *rows) {
      if (r.kind == "pupil")
        upn[r.id] = r.upn;
      else if (!upn.count(r.pupil_id))
        missing.push_back(r.pupil_id);
    }
    auto pupils = store::LoadRecords(**conn, missing);
    if (!pupils.ok()) return Fail(inv, pupils.status());
    for (const auto& p : *pupils) upn[p.id] = p.upn;
    for (const auto& r : *rows) {
      json c = hub::Canonical(r, r.kind == "pupil" ? r.upn : upn[r.pupil_id]);
      std::vector<json*> one = {&c};
      Status st = hub::ResolvePending(**conn, r.kind, one);
      if (!st.ok()) return Fail(inv, st);
      *out << c.dump() << "\n";
      ++n;
    }
    after = rows->back().id;
  }
  if (path != "-") {
    file.close();
    if (std::rename(tmp.c_str(), path.c_str()) != 0) return inv.Fail("cannot write " + path);
    *inv.err << "exported " << n << " records to " << path << "\n";
  }
  return kExitOk;
}

void AsOfOption(Poco::Util::OptionSet& set) {
  AddValueOption(set, "as-of", "DATE",
                 "work out clocks as of this date (yyyy-mm-dd; default today)");
}

}  // namespace

void RegisterHubCommands(Registry& reg) {
  reg.Add({"init", "create the store, or bring its schema up to date", "",
           "Migrations also run whenever any command opens the store; a store newer than this "
           "sendsync is refused.",
           0, 0, CommonOptions, Init});
  reg.Add({"pupil show", "everything the hub holds for one pupil, with costs and clocks", "UPN", "",
           1, 1,
           [](Poco::Util::OptionSet& s) {
             AddCommonOptions(s);
             AsOfOption(s);
           },
           PupilShow});
  reg.Add({"due",
           "reviews and statutory deadlines due or overdue, and running EHC clocks, soonest first",
           "", "", 0, 0,
           [](Poco::Util::OptionSet& s) {
             AddCommonOptions(s);
             AsOfOption(s);
             AddValueOption(s, "school", "URN", "only this school");
             AddValueOption(s, "within", "DAYS", "also what falls due within this many days");
           },
           Due});
  reg.Add({"referral check", "what an LA will expect in a request for an EHC needs assessment",
           "UPN", "Exits 3 when something is missing.", 1, 1,
           [](Poco::Util::OptionSet& s) {
             AddCommonOptions(s);
             AsOfOption(s);
           },
           ReferralCheck});
  reg.Add({"import-json", "apply canonical records from a file (one JSON object per line)", "FILE",
           "All or nothing: if any line is bad, every bad line is reported with its number and "
           "nothing is written. Imported values win over the hub's (an admin's file is an "
           "instruction).",
           1, 1, CommonOptions, ImportJson});
  reg.Add({"export-json", "write every hub record as canonical JSON lines", "[FILE]",
           "Writes to FILE atomically, or to standard output when FILE is - or absent.", 0, 1,
           CommonOptions, ExportJson});
}

}  // namespace sendsync::cli
