// The read cursor the CTF adapter hands the host. Every file with a lower sequence number than
// <seq> has been read, and the first <pupils> pupils of file <seq>:
//   "ctf1:<ledger id>:<seq>:<pupils>"   at a file's start (pupils 0), or where a byte position
//                                       is not known (the next read then counts pupils from the
//                                       file's start, as every cursor did before ctf2)
//   "ctf2:<ledger id>:<seq>:<pupils>:<offset>:<line>:<data offset>:<data line>:<file>"
//                                       mid-file: the next pupil starts at byte <offset> (line
//                                       <line>), <CTFpupilData> ends at <data offset>, and <file>
//                                       ("<size>-<first 16 hex digits of its SHA-256>") names the
//                                       content the offsets belong to; a file whose content is not
//                                       that one is read from its start.
// The ledger id ties a cursor to one ingest ledger: a cursor from another (or a deleted) ledger
// says nothing about this one. Internal to adapters/ctf.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ctf_positions.h"

namespace sendsync::ctf {

struct ReadCursor {
  std::string ledger;  // empty: from the beginning of whatever ledger there is
  int64_t seq = 1;
  uint64_t pupils = 0;
  // ctf2 only (from.offset 0 otherwise): where the next pupil starts, where the pupils start,
  // and which content these belong to.
  FilePos from, data;
  std::string file;

  // "" parses as the beginning; nullopt for text this adapter did not make.
  static std::optional<ReadCursor> Parse(const std::string& text);
  std::string ToString() const;
};

}  // namespace sendsync::ctf
