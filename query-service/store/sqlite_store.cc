// Copyright newsfeed authors.
//
// All SQL of the SQLite store lives in this file. Filter values are always
// bound as parameters; only the shape of a query (which conditions, how many
// placeholders) is built from the filter's structure.
#include "query-service/store/sqlite_store.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <thread>
#include <utility>
#include <variant>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "query-service/store/store_internal.h"

namespace newsfeed::query {
namespace {

using internal::ArticleFingerprint;
using internal::DbPtr;
using internal::PageToken;
using internal::StmtPtr;
using newsfeed::v1::Article;
using newsfeed::v1::ArticleFilter;
using newsfeed::v1::FacetCount;
using newsfeed::v1::FacetsRequest;
using newsfeed::v1::FacetsResponse;
using newsfeed::v1::SearchOrder;
using newsfeed::v1::SearchRequest;
using newsfeed::v1::SearchResponse;

constexpr char kDbFileName[] = "articles.db";
constexpr int kBusyTimeoutMs = 5000;
constexpr int kMaxIdleReaders = 8;
constexpr int kRetentionBatch = 256;
constexpr size_t kMaxCachedLabels = 100000;
// Driving sets estimated below this many rows are read whole and sorted;
// larger ones are walked in time order.
constexpr int64_t kSmallSet = 2000;
// pk_blocks groups pks by pk >> kPkBlockBits. Fixed by migration v3.
constexpr int kPkBlockBits = 10;
// Record dictionaries (v4): trained on the newest this many articles, at most
// this many bytes (64 KB: 0.36 of the record size on store_bench articles,
// 32 KB: 0.37), retrained when the store has grown this many times.
constexpr int64_t kDictionarySamples = 2000;
constexpr size_t kDictionaryBytes = 64 << 10;
constexpr int64_t kDictionaryRetrainFactor = 10;

// ---------------------------------------------------------------------------
// Schema. Entry i migrates from user_version i to i + 1. Never edit an entry
// that has shipped; append a new one.
//
// articles  one row per article id: the article record (article_blob.h:
//           the serialized proto, zstd-compressed since v4) plus the
//           columns queries use. pk is stable across updates (FTS rowid).
//           feed_id, feed_url, language and content_hash are written empty
//           since v4: no query reads them, and the record holds them.
// tags      (article, dimension, normalised value) with the article's time
//           and sequence copied in, so one tag's articles can be read newest
//           first straight from tags_by_value. facet = 1 marks the rows
//           counted by Facets (company ids, country codes, topic ids).
// amounts   announced amounts by currency (upper case).
// labels    display value and label of each facet value.
// fts       contentless FTS5 over title, summary and content_text, rowid =
//           articles.pk; rows are deleted with the values from the stored
//           proto.
// meta      counters: last_sequence, retention_removed_through,
//           article_count.
// tag_counts (v2) articles per facet value, maintained on every write.
// pk_blocks (v3) for each block of 1024 pks (pk >> kPkBlockBits), bounds
//           lo <= published <= hi of every article stored in it. Bounds
//           only widen (deletes leave them), so they stay true. Text
//           searches walk the FTS5 rowids (pks) newest block first and stop
//           once no older block can hold a newer article.
// dictionaries (v4) the zstd dictionaries of the article records, by id
//           (the record names its own). Trained on the newest articles when
//           the store first holds StoreOptions.dictionary_train_articles,
//           again at 10x, 100x, ... that (meta dictionary_articles: the
//           count at the last training). Never deleted: older records keep
//           their dictionary.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE meta(
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES
  ('last_sequence', 0), ('retention_removed_through', 0),
  ('article_count', 0);
CREATE TABLE articles(
  pk INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  seq INTEGER NOT NULL UNIQUE,
  published INTEGER NOT NULL,
  feed_id TEXT NOT NULL,
  feed_url TEXT NOT NULL,
  language TEXT NOT NULL,
  max_amount REAL,
  content_hash TEXT NOT NULL,
  fingerprint INTEGER NOT NULL,
  proto BLOB NOT NULL
);
CREATE INDEX articles_by_time ON articles(published, seq);
CREATE TABLE tags(
  article INTEGER NOT NULL,
  dim INTEGER NOT NULL,
  value TEXT NOT NULL,
  published INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  facet INTEGER NOT NULL,
  PRIMARY KEY(article, dim, value)
) WITHOUT ROWID;
CREATE INDEX tags_by_value ON tags(dim, value, published, seq);
CREATE TABLE amounts(
  article INTEGER NOT NULL,
  currency TEXT NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY(article, currency, value)
) WITHOUT ROWID;
CREATE TABLE labels(
  dim INTEGER NOT NULL,
  value TEXT NOT NULL,
  display TEXT NOT NULL,
  label TEXT NOT NULL,
  PRIMARY KEY(dim, value)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE fts USING fts5(
  title, summary, body, content='',
  tokenize='unicode61 remove_diacritics 2'
);
)sql",
    // v2: tag_counts keeps, for every facet value (tags.facet = 1), the number
    // of stored articles carrying it, so unfiltered Facets read a few
    // thousand rows instead of grouping every tag row. Upsert and retention
    // maintain it in the transaction that changes the tags. (The unary +
    // makes the count scan the table once and group in a temporary b-tree,
    // rather than walk tags_by_value with a table lookup per row: ~1.5x
    // faster; a one-off at start-up, seconds per million articles.)
    R"sql(
CREATE TABLE tag_counts(
  dim INTEGER NOT NULL,
  value TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY(dim, value)
) WITHOUT ROWID;
INSERT INTO tag_counts(dim, value, n)
  SELECT dim, value, count(*) FROM tags WHERE facet = 1
  GROUP BY +dim, +value;
)sql",
    // v3: pk_blocks (see above); 10 is kPkBlockBits.
    R"sql(
CREATE TABLE pk_blocks(
  block INTEGER PRIMARY KEY,
  lo INTEGER NOT NULL,
  hi INTEGER NOT NULL
);
INSERT INTO pk_blocks(block, lo, hi)
  SELECT pk >> 10, min(published), max(published) FROM articles
  GROUP BY pk >> 10;
)sql",
    // v4: compressed article records. Rows written before stay as they are
    // (a bare serialized proto, which the reader tells apart), so opening a
    // large store does not rewrite it; the space comes back as retention
    // and updates replace them.
    R"sql(
CREATE TABLE dictionaries(
  id INTEGER PRIMARY KEY,
  data BLOB NOT NULL
);
INSERT INTO meta(key, value) VALUES ('dictionary_articles', 0);
)sql",
};

// ---------------------------------------------------------------------------
// Small SQLite helpers.

absl::Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string msg =
      absl::StrCat(std::string(what), ": ",
                   db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc),
                   " (sqlite rc ", rc, ")");
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(msg);
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return absl::FailedPreconditionError(msg);
    default:
      return absl::InternalError(msg);
  }
}

// Maps an error from a query that may carry the user's full-text query: FTS5
// reports syntax errors at prepare or step time as SQLITE_ERROR.
absl::Status QueryError(sqlite3* db, int rc, bool has_text,
                        std::string_view what) {
  // The rest of each query is fixed, tested SQL, so a plain SQLITE_ERROR in a
  // query with a MATCH comes from the user's expression ("fts5: syntax error
  // near …", "unterminated string", "no such column: x").
  if (has_text && (rc & 0xff) == SQLITE_ERROR) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter.text: ", sqlite3_errmsg(db)));
  }
  return SqliteError(db, rc, what);
}

absl::Status Exec(sqlite3* db, const char* sql, std::string_view what) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return SqliteError(db, rc, what);
  return absl::OkStatus();
}

absl::StatusOr<StmtPtr> Prepare(sqlite3* db, std::string_view sql,
                                bool persistent = false) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(
      db, sql.data(), static_cast<int>(sql.size()),
      persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return SqliteError(db, rc, absl::StrCat("prepare ", std::string(sql)));
  }
  return StmtPtr(stmt);
}

using Arg = std::variant<int64_t, double, std::string>;

void BindArg(sqlite3_stmt* stmt, int index, const Arg& arg) {
  if (const int64_t* i = std::get_if<int64_t>(&arg)) {
    sqlite3_bind_int64(stmt, index, *i);
  } else if (const double* d = std::get_if<double>(&arg)) {
    sqlite3_bind_double(stmt, index, *d);
  } else {
    const std::string& s = std::get<std::string>(arg);
    sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()),
                      SQLITE_TRANSIENT);
  }
}

void BindText(sqlite3_stmt* stmt, int index, std::string_view s) {
  sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()),
                    SQLITE_TRANSIENT);
}

void BindBlob(sqlite3_stmt* stmt, int index, const std::string& s) {
  sqlite3_bind_blob(stmt, index, s.data(), static_cast<int>(s.size()),
                    SQLITE_TRANSIENT);
}

std::string_view ColumnBlob(sqlite3_stmt* stmt, int col) {
  const void* data = sqlite3_column_blob(stmt, col);
  const int size = sqlite3_column_bytes(stmt, col);
  if (data == nullptr) return {};
  return std::string_view(static_cast<const char*>(data), size);
}

