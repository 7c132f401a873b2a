// la-portal: the adapter for LA portals that implement the Referral API
// (docs/api/referral-api.yaml; docs/adapters/la-portal.md for admins).
//
//  - write, kind "referral": refuses a referral the hub's readiness check says is not ready
//    (unless an admin forced it), builds the submission from what the link may send, renders the
//    evidence pack (PDF and evidence.json), submits under the request's client reference with the
//    host's idempotency key, and uploads each document the LA does not already hold under a key
//    made from the client reference and the document's hash. When the LA says the client
//    reference is taken, its referral is read first: the pack is attached only when it is this
//    pupil's request from this school; anything else is rejected with nothing attached.
//  - read, kinds "referral" and "ehc_plan": the LA's status changes since the cursor.
//  - RETRY for 5xx, 429, timeouts and dropped connections; a change the LA refuses (400/422) is
//    rejected with the fields it named; 401/403 fail the call (FATAL) with advice for the admin.
#include <algorithm>
#include <optional>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/SHA2Engine.h>
#include <sendsync/sdk/adapter.h>
#include <sendsync/sdk/date.h>
#include <sendsync/sdk/http.h>
#include <nlohmann/json.hpp>

#include <sendsync/sdk/json_limits.h>
#include "config.h"
#include "evidence_pack.h"
#include "evidence_pdf.h"
#include "referral_api.h"
#include "status_reader.h"
#include "submission_builder.h"

namespace sendsync::la_portal {
namespace {

namespace http = sdk::http;
using nlohmann::json;

const char* const kKeyReused = "https://sendsync.org/problems/idempotency-key-reused";

std::string Sha256Hex(const std::string& bytes) {
  Poco::SHA2Engine e(Poco::SHA2Engine::SHA_256);
  e.update(bytes);
  return Poco::DigestEngine::digestToHex(e.digest());
}

std::string Base64(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  enc.close();
  return out.str();
}

// The API takes 1–255 printable ASCII characters; keys outside that are hashed (stable, so a
// retried change still carries the same key).
std::string ApiKey(const std::string& host_key) {
  bool printable = !host_key.empty() && host_key.size() <= 200;
  for (unsigned char c : host_key) printable = printable && c >= 0x21 && c <= 0x7e;
  return printable ? host_key : "sha256-" + Sha256Hex(host_key);
}

// What became of one change.
struct Outcome {
  enum Kind { kApplied, kRejected, kRetry, kUnknown, kFatal } kind;
  std::string remote_id, reason;
  Status status;  // kFatal
  static Outcome Applied(std::string id) { return {kApplied, std::move(id), "", Status::OK()}; }
  static Outcome Rejected(std::string why) { return {kRejected, "", std::move(why), Status::OK()}; }
  // From a failed Status: transient → retry; credentials and TLS → fatal; the rest → rejected.
  static Outcome From(const Status& st, const std::string& prefix = "") {
    if (st.transient()) return {kRetry, "", st.message(), Status::OK()};
    if (st.code() == Status::Code::kUnauthenticated ||
        st.code() == Status::Code::kPermissionDenied ||
        st.code() == Status::Code::kFailedPrecondition)
      return {kFatal, "", "", st};
    return {kRejected, "", prefix + st.message(), Status::OK()};
  }
  // A request that got no answer (timed out, connection dropped): the LA may hold it. Sent again
  // later with the same key, which the portal answers with the first outcome.
  static Outcome NoAnswer(const Status& st, bool sent) {
    if (!sent || !st.transient()) return From(st);
    return {kUnknown, "", "no answer, so the outcome is unknown: " + st.message(), Status::OK()};
  }
};

// The evidence pack in both forms, ready to upload.
struct Pack {
  std::string pdf, json_text;
  // The professional reports, each its own PDF under its role's document category.
  struct Report {
    std::string filename, category, title, pdf;
  };
  std::vector<Report> reports;
};

json ProblemOf(const http::Response& r) {
  json p = sdk::ParseJson(r.body);
  return p.is_object() ? p : json::object();
}

class LaPortalAdapter : public sdk::Adapter {
 public:
  static json Manifest() {
    return {{"id", "la-portal"},
            {"name", "LA portal (Referral API)"},
            {"version", "1.0.0"},
            {"vendor", "sendsync"},
            {"description",
             "Sends requests for EHC needs assessments with an evidence pack (PDF and JSON) to an "
             "LA portal implementing the sendsync Referral API, and reads back the LA's "
             "decisions, statutory dates and issued EHC plans."},
            {"reads", {"referral", "ehc_plan"}},
            {"writes", {"referral"}},
            {"config_schema", ConfigSchema()}};
  }

