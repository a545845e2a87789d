// Codec speed (issue 2): decode a stream of v5 RECV frames and encode v5 SEND
// frames, ~220 bytes each with a 100-byte payload; zero allocations per frame.
// Baselines in the same run: memcpy of the same bytes, and an allocating
// decode (OwnedFrame). Reference (official Go codec on this machine kind):
// ~160 ns per RECV decoded, ~310 ns per SEND encoded.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "wkit/proto/jsonrpc.hpp"
#include "wkit/proto/owned_frame.hpp"
#include "wkit/proto/stream_decoder.hpp"

// Counts every heap allocation in the process (reported per frame).
static std::atomic<uint64_t> g_allocs{0};
void* operator new(size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

using namespace wkit::proto;

constexpr int kVersion = 5;
constexpr int kFrames = 1000;

struct Corpus {
  std::vector<std::string> strings;  // backing for views
  std::vector<Recv> recvs;
  std::vector<Send> sends;
  std::string recv_stream;
  size_t frame_bytes = 0;
};

std::string fixed(char c, size_t n, int i) {
  std::string s(n, c);
  std::string num = std::to_string(i);
  s.replace(n - num.size(), num.size(), num);
  return s;
}

const Corpus& corpus() {
  static const Corpus c = [] {
    Corpus c;
    c.strings.reserve(kFrames * 8);
    auto keep = [&](std::string s) -> std::string_view { return c.strings.emplace_back(std::move(s)); };
    for (int i = 0; i < kFrames; ++i) {
      std::string_view payload = keep(fixed('p', 100, i));
      Recv r;
      r.msg_key = keep(fixed('k', 32, i));
      r.from_uid = keep(fixed('u', 12, i));
      r.channel_id = keep(fixed('c', 16, i));
      r.channel_type = 2;
      r.expire = 0;
      r.client_msg_no = keep(fixed('n', 32, i));
      r.message_id = 1'700'000'000'000'000 + i;
      r.message_seq = 1000 + i;
      r.timestamp = 1'700'000'000;
      r.payload.data = payload;
      c.recvs.push_back(r);
      Send s;
      s.client_seq = i;
      s.client_msg_no = r.client_msg_no;
      s.channel_id = keep(fixed('c', 28, i));
      s.channel_type = 2;
      s.expire = 0;
      s.msg_key = r.msg_key;
      s.payload.data = payload;
      c.sends.push_back(s);
      if (encode_frame(r, kVersion, c.recv_stream)) std::abort();
    }
    c.frame_bytes = c.recv_stream.size() / kFrames;  // all frames are the same size
    return c;
  }();
  return c;
}

// `allocs` were counted over one untimed pass of kFrames frames, so the
// benchmark library's own bookkeeping stays out of the figure.
void report(benchmark::State& state, uint64_t allocs, size_t bytes_per_iter) {
  const double frames = static_cast<double>(state.iterations()) * kFrames;
  state.SetItemsProcessed(static_cast<int64_t>(frames));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes_per_iter));
  // Seconds per frame, printed with an SI prefix ("25.1n" = 25.1 ns).
  state.counters["time_per_frame"] =
      benchmark::Counter(frames, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["allocs_per_frame"] = static_cast<double>(allocs) / kFrames;
}

// Runs `pass` (one pass over all kFrames frames) once to warm buffers, once
// counting allocations, then timed.
template <class Pass>
void run(benchmark::State& state, size_t bytes_per_pass, Pass&& pass) {
  pass();
  const uint64_t a0 = g_allocs.load();
  pass();
  const uint64_t allocs = g_allocs.load() - a0;
  for (auto _ : state) pass();
  report(state, allocs, bytes_per_pass);
}

void BM_MemcpyRecvStream(benchmark::State& state) {
  const auto& c = corpus();
  std::string dst(c.recv_stream.size(), '\0');
  run(state, c.recv_stream.size(), [&] {
    std::memcpy(dst.data(), c.recv_stream.data(), c.recv_stream.size());
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  });
}
BENCHMARK(BM_MemcpyRecvStream);

void BM_DecodeRecvV5(benchmark::State& state) {
  const std::string_view in = corpus().recv_stream;
  run(state, in.size(), [&] {
    size_t pos = 0;
    uint64_t sum = 0;
    while (pos < in.size()) {
      DecodeResult r = decode_frame(in.substr(pos), kVersion);
      if (r.status != DecodeStatus::ok) std::abort();
      sum += std::get<Recv>(r.frame).message_seq;
      pos += r.consumed;
    }
    benchmark::DoNotOptimize(sum);
  });
}
BENCHMARK(BM_DecodeRecvV5);

