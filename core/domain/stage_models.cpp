// Stage models as data: the built-in files compiled in, plus an LA's own files from a folder.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/domain/embedded_data.h"
#include "core/domain/internal.h"
#include "core/domain/stage_models.h"

namespace sendsync::domain {

using nlohmann::json;

namespace {

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

Status ReadMetBy(const json& j, const std::string& path, std::string& out) {
  using namespace detail;
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "met_by", path, out, true));
  if (out != kMetByReview && out != kMetByParentMeeting)
    return Status::InvalidArgument(Join(path, "met_by") + ": \"" + out +
                                   "\" is not \"review\" or \"parent_meeting\"");
  return Status();
}

Status ReadRhythm(const json& j, const std::string& path, StageRhythm& r) {
  using namespace detail;
  if (!j.is_object()) return Status::InvalidArgument(path + ": expected an object");
  SENDSYNC_RETURN_IF_ERROR(
      RejectUnknownKeys(j, path, {"id", "title", "every_days", "repeat", "met_by", "source"}));
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "id", path, r.id, true));
  if (!ValidId(r.id))
    return Status::InvalidArgument(Join(path, "id") +
                                   ": use lower-case letters, digits, '-' and '_' only");
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "title", path, r.title, true));
  SENDSYNC_RETURN_IF_ERROR(ReadInt(j, "every_days", path, r.every_days, true));
  if (r.every_days < 1 || r.every_days > 366)
    return Status::InvalidArgument(Join(path, "every_days") +
                                   ": must be between 1 and 366 days, got " +
                                   std::to_string(r.every_days));
  if (auto v = j.find("repeat"); v != j.end()) {
    if (!v->is_boolean())
      return Status::InvalidArgument(Join(path, "repeat") + ": expected true or false, got " +
                                     v->dump());
    r.repeat = v->get<bool>();
  }
  SENDSYNC_RETURN_IF_ERROR(ReadMetBy(j, path, r.met_by));
  return ReadString(j, "source", path, r.source, false);
}

Status ReadCalendar(const json& j, const std::string& path, const StageModel& m,
                    CalendarMeeting& c) {
  using namespace detail;
  if (!j.is_object()) return Status::InvalidArgument(path + ": expected an object");
  SENDSYNC_RETURN_IF_ERROR(
      RejectUnknownKeys(j, path, {"id", "title", "months", "stages", "met_by", "source"}));
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "id", path, c.id, true));
  if (!ValidId(c.id))
    return Status::InvalidArgument(Join(path, "id") +
                                   ": use lower-case letters, digits, '-' and '_' only");
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "title", path, c.title, true));
  auto months = j.find("months");
  if (months == j.end() || !months->is_array() || months->empty())
    return Status::InvalidArgument(Join(path, "months") +
                                   ": expected a non-empty array of months 1-12");
  for (size_t i = 0; i < months->size(); ++i) {
    const json& v = (*months)[i];
    const std::string at = Index(Join(path, "months"), i);
    if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > 12)
      return Status::InvalidArgument(at + ": expected a month 1-12, got " + v.dump());
    const int month = v.get<int>();
    if (std::find(c.months.begin(), c.months.end(), month) != c.months.end())
      return Status::InvalidArgument(at + ": month " + std::to_string(month) + " is given twice");
    c.months.push_back(month);
  }
  SENDSYNC_RETURN_IF_ERROR(ReadStringList(j, "stages", path, c.stages));
  for (size_t i = 0; i < c.stages.size(); ++i)
    if (!m.FindStage(c.stages[i]))
      return Status::InvalidArgument(Index(Join(path, "stages"), i) + ": \"" + c.stages[i] +
                                     "\" is not a stage of this model");
  SENDSYNC_RETURN_IF_ERROR(ReadMetBy(j, path, c.met_by));
  return ReadString(j, "source", path, c.source, false);
}

Status ReadLetter(const json& j, const std::string& path, InterventionLetter& l) {
  using namespace detail;
  if (!j.is_object()) return Status::InvalidArgument(path + ": expected an object");
  SENDSYNC_RETURN_IF_ERROR(RejectUnknownKeys(j, path, {"title", "source"}));
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "title", path, l.title, true));
  return ReadString(j, "source", path, l.source, false);
}

