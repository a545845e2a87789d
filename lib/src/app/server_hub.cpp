#include "wkit/app/server_hub.hpp"

#include <algorithm>

#include "wkit/proto/frame.hpp"
#include "wkit/store/idempotency_key.hpp"
#include "wkit/util/channel.hpp"

namespace wkit::app {

using session::ServerSession;
namespace ct = util::channel_type;

ServerHub::ServerHub(const ServerOptions& opts, store::MessageStore& store, EventLog* events, Clock clock,
                     std::function<void()> schedule_flush, std::FILE* trouble_out)
    : opts_(opts), store_(store), events_(events), clock_(std::move(clock)),
      schedule_flush_(std::move(schedule_flush)), ids_(opts.node_id), trouble_("wkit serve: ", trouble_out),
      groups_(opts.groups.begin(), opts.groups.end()) {
  for (const auto& u : opts.listen) index_person_channels_ |= u.http();
}

void ServerHub::note(std::string_view event, nlohmann::json fields) {
  if (events_) events_->write(event, std::move(fields), clock_().wall_ms);
}

void ServerHub::trouble(std::string_view event, nlohmann::json fields, std::string_view line) {
  auto now = clock_();
  if (events_) events_->write(event, std::move(fields), now.wall_ms);
  trouble_.report(event, line, now.mono_ms);
}

Status ServerHub::load() {
  if (auto e = store_.load_heads([&](const store::ChannelHead& h) {
        head_key_.assign(1, static_cast<char>(h.channel_type));
        head_key_.append(h.channel_id);
        heads_[head_key_] = h.last_seq;
        if (h.channel_type == ct::person) index_person_channel(h.channel_id);
      }))
    return e;
  if (auto e = store_.load_groups([&](const std::string& id, std::vector<std::string>&& members) {
        groups_[id] = std::move(members);
      }))
    return e;
  if (opts_.dedup) {
    // The store's latest keys fill the window; with an on-disk index every
    // key it holds goes into the filter that says when to ask it.
    const uint64_t window = store_.dedup_on_disk() ? opts_.dedup_window : 0;
    dedup_.set_capacity(window);
    if (auto e = store_.load_dedup(window ? window / 2 : UINT64_MAX, [&](const store::DedupRow& r) {
          store::idempotency_key(key_, r.channel_type, r.channel_id, r.from_uid, r.client_msg_no);
          DedupEntry& d = dedup_.insert(key_, store::idempotency_hash(key_));
          d.message_id = r.message_id;
          d.message_seq = r.message_seq;
          d.hash = r.payload_hash;
          d.committed = true;
        }))
      return e;
    if (window) {
      auto stored = store_.message_count();
      if (!stored) return stored.error();
      dedup_.reserve_older(std::max<uint64_t>(*stored + *stored / 4, 1u << 20));
      if (auto e = store_.for_each_dedup_hash([&](uint64_t h) { dedup_.add_older(h); })) return e;
    }
  }
  auto max_id = store_.max_message_id();
  if (!max_id) return max_id.error();
  if (*max_id > 0) id_floor_ms_ = ids_.split(*max_id).unix_ms + 1;
  return std::nullopt;
}

ServerHub::DedupEntry* ServerHub::find_dedup(uint64_t conn) {
  lookup_failed_ = false;
  if (DedupEntry* d = dedup_.find(key_, key_hash_)) return d;
  if (!dedup_.older_may_hold(key_hash_)) return nullptr;
  ++stats_.dedup_disk_lookups;
  auto row = store_.find_dedup(key_, key_hash_);
  if (!row) {
    lookup_failed_ = true;
    trouble("store_error", {{"op", "dedup_lookup"}, {"conn", conn}, {"error", row.error().message}},
            "cannot look up an idempotency key (SEND refused with reason 15): " + row.error().message);
    return nullptr;
  }
  if (!*row) return nullptr;
  ++stats_.dedup_disk_hits;
  DedupEntry& d = dedup_.insert(key_, key_hash_);
  d.message_id = (*row)->message_id;
  d.message_seq = (*row)->message_seq;
  d.hash = (*row)->payload_hash;
  d.committed = true;
  return &d;
}

void ServerHub::attach(Peer& p) {
  peers_[p.session().id()] = &p;
  ++stats_.connections;
}

void ServerHub::detach(Peer& p) {
  uint64_t id = p.session().id();
  peers_.erase(id);
  auto it = by_uid_.find(p.session().uid());
  if (it != by_uid_.end()) {
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), id), v.end());
    if (v.empty()) by_uid_.erase(it);
  }
}

