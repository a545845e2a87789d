#pragma once
// Channel ids and types (docs/protocol.md sections 2 and 5).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace wkit::util {

// CRC32 (IEEE 802.3, zlib's crc32) of the bytes of `s`.
uint32_t crc32_ieee(std::string_view s);

// Canonical person channel id `a@b` under which the server stores a
// conversation: the uid with the larger CRC32 comes first; on equal CRC32 the
// lexically (bytewise) larger uid comes first.
std::string person_channel_id(std::string_view uid1, std::string_view uid2);
// Same, replacing the contents of `out` (no allocation once `out` is warm).
void person_channel_id_to(std::string_view uid1, std::string_view uid2, std::string& out);
// Splits a canonical person channel id at the '@'; nullopt if there is none.
std::optional<std::pair<std::string_view, std::string_view>> split_person_channel_id(std::string_view id);
// Why `uid` cannot be a user id ("" when it can): a uid must be non-empty and
// free of '@' (the person channel separator, which would make `a@b@c` name two
// different conversations) and of '#' and '&' (refused by WuKongIM 3.x's
// /user/token as well). The one rule `wkit serve` applies at CONNECT and to
// the target of a person SEND.
std::string_view uid_problem(std::string_view uid);

namespace channel_type {
inline constexpr uint8_t person = 1, group = 2, customer_service = 3, community = 4, community_topic = 5,
                         info = 6, data = 7, temp = 8, live = 9, visitors = 10, agent = 11, agent_group = 12;
}

// "person", "group", "customer_service", ... ; "unknown" for other numbers.
std::string_view channel_type_name(uint8_t type);
// Accepts a name from channel_type_name() or a decimal number 0..255.
std::optional<uint8_t> parse_channel_type(std::string_view text);

}  // namespace wkit::util
