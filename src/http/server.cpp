// httplib glue: request guards (NUL bytes, body size), CORS, health routes,
// dispatch through the route table, and one error path.
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "http/error_mapping.h"
#include "http/json_codec.h"
#include "http/router.h"
#include "model_registry/http_server.h"

namespace mr {
namespace {

using http::kApiBasePath;

constexpr const char* kJsonContentType = "application/json; charset=UTF-8";
constexpr const char* kTextContentType = "text/plain; charset=utf-8";
constexpr const char* kNulByteText = "\\u0000";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool HasNulByte(std::string_view s) {
  return s.find('\0') != std::string_view::npos || s.find(kNulByteText) != std::string_view::npos;
}

void WriteJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(http::Dump(body) + "\n", kJsonContentType);
}

void WriteError(httplib::Response& res, const Status& status) {
  http::HttpError e = http::ToHttpError(status);
  WriteJson(res, e.status, {{"code", e.code}, {"message", e.message}});
}

void WriteError(httplib::Response& res, int status, const char* code, std::string message) {
  WriteJson(res, status, {{"code", code}, {"message", std::move(message)}});
}

// CORS as upstream's go-chi/cors, plus PATCH (quirk #17).
constexpr const char* kAllowedMethods = "GET, POST, PUT, DELETE, OPTIONS, PATCH";
constexpr const char* kAllowedHeaders =
    "Accept, Authorization, Content-Type, X-CSRF-Token, X-PINGOTHER";

bool AllowedOrigin(const std::string& origin) {
  return origin.rfind("http://", 0) == 0 || origin.rfind("https://", 0) == 0;
}

}  // namespace

std::vector<RouteInfo> ListRoutes() {
  std::vector<RouteInfo> out;
  for (const http::Route& r : http::ApiRoutes()) {
    out.push_back({r.method, std::string(kApiBasePath) + r.path, r.operation_id});
  }
  const std::string base(kApiBasePath);
  out.push_back({"GET", base + "/readyz/health", "readyzHealth"});
  out.push_back({"GET", base + "/readyz/isDirty", "readyzIsDirty"});
  out.push_back({"GET", base + "/openapi.yaml", "getOpenAPISpec"});
  return out;
}

