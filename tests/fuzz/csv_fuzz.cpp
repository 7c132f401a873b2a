// Fuzzes the csv adapter's reading of an export (adapters/csv): RFC 4180 records from a file, the
// header bound to a source's column mapping, and every row's structure check and conversion to
// canonical records of each kind the source reads.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "config.h"
#include "sendsync/sdk/csv.h"
#include "row_reader.h"

namespace {

using namespace sendsync::csv;
using nlohmann::json;

// The mapping the tests' roll fixtures use (tests/adapters/csv/fixtures/roll_sims.csv).
const SourceSpec& Roll() {
  static const SourceSpec spec = [] {
    const json source = {{"kind", {"pupil", "sen"}},
                         {"path", "/nonexistent/roll.csv"},
                         {"columns",
                          {{"pupil_id", "Adno"},
                           {"upn", "UPN"},
                           {"legal_surname", "Legal Surname"},
                           {"legal_forename", "Legal Forename"},
                           {"dob", "DOB"},
                           {"sex", "Gender"},
                           {"provision", "SEN Status"},
                           {"local_status", "SEN Status"},
                           {"provision_start", "SEN Start Date"},
                           {"need1", "Primary Need"},
                           {"need2", "Secondary Need"}}}};
    auto c = ParseConfig({{"sources", {source}}});
    if (!c.ok()) std::abort();
    return c->sources.at(0);
  }();
  return spec;
}

std::string InputPath() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/sendsync-fuzz-csv-" +
           std::to_string(::getpid()) + ".csv";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = InputPath();
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  } else {
    return 0;
  }
  // The delimiter the file is read with comes from the first byte, so ';' and tab get a turn.
  CsvReader::Options options;
  options.delimiter = size && data[0] == ';' ? ';' : size && data[0] == '\t' ? '\t' : ',';
  options.max_record_bytes = 4096;
  CsvReader reader(options);
  if (!reader.Open(path).ok()) return 0;
  CsvRecord header;
  if (!reader.Next(header)) return 0;
  auto rows = RowReader::Bind(Roll(), header.problem.empty() ? &header : nullptr);
  CsvRecord row;
  for (int n = 0; n < 10000 && reader.Next(row); ++n) {
    if (!rows.ok()) continue;
    if (!rows->CheckStructure(row).empty()) continue;
    for (const std::string kind : {"pupil", "sen"}) {
      rows->IdentityOf(kind, row);
      auto converted = rows->Convert(kind, row);
      if (converted.errors.empty()) converted.record.dump();
    }
  }
  return 0;
}
