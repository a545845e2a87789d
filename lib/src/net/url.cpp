// URL parsing for `tcp://HOST:PORT` and `ws[s]://HOST:PORT[/PATH]` (docs/cli.md).
#include <charconv>

#include "wkit/net/transport.hpp"

namespace wkit::net {

namespace {

Error bad_url(std::string_view text, std::string_view why) {
  return Error{ErrorKind::usage,
               "bad address '" + std::string(text) + "': " + std::string(why) +
                   " (expected tcp://HOST:PORT, ws[s]://HOST:PORT[/PATH] or, for serve's HTTP API, http[s]://HOST:PORT)",
               std::nullopt};
}

}  // namespace

Result<Url> Url::parse(std::string_view text) {
  Url url;
  std::string_view rest;
  if (text.starts_with("tcp://")) {
    url.scheme = Scheme::tcp;
    rest = text.substr(6);
  } else if (text.starts_with("ws://")) {
    url.scheme = Scheme::ws;
    rest = text.substr(5);
  } else if (text.starts_with("wss://")) {
    url.scheme = Scheme::wss;
    rest = text.substr(6);
  } else if (text.starts_with("http://")) {
    url.scheme = Scheme::http;
    rest = text.substr(7);
  } else if (text.starts_with("https://")) {
    url.scheme = Scheme::https;
    rest = text.substr(8);
  } else {
    return bad_url(text, "unknown scheme");
  }
  // Split the authority from a ws path.
  std::string_view authority = rest;
  auto slash = rest.find('/');
  if (slash != std::string_view::npos) {
    if (url.scheme == Scheme::tcp) return bad_url(text, "tcp:// takes no path");
    if (url.http() && rest.substr(slash) != "/") return bad_url(text, "an HTTP API address takes no path");
    authority = rest.substr(0, slash);
    url.path = std::string(rest.substr(slash));
  }
  std::string_view host, port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad_url(text, "missing ']' after IPv6 host");
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad_url(text, "expected ':' after ']'");
      port = after.substr(1);
    } else {
      return bad_url(text, "missing port");
    }
  } else {
    auto colon = authority.rfind(':');
    if (colon == std::string_view::npos) return bad_url(text, "missing port");
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return bad_url(text, "IPv6 hosts must be in brackets, like [::1]");
  }
  if (host.empty()) return bad_url(text, "missing host");
  if (port.empty()) return bad_url(text, "missing port");
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || p != port.data() + port.size() || value > 65535)
    return bad_url(text, "port '" + std::string(port) + "' is not a number 0..65535");
  url.host = std::string(host);
  url.port = static_cast<uint16_t>(value);
  return url;
}

std::string Url::to_string() const {
  std::string out = std::string(scheme_name(scheme)) + "://";
  if (host.find(':') != std::string::npos) out += "[" + host + "]";
  else out += host;
  out += ":" + std::to_string(port);
  if (websocket() && path != "/") out += path;
  return out;
}

std::string_view scheme_name(Url::Scheme s) {
  switch (s) {
    case Url::Scheme::tcp: return "tcp";
    case Url::Scheme::ws: return "ws";
    case Url::Scheme::wss: return "wss";
    case Url::Scheme::http: return "http";
    case Url::Scheme::https: return "https";
  }
  return "tcp";
}

}  // namespace wkit::net
