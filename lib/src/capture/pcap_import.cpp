#include "wkit/capture/pcap_import.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>

#include "wkit/capture/pcap_records.hpp"
#include "wkit/capture/tcp_reassembly.hpp"
#include "wkit/capture/ws_deframer.hpp"
#include "wkit/proto/codec.hpp"
#include "wkit/proto/jsonrpc.hpp"

namespace wkit::capture {

namespace {

namespace jsonrpc = proto::jsonrpc;


uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

struct Endpoint {
  std::string ip;  // 4 or 16 raw bytes
  uint16_t port = 0;
  bool operator<(const Endpoint& o) const { return std::tie(ip, port) < std::tie(o.ip, o.port); }
  bool operator==(const Endpoint& o) const { return ip == o.ip && port == o.port; }
  std::string to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(ip.size() == 4 ? AF_INET : AF_INET6, ip.data(), buf, sizeof buf);
    return ip.size() == 4 ? std::string(buf) + ":" + std::to_string(port)
                          : "[" + std::string(buf) + "]:" + std::to_string(port);
  }
};

struct Segment {
  Endpoint src, dst;
  uint32_t seq = 0;
  bool syn = false, ack = false, fin = false, rst = false;
  std::string_view payload;
};

// Link, IP and TCP headers -> a segment. false for anything else.
class PacketParser {
 public:
  explicit PacketParser(int dlt) : dlt_(dlt) {}
  bool supported() const {
    switch (dlt_) {
      case DLT_EN10MB: case DLT_NULL: case DLT_LOOP: case DLT_RAW: case DLT_LINUX_SLL:
      case DLT_LINUX_SLL2: case DLT_IPV4: case DLT_IPV6:
        return true;
      default:
        return dlt_ == 101;  // LINKTYPE_RAW on systems where DLT_RAW is 12 or 14
    }
  }

  bool parse(const uint8_t* p, size_t n, Segment& out) const {
    size_t off = 0;
    int l3 = 0;  // 4, 6 or 0 = look at the version nibble
    switch (dlt_) {
      case DLT_EN10MB: {
        if (n < 14) return false;
        uint16_t et = be16(p + 12);
        off = 14;
        while ((et == 0x8100 || et == 0x88A8) && n >= off + 4) {  // VLAN tags
          et = be16(p + off + 2);
          off += 4;
        }
        if (et == 0x0800) l3 = 4;
        else if (et == 0x86DD) l3 = 6;
        else return false;
        break;
      }
      case DLT_NULL: case DLT_LOOP: off = 4; break;  // the family: read the IP version instead
      case DLT_LINUX_SLL: {
        if (n < 16) return false;
        uint16_t et = be16(p + 14);
        if (et != 0x0800 && et != 0x86DD) return false;
        off = 16;
        break;
      }
      case DLT_LINUX_SLL2: {
        if (n < 20) return false;
        uint16_t et = be16(p);
        if (et != 0x0800 && et != 0x86DD) return false;
        off = 20;
        break;
      }
      default: off = 0; break;
    }
    if (n <= off) return false;
    p += off;
    n -= off;
    int ver = p[0] >> 4;
    if (l3 && ver != l3) return false;
    size_t tcp_off = 0, ip_end = n;
    if (ver == 4) {
      if (n < 20) return false;
      size_t ihl = (p[0] & 0x0F) * 4u;
      size_t total = be16(p + 2);
      if (ihl < 20 || total < ihl || n < ihl) return false;
      if (p[9] != 6) return false;                    // not TCP
      if ((be16(p + 6) & 0x3FFF) != 0) return false;  // a fragment (MF or offset)
      out.src.ip.assign(reinterpret_cast<const char*>(p + 12), 4);
      out.dst.ip.assign(reinterpret_cast<const char*>(p + 16), 4);
      tcp_off = ihl;
      ip_end = std::min(n, total);  // drop link-layer padding
    } else if (ver == 6) {
      if (n < 40) return false;
      if (p[6] != 6) return false;  // extension headers are not followed
      out.src.ip.assign(reinterpret_cast<const char*>(p + 8), 16);
      out.dst.ip.assign(reinterpret_cast<const char*>(p + 24), 16);
      tcp_off = 40;
      ip_end = std::min(n, 40 + size_t{be16(p + 4)});
    } else {
      return false;
    }
    if (ip_end < tcp_off + 20) return false;
    const uint8_t* t = p + tcp_off;
    size_t doff = (t[12] >> 4) * 4u;
    if (doff < 20 || tcp_off + doff > ip_end) return false;
    out.src.port = be16(t);
    out.dst.port = be16(t + 2);
    out.seq = be32(t + 4);
    uint8_t flags = t[13];
    out.fin = flags & 0x01;
    out.syn = flags & 0x02;
    out.rst = flags & 0x04;
    out.ack = flags & 0x10;
    out.payload = std::string_view(reinterpret_cast<const char*>(t + doff), ip_end - tcp_off - doff);
    return true;
  }

 private:
  int dlt_;
};

std::string link_type_name(int dlt) {
  const char* name = pcap_datalink_val_to_name(dlt);
  return name ? name : "DLT_" + std::to_string(dlt);
}

// A TLS record header of a handshake (content type 22, version 3.x): a
// client opening TLS. A WKProto CONNECT could start with 0x16, but its
// remaining length is never 3 (the body has uid, token, key...), and no HTTP
// upgrade starts with it.
bool starts_tls_handshake(std::string_view first) {
  return first.size() >= 3 && first[0] == 0x16 && first[1] == 0x03 && static_cast<unsigned char>(first[2]) <= 0x04;
}

class Importer {
 public:
  Importer(const ImportOptions& opts, const RecordSink& sink, ImportStats& stats)
      : opts_(opts), sink_(sink), stats_(stats) {}

