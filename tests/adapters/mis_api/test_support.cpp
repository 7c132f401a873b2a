#include "test_support.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "plugins/plugins.h"
#include "write_validation.h"

namespace mis_test {

namespace {

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

}  // namespace

std::string StudentId(int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "STU-%04d", n);
  return buf;
}

std::string FixtureUpn(int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "80120002%04d", n % 10000);  // LA 801, estab 2000, year 2x, serial
  return sendsync::sims::mis_api::WithCheckLetter(buf);
}

json SchoolFixture(int students) {
  json list = json::array();
  for (int n = 1; n <= students; ++n) {
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "2025-01-%02dT%02d:00:00.000Z", 10 + (8 + n) / 24,
                  (8 + n) % 24);
    json s = {{"id", StudentId(n)},
              {"upn", FixtureUpn(n)},
              {"legal_surname", "Surname" + std::to_string(n)},
              {"legal_forename", "Forename" + std::to_string(n)},
              {"date_of_birth", "2014-03-02"},
              {"gender", n % 2 ? "F" : "M"},
              {"year_group", "5"},
              {"updated_at", stamp}};
    if (n % 2) {
      s["sen_status"] = {
          {"code", "K"}, {"description", "SEN support"}, {"start_date", "2023-09-04"}};
      s["sen_needs"] = json::array({{{"type", "SLCN"}, {"rank", 1}}});
      s["sen_reviews"] = json::array({{{"id", "REV-" + std::to_string(n)},
                                       {"date", "2025-01-06"},
                                       {"kind", "sen_support"},
                                       {"parents_met", true},
                                       {"outcome", "continue"},
                                       {"next_review_date", "2025-04-01"}}});
    } else {
      s["sen_status"] = {{"code", "N"}, {"start_date", "2019-09-04"}};
      s["sen_needs"] = json::array();
    }
    list.push_back(std::move(s));
  }
  return {{"school",
           {{"id", "SCH-0001"},
            {"name", "Test Primary"},
            {"urn", "100001"},
            {"la_code", "801"},
            {"establishment_number", "2000"}}},
          {"students", std::move(list)}};
}

json AdapterConfig(MisApiSim& sim, const json& overrides) {
  json c = {{"base_url", sim.api_url()}, {"school_id", "SCH-0001"}, {"token", kToken}};
  c.update(overrides);
  return c;
}

std::string PluginPath() {
  return std::string(BUNDLED_PLUGIN_DIR) + "/mis-api.so";
}

std::unique_ptr<Caller> Open(const json& config) {
  std::string error;
  auto c = sendsync::testkit::OpenInProcess(PluginPath(), config.dump(), &error);
  EXPECT_NE(c, nullptr) << "the adapter refused its configuration: " << error;
  return c;
}

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

std::unique_ptr<sendsync::plugins::Instance> OpenInstance(const json& config,
                                                          sendsync::plugins::Mode mode) {
  sendsync::plugins::RuntimeOptions o;
  o.mode = mode;
  o.worker_path = WORKER_PATH;
  auto info = sendsync::plugins::Inspect(PluginPath(), o);
  EXPECT_TRUE(info.ok) << info.reason;
  if (!info.ok) return nullptr;
  auto inst = sendsync::plugins::Open(info, config.dump(), o);
  EXPECT_TRUE(inst.ok()) << inst.status().ToString();
  return inst.ok() ? std::move(*inst) : nullptr;
}

Reply Call(Caller& c, const std::string& method, const json& request) {
  Caller::Reply r = c.Call(method, request.dump());
  Reply out;
  out.status = r.status;
  out.text = r.body;
  out.body = json::parse(r.body, nullptr, false);
  return out;
}

Pull ReadAll(Caller& c, const std::string& kind, const std::string& cursor, size_t limit) {
  Pull p;
  p.cursor = cursor;
  for (int i = 0; i < 1000; ++i) {
    Reply r = Call(c, "read", {{"kind", kind}, {"cursor", p.cursor}, {"limit", limit}});
    ++p.calls;
    EXPECT_EQ(r.status, 0) << "read failed: " << r.text;
    if (r.status != 0) break;
    size_t n = r.body["records"].size() + r.body["deletions"].size() +
               r.body.value("rejects", json::array()).size();
    p.largest_call = std::max(p.largest_call, n);
    for (const json& x : r.body["records"]) p.records.push_back(x);
    for (const json& x : r.body["deletions"]) p.deletions.push_back(x);
    for (const json& x : r.body.value("rejects", json::array())) p.rejects.push_back(x);
    p.cursor = r.body["next_cursor"];
    if (!r.body["more"].get<bool>()) break;
  }
  return p;
}

std::map<std::string, json> ByPupil(const json& records) {
  std::map<std::string, json> out;
  for (const json& r : records) {
    std::string id =
        r.value("kind", "") == "pupil" ? r.value("id", "") : r["pupil"].value("id", "");
    out[id] = r;
  }
  return out;
}

}  // namespace mis_test
