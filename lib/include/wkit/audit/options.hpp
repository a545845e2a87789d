#pragma once
// Everything `wkit audit` can be asked (docs/cli.md `audit`, docs/audit.md).
#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace wkit::audit {

enum class Scope { sender, channel, global };
const char* scope_name(Scope s);
bool scope_from_name(std::string_view name, Scope& out);

inline constexpr const char* kFindingNames[] = {
    "duplicate_client_msg_no", "message_id_collision", "duplicate_row", "seq_anomaly",
    "suspected_regenerated_client_msg_no", "absorbed_duplicate", "missing_client_msg_no"};
bool is_finding_name(std::string_view name);

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
  bool progress = true;                       // drawn only when stderr is a TTY
  std::string temp_dir;                       // "" = $TMPDIR or /tmp
  // Set to a signal number (SIGINT, SIGTERM) from a signal handler: reading
  // stops at the next record boundary and the report covers what was read,
  // marked "interrupted" (status never "clean"). Not owned.
  const std::atomic<int>* stop = nullptr;
};

}  // namespace wkit::audit
