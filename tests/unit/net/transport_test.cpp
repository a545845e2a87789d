// Transports over real loopback sockets (port 0).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "run_coroutine.hpp"
#include "wkit/net/frame_writer.hpp"
#include "wkit/net/transport.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using namespace wkit::net;
using asio::use_awaitable;

namespace {


// A plain (no TLS settings) connect; the one-line failure is dropped.
asio::awaitable<std::unique_ptr<Connection>> dial(const Url& url, std::chrono::steady_clock::time_point deadline,
                                                  error_code& ec) {
  std::string failure;
  co_return co_await connect(url, deadline, nullptr, ec, failure);
}

std::unique_ptr<Listener> must_listen(asio::io_context& ctx, const char* url) {
  auto l = listen(ctx.get_executor(), Url::parse(url).value());
  if (!l.ok()) throw std::runtime_error(l.error().message);
  return std::move(l.value());
}

asio::awaitable<std::string> read_exactly(Connection& c, size_t n) {
  std::string out;
  char buf[4096];
  while (out.size() < n) {
    error_code ec;
    size_t got = co_await c.read_some(std::span<char>(buf, sizeof buf), ec);
    if (ec) throw std::runtime_error("read: " + ec.message());
    out.append(buf, got);
  }
  co_return out;
}

class BothSchemes : public ::testing::TestWithParam<const char*> {};

TEST_P(BothSchemes, EchoSplitFramesAndClose) {
  run_net_coroutine_test([](asio::io_context& ctx) -> asio::awaitable<void> {
    auto listener = must_listen(ctx, GetParam());
    Url bound = listener->local_url();
    EXPECT_NE(bound.port, 0);
    // Server: echo until EOF, then report what it saw.
    auto server_saw_eof = std::make_shared<bool>(false);
    asio::co_spawn(ctx, [&listener, server_saw_eof]() -> asio::awaitable<void> {
      error_code ec;
      auto conn = co_await listener->accept(ec);
      if (ec) co_return;
      char buf[1000];
      for (;;) {
        size_t n = co_await conn->read_some(std::span<char>(buf, sizeof buf), ec);
        if (ec) {
          *server_saw_eof = ec == asio::error::eof;
          break;
        }
        std::string_view frame(buf, n);
        co_await conn->write_frames(std::span<const std::string_view>(&frame, 1), ec);
      }
      conn->close();
    }, asio::detached);

    error_code ec;
    auto client = co_await dial(bound, std::chrono::steady_clock::now() + std::chrono::seconds(10), ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(client->scheme(), bound.scheme);
    EXPECT_NE(client->remote_address().find(std::to_string(bound.port)), std::string::npos);
    // Many frames, one big one split over several reads.
    std::string big(100000, 'x');
    for (size_t i = 0; i < big.size(); ++i) big[i] = char('a' + i % 26);
    std::vector<std::string_view> frames{"\x70", "hello", big, "\x80"};
    co_await client->write_frames(frames, ec);
    EXPECT_FALSE(ec);
    std::string expect = std::string("\x70") + "hello" + big + "\x80";
    auto got = co_await read_exactly(*client, expect.size());
    EXPECT_EQ(got, expect);
    co_await client->graceful_close(ec);
    // The server sees a clean end of stream and closes; our read ends too.
    char b[16];
    co_await client->read_some(std::span<char>(b, sizeof b), ec);
    EXPECT_TRUE(ec);
    client->close();
    asio::steady_timer t(ctx, std::chrono::milliseconds(10));
    co_await t.async_wait(use_awaitable);
    EXPECT_TRUE(*server_saw_eof);
    listener->close();
  });
}

INSTANTIATE_TEST_SUITE_P(Transports, BothSchemes,
                         ::testing::Values("tcp://127.0.0.1:0", "ws://127.0.0.1:0/ws",
                                           "tcp://[::1]:0"));

TEST(Ws, OneFramePerMessageOutbound) {
  run_net_coroutine_test([](asio::io_context& ctx) -> asio::awaitable<void> {
    auto listener = must_listen(ctx, "ws://127.0.0.1:0");
    Url bound = listener->local_url();
    std::vector<std::string> sent;
    for (int i = 0; i < 50; ++i) sent.push_back(std::string(1 + i * 7, char('A' + i % 26)));
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
      error_code ec;
      auto conn = co_await listener->accept(ec);
      FrameWriter w(*conn);
      asio::co_spawn(ctx, w.run(), asio::detached);
      for (auto& s : sent) w.enqueue(s);  // all at once: one write_frames call
      co_await w.drain();
      EXPECT_EQ(w.frames_written(), sent.size());
      EXPECT_LT(w.writes(), sent.size());  // batched into fewer calls
      w.stop();
      co_await w.join();
      char b[8];
      co_await conn->read_some(std::span<char>(b, sizeof b), ec);  // wait for client close
      conn->close();
    }, asio::detached);

    // A raw Beast client sees each frame as its own binary message.
    auto ex = co_await asio::this_coro::executor;
    websocket::stream<beast::tcp_stream> ws(ex);
    co_await beast::get_lowest_layer(ws).async_connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), bound.port), use_awaitable);
    co_await ws.async_handshake("127.0.0.1", "/", use_awaitable);
    for (auto& s : sent) {
      beast::flat_buffer buf;
      co_await ws.async_read(buf, use_awaitable);
      EXPECT_TRUE(ws.got_binary());
      EXPECT_EQ(beast::buffers_to_string(buf.data()), s);
    }
    co_await ws.async_close(websocket::close_code::normal, use_awaitable);
    listener->close();
  });
}

