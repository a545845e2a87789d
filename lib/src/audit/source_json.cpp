// A JSON document: a plain array of message objects, or an object with a
// `messages` array (a message-sync response). Streamed: a small state machine
// cuts the array into elements, which are parsed like JSON lines in parallel.
#include <cctype>
#include <cstring>

#include "wkit/audit/json_message.hpp"
#include "wkit/audit/source.hpp"
#include "wkit/audit/text_pipeline.hpp"

namespace wkit::audit {

namespace {

class ElementParser final : public ChunkParser {
 public:
  explicit ElementParser(const FieldMap& map) : json_(map) {}
  void parse(const TextChunk& c, RecordBuilder& out) override {
    const char* p = c.bytes();
    const char* end = p + c.size;
    RawFields f;
    for (size_t rec = 0; p < end; ++rec) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      std::string_view err = json_.parse(p, static_cast<size_t>(nl - p), f);
      if (err.empty()) out.add(f, c.lines[rec]);
      else out.malformed(c.lines[rec], err, static_cast<int64_t>(c.offsets[rec]));
      p = nl + 1;
    }
  }

 private:
  JsonMessageParser json_;
};

constexpr std::string_view kMessagesKey = "messages";

// Splits the document into the elements of its message array.
class ArraySplitter {
 public:
  explicit ArraySplitter(ChunkSink& sink) : sink_(sink) { start_chunk(); }

  // Returns an error text when the document is not one we can read.
  std::string feed(const char* d, size_t n) {
    size_t elem_from = in_elem_ ? 0 : n;
    for (size_t i = 0; i < n; ++i) {
      const char ch = d[i];
      if (ch == '\n') ++line_;
      if (in_str_) {
        if (esc_) esc_ = false;
        else if (ch == '\\') esc_ = true;
        else if (ch == '"') {
          in_str_ = false;
          if (key_tracking_) last_key_is_messages_ = key_match_ == kMessagesKey.size();
          key_tracking_ = false;
        } else if (key_tracking_) {
          if (key_match_ < kMessagesKey.size() && ch == kMessagesKey[key_match_]) ++key_match_;
          else key_match_ = kMessagesKey.size() + 1;
        }
        continue;
      }
      if (std::isspace(static_cast<unsigned char>(ch))) continue;
      if (depth_ == 0 && !started_) {
        started_ = true;
        if (ch == '[') {
          target_ = 1;
        } else if (ch != '{') {
          return "line " + std::to_string(line_) + ": expected a JSON array or an object with a messages array";
        }
      }
      // Element boundaries inside the target array.
      if (target_ > 0 && depth_ == target_ && !in_elem_ && ch != ',' && ch != ']') {
        in_elem_ = true;
        scalar_elem_ = ch != '{' && ch != '[';
        elem_line_ = line_;
        elem_offset_ = fed_ + i;
        elem_from = i;
      } else if (in_elem_ && scalar_elem_ && depth_ == target_ && (ch == ',' || ch == ']')) {
        end_element(d, elem_from, i);
        elem_from = n;
      }
      switch (ch) {
        case '"':
          in_str_ = true;
          key_tracking_ = depth_ == 1 && top_is_object_ && target_ == 0;
          key_match_ = 0;
          break;
        case '{':
          if (depth_ == 0) top_is_object_ = true;
          ++depth_;
          break;
        case '[':
          ++depth_;
          if (target_ == 0 && top_is_object_ && depth_ == 2 && last_key_is_messages_) target_ = 2;
          break;
        case '}':
        case ']':
          if (depth_ == 0) return "line " + std::to_string(line_) + ": unbalanced '" + std::string(1, ch) + "'";
          --depth_;
          if (in_elem_ && !scalar_elem_ && depth_ == target_) {
            end_element(d, elem_from, i + 1);
            elem_from = n;
          }
          if (target_ > 0 && depth_ < target_) target_ = -1;  // later arrays are not messages
          break;
        case ',':
          if (depth_ == 1) last_key_is_messages_ = false;
          break;
        default: break;
      }
    }
    if (in_elem_ && elem_from < n) append(d + elem_from, n - elem_from);
    fed_ += n;
    return {};
  }

  std::string finish() {
    if (!started_) return "empty document";
    if (depth_ != 0 || in_str_)
      return "unexpected end of the JSON document at line " + std::to_string(line_) +
             (in_elem_ ? " (inside the element starting at line " + std::to_string(elem_line_) + ")" : "");
    if (target_ == 0) return "no `messages` array in the JSON document";
    flush();
    return {};
  }
  bool stopped() const { return stopped_; }

