// .wkcap captures as audit input: SEND + SENDACK pairs and RECVs become the
// stored messages; refused, unmatched and repeated observations are counted.
// The capture is written here with the real capture writer.
#include <zlib.h>

#include <set>

#include "audit_test_util.hpp"
#include "wkit/capture/writer.hpp"
#include "wkit/proto/codec.hpp"
#include "wkit/util/channel.hpp"

namespace wkit::audit::test {
namespace {

namespace pb = capture::pb;
using nlohmann::json;

class CaptureBuilder {
 public:
  explicit CaptureBuilder(const std::string& path) {
    pb::Header h;
    h.set_creator("audit test");
    auto w = capture::CaptureWriter::create(path, h);
    if (!w) throw std::runtime_error(w.error().describe());
    writer_ = std::move(*w);
  }
  void connection(uint64_t id, const std::string& uid) {
    pb::Record r = base(id, pb::DIRECTION_UNSPECIFIED);
    r.mutable_connection()->set_uid(uid);
    r.mutable_connection()->set_protocol_version(6);
    put(r);
  }
  void closed(uint64_t id) {
    pb::Record r = base(id, pb::DIRECTION_UNSPECIFIED);
    r.mutable_closed()->set_reason("client closed");
    put(r);
  }
  void send(uint64_t conn, uint32_t seq, const std::string& cmn, const std::string& to, const std::string& text) {
    proto::Send s;
    s.client_seq = seq;
    s.client_msg_no = cmn;
    s.channel_id = to;
    s.channel_type = util::channel_type::person;
    s.payload.data = "sealed";  // the wire payload; the plaintext is recorded beside it
    frame(conn, pb::CLIENT_TO_SERVER, s, text);
  }
  void sendack(uint64_t conn, uint32_t seq, int64_t id, uint64_t msg_seq, uint8_t reason, const std::string& cmn) {
    proto::Sendack a;
    a.client_seq = seq;
    a.message_id = id;
    a.message_seq = msg_seq;
    a.reason_code = reason;
    a.client_msg_no = cmn;
    frame(conn, pb::SERVER_TO_CLIENT, a, "");
  }
  void recv(uint64_t conn, const std::string& from, const std::string& cmn, int64_t id, uint64_t msg_seq) {
    proto::Recv v;
    v.from_uid = from;
    v.channel_id = from;  // a person channel's RECV names the sender
    v.channel_type = util::channel_type::person;
    v.client_msg_no = cmn;
    v.message_id = id;
    v.message_seq = msg_seq;
    v.timestamp = 1767225600;
    v.payload.data = "sealed";
    frame(conn, pb::SERVER_TO_CLIENT, v, "hello");
  }
  void raw_frame(uint64_t conn, const std::string& wire) {
    pb::Record r = base(conn, pb::CLIENT_TO_SERVER);
    r.mutable_frame()->set_wire(wire);
    put(r);
  }
  void commit() { ASSERT_FALSE(writer_->commit()); }

