// Internal to core/domain: the pieces Clocks() is built from. Other folders use clocks.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/domain/clocks.h"
#include "core/domain/pupil_records.h"
#include "core/domain/rules.h"
#include "core/domain/stage_models.h"

namespace sendsync::domain::detail {

struct ClockContext {
  Date as_of;
  int due_soon_days;
  const Rules& rules;
  const StageModels& models;
};

// Sets state (and done) of a deadline clock from the date its event happened. Events after as_of
// count as not yet happened: upcoming / due / overdue by as_of; met / met_late otherwise.
void Settle(DueItem& item, std::optional<Date> event, const ClockContext& ctx);
// Appends a sentence to item.detail ("; "-separated).
void Note(DueItem& item, const std::string& text);
DueItem MakeItem(std::string clock, std::string title, Date due, std::string owner,
                 std::string record_kind, std::string record_id);

void SchoolClocks(const PupilRecords& pr, const ClockContext& ctx, std::vector<DueItem>& out);
void AssessmentClocks(const PupilRecords& pr, const ClockContext& ctx, std::vector<DueItem>& out);
void AnnualReviewClocks(const PupilRecords& pr, const ClockContext& ctx, std::vector<DueItem>& out);
void PhaseTransferClock(const PupilRecords& pr, const ClockContext& ctx, std::vector<DueItem>& out);

}  // namespace sendsync::domain::detail
