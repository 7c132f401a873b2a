// School names by URN: checking a name, reading the DfE's establishment list (a CSV with a header
// row; the URN and name columns are found by their headers), and storing names with an audit entry.
#pragma once

#include <string>
#include <vector>

#include "core/store/store.h"

namespace sendsync::server {

// OK, or why `name` cannot be a school's name (empty, longer than 200 bytes, a control
// character, not UTF-8).
Status CheckSchoolName(const std::string& name);

struct SchoolsCsvOptions {
  std::string urn_column = "URN";
  std::string name_column = "EstablishmentName";
  // "utf-8" (the default) or "windows-1252" (converted to UTF-8 as it is read).
  std::string encoding = "utf-8";
};

struct SchoolsCsv {
  std::vector<store::SchoolName> schools;  // the rows that passed, source set to the file's name
  std::vector<std::string> problems;       // "line N: what is wrong", one per row left out
  size_t rows = 0;                         // data rows read (blank lines not counted)
};

// Reads the file. Fails (InvalidArgument, naming the column and the headers found) when the header
// row lacks either column; a row with a bad URN or name is left out and named in `problems`.
Result<SchoolsCsv> ReadSchoolsCsv(const std::string& path, const SchoolsCsvOptions& options);

// Stores the names in one transaction with one audit entry (action "school.names") by `actor`
// giving how many were set, from where, and the URNs when there are at most 20.
Status StoreSchoolNames(store::Conn& conn, const std::vector<store::SchoolName>& schools,
                        const std::string& actor, const std::string& source);

}  // namespace sendsync::server
