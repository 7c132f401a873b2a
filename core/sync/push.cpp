// Push: drain a link's outbox through the adapter's write, in order per record, with an
// idempotency key per change, exponential backoff with jitter, dead letters after the limit.
#include <algorithm>
#include <chrono>
#include <map>
#include <random>

#include "base/log/log.h"
#include "core/hub/hub.h"
#include "core/sync/internal.h"
#include "core/sync/run_progress.h"
#include "sendsync/sdk/change_outcome.h"

namespace sendsync::sync::detail {

using nlohmann::json;

int64_t BackoffMs(int attempt, int64_t base_ms, int64_t max_ms) {
  double d = static_cast<double>(base_ms);
  for (int i = 1; i < attempt && d < static_cast<double>(max_ms); ++i) d *= 2;
  d = std::min(d, static_cast<double>(max_ms));
  thread_local std::mt19937_64 rng{std::random_device{}()};
  double jitter = std::uniform_real_distribution<double>(0.8, 1.2)(rng);
  return static_cast<int64_t>(d * jitter);
}

namespace {

// The "result" of one entry of a write answer. A missing one, or a value this host does not know
// (a later ABI minor may add some), counts as "retry": the change is sent again, never lost.
ChangeOutcome OutcomeOf(const json& res) {
  auto it = res.find("result");
  if (it == res.end() || !it->is_string()) return ChangeOutcome::kRetry;
  auto parsed = ParseChangeOutcome(it->get_ref<const std::string&>());
  return parsed.ok() ? *parsed : ChangeOutcome::kRetry;
}

struct Outcome {
  ChangeOutcome result = ChangeOutcome::kRetry;
  std::string remote_id, reason;
};

}  // namespace

namespace {

// The changes of one round: of several due for one record, only the newest goes (the older ones
// are superseded by it); a change waits behind an older one of its record in backoff.
struct Round {
  std::vector<store::OutboxItem> due;
  std::vector<size_t> send, superseded;  // indexes in `due`; `send` in queue order
};

Round SelectRound(std::vector<store::OutboxItem> due, const std::map<int64_t, int64_t>& waiting) {
  Round round;
  round.due = std::move(due);
  std::map<int64_t, size_t> newest;  // record -> index in due
  for (size_t i = 0; i < round.due.size(); ++i) {
    const auto& o = round.due[i];
    if (auto w = waiting.find(o.record_id); w != waiting.end() && w->second < o.id) continue;
    auto [it, fresh] = newest.emplace(o.record_id, i);
    if (!fresh) {
      round.superseded.push_back(it->second);
      it->second = i;
    }
  }
  for (const auto& [rec, i] : newest) round.send.push_back(i);
  std::sort(round.send.begin(), round.send.end());
  return round;
}

// What the adapter said of each change sent (outbox id -> outcome), and why a call failed.
struct Sent {
  std::map<int64_t, Outcome> outcomes;
  std::string call_error;
  bool fatal = false;
};

// One write call for the round's changes of `kind`.
void SendKind(plugins::Instance& adapter, const Round& round, const std::string& kind, Sent& sent) {
  json changes = json::array();
  std::map<std::string, int64_t> by_key;
  std::vector<int64_t> in_order;  // outbox ids in the order they are in the call
  for (size_t i : round.send) {
    const auto& o = round.due[i];
    if (o.kind != kind) continue;
    json payload = json::parse(o.payload, nullptr, false);
    json c = {{"key", o.idem_key}, {"op", ChangeOpName(o.op)}};
    if (payload.is_object()) {
      c["record"] = payload.value("record", json::object());
      if (payload.contains("context")) c["context"] = payload["context"];
    }
    if (!o.remote_id.empty()) c["remote_id"] = o.remote_id;
    changes.push_back(std::move(c));
    by_key[o.idem_key] = o.id;
    in_order.push_back(o.id);
  }
  FaultPoint("push.before_write");
  plugins::CallResult r = adapter.Call("write", json{{"kind", kind}, {"changes", changes}}.dump());
  FaultPoint("push.after_ack");
  json body = r.status == plugins::CallStatus::kOk ? json::parse(r.body, nullptr, false) : json();
  if (r.status != plugins::CallStatus::kOk || !body.is_object() || !body.contains("results")) {
    std::string why = r.status == plugins::CallStatus::kOk
                          ? "the adapter's write answer has no results"
                          : r.message;
    sent.call_error = "write " + kind + ": " + why;
    sent.fatal = r.status == plugins::CallStatus::kFatal;
    // The call failed as a whole, so which changes went out is not known. Only the first was
    // surely tried: it is charged the attempt, and the rest keep theirs, so a change that
    // keeps failing a call reaches its own limit without taking the others with it.
    for (size_t k = 0; k < in_order.size(); ++k)
      sent.outcomes[in_order[k]] =
          k == 0 ? Outcome{ChangeOutcome::kRetry, "", "the write call failed: " + why}
                 : Outcome{ChangeOutcome::kNotSent, "", ""};
    return;
  }
  for (const json& res : body["results"]) {
    if (!res.is_object()) continue;
    auto it = by_key.find(res.value("key", ""));
    if (it == by_key.end()) continue;
    sent.outcomes[it->second] = {OutcomeOf(res), res.value("remote_id", ""),
                                 res.value("reason", "")};
  }
  for (const auto& [key, id] : by_key)
    if (!sent.outcomes.count(id))
      sent.outcomes[id] = {ChangeOutcome::kRetry, "", "the adapter gave no result for this change"};
}

// One write call per kind, kinds in the order their first change was queued; a fatal failure
// stops the round.
Sent SendRound(plugins::Instance& adapter, const Round& round) {
  std::vector<std::string> kinds;
  for (size_t i : round.send)
    if (std::find(kinds.begin(), kinds.end(), round.due[i].kind) == kinds.end())
      kinds.push_back(round.due[i].kind);
  Sent sent;
  for (const std::string& kind : kinds) {
    SendKind(adapter, round, kind, sent);
    if (sent.fatal) break;
  }
  return sent;
}

// A change the link applied: delivered, its remote id the link's id for the record, and the link's
// base what it was sent (or the link record gone, for a delete).
Status MarkApplied(store::Conn& conn, int64_t link_id, const Outcome& r, store::OutboxItem& o,
                   std::vector<store::LinkRecord>& bases, audit::Entry& e) {
  std::string remote = !r.remote_id.empty()   ? r.remote_id
                       : !o.remote_id.empty() ? o.remote_id
                                              : hub::HubId(o.record_id);
  if (!o.remote_id.empty() && o.remote_id != remote)
    SENDSYNC_RETURN_IF_ERROR(store::DeleteLinkRecord(conn, link_id, o.kind, o.remote_id));
  if (o.remote_id.empty() && remote != hub::HubId(o.record_id))
    SENDSYNC_RETURN_IF_ERROR(
        store::DeleteLinkRecord(conn, link_id, o.kind, hub::HubId(o.record_id)));
  o.remote_id = remote;
  if (o.op == ChangeOp::kDelete) {
    SENDSYNC_RETURN_IF_ERROR(store::DeleteLinkRecord(conn, link_id, o.kind, remote));
  } else {
    json payload = json::parse(o.payload, nullptr, false);
    json base = payload.is_object() ? payload.value("base", json::object()) : json::object();
    bases.push_back({link_id, o.kind, remote, o.record_id, base.dump(), HashOf(base)});
  }
  e.action = "delivery.applied";
  e.detail["remote_id"] = remote;
  return Status::OK();
}

// Records what happened to each change sent, with the bases of what the link now has and the
// run's counts, in one transaction.
Status RecordRound(store::Conn& conn, const LinkCtx& link, const EngineOptions& opt,
                   const Round& round, const Sent& sent, RunSummary& sum) {
  const int64_t link_id = link.link.id;
  store::Tx tx(conn);
  SENDSYNC_RETURN_IF_ERROR(tx.status());
  std::vector<audit::Entry> entries;
  std::vector<store::LinkRecord> bases;
  const int64_t done_at = store::NowMs();
  for (size_t i : round.superseded) {
    store::OutboxItem o = round.due[i];
    o.status = store::OutboxStatus::kSuperseded;
    o.finished_at = done_at;
    SENDSYNC_RETURN_IF_ERROR(store::UpdateOutbox(conn, o));
  }
  for (size_t i : round.send) {
    store::OutboxItem o = round.due[i];
    auto oc = sent.outcomes.find(o.id);
    if (oc == sent.outcomes.end()) continue;  // its kind was not sent (an earlier call was fatal)
    const Outcome& r = oc->second;
    audit::Entry e;
    e.actor = link.actor;
    e.kind = o.kind;
    e.record_id = o.record_id;
    e.detail = {{"outbox_id", o.id}, {"key", o.idem_key}, {"op", ChangeOpName(o.op)}};
    if (r.result == ChangeOutcome::kApplied) {
      o.status = store::OutboxStatus::kDelivered;
      o.finished_at = done_at;
      SENDSYNC_RETURN_IF_ERROR(MarkApplied(conn, link_id, r, o, bases, e));
      ++sum.pushed;
    } else if (r.result == ChangeOutcome::kRejected) {
      o.status = store::OutboxStatus::kRejected;
      o.finished_at = done_at;
      o.last_error = r.reason.empty() ? "rejected by the target (no reason given)" : r.reason;
      e.action = "delivery.rejected";
      e.detail["reason"] = o.last_error;
      ++sum.rejected;
    } else if (r.result == ChangeOutcome::kNotSent) {
      // Never sent: no attempt, and its own last error stays. It waits as long as a first
      // retry would, so a struggling target is not sent the rest of the batch at once.
      o.next_attempt_at = done_at + BackoffMs(1, opt.backoff_base_ms, opt.backoff_max_ms);
      SENDSYNC_RETURN_IF_ERROR(store::UpdateOutbox(conn, o));
      continue;
    } else {
      // Sent and failed, or sent with no answer (kUnknown): the target may hold it, so it is
      // sent again with the same key, which the target answers with the first outcome. Either
      // way the attempt is this change's own.
      o.attempts += 1;
      o.last_error = r.reason.empty() ? "the target asked to retry (no reason given)" : r.reason;
      if (o.attempts >= opt.max_attempts) {
        o.status = store::OutboxStatus::kDead;
        o.finished_at = done_at;
        e.action = "delivery.dead_letter";
        e.detail["reason"] = o.last_error;
        e.detail["attempts"] = o.attempts;
        if (r.result == ChangeOutcome::kUnknown) e.detail["outcome_unknown"] = true;
        ++sum.dead_lettered;
      } else {
        o.next_attempt_at = done_at + BackoffMs(static_cast<int>(o.attempts), opt.backoff_base_ms,
                                                opt.backoff_max_ms);
        ++sum.retried;
        SENDSYNC_RETURN_IF_ERROR(store::UpdateOutbox(conn, o));
        continue;  // a retry is not an audit event; the delivery will be
      }
    }
    SENDSYNC_RETURN_IF_ERROR(store::UpdateOutbox(conn, o));
    entries.push_back(std::move(e));
  }
  SENDSYNC_RETURN_IF_ERROR(store::UpsertLinkRecords(conn, bases));
  SENDSYNC_RETURN_IF_ERROR(audit::Append(conn, entries));
  // The run's counts move with the deliveries they count, so a run that dies later still
  // says what it delivered.
  if (sum.run_id)
    SENDSYNC_RETURN_IF_ERROR(store::RecordRunProgress(conn, sum.run_id, sum.ToJson()));
  return tx.Commit();
}

}  // namespace

Status Push(store::Conn& conn, const LinkCtx& link, plugins::Instance& adapter,
            const EngineOptions& opt, const std::atomic<bool>& stop, ProgressReporter& progress,
            RunSummary& sum) {
  const int64_t link_id = link.link.id;
  const auto started = std::chrono::steady_clock::now();
  const int64_t started_ms = store::NowMs();
  while (!stop.load()) {
    const int64_t now = store::NowMs();
    auto due = store::DueOutbox(conn, link_id, now, static_cast<int64_t>(opt.push_batch));
    if (!due.ok()) return due.status();
    if (due->empty()) break;
    auto waiting = store::WaitingOutbox(conn, link_id, now);
    if (!waiting.ok()) return waiting.status();
    Round round = SelectRound(std::move(*due), *waiting);
    if (round.send.empty()) break;  // everything due waits behind something in backoff
    Sent sent = SendRound(adapter, round);
    SENDSYNC_RETURN_IF_ERROR(RecordRound(conn, link, opt, round, sent, sum));
    FaultPoint("push.after_mark");
    if (!sent.call_error.empty()) {
      log::Write(log::Level::kWarn, "push.failed",
                 {{"link", link.link.name}, {"error", sent.call_error}});
      if (sent.fatal) return Status::InvalidArgument(sent.call_error);
      // Transient: what failed is now in backoff; carry on with what else is due.
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    progress.Report(&conn, {link.link.name, "", "push", sum.pushed,
                            secs > 0 ? sum.pushed / secs : 0, -1, started_ms});
  }
  return Status::OK();
}

}  // namespace sendsync::sync::detail
