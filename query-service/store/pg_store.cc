// Copyright newsfeed authors.
//
// All SQL of the PostgreSQL store lives in this file. Values are always bound
// as parameters (lists as array parameters); only the shape of a query (which
// conditions) is built from the filter's structure.
#include "query-service/store/pg_store.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <limits>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/retry/retry.h"
#include "query-service/store/pg_text_query.h"
#include "query-service/store/store_internal.h"

namespace newsfeed::query {
namespace internal {

// The connection type behind the opaque pointers of pg_store.h.
class PgConnection : public pqxx::connection {
 public:
  explicit PgConnection(const std::string& url) : pqxx::connection(url) {}
};

}  // namespace internal
namespace {

using internal::PageToken;
using newsfeed::v1::Article;
using newsfeed::v1::ArticleFilter;
using newsfeed::v1::FacetCount;
using newsfeed::v1::FacetsRequest;
using newsfeed::v1::FacetsResponse;
using newsfeed::v1::SearchRequest;
using newsfeed::v1::SearchResponse;

// Advisory lock keys (arbitrary constants, shared by every replica): one
// serialises writers (see "Sequences and commit order" in pg_store.h), the
// other schema migrations at Open.
constexpr int64_t kWriteLockKey = 0x6e657773'66656501;
constexpr int64_t kSchemaLockKey = 0x6e657773'66656502;
constexpr char kChannel[] = "newsfeed_articles";
constexpr int kRetentionBatch = 256;
constexpr size_t kMaxCachedLabels = 100000;
// Tag values estimated below this many rows are "small" when choosing which
// tag drives a search.
constexpr int64_t kSmallSet = 2000;

// The text vector of a row x(title, summary, content): weights A/B/C, accents
// folded by the unaccent extension (as FTS5's remove_diacritics does on
// SQLite), then the 'simple' configuration, which only lower-cases. A macro so
// it can be spliced into the statement literals below.
#define TSV_OF_X                                                   \
  "setweight(to_tsvector('simple', unaccent(x.title)), 'A') || "   \
  "setweight(to_tsvector('simple', unaccent(x.summary)), 'B') || " \
  "setweight(to_tsvector('simple', unaccent(x.content)), 'C')"

// ---------------------------------------------------------------------------
// Schema. Entry i migrates from version i to i + 1. Never edit an entry that
// has shipped; append a new one.
//
// meta       counters: last_sequence, retention_removed_through (the
//            watermark behind ReadChanges' OUT_OF_RANGE), article_count.
// articles   one row per article id, keyed by its current sequence (an update
//            deletes the row and inserts it with the new sequence): the
//            serialized proto, the columns queries use, and tsv, the
//            weighted text vector (title A, summary B, content_text C) behind
//            the GIN index. tsv is computed by the INSERT from the article's
//            text rather than GENERATED from stored columns, so the text is
//            not stored a second time next to the proto.
// tags       (article seq, dimension, normalised value) with the article's
//            time copied in, so one tag's articles are read newest first
//            straight from tags_by_value. facet marks the rows Facets counts.
// amounts    announced amounts by currency (upper case).
// labels     display value and label of each facet value.
// tag_counts articles per facet value, maintained by every write, so
//            unfiltered Facets read a few thousand rows.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE meta(
  key text PRIMARY KEY,
  value bigint NOT NULL
);
INSERT INTO meta(key, value) VALUES
  ('last_sequence', 0), ('retention_removed_through', 0),
  ('article_count', 0);
CREATE TABLE articles(
  seq bigint PRIMARY KEY,
  id text NOT NULL UNIQUE,
  published bigint NOT NULL,
  feed_id text NOT NULL,
  language text NOT NULL,
  max_amount double precision,
  content_hash text NOT NULL,
  fingerprint bigint NOT NULL,
  proto bytea NOT NULL,
  tsv tsvector NOT NULL
);
CREATE INDEX articles_by_time ON articles(published, seq);
CREATE INDEX articles_text ON articles USING gin(tsv);
CREATE TABLE tags(
  seq bigint NOT NULL,
  dim smallint NOT NULL,
  value text NOT NULL,
  published bigint NOT NULL,
  facet boolean NOT NULL,
  PRIMARY KEY(seq, dim, value)
);
CREATE INDEX tags_by_value ON tags(dim, value, published, seq);
CREATE TABLE amounts(
  seq bigint NOT NULL,
  currency text NOT NULL,
  value double precision NOT NULL,
  PRIMARY KEY(seq, currency, value)
);
CREATE TABLE labels(
  dim smallint NOT NULL,
  value text NOT NULL,
  display text NOT NULL,
  label text NOT NULL,
  PRIMARY KEY(dim, value)
);
CREATE TABLE tag_counts(
  dim smallint NOT NULL,
  value text NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY(dim, value)
);
)sql",
    // v2: accent folding (Nestlé = Nestle). Migrate() then recomputes the
    // text vector of the rows already stored.
    R"sql(
CREATE EXTENSION IF NOT EXISTS unaccent;
)sql",
};

// The version whose migration makes every stored text vector stale.
constexpr int64_t kReindexTextAtVersion = 2;

// The writer's prepared statements.
constexpr std::pair<const char*, const char*> kWriterStatements[] = {
    {"lock", "SELECT pg_advisory_xact_lock($1::bigint)"},
    {"meta", "SELECT key, value FROM meta"},
    {"set_meta",
     "UPDATE meta SET value = v.value FROM unnest($1::text[], $2::bigint[]) "
     "AS v(key, value) WHERE meta.key = v.key"},
    {"find",
     "SELECT id, seq, fingerprint FROM articles WHERE id = ANY($1::text[])"},
    // One Upsert's new rows (or a chunk of them), each table's rows as
    // parallel arrays: articles $1-$12, tags $13-$17, amounts $18-$20.
    {"insert",
     "WITH a AS (INSERT INTO articles(seq, id, published, feed_id, language, "
     "max_amount, content_hash, fingerprint, proto, tsv) "
     "SELECT x.seq, x.id, x.published, x.feed_id, x.language, "
     "NULLIF(x.max_amount, '')::float8, x.content_hash, x.fingerprint, "
     "x.proto, " TSV_OF_X
     " FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], "
     "$5::text[], $6::text[], $7::text[], $8::bigint[], $9::bytea[], "
     "$10::text[], $11::text[], $12::text[]) AS x(seq, id, published, "
     "feed_id, language, max_amount, content_hash, fingerprint, proto, "
     "title, summary, content)), "
     "t AS (INSERT INTO tags(seq, dim, value, published, facet) "
     "SELECT * FROM unnest($13::bigint[], $14::smallint[], $15::text[], "
     "$16::bigint[], $17::boolean[])), "
     "m AS (INSERT INTO amounts(seq, currency, value) "
     "SELECT * FROM unnest($18::bigint[], $19::text[], $20::float8[]) "
     "ON CONFLICT DO NOTHING) "
     "SELECT 1"},
    {"delete",
     "WITH v AS (SELECT unnest($1::bigint[]) AS seq), "
     "t AS (DELETE FROM tags WHERE seq IN (SELECT seq FROM v) "
     "RETURNING dim, value, facet), "
     "m AS (DELETE FROM amounts WHERE seq IN (SELECT seq FROM v)), "
     "a AS (DELETE FROM articles WHERE seq IN (SELECT seq FROM v)) "
     "SELECT dim, value FROM t WHERE facet"},
    {"labels",
     "INSERT INTO labels(dim, value, display, label) SELECT * FROM "
     "unnest($1::smallint[], $2::text[], $3::text[], $4::text[]) "
     "ON CONFLICT (dim, value) DO UPDATE SET display = excluded.display, "
     "label = excluded.label WHERE excluded.label <> '' AND "
     "(labels.label <> excluded.label OR labels.display <> excluded.display)"},
    {"add_counts",
     "INSERT INTO tag_counts(dim, value, n) SELECT * FROM "
     "unnest($1::smallint[], $2::text[], $3::bigint[]) "
     "ON CONFLICT (dim, value) DO UPDATE SET n = tag_counts.n + excluded.n"},
    {"drop_counts",
     "DELETE FROM tag_counts WHERE n <= 0 AND (dim, value) IN "
     "(SELECT * FROM unnest($1::smallint[], $2::text[]))"},
    {"notify", "SELECT pg_notify($1::text, $2::text)"},
    {"expired",
     "SELECT seq FROM articles WHERE published < $1::bigint "
     "ORDER BY published, seq LIMIT $2::bigint"},
    {"oldest",
     "SELECT seq FROM articles ORDER BY published, seq LIMIT $1::bigint"},
};

