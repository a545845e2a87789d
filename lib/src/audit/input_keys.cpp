// What keys or columns an input has, for the one-line refusal of an input
// that has neither client_msg_no nor message_id (docs/audit.md, exit 4).
// Only called when an input is opened or refused: off the per-record path.
#include <nlohmann/json.hpp>

#include "wkit/audit/source.hpp"

namespace wkit::audit {

std::string describe_names(const std::vector<std::string>& names) {
  constexpr size_t kShown = 20, kNameBytes = 40;
  std::string out;
  for (size_t i = 0; i < names.size() && i < kShown; ++i) {
    if (i) out += ", ";
    std::string n = names[i].substr(0, kNameBytes);
    for (char& c : n)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';  // keeps the message on one line
    out += n.empty() ? "\"\"" : n;
    if (names[i].size() > kNameBytes) out += "...";
  }
  if (names.size() > kShown) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return names.empty() ? "none" : out;
}

namespace {

// Collects the keys of the first message object: the top-level object (JSON
// lines), or the first object in the message array (a top-level array, or
// the array under a top-level "messages" key). Stops when it closes.
class FirstRecordKeys final : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit FirstRecordKeys(bool document) : document_(document) {}
  std::vector<std::string> keys;
  bool found = false;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    const bool record = document_ ? (!stack_.empty() && stack_.back() == kTarget) : stack_.empty();
    stack_.push_back(kObject);
    if (record && !found) {
      found = true;
      record_depth_ = stack_.size();
    }
    return true;
  }
  bool key(string_t& k) override {
    if (stack_.size() == 1) top_key_ = k;
    if (found && stack_.size() == record_depth_) keys.push_back(k);
    return true;
  }
  bool end_object() override {
    if (found && stack_.size() == record_depth_) return false;  // done: stop parsing
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    const bool target = document_ && (stack_.empty() || (stack_.size() == 1 && top_key_ == "messages"));
    stack_.push_back(target ? kTarget : kArray);
    return true;
  }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  enum Kind : char { kObject, kArray, kTarget };
  bool document_;
  std::vector<Kind> stack_;
  std::string top_key_;
  size_t record_depth_ = 0;
};

}  // namespace

std::string first_record_keys(std::string_view head, bool document) {
  if (!document) {  // the first non-blank line
    size_t at = 0;
    while (at < head.size()) {
      size_t nl = head.find('\n', at);
      std::string_view line = head.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
      if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
        head = line;
        break;
      }
      if (nl == std::string_view::npos) break;
      at = nl + 1;
    }
  }
  FirstRecordKeys sax(document);
  nlohmann::json::sax_parse(head.begin(), head.end(), &sax, nlohmann::json::input_format_t::json, false);
  if (!sax.found) return "the first record could not be read";
  return "keys of the first record: " + describe_names(sax.keys);
}

}  // namespace wkit::audit
