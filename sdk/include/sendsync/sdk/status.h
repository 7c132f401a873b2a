// Status and Result: how sendsync code reports failure. Used by adapter authors (through the SDK)
// and by the host's core alike; exceptions are turned into these at the edges.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sendsync {

// A Status is OK or carries a code and a message for a person. Cheap to copy when OK.
class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,     // the input is wrong (bad config, bad record, bad option)
    kNotFound,            // the thing asked for does not exist
    kAlreadyExists,       // creating something that is already there
    kFailedPrecondition,  // the system is not in a state that allows this (e.g. lease held)
    kPermissionDenied,    // authenticated, but not allowed
    kUnauthenticated,     // credentials missing or wrong
    kUnavailable,         // transient: try again later (429, 5xx, crashed worker)
    kCancelled,           // stopped on request
    kCorruption,          // stored data is damaged (bad hash chain, unreadable row)
    kIoError,             // the operating system or database said no
    kInternal,            // a bug
    // Appended, never renumbered: the code's name crosses the plugin boundary in error JSON.
    kDeadlineExceeded,  // transient: a call or a wait ran out of time (a hung worker, a slow pipe)
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {Code::kAlreadyExists, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {Code::kFailedPrecondition, std::move(msg)};
  }
  static Status PermissionDenied(std::string msg) {
    return {Code::kPermissionDenied, std::move(msg)};
  }
  static Status Unauthenticated(std::string msg) { return {Code::kUnauthenticated, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status Cancelled(std::string msg) { return {Code::kCancelled, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IoError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }
  static Status DeadlineExceeded(std::string msg) {
    return {Code::kDeadlineExceeded, std::move(msg)};
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // True for failures worth retrying later (the host maps these to RETRY at the plugin boundary).
  bool transient() const {
    return code_ == Code::kUnavailable || code_ == Code::kCancelled ||
           code_ == Code::kDeadlineExceeded;
  }

  // "OK" or "<code name>: <message>".
  std::string ToString() const;
  static const char* CodeName(Code code);

  // Returns a copy whose message is "<context>: <message>"; OK stays OK.
  Status WithContext(const std::string& context) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status saying why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "a Result built from a Status must carry an error");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  // The error; OK when a value is held.
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sendsync

// Returns early from the enclosing function when EXPR yields a non-OK Status.
#define SENDSYNC_RETURN_IF_ERROR(expr)          \
  do {                                          \
    ::sendsync::Status _st = (expr);            \
    if (!_st.ok()) return _st;                  \
  } while (0)