// ---------------------------------------------------------------------------
// Values as parameters.

// PostgreSQL text cannot hold NUL; libpq would cut the value there.
std::string NoNul(std::string_view s) {
  std::string out(s);
  out.erase(std::remove(out.begin(), out.end(), '\0'), out.end());
  return out;
}

std::string DoubleText(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

// An array literal ({"a","b"}) for a text[] parameter.
std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    for (char c : values[i]) {
      if (c == '\0') continue;
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

template <typename T>
std::string NumberArray(const std::vector<T>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    if constexpr (std::is_floating_point_v<T>) {
      out += DoubleText(values[i]);
    } else {
      absl::StrAppend(&out, values[i]);
    }
  }
  out.push_back('}');
  return out;
}

std::string BoolArray(const std::vector<bool>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back(values[i] ? 't' : 'f');
  }
  out.push_back('}');
  return out;
}

// The input form of a bytea value (\x and hex digits), for an element of a
// bytea[] parameter.
std::string ByteaHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + 2 * bytes.size());
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string_view FieldBytes(const pqxx::binarystring& b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

// ---------------------------------------------------------------------------
// Errors.

// libpq messages end with a newline.
std::string Message(const std::exception& e) {
  return std::string(absl::StripTrailingAsciiWhitespace(e.what()));
}

// Maps the exception being handled to a Status; sets *broken when the
// connection must be dropped. `has_text`: a data error may come from the
// user's text query.
absl::Status CurrentExceptionStatus(std::string_view what, bool has_text,
                                    bool* broken) {
  const std::string prefix =
      absl::StrCat("PostgreSQL: ", std::string(what), ": ");
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    *broken = true;
    return absl::UnavailableError(
        absl::StrCat(prefix, "connection lost: ", Message(e)));
  } catch (const pqxx::in_doubt_error& e) {
    *broken = true;
    return absl::UnavailableError(
        absl::StrCat(prefix, "commit outcome unknown: ", Message(e)));
  } catch (const pqxx::sql_error& e) {
    const std::string state = e.sqlstate();
    // 08: connection exception; 57P01..03: server shutting down or
    // terminating this backend.
    if (absl::StartsWith(state, "08") || absl::StartsWith(state, "57P")) {
      *broken = true;
      return absl::UnavailableError(absl::StrCat(prefix, Message(e)));
    }
    // 40: serialization failure / deadlock; 53: insufficient resources;
    // 55P03: lock not available.
    if (absl::StartsWith(state, "40") || absl::StartsWith(state, "53") ||
        state == "55P03") {
      return absl::UnavailableError(absl::StrCat(prefix, Message(e)));
    }
    if (has_text && (absl::StartsWith(state, "22") || state == "42601" ||
                     state == "54000")) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.text: ", Message(e)));
    }
    return absl::InternalError(
        absl::StrCat(prefix, Message(e), " (SQLSTATE ", state, ")"));
  } catch (const pqxx::failure& e) {
    *broken = true;
    return absl::UnavailableError(absl::StrCat(prefix, Message(e)));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(prefix, Message(e)));
  }
}

absl::StatusOr<std::unique_ptr<internal::PgConnection>> Connect(
    const std::string& url, std::string_view role) {
  try {
    return std::make_unique<internal::PgConnection>(url);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("PostgreSQL: connect (",
                                               std::string(role),
                                               " connection): ", Message(e)));
  }
}

// ---------------------------------------------------------------------------
// Schema migration.

// Recomputes the text vector of every stored article from its proto, in
// batches, inside the migration's transaction.
absl::Status ReindexText(pqxx::work& w) {
  constexpr int kBatch = 1000;
  int64_t after = std::numeric_limits<int64_t>::min();
  for (;;) {
    pqxx::result r = w.exec_params(
        "SELECT seq, proto FROM articles WHERE seq > $1::bigint ORDER BY seq "
        "LIMIT $2::integer",
        after, kBatch);
    if (r.empty()) return absl::OkStatus();
    std::vector<int64_t> seqs;
    std::vector<std::string> titles, summaries, contents;
    for (const auto& row : r) {
      after = row[0].as<int64_t>();
      pqxx::binarystring blob(row[1]);
      absl::StatusOr<Article> a = internal::ParseArticle(FieldBytes(blob));
      if (!a.ok()) return a.status();
      seqs.push_back(after);
      titles.push_back(a->title());
      summaries.push_back(a->summary());
      contents.push_back(a->content_text());
    }
    w.exec_params(
        "UPDATE articles a SET tsv = " TSV_OF_X
        " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) "
        "AS x(seq, title, summary, content) WHERE a.seq = x.seq",
        NumberArray(seqs), TextArray(titles), TextArray(summaries),
        TextArray(contents));
  }
}

