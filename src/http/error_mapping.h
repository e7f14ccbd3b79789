// The one place a StatusCode becomes an HTTP status and error body.
#pragma once

#include <string>

#include "model_registry/status.h"

namespace mr::http {

struct HttpError {
  int status;
  std::string code;     // the body's "code": the HTTP reason phrase
  std::string message;  // the body's "message"
};

// REQUIRES: !status.ok()
HttpError ToHttpError(const Status& status);

// The reason phrase of an HTTP status ("Not Found"), used as the error body's
// "code" for errors raised by the HTTP layer itself; "Error" when unknown.
const char* ReasonPhrase(int status);

}  // namespace mr::http
