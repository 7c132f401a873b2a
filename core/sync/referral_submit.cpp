// `sendsync referral submit`: checks a pupil's request for an EHC needs assessment, marks it
// submitted, queues it for the LA link through the ordinary fan-out and delivers it at once
// (the contract is in sync.h, next to SubmitReferral).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <thread>

#include "core/domain/domain.h"
#include "core/hub/hub.h"
#include "core/sync/internal.h"
#include "sendsync/sdk/date.h"

namespace sendsync::sync {

using nlohmann::json;

json ReferralSubmitResult::ToJson() const {
  json j = {{"outcome", outcome}, {"referral_id", referral_id},
            {"link", link},       {"client_reference", client_reference},
            {"forced", forced},   {"readiness", readiness}};
  if (!la.empty()) j["la"] = la;
  j["la_from_link"] = la_from_link;
  if (!remote_id.empty()) j["remote_id"] = remote_id;
  if (!error.empty()) j["error"] = error;
  if (outbox_id) {
    j["outbox_id"] = outbox_id;
    j["attempts"] = attempts;
  }
  if (outcome == "pending" && next_attempt_at) j["next_attempt_at"] = next_attempt_at;
  return j;
}

namespace {

std::string StatusOf(const store::RecordRow& row) {
  json body = json::parse(row.body, nullptr, false);
  return body.is_object() ? body.value("status", std::string("draft")) : "";
}

// The request being prepared: the one referral in draft, or submitted but not yet received.
Result<store::RecordRow> RequestBeingPrepared(store::Conn& conn, const store::RecordRow& pupil,
                                              const std::string& upn) {
  auto rows = store::RecordsOfPupil(conn, pupil.id);
  if (!rows.ok()) return rows.status();
  std::vector<store::RecordRow> open;
  std::string with_la;
  for (const auto& r : *rows) {
    if (r.kind != "referral") continue;
    const std::string st = StatusOf(r);
    if (st == "draft" || st == "submitted") {
      open.push_back(r);
    } else {
      json body = json::parse(r.body, nullptr, false);
      with_la = hub::HubId(r.id) + " is " + st +
                (body.is_object() && body.contains("la_reference")
                     ? " (LA reference " + body.value("la_reference", "") + ")"
                     : "");
    }
  }
  if (open.size() > 1) {
    std::string ids;
    for (const auto& r : open) ids += (ids.empty() ? "" : ", ") + hub::HubId(r.id);
    return Status::FailedPrecondition("UPN " + upn + " has " + std::to_string(open.size()) +
                                      " requests for an EHC needs assessment being prepared (" +
                                      ids + "); keep one (withdraw the others) and submit again");
  }
  if (open.empty()) {
    if (!with_la.empty())
      return Status::FailedPrecondition("the request for UPN " + upn +
                                        " is already with the LA: " + with_la);
    return Status::FailedPrecondition(
        "no request for an EHC needs assessment is being prepared for UPN " + upn +
        ": record one first (a referral record with status \"draft\", e.g. with sendsync "
        "import-json)");
  }
  return open.front();
}

bool WritesReferrals(const store::Link& l) {
  auto s = LinkSettings::Parse(l.settings, nullptr);
  if (!s.ok()) return false;
  const KindSettings* k = s->Find("referral");
  return k && k->write;
}

Result<store::Link> ChooseLink(store::Conn& conn, const std::string& name,
                               const std::string& school_urn) {
  if (!name.empty()) {
    auto l = store::GetLink(conn, name);
    if (!l.ok()) return l.status();
    if (!WritesReferrals(*l))
      return Status::FailedPrecondition("link '" + name +
                                        "' does not send referrals (its settings do not write the "
                                        "referral kind)");
    if (!l->enabled)
      return Status::FailedPrecondition("link '" + name + "' is disabled (sendsync link enable " +
                                        name + ")");
    if (l->school_urn != school_urn)  // another school's link must not carry this pupil's data
      return Status::FailedPrecondition("link '" + name + "' is for school URN " + l->school_urn +
                                        "; the pupil is at school URN " + school_urn);
    return *l;
  }
  auto links = store::ListLinks(conn);
  if (!links.ok()) return links.status();
  std::vector<store::Link> found;
  for (const auto& l : *links)
    if (l.enabled && l.school_urn == school_urn && WritesReferrals(l)) found.push_back(l);
  if (found.empty())
    return Status::FailedPrecondition("no enabled link sends referrals for school URN " +
                                      school_urn +
                                      "; add the LA's portal (sendsync link add --adapter "
                                      "la-portal) or name one with --link");
  if (found.size() > 1) {
    std::string names;
    for (const auto& l : found) names += (names.empty() ? "" : ", ") + l.name;
    return Status::FailedPrecondition("several links send referrals for school URN " + school_urn +
                                      " (" + names + "); choose one with --link");
  }
  return found.front();
}

// The newest outbox change of `link_id` for record `record_id` (id 0 when none).
Result<store::OutboxItem> NewestChange(store::Conn& conn, int64_t link_id, int64_t record_id) {
  store::OutboxItem newest;
  store::QueueFilter f;
  f.status = "";
  f.link_id = link_id;
  f.limit = 1000;
  for (;;) {
    auto page = store::ListOutbox(conn, f);
    if (!page.ok()) return page.status();
    for (const auto& o : *page)
      if (o.kind == "referral" && o.record_id == record_id) newest = o;
    if (static_cast<int64_t>(page->size()) < f.limit) break;
    f.after_id = page->back().id;
  }
  return newest;
}

Status Audit(store::Conn& conn, const std::string& actor, const std::string& action,
             const store::RecordRow& row, json detail) {
  std::vector<audit::Entry> e(1);
  e[0].actor = actor;
  e[0].action = action;
  e[0].kind = "referral";
  e[0].record_id = row.id;
  e[0].pupil_id = row.pupil_id;
  e[0].detail = std::move(detail);
  return audit::Append(conn, e);
}

// The request's reference at the LA (the Referral API's client_reference, unique per requester):
// the school's URN and 64 random bits, so two hubs, or a hub rebuilt from a backup, never send
// the same one; it holds no hub id. Given once, when the request is first submitted, and kept.
std::string NewClientReference(const std::string& school_urn) {
  std::random_device rd;
  const uint64_t bits = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llX", static_cast<unsigned long long>(bits));
  return (school_urn.empty() ? std::string("SCHOOL") : school_urn) + "-" + hex;
}

// Marks the request submitted (when still a draft), queues it for every link that writes
// referrals, and returns the change the chosen link will deliver.
Result<store::OutboxItem> Queue(store::Conn& conn, const store::RecordRow& referral,
                                const store::RecordRow& pupil, const store::Link& link,
                                const ReferralSubmitOptions& opt, bool ready) {
  store::Tx tx(conn);
  SENDSYNC_RETURN_IF_ERROR(tx.status());
  // Re-read inside the transaction: another submit may have got here first.
  auto fresh = store::LoadRecords(conn, {referral.id});
  if (!fresh.ok()) return fresh.status();
  if (fresh->empty() || fresh->front().deleted)
    return Status::FailedPrecondition("referral " + hub::HubId(referral.id) + " was removed");
  store::RecordRow row = fresh->front();
  const std::string was = StatusOf(row);
  if (was != "draft" && was != "submitted")
    return Status::FailedPrecondition("referral " + hub::HubId(row.id) + " is now " + was);
  json current = json::parse(row.body, nullptr, false);
  const bool has_reference = current.is_object() && current.contains("client_reference") &&
                             current["client_reference"].is_string();
  if (was == "draft" || !has_reference) {
    json body = std::move(current);
    body["status"] = "submitted";
    if (!has_reference) body["client_reference"] = NewClientReference(pupil.school_urn);
    if (!body.contains("request_date")) body["request_date"] = Today().ToString();
    // The request names the LA it went to (SEN2 reports it), and no other LA link sends it.
    if (!body.contains("la") && !detail::LaOfLink(link).empty())
      body["la"] = detail::LaOfLink(link);
    store::RecordRow next = row;
    next.body = body.dump();
    std::vector<std::string> errors;
    for (const auto& i : domain::ValidateJson(hub::Canonical(next, pupil.upn)))
      if (i.severity == domain::Severity::kError) errors.push_back(domain::FormatIssue(i));
    if (!errors.empty()) {
      std::string all;
      for (const auto& e : errors) all += (all.empty() ? "" : "; ") + e;
      return Status::InvalidArgument("referral " + hub::HubId(row.id) +
                                     " cannot be submitted as it stands: " + all);
    }
    row.body = body.dump();
    row.hash = detail::HashOf(body);
    row.version += 1;
    row.updated_at = store::NowMs();
    SENDSYNC_RETURN_IF_ERROR(store::UpdateRecords(conn, {row}, opt.actor));
  }
  SENDSYNC_RETURN_IF_ERROR(Audit(conn, opt.actor,
                                 was == "draft" ? "referral.submit" : "referral.resubmit", row,
                                 {{"link", link.name},
                                  {"ready", ready},
                                  {"forced", opt.force && !ready},
                                  {"version", row.version}}));

  auto before = NewestChange(conn, link.id, row.id);
  if (!before.ok()) return before.status();
  json extra = opt.force ? json{{"force", true}} : json();
  SENDSYNC_RETURN_IF_ERROR(detail::FanOut(conn, "referral", {row.id}, extra));
  auto after = NewestChange(conn, link.id, row.id);
  if (!after.ok()) return after.status();
  store::OutboxItem item = *after;
  if (item.id == 0)
    return Status::Internal("the fan-out queued nothing for link " + link.name +
                            "; check its settings write the referral kind");
  if (item.id == before->id && (item.status == store::OutboxStatus::kRejected ||
                                item.status == store::OutboxStatus::kDead)) {
    // The same change again (same payload, so the same idempotency key): deliver it anew.
    item.status = store::OutboxStatus::kPending;
    item.attempts = 0;
    item.next_attempt_at = store::NowMs();
    item.finished_at.reset();
    SENDSYNC_RETURN_IF_ERROR(store::UpdateOutbox(conn, item));
    SENDSYNC_RETURN_IF_ERROR(Audit(conn, opt.actor, "outbox.retry", row, {{"outbox_id", item.id}}));
  }
  SENDSYNC_RETURN_IF_ERROR(tx.Commit());
  return item;
}

}  // namespace

Result<ReferralSubmitResult> SubmitReferral(store::Store& store, const EngineOptions& options,
                                            const ReferralSubmitOptions& opt) {
  auto conn_r = store.Connect();
  if (!conn_r.ok()) return conn_r.status();
  store::Conn& conn = **conn_r;
  auto pupil = hub::FindPupil(conn, opt.upn);
  if (!pupil.ok()) return pupil.status();
  auto referral = RequestBeingPrepared(conn, *pupil, opt.upn);
  if (!referral.ok()) return referral.status();
  auto link = ChooseLink(conn, opt.link, pupil->school_urn);
  if (!link.ok()) return link.status();

  json body = json::parse(referral->body, nullptr, false);
  const std::string for_la = body.is_object() && body.contains("la") && body["la"].is_string()
                                 ? body["la"].get<std::string>()
                                 : "";
  if (!for_la.empty() && !detail::LaOfLink(*link).empty() && for_la != detail::LaOfLink(*link))
    return Status::FailedPrecondition("referral " + hub::HubId(referral->id) + " is for LA " +
                                      for_la + " but link " + link->name + " submits to LA " +
                                      detail::LaOfLink(*link) + "; name the link for LA " + for_la +
                                      " with --link");

  ReferralSubmitResult res;
  res.referral_id = hub::HubId(referral->id);
  res.link = link->name;
  res.la = for_la.empty() ? detail::LaOfLink(*link) : for_la;
  res.la_from_link = for_la.empty() && !res.la.empty();
  auto held = store::LinkRecordsByRecord(conn, link->id, {referral->id});
  if (!held.ok()) return held.status();
  for (const auto& lr : *held)
    if (lr.kind == "referral" && lr.base)
      return Status::FailedPrecondition("referral " + res.referral_id + " for UPN " + opt.upn +
                                        " was already delivered to link " + link->name + " as " +
                                        lr.external_id +
                                        "; sendsync sync brings the LA's decisions back");

  auto ready = hub::ReadinessOf(conn, pupil->id, Today());
  if (!ready.ok()) return ready.status();
  res.readiness = *ready;
  const bool is_ready = ready->value("ready", false);
  // A parent's or young person's own request is not held back by the checklist (CFA 2014 s36).
  const bool gated = ready->value("gate", true);
  if (!is_ready && gated && !opt.force) {
    res.outcome = "not_ready";
    return res;
  }
  res.forced = !is_ready && gated;

  auto item = Queue(conn, *referral, *pupil, *link, opt, is_ready);
  if (!item.ok()) return item.status();
  res.outbox_id = item->id;
  if (auto now = store::LoadRecords(conn, {referral->id}); now.ok() && !now->empty()) {
    json b = json::parse(now->front().body, nullptr, false);
    if (b.is_object()) res.client_reference = b.value("client_reference", "");
  }

  // Deliver now, as `sendsync sync --push-only --link` would, until the change is settled or the
  // next retry falls after the deadline.
  Engine engine(store, options);
  const int64_t deadline = store::NowMs() + std::max<int64_t>(opt.wait_ms, 0);
  for (;;) {
    auto run = engine.RunLink(link->name, RunMode::kPushOnly);
    auto o = store::GetOutbox(conn, res.outbox_id);
    if (!o.ok()) return o.status();
    if (o->status ==
        store::OutboxStatus::kSuperseded) {  // a newer change to the record took its place
      auto newer = NewestChange(conn, link->id, referral->id);
      if (!newer.ok()) return newer.status();
      if (newer->id == res.outbox_id) return Status::Internal("outbox change lost its successor");
      res.outbox_id = newer->id;
      continue;
    }
    // The outbox counts failed tries; a settled change also had the try that settled it.
    res.attempts = o->attempts + (o->status == store::OutboxStatus::kDelivered ||
                                          o->status == store::OutboxStatus::kRejected
                                      ? 1
                                      : 0);
    res.next_attempt_at = o->next_attempt_at;
    res.error = o->last_error;
    if (o->status == store::OutboxStatus::kDelivered) {
      res.outcome = "delivered";
      res.remote_id = o->remote_id;
      res.error.clear();
      break;
    }
    if (o->status == store::OutboxStatus::kRejected || o->status == store::OutboxStatus::kDead) {
      res.outcome = store::OutboxStatusName(o->status);
      break;
    }
    if (!run.ok()) {  // e.g. another run holds the link's lease: it will deliver the change
      res.outcome = "pending";
      res.error = run.status().message();
      break;
    }
    if (run->status == "failed") {
      res.outcome = "failed";
      res.error = run->error;
      break;
    }
    const int64_t now = store::NowMs();
    if (now >= deadline || o->next_attempt_at > deadline) {
      res.outcome = "pending";
      break;
    }
    // Due again at next_attempt_at (or waiting behind an older change to the same record).
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::max<int64_t>(o->next_attempt_at - now, 100)));
  }
  return res;
}

}  // namespace sendsync::sync
