// CoalescingStream under Beast's websocket::stream, over real loopback
// sockets (port 0): a batch is one socket write and arrives intact; pings,
// close handshakes and a peer that goes away during a batch or its flush.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <string>
#include <vector>

#include "run_coroutine.hpp"
#include "../../e2e/support/test_certs.hpp"
#include "../../support/temp_dir.hpp"
#include "wkit/net/coalescing_stream.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;
using asio::redirect_error;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using wkit::net::CoalescingStream;
using wkit::net::write_batch;

// Counts the writes that reach the socket (basic_stream calls the rate
// policy once per completed write_some).
struct CoalescingWriteCounter {
  std::size_t writes = 0;
  std::size_t available_read_bytes() const { return std::size_t(-1); }
  std::size_t available_write_bytes() const { return std::size_t(-1); }
  void transfer_read_bytes(std::size_t) {}
  void transfer_write_bytes(std::size_t) { ++writes; }
  void on_timer() {}
};
using CountedTcp = beast::basic_stream<tcp, asio::any_io_executor, CoalescingWriteCounter>;
using CoalescedWs = websocket::stream<CoalescingStream<CountedTcp>>;  // the side under test
using PlainWs = websocket::stream<beast::tcp_stream>;                 // Beast alone, as the peer


// A connected TCP pair on loopback (port 0).
asio::awaitable<std::pair<tcp::socket, tcp::socket>> coalescing_socket_pair() {
  auto ex = co_await asio::this_coro::executor;
  tcp::acceptor acc(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(ex);
  co_await client.async_connect(acc.local_endpoint(), use_awaitable);
  tcp::socket server = co_await acc.async_accept(use_awaitable);
  co_return std::make_pair(std::move(client), std::move(server));
}

// The coalesced side as the client (masked frames) or as the server; the
// plain Beast peer takes the other role. Both handshakes complete here.
struct CoalescingPair {
  std::unique_ptr<CoalescedWs> ours;
  std::unique_ptr<PlainWs> peer;
};

asio::awaitable<CoalescingPair> coalescing_ws_pair(bool ours_is_client) {
  auto ex = co_await asio::this_coro::executor;
  auto [c, s] = co_await coalescing_socket_pair();
  CoalescingPair p;
  p.ours = std::make_unique<CoalescedWs>(CountedTcp(ours_is_client ? std::move(c) : std::move(s)));
  p.peer = std::make_unique<PlainWs>(beast::tcp_stream(ours_is_client ? std::move(s) : std::move(c)));
  auto accepted = std::make_shared<error_code>(asio::error::would_block);
  auto accept_on = [accepted](auto& ws) {
    return [accepted, &ws]() -> asio::awaitable<void> {
      error_code ec;
      co_await ws.async_accept(redirect_error(use_awaitable, ec));
      *accepted = ec;
    };
  };
  if (ours_is_client) {
    asio::co_spawn(ex, accept_on(*p.peer), asio::detached);
    co_await p.ours->async_handshake("127.0.0.1", "/", use_awaitable);
  } else {
    asio::co_spawn(ex, accept_on(*p.ours), asio::detached);
    co_await p.peer->async_handshake("127.0.0.1", "/", use_awaitable);
  }
  asio::steady_timer t(ex);
  while (*accepted == asio::error::would_block) {  // the accept's last step runs after the handshake's
    t.expires_after(std::chrono::milliseconds(1));
    co_await t.async_wait(use_awaitable);
  }
  if (*accepted) throw std::runtime_error("accept: " + accepted->message());
  p.ours->binary(true);
  p.ours->auto_fragment(false);
  p.peer->binary(true);
  co_return p;
}

std::vector<std::string> coalescing_messages(std::size_t count, std::size_t size_step) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < count; ++i)
    out.push_back(std::to_string(i) + ":" + std::string(1 + i * size_step % 97, char('a' + i % 26)));
  return out;
}