Status ReadStage(const json& j, const std::string& path, Stage& s) {
  using namespace detail;
  if (!j.is_object()) return Status::InvalidArgument(path + ": expected an object");
  SENDSYNC_RETURN_IF_ERROR(RejectUnknownKeys(
      j, path, {"id", "name", "review_period_days", "description", "census_provision", "rhythm"}));
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "id", path, s.id, true));
  if (!ValidId(s.id))
    return Status::InvalidArgument(Join(path, "id") +
                                   ": use lower-case letters, digits, '-' and '_' only");
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "name", path, s.name, true));
  SENDSYNC_RETURN_IF_ERROR(ReadInt(j, "review_period_days", path, s.review_period_days, true));
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "description", path, s.description, false));
  std::string census;
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "census_provision", path, census, false));
  if (!census.empty()) {
    if (!CodeSets::Builtin().ProvisionValid(census, LatestCodesDate()))
      return Status::InvalidArgument(Join(path, "census_provision") + ": \"" + census +
                                     "\" is not a current census provision code (N, K, E)");
    s.census_provision = census;
  }
  if (auto rhythm = j.find("rhythm"); rhythm != j.end()) {
    if (!rhythm->is_array())
      return Status::InvalidArgument(Join(path, "rhythm") + ": expected an array");
    for (size_t i = 0; i < rhythm->size(); ++i) {
      StageRhythm r;
      const std::string at = Index(Join(path, "rhythm"), i);
      SENDSYNC_RETURN_IF_ERROR(ReadRhythm((*rhythm)[i], at, r));
      for (const StageRhythm& earlier : s.rhythm)
        if (earlier.id == r.id)
          return Status::InvalidArgument(at + ".id: \"" + r.id +
                                         "\" is used by an earlier rhythm of this stage");
      s.rhythm.push_back(std::move(r));
    }
  }
  return Status();
}

StageModel ParseEmbedded(std::string_view name) {
  Result<StageModel> m = StageModels::Parse(detail::EmbeddedJson(name), std::string(name));
  if (!m.ok()) {
    std::fprintf(stderr, "sendsync: built-in stage model is invalid: %s\n",
                 m.status().ToString().c_str());
    std::abort();
  }
  return std::move(m).value();
}

}  // namespace

const Stage* StageModel::FindStage(std::string_view id) const {
  for (const Stage& s : stages)
    if (s.id == id) return &s;
  return nullptr;
}

Result<StageModel> StageModels::Parse(const json& doc, const std::string& origin) {
  using namespace detail;
  auto fail = [&](const Status& st) {
    return Status::InvalidArgument(origin + ": " + st.message());
  };
  if (!doc.is_object()) return Status::InvalidArgument(origin + ": expected a JSON object");
  if (Status st = RejectUnknownKeys(doc, "",
                                    {"id", "name", "source", "stages", "calendar",
                                     "next_stage_within_days", "intervention_letter"});
      !st.ok())
    return fail(st);
  StageModel m;
  for (Status st :
       {ReadString(doc, "id", "", m.id, true), ReadString(doc, "name", "", m.name, true),
        ReadString(doc, "source", "", m.source, false)})
    if (!st.ok()) return fail(st);
  if (!ValidId(m.id))
    return Status::InvalidArgument(origin +
                                   ": id: use lower-case letters, digits, '-' and '_' only");
  auto stages = doc.find("stages");
  if (stages == doc.end() || !stages->is_array() || stages->empty())
    return Status::InvalidArgument(origin + ": stages: expected a non-empty array");
  std::set<std::string> seen;
  for (size_t i = 0; i < stages->size(); ++i) {
    Stage s;
    std::string path = Index("stages", i);
    if (Status st = ReadStage((*stages)[i], path, s); !st.ok()) return fail(st);
    if (!seen.insert(s.id).second)
      return Status::InvalidArgument(origin + ": " + path + ".id: \"" + s.id +
                                     "\" is used by an earlier stage");
    m.stages.push_back(std::move(s));
  }
  if (Status st = ReadInt(doc, "next_stage_within_days", "", m.next_stage_days, false); !st.ok())
    return fail(st);
  if (auto calendar = doc.find("calendar"); calendar != doc.end()) {
    if (!calendar->is_array())
      return Status::InvalidArgument(origin + ": calendar: expected an array");
    for (size_t i = 0; i < calendar->size(); ++i) {
      CalendarMeeting c;
      const std::string path = Index("calendar", i);
      if (Status st = ReadCalendar((*calendar)[i], path, m, c); !st.ok()) return fail(st);
      for (const CalendarMeeting& earlier : m.calendar)
        if (earlier.id == c.id)
          return Status::InvalidArgument(origin + ": " + path + ".id: \"" + c.id +
                                         "\" is used by an earlier calendar meeting");
      m.calendar.push_back(std::move(c));
    }
  }
  if (auto letter = doc.find("intervention_letter"); letter != doc.end()) {
    InterventionLetter l;
    if (Status st = ReadLetter(*letter, "intervention_letter", l); !st.ok()) return fail(st);
    m.intervention_letter = std::move(l);
  }
  return m;
}

