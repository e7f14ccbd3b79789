// The event-driven transport (docs/RELIABILITY.md, "The front door"): a few
// I/O threads, each running its own io_context, read and write every
// connection without blocking; a bounded pool of worker threads runs the
// RequestHandler, whose SQLite calls block. A connection costs a socket, a
// small buffer and a timer, never a thread, so idle, polling or slow clients
// cannot starve anyone. Requests are framed by Beast's parser, fed by hand so
// that every read has a deadline and every limit is checked as bytes arrive.
#include <strings.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include "http/request_handler.h"
#include "http/tls.h"
#include "http/worker_pool.h"
#include "model_registry/http_server.h"

namespace mr {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr int kListenBacklog = 4096;  // capped by net.core.somaxconn
constexpr size_t kReadChunk = 16 * 1024;
// After refusing a request the server stops reading it, but a client that is
// still sending would get a reset and lose the answer; so it drains (and
// discards) this much for this long before closing.
constexpr size_t kLingerBytes = 4 << 20;
constexpr auto kLingerTime = std::chrono::milliseconds(1000);
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);
// After the stop grace, requests still running have their queries interrupted
// and this long to be answered (a 503) before every connection is closed; the
// interruption is repeated this often meanwhile, for statements that started
// after the previous one (docs/RELIABILITY.md, "Shutdown").
constexpr auto kInterruptedAnswerTime = std::chrono::milliseconds(400);
constexpr auto kInterruptRepeat = std::chrono::milliseconds(100);
// A worker busy with one request this long no longer counts as running: the
// pool wakes another for the queued ones (http/worker_pool.h).
constexpr auto kWorkerStall = std::chrono::milliseconds(2);
constexpr const char* kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

