// Shared helpers of the mis-api adapter tests: a school fixture for the simulator, opening the
// adapter (in-process, or through the worker as the host does by default), and reading a kind to
// the end of a pull.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "mis_api_sim.h"
#include "plugins/plugins.h"
#include "sendsync/testkit/conformance.h"

namespace mis_test {

using nlohmann::json;
using sendsync::sims::mis_api::MisApiSim;
using sendsync::testkit::Caller;

// The token the simulator accepts. Distinctive, so a test can look for it in any output.
inline constexpr char kToken[] = "tok-9f2c7e51-SECRET-do-not-print";

// A school of `students` students STU-0001.. with updated_at an hour apart from
// 2025-01-10T08:00Z: odd ones on SEN support (K, need SLCN rank 1, one review), even ones N.
json SchoolFixture(int students);
// The UPN the fixture gives student number n (1-based).
std::string FixtureUpn(int n);
// "STU-0007" for 7.
std::string StudentId(int n);

// A configuration for the adapter against `sim`, with `overrides` merged in.
json AdapterConfig(MisApiSim& sim, const json& overrides = json::object());
std::string PluginPath();

// Opens the adapter in this process; fails the test (and returns null) when it refuses.
std::unique_ptr<Caller> Open(const json& config);
// Opens the adapter through sendsync-adapter-host, as the host does by default.
std::unique_ptr<Caller> OpenWorker(const std::string& path, const std::string& config,
                                   std::string* error);

// Opens the adapter through the host's plugin runtime in `mode`, for tests that need Cancel().
std::unique_ptr<sendsync::plugins::Instance> OpenInstance(const json& config,
                                                          sendsync::plugins::Mode mode);

struct Reply {
  int status = 2;  // 0 ok, 1 retry, 2 fatal
  json body;
  std::string text;
};
Reply Call(Caller& c, const std::string& method, const json& request);

// Everything one pull returned, across as many read calls as it took.
struct Pull {
  json records = json::array();
  json deletions = json::array();
  json rejects = json::array();
  std::string cursor;
  int calls = 0;
  size_t largest_call = 0;  // most records + rejects + deletions one call returned
};
// Reads `kind` from `cursor` until more is false. Fails the test if a call does not succeed.
Pull ReadAll(Caller& c, const std::string& kind, const std::string& cursor, size_t limit = 50);

// The records of a pull by pupil id (sen and pupil kinds), later ones winning.
std::map<std::string, json> ByPupil(const json& records);

}  // namespace mis_test