std::vector<std::string_view> coalescing_views(const std::vector<std::string>& m) {
  return std::vector<std::string_view>(m.begin(), m.end());
}

// Polls (1 ms steps) until `cond`; no timing assertion, the case deadline guards it.
template <class Cond>
asio::awaitable<void> coalescing_wait_until(Cond cond) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  while (!cond()) {
    t.expires_after(std::chrono::milliseconds(1));
    co_await t.async_wait(use_awaitable);
  }
}

// Small socket buffers on both ends: a batch the peer does not read blocks
// mid-write.
void coalescing_shrink_socket_buffers(CoalescingPair& p) {
  beast::get_lowest_layer(*p.peer).socket().set_option(asio::socket_base::receive_buffer_size(32 * 1024));
  beast::get_lowest_layer(*p.ours).socket().set_option(asio::socket_base::send_buffer_size(32 * 1024));
}

// write_batch of `views` on ours, in the background: `ec` and `written` are
// set when it ends.
struct CoalescingBackgroundBatch {
  error_code ec;
  bool written = false;
};
void coalescing_start_batch(asio::any_io_executor ex, CoalescingPair& p, const std::vector<std::string_view>& views,
                            CoalescingBackgroundBatch& out) {
  asio::co_spawn(ex, [&p, &views, &out]() -> asio::awaitable<void> {
    co_await write_batch(*p.ours, views, out.ec);
    out.written = true;
  }, asio::detached);
}

class CoalescingRoles : public ::testing::TestWithParam<bool> {};

TEST_P(CoalescingRoles, BatchIsOneSocketWriteAndArrivesIntactInOrder) {
  run_net_coroutine_test([client = GetParam()](asio::io_context&) -> asio::awaitable<void> {
    auto p = co_await coalescing_ws_pair(client);
    auto msgs = coalescing_messages(120, 13);
    auto& counter = beast::get_lowest_layer(*p.ours).rate_policy();
    const std::size_t before = counter.writes;
    auto views = coalescing_views(msgs);
    error_code ec;
    co_await write_batch(*p.ours, views, ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(counter.writes - before, 1u);  // 120 messages, ~6 KB: one write
    EXPECT_FALSE(p.ours->next_layer().batching());
    for (auto& m : msgs) {
      beast::flat_buffer buf;
      co_await p.peer->async_read(buf, use_awaitable);
      EXPECT_TRUE(p.peer->got_binary());
      EXPECT_EQ(beast::buffers_to_string(buf.data()), m);
    }
    // One message: one write too.
    const std::string one = "single";
    std::string_view one_view = one;
    co_await write_batch(*p.ours, std::span<const std::string_view>(&one_view, 1), ec);
    EXPECT_FALSE(ec);
    beast::flat_buffer buf;
    co_await p.peer->async_read(buf, use_awaitable);
    EXPECT_EQ(beast::buffers_to_string(buf.data()), one);
    // The peer closes; ours answers from a read, the handshake completes.
    asio::co_spawn(co_await asio::this_coro::executor, [&]() -> asio::awaitable<void> {
      co_await p.peer->async_close(websocket::close_code::normal, use_awaitable);
    }, asio::detached);
    co_await p.ours->async_read(buf, redirect_error(use_awaitable, ec));
    EXPECT_EQ(ec, websocket::error::closed);
    co_await coalescing_wait_until([&] { return !p.peer->is_open(); });
  });
}

// A batch bigger than the batch limit: written in pieces, still in order.
TEST_P(CoalescingRoles, BatchOverTheLimitArrivesInOrder) {
  run_net_coroutine_test([client = GetParam()](asio::io_context&) -> asio::awaitable<void> {
    auto p = co_await coalescing_ws_pair(client);
    std::vector<std::string> msgs;
    for (int i = 0; i < 40; ++i) msgs.push_back(std::string(i % 3 == 0 ? 100000 : 700, char('A' + i % 26)));
    auto views = coalescing_views(msgs);
    auto ex = co_await asio::this_coro::executor;
    bool written = false;
    error_code ec;
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      co_await write_batch(*p.ours, views, ec);
      written = true;
    }, asio::detached);
    for (auto& m : msgs) {
      beast::flat_buffer buf;
      co_await p.peer->async_read(buf, use_awaitable);
      EXPECT_EQ(beast::buffers_to_string(buf.data()), m);
    }
    co_await coalescing_wait_until([&] { return written; });
    EXPECT_FALSE(ec) << ec.message();
  });
}

