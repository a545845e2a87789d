#include "wkit/app/verdict.hpp"

#include <gtest/gtest.h>

namespace wkit::app {
namespace {

MessageEvidence ev(uint32_t attempts, uint32_t answered, uint32_t accepted, uint32_t ids, bool receivers = false) {
  MessageEvidence e;
  e.attempts = attempts;
  e.answered = answered;
  e.accepted = accepted;
  e.distinct_ids = ids;
  e.receivers_saw = receivers;
  return e;
}

TEST(Verdict, EveryAttemptAnsweredWithOneIdIsIdempotent) {
  EXPECT_EQ(decide(ev(1, 1, 1, 1)), MessageVerdict::idempotent);
  EXPECT_EQ(decide(ev(3, 3, 3, 1)), MessageVerdict::idempotent);
}

TEST(Verdict, AnUnansweredAttemptIsUnverifiedEvenWithOneId) {
  // The seed scenario: SENDACK of attempt 1 lost, attempt 2 answered.
  EXPECT_EQ(decide(ev(2, 1, 1, 1)), MessageVerdict::unverified);
  EXPECT_EQ(decide(ev(1, 0, 0, 0)), MessageVerdict::unverified);
}

TEST(Verdict, MoreThanOneIdIsDuplicatedWhateverElse) {
  EXPECT_EQ(decide(ev(2, 2, 2, 2)), MessageVerdict::duplicated);
  EXPECT_EQ(decide(ev(2, 1, 1, 2, true)), MessageVerdict::duplicated);
}

TEST(Verdict, ReceiversSeeingOneIdSettleAnUnansweredAttempt) {
  EXPECT_EQ(decide(ev(2, 1, 1, 1, true)), MessageVerdict::idempotent);
}

TEST(Verdict, NotSentOrRefusedIsFailed) {
  EXPECT_EQ(decide(ev(0, 0, 0, 0)), MessageVerdict::failed);
  EXPECT_EQ(decide(ev(2, 2, 0, 0)), MessageVerdict::failed);
}

MessageEvidence checked(MessageEvidence e, uint32_t store_ids) {
  e.store_checked = true;
  e.store_ids = store_ids;
  return e;
}

TEST(Verdict, TheStoreSettlesAnUnansweredAttempt) {
  // SENDACK lost, no resend: one stored copy is idempotent, none is failed.
  EXPECT_EQ(decide(checked(ev(1, 0, 0, 1), 1)), MessageVerdict::idempotent);
  EXPECT_EQ(decide(checked(ev(1, 0, 0, 0), 0)), MessageVerdict::failed);
  // Attempt 1 unanswered, attempt 2 answered: the store holds both copies.
  EXPECT_EQ(decide(checked(ev(2, 1, 1, 2), 2)), MessageVerdict::duplicated);
  EXPECT_EQ(decide(checked(ev(2, 1, 1, 1), 1)), MessageVerdict::idempotent);
  // Answered once, but nothing of it stored: not an idempotent message.
  EXPECT_EQ(decide(checked(ev(2, 1, 1, 1), 0)), MessageVerdict::failed);
}

TEST(Verdict, TheStoreNeverUndoesADuplicate) {
  EXPECT_EQ(decide(checked(ev(2, 2, 2, 2), 1)), MessageVerdict::duplicated);
  EXPECT_EQ(decide(checked(ev(2, 2, 2, 2), 0)), MessageVerdict::duplicated);
  // Answered with one id, stored twice (store_ids counts even when
  // distinct_ids was not given the union).
  EXPECT_EQ(decide(checked(ev(1, 1, 1, 1), 2)), MessageVerdict::duplicated);
}

TEST(Verdict, WithoutAStoreCheckStoreIdsAreIgnored) {
  MessageEvidence e = ev(1, 0, 0, 0);
  e.store_ids = 1;  // not checked: no evidence
  EXPECT_EQ(decide(e), MessageVerdict::unverified);
}

TEST(Verdict, ExitCodes) {
  RunFindings f;
  EXPECT_EQ(exit_code(f), 0);
  EXPECT_EQ(describe(f), "");
  f.repeat_deliveries = 4;
  EXPECT_EQ(exit_code(f), 0);  // redeliveries only fail when asked to
  f.fail_on_repeat = true;
  EXPECT_EQ(exit_code(f), 1);
  RunFindings g;
  g.unverified = 1;
  EXPECT_EQ(exit_code(g), 1);
  g.connection_failed = true;
  EXPECT_EQ(exit_code(g), 3);  // what the loss left unknown is not a finding of its own
  g.duplicated = 1;
  EXPECT_EQ(exit_code(g), 1);  // a duplicate seen before the loss stays a failed check
  RunFindings t;
  t.failed_thresholds = {"p99<50ms"};
  EXPECT_EQ(exit_code(t), 1);
  EXPECT_NE(describe(t).find("threshold p99<50ms failed"), std::string::npos);
}

}  // namespace
}  // namespace wkit::app
