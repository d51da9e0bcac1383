#include "ingest-service/normalizer/html.h"

#include <gumbo.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/normalizer/normalizer.h"

namespace newsfeed::ingest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(HtmlToTextTest, StripsMarkupAndDecodesEntities) {
  EXPECT_EQ(HtmlToText("<p>Caf&eacute; &amp; <b>bar</b>&nbsp;&#8212; x</p>"),
            "Café & bar — x");
}

TEST(HtmlToTextTest, BlockElementsBreakLinesInlineDoNot) {
  EXPECT_EQ(HtmlToText("<h1>Title</h1><p>One <i>two</i></p><p>Three<br>Four"
                       "</p><ul><li>a</li><li>b</li></ul>"),
            "Title\nOne two\nThree\nFour\na\nb");
  EXPECT_EQ(HtmlToText("<table><tr><td>a</td><td>b</td></tr>"
                       "<tr><td>c</td></tr></table>"),
            "a b\nc");
  EXPECT_EQ(HtmlToText("x<span>y</span>z"), "xyz");
}

TEST(HtmlToTextTest, ScriptStyleAndCommentsDropped) {
  EXPECT_EQ(HtmlToText("a<script>alert(1)</script>b<style>p{}</style>c"
                       "<!-- note -->d<noscript>e</noscript>"),
            "abcd");
}

TEST(HtmlToTextTest, WhitespaceCollapsedAndTrimmed) {
  EXPECT_EQ(HtmlToText("  <p>  a \n\t b  </p>\n\n<p> c </p>  "), "a b\nc");
  EXPECT_EQ(HtmlToText("  plain \n text  "), "plain text");
  EXPECT_EQ(HtmlToText(""), "");
}

TEST(HtmlToTextTest, BrokenMarkupStillGivesText) {
  EXPECT_EQ(HtmlToText("<p>unclosed <b>bold <i>both"), "unclosed bold both");
  EXPECT_EQ(HtmlToText("a < b and c > d"), "a < b and c > d");
}

TEST(SanitizeHtmlTest, KeepsSafeStructure) {
  EXPECT_EQ(SanitizeHtml("<p class=\"x\">Hi <a href=\"https://ex.com/?a=1&amp;"
                         "b=2\" title=\"t\">link</a><br><img src=\"/i.png\" "
                         "alt=\"pic\"></p>"),
            "<p>Hi <a href=\"https://ex.com/?a=1&amp;b=2\" title=\"t\">link"
            "</a><br><img src=\"/i.png\" alt=\"pic\"></p>");
}

TEST(SanitizeHtmlTest, DropsDangerousElementsWithContent) {
  std::string out = SanitizeHtml(
      "<p>a</p><script>evil()</script><style>x{}</style>"
      "<iframe src=\"https://ex.com\">f</iframe><object>o</object>"
      "<embed src=\"x.swf\"><svg><script>s()</script></svg><p>b</p>");
  EXPECT_EQ(out, "<p>a</p><p>b</p>");
}

TEST(SanitizeHtmlTest, DropsEventHandlersAndStyle) {
  EXPECT_EQ(SanitizeHtml("<p onclick=\"x()\" onmouseover=\"y()\" "
                         "style=\"background:url(javascript:z)\">t</p>"),
            "<p>t</p>");
}

TEST(SanitizeHtmlTest, DropsScriptUrls) {
  std::string out = SanitizeHtml(
      "<a href=\"javascript:alert(1)\">1</a>"
      "<a href=\" JaVaScRiPt:alert(2)\">2</a>"
      "<a href=\"jav&#x09;ascript:alert(3)\">3</a>"
      "<a href=\"vbscript:msgbox\">4</a>"
      "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">5</a>"
      "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">"
      "<img src=\"data:image/png;base64,iVBORw0=\">"
      "<a href=\"/relative\">6</a><a href=\"mailto:a@b.c\">7</a>");
  EXPECT_THAT(out, Not(HasSubstr("javascript")));
  EXPECT_THAT(out, Not(HasSubstr("vbscript")));
  EXPECT_THAT(out, Not(HasSubstr("text/html")));
  EXPECT_THAT(out, Not(HasSubstr("svg")));
  EXPECT_THAT(out, HasSubstr("<img src=\"data:image/png;base64,iVBORw0=\">"));
  EXPECT_THAT(out, HasSubstr("<a href=\"/relative\">6</a>"));
  EXPECT_THAT(out, HasSubstr("<a href=\"mailto:a@b.c\">7</a>"));
  EXPECT_THAT(out, HasSubstr("<a>1</a>"));
}

