#include "core/cli/commands.h"

namespace sendsync::cli {

void RegisterAll(Registry& registry) {
  RegisterBasicCommands(registry);
  RegisterHubCommands(registry);
  RegisterSyncCommands(registry);
}

}  // namespace sendsync::cli
