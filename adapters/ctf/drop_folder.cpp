#include "drop_folder.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>

#include <sendsync/sdk/regular_file.h>

#include "ctf_file_check.h"
#include "ctf_parser.h"
#include "file_util.h"
#include "sendsync/sdk/durable_file.h"

namespace sendsync::ctf {

namespace fs = std::filesystem;

namespace {

bool IsXmlName(const std::string& name) {
  if (name.size() < 5 || name[0] == '.') return false;
  std::string ext = name.substr(name.size() - 4);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".xml";
}

// Collects what the ingest check needs from each pupil: its UPN and line, nothing else.
class ScanSink : public PupilSink {
 public:
  bool WantRaw(size_t) const override { return false; }
  bool OnPupil(ParsedPupil& p) override {
    if (!p.upn.text.empty()) upns[p.upn.text].push_back(p.line);
    return true;
  }
  std::map<std::string, std::vector<int>> upns;
};

std::string RelativeTo(const fs::path& root, const fs::path& p) {
  return p.lexically_relative(root).generic_string();
}

}  // namespace

bool FileStamp(const fs::path& path, uintmax_t& size, int64_t& mtime_ns) {
  std::error_code ec;
  size = fs::file_size(path, ec);
  if (ec) return false;
  auto t = fs::last_write_time(path, ec);
  if (ec) return false;
  mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::file_clock::to_sys(t).time_since_epoch())
                 .count();
  return true;
}

std::vector<fs::path> DropFolder::WaitingFiles() const {
  struct Found {
    fs::file_time_type mtime;
    fs::path path;
  };
  std::vector<Found> found;
  const auto settled_before =
      fs::file_time_type::clock::now() - std::chrono::seconds(config_.settle_seconds);
  std::error_code ec;
  for (const fs::directory_entry& d : fs::directory_iterator(root(), ec)) {
    std::error_code fec;
    const std::string name = d.path().filename().string();
    if (!IsXmlName(name)) continue;
    // Never d.is_regular_file(): it follows a link, and a link to a file the service can read
    // (a 0600 file, /etc/shadow) would carry that file into the quarantine.
    const fs::file_status st = d.symlink_status(fec);
    if (fec) continue;
    if (st.type() != fs::file_type::regular) {
      host_.Warn("ctf: refused " + name + ": " + sdk::CheckRegularFile(root(), name).message() +
                 "; it is left where it is and not read");
      continue;
    }
    fs::file_time_type mtime = d.last_write_time(fec);
    if (fec) continue;
    // A file modified in the last few seconds may still be being written by the MIS.
    if (config_.settle_seconds > 0 && mtime > settled_before) continue;
    found.push_back({mtime, d.path()});
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.path < b.path;
  });
  std::vector<fs::path> out;
  for (Found& f : found) out.push_back(std::move(f.path));
  return out;
}

Status DropFolder::Ingest(IngestLedger& ledger) {
  for (const fs::path& file : WaitingFiles()) {
    if (host_.Cancelled()) return Status::Cancelled("stopped on request while taking in files");
    const std::string rel = RelativeTo(root(), file);
    uintmax_t size = 0;
    int64_t mtime = 0;
    if (!FileStamp(file, size, mtime)) continue;  // vanished since it was listed
    // A file already taken in and still waiting here for the host: nothing to do, unless it was
    // replaced in place (then its first content is gone: say so, and take the new one in).
    const LedgerEntry* pending = nullptr;
    for (const auto& [seq, e] : ledger.entries())
      if (e.path == rel && e.lost.empty()) pending = &e;
    if (pending && pending->size == size && pending->mtime_ns == mtime) continue;

    Result<std::string> sha = Sha256OfFile(file);
    if (!sha.ok()) {
      host_.Warn("ctf: cannot read " + file.filename().string() + " yet (" +
                 sha.status().message() + "); will try again on the next read");
      continue;
    }
    if (pending && pending->sha256 == *sha) continue;  // touched, not changed
    if (pending) {
      SENDSYNC_RETURN_IF_ERROR(ledger.MarkLost(
          pending->seq, "it was overwritten with different content before sendsync read it"));
    }
    const LedgerEntry* known = ledger.FindHash(*sha);
    if (known && known->state == "accepted") {
      SENDSYNC_RETURN_IF_ERROR(HandleKnown(ledger, *known, file));
      continue;
    }
    std::optional<Scan> scan = ScanFile(file);
    if (!scan) continue;  // unreadable for now; next time
    // Content refused before is judged again: the link's settings (accept_versions) may have
    // changed since, and the admin may have put the file back for that reason.
    if (known && !scan->verdict.accepted) {
      SENDSYNC_RETURN_IF_ERROR(HandleKnown(ledger, *known, file));
      continue;
    }
    SENDSYNC_RETURN_IF_ERROR(IngestNew(ledger, file, *sha, *scan));
  }
  return Status::OK();
}

