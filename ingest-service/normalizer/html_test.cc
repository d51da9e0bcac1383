#include <algorithm>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/normalizer/html.h"
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

TEST(RenderHtmlTest, PlainTextSkipsGumboWithTheSameResult) {
  std::string text, html;
  internal::RenderHtml("  a > b \"q\"  \n\t c\xC2\xA0" "d ", &text, &html);
  EXPECT_EQ(text, "a > b \"q\" c d");
  EXPECT_EQ(html, "  a &gt; b \"q\"  \n\t c\xC2\xA0" "d ");
  EXPECT_TRUE(internal::IsPlainText("caf\xC3\xA9 > x"));
  EXPECT_FALSE(internal::IsPlainText("a &amp; b"));
  EXPECT_FALSE(internal::IsPlainText("a\r\nb"));  // gumbo rewrites CR LF
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

TEST(RenderHtmlTest, NestingCapKeepsOrdinaryMarkup) {
  // Many tags but shallow: nothing is removed.
  std::string html;
  for (int i = 0; i < 400; ++i) html += "<p>a <b>b</b> <i>c</i><br>";
  std::string text, sanitized;
  internal::RenderHtml(html, &text, &sanitized);
  EXPECT_EQ(std::count(sanitized.begin(), sanitized.end(), '<'), 400 * 7);
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