  Status Configure(const json& config) override {
    auto c = ParseConfig(config);
    if (!c.ok()) return c.status();
    config_ = *c;
    auto api = ReferralApi::Create(config_);
    if (!api.ok()) return api.status();
    api_ = std::move(*api);
    return Status::OK();
  }

  Result<json> Describe() override {
    json auth = {{"type", config_.auth.type}};
    if (config_.auth.type == "oauth2") {
      auth["token_url"] = config_.auth.token_url;
      auth["client_id"] = config_.auth.client_id;
      auth["tokens_fetched"] = api_->tokens_fetched();
    } else {
      auth["header"] = config_.auth.header;
    }
    auto probe = PdfProbe();
    return json{{"base_url", config_.base_url},
                {"la", config_.la},
                {"api", "Referral API v1"},
                {"auth", auth},
                {"evidence_pack_font", probe}};
  }

  Status Check() override {
    http::Request r;
    r.target = "/v1/status-changes?limit=1";
    auto resp = api_->Send(r);
    if (!resp.ok()) return resp.status();
    return ProblemStatus(*resp, "GET /v1/status-changes");
  }

  Status Read(const sdk::ReadRequest& req, sdk::ReadResult& result) override {
    if (req.kind != "referral" && req.kind != "ehc_plan")
      return Status::InvalidArgument("la-portal reads referral and ehc_plan records, not '" +
                                     req.kind + "'");
    http::Request r;
    size_t limit = std::clamp<size_t>(req.limit, 1, 500);
    r.target = "/v1/status-changes?limit=" + std::to_string(limit);
    if (!req.cursor.empty()) r.target += "&since=" + http::Encode(req.cursor);
    auto resp = api_->Send(r);
    if (!resp.ok()) return resp.status();
    if (resp->status == 400) {
      json p = ProblemOf(*resp);
      for (const json& e : p.value("errors", json::array()))
        if (e.is_object() && e.value("path", "") == "query.since")
          return Status::InvalidArgument(
              "the LA does not recognise this link's cursor for " + req.kind +
              "; reset the link's cursor (sendsync link reset-cursor LINK --kind " + req.kind +
              ") to read the status changes again from the start");
    }
    SENDSYNC_RETURN_IF_ERROR(ProblemStatus(*resp, "GET /v1/status-changes"));
    auto page = resp->Json();
    if (!page.ok()) return page.status();
    return PageToRecords(*page, req.kind, config_.la, result);
  }

  Status Write(const sdk::WriteRequest& req, sdk::WriteResult& result) override {
    if (req.kind != "referral")
      return Status::InvalidArgument("la-portal writes referral records only, not '" + req.kind +
                                     "'");
    std::string halted;  // once the LA cannot be reached, the rest of the batch waits
    for (const sdk::Change& ch : req.changes) {
      if (halted.empty() && host().Cancelled()) halted = "stopped on request before it was sent";
      if (!halted.empty()) {  // never sent: no attempt is charged to it
        result.NotSent(ch.key, halted);
        continue;
      }
      Outcome o = Outcome::Rejected("");
      try {
        o = WriteOne(ch);
      } catch (const json::exception& e) {
        o = Outcome::Rejected(std::string("the referral or its context is malformed: ") + e.what());
      }
      switch (o.kind) {
        case Outcome::kApplied:
          result.Applied(ch.key, o.remote_id);
          break;
        case Outcome::kRejected:
          result.Rejected(ch.key, o.reason);
          break;
        case Outcome::kRetry:
        case Outcome::kUnknown:
          if (o.kind == Outcome::kRetry)
            result.Retry(ch.key, o.reason);
          else
            result.Unknown(ch.key, o.reason);
          halted = "held back after an earlier change in this batch failed";
          break;
        case Outcome::kFatal:
          return o.status;
      }
    }
    return Status::OK();
  }

 private:
  std::string PdfProbe() const {
    auto pdf = RenderEvidencePdf(json::object(), config_.fonts_dir);
    if (!pdf.ok()) return "unavailable: " + pdf.status().message();
    return pdf->unicode ? "DejaVu Sans, embedded (Unicode)"
                        : "Helvetica (Latin-1; other characters are folded or replaced)";
  }

