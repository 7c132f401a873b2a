// How long sendsync takes to refuse (or read) hostile files of up to 10 MB: deep nesting in a CTF
// and in JSON, a 10 MB surname in a canonical record, a 10 MB CSV cell. Target (issue 13): every
// one is refused or read in at most 2 s. Run by hand (bench/README.md); prints one line per case.
#include <chrono>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctf_parser.h"
#include "sendsync/sdk/json_limits.h"
#include "sendsync/sdk/records.h"

namespace {

constexpr size_t kSize = 10 * 1000 * 1000;

class NullSink : public sendsync::ctf::PupilSink {
 public:
  bool WantRaw(size_t) const override { return true; }
  bool OnPupil(sendsync::ctf::ParsedPupil&) override { return true; }
};

std::string Repeat(const std::string& unit, size_t bytes) {
  std::string out;
  out.reserve(bytes + unit.size());
  while (out.size() + unit.size() <= bytes) out += unit;
  return out;
}

std::string DeepCtf(const std::string& where) {
  std::string head = "<?xml version=\"1.0\"?><CTfile>" + where;
  return head + Repeat("<a>", kSize - head.size());
}

struct Case {
  const char* name;
  std::function<std::string()> make;
  std::function<std::string(const std::string&)> run;  // returns the verdict
};

std::string RunCtf(const std::string& text) {
  std::istringstream in(text);
  NullSink sink;
  sendsync::ctf::ParseOutcome o = sendsync::ctf::ParseCtf(in, sink);
  return o.well_formed ? "read" : "refused: " + o.error.substr(0, 60);
}

std::string RunJson(const std::string& text) {
  std::string error;
  nlohmann::json j = sendsync::sdk::ParseJson(text, &error);
  return j.is_discarded() ? "refused: " + error : "read";
}

std::string RunRecord(const std::string& text) {
  nlohmann::json j = sendsync::sdk::ParseJson(text);
  sendsync::records::Problems problems;
  sendsync::records::CheckShape(j, problems);
  return problems.empty()
             ? "read"
             : "refused: " + problems[0].path + ": " + problems[0].message.substr(0, 50);
}

}  // namespace

int main() {
  const std::vector<Case> cases = {
      {"CTF nested 3.3M deep at the root", [] { return DeepCtf(""); }, RunCtf},
      {"CTF nested deep inside a pupil",
       [] { return DeepCtf("<CTFpupilData><Pupil><UPN>B801200005001</UPN>"); }, RunCtf},
      {"JSON arrays nested 10M deep", [] { return std::string(kSize, '['); }, RunJson},
      {"JSON objects nested 2M deep", [] { return Repeat("{\"a\":", kSize); }, RunJson},
      {"JSON 10 MB of ordinary numbers",
       [] { return "[" + Repeat("12345678,", kSize - 10) + "1]"; }, RunJson},
      {"pupil with a 10 MB surname",
       [] {
         return nlohmann::json{{"kind", "pupil"},
                               {"id", "S1"},
                               {"upn", "B801200005001"},
                               {"legal_surname", std::string(kSize, 'Z')},
                               {"legal_forename", "A"},
                               {"dob", "2014-03-02"},
                               {"sex", "F"}}
             .dump();
       },
       RunRecord},
  };
  std::printf("%-40s %10s  %s\n", "case (10 MB each)", "ms", "verdict");
  bool all_fast = true;
  for (const Case& c : cases) {
    const std::string text = c.make();
    const auto start = std::chrono::steady_clock::now();
    const std::string verdict = c.run(text);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    all_fast = all_fast && ms <= 2000;
    std::printf("%-40s %10.1f  %s\n", c.name, ms, verdict.c_str());
  }
  std::printf("target: every case in <= 2000 ms: %s\n", all_fast ? "met" : "MISSED");
  return all_fast ? 0 : 1;
}
