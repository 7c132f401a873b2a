// Streaming CTF parser: walks a Common Transfer File with Poco's SAX parser and hands each pupil to
// a sink as soon as its </Pupil> is seen, so only one pupil is ever held in memory, however many
// the file carries. It extracts exactly what the hub uses (header; identity; SEN history) and skips
// every other element. It judges nothing: values come back as text with the line they were on,
// and ctf_pupil_records / ctf_file_check decide what is acceptable. Internal to adapters/ctf.
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

#include "ctf_positions.h"

namespace sendsync::ctf {

// A leaf element's text as found (trimmed), the line its start tag was on, and how many times it
// appeared where one was expected.
struct Field {
  std::string text;
  int line = 0;
  int count = 0;
  bool present() const { return count > 0; }
};

struct CtfHeader {
  int line = 0;  // of <Header>; 0 when there was none
  Field document_name, version, date_time, qualifier, supplier;
  int source_line = 0, dest_line = 0;  // of <SourceSchool> / <DestSchool>
  Field source_la, source_estab, source_name, academic_year;
  Field dest_la, dest_estab;
};

struct ParsedEpisode {  // one <SEN> element
  int line = 0;
  Field start, provision;
};

struct ParsedNeed {  // one <SENneed> element
  int line = 0;
  Field rank, type, start, end;
};

struct ParsedPupil {
  size_t index = 0;  // 0-based position among the file's pupils
  int line = 0;      // of <Pupil>
  Field upn, uln, surname, forename, dob, sex, gender;
  Field former_upn, preferred_surname, preferred_forename, middle_names, nc_year;
  int sen_history_line = 0;  // of <SENhistory>; 0 when absent
  std::vector<ParsedEpisode> episodes;
  std::vector<ParsedNeed> needs;
  Field sen_unit, resourced_provision;
  std::string raw;  // the pupil's XML, rebuilt from the parse, when the sink asked for it
  // Where the pupil's element ends in the file (just after its '>'); offset 0 when not known
  // (ParseCtf, or ParseCtfFile once positions are off).
  FilePos end;
};

// Receives the parse as it happens. Called on the parsing thread, in document order.
class PupilSink {
 public:
  virtual ~PupilSink() = default;
  // Whether pupil `index` should carry its XML text in ParsedPupil::raw.
  virtual bool WantRaw(size_t index) const = 0;
  // A whole pupil has been read. Return false to stop the parse here.
  virtual bool OnPupil(ParsedPupil& pupil) = 0;
};

// How deep elements may nest. A CTF's deepest element (CTfile/CTFpupilData/Pupil/SENhistory/SEN/
// SENneeds/SENneed/SENtype) is eight deep; anything far deeper is hostile or broken.
inline constexpr size_t kMaxCtfDepth = 64;

struct ParseOutcome {
  // Document element as found: local name and namespace URI ("" for none).
  std::string root_name, root_uri;
  int root_line = 0;
  bool root_ok = false;  // CTfile with no namespace; when false the parse stopped at the root
  bool stopped = false;  // the sink asked to stop
  bool well_formed = true;
  std::string error;          // not well-formed: what the XML parser said
  int error_line = 0;         // not well-formed: where
  std::string error_element;  // not well-formed: innermost open element ("" before the root)
  bool io_error = false;      // the stream failed while reading (not the file's fault)
  bool too_deep = false;  // elements nested deeper than kMaxCtfDepth (then well_formed is false)
  CtfHeader header;
  size_t pupils = 0;  // pupils seen (started) before the parse ended
  FilePos data;       // ParseCtfFile: just after <CTFpupilData>; offset 0 when not known
};

// Parses `in` to the end, or until the sink stops it, the root turns out not to be a CTF, or the
// XML is not well-formed. Never throws for anything in the file; the outcome says what happened.
ParseOutcome ParseCtf(std::istream& in, PupilSink& sink);

// Where a read that stopped after a pupil starts again: the file's start up to `data` (just after
// <CTFpupilData>, which keeps the declaration, the root and the header) is joined to the file from
// `from` (just after the last pupil read), and the first pupil found there is number `pupils`.
struct ResumeAt {
  FilePos data, from;
  size_t pupils = 0;
};

// As ParseCtf, reading the file open on `fd` (not owned) from its start, or from `resume` when
// given; pupils then carry where they end in the file (ParsedPupil::end) and their lines are the
// file's. A well-formed file is well-formed from any pupil boundary.
ParseOutcome ParseCtfFile(int fd, PupilSink& sink, const ResumeAt* resume = nullptr);

}  // namespace sendsync::ctf
