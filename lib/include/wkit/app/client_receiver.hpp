#pragma once
// `wkit recv` (and the in-process receivers of `wkit send --verify`): one
// connection as a user; every RECV is verified (msg_key) and decrypted by
// the session, classified by a DeliveryTracker, and acknowledged according
// to the ack policy. A RECV with a bad msg_key or payload is reported and
// never acknowledged.
#include <chrono>
#include <functional>
#include <memory>
#include <random>

#include <nlohmann/json.hpp>

#include "wkit/app/client_connection.hpp"
#include "wkit/app/client_deliveries.hpp"

namespace wkit::app {

// `always`, `never`, `drop:P` (withhold with probability P), `delay:D`.
struct AckPolicy {
  enum class Kind { always, never, drop, delay } kind = Kind::always;
  double p = 0;
  std::chrono::nanoseconds delay{0};
  static Result<AckPolicy> parse(std::string_view text);
};

struct ReceiverOptions {
  net::Url url;
  std::shared_ptr<const net::ClientTls> tls;  // wss:// (null: system trust)
  session::ClientConfig cfg;
  AckPolicy ack;
  std::chrono::nanoseconds dedup_window{0};
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds ping_interval{30000};
  uint64_t seed = 1;
  bool keep_payloads = true;  // include decrypted payloads in per-message JSON
  // Reconnect (every 200 ms until stop()) when the connection drops, except
  // after a DISCONNECT from the server; deliveries accumulate across
  // connections. Used by `send --verify`, so a server restart is survivable.
  bool reconnect = false;
};

class Receiver {
 public:
  // `on_message` (optional) gets one JSON object per RECV (the jsonl record).
  Receiver(ReceiverOptions opts, std::function<void(const nlohmann::json&)> on_message = {});
  ~Receiver();

  asio::awaitable<Status> open();
  // Suspends until `count` unique messages arrived (count 0: never), the
  // deadline passes, stop() is called, or the connection ends.
  asio::awaitable<void> wait(uint64_t count, std::chrono::steady_clock::time_point deadline);
  void stop();
  asio::awaitable<void> close();

  const DeliveryTracker& tracker() const { return tracker_; }
  bool connection_lost() const { return lost_; }
  const std::string& lost_reason() const { return lost_reason_; }
  uint64_t acked() const { return acked_; }
  uint64_t reconnects() const { return reconnects_; }
  uint64_t withheld() const { return withheld_; }
  uint64_t bad_msg_key() const { return bad_msg_key_; }
  uint64_t bad_payload() const { return bad_payload_; }
  const std::string& uid() const { return opts_.cfg.uid; }
  nlohmann::json summary_json() const;

 private:
  void on_event(const session::ClientEvent& ev);
  void on_lost(const std::string& why);
  asio::awaitable<Status> connect_once();
  asio::awaitable<void> reconnect_loop();
  void wake();

  ReceiverOptions opts_;
  std::function<void(const nlohmann::json&)> on_message_;
  std::unique_ptr<ClientConnection> conn_;
  DeliveryTracker tracker_;
  std::mt19937_64 rng_;
  std::unique_ptr<asio::steady_timer> progress_;
  std::shared_ptr<bool> alive_token_ = std::make_shared<bool>(true);
  bool lost_ = false, stopped_ = false, reconnecting_ = false;
  uint64_t reconnects_ = 0;
  std::string lost_reason_;
  uint64_t acked_ = 0, withheld_ = 0, bad_msg_key_ = 0, bad_payload_ = 0;
};

}  // namespace wkit::app
