#include "ctf_file_check.h"

#include "census_codes.h"

namespace sendsync::ctf {
namespace {

bool Digits(const std::string& s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

FileVerdict Refuse(int line, std::string element, std::string reason) {
  return {false, std::move(reason), line, std::move(element)};
}

// A mandatory header element: present once, not empty, and `valid`.
template <typename Valid>
bool HeaderField(const Field& f, int parent_line, const std::string& element, const char* expected,
                 Valid valid, FileVerdict& verdict) {
  if (!f.present() || f.text.empty()) {
    verdict = Refuse(parent_line, element,
                     std::string(f.present() ? "is empty" : "is missing") +
                         ": every CTF header has it (" + expected + ")");
    return false;
  }
  if (!valid(f.text)) {
    verdict = Refuse(f.line, element, "'" + f.text + "' is not " + expected);
    return false;
  }
  return true;
}

}  // namespace

bool IsVersionText(const std::string& t) {
  size_t dot = t.find('.');
  if (dot == std::string::npos || dot == 0 || dot > 2 || t.size() != dot + 2) return false;
  return Digits(t.substr(0, dot), dot) && Digits(t.substr(dot + 1), 1);
}

FileVerdict JudgeFile(const ParseOutcome& o, const std::set<std::string>& accepted_versions) {
  if (o.too_deep)
    return Refuse(o.error_line, o.error_element,
                  "the file's " + o.error + " (a CTF nests about eight), so it was refused " +
                      "without reading further; ask the sender for a new export");
  if (!o.well_formed)
    return Refuse(o.error_line, o.error_element,
                  "the file is not well-formed XML (" + o.error +
                      "), so none of it can be trusted; ask the sender for a new export");
  if (!o.root_ok) {
    if (o.root_name == "ATfile")
      return Refuse(o.root_line, "ATfile",
                    "this is an Admissions Transfer File (root ATfile); this link reads Common "
                    "Transfer Files (root CTfile) only");
    if (o.root_name == "CTfile")
      return Refuse(o.root_line, "CTfile",
                    "the root element CTfile is in namespace '" + o.root_uri +
                        "'; a CTF's elements are in no namespace, so this is not a CTF this "
                        "adapter understands");
    return Refuse(o.root_line, o.root_name,
                  "the root element is '" + o.root_name + "'" +
                      (o.root_uri.empty() ? "" : " in namespace '" + o.root_uri + "'") +
                      "; a Common Transfer File has root element CTfile");
  }
  const CtfHeader& h = o.header;
  if (h.line == 0)
    return Refuse(o.root_line, "CTfile/Header", "is missing: every CTF starts with a Header");

  FileVerdict v;
  if (!HeaderField(h.version, h.line, "Header/CTFversion", "a CTF version such as 25.0",
                   IsVersionText, v))
    return v;
  if (!accepted_versions.count(h.version.text))
    return Refuse(h.version.line, "Header/CTFversion",
                  "CTF version " + h.version.text + " is not accepted by this link (it accepts " +
                      JoinCodes(accepted_versions) +
                      "); ask the sender for a file in a current version, or add \"" +
                      h.version.text + "\" to the link's accept_versions if it is safe to import");
  if (!HeaderField(
          h.date_time, h.line, "Header/DateTime", "a date and time yyyy-mm-ddThh:mm:ss",
          [](const std::string& t) { return IsCtfDateTime(t); }, v))
    return v;
  if (h.source_line == 0)
    return Refuse(h.line, "Header/SourceSchool", "is missing: a CTF names the school it came from");
  if (!HeaderField(
          h.source_la, h.source_line, "Header/SourceSchool/LEA", "a 3-digit LA code",
          [](const std::string& t) { return Digits(t, 3); }, v) ||
      !HeaderField(
          h.source_estab, h.source_line, "Header/SourceSchool/Estab",
          "a 4-digit establishment number, or LLLL for an LA",
          [](const std::string& t) { return Digits(t, 4) || t == "LLLL"; }, v))
    return v;
  if (h.dest_line == 0)
    return Refuse(h.line, "Header/DestSchool", "is missing: a CTF names where it is going");
  if (!HeaderField(
          h.dest_la, h.dest_line, "Header/DestSchool/LEA",
          "a 3-digit LA code, or XXX when the destination is unknown",
          [](const std::string& t) { return Digits(t, 3) || t == "XXX"; }, v) ||
      !HeaderField(
          h.dest_estab, h.dest_line, "Header/DestSchool/Estab",
          "a 4-digit establishment number, LLLL for an LA, or XXXX when unknown",
          [](const std::string& t) { return Digits(t, 4) || t == "LLLL" || t == "XXXX"; }, v))
    return v;
  v.accepted = true;
  return v;
}

nlohmann::json HeaderJson(const CtfHeader& h) {
  nlohmann::json j = {{"version", h.version.text},
                      {"date_time", h.date_time.text},
                      {"source", {{"la", h.source_la.text}, {"estab", h.source_estab.text}}},
                      {"dest", {{"la", h.dest_la.text}, {"estab", h.dest_estab.text}}}};
  if (!h.qualifier.text.empty()) j["qualifier"] = h.qualifier.text;
  if (!h.source_name.text.empty()) j["source"]["name"] = h.source_name.text;
  return j;
}

}  // namespace sendsync::ctf
