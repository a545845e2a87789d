#include "wkit/audit/analyzer.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "bucket_sort.hpp"

namespace wkit::audit {

using nlohmann::json;

namespace {
std::pair<uint16_t, uint64_t> where_key(const Record& r) { return {r.input, r.pos}; }
bool before(const Record& a, const Record& b) {
  return std::tie(a.input, a.pos) < std::tie(b.input, b.pos);
}
// The key groupings collect (hash, index) pairs in passes, each over one
// slice of the hash space, so the two arrays that exist side by side stay
// small: 2M records take 4 passes of ~8 MB each instead of 32 MB. Bits 48..51
// pick the slice; for_each_repeated uses the top byte and the low bits.
size_t key_passes(size_t records) {
  size_t passes = 1;
  while (passes < 16 && records / passes > (size_t(1) << 19)) passes *= 2;
  return passes;
}
size_t key_pass_of(uint64_t mixed, size_t passes) { return (mixed >> 48) & (passes - 1); }
size_t key_pass_capacity(size_t records, size_t passes) {
  return passes == 1 ? records : records / passes + records / (passes * 16) + 1024;
}
bool suffix_base(std::string_view cmn, std::string_view& base) {
  size_t dash = cmn.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == cmn.size()) return false;
  for (size_t i = dash + 1; i < cmn.size(); ++i)
    if (cmn[i] < '0' || cmn[i] > '9') return false;
  base = cmn.substr(0, dash);
  return true;
}
}  // namespace

json Analyzer::message(const Record& r) {
  json m = json::object();
  if (r.flags & kHasMessageId) {
    m["message_id"] = r.message_id;
    m["message_idstr"] = std::to_string(r.message_id);
  }
  if (r.flags & kHasClientMsgNo) m["client_msg_no"] = ctx_.strings.read(r.cmn_ref);
  if (r.flags & kHasSeq) m["message_seq"] = r.message_seq;
  m["timestamp"] = r.timestamp;
  const auto& ch = ctx_.channel_name(r.channel);
  m["channel_id"] = ch.id;
  m["channel_type"] = ch.type;
  m["from_uid"] = ctx_.sender_name(r.from);
  if (r.flags & kDeleted) m["is_deleted"] = true;
  m["location"] = ctx_.location(r.input, r.pos);
  m["input"] = r.input;
  m["pos"] = ctx_.position(r.input, r.pos);
  return m;
}

void Analyzer::touch(FindingSet& s, const Record& r) {
  s.channels.insert(r.channel);
  s.senders.insert(r.from);
  s.first = std::min(s.first, r.timestamp);
  s.last = std::max(s.last, r.timestamp);
}

void Analyzer::add_item(FindingSet& s, json item, const std::vector<const Record*>& records) {
  json msgs = json::array();
  for (auto* r : records) {
    msgs.push_back(message(*r));
    touch(s, *r);
  }
  item["messages"] = std::move(msgs);
  s.items.push_back(std::move(item));
  ++s.count;
}

void Analyzer::run(Record* b, Record* e, uint8_t groupings) {
  ctx_.strings.finish_writes();  // reads below may run on two threads
  // The first two groupings only read the records (they sort index pairs),
  // so they run side by side; by_channel then sorts the records in place.
  const bool both = (groupings & kByClientMsgNo) && (groupings & kByMessageId) && ctx_.options.threads != 1;
  if (both) {
    std::thread t([&] { by_message_id(b, e); });
    by_client_msg_no(b, e);
    t.join();
  } else {
    if (groupings & kByClientMsgNo) by_client_msg_no(b, e);
    if (groupings & kByMessageId) by_message_id(b, e);
  }
  if (groupings & kByChannel) by_channel(b, e);
}

