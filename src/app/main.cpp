// model-registry: the command line. Configuration comes from flags or MR_*
// environment variables (a flag beats its variable), is gathered into
// ServerOptions/SqliteOptions here and nowhere else.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>

#include "app/commands.h"
#include "common/log.h"
#include "http/auth.h"
#include "http/tls.h"
#include "model_registry/http_server.h"
#include "model_registry/postgres_repository.h"
#include "model_registry/registry_service.h"
#include "model_registry/sqlite_repository.h"

#ifndef MR_VERSION
#define MR_VERSION "dev"
#endif

namespace {

// Blocks SIGINT/SIGTERM (stop) and SIGHUP (reload tokens and TLS files) in every thread
// (call before starting any), so that one thread can wait for them.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}

// The storage backend: PostgreSQL when a database URL is given, else SQLite.
struct StorageChoice {
  mr::SqliteOptions sqlite;
  mr::PostgresOptions postgres;   // used when postgres.conninfo is not empty
  int connect_retry_seconds = 0;  // --db-connect-retry
};

// --db-connect-retry (docs/DEPLOYMENT.md): keeps trying to connect for `seconds`, about once a
// second, with one progress line per failed attempt. A stop signal ends the wait at once.
std::function<bool(int, const mr::Status&)> RetryConnectFor(int seconds,
                                                            const sigset_t& stop_signals) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  return [deadline, stop_signals](int attempt, const mr::Status& failure) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::seconds(0)) return false;
    const long left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count();
    std::fprintf(stderr, "model-registry: waiting for the database (attempt %d, %ld s left): %s\n",
                 attempt, (left_ms + 999) / 1000, failure.message().c_str());
    const long pause_ms = std::min(left_ms, 1000L);
    const timespec pause{pause_ms / 1000, (pause_ms % 1000) * 1000000L};
    const int sig = sigtimedwait(&stop_signals, nullptr, &pause);
    if (sig == SIGINT || sig == SIGTERM) {
      std::fprintf(stderr, "model-registry: received %s while waiting for the database\n",
                   sig == SIGINT ? "SIGINT" : "SIGTERM");
      return false;
    }
    return true;
  };
}

mr::Result<std::unique_ptr<mr::Repository>> OpenRepository(const StorageChoice& storage,
                                                           const sigset_t& stop_signals) {
  if (storage.postgres.conninfo.empty()) return mr::OpenSqliteRepository(storage.sqlite);
  mr::PostgresOptions postgres = storage.postgres;
  if (storage.connect_retry_seconds > 0) {
    postgres.retry_connect = RetryConnectFor(storage.connect_retry_seconds, stop_signals);
  }
  return mr::OpenPostgresRepository(postgres);
}