std::optional<DropFolder::Scan> DropFolder::ScanFile(const fs::path& file) const {
  Result<sdk::RegularFile> opened = sdk::RegularFile::Open(file);
  if (!opened.ok()) {
    host_.Warn("ctf: cannot open " + file.filename().string() + " (" + opened.status().message() +
               "); will try again on the next read");
    return std::nullopt;
  }
  std::unique_ptr<std::istream> in = std::move(*opened).ToStream();
  ScanSink sink;
  Scan scan;
  scan.outcome = ParseCtf(*in, sink);
  if (scan.outcome.io_error) {
    host_.Warn("ctf: reading " + file.filename().string() +
               " failed part-way; will try again on the next read");
    return std::nullopt;
  }
  scan.verdict = JudgeFile(scan.outcome, config_.accept_versions);
  for (auto& [upn, lines] : sink.upns)
    if (lines.size() > 1) scan.duplicates[upn] = lines;
  return scan;
}

Status DropFolder::IngestNew(IngestLedger& ledger, const fs::path& file, const std::string& sha,
                             const Scan& scan) {
  const FileVerdict& verdict = scan.verdict;
  LedgerEntry e;
  e.sha256 = sha;
  e.name = file.filename().string();
  e.ingested_at = NowLocalIso();
  FileStamp(file, e.size, e.mtime_ns);
  const int64_t seq = ledger.max_seq() + 1;
  if (verdict.accepted) {
    e.state = "accepted";
    e.path = e.name;
    e.header = HeaderJson(scan.outcome.header);
    e.pupils = scan.outcome.pupils;
    e.duplicates = scan.duplicates;
  } else {
    e.state = "refused";
    e.reason = verdict.reason;
    e.line = verdict.line;
    e.element = verdict.element;
    SENDSYNC_RETURN_IF_ERROR(fs_->CreateFolders(root() / "rejected"));
    e.path = "rejected/" +
             FreeName(root() / "rejected", e.name, std::to_string(seq)).filename().string();
  }
  Result<int64_t> added = ledger.Add(e);
  if (!added.ok()) return added.status();
  e.seq = *added;
  if (!verdict.accepted) {
    host_.Warn("ctf: refused " + e.name + " (sequence " + std::to_string(e.seq) + ") into " +
               e.path + ": " + e.element + ": " + e.reason);
    return Refuse(e, file);
  }
  host_.Info("ctf: took in " + e.name + " as sequence " + std::to_string(e.seq) + ": " +
             std::to_string(e.pupils) + " pupils, CTF " + e.header.value("version", "") + " from " +
             e.header["source"].value("la", "") + e.header["source"].value("estab", ""));
  return Status::OK();
}

// Writes the reason file beside the refused file's place in rejected/, then moves it there.
Status DropFolder::Refuse(const LedgerEntry& e, const fs::path& from) {
  const fs::path target = root() / e.path;
  const fs::path reason = root() / (e.path + ".reason.txt");
  std::error_code ec;
  SENDSYNC_RETURN_IF_ERROR(fs_->CreateFolders(target.parent_path()));
  if (!fs::exists(reason, ec)) {
    std::string text = "sendsync did not import this file: " + e.name + "\n\n" +
                       "Why: " + e.reason + "\n" + "Where: line " + std::to_string(e.line) +
                       (e.element.empty() ? "" : ", element " + e.element) + "\n" +
                       "Received: " + e.ingested_at + "\n" + "SHA-256: " + e.sha256 + "\n" +
                       "Ledger sequence: " + std::to_string(e.seq) + "\n\n" +
                       "Nothing from this file was imported. Correct the export in the MIS and "
                       "put the new file into " +
                       root().string() +
                       "; this copy stays here for reference and is never read again.\n";
    SENDSYNC_RETURN_IF_ERROR(sdk::WriteNewFileDurably(*fs_, reason, text));
  }
  return sdk::MoveNoClobber(*fs_, from, target);
}

