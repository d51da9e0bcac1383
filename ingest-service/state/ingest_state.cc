#include "ingest-service/state/ingest_state.h"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ingest-service/normalizer/normalizer.h"

namespace newsfeed::ingest {
namespace {

// A prepared statement that finalizes itself. Bind indexes start at 1.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool prepared() const { return rc_ == SQLITE_OK; }
  Statement& Bind(int i, std::string_view text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Statement& BindBlob(int i, const std::string& blob) {
    sqlite3_bind_blob(stmt_, i, blob.data(), static_cast<int>(blob.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int i, int64_t value) {
    sqlite3_bind_int64(stmt_, i, value);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  bool Null(int col) const {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      sqlite3_column_bytes(stmt_, col));
  }
  std::string Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    return p == nullptr ? std::string()
                        : std::string(static_cast<const char*>(p),
                                      sqlite3_column_bytes(stmt_, col));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

constexpr char kFeedColumns[] =
    "id, url, title, enabled, etag, last_modified, last_attempt_us, "
    "last_success_us, last_unconditional_us, http_status, last_error, "
    "failures, next_poll_us, items_seen, labels, interval_us, "
    "interval_reason, publisher_interval_us, skip_mask, mean_gap_us, "
    "last_new_item_us";

FeedRecord ReadFeed(const Statement& s) {
  FeedRecord f;
  f.id = s.Text(0);
  f.url = s.Text(1);
  f.title = s.Text(2);
  f.enabled = s.Int(3) != 0;
  f.etag = s.Text(4);
  f.last_modified = s.Text(5);
  f.last_attempt = FromStoredMicros(s.Int(6));
  f.last_success = FromStoredMicros(s.Int(7));
  f.last_unconditional = FromStoredMicros(s.Int(8));
  f.http_status = static_cast<int>(s.Int(9));
  f.last_error = s.Text(10);
  f.consecutive_failures = static_cast<int>(s.Int(11));
  f.next_poll = FromStoredMicros(s.Int(12));
  f.items_seen = s.Int(13);
  f.labels = SplitLabels(s.Text(14));
  f.interval = absl::Microseconds(s.Int(15));
  f.interval_reason = s.Text(16);
  f.publisher_interval = absl::Microseconds(s.Int(17));
  SplitSkipMask(s.Int(18), &f);
  f.mean_gap = absl::Microseconds(s.Int(19));
  f.last_new_item = FromStoredMicros(s.Int(20));
  return f;
}

// Schema versions, applied in order; user_version records how many ran.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE feeds (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1,
  etag TEXT NOT NULL DEFAULT '',
  last_modified TEXT NOT NULL DEFAULT '',
  last_attempt_us INTEGER NOT NULL,
  last_success_us INTEGER NOT NULL,
  last_unconditional_us INTEGER NOT NULL,
  http_status INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  failures INTEGER NOT NULL DEFAULT 0,
  next_poll_us INTEGER NOT NULL,
  items_seen INTEGER NOT NULL DEFAULT 0,
  interval_s INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX feeds_due ON feeds(enabled, next_poll_us);
CREATE TABLE seen (
  article_id TEXT PRIMARY KEY,
  feed_id TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  seen_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  article BLOB NOT NULL,
  bytes INTEGER NOT NULL
);
)sql",
    // Labels of imported feeds (OPML folders and categories).
    "ALTER TABLE feeds ADD COLUMN labels TEXT NOT NULL DEFAULT ''",
    // Articles query-service refused (Publish's `rejected`).
    R"sql(
CREATE TABLE dead_letter (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  article BLOB NOT NULL,
  reason TEXT NOT NULL,
  rejected_us INTEGER NOT NULL
);
)sql",
    // Adaptive polling: the schedule and why, what the publisher states, the
    // posting rate. interval_s held the feed's ttl; it is no longer used.
    R"sql(
ALTER TABLE feeds ADD COLUMN interval_us INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN interval_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN publisher_interval_us INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN skip_mask INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN mean_gap_us INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN last_new_item_us INTEGER NOT NULL
  DEFAULT -9223372036854775808;
UPDATE feeds SET publisher_interval_us = interval_s * 1000000;
)sql",
};

}  // namespace