// duplicate_client_msg_no: one key (scope + client_msg_no), several message_ids.
// Sorts compact (hash, index) pairs, not the records, so it can run beside
// by_message_id; runs of one hash are re-sorted by the exact key.
void Analyzer::by_client_msg_no(Record* b, Record* e) {
  const Scope scope = ctx_.options.scope;
  const size_t passes = key_passes(static_cast<size_t>(e - b));
  std::vector<KeyIndex> keys;
  keys.reserve(key_pass_capacity(static_cast<size_t>(e - b), passes));  // growing by doubling copied and faulted in 3x the memory
  for (size_t pass = 0; pass < passes; ++pass) {
    keys.clear();
    for (Record* r = b; r < e; ++r)
      // Every record of one key has its client_msg_no hash (XXH3, mixed):
      // it picks the pass, and the key's hash is computed in that pass only.
      if ((r->kinds & kByClientMsgNo) && (r->flags & kHasClientMsgNo) && (r->flags & kHasMessageId) &&
          key_pass_of(r->cmn_hash, passes) == pass)
        keys.push_back({grouping_hash(*r, kByClientMsgNo, static_cast<int>(scope)), static_cast<uint64_t>(r - b)});
    client_msg_no_runs(b, keys);
  }
}

// The runs of equal hashes among `keys` (one pass), re-sorted by the exact key.
void Analyzer::client_msg_no_runs(Record* b, std::vector<KeyIndex>& keys) {
  const Scope scope = ctx_.options.scope;
  auto key = [scope](const Record& r) {
    return std::tuple(scope == Scope::global ? 0 : r.channel, scope == Scope::sender ? r.from : 0, r.cmn_hash);
  };
  std::vector<Record> run;
  // The grouping hash is already mixed.
  auto hash = [](const KeyIndex& k) { return k.key; };
  for_each_repeated(keys.data(), keys.data() + keys.size(), hash, hash, std::less<>(),
                    [&](const KeyIndex* i, const KeyIndex* j) {
                      run.clear();
                      for (const KeyIndex* k = i; k < j; ++k) run.push_back(b[k->index]);
                      std::sort(run.begin(), run.end(), [&](const Record& x, const Record& y) {
                        return std::tuple_cat(key(x), std::tie(x.message_id, x.input, x.pos)) <
                               std::tuple_cat(key(y), std::tie(y.message_id, y.input, y.pos));
                      });
                      for (size_t a = 0; a < run.size();) {
                        size_t c = a + 1;
                        while (c < run.size() && key(run[c]) == key(run[a])) ++c;
                        group_client_msg_no(run.data() + a, run.data() + c);
                        a = c;
                      }
                    });
}

// One exact key (sorted by message_id, location): a finding if several ids.
void Analyzer::group_client_msg_no(Record* i, Record* j) {
  bool several = false;
  for (Record* k = i + 1; k < j; ++k) several |= k->message_id != i->message_id;
  if (!several) return;
  // Equal 64-bit hashes: confirm the strings are equal too.
  bool same = true;
  ctx_.strings.read_into(i->cmn_ref, s1_);
  for (Record* k = i + 1; k < j && same; ++k) {
    ctx_.strings.read_into(k->cmn_ref, s2_);
    same = s1_ == s2_;
  }
  if (same) return emit_duplicate(i, j);
  std::vector<std::pair<std::string, Record>> by_text;
  for (Record* k = i; k < j; ++k) by_text.emplace_back(ctx_.strings.read(k->cmn_ref), *k);
  std::stable_sort(by_text.begin(), by_text.end(), [](auto& x, auto& y) { return x.first < y.first; });
  std::vector<Record> sub;
  for (size_t a = 0; a < by_text.size();) {
    size_t c = a;
    sub.clear();
    while (c < by_text.size() && by_text[c].first == by_text[a].first) sub.push_back(by_text[c++].second);
    bool multi = false;
    for (auto& r : sub) multi |= r.message_id != sub[0].message_id;
    if (multi) emit_duplicate(sub.data(), sub.data() + sub.size());
    a = c;
  }
}

