#include "ctf_reader.h"

#include <fstream>

#include <sendsync/sdk/regular_file.h>

#include "ctf_parser.h"
#include "ctf_pupil_records.h"
#include "file_util.h"
#include "read_cursor.h"
#include "sendsync/sdk/durable_file.h"

namespace sendsync::ctf {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Names a file's content in a cursor, so that offsets are only ever used on the bytes they came
// from.
std::string FileIdentity(const LedgerEntry& e) {
  return std::to_string(e.size) + "-" + e.sha256.substr(0, 16);
}

// The lines around `line` of a refused file, for the quarantine: enough to see the fault without
// carrying a whole file of pupils into another system.
std::string Excerpt(const fs::path& file, int line) {
  Result<sdk::RegularFile> opened = sdk::RegularFile::Open(file);
  if (!opened.ok()) return "";
  std::unique_ptr<std::istream> stream = std::move(*opened).ToStream();
  std::istream& in = *stream;
  const int from = line > 10 ? line - 10 : 1, to = line + 10;
  std::string out;
  size_t kept = 0;  // characters kept of the current line: a file on one line stays bounded
  int n = 1;
  for (char c; n <= to && in.get(c);) {
    if (c == '\n') {
      if (n >= from) out += '\n';
      ++n;
      kept = 0;
    } else if (n >= from && kept < 2000) {
      out += c;
      if (++kept == 2000) out += "...";
    }
  }
  return out;
}

std::string Where(const std::string& file, const Problem& p) {
  return file + " line " + std::to_string(p.line) + ", " + p.element;
}

// Hands each pupil from `start` on to the conversion rules, and what comes of it to the read
// result. `budget` counts records and rejects; a pupil that gives this kind nothing (no SEN history
// in a read of "sen") costs nothing. When the budget is spent the parse stops at the next pupil
// that would give something, so "more" is only ever set when there is more.
class ReadSink : public PupilSink {
 public:
  ReadSink(const LedgerEntry& e, const std::string& kind, uint64_t start, size_t& budget,
           const PupilRules& rules, sdk::ReadResult& res)
      : next(start), e_(e), kind_(kind), start_(start), budget_(budget), rules_(rules), res_(res) {}

  bool WantRaw(size_t index) const override { return index >= start_; }

  bool OnPupil(ParsedPupil& p) override {
    if (p.index < start_) return true;
    PupilOutcome o = ConvertPupil(p, rules_);
    const bool as_pupil = kind_ == "pupil";
    if (!as_pupil && !o.has_sen) {  // no SEN history: nothing to say about SEN
      Passed(p);
      return true;
    }
    if (budget_ == 0) return false;  // this pupil is the next page's first
    --budget_;
    Passed(p);
    if (as_pupil && o.identity_problems.empty()) {
      res_.AddRecord(o.pupil);
    } else if (as_pupil) {
      res_.AddReject(p.raw, Where(e_.name, o.identity_problems.front()),
                     "this pupil was not imported: " + DescribeProblems(o.identity_problems),
                     o.upn);
    }
    if (as_pupil && o.has_sen && spooled) {  // the same pupil's SEN, for this run's sen pages
      spooled->push_back({next, next_at, Sen(p, o)});
    } else if (!as_pupil) {
      SenSpool::Entry sen = Sen(p, o);
      if (sen.is_record)
        res_.AddRawRecord(std::move(sen.record));
      else
        res_.rejects.push_back(std::move(sen.reject));
    }
    return true;
  }

  // What pupil `p` gives a read of "sen".
  SenSpool::Entry Sen(const ParsedPupil& p, const PupilOutcome& o) const {
    SenSpool::Entry out;
    if (o.identity_problems.empty() && o.sen_problems.empty()) {
      out.is_record = true;
      out.record = o.sen.dump();
      return out;
    }
    std::vector<Problem> all = o.identity_problems;
    all.insert(all.end(), o.sen_problems.begin(), o.sen_problems.end());
    out.reject = {p.raw, Where(e_.name, all.front()),
                  "this pupil's SEN record was not imported: " + DescribeProblems(all), o.upn};
    return out;
  }

