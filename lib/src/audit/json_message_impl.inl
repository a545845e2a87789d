// The body of the JSON message parser, compiled once per simdjson
// implementation (json_message_*.cpp): the includer defines `ondemand`.
// Not a header of its own: include only from those files.
namespace {

bool parse_u64_text(std::string_view s, uint64_t& v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// A number, or a string holding one (message_idstr, 64-bit ids as strings).
// Sets `absent` for null and "".
const char* read_u64(ondemand::value& v, uint64_t& out, bool& absent) {
  absent = false;
  ondemand::json_type t;
  if (v.type().get(t)) return "invalid JSON";
  switch (t) {
    case ondemand::json_type::null: absent = true; return nullptr;
    case ondemand::json_type::number: {
      if (v.get_uint64().get(out)) {
        int64_t i;
        if (!v.get_int64().get(i) && i < 0) return "negative number";
        return "not an unsigned integer";
      }
      return nullptr;
    }
    case ondemand::json_type::string: {
      // Digits only (message_idstr): simdjson's parser reads them in place,
      // the same value from_chars gives; anything else takes the slow path.
      if (!v.get_uint64_in_string().get(out)) return nullptr;
      std::string_view s;
      if (v.get_string().get(s)) return "invalid string";
      if (s.empty()) {
        absent = true;
        return nullptr;
      }
      if (!parse_u64_text(s, out)) return "not an unsigned integer";
      return nullptr;
    }
    case ondemand::json_type::boolean: {
      bool b;
      if (v.get_bool().get(b)) return "invalid boolean";
      out = b;
      return nullptr;
    }
    default: return "not a number";
  }
}

const char* read_i64(ondemand::value& v, int64_t& out) {
  ondemand::json_type t;
  if (v.type().get(t)) return "invalid JSON";
  if (t == ondemand::json_type::null) return nullptr;
  if (t == ondemand::json_type::number) {
    if (!v.get_int64().get(out)) return nullptr;
    double d;
    if (!v.get_double().get(d)) {
      out = static_cast<int64_t>(d);
      return nullptr;
    }
    return "not an integer";
  }
  if (t == ondemand::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s)) return "invalid string";
    if (s.empty()) return nullptr;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || p != s.data() + s.size()) return "not an integer";
    return nullptr;
  }
  if (t == ondemand::json_type::boolean) {
    bool b;
    if (v.get_bool().get(b)) return "invalid boolean";
    out = b;
    return nullptr;
  }
  return "not a number";
}

// Bytes of v that are zero get their top bit set; the lowest set bit is exact
// (a borrow can only mark bytes above a zero byte).
uint64_t zero_bytes(uint64_t v) { return (v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL; }

constexpr uint64_t kQuoteBytes = 0x2222222222222222ULL, kBackslashBytes = 0x5c5c5c5c5c5c5c5cULL;

// The first '"' or '\\' in [p, end), or nullptr: 16 bytes a step (a memchr
// call for each costs more on these short strings). Reads up to 15 bytes
// past `end`, inside the padded document.
const char* quote_or_backslash(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  for (; p < end; p += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto m = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, backslash))));
    if (m) {
      const char* at = p + std::countr_zero(m);
      return at < end ? at : nullptr;
    }
  }
  return nullptr;
#else
  for (; p < end; ++p)
    if (*p == '"' || *p == '\\') return p;
  return nullptr;
#endif
}

// A string without escapes, read where it stands in the input (the first
// quote after the opening one closes it) instead of unescaped into
// simdjson's buffer; false for anything else.
bool read_plain_string(ondemand::value& v, std::string_view& out) {
  const std::string_view raw = v.raw_json_token();
  if (raw.size() < 2 || raw[0] != '"') return false;
  const char* body = raw.data() + 1;
  const char* stop = quote_or_backslash(body, raw.data() + raw.size());
  if (!stop || *stop != '"') return false;
  out = std::string_view(body, static_cast<size_t>(stop - body));
  return true;
}

