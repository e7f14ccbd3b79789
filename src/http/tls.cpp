#include "http/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace mr::http {
namespace {

namespace ssl = boost::asio::ssl;

Status CheckReadable(const std::string& path, const char* flag) {
  errno = 0;
  std::ifstream in(path);
  char byte;
  if (!in || !in.get(byte)) {
    int err = errno;
    return Status::Unavailable(std::string(flag) + ": cannot read " + path +
                               (err != 0 ? std::string(": ") + std::strerror(err) : ""));
  }
  return Status::Ok();
}

Result<std::shared_ptr<ssl::context>> LoadContext(const std::string& cert_file,
                                                  const std::string& key_file) {
  MR_RETURN_IF_ERROR(CheckReadable(cert_file, "--tls-cert"));
  MR_RETURN_IF_ERROR(CheckReadable(key_file, "--tls-key"));
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  // TLS 1.2 is the floor whatever the system's OpenSSL configuration says.
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  // A client may not renegotiate: each renegotiation costs the server a
  // handshake, and no HTTP client needs it.
  context->set_options(static_cast<ssl::context::options>(
      ssl::context::default_workarounds | ssl::context::single_dh_use | SSL_OP_NO_RENEGOTIATION |
      SSL_OP_CIPHER_SERVER_PREFERENCE));
  // An encrypted key would make OpenSSL ask for a passphrase on the terminal;
  // an empty one fails it instead.
  context->set_password_callback(
      [](std::size_t, ssl::context::password_purpose) { return std::string(); });
  boost::system::error_code ec;
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    ERR_clear_error();
    return Status::InvalidArgument("--tls-cert: no PEM certificate in " + cert_file);
  }
  const Status mismatch = Status::InvalidArgument(
      "--tls-key: the key in " + key_file + " does not belong to the certificate in " + cert_file);
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) {
    // OpenSSL checks the key against the certificate as it loads it; Asio
    // took its error off the queue into `ec`.
    const int reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    ERR_clear_error();
    if (reason == X509_R_KEY_VALUES_MISMATCH || reason == X509_R_KEY_TYPE_MISMATCH) {
      return mismatch;
    }
    return Status::InvalidArgument("--tls-key: no unencrypted PEM private key in " + key_file);
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return mismatch;
  }
  return context;
}

}  // namespace

Result<std::unique_ptr<TlsCredentials>> TlsCredentials::Open(std::string cert_file,
                                                             std::string key_file) {
  std::unique_ptr<TlsCredentials> credentials(
      new TlsCredentials(std::move(cert_file), std::move(key_file)));
  MR_RETURN_IF_ERROR(credentials->Reload());
  return credentials;
}

std::shared_ptr<ssl::context> TlsCredentials::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return context_;
}

Status TlsCredentials::Reload() {
  MR_ASSIGN_OR_RETURN(std::shared_ptr<ssl::context> fresh, LoadContext(cert_file_, key_file_));
  std::lock_guard<std::mutex> lock(mu_);
  context_ = std::move(fresh);
  return Status::Ok();
}

}  // namespace mr::http
