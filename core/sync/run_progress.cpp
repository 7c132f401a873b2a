#include "core/sync/run_progress.h"

#include "base/log/log.h"

namespace sendsync::sync {

using nlohmann::json;

json Progress::ToJson() const {
  json j = {{"phase", phase}, {"records", records}, {"rate", static_cast<int64_t>(rate)}};
  if (!kind.empty()) j["kind"] = kind;
  if (remaining >= 0) j["total"] = records + remaining;
  if (remaining > 0 && rate > 0) j["seconds_left"] = static_cast<int64_t>(remaining / rate) + 1;
  if (started_at_ms > 0) j["started_at"] = started_at_ms;
  return j;
}

namespace detail {

ProgressReporter::ProgressReporter(const EngineOptions& opt, int64_t run_id)
    : opt_(opt), run_id_(run_id) {}

void ProgressReporter::Report(store::Conn* save_on, const Progress& p) {
  if (opt_.on_progress) opt_.on_progress(p);
  if (!save_on || run_id_ <= 0) return;
  const int64_t now = store::NowMs();
  if (last_saved_ms_ >= 0 && now - last_saved_ms_ < opt_.progress_save_every_ms) return;
  last_saved_ms_ = now;
  json j = p.ToJson();
  j["updated_at"] = now;
  j["host"] = opt_.host_id;
  Status st = store::SaveRunLiveProgress(*save_on, run_id_, j);
  if (!st.ok())
    log::Write(log::Level::kWarn, "run.progress_not_saved",
               {{"link", p.link}, {"run_id", run_id_}, {"error", st.message()}});
}

}  // namespace detail
}  // namespace sendsync::sync
