#pragma once
// Parallel parsing of text inputs: one thread reads (and decompresses) the
// input and cuts it into chunks of whole records; --threads workers parse
// chunks into records. The queue between them is bounded, so memory is too.
// An uncompressed JSON-lines file is cut without being read ("positional"
// chunks): each worker reads its chunks itself and counts their lines, and the
// line numbers of its records are resolved when all chunks are done.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wkit/audit/byte_input.hpp"
#include "wkit/audit/context.hpp"

namespace wkit::audit {

inline constexpr size_t kChunkBytes = 1 << 20;
inline constexpr size_t kChunkPadding = 64;  // >= SIMDJSON_PADDING

struct TextChunk {
  std::string data;               // size + kChunkPadding bytes; records end with '\n'
  const char* view = nullptr;     // instead of data: a worker's buffer (readable past size + padding)
  size_t size = 0;
  const char* bytes() const { return view ? view : data.data(); }
  uint64_t first_line = 1;        // line of data[0] (a deferred_line for positional chunks)
  std::vector<uint64_t> lines;    // when not empty: the line of each record
  std::vector<uint64_t> offsets;  // JSON documents: the byte offset (decompressed) of each record
  // A positional chunk: the worker reads bytes [offset, offset + size) of
  // `file` itself into its own buffer (plus a '\n' when the file lacks one).
  PeekableInput* file = nullptr;
  uint64_t offset = 0;
  uint32_t index = 0;             // the chunk's place in the input
  bool add_newline = false;
};

class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  // Hands a chunk to the workers; false when the audit is being stopped
  // (a failure, or a stop request: then no more chunks are wanted).
  virtual bool push(TextChunk&& chunk) = 0;
  // A stop was requested (SIGINT): producers end at the next record boundary
  // instead of taking a read that returned 0 for the end of the input.
  virtual bool stopping() const = 0;
};

class ChunkParser {
 public:
  virtual ~ChunkParser() = default;
  virtual void parse(const TextChunk& chunk, RecordBuilder& out) = 0;
  // The newlines of the chunk just parsed, when the parser counted them on
  // its way through (a positional chunk's worker then skips its own pass).
  virtual std::optional<uint64_t> newlines_in_last_chunk() const { return std::nullopt; }
};

// Runs `produce` on the calling thread and parsers on worker threads.
Status run_text_pipeline(AuditContext& ctx, uint16_t input, PeekableInput& in,
                         const std::function<Status(ChunkSink&)>& produce,
                         const std::function<std::unique_ptr<ChunkParser>()>& make_parser);

// For inputs whose records end at every newline (JSON lines): positional
// chunks when `in` allows (the workers read them; no copy on this thread and
// line numbers resolved after parsing), else produce_line_chunks.
Status produce_newline_chunks(PeekableInput& in, ChunkSink& sink);

// Reads `in` in blocks and emits chunks cut after the last record end that
// `last_end(data, size)` finds (returns the index after it, or 0 if none).
Status produce_line_chunks(PeekableInput& in, ChunkSink& sink,
                           const std::function<size_t(const char*, size_t)>& last_end,
                           uint64_t first_line = 1, std::string carry = {});

}  // namespace wkit::audit
