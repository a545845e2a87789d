// Every JSON document a command prints carries each 64-bit id (above 2^53,
// which JavaScript and jq round) also as a string twin: `KEY` -> `KEYstr`
// for a number, `KEYs` (a list) -> `KEYstrs`. One real session through
// `wkit serve` (Snowflake message_ids are about 2^62) and `wkit proxy`, then
// the JSON output of send, recv, serve --events, capture info, replay, audit
// and decode is walked.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../support/temp_dir.hpp"
#include "support/serve_process.hpp"
#include "support/wkit_commands.hpp"

using namespace wkit::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr uint64_t kSafe = uint64_t{1} << 53;

bool big(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() > kSafe;
  if (v.is_number_integer()) {
    const int64_t x = v.get<int64_t>();
    return x > static_cast<int64_t>(kSafe) || x < -static_cast<int64_t>(kSafe);
  }
  return false;
}

// Times since the epoch in ns/us/ms are above 2^53 too, but a double keeps
// them to within 256 ns: not ids, no twin needed.
bool is_time(const std::string& k) {
  for (const char* unit : {"_ns", "_us", "_ms"})
    if (k.size() > 3 && k.compare(k.size() - 3, 3, unit) == 0) return true;
  return false;
}

// Appends "where: what" for every big integer without its string twin.
void walk(const json& j, const std::string& where, std::vector<std::string>& bad) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      const json& v = it.value();
      if (is_time(k)) continue;
      if (big(v)) {
        const auto twin = j.find(k + "str");
        if (twin == j.end() || !twin->is_string() || *twin != std::to_string(v.get<int64_t>()))
          bad.push_back(where + "." + k + " = " + v.dump() + " has no string twin " + k + "str");
      } else if (v.is_array() && std::any_of(v.begin(), v.end(), big)) {
        const std::string base = !k.empty() && k.back() == 's' ? k.substr(0, k.size() - 1) : k;
        const auto twin = j.find(base + "strs");
        bool ok = twin != j.end() && twin->is_array() && twin->size() == v.size();
        for (size_t i = 0; ok && i < v.size(); ++i)
          ok = big(v[i]) ? (*twin)[i] == std::to_string(v[i].get<int64_t>()) : true;
        if (!ok) bad.push_back(where + "." + k + " has big integers and no matching " + base + "strs");
      }
      walk(v, where + "." + k, bad);
    }
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) walk(j[i], where + "[" + std::to_string(i) + "]", bad);
  }
}

// A whole document, or one per line (jsonl).
std::vector<json> documents(const std::string& text) {
  auto whole = json::parse(text, nullptr, false);
  if (!whole.is_discarded()) return {whole};
  std::vector<json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (auto j = json::parse(line, nullptr, false); !j.is_discarded()) out.push_back(j);
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(JsonIds, EveryBigIdHasItsStringTwin) {
  TempDir tmp;
  const std::string capture = (tmp.path / "session.wkcap").string();
  ServeProcess srv;
  std::map<std::string, std::string> outputs;  // what -> text
  {
    ProxyProcess proxy("tcp://127.0.0.1:0", srv.tcp(), {"--capture", capture});
    auto send = run_wkit({"send", "-s", proxy.url(), "-u", "alice", "--to", "bob", "--count", "3", "--retry-mode",
                          "forced", "--retries", "1", "-o", "json"});
    ASSERT_EQ(send.code, 0) << send.out << send.err;
    outputs["send -o json"] = send.out;
    auto jsonl = run_wkit({"send", "-s", proxy.url(), "-u", "alice", "--to", "bob", "--count", "2", "-o", "jsonl"});
    ASSERT_EQ(jsonl.code, 0) << jsonl.err;
    outputs["send -o jsonl"] = jsonl.out;
    auto verify = run_wkit({"send", "-s", proxy.url(), "-u", "alice", "--to", "carol", "--count", "2", "--verify",
                            "--receiver", "carol", "-o", "json"});
    EXPECT_EQ(verify.code, 0) << verify.err;
    outputs["send --verify -o json"] = verify.out;
    auto recv = run_wkit({"recv", "-s", proxy.url(), "-u", "bob", "--count", "5", "--timeout", "10s", "-o", "json"});
    EXPECT_EQ(recv.code, 0) << recv.err;
    outputs["recv -o json"] = recv.out;
    ASSERT_EQ(proxy.stop(), std::optional<int>(0));
  }
  auto jsonl_recv = run_wkit({"recv", "-s", srv.tcp(), "-u", "carol", "--timeout", "2s", "-o", "jsonl"});
  outputs["recv -o jsonl"] = jsonl_recv.out;
  auto info = run_wkit({"capture", "info", capture, "-o", "json"});
  EXPECT_EQ(info.code, 0) << info.err;
  outputs["capture info -o json"] = info.out;
  auto replay = run_wkit({"replay", capture, "-s", srv.tcp(), "--speed", "max", "-o", "json"});
  outputs["replay -o json"] = replay.out;
  auto audit = run_wkit({"audit", "--no-progress", "--fail-on", "none", "-o", "json", capture});
  outputs["audit capture -o json"] = audit.out;
  auto decode = run_wkit({"decode", capture, "-o", "json"});
  outputs["decode capture -o json"] = decode.out;
  ASSERT_EQ(srv.stop(), 0);
  outputs["serve --events"] = read_file(srv.events_path());
  auto audit_store = run_wkit({"audit", "--no-progress", "--fail-on", "none", "-o", "json", srv.data_dir() + "/wkit.db"});
  outputs["audit store -o json"] = audit_store.out;

  size_t big_ids_seen = 0;
  for (const auto& [what, text] : outputs) {
    auto docs = documents(text);
    EXPECT_FALSE(docs.empty()) << what << " printed no JSON: " << text.substr(0, 300);
    std::vector<std::string> bad;
    for (size_t i = 0; i < docs.size(); ++i) walk(docs[i], what + "#" + std::to_string(i), bad);
    for (const auto& b : bad) ADD_FAILURE() << b;
    big_ids_seen += text.find("idstr") != std::string::npos;
  }
  EXPECT_GE(big_ids_seen, 5u);  // the walk saw real Snowflake ids, not an empty run
}

}  // namespace
