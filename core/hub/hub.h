// Read-side views of the hub shared by the sync engine, the CLI and the admin API: a stored record
// back in its canonical JSON form, and everything held for one pupil as domain records.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/domain/domain.h"
#include "core/store/store.h"

namespace sendsync::hub {

// Hub ids as they appear in canonical JSON and outbound changes: "h<number>".
std::string HubId(int64_t id);
// Parses "h123" (or "123") back; 0 when it is not a hub id.
int64_t ParseHubId(const std::string& text);

// The stored record as a canonical record: envelope (kind, id = hub id, pupil = {id, upn}) plus
// its fields.
nlohmann::json Canonical(const store::RecordRow& row, const std::string& pupil_upn);

// Everything the hub holds for one pupil, as domain records (for clocks, readiness, consistency,
// `pupil show`). Records that no longer parse (they were valid when stored) are reported as
// Corruption naming the record.
Result<domain::PupilRecords> LoadPupilRecords(store::Conn& conn, int64_t pupil_id);

// The live pupil with this UPN (or former UPN); NotFound when none, FailedPrecondition when the
// UPN is shared by several pupils (a match to resolve).
Result<store::RecordRow> FindPupil(store::Conn& conn, const std::string& upn);

// ---- views for people (CLI and admin API) ----

// Everything about one pupil: identity, each system's id for them, SEN status and history, needs,
// cycles, provision with costs, reviews, referrals, plans, clocks as of `as_of`, and consistency
// warnings. Hub ids throughout.
Result<nlohmann::json> PupilSummary(store::Conn& conn, int64_t pupil_id, Date as_of);

// The referral extension field in which an LA portal adapter reports what the LA asked the school
// for ({"requested_on", "items", "respond_by"}); the canonical referral has no field for it.
inline constexpr const char* kInformationRequestedField = "x_information_requested";

// Every clock for one pupil (domain::Clocks), plus "la_information_requested" (owner school) while
// a referral's status is more_info_requested: due by the LA's respond-by date, overdue after it.
Result<std::vector<domain::DueItem>> ClocksOf(store::Conn& conn, int64_t pupil_id,
                                              const domain::PupilRecords& recs, Date as_of,
                                              const domain::ClockConfig& cfg = {});

// True for a statutory EHC needs-assessment clock that is running (upcoming or suspended): the
// due list shows these however far off, so a request's 20-week date is in view from the day the
// LA receives it.
bool RunningStatutoryClock(const domain::DueItem& item);

// One line of the due list: a clock and the pupil it concerns.
struct DueEntry {
  domain::DueItem item;
  int64_t pupil_id = 0;
  std::string upn, name, school_urn;
};

// Reviews and deadlines due or overdue as of `as_of` (with `upcoming_days` > 0, also those due
// within that many days), and the running statutory EHC clocks, soonest first, for one school or
// all.
Result<std::vector<DueEntry>> DueEntries(store::Conn& conn, Date as_of,
                                         const std::string& school_urn, int upcoming_days = 0);
// The same as JSON: each entry's DueEntryJson.
Result<nlohmann::json> DueList(store::Conn& conn, Date as_of, const std::string& school_urn,
                               int upcoming_days = 0);
// A due entry as the CLI and the API show it: DueItemJson plus pupil_id, upn, name, school_urn.
nlohmann::json DueEntryJson(const DueEntry& e);

// The referral readiness checklist for one pupil.
Result<nlohmann::json> ReadinessOf(store::Conn& conn, int64_t pupil_id, Date as_of);

nlohmann::json DueItemJson(const domain::DueItem& d);

// ---- references between records ----
// Some fields name other records (a review's cycle_id, a referral's cycle_ids, …). Links send them
// in their own id space; the hub keeps hub ids ("h<n>"), or "x:<link id>:<their id>" while the
// referenced record has not arrived, and gives each target the ids it knows.
struct RefField {
  const char* kind;    // record kind holding the reference
  const char* field;   // field name
  const char* target;  // kind referred to
  bool list;           // an array of ids
};
const std::vector<RefField>& RefFields();

// Link ids -> hub ids (or pending "x:" references) in the fields of records of `kind`.
Status RefsIn(store::Conn& conn, int64_t link_id, const std::string& kind,
              const std::vector<nlohmann::json*>& bodies);
// Hub ids -> the ids `link_id` knows (hub ids it does not know stay "h<n>").
Status RefsOut(store::Conn& conn, int64_t link_id, const std::string& kind,
               const std::vector<nlohmann::json*>& bodies);
// Pending "x:" references whose record has since arrived -> hub ids.
Status ResolvePending(store::Conn& conn, const std::string& kind,
                      const std::vector<nlohmann::json*>& bodies);

}  // namespace sendsync::hub
