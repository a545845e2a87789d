// wss:// end to end (docs/tls.md): `wkit serve` and `wkit proxy` listening
// with TLS, `send`, `recv` and `replay` connecting with --ca-file /
// --insecure / --tls-server-name, and every way a TLS setup goes wrong ending
// in one clear line and exit 3 (or 2 for flags), with the server unharmed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/silent_peer.hpp"
#include "support/test_certs.hpp"
#include "support/wkit_commands.hpp"

using namespace wkit::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// `wkit serve` on 127.0.0.1 port 0 with a wss:// and a ws:// listener.
class TlsServe {
 public:
  TlsServe(const std::string& cert, const std::string& key) {
    proc_ = std::make_unique<Process>(std::vector<std::string>{
        WKIT_BINARY, "serve", "--in-memory", "--listen", "wss://127.0.0.1:0", "--listen", "ws://127.0.0.1:0",
        "--tls-cert", cert, "--tls-key", key});
    for (int i = 0; i < 2; ++i) {
      auto line = proc_->wait_stdout([&](const std::string& l) {
        return l.rfind("listening ", 0) == 0 && l.substr(10) != wss_ && l.substr(10) != ws_;
      });
      if (!line) throw std::runtime_error("wkit serve did not report listening: " + proc_->stderr_text());
      const std::string url = line->substr(10);
      (url.rfind("wss://", 0) == 0 ? wss_ : ws_) = url;
    }
  }
  const std::string& wss() const { return wss_; }
  const std::string& ws() const { return ws_; }
  std::string wss_as(const std::string& host) const { return "wss://" + host + ":" + port_of(wss_); }
  Process& process() { return *proc_; }

 private:
  std::unique_ptr<Process> proc_;
  std::string wss_, ws_;
};

