#include "core/cli/commands.h"

namespace sendsync::cli {

void RegisterAll(Registry& registry) { RegisterBasicCommands(registry); }

}  // namespace sendsync::cli
