// Signed adapter packages (core/packages/package.h): a good package installs beside other
// versions; every kind of bad package is refused with its own reason and leaves nothing behind.
#include "core/packages/package.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "sendsync/plugin_abi.h"

namespace sendsync::packages {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One tar entry as a test wants it, including the kinds a package must never hold.
struct RawEntry {
  std::string name, data;
  mode_t type = AE_IFREG;
  std::string link;  // symlink target, or the hard link's target when hardlink
  bool hardlink = false;
};

RawEntry Plain(const std::string& name, const std::string& data) {
  return {name, data, AE_IFREG, "", false};
}

void WriteRawTar(const fs::path& out, const std::vector<RawEntry>& entries) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, out.c_str()), ARCHIVE_OK);
  for (const auto& r : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, r.name.c_str());
    archive_entry_set_filetype(e, r.type);
    archive_entry_set_perm(e, 0644);
    if (r.type == AE_IFLNK) archive_entry_set_symlink(e, r.link.c_str());
    if (r.hardlink) archive_entry_set_hardlink(e, r.link.c_str());
    if (r.type == AE_IFCHR) archive_entry_set_rdev(e, makedev(1, 3));
    archive_entry_set_size(e, r.type == AE_IFREG && !r.hardlink ? la_int64_t(r.data.size()) : 0);
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    if (r.type == AE_IFREG && !r.hardlink) archive_write_data(a, r.data.data(), r.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

std::vector<RawEntry> ReadRawTar(const fs::path& in) {
  std::vector<RawEntry> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, in.c_str(), 10240), ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    RawEntry r;
    r.name = archive_entry_pathname(e);
    r.data.resize(size_t(archive_entry_size(e)));
    archive_read_data(a, r.data.data(), r.data.size());
    out.push_back(r);
  }
  archive_read_free(a);
  return out;
}

class Packages : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sendsync-pkg-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    ASSERT_TRUE(GenerateKeyPair((root_ / "vendor").string()).ok());
    fs::create_directories(root_ / "trusted");
    fs::copy_file(root_ / "vendor" / "vendor.pub", root_ / "trusted" / "acme.pub");
    opt_.adapters_dir = (root_ / "state" / "adapters").string();
    opt_.trusted_keys_dir = (root_ / "trusted").string();
    opt_.runtime.worker_path = WORKER_PATH;
  }
  void TearDown() override {
    std::error_code ec;
    if (!HasFailure()) fs::remove_all(root_, ec);
  }

  static json Fields(const std::string& version = "1.0.0") {
    return {{"id", "pkg-fixture"},
            {"version", version},
            {"abi", std::to_string(SENDSYNC_ABI_MAJOR) + "." + std::to_string(SENDSYNC_ABI_MINOR)},
            {"vendor", "sendsync tests"},
            {"architecture", HostArchitecture()},
            {"library", "pkg-fixture.so"}};
  }
  static std::vector<PackageFile> Files(const fs::path& library) {
    return {{"pkg-fixture.so", Slurp(library)},
            {kSchemaName, R"({"type":"object"})"},
            {kGuideName, "# Package test adapter\n"}};
  }
  static fs::path Library(const std::string& version = "1.0.0") {
    return fs::path(PKG_FIXTURE_DIR) / version / "pkg-fixture.so";
  }
  fs::path Good(const std::string& version = "1.0.0") {
    fs::path p = root_ / ("good-" + version + ".tar");
    EXPECT_TRUE(WritePackage(p.string(), Fields(version), Files(Library(version)),
                             (root_ / "vendor" / "vendor.key").string())
                    .ok());
    return p;
  }
  // Refused with a message containing `why`, and nothing installed nor left over.
  void ExpectRefused(const fs::path& package, const std::string& why) {
    auto r = Install(package.string(), opt_);
    ASSERT_FALSE(r.ok()) << "installed " << package;
    EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
    std::error_code ec;
    if (fs::exists(opt_.adapters_dir)) {
      EXPECT_TRUE(fs::is_empty(opt_.adapters_dir, ec)) << "left something in " << opt_.adapters_dir;
    }
  }

  fs::path root_;
  InstallOptions opt_;
};

