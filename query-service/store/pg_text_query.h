// Copyright newsfeed authors.
//
// pg_text_query.h: ArticleFilter.text (the SQLite FTS5 query syntax, which is
// what the API documents) translated to a PostgreSQL tsquery, so a query
// means the same on both engines. Internal to PgStore.
#ifndef QUERY_SERVICE_STORE_PG_TEXT_QUERY_H_
#define QUERY_SERVICE_STORE_PG_TEXT_QUERY_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace newsfeed::query::internal {

// Parses `text` as an FTS5 query over the columns title, summary and body and
// returns the equivalent input for to_tsquery('simple', ...): each term a
// quoted lexeme (to_tsquery lower-cases it and splits it into a phrase the
// way the indexed text was split), `*` -> `:*`, AND/implicit -> `&`, OR -> `|`,
// `a NOT b` -> `a & !b`, "a b" and a + b -> `<->`, a column filter -> the
// column's weight (title A, summary B, body C). NEAR(a b, N) becomes a & b
// and `^` (first token) is ignored: the only two forms whose match set is
// wider than on SQLite. Returns INVALID_ARGUMENT "filter.text: …" for a
// syntax error, an unterminated string or an unknown column.
absl::StatusOr<std::string> FtsToTsquery(std::string_view text);

}  // namespace newsfeed::query::internal

#endif  // QUERY_SERVICE_STORE_PG_TEXT_QUERY_H_