bool EqualsIgnoreCase(beast::string_view a, beast::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

beast::string_view Trim(beast::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The file-descriptor soft limit bounds open connections; the hard limit is
// what the administrator allows, so take all of it.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Status line, headers and body of `res` as bytes on the wire.
std::string Serialize(const http::Response& res, bool keep_alive, bool http10, bool head) {
  const bool bodiless = res.status == 204 || res.status == 304 || res.status < 200;
  std::string out;
  out.reserve(160 + res.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(res.status);
  out += ' ';
  beast::string_view reason = bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (const http::HeaderField& h : res.headers) {
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  if (!res.content_type.empty()) {
    out += "Content-Type: ";
    out += res.content_type;
    out += "\r\n";
  }
  if (!bodiless) {
    out += "Content-Length: ";
    out += std::to_string(res.body.size());
    out += "\r\n";
  }
  if (!keep_alive) {
    out += "Connection: close\r\n";
  } else if (http10) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  if (!bodiless && !head) out += res.body;
  return out;
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(RegistryService& service, ServerOptions options)
      : options_(std::move(options)), handler_(service, http::HandlerOptionsFor(options_)) {
    int io_threads = options_.io_threads;
    if (io_threads <= 0) io_threads = static_cast<int>(std::thread::hardware_concurrency());
    io_threads = std::max(1, io_threads);
    for (int i = 0; i < io_threads; ++i) {
      contexts_.push_back(std::make_unique<asio::io_context>(1));
      guards_.emplace_back(asio::make_work_guard(*contexts_.back()));
    }
    acceptor_.emplace(*contexts_.front());
    retry_timer_.emplace(*contexts_.front());
  }

  ~Impl() {
    if (workers_) workers_->Shutdown();
  }

  Result<int> Bind() {
    RaiseOpenFileLimit();
    auto cannot_bind = [this] {
      return Status::Unavailable("cannot bind to " + options_.hostname +
                                 (options_.port == 0 ? "" : ":" + std::to_string(options_.port)));
    };
    beast::error_code ec;
    tcp::resolver resolver(*contexts_.front());
    auto endpoints = resolver.resolve(options_.hostname, std::to_string(options_.port),
                                      tcp::resolver::passive, ec);
    if (ec) return cannot_bind();
    for (const auto& entry : endpoints) {
      ec = {};
      acceptor_->open(entry.endpoint().protocol(), ec);
      if (ec) continue;
      acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
      acceptor_->bind(entry.endpoint(), ec);
      if (!ec) acceptor_->listen(kListenBacklog, ec);
      if (!ec) return static_cast<int>(acceptor_->local_endpoint().port());
      acceptor_->close();
    }
    return cannot_bind();
  }

  void Serve() {
    workers_.emplace(options_.threads, static_cast<int>(std::thread::hardware_concurrency()),
                     kWorkerStall);
    Accept();
    std::vector<std::thread> io;
    for (auto& context : contexts_) io.emplace_back([&context] { context->run(); });
    {
      // Returns once stopped and every connection is gone, or the stop grace
      // has passed: requests in flight get that long to be answered. Those
      // still running then are interrupted and answered (503).
      std::unique_lock<std::mutex> lock(mu_);
      auto all_closed = [this] { return connections_.empty(); };
      stopped_cv_.wait(lock, [this] { return stopping_; });
      if (!stopped_cv_.wait_until(lock, stop_deadline_, all_closed) && options_.interrupt_queries) {
        const auto answer_deadline = stop_deadline_ + kInterruptedAnswerTime;
        std::fprintf(stderr,
                     "model-registry: %zu connections still open after the shutdown grace, "
                     "interrupting their queries\n",
                     connections_.size());
        do {
          lock.unlock();
          options_.interrupt_queries();
          lock.lock();
        } while (!stopped_cv_.wait_until(lock,
                                         std::min(answer_deadline, Clock::now() + kInterruptRepeat),
                                         all_closed) &&
                 Clock::now() < answer_deadline);
      }
    }
    guards_.clear();
    for (auto& context : contexts_) context->stop();
    for (std::thread& t : io) t.join();
    workers_->Shutdown();
  }

  void Stop();

 private:
  class Connection;

  void Accept();

  bool Register(Connection* c) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    connections_.insert(c);
    handler_.metrics().ConnectionOpened();
    return true;
  }

  void Unregister(Connection* c) {
    bool last = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      connections_.erase(c);
      last = stopping_ && connections_.empty();
    }
    handler_.metrics().ConnectionClosed();
    if (last) stopped_cv_.notify_all();
  }

  bool stopping() const { return stopping_flag_.load(std::memory_order_relaxed); }

  const ServerOptions options_;
  const http::RequestHandler handler_;
  // Declared before the io_contexts: connections still queued in them when
  // they are destroyed unregister themselves here.
  std::mutex mu_;
  std::condition_variable stopped_cv_;
  bool stopping_ = false;
  std::atomic<bool> stopping_flag_{false};
  Clock::time_point stop_deadline_;
  std::unordered_set<Connection*> connections_;

  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<asio::steady_timer> retry_timer_;
  size_t next_context_ = 0;
  std::optional<http::WorkerPool> workers_;
};

// One client connection. All of its state is touched only on its io_context's
// thread, except while a worker runs the handler for its current request (the
// connection then waits for nothing else).
class HttpServer::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  // With `tls_context`, the connection speaks TLS (docs/OPERATIONS.md, "TLS").
  Connection(Impl& server, tcp::socket socket, std::shared_ptr<asio::ssl::context> tls_context)
      : server_(server),
        options_(server.options_),
        socket_(std::move(socket)),
        tls_context_(std::move(tls_context)),
        timer_(socket_.get_executor()),
        buffer_(options_.max_header_bytes + 2 * kReadChunk) {
    if (tls_context_) tls_.emplace(socket_, *tls_context_);
  }

  ~Connection() {
    if (registered_) server_.Unregister(this);
  }

  void Start() {
    registered_ = server_.Register(this);
    if (!registered_) return;
    beast::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    // The first request's head is due a header timeout after the connection
    // opens, the TLS handshake included.
    auto head_deadline = Clock::now() + std::chrono::seconds(options_.header_timeout_seconds);
    if (tls_) return Handshake(head_deadline);
    BeginRequest(head_deadline);
  }

  void PostStop() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->OnStop(); });
  }

 private:
  enum class Phase { kIdle, kHead, kBody, kHandling, kWriting, kLingering, kClosed };

  void OnStop() {
    // A request being handled or answered is finished (its answer says
    // Connection: close); anything else is closed now.
    if (phase_ == Phase::kHandling || phase_ == Phase::kWriting) return;
    Close();
  }

  // A client that never completes the handshake (or sends plain HTTP, which
  // fails it) is closed without an answer.
  void Handshake(Clock::time_point head_deadline) {
    phase_ = Phase::kHead;
    phase_deadline_ = head_deadline;
    SetDeadline(head_deadline);
    tls_->async_handshake(asio::ssl::stream_base::server,
                          [self = shared_from_this(), head_deadline](beast::error_code ec) {
                            if (ec) return self->Close();
                            if (self->phase_ == Phase::kClosed) return;
                            self->handshake_done_ = true;
                            self->BeginRequest(head_deadline);
                          });
  }

  template <class Buffers, class Handler>
  void ReadSome(const Buffers& buffers, Handler&& handler) {
    if (tls_) return tls_->async_read_some(buffers, std::forward<Handler>(handler));
    socket_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  template <class Buffers, class Handler>
  void WriteAll(const Buffers& buffers, Handler&& handler) {
    if (tls_) return asio::async_write(*tls_, buffers, std::forward<Handler>(handler));
    asio::async_write(socket_, buffers, std::forward<Handler>(handler));
  }

  // Waits for the next request: `head_deadline` when its head is already due
  // (a new connection), otherwise an idle keep-alive wait comes first.
  void BeginRequest(std::optional<Clock::time_point> head_deadline) {
    parser_.emplace();
    // Our own count decides (see Parse); Beast's limit only bounds one put().
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes + kReadChunk));
    parser_->body_limit(options_.max_body_bytes);
    head_checked_ = false;
    head_bytes_ = 0;
    if (head_deadline) {
      phase_ = Phase::kHead;
      phase_deadline_ = *head_deadline;
    } else if (buffer_.size() > 0) {
      // Pipelined: the next request has started arriving already.
      phase_ = Phase::kHead;
      phase_deadline_ = Clock::now() + std::chrono::seconds(options_.header_timeout_seconds);
    } else {
      phase_ = Phase::kIdle;
      phase_deadline_ = Clock::now() + std::chrono::seconds(options_.keep_alive_timeout_seconds);
    }
    Parse();
  }

  // Feeds buffered bytes to the parser until it needs more or a request is complete.
  void Parse() {
    while (buffer_.size() > 0) {
      beast::error_code ec;
      const bool in_head = !parser_->is_header_done();
      size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (in_head) head_bytes_ += used;
      if (ec == bhttp::error::need_more) break;
      if (ec) return RefuseParseError(ec);
      if (parser_->is_header_done() && !head_checked_) {
        head_checked_ = true;
        if (!CheckHead()) return;
      }
      if (parser_->is_done()) return Dispatch();
      if (used == 0) break;
    }
    // Beast consumes the request line on its own once it is complete, so the
    // head limit is counted here: parsed head bytes plus those still waiting.
    if (!parser_->is_header_done() && head_bytes_ + buffer_.size() > options_.max_header_bytes) {
      return RefuseOversizedHead();
    }
    ReadMore();
  }

  void ReadMore() {
    size_t room = buffer_.max_size() - buffer_.size();
    if (room == 0) {
      // Only a head (or a chunk header) can fill the buffer: bodies are
      // consumed as they arrive.
      if (parser_->is_header_done()) return Refuse(400, "chunk header too large");
      return Refuse(431, "request header fields too large");
    }
    auto deadline = phase_deadline_;
    if (phase_ != Phase::kIdle) {
      deadline =
          std::min(deadline, Clock::now() + std::chrono::seconds(options_.read_timeout_seconds));
    }
    SetDeadline(deadline);
    reading_ = true;
    ReadSome(buffer_.prepare(std::min(room, kReadChunk)),
             [self = shared_from_this()](beast::error_code ec, size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(beast::error_code ec, size_t n) {
    reading_ = false;
    if (read_cancelled_) return;  // RefuseTimedOut() answers instead
    buffer_.commit(n);
    if (ec) return Close();  // the client left, or a deadline passed
    if (phase_ == Phase::kClosed) return;
    if (phase_ == Phase::kIdle) {
      phase_ = Phase::kHead;
      phase_deadline_ = Clock::now() + std::chrono::seconds(options_.header_timeout_seconds);
    }
    Parse();
  }

  // Limits and framing rules Beast's parser does not apply itself. Returns
  // false when parsing must not go on now (refused, or waiting for the
  // 100 Continue to be written).
  bool CheckHead() {
    const auto& msg = parser_->get();
    if (head_bytes_ > options_.max_header_bytes) {
      RefuseOversizedHead();
      return false;
    }
    if (msg.target().size() > options_.max_target_bytes) {
      Refuse(414, "request URI too long");
      return false;
    }
    size_t fields = 0, content_lengths = 0;
    for (const auto& field : msg) {
      ++fields;
      if (field.name() == bhttp::field::content_length) {
        ++content_lengths;
        if (field.value().find(',') != beast::string_view::npos) ++content_lengths;
      }
    }
    if (fields > options_.max_header_count) {
      Refuse(431, "too many request header fields");
      return false;
    }
    if (content_lengths > 1) {
      Refuse(400, "more than one Content-Length");
      return false;
    }
    auto transfer_encoding = msg.find(bhttp::field::transfer_encoding);
    if (transfer_encoding != msg.end() &&
        !EqualsIgnoreCase(Trim(transfer_encoding->value()), "chunked")) {
      Refuse(501, "unsupported Transfer-Encoding");
      return false;
    }
    auto content_encoding = msg.find(bhttp::field::content_encoding);
    if (content_encoding != msg.end() &&
        !EqualsIgnoreCase(Trim(content_encoding->value()), "identity")) {
      Refuse(415, "unsupported Content-Encoding: request bodies must not be compressed");
      return false;
    }
    if (msg.method() == bhttp::verb::trace || msg.method() == bhttp::verb::connect) {
      Refuse(405, "method not allowed");
      return false;
    }
    phase_ = Phase::kBody;
    phase_deadline_ = Clock::now() + std::chrono::seconds(options_.body_timeout_seconds);
    auto expect = msg.find(bhttp::field::expect);
    if (expect != msg.end() && EqualsIgnoreCase(Trim(expect->value()), "100-continue") &&
        !parser_->is_done() && msg.version() >= 11) {
      // The client waits for this before sending the body.
      SetDeadline(Clock::now() + std::chrono::seconds(options_.write_timeout_seconds));
      WriteAll(asio::buffer(kContinue, std::strlen(kContinue)),
               [self = shared_from_this()](beast::error_code ec, size_t) {
                 if (ec) return self->Close();
                 self->Parse();
               });
      return false;
    }
    return true;
  }

  void RefuseParseError(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      return Refuse(413, "request body exceeds the configured limit");
    }
    if (ec == bhttp::error::header_limit) return RefuseOversizedHead();
    Refuse(400, "malformed HTTP request: " + ec.message());
  }

  // The request line counts towards the head limit; one that alone fills it
  // carries a URI too long.
  void RefuseOversizedHead() {
    // head_bytes_ == 0: the request line itself is still incomplete.
    if (head_bytes_ == 0 || parser_->get().target().size() > options_.max_target_bytes) {
      return Refuse(414, "request URI too long");
    }
    Refuse(431, "request header fields too large");
  }

  void Dispatch() {
    auto& msg = parser_->get();
    http::Request request;
    request.method = std::string(msg.method_string());
    request.target = std::string(msg.target());
    http::ParseTarget(request.target, &request.path, &request.query);
    request.headers.reserve(8);
    for (const auto& field : msg) {
      request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    request.body = std::move(msg.body());
    keep_alive_ = msg.keep_alive() && ++served_ < options_.keep_alive_max_requests;
    http10_ = msg.version() < 11;
    head_ = msg.method() == bhttp::verb::head;
    phase_ = Phase::kHandling;
    server_.workers_->Post([self = shared_from_this(), request = std::move(request)]() mutable {
      http::Response response;
      try {
        response = self->server_.handler_.Handle(request);
      } catch (const std::exception& e) {
        response = http::RequestHandler::Error(500, e.what());
      } catch (...) {
        response = http::RequestHandler::Error(500, "unexpected error");
      }
      asio::post(self->socket_.get_executor(),
                 [self, response = std::move(response)] { self->Answer(response); });
    });
  }

  void Answer(const http::Response& response) {
    if (phase_ == Phase::kClosed) return;
    bool keep_alive = keep_alive_ && !server_.stopping();
    Write(Serialize(response, keep_alive, http10_, head_), keep_alive);
  }

  void Refuse(int status, std::string message,
              std::optional<Clock::time_point> deadline = std::nullopt) {
    bool http10 = parser_ && parser_->is_header_done() && parser_->get().version() < 11;
    Write(Serialize(http::RequestHandler::Error(status, std::move(message)), false, http10, false),
          false, deadline);
  }

  // A request that missed its header or body deadline (or went silent for
  // the read timeout) gets 408 before the connection closes, unless the
  // client never sent a byte of it (an unused or idle connection is just
  // closed). The pending read is cancelled first; the 408 gets only the
  // linger time to be written, so a client that does not read cannot hold
  // the connection longer.
  bool RefuseTimedOut() {
    const bool request_started = phase_ == Phase::kBody || head_bytes_ + buffer_.size() > 0;
    if (!reading_ || !request_started || (tls_ && !handshake_done_)) return false;
    std::string message =
        deadline_ < phase_deadline_
            ? "no bytes arrived for " + std::to_string(options_.read_timeout_seconds) +
                  " s in the middle of the request"
        : phase_ == Phase::kBody ? "the request body was not complete within " +
                                       std::to_string(options_.body_timeout_seconds) + " s"
                                 : "the request head was not complete within " +
                                       std::to_string(options_.header_timeout_seconds) + " s";
    read_cancelled_ = true;
    beast::error_code ignored;
    socket_.cancel(ignored);
    Refuse(408, std::move(message), Clock::now() + kLingerTime);
    return true;
  }

  void Write(std::string bytes, bool keep_alive,
             std::optional<Clock::time_point> deadline = std::nullopt) {
    phase_ = Phase::kWriting;
    out_ = std::move(bytes);
    SetDeadline(
        deadline.value_or(Clock::now() + std::chrono::seconds(options_.write_timeout_seconds)));
    WriteAll(asio::buffer(out_),
             [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
               self->OnWritten(ec, keep_alive);
             });
  }

  void OnWritten(beast::error_code ec, bool keep_alive) {
    out_.clear();
    if (ec) return Close();
    if (keep_alive && !server_.stopping()) return BeginRequest(std::nullopt);
    Linger();
  }

  // Half-closes, then drains what the client still sends (a refused body)
  // so that it reads the answer instead of a reset.
  void Linger() {
    if (tls_) return LingerTls();
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    if (server_.stopping()) return Close();
    phase_ = Phase::kLingering;
    linger_left_ = kLingerBytes;
    SetDeadline(Clock::now() + kLingerTime);
    Drain();
  }

  // Sends TLS close_notify and waits, as long as a plain connection lingers,
  // for the client's; OpenSSL discards what the client still sends meanwhile.
  void LingerTls() {
    if (server_.stopping()) return Close();
    phase_ = Phase::kLingering;
    SetDeadline(Clock::now() + kLingerTime);
    tls_->async_shutdown([self = shared_from_this()](beast::error_code) { self->Close(); });
  }

  void Drain() {
    buffer_.clear();
    socket_.async_read_some(
        buffer_.prepare(kReadChunk), [self = shared_from_this()](beast::error_code ec, size_t n) {
          if (ec || n >= self->linger_left_ || self->phase_ != Phase::kLingering) {
            return self->Close();
          }
          self->linger_left_ -= n;
          self->Drain();
        });
  }

  // The pending read or write fails (and the connection closes) once `at`
  // has passed.
  void SetDeadline(Clock::time_point at) {
    deadline_ = at;
    if (timer_waiting_ && timer_at_ <= at) return;  // it fires first and re-arms
    timer_waiting_ = true;
    timer_at_ = at;
    timer_.expires_at(at);  // a wait still pending ends with operation_aborted
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec != asio::error::operation_aborted) self->OnTimer();
    });
  }

  void OnTimer() {
    timer_waiting_ = false;
    if (phase_ == Phase::kClosed || phase_ == Phase::kHandling) return;
    if (Clock::now() >= deadline_) {
      const bool reading_request = phase_ == Phase::kHead || phase_ == Phase::kBody;
      if (reading_request && RefuseTimedOut()) return;
      return Close();
    }
    SetDeadline(deadline_);
  }

  void Close() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    timer_.cancel();
  }

  Impl& server_;
  const ServerOptions& options_;
  tcp::socket socket_;
  std::shared_ptr<asio::ssl::context> tls_context_;  // null: plain HTTP
  std::optional<asio::ssl::stream<tcp::socket&>> tls_;
  // One timer per connection, re-armed only when a deadline moves earlier:
  // arming a timer per read and write cost more than the rest of the
  // transport (docs/BENCHMARKS.md, "The transport").
  asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point timer_at_;
  bool timer_waiting_ = false;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Phase phase_ = Phase::kIdle;
  Clock::time_point phase_deadline_;
  bool registered_ = false;
  bool handshake_done_ = false;  // TLS only
  bool reading_ = false;         // a ReadSome is pending
  bool read_cancelled_ = false;  // by RefuseTimedOut(): OnRead ignores it
  bool head_checked_ = false;
  bool keep_alive_ = false;
  bool http10_ = false;
  bool head_ = false;
  int served_ = 0;
  size_t head_bytes_ = 0;
  size_t linger_left_ = 0;
  std::string out_;
};

