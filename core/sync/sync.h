// The sync engine: per link and record kind, pull → map → validate → match → merge → commit →
// push, with conflicts, quarantine and the match queue for people, an outbox delivered with
// idempotency keys, the audit log, leases, dry runs and crash safety. The header other folders
// include; it gathers the headers of one concept each. docs/sync.md describes the model.
#pragma once

#include "core/sync/engine.h"           // runs, summaries, options, the Engine, people's queues
#include "core/sync/links.h"            // adding and testing links, secrets, schedules
#include "core/sync/merge.h"            // the three-way merge and code maps (pure)
#include "core/sync/referral_submit.h"  // sending a referral to an LA now
#include "core/sync/settings.h"         // how a link treats each kind