 private:
  pb::Record base(uint64_t conn, pb::Direction d) {
    pb::Record r;
    r.set_timestamp_ns((1767225600 + int64_t(++n_)) * 1'000'000'000);
    r.set_connection_id(conn);
    r.set_direction(d);
    return r;
  }
  template <class F>
  void frame(uint64_t conn, pb::Direction d, const F& f, const std::string& plaintext) {
    pb::Record r = base(conn, d);
    std::string wire;
    ASSERT_FALSE(proto::encode_frame(f, 6, wire));
    r.mutable_frame()->set_wire(wire);
    if (!plaintext.empty()) {
      r.mutable_frame()->set_payload_state(pb::PAYLOAD_PLAINTEXT);
      r.mutable_frame()->set_plaintext(plaintext);
    }
    put(r);
  }
  void put(const pb::Record& r) { ASSERT_FALSE(writer_->write(r)); }
  std::unique_ptr<capture::CaptureWriter> writer_;
  int n_ = 0;
};

// alice (connection 1) sends through a 2.x-like server that stores a resend
// again; bob (connection 2) receives. Record numbers are in the comments.
void write_incident(const std::string& path) {
  CaptureBuilder c(path);
  c.connection(1, "alice");                           // 1
  c.connection(2, "bob");                             // 2
  c.send(1, 1, "m1", "bob", "hello");                 // 3
  c.send(1, 1, "m1", "bob", "hello");                 // 4: the resend (same client_seq)
  c.sendack(1, 1, 101, 1, 1, "m1");                   // 5
  c.sendack(1, 1, 102, 2, 1, "m1");                   // 6: stored again
  c.send(1, 2, "m2", "bob", "refused");               // 7
  c.sendack(1, 2, 0, 0, 15, "m2");                    // 8: refused (system error)
  c.sendack(1, 9, 109, 9, 1, "");                     // 9: no SEND for client_seq 9
  c.send(1, 3, "m3", "bob", "x");                     // 10
  c.sendack(1, 3, 103, 3, 1, "another");              // 11: trailing client_msg_no disagrees
  c.send(1, 4, "m4", "bob", "fine");                  // 12
  c.sendack(1, 4, 104, 4, 1, "");                     // 13: no trailing client_msg_no
  c.recv(2, "alice", "m1", 101, 1);                   // 14: already known from the SENDACK
  c.recv(2, "alice", "m1", 102, 2);                   // 15
  c.recv(2, "alice", "m1", 102, 2);                   // 16: redelivery
  c.recv(2, "carol", "c1", 201, 1);                   // 17: carol sent elsewhere; bob saw it twice
  c.recv(2, "carol", "c1", 202, 2);                   // 18
  c.raw_frame(2, std::string("\x30\x03\x00\x00\x00", 5));  // 19: a SEND cut short
  c.send(1, 5, "m5", "bob", "lost");                  // 20
  c.closed(1);                                        // 21: m5 never answered
  c.commit();
}

std::set<std::string> ids_of(const json& item) {
  std::set<std::string> out;
  for (auto& m : item["messages"]) out.insert(m["message_idstr"].get<std::string>());
  return out;
}

TEST(AuditCapture, SendackMappingsAndRecvsAreTheStoredMessages) {
  TempDir dir;
  const std::string cap = dir.file("incident.wkcap");
  write_incident(cap);
  AuditOptions o;
  o.inputs = {cap};
  o.fail_on = {};
  auto r = audit_ok(o);
  ASSERT_EQ(r["inputs"].size(), 1u);
  const json& in = r["inputs"][0];
  EXPECT_EQ(in["format"], "wkcap");
  EXPECT_EQ(in["rows"], 5);  // 101, 102, 104 acked; 201, 202 delivered only
  EXPECT_EQ(in["malformed"], 1);
  const json& st = in["capture"];
  EXPECT_EQ(st["records"], 21);
  EXPECT_EQ(st["sends"], 6);
  EXPECT_EQ(st["sendacks"], 6);
  EXPECT_EQ(st["recvs"], 5);
  EXPECT_EQ(st["acked_messages"], 3);
  EXPECT_EQ(st["delivered_only_messages"], 2);
  EXPECT_EQ(st["repeated_observations"], 3);
  EXPECT_EQ(st["refused_sendacks"], 1);
  EXPECT_EQ(st["refused_by_reason"], json({{"15", 1}}));
  ASSERT_EQ(st["refused_examples"].size(), 1u);
  EXPECT_EQ(st["refused_examples"][0]["location"], cap + ":8");
  EXPECT_EQ(st["refused_examples"][0]["client_msg_no"], "m2");
  EXPECT_EQ(st["unmatched_sendacks"], 2);
  EXPECT_EQ(st["unanswered_sends"], 2);  // m3 (its SENDACK did not match) and m5
  EXPECT_EQ(st["unanswered_undelivered"], 2);  // and bob got neither
  EXPECT_EQ(st["undecodable_frames"], 1);
  EXPECT_FALSE(st.contains("truncated"));
  EXPECT_EQ(r["malformed"]["examples"][0]["location"], cap + ":19");
  // The unmatched successful SENDACKs (9, 11) are stored messages the audit
  // cannot place, and the unanswered SENDs of m3 (10) and m5 (20) may be:
  // skipped, so with the undecodable frame the audit is not complete and
  // cannot say clean.
  EXPECT_EQ(in["skipped"], 4);
  EXPECT_EQ(in["unreadable"], 5);
  EXPECT_EQ(r["unreadable"]["count"], 5);
  const json& ex = r["unreadable"]["examples"];
  ASSERT_EQ(ex.size(), 5u);
  EXPECT_EQ(ex[0]["location"], cap + ":9");
  EXPECT_EQ(ex[0]["kind"], "skipped");
  EXPECT_NE(ex[0]["message"].get<std::string>().find("message_id 109"), std::string::npos) << ex[0];
  EXPECT_EQ(ex[1]["location"], cap + ":10");
  EXPECT_EQ(ex[1]["kind"], "skipped");
  EXPECT_NE(ex[1]["message"].get<std::string>().find("SEND never answered (client_msg_no m3)"), std::string::npos)
      << ex[1];
  EXPECT_EQ(ex[2]["location"], cap + ":11");
  EXPECT_EQ(ex[3]["location"], cap + ":19");
  EXPECT_EQ(ex[3]["kind"], "malformed");
  EXPECT_EQ(ex[4]["location"], cap + ":20");
  EXPECT_EQ(r["status"], "unverified");  // --fail-on is empty here: no finding fails
  EXPECT_EQ(report_exit_code(r), 1);

  EXPECT_EQ(count(r, "duplicate_client_msg_no"), 2);
  EXPECT_EQ(count(r, "message_id_collision"), 0);
  EXPECT_EQ(count(r, "duplicate_row"), 0);  // repeats of one message are not rows
  const auto& items = r["findings"]["duplicate_client_msg_no"]["items"];
  ASSERT_EQ(items.size(), 2u);
  // Items come in location order: m1 (acked at record 5), then c1 (record 17).
  EXPECT_EQ(items[0]["client_msg_no"], "m1");
  EXPECT_EQ(items[0]["from_uid"], "alice");
  EXPECT_EQ(items[0]["channel_id"], util::person_channel_id("alice", "bob"));  // as the server stores it
  EXPECT_EQ(ids_of(items[0]), (std::set<std::string>{"101", "102"}));
  EXPECT_EQ(items[0]["messages"][0]["location"], cap + ":5");
  EXPECT_EQ(items[0]["messages"][1]["location"], cap + ":6");
  EXPECT_EQ(items[0]["messages"][1]["message_seq"], 2);
  EXPECT_EQ(items[1]["client_msg_no"], "c1");
  EXPECT_EQ(items[1]["from_uid"], "carol");
  EXPECT_EQ(items[1]["channel_id"], util::person_channel_id("bob", "carol"));
  EXPECT_EQ(ids_of(items[1]), (std::set<std::string>{"201", "202"}));
  EXPECT_EQ(items[1]["messages"][0]["timestamp"], 1767225600);  // RECVs carry the server's time

  // The text and Markdown reports say what the wire showed besides the records.
  const std::string text = render_text(r, false);
  EXPECT_NE(text.find("6 SENDs, 6 SENDACKs, 5 RECVs -> 3 acknowledged + 2 delivered-only messages; 1 refused, "
                      "2 unmatched SENDACKs, 2 unanswered SENDs"),
            std::string::npos)
      << text;
  EXPECT_NE(render_markdown(r).find("1 refused"), std::string::npos);
}

// A server that answers one SEND twice (it handled it twice) and a SENDACK
// lost before the proxy (dropped by the server: the capture shows a SEND, its
// resend and one SENDACK). `bob_got_it`: bob's RECV of the lost-ack message
// is in the capture.
void write_answers(const std::string& path, bool bob_got_it) {
  CaptureBuilder c(path);
  c.connection(1, "alice");                        // 1
  c.connection(2, "bob");                          // 2
  c.send(1, 1, "twice", "bob", "x");               // 3
  c.sendack(1, 1, 301, 1, 1, "twice");             // 4
  c.sendack(1, 1, 301, 1, 1, "twice");             // 5: answered again, same message_id (idempotent)
  c.send(1, 2, "twice-off", "bob", "y");           // 6
  c.sendack(1, 2, 302, 2, 1, "twice-off");         // 7
  c.sendack(1, 2, 303, 3, 1, "twice-off");         // 8: answered again, a new message_id (stored twice)
  c.send(1, 3, "lost-ack", "bob", "z");            // 9: its SENDACK never came
  c.send(1, 3, "lost-ack", "bob", "z");            // 10: the resend
  c.sendack(1, 3, 304, 4, 1, "lost-ack");          // 11: answers one of the two
  if (bob_got_it) c.recv(2, "alice", "lost-ack", 304, 4);  // 12
  c.closed(1);
  c.commit();
}

TEST(AuditCapture, ASendAnsweredTwiceIsMatchedBothTimes) {
  TempDir dir;
  const std::string cap = dir.file("answers.wkcap");
  write_answers(cap, true);
  AuditOptions o;
  o.inputs = {cap};
  auto r = audit_ok(o);
  const json& st = r["inputs"][0]["capture"];
  EXPECT_EQ(st["unmatched_sendacks"], 0);  // not "a SENDACK without its SEND"
  EXPECT_EQ(st["acked_messages"], 4);      // 301, 302, 303, 304
  EXPECT_EQ(count(r, "duplicate_client_msg_no"), 1);
  EXPECT_EQ(r["findings"]["duplicate_client_msg_no"]["items"][0]["client_msg_no"], "twice-off");
  // The lost SENDACK left an attempt unanswered, but bob's RECV shows the
  // message under one message_id: settled, as `send --verify` settles it.
  EXPECT_EQ(st["unanswered_sends"], 1);
  EXPECT_EQ(st["unanswered_undelivered"], 0);
  EXPECT_EQ(r["unreadable"]["count"], 0);
  EXPECT_EQ(r["status"], "findings");
  o.fail_on = {};
  EXPECT_EQ(audit_ok(o)["status"], "clean");
}

TEST(AuditCapture, AnUnansweredSendNobodyReceivedIsUnverified) {
  TempDir dir;
  const std::string cap = dir.file("answers.wkcap");
  write_answers(cap, false);
  AuditOptions o;
  o.inputs = {cap};
  o.fail_on = {};
  auto r = audit_ok(o);
  const json& st = r["inputs"][0]["capture"];
  // The first attempt may be a second stored copy (a server without
  // idempotency) that nobody in the capture saw: the audit cannot say clean.
  EXPECT_EQ(st["unanswered_sends"], 1);
  EXPECT_EQ(st["unanswered_undelivered"], 1);
  EXPECT_EQ(r["inputs"][0]["skipped"], 1);
  ASSERT_EQ(r["unreadable"]["examples"].size(), 1u);
  EXPECT_EQ(r["unreadable"]["examples"][0]["location"], cap + ":9");
  EXPECT_EQ(r["status"], "unverified");
  EXPECT_EQ(report_exit_code(r), 1);
}

TEST(AuditCapture, CompressedAndTruncatedCaptures) {
  TempDir dir;
  const std::string cap = dir.file("incident.wkcap");
  write_incident(cap);
  std::ifstream f(cap, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), {});
  AuditOptions o;
  o.fail_on = {};
  o.inputs = {cap};
  auto plain = audit_ok(o);

