// The csv adapter: reads MIS report exports (pupil roll with SEN status and needs, provision map
// rows, review rows) and writes bulk-import files, as RFC 4180 CSV, following a column mapping in
// the link's configuration (docs/adapters/csv.md). Exported as the plugin "csv" by
// plugin_entry.cpp; the tests use the class directly as well.
#pragma once

#include <memory>
#include <vector>

#include <sendsync/sdk/adapter.h>
#include <nlohmann/json.hpp>

#include "config.h"
#include "import_writer.h"
#include "source_reader.h"

namespace sendsync::csv {

class CsvAdapter : public sdk::Adapter {
 public:
  static nlohmann::json Manifest();

  Status Configure(const nlohmann::json& config) override;
  Result<nlohmann::json> Describe() override;
  Status Check() override;
  Result<nlohmann::json> Discover() override;
  Status Read(const sdk::ReadRequest& request, sdk::ReadResult& result) override;
  Status Write(const sdk::WriteRequest& request, sdk::WriteResult& result) override;

 private:
  CsvConfig config_;
  std::vector<std::unique_ptr<SourceReader>> readers_;  // one per source (null: write-only)
  std::vector<std::unique_ptr<ImportWriter>> writers_;  // one per source (null: no write)
};

}  // namespace sendsync::csv
