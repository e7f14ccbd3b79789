// The httplib transport: reads requests off connections, hands them to the
// RequestHandler and writes its responses back.
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "http/request_handler.h"
#include "http/router.h"
#include "model_registry/http_server.h"

namespace mr {
namespace {

void WriteResponse(const http::Response& from, httplib::Response& to) {
  to.status = from.status;
  for (const http::HeaderField& h : from.headers) to.set_header(h.name, h.value);
  if (!from.content_type.empty()) to.set_content(from.body, from.content_type.c_str());
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(RegistryService& service, ServerOptions options)
      : options_(std::move(options)),
        handler_(service,
                 http::HandlerOptions{options_.enable_hello_endpoint, options_.v1alpha3_sunset}) {
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
      int status = res.status;
      // httplib has no handlers for TRACE/CONNECT and answers them 400; they
      // are well-formed requests for a method no route allows.
      if (status == 400 && (req.method == "TRACE" || req.method == "CONNECT")) status = 405;
      std::string message = "malformed HTTP request";
      if (status == 405) {
        message = "method not allowed";
      } else if (status == 413) {
        message = "request body exceeds the configured limit";
      } else if (status == 414) {
        message = "request URI too long";
      } else if (status == 404) {
        message = "404 page not found";
      } else if (status >= 500) {
        message = "internal server error";
      }
      WriteResponse(http::RequestHandler::Error(status, message), res);
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
          WriteResponse(http::RequestHandler::Error(500, what), res);
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
    http::Request request;
    request.method = req.method;
    request.target = req.target;
    http::ParseTarget(request.target, &request.path, &request.query);
    request.headers.reserve(req.headers.size());
    for (const auto& [name, value] : req.headers) request.headers.push_back({name, value});
    request.body = req.body;
    WriteResponse(handler_.Handle(request), res);
  }

  static constexpr int kListenBacklog = 4096;  // capped by net.core.somaxconn

  const ServerOptions options_;
  const http::RequestHandler handler_;
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