std::string ColumnText(sqlite3_stmt* stmt, int col) {
  const unsigned char* data = sqlite3_column_text(stmt, col);
  const int size = sqlite3_column_bytes(stmt, col);
  if (data == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Resets a cached statement when it goes out of scope.
class StmtReset {
 public:
  explicit StmtReset(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StmtReset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StmtReset(const StmtReset&) = delete;
  StmtReset& operator=(const StmtReset&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// Steps a statement that returns no rows.
absl::Status StepDone(sqlite3* db, sqlite3_stmt* stmt, std::string_view what) {
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return SqliteError(db, rc, what);
  return absl::OkStatus();
}

// A query under construction: SQL text and its bound arguments, in order.
struct Sql {
  std::string text;
  std::vector<Arg> args;

  Sql& Add(std::string_view s) {
    text.append(s);
    return *this;
  }
  Sql& Bind(Arg a) {
    text.push_back('?');
    args.push_back(std::move(a));
    return *this;
  }
  Sql& BindList(const std::vector<std::string>& values) {
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) text.push_back(',');
      Bind(values[i]);
    }
    return *this;
  }
};

// Runs `q`, calling `on_row` for each row. `has_text` enables the mapping of
// full-text syntax errors to INVALID_ARGUMENT.
absl::Status RunQuery(
    sqlite3* db, const Sql& q, bool has_text,
    const std::function<absl::Status(sqlite3_stmt*)>& on_row) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, q.text.c_str(),
                              static_cast<int>(q.text.size()), &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return QueryError(db, rc, has_text, "prepare query");
  for (size_t i = 0; i < q.args.size(); ++i) {
    BindArg(stmt.get(), static_cast<int>(i + 1), q.args[i]);
  }
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    if (absl::Status s = on_row(stmt.get()); !s.ok()) return s;
  }
  if (rc != SQLITE_DONE) return QueryError(db, rc, has_text, "run query");
  return absl::OkStatus();
}

absl::StatusOr<int64_t> QueryInt(sqlite3* db, const Sql& q, bool has_text) {
  int64_t value = 0;
  absl::Status s = RunQuery(db, q, has_text, [&](sqlite3_stmt* stmt) {
    value = sqlite3_column_int64(stmt, 0);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return value;
}

// ---------------------------------------------------------------------------
// Filters to SQL.

// One positive or negative tag condition, or the text condition.
struct Part {
  enum Kind { kAnyOf, kAllOf, kNoneOf, kText } kind;
  TagDimension dim = TagDimension::kCompany;
  std::vector<std::string> values;  // normalised; for kText the query
  int64_t estimate = 0;             // rows, capped at kSmallSet

  bool Positive() const { return kind != kNoneOf; }
  bool SingleTag() const {
    return (kind == kAnyOf || kind == kAllOf) && values.size() == 1;
  }
};

std::vector<std::string> Normalized(
    TagDimension dim,
    const google::protobuf::RepeatedPtrField<std::string>& in) {
  std::vector<std::string> out;
  for (const std::string& v : in) {
    std::string n = NormalizeTagValue(dim, v);
    if (std::find(out.begin(), out.end(), n) == out.end()) {
      out.push_back(std::move(n));
    }
  }
  return out;
}

std::vector<Part> FilterParts(const ArticleFilter& filter) {
  std::vector<Part> parts;
  for (TagDimension dim : kAllTagDimensions) {
    const newsfeed::v1::TagFilter& f = TagFilterOf(filter, dim);
    if (!f.any_of().empty()) {
      parts.push_back({Part::kAnyOf, dim, Normalized(dim, f.any_of())});
    }
    for (std::string& v : Normalized(dim, f.all_of())) {
      parts.push_back({Part::kAllOf, dim, {std::move(v)}});
    }
    if (!f.none_of().empty()) {
      parts.push_back({Part::kNoneOf, dim, Normalized(dim, f.none_of())});
    }
  }
  if (!filter.text().empty()) {
    parts.push_back({Part::kText, TagDimension::kCompany, {filter.text()}});
  }
  return parts;
}

// How a query finds its candidate rows.
struct Plan {
  enum Kind {
    kScan,        // articles in time order (or any order when unordered)
    kOrderedTag,  // one tag value's rows from tags_by_value, time order
    kSet,         // a small set (tag values or text matches), then sorted
    kMergedTags,  // each value of an any-of part in time order, merged
  } kind = kScan;
  int driver = -1;  // index into parts for kOrderedTag / kSet / kMergedTags
};

// Sets each positive part's estimate: a tag condition on facet values reads
// the maintained counts (exact, so the rarer of two large tags drives);
// other tags and text are counted up to kSmallSet.
absl::Status EstimateParts(sqlite3* db, std::vector<Part>& parts) {
  for (Part& p : parts) {
    if (!p.Positive()) continue;
    const bool facet_dim = p.dim == TagDimension::kCompany ||
                           p.dim == TagDimension::kCountry ||
                           p.dim == TagDimension::kTopic;
    if (p.kind != Part::kText && facet_dim) {
      Sql counted;
      counted.Add("SELECT count(*), total(n) FROM tag_counts WHERE dim = ")
          .Bind(static_cast<int64_t>(p.dim))
          .Add(" AND value IN (")
          .BindList(p.values)
          .Add(")");
      int64_t found = 0;
      int64_t sum = 0;
      absl::Status s =
          RunQuery(db, counted, false, [&](sqlite3_stmt* stmt) -> absl::Status {
            found = sqlite3_column_int64(stmt, 0);
            sum = sqlite3_column_int64(stmt, 1);
            return absl::OkStatus();
          });
      if (!s.ok()) return s;
      // A value missing there may still be a non-facet spelling (a company
      // name): count the rows instead.
      if (found == static_cast<int64_t>(p.values.size())) {
        p.estimate = sum;
        continue;
      }
    }
    Sql q;
    if (p.kind == Part::kText) {
      q.Add("SELECT count(*) FROM (SELECT 1 FROM fts WHERE fts MATCH ")
          .Bind(p.values[0]);
    } else {
      q.Add("SELECT count(*) FROM (SELECT 1 FROM tags WHERE dim = ")
          .Bind(static_cast<int64_t>(p.dim))
          .Add(" AND value IN (")
          .BindList(p.values)
          .Add(")");
    }
    q.Add(" LIMIT ").Bind(kSmallSet).Add(")");
    absl::StatusOr<int64_t> n = QueryInt(db, q, p.kind == Part::kText);
    if (!n.ok()) return n.status();
    p.estimate = *n;
  }
  return absl::OkStatus();
}

// `ordered`: the rows are wanted newest first (Search), so a large set is
// better walked in time order from one tag than read whole and sorted. An
// unordered read (Facets) reads the smallest set whatever its size: that
// beats visiting every article.
Plan ChoosePlan(const std::vector<Part>& parts, bool ordered) {
  int best = -1;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!parts[i].Positive()) continue;
    if (best < 0 || parts[i].estimate < parts[best].estimate) {
      best = static_cast<int>(i);
    }
  }
  if (best < 0) return {Plan::kScan, -1};
  if (parts[best].SingleTag()) return {Plan::kOrderedTag, best};
  if (parts[best].estimate < kSmallSet) return {Plan::kSet, best};
  // Several tag values, none rare: the newest of each, merged, beat walking
  // everything in time order for the few that carry one of them.
  if (ordered && parts[best].kind == Part::kAnyOf) {
    return {Plan::kMergedTags, best};
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].SingleTag()) return {Plan::kOrderedTag, static_cast<int>(i)};
  }
  return ordered ? Plan{Plan::kScan, -1} : Plan{Plan::kSet, best};
}

// The column holding the article pk in the driving table of `plan`. Conditions
// written on it are evaluated before the article row is read, so rows they
// reject cost no visit to the (large) articles row.
std::string_view DriverPk(const Plan& plan) {
  switch (plan.kind) {
    case Plan::kScan:
      return "a.pk";
    case Plan::kOrderedTag:
    case Plan::kMergedTags:
      return "d.article";
    case Plan::kSet:
      return "d.pk";
  }
  return "a.pk";
}

// Appends " AND <condition>" for each part except `skip`, the time range
// (on `time_col`) and the amount, with `pk_col` naming the article's pk. A
// minimum amount without a currency reads a.max_amount: the query must join
// articles a.
void AppendConditions(const ArticleFilter& filter,
                      const std::vector<Part>& parts, int skip,
                      std::string_view time_col, std::string_view pk_col,
                      Sql& q) {
  for (size_t i = 0; i < parts.size(); ++i) {
    if (static_cast<int>(i) == skip) continue;
    const Part& p = parts[i];
    if (p.kind == Part::kText) {
      // Evaluated once into a temporary b-tree, then probed per row. A
      // correlated MATCH (fts.rowid = pk) re-opens the FTS5 query for every
      // row: at 200,000 articles that made tag + text slower at p99
      // (store_bench, bench/store/RESULTS.md 2026-11-27 "bounded queries").
      q.Add(" AND ")
          .Add(pk_col)
          .Add(" IN (SELECT rowid FROM fts WHERE fts MATCH ")
          .Bind(p.values[0])
          .Add(")");
      continue;
    }
    q.Add(p.kind == Part::kNoneOf ? " AND NOT EXISTS" : " AND EXISTS")
        .Add(" (SELECT 1 FROM tags t WHERE t.article = ")
        .Add(pk_col)
        .Add(" AND t.dim = ")
        .Bind(static_cast<int64_t>(p.dim))
        .Add(" AND t.value IN (")
        .BindList(p.values)
        .Add("))");
  }
  if (filter.has_published_after()) {
    q.Add(" AND ").Add(time_col).Add(" >= ").Bind(
        TimestampToMicros(filter.published_after()));
  }
  if (filter.has_published_before()) {
    q.Add(" AND ").Add(time_col).Add(" < ").Bind(
        TimestampToMicros(filter.published_before()));
  }
  if (filter.min_amount() > 0) {
    if (filter.amount_currency().empty()) {
      q.Add(" AND a.max_amount >= ").Bind(filter.min_amount());
    } else {
      q.Add(" AND EXISTS (SELECT 1 FROM amounts m WHERE m.article = ")
          .Add(pk_col)
          .Add(" AND m.currency = ")
          .Bind(absl::AsciiStrToUpper(filter.amount_currency()))
          .Add(" AND m.value >= ")
          .Bind(filter.min_amount())
          .Add(")");
    }
  }
}

// Appends the keyset condition for the rows after `after` in newest-first
// order, on the published/seq columns under `prefix`.
void AppendAfter(const PageToken& after, std::string_view prefix, Sql& q) {
  q.Add(" AND (")
      .Add(prefix)
      .Add("published, ")
      .Add(prefix)
      .Add("seq) < (")
      .Bind(after.published)
      .Add(", ")
      .Bind(after.seq)
      .Add(")");
}