  Status on_packet(int64_t ts, const Segment& s) {
    ++stats_.tcp_segments;
    if (opts_.port && s.src.port != *opts_.port && s.dst.port != *opts_.port) return std::nullopt;
    bool forward = s.src < s.dst || s.src == s.dst;
    Key key{forward ? s.src : s.dst, forward ? s.dst : s.src};
    auto it = conns_.find(key);
    if (it != conns_.end() && s.syn && !s.ack && it->second->finished_or_used()) {
      // The same address pair reused for a new connection.
      if (auto err = finish(*it->second, "fin")) return err;
      conns_.erase(it);
      it = conns_.end();
    }
    if (it == conns_.end()) {
      if (s.rst || (s.fin && s.payload.empty()) || (!s.syn && s.payload.empty()))
        return std::nullopt;  // the tail of a connection that started before the capture
      auto c = std::make_unique<Conn>();
      c->order = next_order_++;
      if (s.syn) {
        c->client = s.ack ? s.dst : s.src;  // SYN from the client, SYN+ACK from the server
        c->server = s.ack ? s.src : s.dst;
      } else {
        // No handshake captured: the --port side, else the lower port, is the server.
        bool dst_is_server = opts_.port ? s.dst.port == *opts_.port : s.dst.port < s.src.port;
        c->server = dst_is_server ? s.dst : s.src;
        c->client = dst_is_server ? s.src : s.dst;
        c->info.set_direction_inferred(true);
      }
      it = conns_.emplace(key, std::move(c)).first;
    }
    Conn& c = *it->second;
    if (c.finished) return std::nullopt;
    int d = s.src == c.client ? 0 : 1;
    Side& side = c.side[d];
    if (s.syn) side.tcp.on_syn(s.seq);
    if (!s.payload.empty()) {
      side.tcp.on_segment(s.syn ? s.seq + 1 : s.seq, s.payload, ts);
      if (auto err = pump(c)) return err;
      if (side.tcp.buffered_bytes() > opts_.max_buffered_bytes)
        if (auto err = skip_gaps(c, d)) return err;
    }
    c.last_ts = ts;
    if (s.fin) side.fin = true;
    if (s.rst) return finish_conn(it, "rst");
    if (c.side[0].fin && c.side[1].fin && !c.side[0].tcp.buffered_bytes() && !c.side[1].tcp.buffered_bytes())
      return finish_conn(it, "fin");
    return std::nullopt;
  }

  Status finish_all() {
    // Connections in the order they started, so ids follow capture order.
    std::vector<Conn*> order;
    for (auto& [k, c] : conns_) order.push_back(c.get());
    std::sort(order.begin(), order.end(), [](Conn* a, Conn* b) { return a->order < b->order; });
    for (Conn* c : order)
      if (auto err = finish(*c, "capture end")) return err;
    conns_.clear();
    return std::nullopt;
  }

 private:
  struct Side {
    TcpDirection tcp;
    std::string buf;        // reassembled bytes not yet decoded
    uint64_t buf_offset = 0;  // stream offset of buf[0] (WebSocket: in the message stream)
    bool fin = false;
    bool broken = false;    // after a gap or a decode error nothing more is decoded
    uint64_t undecoded_from = 0, undecoded = 0;
    // Before the transport is known (the first client bytes decide): TCP bytes held back.
    std::string hold;
    uint64_t hold_offset = 0;
    // WebSocket: the HTTP upgrade, then the frame layer; ws_error waits until
    // the frames before it are decoded.
    std::unique_ptr<WsHandshake> hs;
    std::unique_ptr<WsDeframer> ws;
    std::optional<Error> ws_error;
    uint64_t ws_error_end = 0;  // TCP stream offset after the bytes fed with the error
    bool undecoded_in_messages = false;  // WebSocket: `undecoded` counts message bytes
  };
  enum class Transport { undecided, tcp, ws };
  struct Conn {
    uint64_t order = 0;
    uint64_t id = 0;  // assigned once it is known to be WKProto
    Endpoint client, server;
    enum class State { undecided, wkproto, skipped } state = State::undecided;
    bool connect_seen = false, connack_seen = false, finished = false;
    Transport transport = Transport::undecided;
    // The dialect, decided by the first non-blank client byte ('{' or '[': JSON-RPC).
    enum class Dialect { undecided, wkproto, jsonrpc } dialect = Dialect::undecided;
    int version = 6;
    pb::Connection info;
    Side side[2];  // 0 = client to server, 1 = server to client
    int64_t last_ts = 0;
    bool finished_or_used() const {
      return finished || side[0].tcp.delivered() > 0 || side[1].tcp.delivered() > 0;
    }
  };
  using Key = std::pair<Endpoint, Endpoint>;

  Status emit(Conn& c, int64_t ts, int d) {
    rec_.set_timestamp_ns(ts);
    rec_.set_connection_id(c.id);
    rec_.set_direction(d < 0 ? pb::DIRECTION_UNSPECIFIED : d == 0 ? pb::CLIENT_TO_SERVER : pb::SERVER_TO_CLIENT);
    if (rec_.has_frame()) ++stats_.frames;
    return sink_(rec_);
  }

