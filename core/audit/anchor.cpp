#include "core/audit/anchor.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base/log/log.h"
#include "core/store/db.h"

namespace sendsync::audit {

namespace fs = std::filesystem;
using nlohmann::json;

AnchorOptions DefaultAnchorOptions(const std::string& data_dir) {
  return {(fs::path(data_dir) / "audit-anchors.jsonl").string(),
          (fs::path(data_dir) / "audit-anchor.key").string()};
}

std::string StoreIdentity(const std::string& store_url) {
  auto u = store::ParseStoreUrl(store_url);
  if (!u.ok()) return store_url;
  if (u->dialect == store::Dialect::kSqlite) {
    if (u->connection == ":memory:") return "sqlite::memory:";
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::absolute(u->connection, ec), ec);
    return "sqlite:" + (ec ? u->connection : p.string());
  }
  // postgresql://[user[:***]@]host:port/db: keep host, port and database only.
  std::string d = u->display;
  const size_t start = d.find("//") + 2, at = d.find('@', start);
  if (at != std::string::npos) d.erase(start, at + 1 - start);
  return d;
}

std::string FormatUtc(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string Hex(const unsigned char* p, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

bool Unhex(const std::string& s, std::string& out) {
  if (s.size() % 2) return false;
  out.clear();
  for (size_t i = 0; i < s.size(); i += 2) {
    auto v = [](char c) {
      return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    };
    const int hi = v(s[i]), lo = v(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
  }
  return true;
}

// Reads a file the process owns, refusing links and (for a private key) any access by others.
Result<std::string> ReadKeyFile(const std::string& path, bool must_be_private) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? Status::NotFound("no anchor key at " + path)
                           : Status::IoError("cannot open the anchor key " + path + ": " +
                                             std::strerror(errno));
  struct stat st {};
  std::string text;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < (1 << 16)) {
    text.resize(static_cast<size_t>(st.st_size));
    const ssize_t n = ::read(fd, text.data(), text.size());
    text.resize(n < 0 ? 0 : static_cast<size_t>(n));
  }
  ::close(fd);
  if (!S_ISREG(st.st_mode)) return Status::IoError("the anchor key " + path + " is not a file");
  if (must_be_private && (st.st_mode & 077))
    return Status::PermissionDenied("the anchor key " + path + " is open to other users (mode " +
                                    [&] {
                                      char m[8];
                                      std::snprintf(m, sizeof m, "%04o", st.st_mode & 07777);
                                      return std::string(m);
                                    }() +
                                    "); chmod 600 it");
  return text;
}

// The key that signs: the private key at `path`, made (mode 0600) when there is none.
Result<Pkey> LoadOrMakeSigningKey(const std::string& path) {
  auto text = ReadKeyFile(path, true);
  if (text.status().code() == Status::Code::kNotFound) {
    EVP_PKEY* raw = nullptr;
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> kctx(
        EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), EVP_PKEY_CTX_free);
    if (!kctx || EVP_PKEY_keygen_init(kctx.get()) <= 0 || EVP_PKEY_keygen(kctx.get(), &raw) <= 0)
      return Status::Internal("cannot make an Ed25519 key (OpenSSL)");
    Pkey key(raw);
    std::unique_ptr<BIO, BioFree> mem(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_PrivateKey(mem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr))
      return Status::Internal("cannot write the anchor key as PEM (OpenSSL)");
    char* data = nullptr;
    const long len = BIO_get_mem_data(mem.get(), &data);
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) return LoadOrMakeSigningKey(path);  // another process made it first
      return Status::IoError("cannot create the anchor key " + path + ": " + std::strerror(errno));
    }
    const bool written = ::write(fd, data, static_cast<size_t>(len)) == len && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) return Status::IoError("cannot write the anchor key " + path);
    log::Write(log::Level::kInfo, "audit.anchor_key_created", {{"path", path}});
    return key;
  }
  if (!text.ok()) return text.status();
  std::unique_ptr<BIO, BioFree> mem(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  Pkey key(PEM_read_bio_PrivateKey(mem.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519)
    return Status::InvalidArgument("the anchor key " + path +
                                   " is not an Ed25519 private key (PEM)");
  return key;
}

// The key that checks: a private or a public key (PEM) at `path`.
Result<Pkey> LoadVerifyingKey(const std::string& path) {
  auto text = ReadKeyFile(path, false);
  if (!text.ok()) return text.status();
  std::unique_ptr<BIO, BioFree> mem(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  Pkey key(PEM_read_bio_PrivateKey(mem.get(), nullptr, nullptr, nullptr));
  if (!key) {
    mem.reset(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
    key.reset(PEM_read_bio_PUBKEY(mem.get(), nullptr, nullptr, nullptr));
  }
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519)
    return Status::InvalidArgument("the anchor key " + path + " is not an Ed25519 key (PEM)");
  return key;
}

std::string PublicPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> mem(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PUBKEY(mem.get(), key)) return "";
  char* data = nullptr;
  const long len = BIO_get_mem_data(mem.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string KeyId(EVP_PKEY* key) {
  unsigned char raw[32];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key, raw, &len) <= 0) return "";
  return Sha256Hex(std::string_view(reinterpret_cast<const char*>(raw), len)).substr(0, 16);
}

std::string Sign(EVP_PKEY* key, const std::string& msg) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned char sig[64];
  size_t len = sizeof sig;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key) <= 0 ||
      EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(msg.data()),
                     msg.size()) <= 0)
    return "";
  return Hex(sig, len);
}

