// sendsync version, plugins list, plugins inspect.
#include <iomanip>
#include <iostream>
#include <sstream>

#include <Poco/Util/OptionSet.h>
#include <nlohmann/json.hpp>

#include "core/cli/commands.h"
#include "plugins/plugins.h"
#include "sendsync/plugin_abi.h"
#include "sendsync/sdk/version.h"

namespace sendsync::cli {
namespace {

using nlohmann::json;

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s.empty() ? "-" : s;
}

json InfoJson(const plugins::PluginInfo& p) {
  json j = {{"path", p.path}, {"status", p.ok ? "ok" : "refused"}};
  if (!p.ok) {
    j["reason"] = p.reason;
    return j;
  }
  const auto& m = p.manifest;
  j["id"] = m.id;
  j["name"] = m.name;
  j["version"] = m.version;
  j["vendor"] = m.vendor;
  j["abi"] = std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor);
  j["reads"] = m.reads;
  j["writes"] = m.writes;
  return j;
}

plugins::RuntimeOptions RuntimeFrom(const Invocation& inv) {
  plugins::RuntimeOptions o;
  if (inv.Has("in-process")) o.mode = plugins::Mode::kInProcess;
  return o;
}

void AddRuntimeOptions(Poco::Util::OptionSet& set) {
  AddFlag(set, "in-process",
          "load plugins into this process instead of a worker (trusted plugins only)");
}

int PluginsList(const Invocation& inv) {
  std::string dir = inv.Get("plugins", plugins::DefaultPluginDir());
  auto infos = plugins::Discover(dir, RuntimeFrom(inv));
  if (inv.json) {
    json arr = json::array();
    for (const auto& p : infos) arr.push_back(InfoJson(p));
    inv.PrintJson({{"plugin_dir", dir}, {"plugins", arr}});
    return kExitOk;
  }
  std::ostream& out = *inv.out;
  out << "plugins in " << dir << ":\n";
  if (infos.empty()) out << "  (none: no *.so files there)\n";
  for (const auto& p : infos) {
    if (p.ok) {
      const auto& m = p.manifest;
      out << "  ok       " << std::left << std::setw(12) << m.id << " " << m.name << " "
          << m.version << " by " << m.vendor << ", ABI " << p.abi_major << "." << p.abi_minor
          << ", reads " << Join(m.reads) << ", writes " << Join(m.writes) << "\n"
          << "           " << p.path << "\n";
    } else {
      out << "  refused  " << p.path << ": " << p.reason << "\n";
    }
  }
  return kExitOk;
}

int PluginsInspect(const Invocation& inv) {
  auto info = plugins::Inspect(inv.args[0], RuntimeFrom(inv));
  if (inv.json) {
    json j = InfoJson(info);
    if (info.ok) j["manifest"] = info.manifest.raw;
    inv.PrintJson(j);
  } else if (info.ok) {
    *inv.out << info.path << ": ok\n" << info.manifest.raw.dump(2) << "\n";
  } else {
    *inv.err << info.path << ": refused: " << info.reason << "\n";
  }
  return info.ok ? kExitOk : kExitFailed;
}

}  // namespace

void RegisterBasicCommands(Registry& reg) {
  reg.Add({"version", "print the version of sendsync and of its plugin ABI", "", "", 0, 0, nullptr,
           [](const Invocation& inv) {
             std::string abi =
                 std::to_string(SENDSYNC_ABI_MAJOR) + "." + std::to_string(SENDSYNC_ABI_MINOR);
             if (inv.json)
               inv.PrintJson({{"version", SENDSYNC_VERSION}, {"plugin_abi", abi}});
             else
               *inv.out << "sendsync " << SENDSYNC_VERSION << " (plugin ABI " << abi << ")\n";
             return int(kExitOk);
           }});
  reg.Add({"plugins list", "list the adapter plugins found and whether each is usable", "",
           "Every *.so in the plugin folder is validated before it is trusted; a refused plugin is "
           "shown with the reason and the others still work.",
           0, 0,
           [](Poco::Util::OptionSet& set) {
             AddValueOption(set, "plugins", "DIR",
                            "plugin folder (default: $SENDSYNC_PLUGINS or the bundled folder)");
             AddRuntimeOptions(set);
           },
           PluginsList});
  reg.Add({"plugins inspect", "validate one plugin file and print its manifest", "FILE",
           "Exits 1 when the plugin is refused.", 1, 1, AddRuntimeOptions, PluginsInspect});
}

}  // namespace sendsync::cli