void Analyzer::emit_duplicate(const Record* b, const Record* e) {
  auto& set = sets_[kDuplicateClientMsgNo];
  json item = json::object();
  item["client_msg_no"] = ctx_.strings.read(b->cmn_ref);
  const Scope scope = ctx_.options.scope;
  if (scope != Scope::global) {
    const auto& ch = ctx_.channel_name(b->channel);
    item["channel_id"] = ch.id;
    item["channel_type"] = ch.type;
  }
  if (scope == Scope::sender) item["from_uid"] = ctx_.sender_name(b->from);
  // One entry per message_id (records are sorted by message_id, then location).
  std::vector<json> msgs;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (const Record* i = b; i < e;) {
    const Record* j = i;
    json m = message(*i);
    json locs = json::array();
    while (j < e && j->message_id == i->message_id) {
      locs.push_back(ctx_.location(j->input, j->pos));
      touch(set, *j);
      ++j;
    }
    m["copies"] = locs.size();
    m["locations"] = std::move(locs);
    lo = std::min(lo, i->timestamp);
    hi = std::max(hi, i->timestamp);
    msgs.push_back(std::move(m));
    i = j;
  }
  std::sort(msgs.begin(), msgs.end(), [](const json& x, const json& y) {
    return std::tie(x["input"].get_ref<const json::number_unsigned_t&>(), x["pos"].get_ref<const json::number_unsigned_t&>()) <
           std::tie(y["input"].get_ref<const json::number_unsigned_t&>(), y["pos"].get_ref<const json::number_unsigned_t&>());
  });
  item["message_ids"] = msgs.size();
  item["rows"] = e - b;
  item["first_time"] = lo;
  item["last_time"] = hi;
  item["time_spread_s"] = hi - lo;
  item["messages"] = std::move(msgs);
  set.items.push_back(std::move(item));
  ++set.count;
}

// message_id_collision and duplicate_row: one message_id stored more than once.
void Analyzer::by_message_id(Record* b, Record* e) {
  const size_t passes = key_passes(static_cast<size_t>(e - b));
  std::vector<KeyIndex> keys;
  keys.reserve(key_pass_capacity(static_cast<size_t>(e - b), passes));  // growing by doubling copied and faulted in 3x the memory
  // Only equal ids need to be together: ids share their top bits, so they are mixed.
  std::vector<const Record*> run;
  auto id = [](const KeyIndex& k) { return k.key; };
  auto mixed = [](const KeyIndex& k) { return mix64(k.key); };
  for (size_t pass = 0; pass < passes; ++pass) {
    keys.clear();
    for (Record* r = b; r < e; ++r)
      if ((r->kinds & kByMessageId) && (r->flags & kHasMessageId) && key_pass_of(mix64(r->message_id), passes) == pass)
        keys.push_back({r->message_id, static_cast<uint64_t>(r - b)});
    for_each_repeated(keys.data(), keys.data() + keys.size(), id, mixed, std::less<>(),
                      [&](const KeyIndex* i, const KeyIndex* j) {
                        run.clear();
                        for (const KeyIndex* k = i; k < j; ++k) run.push_back(b + k->index);
                        emit_message_id(run);
                      });
  }
}

// One message_id stored more than once (run: its records).
void Analyzer::emit_message_id(std::vector<const Record*>& run) {
  std::sort(run.begin(), run.end(), [](auto* x, auto* y) { return before(*x, *y); });
  const Record* i = run.front();
  const uint64_t first_row = row_hash(*i);
  bool collision = false, identical = true;
  for (auto* r : run) {
    collision |= r->channel != i->channel || r->cmn_hash != i->cmn_hash;
    identical &= row_hash(*r) == first_row;
  }
  auto& set = sets_[collision ? kMessageIdCollision : kDuplicateRow];
  json item = json::object();
  item["message_id"] = i->message_id;
  item["message_idstr"] = std::to_string(i->message_id);
  if (collision) {
    std::vector<std::pair<uint64_t, uint64_t>> variants;
    for (auto* r : run) variants.emplace_back(r->channel, r->cmn_hash);
    std::sort(variants.begin(), variants.end());
    item["variants"] = std::unique(variants.begin(), variants.end()) - variants.begin();
  } else {
    item["copies"] = run.size();
    item["identical"] = identical;
  }
  add_item(set, std::move(item), run);
}

