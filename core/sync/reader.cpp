// Reads a link's pages of one kind one page ahead of the run (see reader.h).
#include "core/sync/reader.h"

#include <exception>

#include <sendsync/sdk/json_limits.h>
#include <simdjson.h>

namespace sendsync::sync::detail {

using nlohmann::json;

namespace {

// Builds in `out` the value nlohmann would read from the text simdjson read as `e`, which sits
// inside `depth` arrays and objects. False when it may read otherwise: a document nested deeper
// than sdk::ParseJson allows.
bool FromSimdjson(const simdjson::dom::element& e, json& out, size_t depth) {
  using Type = simdjson::dom::element_type;
  switch (e.type()) {
    case Type::ARRAY: {
      if (depth + 1 > sdk::kMaxJsonDepth) return false;
      out = json::array();
      const simdjson::dom::array list = e.get_array().value_unsafe();
      for (const simdjson::dom::element v : list) {
        out.push_back(json());
        if (!FromSimdjson(v, out.back(), depth + 1)) return false;
      }
      return true;
    }
    case Type::OBJECT: {
      if (depth + 1 > sdk::kMaxJsonDepth) return false;
      out = json::object();
      json::object_t& fields = *out.get_ptr<json::object_t*>();
      const simdjson::dom::object object = e.get_object().value_unsafe();
      for (const simdjson::dom::key_value_pair f : object)  // a repeated key: the last one wins
        if (!FromSimdjson(f.value, fields[std::string(f.key)], depth + 1)) return false;
      return true;
    }
    case Type::INT64: {  // nlohmann reads an integer without a minus sign as unsigned
      const int64_t v = e.get_int64().value_unsafe();
      if (v >= 0)
        out = static_cast<uint64_t>(v);
      else
        out = v;
      return true;
    }
    case Type::UINT64:
      out = e.get_uint64().value_unsafe();
      return true;
    case Type::DOUBLE:
      out = e.get_double().value_unsafe();
      return true;
    case Type::STRING:
      out = std::string(e.get_string().value_unsafe());
      return true;
    case Type::BOOL:
      out = e.get_bool().value_unsafe();
      return true;
    case Type::NULL_VALUE:
      out = nullptr;
      return true;
  }
  return false;
}

// An adapter's page, read once: simdjson reads the text (several times faster than nlohmann's
// reader) and the value is built from what it read. Text simdjson refuses (not JSON, a number
// nlohmann reads as a double but simdjson cannot hold, ...) or that is nested too deep is parsed
// by sdk::ParseJson, whose value or error stands, so a page reads exactly as it always did.
json ParsePage(std::string_view text, std::string* error) {
  thread_local simdjson::dom::parser parser;  // keeps its buffers from page to page
  const simdjson::padded_string padded(text);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) == simdjson::SUCCESS) {
    json page;
    if (FromSimdjson(root, page, 0)) return page;
  }
  return sdk::ParseJson(text, error);
}

}  // namespace

PageReader::PageReader(plugins::Instance& adapter, const LinkCtx& link, std::string kind,
                       std::string cursor, size_t limit, const std::atomic<bool>& stop)
    : adapter_(adapter),
      link_(link),
      kind_(std::move(kind)),
      first_cursor_(std::move(cursor)),
      limit_(limit),
      stop_(stop),
      thread_([this] { Run(); }) {}

PageReader::~PageReader() {
  bool reading;
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
    reading = !finished_;
  }
  cv_.notify_all();
  if (reading) adapter_.Cancel();  // a read under way is no longer wanted
  thread_.join();
}

Page PageReader::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !ready_.empty() || finished_; });
  if (ready_.empty()) {
    Page p;
    p.status = Status::Cancelled("stopped on request");
    return p;
  }
  Page p = std::move(ready_.front());
  ready_.pop_front();
  cv_.notify_all();
  return p;
}

void PageReader::Release(Page page) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!finished_) spent_.push_back(std::move(page));
}  // a reader that reads no more frees nothing: the page is freed here, after the lock

void PageReader::Run() {
  std::string cursor = first_cursor_;
  for (;;) {
    if (stop_) break;
    std::vector<Page> spent;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (quit_) break;
      spent.swap(spent_);
    }
    spent.clear();
    Page page;
    try {
      page = Read(cursor);
    } catch (const std::exception& e) {  // nothing may escape a thread
      page = Page();
      page.status = Status::Internal(std::string("reading ") + kind_ + ": " + e.what());
    }
    const bool last = !page.status.ok() || !page.more || page.next_cursor == cursor;
    cursor = page.next_cursor;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return ready_.empty() || quit_; });
    if (quit_) break;
    ready_.push_back(std::move(page));
    // Done before the last page can be taken, so whoever takes it knows the adapter is free.
    if (last) finished_ = true;
    cv_.notify_all();
    if (last) return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  finished_ = true;
  cv_.notify_all();
}

Page PageReader::Read(const std::string& cursor) {
  Page out;
  json req = {{"kind", kind_}, {"cursor", cursor}, {"limit", limit_}};
  plugins::CallResult r = adapter_.Call("read", req.dump());
  if (r.status != plugins::CallStatus::kOk) {
    out.status = (r.status == plugins::CallStatus::kRetry ? Status::Unavailable(r.message)
                                                          : Status::InvalidArgument(r.message))
                     .WithContext("read " + kind_);
    return out;
  }
  FaultPoint("pull.after_read");
  std::string parse_error;
  json page = ParsePage(r.body, &parse_error);
  if (page.is_discarded()) {
    out.status = Status::InvalidArgument("read " + kind_ + ": the adapter's answer is not JSON (" +
                                         parse_error + ")");
    return out;
  }
  if (!page.is_object() || !page.contains("records") || !page["records"].is_array() ||
      !page.contains("next_cursor") || !page["next_cursor"].is_string()) {
    out.status = Status::InvalidArgument(
        "read " + kind_ + ": the adapter's answer is not a read result (records, next_cursor)");
    return out;
  }
  out.items.reserve(page["records"].size());
  for (json& rec : page["records"]) {
    Incoming in;
    in.ext_id = ExternalIdOf(kind_, rec);
    in.raw = std::move(rec);
    out.items.push_back(std::move(in));
  }
  if (page.contains("deletions") && page["deletions"].is_array())
    for (const json& d : page["deletions"])
      if (d.is_object()) {
        std::string id = d.value("id", "");
        if (kind_ == "sen" && id.empty()) id = "upn:" + d.value("upn", "");
        out.deletions.push_back({id, d.value("upn", "")});
      }
  if (page.contains("rejects") && page["rejects"].is_array())
    for (const json& x : page["rejects"])
      if (x.is_object())
        out.rejects.push_back(
            {x.value("raw", ""), x.value("where", ""), x.value("reason", ""), x.value("id", "")});
  out.next_cursor = page["next_cursor"].get<std::string>();
  out.more = page.value("more", false);
  if (out.more) out.remaining = page.value("remaining", int64_t{-1});
  out.checked = CheckBatch(link_, kind_, out.items);
  return out;
}

}  // namespace sendsync::sync::detail