absl::StatusOr<std::unique_ptr<IngestState>> IngestState::Open(
    const IngestStateOptions& options) {
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("ingest state: data_dir is empty");
  }
  if (mkdir(options.data_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("cannot create ", options.data_dir,
                                            ": ", std::strerror(errno)));
  }
  const std::string path = options.data_dir + "/ingest.db";
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(
          path.c_str(), &db,
          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
          nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return absl::InternalError(
        absl::StrCat("cannot open ", path, ": ", message));
  }
  auto state = std::unique_ptr<IngestState>(new IngestState(db, options, path));
  {
    absl::MutexLock lock(&state->mu_);
    sqlite3_busy_timeout(db, 5000);
    if (absl::Status s = state->Exec("PRAGMA journal_mode=WAL"); !s.ok())
      return s;
    if (absl::Status s = state->Exec("PRAGMA synchronous=NORMAL"); !s.ok())
      return s;
    int version = 0;
    {
      Statement q(db, "PRAGMA user_version");
      if (q.Step() == SQLITE_ROW) version = static_cast<int>(q.Int(0));
    }
    const int latest = static_cast<int>(std::size(kMigrations));
    if (version > latest) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " has schema version ", version,
                       ", newer than this binary (", latest, ")"));
    }
    for (int v = version; v < latest; ++v) {
      if (absl::Status s = state->Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
      if (absl::Status s = state->Exec(kMigrations[v]); !s.ok()) {
        (void)state->Exec("ROLLBACK");
        return s;
      }
      if (absl::Status s =
              state->Exec(absl::StrCat("PRAGMA user_version=", v + 1).c_str());
          !s.ok()) {
        return s;
      }
      if (absl::Status s = state->Exec("COMMIT"); !s.ok()) return s;
    }
  }
  // Registered without holding mu_: a scrape calls back into GetOutboxStats.
  if (metrics::Registry* registry = options.metrics; registry != nullptr) {
    IngestState* s = state.get();
    auto read = [s](int64_t OutboxStats::*field) {
      absl::StatusOr<OutboxStats> stats = s->GetOutboxStats();
      return stats.ok() ? static_cast<double>((*stats).*field) : std::nan("");
    };
    s->metric_registrations_.push_back(registry->AddCallbackGauge(
        "newsfeed_outbox_articles",
        "Articles in the outbox, not yet acknowledged by query-service.",
        [read] { return read(&OutboxStats::articles); }));
    s->metric_registrations_.push_back(registry->AddCallbackGauge(
        "newsfeed_outbox_bytes",
        "Serialized bytes of the articles in the outbox.",
        [read] { return read(&OutboxStats::bytes); }));
    registry
        ->AddGauge("newsfeed_outbox_quota_bytes",
                   "Outbox quota (outbox.max_bytes): beyond it new articles "
                   "wait at their feed.")
        .Set(static_cast<double>(options.outbox_max_bytes));
  }
  {
    absl::MutexLock lock(&state->mu_);
    Statement q(db, "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM outbox");
    if (q.Step() != SQLITE_ROW) return state->Error("reading outbox size");
    state->outbox_ = OutboxStats{q.Int(0), q.Int(1)};
  }
  return state;
}

IngestState::~IngestState() {
  metric_registrations_.clear();  // before the file closes
  absl::MutexLock lock(&mu_);
  sqlite3_close_v2(db_);
}

absl::Status IngestState::Exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    absl::Status status = absl::InternalError(
        absl::StrCat(path_, ": ", error ? error : "unknown error"));
    sqlite3_free(error);
    return status;
  }
  return absl::OkStatus();
}

absl::Status IngestState::Error(const char* what) {
  return absl::InternalError(
      absl::StrCat(path_, ": ", what, ": ", sqlite3_errmsg(db_)));
}

absl::StatusOr<FeedRecord> IngestState::AddFeed(const std::string& url,
                                                absl::Time now) {
  if (absl::Status s = CheckFeedUrl(url); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  FeedRecord feed;
  feed.id = FeedIdFor(url);
  feed.url = url;
  feed.next_poll = now;
  Statement s(db_,
              "INSERT INTO feeds (id, url, last_attempt_us, last_success_us, "
              "last_unconditional_us, next_poll_us) VALUES (?, ?, ?, ?, ?, ?) "
              "ON CONFLICT DO NOTHING");
  s.Bind(1, feed.id).Bind(2, url).Bind(3, StoredMicros(feed.last_attempt));
  s.Bind(4, StoredMicros(feed.last_success))
      .Bind(5, StoredMicros(feed.last_unconditional));
  s.Bind(6, StoredMicros(now));
  if (s.Step() != SQLITE_DONE) return Error("adding feed");
  if (sqlite3_changes(db_) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("feed ", url, " already exists"));
  }
  return feed;
}

