#include "ctf_outbox.h"

#include <cstdio>
#include <map>
#include <set>

#include "ctf_writer.h"
#include "file_util.h"
#include "out_ledger.h"
#include "sendsync/sdk/durable_file.h"

namespace sendsync::ctf {

namespace {

std::string Describe(const records::Problems& problems) {
  std::string s;
  for (const records::Problem& p : problems)
    s += (s.empty() ? "" : "; ") + p.path + " " + p.message;
  return s;
}

bool HasContext(const nlohmann::json& context, const char* key) {
  return context.is_object() && context.contains(key) && context[key].is_object();
}

// What a CTF carries for one change, or why it cannot carry it.
std::optional<std::string> ToOutPupil(const std::string& kind, const sdk::Change& ch,
                                      const CtfConfig& config, OutPupil& out) {
  records::Problems problems;
  if (kind == "pupil") {
    if (!records::FromJson(ch.record, out.pupil, problems))
      return "the pupil record cannot be written: " + Describe(problems);
    if (HasContext(ch.context, "sen")) {
      records::Sen sen;
      if (!records::FromJson(ch.context["sen"], sen, problems))
        return "the SEN record sent with this pupil cannot be written: " + Describe(problems);
      out.sen = std::move(sen);
    }
  } else {
    if (!HasContext(ch.context, "pupil"))
      return "the host sent no pupil record with this SEN change, and a CTF cannot carry SEN "
             "without the pupil's identity (UPN, legal names, date of birth, sex)";
    records::Sen sen;
    if (!records::FromJson(ch.record, sen, problems))
      return "the SEN record cannot be written: " + Describe(problems);
    if (!records::FromJson(ch.context["pupil"], out.pupil, problems))
      return "the pupil record sent with this SEN change lacks what a CTF needs (" +
             Describe(problems) + "); allow these pupil fields to leave the hub for this link";
    if (!sen.pupil.upn.empty() && sen.pupil.upn != out.pupil.upn)
      return "the SEN record is for UPN " + sen.pupil.upn + " but the pupil sent with it has UPN " +
             out.pupil.upn;
    out.sen = std::move(sen);
  }
  if (auto why = WriteProblem(out, config.extra_need_types)) return "cannot go into a CTF: " + *why;
  return std::nullopt;
}

struct Batch {
  std::vector<OutPupil> pupils;
  std::vector<std::string> keys;
  std::set<std::string> upns;
};

}  // namespace

Status CtfOutbox::Write(const sdk::WriteRequest& req, sdk::WriteResult& res) {
  if (req.kind != "pupil" && req.kind != "sen")
    return Status::InvalidArgument(
        "the ctf adapter writes records of kind 'pupil' and 'sen', not '" + req.kind + "'");
  std::vector<std::string> order;
  std::set<std::string> seen;
  for (const sdk::Change& ch : req.changes)
    if (seen.insert(ch.key).second) order.push_back(ch.key);
  if (!config_.out_folder) {
    for (const std::string& k : order)
      res.Rejected(k, "this link has no out_folder configured, so it cannot write CTF files");
    return Status::OK();
  }
  const std::filesystem::path out = *config_.out_folder;
  Result<sdk::FolderLock> lock = sdk::FolderLock::Acquire(out / ".sendsync-ctf.lock");
  if (!lock.ok()) return lock.status();
  Result<OutLedger> ledger = OutLedger::Load(out);
  if (!ledger.ok()) return ledger.status();

  std::map<std::string, std::string> applied, rejected, retry;
  std::vector<Batch> batches;
  std::set<std::string> placed;
  for (const sdk::Change& ch : req.changes) {
    if (!placed.insert(ch.key).second) continue;  // the same key twice in one call: one answer
    if (auto file = ledger->FileFor(ch.key)) {
      applied[ch.key] = *file;  // written before: the same answer, nothing new
      continue;
    }
    if (ch.op != "upsert") {
      rejected[ch.key] = "a CTF cannot remove a record; make this change in the MIS itself";
      continue;
    }
    OutPupil p;
    if (auto why = ToOutPupil(req.kind, ch, config_, p)) {
      rejected[ch.key] = *why;
      continue;
    }
    // No file names a UPN twice; an unknown destination gets one pupil per file.
    Batch* into = nullptr;
    if (!config_.destination_unknown())
      for (Batch& b : batches)
        if (!b.upns.count(p.pupil.upn)) {
          into = &b;
          break;
        }
    if (!into) into = &batches.emplace_back();
    into->upns.insert(p.pupil.upn);
    into->keys.push_back(ch.key);
    into->pupils.push_back(std::move(p));
  }

  OutHeader header;
  header.version = config_.ctf_version;
  header.source = *config_.source;
  header.dest = config_.destination;
  const std::string prefix =
      header.source.la + header.source.estab + "_CTF_" + header.dest.la + header.dest.estab + "_";
  for (const Batch& b : batches) {
    header.date_time = NowLocalIso();
    header.academic_year = AcademicYearOf(Today());
    char number[16];
    std::snprintf(number, sizeof number, "%03d", ledger->NextNumber(prefix));
    const std::string file = prefix + number + ".xml";
    Status st = ledger->WriteFile(file, RenderCtf(header, b.pupils), b.keys);
    if (!st.ok()) {
      host_.Warn("ctf: could not write " + file + ": " + st.message());
      for (const std::string& k : b.keys)
        retry[k] = "could not write " + file + ": " + st.message();
      continue;
    }
    host_.Info("ctf: wrote " + file + " with " + std::to_string(b.pupils.size()) + " pupils");
    for (const std::string& k : b.keys) applied[k] = file;
  }

  for (const std::string& k : order) {
    if (applied.count(k))
      res.Applied(k, applied[k]);
    else if (rejected.count(k))
      res.Rejected(k, rejected[k]);
    else
      res.Retry(k, retry[k]);
  }
  return Status::OK();
}

}  // namespace sendsync::ctf