absl::Status Migrate(pqxx::connection& conn) {
  // A session lock, held until the end of Open's migration connection (also
  // when this returns early): replicas starting together migrate one at a
  // time, and the later ones find the schema current.
  {
    pqxx::nontransaction n(conn);
    n.exec_params("SELECT pg_advisory_lock($1::bigint)", kSchemaLockKey);
    n.exec(
        "CREATE TABLE IF NOT EXISTS schema_version(version integer NOT NULL)");
  }
  int64_t version = 0;
  {
    pqxx::work w(conn);
    pqxx::result r = w.exec("SELECT version FROM schema_version");
    if (r.empty()) {
      w.exec("INSERT INTO schema_version(version) VALUES (0)");
    } else {
      version = r[0][0].as<int64_t>();
    }
    w.commit();
  }
  const int64_t known = std::size(kMigrations);
  if (version > known) {
    return absl::FailedPreconditionError(
        absl::StrCat("PostgreSQL: schema version ", version,
                     " is newer than this binary's ", known));
  }
  for (int64_t v = version; v < known; ++v) {
    pqxx::work w(conn);
    try {
      w.exec(kMigrations[v]);
    } catch (const pqxx::sql_error& e) {
      // Most likely a missing or forbidden extension (unaccent ships with
      // the server, e.g. Debian's postgresql package, and is a trusted
      // extension: the database owner may create it).
      return absl::FailedPreconditionError(absl::StrCat(
          "PostgreSQL: schema migration to version ", v + 1,
          " failed: ", Message(e), " (SQLSTATE ", e.sqlstate(), ")"));
    }
    if (v + 1 == kReindexTextAtVersion) {
      if (absl::Status s = ReindexText(w); !s.ok()) return s;
    }
    w.exec_params("UPDATE schema_version SET version = $1::integer", v + 1);
    w.commit();
  }
  pqxx::nontransaction n(conn);
  n.exec_params("SELECT pg_advisory_unlock($1::bigint)", kSchemaLockKey);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Filters to SQL.

// A query under construction: SQL text and its parameters, in order. Every
// parameter is passed as text and cast in the SQL.
struct Sql {
  std::string text;
  std::vector<std::string> args;

  Sql& Add(std::string_view s) {
    text.append(s);
    return *this;
  }
  Sql& Bind(std::string value, std::string_view type) {
    args.push_back(std::move(value));
    absl::StrAppend(&text, "$", args.size(), "::", std::string(type));
    return *this;
  }
  Sql& BindInt(int64_t v) { return Bind(absl::StrCat(v), "bigint"); }
  Sql& BindDouble(double v) { return Bind(DoubleText(v), "float8"); }
  Sql& BindText(std::string_view v) { return Bind(NoNul(v), "text"); }
  Sql& BindTextArray(const std::vector<std::string>& v) {
    return Bind(TextArray(v), "text[]");
  }
};

pqxx::result Run(pqxx::transaction_base& tx, const Sql& q) {
  return tx.exec_params(q.text, pqxx::prepare::make_dynamic_params(q.args));
}

// One positive or negative tag condition, or the text condition.
struct Part {
  enum Kind { kAnyOf, kAllOf, kNoneOf, kText } kind;
  TagDimension dim = TagDimension::kCompany;
  std::vector<std::string> values;  // normalised; for kText the tsquery
  int64_t estimate = 0;             // rows, capped at kSmallSet

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

// The parts of a validated filter; INVALID_ARGUMENT for bad text syntax.
absl::StatusOr<std::vector<Part>> FilterParts(const ArticleFilter& filter) {
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
    absl::StatusOr<std::string> q = internal::FtsToTsquery(filter.text());
    if (!q.ok()) return q.status();
    parts.push_back({Part::kText, TagDimension::kCompany, {std::move(*q)}});
  }
  return parts;
}

// Appends " AND <condition>" on articles `a` for each part except `skip`,
// the time range on `time_col` and the minimum amount.
void AppendConditions(const ArticleFilter& filter,
                      const std::vector<Part>& parts, int skip,
                      std::string_view time_col, Sql& q) {
  for (size_t i = 0; i < parts.size(); ++i) {
    if (static_cast<int>(i) == skip) continue;
    const Part& p = parts[i];
    if (p.kind == Part::kText) {
      q.Add(" AND a.tsv @@ to_tsquery('simple', unaccent(")
          .BindText(p.values[0])
          .Add("))");
      continue;
    }
    q.Add(p.kind == Part::kNoneOf ? " AND NOT EXISTS" : " AND EXISTS")
        .Add(" (SELECT 1 FROM tags t WHERE t.seq = a.seq AND t.dim = ")
        .BindInt(static_cast<int64_t>(p.dim))
        .Add(" AND t.value = ANY(")
        .BindTextArray(p.values)
        .Add("))");
  }
  if (filter.has_published_after()) {
    q.Add(" AND ").Add(time_col).Add(" >= ").BindInt(
        TimestampToMicros(filter.published_after()));
  }
  if (filter.has_published_before()) {
    q.Add(" AND ").Add(time_col).Add(" < ").BindInt(
        TimestampToMicros(filter.published_before()));
  }
  if (filter.min_amount() > 0) {
    if (filter.amount_currency().empty()) {
      q.Add(" AND a.max_amount >= ").BindDouble(filter.min_amount());
    } else {
      q.Add(
           " AND EXISTS (SELECT 1 FROM amounts m WHERE m.seq = a.seq"
           " AND m.currency = ")
          .BindText(absl::AsciiStrToUpper(filter.amount_currency()))
          .Add(" AND m.value >= ")
          .BindDouble(filter.min_amount())
          .Add(")");
    }
  }
}

bool HasText(const std::vector<Part>& parts) {
  for (const Part& p : parts) {
    if (p.kind == Part::kText) return true;
  }
  return false;
}

// The part whose tag drives a newest-first search through tags_by_value (its
// rows come in time order, so a page reads few more rows than it returns), or
// -1 to leave the plan to PostgreSQL. With a text condition too, its
// statistics on the GIN index tell a common word (walk the tag newest first,
// checking each article's text, until the page is full) from a rare one (read
// the word's matches from GIN, join them with the tag's rows and sort).
absl::StatusOr<int> ChooseDriver(pqxx::transaction_base& tx,
                                 std::vector<Part>& parts) {
  int best = -1;
  int singles = 0;
  for (const Part& p : parts) singles += p.SingleTag() ? 1 : 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    Part& p = parts[i];
    if (!p.SingleTag()) continue;
    if (singles > 1) {
      Sql q;
      q.Add("SELECT count(*) FROM (SELECT 1 FROM tags WHERE dim = ")
          .BindInt(static_cast<int64_t>(p.dim))
          .Add(" AND value = ")
          .BindText(p.values[0])
          .Add(" LIMIT ")
          .BindInt(kSmallSet)
          .Add(") s");
      p.estimate = Run(tx, q)[0][0].as<int64_t>();
    }
    if (best < 0 || p.estimate < parts[best].estimate) {
      best = static_cast<int>(i);
    }
  }
  return best;
}

}  // namespace

// ---------------------------------------------------------------------------
// The AwaitCommit listener: a connection that LISTENs on kChannel.

