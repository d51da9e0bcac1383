#include "ingest-service/feeds/pg_feed_registry.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <optional>
#include <pqxx/pqxx>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/retry/retry.h"
#include "ingest-service/normalizer/normalizer.h"

namespace newsfeed::ingest {
namespace {

// Serialises schema creation between instances opening the same database.
// An arbitrary constant ("nfingest" in ASCII).
constexpr char kSchemaLockSql[] =
    "SELECT pg_advisory_xact_lock(7954884576071607156)";

// Schema versions, applied in order; ingest_schema_version records how many
// ran.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE ingest_feeds (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL DEFAULT '',
  enabled BOOLEAN NOT NULL DEFAULT TRUE,
  etag TEXT NOT NULL DEFAULT '',
  last_modified TEXT NOT NULL DEFAULT '',
  last_attempt_us BIGINT NOT NULL,
  last_success_us BIGINT NOT NULL,
  last_unconditional_us BIGINT NOT NULL,
  http_status INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  failures INTEGER NOT NULL DEFAULT 0,
  next_poll_us BIGINT NOT NULL,
  items_seen BIGINT NOT NULL DEFAULT 0,
  interval_s BIGINT NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_until_us BIGINT
);
CREATE INDEX ingest_feeds_due ON ingest_feeds (next_poll_us) WHERE enabled;
CREATE TABLE ingest_seen (
  article_id TEXT PRIMARY KEY,
  feed_id TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  seen_us BIGINT NOT NULL
);
)sql",
    // Labels of imported feeds (OPML folders and categories).
    "ALTER TABLE ingest_feeds ADD COLUMN labels TEXT NOT NULL DEFAULT ''",
    // Adaptive polling: the schedule and why, what the publisher states, the
    // posting rate. interval_s held the feed's ttl; it is no longer used.
    R"sql(
ALTER TABLE ingest_feeds
  ADD COLUMN interval_us BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN interval_reason TEXT NOT NULL DEFAULT '',
  ADD COLUMN publisher_interval_us BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN skip_mask BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN mean_gap_us BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN last_new_item_us BIGINT NOT NULL
    DEFAULT -9223372036854775808;
UPDATE ingest_feeds SET publisher_interval_us = interval_s * 1000000;
)sql",
};

constexpr char kFeedColumns[] =
    "id, url, title, enabled, etag, last_modified, last_attempt_us, "
    "last_success_us, last_unconditional_us, http_status, last_error, "
    "failures, next_poll_us, items_seen, labels, interval_us, "
    "interval_reason, publisher_interval_us, skip_mask, mean_gap_us, "
    "last_new_item_us";

FeedRecord ReadFeed(const pqxx::row& r) {
  FeedRecord f;
  f.id = r[0].as<std::string>();
  f.url = r[1].as<std::string>();
  f.title = r[2].as<std::string>();
  f.enabled = r[3].as<bool>();
  f.etag = r[4].as<std::string>();
  f.last_modified = r[5].as<std::string>();
  f.last_attempt = FromStoredMicros(r[6].as<int64_t>());
  f.last_success = FromStoredMicros(r[7].as<int64_t>());
  f.last_unconditional = FromStoredMicros(r[8].as<int64_t>());
  f.http_status = r[9].as<int>();
  f.last_error = r[10].as<std::string>();
  f.consecutive_failures = r[11].as<int>();
  f.next_poll = FromStoredMicros(r[12].as<int64_t>());
  f.items_seen = r[13].as<int64_t>();
  f.labels = SplitLabels(r[14].as<std::string>());
  f.interval = absl::Microseconds(r[15].as<int64_t>());
  f.interval_reason = r[16].as<std::string>();
  f.publisher_interval = absl::Microseconds(r[17].as<int64_t>());
  SplitSkipMask(r[18].as<int64_t>(), &f);
  f.mean_gap = absl::Microseconds(r[19].as<int64_t>());
  f.last_new_item = FromStoredMicros(r[20].as<int64_t>());
  return f;
}

}  // namespace

struct PgFeedRegistry::Impl {
  explicit Impl(const PgFeedRegistryOptions& o) : options(o) {}

