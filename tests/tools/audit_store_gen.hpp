#pragma once
// Generator of message stores with planted anomalies and known truth, for
// `wkit audit` tests and benchmarks. Streams rows (never holds the store),
// so it can write the 20-million-row benchmark input. Formats: JSON lines,
// JSON document ({"messages": [...]}), plain JSON array, CSV, SQLite in the
// Android, iOS, WuKongIM 3.x server and `wkit serve` schemas (docs/protocol.md section 8,
// wkit/store/schema.hpp); gzip/zstd via compress_file().
//
// Plants, each attached to its own base message (so they never interact):
//   dup_cmn        a resend stored again: same client_msg_no, new message_id/seq
//   collision      the base's message_id on another channel with another client_msg_no
//   dup_row        the base row stored twice
//   seq_conflict   the base's message_seq in its channel with a new message_id
//   gap            one message_seq skipped in the base's channel (--check-gaps)
//   regenerated    same sender+payload a few seconds later under a new client_msg_no
//   absorbed_ios   is_deleted=1 copy with client_msg_no "<no>-<seq>"
//   absorbed_android is_deleted=1 copy with a fresh client_msg_no
//   missing        a row without client_msg_no
//   user_deleted   is_deleted=1 row of unique content (noise: no finding)
//   malformed      a broken line (text formats)
// Flavours drop plants their schema cannot hold (UNIQUE client_msg_no in the
// client SDKs, UNIQUE message_id and PRIMARY KEY (channel, seq) in wkit's store).
//
// Shapes (which channel and sender each base message gets):
//   few_large     round robin over --channels channels (the original benchmark)
//   person        60 % in one-to-one channels between `users` users, most of
//                 them holding 1-2 messages (>= 1M channels at 2M rows), 40 % in
//                 --channels groups (2000 by default)
//   zipf          channel sizes Zipf(1.2) over rows/2 channels: a few groups of
//                 >= 100k messages at 2M rows, a long tail of tiny ones
//   many_senders  300 senders per group, 66-100 char client_msg_nos, from_uid
//                 with a quote, a backslash and an e-acute (\u00e9 in JSON)
// A gap plant's base message goes to a channel that recurs (a gap needs a
// later row to show); gaps count in the truth once a later row shows them.
#include <sqlite3.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "wkit/store/schema.hpp"

namespace wkit::audit::gen {

enum class Shape { few_large, person, zipf, many_senders };

inline const char* shape_name(Shape s) {
  switch (s) {
    case Shape::few_large: return "few-large";
    case Shape::person: return "person";
    case Shape::zipf: return "zipf";
    default: return "many-senders";
  }
}
inline bool shape_from_name(const std::string& n, Shape& s) {
  for (Shape t : {Shape::few_large, Shape::person, Shape::zipf, Shape::many_senders})
    if (n == shape_name(t)) {
      s = t;
      return true;
    }
  return false;
}

enum class Format { jsonl, json_doc, json_array, csv, sqlite_android, sqlite_ios, sqlite_server, sqlite_wkit };

inline const char* format_name(Format f) {
  switch (f) {
    case Format::jsonl: return "jsonl";
    case Format::json_doc: return "json_doc";
    case Format::json_array: return "json_array";
    case Format::csv: return "csv";
    case Format::sqlite_android: return "sqlite_android";
    case Format::sqlite_ios: return "sqlite_ios";
    case Format::sqlite_server: return "sqlite_server";
    default: return "sqlite_wkit";
  }
}
inline bool format_from_name(const std::string& n, Format& f) {
  for (Format g : {Format::jsonl, Format::json_doc, Format::json_array, Format::csv, Format::sqlite_android,
                   Format::sqlite_ios, Format::sqlite_server, Format::sqlite_wkit})
    if (n == format_name(g)) {
      f = g;
      return true;
    }
  return false;
}

struct Plan {
  uint64_t rows = 1000;  // base messages
  uint32_t channels = 20;
  uint32_t senders_per_channel = 5;
  uint32_t payload_bytes = 24;  // before base64
  uint64_t seed = 1;
  Shape shape = Shape::few_large;
  uint32_t users = 20000;  // person shape
  uint32_t dup_cmn = 5, collision = 3, dup_row = 4, seq_conflict = 2, gap = 3, regenerated = 2, absorbed_ios = 2,
           absorbed_android = 3, missing = 6, user_deleted = 3, malformed = 2;
};

// What the audit must report (default options, --check-gaps for gaps).
struct Truth {
  uint64_t rows = 0;  // well-formed rows
  uint64_t channels = 0;  // distinct channels written
  uint64_t duplicate_client_msg_no = 0, message_id_collision = 0, duplicate_row = 0, seq_conflict = 0, gaps = 0,
           suspected_regenerated = 0, absorbed_duplicate = 0, missing_client_msg_no = 0, malformed = 0;
  std::vector<uint64_t> malformed_lines;
};

struct Row {
  uint64_t message_id = 0;
  bool has_cmn = true;
  std::string cmn;
  uint32_t seq = 0;
  std::string from, channel;
  int channel_type = 2;
  int64_t timestamp = 0;
  std::string payload;  // base64
  int deleted = 0;
};

inline uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += t[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += i + 1 < in.size() ? t[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

class Writer {
 public:
  virtual ~Writer() = default;
  virtual void row(const Row& r) = 0;
  virtual bool malformed(uint64_t n) { return false; }  // true if written; n = index
  virtual uint64_t line() const { return 0; }           // line the next record starts on
  virtual void finish() {}
};

// Quote and backslash escaped; two-byte UTF-8 sequences written as \u00XX
// escapes, as many JSON encoders do.
inline std::string json_escape(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xE0) == 0xC0 && i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ((c & 0x1F) << 6) | (static_cast<unsigned char>(s[++i]) & 0x3F));
      o += buf;
      continue;
    }
    if (c == '"' || c == '\\') o += '\\';
    o += static_cast<char>(c);
  }
  return o;
}

