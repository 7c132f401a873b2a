// Referrals: `sendsync referral submit` (core/sync/referral_submit.cpp).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/sync/engine.h"
#include "sendsync/sdk/status.h"

namespace sendsync::sync {

// Sends a pupil's request for an EHC needs assessment to an LA link now. The hub holds the request
// as a referral record; while its status is "draft" fan-out sends it nowhere. Submitting checks
// readiness (domain::CheckReadiness as of today), marks the record "submitted" (request_date =
// today and la = the link's "la" setting when it has none; a request for another LA is refused),
// queues it through the ordinary fan-out — with {"force": true} in the change's context when
// forced — and delivers the link's outbox at once, retrying with the engine's backoff for up to
// `wait_ms`. A submitted request that never reached the link (pending, rejected or dead-lettered)
// can be submitted again; one the link has received cannot.

struct ReferralSubmitOptions {
  std::string upn;
  std::string link;    // empty: the one enabled link of the pupil's school that writes referrals
  bool force = false;  // send even though the readiness check fails
  std::string actor;   // audit actor ("cli:<user>")
  int64_t wait_ms = 60000;  // how long to keep retrying delivery before leaving it queued
};

struct ReferralSubmitResult {
  // not_ready (nothing changed), delivered, pending (queued; the link will retry), rejected,
  // dead (dead-lettered), failed (the link's run failed, e.g. refused credentials).
  std::string outcome;
  std::string referral_id;  // hub id
  // The request's reference at the LA (the school's URN and a random part), once submitted.
  std::string client_reference;
  // The LA it goes to; la_from_link when the request named none and took its link's.
  std::string la;
  bool la_from_link = false;
  std::string link;
  std::string remote_id;     // the LA's id for the referral, once delivered
  std::string error;         // why it is not delivered (the adapter's or the LA's words)
  bool forced = false;       // sent although not ready
  nlohmann::json readiness;  // {"ready", "items": [{id, label, met, evidence, missing}]}
  // attempts: tries so far, the one that delivered (or was refused) included.
  int64_t outbox_id = 0, attempts = 0, next_attempt_at = 0;
  nlohmann::json ToJson() const;
};

// NotFound (no such pupil or link), FailedPrecondition (no request being prepared, already with
// the LA, no link or several to choose from, the link does not send referrals) or InvalidArgument
// (the record would not be valid once submitted); otherwise the outcome.
Result<ReferralSubmitResult> SubmitReferral(store::Store& store, const EngineOptions& options,
                                            const ReferralSubmitOptions& submit);

}  // namespace sendsync::sync
