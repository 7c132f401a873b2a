// The mis-api adapter against an unwell or unwelcoming server: rate limits with Retry-After,
// server errors, timeouts, dropped connections, refused credentials, and TLS verification.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "test_support.h"

using namespace mis_test;
using sendsync::sims::FaultConfig;
using Clock = std::chrono::steady_clock;

namespace {

class MisApiFaults : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim_.Start().ok());
    ASSERT_TRUE(sim_.LoadSchool(SchoolFixture(3)).ok());
  }
  Reply ReadPupils(const json& overrides = json::object()) {
    auto c = Open(AdapterConfig(sim_, overrides));
    if (!c) return {};
    return Call(*c, "read", {{"kind", "pupil"}, {"cursor", ""}, {"limit", 50}});
  }
  MisApiSim sim_{kToken};
};

}  // namespace

TEST_F(MisApiFaults, Read_ShortRetryAfterIsWaitedOutInsideTheCall) {
  FaultConfig f;
  f.rate_limit_next = 1;
  f.retry_after_seconds = 1;
  sim_.server().SetFaults(f);
  auto start = Clock::now();
  Reply r = ReadPupils();
  auto waited = Clock::now() - start;
  EXPECT_EQ(r.status, 0) << r.text;
  EXPECT_EQ(r.body["records"].size(), 3u);
  EXPECT_GE(waited, std::chrono::milliseconds(900)) << "the Retry-After was not honoured";
  EXPECT_EQ(sim_.server().stats().injected_rate_limits, 1u);
}

TEST_F(MisApiFaults, Read_ShortBurstOfRateLimitsIsWaitedOutAndALongOneHandedBack) {
  FaultConfig f;
  f.rate_limit_next = 3;
  f.retry_after_seconds = 0;
  sim_.server().SetFaults(f);
  Reply ok = ReadPupils();
  EXPECT_EQ(ok.status, 0) << ok.text;
  EXPECT_EQ(sim_.server().stats().injected_rate_limits, 3u);
  f.rate_limit_next = 50;
  sim_.server().SetFaults(f);
  Reply burst = ReadPupils();
  EXPECT_EQ(burst.status, 1) << burst.text;
  EXPECT_NE(burst.text.find("429"), std::string::npos) << burst.text;
  EXPECT_LT(sim_.server().stats().injected_rate_limits, 10u) << "the adapter kept hammering";
}

TEST_F(MisApiFaults, Read_CancelDuringARetryAfterWaitEndsTheCallAsRetry) {
  for (auto mode : {sendsync::plugins::Mode::kInProcess, sendsync::plugins::Mode::kWorker}) {
    FaultConfig f;
    f.rate_limit_next = 1;
    f.retry_after_seconds = 20;  // within max_retry_after_seconds: the adapter waits it out
    sim_.server().SetFaults(f);
    auto inst = OpenInstance(AdapterConfig(sim_), mode);
    ASSERT_NE(inst, nullptr);
    auto start = Clock::now();
    std::thread canceller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      inst->Cancel();
    });
    auto r = inst->Call("read", R"({"kind":"pupil","cursor":"","limit":50})");
    canceller.join();
    EXPECT_EQ(r.status, sendsync::plugins::CallStatus::kRetry) << r.body;
    EXPECT_NE(r.body.find("Retry-After"), std::string::npos) << r.body;
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(10)) << "the wait ignored the cancel";
  }
}

TEST_F(MisApiFaults, Read_RetryAfterLongerThanTheMaximumIsRetryForTheHost) {
  FaultConfig f;
  f.rate_limit_next = 1;
  f.retry_after_seconds = 120;
  sim_.server().SetFaults(f);
  auto start = Clock::now();
  Reply r = ReadPupils({{"max_retry_after_seconds", 30}});
  EXPECT_EQ(r.status, 1) << r.text;
  EXPECT_NE(r.text.find("429"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("120 s"), std::string::npos) << r.text;
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10)) << "it waited instead of handing back";
}

