// The fast paths of RenderHtml (plain text, SimpleHtmlParser) must render
// exactly what gumbo's tree gives: checked on hand-picked edge cases, on
// every named entity we know, and on random tag soup.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ingest-service/normalizer/html.h"
#include "ingest-service/parser/feed_parser.h"

namespace newsfeed::ingest::internal {
namespace {

constexpr std::string_view kBase = "https://example.com/dir/page.html?x=1";

struct Rendered {
  bool accepted = false;
  std::string text, html;
};

Rendered Render(HtmlEngine engine, std::string_view input) {
  Rendered r;
  r.accepted = RenderHtmlWith(engine, input, &r.text, &r.html, kBase);
  return r;
}

// True when the fast path took `input`; either way it must not disagree
// with gumbo.
bool FastMatchesGumbo(std::string_view input) {
  Rendered fast = Render(HtmlEngine::kSimpleOnly, input);
  if (!fast.accepted) return false;
  Rendered gumbo = Render(HtmlEngine::kGumboOnly, input);
  EXPECT_EQ(fast.text, gumbo.text) << "input: " << input;
  EXPECT_EQ(fast.html, gumbo.html) << "input: " << input;
  // Text only and sanitized only must agree as well.
  std::string text_only, html_only;
  RenderHtmlWith(HtmlEngine::kAuto, input, &text_only, nullptr, kBase);
  RenderHtmlWith(HtmlEngine::kAuto, input, nullptr, &html_only, kBase);
  EXPECT_EQ(text_only, gumbo.text) << "input: " << input;
  EXPECT_EQ(html_only, gumbo.html) << "input: " << input;
  return true;
}

TEST(HtmlFastPathTest, TypicalFeedBodiesTakeTheFastPath) {
  for (std::string_view input : {
           "<p>Market <a href=\"https://ex.com/1?utm_source=rss&amp;a=b\">"
           "news</a> &amp; <b>more</b>&nbsp;&mdash; end.</p>"
           "<img src=\"/img/1.jpg\" alt=\"pic\">",
           "<h2>Title</h2>\n<p>One <em>two</em><br/>three</p>\n"
           "<ul>\n<li>a</li>\n<li><code>b</code></li>\n</ul>",
           "<div><blockquote cite=\"q.html\">x</blockquote><hr></div>",
           "<p>Caf&eacute; &#233; &#xE9; &lt;tag&gt; &quot;q&quot; &apos;</p>",
           "a < b & c <3 &",
           "<a href='rel/x.html' title=x>t</a><img "
           "src=data:image/png;base64,AA>",
           "<p>unclosed <b>at the end",
           "<A HREF=\"X\">upper</A><BR>",
           "<a href=\"?a=1&b=2&copy=3&notin=4\">q</a>",
           "<pre>code\n  indented</pre>",
           "<ol><li>a<ul><li>b</li></ul></li><li>c</li></ol>",
           "<b><b><b><b>deep</b></b></b></b>",
           "<a href=\"javascript:alert(1)\">x</a><img src=\"x.png\" onerror=y>",
           "<p>one<!-- more -->two <!--\n<b>not a tag</b> -- - --->three</p>",
           "<pre><!--c-->\nkept newline</pre>",
           "<IMG SRC=\"A.png\" Alt=\"x\"><a title=\"a&amp;b\" "
           "href=x&amp;y>t</a>",
           // An open p or li that is the current node is closed by one pop.
           "<p>one<p>two<div>three</div><h2>four</h2><p>five<hr>six",
           "<ul><li>a<li>b<p>c<li>d</ul><p>e<ol><li>f</ol>",
           // End tags of blocks close an open p or li above them.
           "<div><p>a</div>b<blockquote><p>c<p>d</blockquote>",
           "<h2><p>x</h2><ol><li><p>y</li></ol>",
       }) {
    EXPECT_TRUE(FastMatchesGumbo(input)) << input;
  }
}

TEST(HtmlFastPathTest, LeavesTreeBuilderCasesToGumbo) {
  for (std::string_view input : {
           "<p><b>a<p>b",          // p closes p and b, b is reopened
           "<p><i>a<div>b</div>",  // block closes p below i
           "<b>a<i>b</b>c</i>",    // adoption agency
           "<a>1<a>2</a></a>",     // a closes a
           "<li><b>a<li>b",        // li closes li below b
           "<div><span>a</div>",   // a div end tag pops a span
           "<span><p>a</span>",    // ignored: p is special
           "<ul><li><b>a</ul>",    // pops b as well
           "<ol><li><section><li>x</li></section></li></ol>",  // li in li // li
                                                               // closes li
           "<h1>a<h2>b</h2></h1>",  // heading closes heading
           "a</p>b",                // stray end tag inserts a p
           "x</br>y",               // </br> is <br>
           "<table><tr><td>a</td></tr></table>",
           "<script>x</script>",
           "<!DOCTYPE html>",
           "<![CDATA[x]]>",
           "<!-->x",  // comments that end before or without "-->"
           "<!--->x",
           "<!--a--!>b",
           "<!-- unterminated",
           "<pre>\nx</pre>",
           "<span/>",
           "<a href=x href=y>d</a>",
           "&copy 2024",   // legacy entity without ';'
           "&notit;",      // prefix match of &not
           "&lang;",       // HTML5 changed its code point
           "&#0; &#128;",  // replaced code points
           "<a title=\"&copy\">x</a>",
           "<font color=red>x</font>",
       }) {
    Rendered fast = Render(HtmlEngine::kSimpleOnly, input);
    EXPECT_FALSE(fast.accepted) << input;
  }
}

// gumbo's input stream drops NUL, turns CR LF into LF and replaces control
// characters and noncharacters with U+FFFD; the fast paths leave text with
// any of them to gumbo (found by html_fuzzer).
TEST(HtmlFastPathTest, BytesGumboRewritesAreLeftToGumbo) {
  using namespace std::string_view_literals;
  for (std::string_view input : {
           "a\x17"
           "b"sv,
           "<p>a\x01</p>"sv,
           "a\x0b"
           "b"sv,
           "a\x7f"sv,
           "a\xc2\x85"
           "b"sv,
           "<b>x\xef\xb7\x90y</b>"sv,
           "x\xef\xbf\xbe"sv,
           "\xf0\x9f\xbf\xbf"sv,
           "\xf4\x8f\xbf\xbe"sv,
           "a\r\nb"sv,
           "<i>a\0b</i>"sv,
           // Invalid UTF-8: overlong, surrogate, above U+10FFFF, truncated.
           "\xc0\xaf"sv,
           "a\xed\xa0\x80"sv,
           "\xf4\x90\x80\x80"sv,
           "<p>\xe2\x82"sv,
       }) {
    for (std::string prefix : {"", "<p>sixteen bytes of text first "}) {
      const std::string html = prefix + std::string(input);
      EXPECT_FALSE(Render(HtmlEngine::kSimpleOnly, html).accepted) << html;
      const Rendered chosen = Render(HtmlEngine::kAuto, html);
      const Rendered gumbo = Render(HtmlEngine::kGumboOnly, html);
      EXPECT_EQ(chosen.text, gumbo.text) << html;
      EXPECT_EQ(chosen.html, gumbo.html) << html;
    }
  }
  // What gumbo keeps as it is stays on the fast path.
  for (std::string_view input : {
           "a\tb\nc\fd",
           "caf\xc3\xa9 \xc2\xa0 \xc2\xa9 \xef\xbc\xa1 \xef\xb7\xb0 "
           "\xf0\x9f\x98\x80 \xf0\x9f\xbf\xbd",
           // A sequence across the end of a sixteen-byte block.
           "0123456789abcde\xe2\x80\x94x and \xc3\xa9 again",
       }) {
    EXPECT_TRUE(FastMatchesGumbo(input)) << input;
    EXPECT_TRUE(FastMatchesGumbo(std::string("<p>") + std::string(input)))
        << input;
  }
}

// The fast path goes as deep as LimitNesting lets gumbo go, and no deeper,
// so it never renders input that gumbo would only have seen cut.
TEST(HtmlFastPathTest, NestingBeyondTheDepthLimitIsLeftToGumbo) {
  auto nested = [](int depth) {
    std::string html;
    for (int i = 0; i < depth; ++i) html += i % 2 ? "<span>" : "<em>";
    html += "x";
    for (int i = depth; i-- > 0;) html += i % 2 ? "</span>" : "</em>";
    return html + "<p>after</p>";
  };
  EXPECT_TRUE(FastMatchesGumbo(nested(256)));
  EXPECT_FALSE(Render(HtmlEngine::kSimpleOnly, nested(257)).accepted);
  const Rendered deep = Render(HtmlEngine::kAuto, nested(300));
  const Rendered gumbo = Render(HtmlEngine::kGumboOnly, nested(300));
  EXPECT_EQ(deep.text, gumbo.text);
  EXPECT_EQ(deep.html, gumbo.html);
  EXPECT_EQ(deep.text, "x\nafter");
}

// A '<' inside an attribute value or a comment starts no tag here, but
// LimitAttributes reads one from it too (a tag may start there in other
// contexts). When that reading has too many attributes gumbo gets the text
// cut or not at all, so the fast path leaves it to gumbo; otherwise it
// takes such markup as before.
TEST(HtmlFastPathTest, HiddenTagsWithTooManyAttributesAreLeftToGumbo) {
  auto words = [](int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += " w" + std::to_string(i);
    return out;
  };
  EXPECT_TRUE(FastMatchesGumbo("<p title=\"<x" + words(10) + "\">t</p>"));
  EXPECT_TRUE(FastMatchesGumbo("<p>a<!-- <x" + words(10) + " -->b</p>"));
  for (const std::string& html : {
           "<p title=\"<x" + words(300) + "\">t</p>",
           "<p>a<!-- <x" + words(300) + " -->b</p>",
       }) {
    EXPECT_FALSE(Render(HtmlEngine::kSimpleOnly, html).accepted);
    const Rendered chosen = Render(HtmlEngine::kAuto, html);
    const Rendered gumbo = Render(HtmlEngine::kGumboOnly, html);
    EXPECT_EQ(chosen.text, gumbo.text);
    EXPECT_EQ(chosen.html, gumbo.html);
  }
}

// Every name in our entity table, in text and in an attribute, with and
// without ';', decodes as gumbo's HTML5 table does (or is left to gumbo).
TEST(HtmlFastPathTest, NamedEntitiesAgreeWithGumbo) {
  std::ifstream in(std::string(NEWSFEED_SOURCE_DIR) +
                   "/ingest-service/parser/html_entities.cc");
  ASSERT_TRUE(in);
  std::string source((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
  // Entries look like {"amp", 0x26}: the name is what sits between `{"`
  // and `", 0x`. (A scan, not std::regex: GCC 12 warns inside <regex> under
  // the sanitizer build.)
  int names = 0, accepted = 0;
  for (size_t at = source.find("{\""); at != std::string::npos;
       at = source.find("{\"", at + 2)) {
    const size_t start = at + 2;
    const size_t stop = source.find("\", 0x", start);
    if (stop == std::string::npos) break;
    const std::string name = source.substr(start, stop - start);
    if (name.empty() ||
        name.find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") !=
            std::string::npos) {
      continue;
    }
    ++names;
    for (const std::string& input :
         {"x&" + name + ";y", "x&" + name + " y", "x&" + name + "z y",
          "<a title=\"&" + name + ";\">t</a>",
          "<a title=\"&" + name + "\">t</a>",
          "<a title=\"&" + name + "z\">t</a>",
          "<a title=\"&" + name + "=\">t</a>"}) {
      accepted += FastMatchesGumbo(input);
    }
  }
  EXPECT_GE(names, 250);
  EXPECT_GT(accepted, names * 3);
}

TEST(HtmlFastPathTest, NumericReferencesAgreeWithGumbo) {
  for (uint32_t v :
       {9u,      10u,     13u,     32u,      65u,       127u,     128u,
        146u,    159u,    160u,    233u,     0x2014u,   0xD7FFu,  0xD800u,
        0xFDD0u, 0xFFFDu, 0xFFFEu, 0x1F600u, 0x10FFFFu, 0x110000u}) {
    FastMatchesGumbo("a&#" + std::to_string(v) + ";b");
    char hex[16];
    std::snprintf(hex, sizeof(hex), "%X", v);
    FastMatchesGumbo(std::string("a&#x") + hex + ";b<a title=\"&#x" + hex +
                     ";\">t</a>");
  }
}

// Random soup of the pieces the fast path handles and the ones it must
// refuse; every input it accepts must render as gumbo renders it.
TEST(HtmlFastPathTest, RandomSoupAgreesWithGumbo) {
  static const char* const kPieces[] = {
      "<p>",
      "</p>",
      "<div>",
      "</div>",
      "<b>",
      "</b>",
      "<i>",
      "</i>",
      "<em>",
      "</em>",
      "<strong>",
      "</strong>",
      "<a href=\"x/y?a=1&b=2\">",
      "<a href=/abs>",
      "<a title='t'>",
      "</a>",
      "<span>",
      "</span>",
      "<ul>",
      "</ul>",
      "<ol>",
      "</ol>",
      "<li>",
      "</li>",
      "<h1>",
      "</h1>",
      "<h2>",
      "</h2>",
      "<br>",
      "<br/>",
      "<img src=\"i.png\" alt=\"a&amp;b\">",
      "<hr>",
      "<pre>",
      "</pre>",
      "<blockquote>",
      "</blockquote>",
      "<code>",
      "</code>",
      "<sup>",
      "</sup>",
      "<q cite=\"c\">",
      "</q>",
      "<figure>",
      "</figure>",
      "<figcaption>",
      "</figcaption>",
      "<table>",
      "<td>",
      "<font>",
      "</font>",
      "<script>",
      "</script>",
      "<!--c-->",
      "<!--",
      "-->",
      "--!>",
      "<!-->",
      "-",
      "&amp;",
      "&nbsp;",
      "&eacute;",
      "&copy;",
      "&copy",
      "&not",
      "&#233;",
      "&#x41;",
      "&bogus;",
      "& ",
      "&",
      "<",
      "< ",
      "<3",
      ">",
      "text",
      "more words",
      " ",
      "\n",
      "\t",
      "caf\xC3\xA9",
      "\xE2\x80\x94",
      "\"",
      "'",
      "=",
      "</br>",
      "<p/>",
      "<A HREF=\"Q\">",
      "</A>",
      "<wbr>",
      "<small>",
      "</small>",
      "<u>",
      "</u>",
      "<s>",
      "</s>",
      "<del>",
      "</del>",
  };
  std::mt19937 rng(20241127);
  int accepted = 0;
  constexpr int kRuns = 20000;
  for (int run = 0; run < kRuns; ++run) {
    std::string input;
    int pieces = 1 + static_cast<int>(rng() % 24);
    for (int i = 0; i < pieces; ++i) {
      input += kPieces[rng() % std::size(kPieces)];
    }
    accepted += FastMatchesGumbo(input);
    if (HasFailure()) break;
  }
  // The soup is mostly refused (stray end tags), but not all of it.
  EXPECT_GT(accepted, kRuns / 50);
}

// Well-nested random markup: mostly accepted, must agree.
TEST(HtmlFastPathTest, RandomNestedMarkupAgreesWithGumbo) {
  static const char* const kInline[] = {"b",    "i",    "em",  "strong", "a",
                                        "span", "code", "sub", "sup",    "s"};
  static const char* const kBlock[] = {"p",  "div",     "blockquote",
                                       "h3", "section", "pre"};
  static const char* const kText[] = {"word",
                                      " ",
                                      "\n",
                                      "&amp;",
                                      "&nbsp;",
                                      "&mdash;",
                                      "&#8217;",
                                      "a < b",
                                      "x & y",
                                      "caf\xC3\xA9",
                                      "<br>",
                                      "<img src=\"/i.png\" alt=\"\">",
                                      "\xC2\xA9",
                                      "a\xC2\xA0\xC2\xA9"
                                      "b",
                                      "&copy;\xC2\xA0"};
  std::mt19937 rng(7);
  int accepted = 0;
  constexpr int kRuns = 5000;
  for (int run = 0; run < kRuns; ++run) {
    std::string input;
    std::vector<std::string> open;
    int steps = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < steps; ++i) {
      int what = static_cast<int>(rng() % 4);
      if (what == 0 && open.size() < 8) {
        bool block = open.empty() && rng() % 2;
        std::string tag = block ? kBlock[rng() % std::size(kBlock)]
                                : kInline[rng() % std::size(kInline)];
        if (tag == "a" &&
            std::find(open.begin(), open.end(), "a") != open.end()) {
          continue;
        }
        input += tag == "a" ? "<a href=\"p/" + std::to_string(i) + "\">"
                            : "<" + tag + ">";
        open.push_back(tag);
      } else if (what == 1 && !open.empty()) {
        input += "</" + open.back() + ">";
        open.pop_back();
      } else {
        input += kText[rng() % std::size(kText)];
      }
    }
    if (rng() % 2) {
      while (!open.empty()) {
        input += "</" + open.back() + ">";
        open.pop_back();
      }
    }
    accepted += FastMatchesGumbo(input);
    if (HasFailure()) break;
  }
  EXPECT_GT(accepted, kRuns / 2);
}

// The bodies of the fuzz corpus feeds (the oddest markup we have) through
// both engines.
TEST(HtmlFastPathTest, FuzzCorpusBodiesAgreeWithGumbo) {
  std::filesystem::path dir = std::filesystem::path(NEWSFEED_SOURCE_DIR) /
                              "ingest-service/parser/fuzz/corpus";
  int bodies = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    ParseOptions options;
    options.feed_url = "https://example.com/feed";
    absl::StatusOr<ParsedFeed> feed = ParseFeed(bytes, options);
    if (!feed.ok()) continue;
    for (const ParsedItem& item : feed->items) {
      for (const std::string* body : {&item.summary, &item.content}) {
        if (body->empty()) continue;
        ++bodies;
        FastMatchesGumbo(*body);
      }
    }
  }
  EXPECT_GT(bodies, 20);
}

}  // namespace
}  // namespace newsfeed::ingest::internal
