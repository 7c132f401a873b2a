// Shared set-up for the sync engine's tests: a fresh store, a plugin folder holding the
// jsonl-folder source, the counting target and the misbehaving adapter, and helpers to write source
// files and read what the target received.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/domain/domain.h"
#include "core/store/store.h"
#include "core/sync/sync.h"
#include "pg_server.h"
#include "test_upn.h"

namespace sendsync::testing_support {

namespace fs = std::filesystem;
using nlohmann::json;

inline json PupilRec(const std::string& id, int n, const std::string& surname = "Smith",
                     const std::string& dob = "2014-03-02") {
  return {{"kind", "pupil"},
          {"id", id},
          {"upn", Upn(n)},
          {"legal_surname", surname},
          {"legal_forename", "Sam"},
          {"dob", dob},
          {"sex", "F"},
          {"nc_year", "6"},
          {"school_urn", "100000"},
          {"preferred_forename", "Sammy"}};
}

inline json SenRec(const std::string& pupil_id, int n, const std::string& provision,
                   const std::string& need = "SLCN") {
  json r = {{"kind", "sen"},
            {"pupil", {{"id", pupil_id}, {"upn", Upn(n)}}},
            {"provision", provision},
            {"provision_start", "2025-09-04"}};
  r["needs"] = provision == "N" ? json::array() : json::array({{{"type", need}, {"rank", 1}}});
  return r;
}

class SyncTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(FreshSqliteUrl()); }

  void Open(const std::string& url) {
    url_ = url;
    dir_ = fs::temp_directory_path() /
           ("sendsync-sync-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "source");
    fs::create_directories(dir_ / "target");
    auto s = store::Store::Open(url, store::OpenMode::kCreate);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    options_.runtime.mode = plugins::Mode::kInProcess;
    options_.runtime.worker_path = WORKER_PATH;
    options_.runtime.call_timeout = std::chrono::milliseconds(3000);
    options_.plugin_dir = SYNC_PLUGIN_DIR;
    options_.page_size = 50;
    options_.backoff_base_ms = 0;  // retries are due at once in tests
    options_.backoff_max_ms = 0;
    options_.max_attempts = 3;
    engine_ = std::make_unique<sync::Engine>(*store_, options_);
  }

  void TearDown() override {
    engine_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void Rebuild() { engine_ = std::make_unique<sync::Engine>(*store_, options_); }

  // Appends records to the jsonl-folder source's <kind>.jsonl.
  void Source(const std::vector<json>& recs, const std::string& folder = "source") {
    for (const json& r : recs) {
      std::ofstream f(dir_ / folder / (r.value("kind", "pupil") + ".jsonl"), std::ios::app);
      f << r.dump() << "\n";
    }
  }
  void SourceLine(const std::string& kind, const std::string& line,
                  const std::string& folder = "source") {
    std::ofstream f(dir_ / folder / (kind + ".jsonl"), std::ios::app);
    f << line << "\n";
  }

  int64_t AddSource(const std::string& name = "mis", json settings = nullptr,
                    const std::string& folder = "source") {
    fs::create_directories(dir_ / folder);
    sync::LinkSpec spec;
    spec.name = name;
    spec.school_urn = "100000";
    spec.adapter_id = "jsonl-folder";
    spec.config = {{"folder", (dir_ / folder).string()}};
    if (settings.is_null())
      settings = {{"kinds",
                   {{"pupil", {{"direction", "read"}, {"allow", {"*"}}}},
                    {"sen", {{"direction", "read"}}},
                    {"cycle", {{"direction", "read"}}},
                    {"provision", {{"direction", "read"}}},
                    {"review", {{"direction", "read"}}}}}};
    spec.settings = settings;
    auto id = sync::AddLink(*store_, spec, options_.runtime, SYNC_PLUGIN_DIR, "test");
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  int64_t AddTarget(const std::string& name = "target", json extra = json::object(),
                    json settings = nullptr) {
    sync::LinkSpec spec;
    spec.name = name;
    spec.school_urn = "100000";
    spec.adapter_id = "counting";
    spec.config = {{"folder", (dir_ / "target").string()}};
    spec.config.update(extra);
    if (settings.is_null())
      settings = {
          {"kinds", {{"pupil", {{"direction", "write"}}}, {"sen", {{"direction", "write"}}}}}};
    spec.settings = settings;
    auto id = sync::AddLink(*store_, spec, options_.runtime, SYNC_PLUGIN_DIR, "test");
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  sync::RunSummary Run(const std::string& link, sync::RunMode mode = sync::RunMode::kSync) {
    auto r = engine_->RunLink(link, mode);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok() && r->status == "failed") ADD_FAILURE() << "run failed: " << r->error;
    return r.ok() ? *r : sync::RunSummary{};
  }

  std::vector<json> TargetLines(const std::string& file = "applied.jsonl") {
    std::vector<json> out;
    std::ifstream in(dir_ / "target" / file);
    std::string line;
    while (std::getline(in, line)) out.push_back(json::parse(line));
    return out;
  }

  std::unique_ptr<store::Conn> Conn() {
    auto c = store_->Connect();
    EXPECT_TRUE(c.ok());
    return std::move(*c);
  }

  // The hub's current fields of the live records of a kind, keyed by pupil UPN.
  std::map<std::string, json> Hub(const std::string& kind) {
    auto c = Conn();
    std::map<std::string, json> out;
    auto rows = store::ScanRecords(*c, 0, 100000);
    std::map<int64_t, std::string> upn;
    for (const auto& r : *rows)
      if (r.kind == "pupil") upn[r.id] = r.upn;
    for (const auto& r : *rows)
      if (r.kind == kind) out[kind == "pupil" ? r.upn : upn[r.pupil_id]] = json::parse(r.body);
    return out;
  }

  std::string url_;
  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  sync::EngineOptions options_;
  std::unique_ptr<sync::Engine> engine_;
};

}  // namespace sendsync::testing_support
