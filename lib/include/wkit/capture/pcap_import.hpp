#pragma once
// Turns a tcpdump capture (pcap or pcapng, read by libpcap) into capture
// records: each TCP connection is reassembled per direction and decoded as
// WKProto frames. Payloads stay as captured (encrypted ones are marked, not
// guessed); missing data, bad frames and cut-off streams become Anomaly
// records with their stream offsets.
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wkit/capture/format.hpp"
#include "wkit/util/error.hpp"

namespace wkit::capture {

using RecordSink = std::function<Status(const pb::Record&)>;

// Kept current by import_pcap() for a progress line drawn by another thread.
struct ImportProgress {
  std::atomic<uint64_t> bytes_read{0};  // file bytes read (where libpcap's reading is)
  std::atomic<uint64_t> packets{0};
};

struct ImportOptions {
  // Only connections with this port on either side. Without it every TCP
  // connection is tried and those that do not start with CONNECT are skipped.
  std::optional<uint16_t> port;
  // Out-of-order bytes held per direction before the hole before them is
  // declared a gap (the whole capture is read before any other gap is declared).
  uint64_t max_buffered_bytes = 8u << 20;
  int default_version = 6;  // for connections whose CONNECT was not captured
  // A corrupt record (not a cut-off end) is an error naming its packet number
  // and byte offset; with skip_bad the import goes on at the next believable
  // record when there is one (PcapRecords::resync) and counts what it skipped.
  bool skip_bad = false;
  ImportProgress* progress = nullptr;  // optional
};

struct ImportStats {
  std::string link_type;          // "EN10MB", "LINUX_SLL", ...
  uint64_t packets = 0;
  uint64_t tcp_segments = 0;
  uint64_t skipped_packets = 0;   // not IPv4/IPv6 TCP, fragments, malformed headers
  uint64_t snapped_packets = 0;   // captured shorter than on the wire (snaplen)
  uint64_t connections = 0;       // WKProto connections written
  uint64_t skipped_connections = 0;  // TCP connections that are not WKProto
  // Of those, connections that start with a TLS handshake (wss://): their
  // frames are ciphertext. A capture with nothing else is refused (docs/tls.md).
  uint64_t tls_connections = 0;
  std::string first_tls_server;   // "10.0.0.5:5200"
  uint64_t frames = 0;
  uint64_t gaps = 0, gap_bytes = 0;
  uint64_t retransmitted_segments = 0, out_of_order_segments = 0;
  uint64_t inconsistent_retransmitted_bytes = 0;
  uint64_t decode_errors = 0;
  int64_t first_ns = 0, last_ns = 0;
  // Set when the pcap file itself ends inside a record (tcpdump killed): the
  // packets before it are imported. "at byte O, inside packet N: ...".
  std::optional<std::string> file_truncated;
  std::optional<uint64_t> file_truncated_offset;
  // skip_bad: corrupt records skipped, the bytes skipped with them (a corrupt
  // stretch may have held more than one packet), and the first few, described.
  uint64_t bad_records = 0, bad_bytes = 0;
  static constexpr size_t kMaxBadRecordNotes = 20;
  std::vector<std::string> bad_record_notes;
};

// Reads `path` and calls `sink` for each record, in capture order.
Result<ImportStats> import_pcap(const std::string& path, const ImportOptions& opts, const RecordSink& sink);
// The same from bytes in memory (tests, fuzzing).
Result<ImportStats> import_pcap_memory(std::string_view data, const ImportOptions& opts, const RecordSink& sink);

// Whether `prefix` starts like a pcap or pcapng file.
bool looks_like_pcap(std::string_view prefix);

}  // namespace wkit::capture
