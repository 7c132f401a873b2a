#include "ctf_pupil_records.h"

#include <algorithm>

#include <sendsync/sdk/date.h>
#include <sendsync/sdk/records.h>

#include "census_codes.h"

namespace sendsync::ctf {
namespace {

constexpr const char* kSenPath = "Pupil/SENhistory";
constexpr const char* kEpisodePath = "Pupil/SENhistory/SEN";
constexpr const char* kNeedPath = "Pupil/SENhistory/SENneeds/SENneed";

class Checker {
 public:
  Checker(const ParsedPupil& p, std::vector<Problem>& out) : p_(p), out_(out) {}

  void Add(const Field& f, const std::string& element, const std::string& message) {
    out_.push_back({f.line ? f.line : p_.line, element, message});
  }
  void AddAt(int line, const std::string& element, const std::string& message) {
    out_.push_back({line ? line : p_.line, element, message});
  }

  // An element a pupil has at most once.
  void Once(const Field& f, const std::string& element) {
    if (f.count > 1)
      Add(f, element, "appears " + std::to_string(f.count) + " times where one is expected");
  }

  // A mandatory element with non-empty text; returns whether it is there. A missing one is
  // reported at the line of the element that should hold it (`parent_line`, else the pupil's).
  bool Required(const Field& f, const std::string& element, const std::string& what,
                int parent_line = 0) {
    Once(f, element);
    if (!f.present()) {
      AddAt(parent_line, element, "missing: a CTF pupil must have " + what);
      return false;
    }
    if (f.text.empty()) {
      Add(f, element, "is empty: a CTF pupil must have " + what);
      return false;
    }
    return true;
  }

  std::optional<Date> RequiredDate(const Field& f, const std::string& element,
                                   const std::string& what, int parent_line = 0) {
    if (!Required(f, element, what, parent_line)) return std::nullopt;
    return DateOf(f, element);
  }

  std::optional<Date> DateOf(const Field& f, const std::string& element) {
    std::optional<Date> d = Date::Parse(f.text);
    if (!d) Add(f, element, "'" + f.text + "' is not a date in the form yyyy-mm-dd");
    return d;
  }

  // A code from `codes`; anything else is not a census code of any year.
  bool Code(const Field& f, const std::string& element, const std::set<std::string>& codes,
            const std::string& what) {
    if (codes.count(f.text)) return true;
    Add(f, element,
        "'" + f.text + "' is not a census " + what + " code (known: " + JoinCodes(codes) + ")");
    return false;
  }