  // Opens the connection if there is none. UNAVAILABLE when it fails.
  absl::Status Connect() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (conn != nullptr && conn->is_open()) return absl::OkStatus();
    conn.reset();
    try {
      auto c = std::make_unique<pqxx::connection>(options.postgres_url);
      pqxx::nontransaction setup(*c);
      // Quiet: no NOTICE lines from the server on stderr.
      setup.exec0("SET client_min_messages TO warning");
      conn = std::move(c);
      return absl::OkStatus();
    } catch (const std::exception& e) {
      return absl::UnavailableError(
          absl::StrCat("feed registry: cannot connect to PostgreSQL: ",
                       absl::string_view(e.what())));
    }
  }

  // Runs `fn(pqxx::work&)`, which returns an absl::Status or StatusOr, in one
  // transaction, committed when it returns OK and rolled back otherwise.
  // Exceptions from libpqxx become UNAVAILABLE (connection lost; the next
  // call reconnects) or INTERNAL, naming `what`.
  template <typename Fn>
  auto Transact(absl::string_view what, Fn fn)
      -> decltype(fn(std::declval<pqxx::work&>())) {
    absl::MutexLock lock(&mu);
    if (absl::Status s = Connect(); !s.ok()) return s;
    try {
      pqxx::work txn(*conn);
      auto result = fn(txn);
      if (result.ok()) txn.commit();
      return result;
    } catch (const pqxx::broken_connection& e) {
      conn.reset();
      return absl::UnavailableError(
          absl::StrCat("feed registry: ", what,
                       ": connection to PostgreSQL lost: ", e.what()));
    } catch (const std::exception& e) {
      if (conn != nullptr && !conn->is_open()) conn.reset();
      return absl::InternalError(absl::StrCat("feed registry: ", what, ": ",
                                              absl::string_view(e.what())));
    }
  }

  const PgFeedRegistryOptions options;
  absl::Mutex mu;
  std::unique_ptr<pqxx::connection> conn ABSL_GUARDED_BY(mu);
};

PgFeedRegistry::PgFeedRegistry(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

PgFeedRegistry::~PgFeedRegistry() = default;

absl::StatusOr<std::unique_ptr<PgFeedRegistry>> PgFeedRegistry::Open(
    const PgFeedRegistryOptions& options) {
  if (options.postgres_url.empty()) {
    return absl::InvalidArgumentError("feed registry: postgres_url is empty");
  }
  if (options.instance_id.empty()) {
    return absl::InvalidArgumentError("feed registry: instance_id is empty");
  }
  if (options.lease_duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "feed registry: lease_duration must be positive");
  }
  auto impl = std::make_unique<Impl>(options);
  auto migrate = [&impl] {
    return impl->Transact(
        "creating schema", [](pqxx::work& txn) -> absl::Status {
          txn.exec(kSchemaLockSql);
          txn.exec0(
              "CREATE TABLE IF NOT EXISTS ingest_schema_version "
              "(version INTEGER NOT NULL)");
          pqxx::result r =
              txn.exec("SELECT version FROM ingest_schema_version");
          int version = 0;
          if (r.empty()) {
            txn.exec0("INSERT INTO ingest_schema_version (version) VALUES (0)");
          } else {
            version = r[0][0].as<int>();
          }
          const int latest = static_cast<int>(std::size(kMigrations));
          if (version > latest) {
            return absl::FailedPreconditionError(absl::StrCat(
                "feed registry: the database has schema version ", version,
                ", newer than this binary (", latest, ")"));
          }
          for (int v = version; v < latest; ++v) txn.exec0(kMigrations[v]);
          txn.exec_params0("UPDATE ingest_schema_version SET version = $1",
                           latest);
          return absl::OkStatus();
        });
  };
  absl::Status migrated = RetryWhileUnavailable(
      "PostgreSQL (feed registry)", options.connect_timeout, migrate);
  if (!migrated.ok()) return migrated;
  return std::unique_ptr<PgFeedRegistry>(new PgFeedRegistry(std::move(impl)));
}

absl::StatusOr<FeedRecord> PgFeedRegistry::AddFeed(const std::string& url,
                                                   absl::Time now) {
  if (absl::Status s = CheckFeedUrl(url); !s.ok()) return s;
  FeedRecord feed;
  feed.id = FeedIdFor(url);
  feed.url = url;
  feed.next_poll = now;
  return impl_->Transact(
      "adding feed", [&](pqxx::work& txn) -> absl::StatusOr<FeedRecord> {
        pqxx::result r = txn.exec_params(
            "INSERT INTO ingest_feeds (id, url, last_attempt_us, "
            "last_success_us, last_unconditional_us, next_poll_us) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            feed.id, url, StoredMicros(feed.last_attempt),
            StoredMicros(feed.last_success),
            StoredMicros(feed.last_unconditional), StoredMicros(now));
        if (r.affected_rows() == 0) {
          return absl::AlreadyExistsError(
              absl::StrCat("feed ", url, " already exists"));
        }
        return feed;
      });
}

