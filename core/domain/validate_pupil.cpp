// Validation of pupil and SEN-status records (reference sections 1-3).
#include <set>

#include "core/domain/internal.h"
#include "core/domain/pupil_records.h"
#include "core/domain/upn.h"
#include "core/domain/validation.h"

namespace sendsync::domain {

using detail::Add;
using detail::CheckCode;
using detail::CheckOrder;
using detail::Index;
using detail::Join;

namespace {

// A pupil's identity fields carry no date of their own: they are checked against the current sets.
void CheckIdentifier(std::vector<Issue>& out, const CodeSets& sets, const std::string& value,
                     const std::string& path) {
  if (sets.UnknownUpnReason(value)) {
    const CodeEntry* e = sets.FindEntry(sets::kUnknownUpnReason, value);
    Add(out, "UPN_UNKNOWN_REASON", path,
        "no UPN: " + value + " (" + e->label + "); the pupil cannot be matched by UPN");
    return;
  }
  if (auto issue = CheckUpn(value, path)) out.push_back(std::move(*issue));
}

// The legacy census codes (statement, School Action, School Action Plus): history only.
bool IsHistoryOnly(std::string_view provision) {
  return provision == "S" || provision == "A" || provision == "P";
}

// The date a SEN record's provision code is checked at: its start, else the newest history
// episode's start, else the newest code sets.
Date ProvisionDate(const records::Sen& s) {
  if (s.provision_start) return *s.provision_start;
  if (!s.history.empty()) return s.history.back().start;
  return LatestCodesDate();
}

// End dates are inclusive everywhere (docs/records.md): a need ending on a date still applies on
// it.
bool NeedIsCurrent(const records::SenNeed& n, Date on) {
  return !n.end || *n.end >= on;
}

void CheckNeeds(std::vector<Issue>& out, const CodeSets& sets, const records::Sen& s,
                bool provision_known) {
  const Date current = LatestCodesDate();
  std::set<std::string_view> types;
  int primaries = 0, secondaries = 0, current_needs = 0;
  for (size_t i = 0; i < s.needs.size(); ++i) {
    const records::SenNeed& n = s.needs[i];
    std::string path = Index("needs", i);
    // A need is a current fact about the pupil: checked at its own start date when it has one,
    // else against the newest sets.
    Date on = n.start ? *n.start : current;
    bool type_ok = CheckCode(out, sets, sets::kNeedType, n.type, on, "NEED_TYPE_CODE",
                             Join(path, "type"), "need type");
    if (n.rank != 1 && n.rank != 2)
      Add(out, "NEED_RANK_RANGE", Join(path, "rank"),
          "rank must be 1 (primary) or 2 (secondary), got " + std::to_string(n.rank));
    CheckOrder(out, n.start, "start", n.end, "end", Join(path, "end"));
    if (!types.insert(n.type).second)
      Add(out, "NEED_TYPE_DUPLICATE", Join(path, "type"),
          "need type " + n.type + " is recorded more than once");
    if (!NeedIsCurrent(n, current)) continue;  // ended needs are history
    ++current_needs;
    primaries += n.rank == 1;
    secondaries += n.rank == 2;
    if (type_ok && provision_known) {
      const CodeEntry* e = sets.FindEntry(sets::kNeedType, n.type);
      if (!e->only_with.empty() && s.provision != "N") {
        bool allowed = false;
        for (const std::string& p : e->only_with) allowed = allowed || p == s.provision;
        if (!allowed) {
          std::string list;
          for (const std::string& p : e->only_with) list += (list.empty() ? "" : ", ") + p;
          Add(out, "NEED_TYPE_NOT_FOR_PROVISION", Join(path, "type"),
              "need type " + n.type + " may be used only with provision " + list + ", not with " +
                  s.provision);
        }
      }
    }
  }
  if (!provision_known) return;
  if (s.provision == "N") {
    if (current_needs > 0)
      Add(out, "NEEDS_WITH_NO_SEN", "needs",
          "provision N (no special educational need) with " + std::to_string(current_needs) +
              " current need(s); end them or record K or E");
    return;
  }
  if (s.provision != "K" && s.provision != "E") return;  // legacy codes in old records
  if (current_needs == 0) {
    Add(out, "NEED_MISSING", "needs",
        "provision " + s.provision + " must have a primary need (rank 1)");
    return;
  }
  if (primaries == 0)
    Add(out, "NEED_PRIMARY_MISSING", "needs",
        secondaries > 0 ? "a rank 2 need requires a rank 1 (primary) need"
                        : "exactly one need must be rank 1 (primary)");
  if (primaries > 1)
    Add(out, "NEED_PRIMARY_DUPLICATE", "needs",
        std::to_string(primaries) + " needs are rank 1; exactly one may be primary");
  if (secondaries > 1)
    Add(out, "NEED_SECONDARY_DUPLICATE", "needs",
        std::to_string(secondaries) +
            " needs are rank 2; the census takes one secondary need (cardinality unsure)");
}

void CheckHistory(std::vector<Issue>& out, const CodeSets& sets, const records::Sen& s) {
  for (size_t i = 0; i < s.history.size(); ++i) {
    const records::SenEpisode& e = s.history[i];
    std::string path = Index("history", i);
    CheckCode(out, sets, sets::kSenProvision, e.provision, e.start, "SEN_HISTORY_CODE",
              Join(path, "provision"), "provision");
    CheckOrder(out, e.start, "start", e.end, "end", Join(path, "end"));
    if (i == 0) continue;
    const records::SenEpisode& prev = s.history[i - 1];
    if (e.start < prev.start) {
      Add(out, "DATES_OUT_OF_ORDER", Join(path, "start"),
          "history episodes must be oldest first: " + e.start.ToString() + " follows " +
              prev.start.ToString());
    } else if (!prev.end || *prev.end >= e.start) {
      // end is inclusive: an episode ends at the latest the day before the next starts.
      Add(out, "SEN_HISTORY_OVERLAP", path,
          "episode starting " + e.start.ToString() + " overlaps the one starting " +
              prev.start.ToString() + "; a pupil has one status at any date");
    }
  }
  if (!s.history.empty() && !s.history.back().end && s.history.back().provision != s.provision)
    Add(out, "SEN_HISTORY_MISMATCH", Index("history", s.history.size() - 1),
        "the open episode says " + s.history.back().provision + " but the current provision is " +
            s.provision);
}

}  // namespace

std::vector<Issue> Validate(const records::Pupil& p, const CodeSets& sets) {
  std::vector<Issue> out;
  const Date on = LatestCodesDate();
  CheckIdentifier(out, sets, p.upn, "upn");
  if (p.former_upn && !p.former_upn->empty()) {
    if (auto issue = CheckUpn(*p.former_upn, "former_upn")) out.push_back(std::move(*issue));
    if (*p.former_upn == p.upn)
      Add(out, "FORMER_UPN_SAME", "former_upn", "the former UPN is the same as the UPN");
  }
  if (p.uln)
    if (auto issue = CheckUln(*p.uln)) out.push_back(std::move(*issue));
  CheckCode(out, sets, sets::kSex, p.sex, on, "SEX_CODE", "sex", "sex");
  if (p.nc_year)
    CheckCode(out, sets, sets::kNcYear, *p.nc_year, on, "NC_YEAR_CODE", "nc_year",
              "national curriculum year");
  if (p.laestab && !(p.laestab->size() == 7 && detail::AllDigits(*p.laestab)))
    Add(out, "LAESTAB_FORMAT", "laestab",
        "LAESTAB must be 7 digits (3-digit LA code + 4-digit establishment number)");
  if (p.school_urn && !(p.school_urn->size() == 6 && detail::AllDigits(*p.school_urn)))
    Add(out, "URN_FORMAT", "school_urn", "a school URN is 6 digits");
  CheckOrder(out, p.dob, "date of birth", p.on_roll_from, "on_roll_from", "on_roll_from");
  CheckOrder(out, p.on_roll_from, "on_roll_from", p.on_roll_to, "on_roll_to", "on_roll_to");
  if (p.home_la && !(p.home_la->size() == 3 && detail::AllDigits(*p.home_la)))
    Add(out, "LA_CODE_FORMAT", "home_la", "the home LA is a 3-digit LA code");
  for (size_t i = 0; i < p.attendance.size(); ++i) {
    const records::AttendancePeriod& a = p.attendance[i];
    const std::string path = Index("attendance", i);
    CheckOrder(out, a.from, "from", a.to, "to", Join(path, "to"));
    if (a.possible_sessions < 0 || a.attended_sessions < 0)
      Add(out, "ATTENDANCE_SESSIONS", path, "session counts cannot be negative");
    else if (a.attended_sessions > a.possible_sessions)
      Add(out, "ATTENDANCE_SESSIONS", Join(path, "attended_sessions"),
          std::to_string(a.attended_sessions) + " sessions attended of " +
              std::to_string(a.possible_sessions) +
              " possible: a pupil cannot attend more sessions than were possible");
  }
  return out;
}

std::vector<Issue> Validate(const records::Sen& s, const CodeSets& sets) {
  std::vector<Issue> out;
  bool provision_ok = CheckCode(out, sets, sets::kSenProvision, s.provision, ProvisionDate(s),
                                "SEN_PROVISION_CODE", "provision", "provision");
  if (provision_ok && IsHistoryOnly(s.provision)) {
    const CodeEntry* e = sets.FindEntry(sets::kSenProvision, s.provision);
    Add(out, "SEN_PROVISION_HISTORY_ONLY", "provision",
        "provision " + s.provision + " (" + e->label +
            ") is a legacy code for history episodes only; a pupil's current status is N, K or E");
    provision_ok = false;
  }
  CheckNeeds(out, sets, s, provision_ok);
  CheckHistory(out, sets, s);
  for (size_t i = 0; i < s.agencies.size(); ++i)
    CheckOrder(out, s.agencies[i].from, "from", s.agencies[i].to, "to",
               Join(Index("agencies", i), "to"));
  if (s.provision == "N" && (s.sen_unit || s.resourced_provision))
    Add(out, "SEN_UNIT_WITHOUT_SEN", s.sen_unit ? "sen_unit" : "resourced_provision",
        "an LA-recognised SEN unit or resourced provision place with provision N");
  return out;
}

std::optional<std::string> ProvisionOn(const records::Sen& sen, Date on) {
  for (auto it = sen.history.rbegin(); it != sen.history.rend(); ++it)
    if (it->start <= on && (!it->end || on <= *it->end)) return it->provision;  // inclusive end
  if (!sen.provision_start || *sen.provision_start <= on) {
    // With history recorded, a date before the first episode is unknown.
    if (!sen.history.empty() && on < sen.history.front().start) return std::nullopt;
    return sen.provision;
  }
  return std::nullopt;
}

}  // namespace sendsync::domain
