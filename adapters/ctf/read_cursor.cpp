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
  if (parts.size() != 4 || parts[0] != "ctf1" || parts[1].empty()) return std::nullopt;
  c.ledger = parts[1];
  if (!Number(parts[2], c.seq) || c.seq < 1 || !Number(parts[3], c.pupils)) return std::nullopt;
  return c;
}

std::string ReadCursor::ToString() const {
  return "ctf1:" + ledger + ":" + std::to_string(seq) + ":" + std::to_string(pupils);
}

}  // namespace sendsync::ctf
