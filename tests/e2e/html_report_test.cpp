// `--report FILE.html` of `wkit send`, `wkit audit` and `wkit capture info`,
// end to end: one recorded session (alice sends 3 messages with a forced
// resend each through `wkit proxy --capture`, the first SENDACK dropped, into
// `wkit serve --dedup off`; bob receives), then each report is rendered in
// headless Chromium (Debian package `chromium`): the page loads without
// console errors and holds its charts and timelines.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/wkit_commands.hpp"

using nlohmann::json;
using wkit::testing::Done;
using wkit::testing::Process;
using wkit::testing::ProxyProcess;
using wkit::testing::run_wkit;
using wkit::testing::ServeProcess;
using wkit::testing::TempDir;

namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string chromium_path() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (fs::exists(p)) return p;
  return "";
}

struct Rendered {
  std::string dom, console;  // the DOM after loading; Chromium's log lines about the page
  bool screenshot = false;   // a PNG was written
};

// The page as headless Chromium sees it, and a screenshot of it.
Rendered render(const fs::path& html, const fs::path& dir) {
  Rendered r;
  const std::string chromium = chromium_path();
  if (chromium.empty()) {
    ADD_FAILURE() << "chromium is not installed: the HTML reports are checked in headless Chromium "
                     "(Debian package `chromium`, apt-get install chromium)";
    return r;
  }
  const std::vector<std::string> common = {chromium, "--headless", "--disable-gpu", "--no-sandbox",
                                           "--user-data-dir=" + (dir / "chromium-profile").string(),
                                           "--enable-logging=stderr", "--v=0"};
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = common;
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("file://" + fs::absolute(html).string());
    auto p = std::make_unique<Process>(argv);
    auto code = p->wait_exit(std::chrono::seconds(90));
    EXPECT_EQ(code, 0) << p->stderr_text();
    std::string out;
    for (auto& l : p->stdout_lines()) out += l + "\n";
    return std::make_pair(out, p->stderr_text());
  };
  auto [dom, log] = run({"--dump-dom"});
  r.dom = dom;
  std::istringstream lines(log);
  for (std::string l; std::getline(lines, l);)
    if (l.find(":CONSOLE") != std::string::npos || l.find("net::ERR_") != std::string::npos) r.console += l + "\n";
  const fs::path png = dir / (html.stem().string() + ".png");
  run({"--hide-scrollbars", "--window-size=1000,1400", "--screenshot=" + png.string()});
  const std::string bytes = read(png);
  r.screenshot = bytes.size() > 1000 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
  return r;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The <svg id=ID ...>...</svg> element of a page, "" when missing.
std::string svg_by_id(const std::string& dom, const std::string& id) {
  const size_t at = dom.find("<svg id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  return dom.substr(at, dom.find("</svg>", at) - at);
}

// A page that stands alone: no scripts, nothing fetched.
void expect_self_contained(const std::string& html) {
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // only the SVG namespace
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(count(html, "<svg"), count(html, "</svg>"));
}

class HtmlReport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    const fs::path d = dir_->path;
    ServeProcess serve({"--dedup", "off"});
    ProxyProcess proxy("tcp://127.0.0.1:0", serve.tcp(),
                       {"--capture", (d / "incident.wkcap").string(), "--fault", "drop:sendack:nth=1"});
    Process bob({WKIT_BINARY, "recv", "-s", proxy.url(), "-u", "bob", "--timeout", "60s", "-o", "jsonl"});
    ASSERT_TRUE(bob.wait_stderr([](const std::string& l) { return l.find("receiving as") != std::string::npos; },
                                std::chrono::seconds(20)))
        << bob.stderr_text();
    send_ = new Done(run_wkit({"send", "-s", proxy.url(), "-u", "alice", "--to", "bob", "--text", "hi", "--count", "3",
                               "--retries", "1", "--retry-interval", "200ms", "--ack-timeout", "2s", "-o", "jsonl",
                               "--hist-out", (d / "run.hist").string(), "--report", (d / "send.html").string()}));
    int recvs = 0;
    EXPECT_TRUE(bob.wait_stdout([&](const std::string& l) { return l.find("\"type\":\"recv\"") != std::string::npos && ++recvs == 6; },
                                std::chrono::seconds(30)))
        << recvs << " RECVs: " << bob.stderr_text();
    bob.signal_and_wait(SIGTERM);
    EXPECT_EQ(proxy.stop(), 0) << proxy.process().stderr_text();
  }
  static void TearDownTestSuite() {
    delete send_;
    delete dir_;
  }
  static fs::path path(const std::string& name) { return dir_->path / name; }
  static TempDir* dir_;
  static Done* send_;
};

TempDir* HtmlReport::dir_ = nullptr;
Done* HtmlReport::send_ = nullptr;

}  // namespace

