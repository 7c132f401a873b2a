// sendsync-sim-la-portal: the LA portal simulator as a program, for the demo and for tests that
// drive it from another process. Usage (docs/adapters/la-portal.md, "The simulator"):
//
//   sendsync-sim-la-portal [--port N] [--port-file FILE] [--tls-cert PEM --tls-key PEM]
//       [--faults JSON] [--control-port N] [--control-port-file FILE] [--spec YAML] [--la CODE]
//       [--today yyyy-mm-dd] [--scenario NAME] [--api-key KEY [--api-key-header NAME]]
//       [--client-id ID --client-secret SECRET [--token-ttl SECONDS]]
//
// The control port file is written before the API port file, so a driver that waits for the
// API port file finds both ready. Stops on SIGTERM or SIGINT.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "la_portal_sim.h"

using namespace sendsync;
using namespace sendsync::sims;

namespace {

const char kUsage[] =
    "usage: sendsync-sim-la-portal [--port N] [--port-file FILE] [--tls-cert PEM --tls-key PEM]\n"
    "    [--faults JSON] [--control-port N] [--control-port-file FILE] [--spec YAML] [--la CODE]\n"
    "    [--today yyyy-mm-dd] [--scenario manual|on_time|late_decision|more_information|\n"
    "    not_to_assess|no_plan] [--api-key KEY [--api-key-header NAME]]\n"
    "    [--client-id ID --client-secret SECRET [--token-ttl SECONDS]]\n"
    "The API listens on --port, control endpoints (/control/...) on --control-port; both on\n"
    "127.0.0.1. docs/adapters/la-portal.md describes them.\n";

int Usage(const std::string& message) {
  std::fprintf(stderr, "sendsync-sim-la-portal: %s\n%s", message.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto common = ParseSimArgs(args);
  if (!common.ok()) return Usage(common.status().message());

  LaPortalSimOptions o;
  int control_port = 0;
  std::string control_port_file;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= args.size()) return Usage(a + " needs a value (or is unknown)");
    const std::string v = args[++i];
    if (a == "--control-port")
      control_port = std::atoi(v.c_str());
    else if (a == "--control-port-file")
      control_port_file = v;
    else if (a == "--spec")
      o.spec_path = v;
    else if (a == "--la")
      o.la = v;
    else if (a == "--today") {
      o.today = Date::Parse(v);
      if (!o.today) return Usage("--today must be yyyy-mm-dd");
    } else if (a == "--scenario") {
      if (!Scenario(v)) return Usage("unknown --scenario " + v);
      o.default_scenario = v;
    } else if (a == "--api-key") {
      o.auth.mode = "api_key";
      o.auth.api_key = v;
    } else if (a == "--api-key-header")
      o.auth.api_key_header = v;
    else if (a == "--client-id") {
      o.auth.mode = "oauth2";
      o.auth.client_id = v;
    } else if (a == "--client-secret")
      o.auth.client_secret = v;
    else if (a == "--token-ttl")
      o.auth.token_ttl_seconds = std::atoi(v.c_str());
    else
      return Usage("unknown option " + a);
  }
  if (control_port < 0 || control_port > 65535) return Usage("--control-port must be 0..65535");
  if (o.auth.mode == "oauth2" && o.auth.client_secret.empty())
    return Usage("--client-id needs --client-secret");

  // Block the stop signals before any server thread exists, so only ServeUntilSignalled sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  LaPortalSim sim(o);
  Status st = sim.StartControl(static_cast<uint16_t>(control_port));
  if (!st.ok()) {
    std::fprintf(stderr, "sendsync-sim-la-portal: %s\n", st.message().c_str());
    return 1;
  }
  if (!control_port_file.empty()) {
    std::string tmp = control_port_file + ".tmp";
    std::ofstream(tmp) << sim.control_url().substr(sim.control_url().rfind(':') + 1) << "\n";
    std::rename(tmp.c_str(), control_port_file.c_str());
  }
  std::fprintf(stderr, "sendsync-sim-la-portal: control on %s\n", sim.control_url().c_str());
  int rc = ServeUntilSignalled(sim.api_server(), *common, "sendsync-sim-la-portal");
  sim.Stop();
  return rc;
}
