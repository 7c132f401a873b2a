// `sendsync adapters new NAME`: writes a new adapter project from the SDK's template (package
// sendsync-sdk-dev: <prefix>/share/sendsync-sdk/template): a working adapter with the id NAME, its
// conformance test and a CMake project that finds the installed SDK.
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <Poco/Util/OptionSet.h>
#include <boost/dll/runtime_symbol_info.hpp>
#include <nlohmann/json.hpp>

#include "core/cli/commands.h"

namespace sendsync::cli {
namespace {

namespace fs = std::filesystem;

// The template's placeholders and what replaces each, for an id such as "acme-mis".
struct Names {
  std::string id;     // acme-mis   (manifest id, file name acme-mis.so)
  std::string ident;  // acme_mis   (CMake targets)
  std::string camel;  // AcmeMis    (C++ class, test names)
};

// The same rule the host applies to a manifest id (plugins/src/manifest.cpp).
bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 64 || id.front() == '-') return false;
  for (char c : id)
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
      return false;
  return std::isalpha(static_cast<unsigned char>(id.front())) != 0;
}

Names NamesFor(const std::string& id) {
  Names n{id, id, ""};
  for (char& c : n.ident)
    if (c == '-') c = '_';
  bool up = true;
  for (char c : id) {
    if (c == '-') {
      up = true;
      continue;
    }
    n.camel += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return n;
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size())
    s.replace(at, from.size(), to);
  return s;
}

std::string DefaultTemplateDir() {
  const fs::path exe = boost::dll::program_location().string();
  return (exe.parent_path().parent_path() / "share" / "sendsync-sdk" / "template").string();
}

int AdaptersNew(const Invocation& inv) {
  const std::string id = inv.args[0];
  if (!ValidId(id))
    return inv.Fail(
        "adapter name '" + id +
            "': use lower-case letters, digits and '-', starting with a letter, at most "
            "64 characters (it becomes the manifest id and <name>.so)",
        kExitUsage);
  const fs::path from = inv.Get("template", DefaultTemplateDir());
  const fs::path to = inv.Get("dir", id);
  std::error_code ec;
  if (!fs::is_regular_file(from / "CMakeLists.txt", ec) ||
      !fs::is_regular_file(from / "adapter.cpp", ec))
    return inv.Fail("no adapter template in " + from.string() +
                    " (it comes with the sendsync-sdk-dev package; or give --template DIR)");
  if (fs::exists(to, ec)) return inv.Fail(to.string() + " already exists; choose another --dir");
  const Names n = NamesFor(id);
  std::vector<std::string> written;
  fs::create_directories(to, ec);
  if (ec) return inv.Fail("cannot create " + to.string() + ": " + ec.message());
  for (const auto& entry : fs::directory_iterator(from, ec)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return inv.Fail("cannot read " + entry.path().string());
    std::string s = text.str();
    s = ReplaceAll(s, "my-adapter", n.id);
    s = ReplaceAll(s, "my_adapter", n.ident);
    s = ReplaceAll(s, "MyAdapter", n.camel);
    const fs::path out_path = to / entry.path().filename();
    std::ofstream out(out_path, std::ios::binary);
    out << s;
    out.close();
    if (!out) return inv.Fail("cannot write " + out_path.string());
    written.push_back(out_path.string());
  }
  if (ec) return inv.Fail("cannot read the template " + from.string() + ": " + ec.message());
  if (inv.json) {
    inv.PrintJson({{"id", n.id}, {"dir", to.string()}, {"files", written}});
    return kExitOk;
  }
  *inv.out << "wrote the adapter " << n.id << " in " << to.string() << "/:\n";
  for (const auto& f : written) *inv.out << "  " << f << "\n";
  *inv.out << "build and test it:\n  cmake -S " << to.string() << " -B " << to.string()
           << "/build && cmake --build " << to.string() << "/build && ctest --test-dir "
           << to.string() << "/build\n";
  return kExitOk;
}

}  // namespace

void RegisterAdaptersNewCommand(Registry& reg) {
  reg.Add({"adapters new", "write a new adapter project from the SDK's template", "NAME",
           "Writes a working adapter with the id NAME (it reads canonical records from "
           "<folder>/<kind>.jsonl), its conformance test and a CMake project that finds the "
           "installed SDK (package sendsync-sdk-dev) into the folder NAME (or --dir). Then change "
           "its manifest, Configure, Read and Write for your system (docs: adapter-sdk.md).",
           1, 1,
           [](Poco::Util::OptionSet& set) {
             AddValueOption(set, "dir", "DIR",
                            "where to write it (default: ./NAME; must not exist)");
             AddValueOption(set, "template", "DIR",
                            "the template (default: <prefix>/share/sendsync-sdk/template)");
           },
           AdaptersNew});
}

}  // namespace sendsync::cli