  // A read of "pupil" that spools: each pupil's SEN entry with the position after the pupil.
  struct Spooled {
    uint64_t next;
    FilePos next_at;
    SenSpool::Entry entry;
  };
  std::vector<Spooled>* spooled = nullptr;

  uint64_t next;    // pupils of the file done: the cursor's position within it
  FilePos next_at;  // where pupil `next` starts in the file; offset 0 when not known

 private:
  void Passed(const ParsedPupil& p) {
    next = p.index + 1;
    next_at = p.end;
  }

  const LedgerEntry& e_;
  const std::string& kind_;
  const uint64_t start_;
  size_t& budget_;
  const PupilRules& rules_;
  sdk::ReadResult& res_;
};

}  // namespace

Status CtfReader::Read(const sdk::ReadRequest& req, sdk::ReadResult& res) {
  if (req.kind != "pupil") return ReadPage(req, res, nullptr);
  spool_.BeginPupilPage(req.cursor);
  std::vector<SenSpool::Entry> spooled;
  Status st = ReadPage(req, res, &spooled);
  if (!st.ok()) {
    spool_.Abandon();
    return st;
  }
  spool_.EndPupilPage(spooled, res.next_cursor);
  return Status::OK();
}

Status CtfReader::ReadPage(const sdk::ReadRequest& req, sdk::ReadResult& res,
                           std::vector<SenSpool::Entry>* spooled) {
  if (req.kind != "pupil" && req.kind != "sen")
    return Status::InvalidArgument(
        "the ctf adapter reads records of kind 'pupil' and 'sen', not '" + req.kind + "'");
  std::optional<ReadCursor> cursor = ReadCursor::Parse(req.cursor);
  if (!cursor)
    return Status::InvalidArgument("cursor '" + req.cursor + "' was not made by the ctf adapter");
  Result<sdk::FolderLock> lock = sdk::FolderLock::Acquire(drop_.lock_path());
  if (!lock.ok()) return lock.status();
  Result<IngestLedger> loaded = IngestLedger::Load(drop_.ledger_path());
  if (!loaded.ok()) return loaded.status();
  IngestLedger& ledger = *loaded;

  ReadCursor pos = *cursor;
  if (!pos.ledger.empty() && pos.ledger != ledger.id()) {
    // The ledger was replaced (or the cursor belongs elsewhere): nothing in this ledger is known
    // to the host, so read all of it. Reading a file again is harmless; skipping one is not.
    host_.Warn("ctf: the cursor belongs to ingest ledger " + pos.ledger + ", not " + ledger.id() +
               "; reading this ledger from its start");
    pos = ReadCursor{};
  } else if (!pos.ledger.empty()) {
    SENDSYNC_RETURN_IF_ERROR(drop_.MarkCommitted(ledger, pos.seq));
  }
  pos.ledger = ledger.id();
  SENDSYNC_RETURN_IF_ERROR(drop_.Ingest(ledger));

  size_t budget = req.limit;
  if (req.kind == "sen" && (cursor->ledger.empty() || cursor->ledger == ledger.id()) &&
      spool_.Serves(req.cursor)) {
    std::string next;
    bool exhausted = false;
    SENDSYNC_RETURN_IF_ERROR(spool_.Serve(req.cursor, budget, res, next, exhausted));
    std::optional<ReadCursor> reached = ReadCursor::Parse(next);
    if (!reached) return Status::Internal("the ctf adapter's spool holds a cursor it cannot read");
    pos = *reached;
    if (!exhausted) {
      res.next_cursor = next;
      res.more = true;
      res.remaining = spool_.LeftAfterServed();  // for progress: the pupil pass counted them
      return Status::OK();
    }
    // Used up: read on from the files where the pupil pages stopped (new files, the rest).
  }
  for (auto it = ledger.entries().lower_bound(pos.seq); it != ledger.entries().end(); ++it) {
    const LedgerEntry& e = it->second;
    const uint64_t start = e.seq == pos.seq ? pos.pupils : 0;
    const ReadCursor here = e.seq == pos.seq ? pos : ReadCursor{ledger.id(), e.seq, 0, {}, {}, {}};
    std::optional<fs::path> file;
    if (e.state == "accepted" && e.lost.empty()) {
      Result<fs::path> found = drop_.Locate(e);
      if (found.ok()) {
        file = *found;
      } else if (found.status().code() == Status::Code::kNotFound ||
                 found.status().code() == Status::Code::kFailedPrecondition) {
        SENDSYNC_RETURN_IF_ERROR(ledger.MarkLost(e.seq, found.status().message()));
        host_.Warn("ctf: " + e.name + " (sequence " + std::to_string(e.seq) +
                   ") cannot be read: " + e.lost);
      } else {
        return found.status();
      }
    }
    // Refused or lost: one reject, when the cursor has not passed it yet (a file lost part-way
    // through holds back the pupils after the cursor).
    if (!file) {
      if (start == 0 || !e.lost.empty()) {
        if (budget == 0) {
          res.more = true;
          break;
        }
        ReportFile(e, start, res);
        --budget;
        if (spooled) {  // a refused or lost file holds back its SEN records too
          SenSpool::Entry x;
          x.after = ReadCursor{ledger.id(), e.seq + 1, 0, {}, {}, {}}.ToString();
          x.reject = res.rejects.back();
          spooled->push_back(std::move(x));
        }
      }
      pos = {ledger.id(), e.seq + 1, 0, {}, {}, {}};
      continue;
    }
    ReadCursor next;
    Result<bool> stopped = ReadFile(e, *file, req.kind, here, budget, next, res, spooled);
    if (!stopped.ok()) return stopped.status();
    if (*stopped) {
      pos = next;
      res.more = true;
      break;
    }
    pos = {ledger.id(), e.seq + 1, 0, {}, {}, {}};
    if (host_.Cancelled()) {
      res.more = std::next(it) != ledger.entries().end();
      break;
    }
  }
  res.next_cursor = pos.ToString();
  // For progress: the ledger knows how many pupils each file holds, so a pupil read knows exactly
  // how many records and rejects are still to come (one reject for a refused or lost file).
  if (res.more && req.kind == "pupil") {
    int64_t left = 0;
    for (auto it = ledger.entries().lower_bound(pos.seq); it != ledger.entries().end(); ++it) {
      const LedgerEntry& e = it->second;
      const uint64_t done = e.seq == pos.seq ? pos.pupils : 0;
      if (e.state != "accepted" || !e.lost.empty())
        left += done == 0 || !e.lost.empty() ? 1 : 0;
      else if (e.pupils > done)
        left += static_cast<int64_t>(e.pupils - done);
    }
    res.remaining = left;
  }
  return Status::OK();
}