absl::StatusOr<std::vector<FeedRecord>> IngestState::AddFeeds(
    const std::vector<NewFeed>& feeds, absl::Time now) {
  for (const NewFeed& feed : feeds) {
    if (absl::Status s = CheckFeedUrl(feed.url); !s.ok()) return s;
  }
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  Statement insert(
      db_,
      "INSERT INTO feeds (id, url, title, labels, last_attempt_us, "
      "last_success_us, last_unconditional_us, next_poll_us) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
  std::vector<FeedRecord> added;
  for (const NewFeed& feed : feeds) {
    FeedRecord record = NewFeedRecord(feed, now);
    insert.Reset();
    insert.Bind(1, record.id).Bind(2, record.url).Bind(3, record.title);
    insert.Bind(4, JoinLabels(record.labels))
        .Bind(5, StoredMicros(record.last_attempt));
    insert.Bind(6, StoredMicros(record.last_success))
        .Bind(7, StoredMicros(record.last_unconditional));
    insert.Bind(8, StoredMicros(now));
    if (insert.Step() != SQLITE_DONE) {
      absl::Status status = Error("adding feeds");
      (void)Exec("ROLLBACK");
      return status;
    }
    if (sqlite3_changes(db_) > 0) added.push_back(std::move(record));
  }
  if (absl::Status s = Exec("COMMIT"); !s.ok()) {
    (void)Exec("ROLLBACK");
    return s;
  }
  return added;
}

absl::Status IngestState::EnsureFeed(const std::string& url, absl::Time now) {
  absl::StatusOr<FeedRecord> added = AddFeed(url, now);
  if (added.ok() || absl::IsAlreadyExists(added.status()))
    return absl::OkStatus();
  return added.status();
}

absl::StatusOr<FeedRecord> IngestState::GetFeedLocked(
    const std::string& id_or_url) {
  Statement s(db_, absl::StrCat("SELECT ", kFeedColumns,
                                " FROM feeds WHERE id = ?1 OR url = ?1")
                       .c_str());
  s.Bind(1, id_or_url);
  const int rc = s.Step();
  if (rc == SQLITE_ROW) return ReadFeed(s);
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(absl::StrCat("no feed ", id_or_url));
  }
  return Error("reading feed");
}

absl::StatusOr<FeedRecord> IngestState::GetFeed(const std::string& id_or_url) {
  absl::MutexLock lock(&mu_);
  return GetFeedLocked(id_or_url);
}

absl::Status IngestState::RemoveFeed(const std::string& id_or_url) {
  absl::MutexLock lock(&mu_);
  Statement s(db_, "DELETE FROM feeds WHERE id = ?1 OR url = ?1");
  s.Bind(1, id_or_url);
  if (s.Step() != SQLITE_DONE) return Error("removing feed");
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("no feed ", id_or_url));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<FeedRecord>> IngestState::ListFeedsAfter(
    const std::string& after_url, int limit) {
  absl::MutexLock lock(&mu_);
  Statement s(db_, absl::StrCat("SELECT ", kFeedColumns,
                                " FROM feeds WHERE url > ?1 ORDER BY url "
                                "LIMIT ?2")
                       .c_str());
  s.Bind(1, after_url).Bind(2, int64_t{limit > 0 ? limit : -1});
  std::vector<FeedRecord> feeds;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) feeds.push_back(ReadFeed(s));
  if (rc != SQLITE_DONE) return Error("listing feeds");
  return feeds;
}

absl::StatusOr<int64_t> IngestState::CountFeeds() {
  absl::MutexLock lock(&mu_);
  Statement s(db_, "SELECT count(*) FROM feeds");
  if (s.Step() != SQLITE_ROW) return Error("counting feeds");
  return s.Int(0);
}

absl::Status IngestState::SaveFeed(const FeedRecord& f) {
  absl::MutexLock lock(&mu_);
  return SaveFeedLocked(f);
}

absl::Status IngestState::SaveFeeds(const std::vector<FeedRecord>& feeds) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  absl::Status first;
  for (const FeedRecord& f : feeds) {
    if (absl::Status s = SaveFeedLocked(f); !absl::IsNotFound(s)) {
      first.Update(s);
    }
  }
  if (absl::Status s = Exec("COMMIT"); !s.ok()) {
    (void)Exec("ROLLBACK");
    return s;
  }
  return first;
}

