// Exports CsvAdapter as this library's adapter: the plugin "csv".
#include "csv_adapter.h"

SENDSYNC_EXPORT_ADAPTER(sendsync::csv::CsvAdapter);
