#include "read_cursor.h"

#include <charconv>
#include <vector>

namespace sendsync::ctf {
namespace {

template <typename T>
bool Number(const std::string& s, T& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::optional<ReadCursor> ReadCursor::Parse(const std::string& text) {
  ReadCursor c;
  if (text.empty()) return c;
  std::vector<std::string> parts;
  size_t from = 0;
  for (size_t at; (at = text.find(':', from)) != std::string::npos; from = at + 1)
    parts.push_back(text.substr(from, at - from));
  parts.push_back(text.substr(from));
  const bool v1 = parts.size() == 4 && parts[0] == "ctf1";
  const bool v2 = parts.size() == 9 && parts[0] == "ctf2";
  if ((!v1 && !v2) || parts[1].empty()) return std::nullopt;
  c.ledger = parts[1];
  if (!Number(parts[2], c.seq) || c.seq < 1 || !Number(parts[3], c.pupils)) return std::nullopt;
  if (v2) {
    if (!Number(parts[4], c.from.offset) || !Number(parts[5], c.from.line) ||
        !Number(parts[6], c.data.offset) || !Number(parts[7], c.data.line) || parts[8].empty())
      return std::nullopt;
    // A mid-file position is after at least one pupil, which is after <CTFpupilData>.
    if (c.pupils == 0 || c.data.offset == 0 || c.from.offset < c.data.offset || c.from.line < 1 ||
        c.data.line < 1)
      return std::nullopt;
    c.file = parts[8];
  }
  return c;
}

std::string ReadCursor::ToString() const {
  const std::string head = ledger + ":" + std::to_string(seq) + ":" + std::to_string(pupils);
  if (from.offset == 0 || pupils == 0) return "ctf1:" + head;
  return "ctf2:" + head + ":" + std::to_string(from.offset) + ":" + std::to_string(from.line) +
         ":" + std::to_string(data.offset) + ":" + std::to_string(data.line) + ":" + file;
}

}  // namespace sendsync::ctf
