// RFC 4180 CSV reading and writing for the csv adapter and its tests, and for the host's import of
// school names (core/server/schools.cpp).
//
// The reader streams: it holds one record at a time, never the whole file, and reports for every
// record where it starts (byte offset and physical line) and where it ends, so a cursor can resume
// exactly at a record boundary. It accepts what spreadsheet and MIS exports really contain:
//  - quoted fields with embedded delimiters, doubled quotes and embedded line breaks;
//  - CRLF, LF and lone CR line breaks, mixed in one file;
//  - a UTF-8 byte order mark at the start of the file (skipped; not part of the first field);
//  - a last record with or without a final line break;
//  - a bare quote inside an unquoted field (12" ruler), taken literally.
// It does not guess: text after a closing quote, a quote never closed, and records longer than the
// limit are reported as the record's `problem` so the caller can reject that row and go on.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sendsync/sdk/status.h"

namespace sendsync::csv {

// One record as found in the file.
struct CsvRecord {
  // The fields, unquoted; only the first `size()` entries are meaningful (storage is reused).
  size_t size() const { return count; }
  const std::string& operator[](size_t i) const { return fields[i]; }
  // True when every field is empty (a blank line, or a row of bare delimiters).
  bool blank() const;

  std::vector<std::string> fields;
  size_t count = 0;
  std::string raw;           // the record's bytes without its line break (capped at the size limit)
  uint64_t begin = 0;        // byte offset of the record's first byte in the file
  uint64_t end = 0;          // byte offset just past the record's line break (or end of file)
  uint64_t line = 0;         // physical line (1-based) where the record starts
  bool terminated = false;   // ended with a line break; false for a last record without one
  std::string problem;       // structural fault, for a person ("" when well-formed)
  size_t problem_field = 0;  // 1-based field the problem is in (0: the record as a whole)
};

class CsvReader {
 public:
  struct Options {
    char delimiter = ',';
    size_t max_record_bytes = 1 << 20;  // longer records are cut and reported as a problem
  };

  explicit CsvReader(Options options) : options_(options) {}
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Opens `path` positioned at `offset`, which must be 0 or a record boundary this reader reported
  // (a CsvRecord::end), with `line` the physical line number there. At offset 0 a UTF-8 byte order
  // mark is skipped; a UTF-16 or UTF-32 one makes Open fail with a message saying so.
  // NotFound when the file does not exist; IoError when it cannot be read.
  Status Open(const std::string& path, uint64_t offset = 0, uint64_t line = 1);

  // Reads the next record into `rec`. False at the end of the input (or on a read error: check
  // status()).
  bool Next(CsvRecord& rec);

  // OK, or the read error that stopped Next().
  const Status& status() const { return status_; }
  // True when the file started with a UTF-8 byte order mark.
  bool had_bom() const { return had_bom_; }
  // Offset and line just past the last record returned (where the next one starts).
  uint64_t offset() const { return consumed_; }
  uint64_t line() const { return line_; }

  // Called with every block of bytes as it is read from the file, BOM included (used to hash the
  // file in the same pass that parses it).
  void set_block_observer(std::function<void(const char*, size_t)> observer) {
    observer_ = std::move(observer);
  }

 private:
  bool Fill();  // reads the next block; false at end of file or on error
  // True when at least one more byte is available (refilling as needed).
  bool Available();

  const Options options_;
  std::FILE* file_ = nullptr;
  std::vector<char> buf_;
  size_t pos_ = 0, len_ = 0;
  uint64_t buf_offset_ = 0;  // file offset of buf_[0]
  uint64_t consumed_ = 0;    // file offset just past the last record returned
  uint64_t line_ = 1;
  bool eof_ = false;
  bool prev_cr_ = false;  // the last byte consumed was a CR (a following LF ends the same line)
  bool had_bom_ = false;
  Status status_;
  std::function<void(const char*, size_t)> observer_;
};

// Appends `field` to `out` as one RFC 4180 field: quoted (with quotes doubled) when it contains the
// delimiter, a quote, CR or LF, starts or ends with a space, or is a neutralised formula (starts
// with ' and then = + - @ tab or CR).
void AppendField(std::string& out, std::string_view field, char delimiter);

// `cell` made safe to open in a spreadsheet (OWASP "CSV Injection"): a cell starting with = + - @
// tab or carriage return gets a leading single quote, so Excel and LibreOffice show it as text
// instead of running it as a formula. A cell that is only a number ("-1.5", "+3") is left alone:
// it cannot run anything, and the importer must still read it as a number.
std::string NeutraliseFormula(std::string cell);

// One record: the fields joined by the delimiter, followed by `line_end`.
std::string FormatRecord(const std::vector<std::string>& fields, char delimiter,
                         std::string_view line_end);

}  // namespace sendsync::csv
