// TLS contexts for clients and listeners (docs/tls.md).
#include "wkit/net/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

namespace wkit::net {

namespace ssl = boost::asio::ssl;

namespace {

Error usage(std::string msg) { return Error{ErrorKind::usage, std::move(msg), std::nullopt}; }

// Checks the file can be opened before OpenSSL reports it in its own words.
std::optional<Error> readable(const std::string& path, const std::string& flag) {
  std::ifstream in(path);
  if (!in) return usage(flag + " '" + path + "': cannot open: " + std::strerror(errno));
  return std::nullopt;
}

std::string openssl_reason(const boost::system::error_code& ec) {
  std::string r = ec.message();
  if (auto p = r.find(" ("); p != std::string::npos) r.resize(p);  // "(SSL routines)" adds nothing
  return r;
}

}  // namespace

ClientTls::ClientTls(ClientTlsOptions options, std::unique_ptr<ssl::context> ctx)
    : options_(std::move(options)), ctx_(std::move(ctx)) {}
ClientTls::~ClientTls() = default;

Result<std::shared_ptr<const ClientTls>> ClientTls::create(const ClientTlsOptions& options) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  if (options.insecure) {
    ctx->set_verify_mode(ssl::verify_none);
  } else {
    ctx->set_verify_mode(ssl::verify_peer);
    if (!options.ca_file.empty()) {
      if (auto e = readable(options.ca_file, "--ca-file")) return *e;
      ctx->load_verify_file(options.ca_file, ec);
      if (ec) return usage("--ca-file '" + options.ca_file + "': no PEM certificate in it (" + openssl_reason(ec) + ")");
    } else {
      ctx->set_default_verify_paths(ec);
      if (ec) return usage("cannot load the system's trusted certificates: " + openssl_reason(ec) + " (give --ca-file)");
    }
  }
  return std::shared_ptr<const ClientTls>(new ClientTls(options, std::move(ctx)));
}

ServerTls::ServerTls(std::unique_ptr<ssl::context> ctx) : ctx_(std::move(ctx)) {}
ServerTls::~ServerTls() = default;

Result<std::shared_ptr<const ServerTls>> ServerTls::create(const ServerTlsOptions& options) {
  if (options.cert_file.empty() || options.key_file.empty())
    return usage("a TLS listener (wss://, https://) needs both --tls-cert and --tls-key");
  if (auto e = readable(options.cert_file, "--tls-cert")) return *e;
  if (auto e = readable(options.key_file, "--tls-key")) return *e;
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(options.cert_file, ec);
  if (ec) return usage("--tls-cert '" + options.cert_file + "': not a PEM certificate chain (" + openssl_reason(ec) + ")");
  ctx->use_private_key_file(options.key_file, ssl::context::pem, ec);
  if (ec && openssl_reason(ec).find("mismatch") != std::string::npos)
    return usage("--tls-key '" + options.key_file + "' does not match the certificate in '" + options.cert_file + "'");
  if (ec) return usage("--tls-key '" + options.key_file + "': not a PEM private key (" + openssl_reason(ec) + ")");
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    return usage("--tls-key '" + options.key_file + "' does not match the certificate in '" + options.cert_file + "'");
  }
  return std::shared_ptr<const ServerTls>(new ServerTls(std::move(ctx)));
}

namespace {

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

bool set_peer_name(SSL* ssl, const ClientTls& tls, const std::string& url_host) {
  const std::string& name = tls.options().server_name.empty() ? url_host : tls.options().server_name;
  if (is_ip_literal(name)) {
    if (tls.options().insecure) return true;
    return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1;
  }
  if (SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) return false;
  return tls.options().insecure || SSL_set1_host(ssl, name.c_str()) == 1;
}

std::string tls_failure_text(const std::string& reason, long verify_result) {
  std::string out = "TLS handshake failed: " + reason;
  if (verify_result != X509_V_OK) out += ": " + std::string(X509_verify_cert_error_string(verify_result));
  return out;
}

}  // namespace wkit::net
