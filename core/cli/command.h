// The sendsync command line: subcommands ("plugins list", "link add", …), each with its own options
// parsed by Poco::Util, `--help` everywhere, `--json` for machine-readable output, and the exit
// codes every command shares. Subsystems add commands through Registry.
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace Poco::Util {
class OptionSet;
}

namespace sendsync::cli {

// Exit codes (documented in the README).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,
  kExitUsage = 2,
  kExitNeedsPerson = 3,  // finished, but left records for a person (quarantine, conflicts, matches)
};

// What a command sees when it runs.
struct Invocation {
  std::string command;                                   // "link add"
  std::vector<std::string> args;                        // positional arguments
  std::map<std::string, std::vector<std::string>> opts;  // option name -> values (flags: {""})
  bool json = false;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;

  bool Has(const std::string& name) const { return opts.count(name) > 0; }
  // Last value of an option, or `fallback` when absent.
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> All(const std::string& name) const;
  // Writes `j` as pretty JSON followed by a newline to out.
  void PrintJson(const nlohmann::json& j) const;
  // Writes "sendsync: <message>" to err and returns kExitFailed (or `code`).
  int Fail(const std::string& message, int code = kExitFailed) const;
};

struct CommandSpec {
  std::string name;     // "plugins list"
  std::string summary;  // one line for the command list
  std::string usage;    // positional part, e.g. "FILE"
  std::string help;     // longer text under the options
  size_t min_args = 0, max_args = 0;
  // Adds this command's own options (--json and --help are added for every command).
  std::function<void(Poco::Util::OptionSet&)> options;
  std::function<int(const Invocation&)> run;
};

// Checks option values shared by many commands before any of them runs. Returns "" when they are
// good, else the usage error to print (the command then exits with kExitUsage without running).
using OptionCheck = std::function<std::string(const Invocation&)>;

class Registry {
 public:
  void Add(CommandSpec spec);
  const CommandSpec* Find(const std::string& name) const;
  const std::map<std::string, CommandSpec>& all() const { return commands_; }
  void SetOptionCheck(OptionCheck check) { option_check_ = std::move(check); }
  const OptionCheck& option_check() const { return option_check_; }

 private:
  std::map<std::string, CommandSpec> commands_;
  OptionCheck option_check_;
};

// Parses argv, picks the longest matching command name ("plugins list" before "plugins"), and runs
// it. Returns the process exit code.
int Main(const Registry& registry, int argc, char** argv, std::ostream& out, std::ostream& err);

// Adds one option taking a value / a flag, with the Poco::Util::Option defaults we use everywhere.
void AddValueOption(Poco::Util::OptionSet& set, const std::string& name, const std::string& arg,
                    const std::string& description, bool repeatable = false);
void AddFlag(Poco::Util::OptionSet& set, const std::string& name, const std::string& description);

}  // namespace sendsync::cli
