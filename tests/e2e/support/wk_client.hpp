#pragma once
// A minimal blocking WKProto client for tests, on lib proto + crypto and
// Boost.Asio/Beast (TCP or WebSocket). A reader thread queues the raw bytes;
// frames are decoded on the caller's thread at the negotiated version, so
// frames that follow the CONNACK in the same read are decoded right. Every
// wait has a timeout; nothing here asserts timing.
// A Beast websocket stream must not be read and written from two threads at
// once (a write racing a read that answers a close fails with "operation
// canceled"), so over WebSocket every operation runs on the reader thread's
// io_context and callers wait for it.
// Header-only: include it from e2e, interop or bench sources.
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "wkit/crypto/crypto.hpp"
#include "wkit/proto/codec.hpp"
#include "wkit/proto/owned_frame.hpp"
#include "wkit/proto/stream_decoder.hpp"

namespace wkit::testing {

// Channel types on the wire (person-to-person, group).
inline constexpr uint8_t kPerson = 1;
inline constexpr uint8_t kGroup = 2;

struct ReceivedMessage {
  proto::Recv recv;          // views into `frame`
  proto::OwnedFrame frame;
  std::string plaintext;     // decrypted payload
  bool msg_key_ok = false;
  bool decrypt_ok = false;
};

struct ClientConnectOptions {
  int version = 6;
  uint8_t device_flag = 1;
  std::string device_id = "test-device";
  std::string token = "token";
  bool empty_client_key = false;
};

struct ClientSendOptions {
  bool no_encrypt = false;
  bool dup = false;
  bool corrupt_msg_key = false;
};

class WkClient {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kWait = std::chrono::seconds(10);

  // `url`: tcp://HOST:PORT or ws://HOST:PORT[/PATH]. Throws on failure.
  explicit WkClient(const std::string& url) {
    bool ws = url.rfind("ws://", 0) == 0;
    std::string rest = url.substr(ws ? 5 : (url.rfind("tcp://", 0) == 0 ? 6 : 0));
    std::string path = "/";
    if (auto slash = rest.find('/'); slash != std::string::npos) {
      path = rest.substr(slash);
      rest = rest.substr(0, slash);
    }
    auto colon = rest.rfind(':');
    std::string host = rest.substr(0, colon), port = rest.substr(colon + 1);
    boost::asio::ip::tcp::resolver resolver(io_);
    auto eps = resolver.resolve(host, port);
    if (ws) {
      ws_ = std::make_unique<WsStream>(io_);
      boost::asio::connect(ws_->next_layer(), eps);
      ws_->next_layer().set_option(boost::asio::ip::tcp::no_delay(true));
      ws_->handshake(host + ":" + port, path);
      ws_->binary(true);
      work_.emplace(io_.get_executor());
      ws_read_next();
      reader_ = std::thread([this] { io_.run(); });
    } else {
      sock_ = std::make_unique<boost::asio::ip::tcp::socket>(io_);
      boost::asio::connect(*sock_, eps);
      sock_->set_option(boost::asio::ip::tcp::no_delay(true));
      reader_ = std::thread([this] { read_loop(); });
    }
  }
  ~WkClient() {
    close();
    if (ws_) {
      work_.reset();
      io_.stop();
    }
    if (reader_.joinable()) reader_.join();
  }
  WkClient(const WkClient&) = delete;
  WkClient& operator=(const WkClient&) = delete;

  void close() {
    if (ws_) {
      on_io_thread([this](auto done) {
        boost::system::error_code ec;
        ws_->next_layer().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
        done(ec);
      });
      return;
    }
    boost::system::error_code ec;
    sock_->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  }

  // --- handshake -----------------------------------------------------------
  using ConnectOptions = ClientConnectOptions;
  // Sends CONNECT and waits for the CONNACK; derives the session keys on success.
  proto::Connack handshake(const std::string& uid, ConnectOptions o = {}) {
    uid_ = uid;
    version_ = o.version;
    proto::Connect c;
    c.version = static_cast<uint8_t>(o.version);
    c.device_flag = o.device_flag;
    c.device_id = o.device_id;
    c.uid = uid;
    c.token = o.token;
    c.client_timestamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    std::string key = kp_.public_base64();
    if (!o.empty_client_key) c.client_key = key;
    write(proto::encode_frame(c, o.version).value());
    // A CONNACK is read at the client's version (0 means 6 on the 3.x server);
    // failures come in v5 layout.
    decoder_.set_version(o.version == 0 ? 6 : o.version);
    auto f = next_frame(kWait);
    if (!f) throw std::runtime_error("no CONNACK (connection closed or timed out)");
    if (f->type() != proto::FrameType::connack)
      throw std::runtime_error("expected CONNACK, got " + std::string(proto::frame_type_name(f->type())));
    auto a = std::get<proto::Connack>(f->frame());
    if (a.reason_code != 1) {
      // Failure CONNACKs use the v5 layout: re-read so node_id is right.
      if (auto v5 = proto::OwnedFrame::from_bytes(f->bytes(), 5)) {
        connack_ = std::move(*v5);
        return std::get<proto::Connack>(connack_.frame());
      }
      connack_ = std::move(*f);
      return std::get<proto::Connack>(connack_.frame());
    }
    if (a.has_server_version) version_ = a.server_version;
    else if (o.version == 0) version_ = 6;
    decoder_.set_version(version_);
    auto secret = crypto::shared_secret(kp_, a.server_key);
    if (!secret) throw std::runtime_error("bad server_key: " + secret.error().message);
    auto keys = crypto::SessionKeys::derive(*secret, a.salt);
    if (!keys) throw std::runtime_error("bad salt: " + keys.error().message);
    cipher_.emplace(*keys);
    // Re-read the CONNACK at the agreed version (node_id appears from v4).
    connack_ = proto::OwnedFrame::from_bytes(f->bytes(), version_ == 0 ? 6 : version_).value();
    return std::get<proto::Connack>(connack_.frame());
  }
  int version() const { return version_; }
  const crypto::SessionKeys& keys() const { return cipher_->keys(); }

