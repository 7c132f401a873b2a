// Contract tests: the adapter's requests and the simulator's responses keep to
// docs/api/referral-api.yaml, checked with the same compiled document the simulator enforces.
#include <gtest/gtest.h>

#include <set>

#include "fixtures.h"
#include "sendsync/sdk/http.h"

using namespace la_portal_test;
using sendsync::sims::HttpExchange;
using sendsync::sims::OpenApiContract;
namespace http = sendsync::sdk::http;

namespace {

// Sends a request straight to the simulator and checks the response against the document.
class RawClient {
 public:
  explicit RawClient(sendsync::sims::LaPortalSim& sim) : sim_(sim) {
    http::ClientOptions o;
    o.base_url = sim.base_url();
    auto c = http::Client::Create(o);
    EXPECT_TRUE(c.ok());
    if (c.ok()) client_ = std::move(c).value();
  }
  http::Response Send(const std::string& method, const std::string& target,
                      const std::string& body = "",
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::Request r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.headers = std::move(headers);
    r.headers.push_back({"X-API-Key", "test-api-key-0123456789"});
    auto resp = client_->Send(r);
    EXPECT_TRUE(resp.ok()) << resp.status().ToString();
    if (!resp.ok()) return {};
    HttpExchange ex;
    ex.status = resp->status;
    ex.content_type = resp->Header("content-type");
    ex.body = resp->body;
    std::string path = target.substr(0, target.find('?'));
    auto v = sim_.contract()->CheckResponse(method, path, ex);
    for (const auto& x : v)
      ADD_FAILURE() << method << " " << target << " -> " << resp->status << ": " << x.path << " "
                    << x.message;
    return *resp;
  }

 private:
  sendsync::sims::LaPortalSim& sim_;
  std::unique_ptr<http::Client> client_;
};

// Runs every kind of call the adapter makes against `sim`.
void FullAdapterFlow(sendsync::sims::LaPortalSim& sim, const json& config) {
  Adapter a(config);
  ASSERT_TRUE(a.ok()) << a.open_error();
  ASSERT_TRUE(sim.AddScript({{"default", true}, {"scenario", "on_time"}}).ok());
  const std::string id = a.WriteOne(ReferralRecord(), ReadyContext(), "flow-1")["remote_id"];
  a.WriteOne(ReferralRecord(), ReadyContext(), "flow-1");  // replay
  // New packs (the same one again is not re-sent): attach to a known id, then the 409 path.
  json updated = ReferralRecord();
  updated["parent_views"] = "Updated for the LA.";
  a.WriteOne(updated, ReadyContext(), "flow-2", id);
  updated["parent_views"] = "Updated again.";
  a.WriteOne(updated, ReadyContext(), "flow-3");
  json forced = ReadyContext();
  forced["readiness"]["ready"] = false;
  forced["force"] = true;
  a.WriteOne(ReferralRecord("REF-FORCED"), forced, "flow-4");
  ASSERT_TRUE(sim.Advance(140).ok());
  std::string last;
  a.ReadAll("referral", "", &last, nullptr, 2);
  a.ReadAll("ehc_plan", "", &last);
  EXPECT_EQ(a.Call("check", json::object()).status, 0);
}

}  // namespace

TEST(Contract, DocumentLoadsAndNamesEveryOperation) {
  auto c = OpenApiContract::Load(sendsync::sims::DefaultReferralApiSpec());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const json& doc = (*c)->document();
  EXPECT_EQ(doc["openapi"], "3.0.3");
  for (auto& [path, item] : doc["paths"].items())
    for (auto& [method, op] : item.items())
      EXPECT_TRUE(op.contains("operationId")) << method << " " << path;
  EXPECT_EQ((*c)->Find("POST", "/v1/referrals")->id, "submitReferral");
  EXPECT_EQ((*c)->Find("GET", "/v1/referrals/ref-1")->path_params.at("referralId"), "ref-1");
  EXPECT_EQ((*c)->Find("POST", "/v1/referrals/ref-1/documents")->id, "uploadDocument");
  EXPECT_EQ((*c)->Find("GET", "/v1/status-changes")->id, "listStatusChanges");
  EXPECT_FALSE((*c)->Find("DELETE", "/v1/referrals/ref-1"));
  EXPECT_TRUE(doc["components"]["securitySchemes"].contains("oauth2"));
  EXPECT_TRUE(doc["components"]["securitySchemes"].contains("apiKey"));
}