// Per channel: missing client_msg_no, seq anomalies, then content groups.
// Channels are independent: the records are distributed by a byte of the
// channel hash (the primary sort key) into buckets that are sorted and
// walked one by one. With threads, the records are first split by the hash's
// top bit (each thread partitions one half, then the misplaced blocks are
// swapped), and each thread distributes, sorts and walks one side into its
// own findings.
void Analyzer::by_channel(Record* b, Record* e) {
  Record* m = std::partition(b, e, [](const Record& r) { return (r.kinds & kByChannel) != 0; });
  if (m - b < (1 << 16)) return channels(b, m);
  auto sort_and_walk = [](Analyzer& a, Record* first, Record* last) {
    // Bits under the top one (which split the halves): buckets of ~4K
    // records per million, whose sort stays in the core's cache. A channel's
    // records only need to end up together.
    const auto start = bucket_distribute(first, last, [](const Record& r) { return (r.channel >> 55) & 0xff; });
    for (size_t k = 0; k < 256; ++k) sort_channel_order(first + start[k], first + start[k + 1]);
    a.walk_channels(first, last);
  };
  if (ctx_.options.threads == 1) return sort_and_walk(*this, b, m);
  auto low = [](const Record& r) { return (r.channel >> 63) == 0; };
  Record* mid = b + (m - b) / 2;
  Record *l1 = nullptr, *r1 = nullptr;
  {
    std::thread t([&] { r1 = std::partition(mid, m, low); });
    l1 = std::partition(b, mid, low);
    t.join();
  }
  // [l1, mid) is high, [mid, r1) low: swap the shorter of the two with its mirror.
  const size_t k = static_cast<size_t>(std::min(mid - l1, r1 - mid));
  {
    std::thread t([&] { std::swap_ranges(l1 + k / 2, l1 + k, r1 - k + k / 2); });
    std::swap_ranges(l1, l1 + k / 2, r1 - k);
    t.join();
  }
  Record* split = l1 + (r1 - mid);
  Analyzer other(ctx_);
  std::thread t([&] { sort_and_walk(other, split, m); });
  sort_and_walk(*this, b, split);
  t.join();
  absorb(other);
}

void Analyzer::absorb(Analyzer& other) {
  for (int k = 0; k < kFindingCount; ++k) {
    auto& to = sets_[k];
    auto& from = other.sets_[k];
    for (auto& it : from.items) to.items.push_back(std::move(it));
    to.count += from.count;
    to.channels.insert(from.channels.begin(), from.channels.end());
    to.senders.insert(from.senders.begin(), from.senders.end());
    to.first = std::min(to.first, from.first);
    to.last = std::max(to.last, from.last);
  }
}

void Analyzer::sort_channel_order(Record* b, Record* e) {
  std::sort(b, e, [](const Record& x, const Record& y) {
    return std::tie(x.channel, x.message_seq, x.message_id, x.input, x.pos) <
           std::tie(y.channel, y.message_seq, y.message_id, y.input, y.pos);
  });
}

void Analyzer::channels(Record* b, Record* m) {
  sort_channel_order(b, m);
  walk_channels(b, m);
}

