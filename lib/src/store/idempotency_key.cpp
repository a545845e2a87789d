#include "wkit/store/idempotency_key.hpp"

#include <xxhash.h>

namespace wkit::store {

void idempotency_key(std::string& out, uint8_t channel_type, std::string_view channel_id, std::string_view from_uid,
                     std::string_view client_msg_no) {
  out.clear();
  out.push_back(static_cast<char>(channel_type));
  out.append(channel_id);
  out.push_back('\0');
  out.append(from_uid);
  out.push_back('\0');
  out.append(client_msg_no);
}

uint64_t idempotency_hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

}  // namespace wkit::store