// FROM clause (and the driver's own WHERE terms) for `plan`, joining articles
// a unless `join_articles` is false (kScan always reads articles). Returns the
// column prefix that holds published/seq in the driving table.
std::string_view AppendFrom(const std::vector<Part>& parts, const Plan& plan,
                            bool ordered, bool join_articles, Sql& q) {
  switch (plan.kind) {
    case Plan::kScan:
      q.Add(ordered ? " FROM articles a INDEXED BY articles_by_time WHERE 1"
                    : " FROM articles a WHERE 1");
      return "a.";
    case Plan::kOrderedTag:
    case Plan::kMergedTags: {  // (one value: Search writes one per value)
      const Part& p = parts[plan.driver];
      q.Add(join_articles
                ? " FROM tags d INDEXED BY tags_by_value CROSS JOIN articles "
                  "a ON a.pk = d.article WHERE d.dim = "
                : " FROM tags d INDEXED BY tags_by_value WHERE d.dim = ")
          .Bind(static_cast<int64_t>(p.dim))
          .Add(" AND d.value = ")
          .Bind(p.values[0]);
      return "d.";
    }
    case Plan::kSet: {
      const Part& p = parts[plan.driver];
      if (p.kind == Part::kText) {
        q.Add(" FROM (SELECT rowid AS pk FROM fts WHERE fts MATCH ")
            .Bind(p.values[0]);
      } else {
        q.Add(" FROM (SELECT DISTINCT article AS pk FROM tags WHERE dim = ")
            .Bind(static_cast<int64_t>(p.dim))
            .Add(" AND value IN (")
            .BindList(p.values)
            .Add(")");
      }
      q.Add(join_articles ? ") d CROSS JOIN articles a ON a.pk = d.pk WHERE 1"
                          : ") d WHERE 1");
      return "a.";
    }
  }
  return "a.";
}

// Appends "SELECT <pk> AS pk FROM ... WHERE ..." for the articles matching
// `filter` along `plan` (unordered, unlimited: the caller adds ORDER BY and
// LIMIT). Returns the column prefix holding published/seq.
std::string AppendMatchingPks(const ArticleFilter& filter,
                              const std::vector<Part>& parts, const Plan& plan,
                              bool join_articles, Sql& q) {
  q.Add("SELECT ").Add(DriverPk(plan)).Add(" AS pk");
  std::string prefix(
      AppendFrom(parts, plan, /*ordered=*/true, join_articles, q));
  AppendConditions(filter, parts, plan.driver, prefix + "published",
                   DriverPk(plan), q);
  return prefix;
}

// A search result before its article is read: the keyset order is
// (published, seq), newest first.
struct Ranked {
  int64_t published;
  int64_t seq;
  int64_t pk;
  bool operator>(const Ranked& o) const {
    return published != o.published ? published > o.published : seq > o.seq;
  }
};