// Strings as they are; numbers by their text (ids given as numbers).
const char* read_text(ondemand::value& v, std::string_view& out, bool& absent) {
  absent = false;
  ondemand::json_type t;
  if (v.type().get(t)) return "invalid JSON";
  if (t == ondemand::json_type::null) {
    absent = true;
    return nullptr;
  }
  if (t == ondemand::json_type::string)
    return read_plain_string(v, out) || !v.get_string().get(out) ? nullptr : "invalid string";
  if (t == ondemand::json_type::number) {
    out = v.raw_json_token();
    while (!out.empty() && (out.back() == ' ' || out.back() == '\n' || out.back() == '\r' || out.back() == '\t' ||
                            out.back() == ',' || out.back() == '}'))
      out.remove_suffix(1);
    return nullptr;
  }
  return "not a string";
}

// A key that ends within 16 bytes without an escape: its length and its bytes
// as two zero-padded words, found with two word loads instead of a byte loop
// (whose exit mispredicted once per key). `k` points after the key's opening
// quote, inside a padded document, so 16 bytes are readable.
bool short_plain_key(const char* k, uint64_t& lo, uint64_t& hi, size_t& n) {
  if constexpr (std::endian::native != std::endian::little) return false;
  uint64_t w[2];
  std::memcpy(w, k, 16);
  for (size_t i = 0; i < 2; ++i) {
    const uint64_t m = zero_bytes(w[i] ^ kQuoteBytes) | zero_bytes(w[i] ^ kBackslashBytes);
    if (!m) continue;
    const size_t j = static_cast<size_t>(std::countr_zero(m)) >> 3;  // the first '"' or '\\'
    n = 8 * i + j;
    if (k[n] != '"') return false;
    const uint64_t last = j ? w[i] & (~0ULL >> (64 - 8 * j)) : 0;
    lo = i == 0 ? last : w[0];
    hi = i == 0 ? 0 : last;
    return true;
  }
  return false;
}

// Where the text `s` read from the token `raw` stands in the input: a
// string without escapes (its bytes follow the quote), or a number.
const char* verbatim(std::string_view raw, std::string_view s) {
  const size_t n = s.size();
  if (!raw.empty() && raw[0] == '"') {
    if (s.data() == raw.data() + 1) return s.data();  // read in place
    if (raw.size() < n + 2 || raw[n + 1] != '"' || std::memchr(raw.data() + 1, '\\', n)) return nullptr;
    return std::memcmp(raw.data() + 1, s.data(), n) == 0 ? raw.data() + 1 : nullptr;
  }
  return s.data() == raw.data() ? s.data() : nullptr;  // a number's own text
}

}  // namespace

class Parser final : public JsonMessageParser::Impl {
 public:
  explicit Parser(const FieldMap& map) : map_(map) {}
  std::string_view parse(const char* data, size_t len, RawFields& out) override;

 private:
  const FieldMap& map_;
  // Exports write the keys of every object in one order: the key at each
  // place is first compared with the one the previous object had there (two
  // masked word compares) before it is scanned and looked up.
  struct KeyGuess {
    uint64_t lo = 0, hi = 0, lo_mask = 0, hi_mask = 0;
    size_t n = 0;
    Field field = Field::none;
    bool valid = false;
    bool matches(const char* k) const {
      if (!valid) return false;
      uint64_t w[2];
      std::memcpy(w, k, 16);  // inside a padded document
      return (w[0] & lo_mask) == lo && (w[1] & hi_mask) == hi && k[n] == '"';
    }
    void set(uint64_t l, uint64_t h, size_t len, Field f) {
      lo = l;
      hi = h;
      n = len;
      lo_mask = len >= 8 ? ~0ULL : (len ? ~0ULL >> (64 - 8 * len) : 0);
      hi_mask = len <= 8 ? 0 : ~0ULL >> (64 - 8 * (len - 8));
      field = f;
      valid = true;
    }
  };
  static constexpr size_t kGuesses = 32;
  std::array<KeyGuess, kGuesses> guesses_{};
  ondemand::parser parser_;
  std::string payload_;
};

