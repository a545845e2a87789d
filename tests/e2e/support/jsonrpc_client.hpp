#pragma once
// A minimal blocking JSON-RPC client for tests, written from WuKongIM's
// JSON-RPC dialect as docs/protocol.md section 10 describes it (the EasySDK
// protocol): over ws:// it writes one text message per object and checks
// that every message from the server is one text message holding exactly one
// object; over tcp:// the objects are split from the byte stream. A reader
// thread queues what arrives; every wait has a timeout; nothing here asserts
// timing. Requests get ids "r-1", "r-2", ...; notifications that arrive while
// a response is awaited are held for next_notification().
#include <utility>  // before asio: Boost 1.74 awaitable.hpp uses std::exchange unincluded
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "wkit/proto/jsonrpc.hpp"

namespace wkit::testing {

class JsonRpcClient {
 public:
  using Clock = std::chrono::steady_clock;
  using json = nlohmann::json;
  static constexpr auto kWait = std::chrono::seconds(10);

  // `url`: tcp://HOST:PORT or ws://HOST:PORT[/PATH]. Throws on failure.
  explicit JsonRpcClient(const std::string& url) {
    const bool ws = url.rfind("ws://", 0) == 0;
    std::string rest = url.substr(ws ? 5 : (url.rfind("tcp://", 0) == 0 ? 6 : 0));
    std::string path = "/";
    if (auto slash = rest.find('/'); slash != std::string::npos) {
      path = rest.substr(slash);
      rest = rest.substr(0, slash);
    }
    const auto colon = rest.rfind(':');
    const std::string host = rest.substr(0, colon), port = rest.substr(colon + 1);
    boost::asio::ip::tcp::resolver resolver(io_);
    auto eps = resolver.resolve(host, port);
    if (ws) {
      ws_ = std::make_unique<WsStream>(io_);
      boost::asio::connect(ws_->next_layer(), eps);
      ws_->handshake(host + ":" + port, path);
      ws_->text(true);
      work_.emplace(io_.get_executor());
      ws_read_next();
      reader_ = std::thread([this] { io_.run(); });
    } else {
      sock_ = std::make_unique<boost::asio::ip::tcp::socket>(io_);
      boost::asio::connect(*sock_, eps);
      reader_ = std::thread([this] { tcp_read_loop(); });
    }
  }
  ~JsonRpcClient() {
    close();
    if (ws_) {
      work_.reset();
      io_.stop();
    }
    if (reader_.joinable()) reader_.join();
  }
  JsonRpcClient(const JsonRpcClient&) = delete;
  JsonRpcClient& operator=(const JsonRpcClient&) = delete;

  void close() {
    boost::system::error_code ec;
    if (ws_) {
      on_io_thread([this](auto done) {
        boost::system::error_code e;
        ws_->next_layer().shutdown(boost::asio::ip::tcp::socket::shutdown_both, e);
        done(e);
      });
      return;
    }
    sock_->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  }

  // Writes `text` as is (one WebSocket text message).
  void write(const std::string& text) {
    std::lock_guard lk(write_mu_);
    if (!ws_) {
      boost::asio::write(*sock_, boost::asio::buffer(text));
      return;
    }
    auto ec = on_io_thread([this, &text](auto done) {
      ws_->async_write(boost::asio::buffer(text), [done](boost::system::error_code e, size_t) { done(e); });
    });
    if (ec) throw boost::system::system_error(ec, "websocket write");
  }

  // Sends a request and waits for the response with its id (notifications
  // arriving meanwhile are held). nullopt on close or timeout.
  std::optional<json> request(const std::string& method, json params, std::chrono::milliseconds timeout = kWait) {
    const std::string id = "r-" + std::to_string(++next_id_);
    write(json{{"method", method}, {"id", id}, {"params", std::move(params)}}.dump());
    return response_to(id, timeout);
  }
  std::optional<json> response_to(const std::string& id, std::chrono::milliseconds timeout = kWait) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      auto m = next_object(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
      if (!m) return std::nullopt;
      if (m->contains("id") && (*m)["id"] == id) return m;
      held_.push_back(std::move(*m));
    }
  }
  void notify(const std::string& method, json params) {
    write(json{{"method", method}, {"params", std::move(params)}}.dump());
  }