TEST(SanitizeHtmlTest, UnknownElementsUnwrappedAndOutputBalanced) {
  EXPECT_EQ(SanitizeHtml("<custom-el>in</custom-el><font color=red>f</font>"),
            "inf");
  EXPECT_EQ(SanitizeHtml("<p><b>open"), "<p><b>open</b></p>");
  EXPECT_EQ(SanitizeHtml("x < y & \"z\""), "x &lt; y &amp; \"z\"");
}

TEST(SanitizeHtmlTest, DeepNestingDoesNotOverflow) {
  std::string deep;
  for (int i = 0; i < 20000; ++i) deep += "<span>";
  deep += "x";
  EXPECT_EQ(HtmlToText(deep), "x");
  EXPECT_EQ(SanitizeHtml(deep).find("x") != std::string::npos, true);
}

// A quote inside an attribute name opens no value: the tags after it still
// count towards the depth limit (gumbo slows quadratically past it).
TEST(SanitizeHtmlTest, AQuoteInAnAttributeNameDoesNotHideNesting) {
  std::string deep = "<em a\">";
  for (int i = 0; i < 400; ++i) deep += "<em>";
  deep += "x";
  const std::string html = SanitizeHtml(deep);
  size_t ems = 0;
  for (size_t at = html.find("<em>"); at != std::string::npos;
       at = html.find("<em>", at + 1)) {
    ++ems;
  }
  EXPECT_GT(ems, 0u);
  EXPECT_LE(ems, 256u);
  EXPECT_NE(html.find('x'), std::string::npos);
}

TEST(RenderHtmlTest, PlainTextSkipsGumboWithTheSameResult) {
  std::string text, html;
  internal::RenderHtml(
      "  a > b \"q\"  \n\t c\xC2\xA0"
      "d ",
      &text, &html);
  EXPECT_EQ(text, "a > b \"q\" c d");
  EXPECT_EQ(html,
            "  a &gt; b \"q\"  \n\t c\xC2\xA0"
            "d ");
  EXPECT_TRUE(internal::IsPlainText("caf\xC3\xA9 > x"));
  EXPECT_FALSE(internal::IsPlainText("a &amp; b"));
  EXPECT_FALSE(internal::IsPlainText("a\r\nb"));    // gumbo rewrites CR LF
  EXPECT_FALSE(internal::IsPlainText("bad \xC3"));  // gumbo makes U+FFFD
  internal::RenderHtml("a\r\nb", &text, &html);
  EXPECT_EQ(html, "a\nb");
}

TEST(RenderHtmlTest, HostileNestingIsBoundedAndDoesNotCrash) {
  // gumbo_destroy_output recursed once per level (stack overflow) and its
  // scope checks made unclosed tags quadratic; the arena and the nesting
  // cap take care of both.
  std::string html;
  for (int i = 0; i < 200000; ++i) html += "<b x=1>";
  html += "deep";
  std::string text, sanitized;
  internal::RenderHtml(html, &text, &sanitized);
  EXPECT_EQ(text, "deep");
  EXPECT_THAT(sanitized, HasSubstr("deep"));
  html.clear();
  for (int i = 0; i < 100000; ++i) html += "<div>";
  html += "x";
  internal::RenderHtml(html, &text, nullptr);
  EXPECT_EQ(text, "x");
}

// Formatting elements a block's end leaves open are cloned before every
// piece of text that follows: 200 of them (or one with a 64 KiB attribute)
// and then "</p><p>x" repeated took minutes per MB in gumbo. Such a body
// exhausts what a parse may allocate and is rendered as its text instead,
// with nothing lost but the markup.
TEST(RenderHtmlTest, FormattingLeftOpenAcrossBlocksIsRenderedAsText) {
  for (const std::string& opening :
       {[] {
          std::string many;
          for (int i = 0; i < 200; ++i) absl::StrAppend(&many, "<b c=", i, ">");
          return many;
        }(),
        absl::StrCat("<b title=\"", std::string(64 << 10, 'v'), "\">")}) {
    std::string html = "<p>" + opening;
    for (int i = 0; i < 20000; ++i) absl::StrAppend(&html, "</p><p>x", i % 10);
    std::string text, sanitized;
    internal::RenderHtml(html, &text, &sanitized);
    EXPECT_EQ(sanitized.find('<'), std::string::npos)
        << sanitized.substr(0, 80);
    EXPECT_THAT(text, HasSubstr("x0"));
    EXPECT_THAT(text, HasSubstr("x9"));
  }
}

