#pragma once
// `wkit send --check-via http://HOST:PORT` (docs/send.md "Settling with the
// server's store"): after a run, the server's POST /channel/messagesync says
// which message_ids its store holds for each sent client_msg_no. This file
// reads the pages; client_send.cpp matches them to the run's messages and
// verdict.cpp decides.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "wkit/net/http_client.hpp"
#include "wkit/util/error.hpp"

namespace wkit::app {

// POSTs a JSON body to a path of the API (e.g. "/channel/messagesync").
// Errors are the connection's, one line.
using ApiPost = std::function<Result<net::HttpReply>(const std::string& path, const std::string& body)>;

// One channel as the sender sees it: a person channel is named by the peer's
// uid and read as login_uid (the sender, a member); a group by its id.
struct StoreChannel {
  std::string login_uid;
  std::string channel_id;
  uint8_t channel_type = 1;
};

// The newest message_seq of a channel, 0 when it is empty (messagesync with
// start and end 0 and limit 1). Errors name what failed, without the URL.
Result<uint64_t> store_head_seq(const ApiPost& post, const StoreChannel& c);

struct StoredMessage {
  std::string_view from_uid, client_msg_no;
  int64_t message_id = 0;
  uint64_t message_seq = 0;
};

struct StoreReadStats {
  uint64_t pages = 0, messages = 0;
};

// Pages through the channel from start_seq upwards (pull_mode 1, page_size
// per page) until the server says there is no more; `each` gets every
// message. Errors: the connection's, a status other than 200 ("HTTP 400:
// MESSAGE"), or an answer that is not a messagesync page.
Result<StoreReadStats> read_store_channel(const ApiPost& post, const StoreChannel& c, uint64_t start_seq,
                                          uint32_t page_size, const std::function<void(const StoredMessage&)>& each);

// An ApiPost over `client` (which must outlive it). Once `*stop` (when
// given) is non-zero, a request in flight is abandoned within ~50 ms and no
// new one is sent: the error's message is "interrupted".
ApiPost api_post_over(net::HttpClient& client, const std::atomic<int>* stop = nullptr);

}  // namespace wkit::app
