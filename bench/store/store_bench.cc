// Copyright newsfeed authors.
//
// store_bench: loads N synthetic articles into a SqliteStore and measures
// insert throughput against a bare SQLite insert of the same rows (the
// baseline, same run), then the latency of typical queries, the file size,
// the disk per article (files and, by dbstat, per part of the schema) and
// the peak RSS. With --engines=sqlite,postgres the same workload (same
// articles, same query parameters) also runs on a PgStore, and a final table
// gives the PostgreSQL / SQLite ratios of the run.
//
//   store_bench --articles=100000 [--dir=/tmp] [--queries=200]
//   store_bench --articles=100000 --engines=sqlite,postgres
//       [--postgres_url=...]  (default: a private server, test_postgres.h)
//   STORE_BENCH_ARTICLES=1000000 store_bench
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <pqxx/pqxx>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "bench/cpu_time.h"
#include "common/testing/test_postgres.h"
#include "query-service/store/pg_store.h"
#include "query-service/store/sqlite_store.h"

ABSL_FLAG(int64_t, articles, 0,
          "articles to load (default: $STORE_BENCH_ARTICLES or 1000000)");
ABSL_FLAG(int, batch, 500, "articles per Upsert transaction");
ABSL_FLAG(int, queries, 200, "iterations per query type");
ABSL_FLAG(int, slow_queries, 30,
          "iterations of full text by relevance (ranks every match)");
ABSL_FLAG(std::string, dir, "", "parent of the temp data dir (default: tmp)");
ABSL_FLAG(bool, keep, false, "keep the data dir");
ABSL_FLAG(std::string, reuse_dir, "",
          "run the queries only, on the SQLite store a --keep run left in "
          "this data dir (same --articles), to compare query changes "
          "without reloading");
ABSL_FLAG(bool, fts_baseline, true,
          "also load the rows into bare SQLite + the same FTS5 table, the "
          "floor for any store that indexes the text");
ABSL_FLAG(std::string, engines, "sqlite",
          "comma-separated engines to run the workload on: sqlite, postgres "
          "(or $STORE_BENCH_ENGINES)");
ABSL_FLAG(std::string, postgres_url, "",
          "PostgreSQL database for the postgres engine (default: a fresh "
          "database on a private server started by "
          "scripts/pg-test-cluster.sh; fsync=off there)");

namespace {

using newsfeed::query::ArticleStore;
using newsfeed::query::PgStore;
using newsfeed::query::SqliteStore;
using newsfeed::query::StoreOptions;
using newsfeed::v1::Article;
using Clock = std::chrono::steady_clock;

using newsfeed::bench::ThreadCpuSeconds;

// Zipf(s) over [0, n): rank r drawn with probability ~ 1 / (r + 1)^s.
class Zipf {
 public:
  Zipf(int n, double s) : cdf_(n) {
    double sum = 0;
    for (int i = 0; i < n; ++i) cdf_[i] = (sum += 1.0 / std::pow(i + 1, s));
    for (double& c : cdf_) c /= sum;
  }
  int operator()(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<int>(std::lower_bound(cdf_.begin(), cdf_.end(), u) -
                            cdf_.begin()) %
           static_cast<int>(cdf_.size());
  }

 private:
  std::vector<double> cdf_;
};

constexpr int kCompanies = 5000;
constexpr int kCountries = 200;
constexpr int kTopics = 60;
constexpr int kFeeds = 2000;
constexpr int kVocabulary = 20000;
constexpr int64_t kStartSeconds = 1735689600;  // 2025-01-01
constexpr int64_t kSpanSeconds = 365 * 86400;

struct Generator {
  Zipf company{kCompanies, 1.1};
  Zipf country{kCountries, 1.2};
  Zipf topic{kTopics, 0.9};
  Zipf word{kVocabulary, 1.05};
  std::vector<std::string> words;
  int64_t total;

  explicit Generator(int64_t n) : total(n) {
    std::mt19937_64 rng(7);
    const std::string letters = "abcdefghijklmnopqrstuvwxyz";
    for (int i = 0; i < kVocabulary; ++i) {
      std::string w;
      const int len = 3 + static_cast<int>(rng() % 7);
      for (int j = 0; j < len; ++j) w.push_back(letters[rng() % 26]);
      words.push_back(w + std::to_string(i % 10));
    }
  }