// Formatting kept open around a whole article, as old markup does, and the
// densest ordinary markup stay within gumbo's budget: the markup stays.
TEST(RenderHtmlTest, FormattingOpenAroundAnArticleKeepsItsMarkup) {
  std::string html =
      "<font face=\"Arial\"><font size=\"2\"><font color=\"#333333\">";
  for (int i = 0; i < 400; ++i) {
    html +=
        "<p>A paragraph of the story, <b>with</b> <a href=\"/x\">a "
        "link</a>.</p>\n";
  }
  html += "</font></font></font>";
  // Unclosed paragraphs too, as densely as markup gets: the fast path
  // leaves them to gumbo, which allocates the most per byte for them.
  for (int i = 0; i < 20000; ++i) html += "<p>x";
  html += "<p>left open<p>and again";
  for (internal::HtmlEngine engine :
       {internal::HtmlEngine::kAuto, internal::HtmlEngine::kGumboOnly}) {
    std::string text, sanitized;
    internal::RenderHtmlWith(engine, html, &text, &sanitized,
                             "https://news.example/a");
    EXPECT_THAT(sanitized, HasSubstr("<b>with</b>"));
    EXPECT_THAT(sanitized, HasSubstr("<a href=\"https://news.example/x\""));
    EXPECT_THAT(sanitized, HasSubstr("<p>x</p><p>left open</p>"));
  }
}

TEST(RenderHtmlTest, NestingCapKeepsOrdinaryMarkup) {
  // Many tags but shallow: nothing is removed.
  std::string html;
  for (int i = 0; i < 400; ++i) html += "<p>a <b>b</b> <i>c</i><br>";
  std::string text, sanitized;
  internal::RenderHtml(html, &text, &sanitized);
  EXPECT_EQ(std::count(sanitized.begin(), sanitized.end(), '<'), 400 * 7);
}

// " a0 a1 ..." (n attributes without values) or " a0=\"v\" ..." (with).
std::string Attributes(int n, const std::string& value = "") {
  std::string out;
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&out, " a", i);
    if (!value.empty()) absl::StrAppend(&out, "=\"", value, "\"");
  }
  return out;
}

TEST(RenderHtmlTest, AttributesBeyondTheLimitAreDropped) {
  // gumbo compares each attribute of a tag with all the ones before it:
  // 200,000 on one tag (1.9 MB) took 61 s. The first 256 stay.
  std::string text, sanitized;
  internal::RenderHtml(
      absl::StrCat("<p><a href=\"https://example.com/\"", Attributes(100000),
                   " title=\"late\">link</a> after</p>"),
      &text, &sanitized);
  EXPECT_EQ(text, "link after");
  EXPECT_EQ(sanitized,
            "<p><a href=\"https://example.com/\">link</a> after</p>");
  // The 256th attribute is kept, the 257th is not.
  internal::RenderHtml(absl::StrCat("<a href=\"/x\"", Attributes(254, "v"),
                                    " title=\"t\">l</a>", "<a href=\"/y\"",
                                    Attributes(255, "v"), " title=\"t\">m</a>"),
                       nullptr, &sanitized, "https://example.com/");
  EXPECT_EQ(sanitized,
            "<a href=\"https://example.com/x\" title=\"t\">l</a>"
            "<a href=\"https://example.com/y\">m</a>");
}

// The most attributes on one element of the tree gumbo builds from `html`
// as RenderHtml has it parse (the root gathers those of every <html> start
// tag).
size_t MostAttributesGumboReads(std::string_view html) {
  GumboOptions options = kGumboDefaultOptions;
  options.fragment_context = GUMBO_TAG_DIV;
  options.fragment_namespace = GUMBO_NAMESPACE_HTML;
  GumboOutput* output =
      gumbo_parse_with_options(&options, html.data(), html.size());
  size_t most = 0;
  std::vector<const GumboNode*> pending = {output->root};
  while (!pending.empty()) {
    const GumboNode* node = pending.back();
    pending.pop_back();
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE) {
      continue;
    }
    most = std::max<size_t>(most, node->v.element.attributes.length);
    for (unsigned i = 0; i < node->v.element.children.length; ++i) {
      pending.push_back(
          static_cast<const GumboNode*>(node->v.element.children.data[i]));
    }
  }
  gumbo_destroy_output(&options, output);
  return most;
}

