// sendsync schools set / import / list: school names by URN (the schools table), shown wherever
// the dashboard shows a URN.
#include <iostream>
#include <regex>

#include <Poco/Util/OptionSet.h>
#include <nlohmann/json.hpp>

#include "core/cli/commands.h"
#include "core/cli/context.h"
#include "core/server/schools.h"

namespace sendsync::cli {
namespace {

using nlohmann::json;

int SchoolsSet(const Invocation& inv) {
  const std::string urn = inv.args[0], name = inv.args[1];
  if (!std::regex_match(urn, std::regex("[0-9]{6}")))
    return inv.Fail("URN \"" + urn + "\" is not a school URN (6 digits)", kExitUsage);
  if (Status st = server::CheckSchoolName(name); !st.ok())
    return inv.Fail("NAME " + st.message(), kExitUsage);
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  auto conn = (*ctx)->store->Connect();
  if (!conn.ok()) return Fail(inv, conn.status());
  Status st = server::StoreSchoolNames(**conn, {{urn, name, "cli", 0}}, (*ctx)->actor, "cli");
  if (!st.ok()) return Fail(inv, st);
  if (inv.json)
    inv.PrintJson({{"ok", true}, {"urn", urn}, {"name", name}});
  else
    *inv.out << "school " << urn << " is now named " << name << "\n";
  return kExitOk;
}

int SchoolsImport(const Invocation& inv) {
  server::SchoolsCsvOptions o;
  if (inv.Has("urn-column")) o.urn_column = inv.Get("urn-column");
  if (inv.Has("name-column")) o.name_column = inv.Get("name-column");
  if (inv.Has("encoding")) o.encoding = inv.Get("encoding");
  auto read = server::ReadSchoolsCsv(inv.args[0], o);
  if (!read.ok()) {
    if (read.status().code() == Status::Code::kInvalidArgument)
      return inv.Fail(read.status().message(), kExitUsage);
    return Fail(inv, read.status());
  }
  if (read->schools.empty())
    return inv.Fail(inv.args[0] + ": no row had a usable URN and name" +
                    (read->problems.empty() ? "" : "; the first: " + read->problems[0]));
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  auto conn = (*ctx)->store->Connect();
  if (!conn.ok()) return Fail(inv, conn.status());
  const std::string source = read->schools[0].source;
  if (Status st = server::StoreSchoolNames(**conn, read->schools, (*ctx)->actor, source); !st.ok())
    return Fail(inv, st);
  if (inv.json) {
    inv.PrintJson({{"ok", true},
                   {"rows", read->rows},
                   {"named", read->schools.size()},
                   {"left_out", read->problems}});
  } else {
    *inv.out << "named " << read->schools.size() << " of " << read->rows << " schools from "
             << inv.args[0] << "\n";
    for (const auto& p : read->problems) *inv.out << "  left out: " << p << "\n";
  }
  return kExitOk;
}

int SchoolsList(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  auto conn = (*ctx)->store->Connect();
  if (!conn.ok()) return Fail(inv, conn.status());
  auto names = store::ListSchoolNames(**conn);
  if (!names.ok()) return Fail(inv, names.status());
  if (inv.json) {
    json arr = json::array();
    for (const auto& s : *names)
      arr.push_back({{"urn", s.urn}, {"name", s.name}, {"source", s.source}});
    inv.PrintJson({{"schools", arr}});
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : *names) rows.push_back({s.urn, s.name, s.source});
  PrintTable(*inv.out, {"URN", "NAME", "SOURCE"}, rows);
  return kExitOk;
}

}  // namespace

void RegisterSchoolCommands(Registry& reg) {
  reg.Add({"schools set", "name a school, shown wherever its URN is", "URN NAME", "", 2, 2,
           CommonOptions, SchoolsSet});
  reg.Add({"schools import",
           "name schools from the DfE's establishment list (Get Information About Schools CSV)",
           "FILE",
           "Reads a CSV file with a header row and takes each school's URN and name from the "
           "columns headed URN and EstablishmentName (other headers with --urn-column and "
           "--name-column; every other column is ignored). A row with a bad URN or name is left "
           "out and listed; the rest are stored in one transaction, audited.",
           1, 1,
           [](Poco::Util::OptionSet& s) {
             AddCommonOptions(s);
             AddValueOption(s, "urn-column", "HEADER", "the URN column's header (default URN)");
             AddValueOption(s, "name-column", "HEADER",
                            "the name column's header (default EstablishmentName)");
             AddValueOption(s, "encoding", "ENC",
                            "utf-8 (default) or windows-1252, converted to UTF-8");
           },
           SchoolsImport});
  reg.Add({"schools list", "named schools", "", "", 0, 0, CommonOptions, SchoolsList});
}

}  // namespace sendsync::cli
