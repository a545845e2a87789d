#include "wkit/app/server_trouble.hpp"

namespace wkit::app {

TroubleLog::TroubleLog(std::string prefix, std::FILE* out, int64_t interval_ms)
    : prefix_(std::move(prefix)), out_(out), interval_ms_(interval_ms) {}

TroubleLog::~TroubleLog() { flush_held(); }

void TroubleLog::report(std::string_view kind, std::string_view text, int64_t mono_ms) {
  Kind& k = kinds_[std::string(kind)];
  ++k.total;
  if (k.total > 1 && mono_ms - k.last_line_ms < interval_ms_) {
    ++k.held;
    return;
  }
  k.last_line_ms = mono_ms;
  if (out_) {
    std::string line = prefix_ + std::string(kind) + ": " + std::string(text) + " (" + std::to_string(k.total) +
                       " so far";
    if (k.held) line += ", " + std::to_string(k.held) + " not shown";
    line += ")\n";
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fflush(out_);
  }
  k.held = 0;
}

void TroubleLog::flush_held() {
  for (auto& [name, k] : kinds_) {
    if (!k.held) continue;
    if (out_)
      std::fprintf(out_, "%s%s: %llu more not shown (%llu in all)\n", prefix_.c_str(), name.c_str(),
                   static_cast<unsigned long long>(k.held), static_cast<unsigned long long>(k.total));
    k.held = 0;
  }
  if (out_) std::fflush(out_);
}

uint64_t TroubleLog::count(std::string_view kind) const {
  auto it = kinds_.find(std::string(kind));
  return it == kinds_.end() ? 0 : it->second.total;
}

std::string quote_for_log(std::string_view s, size_t max) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += s.size() > max ? "'..." : "'";
  return out;
}

}  // namespace wkit::app
