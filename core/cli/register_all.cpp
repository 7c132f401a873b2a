#include "core/cli/commands.h"
#include "core/cli/context.h"

namespace sendsync::cli {

void RegisterAll(Registry& registry) {
  registry.SetOptionCheck(CheckCommonOptions);
  RegisterBasicCommands(registry);
  RegisterHubCommands(registry);
  RegisterSyncCommands(registry);
  RegisterReferralCommands(registry);
#ifdef SENDSYNC_HAVE_PACKAGES
  RegisterAdapterCommands(registry);
#endif
#ifdef SENDSYNC_HAVE_SERVER
  RegisterServerCommands(registry);
#endif
  RegisterAdaptersNewCommand(registry);
#ifdef SENDSYNC_HAVE_TESTKIT
  RegisterAdaptersTestCommand(registry);
#endif
}

}  // namespace sendsync::cli
