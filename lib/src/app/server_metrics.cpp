// GET /metrics: the server's counters in the Prometheus text format
// (version 0.0.4), docs/serve.md "Metrics".
#include <optional>
#include <sstream>

#include "wkit/app/http_api.hpp"

namespace wkit::app {

namespace {

struct Metric {
  const char* name;
  const char* type;
  const char* help;
  std::vector<std::pair<std::string, uint64_t>> values;  // label text ("" = none) -> value
  std::optional<store::CommitLatency::Snapshot> histogram;  // type "histogram" instead of values
};

std::string bound_text(double b) {
  std::ostringstream o;
  o << b;
  return o.str();
}

std::vector<Metric> collect(const ServerHub& hub, const ServerView& view) {
  const HubStats& s = hub.stats();
  std::vector<Metric> m;
  Metric conns{"wkit_connections", "gauge", "Open client connections by transport.", {}};
  for (const auto& [transport, n] : view.connections_by_transport())
    conns.values.emplace_back("transport=\"" + transport + "\"", n);
  m.push_back(std::move(conns));
  Metric protos{"wkit_connections_by_protocol", "gauge", "Open client connections by protocol.", {}};
  for (const auto& [protocol, n] : view.connections_by_protocol())
    protos.values.emplace_back("protocol=\"" + protocol + "\"", n);
  m.push_back(std::move(protos));
  auto one = [&](const char* name, const char* type, const char* help, uint64_t v) {
    m.push_back({name, type, help, {{"", v}}});
  };
  one("wkit_connections_accepted_total", "counter", "WKProto connections accepted since start.", s.connections);
  one("wkit_sends_total", "counter", "SENDs received, HTTP API sends included.", s.sends);
  one("wkit_messages_stored_total", "counter", "Messages committed to the store since start.", s.stored);
  one("wkit_stored_messages", "gauge", "Messages in the store.", view.stored_messages());
  one("wkit_dedup_hits_total", "counter", "Resends answered with the message_id of the first copy.", s.dedup_hits);
  one("wkit_dedup_conflicts_total", "counter", "Resends of a client_msg_no with another payload (reason 15).",
      s.dedup_conflicts);
  one("wkit_dedup_disk_lookups_total", "counter", "Idempotency keys looked up in the on-disk index.",
      s.dedup_disk_lookups);
  one("wkit_dedup_disk_hits_total", "counter", "On-disk index lookups that found the key.", s.dedup_disk_hits);
  one("wkit_recvs_total", "counter", "RECVs sent (first deliveries).", s.delivered);
  one("wkit_redeliveries_total", "counter", "RECVs sent again for want of a RECVACK.", s.redelivered);
  one("wkit_recvacks_total", "counter", "RECVACKs received.", s.recvacks);
  one("wkit_slow_consumer_disconnects_total", "counter", "Connections cut over --max-outbound or --write-timeout.",
      s.slow_consumers);
  one("wkit_store_failures_total", "counter", "Store writes that failed (answered with reason 15).", s.store_failures);
  one("wkit_offline_pages_total", "counter", "Pages of pending messages loaded for a connection.", s.pages);
  one("wkit_queued_outbound_bytes", "gauge", "Bytes queued for connections and not yet written.",
      view.queued_outbound_bytes());
  one("wkit_inflight_store_writes", "gauge", "Messages handed to the store and not yet committed.", hub.inflight());
  one("wkit_http_requests_total", "counter", "HTTP API requests answered.", view.http_requests());
  m.push_back({"wkit_store_commit_seconds", "histogram",
               "Time the store thread took to apply and commit one transaction (group commit).",
               {},
               view.commit_latency()});
  return m;
}

}  // namespace

std::string metrics_text(const ServerHub& hub, const ServerView& view) {
  std::ostringstream out;
  for (const auto& m : collect(hub, view)) {
    out << "# HELP " << m.name << ' ' << m.help << "\n# TYPE " << m.name << ' ' << m.type << '\n';
    if (m.histogram) {
      const auto& h = *m.histogram;
      uint64_t cumulative = 0;
      for (size_t i = 0; i < h.buckets.size(); ++i) {
        cumulative += h.buckets[i];
        const std::string le = i < store::CommitLatency::kBounds.size() ? bound_text(store::CommitLatency::kBounds[i]) : "+Inf";
        out << m.name << "_bucket{le=\"" << le << "\"} " << cumulative << '\n';
      }
      out << m.name << "_sum " << h.sum_seconds << '\n' << m.name << "_count " << h.count << '\n';
    }
    for (const auto& [labels, v] : m.values) {
      out << m.name;
      if (!labels.empty()) out << '{' << labels << '}';
      out << ' ' << v << '\n';
    }
  }
  return out.str();
}

nlohmann::json metrics_json(const ServerHub& hub, const ServerView& view) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& m : collect(hub, view)) {
    std::string name = m.name;
    name.erase(0, 5);  // "wkit_"
    if (m.histogram) {
      nlohmann::json buckets = nlohmann::json::object();
      for (size_t i = 0; i < m.histogram->buckets.size(); ++i)
        buckets[i < store::CommitLatency::kBounds.size() ? bound_text(store::CommitLatency::kBounds[i]) : "+Inf"] =
            m.histogram->buckets[i];
      j[name] = {{"count", m.histogram->count}, {"sum_seconds", m.histogram->sum_seconds}, {"buckets", buckets}};
      continue;
    }
    if (m.values.size() == 1 && m.values[0].first.empty()) {
      j[name] = m.values[0].second;
      continue;
    }
    for (const auto& [labels, v] : m.values) {  // transport="tcp" -> {"tcp": n}
      auto q = labels.find('"');
      j[name][labels.substr(q + 1, labels.size() - q - 2)] = v;
    }
  }
  return j;
}

net::HttpResponse HttpApi::metrics() const {
  return {200, metrics_text(hub_, view_), "text/plain; version=0.0.4; charset=utf-8"};
}

}  // namespace wkit::app
