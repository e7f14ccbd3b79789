// The request pipeline behind every transport: an ordered chain of stages
// (observe, deprecation marks, CORS, guards, public routes, authentication,
// authorization, JSON-only writes, dispatch) over one RequestContext.
#include "http/request_handler.h"

#include <strings.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <iterator>
#include <optional>
#include <random>

#include "common/decimal.h"
#include "common/log.h"
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

constexpr std::string_view kMetricsPath = "/metrics";

// "application/json", optionally with parameters, or a "+json" type.
bool IsJsonMediaType(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  if (EqualsIgnoreCase(type, "application/json")) return true;
  return type.size() > 5 && EqualsIgnoreCase(type.substr(type.size() - 5), "+json") &&
         EqualsIgnoreCase(type.substr(0, 12), "application/");
}

// A client's X-Request-Id when it is a sane token, else a new random one.
std::string RequestIdFrom(std::string_view given) {
  bool sane = !given.empty() && given.size() <= 128;
  for (char c : given) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) sane = false;
  }
  if (sane) return std::string(given);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = rng();
    for (int i = 15; i >= 0; --i, bits >>= 4) id[half * 16 + i] = kHex[bits & 15];
  }
  return id;
}

// The log's numbers without printf (which cost ~1,100 instructions each, a
// fifth of a request's own work): `value` in decimal, and `seconds` as
// milliseconds with three decimals.
template <size_t N, typename Int>
std::string_view DecimalText(char (&buffer)[N], Int value) {
  auto end = std::to_chars(buffer, buffer + N, value).ptr;
  return std::string_view(buffer, end - buffer);
}