class PgStore::Listener {
 public:
  static absl::StatusOr<std::unique_ptr<Listener>> Start(
      const std::string& url) {
    absl::StatusOr<std::unique_ptr<internal::PgConnection>> conn =
        Connect(url, "listen");
    if (!conn.ok()) return conn.status();
    auto listener = std::unique_ptr<Listener>(new Listener(std::move(*conn)));
    try {
      // Registering the receiver issues LISTEN.
      listener->receiver_ =
          std::make_unique<Receiver>(*listener->conn_, &listener->latest_);
    } catch (...) {
      bool broken = false;
      return CurrentExceptionStatus("LISTEN", false, &broken);
    }
    return listener;
  }

  ~Listener() { receiver_.reset(); }  // before its connection

  pqxx::connection& conn() { return *conn_; }
  // The highest sequence notified so far.
  uint64_t latest() const { return latest_; }

 private:
  class Receiver final : public pqxx::notification_receiver {
   public:
    Receiver(pqxx::connection& conn, uint64_t* latest)
        : pqxx::notification_receiver(conn, kChannel), latest_(latest) {}
    void operator()(const std::string& payload, int) override {
      uint64_t v = 0;
      if (absl::SimpleAtoi(payload, &v)) *latest_ = std::max(*latest_, v);
    }

   private:
    uint64_t* latest_;
  };

  explicit Listener(std::unique_ptr<internal::PgConnection> conn)
      : conn_(std::move(conn)) {}

  std::unique_ptr<internal::PgConnection> conn_;
  uint64_t latest_ = 0;
  std::unique_ptr<Receiver> receiver_;
};

// ---------------------------------------------------------------------------
// Open.

int PgStore::CurrentSchemaVersion() {
  return static_cast<int>(std::size(kMigrations));
}

absl::StatusOr<std::unique_ptr<PgStore>> PgStore::Open(
    const StoreOptions& options) {
  if (options.postgres_url.empty()) {
    return absl::InvalidArgumentError("postgres_url: must be set");
  }
  if (options.postgres_pool_size < 1) {
    return absl::InvalidArgumentError("postgres_pool_size: must be at least 1");
  }
  if (absl::Status s = internal::ValidateCommonOptions(options); !s.ok()) {
    return s;
  }
  {
    absl::StatusOr<std::unique_ptr<internal::PgConnection>> conn;
    if (absl::Status s = RetryWhileUnavailable(
            "PostgreSQL (article store)", options.postgres_connect_timeout,
            [&] {
              conn = Connect(options.postgres_url, "migration");
              return conn.status();
            });
        !s.ok()) {
      return s;
    }
    try {
      if (absl::Status s = Migrate(**conn); !s.ok()) return s;
    } catch (...) {
      bool broken = false;
      return CurrentExceptionStatus("migrate schema", false, &broken);
    }
  }
  auto store = std::unique_ptr<PgStore>(new PgStore(options));
  absl::MutexLock lock(&store->write_mu_);
  if (absl::Status s = store->WithWriter(
          "connect", [](pqxx::connection&) { return absl::OkStatus(); });
      !s.ok()) {
    return s;
  }
  return store;
}

PgStore::PgStore(const StoreOptions& options) : options_(options) {}

PgStore::~PgStore() = default;

// ---------------------------------------------------------------------------
// Connections.

template <typename Fn>
absl::Status PgStore::WithWriter(std::string_view what, Fn&& fn) {
  if (writer_ == nullptr) {
    absl::StatusOr<std::unique_ptr<internal::PgConnection>> conn =
        Connect(options_.postgres_url, "writer");
    if (!conn.ok()) return conn.status();
    for (const auto& [name, sql] : kWriterStatements) {
      (*conn)->prepare(name, sql);  // prepared on first use
    }
    writer_ = std::move(*conn);
    label_cache_.clear();
  }
  try {
    return fn(*writer_);
  } catch (...) {
    bool broken = false;
    absl::Status s = CurrentExceptionStatus(what, false, &broken);
    if (broken || !writer_->is_open()) writer_.reset();
    return s;
  }
}

absl::StatusOr<std::unique_ptr<internal::PgConnection>>
PgStore::AcquireReader() {
  {
    absl::MutexLock lock(&pool_mu_);
    pool_mu_.Await(absl::Condition(
        +[](PgStore* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return !s->idle_readers_.empty() ||
                 s->open_readers_ < s->options_.postgres_pool_size;
        },
        this));
    if (!idle_readers_.empty()) {
      std::unique_ptr<internal::PgConnection> conn =
          std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return conn;
    }
    ++open_readers_;
  }
  absl::StatusOr<std::unique_ptr<internal::PgConnection>> conn =
      Connect(options_.postgres_url, "reader");
  if (!conn.ok()) {
    absl::MutexLock lock(&pool_mu_);
    --open_readers_;
  }
  return conn;
}

void PgStore::ReleaseReader(std::unique_ptr<internal::PgConnection> conn) {
  absl::MutexLock lock(&pool_mu_);
  if (conn != nullptr && conn->is_open()) {
    idle_readers_.push_back(std::move(conn));
  } else {
    --open_readers_;
  }
}

template <typename Fn>
absl::Status PgStore::WithReader(std::string_view what, bool has_text,
                                 Fn&& fn) {
  absl::StatusOr<std::unique_ptr<internal::PgConnection>> acquired =
      AcquireReader();
  if (!acquired.ok()) return acquired.status();
  std::unique_ptr<internal::PgConnection> conn = std::move(*acquired);
  absl::Status status;
  try {
    status = fn(*conn);
  } catch (...) {
    bool broken = false;
    status = CurrentExceptionStatus(what, has_text, &broken);
    if (broken) conn.reset();
  }
  ReleaseReader(std::move(conn));
  return status;
}

// ---------------------------------------------------------------------------
// Writes.

