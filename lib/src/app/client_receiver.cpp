#include "wkit/app/client_receiver.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "wkit/app/client_payload.hpp"
#include "wkit/util/units.hpp"

namespace wkit::app {

using asio::redirect_error;
using asio::use_awaitable;

Result<AckPolicy> AckPolicy::parse(std::string_view text) {
  AckPolicy p;
  auto bad = [&](std::string why) {
    return Error{ErrorKind::usage, "--ack '" + std::string(text) + "': " + why +
                                       " (expected always, never, drop:P or delay:D)", std::nullopt};
  };
  if (text == "always") return p;
  if (text == "never") {
    p.kind = Kind::never;
    return p;
  }
  if (text.starts_with("drop:")) {
    p.kind = Kind::drop;
    auto num = text.substr(5);
    std::string s(num);
    char* end = nullptr;
    p.p = std::strtod(s.c_str(), &end);
    if (s.empty() || *end || p.p < 0 || p.p > 1) return bad("P must be a probability 0..1");
    return p;
  }
  if (text.starts_with("delay:")) {
    p.kind = Kind::delay;
    auto d = util::parse_duration(text.substr(6));
    if (!d.ok()) return bad(d.error().message);
    p.delay = d.value();
    return p;
  }
  return bad("unknown policy");
}

Receiver::Receiver(ReceiverOptions opts, std::function<void(const nlohmann::json&)> on_message)
    : opts_(std::move(opts)), on_message_(std::move(on_message)),
      tracker_(opts_.dedup_window.count()), rng_(opts_.seed) {}

Receiver::~Receiver() { *alive_token_ = false; }

asio::awaitable<Status> Receiver::open() {
  auto ex = co_await asio::this_coro::executor;
  progress_ = std::make_unique<asio::steady_timer>(ex);
  progress_->expires_at(asio::steady_timer::time_point::max());
  co_return co_await connect_once();
}

asio::awaitable<Status> Receiver::connect_once() {
  auto c = co_await ClientConnection::open(opts_.url, opts_.cfg, opts_.connect_timeout, opts_.tls.get());
  if (!c.ok()) co_return c.error();
  conn_ = std::move(c.value());
  conn_->start([this](const session::ClientEvent& ev) { on_event(ev); },
               [this](const std::string& why) { on_lost(why); }, opts_.ping_interval);
  co_return std::nullopt;
}

void Receiver::on_lost(const std::string& why) {
  if (opts_.reconnect && !stopped_ && !why.starts_with("DISCONNECT")) {
    if (!reconnecting_) {
      reconnecting_ = true;
      asio::co_spawn(progress_->get_executor(), reconnect_loop(), asio::detached);
    }
    return;
  }
  lost_ = true;
  lost_reason_ = why;
  wake();
}

asio::awaitable<void> Receiver::reconnect_loop() {
  auto token = alive_token_;
  co_await conn_->close(false);
  while (*token && !stopped_) {
    if (!(co_await connect_once())) {
      ++reconnects_;
      break;
    }
    asio::steady_timer t(progress_->get_executor(), std::chrono::milliseconds(200));
    boost::system::error_code ec;
    co_await t.async_wait(redirect_error(use_awaitable, ec));
  }
  reconnecting_ = false;
  wake();
}

void Receiver::wake() {
  if (!progress_) return;
  progress_->cancel();
  progress_->expires_at(asio::steady_timer::time_point::max());
}

void Receiver::on_event(const session::ClientEvent& ev) {
  const auto* rv = std::get_if<session::RecvEvent>(&ev);
  if (!rv) return;
  const auto& f = rv->frame;
  const int64_t now = unix_now_ns();
  nlohmann::json j;
  const bool good = rv->check == session::RecvCheck::ok || rv->check == session::RecvCheck::not_encrypted;
  std::string acked = "yes";
  if (!good) {
    if (rv->check == session::RecvCheck::msg_key_mismatch) ++bad_msg_key_;
    else ++bad_payload_;
    acked = "no (" + std::string(session::recv_check_name(rv->check)) + ")";
  } else {
    auto verdict = tracker_.record({f.client_msg_no, f.channel_id, f.from_uid, f.channel_type,
                                    f.message_id, f.message_seq}, now);
    std::optional<int64_t> sent_ns = timed_payload_ns(rv->plaintext);
    if (sent_ns && !verdict.dup_client_msg_no && !verdict.dup_message_id)
      tracker_.record_latency(now - *sent_ns);
    bool send_ack = true;
    switch (opts_.ack.kind) {
      case AckPolicy::Kind::always: break;
      case AckPolicy::Kind::never: send_ack = false; acked = "never"; break;
      case AckPolicy::Kind::drop:
        if (std::uniform_real_distribution<double>(0, 1)(rng_) < opts_.ack.p) {
          send_ack = false;
          acked = "dropped";
        }
        break;
      case AckPolicy::Kind::delay: {
        send_ack = false;
        acked = "delayed";
        ++acked_;
        auto t = std::make_shared<asio::steady_timer>(progress_->get_executor(), opts_.ack.delay);
        int64_t id = f.message_id;
        uint64_t seq = f.message_seq;
        auto token = alive_token_;
        // Ack on whatever connection is current when the delay ends.
        t->async_wait([t, token, this, id, seq](boost::system::error_code ec) {
          if (!ec && *token && conn_) conn_->recvack(id, seq);
        });
        break;
      }
    }
    if (send_ack) {
      conn_->recvack(f.message_id, f.message_seq);
      ++acked_;
    } else if (opts_.ack.kind != AckPolicy::Kind::delay) {
      ++withheld_;
    }
    j["duplicate"] = verdict.kind();
    if (sent_ns) j["latency_ms"] = ns_to_ms(uint64_t(std::max<int64_t>(0, now - *sent_ns)));
  }
  if (on_message_) {
    j["type"] = "recv";
    j["uid"] = opts_.cfg.uid;
    j["message_id"] = f.message_id;
    j["message_idstr"] = std::to_string(f.message_id);
    j["message_seq"] = f.message_seq;
    j["client_msg_no"] = std::string(f.client_msg_no);
    j["from_uid"] = std::string(f.from_uid);
    j["channel_id"] = std::string(f.channel_id);
    j["channel_type"] = f.channel_type;
    j["timestamp"] = f.timestamp;
    j["dup_flag"] = f.header.dup;
    j["check"] = session::recv_check_name(rv->check);
    j["acked"] = acked;
    if (opts_.keep_payloads && good) j["payload"] = std::string(rv->plaintext);
    on_message_(j);
  }
  wake();
}

asio::awaitable<void> Receiver::wait(uint64_t count, std::chrono::steady_clock::time_point deadline) {
  asio::steady_timer limit(progress_->get_executor(), deadline);
  limit.async_wait([this](boost::system::error_code ec) {
    if (!ec) wake();
  });
  while (!stopped_ && !lost_ && std::chrono::steady_clock::now() < deadline &&
         (count == 0 || tracker_.unique() < count)) {
    boost::system::error_code ec;
    co_await progress_->async_wait(redirect_error(use_awaitable, ec));
  }
  limit.cancel();
}

void Receiver::stop() {
  stopped_ = true;
  wake();
}

asio::awaitable<void> Receiver::close() {
  stopped_ = true;
  while (reconnecting_) {
    asio::steady_timer t(progress_->get_executor(), std::chrono::milliseconds(20));
    boost::system::error_code ec;
    co_await t.async_wait(redirect_error(use_awaitable, ec));
  }
  if (conn_) co_await conn_->close();
}

nlohmann::json Receiver::summary_json() const {
  auto j = tracker_.summary_json();
  j["uid"] = opts_.cfg.uid;
  j["acked"] = acked_;
  j["withheld_acks"] = withheld_;
  j["bad_msg_key"] = bad_msg_key_;
  j["bad_payload"] = bad_payload_;
  j["ack_policy"] = opts_.ack.kind == AckPolicy::Kind::always  ? "always"
                    : opts_.ack.kind == AckPolicy::Kind::never ? "never"
                    : opts_.ack.kind == AckPolicy::Kind::drop  ? "drop"
                                                               : "delay";
  if (lost_) j["connection_lost"] = lost_reason_;
  if (reconnects_) j["reconnects"] = reconnects_;
  return j;
}

}  // namespace wkit::app