const StageModels& StageModels::Builtin() {
  static const StageModels kBuiltin = [] {
    StageModels models;
    for (const char* name :
         {"stage_models/four_part_cycle.json", "stage_models/six_stage_school.json"}) {
      Status st = models.Add(ParseEmbedded(name), std::string("built-in ") + name);
      if (!st.ok()) {
        std::fprintf(stderr, "sendsync: %s\n", st.ToString().c_str());
        std::abort();
      }
    }
    return models;
  }();
  return kBuiltin;
}

Status StageModels::Add(StageModel model, const std::string& origin) {
  for (size_t i = 0; i < models_.size(); ++i)
    if (models_[i].id == model.id)
      return Status::AlreadyExists(origin + ": stage model id \"" + model.id +
                                   "\" is already used by " + origins_[i] +
                                   "; give the file's model another id");
  models_.push_back(std::move(model));
  origins_.push_back(origin);
  return Status();
}

Result<StageModels> StageModels::WithDir(const std::string& dir) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Status::NotFound("stage model folder " + dir + " does not exist or is not a folder");
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() == ".json" && it->is_regular_file(ec)) files.push_back(p);
  }
  if (ec) return Status::IoError("cannot list stage model folder " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  StageModels out = *this;
  for (const fs::path& p : files) {
    const std::string name = p.string();
    std::ifstream in(p, std::ios::binary);
    if (!in) return Status::IoError(name + ": cannot be read");
    std::stringstream text;
    text << in.rdbuf();
    json doc = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return Status::InvalidArgument(name + ": is not valid JSON");
    Result<StageModel> model = Parse(doc, name);
    if (!model.ok()) return model.status();
    SENDSYNC_RETURN_IF_ERROR(out.Add(std::move(model).value(), name));
  }
  return out;
}

const StageModel* StageModels::Find(std::string_view id) const {
  for (const StageModel& m : models_)
    if (m.id == id) return &m;
  return nullptr;
}

std::optional<Issue> CheckStage(const records::Cycle& cycle, const StageModels& models) {
  std::vector<Issue> out;
  if (cycle.stage && !cycle.stage_model) {
    detail::Add(out, "STAGE_UNKNOWN", "stage_model",
                "the cycle names a stage but not the stage model it belongs to");
    return out.front();
  }
  if (!cycle.stage_model) return std::nullopt;
  const StageModel* m = models.Find(*cycle.stage_model);
  if (!m) {
    detail::Add(out, "STAGE_UNKNOWN", "stage_model",
                "stage model \"" + *cycle.stage_model + "\" is not loaded");
    return out.front();
  }
  if (cycle.stage && !m->FindStage(*cycle.stage)) {
    detail::Add(out, "STAGE_UNKNOWN", "stage",
                "stage \"" + *cycle.stage + "\" is not a stage of model \"" + m->id + "\"");
    return out.front();
  }
  return std::nullopt;
}

}  // namespace sendsync::domain
