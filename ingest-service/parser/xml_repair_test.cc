// RepairXml's fast path (one scan, no copy when nothing needs repair) and
// its hand-over to the general path when a control character turns up.
// The expected values are those of the implementation before the one-scan
// rewrite, including its quirks (see the comments), so that ids and
// warnings do not change under feeds.

#include "ingest-service/parser/xml_repair.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::ingest::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct Repaired {
  std::string text;
  std::vector<std::string> warnings;
  bool copied = false;
};

Repaired Repair(std::string_view in) {
  Repaired r;
  std::string storage;
  std::string_view out = RepairXml(in, &storage, &r.warnings);
  r.text = std::string(out);
  r.copied = !storage.empty() && out.data() == storage.data();
  return r;
}

TEST(RepairXmlTest, WellFormedTextIsNotCopied) {
  Repaired r = Repair(" \n<a>x &amp; y &lt;b&gt; &#65; &quot;</a>");
  EXPECT_EQ(r.text, "<a>x &amp; y &lt;b&gt; &#65; &quot;</a>");
  EXPECT_FALSE(r.copied);
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST(RepairXmlTest, DecodesHtmlEntitiesAndEscapesBareAmpersands) {
  Repaired r = Repair("<a>caf&eacute; &nbsp;&#146; AT&T</a>");
  EXPECT_EQ(r.text, "<a>caf\u00e9 \u00a0\u2019 AT&amp;T</a>");
  EXPECT_TRUE(r.copied);
  EXPECT_THAT(r.warnings,
              ElementsAre("line 1: undeclared entity &eacute; decoded",
                          "line 1: undeclared entity &nbsp; decoded",
                          "line 1: undeclared entity &#146; decoded",
                          "line 1: unescaped '&' escaped"));
}

TEST(RepairXmlTest, EscapedMarkupAndNearMisses) {
  Repaired r = Repair("<a>&lt;p&gt; x &amp;amp; &quot;q&quot; &lt &amp</a>");
  EXPECT_EQ(r.text,
            "<a>&lt;p&gt; x &amp;amp; &quot;q&quot; &amp;lt &amp;amp</a>");
  EXPECT_THAT(r.warnings, ElementsAre("line 1: unescaped '&' escaped",
                                      "line 1: unescaped '&' escaped"));
}

TEST(RepairXmlTest, SectionsAreSkipped) {
  Repaired r = Repair("<a><![CDATA[&nbsp;]]><!DOCTYPE x [ & ]>&copy;</a>");
  EXPECT_EQ(r.text, "<a><![CDATA[&nbsp;]]><!DOCTYPE x [ & ]>\u00a9</a>");
  EXPECT_THAT(r.warnings,
              ElementsAre("line 1: undeclared entity &copy; decoded"));
  EXPECT_EQ(Repair("<a><![CDATA[ unterminated & ").text,
            "<a><![CDATA[ unterminated & ");
}

// Without control characters, processing instructions are not skipped (an
// '&' in one is escaped); the general path skips them.
TEST(RepairXmlTest, ProcessingInstructionsOnlySkippedByGeneralPath) {
  Repaired fast = Repair("<a>&nbsp; <!-- & --> <?pi a&b?> & </a>");
  EXPECT_EQ(fast.text, "<a>\u00a0 <!-- & --> <?pi a&amp;b?> &amp; </a>");
  EXPECT_THAT(fast.warnings,
              ElementsAre("line 1: undeclared entity &nbsp; decoded",
                          "line 1: unescaped '&' escaped",
                          "line 1: unescaped '&' escaped"));

  Repaired general = Repair("<a>&nbsp; <?pi a&b?> \x0b</a>");
  EXPECT_EQ(general.text, "<a>\u00a0 <?pi a&b?> </a>");
  EXPECT_THAT(general.warnings,
              ElementsAre("line 1: undeclared entity &nbsp; decoded",
                          "line 1: control character 0x0b dropped"));
}

// A control character found after repairs were made: the fast path's
// warnings are discarded and the general path's stand alone. One inside
// CDATA also sends the document there, which leaves sections as they are.
TEST(RepairXmlTest, ControlCharacterInSectionRestartsOnGeneralPath) {
  Repaired r = Repair("<a>&nbsp;\n&bogus; <![CDATA[ & \x01 ]]></a>");
  EXPECT_EQ(r.text, "<a>\u00a0\n&amp;bogus; <![CDATA[ & \x01 ]]></a>");
  EXPECT_THAT(r.warnings,
              ElementsAre("line 1: undeclared entity &nbsp; decoded",
                          "line 2: unescaped '&' escaped"));
}

TEST(RepairXmlTest, LongInputCrossesScanBlocks) {
  // Stops at every offset of a sixteen-byte block, and a control
  // character far from the start.
  std::string in = "<a>";
  for (int i = 0; i < 40; ++i) in += std::string(i % 17, 'x') + "&T";
  in += "</a>";
  const std::string amp = "line 1: unescaped '&' escaped";
  const std::string total = "40 unescaped '&' escaped in all";
  Repaired r = Repair(in);
  EXPECT_EQ(r.text.size(), 534u);
  EXPECT_THAT(r.warnings, ElementsAre(amp, amp, amp, amp, amp, total));

  Repaired with_control = Repair(in + std::string(100, 'y') + "\x02");
  EXPECT_EQ(with_control.text.size(), 634u);
  EXPECT_THAT(with_control.warnings,
              ElementsAre(amp, amp, amp, amp, amp,
                          "line 1: control character 0x02 dropped", total));
}

TEST(ExpandInternalEntitiesTest, AmpersandsFarFromASemicolonAreLinear) {
  // Each '&' searched the rest of the document for a ';': a megabyte of
  // "&&&..." before one reference was quadratic. A name is still matched
  // up to 64 bytes long, as before.
  const std::string name64(64, 'n'), name65(65, 'n');
  const std::string doctype = absl::StrCat(
      "<!DOCTYPE rss [<!ENTITY co \"Example &amp; Co\">", "<!ENTITY ", name64,
      " \"64\"><!ENTITY ", name65, " \"65\">]>");
  const std::string amps(1000000, '&');
  const std::string in = absl::StrCat(doctype, "<rss><title>", amps, "&co;&",
                                      name64, ";&", name65, ";</title></rss>");
  std::string storage;
  std::vector<std::string> warnings;
  std::string_view out = ExpandInternalEntities(in, &storage, &warnings);
  EXPECT_EQ(out,
            absl::StrCat(doctype, "<rss><title>", amps, "Example &amp; Co64&",
                         name65, ";</title></rss>"));
  EXPECT_THAT(warnings, ElementsAre("2 reference(s) to entities declared in "
                                    "the DOCTYPE expanded"));
}

}  // namespace
}  // namespace newsfeed::ingest::internal
