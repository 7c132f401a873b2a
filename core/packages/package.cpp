// Writing, verifying and installing signed adapter packages (see package.h). Tar reading and
// writing is libarchive's; signatures and hashes are OpenSSL's EVP API.
#include "core/packages/package.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>

namespace sendsync::packages {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string Hex(const unsigned char* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  return Hex(md, n);
}

Result<std::string> Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Reads a PEM key: private when `private_key`, else public (a private key file also gives its
// public half).
Result<Pkey> ReadKey(const std::string& path, bool private_key) {
  auto pem = Slurp(path);
  if (!pem.ok()) return pem.status();
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  EVP_PKEY* k = private_key ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                            : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (!k && !private_key) {  // a private key file names its public key too
    std::unique_ptr<BIO, BioFree> again(
        BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
    k = PEM_read_bio_PrivateKey(again.get(), nullptr, nullptr, nullptr);
  }
  if (!k)
    return Status::InvalidArgument(path + " is not a PEM " + (private_key ? "private" : "public") +
                                   " key");
  Pkey key(k);
  if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519)
    return Status::InvalidArgument(path + " is not an Ed25519 key");
  return key;
}

std::string Fingerprint(EVP_PKEY* k) {
  unsigned char raw[64];
  size_t n = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(k, raw, &n) != 1) return "";
  return Sha256Hex(std::string_view(reinterpret_cast<char*>(raw), n));
}

Result<std::string> Sign(EVP_PKEY* k, const std::string& msg) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::string sig(64, '\0');
  size_t n = sig.size();
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, k) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n,
                     reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) != 1)
    return Status::Internal("signing the manifest failed");
  sig.resize(n);
  return sig;
}

bool Verify(EVP_PKEY* k, const std::string& msg, const std::string& sig) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, k) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
}

// Writes `data` to a new file with `mode`; refuses to replace one.
Status WriteNew(const std::string& path, const std::string& data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return errno == EEXIST ? Status::AlreadyExists(path + " already exists; not overwritten")
                           : Status::IoError("cannot create " + path);
  ::fchmod(fd, mode);  // whatever the umask
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = ::write(fd, data.data() + off, data.size() - off);
    if (w <= 0) {
      ::close(fd);
      return Status::IoError("cannot write " + path);
    }
    off += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return Status::IoError("cannot write " + path);
  return Status::OK();
}

Result<std::string> PemOf(EVP_PKEY* k, bool private_key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  int ok = private_key
               ? PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr)
               : PEM_write_bio_PUBKEY(bio.get(), k);
  if (ok != 1) return Status::Internal("cannot encode the key");
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  return std::string(p, static_cast<size_t>(n));
}

// Why an entry name cannot be extracted, or "" when it is a plain file name.
std::string BadName(const std::string& name) {
  if (name.empty()) return "an entry has no name";
  if (name[0] == '/') return "entry '" + name + "' has an absolute path";
  for (size_t s = 0; s <= name.size();) {
    size_t e = name.find('/', s);
    if (e == std::string::npos) e = name.size();
    if (name.compare(s, e - s, "..") == 0) return "entry '" + name + "' contains '..'";
    s = e + 1;
  }
  if (name.find('/') != std::string::npos)
    return "entry '" + name + "' is in a folder; a package holds plain files only";
  if (name == ".") return "entry '.' is a folder; a package holds plain files only";
  return "";
}

const char* TypeName(mode_t type) {
  switch (type) {
    case AE_IFLNK:
      return "a symbolic link";
    case AE_IFDIR:
      return "a folder";
    case AE_IFCHR:
      return "a character device";
    case AE_IFBLK:
      return "a block device";
    case AE_IFIFO:
      return "a FIFO";
    case AE_IFSOCK:
      return "a socket";
    default:
      return "not a regular file";
  }
}