TEST_F(Packages, KeygenWritesAnOwnerOnlyPrivateKeyAndNeverOverwritesIt) {
  struct stat st {};
  ASSERT_EQ(::stat((root_ / "vendor" / "vendor.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(GenerateKeyPair((root_ / "vendor").string()).status().code(),
            Status::Code::kAlreadyExists);
}

TEST_F(Packages, SignedPackageInstallsBesideOtherVersions) {
  auto one = Install(Good("1.0.0").string(), opt_);
  ASSERT_TRUE(one.ok()) << one.status().message();
  auto two = Install(Good("2.0.0").string(), opt_);
  ASSERT_TRUE(two.ok()) << two.status().message();
  EXPECT_TRUE(one->signature_checked);
  EXPECT_EQ(one->signer, *KeyFingerprint((root_ / "trusted" / "acme.pub").string()));
  auto listed = plugins::ListInstalled(opt_.adapters_dir);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].version, "1.0.0");
  EXPECT_EQ(listed[1].version, "2.0.0");
  for (const char* f : {"pkg-fixture.so", kSchemaName, kGuideName, kManifestName, kSignatureName})
    EXPECT_TRUE(fs::is_regular_file(fs::path(opt_.adapters_dir) / "pkg-fixture" / "2.0.0" / f))
        << f;
  EXPECT_EQ(Install(Good("1.0.0").string(), opt_).status().code(), Status::Code::kAlreadyExists);
}

TEST_F(Packages, PackBuildsAnInstallablePackageFromAVendorFolder) {
  fs::path dir = root_ / "src";
  fs::create_directories(dir);
  fs::copy_file(Library("2.0.0"), dir / "libwhatever.so");
  std::ofstream(dir / "README.md") << "# Admin guide\n";
  auto out = Pack(dir.string(), (root_ / "vendor" / "vendor.key").string(),
                  (root_ / "p.tar").string(), opt_.runtime);
  ASSERT_TRUE(out.ok()) << out.status().message();
  auto r = Install(*out, opt_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->id, "pkg-fixture");
  EXPECT_EQ(r->version, "2.0.0");
  EXPECT_EQ(json::parse(Slurp(fs::path(r->dir) / kSchemaName))["required"], json({"folder"}));
}

TEST_F(Packages, UnsignedPackageOnlyWithAllowUnsigned) {
  fs::path p = root_ / "unsigned.tar";
  ASSERT_TRUE(WritePackage(p.string(), Fields(), Files(Library()), "").ok());
  ExpectRefused(p, "not signed");
  opt_.allow_unsigned = true;
  auto r = Install(p.string(), opt_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->signature_checked);
}

TEST_F(Packages, RefusesATamperedFile) {
  auto entries = ReadRawTar(Good());
  for (auto& e : entries)
    if (e.name == "pkg-fixture.so") e.data[e.data.size() / 2] ^= 0x5a;
  WriteRawTar(root_ / "tampered.tar", entries);
  ExpectRefused(root_ / "tampered.tar", "does not match its SHA-256");
}

TEST_F(Packages, RefusesATamperedManifest) {
  auto entries = ReadRawTar(Good());
  for (auto& e : entries)
    if (e.name == kManifestName) {
      json m = json::parse(e.data);
      m["vendor"] = "someone else";
      e.data = m.dump(2) + "\n";
    }
  WriteRawTar(root_ / "tampered.tar", entries);
  ExpectRefused(root_ / "tampered.tar", "signature does not match");
}

TEST_F(Packages, RefusesAMissingSignature) {
  auto entries = ReadRawTar(Good());
  std::erase_if(entries, [](const RawEntry& e) { return e.name == kSignatureName; });
  WriteRawTar(root_ / "nosig.tar", entries);
  ExpectRefused(root_ / "nosig.tar", "not signed");
}

TEST_F(Packages, RefusesASignatureMadeWithAnotherKey) {
  ASSERT_TRUE(GenerateKeyPair((root_ / "other").string()).ok());
  ASSERT_TRUE(WritePackage((root_ / "other.tar").string(), Fields(), Files(Library()),
                           (root_ / "other" / "vendor.key").string())
                  .ok());
  std::string other_sig;
  for (const auto& e : ReadRawTar(root_ / "other.tar"))
    if (e.name == kSignatureName) other_sig = e.data;
  auto entries = ReadRawTar(Good());  // names the trusted key, signed by the other
  for (auto& e : entries)
    if (e.name == kSignatureName) e.data = other_sig;
  WriteRawTar(root_ / "wrongsig.tar", entries);
  ExpectRefused(root_ / "wrongsig.tar", "signature does not match");
}

