#include <gtest/gtest.h>

#include "wkit/net/transport.hpp"

using wkit::net::Url;

TEST(Url, ParsesTcp) {
  auto u = Url::parse("tcp://127.0.0.1:5100");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->scheme, Url::Scheme::tcp);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 5100);
  EXPECT_EQ(u->to_string(), "tcp://127.0.0.1:5100");
}

TEST(Url, ParsesWsWithPath) {
  auto u = Url::parse("ws://localhost:5200/ws/v1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->scheme, Url::Scheme::ws);
  EXPECT_EQ(u->host, "localhost");
  EXPECT_EQ(u->port, 5200);
  EXPECT_EQ(u->path, "/ws/v1");
  EXPECT_EQ(u->to_string(), "ws://localhost:5200/ws/v1");
  auto plain = Url::parse("ws://h:1");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->path, "/");
}

TEST(Url, ParsesIpv6AndPortZero) {
  auto u = Url::parse("tcp://[::1]:0");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 0);
  EXPECT_EQ(u->to_string(), "tcp://[::1]:0");
}

TEST(Url, ParsesTlsAndHttpSchemes) {
  auto wss = Url::parse("wss://im.example.com:5210/ws");
  ASSERT_TRUE(wss.ok());
  EXPECT_EQ(wss->scheme, Url::Scheme::wss);
  EXPECT_TRUE(wss->tls());
  EXPECT_TRUE(wss->websocket());
  EXPECT_EQ(wss->path, "/ws");
  EXPECT_EQ(wss->to_string(), "wss://im.example.com:5210/ws");
  auto http = Url::parse("http://127.0.0.1:0");
  ASSERT_TRUE(http.ok());
  EXPECT_TRUE(http->http());
  EXPECT_FALSE(http->tls());
  EXPECT_FALSE(http->websocket());
  EXPECT_EQ(http->to_string(), "http://127.0.0.1:0");
  auto https = Url::parse("https://[::1]:5001/");
  ASSERT_TRUE(https.ok());
  EXPECT_TRUE(https->http());
  EXPECT_TRUE(https->tls());
  EXPECT_EQ(https->to_string(), "https://[::1]:5001");
}

TEST(Url, ErrorsNameTheBadText) {
  for (const char* bad : {"ftp://x:1", "http://x:1/api", "tcp://x", "tcp://:5", "tcp://x:65536", "tcp://x:5a",
                          "tcp://x:1/p", "ws://[::1:5", "tcp://::1:5", "127.0.0.1:5100", ""}) {
    auto u = Url::parse(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_NE(u.error().message.find(std::string("'") + bad + "'"), std::string::npos)
        << u.error().message;
    EXPECT_EQ(u.error().kind, wkit::ErrorKind::usage);
  }
}