absl::Status IngestState::SaveFeedLocked(const FeedRecord& f) {
  Statement s(
      db_,
      "UPDATE feeds SET url = ?2, title = ?3, enabled = ?4, etag = ?5, "
      "last_modified = ?6, last_attempt_us = ?7, last_success_us = ?8, "
      "last_unconditional_us = ?9, http_status = ?10, last_error = ?11, "
      "failures = ?12, next_poll_us = ?13, interval_us = ?14, "
      "interval_reason = ?15, publisher_interval_us = ?16, skip_mask = ?17, "
      // A posting rate pushed meanwhile (a later last_new_item) is kept.
      "mean_gap_us = CASE WHEN ?19 >= last_new_item_us THEN ?18 "
      "ELSE mean_gap_us END, last_new_item_us = MAX(last_new_item_us, ?19) "
      "WHERE id = ?1");
  s.Bind(1, f.id).Bind(2, f.url).Bind(3, f.title).Bind(4, int64_t{f.enabled});
  s.Bind(5, f.etag)
      .Bind(6, f.last_modified)
      .Bind(7, StoredMicros(f.last_attempt));
  s.Bind(8, StoredMicros(f.last_success))
      .Bind(9, StoredMicros(f.last_unconditional));
  s.Bind(10, int64_t{f.http_status}).Bind(11, f.last_error);
  s.Bind(12, int64_t{f.consecutive_failures})
      .Bind(13, StoredMicros(f.next_poll));
  s.Bind(14, absl::ToInt64Microseconds(f.interval)).Bind(15, f.interval_reason);
  s.Bind(16, absl::ToInt64Microseconds(f.publisher_interval))
      .Bind(17, JoinSkipMask(f));
  s.Bind(18, absl::ToInt64Microseconds(f.mean_gap))
      .Bind(19, StoredMicros(f.last_new_item));
  if (s.Step() != SQLITE_DONE) {
    // A permanent redirect onto a URL that another feed already has.
    if (sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_UNIQUE) {
      return absl::AlreadyExistsError(absl::StrCat(
          "feed ", f.id, ": another feed already has URL ", f.url));
    }
    return Error("saving feed");
  }
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("feed ", f.id, " was removed"));
  }
  return absl::OkStatus();
}

absl::Status IngestState::SavePostingRate(const FeedRecord& f) {
  absl::MutexLock lock(&mu_);
  Statement s(db_,
              "UPDATE feeds SET mean_gap_us = CASE WHEN ?3 >= last_new_item_us "
              "THEN ?2 ELSE mean_gap_us END, "
              "last_new_item_us = MAX(last_new_item_us, ?3) WHERE id = ?1");
  s.Bind(1, f.id)
      .Bind(2, absl::ToInt64Microseconds(f.mean_gap))
      .Bind(3, StoredMicros(f.last_new_item));
  if (s.Step() != SQLITE_DONE) return Error("saving posting rate");
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("feed ", f.id, " was removed"));
  }
  return absl::OkStatus();
}

absl::Status IngestState::ReleaseFeed(const std::string&) {
  return absl::OkStatus();  // no leases in a single-instance file
}

absl::StatusOr<int> IngestState::PollSoon(const std::string& id_or_url,
                                          absl::Time now) {
  absl::MutexLock lock(&mu_);
  Statement s(db_, id_or_url.empty()
                       ? "UPDATE feeds SET next_poll_us = ?2 WHERE enabled"
                       : "UPDATE feeds SET next_poll_us = ?2, enabled = 1 "
                         "WHERE id = ?1 OR url = ?1");
  s.Bind(1, id_or_url).Bind(2, StoredMicros(now));
  if (s.Step() != SQLITE_DONE) return Error("scheduling poll");
  const int changed = sqlite3_changes(db_);
  if (changed == 0 && !id_or_url.empty()) {
    return absl::NotFoundError(absl::StrCat("no feed ", id_or_url));
  }
  return changed;
}

