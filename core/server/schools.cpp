// School names: checks, the establishment-list CSV, storing with an audit entry.
#include "core/server/schools.h"

#include <Poco/TextConverter.h>
#include <Poco/UTF8Encoding.h>
#include <Poco/Windows1252Encoding.h>

#include <algorithm>
#include <filesystem>
#include <regex>

#include "core/audit/audit.h"
#include "core/store/db.h"
#include "sendsync/sdk/csv.h"

namespace sendsync::server {

namespace {

bool ValidUtf8(const std::string& s) {
  Poco::UTF8Encoding utf8;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const int n = utf8.sequenceLength(p, static_cast<int>(end - p));
    if (n <= 0 || !utf8.isLegal(p, n)) return false;
    p += n;
  }
  return true;
}

std::string Trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t") - a + 1);
}

}  // namespace

Status CheckSchoolName(const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("is empty");
  if (name.size() > 200) return Status::InvalidArgument("is longer than 200 bytes");
  if (std::any_of(name.begin(), name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return Status::InvalidArgument("holds a control character");
  if (!ValidUtf8(name)) return Status::InvalidArgument("is not UTF-8 text");
  return Status::OK();
}

Result<SchoolsCsv> ReadSchoolsCsv(const std::string& path, const SchoolsCsvOptions& o) {
  if (o.encoding != "utf-8" && o.encoding != "windows-1252")
    return Status::InvalidArgument("the encoding must be utf-8 or windows-1252, not " + o.encoding);
  csv::CsvReader reader({});
  SENDSYNC_RETURN_IF_ERROR(reader.Open(path));
  csv::CsvRecord rec;
  if (!reader.Next(rec)) {
    SENDSYNC_RETURN_IF_ERROR(reader.status());
    return Status::InvalidArgument(path + ": the file is empty; it needs a header row with " +
                                   o.urn_column + " and " + o.name_column);
  }
  size_t urn_at = rec.size(), name_at = rec.size();
  std::string found;
  for (size_t i = 0; i < rec.size(); ++i) {
    const std::string h = Trim(rec[i]);
    if (h == o.urn_column) urn_at = i;
    if (h == o.name_column) name_at = i;
    found += (found.empty() ? "" : ", ") + h;
  }
  for (auto [at, col] : {std::pair{urn_at, &o.urn_column}, {name_at, &o.name_column}})
    if (at == rec.size())
      return Status::InvalidArgument(path + ": line 1 has no column headed \"" + *col +
                                     "\" (headers found: " + found.substr(0, 400) + ")");
  SchoolsCsv out;
  const std::string source = "import:" + std::filesystem::path(path).filename().string();
  static const std::regex kUrn(R"([0-9]{6})");
  Poco::Windows1252Encoding cp1252;
  Poco::UTF8Encoding utf8;
  Poco::TextConverter to_utf8(cp1252, utf8);
  while (reader.Next(rec)) {
    if (rec.blank()) continue;
    ++out.rows;
    const std::string where = "line " + std::to_string(rec.line) + ": ";
    if (!rec.problem.empty()) {
      out.problems.push_back(where + rec.problem);
      continue;
    }
    if (rec.size() <= std::max(urn_at, name_at)) {
      out.problems.push_back(where + "has " + std::to_string(rec.size()) + " fields, too few");
      continue;
    }
    const std::string urn = Trim(rec[urn_at]);
    std::string name = Trim(rec[name_at]);
    if (o.encoding == "windows-1252") {
      std::string converted;
      to_utf8.convert(name, converted);
      name = converted;
    }
    if (!std::regex_match(urn, kUrn)) {
      out.problems.push_back(where + o.urn_column + " \"" + urn.substr(0, 20) +
                             "\" is not a URN (6 digits)");
      continue;
    }
    if (Status st = CheckSchoolName(name); !st.ok()) {
      out.problems.push_back(where + o.name_column + " " + st.message() +
                             (o.encoding == "utf-8" && st.message() == "is not UTF-8 text"
                                  ? " (for the DfE's Windows-1252 file, give the encoding)"
                                  : ""));
      continue;
    }
    out.schools.push_back({urn, name, source, 0});
  }
  SENDSYNC_RETURN_IF_ERROR(reader.status());
  return out;
}

Status StoreSchoolNames(store::Conn& conn, const std::vector<store::SchoolName>& schools,
                        const std::string& actor, const std::string& source) {
  store::Tx tx(conn);
  SENDSYNC_RETURN_IF_ERROR(tx.status());
  SENDSYNC_RETURN_IF_ERROR(store::PutSchoolNames(conn, schools));
  std::vector<audit::Entry> e(1);
  e[0].actor = actor;
  e[0].action = "school.names";
  e[0].detail = {{"count", schools.size()}, {"source", source}};
  if (schools.size() <= 20) {
    nlohmann::json urns = nlohmann::json::array();
    for (const auto& s : schools) urns.push_back(s.urn);
    e[0].detail["urns"] = urns;
  }
  SENDSYNC_RETURN_IF_ERROR(audit::Append(conn, e));
  return tx.Commit();
}

}  // namespace sendsync::server