  Status emit_anomaly(Conn& c, int64_t ts, int d, pb::Anomaly::Kind kind, uint64_t off, uint64_t len,
                      std::string msg) {
    auto* a = rec_.mutable_anomaly();
    a->set_kind(kind);
    a->set_stream_offset(off);
    a->set_length(len);
    a->set_message(std::move(msg));
    return emit(c, ts, d);
  }

  Status accept(Conn& c, int64_t ts) {
    c.state = Conn::State::wkproto;
    c.id = ++stats_.connections;
    c.info.set_client_address(c.client.to_string());
    c.info.set_server_address(c.server.to_string());
    c.info.set_transport(c.transport == Transport::ws ? "ws" : "tcp");
    *rec_.mutable_connection() = c.info;
    return emit(c, ts, -1);
  }

  // A connection not yet known to be one we read is decided by its first
  // message: a connect from the client makes it one; anything else leaves it
  // out, unless the user named the port (then it is kept, with a NOT_WKPROTO
  // anomaly saying why: `client_why` or `server_why` by who spoke first).
  enum class Decided { left_out, kept, failed };
  Decided decide(Conn& c, Side& s, int d, int64_t ts, uint64_t off, bool is_connect, const char* client_why,
                 const char* server_why, Status& result) {
    if (!is_connect && !opts_.port) {
      skip(c);
      s.buf.clear();
      return Decided::left_out;
    }
    if ((result = accept(c, ts))) return Decided::failed;
    if (!is_connect &&
        (result = emit_anomaly(c, ts, d, pb::Anomaly::NOT_WKPROTO, off, 0, d == 0 ? client_why : server_why)))
      return Decided::failed;
    return Decided::kept;
  }

  // Decodes what each side has; the server side waits for the CONNECT (its
  // version), the client side after CONNECT waits for the CONNACK.
  Status pump(Conn& c, bool at_end = false) {
    for (bool progress = true; progress;) {
      progress = false;
      for (int d = 0; d < 2; ++d) {
        Side& s = c.side[d];
        if (auto err = take_ready(c, d, at_end)) return err;
        if (c.state == Conn::State::skipped) {
          s.buf.clear();
          continue;
        }
        bool wait = d == 1 ? !c.connect_seen : (c.connect_seen && !c.connack_seen);
        if (wait && !at_end) continue;
        size_t before = s.buf.size();
        if (auto err = decode_side(c, d, at_end)) return err;
        if (s.buf.size() != before) progress = true;
      }
    }
    for (int d = 0; d < 2; ++d) {
      Side& s = c.side[d];
      bool wait = d == 1 ? !c.connect_seen : (c.connect_seen && !c.connack_seen);
      if (s.ws_error && (!wait || at_end))
        if (auto err = report_ws_error(c, d)) return err;
    }
    return std::nullopt;
  }

  // Newly reassembled TCP bytes of side d go to its frame buffer, through the
  // WebSocket layer on a WebSocket connection. The first client bytes decide
  // which (an HTTP GET); until then both sides' bytes are held.
  Status take_ready(Conn& c, int d, bool at_end) {
    Side& s = c.side[d];
    if (c.transport == Transport::tcp && !s.broken && s.hold.empty()) {
      // The common case, as before WebSocket support: straight to the frame buffer.
      if (!s.tcp.ready().empty()) {
        if (s.buf.empty()) s.buf_offset = s.tcp.ready_offset();
        s.buf.append(s.tcp.ready());
        s.tcp.clear_ready();
      }
      return std::nullopt;
    }
    if (!s.tcp.ready().empty()) {
      if (s.broken && s.undecoded_in_messages) {
        // After a WKProto error on a WebSocket connection the undecoded
        // count stays in message bytes, like its offset.
        if (!s.ws->error()) {
          scratch_.clear();
          (void)s.ws->feed(s.tcp.ready(), scratch_);
          s.undecoded += scratch_.size();
        }
      } else if (s.broken) {
        s.undecoded += s.tcp.ready().size();
      } else {
        if (s.hold.empty()) s.hold_offset = s.tcp.ready_offset();
        s.hold.append(s.tcp.ready());
      }
      s.tcp.clear_ready();
    }
    if (c.transport == Transport::undecided) {
      if (!decide_transport(c, at_end)) return std::nullopt;
      if (auto err = unwrap(c, 1 - d)) return err;
    }
    return unwrap(c, d);
  }

  bool decide_transport(Conn& c, bool force) {
    const std::string& first = c.side[0].hold;
    if (!force && first.size() < 4 && (first.empty() || std::string_view("GET ").starts_with(first))) return false;
    if (starts_tls_handshake(first)) {
      c.transport = Transport::tcp;
      if (!stats_.tls_connections++) stats_.first_tls_server = c.server.to_string();
      skip(c);
      return true;
    }
    c.transport = WsHandshake::looks_like_request(first) ? Transport::ws : Transport::tcp;
    if (c.transport == Transport::ws)
      for (int k = 0; k < 2; ++k)
        c.side[k].hs = std::make_unique<WsHandshake>(k == 0 ? WsHandshake::Side::request : WsHandshake::Side::response);
    return true;
  }