Peer* ServerHub::peer(uint64_t conn) {
  auto it = peers_.find(conn);
  return it == peers_.end() ? nullptr : it->second;
}

uint8_t ServerHub::authenticate(const session::ConnectInfo& c) {
  // A uid that could not be told apart inside a person channel id is refused
  // like a bad token (auth_fail): WuKongIM has no reason code of its own for it.
  if (auto problem = util::uid_problem(c.uid); !problem.empty()) {
    refusal_why_ = "uid " + std::string(problem);
    return 2;
  }
  if (!opts_.tokens_required) return 1;
  auto it = opts_.tokens.find(std::string(c.uid));
  if (it != opts_.tokens.end() && it->second == c.token) return 1;
  auto api = api_tokens_.find(std::string(c.uid) + '\x1f' + char(c.device_flag));
  if (api != api_tokens_.end() && api->second == c.token) return 1;
  refusal_why_ = it == opts_.tokens.end() && api == api_tokens_.end() ? "uid has no token (--tokens, POST /user/token)"
                                                                     : "wrong token";
  return 2;
}

void ServerHub::load_range(uint8_t channel_type, std::string_view channel_id, uint64_t seq_from, uint64_t seq_to,
                           uint32_t limit, bool newest, RangeDone done) {
  store::Op& op = next_op(store::Op::Kind::load_range);
  op.tag = kApiConnBit | ++api_sends_;
  op.message.channel_type = channel_type;
  op.message.channel_id.assign(channel_id);
  op.seq_from = seq_from;
  op.seq_to = seq_to;
  op.limit = limit;
  op.newest = newest;
  op.loaded.clear();
  ranges_waiting_.emplace(op.tag, std::move(done));
}

void ServerHub::index_person_channel(std::string_view channel) {
  if (!index_person_channels_) return;
  auto parts = util::split_person_channel_id(channel);
  if (!parts) return;
  person_channels_[std::string(parts->first)].emplace_back(channel);
  if (parts->second != parts->first) person_channels_[std::string(parts->second)].emplace_back(channel);
}

void ServerHub::edit_group(GroupEdit edit, const std::string& group, const std::vector<std::string>& uids, bool reset,
                           std::function<void(const std::string& error)> done) {
  auto g = groups_.find(group);
  if (g == groups_.end()) {
    if (edit == GroupEdit::remove) return done("no such group: " + group);
    g = groups_.emplace(group, std::vector<std::string>()).first;
  }
  auto& members = g->second;
  if (edit == GroupEdit::remove) {
    members.erase(std::remove_if(members.begin(), members.end(),
                                 [&](const std::string& m) { return std::find(uids.begin(), uids.end(), m) != uids.end(); }),
                  members.end());
  } else {
    if (reset) members.clear();
    for (const auto& u : uids)
      if (std::find(members.begin(), members.end(), u) == members.end()) members.push_back(u);
  }
  note("group_changed", {{"group", group}, {"members", members}});
  store::Op& op = next_op(store::Op::Kind::set_group);
  op.tag = kApiConnBit | ++api_sends_;
  op.message.channel_id = group;
  op.recipients = members;
  groups_waiting_.emplace(op.tag, std::move(done));
}

std::vector<Conversation> ServerHub::conversations(std::string_view uid) const {
  std::vector<Conversation> out;
  if (auto p = person_channels_.find(std::string(uid)); p != person_channels_.end())
    for (const auto& channel : p->second) out.push_back({ct::person, channel, max_seq(ct::person, channel)});
  for (const auto& [id, members] : groups_) {
    if (std::find(members.begin(), members.end(), uid) == members.end()) continue;
    if (uint64_t seq = max_seq(ct::group, id)) out.push_back({ct::group, id, seq});
  }
  std::sort(out.begin(), out.end(), [](const Conversation& a, const Conversation& b) {
    return a.channel_type != b.channel_type ? a.channel_type < b.channel_type : a.channel_id < b.channel_id;
  });
  return out;
}

uint64_t ServerHub::max_seq(uint8_t channel_type, std::string_view channel_id) const {
  std::string key(1, static_cast<char>(channel_type));
  key.append(channel_id);
  auto it = heads_.find(key);
  return it == heads_.end() ? 0 : it->second;
}

