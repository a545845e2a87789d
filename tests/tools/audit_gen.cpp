// wkit_audit_gen: writes a message store with planted anomalies and prints
// the truth as JSON (what `wkit audit --check-gaps` must report).
//   wkit_audit_gen FORMAT OUT [--rows N] [--channels N] [--payload-bytes N] [--seed N] [--plants N]
//                  [--malformed N] [--gz|--zst]   (--plants sets every kind, malformed lines too)
//                  [--shape few-large|person|zipf|many-senders] [--users N]
//   --shape picks who writes where (audit_store_gen.hpp); few-large, the default,
//   is the original round robin, byte for byte. person and many-senders take
//   --channels as the number of groups (2000 unless given).
// FORMAT: jsonl json_doc json_array csv sqlite_android sqlite_ios sqlite_server sqlite_wkit
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "audit_store_gen.hpp"

int main(int argc, char** argv) {
  using namespace wkit::audit::gen;
  if (argc < 3) {
    std::cerr << "usage: wkit_audit_gen FORMAT OUT [--rows N] [--channels N] [--payload-bytes N] [--seed N] "
                 "[--plants N] [--malformed N] [--gz|--zst] [--shape few-large|person|zipf|many-senders] [--users N]\n";
    return 2;
  }
  Format f;
  if (!format_from_name(argv[1], f)) {
    std::cerr << "wkit_audit_gen: unknown format " << argv[1] << "\n";
    return 2;
  }
  Plan p;
  std::string out = argv[2];
  int compress = 0;
  bool channels_given = false;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    auto num = [&]() -> uint64_t {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return std::stoull(argv[++i]);
    };
    try {
      if (a == "--rows") p.rows = num();
      else if (a == "--channels") {
        p.channels = static_cast<uint32_t>(num());
        channels_given = true;
      } else if (a == "--users") p.users = static_cast<uint32_t>(num());
      else if (a == "--shape") {
        if (i + 1 >= argc || !shape_from_name(argv[++i], p.shape)) throw std::runtime_error("--shape: few-large, person, zipf or many-senders");
      }
      else if (a == "--payload-bytes") p.payload_bytes = static_cast<uint32_t>(num());
      else if (a == "--seed") p.seed = num();
      else if (a == "--plants") {  // every plant kind N times
        const auto n = static_cast<uint32_t>(num());
        p.dup_cmn = p.collision = p.dup_row = p.seq_conflict = p.gap = p.regenerated = p.absorbed_ios =
            p.absorbed_android = p.missing = p.user_deleted = p.malformed = n;
      } else if (a == "--malformed") p.malformed = static_cast<uint32_t>(num());
      else if (a == "--gz") compress = 1;
      else if (a == "--zst") compress = 2;
      else throw std::runtime_error("unknown option " + a);
    } catch (const std::exception& e) {
      std::cerr << "wkit_audit_gen: " << e.what() << "\n";
      return 2;
    }
  }
  if (!channels_given && (p.shape == Shape::person || p.shape == Shape::many_senders)) p.channels = 2000;
  if (p.channels == 0 || p.users < 2) {
    std::cerr << "wkit_audit_gen: --channels must be > 0 and --users > 1\n";
    return 2;
  }
  try {
    const std::string plain = compress ? out + ".tmp" : out;
    Truth t = generate(p, f, plain);
    if (compress) {
      compress_file(plain, out, compress == 2);
      std::remove(plain.c_str());
    }
    std::printf(
        "{\"rows\":%llu,\"malformed\":%llu,\"summary\":{\"duplicate_client_msg_no\":%llu,\"message_id_collision\":%llu,"
        "\"duplicate_row\":%llu,\"seq_anomaly\":%llu,\"suspected_regenerated_client_msg_no\":%llu,"
        "\"absorbed_duplicate\":%llu,\"missing_client_msg_no\":%llu},\"seq_conflicts\":%llu,\"gaps\":%llu",
        (unsigned long long)t.rows, (unsigned long long)t.malformed, (unsigned long long)t.duplicate_client_msg_no,
        (unsigned long long)t.message_id_collision, (unsigned long long)t.duplicate_row,
        (unsigned long long)(t.seq_conflict + t.gaps), (unsigned long long)t.suspected_regenerated,
        (unsigned long long)t.absorbed_duplicate, (unsigned long long)t.missing_client_msg_no,
        (unsigned long long)t.seq_conflict, (unsigned long long)t.gaps);
    // The original shape's truth line stays as it was.
    if (p.shape != Shape::few_large)
      std::printf(",\"shape\":\"%s\",\"channels\":%llu", shape_name(p.shape), (unsigned long long)t.channels);
    std::printf("}\n");
  } catch (const std::exception& e) {
    std::cerr << "wkit_audit_gen: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
