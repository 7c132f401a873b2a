#include "core/cli/command.h"

#include <algorithm>
#include <iostream>
#include <sstream>

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionProcessor.h>
#include <Poco/Util/OptionSet.h>
#include <nlohmann/json.hpp>

#include "sendsync/sdk/version.h"

namespace sendsync::cli {

std::string Invocation::Get(const std::string& name, const std::string& fallback) const {
  auto it = opts.find(name);
  if (it == opts.end() || it->second.empty()) return fallback;
  return it->second.back();
}

std::vector<std::string> Invocation::All(const std::string& name) const {
  auto it = opts.find(name);
  return it == opts.end() ? std::vector<std::string>{} : it->second;
}

void Invocation::PrintJson(const nlohmann::json& j) const {
  *out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

int Invocation::Fail(const std::string& message, int code) const {
  if (json) {
    PrintJson({{"error", message}});
  } else {
    *err << "sendsync: " << message << "\n";
  }
  return code;
}

void Registry::Add(CommandSpec spec) {
  std::string name = spec.name;
  commands_[name] = std::move(spec);
}

const CommandSpec* Registry::Find(const std::string& name) const {
  auto it = commands_.find(name);
  return it == commands_.end() ? nullptr : &it->second;
}

void AddValueOption(Poco::Util::OptionSet& set, const std::string& name, const std::string& arg,
                    const std::string& description, bool repeatable) {
  set.addOption(Poco::Util::Option(name, "", description)
                    .required(false)
                    .repeatable(repeatable)
                    .argument(arg, true));
}

void AddFlag(Poco::Util::OptionSet& set, const std::string& name, const std::string& description) {
  set.addOption(Poco::Util::Option(name, "", description).required(false).repeatable(true));
}

namespace {

Poco::Util::OptionSet OptionsOf(const CommandSpec& spec) {
  Poco::Util::OptionSet set;
  AddFlag(set, "help", "show this help and exit");
  AddFlag(set, "json", "print machine-readable JSON instead of text");
  if (spec.options) spec.options(set);
  return set;
}

void PrintCommandHelp(const CommandSpec& spec, std::ostream& out) {
  Poco::Util::OptionSet set = OptionsOf(spec);
  Poco::Util::HelpFormatter hf(set);
  hf.setUnixStyle(true);
  hf.setCommand("sendsync " + spec.name);
  hf.setUsage("[options]" + (spec.usage.empty() ? "" : " " + spec.usage));
  hf.setHeader(spec.summary);
  hf.setFooter(spec.help);
  hf.setWidth(100);
  hf.format(out);
}

void PrintOverview(const Registry& reg, std::ostream& out) {
  out << "sendsync " << SENDSYNC_VERSION
      << " — keeps SEND records in step between school MIS, SEND tools and LA portals.\n\n"
         "usage: sendsync COMMAND [options] [arguments]\n"
         "       sendsync COMMAND --help\n\ncommands:\n";
  size_t width = 0;
  for (const auto& [name, spec] : reg.all()) width = std::max(width, name.size());
  for (const auto& [name, spec] : reg.all())
    out << "  " << name << std::string(width - name.size() + 2, ' ') << spec.summary << "\n";
  out << "\nexit codes: 0 ok, 1 failed, 2 usage error, 3 finished with records needing a person\n";
}

}  // namespace

int Main(const Registry& reg, int argc, char** argv, std::ostream& out, std::ostream& err) {
  std::vector<std::string> argvs(argv + 1, argv + argc);
  if (argvs.empty() || argvs[0] == "--help" || argvs[0] == "-h" || argvs[0] == "help") {
    PrintOverview(reg, out);
    return argvs.empty() ? kExitUsage : kExitOk;
  }
  if (argvs[0] == "--version") argvs[0] = "version";

  // Longest command name made of the leading words ("link add" before "link").
  const CommandSpec* spec = nullptr;
  size_t words = 0;
  std::string name;
  for (size_t i = 0; i < argvs.size() && i < 3 && argvs[i].rfind("-", 0) != 0; ++i) {
    name += (i ? " " : "") + argvs[i];
    if (const CommandSpec* s = reg.Find(name)) {
      spec = s;
      words = i + 1;
    }
  }
  if (!spec) {
    // A group name alone ("sendsync link") lists its subcommands.
    std::string group = argvs[0];
    std::ostringstream sub;
    for (const auto& [n, s] : reg.all())
      if (n.rfind(group + " ", 0) == 0) sub << "  " << n << "  —  " << s.summary << "\n";
    if (!sub.str().empty()) {
      err << "sendsync: '" << group << "' needs a subcommand:\n" << sub.str();
      return kExitUsage;
    }
    err << "sendsync: unknown command '" << argvs[0] << "' (see sendsync --help)\n";
    return kExitUsage;
  }

  Invocation inv;
  inv.command = spec->name;
  inv.out = &out;
  inv.err = &err;
  Poco::Util::OptionSet set;
  try {
    set = OptionsOf(*spec);
  } catch (const Poco::Exception& e) {  // a bug in a command's option table
    err << "sendsync " << spec->name << ": internal error in its options: " << e.displayText() << "\n";
    return kExitFailed;
  }
  Poco::Util::OptionProcessor proc(set);
  proc.setUnixStyle(true);
  try {
    bool only_args = false;
    for (size_t i = words; i < argvs.size(); ++i) {
      const std::string& a = argvs[i];
      if (only_args) {
        inv.args.push_back(a);
        continue;
      }
      if (a == "--") {
        only_args = true;
        continue;
      }
      std::string opt_name, opt_arg;
      if (proc.process(a, opt_name, opt_arg)) {
        if (!opt_name.empty()) inv.opts[opt_name].push_back(opt_arg);
      } else {
        inv.args.push_back(a);
      }
    }
    proc.checkRequired();
  } catch (const Poco::Util::OptionException& e) {
    err << "sendsync " << spec->name << ": " << e.displayText() << " (see --help)\n";
    return kExitUsage;
  }
  if (inv.Has("help")) {
    PrintCommandHelp(*spec, out);
    return kExitOk;
  }
  inv.json = inv.Has("json");
  if (inv.args.size() < spec->min_args || inv.args.size() > spec->max_args) {
    err << "sendsync " << spec->name << ": expected "
        << (spec->usage.empty() ? "no arguments" : spec->usage) << " (see --help)\n";
    return kExitUsage;
  }
  if (reg.option_check())
    if (std::string usage = reg.option_check()(inv); !usage.empty())
      return inv.Fail(usage, kExitUsage);
  return spec->run(inv);
}

}  // namespace sendsync::cli