// Reads every entry of the package into memory, refusing anything that is not a flat regular
// file, and stopping at `max_bytes` of content.
Result<std::map<std::string, std::string>> ReadEntries(const std::string& path,
                                                       uint64_t max_bytes) {
  std::unique_ptr<archive, ArchiveReadFree> a(archive_read_new());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 64 * 1024) != ARCHIVE_OK)
    return Status::InvalidArgument("not a readable package: " +
                                   std::string(archive_error_string(a.get())
                                                   ? archive_error_string(a.get())
                                                   : "unknown error"));
  std::map<std::string, std::string> files;
  uint64_t total = 0;
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      return Status::InvalidArgument("not a valid package tar: " +
                                     std::string(archive_error_string(a.get())
                                                     ? archive_error_string(a.get())
                                                     : "unknown error"));
    const char* raw = archive_entry_pathname(e);
    std::string name = raw ? raw : "";
    if (std::string why = BadName(name); !why.empty()) return Status::InvalidArgument(why);
    if (archive_entry_hardlink(e))
      return Status::InvalidArgument("entry '" + name + "' is a hard link");
    if (archive_entry_filetype(e) != AE_IFREG)
      return Status::InvalidArgument("entry '" + name + "' is " +
                                     TypeName(archive_entry_filetype(e)));
    if (files.count(name)) return Status::InvalidArgument("entry '" + name + "' appears twice");
    int64_t size = archive_entry_size(e);
    if (size < 0 || total + static_cast<uint64_t>(size) > max_bytes)
      return Status::InvalidArgument("package is larger than the limit of " +
                                     std::to_string(max_bytes) + " bytes (entry '" + name + "')");
    std::string data(static_cast<size_t>(size), '\0');
    la_ssize_t got = size ? archive_read_data(a.get(), data.data(), data.size()) : 0;
    if (got != size)
      return Status::InvalidArgument("entry '" + name + "' is truncated or unreadable");
    total += static_cast<uint64_t>(size);
    files[name] = std::move(data);
  }
  return files;
}

// Finds the trusted key with `fingerprint` in `dir` (*.pub files).
Result<Pkey> TrustedKey(const std::string& dir, const std::string& fingerprint) {
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir, ec)) {
    if (f.path().extension() != ".pub") continue;
    auto k = ReadKey(f.path().string(), false);
    if (k.ok() && Fingerprint(k->get()) == fingerprint) return std::move(*k);
  }
  return Status::PermissionDenied("signed by an untrusted key " + fingerprint.substr(0, 16) +
                                  "… (no matching *.pub in the trusted-keys folder " + dir + ")");
}

class TempDir {
 public:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  void Release() { path_.clear(); }

 private:
  std::string path_;
};

}  // namespace

std::string HostArchitecture() {
#if defined(__x86_64__)
  return "x86-64";
#elif defined(__aarch64__)
  return "aarch64";
#else
#error "name this architecture"
#endif
}

Result<std::string> GenerateKeyPair(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir)) return Status::IoError("cannot create the folder " + dir);
  const std::string priv = (fs::path(dir) / "vendor.key").string();
  const std::string pub = (fs::path(dir) / "vendor.pub").string();
  if (fs::exists(priv) || fs::exists(pub))
    return Status::AlreadyExists("a key pair is already in " + dir + "; not overwritten");
  Pkey k(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!k) return Status::Internal("cannot generate an Ed25519 key");
  auto priv_pem = PemOf(k.get(), true);
  if (!priv_pem.ok()) return priv_pem.status();
  auto pub_pem = PemOf(k.get(), false);
  if (!pub_pem.ok()) return pub_pem.status();
  SENDSYNC_RETURN_IF_ERROR(WriteNew(priv, *priv_pem, 0600));
  OPENSSL_cleanse(priv_pem->data(), priv_pem->size());
  SENDSYNC_RETURN_IF_ERROR(WriteNew(pub, *pub_pem, 0644));
  return Fingerprint(k.get());
}

Result<std::string> KeyFingerprint(const std::string& pem_path) {
  auto k = ReadKey(pem_path, false);
  if (!k.ok()) return k.status();
  return Fingerprint(k->get());
}

