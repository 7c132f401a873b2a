#include "reader.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include <sendsync/sdk/records.h>

#include "cursor.h"
#include "record_mapping.h"

namespace sendsync::mis_api_adapter {

using nlohmann::json;
namespace http = sdk::http;

struct KindPlan {
  const char* include;        // include= for the students endpoint ("" for none)
  const char* deletion_type;  // type= for the deletions endpoint (nullptr: no deletions phase)
};

// A page of a list, checked: its items, its `next` link ("" on the last page), its server time.
struct PageView {
  const json* items = nullptr;
  std::string next;
  std::optional<Millis> server_time;
};

namespace {

// Bounds one call's work even against a server whose pages are all empty.
constexpr int kMaxPagesPerCall = 200;

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

// Checks a list page's shape (docs/adapters/mis-api.md, Pagination).
Result<PageView> CheckPage(const json& page, const std::string& what, const std::string& target) {
  if (!page.is_object() || !page.contains("data") || !page["data"].is_array())
    return Status::InvalidArgument(what +
                                   ": the answer has no \"data\" list "
                                   "(see docs/adapters/mis-api.md, Pagination)");
  PageView v;
  v.items = &page["data"];
  json meta = page.value("meta", json::object());
  json pagination = meta.is_object() ? meta.value("pagination", json::object()) : json();
  json next = pagination.is_object() ? pagination.value("next", json(nullptr)) : json(nullptr);
  if (!next.is_null() && !next.is_string())
    return Status::InvalidArgument(what + ": meta.pagination.next must be a URL or null");
  if (next.is_string()) v.next = next.get<std::string>();
  if (!v.next.empty() && v.next == target)
    return Status::InvalidArgument(what + ": meta.pagination.next points at the same page");
  if (meta.is_object()) v.server_time = ParseTime(Str(meta, "server_time"));
  return v;
}

Status NoServerTime(const std::string& what) {
  return Status::InvalidArgument(
      what +
      ": the answer lacks meta.server_time (an ISO 8601 time with a zone), which "
      "incremental pulls need (see docs/adapters/mis-api.md, Pagination)");
}

// The records phase is read: on to the deletions, or the pull is complete.
Reader::Step EndOfRecords(const KindPlan& plan, Cursor& c) {
  c.page.clear();
  c.after.clear();
  c.chains.clear();
  if (plan.deletion_type) {
    c.phase = Cursor::Phase::kDeletions;
    return Reader::Step::kOn;
  }
  c.FinishPull();
  return Reader::Step::kDone;
}

}  // namespace

// One read call's running state.
struct Reader::Call {
  const std::string& kind;
  const KindPlan& plan;
  size_t limit;
  int per_page;
  sdk::ReadResult& res;
  size_t produced = 0;

