#include "sendsync/sdk/csv.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <sendsync/sdk/regular_file.h>

namespace sendsync::csv {
namespace {

constexpr size_t kBlock = 64 * 1024;

}  // namespace

bool CsvRecord::blank() const {
  for (size_t i = 0; i < count; ++i)
    if (!fields[i].empty()) return false;
  return true;
}

CsvReader::~CsvReader() {
  if (file_) std::fclose(file_);
}

Status CsvReader::Open(const std::string& path, uint64_t offset, uint64_t line) {
  // Never follows a link and never reads a FIFO or device: see sdk/regular_file.h.
  Result<sdk::RegularFile> opened = sdk::RegularFile::Open(path);
  if (!opened.ok()) return status_ = opened.status();
  file_ = std::move(*opened).ToFile();
  if (!file_)
    return status_ = Status::IoError("cannot open '" + path + "': " + std::strerror(errno));
  buf_.resize(kBlock);
  if (offset > 0 && ::fseeko(file_, static_cast<off_t>(offset), SEEK_SET) != 0)
    return status_ = Status::IoError("cannot seek in '" + path + "': " + std::strerror(errno));
  buf_offset_ = consumed_ = offset;
  line_ = line;
  if (offset != 0) return Status::OK();
  Fill();
  if (!status_.ok()) return status_;
  auto at = [&](size_t i) { return static_cast<unsigned char>(buf_[i]); };
  if (len_ >= 3 && at(0) == 0xEF && at(1) == 0xBB && at(2) == 0xBF) {
    pos_ = 3;
    consumed_ = 3;
    had_bom_ = true;
  } else if (len_ >= 2 && ((at(0) == 0xFF && at(1) == 0xFE) || (at(0) == 0xFE && at(1) == 0xFF))) {
    return status_ = Status::InvalidArgument(
               "the file is saved as UTF-16 (it starts with a UTF-16 byte order mark); export it "
               "as UTF-8 (\"CSV UTF-8\") instead");
  }
  return Status::OK();
}

bool CsvReader::Fill() {
  if (eof_ || !file_) return false;
  buf_offset_ += len_;
  pos_ = 0;
  len_ = std::fread(buf_.data(), 1, buf_.size(), file_);
  if (len_ == 0) {
    if (std::ferror(file_))
      status_ = Status::IoError(std::string("read failed: ") + std::strerror(errno));
    eof_ = true;
    return false;
  }
  if (observer_) observer_(buf_.data(), len_);
  return true;
}

bool CsvReader::Available() {
  return pos_ < len_ || Fill();
}

bool CsvReader::Next(CsvRecord& rec) {
  rec.count = 0;
  rec.raw.clear();
  rec.problem.clear();
  rec.problem_field = 0;
  rec.terminated = false;
  if (!status_.ok() || !Available()) return false;
  rec.begin = consumed_;
  rec.line = line_;

  const char delim = options_.delimiter;
  const size_t max = options_.max_record_bytes;
  enum State { kStart, kUnquoted, kQuoted, kQuoteSeen } st = kStart;
  bool overflow = false;
  uint64_t quote_line = 0;
  size_t raw_from = pos_;

  auto new_field = [&]() -> std::string* {
    if (rec.fields.size() <= rec.count) rec.fields.emplace_back();
    std::string* f = &rec.fields[rec.count++];
    f->clear();
    return f;
  };
  // Keeps record bytes only up to the limit; past it the record is still scanned to its end.
  auto within_limit = [&](size_t upto) {
    if (!overflow && buf_offset_ + upto - rec.begin > max) {
      overflow = true;
      rec.problem = "the row is longer than " + std::to_string(max) +
                    " bytes (is a quote left open?); only its start is kept";
      rec.problem_field = 0;
    }
    return !overflow;
  };
  auto append = [&](std::string* f, size_t from, size_t to) {
    if (to > from && within_limit(to)) f->append(buf_.data() + from, to - from);
  };
  auto flush_raw = [&](size_t upto) {
    if (upto > raw_from) {
      size_t room = max > rec.raw.size() ? max - rec.raw.size() : 0;
      rec.raw.append(buf_.data() + raw_from, std::min(room, upto - raw_from));
    }
    raw_from = upto;
  };
  auto set_problem = [&](std::string what) {
    if (rec.problem.empty()) {
      rec.problem = std::move(what);
      rec.problem_field = rec.count;
    }
  };

  std::string* field = new_field();
  while (true) {
    if (pos_ == len_) {
      flush_raw(len_);
      if (!Fill()) break;
      raw_from = 0;
    }
    char c = buf_[pos_];
    if (st == kQuoted) {
      size_t j = pos_;
      while (j < len_ && buf_[j] != '"' && buf_[j] != '\r' && buf_[j] != '\n') ++j;
      append(field, pos_, j);
      if (j > pos_) prev_cr_ = false;
      pos_ = j;
      if (pos_ == len_) continue;
      c = buf_[pos_];
      if (c == '"') {
        st = kQuoteSeen;
        prev_cr_ = false;
        ++pos_;
        continue;
      }
      // A line break inside quotes is part of the field.
      if (c == '\r' || !prev_cr_) ++line_;
      prev_cr_ = c == '\r';
      append(field, pos_, pos_ + 1);
      ++pos_;
      continue;
    }
    if (st == kQuoteSeen) {
      if (c == '"') {  // a doubled quote inside a quoted field
        append(field, pos_, pos_ + 1);
        st = kQuoted;
        ++pos_;
        continue;
      }
      if (c != delim && c != '\r' && c != '\n') {
        set_problem("text after the closing quote (a quote inside a quoted field must be doubled)");
        st = kUnquoted;
      }
    } else if (st == kStart && c == '"') {
      st = kQuoted;
      quote_line = line_;
      prev_cr_ = false;
      ++pos_;
      continue;
    }
    if (c == delim) {
      field = new_field();
      st = kStart;
      prev_cr_ = false;
      ++pos_;
      continue;
    }
    if (c == '\r' || c == '\n') {
      flush_raw(pos_);
      ++pos_;
      ++line_;
      prev_cr_ = false;
      if (c == '\r' && Available() && buf_[pos_] == '\n') ++pos_;
      consumed_ = buf_offset_ + pos_;
      rec.end = consumed_;
      rec.terminated = true;
      return true;
    }
    st = kUnquoted;
    size_t j = pos_;
    while (j < len_ && buf_[j] != delim && buf_[j] != '\r' && buf_[j] != '\n') ++j;
    append(field, pos_, j);
    prev_cr_ = false;
    pos_ = j;
  }
  if (!status_.ok()) return false;
  if (st == kQuoted)
    set_problem("a quoted field opened on line " + std::to_string(quote_line) +
                " is never closed, so the rest of the file became part of it");
  consumed_ = buf_offset_ + pos_;
  rec.end = consumed_;
  return true;
}

namespace {

bool StartsFormula(char c) {
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

// A plain decimal number with an optional sign: "-1.5", "+3", "-0.25", "12".
bool IsPlainNumber(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t digits = 0, dots = 0;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      ++digits;
    } else if (s[i] == '.' && dots == 0) {
      ++dots;
    } else {
      return false;
    }
  }
  return digits > 0;
}

}  // namespace

std::string NeutraliseFormula(std::string cell) {
  if (cell.empty() || !StartsFormula(cell.front()) || IsPlainNumber(cell)) return cell;
  return "'" + cell;
}

void AppendField(std::string& out, std::string_view field, char delimiter) {
  // Quoting a neutralised formula too, as OWASP advises: the quote then cannot be lost to an
  // importer that splits on something the cell holds.
  bool quote =
      !field.empty() && (field.front() == ' ' || field.back() == ' ' ||
                         (field.size() > 1 && field[0] == '\'' && StartsFormula(field[1])));
  for (char c : field) {
    if (c == delimiter || c == '"' || c == '\r' || c == '\n') {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string FormatRecord(const std::vector<std::string>& fields, char delimiter,
                         std::string_view line_end) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out.push_back(delimiter);
    AppendField(out, fields[i], delimiter);
  }
  out.append(line_end);
  return out;
}

}  // namespace sendsync::csv