void ServerHub::on_open(ServerSession& s) {
  auto now = clock_();
  // One connection per (uid, device_flag): the newcomer wins (reason 12).
  // Copy: a kick closes the other session, which edits by_uid_.
  std::vector<uint64_t> others = by_uid_[s.uid()];
  for (uint64_t other : others) {
    Peer* p = peer(other);
    if (!p || p->session().device_flag() != s.device_flag()) continue;
    note("kick", {{"conn", other}, {"uid", s.uid()}, {"by_conn", s.id()}, {"device_flag", s.device_flag()}});
    p->session().kick(12, "kicked: " + s.uid() + " connected again with the same device_flag", now);
    p->poke();
  }
  by_uid_[s.uid()].push_back(s.id());
  // Offline messages come in pages: the session asks (on_page_wanted).
}

void ServerHub::on_page_wanted(ServerSession& s, int64_t after_id, uint32_t limit) {
  // What was stored for this uid and never acked, from the session's cursor on.
  store::Op& op = next_op(store::Op::Kind::load_pending);
  op.uid = s.uid();
  op.tag = s.id();
  op.message_id = after_id;
  op.limit = limit;
}

void ServerHub::slow_consumer(Peer& p, std::string_view why, uint64_t queued_bytes) {
  ServerSession& s = p.session();
  ++stats_.slow_consumers;
  trouble("slow_consumer",
          {{"conn", s.id()}, {"remote", p.remote()}, {"uid", s.uid()}, {"why", why}, {"queued_bytes", queued_bytes},
           {"unacked", s.unacked()}},
          "connection from " + p.remote() + " (conn " + std::to_string(s.id()) + ", uid " + quote_for_log(s.uid()) +
              ") closed as a slow consumer: " + std::string(why) + " (" + std::to_string(queued_bytes) +
              " bytes queued); its messages stay stored for its next connection");
}

store::Op& ServerHub::next_op(store::Op::Kind kind) {
  if (outbox_.capacity() == 0 && !buffers_.empty()) {
    outbox_.swap(buffers_.back());
    buffers_.pop_back();
  }
  while (!returned_.empty() && returned_.back().empty()) {
    returned_capacity_ -= returned_.back().capacity();
    if (buffers_.size() < 4) buffers_.push_back(std::move(returned_.back()));
    returned_.pop_back();
  }
  if (returned_.empty()) {
    outbox_.emplace_back();
  } else {
    outbox_.push_back(std::move(returned_.back().back()));
    returned_.back().pop_back();
  }
  store::Op& op = outbox_.back();
  op.kind = kind;
  op.recipients.clear();
  op.uid.clear();
  op.message_id = 0;
  op.tag = 0;
  op.ref = 0;
  op.idempotent = false;
  op.limit = 0;
  op.failed = false;
  op.error.clear();
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    schedule_flush_();
  }
  return op;
}

void ServerHub::keep_for_reuse(std::vector<store::Op>&& batch) {
  // Enough for a few full group commits; beyond that, let memory go. Counted
  // in capacity, not size: ops are taken from the last vector only, so the
  // vectors below it can sit nearly empty while keeping their capacity (with
  // sizes counted, 139 vectors held room for 183k ops, 86 MB, and it grew
  // with every message served).
  constexpr size_t kMaxReturnedOps = 16384;
  if (returned_capacity_ + batch.capacity() > kMaxReturnedOps) return;
  for (auto& op : batch) std::vector<store::Message>().swap(op.loaded);  // offline loads can be big
  returned_capacity_ += batch.capacity();
  returned_.push_back(std::move(batch));
}

void ServerHub::flush() {
  flush_scheduled_ = false;
  store_.submit(outbox_);
}

void ServerHub::on_send(ServerSession& s, const session::SendRequest& r) {
  const proto::Send& f = *r.frame;
  const auto now = clock_();
  submit_send(s.id(), s.uid(), f, r.plaintext, r.header_bits, opts_.dedup, true, now,
              [&](int64_t id, uint64_t seq, uint8_t reason) { s.sendack(id, f.client_seq, seq, reason, f.client_msg_no, now); });
}

