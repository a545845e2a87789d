// A batch through CoalescingStream allocates nothing per message once warm,
// and neither does reading a run of messages that have all arrived:
// the buffers keep their capacity and completions use Asio's recycled memory.
// (Counts global operator new for this test binary.)
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "wkit/net/coalescing_stream.hpp"

namespace {
std::atomic<long> g_coalescing_news{0};
}  // namespace

void* operator new(size_t n) {
  g_coalescing_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

TEST(CoalescingAlloc, NoAllocationPerMessageOnceWarm) {
  asio::io_context ctx;
  bool done = false;
  long news_small = -1, news_large = -1, reads_small = -1, reads_large = -1;
  asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    tcp::acceptor acc(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket c(ex);
    co_await c.async_connect(acc.local_endpoint(), use_awaitable);
    tcp::socket s = co_await acc.async_accept(use_awaitable);
    websocket::stream<wkit::net::CoalescingStream<beast::tcp_stream>> ours{beast::tcp_stream(std::move(s))};
    websocket::stream<beast::tcp_stream> peer{beast::tcp_stream(std::move(c))};
    bool accepted = false;
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      co_await ours.async_accept(use_awaitable);
      accepted = true;
    }, asio::detached);
    co_await peer.async_handshake("127.0.0.1", "/", use_awaitable);
    asio::steady_timer t(ex);
    while (!accepted) {
      t.expires_after(std::chrono::milliseconds(1));
      co_await t.async_wait(use_awaitable);
    }
    ours.binary(true);
    std::vector<std::string> msgs;
    for (int i = 0; i < 200; ++i) msgs.push_back(std::string(40, char('a' + i % 26)));
    std::vector<std::string_view> views(msgs.begin(), msgs.end());
    beast::flat_buffer rbuf;
    rbuf.reserve(4096);
    // Sends `count` messages as one batch; returns the operator new calls it took.
    auto batch = [&](std::size_t count) -> asio::awaitable<long> {
      boost::system::error_code ec;
      const long before = g_coalescing_news.load();
      co_await wkit::net::write_batch(ours, std::span<const std::string_view>(views.data(), count), ec);
      const long used = g_coalescing_news.load() - before;
      EXPECT_FALSE(ec) << ec.message();
      for (std::size_t i = 0; i < count; ++i) {
        rbuf.clear();
        co_await peer.async_read(rbuf, use_awaitable);
      }
      co_return used;
    };
    for (int warm = 0; warm < 3; ++warm) co_await batch(200);
    news_small = co_await batch(2);
    news_large = co_await batch(200);
    // Reads: the peer's messages, all arrived, handed to Beast frame by frame.
    ours.next_layer().track_frames();
    std::vector<char> in(64 * 1024);
    auto take = [&](std::size_t count) -> asio::awaitable<long> {
      for (std::size_t i = 0; i < count; ++i) co_await peer.async_write(asio::buffer(views[i]), use_awaitable);
      auto& sock = beast::get_lowest_layer(ours).socket();
      while (sock.available() < count * (2 + 4 + 40)) {
        t.expires_after(std::chrono::milliseconds(1));
        co_await t.async_wait(use_awaitable);
      }
      const long before = g_coalescing_news.load();
      std::size_t got = 0;
      while (got < count * 40) got += co_await ours.async_read_some(asio::buffer(in), use_awaitable);
      const long used = g_coalescing_news.load() - before;
      EXPECT_EQ(got, count * 40);
      co_return used;
    };
    for (int warm = 0; warm < 3; ++warm) co_await take(200);
    reads_small = co_await take(2);
    reads_large = co_await take(200);
    done = true;
  }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  ctx.run_for(std::chrono::seconds(30));
  ASSERT_TRUE(done);
  // 200 messages cost no more than 2: nothing is allocated per message.
  RecordProperty("news", std::to_string(news_small) + "/" + std::to_string(news_large));
  EXPECT_LE(news_large, news_small) << "2 messages: " << news_small << ", 200 messages: " << news_large;
  EXPECT_LE(reads_large, reads_small) << "reading 2 messages: " << reads_small << ", 200: " << reads_large;
}

}  // namespace