bool SignatureVerifies(EVP_PKEY* key, const std::string& msg, const std::string& sig_hex) {
  std::string sig;
  if (!Unhex(sig_hex, sig)) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) > 0 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
}

// What a signature covers: the anchor's fields as compact JSON with sorted keys.
json Signed(const Anchor& a) {
  return {{"n", a.n},       {"time", a.time}, {"store", a.store}, {"seq", a.seq},
          {"hash", a.hash}, {"prev", a.prev}, {"key", a.key}};
}

// Parses one line; false when it is not an anchor's shape.
bool ParseAnchor(const std::string& line, Anchor& a) {
  json j = json::parse(line, nullptr, false);
  if (!j.is_object() || j.size() != 8) return false;
  for (const char* k : {"n", "time", "seq"})
    if (!j.contains(k) || !j[k].is_number_integer()) return false;
  for (const char* k : {"store", "hash", "prev", "key", "sig"})
    if (!j.contains(k) || !j[k].is_string()) return false;
  a.n = j["n"].get<int64_t>();
  a.time = j["time"].get<int64_t>();
  a.seq = j["seq"].get<int64_t>();
  a.store = j["store"].get<std::string>();
  a.hash = j["hash"].get<std::string>();
  a.prev = j["prev"].get<std::string>();
  a.key = j["key"].get<std::string>();
  a.sig = j["sig"].get<std::string>();
  a.line = line;
  return true;
}

std::string Range(int64_t from, int64_t to, const char* one, const char* many) {
  return from == to
             ? std::string(one) + " " + std::to_string(from)
             : std::string(many) + " " + std::to_string(from) + "\xE2\x80\x93" + std::to_string(to);
}

// The file's last complete line, read from its end (the file only grows).
Result<std::string> LastLine(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::IoError("cannot stat " + path);
  if (st.st_size == 0) return std::string();
  const off_t want = std::min<off_t>(st.st_size, 1 << 16);
  std::string tail(static_cast<size_t>(want), '\0');
  if (::pread(fd, tail.data(), tail.size(), st.st_size - want) != want)
    return Status::IoError("cannot read " + path);
  if (tail.back() != '\n')
    return Status::Corruption("the anchor file " + path +
                              " ends in a partial line; not appending (run sendsync audit verify)");
  tail.pop_back();
  const size_t nl = tail.rfind('\n');
  if (nl == std::string::npos && want < st.st_size)
    return Status::Corruption("the anchor file " + path + " ends in an overlong line");
  return nl == std::string::npos ? tail : tail.substr(nl + 1);
}

}  // namespace