  // gzip: decompressed to a temp file, same findings and stats.
  const std::string gz = dir.file("incident.wkcap.gz");
  gzFile g = gzopen(gz.c_str(), "wb");
  ASSERT_TRUE(g);
  ASSERT_EQ(gzwrite(g, bytes.data(), static_cast<unsigned>(bytes.size())), int(bytes.size()));
  gzclose(g);
  o.inputs = {gz};
  auto zipped = audit_ok(o);
  EXPECT_EQ(zipped["inputs"][0]["compression"], "gzip");
  auto stats_z = zipped["inputs"][0]["capture"], stats_p = plain["inputs"][0]["capture"];
  EXPECT_EQ(stats_z["refused_examples"][0]["location"], gz + ":8");
  stats_z.erase("refused_examples");
  stats_p.erase("refused_examples");
  EXPECT_EQ(stats_z, stats_p);
  EXPECT_EQ(zipped["summary"], plain["summary"]);
  EXPECT_EQ(zipped["findings"]["duplicate_client_msg_no"]["items"].size(), 2u);

  // A writer that died mid-record: everything before it counts, and the
  // truncation is reported.
  const std::string cut = dir.file("cut.wkcap");
  write_file(cut, bytes.substr(0, bytes.size() - 3));
  o.inputs = {cut};
  auto r = audit_ok(o);
  EXPECT_EQ(r["inputs"][0]["capture"]["records"], 20);
  EXPECT_NE(r["inputs"][0]["capture"]["truncated"].get<std::string>().find("file ends inside the record"),
            std::string::npos);
  EXPECT_EQ(r["rows"], 5);
  EXPECT_NE(render_text(r, false).find("warning: file ends inside the record"), std::string::npos);
  // The cut record (21) is skipped too (after the unmatched SENDACKs and the unanswered SENDs).
  EXPECT_EQ(r["inputs"][0]["skipped"], 5);
  // Where nothing else is skipped, the cut record is the example shown.
  const std::string answers = dir.file("answers.wkcap"), answers_cut = dir.file("answers-cut.wkcap");
  write_answers(answers, true);
  std::ifstream fa(answers, std::ios::binary);
  const std::string answer_bytes((std::istreambuf_iterator<char>(fa)), {});
  write_file(answers_cut, answer_bytes.substr(0, answer_bytes.size() - 3));
  o.inputs = {answers_cut};
  r = audit_ok(o);
  EXPECT_EQ(r["inputs"][0]["skipped"], 1);
  ASSERT_EQ(r["unreadable"]["examples"].size(), 1u);
  EXPECT_EQ(r["unreadable"]["examples"].back()["location"], answers_cut + ":13");
  EXPECT_NE(r["unreadable"]["examples"].back()["message"].get<std::string>().find("capture cut off"),
            std::string::npos);
  EXPECT_NE(render_text(r, false).find("skipped: " + answers_cut + ":13: capture cut off"), std::string::npos);

  // Forced format on something else: exit 4 naming the file.
  const std::string notcap = dir.file("x.jsonl");
  write_file(notcap, "{\"message_id\":1}\n");
  o.inputs = {notcap};
  o.input_format = "wkcap";
  o.progress = false;
  auto bad = run_audit(o);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::bad_input);
  EXPECT_NE(bad.error().message.find("x.jsonl"), std::string::npos) << bad.error().message;
}

TEST(AuditCapture, ShardsOfACaptureMergeToTheWholeReport) {
  TempDir dir;
  const std::string cap = dir.file("incident.wkcap");
  write_incident(cap);
  AuditOptions o;
  o.inputs = {cap};
  auto whole = audit_ok(o);
  std::vector<json> parts;
  for (uint32_t k = 0; k < 3; ++k) {
    o.shard = k;
    o.shards = 3;
    parts.push_back(audit_ok(o));
  }
  auto merged = merge_reports(parts);
  ASSERT_TRUE(merged) << merged.error().describe();
  EXPECT_EQ(without_run(merged.value()), without_run(whole));
}

}  // namespace
}  // namespace wkit::audit::test