// A CSV field, quoted only when it must be.
inline std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

class JsonWriter : public Writer {
 public:
  JsonWriter(const std::string& path, Format f) : f_(f) {
    out_ = std::fopen(path.c_str(), "wb");
    if (!out_) throw std::runtime_error("cannot write " + path);
    std::setvbuf(out_, nullptr, _IOFBF, 1 << 20);
    if (f_ == Format::json_doc) put("{\n  \"status\": 200,\n  \"messages\": [\n");
    else if (f_ == Format::json_array) put("[\n");
  }
  void row(const Row& r) override {
    std::string s;
    s.reserve(512);
    s += f_ == Format::jsonl ? "{" : "    {";
    s += "\"header\":{\"no_persist\":0,\"red_dot\":1,\"sync_once\":0},\"setting\":0,";
    if (r.message_id) {
      s += "\"message_id\":" + std::to_string(r.message_id) + ",\"message_idstr\":\"" + std::to_string(r.message_id) + "\",";
    }
    if (r.has_cmn) s += "\"client_msg_no\":\"" + json_escape(r.cmn) + "\",";
    s += "\"message_seq\":" + std::to_string(r.seq) + ",\"from_uid\":\"" + json_escape(r.from) + "\",\"channel_id\":\"" +
         json_escape(r.channel) + "\",\"channel_type\":" + std::to_string(r.channel_type) +
         ",\"expire\":0,\"timestamp\":" + std::to_string(r.timestamp) + ",\"payload\":\"" + r.payload + "\"";
    if (r.deleted) s += ",\"is_deleted\":1";
    s += "}";
    record(s);
  }
  bool malformed(uint64_t n) override {
    // JSON documents get balanced but invalid records (a broken one would end the document).
    if (f_ != Format::jsonl || n % 2) record("{\"message_id\": \"not-a-number\", \"client_msg_no\": \"x\"}");
    else record("{\"message_id\": 12, oops");
    return true;
  }
  uint64_t line() const override { return line_; }
  void finish() override {
    if (f_ == Format::json_doc) put("\n  ]\n}\n");
    else if (f_ == Format::json_array) put("\n]\n");
    std::fclose(out_);
  }