Result<std::optional<Anchor>> WriteAnchor(store::Conn& conn, const AnchorOptions& o,
                                          const std::string& store_id) {
  auto key = LoadOrMakeSigningKey(o.key_file);
  if (!key.ok()) return key.status();

  std::error_code ec;
  fs::create_directories(fs::path(o.file).parent_path(), ec);
  const int fd = ::open(o.file.c_str(), O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    return Status::IoError("cannot open the anchor file " + o.file + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }  // also drops the lock
  } closer{fd};
  if (::flock(fd, LOCK_EX) != 0)
    return Status::IoError("cannot lock the anchor file " + o.file + ": " + std::strerror(errno));
  // The head is read under the lock, so anchors written one after another never go backwards.
  auto head = conn.Query("SELECT seq, hash FROM audit_head WHERE id = 1");
  if (!head.ok()) return head.status();
  if (head->empty()) return Status::Corruption("audit head row is missing; not anchoring");
  auto last_line = LastLine(fd, o.file);
  if (!last_line.ok()) return last_line.status();

  Anchor a;
  a.store = store_id;
  a.seq = store::AsInt((*head)[0][0]);
  a.hash = store::AsText((*head)[0][1]);
  a.key = KeyId(key->get());
  a.n = 1;
  if (!last_line->empty()) {
    Anchor last;
    if (!ParseAnchor(*last_line, last))
      return Status::Corruption("the anchor file " + o.file +
                                " ends in a line that is not an anchor; not appending (run "
                                "sendsync audit verify)");
    if (last.store == a.store && last.seq == a.seq && last.hash == a.hash)
      return std::optional<Anchor>();
    if (last.store == a.store && a.seq < last.seq)  // audit verify will say what happened
      log::Write(log::Level::kError, "audit.chain_shorter_than_anchored",
                 {{"seq", a.seq}, {"anchored_seq", last.seq}, {"anchor_file", o.file}});
    a.n = last.n + 1;
    a.prev = Sha256Hex(*last_line);
  }
  a.time = store::NowMs();
  json j = Signed(a);
  a.sig = Sign(key->get(), j.dump());
  if (a.sig.empty()) return Status::Internal("cannot sign the anchor (OpenSSL)");
  j["sig"] = a.sig;
  a.line = j.dump();
  const std::string out = a.line + "\n";
  if (::write(fd, out.data(), out.size()) != static_cast<ssize_t>(out.size()) || ::fsync(fd) != 0)
    return Status::IoError("cannot append to the anchor file " + o.file + ": " +
                           std::strerror(errno));

  log::Write(log::Level::kInfo, "audit.anchor",
             {{"n", a.n},
              {"seq", a.seq},
              {"hash", a.hash},
              {"store", a.store},
              {"key", a.key},
              {"sig", a.sig}});
  // The journal keeps its own copy, out of reach of whoever can edit the data folder.
  ::syslog(LOG_AUTHPRIV | LOG_NOTICE, "sendsync audit anchor %s", a.line.c_str());
  return std::optional<Anchor>(std::move(a));
}

Result<AnchorFileCheck> ReadAnchors(const AnchorOptions& o) {
  AnchorFileCheck out;
  auto key = LoadVerifyingKey(o.key_file);
  if (key.ok()) {
    out.public_key_pem = PublicPem(key->get());
    out.key_id = KeyId(key->get());
  } else if (key.status().code() != Status::Code::kNotFound) {
    return key.status();
  }
  std::ifstream in(o.file);
  if (!in) {
    if (fs::exists(o.file)) return Status::IoError("cannot read the anchor file " + o.file);
    return out;
  }
  out.present = true;
  auto bad = [&](const std::string& why) {
    out.ok = false;
    out.problem = why;
    return out;
  };
  if (!key.ok())
    return bad("the anchor key " + o.key_file +
               " is missing, so the anchors' signatures cannot be checked");
  std::string line, prev_line;
  int64_t expected = 1, line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    Anchor a;
    if (!ParseAnchor(line, a))
      return bad("line " + std::to_string(line_no) + " of " + o.file +
                 " is not an anchor (edited or damaged)");
    if (a.n > expected)
      return bad(Range(expected, a.n - 1, "anchor", "anchors") + " missing from " + o.file +
                 " (removed)");
    if (a.n < expected)
      return bad("anchor " + std::to_string(a.n) + " appears again at line " +
                 std::to_string(line_no) + " of " + o.file + " (edited or inserted)");
    if (a.key != out.key_id || !SignatureVerifies(key->get(), Signed(a).dump(), a.sig))
      return bad("anchor " + std::to_string(a.n) + " (line " + std::to_string(line_no) +
                 ") is not signed by key " + out.key_id + " (edited or forged)");
    if (a.prev != (prev_line.empty() ? "" : Sha256Hex(prev_line)))
      return bad("anchor " + std::to_string(a.n) +
                 " does not follow the line before it (an anchor was removed or edited)");
    out.anchors.push_back(std::move(a));
    prev_line = line;
    ++expected;
  }
  return out;
}

