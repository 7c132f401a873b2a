// Internal to plugins/: the checks and the Boost.DLL loading shared by the host runtime (in-process
// mode) and the worker executable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/dll/shared_library.hpp>

#include "sendsync/plugin_abi.h"
#include "sendsync/sdk/status.h"

namespace sendsync::plugins::detail {

// Checks that need no plugin code to run: regular readable non-empty file, an ELF shared object
// of this machine's class and architecture, and the entry alias in its symbol table.
Status StaticCheck(const std::string& path);

// Checks the three fields every table starts with against this host's ABI.
Status CheckTableHeader(uint32_t abi_major, uint32_t abi_minor, uint32_t struct_size);

// A loaded library and its table. Destroying it unloads the library, so whoever holds anything
// the library made also holds a shared_ptr to this.
struct LoadedLibrary {
  boost::dll::shared_library lib;
  const sendsync_plugin* table = nullptr;
};

// Loads the library and calls its entry. Does not check the table header: callers must call
// CheckTableHeader before using any field after struct_size.
Result<std::shared_ptr<LoadedLibrary>> Load(const std::string& path);

}  // namespace sendsync::plugins::detail
