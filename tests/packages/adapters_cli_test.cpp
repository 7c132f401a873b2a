// `sendsync adapters …` on a real store: links pin installed versions, an upgrade whose link test
// fails leaves the link where it was, rollback, removal refused while a link uses a version, and
// every step in the audit log.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/cli/commands.h"
#include "core/store/store.h"

namespace sendsync::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Ran {
  int code = -1;
  std::string out, err;
};

class AdaptersCli : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sendsync-adapters-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    db_ = "sqlite:" + (root_ / "hub.db").string();
    ::setenv("SENDSYNC_DB", db_.c_str(), 1);
    ::setenv("SENDSYNC_ADAPTERS", (root_ / "adapters").c_str(), 1);
    ::setenv("SENDSYNC_TRUSTED_KEYS", (root_ / "trusted").c_str(), 1);
    ::setenv("SENDSYNC_PLUGINS", BUNDLED_PLUGIN_DIR, 1);
    ::setenv("SENDSYNC_ADAPTER_HOST", WORKER_PATH, 1);
    ::unsetenv("SENDSYNC_CONFIG");
    RegisterAll(registry_);
    ASSERT_EQ(Run({"init"}).code, 0);
    ASSERT_EQ(Run({"adapters", "keygen", "--out", (root_ / "vendor").string()}).code, 0);
    fs::create_directories(root_ / "trusted");
    fs::copy_file(root_ / "vendor" / "vendor.pub", root_ / "trusted" / "vendor.pub");
    fs::create_directories(root_ / "data");
    std::ofstream(root_ / "link.json") << json{{"folder", (root_ / "data").string()}}.dump();
  }
  void TearDown() override {
    std::error_code ec;
    if (!HasFailure()) fs::remove_all(root_, ec);
  }

  Ran Run(std::vector<std::string> args) {
    args.insert(args.begin(), "sendsync");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::ostringstream out, err;
    Ran r;
    r.code = Main(registry_, int(argv.size()), argv.data(), out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
  }
  json RunJson(std::vector<std::string> args) {
    args.push_back("--json");
    Ran r = Run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  // Packs and installs the fixture adapter of `version`.
  void Install(const std::string& version) {
    fs::path src = root_ / ("src-" + version);
    fs::create_directories(src);
    fs::copy_file(fs::path(PKG_FIXTURE_DIR) / version / "pkg-fixture.so", src / "pkg-fixture.so");
    std::ofstream(src / "README.md") << "# Package test adapter " << version << "\n";
    fs::path pkg = root_ / ("pkg-fixture-" + version + ".tar");
    Ran p = Run({"adapters", "pack", src.string(), "--key",
                 (root_ / "vendor" / "vendor.key").string(), "--out", pkg.string()});
    ASSERT_EQ(p.code, 0) << p.err;
    Ran i = Run({"adapters", "install", pkg.string()});
    ASSERT_EQ(i.code, 0) << i.err;
  }
  std::string PinOf(const std::string& link) {
    json j = RunJson({"link", "show", link});
    return j["adapter_version"].is_null() ? "" : j["adapter_version"].get<std::string>();
  }
  std::vector<std::string> AuditActions() {
    auto s = store::Store::Open(db_, store::OpenMode::kMustExist);
    EXPECT_TRUE(s.ok());
    auto c = (*s)->Connect();
    auto rows = (*c)->Query("SELECT action FROM audit WHERE action LIKE 'adapter.%' ORDER BY seq");
    std::vector<std::string> out;
    for (const auto& r : *rows) out.push_back(store::AsText(r[0]));
    return out;
  }
  void AddLink(const std::string& name, const std::string& adapter) {
    Ran r = Run({"link", "add", "--name", name, "--school", "100001", "--adapter", adapter,
                 "--config", (root_ / "link.json").string()});
    ASSERT_EQ(r.code, 0) << r.err;
  }

  Registry registry_;
  fs::path root_;
  std::string db_;
};

TEST_F(AdaptersCli, LinkPinsAVersionAndListShowsWhoUsesIt) {
  Install("1.0.0");
  Install("2.0.0");
  AddLink("pinned", "pkg-fixture@1.0.0");
  AddLink("follower", "pkg-fixture");
  EXPECT_EQ(PinOf("pinned"), "1.0.0");
  EXPECT_EQ(PinOf("follower"), "");
  json list = RunJson({"adapters", "list"});
  std::map<std::string, json> by_version;
  for (const auto& a : list["adapters"])
    if (a["id"] == "pkg-fixture") by_version[a["version"].get<std::string>()] = a["links"];
  EXPECT_EQ(by_version["1.0.0"], json({"pinned"}));
  EXPECT_EQ(by_version["2.0.0"], json({"follower"}));  // the newest installed
  EXPECT_EQ(Run({"link", "test", "pinned"}).code, 0);
}

TEST_F(AdaptersCli, SyncRunsTheVersionTheLinkIsPinnedTo) {
  Install("1.0.0");
  Install("3.0.0");  // reads fail, naming the version
  AddLink("old", "pkg-fixture@1.0.0");
  AddLink("new", "pkg-fixture@3.0.0");
  Ran old_run = Run({"sync", "--link", "old"});
  EXPECT_EQ(old_run.code, 0) << old_run.out << old_run.err;
  Ran new_run = Run({"sync", "--link", "new"});
  EXPECT_EQ(new_run.code, 1) << new_run.out << new_run.err;
  EXPECT_NE((new_run.out + new_run.err).find("version 3.0.0 cannot reach the system"),
            std::string::npos)
      << new_run.out << new_run.err;
}

TEST_F(AdaptersCli, LinkAddRefusesAVersionThatIsNotInstalled) {
  Install("1.0.0");
  Ran r = Run({"link", "add", "--name", "x", "--school", "100001", "--adapter", "pkg-fixture@9.9.9",
               "--config", (root_ / "link.json").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("pkg-fixture@9.9.9 is not installed"), std::string::npos) << r.err;
}

TEST_F(AdaptersCli, UpgradeWhoseLinkTestFailsLeavesTheLinkOnItsVersion) {
  Install("1.0.0");
  Install("3.0.0");  // its check always fails
  AddLink("school-a", "pkg-fixture@1.0.0");
  Ran r = Run({"adapters", "upgrade", "pkg-fixture", "--link", "school-a"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("stays on 1.0.0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cannot reach the system"), std::string::npos) << r.out;
  EXPECT_EQ(PinOf("school-a"), "1.0.0");
  EXPECT_EQ(AuditActions().back(), "adapter.upgrade_rolled_back");
}

TEST_F(AdaptersCli, UpgradeBySchoolThenRollbackAreAudited) {
  Install("1.0.0");
  Install("2.0.0");
  AddLink("school-a", "pkg-fixture@1.0.0");
  Ran up = Run({"adapters", "upgrade", "pkg-fixture", "--school", "100001"});
  ASSERT_EQ(up.code, 0) << up.out << up.err;
  EXPECT_EQ(PinOf("school-a"), "2.0.0");
  Ran back = Run({"adapters", "rollback", "--link", "school-a"});
  ASSERT_EQ(back.code, 0) << back.err;
  EXPECT_EQ(PinOf("school-a"), "1.0.0");
  EXPECT_EQ(AuditActions(), (std::vector<std::string>{"adapter.install", "adapter.install",
                                                      "adapter.upgrade", "adapter.rollback"}));
}

TEST_F(AdaptersCli, RemoveIsRefusedWhileALinkUsesTheVersion) {
  Install("1.0.0");
  Install("2.0.0");
  AddLink("school-a", "pkg-fixture@1.0.0");
  Ran refused = Run({"adapters", "remove", "pkg-fixture@1.0.0"});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("used by link(s) school-a"), std::string::npos) << refused.err;
  EXPECT_TRUE(fs::exists(root_ / "adapters" / "pkg-fixture" / "1.0.0"));
  Ran removed = Run({"adapters", "remove", "pkg-fixture@2.0.0"});
  ASSERT_EQ(removed.code, 0) << removed.err;
  EXPECT_FALSE(fs::exists(root_ / "adapters" / "pkg-fixture" / "2.0.0"));
  EXPECT_EQ(AuditActions().back(), "adapter.remove");
}

TEST_F(AdaptersCli, RefusedAndUnsignedInstallsAreAudited) {
  fs::path src = root_ / "src";
  fs::create_directories(src);
  fs::copy_file(fs::path(PKG_FIXTURE_DIR) / "1.0.0" / "pkg-fixture.so", src / "pkg-fixture.so");
  std::ofstream(src / "ADMIN.md") << "# guide\n";
  ASSERT_EQ(
      Run({"adapters", "pack", src.string(), "--unsigned", "--out", (root_ / "u.tar").string()})
          .code,
      0);
  Ran refused = Run({"adapters", "install", (root_ / "u.tar").string()});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("--allow-unsigned"), std::string::npos) << refused.err;
  Ran allowed = Run({"adapters", "install", (root_ / "u.tar").string(), "--allow-unsigned"});
  ASSERT_EQ(allowed.code, 0) << allowed.err;
  EXPECT_EQ(AuditActions(),
            (std::vector<std::string>{"adapter.install_refused", "adapter.install_unsigned"}));
}

}  // namespace
}  // namespace sendsync::cli
