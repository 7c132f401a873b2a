// Registration of every sendsync subcommand, one function per area. main() calls RegisterAll.
#pragma once

#include "core/cli/command.h"

namespace sendsync::cli {

void RegisterBasicCommands(Registry& registry);   // version, plugins list / inspect
void RegisterAll(Registry& registry);

}  // namespace sendsync::cli
