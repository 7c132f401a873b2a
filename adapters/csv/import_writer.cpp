#include "import_writer.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>

#include "sendsync/sdk/csv.h"

namespace sendsync::csv {
namespace {

namespace fs = std::filesystem;

std::string Replace(std::string text, const std::string& token, const std::string& value) {
  for (size_t at = text.find(token); at != std::string::npos;
       at = text.find(token, at + value.size()))
    text.replace(at, token.size(), value);
  return text;
}

std::string BatchId() {
  static std::atomic<unsigned> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count()) + "-" +
         std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

}  // namespace

Result<std::unique_ptr<ImportWriter>> ImportWriter::Open(const SourceSpec& source,
                                                         sdk::FileSystem& fs) {
  Result<RowWriter> rows = RowWriter::Create(source);
  if (!rows.ok()) return rows.status();
  std::unique_ptr<ImportWriter> w(new ImportWriter(source, std::move(*rows), fs));
  SENDSYNC_RETURN_IF_ERROR(w->ledger_.Load());
  return w;
}

std::string ImportWriter::NextFileName() const {
  std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  char date[16], time[16];
  std::strftime(date, sizeof date, "%Y%m%d", &local);
  std::strftime(time, sizeof time, "%H%M%S", &local);
  std::string base = source_->write->file_name;
  base = Replace(base, "{kind}", source_->write_kind);
  base = Replace(base, "{source}", source_->name);
  base = Replace(base, "{date}", date);
  base = Replace(base, "{time}", time);
  bool has_seq = base.find("{seq}") != std::string::npos;
  for (unsigned n = 1;; ++n) {
    std::string name;
    if (has_seq) {
      char seq[16];
      std::snprintf(seq, sizeof seq, "%03u", n);
      name = Replace(base, "{seq}", seq);
    } else {
      fs::path p(base);
      name = n == 1 ? base : p.stem().string() + "-" + std::to_string(n) + p.extension().string();
    }
    if (!ledger_.NameUsed(name) && !fs_->Exists(fs::path(source_->write->out_folder) / name))
      return name;
  }
}

void ImportWriter::Write(const sdk::WriteRequest& request, sdk::WriteResult& result) {
  const WriteSpec& ws = *source_->write;
  Ledger::Entries entries;
  std::map<std::string, std::string> in_batch;  // key -> remote id, for repeats within the call
  std::string body;
  for (const sdk::Change& ch : request.changes) {
    if (const std::string* remote = ledger_.Find(ch.key)) {
      result.Applied(ch.key, *remote);
      continue;
    }
    // A key repeated within the call: the SDK answers every change with its key's one result.
    if (in_batch.count(ch.key)) continue;
    Result<RowWriter::Row> row = rows_.Build(ch);
    if (!row.ok()) {
      result.Rejected(ch.key, row.status().message());
      continue;
    }
    body += FormatRecord(row->cells, source_->delimiter, ws.line_end);
    entries.emplace_back(ch.key, row->remote_id);
    in_batch[ch.key] = row->remote_id;
  }
  if (entries.empty()) return;

  std::string name = NextFileName();
  std::string batch = BatchId();
  std::string content = ws.bom ? "\xEF\xBB\xBF" : "";
  if (source_->header) content += FormatRecord(rows_.header(), source_->delimiter, ws.line_end);
  content += body;
  Status st = ledger_.Begin(batch, name, entries);
  if (st.ok()) st = sdk::WriteFileAtomically(*fs_, fs::path(ws.out_folder) / name, content);
  if (!st.ok()) {
    for (const auto& [key, remote] : entries)
      result.Retry(key, "could not write the import file: " + st.message());
    return;
  }
  // The file is in place, so the changes are applied; a failed commit line is repaired on the
  // next load (the ledger then finds the file).
  (void)ledger_.Commit(batch, name, entries);
  for (const auto& [key, remote] : entries) result.Applied(key, remote);
}

}  // namespace sendsync::csv