 private:
  void record(const std::string& s) {
    if (f_ != Format::jsonl && !first_) put(",\n");
    first_ = false;
    put(s);
    if (f_ == Format::jsonl) put("\n");
    ++line_;
  }
  void put(const std::string& s) { std::fwrite(s.data(), 1, s.size(), out_); }
  Format f_;
  std::FILE* out_;
  bool first_ = true;
  uint64_t line_ = 0;
  friend class Generator;

 public:
  void set_first_line(uint64_t l) { line_ = l; }
};

class CsvWriter : public Writer {
 public:
  explicit CsvWriter(const std::string& path) {
    out_ = std::fopen(path.c_str(), "wb");
    if (!out_) throw std::runtime_error("cannot write " + path);
    std::setvbuf(out_, nullptr, _IOFBF, 1 << 20);
    std::fputs("message_id,client_msg_no,message_seq,from_uid,channel_id,channel_type,timestamp,payload,is_deleted\n", out_);
  }
  void row(const Row& r) override {
    std::fprintf(out_, "%s,%s,%u,%s,\"%s\",%d,%lld,%s,%d\n", r.message_id ? std::to_string(r.message_id).c_str() : "",
                 r.has_cmn ? r.cmn.c_str() : "", r.seq, csv_field(r.from).c_str(), r.channel.c_str(), r.channel_type,
                 static_cast<long long>(r.timestamp), r.payload.c_str(), r.deleted);
    ++line_;
  }
  bool malformed(uint64_t n) override {
    std::fputs(n % 2 ? "1,2,3\n" : "abc,def,notanumber,u,g,2,1,x,0\n", out_);
    ++line_;
    return true;
  }
  uint64_t line() const override { return line_; }
  void finish() override { std::fclose(out_); }

 private:
  std::FILE* out_;
  uint64_t line_ = 2;
};