Result<bool> CtfReader::ReadFile(const LedgerEntry& e, const fs::path& file,
                                 const std::string& kind, const ReadCursor& at, size_t& budget,
                                 ReadCursor& next, sdk::ReadResult& res,
                                 std::vector<SenSpool::Entry>* spooled) {
  Result<sdk::RegularFile> opened = sdk::RegularFile::Open(file);
  if (!opened.ok())
    return Status::Unavailable("cannot open '" + file.string() + "': " + opened.status().message());
  const std::string identity = FileIdentity(e);
  const bool same_size = static_cast<uintmax_t>(opened->info().st_size) == e.size;
  ReadCursor start = at;
  if (start.from.offset != 0 && start.file != identity) {
    // The offsets belong to other content: they say nothing about this file, so it is read from
    // its start. Reading pupils again is harmless; skipping one is not.
    host_.Warn("ctf: the cursor's position in " + e.name + " (sequence " + std::to_string(e.seq) +
               ") belongs to other content; reading the file from its start");
    start = ReadCursor{at.ledger, e.seq, 0, {}, {}, {}};
  }
  PupilRules rules;
  rules.extra_need_types = config_.extra_need_types;
  for (const auto& [upn, lines] : e.duplicates) rules.duplicate_upns.insert(upn);
  const size_t records_before = res.records.size(), rejects_before = res.rejects.size();
  const size_t budget_before = budget;
  std::optional<ResumeAt> resume;
  if (start.from.offset != 0 && same_size && start.from.offset <= e.size)
    resume = ResumeAt{start.data, start.from, start.pupils};
  std::vector<ReadSink::Spooled> sen;
  std::optional<ReadSink> sink;
  sink.emplace(e, kind, start.pupils, budget, rules, res);
  if (spooled) sink->spooled = &sen;
  if (resume) sink->next_at = start.from;
  ParseOutcome outcome = ParseCtfFile(opened->fd(), *sink, resume ? &*resume : nullptr);
  if (resume && !outcome.io_error && (!outcome.well_formed || !outcome.root_ok)) {
    // A sound file is sound from every pupil boundary, so the position was not one: count the
    // pupils from the file's start instead, forgetting what the failed attempt found.
    host_.Warn("ctf: cannot resume " + e.name + " at byte " + std::to_string(start.from.offset) +
               "; counting its pupils from the start");
    res.records.resize(records_before);
    res.rejects.resize(rejects_before);
    budget = budget_before;
    sen.clear();
    sink.emplace(e, kind, start.pupils, budget, rules, res);
    if (spooled) sink->spooled = &sen;
    resume.reset();
    outcome = ParseCtfFile(opened->fd(), *sink, nullptr);
  }
  next = ReadCursor{at.ledger, e.seq, sink->next, sink->next_at, resume ? start.data : outcome.data,
                    identity};
  if (next.data.offset == 0) next.from = FilePos{};
  for (ReadSink::Spooled& x : sen) {
    ReadCursor after = next;
    after.pupils = x.next;
    after.from = next.data.offset == 0 ? FilePos{} : x.next_at;
    x.entry.after = after.ToString();
    spooled->push_back(std::move(x.entry));
  }
  if (outcome.io_error)
    return Status::Unavailable("reading '" + file.string() + "' failed part-way");
  if (!outcome.well_formed || !outcome.root_ok)
    return Status::Corruption(
        "'" + file.string() + "' (sequence " + std::to_string(e.seq) +
        ") was a sound CTF when it was taken in but is not now: " + outcome.error);
  return outcome.stopped;
}

