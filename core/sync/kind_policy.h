// How the batch pipeline treats each record kind: one row per kind, indexed by records::Kind, in
// place of tests of the kind's name spread through the stages.
#pragma once

#include <string_view>

#include "sendsync/sdk/records.h"

namespace sendsync::sync::detail {

struct KindPolicy {
  records::Kind kind;
  // A pupil: matched by UPN and date of birth (not through a pupil reference), the hub row carries
  // its UPN, former UPN, date of birth and school, and its record is its own pupil.
  bool is_pupil = false;
  // A pupil's school is the link's school when the record does not say (a school's MIS rarely
  // names itself), so the school's lists and due dates include its pupils.
  bool school_from_link = false;
  // The hub holds one record of the kind per pupil, whichever links report it: a record new to a
  // link joins the pupil's record when the hub has one (a SEN record).
  bool one_per_pupil = false;
  // The record's "history" is kept as the union of every episode any link reported, not merged
  // field by field; such records always go through Merge (no fresh-record fast path).
  bool history_union = false;
  // A record new to a link may be a create the hub sent it whose answer was lost: it is claimed
  // by that change instead of becoming a second hub record (ClaimInFlight).
  bool claims_in_flight = false;
  // A change is done once the link holds the record (a pull confirms it). Not for a referral: its
  // evidence pack goes with it in further requests.
  bool delivered_with_record = false;
};

// The policy of `kind`.
const KindPolicy& PolicyOf(records::Kind kind);
// The policy of the kind named `name`, or nullptr when no kind has that name.
const KindPolicy* PolicyOf(std::string_view name);

}  // namespace sendsync::sync::detail