  std::string Text(std::mt19937_64& rng, int n) const {
    std::string out;
    for (int i = 0; i < n; ++i) {
      if (i) out.push_back(' ');
      out += words[word(rng)];
    }
    return out;
  }

  // Article i; deterministic in i.
  Article Make(int64_t i) const {
    std::mt19937_64 rng(static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull + 1);
    Article a;
    a.set_id(absl::StrCat("article-", i));
    const int feed = static_cast<int>(rng() % kFeeds);
    a.set_feed_id(absl::StrCat("feed-", feed));
    a.set_feed_url(absl::StrCat("https://news", feed, ".example.com/rss"));
    a.set_source_title(absl::StrCat("News ", feed));
    static const char* kLangs[] = {"en", "en", "en", "en-us", "en-gb",
                                   "de", "fr", "es", "it",    "ja"};
    a.set_language(kLangs[rng() % 10]);
    a.set_title(Text(rng, 9));
    a.set_url(absl::StrCat("https://news", feed, ".example.com/a/", i));
    a.set_summary(Text(rng, 30));
    a.set_content_text(Text(rng, 110));
    a.set_content_hash(absl::StrCat("h", rng()));
    // Roughly increasing publish times with jitter (feeds arrive late).
    const int64_t t = kStartSeconds +
                      kSpanSeconds * i / std::max<int64_t>(total, 1) -
                      static_cast<int64_t>(rng() % 86400);
    a.mutable_published_time()->set_seconds(t);
    a.mutable_fetched_time()->set_seconds(t + 600);
    const int n_companies = static_cast<int>(rng() % 4);  // 0..3
    for (int c = 0; c < n_companies; ++c) {
      const int id = company(rng);
      auto* tag = a.add_companies();
      tag->set_id(absl::StrCat("Q", 1000 + id));
      tag->set_name(absl::StrCat("Company ", id));
      tag->set_score(0.5);
      auto* e = tag->add_evidence();
      e->set_field(newsfeed::v1::TEXT_FIELD_BODY);
      e->set_begin(10);
      e->set_end(20);
      e->set_text(tag->name());
      e->set_rule(absl::StrCat("alias:", tag->name()));
    }
    const int n_countries = 1 + static_cast<int>(rng() % 2);
    for (int c = 0; c < n_countries; ++c) {
      const int id = country(rng);
      auto* tag = a.add_countries();
      tag->set_code(std::string{static_cast<char>('A' + id / 26),
                                static_cast<char>('A' + id % 26)});
      tag->set_name(absl::StrCat("Country ", id));
    }
    const int n_topics = 1 + static_cast<int>(rng() % 2);
    for (int c = 0; c < n_topics; ++c) {
      const int id = topic(rng);
      auto* tag = a.add_topics();
      tag->set_id(absl::StrCat("topic-", id));
      tag->set_name(absl::StrCat("Topic ", id));
    }
    if (rng() % 10 == 0) {
      auto* m = a.add_amounts();
      m->set_value(static_cast<double>(rng() % 10000) * 1e6);
      m->set_currency(rng() % 2 ? "USD" : "EUR");
    }
    return a;
  }
};

std::string MakeTempDir(const std::string& parent) {
  std::string tmpl =
      (std::filesystem::path(parent.empty()
                                 ? std::filesystem::temp_directory_path()
                                 : std::filesystem::path(parent)) /
       "store_bench.XXXXXX")
          .string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  return tmpl;
}

uintmax_t DirSize(const std::string& dir, const std::string& prefix) {
  uintmax_t total = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) {
      total += e.file_size();
    }
  }
  return total;
}