  // connect as `uid`: the response's result (reasonCode 1 = accepted).
  json connect(const std::string& uid, const std::string& token = "t") {
    auto r = request("connect", {{"uid", uid}, {"token", token}, {"deviceId", "test_" + uid}, {"deviceFlag", 1},
                                 {"clientTimestamp", 1767000000000}});
    if (!r || !r->contains("result")) throw std::runtime_error("connect " + uid + ": no result: " + (r ? r->dump() : "timeout"));
    return (*r)["result"];
  }
  // send: the whole response (result or error). `payload` is written as
  // given (a base64 string for 2.2.3, a JSON value for older generations).
  std::optional<json> send(const std::string& channel_id, int channel_type, const json& payload,
                           const std::string& client_msg_no) {
    return request("send", {{"clientMsgNo", client_msg_no}, {"channelId", channel_id}, {"channelType", channel_type},
                            {"payload", payload}, {"header", {{"redDot", true}}}});
  }
  void recvack(const json& recv_params) {
    notify("recvack", {{"messageId", recv_params["messageId"]}, {"messageSeq", recv_params["messageSeq"]}});
  }

  // The next notification (held ones first), e.g. a recv; nullopt on close or timeout.
  std::optional<json> next_notification(std::chrono::milliseconds timeout = kWait) {
    if (!held_.empty()) {
      json m = std::move(held_.front());
      held_.pop_front();
      return m;
    }
    return next_object(timeout);
  }

  // The next object from the server, in order.
  std::optional<json> next_object(std::chrono::milliseconds timeout = kWait) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (auto obj = split_one()) return json::parse(*obj);
      std::unique_lock lk(mu_);
      if (!cv_.wait_until(lk, deadline, [&] { return !chunks_.empty() || eof_; })) return std::nullopt;
      if (chunks_.empty()) return std::nullopt;  // closed
      Chunk c = std::move(chunks_.front());
      chunks_.pop_front();
      lk.unlock();
      if (ws_) {
        // One object per text message (docs/protocol.md section 10).
        const size_t len = proto::jsonrpc::value_length(c.bytes);
        if (!c.text || len != c.bytes.size()) ++bad_messages_;
      }
      pending_ += c.bytes;
    }
  }

  // True once the server closed the connection (objects before it are kept).
  bool wait_closed(std::chrono::milliseconds timeout = kWait) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      std::unique_lock lk(mu_);
      if (!cv_.wait_until(lk, deadline, [&] { return !chunks_.empty() || eof_; })) return false;
      if (chunks_.empty()) return true;
      pending_ += chunks_.front().bytes;
      chunks_.pop_front();
    }
  }

  // WebSocket messages that were binary or not exactly one object.
  uint64_t bad_ws_messages() const { return bad_messages_; }

 private:
  using WsStream = boost::beast::websocket::stream<boost::asio::ip::tcp::socket>;
  struct Chunk {
    std::string bytes;
    bool text = false;
  };

  std::optional<std::string> split_one() {
    const size_t start = pending_.find_first_not_of(" \t\r\n");
    if (start == std::string::npos) {
      pending_.clear();
      return std::nullopt;
    }
    const size_t len = proto::jsonrpc::value_length(std::string_view(pending_).substr(start));
    if (len == 0) throw std::runtime_error("not JSON from the server: " + pending_.substr(start, 80));
    if (len == std::string_view::npos) return std::nullopt;
    std::string obj = pending_.substr(start, len);
    pending_.erase(0, start + len);
    return obj;
  }

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

  void ws_read_next() {
    ws_->async_read(ws_buf_, [this](boost::system::error_code ec, size_t) {
      {
        std::lock_guard lk(mu_);
        if (ec) {
          eof_ = true;
          cv_.notify_all();
          return;
        }
        chunks_.push_back({std::string(static_cast<const char*>(ws_buf_.data().data()), ws_buf_.size()),
                           ws_->got_text()});
        cv_.notify_all();
      }
      ws_buf_.consume(ws_buf_.size());
      ws_read_next();
    });
  }

  void tcp_read_loop() {
    boost::system::error_code ec;
    for (;;) {
      char tmp[65536];
      const size_t n = sock_->read_some(boost::asio::buffer(tmp), ec);
      std::lock_guard lk(mu_);
      if (ec) {
        eof_ = true;
        cv_.notify_all();
        return;
      }
      chunks_.push_back({std::string(tmp, n), true});
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
  std::deque<Chunk> chunks_;
  bool eof_ = false;
  std::string pending_;
  std::deque<json> held_;
  uint64_t next_id_ = 0, bad_messages_ = 0;
};

}  // namespace wkit::testing