class HttpServer::Impl {
 public:
  Impl(RegistryService& service, ServerOptions options)
      : service_(service), options_(std::move(options)) {
    const int threads = std::max(1, options_.threads);
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_.set_payload_max_length(options_.max_body_bytes);
    server_.set_read_timeout(options_.read_timeout_seconds, 0);
    server_.set_write_timeout(options_.write_timeout_seconds, 0);
    // httplib answers a half-read request with a 400 and then waits for the
    // next request on that connection, so a stalled client held its worker
    // for read + keep-alive timeout. Silence is bounded by one number.
    server_.set_keep_alive_timeout(
        std::min(options_.keep_alive_timeout_seconds, options_.read_timeout_seconds));
    server_.set_keep_alive_max_count(options_.keep_alive_max_requests);
    server_.set_tcp_nodelay(true);
    // httplib calls this for the listening socket only; keep its fd so Bind()
    // can raise the backlog.
    server_.set_socket_options([this](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      listen_fd_ = sock;
    });

    // Every request goes through our own route table; httplib only reads it.
    // (A pre-routing handler would run before the body is read.)
    auto handle = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
    // std::regex's '.' excludes line terminators, and paths may carry an
    // encoded CR or LF; this pattern matches every path.
    const std::string any_path = R"([\s\S]*)";
    server_.Get(any_path, handle);
    server_.Post(any_path, handle);
    server_.Patch(any_path, handle);
    server_.Put(any_path, handle);
    server_.Delete(any_path, handle);
    server_.Options(any_path, handle);
    server_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      // httplib has no handlers for TRACE/CONNECT and answers them 400; they
      // are well-formed requests for a method no route allows.
      if (res.status == 400 && (req.method == "TRACE" || req.method == "CONNECT")) {
        res.status = 405;
      }
      if (res.status == 405) {
        WriteError(res, 405, "Method Not Allowed", "method not allowed");
      } else if (res.status == 413) {
        WriteError(res, Status::PayloadTooLarge("request body exceeds the configured limit"));
      } else if (res.status == 414) {
        WriteError(res, 414, "Request-URI Too Long", "request URI too long");
      } else if (res.status == 404) {
        WriteError(res, 404, "Not Found", "404 page not found");
      } else if (res.status >= 400 && res.status < 500) {
        WriteError(res, res.status, "Bad Request", "malformed HTTP request");
      } else {
        WriteError(res, res.status, "Internal Server Error", "internal server error");
      }
    });
    server_.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "unexpected error";
          try {
            if (ep) std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          WriteError(res, Status::Internal(what));
        });
  }

  Result<int> Bind() {
    int port = options_.port;
    if (port == 0) {
      port = server_.bind_to_any_port(options_.hostname);
      if (port < 0) return Status::Unavailable("cannot bind to " + options_.hostname);
    } else if (!server_.bind_to_port(options_.hostname, port)) {
      return Status::Unavailable("cannot bind to " + options_.hostname + ":" +
                                 std::to_string(port));
    }
    // Debian's httplib is compiled with a listen backlog of 5, so a burst of
    // simultaneous connects overflowed the accept queue and clients saw
    // resets. Linux applies a second listen() to the new backlog.
    if (listen_fd_ >= 0) listen(listen_fd_, kListenBacklog);
    return port;
  }

  void Serve() { server_.listen_after_bind(); }
  void Stop() { server_.stop(); }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    // CORS response headers for browser callers; a preflight ends here.
    std::string origin = req.get_header_value("Origin");
    bool cors = !origin.empty() && AllowedOrigin(origin);
    if (cors) {
      res.set_header("Access-Control-Allow-Origin", origin);
      res.set_header("Vary", "Origin");
      res.set_header("Access-Control-Expose-Headers", "Link");
    }
    if (req.method == "OPTIONS" && req.has_header("Access-Control-Request-Method")) {
      if (cors) {
        res.set_header("Access-Control-Allow-Methods", kAllowedMethods);
        res.set_header("Access-Control-Allow-Headers", kAllowedHeaders);
        res.set_header("Access-Control-Max-Age", "300");
      }
      res.status = 200;
      return;
    }

    const std::string& path = req.path;
    if (options_.enable_hello_endpoint && path == "/hello") {
      res.status = 200;
      res.set_content("{\"hello\":\"world\"}\n", kJsonContentType);
      return;
    }

    // Null-byte guard (§1.3), before anything reads the values.
    for (const auto& [name, value] : req.params) {
      if (HasNulByte(value) || HasNulByte(name)) {
        WriteError(res,
                   Status::InvalidArgument("Invalid " + name + " query parameter: invalid " + name +
                                           " parameter: contains null bytes which are not "
                                           "allowed"));
        return;
      }
    }
    // No API parameter is a list: a repeated one is ambiguous, not "the first".
    for (auto it = req.params.begin(); it != req.params.end();) {
      auto next = req.params.upper_bound(it->first);
      if (std::next(it) != next) {
        WriteError(res, Status::InvalidArgument("Invalid " + it->first +
                                                " query parameter: given " + "more than once"));
        return;
      }
      it = next;
    }
    if (HasNulByte(req.body)) {
      WriteError(res,
                 Status::InvalidArgument("Request body contains null bytes which are not allowed"));
      return;
    }

    // Health routes are matched by suffix, before API routing (§1.2).
    if (EndsWith(path, "/readyz/isDirty") || EndsWith(path, "/readyz/health")) {
      if (req.method != "GET") {
        WriteError(res, 405, "Method Not Allowed", "method not allowed");
        return;
      }
      Status health = service_.CheckHealth();
      if (req.get_param_value("format") == "json") {
        nlohmann::json check = {{"Name", "database"},
                                {"Status", health.ok() ? "pass" : "fail"},
                                {"Message", health.ok() ? "" : health.message()}};
        WriteJson(res, health.ok() ? 200 : 503,
                  {{"status", health.ok() ? "pass" : "fail"}, {"checks", {{"database", check}}}});
        return;
      }
      res.status = health.ok() ? 200 : 503;
      res.set_content(health.ok() ? "OK" : health.message(), kTextContentType);
      return;
    }

    if (path.rfind(kApiBasePath, 0) != 0 ||
        (path.size() > kApiBasePath.size() && path[kApiBasePath.size()] != '/')) {
      WriteError(res, 404, "Not Found", "404 page not found");
      return;
    }
    std::string_view relative = std::string_view(path).substr(kApiBasePath.size());
    if (relative == "/openapi.yaml") {
      if (req.method != "GET") {
        WriteError(res, 405, "Method Not Allowed", "method not allowed");
        return;
      }
      res.status = 200;
      res.set_content(OpenApiSpecText(), "application/yaml");
      return;
    }
    // HEAD is GET without a body (httplib drops the body when writing).
    http::RouteMatch match = http::MatchRoute(req.method == "HEAD" ? "GET" : req.method, relative);
    if (match.route == nullptr) {
      if (match.path_known) {
        WriteError(res, 405, "Method Not Allowed", "method not allowed");
      } else {
        WriteError(res, 404, "Not Found", "404 page not found");
      }
      return;
    }
    http::ApiRequest api_request;
    api_request.path_params = std::move(match.params);
    api_request.query = &req.params;
    api_request.body = &req.body;
    Result<http::ApiReply> reply = match.route->handler(service_, api_request);
    if (!reply.ok()) {
      WriteError(res, reply.status());
      return;
    }
    res.status = reply->status;
    reply->body += '\n';
    res.set_content(std::move(reply->body), kJsonContentType);
  }

  static constexpr int kListenBacklog = 4096;  // capped by net.core.somaxconn

  RegistryService& service_;
  const ServerOptions options_;
  socket_t listen_fd_ = -1;
  httplib::Server server_;
};

HttpServer::HttpServer(RegistryService& service, ServerOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {}
HttpServer::~HttpServer() = default;
Result<int> HttpServer::Bind() { return impl_->Bind(); }
void HttpServer::Serve() { impl_->Serve(); }
void HttpServer::Stop() { impl_->Stop(); }

}  // namespace mr