Done send_to(const std::string& url, std::vector<std::string> extra) {
  std::vector<std::string> args = {"send", "-s", url, "-u", "alice", "--to", "bob", "--text", "hi",
                                   "--connect-timeout", "5s", "-o", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_wkit(args, 30s);
}

int lines_in(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

class Tls : public ::testing::Test {
 protected:
  TempDir dir;
  TestCerts certs{dir.path.string()};
};

TEST_F(Tls, SendAndRecvOverWssWithTheCa) {
  TlsServe srv(certs.cert_file(), certs.key_file());
  Process rx({WKIT_BINARY, "recv", "-s", srv.wss(), "--ca-file", certs.ca_file(), "-u", "bob", "--count", "2",
              "--timeout", "20s", "-o", "json"});
  ASSERT_TRUE(rx.wait_stderr([](const std::string& l) { return l.find("receiving as bob") != std::string::npos; }))
      << rx.stderr_text();
  auto d = send_to(srv.wss(), {"--ca-file", certs.ca_file(), "--retries", "1", "--retry-interval", "50ms"});
  ASSERT_EQ(d.code, 0) << d.out << d.err;
  auto s = json::parse(d.out);
  EXPECT_EQ(s["verdict"], "idempotent") << d.out;
  // By name too: the certificate carries DNS:localhost.
  d = send_to(srv.wss_as("localhost"), {"--ca-file", certs.ca_file()});
  ASSERT_EQ(d.code, 0) << d.out << d.err;
  ASSERT_EQ(rx.wait_exit(30s), std::optional<int>(0)) << rx.stderr_text();
  std::string out;
  for (auto& l : rx.stdout_lines()) out += l;
  auto r = json::parse(out);
  EXPECT_EQ(r["received"], 2) << out;
  EXPECT_EQ(r["duplicates"]["by_message_id"], 0) << out;
}

TEST_F(Tls, WrongCaExpiredCertificateAndWrongNameFailInOneLine) {
  TlsServe srv(certs.cert_file(), certs.key_file());
  auto d = send_to(srv.wss(), {"--ca-file", certs.other_ca_file()});
  EXPECT_EQ(d.code, 3) << d.err;
  EXPECT_EQ(lines_in(d.err), 1) << d.err;
  EXPECT_NE(d.err.find("certificate verify failed"), std::string::npos) << d.err;
  EXPECT_NE(d.err.find(srv.wss()), std::string::npos) << d.err;
  // The system's trust store does not know the test CA either.
  d = send_to(srv.wss(), {});
  EXPECT_EQ(d.code, 3) << d.err;
  EXPECT_NE(d.err.find("certificate verify failed"), std::string::npos) << d.err;
  // A name the certificate does not carry.
  d = send_to(srv.wss(), {"--ca-file", certs.ca_file(), "--tls-server-name", "wkit.example"});
  EXPECT_EQ(d.code, 3) << d.err;
  EXPECT_NE(d.err.find("hostname mismatch"), std::string::npos) << d.err;
  // --insecure skips the checks (and says nothing else changed).
  d = send_to(srv.wss(), {"--insecure"});
  EXPECT_EQ(d.code, 0) << d.err;

  TlsServe old(certs.expired_cert_file(), certs.key_file());
  d = send_to(old.wss(), {"--ca-file", certs.ca_file()});
  EXPECT_EQ(d.code, 3) << d.err;
  EXPECT_EQ(lines_in(d.err), 1) << d.err;
  EXPECT_NE(d.err.find("certificate has expired"), std::string::npos) << d.err;
  // The failed handshakes did not hurt the servers.
  d = send_to(srv.wss(), {"--ca-file", certs.ca_file()});
  EXPECT_EQ(d.code, 0) << d.err;
}

TEST_F(Tls, PlainClientOnTlsPortAndTlsClientOnPlainPort) {
  TlsServe srv(certs.cert_file(), certs.key_file());
  const std::string plain_on_tls = "ws://127.0.0.1:" + port_of(srv.wss());
  auto d = send_to(plain_on_tls, {});
  EXPECT_EQ(d.code, 3) << d.err;
  EXPECT_EQ(lines_in(d.err), 1) << d.err;
  EXPECT_NE(d.err.find("use wss://"), std::string::npos) << d.err;
  d = send_to("tcp://127.0.0.1:" + port_of(srv.wss()), {});
  EXPECT_EQ(d.code, 3) << d.err;
  EXPECT_EQ(lines_in(d.err), 1) << d.err;
  EXPECT_NE(d.err.find("TLS"), std::string::npos) << d.err;
  d = send_to("wss://127.0.0.1:" + port_of(srv.ws()), {"--ca-file", certs.ca_file()});
  EXPECT_EQ(d.code, 3) << d.err;
  EXPECT_EQ(lines_in(d.err), 1) << d.err;
  EXPECT_NE(d.err.find("not a TLS port"), std::string::npos) << d.err;
  d = send_to(srv.wss(), {"--ca-file", certs.ca_file()});
  EXPECT_EQ(d.code, 0) << d.err;
}

TEST_F(Tls, SilentPeersHoldUpNobody) {
  TlsServe srv(certs.cert_file(), certs.key_file());
  // A client that connects to the TLS port and says nothing...
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::stoi(port_of(srv.wss()))));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  // ...does not stop the next one.
  auto d = send_to(srv.wss(), {"--ca-file", certs.ca_file()});
  EXPECT_EQ(d.code, 0) << d.err;
  ::close(fd);
  // A server that accepts and never answers the TLS handshake: the client
  // gives up at its --connect-timeout and says where it was.
  SilentPeer silent;
  d = run_wkit({"send", "-s", silent.url("wss"), "-u", "alice", "--to", "bob", "--text", "hi", "--ca-file",
                certs.ca_file(), "--connect-timeout", "300ms"},
               30s);
  EXPECT_EQ(d.code, 3) << d.err;
  EXPECT_NE(d.err.find("TLS handshake"), std::string::npos) << d.err;
}

