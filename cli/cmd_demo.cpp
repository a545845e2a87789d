// `wkit demo`: the whole story in one process. For each server behaviour
// (WuKongIM 3.x: --dedup on; 2.x: --dedup off) it starts `wkit serve`
// in-process on a temporary store, sends messages with forced retries (the
// same client_msg_no every time), receives them as the peer, and audits the
// store file offline. The verdict table shows where duplicates appear.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "command_registry.hpp"
#include "wkit/app/client_send.hpp"
#include "wkit/app/server.hpp"
#include "wkit/audit/audit.hpp"
#include "wkit/util/tty.hpp"
#include "wkit/util/json_text.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using wkit::cli::Exit;

struct DemoFlags {
  uint64_t messages = 3;
  int retries = 2;
  std::string keep;  // keep the stores in this directory
  std::string output = "text";
};

struct ScenarioResult {
  std::string name, server_flag;
  bool dedup = true;
  json send;   // run_send summary
  json audit;  // audit report
  std::vector<size_t> ids_per_message;
  uint64_t delivered_raw = 0, delivered_unique = 0, audit_duplicates = 0;
  bool as_expected = false;
  std::string store;
};

[[noreturn]] void demo_fail(int code, const std::string& msg) {
  std::cerr << "wkit demo: " << msg << "\n";
  throw Exit{code};
}

void summarise(ScenarioResult& r, const std::vector<json>& messages) {
  for (auto& m : messages) r.ids_per_message.push_back(m["message_ids"].size());
  const json& v = r.send["verify"];
  for (auto& pr : v["per_receiver"]) {
    r.delivered_raw += pr["received"].get<uint64_t>();
    r.delivered_unique += pr["delivered"].get<uint64_t>();
  }
  r.audit_duplicates = r.audit["summary"]["duplicate_client_msg_no"].get<uint64_t>();
  bool server_duplicated = r.send["duplicates_created"].get<uint64_t>() > 0;
  bool lost = v["lost"].get<uint64_t>() > 0;
  r.as_expected = !lost && (r.dedup ? !server_duplicated && r.audit_duplicates == 0
                                    : server_duplicated && r.audit_duplicates > 0);
}

ScenarioResult run_scenario(const DemoFlags& f, const fs::path& dir, bool dedup) {
  ScenarioResult r;
  r.dedup = dedup;
  r.name = dedup ? "WuKongIM 3.x" : "WuKongIM 2.x";
  r.server_flag = dedup ? "--dedup on" : "--dedup off";

  wkit::app::ServerOptions so;
  so.listen = {wkit::net::Url::parse("tcp://127.0.0.1:0").value()};
  so.data_dir = (dir / (dedup ? "dedup-on" : "dedup-off")).string();
  so.dedup = dedup;
  so.redeliver_interval_ms = 60'000;  // no redelivery noise in the demo
  so.version = WKIT_VERSION;
  auto server = wkit::app::Server::create(so);
  if (!server) demo_fail(int(server.error().kind), "cannot start the in-process server: " + server.error().message);
  auto url = (*server)->local_urls().at(0);
  std::thread serving([&] { (*server)->run(); });

  wkit::app::SendOptions o;
  o.url = url;
  o.base.uid = "alice";
  o.base.token = "demo";
  o.base.device_id = "wkit-demo";
  o.targets = {{"bob", 1}};
  o.payload = R"({"type":1,"content":"hello from wkit demo"})";
  o.count = f.messages;
  o.retries = f.retries;
  o.retry_interval = std::chrono::milliseconds(50);
  o.receivers = {{"bob", "demo"}};
  o.verify_wait = std::chrono::seconds(5);
  std::vector<json> messages;
  wkit::app::SendHooks hooks;
  hooks.on_message = [&](const json& m) { messages.push_back(m); };
  auto outcome = wkit::app::run_send(o, hooks);
  (*server)->stop();
  serving.join();
  server->reset();  // closes the store before the audit reads it
  if (outcome.exit_code == 3 || outcome.exit_code == 5) demo_fail(outcome.exit_code, outcome.error);
  r.send = outcome.summary;

  wkit::audit::AuditOptions ao;
  r.store = (fs::path(so.data_dir) / "wkit.db").string();
  ao.inputs = {r.store};
  ao.progress = false;
  auto report = wkit::audit::run_audit(ao);
  if (!report) demo_fail(int(report.error().kind), "audit of " + r.store + " failed: " + report.error().message);
  r.audit = *report;
  summarise(r, messages);
  return r;
}

