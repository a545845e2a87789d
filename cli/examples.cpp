#include "examples.hpp"

#include <map>

namespace wkit::cli {
namespace {

// Every command line must parse as written (tests/e2e/help_examples_test.cpp
// runs each with WKIT_PARSE_ONLY=1); a pipe or redirection after the wkit
// part is allowed. Ports are wkit's defaults: 5100 tcp, 5200 ws, 5110 proxy,
// 5001 an HTTP API.
const std::map<std::string, std::vector<Example>>& table() {
  static const std::map<std::string, std::vector<Example>> t = {
      {"wkit demo",
       {{"wkit demo", "the duplicate story with 3 messages and 2 forced resends each, in a temporary directory"},
        {"wkit demo --messages 10 --retries 3 --keep demo-stores -o json",
         "a longer run as one JSON document; the two SQLite stores stay in ./demo-stores for `wkit audit`"}}},
      {"wkit send",
       {{"wkit send -s tcp://127.0.0.1:5100 -u alice --to bob --text hi --retry-mode on-timeout --retries 3 "
         "--ack-timeout 1s",
         "one message, resent (same client_msg_no) when no SENDACK comes within 1s; prints the duplicate verdict"},
        {"wkit send -u alice --to bob --duration 30s --rate 2000/s --connections 20 --window 32 "
         "--threshold 'p99<50ms' --threshold 'acked_ratio>=0.999' --hist-out run.hist",
         "a 30 s load run at 2000 messages/s; exit 1 when a threshold fails, histogram kept for merge-hist"},
        {"wkit send -u alice --to bob --count 100 --retries 2 --verify --receiver bob -o json",
         "100 messages, each forced twice more, with bob receiving in the same process: every delivery accounted"},
        {"wkit send -s ws://127.0.0.1:5200 --protocol jsonrpc -u alice --to bob --text hi --retries 1",
         "the same over WuKongIM's JSON-RPC dialect (as the EasySDK speaks it), one forced resend"}}},
      {"wkit send merge-hist",
       {{"wkit send merge-hist run1.hist run2.hist", "percentiles over two runs' --hist-out files"},
        {"wkit send merge-hist run1.hist run2.hist run3.hist --out all.hist --threshold 'p99<50ms' -o json",
         "merge three runs into all.hist (and all.hist.hgrm); exit 1 when the merged p99 is 50ms or more"}}},
      {"wkit recv",
       {{"wkit recv -s tcp://127.0.0.1:5100 -u bob --count 10 --timeout 30s -o jsonl",
         "receive 10 unique messages as bob (exit 1 if 30s pass first), one JSON line per RECV"},
        {"wkit recv -u bob --ack drop:0.3 --timeout 20s",
         "withhold 30 % of RECVACKs for 20s to force redelivery; counts duplicates and gaps"},
        {"wkit recv -s ws://127.0.0.1:5200 --protocol jsonrpc --jsonrpc-compat 2.1 -u bob --count 1 --timeout 10s",
         "receive one message over JSON-RPC as a WuKongIM 2.1 client would"}}},
      {"wkit serve",
       {{"wkit serve --in-memory", "a server on tcp://127.0.0.1:5100 and ws://127.0.0.1:5200, nothing on disk"},
        {"wkit serve --data /tmp/wkit-2x --dedup off --listen tcp://127.0.0.1:5100 --listen http://127.0.0.1:5001 "
         "--api-compat 2",
         "behave like WuKongIM 2.x: resends stored again, the HTTP API on port 5001 answers {status,data}"},
        {"wkit serve --in-memory --fault drop:sendack:nth=1 --events -",
         "drop the first SENDACK on each connection (clients resend) and print every server event on stdout"}}},
      {"wkit decode",
       {{"wkit decode --input hex frames.txt -o json", "hex frames from frames.txt as one JSON document"},
        {"wkit decode incident.wkcap -o jsonl --bytes hex",
         "every frame of a proxy capture, one JSON line each, payloads as hex"},
        {"wkit decode --input jsonrpc --jsonrpc-compat 2.1 -",
         "JSON-RPC messages from stdin, read strictly as WuKongIM 2.1 writes them"}}},
      {"wkit capture",
       {{"wkit capture import traffic.pcap --out traffic.wkcap --port 5100",
         "turn `tcpdump -w traffic.pcap port 5100` into a .wkcap capture"},
        {"wkit capture info traffic.wkcap", "connections, users, frames, resends and unanswered SENDs"}}},
      {"wkit capture import",
       {{"wkit capture import traffic.pcap --out traffic.wkcap --port 5100",
         "only connections to port 5100 (the server's), from `tcpdump -i any -w traffic.pcap port 5100`"},
        {"wkit capture import big.pcapng --out big.wkcap --skip-bad --force -o json",
         "replace big.wkcap, skipping corrupt records; the summary as JSON"}}},
      {"wkit capture info",
       {{"wkit capture info traffic.wkcap", "the summary of a capture as text"},
        {"wkit capture info traffic.pcap --port 5100 --report traffic.html -o json",
         "read a pcap directly, summary as JSON, and an HTML page with the retry story of every resent message"}}},
      {"wkit audit",
       {{"wkit audit wkit-data/wkit.db -o md", "audit a `wkit serve` store; a Markdown report for the incident ticket"},
        {"wkit audit export.jsonl.zst --map client_msg_no=clientMsgNo --fail-on duplicate_client_msg_no",
         "a compressed JSON lines export whose field is named clientMsgNo; exit 1 only on duplicate client_msg_no"},
        {"wkit audit http://127.0.0.1:5001 --login-uid alice --channel g1:2 --channel bob:1",
         "live: page through two channels with the server's messagesync API"},
        {"wkit audit --shard 1/3 -o json export.jsonl > part1.json",
         "one of three hash partitions (run 2/3 and 3/3 elsewhere, then `wkit audit merge`)"}}},
      {"wkit audit merge",
       {{"wkit audit merge part1.json part2.json part3.json", "the report of the three shards as one"},
        {"wkit audit merge part1.json part2.json part3.json -o md --report audit.html",
         "as Markdown, with an HTML page of the merged findings"}}},
      {"wkit audit sql",
       {{"wkit audit sql --dialect duckdb --table messages --out audit.sql",
         "SQL for DuckDB; then run: duckdb warehouse.db < audit.sql"},
        {"wkit audit sql --dialect clickhouse --table im.message --no-is-deleted --summary",
         "a server export without is_deleted in ClickHouse; one row per finding"},
        {"wkit audit sql --dialect postgres --map client_msg_no=clientmsgno --check-gaps",
         "PostgreSQL, column clientmsgno, message_seq gaps too"}}},
      {"wkit proxy",
       {{"wkit proxy --listen tcp://127.0.0.1:5110 --upstream tcp://127.0.0.1:5100 --capture incident.wkcap",
         "point clients at port 5110; every frame, with plaintext, goes to incident.wkcap"},
        {"wkit proxy --listen ws://127.0.0.1:5210 --upstream ws://127.0.0.1:5200 --fault drop:sendack:nth=1 "
         "--events -",
         "WebSocket in and out; drop each connection's first SENDACK and log every frame on stdout"}}},
      {"wkit replay",
       {{"wkit replay incident.wkcap -s tcp://127.0.0.1:5100 --speed max --expect-same",
         "replay a capture as fast as possible; exit 1 when the server answers differently"},
        {"wkit replay incident.wkcap -s ws://127.0.0.1:5200 --map-uid alice=probe1 --fresh-client-msg-no -o json",
         "alice's session as probe1, with new client_msg_nos, report as JSON"}}},
      {"wkit completion",
       {{"wkit completion bash > ~/.local/share/bash-completion/completions/wkit",
         "install the bash completion for your user (new shells pick it up)"},
        {"wkit completion zsh > ~/.zfunc/_wkit", "zsh: with fpath+=(~/.zfunc) before compinit in ~/.zshrc"},
        {"wkit completion fish > ~/.config/fish/completions/wkit.fish", "fish"}}},
      {"wkit manpage",
       {{"wkit manpage > docs/wkit.1", "regenerate the committed man page (scripts/gen-completions.sh does this)"},
        {"wkit manpage | man -l -", "read it without installing"},
        {"wkit manpage --examples", "every command's examples, tab-separated: command path, command line, explanation"}}},
  };
  return t;
}

std::string footer_of(const std::vector<Example>& examples) {
  std::string out = "Examples:";
  for (auto& e : examples) out += "\n  " + e.command + "\n      " + e.explanation;
  return out;
}

void attach(CLI::App& app, const std::string& path) {
  if (auto& ex = examples_for(path); !ex.empty()) {
    std::string footer = app.get_footer();
    app.footer(footer.empty() ? footer_of(ex) : footer + "\n\n" + footer_of(ex));
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) attach(*sub, path + " " + sub->get_name());
}

}  // namespace

const std::vector<Example>& examples_for(const std::string& path) {
  static const std::vector<Example> none;
  auto it = table().find(path);
  return it == table().end() ? none : it->second;
}

void attach_examples(CLI::App& root) { attach(root, root.get_name()); }

}  // namespace wkit::cli