// Sorted by channel order: one channel after another.
void Analyzer::walk_channels(Record* b, Record* m) {
  const auto& opts = ctx_.options;
  for (Record* cb = b; cb < m;) {
    Record* ce = cb + 1;
    while (ce < m && ce->channel == cb->channel) ++ce;
    // Looked up only for a finding: a million channel names miss the cache.
    auto ch = [&] { return ctx_.channel_name(cb->channel); };

    // missing_client_msg_no
    {
      std::vector<const Record*> missing;
      for (Record* k = cb; k < ce; ++k)
        if (!(k->flags & kHasClientMsgNo)) missing.push_back(k);
      if (!missing.empty()) {
        auto& set = sets_[kMissingClientMsgNo];
        std::sort(missing.begin(), missing.end(), [](auto* x, auto* y) { return before(*x, *y); });
        json item = {{"channel_id", ch().id}, {"channel_type", ch().type}, {"rows", missing.size()}};
        json ex = json::array();
        for (auto* r : missing) {
          touch(set, *r);
          if (ex.size() < 5) ex.push_back(message(*r));
        }
        item["messages"] = std::move(ex);
        set.items.push_back(std::move(item));
        set.count += missing.size();
      }
    }

    // seq_anomaly: conflicts (one seq, several message_ids) and, optionally, gaps.
    {
      auto& set = sets_[kSeqAnomaly];
      const Record* prev = nullptr;  // last record with a seq
      for (Record* i = cb; i < ce;) {
        if (!(i->flags & kHasSeq)) {
          ++i;
          continue;
        }
        Record* j = i;
        size_t ids = 0;
        uint64_t last_id = 0;
        for (; j < ce && j->message_seq == i->message_seq; ++j)
          if ((j->flags & kHasMessageId) && (ids == 0 || j->message_id != last_id)) {
            ++ids;
            last_id = j->message_id;
          }
        if (ids > 1) {
          json item = {{"type", "conflict"}, {"channel_id", ch().id}, {"channel_type", ch().type},
                       {"message_seq", i->message_seq}, {"message_ids", ids}};
          std::vector<const Record*> rs;
          for (Record* k = i; k < j; ++k) rs.push_back(k);
          std::sort(rs.begin(), rs.end(), [](auto* x, auto* y) { return before(*x, *y); });
          add_item(set, std::move(item), rs);
        }
        if (opts.check_gaps && prev && i->message_seq > prev->message_seq + 1) {
          json item = {{"type", "gap"}, {"channel_id", ch().id}, {"channel_type", ch().type},
                       {"after_seq", prev->message_seq}, {"before_seq", i->message_seq},
                       {"missing", i->message_seq - prev->message_seq - 1}};
          item["messages"] = json::array({message(*prev), message(*i)});
          touch(set, *prev);
          touch(set, *i);
          set.items.push_back(std::move(item));
          ++set.count;
        }
        prev = i;
        i = j;
      }
    }

    // absorbed_duplicate, iOS rule: a deleted row `<no>-<seq>` beside a row `<no>`.
    std::set<std::pair<uint16_t, uint64_t>> absorbed;
    bool any_deleted = false;
    for (Record* k = cb; k < ce; ++k) any_deleted |= (k->flags & kDeleted) != 0;
    if (any_deleted) {
      std::vector<const Record*> deleted;
      for (Record* k = cb; k < ce; ++k)
        if ((k->flags & kDeleted) && (k->flags & kHasClientMsgNo)) deleted.push_back(k);
      std::sort(deleted.begin(), deleted.end(), [](auto* x, auto* y) { return before(*x, *y); });
      // The hashes of the bases the deleted rows name, then the live rows
      // carrying one of them (sorted by hash, then location): a group chat
      // of 100K rows with one deleted row indexes a few rows, not all.
      suffix_bases_.clear();
      for (auto* d : deleted) {
        ctx_.strings.read_into(d->cmn_ref, s1_);
        std::string_view base;
        if (suffix_base(s1_, base)) suffix_bases_.push_back(client_msg_no_hash(base));
      }
      std::sort(suffix_bases_.begin(), suffix_bases_.end());
      suffix_live_.clear();
      if (!suffix_bases_.empty())
        for (Record* k = cb; k < ce; ++k)
          if ((k->flags & kHasClientMsgNo) && !(k->flags & kDeleted) &&
              std::binary_search(suffix_bases_.begin(), suffix_bases_.end(), k->cmn_hash))
            suffix_live_.emplace_back(k->cmn_hash, k);
      std::sort(suffix_live_.begin(), suffix_live_.end(), [](const auto& x, const auto& y) {
        return x.first != y.first ? x.first < y.first : before(*x.second, *y.second);
      });
      auto& set = sets_[kAbsorbedDuplicate];
      for (auto* d : deleted) {
        ctx_.strings.read_into(d->cmn_ref, s1_);
        std::string_view base;
        if (!suffix_base(s1_, base)) continue;
        // The earliest live row whose client_msg_no is the base.
        const Record* orig = nullptr;
        const uint64_t h = client_msg_no_hash(base);
        auto it = std::lower_bound(suffix_live_.begin(), suffix_live_.end(), h,
                                   [](const auto& x, uint64_t v) { return x.first < v; });
        for (; it != suffix_live_.end() && it->first == h && !orig; ++it) {
          ctx_.strings.read_into(it->second->cmn_ref, s2_);
          if (s2_ == base) orig = it->second;
        }
        if (!orig) continue;
        json item = {{"rule", "suffix"}, {"channel_id", ch().id}, {"channel_type", ch().type}};
        item["messages"] = json::array({message(*d), message(*orig)});
        touch(set, *d);
        set.items.push_back(std::move(item));
        ++set.count;
        absorbed.insert(where_key(*d));
      }
    }

    channel_content(cb, ce, absorbed);
    cb = ce;
  }
}

