// Rules across one pupil's records. Records arrive in any order (a review before its cycle, an E
// from the MIS before the LA's plan), so almost everything here is a warning. Paths name the
// record as "<kind>:<id>.<field>".
#include <set>

#include "core/domain/consistency.h"
#include "core/domain/internal.h"

namespace sendsync::domain {

using detail::Add;

namespace {

std::string Where(std::string_view kind, const std::string& id, std::string_view field) {
  std::string s(kind);
  s += ':';
  s += id;
  if (!field.empty()) {
    s += '.';
    s += field;
  }
  return s;
}

bool Active(const records::EhcPlan& p) {
  return !p.ceased;
}

bool LedToPlan(const records::Referral& r) {
  return r.final_plan_date || r.status == "plan_issued" || r.assessment_outcome == "Y";
}

void CheckPupilRef(std::vector<Issue>& out, const records::Pupil& pupil,
                   const records::PupilRef& ref, std::string_view kind, const std::string& id) {
  // System ids differ between links for the same pupil; a different UPN is a different child.
  if (!ref.upn.empty() && !pupil.upn.empty() && ref.upn != pupil.upn)
    Add(out, "RECORD_PUPIL_MISMATCH", Where(kind, id, "pupil.upn"),
        "the record names a different UPN from the pupil it is filed under");
}

}  // namespace

std::vector<Issue> CheckConsistency(const PupilRecords& pr) {
  std::vector<Issue> out;
  const records::Pupil& pupil = pr.pupil;
  if (pr.sen) CheckPupilRef(out, pupil, pr.sen->pupil, "sen", pupil.id);
  for (const auto& c : pr.cycles) CheckPupilRef(out, pupil, c.pupil, "cycle", c.id);
  for (const auto& p : pr.provision) CheckPupilRef(out, pupil, p.pupil, "provision", p.id);
  for (const auto& r : pr.reviews) CheckPupilRef(out, pupil, r.pupil, "review", r.id);
  for (const auto& r : pr.referrals) CheckPupilRef(out, pupil, r.pupil, "referral", r.id);
  for (const auto& p : pr.plans) CheckPupilRef(out, pupil, p.pupil, "ehc_plan", p.id);

  // E against the LA's side, both ways (reference section 1).
  int active = 0;
  for (const auto& p : pr.plans) active += Active(p);
  bool referral_led_to_plan = false;
  for (const auto& r : pr.referrals) referral_led_to_plan = referral_led_to_plan || LedToPlan(r);
  if (pr.sen && pr.sen->provision == "E" && active == 0 && !referral_led_to_plan)
    Add(out, "EHC_STATUS_WITHOUT_PLAN", "sen.provision",
        "provision E but the hub knows no active EHC plan and no request that led to one");
  if (pr.sen && active > 0 && pr.sen->provision != "E")
    Add(out, "PLAN_WITHOUT_EHC_STATUS", "sen.provision",
        "the LA maintains an EHC plan but the school records provision " + pr.sen->provision);
  if (active > 1)
    Add(out, "PLAN_DUPLICATE_ACTIVE", "ehc_plan",
        std::to_string(active) + " EHC plans are active; a pupil has at most one");

  // References between records.
  std::set<std::string_view> cycle_ids, provision_ids, review_ids, referral_ids, all_targets;
  for (const auto& c : pr.cycles) {
    cycle_ids.insert(c.id);
    for (const auto& o : c.outcomes)
      for (const auto& t : o.targets) all_targets.insert(t.id);
  }
  for (const auto& p : pr.provision) provision_ids.insert(p.id);
  for (const auto& r : pr.reviews) review_ids.insert(r.id);
  for (const auto& r : pr.referrals) referral_ids.insert(r.id);

  for (const auto& c : pr.cycles)
    for (const auto& pid : c.planned_provision)
      if (!provision_ids.count(pid))
        Add(out, "CYCLE_PROVISION_MISSING", Where("cycle", c.id, "planned_provision"),
            "plans provision " + pid + ", which the hub does not hold");
  for (const auto& p : pr.provision) {
    if (p.cycle_id && !cycle_ids.count(*p.cycle_id))
      Add(out, "PROVISION_CYCLE_MISSING", Where("provision", p.id, "cycle_id"),
          "refers to cycle " + *p.cycle_id + ", which the hub does not hold");
    for (const auto& t : p.target_ids)
      if (!all_targets.count(t))
        Add(out, "PROVISION_TARGET_MISSING", Where("provision", p.id, "target_ids"),
            "refers to target " + t + ", which no cycle holds");
  }
  for (const auto& r : pr.reviews) {
    if (!r.cycle_id) continue;
    const records::Cycle* cycle = nullptr;
    for (const auto& c : pr.cycles)
      if (c.id == *r.cycle_id) cycle = &c;
    if (!cycle) {
      Add(out, "REVIEW_CYCLE_MISSING", Where("review", r.id, "cycle_id"),
          "reviews cycle " + *r.cycle_id + ", which the hub does not hold");
      continue;
    }
    std::set<std::string_view> targets;
    for (const auto& o : cycle->outcomes)
      for (const auto& t : o.targets) targets.insert(t.id);
    for (const auto& tp : r.progress)
      if (!targets.count(tp.target_id))
        Add(out, "REVIEW_TARGET_MISSING", Where("review", r.id, "progress"),
            "records progress for target " + tp.target_id + ", which cycle " + cycle->id +
                " does not hold");
  }
  for (const auto& r : pr.referrals) {
    auto cite = [&](const std::vector<std::string>& ids, const std::set<std::string_view>& known,
                    const char* field, const char* what) {
      for (const auto& id : ids)
        if (!known.count(id))
          Add(out, "REFERRAL_EVIDENCE_MISSING", Where("referral", r.id, field),
              std::string("cites ") + what + " " + id + ", which the hub does not hold");
    };
    cite(r.cycle_ids, cycle_ids, "cycle_ids", "cycle");
    cite(r.review_ids, review_ids, "review_ids", "review");
    cite(r.provision_ids, provision_ids, "provision_ids", "provision");
    std::optional<Date> asked = r.request_date ? r.request_date : r.received_date;
    if (r.requester_role == "young_person" && asked && *asked < pupil.dob.AddMonths(16 * 12))
      Add(out, "REFERRAL_YOUNG_PERSON_UNDER_16", Where("referral", r.id, "requester_role"),
          "a young person (16-25) may request an assessment; the pupil was under 16 on " +
              asked->ToString());
  }
  for (const auto& p : pr.plans)
    if (p.referral_id && !referral_ids.count(*p.referral_id))
      Add(out, "PLAN_REFERRAL_MISSING", Where("ehc_plan", p.id, "referral_id"),
          "refers to request " + *p.referral_id + ", which the hub does not hold");
  return out;
}

}  // namespace sendsync::domain