void CtfReader::ReportFile(const LedgerEntry& e, uint64_t read, sdk::ReadResult& res) {
  if (!e.lost.empty()) {
    const std::string what =
        read == 0 ? "nothing from " + e.name
                  : "no pupil after the first " + std::to_string(read) + " of " + e.name;
    res.AddReject("", e.name,
                  what + " (ledger sequence " + std::to_string(e.seq) + ", taken in " +
                      e.ingested_at + ") was imported: " + e.lost +
                      ". Put the file back into the drop folder to import it.");
    return;
  }
  std::string where = e.name + " line " + std::to_string(e.line);
  if (!e.element.empty()) where += ", " + e.element;
  res.AddReject(Excerpt(drop_.root() / e.path, e.line), where,
                "the whole file was refused and moved to " + e.path + " (see " + e.path +
                    ".reason.txt): " + e.reason);
}

Result<json> CtfReader::Describe() {
  json items = json::array();
  std::error_code ec;
  if (fs::exists(drop_.ledger_path(), ec)) {
    Result<sdk::FolderLock> lock = sdk::FolderLock::Acquire(drop_.lock_path());
    if (!lock.ok()) return lock.status();
    Result<IngestLedger> ledger = IngestLedger::Load(drop_.ledger_path());
    if (!ledger.ok()) return ledger.status();
    for (const auto& [seq, e] : ledger->entries()) {
      json item = {{"file", e.name},
                   {"sequence", seq},
                   {"state", e.lost.empty() ? e.state : "lost"},
                   {"path", e.path},
                   {"taken_in", e.ingested_at}};
      if (e.state == "accepted") {
        item["header"] = e.header;
        item["pupils"] = e.pupils;
      } else {
        item["reason"] = e.reason;
      }
      items.push_back(std::move(item));
    }
  }
  for (const fs::path& p : drop_.WaitingFiles()) {
    bool known = false;
    for (const json& i : items) known |= i.value("path", "") == p.filename().string();
    if (!known) items.push_back({{"file", p.filename().string()}, {"state", "waiting"}});
  }
  return items;
}

}  // namespace sendsync::ctf