// The peer pings while ours is mid-batch (the pong is buffered with the
// batch) and again while the flush is stuck on a full socket (the flush
// loop writes the pong after the batch): both pongs arrive.
TEST_P(CoalescingRoles, PingDuringBatchAndDuringFlushGetsItsPong) {
  run_net_coroutine_test([client = GetParam()](asio::io_context&) -> asio::awaitable<void> {
    auto p = co_await coalescing_ws_pair(client);
    auto ex = co_await asio::this_coro::executor;
    auto& layer = p.ours->next_layer();
    std::vector<std::string> pongs;
    p.peer->control_callback([&](websocket::frame_type kind, beast::string_view payload) {
      if (kind == websocket::frame_type::pong) pongs.emplace_back(payload);
    });
    int pings_seen = 0;
    bool flushing_at_second_ping = false;
    p.ours->control_callback([&](websocket::frame_type kind, beast::string_view) {
      if (kind != websocket::frame_type::ping) return;
      if (++pings_seen == 2) flushing_at_second_ping = layer.flushing();
    });
    // Ours keeps a read pending: Beast answers pings from inside a read.
    bool ours_closed = false;
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      beast::flat_buffer buf;
      error_code ec;
      co_await p.ours->async_read(buf, redirect_error(use_awaitable, ec));
      ours_closed = ec == websocket::error::closed;
    }, asio::detached);

    // 1: mid-batch.
    layer.begin_batch();
    const std::string first = "first";
    co_await p.ours->async_write(asio::buffer(first), use_awaitable);
    co_await p.peer->async_ping("one", use_awaitable);
    co_await coalescing_wait_until([&] { return pings_seen == 1; });
    error_code ec;
    co_await layer.end_batch(ec);
    EXPECT_FALSE(ec);
    // On the wire: "first", the pong, then a marker written after the batch.
    const std::string marker = "marker";
    co_await p.ours->async_write(asio::buffer(marker), use_awaitable);
    beast::flat_buffer buf;
    co_await p.peer->async_read(buf, use_awaitable);
    EXPECT_EQ(beast::buffers_to_string(buf.data()), first);
    buf.clear();
    co_await p.peer->async_read(buf, use_awaitable);  // handles the pong on the way
    EXPECT_EQ(beast::buffers_to_string(buf.data()), marker);
    EXPECT_EQ(pongs, std::vector<std::string>{"one"});

    // 2: during a flush that cannot finish until the peer reads.
    layer.set_batch_limit(16u << 20);
    auto& peer_sock = beast::get_lowest_layer(*p.peer).socket();
    peer_sock.set_option(asio::socket_base::receive_buffer_size(32 * 1024));
    beast::get_lowest_layer(*p.ours).socket().set_option(asio::socket_base::send_buffer_size(32 * 1024));
    std::vector<std::string> big(64, std::string(64 * 1024, 'x'));  // 4 MiB
    for (std::size_t i = 0; i < big.size(); ++i) big[i][0] = char('0' + i % 10);
    auto views = coalescing_views(big);
    bool written = false;
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      co_await write_batch(*p.ours, views, ec);
      written = true;
    }, asio::detached);
    co_await coalescing_wait_until([&] { return layer.flushing(); });
    co_await p.peer->async_ping("two", use_awaitable);
    co_await coalescing_wait_until([&] { return pings_seen == 2; });
    EXPECT_TRUE(flushing_at_second_ping);
    for (auto& m : big) {
      buf.clear();
      co_await p.peer->async_read(buf, use_awaitable);
      EXPECT_EQ(beast::buffers_to_string(buf.data()), m);
    }
    co_await coalescing_wait_until([&] { return written; });
    EXPECT_FALSE(ec) << ec.message();
    co_await p.ours->async_write(asio::buffer(marker), use_awaitable);
    buf.clear();
    co_await p.peer->async_read(buf, use_awaitable);  // the pong came right after the batch
    EXPECT_EQ(beast::buffers_to_string(buf.data()), marker);
    EXPECT_EQ(pongs, (std::vector<std::string>{"one", "two"}));
    co_await p.peer->async_close(websocket::close_code::normal, use_awaitable);
    co_await coalescing_wait_until([&] { return ours_closed; });
  });
}