// Disk per stored article after the load: the files (db, WAL, shared
// memory) and, from the dbstat virtual table, the pages of each part of the
// schema (the articles table with its indexes, the tags with theirs, the
// FTS5 tables, the rest). dbstat reads every page: seconds at 1M articles.
void ReportDisk(const std::string& dir, int64_t n) {
  const double per = static_cast<double>(std::max<int64_t>(n, 1));
  const std::string path = dir + "/articles.db";
  auto file_size = [&](const std::string& suffix) -> double {
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(path + suffix, ec);
    return ec ? 0.0 : static_cast<double>(size);
  };
  const double db = file_size(""), wal = file_size("-wal"),
               shm = file_size("-shm");
  std::printf(
      "disk per article: %.0f B (db %.0f + wal %.0f + shm %.0f), "
      "%lld articles\n",
      (db + wal + shm) / per, db / per, wal / per, shm / per,
      static_cast<long long>(n));
  sqlite3* conn = nullptr;
  if (sqlite3_open_v2(path.c_str(), &conn, SQLITE_OPEN_READONLY, nullptr) !=
      SQLITE_OK) {
    std::printf("disk by table: unavailable (%s)\n", sqlite3_errmsg(conn));
    sqlite3_close(conn);
    return;
  }
  sqlite3_stmt* stmt = nullptr;
  std::map<std::string, double> parts;
  if (sqlite3_prepare_v2(conn,
                         "SELECT name, sum(pgsize) FROM dbstat GROUP BY name",
                         -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const std::string name =
          reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      const double bytes = sqlite3_column_double(stmt, 1);
      std::string part = "other";
      if (name.rfind("fts", 0) == 0) {
        part = "fts";
      } else if (name == "articles" || name == "articles_by_time" ||
                 name.rfind("sqlite_autoindex_articles", 0) == 0) {
        part = "articles";
      } else if (name == "tags" || name == "tags_by_value") {
        part = "tags";
      }
      parts[part] += bytes;
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(conn);
  if (parts.empty()) {
    std::printf("disk by table: unavailable (no dbstat)\n");
    return;
  }
  std::printf("disk by table (pages in use, per article):");
  for (const char* part : {"articles", "fts", "tags", "other"}) {
    std::printf(" %s %.0f B", part, parts[part] / per);
  }
  std::printf("\n");
}

long PeakRssMb() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

// The baseline: the same serialized rows into a bare table (no indexes, no
// full text), same batch size, same WAL/synchronous settings. With `fts`, the
// title, summary and body also go into an FTS5 table declared as the store's.
double BaselineInsertRate(const Generator& gen, int64_t n, int batch,
                          const std::string& dir, bool fts, double* cpu_rate) {
  sqlite3* db = nullptr;
  const std::string name = fts ? "baseline_fts.db" : "baseline.db";
  const std::string path = dir + "/" + name;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) std::exit(1);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
               "CREATE TABLE bare(id TEXT, proto BLOB);"
               "CREATE VIRTUAL TABLE fts USING fts5(title, summary, body, "
               "content='', tokenize='unicode61 remove_diacritics 2');",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO bare(id, proto) VALUES(?, ?)", -1, &stmt,
                     nullptr);
  sqlite3_stmt* fts_stmt = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO fts(rowid, title, summary, body) "
                     "VALUES(last_insert_rowid(), ?, ?, ?)",
                     -1, &fts_stmt, nullptr);
  double seconds = 0;
  double cpu = 0;
  std::string blob;
  for (int64_t start = 0; start < n; start += batch) {
    std::vector<Article> rows;
    for (int64_t i = start; i < std::min(n, start + batch); ++i) {
      rows.push_back(gen.Make(i));
    }
    const auto t0 = Clock::now();
    const double c0 = ThreadCpuSeconds();
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (const Article& a : rows) {
      blob.clear();
      a.SerializeToString(&blob);
      sqlite3_bind_text(stmt, 1, a.id().data(), static_cast<int>(a.id().size()),
                        SQLITE_TRANSIENT);
      sqlite3_bind_blob(stmt, 2, blob.data(), static_cast<int>(blob.size()),
                        SQLITE_TRANSIENT);
      sqlite3_step(stmt);
      sqlite3_reset(stmt);
      if (fts) {
        sqlite3_bind_text(fts_stmt, 1, a.title().data(),
                          static_cast<int>(a.title().size()), SQLITE_STATIC);
        sqlite3_bind_text(fts_stmt, 2, a.summary().data(),
                          static_cast<int>(a.summary().size()), SQLITE_STATIC);
        sqlite3_bind_text(fts_stmt, 3, a.content_text().data(),
                          static_cast<int>(a.content_text().size()),
                          SQLITE_STATIC);
        sqlite3_step(fts_stmt);
        sqlite3_reset(fts_stmt);
      }
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    cpu += ThreadCpuSeconds() - c0;
  }
  sqlite3_finalize(stmt);
  sqlite3_finalize(fts_stmt);
  sqlite3_close(db);
  std::printf("%s file size: %.1f MB\n", name.c_str(),
              static_cast<double>(DirSize(dir, name)) / 1e6);
  std::filesystem::remove(path);  // frees disk and page cache for the store
  *cpu_rate = static_cast<double>(n) / cpu;
  return static_cast<double>(n) / seconds;
}