int Serve(mr::ServerOptions& server_options, const StorageChoice& storage,
          const mr::RegistryServiceOptions& service_options) {
  sigset_t stop_signals = BlockStopSignals();

  auto repo = OpenRepository(storage, stop_signals);
  if (!repo.ok()) {
    std::fprintf(stderr, "model-registry: %s\n", repo.status().message().c_str());
    return 1;
  }
  mr::RegistryService service(**repo, service_options);
  server_options.interrupt_queries = [&repo] { (*repo)->InterruptQueries(); };
  mr::HttpServer server(service, server_options);
  auto port = server.Bind();
  if (!port.ok()) {
    std::fprintf(stderr, "model-registry: %s\n", port.status().message().c_str());
    return 1;
  }

  std::thread signal_waiter([&] {
    int sig = 0;
    for (;;) {
      sigwait(&stop_signals, &sig);
      if (sig != SIGHUP) break;
      if (server_options.tls) {
        mr::Status reloaded = server_options.tls->Reload();
        mr::Logger::Get().Write(
            reloaded.ok() ? mr::LogLevel::kInfo : mr::LogLevel::kError,
            reloaded.ok() ? "reloaded the TLS certificate and key" : "kept the old TLS files",
            {{"error", reloaded.ok() ? "" : reloaded.message()}});
      }
      if (!server_options.tokens) continue;
      mr::Status reloaded = server_options.tokens->Reload();
      mr::Logger::Get().Write(reloaded.ok() ? mr::LogLevel::kInfo : mr::LogLevel::kError,
                              reloaded.ok() ? "reloaded the tokens file" : "kept the old tokens",
                              {{"tokens", std::to_string(server_options.tokens->size()), true},
                               {"error", reloaded.ok() ? "" : reloaded.message()}});
    }
    std::fprintf(stderr, "model-registry: received %s, finishing in-flight requests\n",
                 sig == SIGINT ? "SIGINT" : "SIGTERM");
    server.Stop();
  });
  if (!server_options.tokens) {
    mr::Logger::Get().Write(mr::LogLevel::kWarn,
                            "authentication is off: anyone who can reach the port can read and "
                            "write (see --auth-tokens-file)",
                            {});
  }
  // The URL may hold a password, so only the SQLite path is printed.
  const std::string database =
      storage.postgres.conninfo.empty() ? storage.sqlite.path : std::string("PostgreSQL");
  std::fprintf(stderr, "model-registry %s listening on %s://%s:%d (database %s)\n", MR_VERSION,
               server_options.tls ? "https" : "http", server_options.hostname.c_str(), *port,
               database.c_str());
  server.Serve();
  // Serve() also returns if the listener fails; make sure the waiter ends.
  pthread_kill(signal_waiter.native_handle(), SIGTERM);
  signal_waiter.join();
  repo->reset();  // closes every connection; the WAL is checkpointed on close
  std::fprintf(stderr, "model-registry: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Kubeflow Model Registry REST API (v1, and the deprecated v1alpha3) with embedded "
      "SQLite storage",
      "model-registry"};
  app.set_version_flag("--version", std::string("model-registry ") + MR_VERSION);
  app.require_subcommand(1);

  mr::ServerOptions server_options;
  StorageChoice storage;
  mr::SqliteOptions& db_options = storage.sqlite;
  mr::RegistryServiceOptions service_options;
  int max_body_kib = static_cast<int>(server_options.max_body_bytes / 1024);

  CLI::App* serve = app.add_subcommand("serve", "Serve the REST API");
  serve->add_option("-n,--hostname", server_options.hostname, "Address to listen on")
      ->envname("MR_HOSTNAME")
      ->capture_default_str();
  serve->add_option("-p,--port", server_options.port, "Port to listen on (0: any free port)")
      ->envname("MR_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  serve->add_option("--db-file", db_options.path, "SQLite database file (created if missing)")
      ->envname("MR_DB_FILE")
      ->capture_default_str();
  // PostgreSQL (docs/DEPLOYMENT.md): several replicas may share one database.
  serve
      ->add_option("--database-url", storage.postgres.conninfo,
                   "PostgreSQL connection URI or libpq key=value string; selects PostgreSQL "
                   "instead of the SQLite --db-file")
      ->envname("MR_DATABASE_URL");
  serve
      ->add_option("--db-max-connections", storage.postgres.max_connections,
                   "Most PostgreSQL connections this process opens")
      ->envname("MR_DB_MAX_CONNECTIONS")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  serve
      ->add_option("--db-connect-retry", storage.connect_retry_seconds,
                   "Seconds to keep retrying the first PostgreSQL connection (0: fail at once)")
      ->envname("MR_DB_CONNECT_RETRY")
      ->check(CLI::Range(0, 86400))
      ->capture_default_str();
  serve
      ->add_option("--threads", server_options.threads,
                   "Most HTTP worker threads (about one per core run at once)")
      ->envname("MR_THREADS")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  serve->add_option("--max-body-kib", max_body_kib, "Largest accepted request body, in KiB")
      ->envname("MR_MAX_BODY_KIB")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  serve
      ->add_option("--read-timeout", server_options.read_timeout_seconds,
                   "Seconds a client may stay silent mid-request before it is dropped")
      ->envname("MR_READ_TIMEOUT")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  // Transport limits (docs/RELIABILITY.md, "The front door").
  serve
      ->add_option("--io-threads", server_options.io_threads,
                   "Socket I/O threads (0: one per core)")
      ->envname("MR_IO_THREADS")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  serve
      ->add_option("--header-timeout", server_options.header_timeout_seconds,
                   "Seconds a client has to send a complete request head")
      ->envname("MR_HEADER_TIMEOUT")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve
      ->add_option("--body-timeout", server_options.body_timeout_seconds,
                   "Seconds a client has to send a request body after its head")
      ->envname("MR_BODY_TIMEOUT")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve
      ->add_option("--keep-alive-timeout", server_options.keep_alive_timeout_seconds,
                   "Seconds an idle keep-alive connection stays open")
      ->envname("MR_KEEP_ALIVE_TIMEOUT")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve
      ->add_flag("--sync-full", db_options.synchronous_full,
                 "fsync every commit (survives power loss, slower writes)")
      ->envname("MR_SYNC_FULL");
  // Per-request cost bounds (docs/RELIABILITY.md, "Bounded cost per request").
  double query_timeout_seconds = db_options.query_timeout_ms / 1000.0;
  serve
      ->add_option("--query-timeout", query_timeout_seconds,
                   "Seconds one read query may run before it is interrupted (503)")
      ->envname("MR_QUERY_TIMEOUT")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  serve
      ->add_option("--max-page-size", service_options.max_page_size,
                   "Most items in one list page (lists without pageSize get this many)")
      ->envname("MR_MAX_PAGE_SIZE")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  // Shutdown (docs/RELIABILITY.md, "Shutdown").
  double shutdown_grace_seconds = server_options.stop_grace_milliseconds / 1000.0;
  serve
      ->add_option("--shutdown-grace", shutdown_grace_seconds,
                   "Seconds requests in flight get to finish after SIGTERM before their queries "
                   "are interrupted (503); the process exits at most 0.4 s later")
      ->envname("MR_SHUTDOWN_GRACE")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  serve->add_flag("--hello-endpoint", server_options.enable_hello_endpoint,
                  "Serve GET /hello (benchmark ceiling)");
  std::string v1alpha3_sunset;
  serve
      ->add_option("--v1alpha3-sunset", v1alpha3_sunset,
                   "Date (YYYY-MM-DD) sent as the Sunset header of the deprecated v1alpha3 API")
      ->envname("MR_V1ALPHA3_SUNSET");

  // Production operation (docs/OPERATIONS.md).
  std::string tokens_file;
  serve
      ->add_option("--auth-tokens-file", tokens_file,
                   "Bearer tokens, one 'ROLE NAME sha256:HEX' line each; unset: no authentication")
      ->envname("MR_AUTH_TOKENS_FILE");
  bool metrics_open = false;
  serve
      ->add_flag("--metrics-open", metrics_open,
                 "Serve GET /metrics without a token even when authentication is on")
      ->envname("MR_METRICS_OPEN");
  serve
      ->add_option("--cors-allowed-origins", server_options.cors_allowed_origins,
                   "Origins allowed to call from a browser (comma-separated); unset: any")
      ->envname("MR_CORS_ALLOWED_ORIGINS")
      ->delimiter(',');
  // HTTPS (docs/OPERATIONS.md, "TLS").
  std::string tls_cert_file, tls_key_file;
  serve
      ->add_option("--tls-cert", tls_cert_file,
                   "PEM certificate (chain) to serve HTTPS with; needs --tls-key")
      ->envname("MR_TLS_CERT");
  serve->add_option("--tls-key", tls_key_file, "PEM private key of --tls-cert")
      ->envname("MR_TLS_KEY");
  std::string log_format = "text";
  std::string log_level = "info";
  serve->add_option("--log-format", log_format, "Log lines as text or json")
      ->envname("MR_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  serve->add_option("--log-level", log_level, "debug, info (one line per request), warn or error")
      ->envname("MR_LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();

  app.add_subcommand("routes", "Print every served route (METHOD PATH operationId) and exit");

  // The other commands live in src/app/cli_*.cpp; a parsed one sets `selected`.
  mr::app::CommandRunner selected;
  mr::app::AddAdminCommands(app, selected);
  mr::app::AddClientCommands(app, selected);
  mr::app::AddOperationsCommands(app, selected);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here as "errors" with exit code 0.
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "model-registry: %s (see --help)\n", e.what());
    return mr::kExitUsage;
  }
  if (selected) return selected();

  if (app.got_subcommand("routes")) {
    for (const mr::RouteInfo& r : mr::ListRoutes()) {
      std::printf("%s %s %s\n", r.method.c_str(), r.path.c_str(), r.operation_id.c_str());
    }
    return 0;
  }
  server_options.max_body_bytes = static_cast<size_t>(max_body_kib) * 1024;
  server_options.stop_grace_milliseconds = static_cast<int>(shutdown_grace_seconds * 1000.0 + 0.5);
  db_options.query_timeout_ms = static_cast<int>(query_timeout_seconds * 1000.0 + 0.5);
  storage.postgres.query_timeout_ms = db_options.query_timeout_ms;
  if (!v1alpha3_sunset.empty()) {
    mr::Result<std::string> sunset = mr::SunsetFromDate(v1alpha3_sunset);
    if (!sunset.ok()) {
      std::fprintf(stderr, "model-registry: --v1alpha3-sunset: %s\n",
                   sunset.status().message().c_str());
      return 2;
    }
    server_options.v1alpha3_sunset = *sunset;
  }
  mr::Logger::Configure(*mr::LogFormatFromName(log_format), *mr::LogLevelFromName(log_level));
  server_options.version = MR_VERSION;
  server_options.metrics_need_token = !metrics_open;
  if (!tokens_file.empty()) {
    auto tokens = mr::http::TokenStore::Open(tokens_file);
    if (!tokens.ok()) {
      std::fprintf(stderr, "model-registry: --auth-tokens-file: %s\n",
                   tokens.status().message().c_str());
      return 2;
    }
    server_options.tokens = std::move(*tokens);
  }
  if (tls_cert_file.empty() != tls_key_file.empty()) {
    std::fprintf(stderr, "model-registry: --tls-cert and --tls-key go together: give both\n");
    return 2;
  }
  if (!tls_cert_file.empty()) {
    auto tls = mr::http::TlsCredentials::Open(tls_cert_file, tls_key_file);
    if (!tls.ok()) {
      std::fprintf(stderr, "model-registry: %s\n", tls.status().message().c_str());
      return 2;
    }
    server_options.tls = std::move(*tls);
  }
  return Serve(server_options, storage, service_options);
}