// The peer starts a close handshake while ours is mid-batch: Beast's close
// reply is buffered, and the teardown writes it (no deadlock with the batch).
TEST_P(CoalescingRoles, PeerClosesWhileOursIsMidBatch) {
  run_net_coroutine_test([client = GetParam()](asio::io_context&) -> asio::awaitable<void> {
    auto p = co_await coalescing_ws_pair(client);
    auto ex = co_await asio::this_coro::executor;
    auto& layer = p.ours->next_layer();
    error_code read_ec;
    bool read_done = false;
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      beast::flat_buffer buf;
      co_await p.ours->async_read(buf, redirect_error(use_awaitable, read_ec));
      read_done = true;
    }, asio::detached);
    layer.begin_batch();
    const std::string m = "buffered";
    co_await p.ours->async_write(asio::buffer(m), use_awaitable);
    error_code close_ec;
    co_await p.peer->async_close(websocket::close_code::going_away, redirect_error(use_awaitable, close_ec));
    EXPECT_FALSE(close_ec) << close_ec.message();  // ours answered the close
    co_await coalescing_wait_until([&] { return read_done; });
    EXPECT_EQ(read_ec, websocket::error::closed);
    error_code ec;
    co_await p.ours->async_write(asio::buffer(m), redirect_error(use_awaitable, ec));
    EXPECT_TRUE(ec);  // closed: Beast refuses further messages
    co_await layer.end_batch(ec);
    EXPECT_FALSE(layer.batching());
  });
}

// Ours closes while mid-batch (write_through(), as graceful_close does): the
// buffered message and the close frame go out, the handshake completes.
TEST_P(CoalescingRoles, OursClosesWhileMidBatch) {
  run_net_coroutine_test([client = GetParam()](asio::io_context&) -> asio::awaitable<void> {
    auto p = co_await coalescing_ws_pair(client);
    auto ex = co_await asio::this_coro::executor;
    auto& layer = p.ours->next_layer();
    std::vector<std::string> got;
    error_code peer_ec;
    bool peer_done = false;
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      for (;;) {
        beast::flat_buffer buf;
        co_await p.peer->async_read(buf, redirect_error(use_awaitable, peer_ec));
        if (peer_ec) break;
        got.push_back(beast::buffers_to_string(buf.data()));
      }
      peer_done = true;
    }, asio::detached);
    layer.begin_batch();
    const std::string m = "before the close";
    co_await p.ours->async_write(asio::buffer(m), use_awaitable);
    layer.write_through();
    error_code ec;
    co_await p.ours->async_close(websocket::close_code::normal, redirect_error(use_awaitable, ec));
    EXPECT_FALSE(ec) << ec.message();
    co_await layer.end_batch(ec);
    EXPECT_FALSE(ec);
    co_await coalescing_wait_until([&] { return peer_done; });
    EXPECT_EQ(peer_ec, websocket::error::closed);
    EXPECT_EQ(got, std::vector<std::string>{m});
  });
}

