// sendsync-bench-gen: writes a deterministic LA-scale dataset of canonical records as JSON lines,
// one file per kind (the jsonl-folder adapter's layout), plus the same rows as CSV for the
// sqlite3 `.import` floor. Prevalence is national-like: about 13 % of pupils on SEN support (K)
// and 4–5 % with EHC plans (E); each SEN pupil has ranked needs, cycles with three targets, about
// four provision entries and three reviews.
//
//   sendsync-bench-gen --out DIR [--pupils N] [--schools N] [--seed N] [--change-percent P]
//   sendsync-bench-gen --files DIR [--pupils N] [--schools N] [--seed N]
//
// With --change-percent, appends changed versions of P % of the SEN records (a new status or need)
// to the existing files instead of writing a new dataset: the "1 % change" re-sync.
//
// With --files, writes what the file adapters read, one dataset in three forms (the per-adapter
// bench): every pupil's identity and the SEN status and ranked needs of the pupils on SEN support
// or with an EHC plan, as DIR/jsonl/{pupil,sen}.jsonl (canonical records), as one CTF 25 file
// DIR/ctf/8201234_CTF_8214567_001.xml, and as two CSV exports in the csv adapter's documented
// column layout, DIR/csv/roll.csv (pupils) and DIR/csv/sen.csv (SEN pupils).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kNeeds[] = {"SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN",
                        "ASD",  "HI",  "VI",  "MSI",  "PD",   "OTH"};
const char* kAreas[] = {"CL", "SEMH", "CI", "SP"};
const char* kInterventions[] = {"Precision teaching",
                                "Speech and language group",
                                "Social skills group",
                                "Reading recovery",
                                "Fine motor skills",
                                "Lego therapy",
                                "Emotional literacy support",
                                "Maths catch-up",
                                "Phonics boost",
                                "Sensory circuit"};
const char* kSurnames[] = {"Smith",   "Jones",   "Taylor", "Brown",    "Williams", "Wilson",
                           "Johnson", "Davies",  "Patel",  "Robinson", "Wright",   "Thompson",
                           "Evans",   "Walker",  "White",  "Roberts",  "Green",    "Hall",
                           "Wood",    "Jackson", "Khan",   "Ahmed",    "Nowak",    "O'Brien"};
const char* kForenames[] = {"Olivia", "Noah", "Amelia", "Muhammad", "Isla",   "George", "Ava",
                            "Oliver", "Mia",  "Leo",    "Ivy",      "Arthur", "Freya",  "Oscar",
                            "Lily",   "Theo", "Zofia",  "Aarav",    "Chloé",  "Seán"};

// UPN check letter (reference §3): weights 2..13 over characters 2..13, sum mod 23.
char CheckLetter(const std::string& s) {
  static const char* kTable = "ABCDEFGHJKLMNPQRTUVWXYZ";
  int sum = 0;
  for (int i = 1; i < 13; ++i) sum += (s[i] - '0') * (i + 1);
  return kTable[sum % 23];
}

// LA code, establishment number, then a five-digit serial: unique per (school, n < 100000).
std::string Upn(int school, long n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "?%03d%04d%05ld", 820 + school % 150, 1000 + school % 9000,
                n % 100000);
  std::string s(buf);
  s[0] = CheckLetter(s);
  return s;
}

std::string Date(int year, int month, int day) {
  char b[16];
  std::snprintf(b, sizeof b, "%04d-%02d-%02d", year, month, day);
  return b;
}

// A value for XML text: & and < escaped (names such as O'Brien need nothing more).
std::string Xml(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else
      out += c;
  }
  return out;
}

// ISO yyyy-mm-dd as the csv adapter's documented dd/mm/yyyy.
std::string Uk(const std::string& iso) {
  return iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
}