 private:
  const ParsedPupil& p_;
  std::vector<Problem>& out_;
};

// Optional text: an empty element (<FormerUPN/>) means "none".
std::optional<std::string> Opt(const Field& f) {
  if (!f.present() || f.text.empty()) return std::nullopt;
  return f.text;
}

void CheckIdentity(const ParsedPupil& p, const PupilRules& rules, PupilOutcome& o,
                   records::Pupil& pupil) {
  Checker c(p, o.identity_problems);
  if (c.Required(p.upn, "Pupil/UPN", "a UPN (census error 1500)")) {
    if (auto why = UpnProblem(p.upn.text))
      c.Add(p.upn, "Pupil/UPN", "'" + p.upn.text + "': " + *why);
    if (rules.duplicate_upns.count(p.upn.text))
      c.Add(
          p.upn, "Pupil/UPN",
          "UPN " + p.upn.text +
              " appears for more than one pupil in this file (census error 1520); none of them is "
              "imported because it is not clear which is right");
  }
  c.Required(p.surname, "Pupil/Surname", "a legal surname");
  c.Required(p.forename, "Pupil/Forename", "a legal forename");
  std::optional<Date> dob = c.RequiredDate(p.dob, "Pupil/DOB", "a date of birth");

  // Older files say Gender for what is now Sex; both mean the census Sex code.
  const bool use_sex = p.sex.present() || !p.gender.present();
  const Field& sex = use_sex ? p.sex : p.gender;
  const std::string sex_element = use_sex ? "Pupil/Sex" : "Pupil/Gender";
  if (p.sex.present() && p.gender.present() && p.sex.text != p.gender.text)
    c.Add(p.gender, "Pupil/Gender",
          "Sex '" + p.sex.text + "' and Gender '" + p.gender.text + "' disagree");
  if (c.Required(sex, sex_element, "a Sex (or, in older files, Gender) code"))
    c.Code(sex, sex_element, SexCodes(), "Sex");

  c.Once(p.uln, "Pupil/UniqueLearnerNumber");
  if (auto uln = Opt(p.uln))
    if (auto why = UlnProblem(*uln))
      c.Add(p.uln, "Pupil/UniqueLearnerNumber", "'" + *uln + "': " + *why);
  c.Once(p.former_upn, "Pupil/BasicDetails/FormerUPN");
  if (auto former = Opt(p.former_upn))
    if (auto why = UpnProblem(*former))
      c.Add(p.former_upn, "Pupil/BasicDetails/FormerUPN", "'" + *former + "': " + *why);
  c.Once(p.nc_year, "Pupil/BasicDetails/NCyearActual");
  if (Opt(p.nc_year))
    c.Code(p.nc_year, "Pupil/BasicDetails/NCyearActual", NcYearCodes(), "NC year");
  c.Once(p.preferred_surname, "Pupil/BasicDetails/PreferredSurname");
  c.Once(p.preferred_forename, "Pupil/BasicDetails/PreferredForename");
  c.Once(p.middle_names, "Pupil/BasicDetails/MiddleNames");

  pupil.id = p.upn.text;  // a CTF has no pupil id of its own: the UPN is the id
  pupil.upn = p.upn.text;
  pupil.former_upn = Opt(p.former_upn);
  pupil.uln = Opt(p.uln);
  pupil.legal_surname = p.surname.text;
  pupil.legal_forename = p.forename.text;
  pupil.middle_names = Opt(p.middle_names);
  pupil.preferred_surname = Opt(p.preferred_surname);
  pupil.preferred_forename = Opt(p.preferred_forename);
  if (dob) pupil.dob = *dob;
  pupil.sex = sex.text;
  pupil.nc_year = Opt(p.nc_year);
}

std::optional<bool> Indicator(Checker& c, const Field& f, const std::string& element) {
  c.Once(f, element);
  if (!f.present()) return false;
  if (f.text == "true" || f.text == "1") return true;
  if (f.text == "false" || f.text == "0") return false;
  c.Add(f, element, "'" + f.text + "' is not true or false");
  return std::nullopt;
}

void CheckSen(const ParsedPupil& p, const PupilRules& rules, PupilOutcome& o, records::Sen& sen) {
  Checker c(p, o.sen_problems);
  std::set<std::string> need_codes = NeedTypeCodes();
  need_codes.insert(rules.extra_need_types.begin(), rules.extra_need_types.end());

  for (const ParsedEpisode& e : p.episodes) {
    std::optional<Date> start = c.RequiredDate(e.start, std::string(kEpisodePath) + "/StartDate",
                                               "a StartDate for each SEN episode", e.line);
    bool code_ok = c.Required(e.provision, std::string(kEpisodePath) + "/SENprovision",
                              "an SENprovision code for each SEN episode", e.line) &&
                   c.Code(e.provision, std::string(kEpisodePath) + "/SENprovision",
                          ProvisionCodes(), "SENprovision");
    if (start && code_ok) sen.history.push_back({e.provision.text, *start, std::nullopt});
  }
  if (p.episodes.empty())
    c.AddAt(p.sen_history_line, kEpisodePath,
            "missing: SENhistory has no SEN episode (StartDate and SENprovision), so the pupil's "
            "SEN provision is unknown");

  std::stable_sort(
      sen.history.begin(), sen.history.end(),
      [](const records::SenEpisode& a, const records::SenEpisode& b) { return a.start < b.start; });
  for (size_t i = 1; i < sen.history.size(); ++i) {
    if (sen.history[i].start == sen.history[i - 1].start) {
      c.AddAt(p.sen_history_line, kEpisodePath,
              "two SEN episodes start on " + sen.history[i].start.ToString() +
                  ", so it is not clear which provision applies from that day");
      break;
    }
    // An episode ends the day before the next one starts.
    sen.history[i - 1].end = sen.history[i].start.AddDays(-1);
  }
  if (!sen.history.empty()) {
    sen.provision = sen.history.back().provision;
    sen.provision_start = sen.history.back().start;
  }

  for (const ParsedNeed& n : p.needs) {
    records::SenNeed need;
    const std::string rank_el = std::string(kNeedPath) + "/SENtypeRank";
    if (c.Required(n.rank, rank_el, "an SENtypeRank for each need", n.line)) {
      const std::string& t = n.rank.text;
      bool digits = !t.empty() && t.size() <= 2 &&
                    std::all_of(t.begin(), t.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
      if (!digits || std::stoi(t) < 1)
        c.Add(n.rank, rank_el, "'" + t + "' is not a rank (1 = primary, 2 = secondary, ...)");
      else
        need.rank = std::stoi(t);
    }
    const std::string type_el = std::string(kNeedPath) + "/SENtype";
    if (c.Required(n.type, type_el, "an SENtype for each need", n.line))
      c.Code(n.type, type_el, need_codes, "SENtype");
    need.type = n.type.text;
    c.Once(n.start, std::string(kNeedPath) + "/NeedStartDate");
    c.Once(n.end, std::string(kNeedPath) + "/NeedEndDate");
    if (Opt(n.start)) need.start = c.DateOf(n.start, std::string(kNeedPath) + "/NeedStartDate");
    if (Opt(n.end)) need.end = c.DateOf(n.end, std::string(kNeedPath) + "/NeedEndDate");
    sen.needs.push_back(std::move(need));
  }
  std::stable_sort(
      sen.needs.begin(), sen.needs.end(),
      [](const records::SenNeed& a, const records::SenNeed& b) { return a.rank < b.rank; });

  sen.sen_unit =
      Indicator(c, p.sen_unit, std::string(kSenPath) + "/SENunitIndicator").value_or(false);
  sen.resourced_provision =
      Indicator(c, p.resourced_provision, std::string(kSenPath) + "/ResourcedProvisionIndicator")
          .value_or(false);
  sen.pupil.id = p.upn.text;
  sen.pupil.upn = p.upn.text;
}

}  // namespace

PupilOutcome ConvertPupil(const ParsedPupil& p, const PupilRules& rules) {
  PupilOutcome o;
  o.upn = p.upn.text;
  records::Pupil pupil;
  CheckIdentity(p, rules, o, pupil);
  if (o.identity_problems.empty()) records::ToJson(pupil, o.pupil);
  o.has_sen = p.sen_history_line != 0;
  if (o.has_sen) {
    records::Sen sen;
    CheckSen(p, rules, o, sen);
    if (o.identity_problems.empty() && o.sen_problems.empty()) records::ToJson(sen, o.sen);
  }
  return o;
}

std::string DescribeProblems(const std::vector<Problem>& problems) {
  std::string out;
  for (const Problem& p : problems) {
    if (!out.empty()) out += "; ";
    out += p.element + " (line " + std::to_string(p.line) + "): " + p.message;
  }
  return out;
}

}  // namespace sendsync::ctf