// As a connection reads it: 64 KiB socket-sized chunks through StreamDecoder.
void BM_StreamDecodeRecvV5(benchmark::State& state) {
  const std::string_view in = corpus().recv_stream;
  StreamDecoder dec(kVersion);
  run(state, in.size(), [&] {
    uint64_t sum = 0;
    for (size_t pos = 0; pos < in.size(); pos += 65536) {
      dec.feed(in.substr(pos, 65536));
      for (;;) {
        DecodeResult r = dec.next();
        if (r.status != DecodeStatus::ok) break;
        sum += std::get<Recv>(r.frame).message_seq;
      }
    }
    benchmark::DoNotOptimize(sum);
  });
}
BENCHMARK(BM_StreamDecodeRecvV5);

// Baseline: an allocating decode (each frame copied into an OwnedFrame).
void BM_DecodeRecvV5Owned(benchmark::State& state) {
  const auto& c = corpus();
  const std::string_view in = c.recv_stream;
  run(state, in.size(), [&] {
    size_t pos = 0;
    uint64_t sum = 0;
    while (pos < in.size()) {
      auto o = OwnedFrame::from_bytes(in.substr(pos, c.frame_bytes), kVersion);
      if (!o.ok()) std::abort();
      sum += std::get<Recv>(o->frame()).message_seq;
      pos += o->bytes().size();
    }
    benchmark::DoNotOptimize(sum);
  });
}
BENCHMARK(BM_DecodeRecvV5Owned);

void BM_EncodeSendV5(benchmark::State& state) {
  const auto& c = corpus();
  std::string out;
  size_t bytes = 0;
  for (const auto& s : c.sends) bytes += encoded_size(s, kVersion).value();
  run(state, bytes, [&] {
    out.clear();
    for (const auto& s : c.sends)
      if (encode_frame(s, kVersion, out)) std::abort();
    benchmark::DoNotOptimize(out.data());
  });
  state.counters["frame_bytes"] = static_cast<double>(bytes) / kFrames;
}
BENCHMARK(BM_EncodeSendV5);

// Through the Frame variant (what a session's write queue holds).
void BM_EncodeSendV5Variant(benchmark::State& state) {
  const auto& c = corpus();
  const std::vector<Frame> frames(c.sends.begin(), c.sends.end());
  std::string out;
  size_t bytes = 0;
  for (const auto& f : frames) bytes += encoded_size(f, kVersion).value();
  run(state, bytes, [&] {
    out.clear();
    for (const auto& f : frames)
      if (encode_frame(f, kVersion, out)) std::abort();
    benchmark::DoNotOptimize(out.data());
  });
}
BENCHMARK(BM_EncodeSendV5Variant);

// Baseline for encoding: memcpy of the same number of bytes.
void BM_MemcpySendBytes(benchmark::State& state) {
  const auto& c = corpus();
  std::string src;
  for (const auto& s : c.sends)
    if (encode_frame(s, kVersion, src)) std::abort();
  std::string dst(src.size(), '\0');
  run(state, src.size(), [&] {
    std::memcpy(dst.data(), src.data(), src.size());
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  });
}
BENCHMARK(BM_MemcpySendBytes);

// The JSON-RPC dialect (docs/protocol.md section 10), generation 2.2.3
// (base64 payloads), same frames: what the JSON costs per message against
// BM_EncodeSendV5 / BM_DecodeRecvV5 in the same run. A server encodes RECVs
// and decodes SEND requests.
void BM_JsonRpcEncodeRecv(benchmark::State& state) {
  const auto& c = corpus();
  std::string out;
  run(state, 0, [&] {
    out.clear();
    for (const auto& r : c.recvs)
      if (jsonrpc::encode(r, {}, out)) std::abort();
    benchmark::DoNotOptimize(out.data());
  });
  state.counters["message_bytes"] = static_cast<double>(out.size()) / kFrames;
}
BENCHMARK(BM_JsonRpcEncodeRecv);

void BM_JsonRpcDecodeSend(benchmark::State& state) {
  const auto& c = corpus();
  std::vector<std::string> texts;
  for (size_t i = 0; i < c.sends.size(); ++i) {
    std::string t;
    if (jsonrpc::encode(c.sends[i], std::to_string(i + 1), t)) std::abort();
    texts.push_back(std::move(t));
  }
  jsonrpc::Message msg;
  std::string scratch;
  size_t bytes = 0;
  for (const auto& t : texts) bytes += t.size();
  run(state, bytes, [&] {
    uint64_t sum = 0;
    for (const auto& t : texts) {
      if (jsonrpc::decode(t, msg, scratch)) std::abort();
      sum += std::get<Send>(msg.frame).client_seq;
    }
    benchmark::DoNotOptimize(sum);
  });
  state.counters["message_bytes"] = static_cast<double>(bytes) / kFrames;
}
BENCHMARK(BM_JsonRpcDecodeSend);

}  // namespace

BENCHMARK_MAIN();
