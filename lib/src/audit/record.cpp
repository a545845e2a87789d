#include "wkit/audit/record.hpp"

#include "wkit/audit/options.hpp"

// Header-only: the short keys (ids, uids, client_msg_nos) hash without a call.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace wkit::audit {

uint64_t hash_bytes(std::string_view s, uint64_t seed) { return XXH3_64bits_withSeed(s.data(), s.size(), seed); }

uint64_t channel_key(std::string_view channel_id, int64_t channel_type) {
  return hash_bytes(channel_id, mix64(static_cast<uint64_t>(channel_type) + 0x5157));
}

uint64_t grouping_hash(const Record& r, Grouping g, int scope) {
  switch (g) {
    case kByClientMsgNo:
      switch (static_cast<Scope>(scope)) {
        case Scope::sender: return hash_combine(hash_combine(r.channel, r.from), r.cmn_hash);
        case Scope::channel: return hash_combine(r.channel, r.cmn_hash);
        default: return mix64(r.cmn_hash);
      }
    case kByMessageId: return mix64(r.message_id + 0x77);
    default: return mix64(r.channel);
  }
}

const char* scope_name(Scope s) {
  switch (s) {
    case Scope::channel: return "channel";
    case Scope::global: return "global";
    default: return "sender";
  }
}

bool scope_from_name(std::string_view name, Scope& out) {
  if (name == "sender") out = Scope::sender;
  else if (name == "channel") out = Scope::channel;
  else if (name == "global") out = Scope::global;
  else return false;
  return true;
}

bool is_finding_name(std::string_view name) {
  for (auto* n : kFindingNames)
    if (name == n) return true;
  return false;
}

}  // namespace wkit::audit