namespace {

// Change in the number of articles per facet value (dim, value), summed over
// one transaction and written to tag_counts once at its end.
using FacetDeltas = std::map<std::pair<int, std::string>, int64_t>;

// Deletes the articles with sequences `seqs` (rows, tags, amounts),
// subtracting their facet values from `deltas`.
void DeleteArticles(pqxx::work& w, const std::vector<int64_t>& seqs,
                    FacetDeltas& deltas) {
  pqxx::result r = w.exec_prepared("delete", NumberArray(seqs));
  for (const pqxx::row& row : r) {
    --deltas[{row[0].as<int>(), row[1].as<std::string>()}];
  }
}

void ApplyFacetDeltas(pqxx::work& w, const FacetDeltas& deltas) {
  std::vector<int> dims, drop_dims;
  std::vector<std::string> values, drop_values;
  std::vector<int64_t> ns;
  for (const auto& [key, delta] : deltas) {
    if (delta == 0) continue;
    dims.push_back(key.first);
    values.push_back(key.second);
    ns.push_back(delta);
    if (delta < 0) {
      drop_dims.push_back(key.first);
      drop_values.push_back(key.second);
    }
  }
  if (!dims.empty()) {
    w.exec_prepared("add_counts", NumberArray(dims), TextArray(values),
                    NumberArray(ns));
  }
  if (!drop_dims.empty()) {
    w.exec_prepared("drop_counts", NumberArray(drop_dims),
                    TextArray(drop_values));
  }
}

struct Meta {
  int64_t last_sequence = 0;
  int64_t removed_through = 0;
  int64_t article_count = 0;
};

Meta ReadMeta(pqxx::transaction_base& tx, bool prepared) {
  pqxx::result r = prepared ? tx.exec_prepared("meta")
                            : tx.exec("SELECT key, value FROM meta");
  Meta m;
  for (const pqxx::row& row : r) {
    const std::string key = row[0].as<std::string>();
    const int64_t value = row[1].as<int64_t>();
    if (key == "last_sequence") m.last_sequence = value;
    if (key == "retention_removed_through") m.removed_through = value;
    if (key == "article_count") m.article_count = value;
  }
  return m;
}

// One article version an Upsert writes: its row, tag rows and amounts.
struct NewArticle {
  int64_t seq = 0;
  int64_t published = 0;
  int64_t fingerprint = 0;
  std::string id, feed_id, language, max_amount, content_hash, proto;
  std::string title, summary, content;
  std::vector<int> tag_dims;
  std::vector<std::string> tag_values;
  std::vector<bool> tag_facets;
  std::vector<std::string> currencies;
  std::vector<double> amounts;
  // Replaced by a later version in the same Upsert: not written.
  bool superseded = false;
};

// Articles per "insert" statement: bounds the size of its parameters.
constexpr size_t kInsertChunk = 500;

// Inserts `rows` (those not superseded) with one statement per chunk.
void InsertArticles(pqxx::work& w, const std::vector<NewArticle>& rows) {
  size_t next = 0;
  while (next < rows.size()) {
    std::vector<int64_t> seqs, published, fingerprints;
    std::vector<std::string> ids, feeds, languages, max_amounts, hashes, protos,
        titles, summaries, contents;
    std::vector<int64_t> tag_seqs, tag_published;
    std::vector<int> tag_dims;
    std::vector<std::string> tag_values;
    std::vector<bool> tag_facets;
    std::vector<int64_t> amount_seqs;
    std::vector<std::string> currencies;
    std::vector<double> amounts;
    for (; next < rows.size() && seqs.size() < kInsertChunk; ++next) {
      const NewArticle& a = rows[next];
      if (a.superseded) continue;
      seqs.push_back(a.seq);
      published.push_back(a.published);
      fingerprints.push_back(a.fingerprint);
      ids.push_back(a.id);
      feeds.push_back(a.feed_id);
      languages.push_back(a.language);
      max_amounts.push_back(a.max_amount);
      hashes.push_back(a.content_hash);
      protos.push_back(ByteaHex(a.proto));
      titles.push_back(a.title);
      summaries.push_back(a.summary);
      contents.push_back(a.content);
      for (size_t i = 0; i < a.tag_values.size(); ++i) {
        tag_seqs.push_back(a.seq);
        tag_published.push_back(a.published);
        tag_dims.push_back(a.tag_dims[i]);
        tag_values.push_back(a.tag_values[i]);
        tag_facets.push_back(a.tag_facets[i]);
      }
      for (size_t i = 0; i < a.amounts.size(); ++i) {
        amount_seqs.push_back(a.seq);
        currencies.push_back(a.currencies[i]);
        amounts.push_back(a.amounts[i]);
      }
    }
    if (seqs.empty()) break;
    w.exec_prepared(
        "insert", NumberArray(seqs), TextArray(ids), NumberArray(published),
        TextArray(feeds), TextArray(languages), TextArray(max_amounts),
        TextArray(hashes), NumberArray(fingerprints), TextArray(protos),
        TextArray(titles), TextArray(summaries), TextArray(contents),
        NumberArray(tag_seqs), NumberArray(tag_dims), TextArray(tag_values),
        NumberArray(tag_published), BoolArray(tag_facets),
        NumberArray(amount_seqs), TextArray(currencies), NumberArray(amounts));
  }
}

}  // namespace

