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
    // (docs/api-behaviour.md §2.1, §14 quirk-422-bad-request).
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
    case StatusCode::kInsufficientStorage:
      return {507, "Insufficient Storage", m};
    case StatusCode::kInternal:
    case StatusCode::kOk:
      break;
  }
  return {500, "Internal Server Error", m};
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    case 507:
      return "Insufficient Storage";
    default:
      return "Error";
  }
}

}  // namespace mr::http
