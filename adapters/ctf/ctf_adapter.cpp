// ctf: the Common Transfer File adapter (docs/adapters/ctf.md). Reads the CTF files a school MIS
// exports into a drop folder, pupil identity and coded SEN history, streaming, each file once; and
// writes CTF files carrying the hub's identity and SEN history into an out folder for a MIS to
// import. This file is the adapter class the SDK exports; the work is done by CtfReader
// (ctf_reader.h) and CtfOutbox (ctf_outbox.h).
#include <unistd.h>

#include <memory>

#include <sendsync/sdk/adapter.h>
#include <sendsync/sdk/version.h>
#include <nlohmann/json.hpp>

#include "ctf_config.h"
#include "ctf_outbox.h"
#include "ctf_reader.h"

namespace sendsync::ctf {
namespace {

using nlohmann::json;

class CtfAdapter : public sdk::Adapter {
 public:
  static json Manifest() {
    return {{"id", "ctf"},
            {"name", "Common Transfer File"},
            {"version", SENDSYNC_VERSION},
            {"vendor", "sendsync"},
            {"description",
             "Reads pupil identity and SEN history from the CTF files a school MIS exports into a "
             "drop folder, and writes CTF files carrying the hub's SEN history for a MIS to "
             "import."},
            {"reads", {"pupil", "sen"}},
            // pupil: a CTF carries identity, so a corrected name or a permanent UPN replacing a
            // temporary one can reach a MIS even for a pupil whose SEN did not change.
            {"writes", {"pupil", "sen"}},
            {"config_schema", ConfigSchema()}};
  }

  Status Configure(const json& config) override {
    Result<CtfConfig> parsed = ParseConfig(config);
    if (!parsed.ok()) return parsed.status();
    config_ = std::move(*parsed);
    reader_ = std::make_unique<CtfReader>(config_, host());
    outbox_ = std::make_unique<CtfOutbox>(config_, host());
    return Status::OK();
  }

  Result<json> Describe() override {
    json d = {
        {"drop_folder", config_.drop_folder.string()},
        {"ctf_version", config_.ctf_version},
        {"accept_versions", config_.accept_versions},
        {"destination", {{"la", config_.destination.la}, {"estab", config_.destination.estab}}}};
    if (config_.out_folder) d["out_folder"] = config_.out_folder->string();
    if (config_.source)
      d["source"] = {{"la", config_.source->la}, {"estab", config_.source->estab}};
    return d;
  }

  // The adapter moves files in the drop folder and creates files in the out folder, so it needs
  // to write in both, not only read.
  Status Check() override {
    if (::access(config_.drop_folder.c_str(), R_OK | W_OK | X_OK) != 0)
      return Status::Unavailable("cannot read and write the drop folder '" +
                                 config_.drop_folder.string() + "'");
    if (config_.out_folder && ::access(config_.out_folder->c_str(), W_OK | X_OK) != 0)
      return Status::Unavailable("cannot write to the out folder '" + config_.out_folder->string() +
                                 "'");
    return Status::OK();
  }

  Result<json> Discover() override { return reader_->Describe(); }

  Status Read(const sdk::ReadRequest& request, sdk::ReadResult& result) override {
    return reader_->Read(request, result);
  }

  Status Write(const sdk::WriteRequest& request, sdk::WriteResult& result) override {
    return outbox_->Write(request, result);
  }

 private:
  CtfConfig config_;
  std::unique_ptr<CtfReader> reader_;
  std::unique_ptr<CtfOutbox> outbox_;
};

}  // namespace
}  // namespace sendsync::ctf

SENDSYNC_EXPORT_ADAPTER(sendsync::ctf::CtfAdapter);
