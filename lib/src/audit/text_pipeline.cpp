#include "wkit/audit/text_pipeline.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "wkit/util/progress.hpp"
#include "wkit/util/units.hpp"

namespace wkit::audit {

namespace {

class ChunkQueue final : public ChunkSink {
 public:
  ChunkQueue(AuditContext& ctx, size_t capacity) : ctx_(ctx), capacity_(capacity) {}
  bool push(TextChunk&& c) override {
    std::unique_lock lk(mu_);
    // A positional chunk holds no bytes (its worker reads them): many may
    // wait, so the producer rarely needs the CPU the workers are using.
    const size_t capacity = c.file ? std::max<size_t>(capacity_, 256) : capacity_;
    // Stopped: a chunk of bytes already read is still parsed (it is part of
    // what was read); a positional chunk, not read yet, is not wanted.
    auto refused = [&] { return ctx_.failed() || (c.file && ctx_.stopping()); };
    not_full_.wait(lk, [&] { return q_.size() < capacity || refused(); });
    if (refused()) return false;
    if (!c.file) ctx_.bytes_in.fetch_add(c.size, std::memory_order_relaxed);  // positional: when read
    q_.push_back(std::move(c));
    not_empty_.notify_one();
    return true;
  }
  bool stopping() const override { return ctx_.stopping(); }
  // False at the end, and for positional chunks once a stop was requested:
  // those taken before it (under this lock, in order) are a prefix of the
  // input, so the line numbers of every record parsed can be resolved.
  bool pop(TextChunk& out) {
    std::unique_lock lk(mu_);
    not_empty_.wait(lk, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return false;
    if (q_.front().file && ctx_.stopping()) {
      not_full_.notify_all();  // the producer, waiting for room, sees the stop
      return false;
    }
    out = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void close() {
    std::lock_guard lk(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }
  void wake() {
    std::lock_guard lk(mu_);
    not_full_.notify_all();
  }

 private:
  AuditContext& ctx_;
  size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<TextChunk> q_;
  bool closed_ = false;
};

// The reader thread counts every line of the input before handing it on, so
// this runs at memory speed: 16 bytes a step (SSE2, the x86-64 baseline).
// std::count compiles to a byte loop at -O2, which cost the reader ~0.3 s on
// 800 MB, CPU taken from the parsers on a 2-core machine.
uint64_t count_newlines(const char* p, size_t n) {
  uint64_t total = 0;
#if defined(__SSE2__)
  const __m128i nl = _mm_set1_epi8('\n');
  size_t i = 0;
  while (n - i >= 16) {
    // Per-byte counters (cmpeq gives -1 per match) for at most 255 steps, then summed.
    __m128i acc = _mm_setzero_si128();
    const size_t steps = std::min<size_t>((n - i) / 16, 255);
    for (size_t k = 0; k < steps; ++k, i += 16)
      acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), nl));
    const __m128i sums = _mm_sad_epu8(acc, _mm_setzero_si128());
    total += static_cast<uint64_t>(_mm_cvtsi128_si64(sums)) +
             static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)));
  }
  p += i;
  n -= i;
#endif
  return total + static_cast<uint64_t>(std::count(p, p + n, '\n'));
}

// Cuts the file into chunks of whole lines without reading them: only a
// window before each cut is read, to find the last newline there.
Status produce_positional_chunks(PeekableInput& in, ChunkSink& sink) {
  const uint64_t size = in.raw_size();
  constexpr size_t kWindow = 16 << 10;
  std::vector<char> win(kWindow);
  auto read_window = [&](uint64_t lo, uint64_t hi) -> Result<size_t> {
    auto got = in.read_at(win.data(), static_cast<size_t>(hi - lo), lo);
    if (got && *got != hi - lo) return Error::input(in.name() + ": file changed while being read");
    return got;
  };
  char last = 0;
  if (auto got = in.read_at(&last, 1, size - 1); !got || *got != 1)
    return got ? Error::input(in.name() + ": file changed while being read") : got.error();
  uint64_t pos = 0;
  uint32_t index = 0;
  while (pos < size) {
    uint64_t end = std::min(size, pos + kChunkBytes);
    if (end < size) {
      uint64_t cut = 0;  // after the last newline in [pos, end), else after the first one from end
      for (uint64_t hi = end; hi > pos && !cut;) {
        const uint64_t lo = hi - std::min<uint64_t>(kWindow, hi - pos);
        auto got = read_window(lo, hi);
        if (!got) return got.error();
        if (auto* nl = static_cast<const char*>(::memrchr(win.data(), '\n', *got))) cut = lo + (nl - win.data()) + 1;
        hi = lo;
      }
      for (uint64_t lo = end; lo < size && !cut;) {  // a line longer than a chunk
        const uint64_t hi = std::min(size, lo + kWindow);
        auto got = read_window(lo, hi);
        if (!got) return got.error();
        if (auto* nl = static_cast<const char*>(std::memchr(win.data(), '\n', *got))) cut = lo + (nl - win.data()) + 1;
        lo = hi;
      }
      end = cut ? cut : size;
    }
    TextChunk chunk;
    chunk.file = &in;
    chunk.offset = pos;
    chunk.size = static_cast<size_t>(end - pos);
    chunk.index = index;
    chunk.first_line = deferred_line(index, 0);
    chunk.add_newline = end == size && last != '\n';
    ++index;
    pos = end;
    if (!sink.push(std::move(chunk))) return std::nullopt;
  }
  return std::nullopt;
}