  // --- sending ---------------------------------------------------------------
  using SendOptions = ClientSendOptions;
  // Encodes and writes a SEND; returns its bytes.
  std::string send(const std::string& channel_id, uint8_t channel_type, const std::string& plaintext,
                   uint32_t client_seq, const std::string& client_msg_no, SendOptions o = {}) {
    proto::Send s;
    s.header.dup = o.dup;
    s.client_seq = client_seq;
    s.client_msg_no = client_msg_no;
    s.channel_id = channel_id;
    s.channel_type = channel_type;
    std::string wire, key;
    if (o.no_encrypt) {
      s.setting.bits = proto::Setting::kNoEncrypt;
      wire = plaintext;
    } else {
      cipher_->seal(plaintext, wire);
      cipher_->send_msg_key(client_seq, client_msg_no, channel_id, channel_type, wire, key);
      if (o.corrupt_msg_key) key[0] = key[0] == '0' ? '1' : '0';
    }
    s.msg_key = key;
    s.payload.data = wire;
    std::string bytes = proto::encode_frame(s, version_).value();
    write(bytes);
    return bytes;
  }
  void recvack(int64_t message_id, uint64_t message_seq) {
    proto::Recvack a;
    a.message_id = message_id;
    a.message_seq = message_seq;
    write(proto::encode_frame(a, version_).value());
  }
  void ping() { write(std::string("\x70", 1)); }
  void write(const std::string& bytes) {
    std::lock_guard lk(write_mu_);
    if (!ws_) {
      boost::asio::write(*sock_, boost::asio::buffer(bytes));
      return;
    }
    auto ec = on_io_thread([this, &bytes](auto done) {
      ws_->async_write(boost::asio::buffer(bytes), [done](boost::system::error_code e, size_t) { done(e); });
    });
    if (ec) throw boost::system::system_error(ec, "websocket write");
  }

