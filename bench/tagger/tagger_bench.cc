// Benchmarks the tagger on the evaluation articles (ingest-service/tagger/
// eval), in one run with a baseline: a plain tokenization pass over the same
// text, which any dictionary tagger must do at least once. Prints MB/s per
// core, articles/s, the tagger/baseline ratio, load time and memory.
//
//   tagger_bench [--benchmark_min_time=2]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "ingest-service/tagger/tagger.h"
#include "ingest-service/tagger/tokenizer.h"

namespace {

using newsfeed::ingest::Tagger;

struct Corpus {
  std::vector<newsfeed::v1::Article> articles;
  size_t bytes = 0;  // title + body
};

// The eval items are short (about 220 bytes); real articles run to several
// KB (the motivating one is 3.4 KB). This corpus joins the eval bodies into
// articles of about 4 KB to measure per-byte speed without the fixed cost
// per article dominating.
Corpus LongArticles(const Corpus& items) {
  Corpus c;
  newsfeed::v1::Article current;
  for (const auto& a : items.articles) {
    if (current.title().empty()) current.set_title(a.title());
    current.mutable_content_text()->append(a.content_text()).append("\n");
    if (current.content_text().size() >= 4000) {
      c.bytes += current.title().size() + current.content_text().size();
      c.articles.push_back(std::move(current));
      current = newsfeed::v1::Article();
    }
  }
  return c;
}

Corpus LoadCorpus() {
  Corpus c;
  const std::string dir = std::getenv("TAGGER_EVAL_DIR")
                              ? std::getenv("TAGGER_EVAL_DIR")
                              : TAGGER_EVAL_DIR;
  for (const char* name : {"/dev.jsonl", "/test.jsonl"}) {
    std::ifstream in(dir + name);
    std::string line;
    while (std::getline(in, line)) {
      google::protobuf::Struct s;
      if (!google::protobuf::util::JsonStringToMessage(line, &s).ok()) continue;
      newsfeed::v1::Article a;
      a.set_title(s.fields().at("title").string_value());
      a.set_content_text(s.fields().at("text").string_value());
      c.bytes += a.title().size() + a.content_text().size();
      c.articles.push_back(std::move(a));
    }
  }
  return c;
}

const Corpus& GetCorpus() {
  static const Corpus* corpus = new Corpus(LoadCorpus());
  return *corpus;
}

const Corpus& GetLongCorpus() {
  static const Corpus* corpus = new Corpus(LongArticles(GetCorpus()));
  return *corpus;
}

const Tagger& GetTagger() {
  static const Tagger* tagger = [] {
    auto t = Tagger::Create({});
    if (!t.ok()) {
      std::fprintf(stderr, "%s\n", t.status().ToString().c_str());
      std::exit(1);
    }
    return t->release();
  }();
  return *tagger;
}

long RssKb() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kb = 0;
      in >> kb;
      return kb;
    }
    std::string rest;
    std::getline(in, rest);
  }
  return -1;
}

void BM_Tag(benchmark::State& state) {
  const Corpus& corpus = state.range(0) ? GetLongCorpus() : GetCorpus();
  const Tagger& tagger = GetTagger();
  newsfeed::v1::Article a;
  for (auto _ : state) {
    for (const auto& article : corpus.articles) {
      a = article;
      tagger.Tag(&a);
      benchmark::DoNotOptimize(a.companies_size());
    }
  }
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
  state.SetItemsProcessed(state.iterations() * corpus.articles.size());
}
BENCHMARK(BM_Tag)->ArgName("long")->Arg(0)->Arg(1);

// Baseline: tokenize title and body once, and copy the article as BM_Tag
// does, so the ratio isolates matching and scoring.
void BM_TokenizeBaseline(benchmark::State& state) {
  const Corpus& corpus = state.range(0) ? GetLongCorpus() : GetCorpus();
  newsfeed::ingest::internal::TokenizedText t;
  newsfeed::v1::Article a;
  for (auto _ : state) {
    for (const auto& article : corpus.articles) {
      a = article;
      newsfeed::ingest::internal::Tokenize(a.title(), &t);
      benchmark::DoNotOptimize(t.tokens.size());
      newsfeed::ingest::internal::Tokenize(a.content_text(), &t);
      benchmark::DoNotOptimize(t.tokens.size());
    }
  }
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
  state.SetItemsProcessed(state.iterations() * corpus.articles.size());
}
BENCHMARK(BM_TokenizeBaseline)->ArgName("long")->Arg(0)->Arg(1);

void BM_Load(benchmark::State& state) {
  for (auto _ : state) {
    auto t = Tagger::Create({});
    benchmark::DoNotOptimize(t.ok());
  }
}
BENCHMARK(BM_Load)->Unit(benchmark::kMillisecond);

// Keeps seconds per iteration of each benchmark to print the ratio.
class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      // With repetitions the median comes last and wins; with
      // --benchmark_report_aggregates_only it is the only run reported.
      const bool median =
          r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if ((r.run_type != Run::RT_Iteration && !median) || r.iterations == 0) {
        continue;
      }
      // CPU time: MB/s per core, whatever else the machine is running.
      seconds_per_iteration[r.run_name.str()] =
          r.cpu_accumulated_time / static_cast<double>(r.iterations);
    }
  }
  std::map<std::string, double> seconds_per_iteration;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const Corpus& corpus = GetCorpus();
  const long rss_before = RssKb();
  const auto start = std::chrono::steady_clock::now();
  const Tagger& tagger = GetTagger();
  const double load_ms = std::chrono::duration<double, std::milli>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  const long rss_after = RssKb();

  RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);

  auto rate = [&](const std::string& name, const Corpus& c) {
    auto it = reporter.seconds_per_iteration.find(name);
    return it == reporter.seconds_per_iteration.end()
               ? 0.0
               : c.bytes / 1e6 / it->second;
  };
  std::printf("\ndata: %zu companies, %zu aliases, %zu countries, %zu topics\n",
              tagger.company_count(), tagger.alias_count(),
              tagger.country_count(), tagger.topic_count());
  for (int long_articles : {0, 1}) {
    const Corpus& c = long_articles ? GetLongCorpus() : corpus;
    const std::string arg = long_articles ? "/long:1" : "/long:0";
    const double tag = rate("BM_Tag" + arg, c);
    const double base = rate("BM_TokenizeBaseline" + arg, c);
    const double avg = static_cast<double>(c.bytes) / c.articles.size();
    std::printf(
        "%s: %zu articles of %.0f bytes: tag %.1f MB/s per core (%.0f "
        "articles/s); baseline tokenize %.1f MB/s; tag/baseline = %.2f\n",
        long_articles ? "long articles" : "eval items", c.articles.size(), avg,
        tag, tag * 1e6 / avg, base, base > 0 ? tag / base : 0.0);
  }
  std::printf(
      "first load: %.0f ms; resident memory: %.1f MB before, "
      "%.1f MB after (+%.1f MB)\n",
      load_ms, rss_before / 1e3, rss_after / 1e3,
      (rss_after - rss_before) / 1e3);
  benchmark::Shutdown();
  return 0;
}
