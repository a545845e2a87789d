#pragma once
// The idempotency key of WuKongIM 3.x (channel, from_uid, client_msg_no), as
// the bytes `wkit serve` keys its in-memory window with and the 64-bit hash
// its on-disk index (key_index.hpp) is keyed by. The hash is XXH3, so it is
// the same in every build and on every machine: the on-disk index keeps it.
#include <cstdint>
#include <string>
#include <string_view>

namespace wkit::store {

// type, channel, NUL, from_uid, NUL, client_msg_no (channel is canonical).
void idempotency_key(std::string& out, uint8_t channel_type, std::string_view channel_id, std::string_view from_uid,
                     std::string_view client_msg_no);
uint64_t idempotency_hash(std::string_view key);

}  // namespace wkit::store
