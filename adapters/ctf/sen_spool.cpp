#include "sen_spool.h"

#include <nlohmann/json.hpp>

namespace sendsync::ctf {

using nlohmann::json;

SenSpool::~SenSpool() {
  if (file_) std::fclose(file_);
}

void SenSpool::BeginPupilPage(const std::string& cursor) {
  if (file_ && !broken_ && cursor == end_) return;
  if (file_) std::fclose(file_);
  file_ = std::tmpfile();  // removed by the system when closed, or when the worker dies
  broken_ = file_ == nullptr;
  start_ = end_ = cursor;
  served_.clear();
  served_at_ = 0;
  entries_ = served_entries_ = 0;
}

void SenSpool::Abandon() {
  broken_ = true;
}

void SenSpool::EndPupilPage(const std::vector<Entry>& entries, const std::string& next_cursor) {
  if (!file_ || broken_) return;
  if (std::fseek(file_, 0, SEEK_END) != 0) {
    broken_ = true;
    return;
  }
  std::string text;
  for (const Entry& e : entries) {
    text += e.after;
    if (e.is_record) {
      text += "\tR\t" + e.record;
    } else {
      text += "\tX\t" + json{{"raw", e.reject.raw},
                             {"where", e.reject.where},
                             {"reason", e.reject.reason},
                             {"id", e.reject.id}}
                            .dump(-1, ' ', false, json::error_handler_t::replace);
    }
    text += '\n';
  }
  // A spool that cannot be written is not used: the sen pages then parse the files themselves.
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0) {
    broken_ = true;
    return;
  }
  end_ = next_cursor;
  entries_ += static_cast<int64_t>(entries.size());
}

bool SenSpool::Serves(const std::string& cursor) const {
  return file_ && !broken_ && (cursor == start_ || (!served_.empty() && cursor == served_));
}

Status SenSpool::Serve(const std::string& cursor, size_t& budget, sdk::ReadResult& result,
                       std::string& next, bool& exhausted) {
  long at = cursor == start_ ? 0 : served_at_;
  int64_t taken = cursor == start_ ? 0 : served_entries_;
  next = cursor;
  exhausted = false;
  if (std::fseek(file_, at, SEEK_SET) != 0)
    return Status::IoError("cannot read the ctf adapter's spool");
  char* line = nullptr;
  size_t cap = 0;
  ssize_t n = 0;
  while (budget > 0 && (n = ::getline(&line, &cap, file_)) > 0) {
    std::string text(line, static_cast<size_t>(n));
    if (text.back() == '\n') text.pop_back();
    const size_t a = text.find('\t'), b = a == std::string::npos ? a : text.find('\t', a + 1);
    if (b != a + 2) {
      std::free(line);
      return Status::Internal("the ctf adapter's spool is damaged");
    }
    if (text[a + 1] == 'R') {
      result.AddRawRecord(text.substr(b + 1));
    } else {
      json x = json::parse(text.substr(b + 1), nullptr, false);
      if (!x.is_object()) {
        std::free(line);
        return Status::Internal("the ctf adapter's spool is damaged");
      }
      result.AddReject(x.value("raw", ""), x.value("where", ""), x.value("reason", ""),
                       x.value("id", ""));
    }
    --budget;
    next = text.substr(0, a);
    at += static_cast<long>(n);
    ++taken;
  }
  std::free(line);
  // Used up when no whole line follows.
  const int c = std::fgetc(file_);
  exhausted = c == EOF;
  if (exhausted) next = end_;
  served_ = next;
  served_at_ = at;
  served_entries_ = taken;
  return Status::OK();
}

}  // namespace sendsync::ctf