template <size_t N>
std::string_view MillisecondsText(char (&buffer)[N], double seconds) {
  const long long micros = std::llround(std::max(0.0, seconds) * 1e6);
  char* end = std::to_chars(buffer, buffer + N - 4, micros / 1000).ptr;
  const int fraction = static_cast<int>(micros % 1000);
  *end++ = '.';
  *end++ = static_cast<char>('0' + fraction / 100);
  *end++ = static_cast<char>('0' + fraction / 10 % 10);
  *end++ = static_cast<char>('0' + fraction % 10);
  return std::string_view(buffer, end - buffer);
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

HandlerOptions HandlerOptionsFor(const ServerOptions& options) {
  HandlerOptions out;
  out.enable_hello_endpoint = options.enable_hello_endpoint;
  out.deprecated_sunset = options.v1alpha3_sunset;
  out.tokens = options.tokens.get();
  out.metrics_need_token = options.metrics_need_token;
  out.cors_allowed_origins = options.cors_allowed_origins;
  out.version = options.version;
  out.start_time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return out;
}

RequestHandler::RequestHandler(RegistryService& service, HandlerOptions options)
    : service_(service), options_(std::move(options)) {}

Response RequestHandler::Error(int status, std::string message) {
  Response res;
  SetError(res, status, std::move(message));
  return res;
}

Response RequestHandler::Handle(const Request& req) const {
  RequestContext ctx;
  ctx.profile = ProfileForPath(req.path);
  return Next(0, req, ctx);
}

// The stages every request passes, in this order. Each either answers or hands
// the request to the next; the first stages also see every answer on its way
// out.
Response RequestHandler::Next(size_t stage, const Request& req, RequestContext& ctx) const {
  const size_t next = stage + 1;
  switch (stage) {
    case 0:
      return Observe(req, ctx, next);
    case 1:
      return MarkDeprecated(req, ctx, next);
    case 2:
      return Cors(req, ctx, next);
    case 3:
      return Guard(req, ctx, next);
    case 4:
      return ServePublic(req, ctx, next);
    case 5:
      return Route(req, ctx, next);
    case 6:
      return Authenticate(req, ctx, next);
    case 7:
      return Authorize(req, ctx, next);
    case 8:
      return RequireJson(req, ctx, next);
    default:
      return Dispatch(req, ctx, next);
  }
}

// Request id, metrics and the request log line.
Response RequestHandler::Observe(const Request& req, RequestContext& ctx, size_t next) const {
  const auto started = std::chrono::steady_clock::now();
  ctx.request_id = RequestIdFrom(req.Header("X-Request-Id"));
  metrics_.RequestStarted();
  Response res = Next(next, req, ctx);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  res.SetHeader("X-Request-Id", ctx.request_id);
  metrics_.RequestFinished(ctx.operation, req.method, res.status, seconds);
  Logger& log = Logger::Get();
  LogLevel level = res.status >= 500 ? LogLevel::kError : LogLevel::kInfo;
  if (log.Enabled(level)) {
    char status[8];
    char duration[32];
    char bytes[24];
    std::string_view status_text = DecimalText(status, res.status);
    std::string_view duration_text = MillisecondsText(duration, seconds);
    std::string_view bytes_text = DecimalText(bytes, res.body.size());
    std::string_view path = ctx.path_template;
    if (path.empty()) path = std::string_view(req.path).substr(0, 256);
    LogField fields[] = {
        {"method", req.method},
        {"path", path},
        {"operation", ctx.operation},
        {"status", status_text, true},
        {"duration_ms", duration_text, true},
        {"bytes", bytes_text, true},
        {"request_id", ctx.request_id},
        {"principal", ctx.principal.name.empty() ? "-" : std::string_view(ctx.principal.name)},
        // A server error's message says what broke; client errors are the
        // client's business and stay out of the log.
        {"error", std::string_view(res.body).substr(0, 512)},
    };
    const size_t field_count = std::size(fields) - (res.status >= 500 ? 0 : 1);
    log.Write(level, "request", fields, field_count);
  }
  return res;
}

// Every answer under a deprecated prefix says so, errors included, the way
// upstream marks v1alpha3 (docs/api-behaviour.md §1.4).
Response RequestHandler::MarkDeprecated(const Request& req, RequestContext& ctx,
                                        size_t next) const {
  Response res = Next(next, req, ctx);
  if (ctx.profile != nullptr && ctx.profile->deprecated) {
    res.SetHeader("Deprecation", "true");
    res.SetHeader("Link",
                  "<" + std::string(CurrentProfile().base_path) + "/>; rel=\"successor-version\"");
    if (!options_.deprecated_sunset.empty()) res.SetHeader("Sunset", options_.deprecated_sunset);
  }
  return res;
}

bool RequestHandler::OriginAllowed(std::string_view origin) const {
  if (origin.empty()) return false;
  if (options_.cors_allowed_origins.empty()) return AllowedOrigin(origin);
  for (const std::string& allowed : options_.cors_allowed_origins) {
    if (allowed == origin) return true;
  }
  return false;
}

// CORS response headers for browser callers; a preflight ends here.
Response RequestHandler::Cors(const Request& req, RequestContext& ctx, size_t next) const {
  std::string_view origin = req.Header("Origin");
  const bool cors = OriginAllowed(origin);
  Response res;
  if (req.method == "OPTIONS" && req.HasHeader("Access-Control-Request-Method")) {
    ctx.operation = "preflight";
    if (cors) {
      res.SetHeader("Access-Control-Allow-Methods", kAllowedMethods);
      res.SetHeader("Access-Control-Allow-Headers", kAllowedHeaders);
      res.SetHeader("Access-Control-Max-Age", "300");
    }
    res.status = 200;
  } else {
    res = Next(next, req, ctx);
  }
  if (cors) {
    res.SetHeader("Access-Control-Allow-Origin", std::string(origin));
    res.SetHeader("Vary", "Origin");
    res.SetHeader("Access-Control-Expose-Headers", "Deprecation, Link, Sunset, X-Request-Id");
  }
  return res;
}

// The benchmark's hello, the web UI, and the query and body guards.
Response RequestHandler::Guard(const Request& req, RequestContext& ctx, size_t next) const {
  Response res;
  const std::string& path = req.path;
  if (options_.enable_hello_endpoint && path == "/hello") {
    ctx.operation = "hello";
    res.status = 200;
    res.content_type = kJsonContentType;
    res.body = "{\"hello\":\"world\"}\n";
    return res;
  }

  // The web UI answers GET and HEAD outside the API, before the API's query guards: its page
  // addresses carry the UI's own query parameters. Its assets are public; the API calls it
  // makes carry the user's token.
  if (path.rfind("/api/", 0) != 0 && path != kMetricsPath) {
    if (std::optional<Response> ui = UiAssets::Embedded().Serve(req)) {
      ctx.operation = "ui";
      return *std::move(ui);
    }
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
    auto after = req.query.upper_bound(it->first);
    if (std::next(it) != after) {
      SetError(res, Status::InvalidArgument("Invalid " + it->first + " query parameter: given " +
                                            "more than once"));
      return res;
    }
    it = after;
  }
  if (HasNulByte(req.body)) {
    SetError(res,
             Status::InvalidArgument("Request body contains null bytes which are not allowed"));
    return res;
  }
  return Next(next, req, ctx);
}

// Routes open without a token: health (§1.2), the OpenAPI documents, and
// /metrics unless it is configured to need one.
Response RequestHandler::ServePublic(const Request& req, RequestContext& ctx, size_t next) const {
  Response res;
  const std::string& path = req.path;
  // Health routes are matched by suffix, before API routing (§1.2).
  if (EndsWith(path, "/readyz/isDirty") || EndsWith(path, "/readyz/health")) {
    ctx.operation = "health";
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
  if (path == kMetricsPath && (options_.tokens == nullptr || !options_.metrics_need_token)) {
    return ServeMetrics(req, ctx);
  }
  if (ctx.profile != nullptr && path.size() == ctx.profile->base_path.size() + 13 &&
      EndsWith(path, "/openapi.yaml")) {
    ctx.operation = "getOpenAPISpec";
    if (req.method != "GET") {
      SetError(res, 405, "method not allowed");
      return res;
    }
    res.status = 200;
    res.content_type = "application/yaml";
    res.body = OpenApiSpec(*ctx.profile);
    return res;
  }
  return Next(next, req, ctx);
}

Response RequestHandler::ServeMetrics(const Request& req, RequestContext& ctx) const {
  ctx.operation = "metrics";
  Response res;
  if (req.method != "GET") {
    SetError(res, 405, "method not allowed");
    return res;
  }
  res.status = 200;
  res.content_type = "text/plain; version=0.0.4; charset=utf-8";
  res.body = metrics_.Render(service_.StorageStats(), options_.version, options_.start_time);
  return res;
}

// With a tokens file, every remaining request needs a known bearer token.
Response RequestHandler::Authenticate(const Request& req, RequestContext& ctx, size_t next) const {
  if (options_.tokens == nullptr) return Next(next, req, ctx);
  std::string_view header = req.Header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  std::optional<Principal> principal;
  if (header.size() > kBearer.size() && EqualsIgnoreCase(header.substr(0, 7), kBearer)) {
    principal = options_.tokens->Authenticate(header.substr(kBearer.size()));
  }
  if (!principal) {
    Response res;
    SetError(res, 401,
             header.empty() ? "authentication required: send Authorization: Bearer <token>"
                            : "invalid or unknown bearer token");
    res.SetHeader("WWW-Authenticate", "Bearer realm=\"model-registry\"");
    return res;
  }
  ctx.principal = std::move(*principal);
  return Next(next, req, ctx);
}

// A read token may only read.
Response RequestHandler::Authorize(const Request& req, RequestContext& ctx, size_t next) const {
  bool reads = req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS";
  if (options_.tokens != nullptr && ctx.principal.role == Role::kRead && !reads) {
    Response res;
    SetError(res, 403,
             "token '" + ctx.principal.name + "' has the read role and cannot " + req.method);
    return res;
  }
  return Next(next, req, ctx);
}

// Writes must say they send JSON, so a plain HTML form on another site (which
// can only send form or text bodies) cannot create or change anything.
Response RequestHandler::RequireJson(const Request& req, RequestContext& ctx, size_t next) const {
  bool writes = req.method == "POST" || req.method == "PATCH" || req.method == "PUT";
  if (writes && ctx.profile != nullptr && !IsJsonMediaType(req.Header("Content-Type"))) {
    Response res;
    SetError(res, 415, "request bodies must be JSON: send Content-Type: application/json");
    return res;
  }
  return Next(next, req, ctx);
}

// Finds the operation: by version, method and path. Unknown paths and
// methods end here (404, 405), so later stages and the logs know the
// operation they act for.
Response RequestHandler::Route(const Request& req, RequestContext& ctx, size_t next) const {
  Response res;
  if (req.path == kMetricsPath) {
    ctx.operation = "metrics";
    return Next(next, req, ctx);
  }
  if (ctx.profile == nullptr) {
    ctx.operation = "notFound";
    SetError(res, 404, "404 page not found");
    return res;
  }
  std::string_view relative = std::string_view(req.path).substr(ctx.profile->base_path.size());
  // HEAD is GET without a body; the transport drops the body.
  ctx.match = MatchRoute(*ctx.profile, req.method == "HEAD" ? "GET" : req.method, relative);
  if (ctx.match.route == nullptr) {
    ctx.operation = ctx.match.path_known ? "methodNotAllowed" : "notFound";
    SetError(res, ctx.match.path_known ? 405 : 404,
             ctx.match.path_known ? "method not allowed" : "404 page not found");
    return res;
  }
  ctx.operation = ctx.match.route->operation_id;
  ctx.path_template = std::string(ctx.profile->base_path) + ctx.match.route->path;
  return Next(next, req, ctx);
}

// Runs the routed operation.
Response RequestHandler::Dispatch(const Request& req, RequestContext& ctx, size_t next) const {
  Response res;
  if (req.path == kMetricsPath) return ServeMetrics(req, ctx);
  const ::mr::http::Route& route = *ctx.match.route;
  ApiRequest api_request;
  api_request.profile = ctx.profile;
  api_request.actor.name = ctx.principal.name;
  api_request.path_params = std::move(ctx.match.params);
  api_request.query = &req.query;
  api_request.body = &req.body;
  Result<ApiReply> reply = route.handler(service_, api_request);
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