TEST(LimitAttributesTest, CapsWhatGumboReads) {
  using internal::AttributeLimit;
  std::string capped;
  // One tag, and the <html> start tags, whose attributes gumbo gathers on
  // the root.
  for (const std::string& html : {
           absl::StrCat("<p", Attributes(1000), ">x</p>"),
           absl::StrCat("<p", Attributes(1000, "v"), "/>x"),
           absl::StrCat("<html", Attributes(200), "><p>x<html",
                        Attributes(400).substr(Attributes(200).size()), ">"),
       }) {
    EXPECT_GT(MostAttributesGumboReads(html), internal::kMaxHtmlAttributes);
    ASSERT_EQ(internal::LimitAttributes(html, &capped), AttributeLimit::kCapped)
        << html.substr(0, 40);
    EXPECT_EQ(MostAttributesGumboReads(capped), internal::kMaxHtmlAttributes)
        << html.substr(0, 40);
  }
  EXPECT_EQ(capped,
            absl::StrCat("<html", Attributes(200), "><p>x<html",
                         Attributes(256).substr(Attributes(200).size()), " >"));
  // gumbo reads the attributes of a tag the text ends in, then drops it.
  ASSERT_EQ(internal::LimitAttributes(
                absl::StrCat("<p>x</p><p", Attributes(1000)), &capped),
            AttributeLimit::kCapped);
  EXPECT_EQ(capped, absl::StrCat("<p>x</p><p", Attributes(256), " "));
}

TEST(LimitAttributesTest, FindsTagsWhereverTheTokenizerMight) {
  // Where a '<' starts a tag depends on the tree: <style> holds markup
  // inside <svg> and is no tag inside <select>; a quote in a comment must
  // not hide the tag after it. Each of these makes gumbo read a tag with
  // 1,000 attributes, which it must not get.
  const std::string tag = absl::StrCat("<p", Attributes(1000), ">");
  const std::string option = absl::StrCat("<option", Attributes(1000), ">");
  for (const std::string& html : {
           absl::StrCat("<svg><style>", tag, "</style></svg>x"),
           absl::StrCat("<select><style>", option, "</style></select>x"),
           absl::StrCat("<!-- <x title=\" -->", tag, "\">x"),
           absl::StrCat("<script>a = \"</script>", tag, "\"</script>x"),
           absl::StrCat("<svg><![CDATA[ > <x title=\" ]]>", tag, "\"</svg>"),
       }) {
    EXPECT_GT(MostAttributesGumboReads(html), internal::kMaxHtmlAttributes)
        << html.substr(0, 40);
    std::string capped;
    switch (internal::LimitAttributes(html, &capped)) {
      case internal::AttributeLimit::kUnchanged:
        ADD_FAILURE() << html.substr(0, 40);
        break;
      case internal::AttributeLimit::kCapped:
        EXPECT_LE(MostAttributesGumboReads(capped),
                  internal::kMaxHtmlAttributes)
            << html.substr(0, 40);
        break;
      case internal::AttributeLimit::kRefused:
        break;  // gumbo gets none of it
    }
  }
}

TEST(LimitAttributesTest, RandomMarkupNeverGivesGumboTooMany) {
  // Tag soup of the constructs that change where tags start, and runs of
  // attributes (bare, quoted, unquoted) long enough to pass the limit.
  constexpr const char* kPieces[] = {
      "<p",       "<a",       "<html",     "<body",      "<option",
      "<svg>",    "<math>",   "<select>",  "</select>",  "<style>",
      "</style>", "<script>", "</script>", "<textarea>", "</textarea>",
      "<xmp>",    "<table>",  "<td>",      "<template>", "<noscript>",
      "<!--",     "-->",      "--!>",      "<!-->",      "<![CDATA[",
      "]]>",      "<!x",      "<?x",       "</",         "</x",
      ">",        "/>",       "/",         "\"",         "'",
      "=",        "=\"",      "='",        " ",          "<",
      "&amp;",    "--",       "]]",        "<b>",        "text",
  };
  std::mt19937 rng(23);
  int attribute = 0, capped = 0;
  for (int run = 0; run < 1000; ++run) {
    std::string html;
    for (int part = 5 + rng() % 40; part > 0; --part) {
      if (rng() % 10 < 7) {
        html += kPieces[rng() % std::size(kPieces)];
        continue;
      }
      const int n = rng() % 2 ? 300 + rng() % 300 : rng() % 40;
      const char* value = std::array{"", "=\"v\"", "='v'", "=v"}[rng() % 4];
      for (int i = 0; i < n; ++i) {
        absl::StrAppend(&html, " a", attribute++, value);
      }
    }
    std::string out;
    switch (internal::LimitAttributes(html, &out)) {
      case internal::AttributeLimit::kUnchanged:
        EXPECT_LE(MostAttributesGumboReads(html), internal::kMaxHtmlAttributes)
            << html;
        break;
      case internal::AttributeLimit::kCapped:
        ++capped;
        EXPECT_LE(MostAttributesGumboReads(out), internal::kMaxHtmlAttributes)
            << html;
        break;
      case internal::AttributeLimit::kRefused:
        break;
    }
    if (HasFailure()) break;
  }
  EXPECT_GT(capped, 10);
}

