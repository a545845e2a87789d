#include "did_you_mean.hpp"

#include <algorithm>
#include <vector>

namespace wkit::cli {

size_t edit_distance(const std::string& a, const std::string& b) {
  // d[i][j]: distance between a[0, i) and b[0, j).
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);  // two letters swapped
    }
  return d[a.size()][b.size()];
}

namespace {

// The closest of `names` to `word`, if close enough to be a typo: at most 2
// edits, and fewer than half the word's letters.
std::string closest(const std::string& word, const std::vector<std::string>& names) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& n : names) {
    size_t d = edit_distance(word, n);
    // A prefix of a longer name ("--coun" for "--count") is a typo too.
    if (n.size() > word.size() && n.compare(0, word.size(), word) == 0) d = std::min<size_t>(d, 1);
    if (d < best_d) best_d = d, best = n;
  }
  if (best_d == 0 || best_d > 2 || best_d * 2 >= word.size()) return "";
  return best;
}

std::string path_of(const CLI::App* app) {
  std::string path;
  for (const CLI::App* a = app; a; a = a->get_parent()) path = a->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

}  // namespace

std::string did_you_mean(CLI::App& root, int argc, const char* const* argv) {
  CLI::App* app = &root;
  for (int i = 1; i < argc; ++i) {
    const std::string token = argv[i];
    if (token == "--") return "";
    if (token.rfind("--", 0) == 0) {
      const std::string name = token.substr(2, token.find('=') == std::string::npos ? std::string::npos
                                                                                    : token.find('=') - 2);
      std::vector<std::string> flags;
      bool known = false;
      for (const CLI::App* a = app; a; a = a->get_parent()) {
        for (const CLI::Option* o : a->get_options()) {
          for (const auto& l : o->get_lnames()) {
            flags.push_back("--" + l);
            known = known || l == name;
          }
        }
        if (!a->get_fallthrough()) break;
      }
      if (known) continue;
      const std::string hint = closest("--" + name, flags);
      if (hint.empty()) return "";
      return path_of(app) + ": unknown flag '--" + name + "'; did you mean '" + hint + "'?";
    }
    if (token.rfind('-', 0) == 0) continue;
    std::vector<std::string> names;
    CLI::App* next = nullptr;
    for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) {
      names.push_back(sub->get_name());
      if (sub->get_name() == token) next = sub;
    }
    if (next) {
      app = next;
      continue;
    }
    // A word where a subcommand is required: a mistyped one. Elsewhere it
    // is a positional argument or a flag's value.
    if (names.empty() || app->get_require_subcommand_min() == 0) continue;
    const std::string hint = closest(token, names);
    if (hint.empty()) return "";
    return path_of(app) + ": unknown command '" + token + "'; did you mean '" + hint + "'?";
  }
  return "";
}

}  // namespace wkit::cli