TEST_F(HtmlReport, SendReportHasItsThreeChartsAndTheHgrmBesideTheHistogram) {
  ASSERT_EQ(send_->code, 1) << send_->err;  // the dropped SENDACK's resend was stored twice: duplicated
  // Per-message lines carry the first attempt's wall clock time.
  const std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");
  size_t lines = 0;
  for (auto& j : wkit::testing::jsonl(send_->out))
    if (j.value("type", "") == "send") {
      ++lines;
      EXPECT_TRUE(std::regex_match(j["sent_at"].get<std::string>(), rfc3339)) << j.dump();
    }
  EXPECT_EQ(lines, 3u);
  const std::string hgrm = read(path("run.hist.hgrm"));
  EXPECT_EQ(hgrm.rfind("       Value     Percentile TotalCount 1/(1-Percentile)\n\n", 0), 0u) << hgrm;
  EXPECT_NE(hgrm.find("#[Buckets =           35, SubBuckets     =          256]"), std::string::npos) << hgrm;
  EXPECT_NE(hgrm.find("Total count    =            3]"), std::string::npos) << hgrm;

  const std::string html = read(path("send.html"));
  expect_self_contained(html);
  const Rendered r = render(path("send.html"), dir_->path);
  EXPECT_EQ(r.console, "");
  EXPECT_TRUE(r.screenshot);
  for (const char* id : {"latency-percentiles", "latency-over-time", "throughput-over-time", "summary-table"})
    EXPECT_NE(r.dom.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  EXPECT_GE(count(r.dom, "class=\"series\""), 6u);  // latency; p50, p99, max; sent/s, acked/s
  EXPECT_NE(r.dom.find("duplicated"), std::string::npos);

  // An existing report is refused before anything is sent; --force replaces it.
  const Done again = run_wkit({"send", "-s", "tcp://127.0.0.1:1", "-u", "alice", "--to", "bob", "--text", "x",
                               "--report", path("send.html").string()});
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.err.find("exists (use --force to replace it)"), std::string::npos) << again.err;
}

TEST_F(HtmlReport, AuditReportShowsTheStoredCopiesOfEachDuplicate) {
  const Done a = run_wkit({"audit", "--no-progress", path("incident.wkcap").string(), "--report", path("audit.html").string()});
  ASSERT_EQ(a.code, 1) << a.err;  // duplicate_client_msg_no
  const std::string html = read(path("audit.html"));
  expect_self_contained(html);
  const Rendered r = render(path("audit.html"), dir_->path);
  EXPECT_EQ(r.console, "");
  EXPECT_TRUE(r.screenshot);
  EXPECT_NE(r.dom.find("id=\"findings-table\""), std::string::npos);
  EXPECT_NE(r.dom.find("id=\"timeline-duplicate_client_msg_no\""), std::string::npos);
  const std::string dups = svg_by_id(r.dom, "timeline-duplicate_client_msg_no");
  EXPECT_EQ(count(dups, "class=\"row\""), 3u);           // three duplicated messages
  EXPECT_EQ(count(dups, "class=\"ev ev-stored\""), 6u);  // two stored copies each
  // Never replaced: audit has no --force.
  EXPECT_EQ(run_wkit({"audit", "--no-progress", path("incident.wkcap").string(), "--report", path("audit.html").string()}).code, 2);
}

TEST_F(HtmlReport, CaptureReportTellsEachMessagesRetryStory) {
  const Done c = run_wkit({"capture", "info", path("incident.wkcap").string(), "--report", path("capture.html").string()});
  ASSERT_EQ(c.code, 0) << c.err;
  const std::string html = read(path("capture.html"));
  expect_self_contained(html);
  const Rendered r = render(path("capture.html"), dir_->path);
  EXPECT_EQ(r.console, "");
  EXPECT_TRUE(r.screenshot);
  EXPECT_NE(r.dom.find("id=\"summary-table\""), std::string::npos);
  EXPECT_NE(r.dom.find("id=\"timeline-messages\""), std::string::npos);
  const std::string story = svg_by_id(r.dom, "timeline-messages");
  EXPECT_EQ(count(story, "class=\"row\""), 3u);
  // Per message: a SEND and a resend, two SENDACKs (one dropped by the proxy
  // over all three), two RECVs (one per stored copy) and their RECVACKs.
  EXPECT_EQ(count(r.dom, "class=\"ev ev-send\""), 3u);
  EXPECT_EQ(count(r.dom, "class=\"ev ev-resend\""), 3u);
  EXPECT_EQ(count(r.dom, "class=\"ev ev-sendack\""), 5u);
  EXPECT_EQ(count(r.dom, "class=\"ev ev-sendack-dropped\""), 1u);
  EXPECT_EQ(count(r.dom, "class=\"ev ev-recv\""), 6u);
  EXPECT_EQ(count(r.dom, "class=\"ev ev-recvack\""), 6u);
  EXPECT_NE(r.dom.find("(dropped)"), std::string::npos);
  EXPECT_EQ(run_wkit({"capture", "info", path("incident.wkcap").string(), "--report", path("capture.html").string()}).code, 2);
}