TEST_F(Tls, FlagMistakesAreUsageErrors) {
  auto d = send_to("tcp://127.0.0.1:1", {"--ca-file", certs.ca_file()});
  EXPECT_EQ(d.code, 2) << d.err;
  EXPECT_NE(d.err.find("apply to wss:// and https:// only"), std::string::npos) << d.err;
  d = send_to("wss://127.0.0.1:1", {"--ca-file", (dir.path / "missing.pem").string()});
  EXPECT_EQ(d.code, 2) << d.err;
  EXPECT_NE(d.err.find("missing.pem"), std::string::npos) << d.err;
  d = run_wkit({"serve", "--in-memory", "--listen", "wss://127.0.0.1:0"}, 20s);
  EXPECT_EQ(d.code, 2) << d.err;
  EXPECT_NE(d.err.find("--tls-cert"), std::string::npos) << d.err;
  // A key that is not the certificate's.
  TempDir other;
  TestCerts more(other.path.string());
  d = run_wkit({"serve", "--in-memory", "--listen", "wss://127.0.0.1:0", "--tls-cert", certs.cert_file(), "--tls-key",
                more.key_file()},
               20s);
  EXPECT_EQ(d.code, 2) << d.err;
  EXPECT_NE(d.err.find("does not match"), std::string::npos) << d.err;
  d = run_wkit({"serve", "--in-memory", "--listen", "tcp://127.0.0.1:0", "--tls-cert", certs.cert_file()}, 20s);
  EXPECT_EQ(d.code, 2) << d.err;
}

TEST_F(Tls, HttpsApiListener) {
  Process srv({WKIT_BINARY, "serve", "--in-memory", "--listen", "https://127.0.0.1:0", "--tls-cert", certs.cert_file(),
               "--tls-key", certs.key_file()});
  auto line = srv.wait_stdout([](const std::string& l) { return l.rfind("listening https://", 0) == 0; });
  ASSERT_TRUE(line) << srv.stderr_text();
  const std::string base = line->substr(10);
  auto r = https_get(base, "/health", certs.ca_file());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["status"], "ok") << r.body;
  EXPECT_THROW(https_get(base, "/health", certs.other_ca_file()), std::exception);
  // Plain HTTP on the TLS port gets nothing it could mistake for an answer, and the server goes on.
  EXPECT_THROW(http_get("http://" + base.substr(8), "/health"), std::exception);
  EXPECT_EQ(https_get(base, "/healthz", certs.ca_file()).status, 200);
  EXPECT_EQ(srv.signal_and_wait(SIGTERM), std::optional<int>(0)) << srv.stderr_text();
}

// A production wss session debugged through the proxy: TLS terminated on
// both legs, the plaintext recorded, replayed over wss again.
TEST_F(Tls, ProxyTerminatesTlsOnBothLegsAndReplayUsesWss) {
  TlsServe srv(certs.cert_file(), certs.key_file());
  const std::string cap = (dir.path / "tls.wkcap").string();
  ProxyProcess px("wss://127.0.0.1:0", srv.wss(),
                  {"--tls-cert", certs.cert_file(), "--tls-key", certs.key_file(), "--ca-file", certs.ca_file(),
                   "--capture", cap});
  ASSERT_EQ(px.url().rfind("wss://", 0), 0u) << px.url();
  auto d = send_to(px.url(), {"--ca-file", certs.ca_file(), "--count", "3"});
  ASSERT_EQ(d.code, 0) << d.out << d.err;
  ASSERT_EQ(px.stop(), std::optional<int>(0));
  auto info = run_wkit({"capture", "info", cap, "-o", "json"}, 30s);
  ASSERT_EQ(info.code, 0) << info.err;
  auto j = json::parse(info.out);
  ASSERT_EQ(j["connections"].size(), 1u) << info.out;
  EXPECT_EQ(j["connections"][0]["transport"], "wss") << info.out;
  auto rp = run_wkit({"replay", cap, "-s", srv.wss(), "--ca-file", certs.ca_file(), "-o", "json"}, 60s);
  EXPECT_EQ(rp.code, 0) << rp.out << rp.err;
  auto bad = run_wkit({"replay", cap, "-s", srv.wss(), "--ca-file", certs.other_ca_file()}, 60s);
  EXPECT_NE(bad.code, 0) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("certificate verify failed"), std::string::npos) << bad.err;
}

}  // namespace