// p50 and p99 (ms) per measurement of one engine's run, for the final
// comparison.
using Figures = std::map<std::string, std::pair<double, double>>;
Figures* g_figures = nullptr;

void Report(const char* name, std::vector<double>& ms, double extra = -1,
            std::vector<double>* cpu_ms = nullptr) {
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))];
  };
  if (g_figures != nullptr) (*g_figures)[name] = {pct(0.50), pct(0.99)};
  std::printf("%-28s p50 %7.2f ms   p99 %7.2f ms   max %7.2f ms", name,
              pct(0.50), pct(0.99), ms.back());
  if (cpu_ms != nullptr && !cpu_ms->empty()) {
    std::sort(cpu_ms->begin(), cpu_ms->end());
    std::printf(
        "   cpu p50 %6.2f p99 %6.2f", (*cpu_ms)[cpu_ms->size() / 2],
        (*cpu_ms)[std::min(cpu_ms->size() - 1,
                           static_cast<size_t>(0.99 * cpu_ms->size()))]);
  }
  if (extra >= 0) std::printf("   avg results %.1f", extra);
  std::printf("\n");
}

struct RunResult {
  double insert_rate = 0;      // by wall time
  double insert_cpu_rate = 0;  // by this process's CPU time
  Figures figures;
};

// Inserts articles [0, n) into `store` and prints the insert figures, with
// the bare SQLite baselines when `dir` (the SqliteStore's) is not empty.
int LoadAndReport(ArticleStore& store, const Generator& gen, int64_t n,
                  int batch, const std::string& dir, RunResult& out) {
  // Insert with all indexes.
  double insert_seconds = 0;
  double insert_cpu = 0;
  std::vector<double> batch_ms;
  for (int64_t start = 0; start < n; start += batch) {
    std::vector<Article> rows;
    for (int64_t i = start; i < std::min(n, start + batch); ++i) {
      rows.push_back(gen.Make(i));
    }
    const auto t0 = Clock::now();
    const double c0 = ThreadCpuSeconds();
    absl::StatusOr<newsfeed::query::UpsertResult> r =
        store.Upsert(std::move(rows));
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    insert_cpu += ThreadCpuSeconds() - c0;
    if (!r.ok()) {
      std::fprintf(stderr, "upsert: %s\n", r.status().ToString().c_str());
      return 1;
    }
    insert_seconds += s;
    batch_ms.push_back(s * 1000);
  }
  const double store_rate = static_cast<double>(n) / insert_seconds;
  const long rss_after_load = PeakRssMb();
  const double store_cpu_rate = static_cast<double>(n) / insert_cpu;
  out.insert_rate = store_rate;
  out.insert_cpu_rate = store_cpu_rate;
  Report(absl::StrCat("upsert batch of ", batch).c_str(), batch_ms);
  if (dir.empty()) {
    std::printf("insert, store (wall time):          %10.0f/s\n", store_rate);
    std::printf(
        "insert, client CPU only:            %10.0f/s  (the server's CPU "
        "is not counted)\n",
        store_cpu_rate);
  } else {
    double baseline_cpu_rate = 0;
    const double baseline_rate = BaselineInsertRate(
        gen, n, batch, dir, /*fts=*/false, &baseline_cpu_rate);
    double fts_cpu_rate = 0;
    const double fts_rate =
        absl::GetFlag(FLAGS_fts_baseline)
            ? BaselineInsertRate(gen, n, batch, dir, /*fts=*/true,
                                 &fts_cpu_rate)
            : 0;
    std::printf(
        "                                     by wall time    by CPU time\n");
    std::printf("insert, store (all indexes + FTS5): %10.0f/s   %10.0f/s\n",
                store_rate, store_cpu_rate);
    std::printf("insert, bare SQLite baseline:       %10.0f/s   %10.0f/s\n",
                baseline_rate, baseline_cpu_rate);
    std::printf("store / baseline ratio:             %10.2f     %10.2f\n",
                store_rate / baseline_rate, store_cpu_rate / baseline_cpu_rate);
    if (fts_rate > 0) {
      std::printf("insert, bare SQLite + FTS5 only:    %10.0f/s   %10.0f/s\n",
                  fts_rate, fts_cpu_rate);
      std::printf("store / (bare + FTS5) ratio:        %10.2f     %10.2f\n",
                  store_rate / fts_rate, store_cpu_rate / fts_cpu_rate);
    }
    std::printf("store file size (db + wal):  %.1f MB\n",
                static_cast<double>(DirSize(dir, "articles.db")) / 1e6);
    ReportDisk(dir, n);
    std::printf("peak RSS after load: %ld MB\n", rss_after_load);
  }
  return 0;
}