  Outcome WriteOne(const sdk::Change& ch) {
    if (ch.op == "delete")
      return Outcome::Rejected(
          "a referral cannot be deleted from the school's side once sent; ask the LA to withdraw "
          "it");
    if (ch.op != "upsert") return Outcome::Rejected("unknown operation '" + ch.op + "'");
    const std::string key = ApiKey(ch.key);
    if (ch.remote_id.empty()) {
      if (auto not_ready = NotReadyReason(ch.context)) return Outcome::Rejected(*not_ready);
    }
    auto submission = BuildSubmission(ch.record, WithSchoolName(ch.context), config_.la);
    if (!submission.ok()) return Outcome::Rejected(submission.status().message());
    if (!submission->contains("consent"))  // the API requires it, even on a forced request
      return Outcome::Rejected(
          "the request records no consent to share information with the LA, which the LA's "
          "Referral API requires even when an admin forces a request: record the family's "
          "consent (consent.given, its date, and whether the parent or the young person gave "
          "it) and submit again");
    auto pack = MakePack(*submission, ch.record);
    if (!pack.ok()) return Outcome::From(pack.status(), "could not build the evidence pack: ");
    const std::string ref = submission->value("client_reference", "");
    if (!ch.remote_id.empty()) {  // the host recorded the LA's id when it delivered the request
      auto held = Held(ch.remote_id);
      if (!held.ok()) return Outcome::From(held.status(), "could not read the LA's referral: ");
      return Attach(ch.remote_id, ref, *held, *pack);
    }

    http::Request r;
    r.method = "POST";
    r.target = "/v1/referrals";
    r.headers = {{"Idempotency-Key", key}};
    r.body = submission->dump();
    bool sent = false;
    auto resp = api_->Send(r, &sent);
    if (!resp.ok()) return Outcome::NoAnswer(resp.status(), sent);
    std::string id;
    if (resp->status == 201 || resp->status == 200) {
      auto body = resp->Json();
      if (!body.ok() || !body->contains("id") || !(*body)["id"].is_string() ||
          (*body)["id"].get<std::string>().empty())
        return Outcome::Rejected("the LA accepted the referral but its answer has no referral id");
      id = (*body)["id"];
      host().Debug("la-portal: referral " + ref + " received by the LA as " + id);
    } else {
      json p = ProblemOf(*resp);
      // The LA already holds a referral under this client reference (an earlier key, or this
      // key with an earlier version of the request). Only when it is this child's request from
      // this school is the evidence attached to it: anything else would put one child's data in
      // another child's file.
      const bool held =
          resp->status == 409 || (resp->status == 422 && p.value("type", "") == kKeyReused);
      if (held && p.contains("referral_id") && p["referral_id"].is_string()) {
        id = p["referral_id"];
      } else {
        return Outcome::From(ProblemStatus(*resp, "POST /v1/referrals"),
                             "the LA refused the referral: ");
      }
    }
    auto held = Held(id);
    if (!held.ok()) return Outcome::From(held.status(), "could not read the LA's referral: ");
    if (auto other = NotThisRequest(*held, *submission)) return Outcome::Rejected(*other);
    return Attach(id, ref, *held, *pack);
  }

  // GET /v1/referrals/{id}: the referral's state and the documents the LA holds for it.
  Result<json> Held(const std::string& id) {
    http::Request r;
    r.target = "/v1/referrals/" + http::Encode(id);
    auto resp = api_->Send(r);
    if (!resp.ok()) return resp.status();
    SENDSYNC_RETURN_IF_ERROR(ProblemStatus(*resp, "GET /v1/referrals/" + id));
    auto body = resp->Json();
    if (!body.ok()) return body.status();
    if (!body->is_object() || !(*body)["referral"].is_object())
      return Status::InvalidArgument("the LA's answer for referral " + id + " has no referral");
    return *body;
  }

  // Why the referral the LA holds under this client reference is not this request (nullopt when
  // it is): another client reference, another pupil, or another school.
  static std::optional<std::string> NotThisRequest(const json& held, const json& submission) {
    const json& state = held["referral"];
    const std::string ref = submission.value("client_reference", "");
    const std::string id = state.value("id", "");
    auto refuse = [&](const std::string& what) {
      return "the LA already holds referral " + state.value("la_reference", id) +
             " under this request's client reference " + ref + ", but " + what +
             "; nothing was attached to it and the request stays undelivered. Ask the LA which "
             "request it is before sending again";
    };
    if (state.value("client_reference", "") != ref)
      return refuse("the LA gives it the client reference '" + state.value("client_reference", "") +
                    "'");
    const std::string upn = submission.value("pupil", json::object()).value("upn", "");
    const json pupil = state.value("pupil", json::object());
    if (upn.empty() || !pupil.is_object() || pupil.value("upn", "") != upn)
      return refuse(upn.empty()
                        ? "this request names no UPN to check it against"
                        : "it is about another pupil (UPN " +
                              (pupil.is_object() ? pupil.value("upn", "unknown") : "") + ")");
    const json mine = submission.value("school", json::object());
    const json theirs = state.value("school", json::object());
    if (theirs.is_object())
      for (const char* k : {"urn", "laestab"}) {
        const std::string a = mine.value(k, ""), b = theirs.value(k, "");
        if (!a.empty() && !b.empty() && a != b)
          return refuse("it was sent by another school (" + std::string(k) + " " + b + ")");
      }
    return std::nullopt;
  }

