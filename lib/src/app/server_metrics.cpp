// GET /metrics: the server's counters in the Prometheus text format
// (version 0.0.4), docs/serve.md "Metrics".
#include <sstream>

#include "wkit/app/http_api.hpp"

namespace wkit::app {

namespace {

class PromText {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  void sample(const char* name, uint64_t value, const std::string& labels = {}) {
    out_ << name;
    if (!labels.empty()) out_ << '{' << labels << '}';
    out_ << ' ' << value << '\n';
  }
  void one(const char* name, const char* type, const char* help, uint64_t value) {
    family(name, type, help);
    sample(name, value);
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

}  // namespace

net::HttpResponse HttpApi::metrics() const {
  const HubStats& s = hub_.stats();
  PromText p;
  p.family("wkit_connections", "gauge", "Open WKProto connections by transport.");
  for (const auto& [transport, n] : view_.connections_by_transport())
    p.sample("wkit_connections", n, "transport=\"" + transport + "\"");
  p.one("wkit_connections_accepted_total", "counter", "WKProto connections accepted since start.", s.connections);
  p.one("wkit_sends_total", "counter", "SENDs received, HTTP API sends included.", s.sends);
  p.one("wkit_messages_stored_total", "counter", "Messages committed to the store since start.", s.stored);
  p.one("wkit_stored_messages", "gauge", "Messages in the store.", view_.stored_messages());
  p.one("wkit_dedup_hits_total", "counter", "Resends answered with the message_id of the first copy.", s.dedup_hits);
  p.one("wkit_dedup_conflicts_total", "counter", "Resends of a client_msg_no with another payload (reason 15).",
        s.dedup_conflicts);
  p.one("wkit_dedup_disk_lookups_total", "counter", "Idempotency keys looked up in the on-disk index.",
        s.dedup_disk_lookups);
  p.one("wkit_dedup_disk_hits_total", "counter", "On-disk index lookups that found the key.", s.dedup_disk_hits);
  p.one("wkit_recvs_total", "counter", "RECVs sent (first deliveries).", s.delivered);
  p.one("wkit_redeliveries_total", "counter", "RECVs sent again for want of a RECVACK.", s.redelivered);
  p.one("wkit_recvacks_total", "counter", "RECVACKs received.", s.recvacks);
  p.one("wkit_slow_consumer_disconnects_total", "counter",
        "Connections cut over --max-outbound or --write-timeout.", s.slow_consumers);
  p.one("wkit_store_failures_total", "counter", "Store writes that failed (answered with reason 15).",
        s.store_failures);
  p.one("wkit_offline_pages_total", "counter", "Pages of pending messages loaded for a connection.", s.pages);
  p.one("wkit_queued_outbound_bytes", "gauge", "Bytes queued for connections and not yet written.",
        view_.queued_outbound_bytes());
  p.one("wkit_inflight_store_writes", "gauge", "Messages handed to the store and not yet committed.",
        hub_.inflight());
  p.one("wkit_http_requests_total", "counter", "HTTP API requests answered.", view_.http_requests());
  return {200, p.text(), "text/plain; version=0.0.4; charset=utf-8"};
}

}  // namespace wkit::app