// Runs each query type `queries` times (parameters drawn from the generator's
// distributions) and prints the latencies.
int RunQueries(ArticleStore& store, const Generator& gen, int64_t n,
               int queries) {
  // Queries, parameters drawn from the same skewed distributions.
  std::mt19937_64 rng(42);
  auto company = [&] { return absl::StrCat("Q", 1000 + gen.company(rng)); };
  auto country = [&] {
    const int id = gen.country(rng);
    return std::string{static_cast<char>('A' + id / 26),
                       static_cast<char>('A' + id % 26)};
  };
  auto topic = [&] { return absl::StrCat("topic-", gen.topic(rng)); };
  // Full-text words from the mid-frequency band of the vocabulary.
  auto word = [&] { return gen.words[50 + gen.word(rng) % 2000]; };
  auto run_search = [&](const char* name,
                        const std::function<void(newsfeed::v1::ArticleFilter&)>&
                            make) {
    std::vector<double> ms, cpu;
    double results = 0;
    for (int q = 0; q < queries; ++q) {
      newsfeed::v1::SearchRequest req;
      make(*req.mutable_filter());
      req.set_page_size(20);
      const auto t0 = Clock::now();
      const double c0 = ThreadCpuSeconds();
      absl::StatusOr<newsfeed::v1::SearchResponse> r = store.Search(req);
      cpu.push_back((ThreadCpuSeconds() - c0) * 1000);
      ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (!r.ok()) {
        std::fprintf(stderr, "%s: %s\n", name, r.status().ToString().c_str());
        std::exit(1);
      }
      results += r->articles_size();
    }
    Report(name, ms, results / queries, &cpu);
  };
  run_search("no filter (newest 20)", [](auto&) {});
  run_search("single tag (company)",
             [&](auto& f) { f.mutable_companies()->add_any_of(company()); });
  run_search("single tag (country)",
             [&](auto& f) { f.mutable_countries()->add_any_of(country()); });
  run_search("two-tag intersection", [&](auto& f) {
    f.mutable_topics()->add_all_of(topic());
    f.mutable_countries()->add_all_of(country());
  });
  run_search("company any_of x3", [&](auto& f) {
    for (int i = 0; i < 3; ++i) f.mutable_companies()->add_any_of(company());
  });
  run_search("tag + time range (7 days)", [&](auto& f) {
    f.mutable_topics()->add_any_of(topic());
    const int64_t from =
        kStartSeconds +
        static_cast<int64_t>(rng() % (kSpanSeconds - 7 * 86400));
    f.mutable_published_after()->set_seconds(from);
    f.mutable_published_before()->set_seconds(from + 7 * 86400);
  });
  run_search("tag + full text", [&](auto& f) {
    f.mutable_topics()->add_any_of(topic());
    f.set_text(word());
  });
  run_search("full text only", [&](auto& f) { f.set_text(word()); });
  {
    std::vector<double> ms, cpu;
    const int slow = std::min(queries, absl::GetFlag(FLAGS_slow_queries));
    for (int q = 0; q < slow; ++q) {
      newsfeed::v1::SearchRequest req;
      req.mutable_filter()->set_text(word());
      req.set_order(newsfeed::v1::SEARCH_ORDER_RELEVANCE);
      const auto t0 = Clock::now();
      const double c0 = ThreadCpuSeconds();
      absl::StatusOr<newsfeed::v1::SearchResponse> r = store.Search(req);
      cpu.push_back((ThreadCpuSeconds() - c0) * 1000);
      ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (!r.ok()) return 1;
    }
    Report("full text by relevance", ms, -1, &cpu);
  }
  auto run_facets = [&](const char* name,
                        const std::function<void(newsfeed::v1::ArticleFilter&)>&
                            make,
                        int iterations) {
    std::vector<double> ms, cpu;
    double total = 0;
    for (int q = 0; q < iterations; ++q) {
      newsfeed::v1::FacetsRequest req;
      make(*req.mutable_filter());
      const auto t0 = Clock::now();
      const double c0 = ThreadCpuSeconds();
      absl::StatusOr<newsfeed::v1::FacetsResponse> r = store.Facets(req);
      cpu.push_back((ThreadCpuSeconds() - c0) * 1000);
      ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (!r.ok()) {
        std::fprintf(stderr, "%s: %s\n", name, r.status().ToString().c_str());
        std::exit(1);
      }
      total += static_cast<double>(r->total());
    }
    Report(name, ms, total / iterations, &cpu);
  };
  run_facets(
      "facets (company filter)",
      [&](auto& f) { f.mutable_companies()->add_any_of(company()); }, queries);
  run_facets(
      "facets (tag + 7-day range)",
      [&](auto& f) {
        f.mutable_topics()->add_any_of(topic());
        const int64_t from =
            kStartSeconds +
            static_cast<int64_t>(rng() % (kSpanSeconds - 7 * 86400));
        f.mutable_published_after()->set_seconds(from);
        f.mutable_published_before()->set_seconds(from + 7 * 86400);
      },
      queries);
  run_facets(
      "facets (text)", [&](auto& f) { f.set_text(word()); }, queries);
  run_facets(
      "facets (no filter)", [](auto&) {}, queries);
  {
    std::vector<double> ms;
    for (int q = 0; q < queries; ++q) {
      const auto t0 = Clock::now();
      absl::StatusOr<newsfeed::query::ChangeBatch> r = store.ReadChanges(
          static_cast<uint64_t>(rng() % n), newsfeed::v1::ArticleFilter(), 100);
      ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (!r.ok()) return 1;
    }
    Report("read changes (100)", ms);
  }
  std::printf("peak RSS: %ld MB\n", PeakRssMb());
  return 0;
}