absl::StatusOr<std::vector<FeedRecord>> IngestState::DueFeeds(absl::Time now,
                                                              int limit) {
  absl::MutexLock lock(&mu_);
  Statement s(
      db_, absl::StrCat("SELECT ", kFeedColumns,
                        // "enabled = 1", not "enabled": only the former
                        // searches feeds_due (the latter scans and sorts
                        // every feed, 80 ms a round at 100,000 feeds).
                        " FROM feeds WHERE enabled = 1 AND next_poll_us <= ? "
                        "ORDER BY next_poll_us LIMIT ?")
               .c_str());
  s.Bind(1, StoredMicros(now)).Bind(2, int64_t{limit});
  std::vector<FeedRecord> feeds;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) feeds.push_back(ReadFeed(s));
  if (rc != SQLITE_DONE) return Error("reading due feeds");
  return feeds;
}

absl::StatusOr<absl::Time> IngestState::NextDue() {
  absl::MutexLock lock(&mu_);
  Statement s(db_, "SELECT MIN(next_poll_us) FROM feeds WHERE enabled = 1");
  if (s.Step() != SQLITE_ROW) return Error("reading next due feed");
  if (s.Null(0)) return absl::InfiniteFuture();
  return FromStoredMicros(s.Int(0));
}

absl::StatusOr<std::vector<bool>> IngestState::Unseen(
    const std::vector<newsfeed::v1::Article>& articles) {
  absl::MutexLock lock(&mu_);
  Statement s(db_, "SELECT content_hash FROM seen WHERE article_id = ?");
  std::vector<bool> unseen;
  unseen.reserve(articles.size());
  for (const newsfeed::v1::Article& a : articles) {
    s.Reset();
    s.Bind(1, a.id());
    const int rc = s.Step();
    if (rc == SQLITE_ROW) {
      unseen.push_back(!SameContent(a, s.Text(0)));
    } else if (rc == SQLITE_DONE) {
      unseen.push_back(true);
    } else {
      return Error("reading seen items");
    }
  }
  return unseen;
}

absl::StatusOr<int> IngestState::RecordNewArticles(
    const std::string& feed_id,
    const std::vector<newsfeed::v1::Article>& articles) {
  absl::MutexLock lock(&mu_);
  int64_t outbox_bytes = outbox_.bytes;
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto fail = [this](const char* what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::Status status = Error(what);
    (void)Exec("ROLLBACK");
    return status;
  };
  Statement check(db_, "SELECT content_hash FROM seen WHERE article_id = ?");
  Statement mark(
      db_,
      "INSERT INTO seen (article_id, feed_id, content_hash, seen_us) "
      "VALUES (?, ?, ?, ?) ON CONFLICT(article_id) DO UPDATE SET "
      "content_hash = excluded.content_hash, seen_us = excluded.seen_us");
  Statement queue(db_, "INSERT INTO outbox (article, bytes) VALUES (?, ?)");
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  int queued = 0;
  std::string blob;
  for (const newsfeed::v1::Article& a : articles) {
    check.Reset();
    check.Bind(1, a.id());
    const int rc = check.Step();
    if (rc == SQLITE_ROW && SameContent(a, check.Text(0))) continue;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return fail("reading seen items");
    blob.clear();
    a.SerializeToString(&blob);
    outbox_bytes += static_cast<int64_t>(blob.size());
    if (outbox_bytes > options_.outbox_max_bytes) {
      (void)Exec("ROLLBACK");
      return absl::ResourceExhaustedError(absl::StrCat(
          "outbox full (quota ", options_.outbox_max_bytes,
          " bytes): query-service is not taking articles; items of feed ",
          feed_id, " will be offered again on a later poll"));
    }
    mark.Reset();
    mark.Bind(1, a.id())
        .Bind(2, feed_id)
        .Bind(3, a.content_hash())
        .Bind(4, now_us);
    if (mark.Step() != SQLITE_DONE) return fail("recording seen item");
    queue.Reset();
    queue.BindBlob(1, blob).Bind(2, static_cast<int64_t>(blob.size()));
    if (queue.Step() != SQLITE_DONE) return fail("queueing article");
    ++queued;
  }
  if (queued > 0) {
    Statement count(
        db_, "UPDATE feeds SET items_seen = items_seen + ? WHERE id = ?");
    count.Bind(1, int64_t{queued}).Bind(2, feed_id);
    if (count.Step() != SQLITE_DONE) return fail("counting items");
  }
  if (absl::Status s = Exec("COMMIT"); !s.ok()) {
    (void)Exec("ROLLBACK");
    return s;
  }
  outbox_.articles += queued;
  outbox_.bytes = outbox_bytes;
  return queued;
}

