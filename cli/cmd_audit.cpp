// `wkit audit INPUT...` and `wkit audit merge PARTIAL...` (docs/cli.md, docs/audit.md).
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "command_registry.hpp"
#include "progress_flags.hpp"
#include "stop_signals.hpp"
#include "tls_flags.hpp"
#include "wkit/audit/audit.hpp"
#include "wkit/audit/field_map.hpp"
#include "wkit/audit/live.hpp"
#include "wkit/net/http_client.hpp"
#include "wkit/audit/report.hpp"
#include "wkit/audit/report_html.hpp"
#include "wkit/util/output_file.hpp"
#include "wkit/util/tty.hpp"
#include "wkit/util/units.hpp"
#include "wkit/util/json_text.hpp"

void add_audit_sql_command(CLI::App* audit);  // cmd_audit_sql.cpp

namespace {

using nlohmann::json;

struct AuditCli {
  wkit::audit::AuditOptions opts;
  std::vector<std::string> maps;
  std::string scope = "sender", window = "30s", memory_limit = "1GiB", fail_on, shard, output = "text";
  std::vector<std::string> partials;
  bool no_progress = false;
  wkit::cli::ProgressFlags progress;
  std::string report;  // --report FILE.html (never replaces a file)
  int64_t max_listed = -1;  // -1: the format's default (text 10, md 20); 0: all
  // Live audit (http:// or https:// input)
  std::string login_uid, channels_file, rate = "20/s", timeout = "10s", uids, uids_file;
  std::vector<std::string> channels;
  uint32_t page_size = 1000;
  uint64_t since_seq = 0;
  int api_compat = 3;
  wkit::net::ClientTlsOptions tls;
  CLI::App* sub = nullptr;
};

bool is_live_url(const std::string& s) { return s.starts_with("http://") || s.starts_with("https://"); }

int fail(const wkit::Error& e) {
  std::cerr << "wkit audit: " << e.describe() << "\n";
  return static_cast<int>(e.kind);
}
int usage(const std::string& msg) { return fail(wkit::Error{wkit::ErrorKind::usage, msg, std::nullopt}); }

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// --report: refused before any work when it exists or is an input.
wkit::util::OutputPolicy report_policy(const AuditCli& c) {
  wkit::util::OutputPolicy p;
  p.inputs = c.opts.inputs;
  p.inputs.insert(p.inputs.end(), c.partials.begin(), c.partials.end());
  return p;
}

bool known_output(const std::string& output) {
  return output == "text" || output == "json" || output == "md" || output == "jsonl";
}

int emit(const json& report, const AuditCli& c) {
  const std::string& output = c.output;
  const auto top = [&](size_t dflt) { return c.max_listed < 0 ? dflt : static_cast<size_t>(c.max_listed); };
  if (output == "json") std::cout << wkit::util::json_text(report, 2) << "\n";
  else if (output == "jsonl") std::cout << wkit::audit::render_jsonl(report);
  else if (output == "md") std::cout << wkit::audit::render_markdown(report, top(20));
  else std::cout << wkit::audit::render_text(report, wkit::util::use_color(1), top(10));
  std::cout.flush();
  if (!c.report.empty())
    if (auto err = wkit::util::write_output_file(c.report, wkit::audit::render_html(report, top(20)), report_policy(c)))
      return fail(*err);
  return wkit::audit::report_exit_code(report);
}

// `wkit audit http(s)://HOST:PORT`: the live flags into opts.live, and the
// HTTP client that answers its requests (docs/audit.md "Live audit").
wkit::Status setup_live(AuditCli& c, std::shared_ptr<wkit::net::HttpClient>& client) {
  auto usage_error = [](std::string m) { return wkit::Error{wkit::ErrorKind::usage, std::move(m), std::nullopt}; };
  const bool live = std::any_of(c.opts.inputs.begin(), c.opts.inputs.end(), is_live_url);
  static const char* live_flags[] = {"--login-uid", "--channel", "--channels", "--uids", "--uids-file", "--rate",
                                     "--page-size", "--since-seq", "--api-compat", "--timeout", "--ca-file",
                                     "--insecure", "--tls-server-name"};
  if (!live) {
    for (const char* f : live_flags)
      if (c.sub->count(f)) return usage_error(std::string(f) + " applies to a live audit only (INPUT http://HOST:PORT)");
    return std::nullopt;
  }
  if (c.opts.inputs.size() != 1)
    return usage_error("a live audit takes one http:// or https:// address and no files");
  for (const char* f : {"--map", "--table", "--input-format"})
    if (c.sub->count(f)) return usage_error(std::string(f) + " does not apply to a live audit");
  auto url = wkit::net::Url::parse(c.opts.inputs[0]);
  if (!url) return url.error();
  std::vector<std::string> uids = split_list(c.uids);
  if (!c.uids_file.empty()) {
    auto more = wkit::audit::read_live_uids(c.uids_file);
    if (!more) return more.error();
    uids.insert(uids.end(), more->begin(), more->end());
  }
  const bool named_channels = !c.channels.empty() || !c.channels_file.empty();
  if (c.login_uid.empty() && (named_channels || uids.empty()))
    return usage_error(uids.empty() ? "a live audit needs --login-uid U (the uid messagesync reads as) or --uids U1,U2"
                                    : "--channel and --channels need --login-uid U (the uid messagesync reads them as)");
  wkit::audit::LiveOptions live_opts;
  live_opts.url = url->to_string();
  live_opts.login_uid = c.login_uid;
  for (auto& spec : c.channels) {
    auto ch = wkit::audit::parse_live_channel(spec);
    if (!ch) return ch.error();
    live_opts.channels.push_back(std::move(*ch));
  }
  if (!c.channels_file.empty()) {
    auto more = wkit::audit::read_live_channels(c.channels_file);
    if (!more) return more.error();
    for (auto& ch : *more) live_opts.channels.push_back(std::move(ch));
  }
  if (live_opts.channels.empty() && uids.empty())
    return usage_error("a live audit needs --channel ID:TYPE, --channels FILE or --uids U1,U2 (discovery)");
  auto rate = wkit::audit::parse_live_rate(c.rate);
  if (!rate) return rate.error();
  live_opts.rate = *rate;
  live_opts.page_size = c.page_size;
  live_opts.since_seq = c.since_seq;
  live_opts.api_compat = c.api_compat;
  auto timeout = wkit::util::parse_duration(c.timeout);
  if (!timeout || timeout.value().count() <= 0) return usage_error("--timeout " + c.timeout + ": expected a duration such as 10s");
  auto tls = wkit::cli::client_tls_for(*url, c.tls, "the audit address");
  if (!tls) return tls.error();
  client = std::make_shared<wkit::net::HttpClient>(
      *url, *tls, std::chrono::duration_cast<std::chrono::milliseconds>(timeout.value()));
  const std::atomic<int>* stop = c.opts.stop;
  live_opts.fetch = [client = client.get(), stop](const std::string& body) -> wkit::Result<wkit::audit::LiveReply> {
    auto r = client->post_json("/channel/messagesync", body, stop);
    if (!r) return r.error();
    return wkit::audit::LiveReply{r->status, std::move(r->body)};
  };
  if (!uids.empty()) {
    auto post = [client = client.get(), stop](const std::string& path,
                                              const std::string& body) -> wkit::Result<wkit::audit::LiveReply> {
      auto r = client->post_json(path, body, stop);
      if (!r) return r.error();
      return wkit::audit::LiveReply{r->status, std::move(r->body)};
    };
    auto added = wkit::audit::discover_live_channels(live_opts, uids, post, [stop] { return stop && stop->load() != 0; });
    if (!added) return added.error();
    if (live_opts.channels.empty())
      return usage_error("nothing to audit: the conversations of --uids list no channel");
  }
  c.opts.live = std::move(live_opts);
  c.opts.inputs.clear();  // the channels are the inputs
  return std::nullopt;
}

int run_audit(AuditCli& c) {
  auto& o = c.opts;
  if (!known_output(c.output)) return usage("-o " + c.output + ": not one of text, json, md, jsonl");
  if (!c.report.empty())
    if (auto err = wkit::util::check_output(c.report, report_policy(c))) return fail(*err);
  if (!wkit::audit::scope_from_name(c.scope, o.scope)) return usage("--scope " + c.scope + ": not one of sender, channel, global");
  auto window = wkit::util::parse_duration(c.window);
  if (!window) return usage("--window: " + window.error().message);
  o.window_s = std::chrono::duration_cast<std::chrono::seconds>(window.value()).count();
  auto mem = wkit::util::parse_size(c.memory_limit);
  if (!mem) return usage("--memory-limit: " + mem.error().message);
  o.memory_limit = mem.value();
  if (!c.fail_on.empty()) {
    o.fail_on = c.fail_on == "none" ? std::vector<std::string>{} : split_list(c.fail_on);
    if (c.fail_on == "all") o.fail_on.assign(std::begin(wkit::audit::kFindingNames), std::end(wkit::audit::kFindingNames));
  }
  if (!c.shard.empty()) {
    unsigned k = 0, n = 0;
    char slash = 0;
    std::istringstream in(c.shard);
    if (!(in >> k >> slash >> n) || slash != '/' || !in.eof() || n == 0 || k == 0 || k > n)
      return usage("--shard " + c.shard + ": expected K/N with 1 <= K <= N (e.g. 2/8)");
    o.shard = k - 1;
    o.shards = n;
  }
  for (auto& m : c.maps) {
    auto eq = m.find('=');
    if (eq == std::string::npos) return usage("--map " + m + ": expected FIELD=COLUMN");
    o.maps.emplace_back(m.substr(0, eq), m.substr(eq + 1));
  }
  if (auto err = wkit::audit::check_maps(o.maps)) return fail(*err);
  o.progress = !c.no_progress;
  auto progress_settings = wkit::cli::progress_settings(c.progress);
  if (!progress_settings) return usage(progress_settings.error().message);
  o.progress_settings = *progress_settings;
  // SIGINT/SIGTERM: stop reading at the next record boundary and report what was read (docs/audit.md).
  o.stop = &wkit::cli::catch_stop_signals("audit", "stopping, reporting what was read");
  std::shared_ptr<wkit::net::HttpClient> client;  // a live audit's connection, alive until the report
  if (auto err = setup_live(c, client)) return fail(*err);
  auto report = wkit::audit::run_audit(o);
  if (!report) return fail(report.error());
  return emit(report.value(), c);
}

int run_merge(AuditCli& c) {
  if (!known_output(c.output)) return usage("-o " + c.output + ": not one of text, json, md, jsonl");
  if (!c.report.empty())
    if (auto err = wkit::util::check_output(c.report, report_policy(c))) return fail(*err);
  std::vector<json> parts;
  for (auto& p : c.partials) {
    std::ifstream in(p);
    if (!in) return fail(wkit::Error::input(p + ": cannot open"));
    json j = json::parse(in, nullptr, false);
    if (j.is_discarded()) return fail(wkit::Error::input(p + ": not valid JSON"));
    parts.push_back(std::move(j));
  }
  auto merged = wkit::audit::merge_reports(parts);
  if (!merged) return fail(merged.error());
  if (c.opts.allow_unreadable) merged.value()["options"]["allow_unreadable"] = true;
  return emit(merged.value(), c);
}

}  // namespace

