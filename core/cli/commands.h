// Registration of every sendsync subcommand, one function per area. main() calls RegisterAll.
#pragma once

#include "core/cli/command.h"

namespace sendsync::cli {

void RegisterBasicCommands(Registry& registry);  // version, plugins list / inspect
void RegisterHubCommands(Registry& registry);    // init, pupil show, due, referral check, import/export
void RegisterSyncCommands(Registry& registry);   // link, sync, queues, runs, audit
void RegisterReferralCommands(Registry& registry);  // referral submit (referral check: hub)
void RegisterServerCommands(Registry& registry); // serve, token, config check (core/server)
// adapters test (core/cli/commands_adapters_test.cpp): only in builds with the SDK's conformance
// kit (SENDSYNC_TESTS, which every packaged build has).
void RegisterAdaptersTestCommand(Registry& registry);
// adapters new (core/cli/commands_adapters_new.cpp): a new adapter from the SDK's template.
void RegisterAdaptersNewCommand(Registry& registry);
void RegisterAdapterCommands(Registry& registry);  // adapters keygen/pack/install/… (packages)
void RegisterAll(Registry& registry);

}  // namespace sendsync::cli
