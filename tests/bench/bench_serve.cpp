// Load driver for `wkit serve` benchmarks (docs/benchmarks.md, tests/bench/serve/run.sh).
// Real sockets against a real server process; one Asio thread drives every
// connection. Modes:
//   send    C connections, each keeping W SENDs in flight, N SENDs each:
//           SEND->SENDACK throughput and latency percentiles.
//   fanout  M receiver connections in group G (they RECVACK every RECV) and one
//           sender: RECVs delivered per second, SEND->RECV latency.
//   idle    C connections that only handshake; prints the server's RSS
//           before/after (needs --server-pid) = memory per idle connection.
// client_msg_nos are random 32-hex strings like `wkit send`'s (`--client-msg-no
// counter`: "PREFIX-UID-SEQ", which the idempotency index inserts near each other).
// Output: one JSON object on stdout.
#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "wkit/crypto/crypto.hpp"
#include "wkit/proto/codec.hpp"
#include "wkit/proto/stream_decoder.hpp"
#include "wkit/util/histogram.hpp"
#include "wkit/util/ids.hpp"

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using namespace wkit;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string host = "127.0.0.1";
  std::string port = "5100";
  std::string mode = "send";
  int connections = 1;
  int window = 256;
  long count = 100000;
  int payload = 64;
  bool encrypt = true;
  std::string group = "bench-group";
  int members = 100;
  long server_pid = 0;
  std::string prefix = "b";
  bool random_cmn = true;  // --client-msg-no random (like real clients) | counter
};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