void ServerHub::api_send(const ApiSend& a, std::function<void(const ApiSendResult&)> done) {
  const uint64_t conn = kApiConnBit | ++api_sends_;
  proto::Send f;
  f.channel_id = a.channel_id;
  f.channel_type = a.channel_type;
  f.client_msg_no = a.client_msg_no;
  f.setting.bits = a.setting;
  f.expire = a.expire;
  bool answered = false;
  submit_send(conn, a.from_uid, f, a.payload, 0, a.dedup && opts_.dedup, a.check_membership, clock_(),
              [&](int64_t id, uint64_t seq, uint8_t reason) {
    answered = true;
    done({id, seq, reason, refusal_why_});
  });
  if (!answered) api_waiting_.emplace(conn, std::move(done));
}

template <class Reply>
void ServerHub::submit_send(uint64_t conn, std::string_view uid, const proto::Send& f, std::string_view plaintext,
                            uint8_t header_bits, bool dedup, bool check_membership, session::Now now,
                            Reply&& reply) {
  ++stats_.sends;
  refusal_why_.clear();
  if (events_)
    note("send", {{"conn", conn}, {"uid", uid}, {"client_seq", f.client_seq},
                  {"client_msg_no", f.client_msg_no}, {"channel_id", f.channel_id},
                  {"channel_type", f.channel_type}, {"payload_size", plaintext.size()},
                  {"dup_flag", f.header.dup}});
  auto refuse = [&](uint8_t reason, std::string why) {
    note("send_refused", {{"conn", conn}, {"uid", uid}, {"client_seq", f.client_seq},
                          {"client_msg_no", f.client_msg_no}, {"reason", reason}, {"why", why}});
    refusal_why_ = std::move(why);
    reply(0, 0, reason);
  };
  if (f.channel_id.empty()) return refuse(16, "empty channel_id");
  std::vector<std::string>& recipients = recipients_;
  recipients.clear();
  if (f.channel_type == ct::person) {
    if (auto problem = util::uid_problem(f.channel_id); !problem.empty())
      return refuse(16, "target uid " + std::string(problem));
    util::person_channel_id_to(uid, f.channel_id, channel_);
    recipients.emplace_back(f.channel_id);
  } else if (f.channel_type == ct::group) {
    auto g = groups_.find(f.channel_id);
    if (g == groups_.end()) return refuse(5, "no such group (see --group, POST /channel)");
    if (check_membership && std::find(g->second.begin(), g->second.end(), uid) == g->second.end())
      return refuse(11, "sender is not a member of the group");
    channel_.assign(f.channel_id);
    for (const auto& m : g->second)
      if (m != uid) recipients.push_back(m);
  } else {
    return refuse(23, "only person (1) and group (2) channels are served");
  }

  auto hash = store::sha256(plaintext);
  const bool idempotent = dedup && !f.client_msg_no.empty();
  DedupEntry* entry = nullptr;  // valid until the next insert: filled in below
  if (idempotent) {
    store::idempotency_key(key_, f.channel_type, channel_, uid, f.client_msg_no);
    key_hash_ = store::idempotency_hash(key_);
    if (DedupEntry* found = find_dedup(conn)) {
      DedupEntry& d = *found;
      nlohmann::json info;
      if (events_)
        info = {{"conn", conn}, {"uid", uid}, {"client_seq", f.client_seq},
                {"client_msg_no", f.client_msg_no}, {"channel", channel_}, {"channel_type", f.channel_type},
                {"message_id", d.message_id}, {"message_seq", d.message_seq}, {"committed", d.committed}};
      if (d.hash != hash) {
        ++stats_.dedup_conflicts;
        note("dedup_conflict", std::move(info));
        refusal_why_ = "client_msg_no already used with another payload";
        reply(0, 0, 15);
        return;
      }
      ++stats_.dedup_hits;
      note("dedup_hit", std::move(info));
      if (d.committed) reply(d.message_id, d.message_seq, 1);
      else d.waiters.push_back({conn, f.client_seq});
      return;
    }
    // Whether the key was stored before is unknown: storing it again could
    // make the duplicate dedup exists to prevent.
    if (lookup_failed_) return refuse(15, "idempotency index unavailable");
    entry = &dedup_.insert(key_, key_hash_);
  }

  head_key_.assign(1, static_cast<char>(f.channel_type));
  head_key_.append(channel_);
  uint64_t seq = ++heads_[head_key_];
  if (seq == 1 && f.channel_type == ct::person) index_person_channel(channel_);
  int64_t id = ids_.next_at(std::max(now.wall_ms, id_floor_ms_));

  store::Op& op = next_op(store::Op::Kind::append);
  op.tag = conn;
  store::Message& m = op.message;
  m.channel_id = channel_;
  m.channel_type = f.channel_type;
  m.message_seq = seq;
  m.message_id = id;
  m.framer_flags = header_bits;
  m.setting = f.setting.bits;
  m.msg_key.assign(f.msg_key);
  m.expire = f.expire;
  m.client_seq = f.client_seq;
  m.client_msg_no.assign(f.client_msg_no);
  m.stream_no.assign(f.stream_no);
  m.timestamp = static_cast<int32_t>(now.wall_ms / 1000);
  m.topic.assign(f.topic);
  m.from_uid = uid;
  m.payload_hash = hash;
  m.payload.assign(plaintext);
  m.server_timestamp_ms = now.wall_ms;
  op.recipients.swap(recipients);
  op.ref = entry ? kIdempotentOp : 0;
  op.idempotent = entry != nullptr;
  if (entry) {
    entry->message_id = id;
    entry->message_seq = seq;
    entry->hash = hash;
  }
  ++inflight_;
}

