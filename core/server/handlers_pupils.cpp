// Pupils' SEN summaries, referral readiness, due reviews and clocks, referrals, and the audit log.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>

#include "core/audit/audit.h"
#include "core/hub/hub.h"
#include "core/server/handlers.h"

namespace sendsync::server::handlers {

using nlohmann::json;

namespace {

std::optional<Reply> AsOf(const Call& call, Date& out) {
  const std::string text = call.Query("as_of");
  if (text.empty()) {
    out = Today();
    return std::nullopt;
  }
  auto d = Date::Parse(text);
  if (!d) {
    Errors e;
    e.Add("query:as_of", "must be a date yyyy-mm-dd");
    return e.ToReply();
  }
  out = *d;
  return std::nullopt;
}

// The pupil named by {upn}, checked against the caller's school. Error bodies do not repeat the
// UPN.
std::optional<Reply> PupilParam(Call& call, store::RecordRow& out) {
  static const std::regex kUpn(R"([A-Z][0-9]{11}[0-9A-Z])");
  const std::string upn = call.params["upn"];
  if (!std::regex_match(upn, kUpn)) {
    Errors e;
    e.Add("path:upn", "must be a UPN: a letter, 11 digits, and a digit or letter");
    return e.ToReply();
  }
  auto p = hub::FindPupil(*call.conn, upn);
  if (!p.ok()) {
    if (p.status().code() == Status::Code::kNotFound) return Problem(404, "no pupil with that UPN");
    if (p.status().code() == Status::Code::kFailedPrecondition)
      return Problem(409, "several pupils share that UPN; resolve the match queue first");
    return FromStatus(p.status());
  }
  if (!call.MaySee(p->school_urn)) return Problem(403, "this token is limited to another school");
  out = *p;
  return std::nullopt;
}

json OffsetPage(const json& all, const Page& page) {
  const size_t from = page.cursor.empty() ? 0 : static_cast<size_t>(std::stoll(page.cursor));
  json items = json::array();
  for (size_t i = from; i < all.size() && items.size() < static_cast<size_t>(page.limit); ++i)
    items.push_back(all[i]);
  const size_t end = from + items.size();
  return Page::Wrap(std::move(items), end < all.size() ? std::to_string(end) : "");
}

}  // namespace

Reply ShowPupil(Call& call) {
  Date as_of;
  if (auto r = AsOf(call, as_of)) return *r;
  store::RecordRow p;
  if (auto r = PupilParam(call, p)) return *r;
  auto s = hub::PupilSummary(*call.conn, p.id, as_of);
  if (!s.ok()) return FromStatus(s.status());
  return {200, std::move(*s)};
}

Reply PupilReadiness(Call& call) {
  Date as_of;
  if (auto r = AsOf(call, as_of)) return *r;
  store::RecordRow p;
  if (auto r = PupilParam(call, p)) return *r;
  auto s = hub::ReadinessOf(*call.conn, p.id, as_of);
  if (!s.ok()) return FromStatus(s.status());
  return {200, std::move(*s)};
}

Reply ListDue(Call& call) {
  Page page;
  if (auto r = ParsePage(call, page)) return *r;
  Date as_of;
  if (auto r = AsOf(call, as_of)) return *r;
  int within = 0;
  const std::string w = call.Query("within");
  if (!w.empty()) {
    if (w.size() > 3 || w.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(w) < 1 || std::stoi(w) > 366) {
      Errors e;
      e.Add("query:within", "must be a number of days 1..366");
      return e.ToReply();
    }
    within = std::stoi(w);
  }
  auto due = hub::DueList(*call.conn, as_of, call.School(), within);
  if (!due.ok()) return FromStatus(due.status());
  json out = OffsetPage(*due, page);
  out["as_of"] = as_of.ToString();
  return {200, out};
}

Reply ListReferrals(Call& call) {
  static const std::set<std::string> kStatuses = {
      "draft",     "submitted",     "received",   "more_info_requested",
      "assessing", "not_assessing", "draft_plan", "plan_issued",
      "no_plan",   "withdrawn"};
  Page page;
  if (auto r = ParsePage(call, page)) return *r;
  const std::string status = call.Query("status");
  if (!status.empty() && !kStatuses.count(status)) {
    Errors e;
    e.Add("query:status", "is not a referral status (draft, submitted, received, ...)");
    return e.ToReply();
  }
  auto ids = store::PupilsWithRecords(*call.conn, call.School());
  if (!ids.ok()) return FromStatus(ids.status());
  auto refs = store::RecordsByPupils(*call.conn, "referral", *ids);
  if (!refs.ok()) return FromStatus(refs.status());
  std::vector<int64_t> pupil_ids;
  for (const auto& r : *refs) pupil_ids.push_back(r.pupil_id);
  auto pupils = store::LoadRecords(*call.conn, pupil_ids);
  if (!pupils.ok()) return FromStatus(pupils.status());
  std::map<int64_t, const store::RecordRow*> by_id;
  for (const auto& p : *pupils) by_id[p.id] = &p;
  std::sort(refs->begin(), refs->end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  json all = json::array();
  for (const auto& r : *refs) {
    json body = json::parse(r.body, nullptr, false);
    if (!body.is_object()) continue;
    if (!status.empty() && body.value("status", "") != status) continue;
    json item = {{"id", hub::HubId(r.id)}};
    auto p = by_id.find(r.pupil_id);
    if (p != by_id.end()) {
      json pb = json::parse(p->second->body, nullptr, false);
      item["upn"] = p->second->upn;
      item["school_urn"] = p->second->school_urn;
      if (pb.is_object())
        item["name"] = pb.value("legal_forename", "") + " " + pb.value("legal_surname", "");
    }
    for (const char* k : {"status", "la", "la_reference", "request_date", "received_date",
                          "decision", "decision_date", "final_plan_date"})
      item[k] = body.contains(k) ? body[k] : json();
    all.push_back(std::move(item));
  }
  return {200, OffsetPage(all, page)};
}

Reply ListAudit(Call& call) {
  Page page;
  if (auto r = ParsePage(call, page)) return *r;
  audit::Query q;
  q.after_seq = page.cursor.empty() ? 0 : std::stoll(page.cursor);
  q.limit = page.limit + 1;
  const std::string upn = call.Query("pupil");
  if (!upn.empty()) {
    auto p = hub::FindPupil(*call.conn, upn);
    if (!p.ok()) {
      if (p.status().code() == Status::Code::kNotFound)
        return Problem(404, "no pupil with that UPN");
      return FromStatus(p.status());
    }
    q.pupil_id = p->id;
  }
  auto entries = audit::List(*call.conn, q);
  if (!entries.ok()) return FromStatus(entries.status());
  std::string next;
  if (static_cast<int64_t>(entries->size()) > page.limit) {
    entries->resize(static_cast<size_t>(page.limit));
    next = std::to_string(entries->back().seq);
  }
  json items = json::array();
  for (const auto& e : *entries)
    items.push_back({{"seq", e.seq},
                     {"time", IsoTime(e.ts)},
                     {"actor", e.actor},
                     {"action", e.action},
                     {"kind", e.kind},
                     {"record_id", e.record_id ? hub::HubId(e.record_id) : ""},
                     {"detail", e.detail},
                     {"hash", e.hash}});
  return {200, Page::Wrap(std::move(items), next)};
}

Reply VerifyAudit(Call& call) {
  auto v = audit::Verify(*call.conn);
  if (!v.ok()) return FromStatus(v.status());
  return {200,
          {{"ok", v->ok},
           {"checked", v->checked},
           {"first_bad_seq", v->first_bad_seq},
           {"problem", v->problem}}};
}

}  // namespace sendsync::server::handlers

namespace sendsync::server::handlers {

namespace {

// "line 1: consent.given: expected true or false" -> {"path": "/consent/given", "message": ...}
// (the domain names fields as a.b[2].c; the API's paths are JSON Pointers).
json ImportErrorToProblem(const std::string& error) {
  std::string rest = error;
  if (rest.rfind("line ", 0) == 0 && rest.find(": ") != std::string::npos)
    rest = rest.substr(rest.find(": ") + 2);
  const size_t colon = rest.find(": ");
  const std::string field = colon == std::string::npos ? "" : rest.substr(0, colon);
  if (field.empty() || field.find(' ') != std::string::npos)
    return {{"path", ""}, {"message", rest}};
  std::string pointer = field[0] == '/' ? "" : "/";
  for (char c : field) {
    if (c == '.' || c == '[')
      pointer += '/';
    else if (c != ']')
      pointer += c;
  }
  return {{"path", pointer}, {"message", rest.substr(colon + 2)}};
}

}  // namespace

Reply SubmitReferral(Call& call) {
  static const std::regex kUpn(R"([A-Z][0-9]{11}[0-9A-Z])");
  Errors e;
  const json& b = call.body;
  if (!b.is_object()) {
    e.Add("", "a canonical referral record (docs/records.md, \"referral\") is needed");
    return e.ToReply();
  }
  if (b.value("kind", "") != "referral") e.Add("/kind", "must be \"referral\"");
  std::string upn;
  if (!b.contains("pupil") || !b["pupil"].is_object() || !b["pupil"].contains("upn") ||
      !b["pupil"]["upn"].is_string())
    e.Add("/pupil/upn", "is required: the pupil's UPN");
  else if (!std::regex_match(upn = b["pupil"]["upn"].get<std::string>(), kUpn))
    e.Add("/pupil/upn", "must be a UPN: a letter, 11 digits, and a digit or letter");
  if (!e.empty()) return e.ToReply();
  // Only for a pupil the hub already holds, of a school the caller may act for.
  auto p = hub::FindPupil(*call.conn, upn);
  if (!p.ok()) {
    if (p.status().code() == Status::Code::kNotFound) return Problem(404, "no pupil with that UPN");
    if (p.status().code() == Status::Code::kFailedPrecondition)
      return Problem(409, "several pupils share that UPN; resolve the match queue first");
    return FromStatus(p.status());
  }
  if (!call.MaySee(p->school_urn)) return Problem(403, "this token is limited to another school");

  // The engine's import is the hub's pipeline for records a person gives (validation, merge,
  // audit, fan-out to the links that write referrals); it reads a file, so the record goes through
  // a private temporary one that is removed at once.
  std::string tmpl = (std::filesystem::temp_directory_path() / "sendsync-referral-XXXXXX").string();
  std::vector<char> path(tmpl.begin(), tmpl.end());
  path.push_back('\0');
  const int fd = ::mkstemp(path.data());  // mode 0600: it holds personal data for a moment
  if (fd < 0) return FromStatus(Status::IoError("cannot make a temporary file"));
  const std::string line = b.dump() + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  Result<sync::Engine::ImportReport> rep =
      written
          ? call.env.engine.ImportJsonLines(path.data(), call.caller.Actor())
          : Result<sync::Engine::ImportReport>(Status::IoError("cannot write a temporary file"));
  ::unlink(path.data());
  if (!rep.ok()) return FromStatus(rep.status());
  if (!rep->errors.empty()) {
    json errors = json::array();
    for (const auto& err : rep->errors) errors.push_back(ImportErrorToProblem(err));
    return Problem(400, "the referral was not accepted; nothing was written", errors);
  }
  return {200,
          {{"created", rep->created}, {"updated", rep->updated}, {"unchanged", rep->unchanged}}};
}

}  // namespace sendsync::server::handlers
