// The adapter conformance kit: GoogleTest tests any adapter can run against itself.
//
//   #include <sendsync/testkit/conformance.h>
//   int main(int argc, char** argv) {
//     testing::InitGoogleTest(&argc, argv);
//     sendsync::testkit::Target t;
//     t.name = "MyAdapter";
//     t.plugin_path = "build/my-adapter.so";
//     t.good_config = [] { return nlohmann::json{{"folder", MakeFixtureFolder()}}; };
//     t.bad_config = nlohmann::json{{"folder", ""}};
//     t.bad_config_mentions = "folder";
//     t.read_kind = "pupil";
//     t.future_cursor = [](const std::string& last) { return MyCursorPlusOneYear(last); };
//     t.write_kind = "sen";
//     t.write_record = ...;  // a canonical record your adapter accepts
//     sendsync::testkit::RegisterConformanceTests(t);
//     return RUN_ALL_TESTS();
//   }
//
// It checks: the manifest is valid; bad configuration is refused with a clear error; read with an
// empty cursor works and pages to the end; read with a cursor from the future returns nothing;
// read is repeatable; write is idempotent per key.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace sendsync::testkit {

// One opened adapter instance, however it is run.
class Caller {
 public:
  virtual ~Caller() = default;
  struct Reply {
    int status = 2;    // 0 ok, 1 retry, 2 fatal (as sendsync_status)
    std::string body;  // JSON text
  };
  virtual Reply Call(const std::string& method, const std::string& request_json) = 0;
};

// Opens an instance of the plugin at `path` with `config_json`. On failure returns nullptr and puts
// the adapter's error message in *error.
using Opener = std::function<std::unique_ptr<Caller>(
    const std::string& path, const std::string& config_json, std::string* error)>;

// Opens instances by loading the library into this process with Boost.DLL (the default opener).
std::unique_ptr<Caller> OpenInProcess(const std::string& path, const std::string& config_json,
                                      std::string* error);
// The manifest text of the plugin at `path`, read in this process ("" if it cannot be loaded).
std::string ReadManifest(const std::string& path);

struct Target {
  std::string name;         // used in test names: <name>/Conformance.<Test>
  std::string plugin_path;  // the adapter's .so
  // Returns a working configuration; may prepare fixture data first. Called once per test.
  std::function<nlohmann::json()> good_config;
  nlohmann::json bad_config;        // a configuration the adapter must refuse
  std::string bad_config_mentions;  // text the refusal must contain (e.g. the config key)
  std::string read_kind;            // a kind the adapter reads; fixture data must hold some
  // A cursor later than anything the adapter has, derived from the last cursor of a full read.
  // Empty: the future-cursor test is skipped.
  std::function<std::string(const std::string& last_cursor)> future_cursor;
  std::string write_kind;        // empty: the adapter writes nothing and the write test is skipped
  nlohmann::json write_record;   // a record of write_kind the adapter accepts
  // Optional: how many times the target system applied `key` (checks the effect, not only the
  // answer, of a repeated write).
  std::function<int(const nlohmann::json& config, const std::string& key)> applied_count;
  Opener opener = OpenInProcess;
};

// Registers the kit's tests for `target` with GoogleTest. Call before RUN_ALL_TESTS.
void RegisterConformanceTests(const Target& target);

}  // namespace sendsync::testkit