void ServerHub::answer(uint64_t conn, int64_t id, uint32_t client_seq, uint64_t seq, uint8_t reason,
                       std::string_view client_msg_no) {
  if (conn & kApiConnBit) {
    auto it = api_waiting_.find(conn);
    if (it == api_waiting_.end()) return;
    auto done = std::move(it->second);
    api_waiting_.erase(it);
    done({id, seq, reason, reason == 1 ? std::string() : "the store could not take the message"});
    return;
  }
  Peer* p = peer(conn);
  if (!p) return;
  p->session().sendack(id, client_seq, seq, reason, client_msg_no, clock_());
  p->poke();
}

void ServerHub::on_committed(std::vector<store::Op>&& batch) {
  for (store::Op& op : batch) {
    switch (op.kind) {
      case store::Op::Kind::append: {
        --inflight_;
        const store::Message& m = op.message;
        // The idempotency entry on_send made for this op (the window keeps
        // uncommitted entries); entries are only erased here, for their own op.
        DedupEntry* d = nullptr;
        if (op.ref == kIdempotentOp) {
          store::idempotency_key(key_, m.channel_type, m.channel_id, m.from_uid, m.client_msg_no);
          key_hash_ = store::idempotency_hash(key_);
          d = dedup_.find(key_, key_hash_);
        }
        if (op.failed) {
          ++stats_.store_failures;
          trouble("store_error", {{"op", "append"}, {"message_id", m.message_id}, {"error", op.error}},
                  "cannot store a SEND from uid " + quote_for_log(m.from_uid) + " (refused with reason 15): " + op.error);
          answer(op.tag, 0, m.client_seq, 0, 15, m.client_msg_no);
          if (d) {
            for (auto& w : d->waiters) answer(w.conn, 0, w.client_seq, 0, 15, m.client_msg_no);
            dedup_.erase(key_, key_hash_);
          }
          break;
        }
        ++stats_.stored;
        if (events_)
          note("stored", {{"message_id", m.message_id}, {"message_seq", m.message_seq}, {"channel", m.channel_id},
                          {"channel_type", m.channel_type}, {"from_uid", m.from_uid},
                          {"client_msg_no", m.client_msg_no}, {"recipients", op.recipients}});
        answer(op.tag, m.message_id, m.client_seq, m.message_seq, 1, m.client_msg_no);
        if (d) {
          d->committed = true;
          for (auto& w : d->waiters) answer(w.conn, m.message_id, w.client_seq, m.message_seq, 1, m.client_msg_no);
          d->waiters.clear();
          d->waiters.shrink_to_fit();
        }
        deliver_stored(m, op.recipients, op.tag);
        break;
      }
      case store::Op::Kind::load_range: {
        auto it = ranges_waiting_.find(op.tag);
        if (it == ranges_waiting_.end()) break;
        auto done = std::move(it->second);
        ranges_waiting_.erase(it);
        done(std::move(op.loaded), op.failed ? op.error : std::string());
        op.loaded.clear();
        break;
      }
      case store::Op::Kind::set_group: {
        if (op.failed)
          trouble("store_error", {{"op", "set_group"}, {"group", op.message.channel_id}, {"error", op.error}},
                  "cannot keep group " + quote_for_log(op.message.channel_id) + " in the store: " + op.error);
        auto it = groups_waiting_.find(op.tag);
        if (it == groups_waiting_.end()) break;
        auto done = std::move(it->second);
        groups_waiting_.erase(it);
        done(op.failed ? op.error : std::string());
        break;
      }
      case store::Op::Kind::load_pending: {
        if (op.failed)
          trouble("store_error", {{"op", "load_pending"}, {"uid", op.uid}, {"error", op.error}},
                  "cannot load the offline messages of uid " + quote_for_log(op.uid) + ": " + op.error);
        Peer* p = peer(op.tag);
        if (!p || p->session().state() != ServerSession::State::open) break;
        ++stats_.pages;
        if (events_ && !op.loaded.empty())
          note("offline", {{"conn", op.tag}, {"uid", op.uid}, {"messages", op.loaded.size()},
                           {"after_id", op.message_id}, {"limit", op.limit}});
        for (const auto& m : op.loaded) deliver_to(*p, m, true, ServerSession::Origin::page);
        p->session().page_done(op.loaded.size(), op.failed, clock_());
        p->poke();
        break;
      }
      case store::Op::Kind::ack:
        if (op.failed)
          trouble("store_error", {{"op", "ack"}, {"uid", op.uid}, {"message_id", op.message_id}, {"error", op.error}},
                  "cannot record the RECVACK of uid " + quote_for_log(op.uid) + " for message " +
                      std::to_string(op.message_id) + ": " + op.error);
        break;
    }
  }
  keep_for_reuse(std::move(batch));
}

