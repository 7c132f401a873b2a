// The read cursor the CTF adapter hands the host: "ctf1:<ledger id>:<seq>:<pupils>", meaning every
// file with a lower sequence number has been read, and the first <pupils> pupils of file <seq>.
// The ledger id ties a cursor to one ingest ledger: a cursor from another (or a deleted) ledger
// says nothing about this one. Internal to adapters/ctf.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sendsync::ctf {

struct ReadCursor {
  std::string ledger;  // empty: from the beginning of whatever ledger there is
  int64_t seq = 1;
  uint64_t pupils = 0;

  // "" parses as the beginning; nullopt for text this adapter did not make.
  static std::optional<ReadCursor> Parse(const std::string& text);
  std::string ToString() const;
};

}  // namespace sendsync::ctf
