#pragma once
// `wkit send`: one engine for a single message with forced retries, for load
// runs (count/duration, open-model rate, many connections, windows) and for
// end-to-end verification with in-process receivers.
//
// Accounting per message: every SENDACK is recorded, and the verdict
// (idempotent, duplicated, unverified, failed) is decided by verdict.hpp from
// the attempts, the answers, and with --verify the receivers' view.
//
// Every run ends by itself: --count and --duration bound the sending, ack
// timeouts and retries hold while a connection is being re-established, a
// server that stays away past the reconnect budget ends the run (exit 3,
// with the summary of what was measured), and a stop request (SIGINT or
// SIGTERM when handle_signals is set) ends it with its summary.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wkit/app/client_send_http.hpp"
#include "wkit/app/thresholds.hpp"
#include "wkit/app/verdict.hpp"
#include "wkit/net/transport.hpp"
#include "wkit/session/client_session.hpp"
#include "wkit/util/histogram.hpp"
#include "wkit/util/run_timeline.hpp"

namespace wkit::app {

struct Identity {
  std::string uid, token;
};
// Reads `uid[:token]` lines (blank lines and #comments skipped). Errors name file:line.
Result<std::vector<Identity>> read_users_file(const std::string& path);
// "UID[:TOKEN]"
Identity parse_identity(std::string_view text);

struct Target {
  std::string channel_id;
  uint8_t channel_type = 1;
};

struct SendOptions {
  net::Url url;
  std::shared_ptr<const net::ClientTls> tls;  // wss:// (null: system trust)
  session::ClientConfig base;   // identity, version, encryption
  std::vector<Identity> users;  // --users-file: connection i uses users[i % n]
  std::vector<Target> targets;  // message g goes to targets[g % n]

  std::string payload;          // fixed payload (text/file/hex), when payload_size == 0
  size_t payload_size = 0;      // generated payload with a send timestamp
  std::string client_msg_no;    // fixed (single message only)

  uint64_t count = 1;                    // 0: no count limit (needs a duration)
  std::chrono::nanoseconds duration{0};  // > 0: stop sending when it elapses (or at count, if first)
  double rate = 0;                       // per second; 0 = as fast as windows allow
  int connections = 1;
  int window = 1;

  enum class RetryMode { forced, on_timeout };
  RetryMode retry_mode = RetryMode::forced;
  int retries = 0;
  std::chrono::nanoseconds retry_interval = std::chrono::seconds(1);
  bool reconnect_before_retry = false;
  std::chrono::nanoseconds ack_timeout = std::chrono::seconds(5);

  std::chrono::milliseconds connect_timeout{10000};
  // A lost connection is re-established for at most this long; then the run
  // ends with exit 3.
  std::chrono::nanoseconds reconnect_budget = std::chrono::seconds(10);
  // --rate: a send later than this behind its schedule is late.
  std::chrono::nanoseconds late_tolerance = std::chrono::milliseconds(10);
  std::vector<Threshold> thresholds;
  bool handle_signals = false;  // SIGINT/SIGTERM end the run with its summary
  std::chrono::nanoseconds ramp_up{0};  // spread connection starts over this
  int max_handshakes = 16;              // concurrent handshakes at most

  // Verification: receivers open before sending; every message is expected
  // at every receiver.
  std::vector<Identity> receivers;
  std::chrono::nanoseconds verify_wait = std::chrono::seconds(10);
  bool fail_on_duplicate = false;  // repeated deliveries of one message_id fail the check too
  // Before sending, the receivers take what the server had pending for them
  // (reported as preexisting): done when no RECV came for baseline_quiet,
  // at most baseline_max.
  std::chrono::nanoseconds baseline_quiet = std::chrono::milliseconds(300);
  std::chrono::nanoseconds baseline_max = std::chrono::seconds(5);

  // --check-via: the server's HTTP API (http:// or https://). Before the
  // run, the head seq of each target channel; after it, messagesync from
  // there settles each message with the message_ids its store holds
  // (docs/send.md "Settling with the server's store").
  std::optional<net::Url> check_via;
  std::shared_ptr<const net::ClientTls> check_via_tls;  // https:// (null: system trust)
  uint32_t check_via_page_size = 1000;

  // --via http: every attempt is a POST /message/send to this API (http://
  // or https://) instead of a SEND on a WKProto connection; an HTTP answer
  // counts like a SENDACK, a lost or timed-out one like a lost SENDACK. Each
  // connection (lane) is a pool of `window` kept-alive HTTP connections
  // (docs/send.md "Sending through the HTTP API").
  std::optional<net::Url> api;
  std::shared_ptr<const net::ClientTls> api_tls;  // https:// (null: system trust)
  ApiGeneration api_generation = ApiGeneration::v3;
  // Fault injection: the first N answers to each message (SENDACKs or HTTP
  // answers) are dropped as if lost, so that retries and verdicts can be
  // seen against any server.
  int drop_answers = 0;
};

struct SendOutcome {
  nlohmann::json summary;
  util::Histogram latency;
  util::RunTimeline timeline;  // per second of the run, for --report
  RunFindings findings;
  int exit_code = 0;  // 0 ok, 1 check failed, 3 connection/handshake
  std::string error;  // one line when the run could not complete (exit 3)
};

struct SendHooks {
  std::function<void(const nlohmann::json&)> on_message;    // per finished message
  std::function<void(const nlohmann::json&)> on_delivery;   // verify: per RECV
  // Called about 10 times a second: sent, acked, elapsed seconds, current p99 ns.
  std::function<void(uint64_t, uint64_t, double, uint64_t)> on_progress;
  // When set, every latency is recorded here too, on the run's thread (the
  // one on_progress runs on): the progress line's window p99 (ProgressWindow).
  util::Histogram* window_latency = nullptr;
  // Things a person should know as they happen (a connection lost, a stop
  // request): one line each, for stderr.
  std::function<void(const std::string&)> on_notice;
};

// Runs to completion on its own io_context (the calling thread).
SendOutcome run_send(const SendOptions& opts, const SendHooks& hooks = {});

}  // namespace wkit::app