long rss_kib(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// One connected, handshaken client connection.
struct Conn {
  tcp::socket sock;
  proto::StreamDecoder dec{6};
  std::optional<crypto::Cipher> cipher;
  std::string uid;
  std::vector<char> rbuf = std::vector<char>(65536);
  explicit Conn(asio::io_context& io) : sock(io) {}

  awaitable<void> open(const Args& a, const std::string& user) {
    uid = user;
    tcp::resolver r(sock.get_executor());
    auto eps = co_await r.async_resolve(a.host, a.port, use_awaitable);
    co_await asio::async_connect(sock, eps, use_awaitable);
    sock.set_option(tcp::no_delay(true));
    auto kp = crypto::generate_keypair();
    proto::Connect c;
    c.version = 6;
    c.device_flag = 2;
    c.device_id = "bench";
    c.uid = uid;
    c.token = "t";
    std::string key = kp.public_base64();
    c.client_key = key;
    std::string bytes = proto::encode_frame(c, 6).value();
    co_await asio::async_write(sock, asio::buffer(bytes), use_awaitable);
    for (;;) {
      auto r2 = dec.next();
      if (r2.status == proto::DecodeStatus::ok) {
        auto& ack = std::get<proto::Connack>(r2.frame);
        if (ack.reason_code != 1) throw std::runtime_error("CONNACK reason " + std::to_string(ack.reason_code));
        auto secret = crypto::shared_secret(kp, ack.server_key).value();
        cipher.emplace(crypto::SessionKeys::derive(secret, ack.salt).value());
        co_return;
      }
      if (r2.status == proto::DecodeStatus::error) throw std::runtime_error(r2.error.describe());
      size_t n = co_await sock.async_read_some(asio::buffer(rbuf), use_awaitable);
      dec.feed(std::string_view(rbuf.data(), n));
    }
  }
};

struct Stats {
  util::Histogram latency;
  uint64_t acked = 0, failed = 0, delivered = 0;
  int64_t first_ns = 0, last_ns = 0;
};

// Encodes SEND number `i` of a connection into `out`.
void encode_send(Conn& c, const Args& a, const std::string& channel, uint8_t type, uint32_t seq,
                 const std::string& payload, std::string& out, std::string& wire, std::string& key, char* cmn) {
  // Real clients (the SDKs, `wkit send`) pick random ones, which land at
  // random places in the server's idempotency index; a counter is cheaper.
  if (a.random_cmn) {
    util::random_client_msg_no(cmn);
    cmn[util::kClientMsgNoLength] = '\0';
  } else {
    std::snprintf(cmn, 48, "%s-%s-%u", a.prefix.c_str(), c.uid.c_str(), seq);
  }
  proto::Send s;
  s.client_seq = seq;
  s.client_msg_no = cmn;
  s.channel_id = channel;
  s.channel_type = type;
  wire.clear();
  if (a.encrypt) {
    c.cipher->seal(payload, wire);
    c.cipher->send_msg_key(seq, s.client_msg_no, channel, type, wire, key);
    s.msg_key = key;
  } else {
    s.setting.bits = proto::Setting::kNoEncrypt;
    wire = payload;
  }
  s.payload.data = wire;
  proto::encode_frame(proto::Frame(s), 6, out);
}

awaitable<void> sender(Conn& c, const Args& a, Stats& st, const std::string& channel, uint8_t type, long count) {
  std::vector<int64_t> sent_at(a.window);
  std::string payload(a.payload, 'x');
  std::string out, wire, key;
  char cmn[64];
  uint32_t next = 1;
  long acked = 0;
  long inflight = 0;
  auto ex = co_await asio::this_coro::executor;
  // Fill the window, then send one more for every SENDACK (batched per read).
  while (acked < count) {
    out.clear();
    while (inflight < a.window && next <= count) {
      sent_at[next % a.window] = now_ns();
      encode_send(c, a, channel, type, next, payload, out, wire, key, cmn);
      ++next;
      ++inflight;
    }
    if (!out.empty()) co_await asio::async_write(c.sock, asio::buffer(out), use_awaitable);
    size_t n = co_await c.sock.async_read_some(asio::buffer(c.rbuf), use_awaitable);
    c.dec.feed(std::string_view(c.rbuf.data(), n));
    for (;;) {
      auto r = c.dec.next();
      if (r.status != proto::DecodeStatus::ok) {
        if (r.status == proto::DecodeStatus::error) throw std::runtime_error(r.error.describe());
        break;
      }
      if (proto::type_of(r.frame) != proto::FrameType::sendack) continue;
      auto& ack = std::get<proto::Sendack>(r.frame);
      int64_t t = now_ns();
      st.latency.record(static_cast<uint64_t>(t - sent_at[ack.client_seq % a.window]));
      if (ack.reason_code == 1) ++st.acked; else ++st.failed;
      st.last_ns = t;
      ++acked;
      --inflight;
    }
  }
  (void)ex;
}

awaitable<void> receiver(Conn& c, Stats& st, long expect, int64_t* done_ns) {
  std::string out;
  long got = 0;
  while (got < expect) {
    size_t n = co_await c.sock.async_read_some(asio::buffer(c.rbuf), use_awaitable);
    c.dec.feed(std::string_view(c.rbuf.data(), n));
    out.clear();
    for (;;) {
      auto r = c.dec.next();
      if (r.status != proto::DecodeStatus::ok) break;
      if (proto::type_of(r.frame) != proto::FrameType::recv) continue;
      auto& m = std::get<proto::Recv>(r.frame);
      proto::Recvack a;
      a.message_id = m.message_id;
      a.message_seq = m.message_seq;
      proto::encode_frame(proto::Frame(a), 6, out);
      ++got;
      ++st.delivered;
    }
    if (!out.empty()) co_await asio::async_write(c.sock, asio::buffer(out), use_awaitable);
  }
  *done_ns = std::max(*done_ns, now_ns());
}

nlohmann::json summary(const Stats& st, const Args& a, double secs) {
  auto us = [&](double q) { return st.latency.value_at_quantile(q) / 1000.0; };
  return {{"acked", st.acked},
          {"failed", st.failed},
          {"seconds", secs},
          {"acked_per_sec", secs > 0 ? st.acked / secs : 0},
          {"latency_us", {{"p50", us(0.5)}, {"p90", us(0.9)}, {"p99", us(0.99)}, {"p999", us(0.999)},
                          {"max", st.latency.max() / 1000.0}}}};
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") a.port = v;
    else if (k == "--host") a.host = v;
    else if (k == "--mode") a.mode = v;
    else if (k == "--connections") a.connections = std::stoi(v);
    else if (k == "--window") a.window = std::stoi(v);
    else if (k == "--count") a.count = std::stol(v);
    else if (k == "--payload") a.payload = std::stoi(v);
    else if (k == "--encrypt") a.encrypt = v == "on";
    else if (k == "--group") a.group = v;
    else if (k == "--members") a.members = std::stoi(v);
    else if (k == "--server-pid") a.server_pid = std::stol(v);
    else if (k == "--prefix") a.prefix = v;
    else if (k == "--client-msg-no" && (v == "random" || v == "counter")) a.random_cmn = v == "random";
    else {
      std::cerr << "bench_serve: unknown flag or value: " << k << " " << v << "\n";
      return 2;
    }
  }
  asio::io_context io(1);
  std::vector<std::unique_ptr<Conn>> conns;
  Stats st;
  nlohmann::json result = {{"mode", a.mode}, {"connections", a.connections}, {"window", a.window},
                           {"client_msg_no", a.random_cmn ? "random" : "counter"},
                           {"payload", a.payload}, {"encrypt", a.encrypt}};
  std::exception_ptr err;
  auto spawn = [&](auto f) {
    asio::co_spawn(io, std::move(f), [&](std::exception_ptr e) {
      if (e && !err) err = e;
    });
  };
  try {
    if (a.mode == "idle") {
      long before = a.server_pid ? rss_kib(a.server_pid) : -1;
      for (int i = 0; i < a.connections; ++i) {
        conns.push_back(std::make_unique<Conn>(io));
        Conn* c = conns.back().get();
        spawn([c, &a, i]() -> awaitable<void> { co_await c->open(a, a.prefix + "-idle-" + std::to_string(i)); });
      }
      io.run();
      if (err) std::rethrow_exception(err);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      long after = a.server_pid ? rss_kib(a.server_pid) : -1;
      result["rss_before_kib"] = before;
      result["rss_after_kib"] = after;
      if (before > 0 && after > 0) result["bytes_per_connection"] = (after - before) * 1024.0 / a.connections;
      std::cout << result.dump() << std::endl;
      return 0;
    }
    if (a.mode == "send") {
      for (int i = 0; i < a.connections; ++i) {
        conns.push_back(std::make_unique<Conn>(io));
        Conn* c = conns.back().get();
        spawn([c, &a, i]() -> awaitable<void> { co_await c->open(a, a.prefix + "-s" + std::to_string(i)); });
      }
      io.run();
      if (err) std::rethrow_exception(err);
      io.restart();
      st.first_ns = now_ns();
      for (auto& c : conns) {
        Conn* cp = c.get();
        spawn([cp, &a, &st]() -> awaitable<void> { co_await sender(*cp, a, st, "bench-sink", 1, a.count); });
      }
      io.run();
      if (err) std::rethrow_exception(err);
      double secs = (st.last_ns - st.first_ns) / 1e9;
      result.update(summary(st, a, secs));
      std::cout << result.dump() << std::endl;
      return st.failed ? 1 : 0;
    }
    if (a.mode == "fanout") {
      // Members m0..m{M-1}; m0 sends. Receivers are the other M-1.
      for (int i = 0; i < a.members; ++i) {
        conns.push_back(std::make_unique<Conn>(io));
        Conn* c = conns.back().get();
        spawn([c, &a, i]() -> awaitable<void> { co_await c->open(a, "m" + std::to_string(i)); });
      }
      io.run();
      if (err) std::rethrow_exception(err);
      io.restart();
      int64_t done_ns = 0;
      st.first_ns = now_ns();
      for (int i = 1; i < a.members; ++i) {
        Conn* cp = conns[i].get();
        spawn([cp, &a, &st, &done_ns]() -> awaitable<void> { co_await receiver(*cp, st, a.count, &done_ns); });
      }
      Conn* s = conns[0].get();
      spawn([s, &a, &st]() -> awaitable<void> { co_await sender(*s, a, st, a.group, 2, a.count); });
      io.run();
      if (err) std::rethrow_exception(err);
      double secs = (done_ns - st.first_ns) / 1e9;
      result.update(summary(st, a, secs));
      result["members"] = a.members;
      result["delivered"] = st.delivered;
      result["delivered_per_sec"] = secs > 0 ? st.delivered / secs : 0;
      std::cout << result.dump() << std::endl;
      return 0;
    }
    std::cerr << "bench_serve: unknown mode " << a.mode << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "bench_serve: " << e.what() << "\n";
    return 1;
  }
}
