// A pupil on SEN support whose school is ready to ask its LA for an EHC needs assessment, as
// canonical records: identity, SEN status K with a ranked need, `cycles` (1 or 2) completed
// Assess/Plan/Do/Review cycles each with a SMART target, specialist advice and a review holding
// the child's and the parents' views, and costed provision. Shared by the referral tests
// (tests/e2e/referral_e2e_test.cpp, tests/sync/la_writeback_test.cpp), which add the request.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace sendsync::testing_support {

struct ReadyPupilSpec {
  std::string upn;
  std::string tag;  // the school's id of the pupil, and the prefix of its records' ids
  std::string forename = "Ella";
  int cycles = 2;
  std::string urn = "100001";
  std::string laestab = "8202001";
};

inline std::vector<nlohmann::json> ReadyPupilRecords(const ReadyPupilSpec& s) {
  using nlohmann::json;
  const std::string& tag = s.tag;
  const json p = {{"id", tag}, {"upn", s.upn}};
  std::vector<json> lines;
  lines.push_back({{"kind", "pupil"},
                   {"id", tag},
                   {"upn", s.upn},
                   {"legal_surname", "Morgan"},
                   {"legal_forename", s.forename},
                   {"dob", "2017-03-11"},
                   {"sex", "F"},
                   {"nc_year", "4"},
                   {"school_urn", s.urn},
                   {"laestab", s.laestab}});
  lines.push_back({{"kind", "sen"},
                   {"pupil", p},
                   {"provision", "K"},
                   {"provision_start", "2024-09-09"},
                   {"needs", {{{"type", "SPLD"}, {"rank", 1}, {"start", "2024-09-09"}}}}});
  const std::pair<const char*, const char*> spans[] = {{"2024-09-16", "2024-12-13"},
                                                       {"2025-01-06", "2025-03-28"}};
  for (int i = 0; i < s.cycles && i < 2; ++i) {
    const std::string n = std::to_string(i + 1);
    const std::string start = spans[i].first, end = spans[i].second;
    lines.push_back(
        {{"kind", "cycle"},
         {"id", tag + "-C" + n},
         {"pupil", p},
         {"start", start},
         {"review_date", end},
         {"status", "completed"},
         {"completed", end},
         {"assessment_summary", "Decoding of unfamiliar words slow; strong spoken vocabulary."},
         {"assessment_sources",
          {{{"role", "specialist"},
            {"name", "Educational psychologist"},
            {"date", start},
            {"summary", "Recommends daily precision teaching."}}}},
         {"outcomes",
          {{{"id", "O1"},
            {"description", "Reads simple texts with growing confidence"},
            {"targets",
             {{{"id", "T1"},
               {"description", "Blend and read CVC words"},
               {"success_criteria", "8 of 10 unseen words read correctly"},
               {"due", end},
               {"progress", "achieved"}}}}}}},
         {"planned_provision", {tag + "-PR1"}}});
    lines.push_back(
        {{"kind", "review"},
         {"id", tag + "-R" + n},
         {"pupil", p},
         {"date", end},
         {"review_kind", "sen_support"},
         {"cycle_id", tag + "-C" + n},
         {"attendees", {{{"role", "senco"}}, {{"role", "parent"}}, {{"role", "pupil"}}}},
         {"pupil_voice", "Long words are still hard."},
         {"parent_voice", "Happier about reading, tired after school."},
         {"progress", {{{"target_id", "T1"}, {"progress", "achieved"}}}},
         {"impact", "Decoding of short words secure."},
         {"decision", "adjust"},
         {"next_review", "2025-06-27"}});
  }
  lines.push_back({{"kind", "provision"},
                   {"id", tag + "-PR1"},
                   {"pupil", p},
                   {"area", "CL"},
                   {"intervention", "Precision teaching"},
                   {"wave", 3},
                   {"group_size", 1},
                   {"sessions_per_week", 5},
                   {"minutes_per_session", 10},
                   {"staff_role", "TA"},
                   {"start", "2024-09-23"},
                   {"hourly_rate", 18.5}});
  return lines;
}

}  // namespace sendsync::testing_support