  Status unwrap(Conn& c, int d) {
    Side& s = c.side[d];
    if (s.hold.empty() || s.broken) return std::nullopt;
    std::string_view bytes = s.hold;
    uint64_t offset = s.hold_offset;
    Status result;
    if (c.transport == Transport::tcp) {
      if (s.buf.empty()) s.buf_offset = offset;
      s.buf.append(bytes);
    } else {
      if (!s.hs->done()) {
        auto used = s.hs->feed(bytes);
        if (!used) {
          s.ws_error = used.error();
          s.ws_error_end = offset + bytes.size();
        } else {
          bytes.remove_prefix(*used);
          offset += *used;
          if (s.hs->done() && !s.hs->upgrade()) {
            result = ws_not_upgraded(c, d, offset + bytes.size());
            s.hold.clear();
            return result;
          }
          if (s.hs->done()) s.ws = std::make_unique<WsDeframer>(d == 0, offset);
        }
      }
      if (s.ws && !bytes.empty() && !s.ws_error) {
        if (s.buf.empty()) s.buf_offset = s.ws->payload_bytes();
        if (auto err = s.ws->feed(bytes, s.buf)) {
          s.ws_error = *err;
          s.ws_error_end = offset + bytes.size();
        }
      }
    }
    s.hold.clear();
    return result;
  }

  // An HTTP exchange that is not a WebSocket upgrade (or a refused one).
  Status ws_not_upgraded(Conn& c, int d, uint64_t end) {
    std::string why = d == 0 ? "an HTTP request that is not a WebSocket upgrade"
                             : "WebSocket upgrade refused: HTTP " + std::to_string(c.side[1].hs->status());
    for (auto& side : c.side) {
      side.broken = true;
      side.buf.clear();
    }
    if (c.state == Conn::State::undecided && !opts_.port) {
      skip(c);
      return std::nullopt;
    }
    if (c.state == Conn::State::undecided)
      if (auto err = accept(c, c.last_ts)) return err;
    c.side[d].undecoded_from = end;
    return emit_anomaly(c, c.last_ts, d, pb::Anomaly::NOT_WKPROTO, 0, end, why);
  }

  // The WebSocket layer failed: the frames before it have been decoded; the
  // rest of that direction is reported, not guessed.
  // An undecided connection (no --port given) that turns out not to carry
  // WKProto is left out of the capture.
  void skip(Conn& c) {
    c.state = Conn::State::skipped;
    ++stats_.skipped_connections;
  }

  Status report_ws_error(Conn& c, int d) {
    Side& s = c.side[d];
    Error e = std::move(*s.ws_error);
    s.ws_error.reset();
    s.broken = true;
    uint64_t at = e.offset.value_or(0);
    s.undecoded_from = at;
    s.undecoded = s.ws_error_end > at ? s.ws_error_end - at : 0;
    if (c.state == Conn::State::undecided) {
      if (!opts_.port) {
        skip(c);
        s.buf.clear();
        return std::nullopt;
      }
      if (auto err = accept(c, c.last_ts)) return err;
    }
    ++stats_.decode_errors;
    if (auto err = emit_anomaly(c, c.last_ts, d, pb::Anomaly::DECODE_ERROR, at, 0, e.message)) return err;
    if (!s.buf.empty()) {
      auto err = emit_anomaly(c, c.last_ts, d, pb::Anomaly::TRUNCATED, s.buf_offset, s.buf.size(),
                              "WebSocket message stream stops inside a frame (" + std::to_string(s.buf.size()) +
                                  " bytes) at the WebSocket error");
      s.buf.clear();
      if (err) return err;
    }
    return std::nullopt;
  }

  // Whether the connection speaks JSON-RPC: its first non-blank client byte
  // is '{' or '['. Undecided while the client sent only blanks.
  Conn::Dialect decide_dialect(Conn& c, bool at_end) {
    if (c.dialect != Conn::Dialect::undecided) return c.dialect;
    const std::string& first = c.side[0].buf;
    const size_t at = first.find_first_not_of(jsonrpc::kBlank);
    if (at == std::string::npos) return at_end ? Conn::Dialect::wkproto : Conn::Dialect::undecided;
    c.dialect = first[at] == '{' || first[at] == '[' ? Conn::Dialect::jsonrpc : Conn::Dialect::wkproto;
    if (c.dialect == Conn::Dialect::jsonrpc) c.info.set_dialect(pb::DIALECT_JSONRPC);
    return c.dialect;
  }