  // --- receiving -------------------------------------------------------------
  // The next frame, or nullopt on close/timeout (closed() tells which).
  std::optional<proto::OwnedFrame> next_frame(std::chrono::milliseconds timeout = kWait) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      auto r = decoder_.next();
      if (r.status == proto::DecodeStatus::ok) {
        ++frames_in_chunk_;
        return proto::OwnedFrame::from_frame(r.frame, decoder_.version()).value();
      }
      if (r.status == proto::DecodeStatus::error) throw std::runtime_error("bad frame from server: " + r.error.describe());
      std::unique_lock lk(mu_);
      if (!cv_.wait_until(lk, deadline, [&] { return !chunks_.empty() || eof_; })) return std::nullopt;
      if (chunks_.empty()) return std::nullopt;  // eof
      std::string chunk = std::move(chunks_.front());
      chunks_.pop_front();
      lk.unlock();
      // WebSocket: each message must hold exactly one whole frame (docs/protocol.md section 6).
      if (ws_ && (decoder_.buffered() != 0 || (messages_ > 0 && frames_in_chunk_ != 1))) ++bad_messages_;
      ++messages_;
      frames_in_chunk_ = 0;
      decoder_.feed(chunk);
    }
  }
  // Skips PONGs; returns the next frame of type T (throws on another type).
  template <class T>
  std::optional<T> expect(std::chrono::milliseconds timeout = kWait) {
    for (;;) {
      auto f = next_frame(timeout);
      if (!f) return std::nullopt;
      if (f->type() == proto::FrameType::pong && T::kType != proto::FrameType::pong) continue;
      if (f->type() != T::kType)
        throw std::runtime_error("expected " + std::string(proto::frame_type_name(T::kType)) + ", got " +
                                 std::string(proto::frame_type_name(f->type())));
      held_.push_back(std::move(*f));
      return std::get<T>(held_.back().frame());
    }
  }
  std::optional<ReceivedMessage> next_message(std::chrono::milliseconds timeout = kWait) {
    auto f = next_frame(timeout);
    if (!f) return std::nullopt;
    if (f->type() != proto::FrameType::recv)
      throw std::runtime_error("expected RECV, got " + std::string(proto::frame_type_name(f->type())));
    ReceivedMessage m;
    m.frame = std::move(*f);
    m.recv = std::get<proto::Recv>(m.frame.frame());
    const auto& r = m.recv;
    if (r.setting.no_encrypt()) {
      m.plaintext = std::string(r.payload.data);
      m.decrypt_ok = m.msg_key_ok = true;
    } else {
      std::string key;
      cipher_->recv_msg_key(r.message_id, r.message_seq, r.client_msg_no, r.timestamp, r.from_uid, r.channel_id,
                            r.channel_type, r.payload.data, key);
      m.msg_key_ok = key == r.msg_key;
      m.decrypt_ok = !cipher_->open(r.payload.data, m.plaintext);
    }
    return m;
  }
  // True once the server closed the connection (after draining what it sent).
  bool wait_closed(std::chrono::milliseconds timeout = kWait) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      auto f = next_frame(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
      if (!f) {
        std::lock_guard lk(mu_);
        return eof_ && chunks_.empty();
      }
      held_.push_back(std::move(*f));
    }
    return false;
  }
  // Frames read by wait_closed()/expect() (e.g. a DISCONNECT before the close).
  const std::deque<proto::OwnedFrame>& held() const { return held_; }
  uint64_t bad_ws_messages() const { return bad_messages_; }

 private:
  using WsStream = boost::beast::websocket::stream<boost::asio::ip::tcp::socket>;

  // Runs `op(done)` on the io_context thread and waits until it calls done(ec).
  template <class Op>
  boost::system::error_code on_io_thread(Op op) {
    auto result = std::make_shared<std::promise<boost::system::error_code>>();
    auto fut = result->get_future();
    boost::asio::post(io_, [op, result]() mutable {
      op([result](boost::system::error_code ec) { result->set_value(ec); });
    });
    if (fut.wait_for(kWait) != std::future_status::ready) return boost::asio::error::timed_out;
    return fut.get();
  }

  // WebSocket: one async read at a time on the io_context thread; each
  // message is one chunk.
  void ws_read_next() {
    ws_->async_read(ws_buf_, [this](boost::system::error_code ec, size_t) {
      {
        std::lock_guard lk(mu_);
        if (ec) {
          eof_ = true;
          cv_.notify_all();
          return;
        }
        chunks_.emplace_back(static_cast<const char*>(ws_buf_.data().data()), ws_buf_.size());
        cv_.notify_all();
      }
      ws_buf_.consume(ws_buf_.size());
      ws_read_next();
    });
  }

  // TCP: blocking reads on the reader thread.
  void read_loop() {
    boost::system::error_code ec;
    for (;;) {
      std::string chunk;
      char tmp[65536];
      size_t n = sock_->read_some(boost::asio::buffer(tmp), ec);
      if (!ec) chunk.assign(tmp, n);
      std::lock_guard lk(mu_);
      if (ec) {
        eof_ = true;
        cv_.notify_all();
        return;
      }
      chunks_.push_back(std::move(chunk));
      cv_.notify_all();
    }
  }

  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::ip::tcp::socket> sock_;
  std::unique_ptr<WsStream> ws_;
  boost::beast::flat_buffer ws_buf_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread reader_;
  std::mutex mu_, write_mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  bool eof_ = false;
  proto::StreamDecoder decoder_{6};
  crypto::KeyPair kp_ = crypto::generate_keypair();
  std::optional<crypto::Cipher> cipher_;
  std::string uid_;
  int version_ = 6;
  proto::OwnedFrame connack_;
  std::deque<proto::OwnedFrame> held_;
  uint64_t messages_ = 0, frames_in_chunk_ = 0, bad_messages_ = 0;
};

// A client that completed its handshake as `uid` (throws when the CONNACK
// refused it, which fails the calling test).
inline std::unique_ptr<WkClient> login(const std::string& url, const std::string& uid,
                                       WkClient::ConnectOptions o = {}) {
  auto c = std::make_unique<WkClient>(url);
  auto ack = c->handshake(uid, o);
  if (ack.reason_code != 1)
    throw std::runtime_error("login as " + uid + ": CONNACK reason " + std::to_string(int(ack.reason_code)));
  return c;
}

// The next message, or a throw: for tests where a missing RECV is a failure.
inline ReceivedMessage recv_one(WkClient& c) {
  auto m = c.next_message();
  if (!m) throw std::runtime_error("no RECV");
  return std::move(*m);
}

}  // namespace wkit::testing