absl::StatusOr<int> IngestState::MarkSeen(
    const std::string& feed_id,
    const std::vector<newsfeed::v1::Article>& articles) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto fail = [this](const char* what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::Status status = Error(what);
    (void)Exec("ROLLBACK");
    return status;
  };
  Statement mark(
      db_,
      "INSERT INTO seen (article_id, feed_id, content_hash, seen_us) "
      "VALUES (?, ?, ?, ?) ON CONFLICT(article_id) DO UPDATE SET "
      "content_hash = excluded.content_hash, seen_us = excluded.seen_us "
      "WHERE content_hash <> excluded.content_hash");
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  int marked = 0;
  for (const newsfeed::v1::Article& a : articles) {
    mark.Reset();
    mark.Bind(1, a.id())
        .Bind(2, feed_id)
        .Bind(3, a.content_hash())
        .Bind(4, now_us);
    if (mark.Step() != SQLITE_DONE) return fail("recording seen item");
    marked += sqlite3_changes(db_);
  }
  if (marked > 0) {
    Statement count(
        db_, "UPDATE feeds SET items_seen = items_seen + ? WHERE id = ?");
    count.Bind(1, int64_t{marked}).Bind(2, feed_id);
    if (count.Step() != SQLITE_DONE) return fail("counting items");
  }
  if (absl::Status s = Exec("COMMIT"); !s.ok()) {
    (void)Exec("ROLLBACK");
    return s;
  }
  return marked;
}

absl::StatusOr<int> IngestState::QueueArticles(
    const std::vector<newsfeed::v1::Article>& articles) {
  absl::MutexLock lock(&mu_);
  int64_t outbox_bytes = outbox_.bytes;
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  Statement queue(db_, "INSERT INTO outbox (article, bytes) VALUES (?, ?)");
  std::string blob;
  for (const newsfeed::v1::Article& a : articles) {
    blob.clear();
    a.SerializeToString(&blob);
    outbox_bytes += static_cast<int64_t>(blob.size());
    if (outbox_bytes > options_.outbox_max_bytes) {
      (void)Exec("ROLLBACK");
      return absl::ResourceExhaustedError(
          absl::StrCat("outbox full (quota ", options_.outbox_max_bytes,
                       " bytes): query-service is not taking articles"));
    }
    queue.Reset();
    queue.BindBlob(1, blob).Bind(2, static_cast<int64_t>(blob.size()));
    if (queue.Step() != SQLITE_DONE) {
      absl::Status status = Error("queueing article");
      (void)Exec("ROLLBACK");
      return status;
    }
  }
  if (absl::Status s = Exec("COMMIT"); !s.ok()) {
    (void)Exec("ROLLBACK");
    return s;
  }
  const int queued = static_cast<int>(articles.size());
  outbox_.articles += queued;
  outbox_.bytes = outbox_bytes;
  return queued;
}

absl::StatusOr<std::vector<OutboxEntry>> IngestState::PeekOutbox(
    int64_t after_id, int limit) {
  absl::MutexLock lock(&mu_);
  Statement s(
      db_, "SELECT id, article FROM outbox WHERE id > ? ORDER BY id LIMIT ?");
  s.Bind(1, after_id).Bind(2, int64_t{limit});
  std::vector<OutboxEntry> entries;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    OutboxEntry entry;
    entry.id = s.Int(0);
    if (!entry.article.ParseFromString(s.Blob(1))) {
      return absl::DataLossError(
          absl::StrCat(path_, ": outbox entry ", entry.id, " is corrupt"));
    }
    entries.push_back(std::move(entry));
  }
  if (rc != SQLITE_DONE) return Error("reading outbox");
  return entries;
}

absl::Status IngestState::DeleteFromOutboxLocked(
    const std::vector<int64_t>& ids, OutboxStats* removed) {
  Statement s(db_, "DELETE FROM outbox WHERE id = ? RETURNING bytes");
  for (int64_t id : ids) {
    s.Reset();
    s.Bind(1, id);
    int rc = s.Step();
    if (rc == SQLITE_ROW) {
      ++removed->articles;
      removed->bytes += s.Int(0);
      rc = s.Step();
    }
    if (rc != SQLITE_DONE) return Error("removing articles from the outbox");
  }
  return absl::OkStatus();
}

