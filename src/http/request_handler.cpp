// The request pipeline behind every transport: guards (NUL bytes, repeated
// parameters), CORS, health routes, the OpenAPI document, API routing and
// one error path.
#include "http/request_handler.h"

#include <strings.h>

#include <ctime>
#include <iterator>
#include <optional>

#include "common/decimal.h"
#include "http/error_mapping.h"
#include "http/json_codec.h"
#include "http/ui_assets.h"
#include "model_registry/http_server.h"

namespace mr::http {
namespace {

constexpr const char* kJsonContentType = "application/json; charset=UTF-8";
constexpr const char* kTextContentType = "text/plain; charset=utf-8";
constexpr const char* kNulByteText = "\\u0000";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool HasNulByte(std::string_view s) {
  return s.find('\0') != std::string_view::npos || s.find(kNulByteText) != std::string_view::npos;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = HexDigit(text[i + 1]), lo = HexDigit(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

void SetJson(Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.content_type = kJsonContentType;
  res.body = Dump(body) + "\n";
}

void SetError(Response& res, int status, std::string message) {
  SetJson(res, status, {{"code", ReasonPhrase(status)}, {"message", std::move(message)}});
}

void SetError(Response& res, const Status& status) {
  HttpError e = ToHttpError(status);
  SetJson(res, e.status, {{"code", e.code}, {"message", e.message}});
}

// CORS as upstream's go-chi/cors, plus PATCH (§14 deviation-cors-patch).
constexpr const char* kAllowedMethods = "GET, POST, PUT, DELETE, OPTIONS, PATCH";
constexpr const char* kAllowedHeaders =
    "Accept, Authorization, Content-Type, X-CSRF-Token, X-PINGOTHER";

bool AllowedOrigin(std::string_view origin) {
  return origin.rfind("http://", 0) == 0 || origin.rfind("https://", 0) == 0;
}

}  // namespace

std::string_view Request::Header(std::string_view name) const {
  for (const HeaderField& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return {};
}

bool Request::HasHeader(std::string_view name) const {
  for (const HeaderField& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return true;
  }
  return false;
}

void ParseTarget(std::string_view target, std::string* path, QueryParams* query) {
  size_t question = target.find('?');
  *path = PercentDecode(target.substr(0, question), /*plus_is_space=*/false);
  query->clear();
  if (question == std::string_view::npos) return;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (key.empty()) continue;
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    query->emplace(PercentDecode(key, true), PercentDecode(value, true));
  }
}

RequestHandler::RequestHandler(RegistryService& service, HandlerOptions options)
    : service_(service), options_(std::move(options)) {}

Response RequestHandler::Error(int status, std::string message) {
  Response res;
  SetError(res, status, std::move(message));
  return res;
}

Response RequestHandler::Handle(const Request& req) const {
  const WireProfile* profile = ProfileForPath(req.path);
  Response res = Answer(req, profile);
  // Every answer under a deprecated prefix says so, errors included, the way
  // upstream marks v1alpha3 (docs/api-behaviour.md §1.4).
  if (profile != nullptr && profile->deprecated) {
    res.SetHeader("Deprecation", "true");
    res.SetHeader("Link",
                  "<" + std::string(CurrentProfile().base_path) + "/>; rel=\"successor-version\"");
    if (!options_.deprecated_sunset.empty()) res.SetHeader("Sunset", options_.deprecated_sunset);
  }
  return res;
}

Response RequestHandler::Answer(const Request& req, const WireProfile* profile) const {
  Response res;
  // CORS response headers for browser callers; a preflight ends here.
  std::string_view origin = req.Header("Origin");
  bool cors = !origin.empty() && AllowedOrigin(origin);
  if (cors) {
    res.SetHeader("Access-Control-Allow-Origin", std::string(origin));
    res.SetHeader("Vary", "Origin");
    res.SetHeader("Access-Control-Expose-Headers", "Deprecation, Link, Sunset");
  }
  if (req.method == "OPTIONS" && req.HasHeader("Access-Control-Request-Method")) {
    if (cors) {
      res.SetHeader("Access-Control-Allow-Methods", kAllowedMethods);
      res.SetHeader("Access-Control-Allow-Headers", kAllowedHeaders);
      res.SetHeader("Access-Control-Max-Age", "300");
    }
    res.status = 200;
    return res;
  }

  const std::string& path = req.path;
  if (options_.enable_hello_endpoint && path == "/hello") {
    res.status = 200;
    res.content_type = kJsonContentType;
    res.body = "{\"hello\":\"world\"}\n";
    return res;
  }

  // The web UI answers GET and HEAD outside the API, before the API's query guards: its page
  // addresses carry the UI's own query parameters.
  if (path.rfind("/api/", 0) != 0) {
    if (std::optional<Response> ui = UiAssets::Embedded().Serve(req)) return *std::move(ui);
  }

  // Null-byte guard (§1.3), before anything reads the values.
  for (const auto& [name, value] : req.query) {
    if (HasNulByte(value) || HasNulByte(name)) {
      SetError(res,
               Status::InvalidArgument("Invalid " + name + " query parameter: invalid " + name +
                                       " parameter: contains null bytes which are not "
                                       "allowed"));
      return res;
    }
  }
  // No API parameter is a list: a repeated one is ambiguous, not "the first".
  for (auto it = req.query.begin(); it != req.query.end();) {
    auto next = req.query.upper_bound(it->first);
    if (std::next(it) != next) {
      SetError(res, Status::InvalidArgument("Invalid " + it->first + " query parameter: given " +
                                            "more than once"));
      return res;
    }
    it = next;
  }
  if (HasNulByte(req.body)) {
    SetError(res,
             Status::InvalidArgument("Request body contains null bytes which are not allowed"));
    return res;
  }

  // Health routes are matched by suffix, before API routing (§1.2).
  if (EndsWith(path, "/readyz/isDirty") || EndsWith(path, "/readyz/health")) {
    if (req.method != "GET") {
      SetError(res, 405, "method not allowed");
      return res;
    }
    Status health = service_.CheckHealth();
    auto format = req.query.find("format");
    if (format != req.query.end() && format->second == "json") {
      nlohmann::json check = {{"Name", "database"},
                              {"Status", health.ok() ? "pass" : "fail"},
                              {"Message", health.ok() ? "" : health.message()}};
      SetJson(res, health.ok() ? 200 : 503,
              {{"status", health.ok() ? "pass" : "fail"}, {"checks", {{"database", check}}}});
      return res;
    }
    res.status = health.ok() ? 200 : 503;
    res.content_type = kTextContentType;
    res.body = health.ok() ? "OK" : health.message();
    return res;
  }

  if (profile == nullptr) {
    SetError(res, 404, "404 page not found");
    return res;
  }
  std::string_view relative = std::string_view(path).substr(profile->base_path.size());
  if (relative == "/openapi.yaml") {
    if (req.method != "GET") {
      SetError(res, 405, "method not allowed");
      return res;
    }
    res.status = 200;
    res.content_type = "application/yaml";
    res.body = OpenApiSpec(*profile);
    return res;
  }
  // HEAD is GET without a body; the transport drops the body.
  RouteMatch match = MatchRoute(*profile, req.method == "HEAD" ? "GET" : req.method, relative);
  if (match.route == nullptr) {
    SetError(res, match.path_known ? 405 : 404,
             match.path_known ? "method not allowed" : "404 page not found");
    return res;
  }
  ApiRequest api_request;
  api_request.profile = profile;
  api_request.path_params = std::move(match.params);
  api_request.query = &req.query;
  api_request.body = &req.body;
  Result<ApiReply> reply = match.route->handler(service_, api_request);
  if (!reply.ok()) {
    SetError(res, reply.status());
    return res;
  }
  res.status = reply->status;
  res.content_type = kJsonContentType;
  res.body = std::move(reply->body);
  res.body += '\n';
  return res;
}

}  // namespace mr::http

namespace mr {

std::vector<RouteInfo> ListRoutes() {
  std::vector<RouteInfo> out;
  for (const http::WireProfile* profile : http::Profiles()) {
    const std::string base(profile->base_path);
    for (const http::Route& r : http::ApiRoutes()) {
      if (r.ServedBy(*profile)) out.push_back({r.method, base + r.path, r.operation_id});
    }
    out.push_back({"GET", base + "/readyz/health", "readyzHealth"});
    out.push_back({"GET", base + "/readyz/isDirty", "readyzIsDirty"});
    out.push_back({"GET", base + "/openapi.yaml", "getOpenAPISpec"});
  }
  return out;
}

Result<std::string> SunsetFromDate(const std::string& iso_date) {
  auto invalid = [&] {
    return Status::InvalidArgument("invalid sunset date \"" + iso_date + "\": expected YYYY-MM-DD");
  };
  std::tm date{};
  if (iso_date.size() != 10 || iso_date[4] != '-' || iso_date[7] != '-') return invalid();
  std::optional<int64_t> year = ParseDecimal(iso_date.substr(0, 4), 1970, 9999);
  std::optional<int64_t> month = ParseDecimal(iso_date.substr(5, 2), 1, 12);
  std::optional<int64_t> day = ParseDecimal(iso_date.substr(8, 2), 1, 31);
  if (!year || !month || !day) return invalid();
  date.tm_year = static_cast<int>(*year) - 1900;
  date.tm_mon = static_cast<int>(*month) - 1;
  date.tm_mday = static_cast<int>(*day);
  // timegm normalises 2027-02-30 to March 2nd; a date that moved was invalid.
  std::time_t seconds = timegm(&date);
  std::tm normalised{};
  gmtime_r(&seconds, &normalised);
  if (normalised.tm_mday != *day || normalised.tm_mon != *month - 1) return invalid();
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &normalised);
  return std::string(text);
}

}  // namespace mr