  // JSON-RPC (docs/capture.md): each object of the message stream is one
  // frame record (its exact text); one that is not valid JSON-RPC is a
  // DECODE_ERROR anomaly and the objects after it are still read (object
  // boundaries do not depend on the content).
  Status decode_side_jsonrpc(Conn& c, int d, bool at_end) {
    Side& s = c.side[d];
    size_t pos = 0;
    int64_t ts = s.tcp.ready_ts_ns() ? s.tcp.ready_ts_ns() : c.last_ts;
    Status result;
    jsonrpc::DecodeOptions opts;
    opts.lenient = true;  // every generation's payload and recvack forms
    while (!s.broken) {
      const size_t start = s.buf.find_first_not_of(jsonrpc::kBlank, pos);
      if (start == std::string::npos) {
        pos = s.buf.size();
        break;
      }
      const std::string_view rest(s.buf.data() + start, s.buf.size() - start);
      const uint64_t off = s.buf_offset + start;
      size_t len = jsonrpc::value_length(rest);
      if (len == std::string_view::npos) {
        pos = start;
        if (rest.size() > jsonrpc::kMaxMessageBytes) {
          ++stats_.decode_errors;
          s.broken = true;
          s.undecoded_from = off;
          s.undecoded = rest.size();
          s.undecoded_in_messages = c.transport == Transport::ws;
          pos = s.buf.size();
          if ((result = emit_anomaly(c, ts, d, pb::Anomaly::DECODE_ERROR, off, 0,
                                     "a JSON-RPC object over " + std::to_string(jsonrpc::kMaxMessageBytes) + " bytes")))
            return result;
        }
        break;
      }
      const bool object = len != 0;
      if (!object) {
        len = rest.find('{', 1);
        if (len == std::string_view::npos) len = rest.size();
      }
      const std::string_view text = rest.substr(0, len);
      Status err = object ? jsonrpc::decode(text, rpc_msg_, rpc_scratch_, opts)
                          : Status(Error::input("not a JSON object: " + std::to_string(len) + " bytes skipped"));
      if (c.state == Conn::State::undecided) {
        const bool is_connect = !err && d == 0 && rpc_msg_.kind == jsonrpc::Kind::request &&
                                rpc_msg_.method == jsonrpc::Method::connect;
        switch (decide(c, s, d, ts, off, is_connect,
                       "first client message is not a JSON-RPC connect (capture started mid-connection?)",
                       "server messages before any client data", result)) {
          case Decided::left_out: return std::nullopt;
          case Decided::failed: return result;
          case Decided::kept: break;
        }
      }
      pos = start + len;
      if (err) {
        ++stats_.decode_errors;
        if ((result = emit_anomaly(c, ts, d, pb::Anomaly::DECODE_ERROR, off, len, err->describe()))) return result;
        continue;
      }
      bool connack = false;
      if ((result = on_jsonrpc_object(c, d, text, off, ts, connack))) return result;
      if (d == 0 && c.connect_seen && !c.connack_seen && !at_end) break;  // the client side waits for the CONNACK
      if (connack && !at_end) break;
    }
    s.buf.erase(0, pos);
    s.buf_offset += pos;
    return std::nullopt;
  }

  Status on_jsonrpc_object(Conn& c, int d, std::string_view text, uint64_t off, int64_t ts, bool& connack) {
    const proto::Frame* f = rpc_msg_.has_frame ? &rpc_msg_.frame : nullptr;
    const auto type = f ? proto::type_of(*f) : proto::FrameType{};
    bool info_changed = false;
    if (f && type == proto::FrameType::connect && d == 0 && !c.connect_seen) {
      const auto& x = std::get<proto::Connect>(*f);
      c.connect_seen = true;
      c.info.set_uid(std::string(x.uid));
      c.info.set_device_flag(x.device_flag);
      c.info.set_device_id(std::string(x.device_id));
      if (x.version) c.info.set_protocol_version(x.version);
      info_changed = true;
    } else if (d == 1 && !c.connack_seen && rpc_msg_.kind == jsonrpc::Kind::response) {
      // The first response is the connect's (nothing else may come before it).
      c.connack_seen = true;
      connack = true;
      if (const auto* x = f ? std::get_if<proto::Connack>(f) : nullptr; x && x->has_server_version) {
        c.info.set_protocol_version(x->server_version);
        info_changed = true;
      }
    }
    auto* fr = rec_.mutable_frame();
    fr->set_wire(text.data(), text.size());
    fr->set_stream_offset(off);
    fr->set_protocol_version(0);
    fr->set_dialect(pb::DIALECT_JSONRPC);
    fr->clear_plaintext();
    fr->clear_fault();
    fr->set_payload_state(type == proto::FrameType::send || type == proto::FrameType::recv ? pb::PAYLOAD_CLEAR
                                                                                          : pb::PAYLOAD_NONE);
    if (auto err = emit(c, ts, d)) return err;
    if (info_changed) {
      *rec_.mutable_connection() = c.info;
      return emit(c, ts, -1);
    }
    return std::nullopt;
  }

  Status decode_side(Conn& c, int d, bool at_end) {
    switch (decide_dialect(c, at_end)) {
      case Conn::Dialect::undecided: return std::nullopt;  // only blanks from the client so far
      case Conn::Dialect::jsonrpc: return decode_side_jsonrpc(c, d, at_end);
      case Conn::Dialect::wkproto: break;
    }
    Side& s = c.side[d];
    size_t pos = 0;
    int64_t ts = s.tcp.ready_ts_ns() ? s.tcp.ready_ts_ns() : c.last_ts;
    Status result;
    while (!s.broken && pos < s.buf.size()) {
      std::string_view in(s.buf.data() + pos, s.buf.size() - pos);
      uint64_t off = s.buf_offset + pos;
      auto r = proto::decode_frame(in, c.version);
      if (r.status == proto::DecodeStatus::incomplete) break;
      if (c.state == Conn::State::undecided) {
        bool is_connect = r.status == proto::DecodeStatus::ok && d == 0 &&
                          proto::type_of(r.frame) == proto::FrameType::connect;
        switch (decide(c, s, d, ts, off, is_connect,
                       "first client bytes are not a CONNECT (capture started mid-connection?)",
                       "server bytes before any client data", result)) {
          case Decided::left_out: return std::nullopt;
          case Decided::failed: return result;
          case Decided::kept: break;
        }
      }
      if (r.status == proto::DecodeStatus::error) {
        ++stats_.decode_errors;
        s.broken = true;
        s.undecoded_from = off;
        s.undecoded = in.size();
        s.undecoded_in_messages = c.transport == Transport::ws && s.ws && !s.ws_error;
        if ((result = emit_anomaly(c, ts, d, pb::Anomaly::DECODE_ERROR, off, 0, r.error.message))) return result;
        pos = s.buf.size();
        break;
      }
      if ((result = on_frame(c, d, r, in.substr(0, r.consumed), off, ts))) return result;
      pos += r.consumed;
      // A version change applies to the bytes after this frame; and after the
      // CONNACK the client side goes first, so that a SEND is emitted before
      // the SENDACK that answers it even when both arrived in one batch.
      if (d == 0 && c.connect_seen && !c.connack_seen && !at_end) break;
      if (d == 1 && proto::type_of(r.frame) == proto::FrameType::connack && !at_end) break;
    }
    s.buf.erase(0, pos);
    s.buf_offset += pos;
    return std::nullopt;
  }