absl::StatusOr<UpsertResult> PgStore::Upsert(std::vector<Article> articles) {
  for (size_t i = 0; i < articles.size(); ++i) {
    if (articles[i].id().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("articles[", i, "].id: empty"));
    }
  }
  absl::MutexLock lock(&write_mu_);
  UpsertResult result;
  absl::Status status = WithWriter("upsert", [&](pqxx::connection& conn) {
    result = UpsertResult();
    pqxx::work w(conn);
    // Writers of every replica queue here; the counter is read only after
    // the previous writer committed (see pg_store.h).
    w.exec_prepared("lock", kWriteLockKey);
    const Meta meta = ReadMeta(w, /*prepared=*/true);
    int64_t seq = meta.last_sequence;
    int64_t article_count = meta.article_count;

    // id -> where its current version is: (seq, fingerprint, index in
    // `rows` or -1 if stored before this Upsert), kept up to date as this
    // batch goes (an id may appear twice).
    struct Version {
      int64_t seq = 0;
      int64_t fingerprint = 0;
      int row = -1;
    };
    std::map<std::string, Version> stored;
    {
      std::vector<std::string> ids;
      for (const Article& a : articles) ids.push_back(a.id());
      for (const pqxx::row& row : w.exec_prepared("find", TextArray(ids))) {
        stored[row[0].as<std::string>()] = {row[1].as<int64_t>(),
                                            row[2].as<int64_t>(), -1};
      }
    }
    FacetDeltas deltas;
    // (dim, value) -> (display, label) to write to labels.
    std::map<std::pair<int, std::string>, std::pair<std::string, std::string>>
        labels;
    // Sequences of stored versions this Upsert replaces (deleted with one
    // statement) and the new rows (InsertArticles), written at the end.
    std::vector<int64_t> replaced;
    std::vector<NewArticle> rows;
    for (Article& in : articles) {
      const int64_t fingerprint = internal::ArticleFingerprint(in);
      auto it = stored.find(in.id());
      if (it != stored.end()) {
        if (it->second.fingerprint == fingerprint) {
          ++result.unchanged;
          continue;
        }
        // Changed: the old version goes, the new one gets a new sequence.
        if (it->second.row < 0) {
          replaced.push_back(it->second.seq);
        } else {
          NewArticle& old = rows[it->second.row];
          old.superseded = true;
          for (size_t i = 0; i < old.tag_values.size(); ++i) {
            if (old.tag_facets[i]) {
              --deltas[{old.tag_dims[i], old.tag_values[i]}];
            }
          }
        }
        --article_count;
        ++result.updated;
      }
      ++seq;
      ++article_count;
      stored[in.id()] = {seq, fingerprint, static_cast<int>(rows.size())};
      NewArticle& row = rows.emplace_back();
      row.seq = seq;
      row.published = ArticleTimeMicros(in);
      row.fingerprint = fingerprint;
      in.set_sequence(static_cast<uint64_t>(seq));
      if (!in.SerializeToString(&row.proto)) {
        return absl::InternalError(
            absl::StrCat("article ", in.id(), ": does not serialize"));
      }
      row.id = in.id();
      row.feed_id = in.feed_id();
      row.language = absl::AsciiStrToLower(in.language());
      row.content_hash = in.content_hash();
      row.title = in.title();
      row.summary = in.summary();
      row.content = in.content_text();
      for (const auto& m : in.amounts()) {
        row.currencies.push_back(absl::AsciiStrToUpper(m.currency()));
        row.amounts.push_back(m.value());
      }
      // NULL (an empty string here) when the article announces no amount.
      if (!row.amounts.empty()) {
        row.max_amount = DoubleText(
            *std::max_element(row.amounts.begin(), row.amounts.end()));
      }
      auto add_tag = [&](TagDimension dim, const std::string& value,
                         bool facet) {
        for (size_t i = 0; i < row.tag_values.size(); ++i) {
          if (row.tag_dims[i] == static_cast<int>(dim) &&
              row.tag_values[i] == value) {
            return;
          }
        }
        row.tag_dims.push_back(static_cast<int>(dim));
        row.tag_values.push_back(value);
        row.tag_facets.push_back(facet);
        if (facet) ++deltas[{static_cast<int>(dim), value}];
      };
      auto add_label = [&](TagDimension dim, const std::string& value,
                           const std::string& display,
                           const std::string& label) {
        auto& slot = labels[{static_cast<int>(dim), value}];
        // As the SQL does: an empty label never replaces a known one.
        if (label.empty() && !slot.second.empty()) return;
        slot = {display, label};
      };
      // Facet rows first, so a name equal to an id keeps facet = true.
      for (const auto& c : in.companies()) {
        const std::string& display = c.id().empty() ? c.name() : c.id();
        if (display.empty()) continue;
        const std::string value =
            NormalizeTagValue(TagDimension::kCompany, display);
        add_tag(TagDimension::kCompany, value, true);
        add_label(TagDimension::kCompany, value, display, c.name());
      }
      for (const auto& c : in.countries()) {
        if (c.code().empty()) continue;
        const std::string value =
            NormalizeTagValue(TagDimension::kCountry, c.code());
        add_tag(TagDimension::kCountry, value, true);
        add_label(TagDimension::kCountry, value, value, c.name());
      }
      for (const auto& t : in.topics()) {
        if (t.id().empty()) continue;
        const std::string value =
            NormalizeTagValue(TagDimension::kTopic, t.id());
        add_tag(TagDimension::kTopic, value, true);
        add_label(TagDimension::kTopic, value, value, t.name());
      }
      for (TagDimension dim : kAllTagDimensions) {
        for (const std::string& value : ArticleTagValues(dim, in)) {
          add_tag(dim, value, false);
        }
      }
      ++result.stored;
      result.changed.push_back(std::move(in));
    }
    if (!replaced.empty()) DeleteArticles(w, replaced, deltas);
    InsertArticles(w, rows);
    // Labels rarely change: skip those the cache says are stored already.
    std::vector<int> label_dims;
    std::vector<std::string> label_values, displays, label_texts;
    for (const auto& [key, dl] : labels) {
      std::string cache_key = absl::StrCat(key.first, ":", key.second);
      std::string cached = absl::StrCat(dl.first, "\n", dl.second);
      auto c = label_cache_.find(cache_key);
      if (c != label_cache_.end() && c->second == cached) continue;
      if (label_cache_.size() >= kMaxCachedLabels) label_cache_.clear();
      label_cache_[std::move(cache_key)] = std::move(cached);
      label_dims.push_back(key.first);
      label_values.push_back(key.second);
      displays.push_back(dl.first);
      label_texts.push_back(dl.second);
    }
    if (!label_dims.empty()) {
      w.exec_prepared("labels", NumberArray(label_dims),
                      TextArray(label_values), TextArray(displays),
                      TextArray(label_texts));
    }
    ApplyFacetDeltas(w, deltas);
    if (result.stored > 0) {
      w.exec_prepared("set_meta", TextArray({"last_sequence", "article_count"}),
                      NumberArray(std::vector<int64_t>{seq, article_count}));
      // Delivered to every listener when (and only if) this commits.
      w.exec_prepared("notify", kChannel, absl::StrCat(seq));
    }
    result.latest_sequence = static_cast<uint64_t>(seq);
    w.commit();
    return absl::OkStatus();
  });
  if (!status.ok()) {
    label_cache_.clear();  // it may describe rows that were rolled back
    return status;
  }
  return result;
}

// ---------------------------------------------------------------------------
// Reads.

