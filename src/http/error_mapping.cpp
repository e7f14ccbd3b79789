#include "http/error_mapping.h"

#include <string_view>

namespace mr::http {
namespace {

// Upstream's JSON decoder errors reach clients verbatim ("json: unknown field
// \"x\"" is regression-tested), while business-layer errors end in the
// sentinel ": bad request" (§2.1, §2.2).
bool IsDecodeError(const std::string& message) {
  for (std::string_view prefix :
       {"json: ", "invalid JSON", "EOF", "JSON nesting", "Request body contains", "Invalid "}) {
    if (message.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

}  // namespace

HttpError ToHttpError(const Status& status) {
  const std::string& m = status.message();
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return {400, "Bad Request", IsDecodeError(m) ? m : m + ": bad request"};
    // Upstream answers a missing required field with 422 but keeps the
    // "Bad Request" code in the body; the Python suite checks both
    // (kubeflow-api-behaviour.md §2.1, quirk #1).
    case StatusCode::kMissingRequired:
      return {422, "Bad Request", m};
    // Business-layer errors carry upstream's sentinel suffixes (§2.1).
    case StatusCode::kNotFound:
      return {404, "Not Found", m + ": not found"};
    case StatusCode::kAlreadyExists:
      return {409, "Conflict", m + ": conflict"};
    case StatusCode::kFailedPrecondition:
      return {400, "Bad Request", m + ": bad request"};
    case StatusCode::kPayloadTooLarge:
      return {413, "Request Entity Too Large", m};
    case StatusCode::kUnavailable:
      return {503, "Service Unavailable", m};
    case StatusCode::kInternal:
    case StatusCode::kOk:
      break;
  }
  return {500, "Internal Server Error", m};
}

}  // namespace mr::http
