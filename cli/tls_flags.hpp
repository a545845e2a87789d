#pragma once
// The TLS flags every client and listener shares (docs/tls.md): one
// definition, so `send`, `recv`, `replay`, `proxy` and `serve` spell and
// explain them the same way.
#include <CLI/CLI.hpp>
#include <memory>

#include "wkit/net/tls.hpp"
#include "wkit/net/transport.hpp"

namespace wkit::cli {

inline void add_client_tls_flags(CLI::App* sub, net::ClientTlsOptions& o, const std::string& which = "") {
  const std::string of = which.empty() ? "the server" : which;
  sub->add_option("--ca-file", o.ca_file,
                  "PEM certificates to trust for wss:// and https:// instead of the system's (" + of + ")")
      ->type_name("FILE");
  sub->add_flag("-k,--insecure", o.insecure,
                "wss://, https://: do not check " + of + "'s certificate or name (labs and self-signed setups only)");
  sub->add_option("--tls-server-name", o.server_name,
                  "wss://, https://: the name sent as SNI and checked in the certificate (default: the URL's host)")
      ->type_name("NAME");
}

inline void add_server_tls_flags(CLI::App* sub, net::ServerTlsOptions& o) {
  sub->add_option("--tls-cert", o.cert_file, "PEM certificate chain (leaf first) for wss:// listeners")->type_name("FILE");
  sub->add_option("--tls-key", o.key_file, "PEM private key of --tls-cert")->type_name("FILE");
}

// The client TLS settings for `url`: null for plain URLs when no TLS flag was
// given (a TLS flag with a plain URL is a usage error: it would do nothing).
inline Result<std::shared_ptr<const net::ClientTls>> client_tls_for(const net::Url& url,
                                                                     const net::ClientTlsOptions& o,
                                                                     const std::string& url_flag) {
  const bool any_flag = !o.ca_file.empty() || o.insecure || !o.server_name.empty();
  if (!url.tls()) {
    if (any_flag)
      return Error{ErrorKind::usage,
                   "--ca-file, --insecure and --tls-server-name apply to wss:// and https:// only; " + url_flag + " is " +
                       url.to_string(),
                   std::nullopt};
    return std::shared_ptr<const net::ClientTls>();
  }
  return net::ClientTls::create(o);
}

// The listener TLS settings: null when no listener is wss:// (then
// --tls-cert/--tls-key are a usage error: they would do nothing).
inline Result<std::shared_ptr<const net::ServerTls>> server_tls_for(const std::vector<net::Url>& listeners,
                                                                    const net::ServerTlsOptions& o) {
  bool any_tls = false;
  for (const auto& u : listeners) any_tls |= u.tls();
  if (!any_tls) {
    if (!o.cert_file.empty() || !o.key_file.empty())
      return Error{ErrorKind::usage, "--tls-cert and --tls-key need a wss:// or https:// --listen", std::nullopt};
    return std::shared_ptr<const net::ServerTls>();
  }
  return net::ServerTls::create(o);
}

}  // namespace wkit::cli
