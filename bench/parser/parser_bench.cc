// Parser + normalizer throughput over a generated corpus, next to a bare
// pugixml load_buffer of the same bytes measured in the same run, and next
// to a floor (BM_PugixmlCopyStripFloor): pugixml plus the copies any
// normalizer has to make, which bounds the ratio parse+normalize can reach.
//
// The corpus is generated (fixed seed) rather than checked in: a mix of RSS
// 2.0 and Atom 1.0 feeds with 20-100 items, 1-5 KB HTML bodies, dc/content/
// media namespaces and HTML entities, so every code path of the parser is
// exercised in proportion to what production feeds look like.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <pugixml.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ingest-service/normalizer/normalizer.h"
#include "ingest-service/parser/feed_parser.h"

namespace {

constexpr const char* kWords[] = {
    "market",  "company", "launch",   "quarter",    "growth",
    "policy",  "energy",  "software", "research",   "election",
    "climate", "network", "platform", "security",   "data",
    "model",   "report",  "startup",  "investment", "chip"};

std::string Words(std::mt19937& rng, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i) out.push_back(' ');
    out.append(kWords[rng() % std::size(kWords)]);
  }
  return out;
}

// An HTML body of roughly `bytes` bytes with paragraphs, links, emphasis,
// an image and entities.
std::string HtmlBody(std::mt19937& rng, size_t bytes) {
  std::string html;
  while (html.size() < bytes) {
    absl::StrAppend(&html, "<p>", Words(rng, 12), " <a href=\"https://ex.com/",
                    rng() % 1000, "?utm_source=rss\">", Words(rng, 2),
                    "</a> &amp; <b>", Words(rng, 3), "</b>&nbsp;&mdash; ",
                    Words(rng, 10), ".</p>");
    if (rng() % 4 == 0) {
      absl::StrAppend(&html, "<img src=\"/img/", rng() % 100,
                      ".jpg\" alt=\"pic\">");
    }
  }
  return html;
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '&') {
      out += "&amp;";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string RssFeed(std::mt19937& rng, int items) {
  std::string xml = absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" "
      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
      "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
      "xmlns:media=\"http://search.yahoo.com/mrss/\">\n<channel>\n"
      "<title>Bench &amp; News</title><link>https://news.example.com/</link>\n"
      "<description>Generated</description><language>en</language>\n"
      "<lastBuildDate>Mon, 13 May 2024 09:30:00 GMT</lastBuildDate>\n");
  for (int i = 0; i < items; ++i) {
    size_t body = 1000 + rng() % 4000;
    absl::StrAppend(&xml, "<item>\n<title>", Words(rng, 8),
                    " &ndash; caf&eacute;</title>\n", "<link>/", i, "/",
                    Words(rng, 1), "?utm_medium=feed</link>\n",
                    "<guid isPermaLink=\"false\">urn:bench:", i, "</guid>\n",
                    "<pubDate>Mon, 13 May 2024 09:", 10 + i % 50,
                    ":00 +0200</pubDate>\n", "<dc:creator>Author ", i % 7,
                    "</dc:creator>\n", "<category>",
                    kWords[i % std::size(kWords)], "</category>\n",
                    "<description>", XmlEscape(HtmlBody(rng, 200)),
                    "</description>\n", "<content:encoded><![CDATA[",
                    HtmlBody(rng, body), "]]></content:encoded>\n",
                    "<media:thumbnail url=\"https://img.example.com/", i,
                    ".jpg\"/>\n", "</item>\n");
  }
  xml += "</channel>\n</rss>\n";
  return xml;
}

std::string AtomFeed(std::mt19937& rng, int items) {
  std::string xml = absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\" "
      "xmlns:media=\"http://search.yahoo.com/mrss/\">\n"
      "<title>Bench Atom</title><link href=\"https://blog.example.org/\"/>\n"
      "<updated>2024-05-13T09:30:00Z</updated>\n"
      "<author><name>Feed Author</name></author>\n");
  for (int i = 0; i < items; ++i) {
    size_t body = 1000 + rng() % 4000;
    absl::StrAppend(
        &xml, "<entry>\n<id>tag:blog.example.org,2024:", i, "</id>\n",
        "<title type=\"html\">", Words(rng, 7), " &amp;amp; more</title>\n",
        "<link rel=\"alternate\" type=\"text/html\" href=\"posts/", i,
        "\"/>\n<published>2024-05-13T09:30:00+02:00</published>\n",
        "<updated>2024-05-13T10:00:00Z</updated>\n", "<category term=\"",
        kWords[i % std::size(kWords)], "\"/>\n", "<summary type=\"html\">",
        XmlEscape(HtmlBody(rng, 200)), "</summary>\n<content type=\"html\">",
        XmlEscape(HtmlBody(rng, body)), "</content>\n</entry>\n");
  }
  xml += "</feed>\n";
  return xml;
}