// The peer resets the connection while the flush is stuck on a full socket:
// write_batch reports the error instead of hanging.
TEST_P(CoalescingRoles, PeerResetDuringFlushIsAnError) {
  run_net_coroutine_test([client = GetParam()](asio::io_context&) -> asio::awaitable<void> {
    auto p = co_await coalescing_ws_pair(client);
    auto ex = co_await asio::this_coro::executor;
    auto& layer = p.ours->next_layer();
    layer.set_batch_limit(16u << 20);
    coalescing_shrink_socket_buffers(p);
    std::vector<std::string> big(64, std::string(64 * 1024, 'y'));
    auto views = coalescing_views(big);
    CoalescingBackgroundBatch batch;
    coalescing_start_batch(ex, p, views, batch);
    co_await coalescing_wait_until([&] { return layer.flushing(); });
    EXPECT_FALSE(batch.written);
    auto& peer_sock = beast::get_lowest_layer(*p.peer).socket();
    peer_sock.set_option(asio::socket_base::linger(true, 0));  // close = RST
    peer_sock.close();
    co_await coalescing_wait_until([&] { return batch.written; });
    EXPECT_TRUE(batch.ec == asio::error::connection_reset || batch.ec == asio::error::broken_pipe) << batch.ec.message();
    EXPECT_FALSE(layer.batching());
  });
}

// The stream is destroyed while the flush waits on a full socket: the batch
// ends with operation_aborted (no hang, nothing touched after the stream).
TEST_P(CoalescingRoles, StreamDestroyedDuringFlushEndsTheBatch) {
  run_net_coroutine_test([client = GetParam()](asio::io_context&) -> asio::awaitable<void> {
    auto p = co_await coalescing_ws_pair(client);
    auto ex = co_await asio::this_coro::executor;
    p.ours->next_layer().set_batch_limit(16u << 20);
    coalescing_shrink_socket_buffers(p);
    std::vector<std::string> big(64, std::string(64 * 1024, 'z'));
    auto views = coalescing_views(big);
    CoalescingBackgroundBatch batch;
    coalescing_start_batch(ex, p, views, batch);
    co_await coalescing_wait_until([&] { return p.ours->next_layer().flushing(); });
    p.ours.reset();
    co_await coalescing_wait_until([&] { return batch.written; });
    EXPECT_EQ(batch.ec, asio::error::operation_aborted) << batch.ec.message();
  });
}

// The socket is closed (as `serve` cuts a slow consumer) while a message
// too big for the batch buffer is being written with what is buffered: the
// batch ends with an error instead of waiting for a peer that never reads.
TEST_P(CoalescingRoles, SocketClosedDuringAGatheredWriteEndsTheBatch) {
  run_net_coroutine_test([client = GetParam()](asio::io_context&) -> asio::awaitable<void> {
    auto p = co_await coalescing_ws_pair(client);
    auto ex = co_await asio::this_coro::executor;
    coalescing_shrink_socket_buffers(p);
    std::vector<std::string> msgs = {"small", std::string(4u << 20, 'z')};  // 4 MiB: over the 64 KiB batch limit
    auto views = coalescing_views(msgs);
    CoalescingBackgroundBatch batch;
    coalescing_start_batch(ex, p, views, batch);
    auto& sock = beast::get_lowest_layer(*p.ours).socket();
    asio::steady_timer t(ex, std::chrono::milliseconds(200));  // let the write fill the socket
    co_await t.async_wait(use_awaitable);
    EXPECT_FALSE(batch.written);  // 4 MiB cannot fit in the socket buffers of a peer that does not read
    error_code ignored;
    sock.shutdown(tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
    co_await coalescing_wait_until([&] { return batch.written; });
    EXPECT_TRUE(batch.ec) << "a write on a closed socket";
  });
}

INSTANTIATE_TEST_SUITE_P(ClientAndServer, CoalescingRoles, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "OursIsClient" : "OursIsServer"; });

