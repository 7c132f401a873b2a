// The sendsync command.
#include <signal.h>

#include <iostream>

#include "core/cli/commands.h"

int main(int argc, char** argv) {
  // A worker that dies while we write to it must be an error value, not the end of this process.
  ::signal(SIGPIPE, SIG_IGN);
  sendsync::cli::Registry registry;
  sendsync::cli::RegisterAll(registry);
  return sendsync::cli::Main(registry, argc, argv, std::cout, std::cerr);
}