TEST(Ws, InboundMessagesAreOneByteStream) {
  run_net_coroutine_test([](asio::io_context& ctx) -> asio::awaitable<void> {
    auto listener = must_listen(ctx, "ws://127.0.0.1:0");
    Url bound = listener->local_url();
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ctx, [&, ex]() -> asio::awaitable<void> {
      websocket::stream<beast::tcp_stream> ws(ex);
      co_await beast::get_lowest_layer(ws).async_connect(
          asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), bound.port), use_awaitable);
      co_await ws.async_handshake("127.0.0.1", "/", use_awaitable);
      ws.binary(true);
      for (std::string part : {"ab", "", "cdefg", "h"})
        co_await ws.async_write(asio::buffer(part), use_awaitable);
      co_await ws.async_close(websocket::close_code::normal, use_awaitable);
    }, asio::detached);
    error_code ec;
    auto conn = co_await listener->accept(ec);
    EXPECT_FALSE(ec);
    auto got = co_await read_exactly(*conn, 8);
    EXPECT_EQ(got, "abcdefgh");
    char b[8];
    size_t n = co_await conn->read_some(std::span<char>(b, sizeof b), ec);
    EXPECT_EQ(n, 0u);
    EXPECT_EQ(ec, asio::error::eof);  // the WS close maps to a clean EOF
    conn->close();
    listener->close();
  });
}

// A batch of WebSocket messages that arrived together comes out of a few
// read_some calls, not one per message (the server then handles them in one
// go, as it does a TCP read), intact and in order.
TEST(Ws, MessagesThatArrivedTogetherComeInFewReads) {
  run_net_coroutine_test([](asio::io_context& ctx) -> asio::awaitable<void> {
    auto listener = must_listen(ctx, "ws://127.0.0.1:0");
    Url bound = listener->local_url();
    std::vector<std::string> sent;
    std::string all;
    for (int i = 0; i < 100; ++i) {
      sent.push_back("message-" + std::to_string(i) + std::string(i % 40, '.'));
      all += sent.back();
    }
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
      error_code ec;
      auto client = co_await dial(bound, std::chrono::steady_clock::now() + std::chrono::seconds(10), ec);
      if (ec) co_return;
      std::vector<std::string_view> frames(sent.begin(), sent.end());
      co_await client->write_frames(frames, ec);  // one socket write
      char b[8];
      co_await client->read_some(std::span<char>(b, sizeof b), ec);  // until the server closes
    }, asio::detached);
    error_code ec;
    auto conn = co_await listener->accept(ec);
    EXPECT_FALSE(ec);
    std::string got;
    int reads = 0;
    std::vector<char> buf(64 * 1024);
    while (got.size() < all.size()) {
      size_t n = co_await conn->read_some(std::span<char>(buf.data(), buf.size()), ec);
      if (ec) break;
      got.append(buf.data(), n);
      ++reads;
    }
    EXPECT_EQ(got, all);
    EXPECT_LE(reads, 10) << "100 messages of ~30 bytes in one write";
    conn->close();
    listener->close();
  });
}

TEST(Listen, PortInUseIsAConnectionError) {
  asio::io_context ctx;
  auto first = must_listen(ctx, "tcp://127.0.0.1:0");
  auto url = first->local_url();
  auto second = listen(ctx.get_executor(), url);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, wkit::ErrorKind::connection);
  EXPECT_NE(second.error().message.find(url.to_string()), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().message.find("in use"), std::string::npos) << second.error().message;
}

TEST(Connect, RefusedSetsError) {
  run_net_coroutine_test([](asio::io_context& ctx) -> asio::awaitable<void> {
    Url url;
    {
      auto l = must_listen(ctx, "tcp://127.0.0.1:0");
      url = l->local_url();
      l->close();
    }
    error_code ec;
    auto conn = co_await dial(url, std::chrono::steady_clock::now() + std::chrono::seconds(10), ec);
    EXPECT_TRUE(ec);
    EXPECT_EQ(conn, nullptr);
  });
}

TEST(FrameWriter, BackPressureBoundsPendingBytes) {
  run_net_coroutine_test([](asio::io_context& ctx) -> asio::awaitable<void> {
    auto listener = must_listen(ctx, "tcp://127.0.0.1:0");
    Url bound = listener->local_url();
    const size_t frame_size = 1000, frames = 20000;  // 20 MB: more than socket buffers
    auto received = std::make_shared<size_t>(0);
    asio::co_spawn(ctx, [&, received]() -> asio::awaitable<void> {
      error_code ec;
      auto conn = co_await listener->accept(ec);
      std::vector<char> buf(65536);
      for (;;) {
        size_t n = co_await conn->read_some(std::span<char>(buf.data(), buf.size()), ec);
        if (ec) break;
        *received += n;
      }
    }, asio::detached);
    error_code ec;
    auto client = co_await dial(bound, std::chrono::steady_clock::now() + std::chrono::seconds(10), ec);
    FrameWriter w(*client, 64 * 1024);
    asio::co_spawn(ctx, w.run(), asio::detached);
    std::string frame(frame_size, 'z');
    size_t max_pending = 0;
    for (size_t i = 0; i < frames; ++i) {
      co_await w.wait_writable();
      w.enqueue(frame);
      max_pending = std::max(max_pending, w.pending_bytes());
    }
    co_await w.drain();
    EXPECT_FALSE(w.failed());
    EXPECT_EQ(w.frames_written(), frames);
    EXPECT_LE(max_pending, 64 * 1024 + frame_size);
    w.stop();
    co_await w.join();  // the writer must not outlive this coroutine
    co_await client->graceful_close(ec);
    for (int i = 0; i < 1000 && *received < frames * frame_size; ++i) {
      asio::steady_timer t(ctx, std::chrono::milliseconds(5));
      co_await t.async_wait(use_awaitable);
    }
    EXPECT_EQ(*received, frames * frame_size);
    client->close();
    listener->close();
  });
}

}  // namespace
