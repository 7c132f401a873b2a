// sendsync-sim-mis-api: the MIS API simulator as a program, for the demo and for tests that drive
// it from another process. Serves until SIGTERM or SIGINT.
//
//   sendsync-sim-mis-api --token TOKEN [--data SCHOOL.json] [--change-mid-pagination]
//                        [--port N] [--port-file FILE] [--tls-cert PEM --tls-key PEM]
//                        [--faults JSON]
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mis_api_sim.h"

namespace {

const char kName[] = "sendsync-sim-mis-api";

int Usage(const std::string& problem) {
  std::fprintf(stderr,
               "%s: %s\n"
               "usage: %s --token TOKEN [--data SCHOOL.json] [--change-mid-pagination]\n"
               "       [--port N] [--port-file FILE] [--tls-cert PEM --tls-key PEM] "
               "[--faults JSON]\n",
               kName, problem.c_str(), kName);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto common = sendsync::sims::ParseSimArgs(args);
  if (!common.ok()) return Usage(common.status().message());
  std::string token, data_file;
  bool mid_pagination = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--token" || args[i] == "--data") && i + 1 < args.size()) {
      (args[i] == "--token" ? token : data_file) = args[i + 1];
      ++i;
    } else if (args[i] == "--change-mid-pagination") {
      mid_pagination = true;
    } else if (args[i] == "--help" || args[i] == "-h") {
      return Usage("serves the MIS API of docs/adapters/mis-api.md over an in-memory school");
    } else {
      return Usage("unknown or incomplete option '" + args[i] + "'");
    }
  }
  if (token.empty()) return Usage("--token is required (the bearer token clients must send)");

  sendsync::sims::mis_api::MisApiSim sim(token);
  if (!data_file.empty()) {
    std::ifstream in(data_file);
    if (!in) return Usage("cannot read --data file '" + data_file + "'");
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json data = nlohmann::json::parse(text.str(), nullptr, false);
    if (data.is_discarded()) return Usage("--data file '" + data_file + "' is not JSON");
    sendsync::Status st = sim.LoadSchool(data);
    if (!st.ok()) return Usage("--data file '" + data_file + "': " + st.message());
  }
  sim.SetChangeMidPagination(mid_pagination);
  return sendsync::sims::ServeUntilSignalled(sim.server(), *common, kName);
}
