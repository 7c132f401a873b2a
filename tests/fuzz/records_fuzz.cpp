// Fuzzes JSON-lines and canonical record parsing (sdk/records.h): each line of the input is parsed
// as JSON; a record's shape is checked, and a record that parses as a kind must survive
// ToJson -> FromJson unchanged (a record the hub accepts is one it can write back).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/records.h"

namespace {

using nlohmann::json;
namespace records = sendsync::records;

template <typename T>
void RoundTrip(const json& j) {
  T first;
  records::Problems problems;
  if (!records::FromJson(j, first, problems)) return;
  json out;
  records::ToJson(first, out);
  T second;
  records::Problems again;
  json out2;
  if (!records::FromJson(out, second, again)) std::abort();  // written, but not readable
  records::ToJson(second, out2);
  if (out != out2) std::abort();  // not stable
}

void OneLine(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded()) return;
  j.dump();
  records::Problems problems;
  records::CheckShape(j, problems);
  RoundTrip<records::Pupil>(j);
  RoundTrip<records::Sen>(j);
  RoundTrip<records::Cycle>(j);
  RoundTrip<records::Provision>(j);
  RoundTrip<records::Review>(j);
  RoundTrip<records::Referral>(j);
  RoundTrip<records::EhcPlan>(j);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    OneLine(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return 0;
}