Result<VerifyResult> VerifyWithAnchors(store::Conn& conn, const AnchorOptions& o,
                                       const std::string& store_id) {
  auto v = Verify(conn);
  if (!v.ok()) return v.status();
  auto file = ReadAnchors(o);
  if (!file.ok()) return file.status();
  VerifyResult out = std::move(*v);
  out.anchors = static_cast<int64_t>(file->anchors.size());
  auto fail = [&](const std::string& why) {
    if (!out.ok) {
      out.problem += "; and " + why;
      return;
    }
    out.ok = false;
    out.problem = why;
  };
  if (!file->present && !file->public_key_pem.empty() && out.checked > 0)
    fail("the anchor file " + o.file + " is missing, but the anchor key " + o.key_file +
         " exists (the file was removed?)");
  // The anchor that reaches furthest (the newest of equals) says how long the chain must be;
  // every anchor says what the entry it names must be: a tail cut and then written again by
  // later runs is caught by the anchors from before the cut.
  const Anchor* furthest = nullptr;
  std::map<int64_t, const Anchor*> named;  // seq -> the first anchor naming it
  for (const Anchor& a : file->anchors) {
    if (a.store != store_id) continue;
    if (!furthest || a.seq >= furthest->seq) furthest = &a;
    if (a.seq > 0) named.emplace(a.seq, &a);
  }
  if (furthest) {
    out.anchored_seq = furthest->seq;
    out.anchored_at = furthest->time;
    // Verify walked every entry there is when it found nothing wrong, or only the head wrong.
    const bool walked_all = out.ok || out.first_bad_seq == out.checked + 1;
    const int64_t reach = walked_all ? out.checked : out.first_bad_seq - 1;
    if (walked_all && furthest->seq > out.checked) {
      out.missing_from = out.checked + 1;
      out.missing_to = furthest->seq;
      out.first_bad_seq = out.missing_from;
      const std::string missing = Range(out.missing_from, out.missing_to, "entry", "entries") +
                                  " missing: the chain ends at " + std::to_string(out.checked) +
                                  ", the anchor of " + FormatUtc(furthest->time) + " says " +
                                  std::to_string(furthest->seq);
      out.problem = out.ok ? missing : missing + "; " + out.problem;
      out.ok = false;
    }
    // The entries anchors name, in batches, lowest first; the first that differs is reported.
    std::vector<int64_t> seqs;
    for (const auto& [seq, a] : named)
      if (seq <= reach) seqs.push_back(seq);
    for (size_t i = 0; i < seqs.size(); i += 500) {
      const size_t n = std::min<size_t>(500, seqs.size() - i);
      // Whole numbers from the signed anchors, written into the statement as digits.
      std::string sql = "SELECT seq, hash FROM audit WHERE seq IN (";
      for (size_t k = 0; k < n; ++k) sql += (k ? "," : "") + std::to_string(seqs[i + k]);
      auto rows = conn.Query(sql + ")");
      if (!rows.ok()) return rows.status();
      std::map<int64_t, std::string> stored;
      for (const store::Row& r : *rows) stored[store::AsInt(r[0])] = store::AsText(r[1]);
      const Anchor* differs = nullptr;
      for (size_t k = 0; k < n && !differs; ++k) {
        const Anchor* a = named[seqs[i + k]];
        auto it = stored.find(a->seq);
        if (it == stored.end() || it->second != a->hash) differs = a;
      }
      if (differs) {
        if (out.ok) out.first_bad_seq = differs->seq;
        fail("entry " + std::to_string(differs->seq) + " is not the one the anchor of " +
             FormatUtc(differs->time) + " names (the log was rewritten at or before it)");
        break;
      }
    }
  }
  if (!file->ok) fail(file->problem);
  return out;
}

}  // namespace sendsync::audit
