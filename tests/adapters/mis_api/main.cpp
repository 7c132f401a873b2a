// mis_api_test: the mis-api adapter passes the SDK conformance kit, loaded in-process and through
// the worker, against the MIS API simulator running in this process; the behaviour tests in the
// other files of this folder are linked into the same binary.
#include <gtest/gtest.h>

#include <Poco/ThreadPool.h>

#include "test_support.h"

using namespace mis_test;

namespace {

sendsync::testkit::Target MisApiTarget(const std::string& name, MisApiSim& sim,
                                       sendsync::testkit::Opener opener) {
  sendsync::testkit::Target t;
  t.name = name;
  t.plugin_path = PluginPath();
  MisApiSim* s = &sim;
  t.good_config = [s] {
    EXPECT_TRUE(s->LoadSchool(SchoolFixture(12)).ok());
    s->server().SetFaults({});
    return AdapterConfig(*s, {{"per_page", 5}});
  };
  t.bad_config = {
      {"base_url", "http://mis.example.org/v1.0"}, {"school_id", "SCH-0001"}, {"token", kToken}};
  t.bad_config_mentions = "base_url";
  t.read_kind = "pupil";
  t.future_cursor = [](const std::string& last) {
    // The last cursor of a full pull holds only the watermark; move it far into the future.
    json c = json::parse(last);
    c["w"] = "2999-01-01T00:00:00.000Z";
    return c.dump();
  };
  t.write_kind = "sen";
  t.write_record = {{"kind", "sen"},
                    {"pupil", {{"upn", FixtureUpn(2)}}},
                    {"provision", "K"},
                    {"needs", {{{"type", "ASD"}, {"rank", 1}}}}};
  t.applied_count = [s](const json&, const std::string& key) { return s->Applications(key); };
  t.opener = std::move(opener);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  // One simulator per loading mode, so each mode's idempotency keys are its own.
  MisApiSim in_process_sim(kToken), worker_sim(kToken);
  if (!in_process_sim.Start().ok() || !worker_sim.Start().ok()) {
    std::fprintf(stderr, "mis_api_test: the simulator could not start\n");
    return 1;
  }
  sendsync::testkit::RegisterConformanceTests(
      MisApiTarget("MisApiInProcess", in_process_sim, sendsync::testkit::OpenInProcess));
  sendsync::testkit::RegisterConformanceTests(MisApiTarget("MisApiWorker", worker_sim, OpenWorker));
  int rc = RUN_ALL_TESTS();
  in_process_sim.Stop();
  worker_sim.Stop();
  // The simulators' connection threads come from Poco's default pool and would outlive main;
  // ending them lets OpenSSL free its per-thread state, which LeakSanitizer otherwise reports.
  Poco::ThreadPool::defaultPool().stopAll();
  return rc;
}