  // The host has no school record to send a name from: the link's school_name fills the gap.
  json WithSchoolName(const json& context) const {
    if (config_.school_name.empty() || !context.is_object()) return context;
    json c = context;
    if (!c.contains("school") || !c["school"].is_object()) c["school"] = json::object();
    if (!c["school"].contains("name")) c["school"]["name"] = config_.school_name;
    return c;
  }

  Result<Pack> MakePack(const json& submission, const json& record) {
    std::string prepared =
        record.is_object() && record.contains("request_date") && record["request_date"].is_string()
            ? record["request_date"].get<std::string>()
            : Today().ToString();
    const json reports = ReportDocuments(record);
    json pack = BuildEvidencePack(submission, prepared, reports);
    if (!config_.la_name.empty()) pack["la_name"] = config_.la_name;
    auto pdf = RenderEvidencePdf(pack, config_.fonts_dir);
    if (!pdf.ok()) return pdf.status();
    Pack out{std::move(pdf->bytes), pack.dump(2), {}};
    for (const json& r : reports) {
      auto rpdf = RenderReportPdf(r, pack, config_.fonts_dir);
      if (!rpdf.ok()) return rpdf.status();
      out.reports.push_back({r.value("filename", ""), r.value("category", "other"),
                             r.value("title", ""), std::move(rpdf->bytes)});
    }
    return out;
  }

  // Uploads the evidence pack (PDF, then JSON) to referral `id`, whose state and documents the
  // LA gave in `held`; applied when both are held. A document the LA already holds (same
  // category and SHA-256) is not sent again, and each upload's key is made from the client
  // reference and the document's own hash, not from the change: a change rebuilt under a new key
  // after an answer was lost, or a repeat of the same pack, never leaves the LA a second copy.
  Outcome Attach(const std::string& id, const std::string& client_reference, const json& held,
                 const Pack& pack) {
    struct Doc {
      std::string filename;
      std::string media_type;
      std::string category;
      std::string title;
      const std::string* bytes;
    };
    std::vector<Doc> docs = {{"evidence-pack.pdf", "application/pdf", "evidence_pack",
                              "Evidence pack: request for an EHC needs assessment", &pack.pdf},
                             {"evidence.json", "application/json", "evidence_pack_data",
                              "Evidence pack data (the same content as JSON)", &pack.json_text}};
    for (const Pack::Report& r : pack.reports)
      docs.push_back({r.filename, "application/pdf", r.category, r.title, &r.pdf});
    const json have = held.value("documents", json::array());
    for (const Doc& d : docs) {
      const std::string sha = Sha256Hex(*d.bytes);
      bool already = false;
      for (const json& h : have)
        already = already || (h.is_object() && h.value("sha256", "") == sha &&
                              h.value("category", "") == d.category);
      if (already) continue;
      json body = {
          {"filename", d.filename}, {"media_type", d.media_type},         {"category", d.category},
          {"title", d.title},       {"content_base64", Base64(*d.bytes)}, {"sha256", sha}};
      http::Request r;
      r.method = "POST";
      r.target = "/v1/referrals/" + http::Encode(id) + "/documents";
      r.headers = {{"Idempotency-Key", ApiKey(client_reference + "/" + d.category + "/" + sha)}};
      r.body = body.dump();
      bool sent = false;
      auto resp = api_->Send(r, &sent);
      if (!resp.ok()) return Outcome::NoAnswer(resp.status(), sent);
      if (resp->status == 201 || resp->status == 200) continue;
      return Outcome::From(ProblemStatus(*resp, "POST /v1/referrals/" + id + "/documents"),
                           "the LA holds referral " + id + " but refused its " + d.filename + ": ");
    }
    return Outcome::Applied(id);
  }

  Config config_;
  std::unique_ptr<ReferralApi> api_;
};

}  // namespace
}  // namespace sendsync::la_portal

SENDSYNC_EXPORT_ADAPTER(sendsync::la_portal::LaPortalAdapter)
