// File-level rules of the CTF reader: whether a whole file can be read at all. A file is refused
// (moved to rejected/ with a reason file, and reported once) when it is not well-formed XML, is not
// a CTF (root element other than CTfile, or CTfile in a namespace), carries a CTF version this link
// does not accept, or lacks a header element every CTF has (CTFversion, DateTime, SourceSchool LEA
// and Estab, DestSchool LEA and Estab). Everything else is judged pupil by pupil. Internal to
// adapters/ctf.
#pragma once

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "ctf_parser.h"

namespace sendsync::ctf {

struct FileVerdict {
  bool accepted = false;
  std::string reason;   // when refused: what is wrong and what to do, for a person
  int line = 0;         // where
  std::string element;  // which element ("" when the XML itself is broken before any element)
};

// Judges a complete parse (not one stopped by the sink). `accepted_versions` holds CTFversion
// texts such as "25.0".
FileVerdict JudgeFile(const ParseOutcome& outcome, const std::set<std::string>& accepted_versions);

// True for a CTFversion text of the form "25.0".
bool IsVersionText(const std::string& text);

// The header as the ledger and Discover show it: version, date_time, qualifier, source, dest.
nlohmann::json HeaderJson(const CtfHeader& header);

}  // namespace sendsync::ctf