  Status on_frame(Conn& c, int d, const proto::DecodeResult& r, std::string_view wire, uint64_t off, int64_t ts) {
    const proto::Frame& f = r.frame;
    auto type = proto::type_of(f);
    bool info_changed = false;
    if (type == proto::FrameType::connect && d == 0 && !c.connect_seen) {
      const auto& x = std::get<proto::Connect>(f);
      c.connect_seen = true;
      // The 3.x server treats version 0 as 6.
      c.version = x.version == 0 ? proto::kMaxProtoVersion : proto::effective_version(x.version);
      c.info.set_uid(std::string(x.uid));
      c.info.set_device_flag(x.device_flag);
      c.info.set_device_id(std::string(x.device_id));
      c.info.set_protocol_version(c.version);
      info_changed = true;
    } else if (type == proto::FrameType::connack && d == 1 && !c.connack_seen) {
      const auto& x = std::get<proto::Connack>(f);
      c.connack_seen = true;
      if (x.has_server_version) {
        c.version = proto::effective_version(x.server_version);
        c.info.set_protocol_version(c.version);
        info_changed = true;
      }
    }
    auto* fr = rec_.mutable_frame();
    fr->set_wire(wire.data(), wire.size());
    fr->set_stream_offset(off);
    fr->set_protocol_version(c.version);
    fr->clear_plaintext();
    fr->clear_fault();
    pb::PayloadState state = pb::PAYLOAD_NONE;
    if (type == proto::FrameType::send)
      state = std::get<proto::Send>(f).setting.no_encrypt() ? pb::PAYLOAD_CLEAR : pb::PAYLOAD_ENCRYPTED;
    else if (type == proto::FrameType::recv)
      state = std::get<proto::Recv>(f).setting.no_encrypt() ? pb::PAYLOAD_CLEAR : pb::PAYLOAD_ENCRYPTED;
    fr->set_payload_state(state);
    if (auto err = emit(c, ts, d)) return err;
    if (info_changed) {
      *rec_.mutable_connection() = c.info;
      return emit(c, ts, -1);
    }
    return std::nullopt;
  }

  Status skip_gaps(Conn& c, int d) {
    Side& s = c.side[d];
    TcpDirection::Gap gap;
    if (c.transport == Transport::undecided && s.tcp.buffered_bytes()) {
      // A hole before the transport is known: decide on what was captured.
      decide_transport(c, true);
      for (int k = 0; k < 2; ++k)
        if (auto err = unwrap(c, k)) return err;
    }
    while (true) {
      if (auto err = pump(c)) return err;
      if (!s.tcp.ready().empty() || !s.tcp.skip_gap(gap)) break;
      ++stats_.gaps;
      stats_.gap_bytes += gap.length;
      if (c.state == Conn::State::undecided && !opts_.port) {
        skip(c);
      }
      if (c.state == Conn::State::skipped) continue;
      if (c.state == Conn::State::undecided)
        if (auto err = accept(c, s.tcp.ready_ts_ns())) return err;
      if (auto err = emit_anomaly(c, s.tcp.ready_ts_ns(), d, pb::Anomaly::GAP, gap.offset, gap.length,
                                  std::to_string(gap.length) + " bytes never captured"))
        return err;
      if (s.ws_error)
        if (auto err = report_ws_error(c, d)) return err;
      if (!s.broken && c.transport == Transport::ws) {
        // WebSocket frame boundaries are lost too; the message bytes of a
        // WKProto frame in progress are reported at their message offset.
        s.broken = true;
        s.undecoded_from = gap.offset + gap.length;
        s.undecoded = 0;
        if (!s.buf.empty())
          if (auto err = emit_anomaly(c, s.tcp.ready_ts_ns(), d, pb::Anomaly::TRUNCATED, s.buf_offset, s.buf.size(),
                                      "WebSocket message stream stops inside a frame (" +
                                          std::to_string(s.buf.size()) + " bytes) at the gap"))
            return err;
        s.buf.clear();
      } else if (!s.broken) {
        // The frame in progress and everything after the gap cannot be
        // framed reliably: they are reported, not guessed.
        s.broken = true;
        s.undecoded_from = s.buf.empty() ? gap.offset + gap.length : s.buf_offset;
        s.undecoded = s.buf.size();
        s.buf.clear();
      }
    }
    return std::nullopt;
  }

