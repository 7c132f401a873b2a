// The write side of the CTF adapter: turns a batch of host changes into CTF files in the out
// folder for the MIS to import. One file per destination per write call (the configured one), or
// one file per pupil when the destination is unknown (XXX/XXXX, as the Lost Pupil Database needs);
// a pupil changed twice in one batch goes into a second file so no file names a UPN twice. Files
// are named <srcLA><srcEstab>_CTF_<dstLA><dstEstab>_<nnn>.xml with nnn never reused, written
// atomically, and each change's key is answered with the file name, the same again for a repeat.
// Internal to adapters/ctf.
#pragma once

#include <sendsync/sdk/adapter.h>

#include "ctf_config.h"

namespace sendsync::ctf {

class CtfOutbox {
 public:
  CtfOutbox(const CtfConfig& config, const sdk::Host& host) : config_(config), host_(host) {}

  Status Write(const sdk::WriteRequest& request, sdk::WriteResult& result);

 private:
  const CtfConfig& config_;
  const sdk::Host& host_;
};

}  // namespace sendsync::ctf