TEST(Contract, AdapterRequestsKeepToTheDocumentWithApiKey) {
  auto sim = StartSim();
  FullAdapterFlow(*sim, ApiKeyConfig(*sim));
  json v = sim->Violations();
  EXPECT_TRUE(v["requests"].empty()) << v["requests"].dump(2);
  EXPECT_GE(sim->Counters()["submit_requests"], 4);
  EXPECT_GE(sim->Counters()["upload_requests"], 6);
  EXPECT_GE(sim->Counters()["change_reads"], 3);
}

TEST(Contract, AdapterRequestsKeepToTheDocumentWithOAuth) {
  auto sim = StartSim();
  FullAdapterFlow(*sim, OAuthConfig(*sim));
  json v = sim->Violations();
  EXPECT_TRUE(v["requests"].empty()) << v["requests"].dump(2);
  EXPECT_EQ(sim->Counters()["tokens_issued"], 1);
}

TEST(Contract, SimulatorResponsesKeepToTheDocument) {
  auto sim = StartSim();
  FullAdapterFlow(*sim, ApiKeyConfig(*sim));
  EXPECT_TRUE(sim->Violations()["responses"].empty()) << sim->Violations()["responses"].dump(2);

  // And checked from the outside, for every documented kind of answer.
  RawClient raw(*sim);
  const std::string id = SimReferralId(*sim, "REF-2024-0001");
  json submission = (*sim->Referral(id))["submission"];
  EXPECT_EQ(
      raw.Send("POST", "/v1/referrals", submission.dump(), {{"Idempotency-Key", "flow-1"}}).status,
      201);  // replay
  EXPECT_EQ(
      raw.Send("POST", "/v1/referrals", submission.dump(), {{"Idempotency-Key", "new"}}).status,
      409);
  submission["client_reference"] = "REF-RAW";
  EXPECT_EQ(
      raw.Send("POST", "/v1/referrals", submission.dump(), {{"Idempotency-Key", "raw-1"}}).status,
      201);
  EXPECT_EQ(raw.Send("GET", "/v1/referrals/" + id).status, 200);
  EXPECT_EQ(raw.Send("GET", "/v1/referrals/ref-999999").status, 404);
  EXPECT_EQ(raw.Send("GET", "/v1/status-changes?limit=3").status, 200);
  EXPECT_EQ(raw.Send("GET", "/v1/status-changes?since=zz").status, 400);
  EXPECT_EQ(raw.Send("GET", "/v1/status-changes?since=999999").status, 200);
  json doc = {{"filename", "note.txt"},
              {"media_type", "text/plain"},
              {"category", "further_information"},
              {"content_base64", "aGVsbG8="},
              {"sha256", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}};
  EXPECT_EQ(raw.Send("POST", "/v1/referrals/" + id + "/documents", doc.dump(),
                     {{"Idempotency-Key", "doc-1"}})
                .status,
            201);
  doc["sha256"] = std::string(64, '0');
  EXPECT_EQ(raw.Send("POST", "/v1/referrals/" + id + "/documents", doc.dump(),
                     {{"Idempotency-Key", "doc-2"}})
                .status,
            422);
  EXPECT_EQ(raw.Send("POST", "/v1/referrals/" + id + "/documents", doc.dump(),
                     {{"Idempotency-Key", "doc-1"}})
                .status,
            422);  // key reused with another body
  sendsync::sims::FaultConfig f;
  f.fail_next = 1;
  f.rate_limit_next = 1;
  f.retry_after_seconds = 3;
  sim->api_server().SetFaults(f);
  EXPECT_EQ(raw.Send("GET", "/v1/status-changes").status, 503);
  EXPECT_EQ(raw.Send("GET", "/v1/status-changes").status, 429);
  sendsync::sims::LaPortalAuth other;
  other.mode = "api_key";
  other.api_key = "another-key";
  sim->SetAuth(other);
  EXPECT_EQ(raw.Send("GET", "/v1/status-changes").status, 401);
}