class SqliteWriter : public Writer {
 public:
  SqliteWriter(const std::string& path, Format f) : f_(f) {
    std::remove(path.c_str());
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("cannot create " + path);
    exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;");
    const char* insert = nullptr;
    switch (f) {
      case Format::sqlite_android:
        exec("CREATE TABLE message (client_seq INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT, message_seq INTEGER,"
             " channel_id TEXT, channel_type INTEGER, timestamp INTEGER, from_uid TEXT, type INTEGER, content TEXT,"
             " status INTEGER, client_msg_no TEXT, is_deleted INTEGER, setting INTEGER, order_seq INTEGER, extra TEXT);"
             "CREATE UNIQUE INDEX msg_client_msg_no ON message(client_msg_no);");
        insert = "INSERT INTO message (message_id, message_seq, channel_id, channel_type, timestamp, from_uid, type,"
                 " content, status, client_msg_no, is_deleted, setting, order_seq, extra) VALUES"
                 " (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, 1, ?8, ?9, 0, ?2 * 1000, '')";
        break;
      case Format::sqlite_ios:
        exec("CREATE TABLE message (id INTEGER PRIMARY KEY AUTOINCREMENT, message_id INTEGER, message_seq INTEGER,"
             " order_seq INTEGER, timestamp INTEGER, from_uid TEXT, to_uid TEXT, channel_id TEXT, channel_type INTEGER,"
             " content_type INTEGER, content TEXT, status INTEGER, client_msg_no TEXT, is_deleted INTEGER);"
             "CREATE UNIQUE INDEX msg_client_msg_no ON message(client_msg_no);");
        insert = "INSERT INTO message (message_id, message_seq, channel_id, channel_type, timestamp, from_uid, to_uid,"
                 " content_type, content, status, client_msg_no, is_deleted, order_seq) VALUES"
                 " (?1, ?2, ?3, ?4, ?5, ?6, '', 1, ?7, 1, ?8, ?9, ?2 * 1000)";
        break;
      case Format::sqlite_server:
        // WuKongIM 3.x keeps one table per channel (message_seq is its key);
        // this test store holds every channel in one table, so no key on seq.
        exec("CREATE TABLE message (message_seq INTEGER, message_id INTEGER, framer_flags INTEGER, setting INTEGER,"
             " msg_key TEXT, expire INTEGER, client_seq INTEGER, client_msg_no TEXT, stream_no TEXT, timestamp INTEGER,"
             " channel_id TEXT, channel_type INTEGER, topic TEXT, from_uid TEXT, payload_hash TEXT, payload_size"
             " INTEGER, payload BLOB, server_timestamp_ms INTEGER);");
        insert = "INSERT INTO message (message_id, message_seq, channel_id, channel_type, timestamp, from_uid, payload,"
                 " client_msg_no, framer_flags, setting, msg_key, expire, client_seq, stream_no, topic, payload_hash,"
                 " payload_size, server_timestamp_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, 0, '', 0, 1, '', '',"
                 " '', length(?7), ?5 * 1000)";
        break;
      default:
        exec(wkit::store::kSchemaSql);
        exec("INSERT INTO wkit_meta VALUES ('schema_version', '" + std::to_string(wkit::store::kSchemaVersion) + "')");
        insert = "INSERT INTO message (message_id, message_seq, channel_id, channel_type, timestamp, from_uid, payload,"
                 " client_msg_no, framer_flags, setting, msg_key, expire, client_seq, stream_no, topic, payload_hash,"
                 " payload_size, server_timestamp_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, ''), 0, 0, '', 0,"
                 " 1, '', '', '', length(?7), ?5 * 1000)";
        break;
    }
    exec("BEGIN");
    if (sqlite3_prepare_v2(db_, insert, -1, &ins_, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db_));
  }
  void row(const Row& r) override {
    sqlite3_reset(ins_);
    if (f_ == Format::sqlite_android) {
      std::string id = std::to_string(r.message_id);
      sqlite3_bind_text(ins_, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_int64(ins_, 1, static_cast<int64_t>(r.message_id));
    }
    sqlite3_bind_int64(ins_, 2, r.seq);
    sqlite3_bind_text(ins_, 3, r.channel.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(ins_, 4, r.channel_type);
    sqlite3_bind_int64(ins_, 5, r.timestamp);
    sqlite3_bind_text(ins_, 6, r.from.c_str(), -1, SQLITE_TRANSIENT);
    if (f_ == Format::sqlite_server || f_ == Format::sqlite_wkit)
      sqlite3_bind_blob(ins_, 7, r.payload.data(), static_cast<int>(r.payload.size()), SQLITE_TRANSIENT);
    else
      sqlite3_bind_text(ins_, 7, r.payload.c_str(), -1, SQLITE_TRANSIENT);
    if (r.has_cmn) sqlite3_bind_text(ins_, 8, r.cmn.c_str(), -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(ins_, 8);
    if (f_ == Format::sqlite_android || f_ == Format::sqlite_ios) sqlite3_bind_int(ins_, 9, r.deleted);
    if (sqlite3_step(ins_) != SQLITE_DONE) throw std::runtime_error(std::string("insert: ") + sqlite3_errmsg(db_));
  }
  void finish() override {
    sqlite3_finalize(ins_);
    exec("COMMIT");
    sqlite3_close(db_);
  }

 private:
  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string e = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("sqlite: " + e);
    }
  }
  Format f_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* ins_ = nullptr;
};

// Channel and sender of each base message, by shape. A channel is a key
// (channel() names it); person channels live above kPersonKey.
class ShapePicker {
 public:
  explicit ShapePicker(const Plan& p) : p_(p) {
    if (p.shape != Shape::zipf) return;
    cdf_.resize(std::max<uint64_t>(p.rows / 2, 16));
    double sum = 0;
    for (size_t r = 0; r < cdf_.size(); ++r) cdf_[r] = sum += std::pow(static_cast<double>(r + 1), -1.2);
    for (double& x : cdf_) x /= sum;
  }

