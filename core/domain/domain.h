// SEND domain rules of the hub: identifier checks (UPN, ULN), versioned code sets, validation of
// canonical records, cross-record consistency, provision costs, statutory and school clocks, stage
// models and referral readiness. Everything here is a pure function of its arguments (the only I/O
// is StageModels reading the folder an admin names). docs/domain.md explains each rule.
//
// Each concept has a header of its own; include the one you use. This header includes them all,
// for the callers not yet moved to the narrow ones.
#pragma once

#include "core/domain/clocks.h"
#include "core/domain/codesets.h"
#include "core/domain/consistency.h"
#include "core/domain/cost.h"
#include "core/domain/issues.h"
#include "core/domain/pupil_records.h"
#include "core/domain/readiness.h"
#include "core/domain/rules.h"
#include "core/domain/school_year.h"
#include "core/domain/stage_models.h"
#include "core/domain/upn.h"
#include "core/domain/validation.h"
