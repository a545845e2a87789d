// Text (terminal) and Markdown (incident ticket) views of a report.
#include <ctime>
#include <sstream>
#include <string>
#include <vector>

#include "wkit/audit/report.hpp"
#include "wkit/audit/report_html.hpp"
#include "wkit/util/tty.hpp"

namespace wkit::audit {

using nlohmann::json;

namespace {

std::string iso_time(const json& t) {
  if (!t.is_number()) return "-";
  std::time_t s = static_cast<std::time_t>(t.get<int64_t>());
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string channel_text(const json& j) {
  if (!j.contains("channel_id")) return "";
  return str(j, "channel_id") + "/" + str(j, "channel_type");
}

// One line describing a finding item.
std::string item_title(const std::string& kind, const json& it) {
  std::ostringstream o;
  if (kind == "duplicate_client_msg_no") {
    o << "client_msg_no " << str(it, "client_msg_no");
    if (it.contains("channel_id")) o << " in " << channel_text(it);
    if (it.contains("from_uid")) o << " from " << str(it, "from_uid");
    o << ": " << str(it, "message_ids") << " message_ids over " << str(it, "time_spread_s") << "s";
  } else if (kind == "message_id_collision") {
    o << "message_id " << str(it, "message_idstr") << " carried by " << str(it, "variants")
      << " different (channel, client_msg_no)";
  } else if (kind == "duplicate_row") {
    o << "message_id " << str(it, "message_idstr") << " stored " << str(it, "copies") << " times"
      << (it.value("identical", false) ? " (identical)" : " (fields differ)");
  } else if (kind == "seq_anomaly") {
    if (str(it, "type") == "gap")
      o << "gap in " << channel_text(it) << ": " << str(it, "missing") << " seq missing between "
        << str(it, "after_seq") << " and " << str(it, "before_seq");
    else
      o << "message_seq " << str(it, "message_seq") << " in " << channel_text(it) << " has "
        << str(it, "message_ids") << " message_ids";
  } else if (kind == "suspected_regenerated_client_msg_no") {
    o << "same payload from " << str(it, "from_uid") << " in " << channel_text(it) << " under "
      << str(it, "client_msg_nos") << " client_msg_nos within " << it.value("last_time", int64_t(0)) - it.value("first_time", int64_t(0))
      << "s (suspected)";
  } else if (kind == "absorbed_duplicate") {
    o << "deleted copy in " << channel_text(it) << " (" << str(it, "rule") << " rule)";
  } else if (kind == "missing_client_msg_no") {
    o << str(it, "rows") << " rows without client_msg_no in " << channel_text(it);
  }
  return o.str();
}

std::string message_line(const json& m) {
  std::ostringstream o;
  if (m.contains("role")) o << "[" << str(m, "role") << "] ";
  o << "message_id " << (m.contains("message_idstr") ? str(m, "message_idstr") : std::string("-"));
  if (m.contains("message_seq")) o << " seq " << str(m, "message_seq");
  if (m.contains("client_msg_no")) o << " client_msg_no " << str(m, "client_msg_no");
  o << " at " << iso_time(m["timestamp"]);
  if (m.value("is_deleted", false)) o << " (deleted)";
  o << "  " << str(m, "location");
  if (m.value("copies", 1) > 1) o << " (+" << m.value("copies", 1) - 1 << " more copies)";
  return o.str();
}

// One line per capture input: what the wire showed besides the records.
std::string capture_summary(const json& in) {
  const json& c = in["capture"];
  auto n = [&](const char* k) { return std::to_string(c.value(k, uint64_t(0))); };
  std::string s = in["name"].get<std::string>() + ": " + n("sends") + " SENDs, " + n("sendacks") + " SENDACKs, " +
                  n("recvs") + " RECVs -> " + n("acked_messages") + " acknowledged + " +
                  n("delivered_only_messages") + " delivered-only messages; " + n("refused_sendacks") +
                  " refused, " + n("unmatched_sendacks") + " unmatched SENDACKs, " + n("unanswered_sends") +
                  " unanswered SENDs";
  if (c.value("unanswered_undelivered", uint64_t(0)) > 0)
    s += " (" + n("unanswered_undelivered") + " with no RECV of their message: may be stored, not seen)";
  if (c.contains("truncated")) s += "; warning: " + c["truncated"].get<std::string>();
  return s;
}

// An unreadable record's location, with its byte offset where one is known.
std::string where(const json& m) {
  std::string s = m["location"].get<std::string>();
  if (m.contains("offset")) s += " (byte " + str(m, "offset") + ")";
  return s;
}

uint64_t unreadable_count(const json& r) {
  return r.contains("unreadable") ? r["unreadable"].value("count", uint64_t(0)) : 0;
}

// "3 records could not be read (2 malformed, 1 skipped)".
std::string unreadable_text(const json& r) {
  const json& u = r["unreadable"];
  const uint64_t n = u.value("count", uint64_t(0));
  return std::to_string(n) + (n == 1 ? " record" : " records") + " could not be read (" +
         std::to_string(u.value("malformed", uint64_t(0))) + " malformed, " +
         std::to_string(u.value("skipped", uint64_t(0))) + " skipped)";
}

// "a.jsonl: 2 malformed, 1 skipped" per input that has any.
std::vector<std::string> unreadable_by_input(const json& r) {
  std::vector<std::string> out;
  for (const auto& in : r["inputs"])
    if (in.value("unreadable", uint64_t(0)) > 0)
      out.push_back(in["name"].get<std::string>() + ": " + std::to_string(in.value("malformed", uint64_t(0))) +
                    " malformed, " + std::to_string(in.value("skipped", uint64_t(0))) + " skipped");
  return out;
}

// "interrupted (SIGINT) after 3 rows: not every record was read".
std::string interrupted_text(const json& r) {
  return "interrupted (" + r["interrupted"].get<std::string>() + ") after " + std::to_string(r["rows"].get<uint64_t>()) +
         " rows: not every record was read";
}

std::string unverified_reason(const json& r) {
  std::string s;
  if (r.contains("interrupted")) s = interrupted_text(r);
  if (unreadable_count(r) > 0) s += (s.empty() ? "" : "; ") + unreadable_text(r);
  s += "; the audit cannot say the store is clean";
  if (!r.contains("interrupted") && r["options"].value("allow_unreadable", false)) s += " (exit 0: --allow-unreadable)";
  return s;
}

// Messages listed per item when the lists are cut (top > 0).
constexpr size_t kMessagesShown = 5;

// "10 of 200 shown; every item: -o json or -o jsonl, or --max-listed 0".
std::string cut_note(size_t shown, size_t total, const char* what) {
  return std::to_string(shown) + " of " + std::to_string(total) + " " + what +
         " shown; all of them: -o json or -o jsonl, or --max-listed 0";
}

}  // namespace

std::string finding_item_title(std::string_view kind, const json& item) { return item_title(std::string(kind), item); }

const char* finding_explanation(std::string_view name) {
  if (name == "duplicate_client_msg_no")
    return "one client_msg_no became several messages (message_ids): the server stored a resend again, so "
           "receivers see it twice";
  if (name == "message_id_collision")
    return "one message_id names different messages (channel or client_msg_no differ): clients keyed by "
           "message_id show one and lose the other";
  if (name == "duplicate_row")
    return "the same message stored more than once (same channel and client_msg_no): overlapping exports or a "
           "double insert, not a new message";
  if (name == "seq_anomaly")
    return "a message_seq with several message_ids (conflict) or seqs missing from a channel (gap, "
           "--check-gaps): sync by seq skips or repeats messages";
  if (name == "suspected_regenerated_client_msg_no")
    return "the same sender, channel and payload within --window under new client_msg_nos: a client made a new "
           "client_msg_no for a resend, which defeats idempotency (or the user sent it twice)";
  if (name == "absorbed_duplicate")
    return "rows the client SDK marked deleted as copies of another row: the duplicate reached the device and "
           "was hidden there";
  if (name == "missing_client_msg_no")
    return "rows without a client_msg_no: the server cannot recognise their resends";
  return "";
}

std::string render_text(const json& r, bool color, size_t top) {
  util::Palette p(color);
  std::ostringstream o;
  const auto& inputs = r["inputs"];
  o << "wkit audit: " << inputs.size() << (inputs.size() == 1 ? " input, " : " inputs, ") << r["rows"].get<uint64_t>()
    << " rows";
  if (r["malformed"]["count"].get<uint64_t>())
    o << ", " << p.yellow(std::to_string(r["malformed"]["count"].get<uint64_t>()) + " malformed");
  if (r.contains("interrupted")) o << ", " << p.yellow("interrupted (" + r["interrupted"].get<std::string>() + ")");
  o << ", scope " << r["options"]["scope"].get<std::string>();
  if (r.contains("partial")) o << ", shard " << r["partial"]["shard"] << "/" << r["partial"]["of"] << " (partial)";
  o << "\n";
  for (const auto& in : inputs)
    if (in.contains("capture")) o << "capture " << capture_summary(in) << "\n";
  o << "\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-37s %10s %9s %9s  %-20s  %-20s\n", "FINDING", "COUNT", "CHANNELS", "SENDERS",
                "FIRST", "LAST");
  o << p.bold(line);
  for (const char* name : kFindingNames) {
    const json& f = r["findings"][name];
    const uint64_t n = f["count"].get<uint64_t>();
    std::snprintf(line, sizeof line, "%-37s %10llu %9llu %9llu  %-20s  %-20s", name, static_cast<unsigned long long>(n),
                  static_cast<unsigned long long>(f["affected_channels"].get<uint64_t>()),
                  static_cast<unsigned long long>(f["affected_senders"].get<uint64_t>()),
                  iso_time(f["first_time"]).c_str(), iso_time(f["last_time"]).c_str());
    const bool fails = std::find(r["failed_on"].begin(), r["failed_on"].end(), json(name)) != r["failed_on"].end();
    o << (fails ? p.red(line) : n ? p.yellow(line) : std::string(line)) << "\n";
  }
  o << "\n";
  for (const char* name : kFindingNames) {
    const json& items = r["findings"][name]["items"];
    if (items.empty()) continue;
    const size_t listed = top ? std::min(top, items.size()) : items.size();
    o << p.bold(std::string(name)) << " (" << listed << " of " << items.size() << "):\n";
    o << "  " << p.dim(finding_explanation(name)) << "\n";
    for (size_t i = 0; i < listed; ++i) {
      o << "  " << item_title(name, items[i]) << "\n";
      const json& msgs = items[i]["messages"];
      const size_t shown = top ? std::min(kMessagesShown, msgs.size()) : msgs.size();
      for (size_t k = 0; k < shown; ++k) o << "      " << message_line(msgs[k]) << "\n";
      if (shown < msgs.size()) o << "      ... " << cut_note(shown, msgs.size(), "messages") << "\n";
    }
    if (listed < items.size()) o << "  ... " << cut_note(listed, items.size(), "items") << "\n";
    o << "\n";
  }
  for (const auto& m : r["malformed"]["examples"])
    o << p.yellow("malformed: ") << where(m) << ": " << m["message"].get<std::string>() << "\n";
  if (unreadable_count(r) > 0) {
    for (const auto& m : r["unreadable"]["examples"])
      if (m["kind"] == "skipped")
        o << p.yellow("skipped: ") << m["location"].get<std::string>() << ": " << m["message"].get<std::string>()
          << "\n";
    for (const auto& line : unreadable_by_input(r)) o << p.yellow("unreadable: ") << line << "\n";
  }
  if (r["result"] == "clean") o << p.green("result: clean") << "\n";
  else if (r["result"] == "unverified") o << p.yellow("result: unverified: " + unverified_reason(r)) << "\n";
  else {
    if (r.contains("interrupted")) o << p.yellow("warning: " + interrupted_text(r) + "; there may be more findings") << "\n";
    if (unreadable_count(r) > 0) o << p.yellow("warning: " + unreadable_text(r) + "; there may be more findings") << "\n";
    o << p.red("result: findings:");
    for (auto& n : r["failed_on"]) o << " " << n.get<std::string>();
    o << "\n";
  }
  return o.str();
}

std::string render_markdown(const json& r, size_t top) {
  std::ostringstream o;
  o << "## Message store audit\n\n";
  o << "- Inputs:";
  for (auto& in : r["inputs"])
    o << " `" << in["name"].get<std::string>() << "` ("
      << (in.value("not_read", false) ? std::string("not read") : in["format"].get<std::string>()) << ", " << in["rows"]
      << " rows)";
  o << "\n- Rows: " << r["rows"] << ", malformed: " << r["malformed"]["count"] << "\n";
  if (r.contains("interrupted")) o << "- Interrupted: " << interrupted_text(r) << "\n";
  for (const auto& in : r["inputs"])
    if (in.contains("capture")) o << "- Capture " << capture_summary(in) << "\n";
  o << "- Scope: `" << r["options"]["scope"].get<std::string>() << "`, window " << r["options"]["window_s"] << "s\n";
  if (unreadable_count(r) > 0) {
    o << "- Unreadable: " << unreadable_text(r) << ":";
    const auto lines = unreadable_by_input(r);
    for (size_t i = 0; i < lines.size(); ++i) o << (i ? "; " : " ") << "`" << lines[i] << "`";
    o << "\n";
  }
  o << "- Result: **" << r["result"].get<std::string>() << "**";
  if (!r["failed_on"].empty()) {
    o << " (";
    for (size_t i = 0; i < r["failed_on"].size(); ++i) o << (i ? ", " : "") << r["failed_on"][i].get<std::string>();
    o << ")";
  }
  if (r["result"] == "unverified") o << ": " << unverified_reason(r);
  else if (!r["failed_on"].empty() && (unreadable_count(r) > 0 || r.contains("interrupted")))
    o << "; there may be more findings";
  o << "\n\n| Finding | Count | Channels | Senders | First | Last |\n|---|---:|---:|---:|---|---|\n";
  for (const char* name : kFindingNames) {
    const json& f = r["findings"][name];
    o << "| " << name << " | " << f["count"] << " | " << f["affected_channels"] << " | " << f["affected_senders"]
      << " | " << iso_time(f["first_time"]) << " | " << iso_time(f["last_time"]) << " |\n";
  }
  for (const char* name : kFindingNames) {
    const json& items = r["findings"][name]["items"];
    if (items.empty()) continue;
    const size_t listed = top ? std::min(top, items.size()) : items.size();
    o << "\n### " << name << " (" << listed << " of " << items.size() << ")\n\n";
    o << "_" << finding_explanation(name) << "._\n\n";
    for (size_t i = 0; i < listed; ++i) {
      o << "- " << item_title(name, items[i]) << "\n";
      const json& msgs = items[i]["messages"];
      const size_t shown = top ? std::min(kMessagesShown, msgs.size()) : msgs.size();
      for (size_t k = 0; k < shown; ++k) o << "  - `" << message_line(msgs[k]) << "`\n";
      if (shown < msgs.size()) o << "  - ... " << cut_note(shown, msgs.size(), "messages") << "\n";
    }
    if (listed < items.size()) o << "\n_" << cut_note(listed, items.size(), "items") << "._\n";
  }
  if (!r["malformed"]["examples"].empty()) {
    o << "\n### Malformed input\n\n";
    for (const auto& m : r["malformed"]["examples"])
      o << "- `" << where(m) << "`: " << m["message"].get<std::string>() << "\n";
  }
  if (unreadable_count(r) > 0 && r["unreadable"].value("skipped", uint64_t(0)) > 0) {
    o << "\n### Skipped records\n\n";
    for (const auto& m : r["unreadable"]["examples"])
      if (m["kind"] == "skipped")
        o << "- `" << m["location"].get<std::string>() << "`: " << m["message"].get<std::string>() << "\n";
  }
  return o.str();
}

}  // namespace wkit::audit
