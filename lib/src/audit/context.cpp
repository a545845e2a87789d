#include "wkit/audit/context.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>

namespace wkit::audit {

std::string temp_dir_of(const AuditOptions& o) {
  if (!o.temp_dir.empty()) return o.temp_dir;
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

namespace {
// The store gets what is left of the limit after parse buffers and the
// analysis' working set.
uint64_t record_budget(const AuditOptions& o) {
  const uint64_t limit = o.memory_limit;
  const uint64_t overhead = 24ULL << 20;
  return limit > overhead ? (limit - overhead) * 6 / 10 : 0;
}
}  // namespace

AuditContext::AuditContext(AuditOptions opts)
    : options(std::move(opts)),
      strings(temp_dir_of(options)),
      store(record_budget(options), temp_dir_of(options), options.scope) {}

std::string AuditContext::interrupted_by() const {
  const int sig = options.stop ? options.stop->load() : 0;
  if (sig == 0) return "";
  if (sig == SIGINT) return "SIGINT";
  if (sig == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(sig);
}

uint64_t AuditContext::position(uint16_t input, uint64_t pos) const {
  if (!(pos & kDeferredLine) || input >= inputs.size()) return pos;
  const auto& firsts = inputs[input].chunk_first_lines;
  const uint64_t chunk = (pos & ~kDeferredLine) >> 32;
  return chunk < firsts.size() ? firsts[chunk] + (pos & 0xffffffffULL) : pos;
}

std::string AuditContext::location(uint16_t input, uint64_t pos) const {
  pos = position(input, pos);
  if (input >= inputs.size()) return "?:" + std::to_string(pos);
  const auto& in = inputs[input];
  if (!in.table.empty()) return in.name + ":" + in.table + ":" + std::to_string(pos);
  return in.name + ":" + std::to_string(pos);
}

void AuditContext::add_names(NameBatch& channels, NameBatch& senders) {
  channels_.add(channels);
  senders_.add(senders);
  channels.clear();
  senders.clear();
}

ChannelName AuditContext::channel_name(uint64_t h) const {
  const auto n = channels_.find(h);
  return {n.text, n.type};
}

std::string_view AuditContext::sender_name(uint64_t h) const { return senders_.find(h).text; }

namespace {
// Keeps the first `limit` examples by location in `list` (sorted).
void keep_example(std::vector<MalformedLine>& list, size_t limit, uint16_t input, uint64_t pos,
                  std::string_view message, int64_t offset = -1) {
  auto before = [](const MalformedLine& a, const MalformedLine& b) {
    return a.input != b.input ? a.input < b.input : a.pos < b.pos;
  };
  MalformedLine m{input, pos, {}, offset};
  if (list.size() >= limit && !before(m, list.back())) return;
  m.message.assign(message);
  list.insert(std::upper_bound(list.begin(), list.end(), m, before), std::move(m));
  if (list.size() > limit) list.pop_back();
}
}  // namespace

void AuditContext::malformed(uint16_t input, uint64_t pos, std::string_view message, int64_t offset) {
  std::lock_guard lk(mu);
  keep_example(malformed_, kMalformedExamples, input, pos, message, offset);
}

void AuditContext::skipped(uint16_t input, uint64_t pos, std::string_view message) {
  std::lock_guard lk(mu);
  if (input < inputs.size()) ++inputs[input].skipped;
  keep_example(skipped_, kUnreadableExamples, input, pos, message);
}

void AuditContext::fail(Error e) {
  std::lock_guard lk(mu);
  if (!failure_ && !failed_line_) failure_ = std::move(e);
  failed_.store(true);
}

void AuditContext::fail_malformed(uint16_t input, uint64_t pos, std::string message) {
  std::lock_guard lk(mu);
  if (!failure_ && !failed_line_) failed_line_ = MalformedLine{input, pos, std::move(message)};
  failed_.store(true);
}

std::optional<Error> AuditContext::failure() {
  std::lock_guard lk(mu);
  if (!failure_ && failed_line_)
    failure_ = Error::input(location(failed_line_->input, failed_line_->pos) + ": " + failed_line_->message);
  return failure_;
}

RecordBuilder::RecordBuilder(AuditContext& ctx, uint16_t input) : ctx_(ctx), input_(input) {}

Status RecordBuilder::init() {
  auto w = ctx_.strings.acquire();
  if (!w) return w.error();
  writer_ = *w;
  block_.reserve(8192);
  return std::nullopt;
}

RecordBuilder::~RecordBuilder() {
  flush();
  if (writer_) ctx_.strings.release(writer_);
}

void RecordBuilder::add(const RawFields& f, uint64_t pos) {
  ++rows_;
  keyed_ += f.message_id.has_value() || f.client_msg_no.has_value();
  Record r{};
  r.pos = pos;
  r.input = input_;
  r.timestamp = f.timestamp;
  r.channel = channel_key(f.channel_id, f.channel_type);
  r.from = sender_hash(f.from_uid);
  r.payload = payload_hash(f.payload);
  if (f.message_id && *f.message_id != 0) {
    r.message_id = *f.message_id;
    r.flags |= kHasMessageId;
  } else {
    ++without_mid_;
  }
  if (f.client_msg_no && !f.client_msg_no->empty()) {
    r.cmn_hash = client_msg_no_hash(*f.client_msg_no);
    std::optional<uint64_t> ref;
    if (f.client_msg_no_at >= 0 && string_source_)
      ref = StringLog::source_ref(*string_source_, static_cast<uint64_t>(f.client_msg_no_at), f.client_msg_no->size());
    r.cmn_ref = ref ? *ref : writer_->append(*f.client_msg_no);
    r.flags |= kHasClientMsgNo;
  }
  if (f.message_seq && *f.message_seq != 0) {
    r.message_seq = static_cast<uint32_t>(*f.message_seq);
    r.flags |= kHasSeq;
  }
  if (f.is_deleted == 1) r.flags |= kDeleted;
  r.kinds = kAllGroupings;
  const auto& o = ctx_.options;
  if (o.shards > 1) {
    for (Grouping g : {kByClientMsgNo, kByMessageId, kByChannel})
      if (shard_of(r, g, static_cast<int>(o.scope), o.shards) != o.shard) r.kinds &= ~g;
    if (r.kinds == 0) return;
  }
  if (recent_channels_.fresh(r.channel)) new_channels_.push(r.channel, f.channel_id, f.channel_type);
  if (recent_senders_.fresh(r.from)) new_senders_.push(r.from, f.from_uid, 0);
  block_.push_back(r);
  if (block_.size() >= 8192) flush();
}

void RecordBuilder::malformed(uint64_t pos, std::string_view message, int64_t offset) {
  ++malformed_;
  if (ctx_.options.strict) {
    ctx_.fail_malformed(input_, pos, std::string(message));
    return;
  }
  ctx_.malformed(input_, pos, message, offset);
}

void RecordBuilder::flush() {
  if (!new_channels_.empty() || !new_senders_.empty()) ctx_.add_names(new_channels_, new_senders_);
  if (!block_.empty()) {
    if (auto err = ctx_.store.append(block_)) ctx_.fail(*err);
    block_.clear();
    block_.reserve(8192);
  }
  if (rows_ || malformed_ || without_mid_) {
    ctx_.rows.fetch_add(rows_);
    std::lock_guard lk(ctx_.mu);
    auto& in = ctx_.inputs[input_];
    in.rows += rows_;
    in.malformed += malformed_;
    in.without_message_id += without_mid_;
    in.with_id_or_client_msg_no += keyed_;
    rows_ = malformed_ = without_mid_ = keyed_ = 0;
  }
}

}  // namespace wkit::audit