TEST_F(MisApiFaults, Read_ServerErrorIsRetry) {
  FaultConfig f;
  f.error_rate = 1.0;
  sim_.server().SetFaults(f);
  Reply r = ReadPupils();
  EXPECT_EQ(r.status, 1) << r.text;
  EXPECT_NE(r.text.find("500"), std::string::npos) << r.text;
}

TEST_F(MisApiFaults, Read_UnavailableWithoutRetryAfterIsRetry) {
  FaultConfig f;
  f.fail_next = 1;
  sim_.server().SetFaults(f);
  Reply r = ReadPupils();
  EXPECT_EQ(r.status, 1) << r.text;
  EXPECT_NE(r.text.find("503"), std::string::npos) << r.text;
}

TEST_F(MisApiFaults, Read_TimeoutIsRetry) {
  FaultConfig f;
  f.latency_ms = 2500;
  sim_.server().SetFaults(f);
  Reply r = ReadPupils({{"timeout_seconds", 1}});
  EXPECT_EQ(r.status, 1) << r.text;
  EXPECT_NE(r.text.find("timed out"), std::string::npos) << r.text;
}

TEST_F(MisApiFaults, Read_ConnectionDroppedBeforeAnAnswerIsSentAgain) {
  FaultConfig f;
  f.drop_next = 1;
  sim_.server().SetFaults(f);
  Reply r = ReadPupils();
  EXPECT_EQ(r.status, 0) << r.text;
  EXPECT_EQ(r.body["records"].size(), 3u);
  EXPECT_EQ(sim_.server().stats().dropped_before, 1u);
}

TEST_F(MisApiFaults, Read_WrongTokenIsFatalAndTellsTheAdminToCheckIt) {
  Reply r = ReadPupils({{"token", "an-old-token"}});
  EXPECT_EQ(r.status, 2) << r.text;
  EXPECT_NE(r.text.find("401"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("check the token"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("an-old-token"), std::string::npos) << r.text;
}

TEST_F(MisApiFaults, Read_UnapprovedSchoolIsFatalAndTellsTheAdminToCheckApproval) {
  sim_.SetApproved(false);
  Reply r = ReadPupils();
  EXPECT_EQ(r.status, 2) << r.text;
  EXPECT_NE(r.text.find("403"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("approved"), std::string::npos) << r.text;
}

TEST_F(MisApiFaults, Check_ConnectionRefusedIsRetry) {
  json config = AdapterConfig(sim_);
  sim_.Stop();
  auto c = Open(config);
  ASSERT_NE(c, nullptr);
  Reply r = Call(*c, "check", json::object());
  EXPECT_EQ(r.status, 1) << r.text;
  EXPECT_NE(r.text.find("refused"), std::string::npos) << r.text;
}

class MisApiTls : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim_.Start(0, TEST_CERT, TEST_KEY).ok());
    ASSERT_TRUE(sim_.LoadSchool(SchoolFixture(2)).ok());
    ASSERT_EQ(sim_.api_url().rfind("https://", 0), 0u);
  }
  MisApiSim sim_{kToken};
};

TEST_F(MisApiTls, Tls_UntrustedCertificateIsRefusedByDefault) {
  auto c = Open(AdapterConfig(sim_));
  ASSERT_NE(c, nullptr);
  Reply r = Call(*c, "check", json::object());
  EXPECT_EQ(r.status, 2) << r.text;
  EXPECT_NE(r.text.find("certificate"), std::string::npos) << r.text;
  EXPECT_EQ(sim_.server().stats().handled, 0u) << "a request reached an unverified server";
}

TEST_F(MisApiTls, Tls_ConfiguredCaFileIsTrusted) {
  auto c = Open(AdapterConfig(sim_, {{"ca_file", TEST_CERT}}));
  ASSERT_NE(c, nullptr);
  Pull p = ReadAll(*c, "pupil", "");
  EXPECT_EQ(p.records.size(), 2u);
}

TEST_F(MisApiTls, Tls_VerificationTurnedOffConnectsToAnUntrustedServer) {
  auto c = Open(AdapterConfig(sim_, {{"verify_tls", false}}));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Call(*c, "check", json::object()).status, 0);
}
