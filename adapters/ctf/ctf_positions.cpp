#include "ctf_positions.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace sendsync::ctf {
namespace {

// Bytes read from the file at a time, and how many already-read bytes are kept for the walk. The
// parser is never further behind the bytes it has read than one of its own buffers (4 KiB) plus
// the token it is in, so a tag it reports is always still here.
constexpr size_t kChunk = 64 * 1024;
constexpr size_t kKeep = 64 * 1024;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

PositionStream::PositionStream(int fd) : fd_(fd), joined_(false) {}

PositionStream::PositionStream(int fd, FilePos join, FilePos from)
    : fd_(fd), joined_(true), join_(join), from_(from) {}

int PositionStream::FileLine(int stream_line) const {
  if (!joined_ || stream_line < join_.line) return stream_line;
  return stream_line - join_.line + from_.line;
}

size_t PositionStream::Fill(char* dst, size_t want) {
  size_t got = 0;
  while (got < want) {
    uint64_t at = read_;
    if (joined_) at = read_ < join_.offset ? read_ : read_ - join_.offset + from_.offset;
    size_t n = want - got;
    if (joined_ && read_ < join_.offset) n = std::min<uint64_t>(n, join_.offset - read_);
    ssize_t r = ::pread(fd_, dst + got, n, static_cast<off_t>(at));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      io_error_ = true;
      break;
    }
    if (r == 0) {
      // The end of the file; before the join it means the file is shorter than the cursor says.
      if (joined_ && read_ < join_.offset) io_error_ = true;
      break;
    }
    got += static_cast<size_t>(r);
    read_ += static_cast<uint64_t>(r);
  }
  return got;
}

PositionStream::int_type PositionStream::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  // Keep the last kKeep bytes; anything older is walked past now, so the walk never needs it.
  const uint64_t end = buf_start_ + buf_.size();
  const uint64_t drop_to = end > kKeep ? end - kKeep : 0;
  while (scan_ < drop_to) Step(static_cast<unsigned char>(buf_[scan_ - buf_start_]));
  const size_t dropped = static_cast<size_t>(scan_ - buf_start_);
  buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(dropped));
  buf_start_ = scan_;
  const size_t old = buf_.size();
  buf_.resize(old + kChunk);
  const size_t got = Fill(buf_.data() + old, kChunk);
  buf_.resize(old + got);
  if (!checked_encoding_) {
    checked_encoding_ = true;
    if (!CheckEncoding()) usable_ = false;
  }
  if (got == 0) {  // nothing more: an empty get area inside the (possibly moved) buffer
    setg(buf_.data(), buf_.data() + buf_.size(), buf_.data() + buf_.size());
    return traits_type::eof();
  }
  setg(buf_.data() + old, buf_.data() + old, buf_.data() + old + got);
  return traits_type::to_int_type(*gptr());
}

// Positions are counted in UTF-8 characters; a file in another encoding gets none.
bool PositionStream::CheckEncoding() {
  const std::string head(buf_.data(), std::min<size_t>(buf_.size(), 512));
  if (head.size() >= 2 && ((head[0] == '\xFE' && head[1] == '\xFF') ||
                           (head[0] == '\xFF' && head[1] == '\xFE') || head[0] == '\0'))
    return false;
  if (head.rfind("<?xml", 0) != 0) return true;
  const size_t close = head.find("?>");
  if (close == std::string::npos) return false;
  const std::string decl = head.substr(0, close);
  size_t at = decl.find("encoding");
  if (at == std::string::npos) return true;
  at = decl.find_first_of("\"'", at);
  if (at == std::string::npos) return false;
  const size_t stop = decl.find(decl[at], at + 1);
  if (stop == std::string::npos) return false;
  std::string enc = decl.substr(at + 1, stop - at - 1);
  std::transform(enc.begin(), enc.end(), enc.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return enc == "utf-8" || enc == "utf8" || enc == "us-ascii";
}

// Counts one byte as expat does: CR, LF and CR LF end a line; every character (an ASCII byte or
// the first byte of a multi-byte sequence) is one column.
void PositionStream::Step(unsigned char b) {
  ++scan_;
  if (b == '\n' && pending_cr_) {
    pending_cr_ = false;
    return;
  }
  pending_cr_ = b == '\r';
  if (b == '\r' || b == '\n') {
    ++line_;
    column_ = 0;
  } else if ((b & 0xC0) != 0x80) {
    ++column_;
  }
}

std::optional<FilePos> PositionStream::EndOfTag(int line, int column, const std::string& name) {
  if (!usable_) return std::nullopt;
  const uint64_t end = buf_start_ + buf_.size();
  auto at = [&](uint64_t i) { return buf_[static_cast<size_t>(i - buf_start_)]; };
  auto fail = [&]() -> std::optional<FilePos> {
    usable_ = false;
    return std::nullopt;
  };
  // Walk to the reported position: the '<' of the tag.
  for (;;) {
    if (scan_ >= end || line_ > line || (line_ == line && column_ > column)) return fail();
    const unsigned char b = static_cast<unsigned char>(at(scan_));
    if (line_ == line && column_ == column && (b & 0xC0) != 0x80 && !(b == '\n' && pending_cr_))
      break;
    Step(b);
  }
  // The tag must be <name or </name, then the end of the name.
  uint64_t i = scan_ + 1;
  if (i < end && at(i) == '/') ++i;
  for (char c : name)
    if (i >= end || at(i++) != c) return fail();
  if (at(scan_) != '<' || i >= end || !(IsSpace(at(i)) || at(i) == '>' || at(i) == '/'))
    return fail();
  // Walk through the tag to its '>' (one inside a quoted attribute value does not end it).
  char quote = 0;
  for (;;) {
    if (scan_ >= end) return fail();
    const char c = at(scan_);
    Step(static_cast<unsigned char>(c));
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      break;
    }
  }
  FilePos pos;
  pos.offset = joined_ && scan_ >= join_.offset ? scan_ - join_.offset + from_.offset : scan_;
  pos.line = FileLine(line_);
  return pos;
}

}  // namespace sendsync::ctf