int WriteFileFormats(const fs::path& dir, long pupils, long schools, unsigned seed) {
  for (const char* sub : {"jsonl", "ctf", "csv"}) fs::create_directories(dir / sub);
  std::ofstream pj(dir / "jsonl" / "pupil.jsonl"), sj(dir / "jsonl" / "sen.jsonl");
  std::ofstream ctf(dir / "ctf" / "8201234_CTF_8214567_001.xml");
  std::ofstream roll(dir / "csv" / "roll.csv"), senc(dir / "csv" / "sen.csv");
  ctf << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CTfile>\n  <Header>\n"
         "    <DocumentName>Common Transfer File</DocumentName>\n"
         "    <CTFversion>25.0</CTFversion>\n    <DateTime>2026-07-15T10:30:00</DateTime>\n"
         "    <DocumentQualifier>full</DocumentQualifier>\n"
         "    <SupplierID>sendsync bench</SupplierID>\n"
         "    <SourceSchool>\n      <LEA>820</LEA>\n      <Estab>1234</Estab>\n"
         "      <SchoolName>Bench Local Authority</SchoolName>\n"
         "      <AcademicYear>2025</AcademicYear>\n    </SourceSchool>\n"
         "    <DestSchool>\n      <LEA>821</LEA>\n      <Estab>4567</Estab>\n    </DestSchool>\n"
         "  </Header>\n  <CTFpupilData>\n";
  roll << "Adno,UPN,Legal Surname,Legal Forename,Preferred Forename,DOB,Gender,Year\n";
  senc << "Adno,UPN,SEN Status,SEN Start Date,Primary Need,Secondary Need\n";
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  long sen_rows = 0;
  for (long p = 0; p < pupils; ++p) {
    const int school = static_cast<int>(p % schools);
    const std::string upn = Upn(school, p / schools);
    const int year = 2010 + pick(12);
    const std::string surname = kSurnames[pick(24)], forename = kForenames[pick(20)];
    const std::string dob = Date(year, 1 + pick(12), 1 + pick(28));
    const std::string sex = pick(2) ? "F" : "M";
    const std::string nc = std::to_string(std::min(11, std::max(1, 2025 - year - 5)));
    const int r = pick(1000);
    const std::string status = r < 130 ? "K" : r < 175 ? "E" : "N";
    const int need1 = pick(12), need2 = pick(12);
    const bool second = need2 != need1 && pick(2);
    const std::string start = Date(2023 + pick(3), 9, 1 + pick(20));
    const bool sen = status != "N";
    pj << json{{"kind", "pupil"},
               {"id", upn},
               {"upn", upn},
               {"legal_surname", surname},
               {"legal_forename", forename},
               {"dob", dob},
               {"sex", sex},
               {"nc_year", nc}}
              .dump()
       << '\n';
    roll << p << ',' << upn << ',' << surname << ',' << forename << ",," << Uk(dob) << ',' << sex
         << ',' << nc << '\n';
    ctf << "    <Pupil>\n      <UPN>" << upn << "</UPN>\n      <Surname>" << Xml(surname)
        << "</Surname>\n      <Forename>" << Xml(forename) << "</Forename>\n      <DOB>" << dob
        << "</DOB>\n      <Sex>" << sex << "</Sex>\n      <BasicDetails>\n        <NCyearActual>"
        << nc << "</NCyearActual>\n      </BasicDetails>\n";
    if (sen) {
      ++sen_rows;
      json needs = json::array({{{"type", kNeeds[need1]}, {"rank", 1}}});
      if (second) needs.push_back({{"type", kNeeds[need2]}, {"rank", 2}});
      sj << json{{"kind", "sen"},
                 {"pupil", {{"id", upn}, {"upn", upn}}},
                 {"provision", status},
                 {"provision_start", start},
                 {"needs", needs}}
                .dump()
         << '\n';
      senc << p << ',' << upn << ',' << status << ',' << Uk(start) << ',' << kNeeds[need1] << ','
           << (second ? kNeeds[need2] : "") << '\n';
      ctf << "      <SENhistory>\n        <SEN>\n          <StartDate>" << start
          << "</StartDate>\n          <SENprovision>" << status
          << "</SENprovision>\n        </SEN>\n        <SENneeds>\n";
      for (const json& n : needs)
        ctf << "          <SENneed>\n            <SENtypeRank>" << n["rank"].get<int>()
            << "</SENtypeRank>\n            <SENtype>" << n["type"].get<std::string>()
            << "</SENtype>\n          </SENneed>\n";
      ctf << "        </SENneeds>\n      </SENhistory>\n";
    }
    ctf << "    </Pupil>\n";
  }
  ctf << "  </CTFpupilData>\n</CTfile>\n";
  for (std::ostream* o : std::initializer_list<std::ostream*>{&pj, &sj, &ctf, &roll, &senc})
    if (!o->flush()) {
      std::fprintf(stderr, "sendsync-bench-gen: cannot write into %s\n", dir.c_str());
      return 1;
    }
  std::printf("wrote %ld records (pupils %ld, sen %ld) as jsonl, one CTF and CSV exports\n",
              pupils + sen_rows, pupils, sen_rows);
  return 0;
}