// wss: the layer sits above TLS; a batch both ways and a close handshake
// (TLS shutdown through the forwarded teardown).
TEST(CoalescingTls, BatchesBothWaysAndCloseOverTls) {
  wkit::testing::TempDir dir;
  wkit::testing::TestCerts certs(dir.path.string());
  run_net_coroutine_test([&](asio::io_context&) -> asio::awaitable<void> {
    using Tls = beast::ssl_stream<beast::tcp_stream>;
    using TlsWs = websocket::stream<CoalescingStream<Tls>>;
    asio::ssl::context server_ctx(asio::ssl::context::tls_server);
    server_ctx.use_certificate_chain_file(certs.cert_file());
    server_ctx.use_private_key_file(certs.key_file(), asio::ssl::context::pem);
    asio::ssl::context client_ctx(asio::ssl::context::tls_client);
    client_ctx.load_verify_file(certs.ca_file());
    client_ctx.set_verify_mode(asio::ssl::verify_peer);
    auto ex = co_await asio::this_coro::executor;
    auto [c, s] = co_await coalescing_socket_pair();
    TlsWs client(beast::tcp_stream(std::move(c)), client_ctx);
    TlsWs server(beast::tcp_stream(std::move(s)), server_ctx);
    bool server_up = false;
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      co_await server.next_layer().next_layer().async_handshake(asio::ssl::stream_base::server, use_awaitable);
      co_await server.async_accept(use_awaitable);
      server_up = true;
    }, asio::detached);
    co_await client.next_layer().next_layer().async_handshake(asio::ssl::stream_base::client, use_awaitable);
    co_await client.async_handshake("localhost", "/", use_awaitable);
    co_await coalescing_wait_until([&] { return server_up; });

    auto msgs = coalescing_messages(200, 29);
    auto views = coalescing_views(msgs);
    for (auto pair : {std::pair{&client, &server}, std::pair{&server, &client}}) {
      error_code ec;
      co_await write_batch(*pair.first, views, ec);
      EXPECT_FALSE(ec) << ec.message();
      for (auto& m : msgs) {
        beast::flat_buffer buf;
        co_await pair.second->async_read(buf, use_awaitable);
        EXPECT_EQ(beast::buffers_to_string(buf.data()), m);
      }
    }
    error_code server_ec;
    bool server_done = false;
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      beast::flat_buffer buf;
      co_await server.async_read(buf, redirect_error(use_awaitable, server_ec));
      server_done = true;
    }, asio::detached);
    error_code ec;
    co_await client.async_close(websocket::close_code::normal, redirect_error(use_awaitable, ec));
    EXPECT_TRUE(!ec || ec == asio::ssl::error::stream_truncated) << ec.message();
    co_await coalescing_wait_until([&] { return server_done; });
    EXPECT_EQ(server_ec, websocket::error::closed);
  });
}

}  // namespace

