// accelmap/status.h — hard errors: Status and Result<T>.
//
// Hard errors are requests that cannot be met at all (a root that does not
// exist, a facts file that is not JSON). Everything softer — a missing or
// malformed sysfs attribute — is a Diagnostic inside the facts instead, and
// discovery goes on.
//
//   accelmap::Result<FsRoot> root = FsRoot::open("/tmp/tree");
//   if (!root) { std::cerr << root.error().message() << "\n"; return; }
//
// Thread-safety: plain values; safe to copy between threads.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace accelmap {

/// Small, Abseil-like set of error codes. Values are stable (used as CLI exit-code inputs).
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,  ///< the caller passed something malformed (bad option, bad key)
  kNotFound = 2,         ///< a root, file or object that must exist does not
  kPermissionDenied = 3,
  kDataLoss = 4,         ///< input exists but cannot be decoded (bad facts JSON, bad archive)
  kUnimplemented = 5,
  kInternal = 6,
  kIoError = 7,          ///< the OS refused an operation (write failed, disk full)
};

/// Stable lower-case name of a code, e.g. "not_found".
const char* status_code_name(StatusCode code) noexcept;

/// An error code plus one human sentence (which already names the path or key involved).
class [[nodiscard]] Status {
 public:
  Status() = default;  ///< success
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  /// Whether this is success. (A static `Status::ok()` that made a success
  /// was here once; `!s.ok()` on an error then read as false, and a reader's
  /// error checks never fired. A question of the value cannot be misread.)
  bool ok() const noexcept { return code_ == StatusCode::kOk; }
  bool is_ok() const noexcept { return ok(); }
  explicit operator bool() const noexcept { return is_ok(); }
  StatusCode code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

/// Either a T or a non-ok Status; the subset of std::expected that we use.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).is_ok() && "Result needs a non-ok Status");
  }
  bool has_value() const noexcept { return std::holds_alternative<T>(v_); }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Status& error() const& { return std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace accelmap
