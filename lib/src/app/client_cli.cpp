#include "wkit/app/client_cli.hpp"

#include <charconv>
#include <cstdlib>
#include <unistd.h>

namespace wkit::app {

Result<uint8_t> parse_device_flag(std::string_view text) {
  if (text == "app") return uint8_t(0);
  if (text == "web") return uint8_t(1);
  if (text == "pc") return uint8_t(2);
  if (text == "system") return uint8_t(99);
  unsigned v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size() || v > 255)
    return Error{ErrorKind::usage, "bad --device-flag '" + std::string(text) + "': expected app, web, pc, system or 0..255",
                 std::nullopt};
  return uint8_t(v);
}

Result<net::Url> resolve_server(const ClientFlags& f) {
  std::string server = f.server;
  if (server.empty()) {
    const char* env = std::getenv("WKIT_SERVER");
    server = env && *env ? env : "tcp://127.0.0.1:5100";
  }
  auto url = net::Url::parse(server);
  if (!url) return Error{ErrorKind::usage, url.error().message, std::nullopt};
  return *url;
}

Status apply_client_flags(const ClientFlags& f, std::string_view default_device_prefix, session::ClientConfig& cfg) {
  cfg.uid = f.uid;
  cfg.token = f.token;
  if (cfg.token.empty())
    if (const char* env = std::getenv("WKIT_TOKEN")) cfg.token = env;
  auto df = parse_device_flag(f.device_flag);
  if (!df) return df.error();
  cfg.device_flag = *df;
  cfg.device_id = f.device_id.empty() ? std::string(default_device_prefix) + "-" + std::to_string(::getpid()) : f.device_id;
  cfg.proto_version = f.proto_version;
  cfg.encrypt = !f.no_encrypt;
  return std::nullopt;
}

int exit_code_of(ErrorKind k) {
  switch (k) {
    case ErrorKind::usage: return 2;
    case ErrorKind::connection: return 3;
    case ErrorKind::bad_input: return 4;
    case ErrorKind::internal: return 5;
  }
  return 5;
}

}  // namespace wkit::app