  // The channel of base message `b` and its sender. `recurring` (the plant
  // slot) asks for a channel that gets later rows too: one of the big ones.
  uint64_t base(uint64_t b, std::optional<uint64_t> recurring, std::string& from) {
    const uint64_t h = mix(b ^ (p_.seed << 32) ^ 0x5bd1e995ULL);
    switch (p_.shape) {
      case Shape::few_large: {
        const uint64_t c = b % p_.channels;
        from = "u" + std::to_string(c) + "_" + std::to_string((b / p_.channels) % p_.senders_per_channel);
        return c;
      }
      case Shape::person: {
        if (recurring || h % 10 < 4) {  // a group of 20 members drawn from the users
          const uint64_t g = recurring ? *recurring % p_.channels : (h >> 8) % p_.channels;
          from = "u" + std::to_string(mix(g * 64 + (h >> 32) % 20) % p_.users);
          return g;
        }
        // Of every 10 person messages, two are one exchange (a message and its
        // reply) and eight open chats of their own; 2 % go to 1,000 long chats.
        const uint64_t k = person_++;
        const bool long_chat = (h >> 16) % 50 == 0;
        const uint64_t chat = long_chat ? (1ULL << 62) + (h >> 24) % 1000 : k % 10 < 2 ? k / 10 * 10 : k;
        const uint64_t m = mix(chat ^ (p_.seed * 0x9e3779b9ULL));
        const uint64_t a = m % p_.users;
        uint64_t o = (m >> 32) % (p_.users - 1);
        if (o >= a) ++o;
        from = "u" + std::to_string((k % 10 == 1 && !long_chat) || (long_chat && (h >> 40) % 2) ? o : a);
        return kPersonKey + std::min(a, o) * p_.users + std::max(a, o);
      }
      case Shape::zipf: {
        uint64_t rank = 0;
        if (recurring) rank = *recurring % 10;
        else {
          const double u = static_cast<double>(h >> 11) * 0x1.0p-53;
          rank = std::min<uint64_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin(), cdf_.size() - 1);
        }
        from = "u" + std::to_string(rank) + "_" + std::to_string((h >> 32) % 8);
        return rank;
      }
      default: {  // many senders: 300 a group, names that need escaping in JSON
        const uint64_t g = recurring ? *recurring % p_.channels : h % p_.channels;
        from = "u" + std::to_string(g) + "_" + std::to_string((h >> 32) % 300) + "\"Ren\xc3\xa9\"\\m";
        return g;
      }
    }
  }

  // Another channel than `c` that gets later rows (message_id collisions).
  uint64_t other(uint64_t c, uint64_t slot) const {
    if (p_.shape == Shape::few_large) return (c + 1) % p_.channels;
    const uint64_t n = p_.shape == Shape::zipf ? 10 : p_.channels;
    return slot % n == c ? (slot + 1) % n : slot % n;
  }

  std::string channel(uint64_t key, int& type) const {
    const bool person = p_.shape == Shape::person ? key >= kPersonKey
                        : p_.shape == Shape::many_senders ? false
                        : p_.shape == Shape::zipf ? key >= 100 && key % 10 == 9
                                                  : key % 10 == 9;
    type = person ? 1 : 2;
    if (!person) return "g" + std::to_string(key);
    if (p_.shape == Shape::person) {
      key -= kPersonKey;
      return "u" + std::to_string(key / p_.users) + "@u" + std::to_string(key % p_.users);
    }
    return "u" + std::to_string(key) + "a@u" + std::to_string(key) + "b";
  }

 private:
  static constexpr uint64_t kPersonKey = 1ULL << 40;
  const Plan& p_;
  std::vector<double> cdf_;  // zipf: cumulative share of ranks 0..n-1
  uint64_t person_ = 0;      // person messages so far
};