  // Returns the items of `items` from the one after `after` on, until the limit; true when the
  // limit stopped it inside the page (`after` then names the last item returned).
  bool Take(const json& items, bool records_phase, std::string& after, Cursor& c) {
    for (size_t i = ResumeAt(items, after); i < items.size(); ++i) {
      const json& item = items[i];
      Output out = records_phase ? FromStudent(kind, item) : FromDeletion(kind, item);
      if (produced > 0 && produced + out.size() > limit) return true;
      for (json& r : out.records) res.AddRecord(r);
      for (sdk::Reject& r : out.rejects) res.rejects.push_back(std::move(r));
      for (sdk::Deletion& d : out.deletions) res.deletions.push_back(std::move(d));
      produced += out.size();
      std::string id = item.is_object() ? Str(item, "id") : "";
      after = id.empty() || id[0] == '#' ? "#" + std::to_string(i) : id;
      if (item.is_object()) {
        if (auto t = ParseTime(Str(item, records_phase ? "updated_at" : "deleted_at"))) c.Saw(*t);
      }
    }
    return false;
  }
};

Reader::Reader(const Config& config, ApiClient& api, std::function<bool()> cancelled,
               std::vector<std::unique_ptr<ApiClient>> fetchers)
    : config_(config),
      api_(api),
      cancelled_(std::move(cancelled)),
      fetchers_(std::move(fetchers)),
      busy_(fetchers_.size()) {}

Reader::~Reader() {
  for (auto& [url, f] : ahead_) f.wait();
  for (Fetch& f : busy_)
    if (f.valid()) f.wait();
}

Reader::Fetch Reader::FetchAhead(const std::string& url) {
  if (auto it = ahead_.find(url); it != ahead_.end()) return it->second;
  size_t slot = 0;
  for (size_t i = 0; i < busy_.size(); ++i) {
    const Fetch& f = busy_[i];
    if (!f.valid() || f.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      slot = i;
      break;
    }
  }
  // Without fetchers of its own (requests_in_flight 1), a chain's page is fetched when needed.
  ApiClient* client = fetchers_.empty() ? &api_ : fetchers_[slot].get();
  Fetch f =
      std::async(fetchers_.empty() ? std::launch::deferred : std::launch::async, [client, url] {
        return client->GetJson(url, "GET students");
      }).share();
  if (!busy_.empty()) busy_[slot] = f;
  ahead_.emplace(url, f);
  return f;
}

void Reader::DropUnneeded(const Cursor& c) {
  for (auto it = ahead_.begin(); it != ahead_.end();) {
    bool needed = std::any_of(c.chains.begin(), c.chains.end(),
                              [&](const Cursor::Chain& ch) { return ch.page == it->first; });
    it = needed ? std::next(it) : ahead_.erase(it);
  }
}

Status Reader::StartChains(Cursor& c, const KindPlan& plan, int per_page) {
  std::string q = "/students/ranges?parts=" + std::to_string(fetchers_.size());
  if (auto ua = c.UpdatedAfter()) q += "&updated_after=" + http::Encode(FormatTime(*ua));
  Result<json> ranges = api_.GetJson(api_.SchoolPath(q), "GET students/ranges");
  if (!ranges.ok()) {
    // An API without ranges is read one page at a time, as the contract allows.
    if (ranges.status().code() != Status::Code::kNotFound) return ranges.status();
    ranges_missing_ = true;
    return Status::OK();
  }
  const std::string what = "GET students/ranges";
  if (!ranges->is_object() || !ranges->contains("data") || !(*ranges)["data"].is_array())
    return Status::InvalidArgument(what + ": the answer has no \"data\" list of ranges");
  json meta = ranges->value("meta", json::object());
  auto t = meta.is_object() ? ParseTime(Str(meta, "server_time")) : std::nullopt;
  if (!t) return NoServerTime(what);
  std::vector<Cursor::Chain> chains;
  const std::string first = FirstPage(api_, c, plan, per_page);
  for (const json& r : (*ranges)["data"]) {
    auto bound = [&](const char* key, std::string& out) {
      if (!r.is_object() || !r.contains(key) || r[key].is_null()) return true;
      if (!r[key].is_string() || r[key].get<std::string>().empty()) return false;
      out = r[key].get<std::string>();
      return true;
    };
    std::string after, until;
    if (!bound("after", after) || !bound("until", until))
      return Status::InvalidArgument(what +
                                     ": a range must be {\"after\": id or null, \"until\": id or "
                                     "null}");
    std::string page = first;
    if (!after.empty()) page += "&after=" + http::Encode(after);
    if (!until.empty()) page += "&until=" + http::Encode(until);
    chains.push_back({page, ""});
  }
  c.pull_start = *t;
  c.chains = std::move(chains);
  return Status::OK();
}

Result<Reader::Step> Reader::PageStep(Call& call, Cursor& c) {
  const bool records_phase = c.phase == Cursor::Phase::kRecords;
  const std::string what = records_phase ? "GET students" : "GET deletions";
  const std::string target = c.page.empty() ? FirstPage(api_, c, call.plan, call.per_page) : c.page;
  Result<json> page = api_.GetJson(target, what);
  if (!page.ok()) return page.status();
  Result<PageView> v = CheckPage(*page, what, target);
  if (!v.ok()) return v.status();
  if (records_phase && !c.in_pull()) {
    if (!v->server_time) return NoServerTime(what);
    c.pull_start = *v->server_time;
  }
  if (call.Take(*v->items, records_phase, c.after, c)) {
    c.page = target;
    return Step::kStop;
  }
  if (!v->next.empty()) {
    c.page = v->next;
    c.after.clear();
    return Step::kOn;
  }
  if (records_phase) return EndOfRecords(call.plan, c);
  c.FinishPull();
  return Step::kDone;
}

Result<Reader::Step> Reader::ChainStep(Call& call, Cursor& c) {
  for (const Cursor::Chain& ch : c.chains) FetchAhead(ch.page);
  // The chains take turns: the one at the front is read, and goes to the back when its page is
  // done, so that the same cursor always reads the same pages in the same order.
  Cursor::Chain& ch = c.chains.front();
  const std::string target = ch.page;
  Result<json> page = FetchAhead(target).get();
  if (!page.ok()) {
    ahead_.erase(target);  // asked again on the next call
    return page.status();
  }
  Result<PageView> v = CheckPage(*page, "GET students", target);
  if (!v.ok()) {
    ahead_.erase(target);
    return v.status();
  }
  if (call.Take(*v->items, true, ch.after, c)) return Step::kStop;  // the page stays fetched
  ahead_.erase(target);
  if (!v->next.empty()) {
    ch.page = v->next;
    ch.after.clear();
    FetchAhead(ch.page);
    std::rotate(c.chains.begin(), c.chains.begin() + 1, c.chains.end());
    return Step::kOn;
  }
  c.chains.erase(c.chains.begin());
  if (c.chains.empty()) return EndOfRecords(call.plan, c);
  return Step::kOn;
}

Status Reader::Read(const sdk::ReadRequest& req, sdk::ReadResult& res) {
  std::optional<KindPlan> plan = PlanFor(req.kind);
  if (!plan)
    return Status::InvalidArgument("mis-api reads pupil, sen and review records, not '" + req.kind +
                                   "'");
  Result<Cursor> parsed = Cursor::Parse(req.cursor);
  if (!parsed.ok()) return parsed.status();
  Cursor c = *parsed;
  const size_t limit = req.limit ? req.limit : 500;
  Call call{req.kind, *plan, limit, static_cast<int>(std::min<size_t>(config_.per_page, limit)),
            res};
  const bool chains_possible = fetchers_.size() > 1 && !ranges_missing_;
  if (chains_possible && c.phase == Cursor::Phase::kRecords && !c.in_pull()) {
    Status st = StartChains(c, *plan, call.per_page);
    if (!st.ok()) return st;
  }
  DropUnneeded(c);

  for (int pages = 0;; ++pages) {
    if (call.produced >= limit || pages >= kMaxPagesPerCall) {
      res.more = true;
      break;
    }
    if (cancelled_ && cancelled_()) {
      if (call.produced == 0) return Status::Cancelled("read stopped: the host asked to stop");
      res.more = true;
      break;
    }
    Result<Step> step = c.chains.empty() ? PageStep(call, c) : ChainStep(call, c);
    if (!step.ok()) return step.status();
    if (*step == Step::kOn) continue;
    res.more = *step == Step::kStop;
    break;
  }
  res.next_cursor = c.ToString();
  return Status::OK();
}

}  // namespace sendsync::mis_api_adapter
