// Byte positions in a CTF as it is parsed, so that a read can stop after a pupil and the next read
// can start at the next pupil's first byte instead of parsing the file again from its start.
//
// PositionStream is the stream the SAX parser reads: a file read through its descriptor, either
// whole or as two pieces (the file's start up to and including <CTFpupilData>, then the file from
// a pupil boundary on), which is again a well-formed CTF. The XML parser reports where an event is
// as a line and column (columns count characters), never as a byte; the stream keeps the bytes the
// parser has read recently and walks them once, in order, counting lines and columns exactly as
// expat does, to turn "the end tag of a pupil starts at line L column C" into a byte offset. Each
// answer is checked against the bytes (a pupil's end tag really is there); the first one that
// does not check out turns the positions off for the rest of the parse and the caller falls back
// to counting pupils. Files that declare an encoding other than UTF-8 (or US-ASCII) never get
// positions. Internal to adapters/ctf.
#pragma once

#include <cstdint>
#include <optional>
#include <streambuf>
#include <string>
#include <vector>

namespace sendsync::ctf {

// A place in a file: a byte offset and the 1-based line that byte is on.
struct FilePos {
  uint64_t offset = 0;
  int line = 0;
};

class PositionStream : public std::streambuf {
 public:
  // Reads the open descriptor `fd` (not owned) from offset 0 to end of file.
  explicit PositionStream(int fd);
  // Reads bytes [0, join.offset) of `fd`, then bytes from `from.offset` to end of file.
  PositionStream(int fd, FilePos join, FilePos from);

  // The element whose start tag (or end tag) the parser reports at stream line `line`, column
  // `column` is named `name`; returns where in the file the tag ends (just after its '>'), or
  // nullopt when that cannot be known for certain (positions are then off for good).
  std::optional<FilePos> EndOfTag(int line, int column, const std::string& name);
  // Turns a line the parser reported into the file's line (they differ after a join).
  int FileLine(int stream_line) const;
  bool io_error() const { return io_error_; }

 protected:
  int_type underflow() override;

 private:
  void Step(unsigned char b);
  bool CheckEncoding();
  size_t Fill(char* dst, size_t want);

  const int fd_;
  const bool joined_;
  const FilePos join_, from_;
  uint64_t read_ = 0;  // stream bytes read from the file so far
  std::vector<char> buf_;
  uint64_t buf_start_ = 0;  // stream offset of buf_[0]
  // The walk: the stream offset of the next byte to count and the parser's position there.
  uint64_t scan_ = 0;
  int line_ = 1, column_ = 0;
  bool pending_cr_ = false;  // the last byte counted was CR: a LF right after it is not a line
  bool usable_ = true;
  bool checked_encoding_ = false;
  bool io_error_ = false;
};

}  // namespace sendsync::ctf