Status WritePackage(const std::string& out_path, json fields, const std::vector<PackageFile>& files,
                    const std::string& key_path) {
  fields["format"] = 1;
  json hashes = json::object();
  for (const auto& f : files) hashes[f.name] = Sha256Hex(f.data);
  fields["files"] = hashes;
  std::vector<PackageFile> all;
  Pkey key;
  if (!key_path.empty()) {
    auto k = ReadKey(key_path, true);
    if (!k.ok()) return k.status();
    key = std::move(*k);
    fields["signer"] = Fingerprint(key.get());
  }
  std::string manifest = fields.dump(2) + "\n";
  all.push_back({kManifestName, manifest});
  if (key) {
    auto sig = Sign(key.get(), manifest);
    if (!sig.ok()) return sig.status();
    all.push_back({kSignatureName, *sig});
  }
  for (const auto& f : files) all.push_back(f);

  std::unique_ptr<archive, ArchiveWriteFree> a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  if (archive_write_open_filename(a.get(), out_path.c_str()) != ARCHIVE_OK)
    return Status::IoError("cannot write " + out_path);
  for (const auto& f : all) {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), f.name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(f.data.size()));
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK ||
        archive_write_data(a.get(), f.data.data(), f.data.size()) !=
            static_cast<la_ssize_t>(f.data.size()))
      return Status::IoError("cannot write " + out_path + ": " +
                             (archive_error_string(a.get()) ? archive_error_string(a.get()) : ""));
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK)
    return Status::IoError("cannot write " + out_path);
  return Status::OK();
}

Result<std::string> Pack(const std::string& dir, const std::string& key_path,
                         const std::string& out_path, const plugins::RuntimeOptions& runtime) {
  std::vector<fs::path> libs;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir, ec))
    if (f.path().extension() == ".so") libs.push_back(f.path());
  if (ec) return Status::NotFound("cannot read the folder " + dir);
  if (libs.size() != 1)
    return Status::InvalidArgument("the folder " + dir + " must hold exactly one *.so (it has " +
                                   std::to_string(libs.size()) + ")");
  plugins::PluginInfo info = plugins::Inspect(libs[0].string(), runtime);
  if (!info.ok)
    return Status::InvalidArgument(libs[0].string() + " is not a usable adapter: " + info.reason);
  const auto& m = info.manifest;
  std::string guide_path;
  for (const char* g : {kGuideName, "README.md"})
    if (fs::is_regular_file(fs::path(dir) / g)) {
      guide_path = (fs::path(dir) / g).string();
      break;
    }
  if (guide_path.empty())
    return Status::InvalidArgument("the folder " + dir +
                                   " has no admin guide (ADMIN.md or README.md)");
  std::vector<PackageFile> files;
  std::string library = m.id + ".so";
  auto so = Slurp(libs[0].string());
  if (!so.ok()) return so.status();
  files.push_back({library, std::move(*so)});
  std::string schema_path = (fs::path(dir) / kSchemaName).string();
  if (fs::is_regular_file(schema_path)) {
    auto s = Slurp(schema_path);
    if (!s.ok()) return s.status();
    if (json::parse(*s, nullptr, false).is_discarded())
      return Status::InvalidArgument(schema_path + " is not valid JSON");
    files.push_back({kSchemaName, std::move(*s)});
  } else {
    files.push_back({kSchemaName, m.config_schema.dump(2) + "\n"});
  }
  auto guide = Slurp(guide_path);
  if (!guide.ok()) return guide.status();
  files.push_back({kGuideName, std::move(*guide)});
  json fields = {{"id", m.id},
                 {"version", m.version},
                 {"abi", std::to_string(info.abi_major) + "." + std::to_string(info.abi_minor)},
                 {"vendor", m.vendor},
                 {"architecture", HostArchitecture()},
                 {"library", library}};
  std::string out = out_path.empty() ? m.id + "-" + m.version + ".sendsync-adapter" : out_path;
  SENDSYNC_RETURN_IF_ERROR(WritePackage(out, fields, files, key_path));
  return out;
}