TEST(LimitAttributesTest, OrdinaryMarkupIsUnchanged) {
  std::vector<std::string> bodies = {
      absl::StrCat("<p", Attributes(256, "v"), ">256 attributes</p>"),
      "<p>a <!-- <b>not a tag</b> --> <a title=\"<b>\" href=x>l</a></p>",
      "<script>for (i=0;i<n;i++) { f(\"</p>\"); }</script><p>x</p>",
      "<svg><style>p{}</style></svg><html lang=en><body class=x>",
  };
  // And the HTML fuzz corpus, the oddest markup we have, but for the seed
  // written to go past the limit.
  for (const auto& entry : std::filesystem::directory_iterator(
           std::string(NEWSFEED_SOURCE_DIR) +
           "/ingest-service/normalizer/fuzz/corpus")) {
    if (entry.path().filename() == "attributes_many_on_one_tag.html") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    bodies.emplace_back(std::istreambuf_iterator<char>(in),
                        std::istreambuf_iterator<char>());
  }
  std::string storage;
  for (const std::string& html : bodies) {
    EXPECT_EQ(internal::LimitAttributes(html, &storage),
              internal::AttributeLimit::kUnchanged)
        << html.substr(0, 60);
  }
}

TEST(RenderHtmlTest, RefusedMarkupRendersAsPlainText) {
  // Attributes beyond the limit that cannot be cut without changing how
  // the rest reads (here each value holds a '<'): no gumbo, no markup.
  std::string text, sanitized;
  internal::RenderHtml(absl::StrCat("<p", Attributes(20000, "<"),
                                    ">Hello <b>world</b> &amp; more</p>"),
                       &text, &sanitized);
  EXPECT_EQ(text, "Hello world & more");
  EXPECT_EQ(sanitized, "Hello world &amp; more");
}

// Classes from feedparser's sanitizer suite, with our own inputs.
TEST(SanitizeHtmlTest, DropsActiveContentElements) {
  std::string out = SanitizeHtml(
      "<p>a</p><iframe src=\"https://evil.example/\">x</iframe>"
      "<object data=\"x.swf\"><param name=a value=b></object>"
      "<embed src=\"x.swf\"><applet code=\"X\"></applet>"
      "<form action=\"/steal\"><input name=p></form>"
      "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">"
      "<base href=\"https://evil.example/\"><link rel=stylesheet href=x.css>"
      "<svg onload=\"alert(1)\"><circle r=1></circle></svg>"
      "<math><mi>x</mi></math><p>b</p>");
  EXPECT_THAT(out, Not(HasSubstr("iframe")));
  EXPECT_THAT(out, Not(HasSubstr("object")));
  EXPECT_THAT(out, Not(HasSubstr("embed")));
  EXPECT_THAT(out, Not(HasSubstr("applet")));
  EXPECT_THAT(out, Not(HasSubstr("<form")));
  EXPECT_THAT(out, Not(HasSubstr("<input")));
  EXPECT_THAT(out, Not(HasSubstr("refresh")));
  EXPECT_THAT(out, Not(HasSubstr("<base")));
  EXPECT_THAT(out, Not(HasSubstr("stylesheet")));
  EXPECT_THAT(out, Not(HasSubstr("onload")));
  EXPECT_THAT(out, HasSubstr("<p>a</p>"));
  EXPECT_THAT(out, HasSubstr("<p>b</p>"));
}

TEST(SanitizeHtmlTest, DropsObfuscatedScriptUrlsInAnyUrlAttribute) {
  std::string out = SanitizeHtml(
      "<a href=\"java\nscript:alert(1)\">1</a>"
      "<a href=\"&#106;avascript:alert(2)\">2</a>"
      "<img src=\"javascript:alert(3)\" alt=\"i\">"
      "<img lowsrc=\"javascript:alert(4)\" dynsrc=\"javascript:alert(5)\">"
      "<blockquote cite=\"javascript:alert(6)\">q</blockquote>"
      "<video poster=\"javascript:alert(7)\"></video>");
  EXPECT_THAT(out, Not(HasSubstr("script:")));
  EXPECT_THAT(out, Not(HasSubstr("lowsrc")));
  EXPECT_THAT(out, Not(HasSubstr("dynsrc")));
}

}  // namespace
}  // namespace newsfeed::ingest
