// The transport-independent edge: target decoding, header lookup and the
// error documents transports send for requests they refuse.
#include "http/request_handler.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "model_registry/http_server.h"

namespace mr::http {
namespace {

TEST_CASE("ParseTarget decodes the path and the query", "[http][request]") {
  struct Case {
    const char* target;
    const char* path;
    QueryParams query;
  };
  const std::vector<Case> cases = {
      {"/a", "/a", {}},
      {"/a%20b/c%2Fd", "/a b/c/d", {}},
      {"/a+b", "/a+b", {}},  // '+' is literal in a path
      {"/x?name=a+b&q=%3D%26", "/x", {{"name", "a b"}, {"q", "=&"}}},
      {"/x?flag&=skipped&k=", "/x", {{"flag", ""}, {"k", ""}}},
      {"/x?a=1&a=2", "/x", {{"a", "1"}, {"a", "2"}}},
      {"/bad%zz%4", "/bad%zz%4", {}},  // malformed escapes stay literal
      {"/x?", "/x", {}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.target);
    std::string path;
    QueryParams query = {{"stale", "value"}};
    ParseTarget(c.target, &path, &query);
    CHECK(path == c.path);
    CHECK(query == c.query);
  }
}

TEST_CASE("Request::Header ignores case and returns the first value", "[http][request]") {
  Request request;
  request.headers = {{"Content-Type", "application/json"}, {"X-Twice", "1"}, {"x-twice", "2"}};
  CHECK(request.Header("content-type") == "application/json");
  CHECK(request.Header("X-TWICE") == "1");
  CHECK(request.HasHeader("x-Twice"));
  CHECK_FALSE(request.HasHeader("Origin"));
  CHECK(request.Header("Origin").empty());
}

TEST_CASE("RequestHandler::Error writes the JSON error document", "[http][request]") {
  Response response = RequestHandler::Error(431, "too many headers");
  CHECK(response.status == 431);
  CHECK(response.content_type == "application/json; charset=UTF-8");
  nlohmann::json body = nlohmann::json::parse(response.body);
  CHECK(body == nlohmann::json{{"code", "Request Header Fields Too Large"},
                               {"message", "too many headers"}});
}

TEST_CASE("SunsetFromDate writes the IMF-fixdate of midnight UTC", "[http][request]") {
  Result<std::string> sunset = SunsetFromDate("2027-06-30");
  REQUIRE(sunset.ok());
  CHECK(*sunset == "Wed, 30 Jun 2027 00:00:00 GMT");
  Result<std::string> leap = SunsetFromDate("2028-02-29");
  REQUIRE(leap.ok());
  CHECK(*leap == "Tue, 29 Feb 2028 00:00:00 GMT");
  for (const char* bad : {"", "2027-6-30", "2027-02-30", "2027-13-01", "2027-00-10", "27-06-30",
                          "2027/06/30", "2027-06-30T00:00:00Z", "tomorrow", "1969-12-31"}) {
    CAPTURE(bad);
    Result<std::string> rejected = SunsetFromDate(bad);
    REQUIRE_FALSE(rejected.ok());
    CHECK(rejected.status().code() == StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace mr::http