// Within one channel: same sender and payload close in time.
void Analyzer::channel_content(Record* b, Record* e, const std::set<std::pair<uint16_t, uint64_t>>& absorbed) {
  auto ch = [&, channel = b->channel] { return ctx_.channel_name(channel); };
  // Only records that share sender and payload with another one can take
  // part: they are found by hash, and only they are copied and sorted.
  content_keys_.clear();
  for (Record* r = b; r < e; ++r)
    content_keys_.push_back({hash_combine(r->from, r->payload), static_cast<uint64_t>(r - b)});
  content_.clear();
  auto key = [](const KeyIndex& k) { return k.key; };
  for_each_repeated(content_keys_.data(), content_keys_.data() + content_keys_.size(), key, key, std::less<>(),
                    [&](const KeyIndex* i, const KeyIndex* j) {
                      for (const KeyIndex* k = i; k < j; ++k) content_.push_back(b[k->index]);
                    },
                    repeat_table_);
  b = content_.data();
  e = b + content_.size();
  std::sort(b, e, [](const Record& x, const Record& y) {
    return std::tie(x.from, x.payload, x.timestamp, x.input, x.pos) <
           std::tie(y.from, y.payload, y.timestamp, y.input, y.pos);
  });
  const int64_t window = ctx_.options.window_s;
  for (Record* gb = b; gb < e;) {
    Record* ge = gb + 1;
    while (ge < e && ge->from == gb->from && ge->payload == gb->payload) ++ge;
    if (ge - gb > 1) {
      // suspected_regenerated_client_msg_no: chains of live rows, each within
      // the window of the previous, under more than one client_msg_no.
      std::vector<const Record*> live;
      for (Record* k = gb; k < ge; ++k)
        if (!(k->flags & kDeleted) && (k->flags & kHasClientMsgNo)) live.push_back(k);
      for (size_t a = 0; a < live.size();) {
        size_t c = a + 1;
        while (c < live.size() && live[c]->timestamp - live[c - 1]->timestamp <= window) ++c;
        if (c - a > 1) {
          std::vector<uint64_t> cmns, mids;
          for (size_t k = a; k < c; ++k) {
            cmns.push_back(live[k]->cmn_hash);
            mids.push_back(live[k]->message_id);
          }
          std::sort(cmns.begin(), cmns.end());
          std::sort(mids.begin(), mids.end());
          const size_t ncmn = std::unique(cmns.begin(), cmns.end()) - cmns.begin();
          const size_t nmid = std::unique(mids.begin(), mids.end()) - mids.begin();
          if (ncmn > 1 && nmid > 1) {
            auto& set = sets_[kSuspectedRegenerated];
            std::vector<const Record*> rs(live.begin() + a, live.begin() + c);
            std::sort(rs.begin(), rs.end(), [](auto* x, auto* y) { return before(*x, *y); });
            json item = {{"channel_id", ch().id}, {"channel_type", ch().type}, {"from_uid", ctx_.sender_name(gb->from)},
                         {"client_msg_nos", ncmn}, {"first_time", live[a]->timestamp},
                         {"last_time", live[c - 1]->timestamp}};
            add_item(set, std::move(item), rs);
          }
        }
        a = c;
      }
      // absorbed_duplicate, Android rule: a deleted row with a fresh
      // client_msg_no beside a live row of the same content.
      for (Record* d = gb; d < ge; ++d) {
        if (!(d->flags & kDeleted) || absorbed.count(where_key(*d))) continue;
        const Record* best = nullptr;
        for (Record* o = gb; o < ge; ++o) {
          if (o == d || (o->flags & kDeleted)) continue;
          const int64_t dt = o->timestamp > d->timestamp ? o->timestamp - d->timestamp : d->timestamp - o->timestamp;
          if (dt > window || o->cmn_hash == d->cmn_hash) continue;
          if ((o->flags & kHasMessageId) && (d->flags & kHasMessageId) && o->message_id == d->message_id) continue;
          if (!best) {
            best = o;
            continue;
          }
          const int64_t bt = best->timestamp > d->timestamp ? best->timestamp - d->timestamp : d->timestamp - best->timestamp;
          if (dt < bt || (dt == bt && before(*o, *best))) best = o;
        }
        if (!best) continue;
        auto& set = sets_[kAbsorbedDuplicate];
        json item = {{"rule", "copy"}, {"channel_id", ch().id}, {"channel_type", ch().type}};
        item["messages"] = json::array({message(*d), message(*best)});
        touch(set, *d);
        set.items.push_back(std::move(item));
        ++set.count;
      }
    }
    gb = ge;
  }
}

}  // namespace wkit::audit