// Reads: once frames are tracked, every whole message that has arrived can be
// told apart from one still on its way (next_message_ready), and reading it
// needs no I/O. A control frame, a message larger than the room left, or a
// message not yet whole ends the run.
TEST_P(CoalescingRoles, ReadsSeeWholeMessagesAlreadyArrived) {
  run_net_coroutine_test([client = GetParam()](asio::io_context&) -> asio::awaitable<void> {
    auto p = co_await coalescing_ws_pair(client);
    auto& layer = p.ours->next_layer();
    layer.track_frames();
    EXPECT_TRUE(layer.tracking_frames());
    auto msgs = coalescing_messages(50, 1);  // 3 to 99 bytes: 2-byte length field
    std::size_t wire = 0;
    for (auto& m : msgs) {
      co_await p.peer->async_write(asio::buffer(m), use_awaitable);
      wire += 2 + (client ? 0 : 4) + m.size();  // the peer masks when it is the client
    }
    auto& sock = beast::get_lowest_layer(*p.ours).socket();
    co_await coalescing_wait_until([&] { return sock.available() >= wire; });
    std::vector<char> buf(64 * 1024);
    std::size_t read = 0, ready_seen = 0;
    for (auto& m : msgs) {
      if (read > 0) {
        EXPECT_TRUE(layer.next_message_ready(buf.size())) << "before message " << read;
        EXPECT_FALSE(layer.next_message_ready(m.size() - 1)) << "no room for message " << read;
        ++ready_seen;
      }
      std::size_t n = co_await p.ours->async_read_some(asio::buffer(buf), use_awaitable);
      EXPECT_TRUE(p.ours->is_message_done());
      EXPECT_EQ(std::string(buf.data(), n), m);
      ++read;
    }
    EXPECT_EQ(ready_seen, msgs.size() - 1);
    EXPECT_FALSE(layer.next_message_ready(buf.size()));  // nothing left
    // A ping between two messages: not a message, so not "ready"; the read
    // after it answers the ping and returns the second message.
    const std::string a = "before-ping", b = "after-ping";
    co_await p.peer->async_write(asio::buffer(a), use_awaitable);
    co_await p.peer->async_ping({}, use_awaitable);
    co_await p.peer->async_write(asio::buffer(b), use_awaitable);
    const std::size_t mask = client ? 0 : 4;
    co_await coalescing_wait_until([&] { return sock.available() >= 3 * (2 + mask) + a.size() + b.size(); });
    std::size_t n = co_await p.ours->async_read_some(asio::buffer(buf), use_awaitable);  // takes all three in
    EXPECT_EQ(std::string(buf.data(), n), a);
    EXPECT_FALSE(layer.next_message_ready(buf.size()));
    n = co_await p.ours->async_read_some(asio::buffer(buf), use_awaitable);
    EXPECT_EQ(std::string(buf.data(), n), b);
    // A message larger than the first socket read: handed over as it comes.
    const std::string big(100000, 'z');
    co_await p.peer->async_write(asio::buffer(a), use_awaitable);
    co_await p.peer->async_write(asio::buffer(big), use_awaitable);
    n = co_await p.ours->async_read_some(asio::buffer(buf), use_awaitable);
    EXPECT_EQ(std::string(buf.data(), n), a);
    std::string got;
    while (got.size() < big.size()) {
      n = co_await p.ours->async_read_some(asio::buffer(buf), use_awaitable);
      got.append(buf.data(), n);
    }
    EXPECT_EQ(got, big);
    EXPECT_TRUE(p.ours->is_message_done());
  });
}

// Frames tracked from the start of the WebSocket stream only: if anything
// but the HTTP head came through during the handshake, tracking stays off
// (those bytes sit in Beast's buffer) and reading works as without it.
TEST(CoalescingReads, BytesRightBehindTheUpgradeTurnTrackingOff) {
  run_net_coroutine_test([](asio::io_context&) -> asio::awaitable<void> {
    auto [c, s] = co_await coalescing_socket_pair();
    CoalescedWs ours(CountedTcp(std::move(s)));
    // The request and two masked binary frames (mask key 0: payload as is) in one write.
    std::string wire =
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    for (std::string_view m : {"hello", "world"}) {
      wire += char(0x82);
      wire += char(0x80 | m.size());
      wire += std::string(4, '\0');
      wire += m;
    }
    co_await asio::async_write(c, asio::buffer(wire), use_awaitable);
    co_await ours.async_accept(use_awaitable);
    ours.next_layer().track_frames();
    EXPECT_FALSE(ours.next_layer().tracking_frames());
    EXPECT_FALSE(ours.next_layer().next_message_ready(1000));
    char buf[64];
    std::string got;
    while (got.size() < 10) {
      std::size_t n = co_await ours.async_read_some(asio::buffer(buf), use_awaitable);
      got.append(buf, n);
    }
    EXPECT_EQ(got, "helloworld");
  });
}