namespace {

// manifest.json's shape, and the id, version and vendor it names (into `res`).
Result<json> ReadManifest(const std::string& manifest_text, InstallResult& res) {
  json m = json::parse(manifest_text, nullptr, false);
  if (!m.is_object()) return Status::InvalidArgument("manifest.json is not a JSON object");
  for (const char* k : {"id", "version", "abi", "vendor", "architecture", "library"})
    if (!m.contains(k) || !m[k].is_string() || m[k].get<std::string>().empty())
      return Status::InvalidArgument(std::string("manifest.json: ") + k +
                                     " is missing or not text");
  if (m.value("format", 0) != 1) return Status::InvalidArgument("manifest.json: format must be 1");
  if (!m.contains("files") || !m["files"].is_object())
    return Status::InvalidArgument("manifest.json: files is missing");
  res.id = m["id"].get<std::string>();
  res.version = m["version"].get<std::string>();
  res.vendor = m["vendor"].get<std::string>();
  static const std::regex id_re("[a-z0-9][a-z0-9-]{0,63}");
  static const std::regex version_re("[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}");
  if (!std::regex_match(res.id, id_re))
    return Status::InvalidArgument("manifest.json: id '" + res.id +
                                   "' must be lower-case letters, digits and '-'");
  if (!std::regex_match(res.version, version_re))
    return Status::InvalidArgument("manifest.json: version '" + res.version +
                                   "' must be letters, digits, '.', '+', '_' or '-'");
  return m;
}

// The signature by a trusted key over manifest.json, or none when unsigned packages are allowed.
Status CheckSignature(const json& m, const std::string& manifest_text,
                      const std::map<std::string, std::string>& files, const InstallOptions& o,
                      InstallResult& res) {
  auto sit = files.find(kSignatureName);
  if (sit == files.end()) {
    if (!o.allow_unsigned)
      return Status::PermissionDenied(
          "the package is not signed (install unsigned packages only with --allow-unsigned)");
  } else if (!m.contains("signer") || !m["signer"].is_string()) {
    return Status::InvalidArgument("manifest.json: signer is missing");
  } else {
    auto key = TrustedKey(o.trusted_keys_dir, m["signer"].get<std::string>());
    if (!key.ok()) return key.status();
    if (!Verify(key->get(), manifest_text, sit->second))
      return Status::PermissionDenied(
          "the signature does not match manifest.json (wrong key, or the manifest was changed)");
    res.signer = m["signer"].get<std::string>();
    res.signature_checked = true;
  }
  return Status::OK();
}

// Every file listed and matching its SHA-256, none unlisted, the library, schema and guide
// present, and built for this host.
Status CheckContents(const json& m, const std::map<std::string, std::string>& files) {
  for (const auto& [name, data] : files) {
    if (name == kManifestName || name == kSignatureName) continue;
    if (!m["files"].contains(name))
      return Status::InvalidArgument("entry '" + name + "' is not listed in the manifest");
  }
  for (auto it = m["files"].begin(); it != m["files"].end(); ++it) {
    auto f = files.find(it.key());
    if (f == files.end())
      return Status::InvalidArgument("file '" + it.key() + "' listed in the manifest is missing");
    if (!it->is_string() || Sha256Hex(f->second) != it->get<std::string>())
      return Status::InvalidArgument("file '" + it.key() +
                                     "' does not match its SHA-256 in the manifest "
                                     "(tampered or damaged)");
  }
  const std::string library = m["library"].get<std::string>();
  for (const char* need : {library.c_str(), kSchemaName, kGuideName})
    if (!files.count(need))
      return Status::InvalidArgument(std::string("the package has no ") + need);
  if (fs::path(library).extension() != ".so")
    return Status::InvalidArgument("manifest.json: library must be a *.so file");
  if (m["architecture"].get<std::string>() != HostArchitecture())
    return Status::InvalidArgument("built for " + m["architecture"].get<std::string>() +
                                   ", this host is " + HostArchitecture());
  return Status::OK();
}

}  // namespace