void HttpServer::Impl::Accept() {
  asio::io_context& target = *contexts_[next_context_++ % contexts_.size()];
  acceptor_->async_accept(target, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
    if (ec) {
      // Out of descriptors or memory: pause instead of spinning; connections
      // that close meanwhile make room.
      std::fprintf(stderr, "model-registry: accept failed: %s\n", ec.message().c_str());
      retry_timer_->expires_after(kAcceptRetryDelay);
      retry_timer_->async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec) Accept();
      });
      return;
    }
    std::make_shared<Connection>(*this, std::move(socket),
                                 options_.tls ? options_.tls->Current() : nullptr)
        ->Start();
    Accept();
  });
}

void HttpServer::Impl::Stop() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    stopping_flag_ = true;
    stop_deadline_ = Clock::now() + std::chrono::milliseconds(options_.stop_grace_milliseconds);
    for (Connection* c : connections_) {
      if (auto sp = c->weak_from_this().lock()) open.push_back(std::move(sp));
    }
  }
  asio::post(*contexts_.front(), [this] {
    beast::error_code ignored;
    acceptor_->close(ignored);
    retry_timer_->cancel();
  });
  for (auto& c : open) c->PostStop();
  stopped_cv_.notify_all();
}

HttpServer::HttpServer(RegistryService& service, ServerOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {}
HttpServer::~HttpServer() = default;
Result<int> HttpServer::Bind() { return impl_->Bind(); }
void HttpServer::Serve() { impl_->Serve(); }
void HttpServer::Stop() { impl_->Stop(); }

}  // namespace mr