// Loads the articles into `store`, then runs the queries. `sqlite_dir` is
// the SqliteStore's directory (baselines, file size), empty for PostgreSQL.
int RunWorkload(ArticleStore& store, const Generator& gen, int64_t n, int batch,
                int queries, const std::string& sqlite_dir, RunResult& out) {
  g_figures = &out.figures;
  int rc = 0;
  if (!absl::GetFlag(FLAGS_reuse_dir).empty()) {
    std::printf("reusing the loaded store: no insert figures\n");
    if (!sqlite_dir.empty()) ReportDisk(sqlite_dir, n);
  } else {
    rc = LoadAndReport(store, gen, n, batch, sqlite_dir, out);
  }
  if (rc == 0) rc = RunQueries(store, gen, n, queries);
  g_figures = nullptr;
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows when piped
  int64_t n = absl::GetFlag(FLAGS_articles);
  if (n <= 0) {
    const char* env = std::getenv("STORE_BENCH_ARTICLES");
    n = env != nullptr ? std::atoll(env) : 1000000;
  }
  std::string engines = absl::GetFlag(FLAGS_engines);
  if (const char* env = std::getenv("STORE_BENCH_ENGINES"); env != nullptr) {
    engines = env;
  }
  const int batch = absl::GetFlag(FLAGS_batch);
  const int queries = absl::GetFlag(FLAGS_queries);
  const std::string reuse_dir = absl::GetFlag(FLAGS_reuse_dir);
  const std::string dir =
      reuse_dir.empty() ? MakeTempDir(absl::GetFlag(FLAGS_dir)) : reuse_dir;
  std::printf(
      "store_bench: %lld articles, batches of %d, engines %s, "
      "data dir %s\n",
      static_cast<long long>(n), batch, engines.c_str(), dir.c_str());
  Generator gen(n);

  std::map<std::string, RunResult> results;
  for (absl::string_view engine : absl::StrSplit(engines, ',')) {
    StoreOptions options;
    std::unique_ptr<ArticleStore> store;
    std::string sqlite_dir;
    if (engine == "sqlite") {
      options.data_dir = dir;
      sqlite_dir = dir;
      absl::StatusOr<std::unique_ptr<SqliteStore>> opened =
          SqliteStore::Open(options);
      if (!opened.ok()) {
        std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
        return 1;
      }
      store = std::move(*opened);
    } else if (engine == "postgres") {
      options.postgres_url = absl::GetFlag(FLAGS_postgres_url);
      if (options.postgres_url.empty()) {
        absl::StatusOr<std::string> dsn =
            newsfeed::testing::TestPostgres::CreateDatabase();
        if (!dsn.ok()) {
          std::fprintf(stderr, "postgres: %s\n",
                       dsn.status().ToString().c_str());
          return 1;
        }
        options.postgres_url = *dsn;
      }
      absl::StatusOr<std::unique_ptr<PgStore>> opened = PgStore::Open(options);
      if (!opened.ok()) {
        std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
        return 1;
      }
      store = std::move(*opened);
    } else {
      std::fprintf(stderr, "unknown engine %s\n", std::string(engine).c_str());
      return 1;
    }
    std::printf("\n=== engine: %s ===\n", std::string(engine).c_str());
    RunResult& result = results[std::string(engine)];
    if (int rc =
            RunWorkload(*store, gen, n, batch, queries, sqlite_dir, result);
        rc != 0) {
      return rc;
    }
    if (engine == "postgres") {
      try {
        pqxx::connection conn(options.postgres_url);
        pqxx::nontransaction tx(conn);
        std::printf("database size: %.1f MB\n",
                    tx.exec("SELECT pg_database_size(current_database())")[0][0]
                            .as<double>() /
                        1e6);
      } catch (const std::exception& e) {
        std::printf("database size: unknown (%s)\n", e.what());
      }
    }
  }
  if (results.count("sqlite") && results.count("postgres")) {
    const RunResult& sq = results["sqlite"];
    const RunResult& pg = results["postgres"];
    std::printf("\n=== PostgreSQL / SQLite (wall time, same run) ===\n");
    std::printf("%-28s %12s %12s %8s\n", "", "sqlite", "postgres", "pg/sq");
    std::printf("%-28s %10.0f/s %10.0f/s %8.2f\n", "insert rate",
                sq.insert_rate, pg.insert_rate,
                pg.insert_rate / sq.insert_rate);
    for (const auto& [name, sq_p] : sq.figures) {
      auto it = pg.figures.find(name);
      if (it == pg.figures.end()) continue;
      std::printf("%-28s p50 %8.2f %8.2f ms %6.2f   p99 %8.2f %8.2f ms %6.2f\n",
                  name.c_str(), sq_p.first, it->second.first,
                  it->second.first / sq_p.first, sq_p.second, it->second.second,
                  it->second.second / sq_p.second);
    }
  }
  if (!absl::GetFlag(FLAGS_keep) && reuse_dir.empty()) {
    std::filesystem::remove_all(dir);
  }
  return 0;
}