  Status finish(Conn& c, const char* reason) {
    if (c.finished) return std::nullopt;
    for (int d = 0; d < 2; ++d)
      if (auto err = skip_gaps(c, d)) return err;
    if (auto err = pump(c, true)) return err;
    c.finished = true;
    if (c.state == Conn::State::undecided) {
      // Bytes that never made a whole frame: WKProto only if a port says so.
      if (!opts_.port || (c.side[0].buf.empty() && c.side[1].buf.empty())) {
        if (!c.side[0].buf.empty() || !c.side[1].buf.empty()) ++stats_.skipped_connections;
        return std::nullopt;
      }
      if (auto err = accept(c, c.last_ts)) return err;
      if (auto err = emit_anomaly(c, c.last_ts, c.side[0].buf.empty() ? 1 : 0, pb::Anomaly::NOT_WKPROTO, 0, 0,
                                  "the connection never carried a whole frame"))
        return err;
    }
    if (c.state == Conn::State::skipped) return std::nullopt;
    stats_.retransmitted_segments += c.side[0].tcp.retransmitted_segments() + c.side[1].tcp.retransmitted_segments();
    stats_.out_of_order_segments += c.side[0].tcp.out_of_order_segments() + c.side[1].tcp.out_of_order_segments();
    stats_.inconsistent_retransmitted_bytes += c.side[0].tcp.inconsistent_bytes() + c.side[1].tcp.inconsistent_bytes();
    std::string why = reason;
    for (int d = 0; d < 2; ++d) {
      Side& s = c.side[d];
      if (!s.buf.empty())
        if (auto err = emit_anomaly(c, c.last_ts, d, pb::Anomaly::TRUNCATED, s.buf_offset, s.buf.size(),
                                    "stream ends inside a frame (" + std::to_string(s.buf.size()) + " bytes)"))
          return err;
      if (c.transport == Transport::ws && !s.broken) {
        if (s.hs && !s.hs->done() && s.tcp.delivered())
          if (auto err = emit_anomaly(c, c.last_ts, d, pb::Anomaly::TRUNCATED, 0, s.tcp.delivered(),
                                      "stream ends inside the HTTP upgrade"))
            return err;
        if (s.ws && s.ws->mid_frame())
          if (auto err = emit_anomaly(c, c.last_ts, d, pb::Anomaly::TRUNCATED, s.ws->offset(), 0,
                                      "stream ends inside a WebSocket frame (TCP stream byte " +
                                          std::to_string(s.ws->offset()) + ")"))
            return err;
      }
      if (s.ws && s.ws->close()) {
        const auto& cl = *s.ws->close();
        why += std::string("; WebSocket Close from the ") + (d == 0 ? "client" : "server");
        if (cl.code) why += " (" + std::to_string(*cl.code) + (cl.reason.empty() ? "" : " " + cl.reason) + ")";
      }
      if (s.broken && s.undecoded)
        if (auto err = emit_anomaly(c, c.last_ts, d, pb::Anomaly::UNDECODED, s.undecoded_from, s.undecoded,
                                    std::to_string(s.undecoded) + " bytes not decoded after a gap or error"))
          return err;
    }
    rec_.mutable_closed()->set_reason(why);
    return emit(c, c.last_ts, -1);
  }

  Status finish_conn(std::map<Key, std::unique_ptr<Conn>>::iterator it, const char* reason) {
    auto err = finish(*it->second, reason);
    // Keep the finished entry so late ACKs do not open a phantom connection.
    return err;
  }