absl::Status IngestState::CommitOutboxRemoval(absl::Status status,
                                              const OutboxStats& removed) {
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok()) {
    (void)Exec("ROLLBACK");
    return status;
  }
  outbox_.articles -= removed.articles;
  outbox_.bytes -= removed.bytes;
  return absl::OkStatus();
}

absl::Status IngestState::AckOutbox(const std::vector<int64_t>& ids) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  OutboxStats removed;
  return CommitOutboxRemoval(DeleteFromOutboxLocked(ids, &removed), removed);
}

absl::Status IngestState::RejectOutbox(
    const std::vector<Rejection>& rejections) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  // Copied to the dead letters, then removed as acknowledged ones are.
  Statement keep(db_,
                 "INSERT INTO dead_letter (article, reason, rejected_us) "
                 "SELECT article, ?, ? FROM outbox WHERE id = ?");
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  std::vector<int64_t> ids;
  absl::Status status;
  for (const Rejection& rejection : rejections) {
    keep.Reset();
    keep.Bind(1, rejection.reason).Bind(2, now_us).Bind(3, rejection.outbox_id);
    if (keep.Step() != SQLITE_DONE) {
      status = Error("keeping a dead letter");
      break;
    }
    ids.push_back(rejection.outbox_id);
  }
  OutboxStats removed;
  if (status.ok()) status = DeleteFromOutboxLocked(ids, &removed);
  if (status.ok()) {
    status = Exec(absl::StrCat("DELETE FROM dead_letter WHERE id <= (SELECT "
                               "MAX(id) FROM dead_letter) - ",
                               kDeadLettersKept)
                      .c_str());
  }
  return CommitOutboxRemoval(status, removed);
}

absl::StatusOr<std::vector<IngestState::DeadLetter>> IngestState::DeadLetters(
    int limit, int64_t before_id) {
  absl::MutexLock lock(&mu_);
  Statement s(db_,
              "SELECT id, article, reason, rejected_us FROM dead_letter "
              "WHERE ?1 <= 0 OR id < ?1 ORDER BY id DESC LIMIT ?2");
  s.Bind(1, before_id).Bind(2, static_cast<int64_t>(limit));
  std::vector<DeadLetter> letters;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    DeadLetter& letter = letters.emplace_back();
    letter.id = s.Int(0);
    const std::string blob = s.Blob(1);
    if (!letter.article.ParseFromString(blob)) {
      return absl::DataLossError(
          absl::StrCat(path_, ": dead letter ", letter.id, " is unreadable"));
    }
    letter.bytes = static_cast<int64_t>(blob.size());
    letter.reason = s.Text(2);
    letter.rejected = absl::FromUnixMicros(s.Int(3));
  }
  if (rc != SQLITE_DONE) return Error("reading dead letters");
  return letters;
}

absl::StatusOr<int> IngestState::ReplayDeadLetters(
    const std::vector<int64_t>& ids) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  Statement size(db_, "SELECT length(article) FROM dead_letter WHERE id = ?");
  Statement requeue(db_,
                    "INSERT INTO outbox (article, bytes) SELECT article, "
                    "length(article) FROM dead_letter WHERE id = ?");
  Statement drop(db_, "DELETE FROM dead_letter WHERE id = ?");
  OutboxStats added;
  absl::Status status;
  for (int64_t id : ids) {
    size.Reset();
    size.Bind(1, id);
    if (size.Step() != SQLITE_ROW) continue;  // not kept (or already moved)
    const int64_t bytes = size.Int(0);
    if (outbox_.bytes + added.bytes + bytes > options_.outbox_max_bytes) {
      status = absl::ResourceExhaustedError(
          absl::StrCat("outbox full (quota ", options_.outbox_max_bytes,
                       " bytes): nothing replayed"));
      break;
    }
    requeue.Reset();
    requeue.Bind(1, id);
    drop.Reset();
    drop.Bind(1, id);
    if (requeue.Step() != SQLITE_DONE || drop.Step() != SQLITE_DONE) {
      status = Error("replaying a dead letter");
      break;
    }
    ++added.articles;
    added.bytes += bytes;
  }
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok()) {
    (void)Exec("ROLLBACK");
    return status;
  }
  outbox_.articles += added.articles;
  outbox_.bytes += added.bytes;
  return static_cast<int>(added.articles);
}

absl::StatusOr<OutboxStats> IngestState::GetOutboxStats() {
  absl::MutexLock lock(&mu_);
  return outbox_;
}

}  // namespace newsfeed::ingest