std::string_view Parser::parse(const char* data, size_t len, RawFields& out) {
  static constexpr RawFields kNoFields{};
  out = kNoFields;  // copied: `RawFields{}` zeroed a temporary with `rep stos` first, slow to start
  ondemand::document doc;
  if (parser_.iterate(data, len, len + simdjson::SIMDJSON_PADDING).get(doc)) return "invalid JSON";
  ondemand::object obj;
  if (doc.get_object().get(obj)) {
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\t')) ++i;
    return i < len && data[i] == '{' ? "invalid JSON" : "not a JSON object";
  }
  std::optional<uint64_t> idstr;
  size_t at = 0;  // the key's place in the object
  for (auto field_r : obj) {
    if (field_r.error()) return "invalid JSON";
    // A reference, not a copy: copying the field right after simdjson built
    // it stalled on store forwarding (two 8-byte stores read as one 16-byte
    // load), ~7% of the audit's CPU time.
    ondemand::field&& field = std::move(field_r).value_unsafe();
    // Keys are compared as written unless they hold an escape (then unescaped):
    // no copy for the usual plain key.
    const char* k = field.key().raw();
    Field f;
    uint64_t lo, hi;
    size_t n;
    KeyGuess* guess = at < kGuesses ? &guesses_[at] : nullptr;
    ++at;
    if (guess && guess->matches(k)) {
      f = guess->field;
    } else if (short_plain_key(k, lo, hi, n)) {
      f = map_.lookup16(lo, hi, n);
      if (guess) guess->set(lo, hi, n, f);
    } else {
      std::string_view key;
      n = 0;
      while (k[n] != '"' && k[n] != '\\') ++n;
      if (k[n] == '"') key = std::string_view(k, n);
      else if (field.unescaped_key().get(key)) return "invalid JSON key";
      f = map_.lookup(key);
    }
    if (f == Field::none) continue;
    ondemand::value& v = field.value();
    const char* err = nullptr;
    bool absent = false;
    switch (f) {
      case Field::message_id:
      case Field::message_idstr: {
        uint64_t id = 0;
        err = read_u64(v, id, absent);
        if (!err && !absent) (f == Field::message_id ? out.message_id : idstr) = id;
        break;
      }
      case Field::message_seq: {
        uint64_t s = 0;
        err = read_u64(v, s, absent);
        if (!err && s > 0xffffffffULL) err = "message_seq exceeds 32 bits";
        if (!err && !absent) out.message_seq = s;
        break;
      }
      case Field::client_msg_no: {
        std::string_view s;
        const std::string_view raw = v.raw_json_token();
        err = read_text(v, s, absent);
        if (!err && !absent) {
          out.client_msg_no = s;
          out.client_msg_no_verbatim = verbatim(raw, s);
        }
        break;
      }
      case Field::from_uid: err = read_text(v, out.from_uid, absent); break;
      case Field::channel_id: err = read_text(v, out.channel_id, absent); break;
      case Field::channel_type: err = read_i64(v, out.channel_type); break;
      case Field::timestamp: err = read_i64(v, out.timestamp); break;
      case Field::is_deleted: {
        int64_t d = 0;
        err = read_i64(v, d);
        if (!err) out.is_deleted = d != 0;
        break;
      }
      case Field::payload: {
        ondemand::json_type t;
        if (v.type().get(t)) {
          err = "invalid JSON";
        } else if (t == ondemand::json_type::string) {
          if (!read_plain_string(v, out.payload) && v.get_string().get(out.payload)) err = "invalid string";
        } else if (t != ondemand::json_type::null) {
          // A payload given as a JSON object: its raw text identifies it.
          std::string_view raw;
          if (simdjson::to_json_string(v).get(raw)) err = "invalid payload";
          else {
            payload_.assign(raw);
            out.payload = payload_;
          }
        }
        break;
      }
      default: break;
    }
    if (err) {
      static thread_local std::string msg;
      msg = std::string(field_name(f)) + ": " + err;
      return msg;
    }
  }
  if (!out.message_id && idstr) out.message_id = idstr;
  return {};
}

