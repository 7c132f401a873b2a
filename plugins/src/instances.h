// Internal to plugins/: the two Instance implementations.
#pragma once

#include <memory>
#include <string>

#include "loader.h"
#include "plugins/plugins.h"

namespace sendsync::plugins::detail {

Result<std::unique_ptr<Instance>> OpenInProcess(std::shared_ptr<LoadedLibrary> lib,
                                                const std::string& plugin_id,
                                                const std::string& config_json);

Result<std::unique_ptr<Instance>> OpenWorker(const PluginInfo& plugin,
                                             const std::string& config_json,
                                             const RuntimeOptions& options);

// Reads {"message": ...} out of an error body; falls back to the body itself.
std::string MessageOf(const std::string& body);
CallStatus FromAbi(int status);

}  // namespace sendsync::plugins::detail