TEST_F(Packages, RefusesAPackageSignedByAnUntrustedKey) {
  ASSERT_TRUE(GenerateKeyPair((root_ / "other").string()).ok());
  fs::path p = root_ / "untrusted.tar";
  ASSERT_TRUE(WritePackage(p.string(), Fields(), Files(Library()),
                           (root_ / "other" / "vendor.key").string())
                  .ok());
  ExpectRefused(p, "untrusted key");
}

TEST_F(Packages, RefusesAnotherArchitectureNamedInTheManifest) {
  json f = Fields();
  f["architecture"] = HostArchitecture() == "aarch64" ? "x86-64" : "aarch64";
  fs::path p = root_ / "arch.tar";
  ASSERT_TRUE(
      WritePackage(p.string(), f, Files(Library()), (root_ / "vendor" / "vendor.key").string())
          .ok());
  ExpectRefused(p, "this host is " + HostArchitecture());
}

TEST_F(Packages, RefusesALibraryBuiltForAnotherArchitecture) {
  fs::path p = root_ / "elf.tar";  // the manifest claims this host; the ELF header says aarch64
  ASSERT_TRUE(WritePackage(p.string(), Fields(),
                           Files(fs::path(BROKEN_DIR) / "other_arch_aarch64.so"),
                           (root_ / "vendor" / "vendor.key").string())
                  .ok());
  ExpectRefused(p, "built for aarch64");
}

TEST_F(Packages, RefusesAnAbiMajorMismatch) {
  fs::path p = root_ / "abi.tar";
  ASSERT_TRUE(WritePackage(p.string(), Fields(), Files(fs::path(BROKEN_DIR) / "abi_newer_major.so"),
                           (root_ / "vendor" / "vendor.key").string())
                  .ok());
  ExpectRefused(p, "major version differs");
}

TEST_F(Packages, RefusesAnEntryWithDotDot) {
  auto entries = ReadRawTar(Good());
  entries.push_back(Plain("../../escape.sh", "#!/bin/sh\n"));
  WriteRawTar(root_ / "dotdot.tar", entries);
  ExpectRefused(root_ / "dotdot.tar", "contains '..'");
  EXPECT_FALSE(fs::exists(root_ / "escape.sh"));
}

TEST_F(Packages, RefusesAnEntryWithAnAbsolutePath) {
  auto entries = ReadRawTar(Good());
  entries.push_back(Plain((root_ / "absolute.txt").string(), "x"));
  WriteRawTar(root_ / "abs.tar", entries);
  ExpectRefused(root_ / "abs.tar", "absolute path");
  EXPECT_FALSE(fs::exists(root_ / "absolute.txt"));
}

TEST_F(Packages, RefusesASymlinkEntry) {
  auto entries = ReadRawTar(Good());
  entries.push_back({"passwd", "", AE_IFLNK, "/etc/passwd", false});
  WriteRawTar(root_ / "symlink.tar", entries);
  ExpectRefused(root_ / "symlink.tar", "is a symbolic link");
}

TEST_F(Packages, RefusesAHardlinkEntry) {
  auto entries = ReadRawTar(Good());
  entries.push_back({"again.so", "", AE_IFREG, "pkg-fixture.so", true});
  WriteRawTar(root_ / "hardlink.tar", entries);
  ExpectRefused(root_ / "hardlink.tar", "is a hard link");
}

TEST_F(Packages, RefusesADeviceEntry) {
  auto entries = ReadRawTar(Good());
  entries.push_back({"null", "", AE_IFCHR, "", false});
  WriteRawTar(root_ / "device.tar", entries);
  ExpectRefused(root_ / "device.tar", "is a character device");
}

TEST_F(Packages, RefusesAnOversizedPackage) {
  fs::path p = Good();
  opt_.max_package_bytes = fs::file_size(p) - 1;
  ExpectRefused(p, "larger than the limit");
}

TEST_F(Packages, RefusesAFileTheManifestDoesNotList) {
  auto entries = ReadRawTar(Good());
  entries.push_back(Plain("extra.so", "not listed"));
  WriteRawTar(root_ / "extra.tar", entries);
  ExpectRefused(root_ / "extra.tar", "not listed in the manifest");
}

TEST(Versions, CompareNumericallyPartByPart) {
  EXPECT_LT(plugins::CompareVersions("1.9.0", "1.10.0"), 0);
  EXPECT_GT(plugins::CompareVersions("2.0.0", "1.99"), 0);
  EXPECT_EQ(plugins::CompareVersions("1.2.3", "1.2.3"), 0);
  EXPECT_LT(plugins::CompareVersions("1.2", "1.2.1"), 0);
}

}  // namespace
}  // namespace sendsync::packages