struct Out {
  std::ofstream jsonl, csv;
  long rows = 0;
  void Open(const fs::path& dir, const std::string& kind, bool append) {
    auto mode = append ? std::ios::app : std::ios::trunc;
    jsonl.open(dir / (kind + ".jsonl"), mode);
    if (!append) csv.open(dir / "csv" / (kind + ".csv"), std::ios::trunc);
  }
  void Write(const std::string& id, const std::string& pupil, const json& rec) {
    std::string text = rec.dump();
    jsonl << text << '\n';
    if (csv.is_open()) {
      // CSV for the floor: id, pupil, body (quoted, quotes doubled).
      std::string q;
      q.reserve(text.size() + 16);
      for (char c : text) {
        if (c == '"') q += '"';
        q += c;
      }
      csv << id << ',' << pupil << ",\"" << q << "\"\n";
    }
    ++rows;
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir, files_dir;
  long pupils = 300000, schools = 400;
  unsigned seed = 20261123;
  double change_percent = 0;
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--out"))
      out_dir = next();
    else if (!std::strcmp(argv[i], "--files"))
      files_dir = next();
    else if (!std::strcmp(argv[i], "--pupils"))
      pupils = std::atol(next());
    else if (!std::strcmp(argv[i], "--schools"))
      schools = std::atol(next());
    else if (!std::strcmp(argv[i], "--seed"))
      seed = static_cast<unsigned>(std::atol(next()));
    else if (!std::strcmp(argv[i], "--change-percent"))
      change_percent = std::atof(next());
    else {
      std::fprintf(stderr,
                   "usage: sendsync-bench-gen --out DIR [--pupils N] [--schools N] [--seed N] "
                   "[--change-percent P]\n       sendsync-bench-gen --files DIR [--pupils N] "
                   "[--schools N] [--seed N]\n");
      return 2;
    }
  }
  if ((out_dir.empty() && files_dir.empty()) || pupils <= 0 || schools <= 0) {
    std::fprintf(stderr,
                 "sendsync-bench-gen: --out or --files is required; sizes must be positive\n");
    return 2;
  }
  if (!files_dir.empty()) return WriteFileFormats(files_dir, pupils, schools, seed);
  const bool change = change_percent > 0;
  fs::create_directories(fs::path(out_dir) / "csv");
  Out pupil_out, sen_out, cycle_out, prov_out, review_out;
  pupil_out.Open(out_dir, "pupil", change);
  sen_out.Open(out_dir, "sen", change);
  cycle_out.Open(out_dir, "cycle", change);
  prov_out.Open(out_dir, "provision", change);
  review_out.Open(out_dir, "review", change);

