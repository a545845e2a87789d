// CSV with a header row (RFC 4180 quoting); columns named like the HTTP API
// fields, or mapped with --map FIELD=COLUMN.
#include <charconv>
#include <cstdio>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "wkit/audit/source.hpp"
#include "wkit/audit/text_pipeline.hpp"
#include "wkit/util/byte_scan.hpp"

namespace wkit::audit {

namespace {

// Splits one CSV record starting at p; returns the index after its newline.
// Fields are views into the chunk, or into `scratch` when unquoting was needed.
size_t split_record(const char* p, size_t n, std::vector<std::string_view>& fields, std::string& scratch,
                    uint64_t& newlines, bool& bad_quote) {
  fields.clear();
  scratch.clear();
  bad_quote = false;
  // Quoted fields are unescaped into scratch; reserve so views stay valid.
  scratch.reserve(n);
  size_t i = 0;
  for (;;) {
    if (i < n && p[i] == '"') {
      const size_t at = scratch.size();
      ++i;
      for (;;) {
        if (i >= n) {
          bad_quote = true;
          break;
        }
        if (p[i] == '"') {
          if (i + 1 < n && p[i + 1] == '"') {
            scratch.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (p[i] == '\n') ++newlines;
        scratch.push_back(p[i++]);
      }
      fields.emplace_back(scratch.data() + at, scratch.size() - at);
      while (i < n && p[i] != ',' && p[i] != '\n') ++i;  // junk after a closing quote is ignored
    } else {
      size_t s = i;
      i = util::find_either(p, i, n, ',', '\n');  // fields such as a base64 payload are long
      size_t e = i;
      if (e > s && p[e - 1] == '\r') --e;
      fields.emplace_back(p + s, e - s);
    }
    if (i >= n) return n;
    if (p[i] == '\n') {
      ++newlines;
      return i + 1;
    }
    ++i;  // ','
  }
}

bool to_u64(std::string_view s, uint64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}
bool to_i64(std::string_view s, int64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

class CsvParser final : public ChunkParser {
 public:
  explicit CsvParser(const std::vector<Field>& cols) : cols_(cols) {}
  void parse(const TextChunk& c, RecordBuilder& out) override {
    const char* p = c.bytes();
    size_t at = 0;
    uint64_t line = c.first_line;
    RawFields f;
    while (at < c.size) {
      const uint64_t rec_line = line;
      uint64_t nls = 0;
      bool bad_quote = false;
      at += split_record(p + at, c.size - at, fields_, scratch_, nls, bad_quote);
      line += nls;
      if (fields_.size() == 1 && fields_[0].empty()) continue;  // blank line
      if (bad_quote) {
        out.malformed(rec_line, "unterminated quoted field");
        continue;
      }
      if (fields_.size() != cols_.size()) {
        char msg[64];  // no allocation per malformed line: the message is copied only if kept
        std::snprintf(msg, sizeof msg, "expected %zu fields, found %zu", cols_.size(), fields_.size());
        out.malformed(rec_line, msg);
        continue;
      }
      if (const char* err = fill(f)) out.malformed(rec_line, err);
      else out.add(f, rec_line);
    }
  }

 private:
  const char* fill(RawFields& f) {
    static constexpr RawFields kNoCsvFields{};
    f = kNoCsvFields;  // copied: `RawFields{}` zeroed a temporary with `rep stos` first, slow to start
    std::optional<uint64_t> idstr;
    for (size_t i = 0; i < cols_.size(); ++i) {
      std::string_view v = fields_[i];
      uint64_t u = 0;
      switch (cols_[i]) {
        case Field::message_id:
        case Field::message_idstr:
          if (v.empty()) break;
          if (!to_u64(v, u)) return "message_id: not an unsigned integer";
          (cols_[i] == Field::message_id ? f.message_id : idstr) = u;
          break;
        case Field::message_seq:
          if (v.empty()) break;
          if (!to_u64(v, u) || u > 0xffffffffULL) return "message_seq: not a 32-bit unsigned integer";
          f.message_seq = u;
          break;
        case Field::client_msg_no: f.client_msg_no = v; break;
        case Field::from_uid: f.from_uid = v; break;
        case Field::channel_id: f.channel_id = v; break;
        case Field::channel_type:
          if (!v.empty() && !to_i64(v, f.channel_type)) return "channel_type: not an integer";
          break;
        case Field::timestamp:
          if (!v.empty() && !to_i64(v, f.timestamp)) return "timestamp: not an integer";
          break;
        case Field::payload: f.payload = v; break;
        case Field::is_deleted: {
          int64_t d = 0;
          if (!v.empty() && !to_i64(v, d)) return "is_deleted: not an integer";
          f.is_deleted = d != 0;
          break;
        }
        default: break;
      }
    }
    if (!f.message_id && idstr) f.message_id = idstr;
    return nullptr;
  }

  const std::vector<Field>& cols_;
  std::vector<std::string_view> fields_;
  std::string scratch_;
};

// Runs on the one thread that cuts the input for the parsers, over every
// byte: 16 bytes a step (SSE2, the x86-64 baseline). A newline ends a record
// when an even number of quotes precede it; the prefix XOR of a block's quote
// bits gives that parity at every byte.
size_t after_last_record(const char* d, size_t n) {
  bool quoted = false;
  size_t last = 0, i = 0;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), nl = _mm_set1_epi8('\n');
  for (; n - i >= 16; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + i));
    uint32_t q = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)));
    const auto lines = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)));
    if (q == 0 && lines == 0) continue;
    uint32_t inside = q;  // bit k: an odd number of quotes at or before byte k
    inside ^= inside << 1;
    inside ^= inside << 2;
    inside ^= inside << 4;
    inside ^= inside << 8;
    if (quoted) inside = ~inside;
    if (const uint32_t ends = lines & ~inside & 0xffff) last = i + (31 - static_cast<size_t>(__builtin_clz(ends))) + 1;
    quoted ^= (__builtin_popcount(q) & 1) != 0;
  }