void ServerHub::deliver_stored(const store::Message& m, const std::vector<std::string>& recipients,
                               uint64_t skip_conn) {
  auto to_uid = [&](const std::string& uid) {
    auto it = by_uid_.find(uid);
    if (it == by_uid_.end()) return;
    const bool stored = std::find(recipients.begin(), recipients.end(), uid) != recipients.end();
    for (uint64_t c : it->second) {
      if (c == skip_conn) continue;
      if (Peer* p = peer(c)) {
        deliver_to(*p, m, stored);
        p->poke();
      }
    }
  };
  to_uid(m.from_uid);
  for (const auto& uid : recipients)
    if (uid != m.from_uid) to_uid(uid);
}

void ServerHub::deliver_to(Peer& p, const store::Message& m, bool stored, ServerSession::Origin origin) {
  ServerSession& s = p.session();
  session::Delivery d;
  d.message_id = m.message_id;
  d.message_seq = m.message_seq;
  d.from_uid = m.from_uid;
  if (m.channel_type == ct::person) {
    // The recipient sees the conversation under the other party's uid.
    auto parts = util::split_person_channel_id(m.channel_id);
    if (!parts) return;
    if (s.uid() != m.from_uid) d.channel_id = m.from_uid;
    else d.channel_id = parts->first == m.from_uid ? parts->second : parts->first;
  } else {
    d.channel_id = m.channel_id;
  }
  d.client_msg_no = m.client_msg_no;
  d.topic = m.topic;
  d.payload = m.payload;
  d.channel_type = m.channel_type;
  d.setting = m.setting & ~proto::Setting::kStream;
  d.expire = m.expire;
  d.timestamp = m.timestamp;
  d.header.red_dot = m.framer_flags & 0x02;
  d.header.sync_once = m.framer_flags & 0x04;
  d.header.no_persist = m.framer_flags & 0x01;
  d.stored = stored;
  s.deliver(d, clock_(), origin);
}

void ServerHub::on_recvack(ServerSession& s, int64_t message_id, uint64_t message_seq) {
  ++stats_.recvacks;
  if (events_)
    note("recvack", {{"conn", s.id()}, {"uid", s.uid()}, {"message_id", message_id}, {"message_seq", message_seq}});
  store::Op& op = next_op(store::Op::Kind::ack);
  op.uid = s.uid();
  op.message_id = message_id;
}

void ServerHub::on_connect(ServerSession& s, const session::ConnectInfo& c) {
  refusal_why_ = c.client_key.empty() && s.dialect() != session::Dialect::jsonrpc ? "empty client_key" : "";
  if (!events_) return;
  Peer* p = peer(s.id());
  note("connect", {{"conn", s.id()}, {"remote", p ? p->remote() : std::string()}, {"uid", c.uid},
                   {"device_flag", c.device_flag}, {"device_id", c.device_id}, {"version", c.client_version},
                   {"protocol", session::dialect_name(s.dialect())}});
}