// Writes the store to `path` and returns what the audit must find.
inline Truth generate(const Plan& p, Format f, const std::string& path) {
  const bool text = f == Format::jsonl || f == Format::json_doc || f == Format::json_array || f == Format::csv;
  const bool client = f == Format::sqlite_android || f == Format::sqlite_ios;
  const bool has_deleted = text || client;
  const bool unique_cmn = client, unique_mid = f == Format::sqlite_wkit, unique_seq = f == Format::sqlite_wkit;
  std::unique_ptr<Writer> w;
  if (f == Format::csv) w = std::make_unique<CsvWriter>(path);
  else if (text) {
    auto jw = std::make_unique<JsonWriter>(path, f);
    jw->set_first_line(f == Format::jsonl ? 1 : f == Format::json_doc ? 4 : 2);
    w = std::move(jw);
  } else w = std::make_unique<SqliteWriter>(path, f);

  enum Kind { kDup, kCollision, kDupRow, kSeq, kGap, kRegen, kIos, kAndroid, kMissing, kUserDel, kMalformed, kKinds };
  const uint32_t counts[kKinds] = {p.dup_cmn, p.collision, p.dup_row, p.seq_conflict, p.gap, p.regenerated,
                                   p.absorbed_ios, p.absorbed_android, p.missing, p.user_deleted, p.malformed};
  uint64_t total_plants = 0;
  for (auto c : counts) total_plants += c;
  // Plant j sits after base message j * stride + stride / 2. Two gaps in one
  // channel are always separated by a base row of it (next one is C rows on).
  const uint64_t stride = total_plants ? p.rows / (total_plants + 1) : p.rows + 1;
  if (total_plants && stride < 2) throw std::runtime_error("too many plants for the row count");
  std::vector<int> plant_at;  // kind per plant slot
  for (int k = 0; k < kKinds; ++k)
    for (uint32_t i = 0; i < counts[k]; ++i) plant_at.push_back(k);

  Truth t;
  const bool few_large = p.shape == Shape::few_large;
  ShapePicker pick(p);
  // Next message_seq per channel key: a vector for the round robin, a map for
  // the shapes with a million channels.
  std::vector<uint32_t> seq_vec(few_large ? p.channels : 0, 0);
  std::unordered_map<uint64_t, uint32_t> seq_map;
  std::unordered_set<uint64_t> gap_pending;  // channels with a skipped seq and no row after it yet
  auto seq_of = [&](uint64_t key) -> uint32_t& {
    if (few_large) return seq_vec[key];
    auto [it, added] = seq_map.try_emplace(key, 0);
    if (added) ++t.channels;
    return it->second;
  };
  auto next_seq = [&](uint64_t key) {
    if (!gap_pending.empty() && gap_pending.erase(key)) ++t.gaps;
    return ++seq_of(key);
  };
  uint64_t next_mid = 1700000000000000000ULL + p.seed * 1000000000ULL;
  uint64_t fresh = 0;
  auto cmn_of = [&](uint64_t salt) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(mix(salt ^ p.seed)),
                  static_cast<unsigned long long>(mix(salt * 31 + p.seed)));
    std::string no(buf);
    if (p.shape == Shape::many_senders) {  // 66-100 characters, like UUID-plus-device schemes
      std::snprintf(buf, sizeof buf, "-%016llx%016llx-", static_cast<unsigned long long>(mix((salt ^ 0x6a09e667ULL) * 7 + p.seed)),
                    static_cast<unsigned long long>(mix((salt ^ 0xbb67ae85ULL) * 13 + p.seed)));
      no += buf;
      no.append(mix(salt * 17 + p.seed) % 35, 'k');
    }
    return no;
  };
  auto payload_of = [&](const std::string& tag) {
    std::string s = "{\"type\":1,\"content\":\"" + tag + "\"}";
    while (s.size() < p.payload_bytes) s += ' ';
    return base64(s);
  };
  auto emit = [&](const Row& r) {
    w->row(r);
    ++t.rows;
  };
  const int64_t t0 = 1767225600;  // 2026-01-01
  Row base, r;
  for (uint64_t b = 0; b < p.rows; ++b) {
    const bool plant_slot = b % stride == stride / 2 && b / stride < plant_at.size();
    const int kind = plant_slot ? plant_at[b / stride] : -1;
    const uint64_t c = pick.base(b, kind == kGap ? std::optional<uint64_t>(b / stride) : std::nullopt, base.from);
    base.message_id = next_mid++;
    base.has_cmn = true;
    base.cmn = cmn_of(b);
    base.seq = next_seq(c);
    base.channel = pick.channel(c, base.channel_type);
    base.timestamp = t0 + static_cast<int64_t>(b) * 2;
    base.payload = payload_of("m" + std::to_string(b));
    base.deleted = 0;
    emit(base);
    if (!plant_slot) continue;
    const uint64_t j = b / stride;
    r = base;
    switch (kind) {
      case kDup:
        if (unique_cmn) break;
        r.message_id = next_mid++;
        r.seq = next_seq(c);
        r.timestamp += 2;
        emit(r);
        ++t.duplicate_client_msg_no;
        break;
      case kCollision: {
        if (unique_mid) break;
        const uint64_t c2 = pick.other(c, j);
        r.channel = pick.channel(c2, r.channel_type);
        r.seq = next_seq(c2);
        r.cmn = cmn_of(~b);
        r.payload = payload_of("collide" + std::to_string(j));
        r.timestamp += 1;
        emit(r);
        ++t.message_id_collision;
        break;
      }
      case kDupRow:
        if (unique_cmn || unique_mid) break;
        emit(r);
        ++t.duplicate_row;
        break;
      case kSeq:
        if (unique_seq) break;
        r.message_id = next_mid++;
        r.cmn = cmn_of(~b);
        r.payload = payload_of("conflict" + std::to_string(j));
        r.timestamp += 1;
        emit(r);
        ++t.seq_conflict;
        break;
      case kGap:
        if (few_large && b + p.channels >= p.rows) break;
        ++seq_of(c);
        gap_pending.insert(c);  // counted when the channel's next row shows it
        break;
      case kRegen:
        r.message_id = next_mid++;
        r.seq = next_seq(c);
        r.cmn = cmn_of(~b);
        r.timestamp += 3;
        emit(r);
        ++t.suspected_regenerated;
        break;
      case kIos:
        if (!has_deleted) break;
        r.message_id = next_mid++;
        r.seq = next_seq(c);
        r.cmn = base.cmn + "-" + std::to_string(r.seq);
        r.timestamp += 5;
        r.deleted = 1;
        emit(r);
        ++t.absorbed_duplicate;
        break;
      case kAndroid:
        if (!has_deleted) break;
        r.message_id = next_mid++;
        r.seq = next_seq(c);
        r.cmn = cmn_of(~b);
        r.timestamp += 4;
        r.deleted = 1;
        emit(r);
        ++t.absorbed_duplicate;
        break;
      case kMissing:
        r.message_id = next_mid++;
        r.seq = next_seq(c);
        r.has_cmn = false;
        r.cmn.clear();
        r.payload = payload_of("missing" + std::to_string(j));
        emit(r);
        ++t.missing_client_msg_no;
        break;
      case kUserDel:
        if (!has_deleted) break;
        r.message_id = next_mid++;
        r.seq = next_seq(c);
        r.cmn = cmn_of(~b);
        r.payload = payload_of("deleted" + std::to_string(j));
        r.deleted = 1;
        emit(r);
        break;
      case kMalformed: {
        const uint64_t line = w->line();
        if (w->malformed(fresh++)) {
          ++t.malformed;
          t.malformed_lines.push_back(line);
        }
        break;
      }
    }
  }
  w->finish();
  if (few_large)
    for (uint32_t n : seq_vec) t.channels += n > 0;
  return t;
}

