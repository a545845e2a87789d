#pragma once
// State shared by the readers and the analysis of one audit run: the inputs,
// interned channel/sender names, the client_msg_no log, the record store and
// malformed-line bookkeeping.
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "wkit/audit/name_table.hpp"
#include "wkit/audit/options.hpp"
#include "wkit/audit/record.hpp"
#include "wkit/audit/record_store.hpp"
#include "wkit/audit/string_log.hpp"
#include "wkit/util/error.hpp"

namespace wkit::audit {

// Positions of records read from positional chunks (text_pipeline.hpp) are
// known only as (chunk, line within the chunk) while the chunks are parsed in
// parallel; the chunk's first line is resolved when all are done. The encoding
// sorts like the line numbers it stands for.
inline constexpr uint64_t kDeferredLine = 1ULL << 63;
inline uint64_t deferred_line(uint64_t chunk, uint64_t line_in_chunk) {
  return kDeferredLine | (chunk << 32) | line_in_chunk;
}

struct InputInfo {
  std::string name;      // as given ("<stdin>" for -)
  std::string format;    // jsonl, json, csv, sqlite:<schema>
  std::string compression = "none";
  std::string table;     // SQLite: locations are name:table:rowid
  uint64_t rows = 0;
  uint64_t malformed = 0;
  // Records the input holds that could not be turned into messages though
  // they were read (a capture's successful SENDACK without its SEND, a
  // capture cut off inside a record).
  uint64_t skipped = 0;
  uint64_t without_message_id = 0;
  uint64_t with_id_or_client_msg_no = 0;  // rows that have either key: none of them means a wrong mapping
  nlohmann::json details = nlohmann::json::object();  // format-specific stats, merged into the report's input
  std::vector<uint64_t> chunk_first_lines;  // positional chunks: the line each one starts at
  bool not_read = false;  // the audit was stopped (SIGINT) before this input could be read
};

struct ChannelName {
  std::string_view id;  // valid as long as the context
  int64_t type = 0;
};

struct MalformedLine {
  uint16_t input;
  uint64_t pos;
  std::string message;
  int64_t offset = -1;  // byte offset in the input, where a line number does not pin it (JSON documents)
};

// --temp-dir, else $TMPDIR, else /tmp: where spills and temp copies go.
std::string temp_dir_of(const AuditOptions& o);

class AuditContext {
 public:
  explicit AuditContext(AuditOptions opts);

  AuditOptions options;
  std::vector<InputInfo> inputs;
  StringLog strings;
  RecordStore store;

  std::string location(uint16_t input, uint64_t pos) const;
  // A record's position as reported: deferred lines resolved.
  uint64_t position(uint16_t input, uint64_t pos) const;

  // Names by hash, filled by RecordBuilder::flush; looked up once reading is over.
  void add_names(NameBatch& channels, NameBatch& senders);
  ChannelName channel_name(uint64_t h) const;
  std::string_view sender_name(uint64_t h) const;

  // Malformed lines: counted per input; the first few (by location) kept.
  // The message is copied only when it is kept.
  void malformed(uint16_t input, uint64_t pos, std::string_view message, int64_t offset = -1);
  static constexpr size_t kMalformedExamples = 10;
  const std::vector<MalformedLine>& malformed_examples() const { return malformed_; }
  // Skipped records (InputInfo::skipped): counted, the first few kept.
  void skipped(uint16_t input, uint64_t pos, std::string_view message);
  static constexpr size_t kUnreadableExamples = 5;
  const std::vector<MalformedLine>& skipped_examples() const { return skipped_; }

  // --strict or an unreadable input stops every reader.
  void fail(Error e);
  // --strict: a malformed record stops every reader; its location is put in
  // the error when failure() is asked, after the input's lines are resolved.
  void fail_malformed(uint16_t input, uint64_t pos, std::string message);
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  // A stop was requested (AuditOptions::stop): readers end at the next record
  // boundary. One relaxed load, cheap enough for every record.
  bool stopping() const { return options.stop && options.stop->load(std::memory_order_relaxed) != 0; }
  std::optional<Error> failure();

  // The signal that stopped reading ("SIGINT", "SIGTERM", "signal N"), or
  // "" when every input was read to its end.
  std::string interrupted_by() const;

  std::atomic<uint64_t> rows{0};
  std::atomic<uint64_t> bytes_in{0};      // decompressed bytes handed to the parsers
  std::atomic<uint64_t> raw_bytes_in{0};  // bytes read from the input files (compressed): progress and ETA

  std::mutex mu;  // guards inputs[].counters when several threads add

 private:
  NameTable channels_{true}, senders_{false};
  std::vector<MalformedLine> malformed_, skipped_;
  std::atomic<bool> failed_{false};
  std::optional<Error> failure_;
  std::optional<MalformedLine> failed_line_;
};

// Turns RawFields into Records for one input on one thread, without
// allocating per record: records go to a block handed to the store when full,
// names are interned (a string is copied only the first time it is seen).
class RecordBuilder {
 public:
  RecordBuilder(AuditContext& ctx, uint16_t input);
  ~RecordBuilder();
  RecordBuilder(const RecordBuilder&) = delete;
  RecordBuilder& operator=(const RecordBuilder&) = delete;
  Status init();

  void add(const RawFields& f, uint64_t pos);
  // The StringLog source holding this input's text (RawFields::client_msg_no_at).
  void set_string_source(uint32_t id) { string_source_ = id; }
  void malformed(uint64_t pos, std::string_view message, int64_t offset = -1);
  void flush();

 private:
  AuditContext& ctx_;
  uint16_t input_;
  StringLog::Writer* writer_ = nullptr;
  std::optional<uint32_t> string_source_;
  std::vector<Record> block_;
  // Names for the context, less those handed over recently.
  RecentHashes recent_channels_, recent_senders_;
  NameBatch new_channels_, new_senders_;
  uint64_t rows_ = 0, malformed_ = 0, without_mid_ = 0, keyed_ = 0;
};

}  // namespace wkit::audit
