// What the dashboard's pages for people read: the list of pupils with their SEN status, the SEN
// register's counts, and what each link was sent about a pupil (disclosures). Each is limited to
// the caller's school like every other school-scoped route.
#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>

#include <sendsync/sdk/json_limits.h>

#include "core/hub/hub.h"
#include "core/server/handlers.h"

namespace sendsync::server {

namespace handlers {

// One pupil as the list and the register see them: read from the pupil and SEN records' bodies.
struct PupilLine {
  int64_t id = 0;
  std::string upn, school_urn, forename, surname, nc_year, dob;
  std::string sort_name;         // "surname forename" in lower case, for sorting and searching
  std::string sen_status = "N";  // census SENprovision: N (no SEN record), K or E
  std::string primary_need;      // the need ranked 1, "" when none
  std::vector<std::string> needs;
  bool ehc_plan = false;  // status E, or a plan that has not ceased
  nlohmann::json history = nlohmann::json::array();
};

}  // namespace handlers

// Per school ("" every school): the generation the lines were read at, and the lines. An entry
// of an older generation than the call's is never used: a change since moved the generation on.
struct PupilLinesCache {
  using Lines = std::vector<handlers::PupilLine>;
  std::mutex mu;
  std::map<std::string, std::pair<int64_t, std::shared_ptr<const Lines>>> by_school;
};

std::shared_ptr<PupilLinesCache> MakePupilLinesCache() {
  return std::make_shared<PupilLinesCache>();
}

namespace handlers {

using nlohmann::json;

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Every live pupil of `school` ("" every school) with their SEN status, needs and plan.
Result<std::vector<PupilLine>> LoadLines(store::Conn& conn, const std::string& school) {
  auto pupils = store::ListPupils(conn, school);
  if (!pupils.ok()) return pupils.status();
  std::vector<PupilLine> lines;
  lines.reserve(pupils->size());
  std::map<int64_t, size_t> at;
  std::vector<int64_t> ids;
  for (const auto& p : *pupils) {
    PupilLine l;
    l.id = p.id;
    l.upn = p.upn;
    l.school_urn = p.school_urn;
    l.dob = p.dob;
    json b = sdk::ParseJson(p.body);
    if (b.is_object()) {
      l.forename = b.value("legal_forename", "");
      l.surname = b.value("legal_surname", "");
      if (b.contains("nc_year") && b["nc_year"].is_string()) l.nc_year = b["nc_year"];
    }
    l.sort_name = Lower(l.surname + " " + l.forename);
    at[p.id] = lines.size();
    ids.push_back(p.id);
    lines.push_back(std::move(l));
  }
  auto sens = store::RecordsByPupils(conn, "sen", ids);
  if (!sens.ok()) return sens.status();
  for (const auto& r : *sens) {
    auto it = at.find(r.pupil_id);
    json b = sdk::ParseJson(r.body);
    if (it == at.end() || !b.is_object()) continue;
    PupilLine& l = lines[it->second];
    l.sen_status = b.value("provision", "N");
    if (l.sen_status == "E") l.ehc_plan = true;
    if (b.contains("needs") && b["needs"].is_array()) {
      std::vector<std::pair<int, std::string>> ranked;
      for (const auto& n : b["needs"])
        if (n.is_object() && n.contains("type") && n["type"].is_string())
          ranked.push_back({n.value("rank", 1), n["type"].get<std::string>()});
      std::stable_sort(ranked.begin(), ranked.end(),
                       [](const auto& a, const auto& c) { return a.first < c.first; });
      for (const auto& [rank, type] : ranked) l.needs.push_back(type);
      if (!ranked.empty() && ranked[0].first == 1) l.primary_need = ranked[0].second;
    }
    if (b.contains("history") && b["history"].is_array()) l.history = b["history"];
  }
  auto plans = store::RecordsByPupils(conn, "ehc_plan", ids);
  if (!plans.ok()) return plans.status();
  for (const auto& r : *plans) {
    auto it = at.find(r.pupil_id);
    json b = sdk::ParseJson(r.body);
    if (it == at.end() || !b.is_object()) continue;
    if (!b.contains("ceased") || b["ceased"].is_null()) lines[it->second].ehc_plan = true;
  }
  return lines;
}

// The lines of `school`, from the cache when they were read at the call's generation.
Result<std::shared_ptr<const std::vector<PupilLine>>> Lines(Call& call, const std::string& school) {
  PupilLinesCache* cache = call.env.pupil_lines.get();
  if (cache) {
    std::lock_guard<std::mutex> lock(cache->mu);
    auto it = cache->by_school.find(school);
    if (it != cache->by_school.end() && it->second.first == call.generation)
      return it->second.second;
  }
  auto lines = LoadLines(*call.conn, school);
  if (!lines.ok()) return lines.status();
  auto shared = std::make_shared<const std::vector<PupilLine>>(std::move(*lines));
  if (cache) {
    std::lock_guard<std::mutex> lock(cache->mu);
    auto& slot = cache->by_school[school];
    if (slot.first <= call.generation) slot = {call.generation, shared};
  }
  return shared;
}

json LineJson(const PupilLine& l) {
  return {{"pupil_id", hub::HubId(l.id)},
          {"upn", l.upn},
          {"name", l.forename + " " + l.surname},
          {"forename", l.forename},
          {"surname", l.surname},
          {"dob", l.dob},
          {"school_urn", l.school_urn},
          {"nc_year", l.nc_year.empty() ? json() : json(l.nc_year)},
          {"sen_status", l.sen_status},
          {"primary_need", l.primary_need.empty() ? json() : json(l.primary_need)},
          {"needs", l.needs},
          {"ehc_plan", l.ehc_plan}};
}

// A true/false query parameter; nullopt when absent, a 400 naming it when neither.
std::optional<Reply> BoolQuery(const Call& call, const char* name, std::optional<bool>& out) {
  const std::string v = call.Query(name);
  if (v.empty()) return std::nullopt;
  if (v != "true" && v != "false") {
    Errors e;
    e.Add(std::string("query:") + name, "must be true or false");
    return e.ToReply();
  }
  out = v == "true";
  return std::nullopt;
}

bool IsCode(const std::string& s, size_t max) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

}  // namespace

Reply ListPupils(Call& call) {
  Page page;
  if (auto r = ParsePage(call, page)) return *r;
  Errors e;
  const std::string status = call.Query("sen_status"), need = call.Query("primary_need"),
                    year = call.Query("nc_year"), q = Lower(call.Query("q"));
  std::string sort = call.Query("sort", "name");
  if (!status.empty() && status != "N" && status != "K" && status != "E")
    e.Add("query:sen_status", "must be N, K or E (the census SEN provision)");
  if (!need.empty() && !IsCode(need, 4))
    e.Add("query:primary_need", "must be a census need type code such as SPLD or ASD");
  if (!year.empty() && !IsCode(year, 2))
    e.Add("query:nc_year", "must be an NC year: N1, N2, R, 1..14 or X");
  if (q.size() > 100) e.Add("query:q", "must be at most 100 characters");
  std::optional<bool> ehc, overdue;
  if (auto r = BoolQuery(call, "ehc_plan", ehc)) return *r;
  if (auto r = BoolQuery(call, "overdue", overdue)) return *r;
  const bool desc = !sort.empty() && sort[0] == '-';
  if (desc) sort = sort.substr(1);
  static const std::set<std::string> kSorts = {"name", "upn", "nc_year", "sen_status",
                                               "primary_need"};
  if (!kSorts.count(sort))
    e.Add("query:sort",
          "must be name, upn, nc_year, sen_status or primary_need, with - for descending");
  if (!e.empty()) return e.ToReply();

  auto lines = Lines(call, call.School());
  if (!lines.ok()) return FromStatus(lines.status());
  std::vector<const PupilLine*> kept;
  for (const auto& l : **lines) {
    if (!status.empty() && l.sen_status != status) continue;
    if (!need.empty() && l.primary_need != need) continue;
    if (!year.empty() && l.nc_year != year) continue;
    if (ehc && l.ehc_plan != *ehc) continue;
    if (!q.empty() && Lower(l.upn).find(q) == std::string::npos &&
        l.sort_name.find(q) == std::string::npos &&
        Lower(l.forename + " " + l.surname).find(q) == std::string::npos)
      continue;
    kept.push_back(&l);
  }
  std::set<int64_t> late;
  if (overdue) {  // the costly filter: the clocks of each pupil still in the list
    const Date today = call.Today();
    for (const PupilLine* l : kept) {
      auto recs = hub::LoadPupilRecords(*call.conn, l->id);
      if (!recs.ok()) return FromStatus(recs.status());
      auto clocks = hub::ClocksOf(*call.conn, l->id, *recs, today);
      if (!clocks.ok()) return FromStatus(clocks.status());
      if (std::any_of(clocks->begin(), clocks->end(),
                      [](const domain::DueItem& d) { return d.state == "overdue"; }))
        late.insert(l->id);
    }
    kept.erase(std::remove_if(kept.begin(), kept.end(),
                              [&](const PupilLine* l) { return late.count(l->id) != *overdue; }),
               kept.end());
  }
  // NC years in school order (N1 N2 R 1 .. 14 X), not as text.
  auto year_rank = [](const std::string& y) {
    if (y == "N1") return -3;
    if (y == "N2") return -2;
    if (y == "R") return -1;
    if (y.empty() || y == "X") return 99;
    return std::atoi(y.c_str());
  };
  // The chosen column in the chosen direction; ties by name then UPN, always A to Z.
  auto key = [&](const PupilLine* l) -> std::pair<int, std::string_view> {
    if (sort == "upn") return {0, l->upn};
    if (sort == "nc_year") return {year_rank(l->nc_year), {}};
    if (sort == "sen_status") return {0, l->sen_status};
    if (sort == "primary_need") return {0, l->primary_need};
    return {0, l->sort_name};
  };

  // Ties by id last (the order the store lists them in), so the order is total and every page
  // is cut from the same one.
  auto before = [&](const PupilLine* a, const PupilLine* b) {
    const auto ka = key(a), kb = key(b);
    if (const auto c = ka <=> kb; c != 0) return desc ? c > 0 : c < 0;
    if (const int c = a->sort_name.compare(b->sort_name); c != 0) return c < 0;
    if (const int c = a->upn.compare(b->upn); c != 0) return c < 0;
    return a->id < b->id;
  };
  // Only as far as the page's end is put in order (a whole LA is 20,000 pupils; a page 50).
  const size_t from = page.cursor.empty() ? 0 : static_cast<size_t>(std::stoll(page.cursor));
  const size_t upto = std::min(kept.size(), from + static_cast<size_t>(page.limit));
  std::partial_sort(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(upto), kept.end(),
                    before);
  // Only the page's pupils become JSON.
  json items = json::array();
  for (size_t i = from; i < kept.size() && items.size() < static_cast<size_t>(page.limit); ++i)
    items.push_back(LineJson(*kept[i]));
  const size_t end = from + items.size();
  json out = Page::Wrap(std::move(items), end < kept.size() ? std::to_string(end) : "");
  out["total"] = kept.size();
  return {200, out};
}

Reply SenRegister(Call& call) {
  Date as_of = call.Today();
  if (const std::string t = call.Query("as_of"); !t.empty()) {
    auto d = Date::Parse(t);
    if (!d) {
      Errors e;
      e.Add("query:as_of", "must be a date yyyy-mm-dd");
      return e.ToReply();
    }
    as_of = *d;
  }
  int months = 24;
  if (const std::string m = call.Query("months"); !m.empty()) {
    if (m.size() > 2 || m.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(m) < 1 || std::stoi(m) > 60) {
      Errors e;
      e.Add("query:months", "must be a number of months 1..60");
      return e.ToReply();
    }
    months = std::stoi(m);
  }
  // The answer as sent, kept with the pupils' summaries under the generation it was built at: a
  // whole LA's is thousands of counts, and building and writing them costs more than the target
  // allows on a busy host. The key names the school asked about (a limited token's own).
  const std::string school = call.School();
  SummaryCache* cache = call.env.summaries;
  const std::string key =
      "register|" + school + "|" + as_of.ToString() + "|" + std::to_string(months);
  if (cache)
    if (auto hit = cache->Find(key, call.generation); hit && call.MaySee(hit->school_urn)) {
      Reply r;
      r.raw = std::move(hit->body);
      return r;
    }
  auto lines = Lines(call, school);
  if (!lines.ok()) return FromStatus(lines.status());
  // school -> (status, need, year) -> count
  std::map<std::string, std::map<std::tuple<std::string, std::string, std::string>, int64_t>> by;
  std::map<std::string, std::map<std::string, int64_t>> totals;  // school -> status -> count
  for (const auto& l : **lines) {
    by[l.school_urn][{l.sen_status, l.primary_need, l.nc_year}]++;
    totals[l.school_urn][l.sen_status]++;
  }
  json schools = json::array();
  for (const auto& [urn, cells] : by) {
    json rows = json::array();
    for (const auto& [k, n] : cells)
      rows.push_back({{"sen_status", std::get<0>(k)},
                      {"primary_need", std::get<1>(k).empty() ? json() : json(std::get<1>(k))},
                      {"nc_year", std::get<2>(k).empty() ? json() : json(std::get<2>(k))},
                      {"count", n}});
    const auto& t = totals[urn];
    auto get = [&](const char* s) { return t.count(s) ? t.at(s) : 0; };
    schools.push_back({{"school_urn", urn},
                       {"pupils", get("N") + get("K") + get("E")},
                       {"totals", {{"N", get("N")}, {"K", get("K")}, {"E", get("E")}}},
                       {"counts", rows}});
  }
  // K and E on the first day of each month, from each pupil's dated status episodes (the SEN
  // record's history, its current status from its start date when the history is empty).
  std::vector<Date> points;
  const Date first_of_month(as_of.year(), as_of.month(), 1);
  for (int i = months - 1; i >= 0; --i) points.push_back(first_of_month.AddMonths(-i));
  std::vector<std::array<int64_t, 2>> at(points.size(), {0, 0});  // K, E at each point
  for (const auto& l : **lines) {
    for (const auto& ep : l.history) {
      if (!ep.is_object()) continue;
      auto start = Date::Parse(ep.value("start", ""));
      if (!start) continue;
      std::optional<Date> end;
      if (ep.contains("end") && ep["end"].is_string())
        end = Date::Parse(ep["end"].get<std::string>());
      const std::string p = ep.value("provision", "");
      if (p != "K" && p != "E") continue;
      const size_t e = p == "E" ? 1 : 0;
      for (size_t i = 0; i < points.size(); ++i)
        if (!(points[i] < *start) && (!end || points[i] < *end)) at[i][e]++;
    }
  }
  json over_time = json::array();
  for (size_t i = 0; i < points.size(); ++i)
    over_time.push_back({{"date", points[i].ToString()}, {"K", at[i][0]}, {"E", at[i][1]}});
  const json out = {{"as_of", as_of.ToString()}, {"schools", schools}, {"over_time", over_time}};
  Reply r;
  r.raw = std::make_shared<const std::string>(
      out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (cache) cache->Put(key, {call.generation, school, r.raw});
  return r;
}

}  // namespace handlers
}  // namespace sendsync::server
