// `sendsync adapters test FILE`: the SDK's conformance kit (sdk/testkit) against a built adapter,
// through the worker process, as the host will run it (or in this process with --in-process). The
// adapter's author names a working configuration and, optionally, what to read and write.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <Poco/Util/OptionSet.h>
#include <nlohmann/json.hpp>

#include "core/cli/commands.h"
#include "core/cli/context.h"
#include "plugins/plugins.h"
#include "sendsync/testkit/conformance.h"

namespace sendsync::cli {
namespace {

using nlohmann::json;

class WorkerCaller : public testkit::Caller {
 public:
  explicit WorkerCaller(std::unique_ptr<plugins::Instance> inst) : inst_(std::move(inst)) {}
  Reply Call(const std::string& method, const std::string& request) override {
    auto r = inst_->Call(method, request);
    return {static_cast<int>(r.status), r.body};
  }

 private:
  std::unique_ptr<plugins::Instance> inst_;
};

// Reads FILE as JSON; `what` names the option in the error.
Result<json> ReadJson(const std::string& path, const std::string& what) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument(what + ": " + path + " is not valid JSON");
  return j;
}

int AdaptersTest(const Invocation& inv) {
  const std::string file = inv.args[0];
  plugins::RuntimeOptions runtime;
  if (inv.Has("in-process")) runtime.mode = plugins::Mode::kInProcess;
  const plugins::PluginInfo info = plugins::Inspect(file, runtime);
  if (!info.ok) return inv.Fail(file + ": refused: " + info.reason);

  auto good = ReadJson(inv.Get("config"), "--config");
  if (!good.ok()) return inv.Fail(good.status().message());
  testkit::Target t;
  t.name = "Adapter";
  t.plugin_path = file;
  t.good_config = [config = *good] { return config; };
  t.bad_config = json::object();
  if (inv.Has("bad-config")) {
    auto bad = ReadJson(inv.Get("bad-config"), "--bad-config");
    if (!bad.ok()) return inv.Fail(bad.status().message());
    t.bad_config = *bad;
  }
  t.bad_config_mentions = inv.Get("bad-config-mentions");
  t.read_kind = inv.Get("read-kind");
  if (t.read_kind.empty()) {
    if (info.manifest.reads.empty())
      return inv.Fail("the adapter reads nothing; the kit's read tests need --read-kind");
    t.read_kind = info.manifest.reads.front();
  }
  // Without a cursor from the future, the last cursor of a full read: reading from it again must
  // return nothing either.
  if (inv.Has("future-cursor"))
    t.future_cursor = [c = inv.Get("future-cursor")](const std::string&) { return c; };
  else
    t.future_cursor = [](const std::string& last) { return last; };
  if (inv.Has("write-record")) {
    auto rec = ReadJson(inv.Get("write-record"), "--write-record");
    if (!rec.ok()) return inv.Fail(rec.status().message());
    if (!rec->is_object() || !(*rec)["kind"].is_string())
      return inv.Fail("--write-record: " + inv.Get("write-record") +
                      " must be one canonical record with a \"kind\"");
    t.write_kind = (*rec)["kind"].get<std::string>();
    t.write_record = *rec;
  }
  if (runtime.mode == plugins::Mode::kWorker) {
    t.opener = [runtime](const std::string& path, const std::string& config,
                         std::string* error) -> std::unique_ptr<testkit::Caller> {
      auto pinfo = plugins::Inspect(path, runtime);
      if (!pinfo.ok) {
        *error = pinfo.reason;
        return nullptr;
      }
      auto inst = plugins::Open(pinfo, config, runtime);
      if (!inst.ok()) {
        *error = inst.status().message();
        return nullptr;
      }
      return std::make_unique<WorkerCaller>(std::move(*inst));
    };
  }

  *inv.out << "conformance kit against " << info.manifest.id << " " << info.manifest.version << " ("
           << file << "), " << plugins::ModeName(runtime.mode) << "\n";
  inv.out->flush();
  std::vector<std::string> arg_text = {"sendsync-adapters-test", "--gtest_color=no"};
  if (!inv.Has("verbose")) arg_text.push_back("--gtest_brief=1");
  std::vector<char*> argv;
  for (auto& a : arg_text) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  argv.push_back(nullptr);  // argv[argc]: GoogleTest moves the terminator when it removes its flags
  testing::InitGoogleTest(&argc, argv.data());
  testkit::RegisterConformanceTests(t);
  return RUN_ALL_TESTS() == 0 ? kExitOk : kExitFailed;
}

}  // namespace

void RegisterAdaptersTestCommand(Registry& reg) {
  reg.Add(
      {"adapters test", "run the SDK's conformance kit against a built adapter, in a worker",
       "FILE",
       "Runs the kit's tests (manifest; bad configuration refused with a clear error; read from "
       "the start pages to the end; a cursor from the future reads nothing; reads repeat; writes "
       "are idempotent per key) against the adapter library FILE, opened with --config in a "
       "worker process as the service runs it. Point --config at a test system or fixture: the "
       "write test writes --write-record there twice. Without --future-cursor the last cursor "
       "of a full read stands in for one; without --write-record the write test is skipped. "
       "Exit 0 when every test passes.",
       1, 1,
       [](Poco::Util::OptionSet& set) {
         AddValueOption(set, "config", "FILE", "a working configuration for the adapter (JSON)");
         AddValueOption(set, "bad-config", "FILE",
                        "a configuration the adapter must refuse (default: {})");
         AddValueOption(set, "bad-config-mentions", "TEXT",
                        "text the refusal must contain, e.g. the config key");
         AddValueOption(set, "read-kind", "KIND",
                        "a record kind the configured system holds some of (default: the "
                        "manifest's first reads kind)");
         AddValueOption(set, "future-cursor", "CURSOR",
                        "a cursor later than anything the system holds (default: the last cursor "
                        "of a full read)");
         AddValueOption(set, "write-record", "FILE",
                        "a canonical record (JSON) the adapter accepts, for the write test");
         AddFlag(set, "in-process", "load the adapter into this process instead of a worker");
         AddFlag(set, "verbose", "print every test, not only failures");
       },
       [](const Invocation& inv) {
         if (!inv.Has("config")) return inv.Fail("--config FILE is required", kExitUsage);
         return AdaptersTest(inv);
       }});
}

}  // namespace sendsync::cli