TEST(Contract, RequestBreakingTheSchemaIsRefusedWithPathsAndRecorded) {
  auto sim = StartSim();
  json config = ApiKeyConfig(*sim);
  Adapter(config).WriteOne(ReferralRecord(), ReadyContext(), "k");
  json submission = (*sim->Referral(SimReferralId(*sim, "REF-2024-0001")))["submission"];
  submission["client_reference"] = "REF-BAD";
  submission["sen"]["needs"][0]["type"] = "XYZ";
  submission.erase("consent");
  RawClient raw(*sim);
  auto r = raw.Send("POST", "/v1/referrals", submission.dump(), {{"Idempotency-Key", "bad-1"}});
  EXPECT_EQ(r.status, 422);
  json p = json::parse(r.body);
  std::set<std::string> paths;
  for (const json& e : p["errors"]) paths.insert(e["path"]);
  EXPECT_TRUE(paths.count("/sen/needs/0/type")) << p.dump(2);
  EXPECT_TRUE(paths.count("/consent")) << p.dump(2);
  EXPECT_FALSE(sim->Violations()["requests"].empty());
  EXPECT_EQ(sim->Counters()["referrals"], 1);
}

TEST(Contract, MissingIdempotencyKeyIsABadRequest) {
  auto sim = StartSim();
  ApiKeyConfig(*sim);
  RawClient raw(*sim);
  auto r = raw.Send("POST", "/v1/referrals", "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("header.Idempotency-Key"), std::string::npos) << r.body;
}

TEST(Contract, ResponseCheckCatchesAnAnswerThatBreaksTheDocument) {
  auto sim = StartSim();
  HttpExchange ex;
  ex.status = 201;
  ex.content_type = "application/json";
  ex.body = R"({"id": "ref-1", "status": "accepted"})";
  auto v = sim->contract()->CheckResponse("POST", "/v1/referrals", ex);
  EXPECT_FALSE(v.empty());
  ex.status = 418;
  EXPECT_FALSE(sim->contract()->CheckResponse("POST", "/v1/referrals", ex).empty());
}

TEST(Contract, YamlScalarsKeepTheirTypes) {
  auto j = sendsync::sims::YamlToJson("a: '201'\nb: 201\nc: true\nd: ~\ne: 1.5\nf: text\n");
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE((*j)["a"].is_string());
  EXPECT_TRUE((*j)["b"].is_number_integer());
  EXPECT_TRUE((*j)["c"].is_boolean());
  EXPECT_TRUE((*j)["d"].is_null());
  EXPECT_TRUE((*j)["e"].is_number_float());
  EXPECT_TRUE((*j)["f"].is_string());
  EXPECT_FALSE(sendsync::sims::YamlToJson("a: [1, 2").ok());
}

TEST(Contract, DocumentExamplesKeepToTheirSchemas) {
  auto sim = StartSim();
  const json& doc = sim->contract()->document();
  json submit = doc["paths"]["/v1/referrals"]["post"]["requestBody"]["content"]["application/json"]
                   ["example"];
  json page = doc["paths"]["/v1/status-changes"]["get"]["responses"]["200"]["content"]
                 ["application/json"]["example"];
  ASSERT_TRUE(submit.is_object());
  ASSERT_TRUE(page.is_object());
  for (const auto& v : sim->contract()->CheckSchema("ReferralSubmission", submit))
    ADD_FAILURE() << "submit example: " << v.path << " " << v.message;
  for (const auto& v : sim->contract()->CheckSchema("StatusChangePage", page))
    ADD_FAILURE() << "status change example: " << v.path << " " << v.message;
  EXPECT_FALSE(sim->contract()->CheckSchema("ReferralSubmission", json::object()).empty());
}
