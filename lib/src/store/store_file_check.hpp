#pragma once
// Before `wkit serve` writes anything to an existing wkit.db: is it a wkit
// store? Anything else (a file that is not SQLite, another program's SQLite
// database, even one with a `message` table) is refused and left byte for
// byte as it was.
#include <string>

#include "wkit/util/error.hpp"

namespace wkit::store {

// nullopt: `path` is missing, empty, an SQLite database without tables, or a
// wkit store (wkit_meta format 'wkit-serve-store'; or only wkit's own tables,
// wkit_meta among them, all empty: a first start that ended before its
// stamp). Otherwise kind
// bad_input naming what was found; kind internal if it cannot be read.
Status check_store_file(const std::string& path);

}  // namespace wkit::store
