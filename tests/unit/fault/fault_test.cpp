#include "wkit/fault/fault.hpp"

#include <gtest/gtest.h>

using namespace wkit;
using namespace wkit::fault;
using proto::FrameType;

TEST(FaultParse, DropNth) {
  auto r = parse_rule("drop:sendack:nth=1,3");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->action, Action::drop);
  EXPECT_EQ(r->frame, FrameType::sendack);
  EXPECT_EQ(r->nth, (std::vector<uint32_t>{1, 3}));
  EXPECT_FALSE(r->has_p);
}

TEST(FaultParse, DelayMsAndProbability) {
  auto r = parse_rule("delay:sendack:ms=300,p=0.5");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->action, Action::delay);
  EXPECT_EQ(r->delay_ms, 300u);
  EXPECT_TRUE(r->has_p);
  EXPECT_DOUBLE_EQ(r->p, 0.5);
}

TEST(FaultParse, NoParamsFiresAlways) {
  auto r = parse_rule("reset:recv");
  ASSERT_TRUE(r.ok());
  Rule rules[] = {*r};
  Injector inj(rules, 1, 0);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(inj.decide(FrameType::recv, Direction::out).action, Action::reset);
  EXPECT_EQ(inj.decide(FrameType::sendack, Direction::out).action, Action::pass);
}

TEST(FaultParse, Errors) {
  for (const char* bad : {"drop", "explode:sendack", "drop:banana", "drop:sendack:nth=0",
                          "drop:sendack:nth=x", "drop:sendack:p=1.5", "drop:sendack:ms=10",
                          "delay:sendack:ms=", "drop:sendack:foo=1", "drop:sendack:",
                          "drop:sendack:dir=up"}) {
    auto r = parse_rule(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::usage);
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
}

TEST(FaultInjector, NthCountsPerTypeAndConnection) {
  Rule rules[] = {parse_rule("drop:sendack:nth=1,3").value()};
  Injector a(rules, 7, 1), b(rules, 7, 2);
  std::vector<Action> got;
  for (int i = 0; i < 4; ++i) {
    got.push_back(a.decide(FrameType::sendack, Direction::out).action);
    a.decide(FrameType::recv, Direction::out);  // other types do not advance the count
  }
  EXPECT_EQ(got, (std::vector<Action>{Action::drop, Action::pass, Action::drop, Action::pass}));
  EXPECT_EQ(b.decide(FrameType::sendack, Direction::out).action, Action::drop);  // own counter
  EXPECT_EQ(a.count(FrameType::sendack, Direction::out), 4u);
}

TEST(FaultInjector, DirectionFilter) {
  Rule rules[] = {parse_rule("drop:ping:dir=in").value()};
  Injector inj(rules, 0, 0);
  EXPECT_EQ(inj.decide(FrameType::ping, Direction::out).action, Action::pass);
  EXPECT_EQ(inj.decide(FrameType::ping, Direction::in).action, Action::drop);
}

TEST(FaultInjector, ProbabilityIsSeededAndRoughlyRight) {
  Rule rules[] = {parse_rule("dup:recv:p=0.3").value()};
  auto run = [&](uint64_t seed) {
    Injector inj(rules, seed, 5);
    std::vector<bool> fired;
    for (int i = 0; i < 10000; ++i) fired.push_back(inj.decide(FrameType::recv, Direction::out).action == Action::dup);
    return fired;
  };
  auto x = run(42), y = run(42), z = run(43);
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  long n = std::count(x.begin(), x.end(), true);
  EXPECT_GT(n, 2500);
  EXPECT_LT(n, 3500);
}

TEST(FaultInjector, FirstMatchingRuleWins) {
  Rule rules[] = {parse_rule("delay:sendack:nth=2,ms=50").value(), parse_rule("drop:sendack").value()};
  Injector inj(rules, 0, 0);
  EXPECT_EQ(inj.decide(FrameType::sendack, Direction::out).action, Action::drop);
  auto d = inj.decide(FrameType::sendack, Direction::out);
  EXPECT_EQ(d.action, Action::delay);
  EXPECT_EQ(d.delay_ms, 50u);
  EXPECT_EQ(d.count, 2u);
  EXPECT_EQ(d.rule, &rules[0]);
}
