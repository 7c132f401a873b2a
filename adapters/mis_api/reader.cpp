#include "reader.h"

#include <algorithm>
#include <optional>

#include <sendsync/sdk/records.h>

#include "cursor.h"
#include "record_mapping.h"

namespace sendsync::mis_api_adapter {

using nlohmann::json;
namespace http = sdk::http;

namespace {

// Bounds one call's work even against a server whose pages are all empty.
constexpr int kMaxPagesPerCall = 200;

struct KindPlan {
  const char* include;        // include= for the students endpoint ("" for none)
  const char* deletion_type;  // type= for the deletions endpoint (nullptr: no deletions phase)
};

std::optional<KindPlan> PlanFor(const std::string& kind) {
  if (kind == "pupil") return KindPlan{"", "student"};
  if (kind == "sen") return KindPlan{"sen_status,sen_needs", nullptr};
  if (kind == "review") return KindPlan{"sen_reviews", "sen_review"};
  return std::nullopt;
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string FirstPage(ApiClient& api, const Cursor& c, const KindPlan& plan, int per_page) {
  std::string q = "?per_page=" + std::to_string(per_page);
  if (auto ua = c.UpdatedAfter()) q += "&updated_after=" + http::Encode(FormatTime(*ua));
  if (c.phase == Cursor::Phase::kRecords) {
    if (*plan.include) q += "&include=" + http::Encode(plan.include);
    return api.SchoolPath("/students" + q);
  }
  return api.SchoolPath("/deletions" + q + "&type=" + plan.deletion_type);
}

// "dob (API field date_of_birth): is required; ..." for a person fixing the data in the MIS.
std::string Reasons(const std::string& kind, const records::Problems& problems) {
  std::string out;
  for (const records::Problem& p : problems) {
    if (!out.empty()) out += "; ";
    std::string api = ApiPath(kind, p.path);
    out += p.path + (api != p.path ? " (API field " + api + ")" : "") + ": " + p.message;
  }
  return out;
}

// What one API item turns into, before it is committed to the result.
struct Output {
  std::vector<json> records;
  std::vector<sdk::Reject> rejects;
  std::vector<sdk::Deletion> deletions;
  size_t size() const { return records.size() + rejects.size() + deletions.size(); }
};

void AddChecked(const std::string& kind, json record, const json& raw, const std::string& where,
                const std::string& id, Output& out) {
  records::Problems problems;
  if (records::CheckShape(record, problems))
    out.records.push_back(std::move(record));
  else
    out.rejects.push_back({raw.dump(), where, Reasons(kind, problems), id});
}

Output FromStudent(const std::string& kind, const json& student) {
  Output out;
  const std::string id = Str(student, "id");
  const std::string where = "student " + (id.empty() ? "(no id)" : id);
  if (!student.is_object()) {
    out.rejects.push_back({student.dump(), "students list", "a student is not a JSON object", ""});
    return out;
  }
  if (kind == "pupil") {
    AddChecked(kind, PupilFromStudent(student), student, where, id, out);
  } else if (kind == "sen") {
    std::string missing;
    json sen = SenFromStudent(student, &missing);
    if (!missing.empty())
      out.rejects.push_back({student.dump(), where, missing, id});
    else
      AddChecked(kind, std::move(sen), student, where, id, out);
  } else {
    for (MappedReview& r : ReviewsFromStudent(student)) {
      std::string rid = Str(r.raw, "id");
      AddChecked(kind, std::move(r.record), r.raw,
                 "review " + (rid.empty() ? "(no id)" : rid) + " of " + where, rid, out);
    }
  }
  return out;
}

Output FromDeletion(const std::string& kind, const json& d) {
  Output out;
  std::string record_id = Str(d, "record_id");
  if (record_id.empty())
    out.rejects.push_back({d.dump(), "deletion " + Str(d, "id"),
                           "a deletion without record_id cannot say what was removed", ""});
  else
    out.deletions.push_back({kind, record_id, Str(d, "upn")});
  return out;
}

// Where to resume inside a page: after the item whose id is `after` ("#n": after index n, for
// items without an id). From the top when it is not there any more — repeats are harmless.
size_t ResumeAt(const json& items, const std::string& after) {
  if (after.empty()) return 0;
  if (after[0] == '#') {
    size_t n = std::strtoul(after.c_str() + 1, nullptr, 10) + 1;
    return std::min(n, items.size());
  }
  for (size_t i = 0; i < items.size(); ++i)
    if (Str(items[i], "id") == after) return i + 1;
  return 0;
}

}  // namespace

Status Reader::Read(const sdk::ReadRequest& req, sdk::ReadResult& res) {
  std::optional<KindPlan> plan = PlanFor(req.kind);
  if (!plan)
    return Status::InvalidArgument("mis-api reads pupil, sen and review records, not '" + req.kind +
                                   "'");
  Result<Cursor> parsed = Cursor::Parse(req.cursor);
  if (!parsed.ok()) return parsed.status();
  Cursor c = *parsed;
  const size_t limit = req.limit ? req.limit : 500;
  const int per_page = static_cast<int>(std::min<size_t>(config_.per_page, limit));
  size_t produced = 0;

  for (int pages = 0;; ++pages) {
    if (produced >= limit || pages >= kMaxPagesPerCall) {
      res.more = true;
      break;
    }
    if (cancelled_ && cancelled_()) {
      if (produced == 0) return Status::Cancelled("read stopped: the host asked to stop");
      res.more = true;
      break;
    }
    const bool records_phase = c.phase == Cursor::Phase::kRecords;
    const std::string what = records_phase ? "GET students" : "GET deletions";
    const std::string target = c.page.empty() ? FirstPage(api_, c, *plan, per_page) : c.page;
    Result<json> page = api_.GetJson(target, what);
    if (!page.ok()) return page.status();
    if (!page->is_object() || !page->contains("data") || !(*page)["data"].is_array())
      return Status::InvalidArgument(what +
                                     ": the answer has no \"data\" list "
                                     "(see docs/adapters/mis-api.md, Pagination)");
    const json& items = (*page)["data"];
    json meta = page->value("meta", json::object());
    json pagination = meta.is_object() ? meta.value("pagination", json::object()) : json();
    json next = pagination.is_object() ? pagination.value("next", json(nullptr)) : json(nullptr);
    if (!next.is_null() && !next.is_string())
      return Status::InvalidArgument(what + ": meta.pagination.next must be a URL or null");
    if (records_phase && !c.in_pull()) {
      auto t = meta.is_object() ? ParseTime(Str(meta, "server_time")) : std::nullopt;
      if (!t)
        return Status::InvalidArgument(
            what +
            ": the answer lacks meta.server_time (an ISO 8601 time with a zone), which "
            "incremental pulls need (see docs/adapters/mis-api.md, Pagination)");
      c.pull_start = *t;
    }

    bool stopped = false;
    for (size_t i = ResumeAt(items, c.after); i < items.size(); ++i) {
      const json& item = items[i];
      Output out = records_phase ? FromStudent(req.kind, item) : FromDeletion(req.kind, item);
      if (produced > 0 && produced + out.size() > limit) {
        stopped = true;
        break;
      }
      for (json& r : out.records) res.AddRecord(r);
      for (sdk::Reject& r : out.rejects) res.rejects.push_back(std::move(r));
      for (sdk::Deletion& d : out.deletions) res.deletions.push_back(std::move(d));
      produced += out.size();
      std::string id = item.is_object() ? Str(item, "id") : "";
      c.after = id.empty() || id[0] == '#' ? "#" + std::to_string(i) : id;
      if (item.is_object()) {
        if (auto t = ParseTime(Str(item, records_phase ? "updated_at" : "deleted_at"))) c.Saw(*t);
      }
    }
    if (stopped) {
      c.page = target;
      res.more = true;
      break;
    }
    if (next.is_string() && !next.get<std::string>().empty()) {
      if (next.get<std::string>() == target)
        return Status::InvalidArgument(what + ": meta.pagination.next points at the same page");
      c.page = next.get<std::string>();
      c.after.clear();
      continue;
    }
    if (records_phase && plan->deletion_type) {
      c.phase = Cursor::Phase::kDeletions;
      c.page.clear();
      c.after.clear();
      continue;
    }
    c.FinishPull();
    res.more = false;
    break;
  }
  res.next_cursor = c.ToString();
  return Status::OK();
}

}  // namespace sendsync::mis_api_adapter