struct Corpus {
  std::vector<std::string> feeds;
  int64_t bytes = 0;
  int64_t items = 0;
};

const Corpus& GetCorpus() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus;
    std::mt19937 rng(20240513);
    for (int i = 0; i < 40; ++i) {
      int items = 20 + static_cast<int>(rng() % 81);
      c->feeds.push_back(i % 2 ? AtomFeed(rng, items) : RssFeed(rng, items));
      c->bytes += static_cast<int64_t>(c->feeds.back().size());
      c->items += items;
    }
    return c;
  }();
  return *corpus;
}

void BM_ParseAndNormalize(benchmark::State& state) {
  const Corpus& corpus = GetCorpus();
  newsfeed::ingest::ParseOptions options;
  options.feed_url = "https://bench.example/feed";
  newsfeed::ingest::FeedContext context{"bench", options.feed_url, absl::Now()};
  for (auto _ : state) {
    for (const std::string& body : corpus.feeds) {
      auto feed = newsfeed::ingest::ParseFeed(body, options);
      if (!feed.ok()) state.SkipWithError("parse failed");
      for (const auto& item : feed->items) {
        benchmark::DoNotOptimize(
            newsfeed::ingest::NormalizeItem(*feed, item, context));
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * corpus.items);
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
}
BENCHMARK(BM_ParseAndNormalize)->Unit(benchmark::kMillisecond);

void BM_ParseOnly(benchmark::State& state) {
  const Corpus& corpus = GetCorpus();
  newsfeed::ingest::ParseOptions options;
  options.feed_url = "https://bench.example/feed";
  for (auto _ : state) {
    for (const std::string& body : corpus.feeds) {
      auto feed = newsfeed::ingest::ParseFeed(body, options);
      benchmark::DoNotOptimize(feed);
    }
  }
  state.SetItemsProcessed(state.iterations() * corpus.items);
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
}
BENCHMARK(BM_ParseOnly)->Unit(benchmark::kMillisecond);

// The baseline: what pugixml alone costs for the same bytes.
void BM_BarePugixml(benchmark::State& state) {
  const Corpus& corpus = GetCorpus();
  for (auto _ : state) {
    for (const std::string& body : corpus.feeds) {
      pugi::xml_document doc;
      pugi::xml_parse_result r = doc.load_buffer(body.data(), body.size());
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetItemsProcessed(state.iterations() * corpus.items);
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
}
BENCHMARK(BM_BarePugixml)->Unit(benchmark::kMillisecond);

// A floor, not a parser: the least any parse+normalize does on top of the
// bare parse. Each item's fields are copied out of the tree, and each body
// (over 150 bytes) gets a tag-stripped copy (its text) and one more copy
// (its sanitized HTML), with no entity decoding, whitespace handling,
// sanitizing, URLs, dates or ids. Its ratio bounds what BM_ParseAndNormalize
// can reach on this corpus.
std::string StripTags(std::string_view html) {
  std::string text;
  text.reserve(html.size());
  const char* p = html.data();
  const char* const end = p + html.size();
  while (p < end) {
    const void* lt = std::memchr(p, '<', static_cast<size_t>(end - p));
    const char* stop = lt ? static_cast<const char*>(lt) : end;
    text.append(p, stop);
    if (stop == end) break;
    const void* gt = std::memchr(stop, '>', static_cast<size_t>(end - stop));
    if (gt == nullptr) break;
    p = static_cast<const char*>(gt) + 1;
  }
  return text;
}

void BM_PugixmlCopyStripFloor(benchmark::State& state) {
  const Corpus& corpus = GetCorpus();
  std::vector<std::string> fields;
  for (auto _ : state) {
    for (const std::string& body : corpus.feeds) {
      pugi::xml_document doc;
      pugi::xml_parse_result r = doc.load_buffer(body.data(), body.size());
      benchmark::DoNotOptimize(r);
      pugi::xml_node root = doc.document_element();
      pugi::xml_node channel = root.child("channel");
      for (pugi::xml_node item : (channel ? channel : root).children()) {
        fields.clear();
        for (pugi::xml_node field : item.children()) {
          std::string value = field.child_value();
          if (value.size() > 150) {
            fields.push_back(StripTags(value));
            fields.push_back(value);
          }
          fields.push_back(std::move(value));
        }
        benchmark::DoNotOptimize(fields.data());
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * corpus.items);
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
}
BENCHMARK(BM_PugixmlCopyStripFloor)->Unit(benchmark::kMillisecond);

// ---- Hostile shapes (issue 23, "Hostile peers") ---------------------------
//
// Documents built to make a superlinear step slow, at 256 KiB and 1 MiB:
// the time per MB must not grow with the size. Before the fixes 1.6 MB of
// "&&&..." in a title took 22 s, 200 KB of nested JSON arrays 527 s and
// 200,000 attributes on one HTML tag (1.9 MB) 61 s.
enum class Hostile {
  kAmpersandsInTitle,          // "&&&...": no ';' for any '&'
  kLegacyAmpInTitle,           // "&amp&amp...": the same, as legacy references
  kEntitiesFarSemicolon,       // a DOCTYPE entity after "&&&..." (one ';' last)
  kJsonDeepArrays,             // JSON Feed with arrays nested 100,000 deep
  kHtmlManyAttributes,         // one HTML tag with ~130,000 attributes
  kHtmlReconstructFormatting,  // 200 open <b>s, then "</p><p>x" repeated:
                               // each text reopens every formatting element
  kHtmlReconstructLongAttribute,  // the same with one <b> of a 64 KiB value
  kHtmlDenseParagraphs,           // not hostile: "<p>x" repeated, the densest
                         // ordinary markup, as the baseline of the two above
};

std::string RssWithTitle(const std::string& prolog, const std::string& title,
                         const std::string& title_end) {
  return absl::StrCat(prolog, "<rss version=\"2.0\"><channel><title>t</title>",
                      "<item><title>", title, title_end,
                      "</title></item></channel></rss>");
}

// The document (or, for kHtmlManyAttributes, the HTML body) of `shape`,
// `bytes` long give or take a few.
std::string HostileDocument(Hostile shape, size_t bytes) {
  constexpr size_t kOverhead = 100;
  switch (shape) {
    case Hostile::kAmpersandsInTitle:
      return RssWithTitle("", std::string(bytes - kOverhead, '&'), "");
    case Hostile::kLegacyAmpInTitle: {
      std::string title;
      while (title.size() + 4 <= bytes - kOverhead) title += "&amp";
      return RssWithTitle("", title, "");
    }
    case Hostile::kEntitiesFarSemicolon:
      return RssWithTitle("<!DOCTYPE rss [<!ENTITY co \"Example &amp; Co\">]>",
                          std::string(bytes - 2 * kOverhead, '&'), "&co;");
    case Hostile::kJsonDeepArrays: {
      // Nesting, then a string as padding: the document stays under the
      // values limit (5000 items' worth), so only the depth check stops it.
      const size_t depth = bytes / 10;
      std::string json = absl::StrCat(
          "{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": [], "
          "\"x\": ",
          std::string(depth, '['), std::string(depth, ']'), ", \"pad\": \"");
      json.append(bytes - json.size() - 2, 'p');
      return json + "\"}";
    }
    case Hostile::kHtmlManyAttributes: {
      std::string html = "<p><a href=\"https://bench.example/x\"";
      for (int i = 0; html.size() < bytes - 20; ++i) {
        absl::StrAppend(&html, " a", i);
      }
      return html + ">link</a></p>";
    }
    case Hostile::kHtmlReconstructFormatting: {
      // Distinct attributes defeat the "Noah's Ark" clause that keeps at
      // most three identical entries in the list of active formatting
      // elements.
      std::string html = "<p>";
      for (int i = 0; i < 200; ++i) absl::StrAppend(&html, "<b c=", i, ">");
      while (html.size() < bytes - 20) html += "</p><p>x";
      return html + "</p>";
    }
    case Hostile::kHtmlDenseParagraphs: {
      std::string html;
      while (html.size() < bytes - 20) html += "<p>x";
      return html;
    }
    case Hostile::kHtmlReconstructLongAttribute: {
      std::string html =
          absl::StrCat("<p><b title=\"", std::string(64 << 10, 'v'), "\">");
      while (html.size() < bytes - 20) html += "</p><p>x";
      return html + "</p>";
    }
  }
  return {};
}

void BM_Hostile(benchmark::State& state, Hostile shape) {
  const std::string doc =
      HostileDocument(shape, static_cast<size_t>(state.range(0)));
  newsfeed::ingest::ParseOptions options;
  options.feed_url = "https://bench.example/feed";
  newsfeed::ingest::FeedContext context{"bench", options.feed_url, absl::Now()};
  newsfeed::ingest::ParsedFeed feed;
  newsfeed::ingest::ParsedItem item;
  item.title = "t";
  item.link = "https://bench.example/a";
  item.content = doc;
  for (auto _ : state) {
    if (shape == Hostile::kHtmlManyAttributes ||
        shape == Hostile::kHtmlReconstructFormatting ||
        shape == Hostile::kHtmlReconstructLongAttribute ||
        shape == Hostile::kHtmlDenseParagraphs) {
      benchmark::DoNotOptimize(
          newsfeed::ingest::NormalizeItem(feed, item, context));
    } else {
      auto parsed = newsfeed::ingest::ParseFeed(doc, options);
      benchmark::DoNotOptimize(parsed);
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(doc.size()));
}
#define HOSTILE(name, shape)                          \
  BENCHMARK_CAPTURE(BM_Hostile, name, Hostile::shape) \
      ->Arg(256 << 10)                                \
      ->Arg(1 << 20)                                  \
      ->Unit(benchmark::kMillisecond)
HOSTILE(ampersands_in_title, kAmpersandsInTitle);
HOSTILE(legacy_amp_in_title, kLegacyAmpInTitle);
HOSTILE(entities_far_semicolon, kEntitiesFarSemicolon);
HOSTILE(json_deep_arrays, kJsonDeepArrays);
HOSTILE(html_many_attributes, kHtmlManyAttributes);
HOSTILE(html_reconstruct_formatting, kHtmlReconstructFormatting);
HOSTILE(html_reconstruct_long_attribute, kHtmlReconstructLongAttribute);
HOSTILE(html_dense_paragraphs_baseline, kHtmlDenseParagraphs);
#undef HOSTILE

// Console output plus a summary comparing each benchmark to the baseline.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // "_median" for "BM_ParseOnly_median"; empty for a plain run.
  static std::string AggregateSuffix(const std::string& name) {
    for (const char* suffix : {"_mean", "_median", "_stddev", "_cv"}) {
      std::string_view s(suffix);
      if (name.size() > s.size() &&
          name.compare(name.size() - s.size(), s.size(), s) == 0) {
        return std::string(s);
      }
    }
    return {};
  }

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      auto it = run.counters.find("bytes_per_second");
      if (it != run.counters.end()) {
        bytes_per_second_[run.benchmark_name()] = it->second.value;
        items_per_second_[run.benchmark_name()] =
            run.counters.at("items_per_second").value;
      }
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const Corpus& corpus = GetCorpus();
    std::printf("\ncorpus: %zu feeds, %lld items, %.1f MB\n",
                corpus.feeds.size(), static_cast<long long>(corpus.items),
                corpus.bytes / 1e6);
    bool hostile = false;
    for (const auto& [name, bps] : bytes_per_second_) {
      if (name.starts_with("BM_Hostile")) {
        hostile = true;
        continue;
      }
      // With --benchmark_repetitions, compare medians with the median.
      const double base =
          bytes_per_second_["BM_BarePugixml" + AggregateSuffix(name)];
      std::printf("%-22s %10.0f items/s %8.1f MB/s  %.3fx of bare pugixml\n",
                  name.c_str(), items_per_second_[name], bps / 1e6,
                  base > 0 ? bps / base : 0.0);
    }
    if (hostile) std::printf("\nhostile shapes (the same at both sizes):\n");
    for (const auto& [name, bps] : bytes_per_second_) {
      if (!name.starts_with("BM_Hostile")) continue;
      std::printf("%-46s %8.1f MB/s %10.2f ms per MB\n", name.c_str(),
                  bps / 1e6, bps > 0 ? 1e9 / bps : 0.0);
    }
  }

 private:
  std::map<std::string, double> bytes_per_second_, items_per_second_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
