#include "writer.h"

#include <sendsync/sdk/records.h>

#include <sendsync/sdk/json_limits.h>
#include "record_mapping.h"

namespace sendsync::mis_api_adapter {

using nlohmann::json;
namespace http = sdk::http;

namespace {

std::string Join(const records::Problems& problems) {
  std::string out;
  for (const records::Problem& p : problems) {
    if (!out.empty()) out += "; ";
    out += p.path + ": " + p.message;
  }
  return out;
}

std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// "needs[0].type (MIS field sen_needs[0].type): unknown need type 'XYZ'; ..." from a 422 body.
std::string FieldErrors(const std::string& kind, const http::Response& r) {
  json body = sdk::ParseJson(r.body);
  if (!body.is_object() || !body.contains("errors") || !body["errors"].is_array()) return "";
  std::string out;
  for (const json& e : body["errors"]) {
    std::string path = Str(e, "path"), message = Str(e, "message");
    if (path.empty() && message.empty()) continue;
    if (!out.empty()) out += "; ";
    std::string canonical = CanonicalPath(kind, path);
    out += canonical + (canonical != path ? " (MIS field " + path + ")" : "") + ": " + message;
  }
  return out;
}

}  // namespace

Status Writer::Write(const sdk::WriteRequest& req, sdk::WriteResult& res) {
  if (req.kind != "sen" && req.kind != "review")
    return Status::InvalidArgument("mis-api writes sen and review records, not '" + req.kind + "'");
  std::map<std::string, std::string> upn_cache;
  for (size_t i = 0; i < req.changes.size(); ++i) {
    const std::string& key = req.changes[i].key;
    if (cancelled_ && cancelled_()) {
      // Stopping: this change and the rest were never sent, so no attempt is charged to them.
      for (size_t j = i; j < req.changes.size(); ++j)
        res.NotSent(req.changes[j].key, "the host asked to stop before this change was sent");
      return Status::OK();
    }
    Outcome o = WriteOne(req.kind, req.changes[i], upn_cache);
    switch (o.kind) {
      case Outcome::Kind::kApplied:
        res.Applied(key, o.detail);
        break;
      case Outcome::Kind::kRejected:
        res.Rejected(key, o.detail);
        break;
      case Outcome::Kind::kFatal:
        return o.status;
      case Outcome::Kind::kRetry:
      case Outcome::Kind::kUnknown:
        // This change failed; the rest are held back (the server is struggling) and were not
        // sent, so only this one is charged an attempt.
        if (o.kind == Outcome::Kind::kRetry)
          res.Retry(key, o.detail);
        else
          res.Unknown(key, o.detail);
        for (size_t j = i + 1; j < req.changes.size(); ++j)
          res.NotSent(req.changes[j].key, "held back after an earlier change in this batch failed");
        return Status::OK();
    }
  }
  return Status::OK();
}

Writer::Outcome Writer::WriteOne(const std::string& kind, const sdk::Change& ch,
                                 std::map<std::string, std::string>& upn_cache) {
  using K = Outcome::Kind;
  if (ch.op == "delete")
    return {K::kRejected,
            "the MIS API takes no deletions from sendsync: " +
                std::string(kind == "sen" ? "send SEN status N instead of deleting it"
                                          : "remove the review in the MIS itself"),
            {}};
  if (ch.op != "upsert") return {K::kRejected, "unknown change op '" + ch.op + "'", {}};

  records::Problems problems;
  json body;
  if (kind == "sen") {
    records::Sen sen;
    if (!records::FromJson(ch.record, sen, problems))
      return {K::kRejected, "the record is not a valid sen record: " + Join(problems), {}};
    body = SenBody(sen);
  } else {
    records::Review review;
    if (!records::FromJson(ch.record, review, problems))
      return {K::kRejected, "the record is not a valid review record: " + Join(problems), {}};
    body = ReviewBody(review, ch.remote_id);
  }

  std::string student_id;
  if (std::optional<Outcome> failed = ResolveStudent(ch, upn_cache, student_id)) return *failed;

  const std::string target = api_.SchoolPath("/students/" + http::Encode(student_id) +
                                             (kind == "sen" ? "/sen" : "/sen-reviews"));
  const std::string what = kind == "sen" ? "POST sen" : "POST sen-reviews";
  Result<http::Response> r = api_.Post(target, body, ch.key, what);
  if (!r.ok()) {
    // No answer (timed out, connection dropped): the MIS may have applied it. The host sends it
    // again with the same Idempotency-Key, and the MIS answers a repeat with the first outcome.
    if (r.status().transient())
      return {K::kUnknown, "no answer, so the outcome is unknown: " + r.status().message(),
              r.status()};
    return {K::kFatal, "", r.status()};
  }
  return FromResponse(kind, *r, what, student_id);
}

std::optional<Writer::Outcome> Writer::ResolveStudent(const sdk::Change& ch,
                                                      std::map<std::string, std::string>& cache,
                                                      std::string& student_id) {
  using K = Outcome::Kind;
  const json pupil = ch.context.is_object() ? ch.context.value("pupil", json()) : json();
  student_id = Str(pupil, "id");
  if (!student_id.empty()) return std::nullopt;
  std::string upn = Str(pupil, "upn");
  if (upn.empty()) upn = Str(ch.record.value("pupil", json()), "upn");
  if (upn.empty())
    return Outcome{
        K::kRejected,
        "the change names no pupil the MIS can find: it carries neither the MIS student id "
        "(context.pupil.id) nor a UPN",
        {}};
  if (auto it = cache.find(upn); it != cache.end()) {
    student_id = it->second;
    return std::nullopt;
  }
  Result<json> found = api_.GetJson(
      api_.SchoolPath("/students?upn=" + http::Encode(upn) + "&per_page=2"), "GET students by UPN");
  if (!found.ok()) {
    if (found.status().transient())
      return Outcome{K::kRetry, found.status().message(), found.status()};
    return Outcome{K::kFatal, "", found.status()};
  }
  json data = found->is_object() ? found->value("data", json()) : json();
  if (!data.is_array())
    return Outcome{K::kFatal, "",
                   Status::InvalidArgument("GET students by UPN: the answer has no \"data\" list")};
  if (data.empty())
    return Outcome{
        K::kRejected,
        "no student with UPN " + upn + " in the MIS; add the pupil there or check the UPN",
        {}};
  if (data.size() > 1)
    return Outcome{
        K::kRejected,
        "UPN " + upn + " matches more than one student in the MIS; fix the duplicate there",
        {}};
  if (Str(data[0], "id").empty())
    return Outcome{
        K::kRejected, "the MIS answered the UPN lookup with a student without an id", {}};
  student_id = Str(data[0], "id");
  cache[upn] = student_id;
  return std::nullopt;
}

Writer::Outcome Writer::FromResponse(const std::string& kind, const http::Response& r,
                                     const std::string& what, const std::string& student_id) {
  using K = Outcome::Kind;
  Status st = http::Classify(r, what);
  if (st.ok()) {
    if (kind == "sen") return {K::kApplied, student_id, {}};
    json body = sdk::ParseJson(r.body);
    std::string id = body.is_object() ? Str(body.value("data", json()), "id") : "";
    if (id.empty())
      return {K::kRejected,
              "the MIS accepted the review but did not say its id (data.id), so sendsync "
              "cannot keep it in step; check the review in the MIS",
              {}};
    return {K::kApplied, id, {}};
  }
  if (r.status == 401 || r.status == 403) return {K::kFatal, "", st};
  if (st.transient()) return {K::kRetry, st.message(), st};
  if (r.status == 422) {
    std::string fields = FieldErrors(kind, r);
    if (!fields.empty()) return {K::kRejected, "the MIS refused the record: " + fields, {}};
  }
  return {K::kRejected, st.message(), {}};
}

}  // namespace sendsync::mis_api_adapter