absl::StatusOr<std::vector<FeedRecord>> PgFeedRegistry::AddFeeds(
    const std::vector<NewFeed>& feeds, absl::Time now) {
  for (const NewFeed& feed : feeds) {
    if (absl::Status s = CheckFeedUrl(feed.url); !s.ok()) return s;
  }
  return impl_->Transact(
      "adding feeds",
      [&](pqxx::work& txn) -> absl::StatusOr<std::vector<FeedRecord>> {
        std::vector<FeedRecord> added;
        for (const NewFeed& feed : feeds) {
          FeedRecord record = NewFeedRecord(feed, now);
          pqxx::result r = txn.exec_params(
              "INSERT INTO ingest_feeds (id, url, title, labels, "
              "last_attempt_us, last_success_us, last_unconditional_us, "
              "next_poll_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
              "ON CONFLICT DO NOTHING",
              record.id, record.url, record.title, JoinLabels(record.labels),
              StoredMicros(record.last_attempt),
              StoredMicros(record.last_success),
              StoredMicros(record.last_unconditional), StoredMicros(now));
          if (r.affected_rows() > 0) added.push_back(std::move(record));
        }
        return added;
      });
}

absl::Status PgFeedRegistry::EnsureFeed(const std::string& url,
                                        absl::Time now) {
  absl::StatusOr<FeedRecord> added = AddFeed(url, now);
  if (added.ok() || absl::IsAlreadyExists(added.status())) {
    return absl::OkStatus();
  }
  return added.status();
}

