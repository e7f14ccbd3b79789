// File: http/request_handler.h
//
// The HTTP edge without a transport. A transport (src/http/server.cpp) reads
// bytes off a connection, builds a `Request`, calls `RequestHandler::Handle`
// and writes the `Response` back; everything a request means to the registry
// (guards, CORS, health, the OpenAPI documents, API routing, error bodies)
// happens here, so it can be tested and reused without sockets.
//
//   RequestHandler handler(service, options);
//   Request request;
//   request.method = "GET";
//   request.target = "/api/model_registry/v1/registered_models?pageSize=1";
//   ParseTarget(request.target, &request.path, &request.query);
//   Response response = handler.Handle(request);
//
// Thread-safety: Handle() may be called concurrently from any number of
// threads; a RequestHandler is immutable after construction.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/auth.h"
#include "http/metrics.h"
#include "http/router.h"
#include "model_registry/http_server.h"
#include "model_registry/registry_service.h"

namespace mr::http {

struct HeaderField {
  std::string name;
  std::string value;
};
using HeaderFields = std::vector<HeaderField>;

struct Request {
  std::string method;    // e.g. "GET"
  std::string target;    // the raw request-target, e.g. "/a%20b?x=1"
  std::string path;      // the decoded path of `target`
  QueryParams query;     // the decoded query of `target`
  HeaderFields headers;  // in the order received
  std::string body;      // the decoded body bytes

  // Returns the first value of header `name` (compared case-insensitively),
  // or "" when absent.
  std::string_view Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type;  // empty: no body
  HeaderFields headers;      // beyond Content-Type and Content-Length
  std::string body;

  void SetHeader(std::string name, std::string value) {
    headers.push_back({std::move(name), std::move(value)});
  }
};

// Splits a raw request-target into its percent-decoded path and query
// parameters ('+' means a space in the query only). Malformed escapes are
// kept literally; a parameter without '=' has the empty value.
void ParseTarget(std::string_view target, std::string* path, QueryParams* query);

struct HandlerOptions {
  // Answer GET /hello with a constant body: the benchmark's ceiling.
  bool enable_hello_endpoint = false;
  // The Sunset header of deprecated versions (an IMF-fixdate); empty: none.
  std::string deprecated_sunset;
  // Bearer tokens; null: authentication off. Not owned; outlives the handler.
  const TokenStore* tokens = nullptr;
  // With tokens, GET /metrics needs one too (any role).
  bool metrics_need_token = true;
  // Origins that get CORS headers; empty: any http(s) origin, as upstream.
  std::vector<std::string> cors_allowed_origins;
  // For the metrics' build info and process start time.
  std::string version = "dev";
  double start_time = 0;  // seconds since the epoch
};

// The handler's share of the server's options (every transport builds its
// handler from this).
HandlerOptions HandlerOptionsFor(const ServerOptions& options);

// What one request carries through the stages.
struct RequestContext {
  std::string request_id;                   // the client's X-Request-Id or a new one
  const WireProfile* profile = nullptr;     // the API version addressed, if any
  std::string_view operation = "unrouted";  // operationId once routed; static storage
  std::string path_template;                // e.g. /api/model_registry/v1/registered_models/{id}
  Principal principal;                      // anonymous unless authenticated
  RouteMatch match;                         // the API operation, once routed
};

class RequestHandler {
 public:
  // `service` must outlive the handler.
  RequestHandler(RegistryService& service, HandlerOptions options);
  RequestHandler(const RequestHandler&) = delete;
  RequestHandler& operator=(const RequestHandler&) = delete;

  // Answers one request. Never throws: failures become JSON error responses.
  Response Handle(const Request& request) const;

  // The JSON error document for a request the transport refused before it
  // could be handled (malformed framing, limits), e.g. Error(413, "...").
  static Response Error(int status, std::string message);

  // Transports report connections here; GET /metrics shows them.
  Metrics& metrics() const { return metrics_; }

 private:
  // Runs stage number `stage`; a stage answers the request or calls
  // Next(next, ...) to pass it on.
  Response Next(size_t stage, const Request& req, RequestContext& ctx) const;
  Response Observe(const Request& req, RequestContext& ctx, size_t next) const;
  Response MarkDeprecated(const Request& req, RequestContext& ctx, size_t next) const;
  Response Cors(const Request& req, RequestContext& ctx, size_t next) const;
  Response Guard(const Request& req, RequestContext& ctx, size_t next) const;
  Response ServePublic(const Request& req, RequestContext& ctx, size_t next) const;
  Response Route(const Request& req, RequestContext& ctx, size_t next) const;
  Response Authenticate(const Request& req, RequestContext& ctx, size_t next) const;
  Response Authorize(const Request& req, RequestContext& ctx, size_t next) const;
  Response RequireJson(const Request& req, RequestContext& ctx, size_t next) const;
  Response Dispatch(const Request& req, RequestContext& ctx, size_t next) const;
  Response ServeMetrics(const Request& req, RequestContext& ctx) const;
  bool OriginAllowed(std::string_view origin) const;

  RegistryService& service_;
  const HandlerOptions options_;
  mutable Metrics metrics_;
};

}  // namespace mr::http