#endif
  for (; i < n; ++i) {
    if (d[i] == '"') quoted = !quoted;
    else if (d[i] == '\n' && !quoted) last = i + 1;
  }
  return last;
}

class CsvSource final : public RecordSource {
 public:
  CsvSource(std::unique_ptr<PeekableInput> in, std::vector<Field> cols, std::string rest, std::string header)
      : in_(std::move(in)), cols_(std::move(cols)), rest_(std::move(rest)), header_(std::move(header)) {}
  std::string format() const override { return "csv"; }
  std::string fields_seen() const override { return "columns: " + header_; }
  Status run(AuditContext& ctx, uint16_t input) override {
    return run_text_pipeline(
        ctx, input, *in_,
        [&](ChunkSink& sink) { return produce_line_chunks(*in_, sink, after_last_record, 2, std::move(rest_)); },
        [&] { return std::make_unique<CsvParser>(cols_); });
  }

 private:
  std::unique_ptr<PeekableInput> in_;
  std::vector<Field> cols_;
  std::string rest_;
  std::string header_;
};

}  // namespace

bool detect_csv(std::string_view head) {
  size_t nl = head.find('\n');
  std::string_view first = head.substr(0, nl);
  return first.find(',') != std::string_view::npos && first.find('\0') == std::string_view::npos;
}

Result<std::unique_ptr<RecordSource>> open_csv(std::unique_ptr<PeekableInput> in, const AuditOptions& o) {
  auto map = FieldMap::make(o.maps);
  if (!map) return map.error();
  // The header: read up to its newline.
  std::string head;
  char buf[4096];
  size_t nl = std::string::npos;
  while (nl == std::string::npos) {
    auto got = in->read(buf, sizeof buf);
    if (!got) return got.error();
    if (*got == 0) break;
    head.append(buf, *got);
    nl = head.find('\n');
    if (head.size() > (1 << 20)) return Error::input(in->name() + ":1: CSV header line longer than 1 MiB");
  }
  if (head.empty()) return Error::input(in->name() + ":1: empty CSV input (no header)");
  std::string rest = nl == std::string::npos ? std::string() : head.substr(nl + 1);
  head.resize(nl == std::string::npos ? head.size() : nl);
  std::vector<std::string_view> names;
  std::string scratch;
  uint64_t nls = 0;
  bool bad = false;
  split_record(head.data(), head.size(), names, scratch, nls, bad);
  std::vector<Field> cols;
  std::vector<std::string> header;
  bool have_cmn = false, have_id = false;
  for (auto n : names) {
    while (!n.empty() && (n.back() == '\r' || n.back() == ' ')) n.remove_suffix(1);
    if (n.size() >= 3 && n.substr(0, 3) == "\xEF\xBB\xBF") n.remove_prefix(3);  // UTF-8 BOM
    Field f = map->lookup(n);
    have_cmn |= f == Field::client_msg_no;
    have_id |= f == Field::message_id || f == Field::message_idstr;
    cols.push_back(f);
    header.emplace_back(n);
  }
  if (!have_cmn && !have_id)
    return Error::input(in->name() + ":1: CSV header has neither a client_msg_no nor a message_id column "
                                     "(columns: " + describe_names(header) + "; use --map FIELD=COLUMN)");
  return std::unique_ptr<RecordSource>(
      std::make_unique<CsvSource>(std::move(in), std::move(cols), std::move(rest), describe_names(header)));
}

}  // namespace wkit::audit
