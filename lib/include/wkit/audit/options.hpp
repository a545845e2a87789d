#pragma once
// Everything `wkit audit` can be asked (docs/cli.md `audit`, docs/audit.md).
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wkit/util/error.hpp"
#include "wkit/util/progress.hpp"

namespace wkit::audit {

enum class Scope { sender, channel, global };
const char* scope_name(Scope s);
bool scope_from_name(std::string_view name, Scope& out);

inline constexpr const char* kFindingNames[] = {
    "duplicate_client_msg_no", "message_id_collision", "duplicate_row", "seq_anomaly",
    "suspected_regenerated_client_msg_no", "absorbed_duplicate", "missing_client_msg_no"};
bool is_finding_name(std::string_view name);

// A live audit: the history of channels paged through a server's
// POST /channel/messagesync (docs/audit.md "Live audit").
struct LiveChannel {
  std::string id;     // as asked (a person channel: the peer's uid, or a@b)
  int64_t type = 0;
  std::string login_uid;  // who reads it; "" = LiveOptions::login_uid (--uids discovery sets it)
};
// One answer of POST /channel/messagesync, whatever its HTTP status.
struct LiveReply {
  int status = 0;
  std::string body;
};
// Sends one messagesync request body and returns the answer; errors are the
// connection's (kind connection; message "interrupted" after a stop). The
// HTTP client lives in the net layer: the caller (cli/cmd_audit.cpp) wires it.
using LiveFetch = std::function<Result<LiveReply>(const std::string& request_body)>;

struct LiveOptions {
  std::string url;                  // http://HOST:PORT or https://HOST:PORT (names the inputs)
  std::string login_uid;
  std::vector<LiveChannel> channels;
  double rate = 20;                 // requests per second at most
  uint32_t page_size = 1000;        // 1..10000
  uint64_t since_seq = 0;           // first message_seq asked (0 = from 1)
  int api_compat = 3;               // 3 or 2: how answers are read
  LiveFetch fetch;
};

struct AuditOptions {
  std::vector<std::string> inputs;           // paths, "-" = stdin
  std::string input_format = "auto";          // auto|jsonl|json|csv|sqlite
  std::vector<std::pair<std::string, std::string>> maps;  // FIELD -> column/key name
  std::string table;                          // SQLite table ("" = detect)
  Scope scope = Scope::sender;
  int64_t window_s = 30;
  bool check_gaps = false;
  std::vector<std::string> fail_on = {"duplicate_client_msg_no", "message_id_collision"};
  unsigned threads = 0;                       // 0 = all cores
  uint64_t memory_limit = 1ULL << 30;
  uint32_t shard = 0, shards = 1;             // --shard K/N (1-based on the CLI)
  bool strict = false;
  // Records that could not be read make the result "unverified" (exit 1);
  // with this, an unverified run exits 0 (findings still exit 1).
  bool allow_unreadable = false;
  bool progress = true;                       // false: none, whatever progress_settings say
  util::ProgressSettings progress_settings;   // --progress, --progress-interval (docs/cli.md "Progress")
  std::string temp_dir;                       // "" = $TMPDIR or /tmp
  // Set to a signal number (SIGINT, SIGTERM) from a signal handler: reading
  // stops at the next record boundary and the report covers what was read,
  // marked "interrupted" (status never "clean"). Not owned.
  const std::atomic<int>* stop = nullptr;
  // Set: audit these channels of a running server instead of `inputs`.
  std::optional<LiveOptions> live;
};

}  // namespace wkit::audit