absl::Status PgFeedRegistry::RemoveFeed(const std::string& id_or_url) {
  return impl_->Transact("removing feed", [&](pqxx::work& txn) {
    pqxx::result r = txn.exec_params(
        "DELETE FROM ingest_feeds WHERE id = $1 OR url = $1", id_or_url);
    if (r.affected_rows() == 0) {
      return absl::NotFoundError(absl::StrCat("no feed ", id_or_url));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<FeedRecord> PgFeedRegistry::GetFeed(
    const std::string& id_or_url) {
  return impl_->Transact(
      "reading feed", [&](pqxx::work& txn) -> absl::StatusOr<FeedRecord> {
        pqxx::result r = txn.exec_params(
            absl::StrCat("SELECT ", kFeedColumns,
                         " FROM ingest_feeds WHERE id = $1 OR url = $1"),
            id_or_url);
        if (r.empty()) {
          return absl::NotFoundError(absl::StrCat("no feed ", id_or_url));
        }
        return ReadFeed(r[0]);
      });
}

absl::StatusOr<std::vector<FeedRecord>> PgFeedRegistry::ListFeedsAfter(
    const std::string& after_url, int limit) {
  return impl_->Transact(
      "listing feeds",
      [&](pqxx::work& txn) -> absl::StatusOr<std::vector<FeedRecord>> {
        pqxx::result r = txn.exec_params(
            absl::StrCat("SELECT ", kFeedColumns,
                         " FROM ingest_feeds WHERE url > $1 ORDER BY url "
                         "LIMIT $2"),
            after_url,
            limit > 0 ? std::optional<int64_t>(limit) : std::nullopt);
        std::vector<FeedRecord> feeds;
        feeds.reserve(r.size());
        for (const pqxx::row& row : r) feeds.push_back(ReadFeed(row));
        return feeds;
      });
}

absl::StatusOr<int64_t> PgFeedRegistry::CountFeeds() {
  return impl_->Transact(
      "counting feeds", [&](pqxx::work& txn) -> absl::StatusOr<int64_t> {
        return txn.exec1("SELECT count(*) FROM ingest_feeds")[0].as<int64_t>();
      });
}

absl::StatusOr<std::vector<FeedRecord>> PgFeedRegistry::DueFeeds(absl::Time now,
                                                                 int limit) {
  const int64_t now_us = StoredMicros(now);
  const int64_t until_us = StoredMicros(now + impl_->options.lease_duration);
  return impl_->Transact(
      "claiming due feeds",
      [&](pqxx::work& txn) -> absl::StatusOr<std::vector<FeedRecord>> {
        // SKIP LOCKED: rows another instance is claiming right now are left
        // to it; the lease condition is re-checked on the locked row, so a
        // feed claimed and committed meanwhile is not claimed again.
        pqxx::result r = txn.exec_params(
            absl::StrCat(
                "UPDATE ingest_feeds SET lease_owner = $1, "
                "lease_until_us = $2 WHERE id IN (SELECT id FROM ingest_feeds "
                "WHERE enabled AND next_poll_us <= $3 AND "
                "(lease_until_us IS NULL OR lease_until_us <= $3) "
                "ORDER BY next_poll_us LIMIT $4 FOR UPDATE SKIP LOCKED) "
                "RETURNING ",
                kFeedColumns),
            impl_->options.instance_id, until_us, now_us, limit);
        std::vector<FeedRecord> feeds;
        feeds.reserve(r.size());
        for (const pqxx::row& row : r) feeds.push_back(ReadFeed(row));
        std::sort(feeds.begin(), feeds.end(),
                  [](const FeedRecord& a, const FeedRecord& b) {
                    return a.next_poll < b.next_poll;
                  });
        return feeds;
      });
}

absl::Status PgFeedRegistry::SaveFeed(const FeedRecord& f) {
  return impl_->Transact("saving feed", [&](pqxx::work& txn) -> absl::Status {
    pqxx::result r;
    try {
      r = txn.exec_params(
          "UPDATE ingest_feeds SET url = $2, title = $3, enabled = $4, "
          "etag = $5, last_modified = $6, last_attempt_us = $7, "
          "last_success_us = $8, last_unconditional_us = $9, "
          "http_status = $10, last_error = $11, failures = $12, "
          "next_poll_us = $13, interval_us = $14, interval_reason = $15, "
          "publisher_interval_us = $16, skip_mask = $17, "
          // A posting rate pushed meanwhile (a later last_new_item) is kept.
          "mean_gap_us = CASE WHEN $19 >= last_new_item_us THEN $18 "
          "ELSE mean_gap_us END, "
          "last_new_item_us = GREATEST(last_new_item_us, $19), "
          "lease_owner = NULL, "
          "lease_until_us = NULL WHERE id = $1 AND lease_owner = $20",
          f.id, f.url, f.title, f.enabled, f.etag, f.last_modified,
          StoredMicros(f.last_attempt), StoredMicros(f.last_success),
          StoredMicros(f.last_unconditional), f.http_status, f.last_error,
          f.consecutive_failures, StoredMicros(f.next_poll),
          absl::ToInt64Microseconds(f.interval), f.interval_reason,
          absl::ToInt64Microseconds(f.publisher_interval), JoinSkipMask(f),
          absl::ToInt64Microseconds(f.mean_gap), StoredMicros(f.last_new_item),
          impl_->options.instance_id);
    } catch (const pqxx::unique_violation&) {
      // A permanent redirect onto a URL that another feed already has. The
      // transaction is aborted and rolled back.
      return absl::AlreadyExistsError(absl::StrCat(
          "feed ", f.id, ": another feed already has URL ", f.url));
    }
    if (r.affected_rows() > 0) return absl::OkStatus();
    pqxx::result owner = txn.exec_params(
        "SELECT lease_owner FROM ingest_feeds WHERE id = $1", f.id);
    if (owner.empty()) {
      return absl::NotFoundError(absl::StrCat("feed ", f.id, " was removed"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "feed ", f.id, ": lease lost",
        owner[0][0].is_null()
            ? std::string(" (not leased to this instance)")
            : absl::StrCat(" to instance ", owner[0][0].as<std::string>()),
        "; its result is dropped"));
  });
}

absl::Status PgFeedRegistry::SavePostingRate(const FeedRecord& f) {
  return impl_->Transact(
      "saving posting rate", [&](pqxx::work& txn) -> absl::Status {
        pqxx::result r = txn.exec_params(
            "UPDATE ingest_feeds SET mean_gap_us = CASE WHEN $3 >= "
            "last_new_item_us THEN $2 ELSE mean_gap_us END, "
            "last_new_item_us = GREATEST(last_new_item_us, $3) WHERE id = $1",
            f.id, absl::ToInt64Microseconds(f.mean_gap),
            StoredMicros(f.last_new_item));
        if (r.affected_rows() > 0) return absl::OkStatus();
        return absl::NotFoundError(absl::StrCat("feed ", f.id, " was removed"));
      });
}

absl::Status PgFeedRegistry::ReleaseFeed(const std::string& id) {
  return impl_->Transact("releasing feed", [&](pqxx::work& txn) {
    txn.exec_params0(
        "UPDATE ingest_feeds SET lease_owner = NULL, lease_until_us = NULL "
        "WHERE id = $1 AND lease_owner = $2",
        id, impl_->options.instance_id);
    return absl::OkStatus();
  });
}

absl::StatusOr<int> PgFeedRegistry::PollSoon(const std::string& id_or_url,
                                             absl::Time now) {
  return impl_->Transact(
      "scheduling poll", [&](pqxx::work& txn) -> absl::StatusOr<int> {
        pqxx::result r =
            id_or_url.empty()
                ? txn.exec_params(
                      "UPDATE ingest_feeds SET next_poll_us = $1 WHERE enabled",
                      StoredMicros(now))
                : txn.exec_params(
                      "UPDATE ingest_feeds SET next_poll_us = $1, "
                      "enabled = TRUE WHERE id = $2 OR url = $2",
                      StoredMicros(now), id_or_url);
        const int changed = static_cast<int>(r.affected_rows());
        if (changed == 0 && !id_or_url.empty()) {
          return absl::NotFoundError(absl::StrCat("no feed ", id_or_url));
        }
        return changed;
      });
}

absl::StatusOr<absl::Time> PgFeedRegistry::NextDue() {
  return impl_->Transact("reading next due feed",
                         [&](pqxx::work& txn) -> absl::StatusOr<absl::Time> {
                           // A feed leased out is due again no earlier than its
                           // lease expiry.
                           pqxx::result r = txn.exec(
                               "SELECT MIN(GREATEST(next_poll_us, "
                               "COALESCE(lease_until_us, next_poll_us))) "
                               "FROM ingest_feeds WHERE enabled");
                           if (r.empty() || r[0][0].is_null())
                             return absl::InfiniteFuture();
                           return FromStoredMicros(r[0][0].as<int64_t>());
                         });
}

absl::StatusOr<std::vector<bool>> PgFeedRegistry::Unseen(
    const std::vector<newsfeed::v1::Article>& articles) {
  return impl_->Transact(
      "reading seen items",
      [&](pqxx::work& txn) -> absl::StatusOr<std::vector<bool>> {
        std::vector<bool> unseen;
        unseen.reserve(articles.size());
        for (const newsfeed::v1::Article& a : articles) {
          pqxx::result r = txn.exec_params(
              "SELECT content_hash FROM ingest_seen WHERE article_id = $1",
              a.id());
          unseen.push_back(r.empty() ||
                           !SameContent(a, r[0][0].as<std::string>()));
        }
        return unseen;
      });
}

absl::StatusOr<int> PgFeedRegistry::MarkSeen(
    const std::string& feed_id,
    const std::vector<newsfeed::v1::Article>& articles) {
  // In id order, so that two instances marking overlapping sets lock the
  // rows in the same order and cannot deadlock.
  std::vector<const newsfeed::v1::Article*> sorted;
  sorted.reserve(articles.size());
  for (const newsfeed::v1::Article& a : articles) sorted.push_back(&a);
  std::sort(sorted.begin(), sorted.end(),
            [](const newsfeed::v1::Article* a, const newsfeed::v1::Article* b) {
              return a->id() < b->id();
            });
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  return impl_->Transact(
      "recording seen items", [&](pqxx::work& txn) -> absl::StatusOr<int> {
        int64_t marked = 0;
        for (const newsfeed::v1::Article* a : sorted) {
          pqxx::result r = txn.exec_params(
              "INSERT INTO ingest_seen (article_id, feed_id, content_hash, "
              "seen_us) VALUES ($1, $2, $3, $4) ON CONFLICT (article_id) DO "
              "UPDATE SET content_hash = EXCLUDED.content_hash, "
              "seen_us = EXCLUDED.seen_us "
              "WHERE ingest_seen.content_hash <> EXCLUDED.content_hash",
              a->id(), feed_id, a->content_hash(), now_us);
          marked += static_cast<int64_t>(r.affected_rows());
        }
        if (marked > 0) {
          txn.exec_params0(
              "UPDATE ingest_feeds SET items_seen = items_seen + $1 "
              "WHERE id = $2",
              marked, feed_id);
        }
        return static_cast<int>(marked);
      });
}

absl::StatusOr<PgFeedRegistry::Lease> PgFeedRegistry::GetLease(
    const std::string& id_or_url) {
  return impl_->Transact(
      "reading lease", [&](pqxx::work& txn) -> absl::StatusOr<Lease> {
        pqxx::result r = txn.exec_params(
            "SELECT lease_owner, lease_until_us FROM ingest_feeds "
            "WHERE id = $1 OR url = $1",
            id_or_url);
        if (r.empty()) {
          return absl::NotFoundError(absl::StrCat("no feed ", id_or_url));
        }
        Lease lease;
        if (!r[0][0].is_null()) {
          lease.owner = r[0][0].as<std::string>();
          lease.until = FromStoredMicros(r[0][1].as<int64_t>());
        }
        return lease;
      });
}

}  // namespace newsfeed::ingest