Status DropFolder::HandleKnown(IngestLedger& ledger, const LedgerEntry& known,
                               const fs::path& file) {
  std::error_code ec;
  const fs::path place = root() / known.path;
  if (!fs::exists(place, ec)) {
    // The ledger says the file is elsewhere but it is not there: a move was interrupted, or
    // someone put the file back. Same content, so this is that file: finish the move.
    host_.Info("ctf: finishing the move of " + file.filename().string() + " (sequence " +
               std::to_string(known.seq) + ") to " + known.path);
    if (known.state == "refused") return Refuse(known, file);
    SENDSYNC_RETURN_IF_ERROR(fs_->CreateFolders(place.parent_path()));
    return sdk::MoveNoClobber(*fs_, file, place);
  }
  // The same content again under another name (or again after it was read): never read twice.
  SENDSYNC_RETURN_IF_ERROR(fs_->CreateFolders(root() / "done"));
  const fs::path target =
      FreeName(root() / "done", file.filename().string(), "same-as-" + std::to_string(known.seq));
  std::string note = "sendsync did not read this file: it has the same content (SHA-256 " +
                     known.sha256 + ") as " + known.name + ", which was taken in on " +
                     known.ingested_at + " as ledger sequence " + std::to_string(known.seq) + " (" +
                     known.state + ", now at " + known.path + "). A file is never read twice.\n";
  SENDSYNC_RETURN_IF_ERROR(sdk::WriteNewFileDurably(*fs_, target.string() + ".note.txt", note));
  host_.Info("ctf: " + file.filename().string() + " repeats sequence " + std::to_string(known.seq) +
             "; moved to done/ unread");
  (void)ledger;
  return sdk::MoveNoClobber(*fs_, file, target);
}

Status DropFolder::MarkCommitted(IngestLedger& ledger, int64_t below) {
  std::vector<int64_t> to_move;
  for (const auto& [seq, e] : ledger.entries()) {
    if (seq >= below) break;
    if (e.state == "accepted" && e.lost.empty() && e.path.rfind("done/", 0) != 0)
      to_move.push_back(seq);
  }
  if (to_move.empty()) return Status::OK();
  std::error_code ec;
  SENDSYNC_RETURN_IF_ERROR(fs_->CreateFolders(root() / "done"));
  for (int64_t seq : to_move) {
    const LedgerEntry& e = ledger.entries().at(seq);
    const fs::path from = root() / e.path;
    if (!fs::exists(from, ec)) continue;  // Locate and Ingest deal with a file that is elsewhere
    const fs::path target = FreeName(root() / "done", e.name, std::to_string(seq));
    SENDSYNC_RETURN_IF_ERROR(ledger.Move(seq, "done/" + target.filename().string()));
    SENDSYNC_RETURN_IF_ERROR(sdk::MoveNoClobber(*fs_, from, target));
  }
  return Status::OK();
}

Result<fs::path> DropFolder::Locate(const LedgerEntry& e) const {
  uintmax_t size = 0;
  int64_t mtime = 0;
  for (const std::string& rel : {e.path, e.name}) {
    // Opened part by part without following links: a done/ or rejected/ replaced by a link to
    // another folder does not make sendsync read what is there.
    if (!sdk::RegularFile::Open(root(), rel).ok()) continue;
    const fs::path candidate = root() / rel;
    if (!FileStamp(candidate, size, mtime)) continue;
    if (size == e.size && mtime == e.mtime_ns) return candidate;
    Result<std::string> sha = Sha256OfFile(candidate);
    if (!sha.ok()) return sha.status();
    if (*sha == e.sha256) return candidate;
    if (candidate == root() / e.path)
      return Status::FailedPrecondition("it was changed after sendsync took it in");
  }
  return Status::NotFound("it is no longer at " + (root() / e.path).string());
}

}  // namespace sendsync::ctf
