// Fuzz entry point for the feed pipeline as ingest-service runs it on a
// fetched body: ParseFeed, then NormalizeItem on every item (gumbo, URL
// canonicalization, hashing), then FeedToJson (the `newsfeed parse` output).
//
// Built two ways (see README.md): linked with libFuzzer as `feed_fuzzer`
// (clang, NEWSFEED_FUZZ=ON), and linked with GoogleTest as
// `feed_fuzz_tests`, which replays every file in corpus/ through this same
// function so the regular (and the ASan+UBSan) test run covers the corpus.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ingest-service/normalizer/normalizer.h"
#include "ingest-service/parser/feed_parser.h"

namespace {

// HTTP charsets the poller may pass along. Picked from the input's length so
// that the hint paths of the decoder are fuzzed without spending input bytes
// on a header; most lengths get no hint, as most servers send none.
constexpr std::string_view kCharsetHints[] = {
    "", "", "", "", "windows-1252", "shift_jis", "koi8-r", "utf-16",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  newsfeed::ingest::ParseOptions options;
  options.feed_url = "https://fuzz.example/feeds/main.xml";
  options.charset_hint =
      std::string(kCharsetHints[size % std::size(kCharsetHints)]);
  absl::StatusOr<newsfeed::ingest::ParsedFeed> feed =
      newsfeed::ingest::ParseFeed(body, options);
  if (!feed.ok()) return 0;
  const newsfeed::ingest::FeedContext context{
      "fuzz", options.feed_url, absl::FromUnixSeconds(1715592600)};
  size_t total = 0;
  for (const newsfeed::ingest::ParsedItem& item : feed->items) {
    newsfeed::v1::Article article =
        newsfeed::ingest::NormalizeItem(*feed, item, context);
    total += article.ByteSizeLong();
  }
  total += newsfeed::ingest::FeedToJson(*feed).size();
  // Keep the work observable so nothing above is optimized away.
  return total == static_cast<size_t>(-1) ? 1 : 0;
}
