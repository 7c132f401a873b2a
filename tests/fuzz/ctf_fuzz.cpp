// Fuzzes the CTF reader's path from bytes to records: the streaming XML parse, the file's verdict
// and the conversion of every pupil to canonical records (adapters/ctf). Nothing here may crash,
// leak or hang, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "ctf_file_check.h"
#include "ctf_parser.h"
#include "ctf_pupil_records.h"

namespace {

using namespace sendsync::ctf;

class ConvertingSink : public PupilSink {
 public:
  bool WantRaw(size_t index) const override { return index % 2 == 0; }
  bool OnPupil(ParsedPupil& pupil) override {
    PupilRules rules;
    rules.duplicate_upns.insert(pupil.upn.text);
    PupilOutcome out = ConvertPupil(pupil, rules);
    if (!out.pupil.is_null()) out.pupil.dump();
    if (!out.sen.is_null()) out.sen.dump();
    DescribeProblems(out.identity_problems);
    DescribeProblems(out.sen_problems);
    return true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  ConvertingSink sink;
  ParseOutcome outcome = ParseCtf(in, sink);
  FileVerdict verdict = JudgeFile(outcome, {"25.0", "24.0"});
  (void)verdict;
  HeaderJson(outcome.header).dump();
  return 0;
}
