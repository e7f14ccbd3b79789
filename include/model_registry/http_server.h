// File: model_registry/http_server.h
//
// The HTTP adapter: the Kubeflow Model Registry REST API, v1 and the deprecated
// v1alpha3, on top of a RegistryService. Routing is a table (src/http/routes.cpp); handlers only
// parse, call the service and encode.
//
//   HttpServer server(service, options);
//   MR_ASSIGN_OR_RETURN(int port, server.Bind());
//   std::thread stopper([&] { WaitForSignal(); server.Stop(); });
//   server.Serve();  // returns after Stop(), once in-flight requests finish
//
// Thread-safety: Stop() may be called from any thread; the rest from one.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model_registry/registry_service.h"
#include "model_registry/status.h"

namespace mr {

namespace http {
class TokenStore;
class TlsCredentials;
}  // namespace http

struct ServerOptions {
  std::string hostname = "localhost";
  int port = 8080;  // 0: an ephemeral port
  // Most threads that run request handlers. Connections do not hold one: a
  // request takes a worker only while it is being handled. About one per core
  // run at once; more start while some wait on the database or run long
  // (http/worker_pool.h).
  int threads = 16;
  // Threads reading and writing sockets; 0: one per hardware thread.
  int io_threads = 0;
  // Requests whose decoded body would exceed this are answered with 413 as
  // soon as the limit is crossed (a larger Content-Length at once).
  size_t max_body_bytes = 1 << 20;
  // The request head (request line and header fields) must be complete this
  // long after the connection opens or the request's first byte arrives,
  // however it trickles in.
  int header_timeout_seconds = 5;
  // A client that sends nothing for this long mid-request is disconnected.
  int read_timeout_seconds = 5;
  // The body must be complete this long after its head.
  int body_timeout_seconds = 30;
  int write_timeout_seconds = 5;
  // Idle keep-alive connections are closed after this long.
  int keep_alive_timeout_seconds = 5;
  // Requests served on one connection before it is closed.
  int keep_alive_max_requests = 10000;
  // Head limits: larger heads or more fields are answered with 431, a longer
  // request-target with 414.
  size_t max_header_bytes = 16 * 1024;
  size_t max_header_count = 100;
  size_t max_target_bytes = 8192;
  // After Stop(), requests in flight get this long to be answered. Then
  // interrupt_queries (when set) is called so that those still running end
  // (503), they get 400 ms more to be answered, and Serve() closes every
  // connection and returns (docs/RELIABILITY.md, "Shutdown").
  int stop_grace_milliseconds = 1500;
  // Ends the queries of requests still running, e.g. Repository::
  // InterruptQueries. Called from Serve()'s thread, possibly several times.
  std::function<void()> interrupt_queries;
  // Answer GET /hello with a constant body: the benchmark's ceiling.
  bool enable_hello_endpoint = false;
  // When set, the date v1alpha3 goes away, sent as its Sunset header: an
  // IMF-fixdate such as "Wed, 30 Jun 2027 00:00:00 GMT" (see SunsetFromDate).
  std::string v1alpha3_sunset;
  // Bearer tokens (--auth-tokens-file); null: authentication off. The caller
  // keeps it alive and may Reload() it while the server runs.
  std::shared_ptr<http::TokenStore> tokens;
  // Certificate and key (--tls-cert/--tls-key); null: plain HTTP. The caller
  // keeps it alive and may Reload() it while the server runs.
  std::shared_ptr<http::TlsCredentials> tls;
  // With tokens, GET /metrics needs a token of any role unless this is false.
  bool metrics_need_token = true;
  // Origins that get CORS headers; empty: any http(s) origin, as upstream.
  std::vector<std::string> cors_allowed_origins;
  // Reported by GET /metrics as build info.
  std::string version = "dev";
};

struct RouteInfo {
  std::string method;
  std::string path;  // full path, with {param} placeholders
  std::string operation_id;
};

// Every API route this server serves: each version's, the current one first.
std::vector<RouteInfo> ListRoutes();

// Turns an ISO date ("2027-06-30") into the IMF-fixdate of its midnight UTC
// for the Sunset header. Errors: kInvalidArgument for anything else.
Result<std::string> SunsetFromDate(const std::string& iso_date);

class HttpServer {
 public:
  HttpServer(RegistryService& service, ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listening socket. Returns the bound port.
  // Errors: kUnavailable when the address cannot be bound.
  Result<int> Bind();

  // Serves until Stop(). REQUIRES: Bind() succeeded.
  void Serve();

  // Stops accepting and closes idle connections; Serve() returns once the
  // requests in flight are answered (at most stop_grace_milliseconds + 400 ms
  // later for the sockets; handlers already running are always waited for,
  // and interrupt_queries makes them end).
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mr
