// The ctf adapter passes the SDK conformance kit loaded in-process and through the host's worker
// process, as the SDK's example does; this file also holds the test binary's main().
#include <gtest/gtest.h>

#include "ctf_test_support.h"
#include "plugins/plugins.h"
#include "sendsync/testkit/conformance.h"

namespace {

using ctftest::json;
namespace fs = std::filesystem;

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

// A drop folder holding the three good fixtures (a primary, a secondary and an older CTF 24).
json KitConfig() {
  ctftest::Workspace w;
  w.Drop("good/8201234_CTF_8214567_001.xml");
  w.Drop("good/8734002_CTF_8734123_001.xml");
  w.Drop("good/8214567_CTF_8201234_003.xml");
  return w.Config();
}

// The kit writes one key into a fresh out folder: exactly one CTF file must appear, however often
// the key is repeated.
int CtfFilesWritten(const json& config, const std::string&) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(config["out_folder"].get<std::string>()))
    n += e.path().extension() == ".xml";
  return n;
}

sendsync::testkit::Target CtfTarget(const std::string& name, sendsync::testkit::Opener opener) {
  sendsync::testkit::Target t;
  t.name = name;
  t.plugin_path = ctftest::PluginPath();
  t.good_config = KitConfig;
  t.bad_config = {{"drop_folder", "/nonexistent/sendsync-ctf-kit"}};
  t.bad_config_mentions = "drop_folder";
  t.read_kind = "pupil";
  // "ctf1:<ledger>:<seq>:<pupils>": a sequence far past the ledger's last file.
  t.future_cursor = [](const std::string& last) {
    size_t a = last.find(':', 5), b = last.find(':', a + 1);
    return last.substr(0, a + 1) +
           std::to_string(std::stoll(last.substr(a + 1, b - a - 1)) + 1000) + ":0";
  };
  // The kit sends no context, so it writes a pupil (a CTF can carry identity alone); SEN writes,
  // which need the pupil in the context, are covered by ctf_write_test.cpp.
  t.write_kind = "pupil";
  t.write_record = ctftest::PupilRecord("B801200005001");
  t.applied_count = CtfFilesWritten;
  t.opener = std::move(opener);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  sendsync::testkit::RegisterConformanceTests(
      CtfTarget("CtfInProcess", sendsync::testkit::OpenInProcess));
  sendsync::testkit::RegisterConformanceTests(CtfTarget("CtfWorker", OpenWorker));
  return RUN_ALL_TESTS();
}
