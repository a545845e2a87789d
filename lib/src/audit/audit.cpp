#include "wkit/audit/audit.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <thread>

#include "wkit/audit/analyzer.hpp"
#include "wkit/audit/live.hpp"
#include "wkit/audit/report.hpp"
#include "wkit/audit/source.hpp"
#include "wkit/util/progress.hpp"
#include "wkit/util/progress_ticker.hpp"
#include "wkit/util/progress_window.hpp"
#include "wkit/util/tty.hpp"
#include "wkit/util/units.hpp"

namespace wkit::audit {

namespace {

// Draws file bytes read (of the files' sizes), rows, the row rate of the
// window since the previous line and the time remaining while the inputs are
// read (docs/cli.md "Progress"). Remaining compares file bytes read
// (compressed, for a compressed input) with the files' sizes: decompressed
// sizes are unknown until the end.
class ProgressThread {
 public:
  ProgressThread(AuditContext& ctx, uint64_t total_bytes)
      : ctx_(ctx), total_(total_bytes), progress_(settings(ctx.options)) {
    if (!progress_.enabled()) return;
    ticker_.emplace([this](util::ProgressTicker::Clock::time_point now) {
      progress_.update_with([&] { return line(now); }, now);
    });
  }
  ~ProgressThread() { stop(); }
  void stop() {
    if (ticker_) ticker_->stop();
    progress_.finish();
  }

 private:
  static util::ProgressSettings settings(const AuditOptions& o) {
    util::ProgressSettings s = o.progress_settings;
    if (!o.progress) s.mode = util::ProgressMode::never;
    return s;
  }
  std::string line(util::ProgressTicker::Clock::time_point now) {
    const uint64_t bytes = std::min(ctx_.raw_bytes_in.load(), total_ ? total_ : UINT64_MAX);
    const uint64_t text = ctx_.bytes_in.load(), rows = ctx_.rows.load();
    const auto b = bytes_.close(bytes, now);
    const auto r = rows_.close(rows, now);
    std::string read = util::format_size(bytes);
    if (total_) read += " of " + util::format_size(total_);
    if (text > bytes + bytes / 20) read += " (" + util::format_size(text) + " decompressed)";
    util::ProgressLine line("audit", b.elapsed);
    line.field("read", read).count("rows", rows).rate(r.rate);
    if (total_) line.remaining(util::remaining_at_rate(bytes, total_, b.rate));
    return line.str();
  }
  AuditContext& ctx_;
  uint64_t total_;
  util::Progress progress_;
  util::ProgressWindow bytes_, rows_;  // since the previous line
  std::optional<util::ProgressTicker> ticker_;
};

void mark_not_read(InputInfo& in, const std::string& path) {
  if (in.name.empty()) in.name = path == "-" ? "<stdin>" : path;
  in.not_read = true;
}

}  // namespace

Result<nlohmann::json> run_audit(const AuditOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.inputs.empty() && !options.live) return Error{ErrorKind::usage, "no input given", std::nullopt};
  if (options.live && !options.inputs.empty())
    return Error{ErrorKind::usage, "a live audit (http://) takes no file inputs", std::nullopt};
  if (options.inputs.size() > 60000) return Error{ErrorKind::usage, "too many inputs", std::nullopt};
  int stdin_count = 0;
  for (auto& p : options.inputs) stdin_count += p == "-";
  if (stdin_count > 1) return Error{ErrorKind::usage, "'-' (stdin) given more than once", std::nullopt};
  if (options.shards == 0 || options.shard >= options.shards)
    return Error{ErrorKind::usage, "--shard K/N needs 1 <= K <= N", std::nullopt};
  for (auto& f : options.fail_on)
    if (!is_finding_name(f)) {
      std::string names;
      for (const char* n : kFindingNames) names += std::string(names.empty() ? "" : ", ") + n;
      return Error{ErrorKind::usage, "--fail-on: unknown finding '" + f + "' (one of: " + names + "; or all, none)",
                   std::nullopt};
    }

  AuditContext ctx(options);
  ctx.inputs.resize(options.inputs.size());
  uint64_t total = 0;
  std::vector<uint64_t> sizes;
  for (auto& p : options.inputs) {
    struct stat st{};
    sizes.push_back(p != "-" && ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? uint64_t(st.st_size) : 0);
    total += sizes.back();
  }
  if (options.live) {
    ProgressThread progress(ctx, 0);
    if (auto err = read_live(ctx)) return *err;
  } else {
    ProgressThread progress(ctx, total);
    uint64_t done = 0;
    for (size_t i = 0; i < options.inputs.size(); ++i) {
      // Stopped (SIGINT): the report covers what was read; the inputs not
      // reached are listed as not read. An input that stopped while it was
      // opened or read (a CSV header cut short, a stdin database not copied
      // to its end) is what the stop did, not an error of the input.
      if (ctx.stopping()) {
        mark_not_read(ctx.inputs[i], options.inputs[i]);
        continue;
      }
      auto src = open_source(options.inputs[i], options, ctx.inputs[i], &ctx.raw_bytes_in);
      if (!src && ctx.stopping()) {
        mark_not_read(ctx.inputs[i], options.inputs[i]);
        continue;
      }
      if (!src) return src.error();
      if (auto err = (*src)->run(ctx, static_cast<uint16_t>(i)); err && !ctx.stopping()) return *err;
      if (auto f = ctx.failure()) return *f;
      // Records were read but none names a message: a wrong --map or not a
      // message store. Auditing it would report nothing and look clean.
      if (const auto& in = ctx.inputs[i]; in.rows > 0 && in.with_id_or_client_msg_no == 0)
        return Error::input(in.name + ": no record has a client_msg_no or message_id (" + (*src)->fields_seen() +
                            "; use --map FIELD=COLUMN)");
      // SQLite and captures read their files themselves: count them as read.
      done += sizes[i];
      ctx.raw_bytes_in.store(std::max(ctx.raw_bytes_in.load(), done));
    }
  }
  if (auto f = ctx.failure()) return *f;
  const auto read_done = std::chrono::steady_clock::now();

  Analyzer analyzer(ctx);
  if (auto err = ctx.store.finish([&](Record* b, Record* e, uint8_t g) { analyzer.run(b, e, g); })) return *err;
  const auto analyzed = std::chrono::steady_clock::now();
  auto report = build_report(ctx, analyzer);
  const unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  report["run"] = {{"threads", threads},
                   {"memory_limit", options.memory_limit},
                   {"spilled", ctx.store.spilled()},
                   {"spill_bytes", ctx.store.spilled_bytes()},
                   {"partitions", ctx.store.spilled() ? ctx.store.partitions() : 0},
                   {"string_log_bytes", ctx.strings.bytes()},
                   {"read_s", std::chrono::duration<double>(read_done - start).count()},
                   {"analyze_s", std::chrono::duration<double>(analyzed - read_done).count()},
                   {"elapsed_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}};
  return report;
}

}  // namespace wkit::audit
