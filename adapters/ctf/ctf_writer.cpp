#include "ctf_writer.h"

#include <algorithm>
#include <sstream>

#include <Poco/XML/XMLWriter.h>

#include "census_codes.h"

namespace sendsync::ctf {

using records::SenEpisode;

namespace {

// Need start and end dates are carried from CTF 17 on.
bool CarriesNeedDates(const std::string& version) {
  return std::stoi(version.substr(0, version.find('.'))) >= 17;
}

class Xml {
 public:
  explicit Xml(std::ostream& out)
      : w_(out, Poco::XML::XMLWriter::WRITE_XML_DECLARATION | Poco::XML::XMLWriter::PRETTY_PRINT) {
    w_.setNewLine("\n");
    w_.setIndent("  ");
  }
  void Begin() { w_.startDocument(); }
  void End() { w_.endDocument(); }
  void Open(const std::string& name) { w_.startElement("", name, ""); }
  void Close(const std::string& name) { w_.endElement("", name, ""); }
  void Leaf(const std::string& name, const std::string& text) {
    w_.dataElement("", name, "", text);
  }
  void Leaf(const std::string& name, const std::optional<std::string>& text) {
    if (text) Leaf(name, *text);
  }

 private:
  Poco::XML::XMLWriter w_;
};

void WriteSen(Xml& x, const records::Sen& sen, const std::string& version) {
  std::string ignored;
  x.Open("SENhistory");
  for (const SenEpisode& e : EpisodesFor(sen, &ignored)) {
    x.Open("SEN");
    x.Leaf("StartDate", e.start.ToString());
    x.Leaf("SENprovision", e.provision);
    x.Close("SEN");
  }
  if (!sen.needs.empty()) {
    std::vector<records::SenNeed> needs = sen.needs;
    std::stable_sort(
        needs.begin(), needs.end(),
        [](const records::SenNeed& a, const records::SenNeed& b) { return a.rank < b.rank; });
    x.Open("SENneeds");
    for (const records::SenNeed& n : needs) {
      x.Open("SENneed");
      x.Leaf("SENtypeRank", std::to_string(n.rank));
      x.Leaf("SENtype", n.type);
      if (CarriesNeedDates(version)) {
        if (n.start) x.Leaf("NeedStartDate", n.start->ToString());
        if (n.end) x.Leaf("NeedEndDate", n.end->ToString());
      }
      x.Close("SENneed");
    }
    x.Close("SENneeds");
  }
  x.Close("SENhistory");
}

void WritePupil(Xml& x, const OutPupil& o, const std::string& version) {
  const records::Pupil& p = o.pupil;
  x.Open("Pupil");
  x.Leaf("UPN", p.upn);
  x.Leaf("UniqueLearnerNumber", p.uln);
  x.Leaf("Surname", p.legal_surname);
  x.Leaf("Forename", p.legal_forename);
  x.Leaf("DOB", p.dob.ToString());
  x.Leaf("Sex", p.sex);
  if (p.former_upn || p.preferred_surname || p.preferred_forename || p.middle_names || p.nc_year) {
    x.Open("BasicDetails");
    x.Leaf("FormerUPN", p.former_upn);
    x.Leaf("PreferredSurname", p.preferred_surname);
    x.Leaf("PreferredForename", p.preferred_forename);
    x.Leaf("MiddleNames", p.middle_names);
    x.Leaf("NCyearActual", p.nc_year);
    x.Close("BasicDetails");
  }
  if (o.sen) WriteSen(x, *o.sen, version);
  x.Close("Pupil");
}

}  // namespace

std::vector<SenEpisode> EpisodesFor(const records::Sen& sen, std::string* problem) {
  std::vector<SenEpisode> episodes = sen.history;
  for (SenEpisode& e : episodes) e.end.reset();  // a CTF carries start dates; ends follow from them
  if (sen.provision_start) {
    bool listed = std::any_of(episodes.begin(), episodes.end(), [&](const SenEpisode& e) {
      return e.start == *sen.provision_start && e.provision == sen.provision;
    });
    if (!listed) episodes.push_back({sen.provision, *sen.provision_start, std::nullopt});
  }
  std::stable_sort(episodes.begin(), episodes.end(),
                   [](const SenEpisode& a, const SenEpisode& b) { return a.start < b.start; });
  if (episodes.empty()) {
    *problem =
        "the SEN record has no provision_start and no history, and a CTF carries SEN "
        "provision only as dated episodes";
    return {};
  }
  for (size_t i = 1; i < episodes.size(); ++i) {
    if (episodes[i].start == episodes[i - 1].start) {
      *problem = "two SEN provision episodes start on " + episodes[i].start.ToString();
      return {};
    }
  }
  if (episodes.back().provision != sen.provision) {
    *problem = "the SEN history's latest episode is '" + episodes.back().provision +
               "' but the current provision is '" + sen.provision + "'";
    return {};
  }
  return episodes;
}

std::optional<std::string> WriteProblem(const OutPupil& o,
                                        const std::set<std::string>& extra_need_types) {
  const records::Pupil& p = o.pupil;
  if (auto why = UpnProblem(p.upn)) return "UPN '" + p.upn + "': " + *why;
  if (p.former_upn)
    if (auto why = UpnProblem(*p.former_upn)) return "former UPN '" + *p.former_upn + "': " + *why;
  if (p.uln)
    if (auto why = UlnProblem(*p.uln)) return "ULN '" + *p.uln + "': " + *why;
  if (p.legal_surname.empty() || p.legal_forename.empty())
    return "a CTF pupil needs a legal surname and forename";
  for (const std::optional<std::string>& name :
       {std::optional<std::string>(p.legal_surname), std::optional<std::string>(p.legal_forename),
        p.middle_names, p.preferred_surname, p.preferred_forename}) {
    if (name && std::any_of(name->begin(), name->end(),
                            [](unsigned char c) { return c < 0x20 && c != '\t'; }))
      return "a name holds a control character, which XML cannot carry";
  }
  if (!SexCodes().count(p.sex)) return "sex '" + p.sex + "' is not a census Sex code (M, F)";
  if (p.nc_year && !NcYearCodes().count(*p.nc_year))
    return "NC year '" + *p.nc_year + "' is not a census NCyearActual code";
  if (!o.sen) return std::nullopt;
  const records::Sen& s = *o.sen;
  if (!ProvisionCodes().count(s.provision))
    return "SEN provision '" + s.provision + "' is not a census SENprovision code";
  for (const SenEpisode& e : s.history)
    if (!ProvisionCodes().count(e.provision))
      return "SEN history provision '" + e.provision + "' is not a census SENprovision code";
  std::string problem;
  if (EpisodesFor(s, &problem).empty()) return problem;
  for (const records::SenNeed& n : s.needs) {
    if (!NeedTypeCodes().count(n.type) && !extra_need_types.count(n.type))
      return "need type '" + n.type + "' is not a census SENtype code";
    if (n.rank < 1 || n.rank > 99) return "need rank " + std::to_string(n.rank) + " is not 1..99";
  }
  return std::nullopt;
}

std::string RenderCtf(const OutHeader& h, const std::vector<OutPupil>& pupils) {
  std::ostringstream out;
  Xml x(out);
  x.Begin();
  x.Open("CTfile");
  x.Open("Header");
  x.Leaf("DocumentName", std::string("Common Transfer File"));
  x.Leaf("CTFversion", h.version);
  x.Leaf("DateTime", h.date_time);
  // The hub sends identity and SEN only, never the whole common transfer information.
  x.Leaf("DocumentQualifier", std::string("partial"));
  x.Leaf("SupplierID", std::string("sendsync"));
  x.Open("SourceSchool");
  x.Leaf("LEA", h.source.la);
  x.Leaf("Estab", h.source.estab);
  if (!h.source.name.empty()) x.Leaf("SchoolName", h.source.name);
  x.Leaf("AcademicYear", std::to_string(h.academic_year));
  x.Close("SourceSchool");
  x.Open("DestSchool");
  x.Leaf("LEA", h.dest.la);
  x.Leaf("Estab", h.dest.estab);
  x.Close("DestSchool");
  x.Close("Header");
  x.Open("CTFpupilData");
  for (const OutPupil& p : pupils) WritePupil(x, p, h.version);
  x.Close("CTFpupilData");
  x.Close("CTfile");
  x.End();
  return out.str();
}

int AcademicYearOf(const Date& today) {
  return today.month() >= 9 ? today.year() : today.year() - 1;
}

}  // namespace sendsync::ctf