absl::StatusOr<SearchResponse> PgStore::Search(const SearchRequest& request) {
  const ArticleFilter& filter = request.filter();
  absl::StatusOr<internal::SearchParams> params =
      internal::ValidateSearch(request, options_);
  if (!params.ok()) return params.status();
  absl::StatusOr<std::vector<Part>> valid_parts = FilterParts(filter);
  if (!valid_parts.ok()) return valid_parts.status();
  std::vector<Part>& parts = *valid_parts;
  const int page_size = params->page_size;
  const std::optional<PageToken>& after = params->after;

  SearchResponse response;
  absl::Status status = WithReader(
      "search", HasText(parts), [&](pqxx::connection& conn) -> absl::Status {
        response.Clear();
        pqxx::nontransaction tx(conn);
        Sql q;
        int64_t ranked_through = 0;
        if (params->relevance) {
          int text_part = -1;
          for (size_t i = 0; i < parts.size(); ++i) {
            if (parts[i].kind == Part::kText) text_part = static_cast<int>(i);
          }
          // The newest relevance_scan_matches matches as of the first page
          // (seq up to ranked_through) are scored with ts_rank_cd (cover
          // density, default weights: title 1.0, summary 0.4, body 0.2;
          // higher ranks first). Only the best relevance_max_matches of them
          // are ranked, then filtered and paged by keyset: the same set, in
          // the same order, from page to page. Scoring every match instead
          // cost seconds at a million articles for a common word.
          if (after) {
            ranked_through = after->ranked_through;
          } else {
            ranked_through =
                tx.exec1("SELECT coalesce(max(seq), 0) FROM articles")[0]
                    .as<int64_t>();
          }
          q.Add("WITH k(q) AS (SELECT to_tsquery('simple', unaccent(")
              .BindText(parts[text_part].values[0])
              .Add(
                  "))) SELECT * FROM (SELECT a.seq, a.published, a.proto, "
                  "m.score FROM (SELECT s.seq, ts_rank_cd(s.tsv, k.q)::float8 "
                  "AS score FROM (SELECT a.seq, a.tsv FROM articles a, k "
                  "WHERE a.tsv @@ k.q AND a.seq <= ")
              .BindInt(ranked_through)
              .Add(" ORDER BY a.seq DESC LIMIT ")
              .BindInt(options_.relevance_scan_matches)
              .Add(") s, k ORDER BY score DESC, s.seq DESC LIMIT ")
              .BindInt(options_.relevance_max_matches)
              .Add(") m JOIN articles a ON a.seq = m.seq WHERE TRUE");
          AppendConditions(filter, parts, text_part, "a.published", q);
          q.Add(") r WHERE TRUE");
          if (after) {
            q.Add(" AND (r.score < ")
                .BindDouble(after->score)
                .Add(" OR (r.score = ")
                .BindDouble(after->score)
                .Add(" AND r.seq < ")
                .BindInt(after->seq)
                .Add("))");
          }
          q.Add(" ORDER BY r.score DESC, r.seq DESC LIMIT ")
              .BindInt(page_size + 1);
        } else {
          absl::StatusOr<int> driver = ChooseDriver(tx, parts);
          if (!driver.ok()) return driver.status();
          std::string_view prefix = "a.";
          if (*driver >= 0) {
            // One tag's rows, newest first, straight from tags_by_value.
            prefix = "d.";
            q.Add(
                 "SELECT a.seq, a.published, a.proto, 0::float8 FROM tags d "
                 "JOIN articles a ON a.seq = d.seq WHERE d.dim = ")
                .BindInt(static_cast<int64_t>(parts[*driver].dim))
                .Add(" AND d.value = ")
                .BindText(parts[*driver].values[0]);
          } else {
            q.Add(
                "SELECT a.seq, a.published, a.proto, 0::float8 "
                "FROM articles a WHERE TRUE");
          }
          AppendConditions(filter, parts, *driver,
                           std::string(prefix) + "published", q);
          if (after) {
            q.Add(" AND (")
                .Add(prefix)
                .Add("published, ")
                .Add(prefix)
                .Add("seq) < (")
                .BindInt(after->published)
                .Add(", ")
                .BindInt(after->seq)
                .Add(")");
          }
          q.Add(" ORDER BY ")
              .Add(prefix)
              .Add("published DESC, ")
              .Add(prefix)
              .Add("seq DESC LIMIT ")
              .BindInt(page_size + 1);
        }
        pqxx::result r = Run(tx, q);
        PageToken last;
        size_t response_bytes = 0;
        auto end_page = [&] {
          last.order = static_cast<uint8_t>(params->order);
          last.fingerprint = params->fingerprint;
          last.ranked_through = ranked_through;
          response.set_next_page_token(internal::EncodeToken(last));
        };
        for (const pqxx::row& row : r) {
          if (response.articles_size() == page_size) {
            end_page();
            break;
          }
          pqxx::binarystring blob(row[2]);
          absl::StatusOr<Article> a = internal::ParseArticle(FieldBytes(blob));
          if (!a.ok()) return a.status();
          const size_t bytes = a->ByteSizeLong();
          if (response.articles_size() > 0 &&
              response_bytes + bytes > options_.max_response_bytes) {
            end_page();  // the next page starts with this article
            break;
          }
          response_bytes += bytes;
          *response.add_articles() = std::move(*a);
          last.seq = row[0].as<int64_t>();
          last.published = row[1].as<int64_t>();
          last.score = row[3].as<double>();
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<Article> PgStore::Get(std::string_view id) {
  std::optional<Article> found;
  absl::Status status = WithReader(
      "get article", false, [&](pqxx::connection& conn) -> absl::Status {
        pqxx::nontransaction tx(conn);
        pqxx::result r = tx.exec_params(
            "SELECT proto FROM articles WHERE id = $1::text", NoNul(id));
        if (r.empty()) return absl::OkStatus();
        pqxx::binarystring blob(r[0][0]);
        absl::StatusOr<Article> a = internal::ParseArticle(FieldBytes(blob));
        if (!a.ok()) return a.status();
        found = std::move(*a);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("article \"", std::string(id), "\" not found"));
  }
  return *std::move(found);
}

absl::StatusOr<FacetsResponse> PgStore::Facets(const FacetsRequest& request) {
  const ArticleFilter& filter = request.filter();
  absl::StatusOr<int> limit = internal::ValidateFacets(request, options_);
  if (!limit.ok()) return limit.status();
  absl::StatusOr<std::vector<Part>> parts = FilterParts(filter);
  if (!parts.ok()) return parts.status();
  const bool unfiltered = parts->empty() && !filter.has_published_after() &&
                          !filter.has_published_before() &&
                          filter.min_amount() <= 0;
  // c: (dim, value, n) per facet value; the total; then the top `limit` of
  // each dimension (ties by value, byte order) with their labels.
  Sql q;
  if (unfiltered) {
    // Every article matches: the maintained counts are the answer.
    q.Add(
        "WITH c AS (SELECT dim, value, n FROM tag_counts WHERE n > 0), "
        "total AS (SELECT value AS n, false AS estimated FROM meta WHERE "
        "key = 'article_count'), ");
  } else {
    // At most facet_max_matches matching articles are counted, the newest;
    // one more is read to tell whether the response is `estimated`.
    // Counting every match of a common word cost seconds at a million
    // articles.
    q.Add(
        "WITH found AS MATERIALIZED (SELECT a.seq, a.published FROM articles a "
        "WHERE TRUE");
    AppendConditions(filter, *parts, -1, "a.published", q);
    q.Add(" ORDER BY a.published DESC, a.seq DESC LIMIT ")
        .BindInt(static_cast<int64_t>(options_.facet_max_matches) + 1)
        .Add(
            "), m AS MATERIALIZED (SELECT seq FROM found ORDER BY published "
            "DESC, seq DESC LIMIT ")
        .BindInt(options_.facet_max_matches)
        .Add(
            "), c AS (SELECT t.dim, t.value, count(*) AS n FROM m JOIN tags t "
            "ON t.seq = m.seq WHERE t.facet AND t.dim BETWEEN 1 AND 3 "
            "GROUP BY t.dim, t.value), "
            "total AS (SELECT count(*) AS n, (SELECT count(*) FROM found) > ")
        .BindInt(options_.facet_max_matches)
        .Add(" AS estimated FROM m), ");
  }
  q.Add(
       "r AS (SELECT dim, value, n, row_number() OVER (PARTITION BY dim "
       "ORDER BY n DESC, value COLLATE \"C\") AS rn FROM c) "
       "SELECT r.dim::integer, r.value, r.n, r.rn, l.display, l.label "
       "FROM r LEFT JOIN labels l ON l.dim = r.dim AND l.value = r.value "
       "WHERE r.rn <= ")
      .BindInt(*limit)
      .Add(
          " UNION ALL SELECT 0, '', n, estimated::integer, NULL, NULL FROM "
          "total "
          "ORDER BY 1, 4");
  FacetsResponse response;
  absl::Status status = WithReader(
      "facets", HasText(*parts), [&](pqxx::connection& conn) -> absl::Status {
        response.Clear();
        pqxx::nontransaction tx(conn);
        for (const pqxx::row& row : Run(tx, q)) {
          const int dim = row[0].as<int>();
          if (dim == 0) {
            response.set_total(row[2].as<int64_t>());
            response.set_estimated(row[3].as<int>() != 0);
            continue;
          }
          google::protobuf::RepeatedPtrField<FacetCount>* out =
              dim == static_cast<int>(TagDimension::kCompany)
                  ? response.mutable_companies()
              : dim == static_cast<int>(TagDimension::kCountry)
                  ? response.mutable_countries()
                  : response.mutable_topics();
          FacetCount* fc = out->Add();
          fc->set_value(row[4].is_null() ? row[1].as<std::string>()
                                         : row[4].as<std::string>());
          if (!row[5].is_null()) fc->set_label(row[5].as<std::string>());
          fc->set_count(row[2].as<int64_t>());
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<ChangeBatch> PgStore::ReadChanges(uint64_t after_sequence,
                                                 const ArticleFilter& filter,
                                                 int limit) {
  if (absl::Status s = internal::ValidateReadChanges(after_sequence, filter,
                                                     limit, options_);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::vector<Part>> parts = FilterParts(filter);
  if (!parts.ok()) return parts.status();
  Sql q;
  q.Add("SELECT a.seq, a.proto FROM articles a WHERE a.seq > ")
      .BindInt(static_cast<int64_t>(after_sequence));
  AppendConditions(filter, *parts, -1, "a.published", q);
  q.Add(" ORDER BY a.seq LIMIT ").BindInt(limit);
  ChangeBatch batch;
  absl::Status status = WithReader(
      "read changes", HasText(*parts),
      [&](pqxx::connection& conn) -> absl::Status {
        batch = ChangeBatch();
        // One snapshot for the counters and the rows: scanned_through must
        // not run ahead of what the query saw.
        pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn);
        const Meta meta = ReadMeta(tx, /*prepared=*/false);
        if (static_cast<int64_t>(after_sequence) < meta.removed_through) {
          return internal::RetentionGapError(after_sequence,
                                             meta.removed_through);
        }
        for (const pqxx::row& row : Run(tx, q)) {
          pqxx::binarystring blob(row[1]);
          absl::StatusOr<Article> a = internal::ParseArticle(FieldBytes(blob));
          if (!a.ok()) return a.status();
          batch.articles.push_back(std::move(*a));
        }
        tx.commit();
        if (static_cast<int>(batch.articles.size()) == limit) {
          batch.scanned_through = batch.articles.back().sequence();
        } else {
          batch.scanned_through = std::max<uint64_t>(
              after_sequence, static_cast<uint64_t>(meta.last_sequence));
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return batch;
}

absl::StatusOr<uint64_t> PgStore::LatestSequence() {
  int64_t latest = 0;
  absl::Status status = WithReader(
      "latest sequence", false, [&](pqxx::connection& conn) -> absl::Status {
        pqxx::nontransaction tx(conn);
        latest =
            tx.exec("SELECT value FROM meta WHERE key = 'last_sequence'")[0][0]
                .as<int64_t>();
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return static_cast<uint64_t>(latest);
}

absl::StatusOr<uint64_t> PgStore::AwaitCommit(uint64_t known_latest,
                                              absl::Duration timeout) {
  absl::MutexLock lock(&listen_mu_);
  const absl::Time deadline = absl::Now() + timeout;
  // A listen connection lost while nobody waited (a server restart) is
  // replaced within the call; a second loss in one call is reported.
  for (int attempt = 0;; ++attempt) {
    if (listener_ != nullptr && !listener_->conn().is_open()) listener_.reset();
    if (listener_ == nullptr) {
      absl::StatusOr<std::unique_ptr<Listener>> started =
          Listener::Start(options_.postgres_url);
      if (!started.ok()) return started.status();
      listener_ = std::move(*started);
    }
    // LISTEN is in place before the latest sequence is read, so a commit
    // after this read is notified: none falls between the check and the
    // wait.
    absl::StatusOr<uint64_t> latest = LatestSequence();
    if (!latest.ok()) return latest.status();
    if (*latest > known_latest) return *latest;
    absl::Status lost;
    try {
      while (true) {
        listener_->conn().get_notifs();
        if (listener_->latest() > known_latest) return listener_->latest();
        // libpq may report the server's goodbye as a closed connection
        // rather than an error; waiting on it would return at once, forever.
        if (!listener_->conn().is_open()) {
          throw pqxx::broken_connection("listen connection closed");
        }
        const absl::Duration left = deadline - absl::Now();
        if (left <= absl::ZeroDuration()) break;
        const int64_t micros =
            std::max<int64_t>(1, absl::ToInt64Microseconds(left));
        listener_->conn().await_notification(
            static_cast<long>(micros / 1000000),
            static_cast<long>(micros % 1000000));
      }
    } catch (...) {
      bool broken = false;
      lost = CurrentExceptionStatus("await commit", false, &broken);
      listener_.reset();
    }
    if (lost.ok()) return LatestSequence();
    if (attempt > 0) return lost;
  }
}

// ---------------------------------------------------------------------------
// Retention.

absl::StatusOr<int64_t> PgStore::RetentionBatch(absl::Time now) {
  absl::MutexLock lock(&write_mu_);
  int64_t removed = 0;
  absl::Status status = WithWriter("retention", [&](pqxx::connection& conn) {
    removed = 0;
    pqxx::work w(conn);
    w.exec_prepared("lock", kWriteLockKey);
    const Meta meta = ReadMeta(w, /*prepared=*/true);
    // Victims: first the expired, then the oldest beyond the count limit.
    std::vector<int64_t> victims;
    if (options_.retention_max_age > absl::ZeroDuration()) {
      for (const pqxx::row& row : w.exec_prepared(
               "expired", absl::ToUnixMicros(now - options_.retention_max_age),
               static_cast<int64_t>(kRetentionBatch))) {
        victims.push_back(row[0].as<int64_t>());
      }
    }
    if (victims.empty() && options_.retention_max_articles > 0 &&
        meta.article_count > options_.retention_max_articles) {
      for (const pqxx::row& row : w.exec_prepared(
               "oldest",
               std::min<int64_t>(
                   kRetentionBatch,
                   meta.article_count - options_.retention_max_articles))) {
        victims.push_back(row[0].as<int64_t>());
      }
    }
    if (victims.empty()) return absl::OkStatus();
    FacetDeltas deltas;
    DeleteArticles(w, victims, deltas);
    ApplyFacetDeltas(w, deltas);
    removed = static_cast<int64_t>(victims.size());
    const int64_t removed_through =
        std::max(meta.removed_through,
                 *std::max_element(victims.begin(), victims.end()));
    w.exec_prepared("set_meta",
                    TextArray({"article_count", "retention_removed_through"}),
                    NumberArray(std::vector<int64_t>{
                        meta.article_count - removed, removed_through}));
    w.commit();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return removed;
}

absl::StatusOr<int64_t> PgStore::EnforceRetention(absl::Time now) {
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
