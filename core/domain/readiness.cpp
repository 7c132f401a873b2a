// Referral readiness: what an LA expects in a request for an EHC needs assessment (several
// completed Assess-Plan-Do-Review cycles with dated plans and reviews, costed provision,
// specialist advice, the family's views, consent) and what is missing (reference section 7).
#include <algorithm>
#include <cctype>
#include <set>

#include "core/domain/cost.h"
#include "core/domain/internal.h"
#include "core/domain/pupil_records.h"
#include "core/domain/readiness.h"

namespace sendsync::domain {

namespace {

// Machine references for `evidence` (kind:id); never in a sentence a person reads.
std::string Ref(std::string_view kind, const std::string& id) {
  return std::string(kind) + ":" + id;
}

// What a SENCO (and an LA) calls a record: its dates and names, never the hub's ids.
std::string Day(Date d) {
  static const char* const kMonths[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
  return std::to_string(d.day()) + " " + kMonths[d.month() - 1] + " " + std::to_string(d.year());
}
std::string CycleName(const records::Cycle& c) {
  return "The cycle begun " + Day(c.start);
}
std::string ReviewName(const records::Review& r) {
  return "The review of " + Day(r.date);
}
std::string ProvisionName(const records::Provision& p) {
  return (p.intervention.empty() ? std::string("Provision") : p.intervention) + " (from " +
         Day(p.start) + ")";
}

bool HasText(const std::optional<std::string>& s) {
  return s && s->find_first_not_of(" \t\r\n") != std::string::npos;
}

void AddEvidence(std::vector<std::string>& ev, std::string ref) {
  if (std::find(ev.begin(), ev.end(), ref) == ev.end()) ev.push_back(std::move(ref));
}

// The referral being prepared on `as_of`: the newest one not withdrawn and not requested later.
const records::Referral* CurrentReferral(const PupilRecords& pr, Date as_of) {
  const records::Referral* best = nullptr;
  for (const records::Referral& r : pr.referrals) {
    if (r.status == "withdrawn" || (r.request_date && *r.request_date > as_of)) continue;
    if (!best || r.request_date.value_or(Date()) >= best->request_date.value_or(Date())) best = &r;
  }
  return best;
}

struct Finder {
  const PupilRecords& pr;
  Date as_of;

  const records::Review* ReviewOf(const records::Cycle& c) const {
    const records::Review* found = nullptr;
    // Only a review within the cycle (on or after its start) and on or before the as-of date.
    for (const records::Review& r : pr.reviews)
      if (r.cycle_id == c.id && r.date >= c.start && r.date <= as_of &&
          (!found || r.date < found->date))
        found = &r;
    return found;
  }
};

bool FamilyRequest(const records::Referral* r) {
  return r && (r->requester_role == "parent" || r->requester_role == "young_person");
}

std::string WhoAsked(const std::string& role) {
  return role == "young_person" ? "the young person" : "the parent";
}

ChecklistItem SenSupport(const PupilRecords& pr, Date as_of, const records::Referral* referral) {
  ChecklistItem it{"sen_support", "On SEN support (census K)", false, {}, ""};
  std::optional<std::string> p = pr.sen ? ProvisionOn(*pr.sen, as_of) : std::nullopt;
  if (pr.sen) AddEvidence(it.evidence, Ref("sen", pr.pupil.id));
  it.met = p == std::optional<std::string>("K");
  if (p == std::optional<std::string>("E"))
    it.missing = "The pupil already has an EHC plan (E): ask the LA for an early review instead.";
  else if (!it.met && FamilyRequest(referral))
    it.missing = "The pupil is not recorded on SEN support (K). The request by " +
                 WhoAsked(referral->requester_role) +
                 " does not depend on it (Children and Families Act 2014, section 36); the "
                 "school's evidence of support still helps the LA decide.";
  else if (!it.met)
    it.missing =
        "The pupil is not recorded on SEN support (K); LAs expect the graduated approach "
        "at SEN support first.";
  return it;
}

// Completed cycles with a recorded review: the core of the evidence. `counted` gets those cycles.
ChecklistItem CompletedCycles(const PupilRecords& pr, const Finder& find, const Rules& rules,
                              std::vector<const records::Cycle*>& counted) {
  std::vector<std::string> unreviewed;
  for (const records::Cycle& c : pr.cycles) {
    if (c.status != "completed" || !c.completed || *c.completed > find.as_of) continue;
    if (find.ReviewOf(c))
      counted.push_back(&c);
    else
      unreviewed.push_back(CycleName(c));
  }
  ChecklistItem it{
      "completed_cycles", "Completed Assess-Plan-Do-Review cycles with reviews", false, {}, ""};
  for (const records::Cycle* c : counted) {
    AddEvidence(it.evidence, Ref("cycle", c->id));
    AddEvidence(it.evidence, Ref("review", find.ReviewOf(*c)->id));
  }
  it.met = static_cast<int>(counted.size()) >= rules.min_completed_cycles;
  if (!it.met) {
    it.missing = "Needs " + std::to_string(rules.min_completed_cycles) +
                 " completed cycles each with a recorded review; found " +
                 std::to_string(counted.size()) + ".";
    for (const std::string& c : unreviewed) it.missing += " " + c + " has no review recorded.";
  }
  return it;
}

// Dated plans with SMART targets, in the counted cycles.
ChecklistItem SmartTargets(const std::vector<const records::Cycle*>& counted) {
  ChecklistItem it{"smart_targets",
                   "Plans with outcomes and SMART targets (criteria and a date)",
                   false,
                   {},
                   ""};
  std::vector<std::string> gaps;
  for (const records::Cycle* c : counted) {
    int targets = 0;
    for (const auto& o : c->outcomes)
      for (const auto& t : o.targets) {
        ++targets;
        bool criteria = t.success_criteria.find_first_not_of(" \t\r\n") != std::string::npos;
        if (!criteria || !t.due)
          gaps.push_back(
              CycleName(*c) + ": target " + t.id +
              (t.description.empty() ? "" : " (\"" + t.description + "\")") + " lacks " +
              (!criteria ? (t.due ? "success criteria" : "criteria and a date") : "a date"));
      }
    if (targets == 0) gaps.push_back(CycleName(*c) + " records no targets");
    AddEvidence(it.evidence, Ref("cycle", c->id));
  }
  it.met = !counted.empty() && gaps.empty();
  if (counted.empty())
    it.missing = "No completed, reviewed cycle to show targets from.";
  else
    for (const std::string& g : gaps) it.missing += (it.missing.empty() ? "" : "; ") + g;
  if (!it.missing.empty() && it.missing.back() != '.') it.missing += '.';
  return it;
}

// Reviews of the counted cycles that weigh progress per target.
ChecklistItem ReviewProgress(const Finder& find,
                             const std::vector<const records::Cycle*>& counted) {
  ChecklistItem it{"review_progress", "Reviews record progress against each target", false, {}, ""};
  std::vector<std::string> gaps;
  for (const records::Cycle* c : counted) {
    const records::Review* r = find.ReviewOf(*c);
    if (r->progress.empty())
      gaps.push_back(ReviewName(*r));
    else
      AddEvidence(it.evidence, Ref("review", r->id));
  }
  it.met = !counted.empty() && gaps.empty();
  if (counted.empty()) it.missing = "No reviews of completed cycles yet.";
  for (const std::string& g : gaps)
    it.missing += (it.missing.empty() ? "" : " ") + g + " records no progress per target.";
  return it;
}

// Costed provision started by the as-of date.
ChecklistItem CostedProvision(const PupilRecords& pr, Date as_of) {
  ChecklistItem it{"costed_provision", "Provision recorded and costed", false, {}, ""};
  std::vector<std::string> uncosted;
  for (const records::Provision& p : pr.provision) {
    if (p.start > as_of) continue;
    if (Cost(p).per_year > 0)
      AddEvidence(it.evidence, Ref("provision", p.id));
    else
      uncosted.push_back(ProvisionName(p));
  }
  it.met = !it.evidence.empty() && uncosted.empty();
  if (it.evidence.empty() && uncosted.empty())
    it.missing =
        "No provision is recorded: list interventions with time, group size, staff "
        "and hourly rate.";
  for (const std::string& u : uncosted)
    it.missing +=
        (it.missing.empty() ? "" : " ") + u + " has no cost (hourly rate and time, or resources).";
  return it;
}

// External specialist involvement, and the family's and pupil's views: three items, appended to
// `items` in that order.
void Voices(const PupilRecords& pr, Date as_of, const Rules& rules,
            const records::Referral* referral, std::vector<ChecklistItem>& items) {
  ChecklistItem specialist{"specialist_advice", "Advice from external specialists", false, {}, ""};
  ChecklistItem parents{"parent_views", "The parents' views", false, {}, ""};
  ChecklistItem pupil{"pupil_views", "The pupil's views", false, {}, ""};
  const std::set<std::string> roles(rules.specialist_roles.begin(), rules.specialist_roles.end());
  auto contributions = [&](const std::vector<records::Contribution>& list, const std::string& ref) {
    for (const records::Contribution& c : list) {
      if (c.date && *c.date > as_of) continue;  // advice given after the as-of date
      if (roles.count(c.role)) AddEvidence(specialist.evidence, ref);
      if (c.role == "parent" && HasText(c.summary)) AddEvidence(parents.evidence, ref);
      if (c.role == "pupil" && HasText(c.summary)) AddEvidence(pupil.evidence, ref);
    }
  };
  for (const records::Cycle& c : pr.cycles)
    if (c.start <= as_of) contributions(c.assessment_sources, Ref("cycle", c.id));
  for (const records::Review& r : pr.reviews) {
    if (r.date > as_of) continue;
    contributions(r.attendees, Ref("review", r.id));
    if (HasText(r.parent_voice)) AddEvidence(parents.evidence, Ref("review", r.id));
    if (HasText(r.pupil_voice)) AddEvidence(pupil.evidence, Ref("review", r.id));
  }
  if (referral) {
    contributions(referral->external_advice, Ref("referral", referral->id));
    if (HasText(referral->parent_views))
      AddEvidence(parents.evidence, Ref("referral", referral->id));
    if (HasText(referral->pupil_views)) AddEvidence(pupil.evidence, Ref("referral", referral->id));
  }
  specialist.met = !specialist.evidence.empty();
  if (!specialist.met)
    specialist.missing =
        "No advice from an external specialist (educational psychologist, "
        "specialist teacher, health or social care) is recorded.";
  parents.met = !parents.evidence.empty();
  if (!parents.met)
    parents.missing =
        "The parents' views are not recorded (in a review, the assessment or the "
        "request).";
  pupil.met = !pupil.evidence.empty();
  if (!pupil.met)
    pupil.missing =
        "The pupil's views are not recorded (in a review, the assessment or the "
        "request).";
  items.push_back(std::move(specialist));
  items.push_back(std::move(parents));
  items.push_back(std::move(pupil));
}

// Consent to share information with the LA, on the referral being prepared.
ChecklistItem Consent(const records::Referral* referral, Date as_of) {
  ChecklistItem it{"consent", "Consent to share information with the LA", false, {}, ""};
  if (referral) {
    const bool family_request =
        referral->requester_role == "parent" || referral->requester_role == "young_person";
    const bool given =
        referral->consent.given && referral->consent.date && *referral->consent.date <= as_of;
    it.met = family_request || given;
    if (it.met) AddEvidence(it.evidence, Ref("referral", referral->id));
    if (!it.met)
      it.missing = referral->consent.given && !referral->consent.date
                       ? "The request records consent without a date."
                       : "The request does not record the family's consent to share "
                         "information.";
  } else {
    it.missing = "No request is being prepared yet to record the family's consent on.";
  }
  return it;
}

}  // namespace

std::string EvidenceName(const PupilRecords& pr, const std::string& ref) {
  const size_t colon = ref.find(':');
  if (colon == std::string::npos) return ref;
  const std::string kind = ref.substr(0, colon), id = ref.substr(colon + 1);
  auto lower = [](std::string s) {
    if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    return s;
  };
  if (kind == "cycle")
    for (const auto& c : pr.cycles)
      if (c.id == id) return lower(CycleName(c));
  if (kind == "review")
    for (const auto& r : pr.reviews)
      if (r.id == id) return lower(ReviewName(r));
  if (kind == "provision")
    for (const auto& p : pr.provision)
      if (p.id == id) return ProvisionName(p);
  if (kind == "referral") return "the request";
  if (kind == "sen") return "the SEN record";
  return ref;
}

Readiness CheckReadiness(const PupilRecords& pr, Date as_of, const Rules& rules) {
  Readiness out;
  const Finder find{pr, as_of};
  const records::Referral* referral = CurrentReferral(pr, as_of);
  out.items.push_back(SenSupport(pr, as_of, referral));
  if (referral) out.requested_by = referral->requester_role;
  if (FamilyRequest(referral)) {
    out.gate = false;
    out.advice = "Requested by " + WhoAsked(referral->requester_role) +
                 ": a parent or young person may ask the LA for an EHC needs assessment "
                 "without SEN support first (Children and Families Act 2014, section 36), so "
                 "this checklist is advice on the evidence to send, not a condition of the "
                 "request.";
  }

  std::vector<const records::Cycle*> counted;
  out.items.push_back(CompletedCycles(pr, find, rules, counted));
  out.items.push_back(SmartTargets(counted));
  out.items.push_back(ReviewProgress(find, counted));
  out.items.push_back(CostedProvision(pr, as_of));
  Voices(pr, as_of, rules, referral, out.items);
  out.items.push_back(Consent(referral, as_of));
  out.ready =
      std::all_of(out.items.begin(), out.items.end(), [](const ChecklistItem& i) { return i.met; });
  return out;
}

}  // namespace sendsync::domain