void ServerHub::on_jsonrpc_error(ServerSession& s, int64_t code, std::string_view why) {
  note("jsonrpc_error", {{"conn", s.id()}, {"uid", s.uid()}, {"code", code}, {"error", why}});
}

void ServerHub::on_connack(ServerSession& s, uint8_t reason, int version) {
  if (reason != 1) {
    Peer* p = peer(s.id());
    std::string remote = p ? p->remote() : std::string("?");
    std::string why = refusal_why_.empty() ? "refused" : refusal_why_;
    trouble("connect_refused",
            {{"conn", s.id()}, {"remote", remote}, {"uid", s.uid()}, {"reason", reason},
             {"reason_name", proto::reason_code_name(reason)}, {"why", why}},
            "CONNECT from " + remote + " (conn " + std::to_string(s.id()) + ", uid " + quote_for_log(s.uid()) +
                ") refused with reason " + std::to_string(reason) + " (" +
                std::string(proto::reason_code_name(reason)) + "): " + why);
  }
  if (events_)
    note("connack", {{"conn", s.id()}, {"uid", s.uid()}, {"reason", reason},
                     {"reason_name", proto::reason_code_name(reason)}, {"version", version}});
}

void ServerHub::on_sendack(ServerSession& s, const proto::Sendack& a) {
  if (events_)
    note("sendack", {{"conn", s.id()}, {"uid", s.uid()}, {"client_seq", a.client_seq},
                     {"client_msg_no", a.client_msg_no}, {"message_id", a.message_id},
                     {"message_seq", a.message_seq}, {"reason", a.reason_code},
                     {"reason_name", proto::reason_code_name(a.reason_code)}});
}

void ServerHub::on_deliver(ServerSession& s, const session::Delivery& d) {
  ++stats_.delivered;
  if (events_)
    note("deliver", {{"conn", s.id()}, {"uid", s.uid()}, {"message_id", d.message_id},
                     {"message_seq", d.message_seq}, {"channel_id", d.channel_id}, {"channel_type", d.channel_type},
                     {"from_uid", d.from_uid}, {"client_msg_no", d.client_msg_no}});
}

void ServerHub::on_redeliver(ServerSession& s, int64_t message_id, uint64_t message_seq, int attempt) {
  ++stats_.redelivered;
  if (events_)
    note("redeliver", {{"conn", s.id()}, {"uid", s.uid()}, {"message_id", message_id},
                       {"message_seq", message_seq}, {"attempt", attempt}});
}

void ServerHub::on_fault(ServerSession& s, const fault::Decision& d, proto::FrameType t, fault::Direction dir) {
  note("fault", {{"conn", s.id()}, {"uid", s.uid()}, {"action", fault::action_name(d.action)},
                 {"frame", proto::frame_type_name(t)}, {"direction", dir == fault::Direction::in ? "in" : "out"},
                 {"count", d.count}, {"delay_ms", d.delay_ms}, {"rule", d.rule ? d.rule->text : ""}});
}

void ServerHub::on_reject(ServerSession& s, const proto::Send& f, uint8_t reason, std::string_view why) {
  note("send_refused", {{"conn", s.id()}, {"uid", s.uid()}, {"client_seq", f.client_seq},
                        {"client_msg_no", f.client_msg_no}, {"reason", reason}, {"why", why}});
}

void ServerHub::on_handshake_timeout(ServerSession& s, uint64_t bytes_received) {
  Peer* p = peer(s.id());
  std::string remote = p ? p->remote() : std::string("?");
  trouble("handshake_timeout",
          {{"conn", s.id()}, {"remote", remote}, {"bytes", bytes_received},
           {"timeout_ms", opts_.handshake_timeout_ms}},
          "connection from " + remote + " (conn " + std::to_string(s.id()) + ") closed: no complete CONNECT within " +
              std::to_string(opts_.handshake_timeout_ms) + " ms (" + std::to_string(bytes_received) +
              " bytes received)");
}

void ServerHub::on_close(ServerSession& s, std::string_view why) {
  note("disconnect", {{"conn", s.id()}, {"uid", s.uid()}, {"reason", why}});
  // Leave the routing tables at once; the connection object goes when its
  // coroutine ends.
  auto it = by_uid_.find(s.uid());
  if (it != by_uid_.end()) {
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), s.id()), v.end());
    if (v.empty()) by_uid_.erase(it);
  }
}

}  // namespace wkit::app
