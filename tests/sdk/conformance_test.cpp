// The example adapter passes the SDK conformance kit, loaded in-process (the kit's own loader) and
// through the host's worker process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "plugins/plugins.h"
#include "sendsync/testkit/conformance.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

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

json JsonlConfig() {
  static int n = 0;
  fs::path dir = fs::temp_directory_path() /
                 ("sendsync-kit-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream f(dir / "pupil.jsonl");
  for (int i = 0; i < 120; ++i)
    f << json{{"kind", "pupil"},
              {"id", "P" + std::to_string(i)},
              {"upn", "B801200005001"},
              {"legal_surname", "S"},
              {"legal_forename", "F"},
              {"dob", "2014-03-02"},
              {"sex", "F"}}
             .dump()
      << "\n";
  return {{"folder", dir.string()}};
}

int AppliedCount(const json& config, const std::string& key) {
  std::ifstream in(fs::path(config["folder"].get<std::string>()) / "out" / "sen.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += json::parse(line).value("key", "") == key;
  return n;
}

sendsync::testkit::Target JsonlTarget(const std::string& name, sendsync::testkit::Opener opener) {
  sendsync::testkit::Target t;
  t.name = name;
  t.plugin_path = std::string(BUNDLED_PLUGIN_DIR) + "/jsonl-folder.so";
  t.good_config = JsonlConfig;
  t.bad_config = {{"folder", "/nonexistent/sendsync-kit"}};
  t.bad_config_mentions = "folder";
  t.read_kind = "pupil";
  t.future_cursor = [](const std::string& last) {  // "v2:<fp>:<offset>:...": a million bytes on
    const size_t a = last.find(':', 3), b = last.find(':', a + 1);
    return last.substr(0, a + 1) +
           std::to_string(std::stoull(last.substr(a + 1, b - a - 1)) + 1000000) + last.substr(b);
  };
  t.write_kind = "sen";
  t.write_record = {{"kind", "sen"},
                    {"pupil", {{"upn", "B801200005001"}}},
                    {"provision", "K"},
                    {"needs", {{{"type", "SLCN"}, {"rank", 1}}}}};
  t.applied_count = AppliedCount;
  t.opener = std::move(opener);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  sendsync::testkit::RegisterConformanceTests(
      JsonlTarget("JsonlFolderInProcess", sendsync::testkit::OpenInProcess));
  sendsync::testkit::RegisterConformanceTests(JsonlTarget("JsonlFolderWorker", OpenWorker));
  return RUN_ALL_TESTS();
}
