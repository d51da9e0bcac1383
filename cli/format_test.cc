#include "cli/format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

namespace newsfeed::cli {
namespace {

using ::testing::HasSubstr;

TEST(FormatTest, MinuteUtc) {
  google::protobuf::Timestamp ts;
  EXPECT_EQ(FormatMinuteUtc(ts), "-");
  ts.set_seconds(1715592600 + 59);
  EXPECT_EQ(FormatMinuteUtc(ts), "2024-05-13 09:30");
}

TEST(FormatTest, TruncateCountsCodePointsAndNeverSplitsThem) {
  EXPECT_EQ(Truncate("short", 70), "short");
  EXPECT_EQ(Truncate("abcdef", 4), "abc…");
  // "é" is two bytes; five code points fit exactly.
  EXPECT_EQ(Truncate("ééééé", 5), "ééééé");
  EXPECT_EQ(Truncate("éééééé", 5), "éééé…");
  EXPECT_EQ(DisplayWidth("€5.5 bn"), 7u);
  std::string long_title(200, 'x');
  EXPECT_EQ(DisplayWidth(Truncate(long_title, kTitleWidth)), kTitleWidth);
}

TEST(FormatTest, TableAlignsColumns) {
  std::ostringstream out;
  PrintTable(out, {"A", "BB", "C"}, {{"xxx", "é", "last"}, {"y", "zz"}});
  EXPECT_EQ(out.str(),
            "A    BB  C\n"
            "xxx  é   last\n"
            "y    zz\n");
}

TEST(FormatTest, EvidenceReadsLikeTheBrief) {
  v1::CompanyTag tag;
  tag.set_name("Microsoft");
  v1::Evidence* e = tag.add_evidence();
  e->set_field(v1::TEXT_FIELD_TITLE);
  e->set_begin(0);
  e->set_end(9);
  e->set_rule("alias:Microsoft");
  EXPECT_EQ(FormatEvidence(tag.evidence()), "alias:Microsoft @ title 0-9");
}

TEST(FormatTest, JsonLineUsesProtoJsonMapping) {
  v1::Article a;
  a.set_id("a1");
  a.set_source_title("Example");
  a.set_sequence(7);
  EXPECT_EQ(ToJsonLine(a),
            R"({"id":"a1","sourceTitle":"Example","sequence":"7"})");
}

TEST(FormatTest, SubscribeLineHasSequenceTimeTitleAndTags) {
  v1::Article a;
  a.set_sequence(12);
  a.set_title("Mistral raises money");
  a.mutable_published_time()->set_seconds(1715592600);
  a.add_companies()->set_name("Mistral AI");
  a.add_countries()->set_code("FR");
  a.add_topics()->set_id("ai");
  EXPECT_EQ(SubscribeLine(a),
            "12  2024-05-13 09:30  Mistral raises money  "
            "[companies=Mistral AI countries=FR topics=ai]");
}

TEST(FormatTest, FeedsTableShowsStatus) {
  v1::ListFeedsResponse feeds;
  v1::FeedStatus* ok = feeds.add_feeds();
  ok->set_id("f1");
  ok->set_url("https://a.example/rss");
  ok->set_enabled(true);
  ok->mutable_last_attempt_time()->set_seconds(1715592600);
  ok->set_last_http_status(200);
  ok->set_items_seen(5);
  v1::FeedStatus* bad = feeds.add_feeds();
  bad->set_id("f2");
  bad->set_url("https://b.example/rss");
  bad->set_enabled(true);
  bad->mutable_last_attempt_time()->set_seconds(1715592600);
  bad->set_last_http_status(503);
  bad->set_last_error("Service Unavailable");
  bad->set_consecutive_failures(3);
  std::ostringstream out;
  PrintFeeds(out, feeds);
  EXPECT_THAT(out.str(), HasSubstr("ID  URL"));
  EXPECT_THAT(out.str(), HasSubstr("ok 200"));
  EXPECT_THAT(out.str(), HasSubstr("error 503: Service Unavailable"));
}

// A feed's title with terminal escapes or line breaks neither moves the
// cursor nor fakes another row.
TEST(FormatTest, ControlCharactersFromPeersAreShownNotObeyed) {
  v1::Article a;
  a.set_sequence(7);
  a.set_title(
      "Real title\x1b[2J\x1b[H\nfake  row\r\x07 \xc2\x9b"
      "31m");
  a.mutable_published_time()->set_seconds(1715592600);
  std::ostringstream table;
  PrintArticleTable(table, {a});
  EXPECT_EQ(table.str().find('\x1b'), std::string::npos);
  EXPECT_EQ(table.str().find('\x07'), std::string::npos);
  EXPECT_EQ(table.str().find("\xc2\x9b"), std::string::npos);
  EXPECT_THAT(table.str(), HasSubstr("\\x1b[2J"));
  // Header and one row: two lines.
  const std::string shown = table.str();
  EXPECT_EQ(std::count(shown.begin(), shown.end(), '\n'), 2);

  std::ostringstream detail;
  PrintArticleDetail(detail, a);
  EXPECT_EQ(detail.str().find('\x1b'), std::string::npos);
  EXPECT_THAT(detail.str(), HasSubstr("Real title\\x1b[2J\\x1b[H fake  row"));
  EXPECT_THAT(detail.str(), HasSubstr("\\u009b31m"));
  const std::string line = SubscribeLine(a);
  EXPECT_EQ(line.find_first_of("\x1b\n\r\x07"), std::string::npos);
}

}  // namespace
}  // namespace newsfeed::cli
