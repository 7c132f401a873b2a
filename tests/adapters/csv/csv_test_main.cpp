// The csv adapter passes the SDK conformance kit, loaded in-process and through the host's worker
// process (as tests/sdk/conformance_test.cpp runs it for jsonl-folder); the unit tests in this
// binary's other files run alongside.
#include <gtest/gtest.h>

#include "csv_test_util.h"
#include "plugins/plugins.h"
#include "sendsync/testkit/conformance.h"
#include "source_reader.h"

namespace {

using namespace csvtest;

// Runs the kit through sendsync-adapter-host, as the host runs adapters by default.
class WorkerCaller : public sendsync::testkit::Caller {
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

std::unique_ptr<sendsync::testkit::Caller> OpenWorker(const std::string& path,
                                                      const std::string& config,
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

// A UPN with a correct check letter (send-reference §3) for LA 801, school 2000, year 23.
std::string Upn(int serial) {
  static const char* kLetters = "ABCDEFGHJKLMNPQRTUVWXYZ";
  char digits[16];
  std::snprintf(digits, sizeof digits, "801200023%03d", serial);
  int sum = 0;
  for (int i = 0; i < 12; ++i) sum += (digits[i] - '0') * (i + 2);
  return std::string(1, kLetters[sum % 23]) + digits;
}

json RollSource(const std::string& path) {
  return {{"name", "roll"},
          {"kind", {"pupil", "sen"}},
          {"path", path},
          {"columns",
           {{"pupil_id", "Adno"},
            {"upn", "UPN"},
            {"legal_surname", "Legal Surname"},
            {"legal_forename", "Legal Forename"},
            {"dob", "DOB"},
            {"sex", "Gender"},
            {"provision", "SEN Status"},
            {"need1", "Primary Need"},
            {"need2", "Secondary Need"}}}};
}

std::vector<std::unique_ptr<TempDir>>& KitDirs() {
  static std::vector<std::unique_ptr<TempDir>> dirs;
  return dirs;
}

// A roll export of 120 pupils (so the kit's 50-record pages are exercised) and an out folder.
json KitConfig() {
  KitDirs().push_back(std::make_unique<TempDir>());
  const TempDir& dir = *KitDirs().back();
  std::string text =
      "\xEF\xBB\xBF"
      "Adno,UPN,Legal Surname,Legal Forename,DOB,Gender,SEN Status,Primary Need,"
      "Secondary Need\r\n";
  for (int i = 1; i <= 120; ++i)
    text += std::to_string(100000 + i) + "," + Upn(i) + ",Surname" + std::to_string(i) +
            ",Forename,02/03/2014," + (i % 2 ? "F" : "M") + "," +
            (i % 3 ? "SEN Support" : "No Special Educational Need") + "," +
            (i % 3 ? "\"Speech, Language and Communication Needs\"" : "") + ",\r\n";
  WriteFile(dir / "exports/roll.csv", text);
  json source = RollSource(dir / "exports/roll.csv");
  source["write"] = {{"out_folder", dir / "out"}};
  return {{"sources", {source}}};
}

// Data rows written for `upn` across all import files: the effect of a write, not its answer.
int AppliedCount(const json& config, const std::string&) {
  int n = 0;
  for (const std::string& f :
       FilesIn(config["sources"][0]["write"]["out_folder"].get<std::string>(), ".csv")) {
    std::string text = ReadFile(f);
    for (size_t at = text.find("B801200005001"); at != std::string::npos;
         at = text.find("B801200005001", at + 1))
      ++n;
  }
  return n;
}

sendsync::testkit::Target CsvTarget(const std::string& name, sendsync::testkit::Opener opener) {
  sendsync::testkit::Target t;
  t.name = name;
  t.plugin_path = std::string(BUNDLED_PLUGIN_DIR) + "/csv.so";
  t.good_config = KitConfig;
  json bad = RollSource("/srv/exports/roll.csv");
  bad["columns"]["need3"] = "Third Need";
  t.bad_config = {{"sources", {bad}}};
  t.bad_config_mentions = "sources[0].columns.need3";
  t.read_kind = "pupil";
  t.future_cursor = [](const std::string& last) {
    auto parts = sendsync::csv::ParseCursor(last);
    if (!parts.ok()) return last;
    for (auto& p : *parts) {
      p.row += 1000000;
      p.offset += 1000000000;
    }
    return sendsync::csv::FormatCursor(*parts);
  };
  t.write_kind = "sen";
  t.write_record = {{"kind", "sen"},
                    {"pupil", {{"id", "100001"}, {"upn", "B801200005001"}}},
                    {"provision", "K"},
                    {"needs", {{{"type", "SLCN"}, {"rank", 1}}}}};
  t.applied_count = AppliedCount;
  t.opener = std::move(opener);
  return t;
}

TEST(CsvKitHelpers, UpnCheckLetterMatchesTheReferenceExample) {
  // B801200005001 is the reference's valid example; ours share the algorithm.
  int sum = 0;
  const std::string d = "801200005001";
  for (int i = 0; i < 12; ++i) sum += (d[i] - '0') * (i + 2);
  EXPECT_EQ("ABCDEFGHJKLMNPQRTUVWXYZ"[sum % 23], 'B');
  EXPECT_EQ(Upn(2), "N801200023002");
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  sendsync::testkit::RegisterConformanceTests(
      CsvTarget("CsvInProcess", sendsync::testkit::OpenInProcess));
  sendsync::testkit::RegisterConformanceTests(CsvTarget("CsvWorker", OpenWorker));
  int rc = RUN_ALL_TESTS();
  KitDirs().clear();
  return rc;
}
