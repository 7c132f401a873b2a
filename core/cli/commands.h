// Registration of every sendsync subcommand, one function per area. main() calls RegisterAll.
#pragma once

#include "core/cli/command.h"

namespace sendsync::cli {

void RegisterBasicCommands(Registry& registry);  // version, plugins list / inspect
void RegisterHubCommands(Registry& registry);    // init, pupil show, due, referral check, import/export
void RegisterSyncCommands(Registry& registry);   // link, sync, queues, runs, audit
void RegisterReferralCommands(Registry& registry);  // referral submit (referral check: hub)
void RegisterServerCommands(Registry& registry); // serve, token, config check (core/server)
void RegisterAdapterCommands(Registry& registry);  // adapters keygen/pack/install/… (packages)
void RegisterAll(Registry& registry);

}  // namespace sendsync::cli
