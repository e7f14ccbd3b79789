// File: model_registry/status.h
//
// Errors travel as values. Every fallible function in the domain, filter and
// repository layers returns a `Status` or a `Result<T>`; only the HTTP adapter
// turns a `StatusCode` into an HTTP status (src/http/error_mapping.cpp).
//
//   Result<Entity> r = service.Get(kind, id);
//   if (!r.ok()) return r.status();
//   const Entity& e = r.value();
//
// Thread-safety: values of these types are immutable after construction except
// through assignment; share them across threads like any value type.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace mr {

// The error vocabulary. Producers return the most specific code; callers
// switch only on codes they can handle, always with a default.
enum class StatusCode {
  kOk = 0,
  // The request is malformed: bad JSON, wrong type, unknown field, bad enum,
  // bad id, bad filter. The caller must change the request. (HTTP 400)
  kInvalidArgument,
  // A field the schema requires is missing or empty. Kept apart from
  // kInvalidArgument because upstream answers it with 422. (HTTP 422)
  kMissingRequired,
  // The addressed entity does not exist, or a find matched nothing or more
  // than one row. (HTTP 404)
  kNotFound,
  // A uniqueness constraint (name within its scope, externalId) would be
  // violated. Retrying the same request cannot succeed. (HTTP 409)
  kAlreadyExists,
  // The request is well-formed but the system state forbids it, for example
  // deploying a gated Hugging Face model. Upstream answers 400. (HTTP 400)
  kFailedPrecondition,
  // The request body exceeds the configured limit. (HTTP 413)
  kPayloadTooLarge,
  // The storage is not reachable or busy beyond its timeout, cannot be
  // written, or a query ran past its deadline. Retry later. (HTTP 503)
  kUnavailable,
  // The disk holding the database is full: the write was not stored. Retry
  // once space is freed. (HTTP 507)
  kInsufficientStorage,
  // A bug or an unexpected storage failure. The message carries the cause.
  // (HTTP 500)
  kInternal,
};

// Returns a stable lower-case name for `code`, for logs and tests.
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return Status(StatusCode::kInvalidArgument, std::move(m));
  }
  static Status MissingRequired(std::string m) {
    return Status(StatusCode::kMissingRequired, std::move(m));
  }
  static Status NotFound(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
  static Status AlreadyExists(std::string m) {
    return Status(StatusCode::kAlreadyExists, std::move(m));
  }
  static Status FailedPrecondition(std::string m) {
    return Status(StatusCode::kFailedPrecondition, std::move(m));
  }
  static Status PayloadTooLarge(std::string m) {
    return Status(StatusCode::kPayloadTooLarge, std::move(m));
  }
  static Status Unavailable(std::string m) {
    return Status(StatusCode::kUnavailable, std::move(m));
  }
  static Status InsufficientStorage(std::string m) {
    return Status(StatusCode::kInsufficientStorage, std::move(m));
  }
  static Status Internal(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Holds either a value or a non-OK Status.
// REQUIRES: a Result is never constructed from an OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(data_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(data_);
  }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace mr

#define MR_STATUS_CONCAT_INNER(a, b) a##b
#define MR_STATUS_CONCAT(a, b) MR_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` (a Status) is not OK.
#define MR_RETURN_IF_ERROR(expr)                     \
  do {                                               \
    ::mr::Status mr_status_tmp_ = (expr);            \
    if (!mr_status_tmp_.ok()) return mr_status_tmp_; \
  } while (0)

// `lhs = value of expr` (a Result<T>), or returns its Status from the
// enclosing function. `lhs` may be a declaration: MR_ASSIGN_OR_RETURN(auto x, f());
#define MR_ASSIGN_OR_RETURN(lhs, expr)                      \
  auto MR_STATUS_CONCAT(mr_result_, __LINE__) = (expr);     \
  if (!MR_STATUS_CONCAT(mr_result_, __LINE__).ok())         \
    return MR_STATUS_CONCAT(mr_result_, __LINE__).status(); \
  lhs = std::move(MR_STATUS_CONCAT(mr_result_, __LINE__)).value()