  const ImportOptions& opts_;
  const RecordSink& sink_;
  ImportStats& stats_;
  std::map<Key, std::unique_ptr<Conn>> conns_;
  uint64_t next_order_ = 0;
  pb::Record rec_;
  std::string scratch_;
  jsonrpc::Message rpc_msg_;
  std::string rpc_scratch_;
};

// Where a record is: the number the packet would have (1-based) and its first byte.
std::string record_at(const ImportStats& stats, int64_t offset) {
  return "packet " + std::to_string(stats.packets + 1) + (offset < 0 ? "" : " at byte " + std::to_string(offset));
}

Result<ImportStats> run(pcap_t* p, const std::string& name, const ImportOptions& opts, const RecordSink& sink,
                        const std::optional<PcapRecords>& records) {
  ImportStats stats;
  int dlt = pcap_datalink(p);
  stats.link_type = link_type_name(dlt);
  PacketParser parser(dlt);
  if (!parser.supported())
    return Error::input(name + ": unsupported link type " + stats.link_type + " (" + std::to_string(dlt) + ")");
  Importer imp(opts, sink, stats);
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  Segment seg;
  // libpcap reads `file` sequentially. Where a record starts is worked out
  // only when one fails: `anchor` is where reading started (or resumed after
  // a skip), `anchor_packets` the packets read before it.
  std::FILE* file = pcap_file(p);
  int64_t anchor = file ? ::ftello(file) : -1;
  uint64_t anchor_packets = 0;
  auto failed_at = [&]() -> int64_t {
    if (!records || anchor < 0) return -1;
    auto at = records->after_packets(uint64_t(anchor), stats.packets - anchor_packets);
    return at ? int64_t(*at) : -1;
  };
  std::optional<int64_t> last_sec;
  while (true) {
    int rc = pcap_next_ex(p, &h, &data);
    if (rc == PCAP_ERROR_BREAK) break;  // end of file
    std::optional<std::string> bad;
    int64_t offset = -1;
    if (rc == PCAP_ERROR) {
      std::string err = pcap_geterr(p);
      offset = failed_at();
      if (offset < 0) {
        stats.file_truncated = "after packet " + std::to_string(stats.packets) + ": " + err;
        break;
      }
      auto why = records->classify(uint64_t(offset), err);
      offset = int64_t(why.offset);
      if (why.cut_off) {
        // tcpdump killed mid-write: keep what was read, say where.
        stats.file_truncated = "at byte " + std::to_string(offset) + ", inside packet " +
                               std::to_string(stats.packets + 1) + ": " + why.what;
        stats.file_truncated_offset = uint64_t(offset);
        break;
      }
      bad = why.what;
    } else if (rc == 1 && h->caplen > h->len) {
      bad = "captured length " + std::to_string(h->caplen) + " is above the packet length " + std::to_string(h->len);
      offset = failed_at();
    }
    if (bad) {
      std::string where = record_at(stats, offset);
      if (!opts.skip_bad)
        return Error::input(name + ": " + where + ": corrupt record: " + *bad + " (--skip-bad skips it)");
      auto next = records && offset >= 0 ? records->resync(uint64_t(offset), last_sec) : std::nullopt;
      if (!next)
        return Error::input(name + ": " + where + ": corrupt record: " + *bad +
                            "; no believable record after it: the import stops");
      ++stats.bad_records;
      stats.bad_bytes += *next - uint64_t(offset);
      if (stats.bad_record_notes.size() < ImportStats::kMaxBadRecordNotes)
        stats.bad_record_notes.push_back(where + ": " + *bad + "; skipped " + std::to_string(*next - uint64_t(offset)) +
                                         " bytes to the next believable record at byte " + std::to_string(*next));
      if (::fseeko(file, off_t(*next), SEEK_SET) != 0) return Error::internal_error(name + ": cannot seek");
      anchor = int64_t(*next);
      anchor_packets = stats.packets;
      continue;
    }
    if (rc != 1) continue;
    ++stats.packets;
    if (opts.progress) {
      opts.progress->packets.store(stats.packets, std::memory_order_relaxed);
      if (file) opts.progress->bytes_read.store(uint64_t(std::max<off_t>(0, ::ftello(file))), std::memory_order_relaxed);
    }
    int64_t ts = int64_t{h->ts.tv_sec} * 1'000'000'000 + h->ts.tv_usec;  // opened with nanosecond precision
    last_sec = h->ts.tv_sec;
    if (!stats.first_ns) stats.first_ns = ts;
    stats.last_ns = std::max(stats.last_ns, ts);
    if (h->caplen < h->len) ++stats.snapped_packets;
    if (!parser.parse(data, h->caplen, seg)) {
      ++stats.skipped_packets;
      continue;
    }
    if (auto err = imp.on_packet(ts, seg)) return *err;
  }
  if (auto err = imp.finish_all()) return *err;
  if (stats.connections == 0 && stats.tls_connections > 0)
    return Error::input(name + ": " + std::to_string(stats.tls_connections) + " TLS connection(s) (first to " +
                        stats.first_tls_server +
                        ") and no WKProto: a capture of wss:// holds only ciphertext; record the plaintext at the "
                        "proxy instead (wkit proxy --listen wss://... --tls-cert F --tls-key F --upstream wss://... "
                        "--capture FILE)");
  return stats;
}

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};

}  // namespace

bool looks_like_pcap(std::string_view b) {
  if (b.size() < 4) return false;
  uint32_t m;
  std::memcpy(&m, b.data(), 4);
  return m == 0xA1B2C3D4 || m == 0xD4C3B2A1 || m == 0xA1B23C4D || m == 0x4D3CB2A1 || m == 0x0A0D0D0A;
}

Result<ImportStats> import_pcap(const std::string& path, const ImportOptions& opts, const RecordSink& sink) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, PcapCloser> p(
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf));
  if (!p) return Error::input("cannot read " + path + " as pcap/pcapng: " + errbuf);
  // A second descriptor for looking at records libpcap could not read.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  std::optional<PcapRecords> records;
  if (fd >= 0)
    records = PcapRecords::open(
        [fd](uint64_t off, char* buf, size_t n) -> size_t {
          ssize_t got = ::pread(fd, buf, n, off_t(off));
          return got > 0 ? size_t(got) : 0;
        },
        [fd]() -> uint64_t {
          struct stat st {};
          return ::fstat(fd, &st) == 0 ? uint64_t(st.st_size) : 0;
        });
  auto result = run(p.get(), path, opts, sink, records);
  if (fd >= 0) ::close(fd);
  return result;
}

Result<ImportStats> import_pcap_memory(std::string_view data, const ImportOptions& opts, const RecordSink& sink) {
  if (data.empty()) return Error::input("empty pcap input", 0);
  std::FILE* f = ::fmemopen(const_cast<char*>(data.data()), data.size(), "rb");
  if (!f) return Error::internal_error("fmemopen failed");
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  // pcap_close() closes f; on failure libpcap leaves f open.
  std::unique_ptr<pcap_t, PcapCloser> p(pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf));
  if (!p) {
    std::fclose(f);
    return Error::input(std::string("not a pcap/pcapng capture: ") + errbuf, 0);
  }
  auto records = PcapRecords::open(
      [data](uint64_t off, char* buf, size_t n) -> size_t {
        if (off >= data.size()) return 0;
        n = std::min<uint64_t>(n, data.size() - off);
        std::memcpy(buf, data.data() + off, n);
        return n;
      },
      [size = data.size()] { return uint64_t(size); });
  return run(p.get(), "pcap input", opts, sink, records);
}

}  // namespace wkit::capture
