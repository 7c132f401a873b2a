// The csv adapter's configuration: its JSON Schema (for the manifest) and the checked, typed form
// Configure() works from. Every refusal names the config key ("sources[0].columns.need3") and says
// what is wrong, so an admin can fix it without reading code. Used by the csv adapter and tests.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "date_format.h"
#include "sendsync/sdk/status.h"

namespace sendsync::csv {

// Where a field lives in the file: by header text (matched trimmed, ignoring letter case) or by
// position (1 = first column).
struct ColumnRef {
  std::string header;   // empty when by position
  size_t position = 0;  // 1-based; 0 when by header
};

enum class Mode { kSnapshot, kAppend };
enum class Pick { kNewest, kLastByName };

struct WriteSpec {
  std::string out_folder;
  std::string file_name = "{kind}-{date}-{time}-{seq}.csv";
  bool bom = false;
  std::string line_end = "\r\n";
  std::vector<std::string> column_order;  // headers in output order; empty: field order
  std::string true_text = "Y", false_text = "N";
  std::optional<ColumnRef> action_column;  // where "upsert"/"delete" goes; none: no deletes
  std::string action_upsert = "upsert", action_delete = "delete";
  // Cells that a spreadsheet would run as a formula are written with a leading ' (OWASP CSV
  // injection guidance); see NeutraliseFormula. On unless the link's config says false.
  bool neutralise_formulas = true;
};

struct SourceSpec {
  std::string key;   // "sources[0]", for messages
  std::string name;  // unique; names state files and cursor parts
  std::vector<std::string> kinds;
  std::string path;     // a file, or the folder when `pattern` is set; empty: write-only source
  std::string pattern;  // glob of file names in `path` (dated exports)
  Pick pick = Pick::kNewest;
  Mode mode = Mode::kSnapshot;
  bool header = true;
  char delimiter = ',';
  DateFormat date_format;
  std::map<std::string, ColumnRef> columns;     // canonical field -> column
  std::vector<std::string> id_from;             // fields whose values make the record id
  std::map<std::string, std::string> defaults;  // field -> text used when the cell is empty
  int settle_seconds = 0;  // files modified more recently than this are not read yet
  std::string state_folder;
  std::optional<WriteSpec> write;
  std::string write_kind;  // the kind `write` is for (empty when none)

  bool reads() const { return !path.empty(); }
  bool Has(const std::string& kind) const;
  // The folder holding the export (the file's folder, or `path` itself with a pattern).
  std::string ExportFolder() const;
};

struct CsvConfig {
  std::vector<SourceSpec> sources;
};

// Checks and types `config`; the error names the offending key.
Result<CsvConfig> ParseConfig(const nlohmann::json& config);

// JSON Schema of the configuration, for the manifest.
nlohmann::json ConfigSchema();

}  // namespace sendsync::csv