// Compresses `in` to `out` as gzip (zlib) or zstd.
inline void compress_file(const std::string& in, const std::string& out, bool zstd) {
  std::ifstream src(in, std::ios::binary);
  std::vector<char> buf(1 << 20);
  if (!zstd) {
    gzFile gz = gzopen(out.c_str(), "wb6");
    while (src.read(buf.data(), buf.size()) || src.gcount() > 0) gzwrite(gz, buf.data(), static_cast<unsigned>(src.gcount()));
    gzclose(gz);
    return;
  }
  std::FILE* o = std::fopen(out.c_str(), "wb");
  ZSTD_CCtx* cc = ZSTD_createCCtx();
  std::vector<char> ob(ZSTD_CStreamOutSize());
  for (;;) {
    src.read(buf.data(), buf.size());
    const size_t n = static_cast<size_t>(src.gcount());
    const bool last = n < buf.size();
    ZSTD_inBuffer ib{buf.data(), n, 0};
    for (;;) {
      ZSTD_outBuffer obuf{ob.data(), ob.size(), 0};
      size_t rem = ZSTD_compressStream2(cc, &obuf, &ib, last ? ZSTD_e_end : ZSTD_e_continue);
      std::fwrite(ob.data(), 1, obuf.pos, o);
      if (last ? rem == 0 : ib.pos == ib.size) break;
    }
    if (last) break;
  }
  ZSTD_freeCCtx(cc);
  std::fclose(o);
}

}  // namespace wkit::audit::gen
