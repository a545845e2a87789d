#pragma once
// Pieces shared by `wkit send` and `wkit recv` flag handling (no CLI11 here):
// identity defaults, device flags, atomic file output.
#include <string>
#include <string_view>

#include "wkit/net/transport.hpp"
#include "wkit/session/client_session.hpp"
#include "wkit/util/error.hpp"

namespace wkit::app {

// The identity and connection flags `send` and `recv` share (docs/cli.md).
struct ClientFlags {
  std::string server;  // empty: $WKIT_SERVER, else tcp://127.0.0.1:5100
  std::string uid, token, device_flag = "app", device_id;
  int proto_version = 6;
  bool no_encrypt = false;
  net::ClientTlsOptions tls;  // wss:// only
};
// Resolves --server with its defaults. Errors are usage errors.
Result<net::Url> resolve_server(const ClientFlags& f);
// Fills `cfg` from the flags: token from $WKIT_TOKEN when empty, device_id
// "<default_device_prefix>-<pid>" when empty. Errors are usage errors.
Status apply_client_flags(const ClientFlags& f, std::string_view default_device_prefix, session::ClientConfig& cfg);

// "app", "web", "pc", "system" or a number 0..255.
Result<uint8_t> parse_device_flag(std::string_view text);
// Exit code for an error kind (docs/cli.md).
int exit_code_of(ErrorKind k);

}  // namespace wkit::app