// Reads a positional chunk into `buf` (reused across chunks) and points the
// chunk at it. Progress counts it now: up to 256 chunks may wait in the queue.
Status read_positional(TextChunk& c, std::string& buf, AuditContext& ctx) {
  const size_t n = c.size + (c.add_newline ? 1 : 0);
  if (buf.size() < n + kChunkPadding) buf.resize(n + kChunkPadding);
  auto got = c.file->read_at(buf.data(), c.size, c.offset);
  if (!got) return got.error();
  if (*got != c.size) return Error::input(c.file->name() + ": file changed while being read");
  if (c.add_newline) buf[c.size] = '\n';
  std::memset(buf.data() + n, ' ', kChunkPadding);
  c.file->count_positional(c.size);
  ctx.bytes_in.fetch_add(c.size, std::memory_order_relaxed);
  c.size = n;
  c.view = buf.data();
  return std::nullopt;
}

}  // namespace

Status run_text_pipeline(AuditContext& ctx, uint16_t input, PeekableInput& in,
                         const std::function<Status(ChunkSink&)>& produce,
                         const std::function<std::unique_ptr<ChunkParser>()>& make_parser) {
  unsigned threads = ctx.options.threads ? ctx.options.threads : std::max(1u, std::thread::hardware_concurrency());
  ChunkQueue queue(ctx, threads * 2);
  std::vector<std::thread> workers;
  std::mutex lines_mu;
  std::vector<std::pair<uint32_t, uint64_t>> chunk_lines;  // positional chunks: (index, newlines)
  // A positional input keeps its client_msg_no strings: the StringLog refers to them there.
  std::once_flag source_once;
  std::optional<uint32_t> string_source;
  for (unsigned i = 0; i < threads; ++i)
    workers.emplace_back([&] {
      RecordBuilder builder(ctx, input);
      if (auto err = builder.init()) {
        ctx.fail(*err);
        queue.wake();
        return;
      }
      auto parser = make_parser();
      TextChunk chunk;
      std::string buf;
      std::vector<std::pair<uint32_t, uint64_t>> lines;
      while (queue.pop(chunk)) {
        // Positional chunks are read and counted even after a failure: a
        // --strict error's line number needs every chunk before it.
        if (chunk.file) {
          if (auto err = read_positional(chunk, buf, ctx)) {
            ctx.fail(*err);
            queue.wake();
            continue;
          }
          std::call_once(source_once, [&] { string_source = ctx.strings.add_source(chunk.file->fd(), threads); });
          if (string_source) builder.set_string_source(*string_source);
        }
        std::optional<uint64_t> newlines;
        if (!ctx.failed()) {  // else only drained, so the producer never blocks
          parser->parse(chunk, builder);
          newlines = parser->newlines_in_last_chunk();
          if (ctx.failed()) queue.wake();
        }
        if (chunk.file) lines.emplace_back(chunk.index, newlines ? *newlines : count_newlines(chunk.view, chunk.size));
      }
      std::lock_guard lk(lines_mu);
      chunk_lines.insert(chunk_lines.end(), lines.begin(), lines.end());
    });
  Status st = produce(queue);
  queue.close();
  for (auto& t : workers) t.join();
  if (!chunk_lines.empty()) {
    std::sort(chunk_lines.begin(), chunk_lines.end());
    auto& firsts = ctx.inputs[input].chunk_first_lines;
    firsts.assign(chunk_lines.back().first + 1, 0);
    uint64_t line = 1;
    uint32_t next = 0;
    for (auto [index, newlines] : chunk_lines) {
      if (index != next) break;  // a gap only after a failure: later lines stay unresolved
      firsts[index] = line;
      line += newlines;
      ++next;
    }
    firsts.resize(next);
  }
  return st;
}

Status produce_newline_chunks(PeekableInput& in, ChunkSink& sink) {
  if (in.positional()) return produce_positional_chunks(in, sink);
  return produce_line_chunks(in, sink, [](const char* d, size_t n) -> size_t {
    const void* nl = ::memrchr(d, '\n', n);
    return nl ? static_cast<size_t>(static_cast<const char*>(nl) - d) + 1 : 0;
  });
}

Status produce_line_chunks(PeekableInput& in, ChunkSink& sink,
                           const std::function<size_t(const char*, size_t)>& last_end, uint64_t first_line,
                           std::string carry) {
  uint64_t line = first_line;
  std::string buf = std::move(carry);
  size_t have = buf.size();
  for (;;) {
    if (buf.size() < have + kChunkBytes + kChunkPadding) buf.resize(have + kChunkBytes + kChunkPadding);
    auto got = in.read(buf.data() + have, kChunkBytes);
    if (!got) return got.error();
    // Stopped: the bytes after the last record end are a record cut short, not the input's last one.
    if (*got == 0 && sink.stopping()) return std::nullopt;
    have += *got;
    const bool eof = *got == 0;
    size_t cut = eof ? have : last_end(buf.data(), have);
    if (eof && cut > 0 && buf[cut - 1] != '\n') {
      buf.resize(std::max(buf.size(), cut + 1 + kChunkPadding));
      buf[cut++] = '\n';
      have = cut;
    }
    if (cut > 0) {
      TextChunk chunk;
      chunk.first_line = line;
      chunk.size = cut;
      chunk.data.reserve(cut + kChunkPadding);
      chunk.data.assign(buf.data(), cut);  // no zero-fill before the copy
      chunk.data.append(kChunkPadding, ' ');
      line += count_newlines(buf.data(), cut);
      std::memmove(buf.data(), buf.data() + cut, have - cut);
      have -= cut;
      if (!sink.push(std::move(chunk))) return std::nullopt;
    }
    if (eof) return std::nullopt;
  }
}

}  // namespace wkit::audit
