#include "ingest-service/parser/url.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace newsfeed::ingest::internal {
namespace {

constexpr const char* kBases[] = {
    "https://example.com/dir/page.html?x=1#top",
    "https://example.com/",
    "https://example.com",
    "http://example.com/a/b/c",
    "https://Example.COM/dir/",
    "https://example.com:8443/dir/x",
    "https://user@example.com/dir/x",
    "https://127.0.0.1/dir/x",
    "https://example.com/a/../b/x",
    "https://example.com/dir%20x/y?q=%41",
    "https://ex-ample.co.uk/~u/p;x=1/y",
    "ftp://example.com/dir/",
    "https://example.com/dir/ x",
};

constexpr const char* kRefs[] = {
    "/img/1.jpg",
    "img/1.jpg",
    "?q=1",
    "#frag",
    "//cdn.example.net/x.js",
    "a/b?c=d#e",
    "../up.png",
    "./here",
    ".",
    "..",
    "x y",
    "%41%zz",
    "/p(1)*!$'",
    "q:colon/x",
    "a@b",
    "https://abs.example/x",
    "",
    "caf\xC3\xA9.png",
    "a\\b",
    "/x?y?z",
    "#a#b",
    "/x#",
    "?",
    "mailto:x@example.com",
    "/x/./y",
    "/ok/path;param=1",
};

TEST(UrlTest, ResolveMatchesLibcurlForEveryBaseAndReference) {
  for (const char* base : kBases) {
    for (const char* ref : kRefs) {
      EXPECT_EQ(ResolveUrlLikeCurl(ref, base), ResolveUrlWithCurl(ref, base))
          << "base " << base << " ref " << ref;
    }
  }
}

TEST(UrlTest, PlainHttpUrl) {
  PlainUrl parts;
  ASSERT_TRUE(IsPlainHttpUrl("https://Ex.com/a/b?c=d&e#f", &parts));
  EXPECT_EQ(parts.scheme, "https");
  EXPECT_EQ(parts.host, "Ex.com");
  EXPECT_EQ(parts.path, "/a/b");
  EXPECT_EQ(parts.query, "c=d&e");
  EXPECT_EQ(parts.fragment, "f");
  EXPECT_TRUE(IsPlainHttpUrl("http://example.com"));
  EXPECT_FALSE(IsPlainHttpUrl("https://example.com:443/"));
  EXPECT_FALSE(IsPlainHttpUrl("https://u@example.com/"));
  EXPECT_FALSE(IsPlainHttpUrl("https://10.0.0.1/"));
  EXPECT_FALSE(IsPlainHttpUrl("https://example.com/a/../b"));
  EXPECT_FALSE(IsPlainHttpUrl("https://example.com/a b"));
  EXPECT_FALSE(IsPlainHttpUrl("https://example.com/%zz"));
  EXPECT_FALSE(IsPlainHttpUrl("HTTPS://example.com/"));
  EXPECT_FALSE(IsPlainHttpUrl("https://example.com./"));
}

// Random references built from URL pieces against random bases.
TEST(UrlTest, RandomReferencesMatchLibcurl) {
  static const char* const kPieces[] = {
      "a", "b1", "/", "//", "?", "#", "=", "&", ".", "..", "%20",    "%7e", "-",
      "_", "~",  ":", "@",  "!", "(", ")", "+", ",", ";",  "x.html", "%",
  };
  std::mt19937 rng(11);
  for (int run = 0; run < 30000; ++run) {
    std::string ref;
    int pieces = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < pieces; ++i) ref += kPieces[rng() % std::size(kPieces)];
    const char* base = kBases[rng() % std::size(kBases)];
    ASSERT_EQ(ResolveUrlLikeCurl(ref, base), ResolveUrlWithCurl(ref, base))
        << "base " << base << " ref " << ref;
  }
}

}  // namespace
}  // namespace newsfeed::ingest::internal