Result<InstallResult> Install(const std::string& package_path, const InstallOptions& o) {
  auto refuse = [&](const Status& st) -> Status {
    return st.WithContext("package " + package_path + " refused");
  };
  struct stat st {};
  if (::stat(package_path.c_str(), &st) != 0)
    return Status::NotFound("no such file " + package_path);
  if (!S_ISREG(st.st_mode)) return refuse(Status::InvalidArgument("not a regular file"));
  if (static_cast<uint64_t>(st.st_size) > o.max_package_bytes)
    return refuse(Status::InvalidArgument("package is larger than the limit of " +
                                          std::to_string(o.max_package_bytes) + " bytes"));
  auto entries = ReadEntries(package_path, o.max_package_bytes);
  if (!entries.ok()) return refuse(entries.status());
  auto& files = *entries;

  auto mit = files.find(kManifestName);
  if (mit == files.end()) return refuse(Status::InvalidArgument("no manifest.json"));
  const std::string& manifest_text = mit->second;
  InstallResult res;
  auto manifest = ReadManifest(manifest_text, res);
  if (!manifest.ok()) return refuse(manifest.status());
  const json& m = *manifest;
  // The signature first: nothing else in an unverified manifest is worth believing.
  if (Status signed_by = CheckSignature(m, manifest_text, files, o, res); !signed_by.ok())
    return refuse(signed_by);
  if (Status contents = CheckContents(m, files); !contents.ok()) return refuse(contents);
  const std::string library = m["library"].get<std::string>();

  std::error_code ec;
  const fs::path final_dir = fs::path(o.adapters_dir) / res.id / res.version;
  if (fs::exists(final_dir, ec))
    return Status::AlreadyExists("adapter " + res.id + "@" + res.version +
                                 " is already installed in " + final_dir.string());
  fs::create_directories(o.adapters_dir, ec);
  std::string tmpl = (fs::path(o.adapters_dir) / ".install-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    return Status::IoError("cannot create a temporary folder in " + o.adapters_dir);
  TempDir tmp(tmpl);
  for (const auto& [name, data] : files) {
    mode_t mode = name == library ? 0755 : 0644;
    SENDSYNC_RETURN_IF_ERROR(WriteNew((fs::path(tmpl) / name).string(), data, mode));
  }

  // The library itself: ELF machine, ABI, manifest, loaded in a worker (plugins::Inspect).
  plugins::PluginInfo info = plugins::Inspect((fs::path(tmpl) / library).string(), o.runtime);
  if (!info.ok) return refuse(Status::InvalidArgument("the adapter library: " + info.reason));
  if (info.manifest.id != res.id || info.manifest.version != res.version)
    return refuse(Status::InvalidArgument("the library says it is " + info.manifest.id + "@" +
                                          info.manifest.version + ", the package says " + res.id +
                                          "@" + res.version));
  std::string declared_abi = m["abi"].get<std::string>();
  if (declared_abi.substr(0, declared_abi.find('.')) != std::to_string(info.abi_major))
    return refuse(Status::InvalidArgument("the package says ABI " + declared_abi +
                                          ", the library has " + std::to_string(info.abi_major) +
                                          "." + std::to_string(info.abi_minor)));

  fs::create_directories(final_dir.parent_path(), ec);
  if (ec) return Status::IoError("cannot create " + final_dir.parent_path().string());
  if (::rename(tmpl.c_str(), final_dir.c_str()) != 0)
    return errno == EEXIST || errno == ENOTEMPTY
               ? Status::AlreadyExists("adapter " + res.id + "@" + res.version +
                                       " is already installed")
               : Status::IoError("cannot move the adapter into " + final_dir.string());
  tmp.Release();
  res.dir = final_dir.string();
  res.library = (final_dir / library).string();
  return res;
}

}  // namespace sendsync::packages