  std::mt19937_64 rng(seed);
  std::mt19937_64 change_rng(seed + 1);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  long sen_k = 0, sen_e = 0, changed = 0;
  for (long p = 0; p < pupils; ++p) {
    const int school = static_cast<int>(p % schools);
    const std::string pid = "P" + std::to_string(p);
    const std::string upn = Upn(school, p / schools);
    const int year = 2010 + pick(12);
    json pupil = {{"kind", "pupil"},
                  {"id", pid},
                  {"upn", upn},
                  {"legal_surname", kSurnames[pick(24)]},
                  {"legal_forename", kForenames[pick(20)]},
                  {"dob", Date(year, 1 + pick(12), 1 + pick(28))},
                  {"sex", pick(2) ? "F" : "M"},
                  {"nc_year", std::to_string(std::min(11, std::max(1, 2025 - year - 5)))},
                  {"school_urn", std::to_string(100000 + school)}};
    const int r = pick(1000);
    const char* status = r < 130 ? "K" : r < 175 ? "E" : "N";
    const bool sen = status[0] != 'N';
    // Draw everything for this pupil whether or not it is written, so the change pass and the
    // full pass see the same pupil.
    const int need1 = pick(12), need2 = pick(12);
    const int cycles = 1 + pick(2), provisions = 3 + pick(3), reviews = 3;
    const bool do_change =
        change && sen &&
        std::uniform_real_distribution<double>(0, 100)(change_rng) < change_percent * 100 / 17.5;
    if (!change) pupil_out.Write(pid, pid, pupil);
    if (status[0] == 'K') ++sen_k;
    if (status[0] == 'E') ++sen_e;
    json needs = json::array();
    if (sen) {
      needs.push_back({{"type", kNeeds[need1]}, {"rank", 1}});
      if (need2 != need1 && pick(2)) needs.push_back({{"type", kNeeds[need2]}, {"rank", 2}});
    }
    json senr = {{"kind", "sen"},
                 {"pupil", {{"id", pid}, {"upn", upn}}},
                 {"provision", status},
                 {"provision_start", Date(2023 + pick(3), 9, 1 + pick(20))},
                 {"needs", needs},
                 {"sen_unit", false},
                 {"resourced_provision", false}};
    if (!change) sen_out.Write(pid, pid, senr);
    if (do_change) {  // a status change K -> E or a new secondary need
      if (senr["provision"] == "K" && needs.size() == 1) {
        senr["needs"].push_back({{"type", kNeeds[(need1 + 1) % 11]}, {"rank", 2}});
      } else if (senr["provision"] == "K") {
        senr["provision"] = "E";
        senr["provision_start"] = "2026-10-01";
      } else {
        senr["local_status"] = "annual review due";
      }
      sen_out.Write(pid, pid, senr);
      ++changed;
    }
    if (!sen) continue;
    for (int c = 0; c < cycles; ++c) {
      json targets = json::array();
      for (int t = 0; t < 3; ++t)
        targets.push_back(
            {{"id", "T" + std::to_string(t + 1)},
             {"description", "Target " + std::to_string(t + 1) + " for " + kNeeds[need1]},
             {"success_criteria", "8 of 10 attempts independently"},
             {"due", Date(2025 + c, 12, 12)},
             {"progress", t == 0 ? "achieved" : "in_progress"}});
      json cycle = {
          {"kind", "cycle"},
          {"id", pid + "-C" + std::to_string(c)},
          {"pupil", {{"id", pid}}},
          {"start", Date(2025 + c, 9, 8)},
          {"review_date", Date(2025 + c, 12, 12)},
          {"status", c + 1 < cycles ? "completed" : "open"},
          {"outcomes",
           {{{"id", "O1"}, {"description", "Make expected progress"}, {"targets", targets}}}}};
      if (c + 1 < cycles) cycle["completed"] = Date(2025 + c, 12, 12);
      if (!change) cycle_out.Write(pid + "-C" + std::to_string(c), pid, cycle);
    }
    for (int v = 0; v < provisions; ++v) {
      json prov = {{"kind", "provision"},
                   {"id", pid + "-P" + std::to_string(v)},
                   {"pupil", {{"id", pid}}},
                   {"area", kAreas[pick(4)]},
                   {"intervention", kInterventions[pick(10)]},
                   {"wave", 2 + pick(2)},
                   {"group_size", 1 + pick(6)},
                   {"sessions_per_week", 1 + pick(4)},
                   {"minutes_per_session", 15 + 5 * pick(6)},
                   {"staff_role", "TA"},
                   {"start", Date(2025, 9, 8)},
                   {"hourly_rate", 14.5 + pick(10)},
                   {"resources_cost", 20.0 * pick(5)}};
      if (!change) prov_out.Write(pid + "-P" + std::to_string(v), pid, prov);
    }
    for (int v = 0; v < reviews; ++v) {
      json review = {{"kind", "review"},
                     {"id", pid + "-R" + std::to_string(v)},
                     {"pupil", {{"id", pid}}},
                     {"date", Date(2025 + v / 3, 1 + 4 * (v % 3), 10)},
                     {"review_kind", "sen_support"},
                     {"parents_met", true},
                     {"decision", "continue"},
                     {"cycle_id", pid + "-C0"}};
      if (!change) review_out.Write(pid + "-R" + std::to_string(v), pid, review);
    }
  }
  long total = pupil_out.rows + sen_out.rows + cycle_out.rows + prov_out.rows + review_out.rows;
  std::printf(
      "%s %ld records (pupils %ld, sen %ld, cycles %ld, provision %ld, reviews %ld); K %ld, E "
      "%ld%s\n",
      change ? "appended" : "wrote", total, pupil_out.rows, sen_out.rows, cycle_out.rows,
      prov_out.rows, review_out.rows, sen_k, sen_e,
      change ? (" (" + std::to_string(changed) + " changed)").c_str() : "");
  return 0;
}