// The newest `limit` articles matching `filter` (whose text is parts[text]),
// read by pk block, newest block first: the FTS5 index returns a block's
// matches by rowid range without reading the others, and pk_blocks bounds
// the published times in each block. The walk stops when no block left can
// hold an article newer than the limit-th found. Windows double in blocks,
// so a rare term costs a few range reads and a common one a block or two,
// never the whole match set (which the IN (SELECT rowid ...) form builds).
absl::StatusOr<std::vector<Ranked>> NewestTextMatches(
    sqlite3* db, const ArticleFilter& filter, const std::vector<Part>& parts,
    int text, const std::optional<PageToken>& after, size_t limit) {
  struct Block {
    int64_t block, lo, hi;
  };
  std::vector<Block> blocks;
  absl::Status s = RunQuery(
      db, Sql{"SELECT block, lo, hi FROM pk_blocks ORDER BY block DESC", {}},
      false, [&](sqlite3_stmt* stmt) -> absl::Status {
        blocks.push_back({sqlite3_column_int64(stmt, 0),
                          sqlite3_column_int64(stmt, 1),
                          sqlite3_column_int64(stmt, 2)});
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  // older_hi[i]: the latest published time in blocks[i..].
  std::vector<int64_t> older_hi(blocks.size() + 1, INT64_MIN);
  for (size_t i = blocks.size(); i-- > 0;) {
    older_hi[i] = std::max(older_hi[i + 1], blocks[i].hi);
  }
  const std::optional<int64_t> since =
      filter.has_published_after()
          ? std::optional(TimestampToMicros(filter.published_after()))
          : std::nullopt;
  const std::optional<int64_t> until =
      filter.has_published_before()
          ? std::optional(TimestampToMicros(filter.published_before()))
          : std::nullopt;
  // Min-heap on the keyset order: top() is the oldest of the best found.
  std::vector<Ranked> best;
  auto older = [](const Ranked& x, const Ranked& y) { return x > y; };
  // Published times below this cannot enter the results.
  auto floor = [&]() -> int64_t {
    int64_t f = since.value_or(INT64_MIN);
    if (best.size() == limit) f = std::max(f, best.front().published);
    return f;
  };
  // Whole blocks the cursor or the time range rule out.
  auto excluded = [&](const Block& b) {
    return b.hi < floor() || (after && b.lo > after->published) ||
           (until && b.lo >= *until);
  };
  size_t window = 1;
  for (size_t i = 0; i < blocks.size();) {
    if (older_hi[i] < floor()) break;
    if (excluded(blocks[i])) {
      ++i;
      continue;
    }
    const size_t end = std::min(blocks.size(), i + window);
    Sql q;
    q.Add(
         "SELECT a.published, a.seq, a.pk FROM (SELECT rowid AS pk FROM fts "
         "WHERE fts MATCH ")
        .Bind(parts[text].values[0])
        .Add(" AND rowid BETWEEN ")
        .Bind(blocks[end - 1].block << kPkBlockBits)
        .Add(" AND ")
        .Bind(((blocks[i].block + 1) << kPkBlockBits) - 1)
        .Add(") d CROSS JOIN articles a ON a.pk = d.pk WHERE 1");
    AppendConditions(filter, parts, text, "a.published", "d.pk", q);
    if (after) AppendAfter(*after, "a.", q);
    s = RunQuery(db, q, true, [&](sqlite3_stmt* stmt) -> absl::Status {
      const Ranked r{sqlite3_column_int64(stmt, 0),
                     sqlite3_column_int64(stmt, 1),
                     sqlite3_column_int64(stmt, 2)};
      if (best.size() < limit) {
        best.push_back(r);
        std::push_heap(best.begin(), best.end(), older);
      } else if (r > best.front()) {
        std::pop_heap(best.begin(), best.end(), older);
        best.back() = r;
        std::push_heap(best.begin(), best.end(), older);
      }
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    i = end;
    window *= 2;
  }
  std::sort(best.begin(), best.end(), std::greater<>());
  return best;
}

}  // namespace

// ---------------------------------------------------------------------------
// The writer's cached statements.

// Tag rows per multi-row INSERT (6 parameters each).
constexpr int kTagRowsPerInsert = 32;

std::string InsertTagsSql(int rows) {
  std::string sql =
      "INSERT OR IGNORE INTO tags(article, dim, value, published, seq, facet) "
      "VALUES";
  for (int i = 0; i < rows; ++i) {
    absl::StrAppend(&sql, i == 0 ? "" : ",", "(?, ?, ?, ?, ?, ?)");
  }
  return sql;
}

struct SqliteStore::WriteStatements {
  StmtPtr find, insert_article, delete_article, load_proto;
  StmtPtr delete_tags, insert_tag, insert_tags, delete_amounts, insert_amount;
  StmtPtr fts_insert, fts_delete, upsert_label;
  StmtPtr get_meta, set_meta;
  StmtPtr facet_tags, add_count, drop_zero_count;
  StmtPtr widen_block;

  static absl::StatusOr<std::unique_ptr<WriteStatements>> Prepare(sqlite3* db) {
    auto s = std::make_unique<WriteStatements>();
    const std::string insert_tags = InsertTagsSql(kTagRowsPerInsert);
    const std::string insert_tag = InsertTagsSql(1);
    const std::pair<StmtPtr*, std::string_view> all[] = {
        {&s->find, "SELECT pk, fingerprint FROM articles WHERE id = ?"},
        {&s->insert_article,
         "INSERT INTO articles(pk, id, seq, published, feed_id, feed_url, "
         "language, max_amount, content_hash, fingerprint, proto) "
         "VALUES(?, ?, ?, ?, '', '', '', ?, '', ?, ?)"},
        {&s->delete_article, "DELETE FROM articles WHERE pk = ?"},
        {&s->load_proto, "SELECT seq, proto FROM articles WHERE pk = ?"},
        {&s->delete_tags, "DELETE FROM tags WHERE article = ?"},
        {&s->insert_tag, insert_tag},
        {&s->insert_tags, insert_tags},
        {&s->delete_amounts, "DELETE FROM amounts WHERE article = ?"},
        {&s->insert_amount,
         "INSERT OR IGNORE INTO amounts(article, currency, value) "
         "VALUES(?, ?, ?)"},
        {&s->fts_insert,
         "INSERT INTO fts(rowid, title, summary, body) VALUES(?, ?, ?, ?)"},
        {&s->fts_delete,
         "INSERT INTO fts(fts, rowid, title, summary, body) "
         "VALUES('delete', ?, ?, ?, ?)"},
        {&s->upsert_label,
         "INSERT INTO labels(dim, value, display, label) VALUES(?, ?, ?, ?) "
         "ON CONFLICT(dim, value) DO UPDATE SET display = excluded.display, "
         "label = excluded.label WHERE excluded.label <> '' AND "
         "(labels.label <> excluded.label OR "
         "labels.display <> excluded.display)"},
        {&s->get_meta, "SELECT value FROM meta WHERE key = ?"},
        {&s->set_meta, "UPDATE meta SET value = ? WHERE key = ?"},
        {&s->facet_tags,
         "SELECT dim, value FROM tags WHERE article = ? AND facet = 1"},
        {&s->add_count,
         "INSERT INTO tag_counts(dim, value, n) VALUES(?, ?, ?) "
         "ON CONFLICT(dim, value) DO UPDATE SET n = n + excluded.n"},
        {&s->drop_zero_count,
         "DELETE FROM tag_counts WHERE dim = ? AND value = ? AND n <= 0"},
        {&s->widen_block,
         "INSERT INTO pk_blocks(block, lo, hi) VALUES(?, ?, ?) "
         "ON CONFLICT(block) DO UPDATE SET lo = min(lo, excluded.lo), "
         "hi = max(hi, excluded.hi)"},
    };
    for (const auto& [slot, sql] : all) {
      absl::StatusOr<StmtPtr> stmt = newsfeed::query::Prepare(db, sql, true);
      if (!stmt.ok()) return stmt.status();
      *slot = std::move(*stmt);
    }
    return s;
  }
};

namespace {

absl::StatusOr<int64_t> GetMeta(sqlite3* db, sqlite3_stmt* stmt,
                                std::string_view key) {
  StmtReset reset(stmt);
  BindText(stmt, 1, key);
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) {
    return SqliteError(db, rc, absl::StrCat("read meta ", std::string(key)));
  }
  return sqlite3_column_int64(stmt, 0);
}

absl::Status SetMeta(sqlite3* db, sqlite3_stmt* stmt, std::string_view key,
                     int64_t value) {
  StmtReset reset(stmt);
  sqlite3_bind_int64(stmt, 1, value);
  BindText(stmt, 2, key);
  return StepDone(db, stmt, absl::StrCat("write meta ", std::string(key)));
}

absl::Status ConfigureConnection(sqlite3* db, bool writer) {
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  if (writer) {
    // journal_mode returns a row; check it really is WAL.
    absl::StatusOr<StmtPtr> stmt = Prepare(db, "PRAGMA journal_mode=WAL");
    if (!stmt.ok()) return stmt.status();
    const int rc = sqlite3_step(stmt->get());
    if (rc != SQLITE_ROW) return SqliteError(db, rc, "set WAL mode");
    const std::string mode = ColumnText(stmt->get(), 0);
    if (mode != "wal") {
      return absl::FailedPreconditionError(
          absl::StrCat("journal_mode is ", mode, ", WAL unavailable"));
    }
    // synchronous=NORMAL in WAL mode: a commit is durable against a process
    // crash; a power loss may lose the last commits but never corrupts the
    // file. The larger cache holds the hot index pages of a 1M-article store
    // (each tag value appends to its own leaf). Checkpoints: see
    // Checkpointer.
    return Exec(db,
                "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
                "PRAGMA temp_store=MEMORY;",
                "configure writer");
  }
  return Exec(db, "PRAGMA cache_size=-8192; PRAGMA temp_store=MEMORY;",
              "configure reader");
}

absl::StatusOr<DbPtr> OpenConnection(const std::string& path, bool writer) {
  sqlite3* raw = nullptr;
  const int flags = (writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                            : SQLITE_OPEN_READONLY) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return SqliteError(db.get(), rc, absl::StrCat("open ", path));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  if (absl::Status s = ConfigureConnection(db.get(), writer); !s.ok()) {
    return s;
  }
  return db;
}

absl::Status Migrate(sqlite3* db, const std::string& path) {
  absl::StatusOr<int64_t> version =
      QueryInt(db, Sql{"PRAGMA user_version", {}}, false);
  if (!version.ok()) return version.status();
  const int64_t known = std::size(kMigrations);
  if (*version > known) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": schema version ", *version,
                     " is newer than this binary's ", known));
  }
  for (int64_t v = *version; v < known; ++v) {
    if (absl::Status s = Exec(db, "BEGIN IMMEDIATE", "begin migration");
        !s.ok()) {
      return s;
    }
    absl::Status s = Exec(db, kMigrations[v],
                          absl::StrCat(path, ": migrate to version ", v + 1));
    if (s.ok()) {
      const std::string set_version =
          absl::StrCat("PRAGMA user_version=", v + 1);
      s = Exec(db, set_version.c_str(), "set user_version");
    }
    if (s.ok()) s = Exec(db, "COMMIT", "commit migration");
    if (!s.ok()) {
      (void)Exec(db, "ROLLBACK", "rollback migration");
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------------------
// Reader pool.

class SqliteStore::ReaderLease {
 public:
  ReaderLease(SqliteStore* store, DbPtr db)
      : store_(store), db_(std::move(db)) {}
  ~ReaderLease() {
    if (!sqlite3_get_autocommit(db_.get())) {
      sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    store_->ReleaseReader(std::move(db_));
  }
  ReaderLease(const ReaderLease&) = delete;
  ReaderLease& operator=(const ReaderLease&) = delete;

  sqlite3* db() const { return db_.get(); }
  // Starts a read transaction: every query until the lease ends sees one
  // snapshot.
  absl::Status BeginRead() { return Exec(db_.get(), "BEGIN", "begin read"); }

 private:
  SqliteStore* store_;
  DbPtr db_;
};

absl::StatusOr<DbPtr> SqliteStore::AcquireReader() {
  {
    absl::MutexLock lock(&pool_mu_);
    if (!idle_readers_.empty()) {
      DbPtr db = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return db;
    }
  }
  return OpenConnection(path_, /*writer=*/false);
}

void SqliteStore::ReleaseReader(DbPtr db) {
  absl::MutexLock lock(&pool_mu_);
  if (static_cast<int>(idle_readers_.size()) < kMaxIdleReaders) {
    idle_readers_.push_back(std::move(db));
  }
}

// ---------------------------------------------------------------------------
// Checkpoints.

// StoreOptions.checkpoint_pages of WAL after a commit wake the checkpointer
// (default 32 MB: a hot page is copied once per checkpoint rather than once
// per commit). At kWriterCheckpointFactor times that, the writer checkpoints
// itself, as SQLite's own auto-checkpoint would: while commits follow each
// other without a pause the checkpointer never finishes (a PASSIVE
// checkpoint leaves the frames committed while it runs), so the WAL cannot
// restart and would grow. The writer's checkpoint then copies only what the
// checkpointer's passes left, and the WAL restarts at the next write. (At 8x
// the WAL ended a 100k-article load at 240 MB.)
constexpr int kWriterCheckpointFactor = 2;

class SqliteStore::Checkpointer {
 public:
  // `db` is a read-write connection to the store's file, used by the
  // checkpointer's thread only.
  Checkpointer(DbPtr db, int pages)
      : pages_(pages), db_(std::move(db)), thread_([this] { Run(); }) {}
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;
  ~Checkpointer() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
  }

  // Asks for a checkpoint; never blocks on one.
  void Wake() {
    absl::MutexLock lock(&mu_);
    wanted_ = true;
  }

  // The writer's sqlite3_wal_hook (in place of the auto-checkpoint).
  static int OnCommit(void* arg, sqlite3* db, const char* schema,
                      int wal_pages) {
    Checkpointer* checkpointer = static_cast<Checkpointer*>(arg);
    if (wal_pages / kWriterCheckpointFactor >= checkpointer->pages_) {
      // Not woken meanwhile, the checkpointer finishes its pass and stays
      // out of the way: this copy completes at once or after the next
      // commit, and the WAL restarts at the write after that.
      sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                nullptr);
    } else if (wal_pages >= checkpointer->pages_) {
      checkpointer->Wake();
    }
    return SQLITE_OK;
  }

 private:
  void Run() {
    for (;;) {
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](Checkpointer* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) {
              return c->wanted_ || c->stopping_;
            },
            this));
        if (stopping_) return;
        wanted_ = false;
      }
      // PASSIVE: copies what no reader still needs, waits for nobody.
      const int rc = sqlite3_wal_checkpoint_v2(
          db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        log::Warning("checkpoint of %s failed: %s",
                     sqlite3_db_filename(db_.get(), "main"),
                     sqlite3_errmsg(db_.get()));
      }
    }
  }

  const int pages_;
  DbPtr db_;
  absl::Mutex mu_;
  bool wanted_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the members above exist
};

// ---------------------------------------------------------------------------
// Open.

