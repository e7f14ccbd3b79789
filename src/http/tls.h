// File: http/tls.h
//
// The server's TLS certificate and key (--tls-cert / --tls-key): loaded into
// an OpenSSL context that speaks TLS 1.2 and 1.3 only. docs/OPERATIONS.md
// ("TLS") shows the set-up.
//
//   MR_ASSIGN_OR_RETURN(auto tls, TlsCredentials::Open("cert.pem", "key.pem"));
//   auto context = tls->Current();  // for one new connection
//   tls->Reload();                  // on SIGHUP: new connections get the new files
//
// Thread-safety: Current() and Reload() may be called from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "model_registry/status.h"

namespace boost::asio::ssl {
class context;
}

namespace mr::http {

class TlsCredentials {
 public:
  // Loads both files. Errors: kUnavailable (a file cannot be read),
  // kInvalidArgument (no PEM certificate or key in it, an encrypted key, or
  // a key that does not belong to the certificate).
  static Result<std::unique_ptr<TlsCredentials>> Open(std::string cert_file, std::string key_file);

  // The context new connections are made with. A connection keeps its
  // context alive for as long as it lives, across reloads.
  std::shared_ptr<boost::asio::ssl::context> Current() const;

  // Loads the files again. Errors: as Open; the previous context stays in force.
  Status Reload();

 private:
  TlsCredentials(std::string cert_file, std::string key_file)
      : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

  const std::string cert_file_;
  const std::string key_file_;
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> context_;  // guarded by mu_
};

}  // namespace mr::http
