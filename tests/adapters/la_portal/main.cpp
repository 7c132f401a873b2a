// la_portal_test: the la-portal adapter against the LA portal simulator. The SDK conformance kit
// runs here in both loading modes (in-process and through sendsync-adapter-host); the other
// behaviours are in the *_test.cpp files beside this one.
#include <gtest/gtest.h>

#include <Poco/ThreadPool.h>

#include "fixtures.h"
#include "plugins/plugins.h"

using namespace la_portal_test;
using sendsync::sims::LaPortalSim;
using sendsync::testkit::Caller;
using sendsync::testkit::Opener;

namespace {

LaPortalSim* g_sim = nullptr;  // the conformance kit's simulator; lives for the whole run

// Runs the kit through the worker, as the host runs adapters by default.
class WorkerCaller : public Caller {
 public:
  explicit WorkerCaller(std::unique_ptr<sendsync::plugins::Instance> inst)
      : inst_(std::move(inst)) {}
  Reply Call(const std::string& method, const std::string& request) override {
    auto r = inst_->Call(method, request);
    return {static_cast<int>(r.status), r.body};
  }

 private:
  std::unique_ptr<sendsync::plugins::Instance> inst_;
};

std::unique_ptr<Caller> OpenWorker(const std::string& path, const std::string& config,
                                   std::string* error) {
  sendsync::plugins::RuntimeOptions o;
  o.worker_path = WORKER_PATH;
  auto info = sendsync::plugins::Inspect(path, o);
  if (!info.ok) {
    *error = info.reason;
    return nullptr;
  }
  auto inst = sendsync::plugins::Open(info, config, o);
  if (!inst.ok()) {
    *error = inst.status().message();
    return nullptr;
  }
  return std::make_unique<WorkerCaller>(std::move(*inst));
}

// The host always sends a referral's context (pupil, cycles, readiness, …) with a referral write;
// the kit's write test knows nothing of context, so this caller adds the fixture's, as the host
// would.
class WithContext : public Caller {
 public:
  explicit WithContext(std::unique_ptr<Caller> inner) : inner_(std::move(inner)) {}
  Reply Call(const std::string& method, const std::string& request) override {
    if (method != "write") return inner_->Call(method, request);
    json req = json::parse(request);
    for (json& ch : req["changes"])
      if (!ch.contains("context")) ch["context"] = ReadyContext();
    return inner_->Call(method, req.dump());
  }

 private:
  std::unique_ptr<Caller> inner_;
};

Opener AddingContext(Opener inner) {
  return [inner](const std::string& path, const std::string& config,
                 std::string* error) -> std::unique_ptr<Caller> {
    auto c = inner(path, config, error);
    if (!c) return nullptr;
    return std::make_unique<WithContext>(std::move(c));
  };
}

// A fresh simulator state holding three referrals whose LA steps have all happened.
json SeededConfig() {
  g_sim->Reset();
  json config = ApiKeyConfig(*g_sim);
  EXPECT_TRUE(g_sim->AddScript({{"default", true}, {"scenario", "on_time"}}).ok());
  Adapter seed(config);
  for (int i = 1; i <= 3; ++i)
    seed.WriteOne(ReferralRecord("SEED-" + std::to_string(i)), ReadyContext(),
                  "seed-key-" + std::to_string(i));
  EXPECT_TRUE(g_sim->Advance(140).ok());
  EXPECT_TRUE(g_sim->AddScript({{"default", true}, {"scenario", "manual"}}).ok());
  return config;
}

sendsync::testkit::Target LaPortalTarget(const std::string& name, Opener opener) {
  sendsync::testkit::Target t;
  t.name = name;
  t.plugin_path = PLUGIN_PATH;
  t.good_config = SeededConfig;
  t.bad_config = {{"base_url", "ftp://la.example/referral-api"},
                  {"la", "820"},
                  {"auth", {{"type", "api_key"}, {"key", "k"}}}};
  t.bad_config_mentions = "base_url";
  t.read_kind = "referral";
  t.future_cursor = [](const std::string& last) {
    return std::to_string(std::stoull(last.empty() ? "0" : last) + 1000000);
  };
  t.write_kind = "referral";
  t.write_record = ReferralRecord("REF-CONFORMANCE");
  t.applied_count = [](const json&, const std::string& key) {
    int n = 0;
    for (const json& r : g_sim->Referrals()) n += r["idempotency_key"] == key;
    return n;
  };
  t.opener = AddingContext(std::move(opener));
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  sendsync::sims::LaPortalSimOptions o;
  o.today = sendsync::Date(2024, 5, 1);
  LaPortalSim sim(o);
  auto st = sim.Start();
  if (!st.ok()) {
    std::fprintf(stderr, "cannot start the LA portal simulator: %s\n", st.ToString().c_str());
    return 1;
  }
  g_sim = &sim;
  sendsync::testkit::RegisterConformanceTests(
      LaPortalTarget("LaPortalInProcess", sendsync::testkit::OpenInProcess));
  sendsync::testkit::RegisterConformanceTests(LaPortalTarget("LaPortalWorker", OpenWorker));
  int rc = RUN_ALL_TESTS();
  sim.Stop();
  g_sim = nullptr;
  // The simulators' connection threads come from Poco's default pool and would outlive main;
  // ending them lets OpenSSL free its per-thread state, which LeakSanitizer otherwise reports.
  Poco::ThreadPool::defaultPool().stopAll();
  return rc;
}