int SqliteStore::CurrentSchemaVersion() {
  return static_cast<int>(std::size(kMigrations));
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const StoreOptions& options) {
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("data_dir: must be set");
  }
  if (options.checkpoint_pages < 1) {
    return absl::InvalidArgumentError("checkpoint_pages: must be at least 1");
  }
  if (options.dictionary_train_articles < 0) {
    return absl::InvalidArgumentError(
        "dictionary_train_articles: must not be negative");
  }
  if (absl::Status s = internal::ValidateCommonOptions(options); !s.ok()) {
    return s;
  }
  std::string path = absl::StrCat(options.data_dir, "/", kDbFileName);
  absl::StatusOr<DbPtr> writer = OpenConnection(path, /*writer=*/true);
  if (!writer.ok()) return writer.status();
  if (absl::Status s = Migrate(writer->get(), path); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<WriteStatements>> stmts =
      WriteStatements::Prepare(writer->get());
  if (!stmts.ok()) return stmts.status();
  absl::StatusOr<DbPtr> checkpoint_db = OpenConnection(path, /*writer=*/true);
  if (!checkpoint_db.ok()) return checkpoint_db.status();
  auto checkpointer = std::make_unique<Checkpointer>(std::move(*checkpoint_db),
                                                     options.checkpoint_pages);
  // Records are written with the newest dictionary.
  int64_t dictionary_id = 0;
  std::string dictionary;
  absl::Status s = RunQuery(
      writer->get(),
      Sql{"SELECT id, data FROM dictionaries ORDER BY id DESC LIMIT 1", {}},
      false, [&](sqlite3_stmt* stmt) {
        dictionary_id = sqlite3_column_int64(stmt, 0);
        dictionary = std::string(ColumnBlob(stmt, 1));
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  absl::StatusOr<std::unique_ptr<internal::ArticleBlobEncoder>> encoder =
      internal::ArticleBlobEncoder::Create(dictionary_id, dictionary);
  if (!encoder.ok()) return encoder.status();
  absl::StatusOr<int64_t> trained_at =
      GetMeta(writer->get(), (*stmts)->get_meta.get(), "dictionary_articles");
  if (!trained_at.ok()) return trained_at.status();
  const int64_t next_training =
      options.dictionary_train_articles == 0
          ? 0
          : std::max<int64_t>(options.dictionary_train_articles,
                              *trained_at * kDictionaryRetrainFactor);
  sqlite3_wal_hook(writer->get(), &Checkpointer::OnCommit, checkpointer.get());
  std::unique_ptr<SqliteStore> store(
      new SqliteStore(options, std::move(path), std::move(*writer),
                      std::move(*stmts), std::move(checkpointer)));
  absl::MutexLock lock(&store->write_mu_);
  store->encoder_ = std::move(*encoder);
  store->next_training_ = next_training;
  return store;
}

SqliteStore::SqliteStore(const StoreOptions& options, std::string path,
                         DbPtr writer,
                         std::unique_ptr<WriteStatements> statements,
                         std::unique_ptr<Checkpointer> checkpointer)
    : options_(options),
      path_(std::move(path)),
      writer_(std::move(writer)),
      stmts_(std::move(statements)),
      checkpointer_(std::move(checkpointer)) {}

SqliteStore::~SqliteStore() {
  absl::MutexLock lock(&write_mu_);
  stmts_.reset();  // statements before their connection
  writer_.reset();
  checkpointer_.reset();  // after the writer, whose commits wake it
}

// ---------------------------------------------------------------------------
// Writes.

absl::Status SqliteStore::DeleteArticleLocked(int64_t pk, FacetDeltas& deltas) {
  sqlite3* db = writer_.get();
  WriteStatements& s = *stmts_;
  {
    sqlite3_stmt* st = s.facet_tags.get();
    StmtReset reset(st);
    sqlite3_bind_int64(st, 1, pk);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      --deltas[{sqlite3_column_int(st, 0), ColumnText(st, 1)}];
    }
    if (rc != SQLITE_DONE) return SqliteError(db, rc, "read facet tags");
  }
  Article old;
  {
    StmtReset reset(s.load_proto.get());
    sqlite3_bind_int64(s.load_proto.get(), 1, pk);
    const int rc = sqlite3_step(s.load_proto.get());
    if (rc != SQLITE_ROW) return SqliteError(db, rc, "load article");
    absl::StatusOr<Article> parsed =
        DecodeArticle(db, ColumnBlob(s.load_proto.get(), 1));
    if (!parsed.ok()) return parsed.status();
    old = std::move(*parsed);
  }
  {
    StmtReset reset(s.fts_delete.get());
    sqlite3_bind_int64(s.fts_delete.get(), 1, pk);
    BindText(s.fts_delete.get(), 2, old.title());
    BindText(s.fts_delete.get(), 3, old.summary());
    BindText(s.fts_delete.get(), 4, old.content_text());
    if (absl::Status st = StepDone(db, s.fts_delete.get(), "delete text");
        !st.ok()) {
      return st;
    }
  }
  for (sqlite3_stmt* stmt :
       {s.delete_tags.get(), s.delete_amounts.get(), s.delete_article.get()}) {
    StmtReset reset(stmt);
    sqlite3_bind_int64(stmt, 1, pk);
    if (absl::Status st = StepDone(db, stmt, "delete article"); !st.ok()) {
      return st;
    }
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::InsertTagRowsLocked(std::vector<TagRow>& rows) {
  sqlite3* db = writer_.get();
  size_t next = 0;
  while (next < rows.size()) {
    const bool whole_chunk = rows.size() - next >= kTagRowsPerInsert;
    sqlite3_stmt* st =
        whole_chunk ? stmts_->insert_tags.get() : stmts_->insert_tag.get();
    const size_t n = whole_chunk ? kTagRowsPerInsert : 1;
    StmtReset reset(st);
    for (size_t i = 0; i < n; ++i) {
      const TagRow& row = rows[next + i];
      const int base = static_cast<int>(i) * 6;
      sqlite3_bind_int64(st, base + 1, row.article);
      sqlite3_bind_int(st, base + 2, row.dim);
      BindText(st, base + 3, row.value);
      sqlite3_bind_int64(st, base + 4, row.published);
      sqlite3_bind_int64(st, base + 5, row.seq);
      sqlite3_bind_int(st, base + 6, row.facet ? 1 : 0);
    }
    if (absl::Status e = StepDone(db, st, "store tags"); !e.ok()) return e;
    next += n;
  }
  rows.clear();
  return absl::OkStatus();
}

absl::Status SqliteStore::ApplyFacetDeltasLocked(const FacetDeltas& deltas) {
  sqlite3* db = writer_.get();
  WriteStatements& s = *stmts_;
  for (const auto& [key, delta] : deltas) {
    if (delta == 0) continue;
    {
      sqlite3_stmt* st = s.add_count.get();
      StmtReset reset(st);
      sqlite3_bind_int(st, 1, key.first);
      BindText(st, 2, key.second);
      sqlite3_bind_int64(st, 3, delta);
      if (absl::Status e = StepDone(db, st, "count facet"); !e.ok()) return e;
    }
    if (delta < 0) {
      sqlite3_stmt* st = s.drop_zero_count.get();
      StmtReset reset(st);
      sqlite3_bind_int(st, 1, key.first);
      BindText(st, 2, key.second);
      if (absl::Status e = StepDone(db, st, "drop facet count"); !e.ok()) {
        return e;
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<UpsertResult> SqliteStore::Upsert(
    std::vector<Article> articles) {
  for (size_t i = 0; i < articles.size(); ++i) {
    if (articles[i].id().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("articles[", i, "].id: empty"));
    }
  }
  absl::MutexLock lock(&write_mu_);
  sqlite3* db = writer_.get();
  WriteStatements& s = *stmts_;
  if (absl::Status st = Exec(db, "BEGIN IMMEDIATE", "begin upsert"); !st.ok()) {
    return st;
  }
  UpsertResult result;
  int64_t stored_count = 0;  // article_count once committed
  absl::Status status = [&]() -> absl::Status {
    absl::StatusOr<int64_t> last =
        GetMeta(db, s.get_meta.get(), "last_sequence");
    if (!last.ok()) return last.status();
    absl::StatusOr<int64_t> count =
        GetMeta(db, s.get_meta.get(), "article_count");
    if (!count.ok()) return count.status();
    int64_t seq = *last;
    int64_t article_count = *count;
    FacetDeltas deltas;
    std::vector<TagRow> tag_rows;
    // block -> (lo, hi) of the published times written this batch.
    absl::flat_hash_map<int64_t, std::pair<int64_t, int64_t>> blocks;
    std::string blob, record;
    for (size_t i = 0; i < articles.size(); ++i) {
      Article& in = articles[i];
      const int64_t fingerprint = ArticleFingerprint(in);
      int64_t pk = 0;
      {
        StmtReset reset(s.find.get());
        BindText(s.find.get(), 1, in.id());
        const int rc = sqlite3_step(s.find.get());
        if (rc == SQLITE_ROW) {
          pk = sqlite3_column_int64(s.find.get(), 0);
          if (sqlite3_column_int64(s.find.get(), 1) == fingerprint) {
            ++result.unchanged;
            continue;
          }
        } else if (rc != SQLITE_DONE) {
          return SqliteError(db, rc, absl::StrCat("find article ", in.id()));
        }
      }
      if (pk != 0) {
        // Changed: drop the old tags and text, then rewrite the row in place.
        // (The old version may be earlier in this batch, its tags not yet
        // written.)
        if (absl::Status st = InsertTagRowsLocked(tag_rows); !st.ok()) {
          return st;
        }
        if (absl::Status st = DeleteArticleLocked(pk, deltas); !st.ok()) {
          return st;
        }
        --article_count;
        ++result.updated;
      }
      ++seq;
      ++article_count;
      const int64_t published = ArticleTimeMicros(in);
      in.set_sequence(static_cast<uint64_t>(seq));
      blob.clear();
      if (!in.SerializeToString(&blob)) {
        return absl::InternalError(
            absl::StrCat("article ", in.id(), ": does not serialize"));
      }
      if (absl::Status e = encoder_->Encode(blob, &record); !e.ok()) {
        return e;
      }
      double max_amount = 0;
      bool has_amount = false;
      for (const auto& m : in.amounts()) {
        if (!has_amount || m.value() > max_amount) max_amount = m.value();
        has_amount = true;
      }
      {
        sqlite3_stmt* st = s.insert_article.get();
        StmtReset reset(st);
        // A changed article keeps its pk (the FTS rowid): it is re-inserted
        // with the same one.
        if (pk != 0) sqlite3_bind_int64(st, 1, pk);
        BindText(st, 2, in.id());
        sqlite3_bind_int64(st, 3, seq);
        sqlite3_bind_int64(st, 4, published);
        if (has_amount) sqlite3_bind_double(st, 5, max_amount);
        sqlite3_bind_int64(st, 6, fingerprint);
        BindBlob(st, 7, record);
        const int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE) {
          return SqliteError(db, rc, absl::StrCat("store article ", in.id()));
        }
        pk = sqlite3_last_insert_rowid(db);
      }
      {
        auto [it, added] =
            blocks.try_emplace(pk >> kPkBlockBits, published, published);
        if (!added) {
          it->second.first = std::min(it->second.first, published);
          it->second.second = std::max(it->second.second, published);
        }
      }
      {
        sqlite3_stmt* st = s.fts_insert.get();
        StmtReset reset(st);
        sqlite3_bind_int64(st, 1, pk);
        BindText(st, 2, in.title());
        BindText(st, 3, in.summary());
        BindText(st, 4, in.content_text());
        if (absl::Status e = StepDone(db, st, "index text"); !e.ok()) return e;
      }
      // (dim, value) pairs written for this article: the second spelling of
      // a value is skipped here rather than by the database.
      std::vector<std::pair<TagDimension, std::string>> written;
      auto add_tag = [&](TagDimension dim, const std::string& value,
                         bool facet) -> absl::Status {
        for (const auto& w : written) {
          if (w.first == dim && w.second == value) return absl::OkStatus();
        }
        written.emplace_back(dim, value);
        if (facet) ++deltas[{static_cast<int>(dim), value}];
        tag_rows.push_back(
            {pk, static_cast<int>(dim), value, published, seq, facet});
        return absl::OkStatus();
      };
      auto add_label = [&](TagDimension dim, const std::string& value,
                           std::string_view display,
                           std::string_view label) -> absl::Status {
        // Labels rarely change: skip the write when the cache says the row
        // already holds them.
        std::string key = absl::StrCat(static_cast<int>(dim), ":", value);
        std::string cached =
            absl::StrCat(std::string(display), "\n", std::string(label));
        auto it = label_cache_.find(key);
        if (it != label_cache_.end() && it->second == cached) {
          return absl::OkStatus();
        }
        if (label_cache_.size() >= kMaxCachedLabels) label_cache_.clear();
        label_cache_[std::move(key)] = std::move(cached);
        sqlite3_stmt* st = s.upsert_label.get();
        StmtReset reset(st);
        sqlite3_bind_int(st, 1, static_cast<int>(dim));
        BindText(st, 2, value);
        BindText(st, 3, display);
        BindText(st, 4, label);
        return StepDone(db, st, "store label");
      };
      // Facet rows first, so a name equal to an id keeps facet = 1.
      for (const auto& c : in.companies()) {
        const std::string& display = c.id().empty() ? c.name() : c.id();
        if (display.empty()) continue;
        const std::string value =
            NormalizeTagValue(TagDimension::kCompany, display);
        if (absl::Status e = add_tag(TagDimension::kCompany, value, true);
            !e.ok()) {
          return e;
        }
        if (absl::Status e =
                add_label(TagDimension::kCompany, value, display, c.name());
            !e.ok()) {
          return e;
        }
      }
      for (const auto& c : in.countries()) {
        if (c.code().empty()) continue;
        const std::string value =
            NormalizeTagValue(TagDimension::kCountry, c.code());
        if (absl::Status e = add_tag(TagDimension::kCountry, value, true);
            !e.ok()) {
          return e;
        }
        if (absl::Status e =
                add_label(TagDimension::kCountry, value, value, c.name());
            !e.ok()) {
          return e;
        }
      }
      for (const auto& t : in.topics()) {
        if (t.id().empty()) continue;
        const std::string value =
            NormalizeTagValue(TagDimension::kTopic, t.id());
        if (absl::Status e = add_tag(TagDimension::kTopic, value, true);
            !e.ok()) {
          return e;
        }
        if (absl::Status e =
                add_label(TagDimension::kTopic, value, value, t.name());
            !e.ok()) {
          return e;
        }
      }
      // Every other value the filter matches on (company names, feeds,
      // languages); duplicates of the facet rows are ignored.
      for (TagDimension dim : kAllTagDimensions) {
        for (const std::string& value : ArticleTagValues(dim, in)) {
          if (absl::Status e = add_tag(dim, value, false); !e.ok()) return e;
        }
      }
      for (const auto& m : in.amounts()) {
        sqlite3_stmt* st = s.insert_amount.get();
        StmtReset reset(st);
        sqlite3_bind_int64(st, 1, pk);
        BindText(st, 2, absl::AsciiStrToUpper(m.currency()));
        sqlite3_bind_double(st, 3, m.value());
        if (absl::Status e = StepDone(db, st, "store amount"); !e.ok()) {
          return e;
        }
      }
      ++result.stored;
      result.changed.push_back(std::move(in));
    }
    if (absl::Status e = InsertTagRowsLocked(tag_rows); !e.ok()) return e;
    if (absl::Status e = ApplyFacetDeltasLocked(deltas); !e.ok()) return e;
    for (const auto& [block, bounds] : blocks) {
      sqlite3_stmt* st = s.widen_block.get();
      StmtReset reset(st);
      sqlite3_bind_int64(st, 1, block);
      sqlite3_bind_int64(st, 2, bounds.first);
      sqlite3_bind_int64(st, 3, bounds.second);
      if (absl::Status e = StepDone(db, st, "store pk block bounds"); !e.ok()) {
        return e;
      }
    }
    if (absl::Status e = SetMeta(db, s.set_meta.get(), "last_sequence", seq);
        !e.ok()) {
      return e;
    }
    if (absl::Status e =
            SetMeta(db, s.set_meta.get(), "article_count", article_count);
        !e.ok()) {
      return e;
    }
    result.latest_sequence = static_cast<uint64_t>(seq);
    stored_count = article_count;
    return Exec(db, "COMMIT", "commit upsert");
  }();
  if (!status.ok()) {
    if (!sqlite3_get_autocommit(db)) (void)Exec(db, "ROLLBACK", "rollback");
    label_cache_.clear();  // it may describe rows that were rolled back
    return status;
  }
  if (next_training_ > 0 && stored_count >= next_training_) {
    // The batch is stored whatever happens here; a failed training is tried
    // again after the next batch.
    if (absl::Status e = TrainDictionaryLocked(stored_count); !e.ok()) {
      log::Warning("%s: article dictionary not trained: %s", path_.c_str(),
                   e.ToString().c_str());
    }
  }
  return result;
}

absl::Status SqliteStore::TrainDictionaryLocked(int64_t article_count) {
  sqlite3* db = writer_.get();
  std::vector<std::string> samples;
  Sql q;
  q.Add("SELECT proto FROM articles ORDER BY pk DESC LIMIT ")
      .Bind(kDictionarySamples);
  absl::Status s =
      RunQuery(db, q, false, [&](sqlite3_stmt* stmt) -> absl::Status {
        absl::StatusOr<Article> a = DecodeArticle(db, ColumnBlob(stmt, 0));
        if (!a.ok()) return a.status();
        samples.push_back(a->SerializeAsString());
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  // Too few or too alike articles leave zstd nothing to learn: records then
  // keep the previous dictionary until the next training.
  absl::StatusOr<std::string> dictionary =
      internal::TrainArticleDictionary(samples, kDictionaryBytes);
  if (!dictionary.ok()) {
    log::Warning("%s: %s", path_.c_str(),
                 dictionary.status().ToString().c_str());
  }
  if (s = Exec(db, "BEGIN IMMEDIATE", "begin dictionary"); !s.ok()) return s;
  std::unique_ptr<internal::ArticleBlobEncoder> encoder;
  s = [&]() -> absl::Status {
    if (dictionary.ok()) {
      absl::StatusOr<StmtPtr> insert = Prepare(
          db, "INSERT INTO dictionaries(data) VALUES(?)", /*persistent=*/false);
      if (!insert.ok()) return insert.status();
      BindBlob(insert->get(), 1, *dictionary);
      if (absl::Status e = StepDone(db, insert->get(), "store dictionary");
          !e.ok()) {
        return e;
      }
      absl::StatusOr<std::unique_ptr<internal::ArticleBlobEncoder>> created =
          internal::ArticleBlobEncoder::Create(sqlite3_last_insert_rowid(db),
                                               *dictionary);
      if (!created.ok()) return created.status();
      encoder = std::move(*created);
    }
    if (absl::Status e = SetMeta(db, stmts_->set_meta.get(),
                                 "dictionary_articles", article_count);
        !e.ok()) {
      return e;
    }
    return Exec(db, "COMMIT", "commit dictionary");
  }();
  if (!s.ok()) {
    if (!sqlite3_get_autocommit(db)) (void)Exec(db, "ROLLBACK", "rollback");
    return s;
  }
  if (encoder != nullptr) encoder_ = std::move(encoder);
  next_training_ = article_count * kDictionaryRetrainFactor;
  return absl::OkStatus();
}

absl::StatusOr<Article> SqliteStore::DecodeArticle(sqlite3* db,
                                                   std::string_view record,
                                                   size_t* serialized_bytes) {
  return decoder_.Decode(
      record,
      [db](int64_t id) -> absl::StatusOr<std::string> {
        Sql q;
        q.Add("SELECT data FROM dictionaries WHERE id = ").Bind(id);
        std::optional<std::string> data;
        absl::Status s = RunQuery(db, q, false, [&](sqlite3_stmt* stmt) {
          data = std::string(ColumnBlob(stmt, 0));
          return absl::OkStatus();
        });
        if (!s.ok()) return s;
        if (!data) {
          return absl::InternalError(absl::StrCat(
              "stored article: its dictionary ", id, " is missing"));
        }
        return *std::move(data);
      },
      serialized_bytes);
}

// ---------------------------------------------------------------------------
// Reads.

absl::StatusOr<SearchResponse> SqliteStore::Search(
    const SearchRequest& request) {
  const ArticleFilter& filter = request.filter();
  absl::StatusOr<internal::SearchParams> params =
      internal::ValidateSearch(request, options_);
  if (!params.ok()) return params.status();
  const int page_size = params->page_size;
  const int order = params->order;
  const bool relevance = params->relevance;
  const uint64_t fingerprint = params->fingerprint;
  const std::optional<PageToken>& after = params->after;

  absl::StatusOr<DbPtr> conn = AcquireReader();
  if (!conn.ok()) return conn.status();
  ReaderLease lease(this, std::move(*conn));
  if (absl::Status s = lease.BeginRead(); !s.ok()) return s;

  std::vector<Part> parts = FilterParts(filter);
  int text_part = -1;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].kind == Part::kText) text_part = static_cast<int>(i);
  }
  SearchResponse response;
  PageToken last;
  bool more = false;
  size_t response_bytes = 0;
  auto add_row = [&](sqlite3_stmt* stmt) -> absl::Status {
    if (more || response.articles_size() == page_size) {
      more = true;
      return absl::OkStatus();
    }
    // The record's serialized size is its ByteSizeLong, known without
    // walking the article.
    size_t bytes = 0;
    absl::StatusOr<Article> a =
        DecodeArticle(lease.db(), ColumnBlob(stmt, 2), &bytes);
    if (!a.ok()) return a.status();
    if (response.articles_size() > 0 &&
        response_bytes + bytes > options_.max_response_bytes) {
      more = true;  // the next page starts with this article
      return absl::OkStatus();
    }
    response_bytes += bytes;
    *response.add_articles() = std::move(*a);
    last.seq = sqlite3_column_int64(stmt, 0);
    last.published = sqlite3_column_int64(stmt, 1);
    last.score = sqlite3_column_double(stmt, 3);
    return absl::OkStatus();
  };
  Sql q;
  absl::Status s;
  if (relevance) {
    // The newest relevance_scan_matches matches, as of the first page (pks
    // up to ranked_through), are scored: bm25 with weights title 10,
    // summary 5, body 1; lower scores rank first. Only the best
    // relevance_max_matches of them are ranked (a bounded sort, no article
    // read), then filtered and paged by keyset; the pk tie-break and the
    // fixed pk bound keep that set the same from page to page.
    if (after) {
      last.ranked_through = after->ranked_through;
    } else {
      absl::StatusOr<int64_t> max_pk =
          QueryInt(lease.db(),
                   Sql{"SELECT ifnull(max(pk), 0) FROM articles", {}}, false);
      if (!max_pk.ok()) return max_pk.status();
      last.ranked_through = *max_pk;
    }
    q.Add(
         "SELECT a.seq, a.published, a.proto, d.score FROM (SELECT pk, score "
         "FROM (SELECT rowid AS pk, bm25(fts, 10.0, 5.0, 1.0) AS score FROM "
         "fts WHERE fts MATCH ")
        .Bind(filter.text())
        .Add(" AND rowid <= ")
        .Bind(last.ranked_through)
        .Add(" ORDER BY rowid DESC LIMIT ")
        .Bind(static_cast<int64_t>(options_.relevance_scan_matches))
        .Add(") ORDER BY score, pk DESC LIMIT ")
        .Bind(static_cast<int64_t>(options_.relevance_max_matches))
        .Add(") d CROSS JOIN articles a ON a.pk = d.pk WHERE 1");
    AppendConditions(filter, parts, text_part, "a.published", "d.pk", q);
    if (after) {
      q.Add(" AND (d.score > ")
          .Bind(after->score)
          .Add(" OR (d.score = ")
          .Bind(after->score)
          .Add(" AND a.seq < ")
          .Bind(after->seq)
          .Add("))");
    }
    q.Add(" ORDER BY d.score, a.seq DESC LIMIT ")
        .Bind(static_cast<int64_t>(page_size) + 1);
  } else {
    if (absl::Status s = EstimateParts(lease.db(), parts); !s.ok()) return s;
    const Plan plan = ChoosePlan(parts, /*ordered=*/true);
    // A small tag set drives better than the text; otherwise the text
    // matches are walked newest block first.
    const bool small_tag_driver = plan.driver >= 0 &&
                                  parts[plan.driver].kind != Part::kText &&
                                  parts[plan.driver].estimate < kSmallSet;
    if (text_part >= 0 && !small_tag_driver) {
      absl::StatusOr<std::vector<Ranked>> newest =
          NewestTextMatches(lease.db(), filter, parts, text_part, after,
                            static_cast<size_t>(page_size) + 1);
      if (!newest.ok()) return newest.status();
      if (!newest->empty()) {
        q.Add("SELECT seq, published, proto, 0 FROM articles WHERE pk IN (");
        for (size_t i = 0; i < newest->size(); ++i) {
          q.Add(i == 0 ? "" : ",").Bind((*newest)[i].pk);
        }
        q.Add(") ORDER BY published DESC, seq DESC");
      }
    } else if (plan.kind == Plan::kMergedTags) {
      // One branch per value, each the newest page of its value in time
      // order; UNION drops an article that carries two of them (its tag
      // rows share published, seq and pk).
      const Part& any_of = parts[plan.driver];
      const int64_t limit = static_cast<int64_t>(page_size) + 1;
      const bool join_articles =
          filter.min_amount() > 0 && filter.amount_currency().empty();
      q.Add("SELECT a.seq, a.published, a.proto, 0 FROM (");
      for (size_t v = 0; v < any_of.values.size(); ++v) {
        std::vector<Part> branch = parts;
        branch[plan.driver].values = {any_of.values[v]};
        q.Add(v == 0 ? "" : " UNION ")
            .Add("SELECT * FROM (SELECT d.published, d.seq, d.article");
        AppendFrom(branch, plan, /*ordered=*/true, join_articles, q);
        AppendConditions(filter, branch, plan.driver, "d.published",
                         "d.article", q);
        if (after) AppendAfter(*after, "d.", q);
        q.Add(" ORDER BY d.published DESC, d.seq DESC LIMIT ")
            .Bind(limit)
            .Add(")");
      }
      q.Add(" ORDER BY 1 DESC, 2 DESC LIMIT ")
          .Bind(limit)
          .Add(
              ") m CROSS JOIN articles a ON a.pk = m.article "
              "ORDER BY m.published DESC, m.seq DESC");
    } else {
      // The page's keys first, its articles after: a sort carries every
      // column it returns, and reading each candidate's proto (kilobytes,
      // overflow pages) for a set that is then cut to one page costs more
      // than the sort itself.
      const bool join_articles =
          plan.kind != Plan::kOrderedTag ||
          (filter.min_amount() > 0 && filter.amount_currency().empty());
      q.Add("SELECT a.seq, a.published, a.proto, 0 FROM (");
      const std::string prefix =
          AppendMatchingPks(filter, parts, plan, join_articles, q);
      if (after) AppendAfter(*after, prefix, q);
      q.Add(" ORDER BY ")
          .Add(prefix)
          .Add("published DESC, ")
          .Add(prefix)
          .Add("seq DESC LIMIT ")
          .Bind(static_cast<int64_t>(page_size) + 1)
          .Add(
              ") s CROSS JOIN articles a ON a.pk = s.pk "
              "ORDER BY a.published DESC, a.seq DESC");
    }
  }

  // (Empty when the text walk found nothing.)
  if (!q.text.empty()) {
    s = RunQuery(lease.db(), q, !filter.text().empty(), add_row);
    if (!s.ok()) return s;
  }
  if (more) {
    last.order = static_cast<uint8_t>(order);
    last.fingerprint = fingerprint;
    response.set_next_page_token(internal::EncodeToken(last));
  }
  return response;
}

absl::StatusOr<Article> SqliteStore::Get(std::string_view id) {
  absl::StatusOr<DbPtr> conn = AcquireReader();
  if (!conn.ok()) return conn.status();
  ReaderLease lease(this, std::move(*conn));
  Sql q;
  q.Add("SELECT proto FROM articles WHERE id = ").Bind(std::string(id));
  std::optional<Article> found;
  absl::Status s =
      RunQuery(lease.db(), q, false, [&](sqlite3_stmt* stmt) -> absl::Status {
        absl::StatusOr<Article> a =
            DecodeArticle(lease.db(), ColumnBlob(stmt, 0));
        if (!a.ok()) return a.status();
        found = std::move(*a);
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("article \"", std::string(id), "\" not found"));
  }
  return *std::move(found);
}

absl::StatusOr<FacetsResponse> SqliteStore::Facets(
    const FacetsRequest& request) {
  const ArticleFilter& filter = request.filter();
  absl::StatusOr<int> valid_limit = internal::ValidateFacets(request, options_);
  if (!valid_limit.ok()) return valid_limit.status();
  const int limit = *valid_limit;
  absl::StatusOr<DbPtr> conn = AcquireReader();
  if (!conn.ok()) return conn.status();
  ReaderLease lease(this, std::move(*conn));
  if (absl::Status s = lease.BeginRead(); !s.ok()) return s;

  std::vector<Part> parts = FilterParts(filter);
  const bool has_text = !filter.text().empty();
  const bool unfiltered = parts.empty() && !filter.has_published_after() &&
                          !filter.has_published_before() &&
                          filter.min_amount() <= 0;

  FacetsResponse response;
  struct Entry {
    std::string value;
    int64_t count;
  };
  std::map<int, std::vector<Entry>> by_dim;
  if (unfiltered) {
    // Every article matches: the maintained counts are the answer.
    absl::StatusOr<int64_t> n = QueryInt(
        lease.db(),
        Sql{"SELECT value FROM meta WHERE key = 'article_count'", {}}, false);
    if (!n.ok()) return n.status();
    response.set_total(*n);
    absl::Status s = RunQuery(
        lease.db(), Sql{"SELECT dim, value, n FROM tag_counts WHERE n > 0", {}},
        false, [&](sqlite3_stmt* stmt) -> absl::Status {
          by_dim[sqlite3_column_int(stmt, 0)].push_back(
              {ColumnText(stmt, 1), sqlite3_column_int64(stmt, 2)});
          return absl::OkStatus();
        });
    if (!s.ok()) return s;
  } else {
    if (absl::Status s = EstimateParts(lease.db(), parts); !s.ok()) return s;
    const Plan plan = ChoosePlan(parts, /*ordered=*/false);
    // One pass: each matching article (pk) with its facet values (one range
    // of the tags primary key: dimensions 1..3 are company, country, topic),
    // counted here rather than by a GROUP BY, which would sort every tag
    // row. Each article's rows come together (the join cannot be reordered),
    // and an article without facet values still yields one row.
    Sql q;
    // The articles rows (one page each) are read only when a condition needs
    // them: a time range with a set driver (tags d has the time, a set of
    // pks does not) or an amount.
    const bool has_time =
        filter.has_published_after() || filter.has_published_before();
    const bool join_articles = plan.kind == Plan::kScan ||
                               filter.min_amount() > 0 ||
                               (plan.kind == Plan::kSet && has_time);
    q.Add("SELECT m.pk, t.dim, t.value FROM (");
    const std::string prefix =
        AppendMatchingPks(filter, parts, plan, join_articles, q);
    // At most facet_max_matches articles (and one more, to tell that there
    // are more) are counted: the most recent, in the order the driver reads
    // cheaply: newest published first along a time index, else newest
    // stored first (pk, the FTS5 rowid order).
    if (plan.kind == Plan::kSet) {
      q.Add(" ORDER BY d.pk DESC");
    } else {
      q.Add(" ORDER BY ")
          .Add(prefix)
          .Add("published DESC, ")
          .Add(prefix)
          .Add("seq DESC");
    }
    q.Add(" LIMIT ")
        .Bind(static_cast<int64_t>(options_.facet_max_matches) + 1)
        .Add(
            ") m LEFT JOIN tags t ON t.article = m.pk AND t.dim BETWEEN 1 AND "
            "3 AND t.facet = 1");
    std::map<int, absl::flat_hash_map<std::string, int64_t>> counts;
    int64_t total = 0;
    bool estimated = false;
    int64_t last_pk = 0;
    bool first = true;
    std::string key;
    absl::Status s = RunQuery(
        lease.db(), q, has_text, [&](sqlite3_stmt* stmt) -> absl::Status {
          const int64_t pk = sqlite3_column_int64(stmt, 0);
          if (estimated) return absl::OkStatus();
          if (first || pk != last_pk) {
            if (total == options_.facet_max_matches) {
              estimated = true;
              return absl::OkStatus();
            }
            ++total;
            first = false;
            last_pk = pk;
          }
          if (sqlite3_column_type(stmt, 1) == SQLITE_NULL) {
            return absl::OkStatus();
          }
          const unsigned char* text = sqlite3_column_text(stmt, 2);
          key.assign(reinterpret_cast<const char*>(text),
                     sqlite3_column_bytes(stmt, 2));
          ++counts[sqlite3_column_int(stmt, 1)][key];
          return absl::OkStatus();
        });
    if (!s.ok()) return s;
    response.set_total(total);
    response.set_estimated(estimated);
    for (auto& [dim, values] : counts) {
      std::vector<Entry>& entries = by_dim[dim];
      entries.reserve(values.size());
      for (auto& [value, count] : values) entries.push_back({value, count});
    }
  }
  for (auto& [dim, entries] : by_dim) {
    const size_t keep = std::min<size_t>(limit, entries.size());
    std::partial_sort(entries.begin(), entries.begin() + keep, entries.end(),
                      [](const Entry& x, const Entry& y) {
                        return x.count != y.count ? x.count > y.count
                                                  : x.value < y.value;
                      });
    entries.resize(keep);
    google::protobuf::RepeatedPtrField<FacetCount>* out =
        dim == static_cast<int>(TagDimension::kCompany)
            ? response.mutable_companies()
        : dim == static_cast<int>(TagDimension::kCountry)
            ? response.mutable_countries()
            : response.mutable_topics();
    for (Entry& e : entries) {
      FacetCount* fc = out->Add();
      fc->set_value(e.value);
      fc->set_count(e.count);
      Sql label;
      label.Add("SELECT display, label FROM labels WHERE dim = ")
          .Bind(static_cast<int64_t>(dim))
          .Add(" AND value = ")
          .Bind(e.value);
      if (absl::Status ls = RunQuery(lease.db(), label, false,
                                     [&](sqlite3_stmt* stmt) -> absl::Status {
                                       fc->set_value(ColumnText(stmt, 0));
                                       fc->set_label(ColumnText(stmt, 1));
                                       return absl::OkStatus();
                                     });
          !ls.ok()) {
        return ls;
      }
    }
  }
  return response;
}

absl::StatusOr<ChangeBatch> SqliteStore::ReadChanges(
    uint64_t after_sequence, const ArticleFilter& filter, int limit) {
  if (absl::Status s = internal::ValidateReadChanges(after_sequence, filter,
                                                     limit, options_);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<DbPtr> conn = AcquireReader();
  if (!conn.ok()) return conn.status();
  ReaderLease lease(this, std::move(*conn));
  if (absl::Status s = lease.BeginRead(); !s.ok()) return s;

  int64_t latest = 0;
  int64_t removed_through = 0;
  absl::Status s = RunQuery(
      lease.db(),
      Sql{"SELECT key, value FROM meta WHERE key IN ('last_sequence', "
          "'retention_removed_through')",
          {}},
      false, [&](sqlite3_stmt* stmt) -> absl::Status {
        (ColumnText(stmt, 0) == "last_sequence" ? latest : removed_through) =
            sqlite3_column_int64(stmt, 1);
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  if (static_cast<int64_t>(after_sequence) < removed_through) {
    return internal::RetentionGapError(after_sequence, removed_through);
  }

  std::vector<Part> parts = FilterParts(filter);
  Sql q;
  q.Add("SELECT a.seq, a.proto FROM articles a WHERE a.seq > ")
      .Bind(static_cast<int64_t>(after_sequence));
  AppendConditions(filter, parts, -1, "a.published", "a.pk", q);
  q.Add(" ORDER BY a.seq LIMIT ").Bind(static_cast<int64_t>(limit));
  ChangeBatch batch;
  s = RunQuery(lease.db(), q, !filter.text().empty(),
               [&](sqlite3_stmt* stmt) -> absl::Status {
                 absl::StatusOr<Article> a =
                     DecodeArticle(lease.db(), ColumnBlob(stmt, 1));
                 if (!a.ok()) return a.status();
                 batch.articles.push_back(std::move(*a));
                 return absl::OkStatus();
               });
  if (!s.ok()) return s;
  if (static_cast<int>(batch.articles.size()) == limit) {
    batch.scanned_through = batch.articles.back().sequence();
  } else {
    batch.scanned_through =
        std::max<uint64_t>(after_sequence, static_cast<uint64_t>(latest));
  }
  return batch;
}

absl::StatusOr<uint64_t> SqliteStore::LatestSequence() {
  absl::StatusOr<DbPtr> conn = AcquireReader();
  if (!conn.ok()) return conn.status();
  ReaderLease lease(this, std::move(*conn));
  absl::StatusOr<int64_t> v = QueryInt(
      lease.db(), Sql{"SELECT value FROM meta WHERE key = 'last_sequence'", {}},
      false);
  if (!v.ok()) return v.status();
  return static_cast<uint64_t>(*v);
}

// ---------------------------------------------------------------------------
// Retention.

absl::StatusOr<int64_t> SqliteStore::RetentionBatch(absl::Time now) {
  absl::MutexLock lock(&write_mu_);
  sqlite3* db = writer_.get();
  WriteStatements& st = *stmts_;
  if (absl::Status s = Exec(db, "BEGIN IMMEDIATE", "begin retention");
      !s.ok()) {
    return s;
  }
  int64_t removed = 0;
  absl::Status status = [&]() -> absl::Status {
    absl::StatusOr<int64_t> count =
        GetMeta(db, st.get_meta.get(), "article_count");
    if (!count.ok()) return count.status();
    absl::StatusOr<int64_t> removed_through =
        GetMeta(db, st.get_meta.get(), "retention_removed_through");
    if (!removed_through.ok()) return removed_through.status();

    // Victims: first the expired, then the oldest beyond the count limit.
    Sql q;
    if (options_.retention_max_age > absl::ZeroDuration()) {
      q.Add(
           "SELECT pk, seq FROM articles INDEXED BY articles_by_time "
           "WHERE published < ")
          .Bind(absl::ToUnixMicros(now - options_.retention_max_age))
          .Add(" ORDER BY published, seq LIMIT ")
          .Bind(static_cast<int64_t>(kRetentionBatch));
    }
    std::vector<std::pair<int64_t, int64_t>> victims;
    auto collect = [&](sqlite3_stmt* stmt) -> absl::Status {
      victims.emplace_back(sqlite3_column_int64(stmt, 0),
                           sqlite3_column_int64(stmt, 1));
      return absl::OkStatus();
    };
    if (!q.text.empty()) {
      if (absl::Status s = RunQuery(db, q, false, collect); !s.ok()) return s;
    }
    if (victims.empty() && options_.retention_max_articles > 0 &&
        *count > options_.retention_max_articles) {
      Sql oldest;
      oldest
          .Add(
              "SELECT pk, seq FROM articles INDEXED BY articles_by_time "
              "ORDER BY published, seq LIMIT ")
          .Bind(std::min<int64_t>(kRetentionBatch,
                                  *count - options_.retention_max_articles));
      if (absl::Status s = RunQuery(db, oldest, false, collect); !s.ok()) {
        return s;
      }
    }
    if (victims.empty()) return absl::OkStatus();
    int64_t max_seq = *removed_through;
    FacetDeltas deltas;
    for (const auto& [pk, seq] : victims) {
      if (absl::Status s = DeleteArticleLocked(pk, deltas); !s.ok()) return s;
      max_seq = std::max(max_seq, seq);
    }
    if (absl::Status s = ApplyFacetDeltasLocked(deltas); !s.ok()) return s;
    // Blocks below every remaining pk describe no article any more.
    static const std::string kDropEmptiedBlocks = absl::StrCat(
        "DELETE FROM pk_blocks WHERE block < (SELECT min(pk) FROM articles) "
        ">> ",
        kPkBlockBits);
    if (absl::Status s =
            Exec(db, kDropEmptiedBlocks.c_str(), "drop emptied pk blocks");
        !s.ok()) {
      return s;
    }
    removed = static_cast<int64_t>(victims.size());
    if (absl::Status s =
            SetMeta(db, st.set_meta.get(), "article_count", *count - removed);
        !s.ok()) {
      return s;
    }
    return SetMeta(db, st.set_meta.get(), "retention_removed_through", max_seq);
  }();
  if (status.ok()) status = Exec(db, "COMMIT", "commit retention");
  if (!status.ok()) {
    if (!sqlite3_get_autocommit(db)) (void)Exec(db, "ROLLBACK", "rollback");
    return status;
  }
  return removed;
}

absl::StatusOr<int64_t> SqliteStore::EnforceRetention(absl::Time now) {
  if (options_.retention_max_age <= absl::ZeroDuration() &&
      options_.retention_max_articles <= 0) {
    return 0;
  }
  int64_t total = 0;
  while (true) {
    absl::StatusOr<int64_t> n = RetentionBatch(now);
    if (!n.ok()) return n.status();
    if (*n == 0) return total;
    total += *n;
  }
}

}  // namespace newsfeed::query
