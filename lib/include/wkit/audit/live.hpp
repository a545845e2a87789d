#pragma once
// Live audits (`wkit audit http://HOST:PORT`, docs/audit.md "Live audit"):
// channels paged through POST /channel/messagesync into the same records a
// file audit reads. Each channel is one input named URL/ID:TYPE whose
// positions are message_seqs.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "wkit/audit/context.hpp"
#include "wkit/audit/options.hpp"

namespace wkit::audit {

// "ID:TYPE" (TYPE a number or a name such as group; split at the last ':').
Result<LiveChannel> parse_live_channel(std::string_view spec);
// One ID:TYPE per line; blank lines and # comments skipped. Errors name FILE:LINE.
Result<std::vector<LiveChannel>> read_live_channels(const std::string& path);
// "20/s", "0.5/s", "30/m" (util::parse_rate: a period is required): 0.01..10000 per second.
Result<double> parse_live_rate(std::string_view text);

// What one messagesync answer held.
struct LivePage {
  size_t messages = 0;
  uint64_t last_seq = 0;  // of the last message (0 when none)
  bool more = false;
};

// Reads the answer `body` (it is padded in place for the parser). `each` gets
// every message's fields and message_seq; `malformed` a message whose fields
// cannot be read, with its seq. Errors (bad_input, without location): the
// body is not a messagesync answer, a message has no readable message_seq, or
// the seqs are not ascending from `start_seq`.
Result<LivePage> read_messagesync_page(std::string& body, uint64_t start_seq,
                                       const std::function<void(RawFields&, uint64_t seq)>& each,
                                       const std::function<void(uint64_t seq, std::string_view what)>& malformed);

// --uids-file: one uid per line; blank lines and # comments skipped. Errors name FILE:LINE.
Result<std::vector<std::string>> read_live_uids(const std::string& path);
// POSTs a JSON body to a path of the server (the caller's HTTP client).
using LivePost = std::function<Result<LiveReply>(const std::string& path, const std::string& body)>;
// Discovery for --uids (live_discovery.cpp): pages each uid's conversations
// (api_compat 3: POST /conversation/list, 2: POST /conversation/sync, at
// most o.rate requests per second) and appends the channels not in
// o.channels yet, each read as the uid that found it (LiveChannel::login_uid).
// A person channel seen from both sides, or given with --channel, is one.
// Returns how many were added. Errors: connection (a refusal or no answer,
// "interrupted" once `stopping`), bad_input (not a conversation answer).
Result<size_t> discover_live_channels(LiveOptions& o, const std::vector<std::string>& uids, const LivePost& post,
                                      const std::function<bool()>& stopping);

// Fixes what an answer says differently from the store (docs/audit.md):
// a person channel gets its canonical a@b id, a timestamp of 0 (WuKongIM
// 3.x) the message_id's Snowflake milliseconds, and with api_compat 2 an
// empty from_uid the system uid. Returns whether the time came from the id.
struct LiveChannelView {
  std::string canonical_id;  // person: a@b of login_uid and the peer; else the id
  int64_t type = 0;
  int api_compat = 3;
};
LiveChannelView live_channel_view(const LiveOptions& o, const LiveChannel& c);
bool adapt_live_fields(const LiveChannelView& v, RawFields& f);

// Pages through every channel of ctx.options.live into ctx (one input per
// channel; ctx.inputs is sized here). A stop ends it with what was read.
// Errors: connection (exit 3: no connection, a non-200 answer) or bad_input
// (exit 4: an answer that is not a messagesync answer), naming the URL and
// the channel.
Status read_live(AuditContext& ctx);

}  // namespace wkit::audit