std::string join_counts(const std::vector<size_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

int run(const DemoFlags& f) {
  fs::path dir;
  if (!f.keep.empty()) {
    dir = f.keep;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) demo_fail(5, "cannot create " + f.keep + ": " + ec.message());
  } else {
    std::string tmpl = (fs::temp_directory_path() / "wkit-demo-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) demo_fail(5, "cannot create a temporary directory");
    dir = tmpl;
  }
  bool text = f.output == "text";
  if (text)
    std::cerr << "wkit demo: " << f.messages << " messages alice -> bob, each sent " << (1 + f.retries)
              << " times with the same client_msg_no; stores under " << dir.string() << "\n";

  std::vector<ScenarioResult> results;
  for (bool dedup : {true, false}) {
    if (text) std::cerr << "wkit demo: serving in-process with " << (dedup ? "--dedup on" : "--dedup off") << "...\n";
    results.push_back(run_scenario(f, dir, dedup));
  }
  bool ok = results[0].as_expected && results[1].as_expected;

  if (!text) {
    json out = {{"ok", ok}, {"stores", dir.string()}, {"scenarios", json::array()}};
    for (auto& r : results)
      out["scenarios"].push_back({{"name", r.name}, {"server", r.server_flag}, {"as_expected", r.as_expected},
                                  {"store", r.store}, {"send", r.send}, {"audit_summary", r.audit["summary"]}});
    std::cout << wkit::util::json_text(out, 2) << "\n";
  } else {
    bool colour = wkit::util::is_tty(1);
    auto paint = [&](const std::string& s, bool good) {
      return colour ? std::string(good ? "\x1b[32m" : "\x1b[31m") + s + "\x1b[0m" : s;
    };
    std::printf("\n%-14s %-12s %-9s %-18s %-16s %-12s %s\n", "behaviour", "server", "messages",
                "ids per message", "bob received", "audit dupes", "verdict");
    for (auto& r : results) {
      std::string recv = std::to_string(r.delivered_raw) + " (" + std::to_string(r.delivered_unique) + " unique)";
      std::string verdict = r.dedup ? (r.as_expected ? "idempotent: one id per message" : "UNEXPECTED")
                                    : (r.as_expected ? "duplicates stored and delivered" : "UNEXPECTED");
      std::printf("%-14s %-12s %-9llu %-18s %-16s %-12llu %s\n", r.name.c_str(), r.server_flag.c_str(),
                  (unsigned long long)r.send["attempted"].get<uint64_t>(), join_counts(r.ids_per_message).c_str(),
                  recv.c_str(), (unsigned long long)r.audit_duplicates,
                  paint(verdict, r.as_expected).c_str());
    }
    std::printf(
        "\nWith --dedup on the server maps each client_msg_no to one message_id, so resends are\n"
        "answered with the original id and delivered once. With --dedup off (WuKongIM 2.x) every\n"
        "resend is stored again under a new message_id; receivers must drop repeats by\n"
        "client_msg_no, and `wkit audit` finds them in the store afterwards.\n"
        "Try it yourself:\n"
        "  wkit serve --dedup off &\n"
        "  wkit send -u alice --to bob --text hi --retries 2      # exit 1: several message_ids\n"
        "  wkit recv -u bob --count 1 --timeout 3s                # counts the repeats\n"
        "  wkit audit wkit-data/wkit.db                           # exit 1: duplicate_client_msg_no\n");
  }
  if (f.keep.empty()) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return ok ? 0 : 1;
}

wkit::cli::Registration demo_reg{"demo", 5, [](CLI::App& app) {
  auto f = std::make_shared<DemoFlags>();
  auto* sub = app.add_subcommand(
      "demo", "Run the duplicate story end to end in one process: serve (dedup on and off), send with "
              "forced retries, receive, verdict, audit");
  sub->add_option("--messages", f->messages, "Messages to send per scenario")->capture_default_str()
      ->check(CLI::Range(1, 1000));
  sub->add_option("--retries", f->retries, "Forced resends per message (same client_msg_no)")
      ->capture_default_str()->check(CLI::Range(1, 20));
  sub->add_option("--keep", f->keep, "Keep the two stores in this directory (default: a temporary one, removed)")
      ->type_name("DIR");
  sub->add_option("-o,--output", f->output, "Output: text or json")->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  sub->final_callback([f] { throw Exit{run(*f)}; });
}};

}  // namespace
