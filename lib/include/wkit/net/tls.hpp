#pragma once
// TLS settings for wss:// and https:// (docs/tls.md). Built once per process
// from the command line; every connection of a command shares them.
#include <memory>
#include <string>

#include "wkit/util/error.hpp"

namespace boost::asio::ssl {
class context;
}
struct ssl_st;  // OpenSSL's SSL

namespace wkit::net {

struct ClientTlsOptions {
  std::string ca_file;      // PEM bundle to trust instead of the system store ("" = system)
  bool insecure = false;    // no certificate or host name check (tests, self-signed labs)
  std::string server_name;  // SNI and the name checked ("" = the URL's host)
};

struct ServerTlsOptions {
  std::string cert_file;  // PEM certificate chain, leaf first
  std::string key_file;   // PEM private key of the leaf
};

class ClientTls {
 public:
  // Errors (unreadable CA file, no certificate in it) are usage errors naming the file.
  static Result<std::shared_ptr<const ClientTls>> create(const ClientTlsOptions& options);
  ~ClientTls();
  boost::asio::ssl::context& context() const { return *ctx_; }
  const ClientTlsOptions& options() const { return options_; }

 private:
  ClientTls(ClientTlsOptions options, std::unique_ptr<boost::asio::ssl::context> ctx);
  ClientTlsOptions options_;
  std::unique_ptr<boost::asio::ssl::context> ctx_;
};

class ServerTls {
 public:
  // Errors (missing file, not PEM, key not matching the certificate) are usage errors naming the file.
  static Result<std::shared_ptr<const ServerTls>> create(const ServerTlsOptions& options);
  ~ServerTls();
  boost::asio::ssl::context& context() const { return *ctx_; }

 private:
  explicit ServerTls(std::unique_ptr<boost::asio::ssl::context> ctx);
  std::unique_ptr<boost::asio::ssl::context> ctx_;
};

// Sets, on a client connection before its handshake, the name sent as SNI
// and the one its certificate must carry: `tls`'s server_name, else
// `url_host`. A DNS name, or an IP address checked against the certificate's
// IP entries (no SNI for an IP, RFC 6066). False if OpenSSL refused it.
bool set_peer_name(ssl_st* ssl, const ClientTls& tls, const std::string& url_host);

// One line for a failed TLS handshake: OpenSSL's reason, plus the certificate
// check's own reason when that is what failed ("certificate has expired").
std::string tls_failure_text(const std::string& openssl_reason, long verify_result);

}  // namespace wkit::net