 private:
  void start_chunk() {
    chunk_ = TextChunk{};
    chunk_.data.reserve(kChunkBytes + kChunkPadding);
  }
  void append(const char* p, size_t n) {
    const size_t at = chunk_.data.size();
    chunk_.data.append(p, n);
    for (size_t k = at; k < chunk_.data.size(); ++k)  // whitespace in JSON, one element per line
      if (chunk_.data[k] == '\n' || chunk_.data[k] == '\r') chunk_.data[k] = ' ';
  }
  void end_element(const char* d, size_t from, size_t to) {
    append(d + from, to - from);
    chunk_.data.push_back('\n');
    chunk_.lines.push_back(elem_line_);
    chunk_.offsets.push_back(elem_offset_);
    in_elem_ = false;
    if (chunk_.data.size() >= kChunkBytes) flush();
  }
  void flush() {
    if (chunk_.lines.empty()) return;
    chunk_.size = chunk_.data.size();
    chunk_.data.append(kChunkPadding, ' ');
    if (!sink_.push(std::move(chunk_))) stopped_ = true;
    start_chunk();
  }

  ChunkSink& sink_;
  TextChunk chunk_;
  uint64_t line_ = 1, elem_line_ = 0;
  uint64_t fed_ = 0, elem_offset_ = 0;  // bytes before this feed(); where the element starts
  int depth_ = 0, target_ = 0;
  bool started_ = false, top_is_object_ = false, in_str_ = false, esc_ = false;
  bool key_tracking_ = false, last_key_is_messages_ = false;
  size_t key_match_ = 0;
  bool in_elem_ = false, scalar_elem_ = false, stopped_ = false;
};

class JsonDocumentSource final : public RecordSource {
 public:
  JsonDocumentSource(std::unique_ptr<PeekableInput> in, FieldMap map, std::string keys)
      : in_(std::move(in)), map_(std::move(map)), keys_(std::move(keys)) {}
  std::string format() const override { return "json"; }
  std::string fields_seen() const override { return keys_; }
  Status run(AuditContext& ctx, uint16_t input) override {
    const std::string name = in_->name();
    return run_text_pipeline(
        ctx, input, *in_,
        [&](ChunkSink& sink) -> Status {
          ArraySplitter split(sink);
          std::vector<char> buf(kChunkBytes);
          for (;;) {
            auto got = in_->read(buf.data(), buf.size());
            if (!got) return got.error();
            if (*got == 0 && sink.stopping()) return std::nullopt;  // not the end of the document
            if (*got == 0) break;
            if (auto err = split.feed(buf.data(), *got); !err.empty()) return Error::input(name + ": " + err);
            if (split.stopped()) return std::nullopt;
          }
          if (auto err = split.finish(); !err.empty()) return Error::input(name + ": " + err);
          return std::nullopt;
        },
        [&] { return std::make_unique<ElementParser>(map_); });
  }

 private:
  std::unique_ptr<PeekableInput> in_;
  FieldMap map_;
  std::string keys_;
};

}  // namespace

bool detect_json(std::string_view head) {
  size_t i = 0;
  while (i < head.size() && std::isspace(static_cast<unsigned char>(head[i]))) ++i;
  if (i >= head.size()) return false;
  if (head[i] == '[') return true;
  if (head[i] != '{') return false;
  // An object: a document if it spans lines or has a top-level "messages" key.
  int depth = 0;
  bool in_str = false, esc = false;
  size_t str_start = 0;
  for (; i < head.size(); ++i) {
    char c = head[i];
    if (in_str) {
      if (esc) esc = false;
      else if (c == '\\') esc = true;
      else if (c == '"') {
        in_str = false;
        if (depth == 1 && head.substr(str_start, i - str_start) == kMessagesKey) {
          size_t j = i + 1;
          while (j < head.size() && std::isspace(static_cast<unsigned char>(head[j]))) ++j;
          if (j < head.size() && head[j] == ':') {
            ++j;
            while (j < head.size() && std::isspace(static_cast<unsigned char>(head[j]))) ++j;
            if (j < head.size() && head[j] == '[') return true;
          }
        }
      }
      continue;
    }
    if (c == '"') {
      in_str = true;
      str_start = i + 1;
    } else if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') {
      if (--depth == 0) return false;  // first object ends: JSON lines
    } else if (c == '\n' && depth > 0) return true;
  }
  return false;
}

Result<std::unique_ptr<RecordSource>> open_json(std::unique_ptr<PeekableInput> in, const AuditOptions& o) {
  auto map = FieldMap::make(o.maps);
  if (!map) return map.error();
  auto head = in->peek(64 * 1024);
  if (!head) return head.error();
  std::string keys = first_record_keys(*head, true);
  return std::unique_ptr<RecordSource>(
      std::make_unique<JsonDocumentSource>(std::move(in), std::move(*map), std::move(keys)));
}

}  // namespace wkit::audit
