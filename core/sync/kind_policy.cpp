// The per-kind policy table of the batch pipeline (kind_policy.h).
#include "core/sync/kind_policy.h"

#include <array>
#include <cstddef>

namespace sendsync::sync::detail {

namespace {

using records::Kind;

constexpr KindPolicy Row(Kind kind) {
  KindPolicy p{kind};
  p.is_pupil = kind == Kind::kPupil;
  p.school_from_link = kind == Kind::kPupil;
  p.one_per_pupil = kind == Kind::kSen;
  p.history_union = kind == Kind::kSen;
  p.claims_in_flight = kind != Kind::kPupil && kind != Kind::kSen;
  p.delivered_with_record = kind != Kind::kReferral;
  return p;
}

// In records::Kind's order, so the enum indexes it.
constexpr std::array<KindPolicy, 7> kTable = {
    Row(Kind::kPupil),  Row(Kind::kSen),      Row(Kind::kCycle),   Row(Kind::kProvision),
    Row(Kind::kReview), Row(Kind::kReferral), Row(Kind::kEhcPlan),
};

static_assert(kTable[static_cast<size_t>(Kind::kEhcPlan)].kind == Kind::kEhcPlan,
              "the table is indexed by records::Kind");

}  // namespace

const KindPolicy& PolicyOf(Kind kind) {
  return kTable.at(static_cast<size_t>(kind));
}

const KindPolicy* PolicyOf(std::string_view name) {
  auto kind = records::ParseKind(name);
  return kind ? &PolicyOf(*kind) : nullptr;
}

}  // namespace sendsync::sync::detail
