// StatusCode -> HTTP status, reason phrase and message (docs/api-behaviour.md
// §2.1, §2.2), one row per code.
#include "http/error_mapping.h"

#include <catch2/catch.hpp>
#include <vector>

namespace mr::http {
namespace {

TEST_CASE("ToHttpError maps every StatusCode", "[http][errors]") {
  struct Case {
    StatusCode code;
    int status;
    const char* reason;
    const char* message;
  };
  const std::vector<Case> cases = {
      {StatusCode::kInvalidArgument, 400, "Bad Request", "json: unknown field \"x\""},
      // 422 keeps "Bad Request" in the body (§14 quirk-422-bad-request).
      {StatusCode::kMissingRequired, 422, "Bad Request", "required field 'name' is zero value."},
      {StatusCode::kNotFound, 404, "Not Found", "no registered model found for id 9: not found"},
      {StatusCode::kAlreadyExists, 409, "Conflict",
       "registered model with name m already exists: conflict"},
      {StatusCode::kFailedPrecondition, 400, "Bad Request",
       "cannot deploy gated HuggingFace model: model version 3 is gated: bad request"},
      {StatusCode::kPayloadTooLarge, 413, "Request Entity Too Large", "body too large"},
      {StatusCode::kUnavailable, 503, "Service Unavailable", "database is busy"},
      {StatusCode::kInsufficientStorage, 507, "Insufficient Storage", "disk full"},
      {StatusCode::kInternal, 500, "Internal Server Error", "database error: disk I/O error"},
  };
  const std::vector<const char*> inputs = {
      "json: unknown field \"x\"",
      "required field 'name' is zero value.",
      "no registered model found for id 9",
      "registered model with name m already exists",
      "cannot deploy gated HuggingFace model: model version 3 is gated",
      "body too large",
      "database is busy",
      "disk full",
      "database error: disk I/O error",
  };
  REQUIRE(inputs.size() == cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    INFO(StatusCodeName(c.code));
    HttpError error = ToHttpError(Status(c.code, inputs[i]));
    CHECK(error.status == c.status);
    CHECK(error.code == c.reason);
    CHECK(error.message == c.message);
  }
}

}  // namespace
}  // namespace mr::http