static wkit::cli::Registration audit_reg{"audit", 80, [](CLI::App& app) {
  auto c = std::make_shared<AuditCli>();
  auto* sub = app.add_subcommand("audit", "Audit message stores: duplicate client_msg_no, message_id collisions, seq "
                                          "anomalies (JSON lines, JSON, CSV, SQLite, .wkcap captures; gzip/zstd; or "
                                          "live through a server's HTTP API)");
  c->sub = sub;
  sub->add_option("inputs", c->opts.inputs,
                  "Message stores to audit as one (- = stdin), or one http(s)://HOST:PORT for a live audit");
  sub->add_option("--input-format", c->opts.input_format, "Input format (pcap/pcapng: imported on the fly)")
      ->check(CLI::IsMember({"auto", "jsonl", "json", "csv", "sqlite", "wkcap", "pcap"}))
      ->default_str("auto");
  // One value per --map: `--map a=b FILE` must not take FILE as a second mapping.
  sub->add_option("--map", c->maps, "Read FIELD from COLUMN (or JSON key), e.g. client_msg_no=cmn")
      ->allow_extra_args(false);
  sub->add_option("--table", c->opts.table, "SQLite table to read (default: message)");
  sub->add_option("--scope", c->scope, "Idempotency key scope: sender (channel + from_uid), channel, global")
      ->check(CLI::IsMember({"sender", "channel", "global"}))
      ->default_str("sender");
  sub->add_option("--window", c->window, "Time window for suspected regenerated client_msg_no")->default_str("30s");
  sub->add_flag("--check-gaps", c->opts.check_gaps, "Also report message_seq gaps per channel");
  sub->add_option("--memory-limit", c->memory_limit, "Spill to disk beyond this much memory")->default_str("1GiB");
  sub->add_option("--threads", c->opts.threads, "Parsing threads (default: all cores)");
  sub->add_option("--fail-on", c->fail_on,
                  "Findings that make the exit code 1 (comma list, 'all' or 'none'; default: "
                  "duplicate_client_msg_no,message_id_collision)");
  sub->add_option("--shard", c->shard, "Audit only hash partition K of N (1-based) and write a partial report");
  sub->add_option("-o,--output", c->output, "Report format (jsonl: one finding per line)")
      ->check(CLI::IsMember({"text", "json", "md", "jsonl"}))
      ->default_str("text");
  sub->add_option("--max-listed", c->max_listed,
                  "Items listed per finding in text and md reports (default 10 and 20; 0 = all, with every message)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--report", c->report, "Also write an HTML page: findings and a timeline of the flagged "
                                         "messages (self-contained; never replaces a file; docs/audit.md \"Reports\")")
      ->type_name("FILE.html");
  sub->add_flag("--strict", c->opts.strict, "A malformed record stops the audit (exit 4)");
  sub->add_flag("--allow-unreadable", c->opts.allow_unreadable,
                "Exit 0 when records could not be read but nothing was found (status stays 'unverified')");
  sub->add_option("--temp-dir", c->opts.temp_dir, "Where spill and string files go (default: $TMPDIR or /tmp)");
  wkit::cli::add_progress_flags(sub, c->progress);
  sub->add_flag("--no-progress", c->no_progress, "Same as --progress never");
  // Live audit: POST /channel/messagesync (docs/audit.md "Live audit").
  sub->add_option("--login-uid", c->login_uid, "Live audit: the uid messagesync reads as (3.x: a member of each channel)")
      ->type_name("UID");
  sub->add_option("--channel", c->channels, "Live audit: a channel to page through, ID:TYPE (e.g. g1:2, bob:1; repeatable)")
      ->allow_extra_args(false)
      ->type_name("ID:TYPE");
  sub->add_option("--channels", c->channels_file, "Live audit: a file of channels, one ID:TYPE per line (# comments)")
      ->type_name("FILE");
  sub->add_option("--uids", c->uids, "Live audit: discover these uids' channels through their conversations (U1,U2)")
      ->type_name("U1,U2");
  sub->add_option("--uids-file", c->uids_file, "Live audit: a file of uids to discover channels for, one per line")
      ->type_name("FILE");
  sub->add_option("--rate", c->rate, "Live audit: requests per second at most (e.g. 20/s, 0.5/s)")->default_str("20/s");
  sub->add_option("--page-size", c->page_size, "Live audit: messages per request (limit)")
      ->check(CLI::Range(1, 10000))
      ->default_str("1000");
  sub->add_option("--since-seq", c->since_seq, "Live audit: start at this message_seq in every channel (resume)")
      ->type_name("SEQ");
  sub->add_option("--api-compat", c->api_compat, "Live audit: the server's API generation, WuKongIM 3 or 2")
      ->check(CLI::IsMember({3, 2}))
      ->default_str("3");
  sub->add_option("--timeout", c->timeout, "Live audit: time limit of one request, connecting included")
      ->default_str("10s");
  wkit::cli::add_client_tls_flags(sub, c->tls, "the https:// server");

  auto* merge = sub->add_subcommand("merge", "Combine the partial reports of `wkit audit --shard K/N` into one");
  merge->add_option("partials", c->partials, "Partial reports (JSON)")->required();
  merge->add_option("-o,--output", c->output, "Report format (jsonl: one finding per line)")
      ->check(CLI::IsMember({"text", "json", "md", "jsonl"}))
      ->default_str("text");
  merge->add_option("--max-listed", c->max_listed,
                    "Items listed per finding in text and md reports (default 10 and 20; 0 = all, with every message)")
      ->check(CLI::NonNegativeNumber);
  merge->add_option("--report", c->report, "Also write an HTML page of the merged report")->type_name("FILE.html");
  merge->add_flag("--allow-unreadable", c->opts.allow_unreadable,
                  "Exit 0 when records could not be read but nothing was found (status stays 'unverified')");
  merge->final_callback([c] { throw wkit::cli::Exit{run_merge(*c)}; });
  add_audit_sql_command(sub);

  sub->final_callback([c, merge] {
    if (merge->parsed()) return;
    if (c->opts.inputs.empty())
      throw wkit::cli::Exit{usage("no INPUT given (a file, - for stdin, or http://HOST:PORT for a live audit)")};
    throw wkit::cli::Exit{run_audit(*c)};
  });
}};
