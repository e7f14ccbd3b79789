// Operations commands: `token new` writes a bearer token line to a tokens
// file, `healthcheck` asks a running server whether it is ready (the
// container's HEALTHCHECK, which needs no curl in the image).
#include <fcntl.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "app/commands.h"
#include "http/auth.h"

namespace mr::app {
namespace {

int NewToken(const std::string& name, const std::string& role_name, const std::string& file) {
  std::optional<http::Role> role = http::RoleFromName(role_name);
  if (!role) return Fail(kExitUsage, "--role must be read, write or admin");
  // An existing file must parse, so a typo there is not hidden by an append.
  if (access(file.c_str(), F_OK) == 0) {
    Result<http::TokenSet> existing = http::LoadTokenFile(file);
    if (!existing.ok()) return Fail(kExitFailed, existing.status().message());
    if (existing->HasName(name)) {
      return Fail(kExitFailed, "a token named '" + name + "' already exists in " + file);
    }
  }
  Result<http::NewToken> token = http::MakeToken(name, *role);
  if (!token.ok()) return Fail(kExitUsage, token.status().message());
  // 0600: the file holds digests, not secrets, but who may log in is nobody
  // else's business.
  int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(kExitFailed, "cannot write " + file + ": " + std::strerror(errno));
  std::string line = token->line + "\n";
  bool written = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  close(fd);
  if (!written) return Fail(kExitFailed, "cannot write " + file);
  std::printf("%s\n", token->token.c_str());
  std::fprintf(stderr,
               "model-registry: added %s token '%s' to %s; this is the only time the token is "
               "shown (send SIGHUP to a running server to load it)\n",
               role_name.c_str(), name.c_str(), file.c_str());
  return kExitOk;
}

struct HealthCheckOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  // https: the server runs with --tls-cert. Without a CA file the
  // certificate is not verified: the check sends nothing secret and only
  // learns whether the server is ready.
  bool tls = false;
  std::string ca_file;
};

int HealthCheck(const HealthCheckOptions& options) {
  const std::string& host = options.host;
  const int port = options.port;
  const bool tls = options.tls || !options.ca_file.empty();
  if (!options.ca_file.empty() && !std::ifstream(options.ca_file)) {
    return Fail(kExitUsage, "cannot read --ca-file " + options.ca_file);
  }
  httplib::Client client((tls ? "https://" : "http://") + host + ":" + std::to_string(port));
  if (tls) {
    client.enable_server_certificate_verification(!options.ca_file.empty());
    if (!options.ca_file.empty()) client.set_ca_cert_path(options.ca_file.c_str());
  }
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(3, 0);
  httplib::Result result = client.Get("/api/model_registry/v1/readyz/health");
  if (!result) {
    return Fail(kExitUnreachable, "cannot reach " + host + ":" + std::to_string(port) + ": " +
                                      httplib::to_string(result.error()));
  }
  if (result->status != 200) {
    return Fail(kExitFailed, "not ready (" + std::to_string(result->status) +
                                 "): " + result->body.substr(0, 200));
  }
  std::printf("ok\n");
  return kExitOk;
}

}  // namespace

void AddOperationsCommands(CLI::App& app, CommandRunner& selected) {
  CLI::App* token = app.add_subcommand("token", "Manage the bearer tokens of --auth-tokens-file");
  token->require_subcommand(1);
  CLI::App* token_new =
      token->add_subcommand("new", "Create a token, append its line to FILE, print the token");
  auto name = std::make_shared<std::string>();
  auto role = std::make_shared<std::string>("read");
  auto file = std::make_shared<std::string>();
  token_new->add_option("NAME", *name, "Who the token is for (shown in logs)")->required();
  token_new->add_option("--role", *role, "read (GET only), write or admin")->capture_default_str();
  token_new->add_option("--file", *file, "The tokens file to append to")
      ->envname("MR_AUTH_TOKENS_FILE")
      ->required();
  token_new->callback([&selected, name, role, file] {
    selected = [name, role, file] { return NewToken(*name, *role, *file); };
  });

  CLI::App* health = app.add_subcommand(
      "healthcheck", "Exit 0 when the server at HOST:PORT answers its readiness check");
  auto check = std::make_shared<HealthCheckOptions>();
  // The serve command's variable: in a container both commands see it.
  const char* serve_cert = std::getenv("MR_TLS_CERT");
  check->tls = serve_cert != nullptr && *serve_cert != '\0';
  health->add_option("--host", check->host, "Server address")->capture_default_str();
  health->add_option("-p,--port", check->port, "Server port")
      ->envname("MR_PORT")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  health->add_flag("--tls,!--no-tls", check->tls,
                   "Speak HTTPS (default: on when MR_TLS_CERT is set, as for serve); the "
                   "certificate is not verified unless --ca-file is given");
  health
      ->add_option("--ca-file", check->ca_file,
                   "PEM CA bundle that verifies the server's certificate (implies --tls)")
      ->envname("MR_CA_FILE");
  health->callback([&selected, check] { selected = [check] { return HealthCheck(*check); }; });
}

}  // namespace mr::app
