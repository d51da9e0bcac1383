#include "cli/commands.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/fake_services.h"
#include "cli/position_file.h"

namespace newsfeed::cli {
namespace {

using ::testing::ElementsAre;
using testing::FakeFeedAdmin;
using testing::FakeQueryService;
using ::testing::HasSubstr;
using testing::MakeArticle;
using ::testing::StartsWith;
using testing::TestServer;

const absl::Time kNow = absl::FromUnixSeconds(1715592600);  // 2024-05-13 09:30Z

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::Start({&query_, &admin_});
    global_.query_address = server_->address();
    global_.ingest_address = server_->address();
    global_.clock = &clock_;
  }

  FakeQueryService query_;
  FakeFeedAdmin admin_;
  std::unique_ptr<TestServer> server_;
  FakeClock clock_{kNow};
  GlobalOptions global_;
  std::ostringstream out_;
};

v1::Article TaggedArticle() {
  v1::Article a = MakeArticle(
      "a1", 7, "Microsoft to invest €4 billion in French data centers");
  a.set_url("https://news.example/ms-france");
  a.set_source_title("Example Tech News");
  a.set_summary("The investment targets AI infrastructure.");
  v1::Author* author = a.add_authors();
  author->set_name("Jane Doe");
  author->set_email("jane@example.com");
  v1::CompanyTag* ms = a.add_companies();
  ms->set_id("Q2283");
  ms->set_name("Microsoft");
  v1::Evidence* e = ms->add_evidence();
  e->set_field(v1::TEXT_FIELD_TITLE);
  e->set_begin(0);
  e->set_end(9);
  e->set_text("Microsoft");
  e->set_rule("alias:Microsoft");
  v1::CountryTag* fr = a.add_countries();
  fr->set_code("FR");
  fr->set_name("France");
  a.add_topics()->set_id("ai");
  a.add_topics()->set_id("cloud");
  v1::MoneyAmount* amount = a.add_amounts();
  amount->set_value(4e9);
  amount->set_currency("EUR");
  amount->set_text("€4 billion");
  amount->set_company_id("Q2283");
  return a;
}

// search -----------------------------------------------------------------

TEST_F(CommandsTest, SearchSendsFilterAndPrintsTableWithNextPage) {
  v1::SearchResponse page;
  *page.add_articles() = TaggedArticle();
  page.set_next_page_token("tok2");
  query_.SetSearchPage("", page);

  SearchOptions options;
  options.filter.companies = {"Microsoft", "Q95"};
  options.filter.countries = {"fr"};
  options.filter.not_topics = {"crypto"};
  options.filter.since = "7d";
  options.limit = 5;
  ASSERT_TRUE(RunSearch(global_, options, out_).ok());

  ASSERT_EQ(query_.search_requests().size(), 1u);
  const v1::SearchRequest request = query_.search_requests()[0];
  EXPECT_THAT(request.filter().companies().any_of(),
              ElementsAre("Microsoft", "Q95"));
  EXPECT_THAT(request.filter().countries().any_of(), ElementsAre("FR"));
  EXPECT_THAT(request.filter().topics().none_of(), ElementsAre("crypto"));
  EXPECT_EQ(request.filter().published_after().seconds(),
            absl::ToUnixSeconds(kNow - absl::Hours(24 * 7)));
  EXPECT_EQ(request.page_size(), 5);
  EXPECT_EQ(request.order(), v1::SEARCH_ORDER_NEWEST_FIRST);

  const std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 3u) << out_.str();
  EXPECT_THAT(lines[0], StartsWith("PUBLISHED         TITLE"));
  EXPECT_THAT(lines[1], StartsWith("2024-05-13 09:37  Microsoft to invest"));
  EXPECT_THAT(lines[1], HasSubstr("Microsoft  FR         ai,cloud"));
  EXPECT_EQ(lines[2], "next page: tok2");
}

TEST_F(CommandsTest, SearchJsonPrintsOneArticlePerLineThenToken) {
  v1::SearchResponse page;
  *page.add_articles() = MakeArticle("a1", 1, "One");
  *page.add_articles() = MakeArticle("a2", 2, "Two");
  page.set_next_page_token("next");
  query_.SetSearchPage("", page);
  global_.json = true;
  ASSERT_TRUE(RunSearch(global_, SearchOptions(), out_).ok());
  EXPECT_THAT(Lines(out_.str()),
              ElementsAre(HasSubstr(R"("id":"a1")"), HasSubstr(R"("id":"a2")"),
                          R"({"nextPageToken":"next"})"));
}

TEST_F(CommandsTest, SearchAllPagesFollowsTokens) {
  v1::SearchResponse first, second;
  *first.add_articles() = MakeArticle("a1", 2, "First page");
  first.set_next_page_token("p2");
  *second.add_articles() = MakeArticle("a2", 1, "Second page");
  query_.SetSearchPage("", first);
  query_.SetSearchPage("p2", second);
  SearchOptions options;
  options.all_pages = true;
  options.filter.text = "page";
  options.relevance = true;
  ASSERT_TRUE(RunSearch(global_, options, out_).ok());
  ASSERT_EQ(query_.search_requests().size(), 2u);
  EXPECT_EQ(query_.search_requests()[1].page_token(), "p2");
  EXPECT_EQ(query_.search_requests()[1].order(), v1::SEARCH_ORDER_RELEVANCE);
  EXPECT_THAT(out_.str(), HasSubstr("First page"));
  EXPECT_THAT(out_.str(), HasSubstr("Second page"));
  EXPECT_THAT(out_.str(), ::testing::Not(HasSubstr("next page")));
}

TEST_F(CommandsTest, SearchUsageErrorsSendNothing) {
  SearchOptions relevance_without_text;
  relevance_without_text.relevance = true;
  SearchOptions bad_limit;
  bad_limit.limit = 101;
  SearchOptions bad_since;
  bad_since.filter.since = "soon";
  for (const SearchOptions& options :
       {relevance_without_text, bad_limit, bad_since}) {
    absl::Status status = RunSearch(global_, options, out_);
    EXPECT_TRUE(IsUsageError(status)) << status;
  }
  EXPECT_TRUE(query_.search_requests().empty());
}

TEST_F(CommandsTest, SearchSendsBearerToken) {
  global_.token = "s3cret";
  ASSERT_TRUE(RunSearch(global_, SearchOptions(), out_).ok());
  EXPECT_THAT(query_.authorizations(), ElementsAre("Bearer s3cret"));
}

TEST_F(CommandsTest, SearchServerErrorKeepsCodeAndSaysWhatFailed) {
  query_.SetSearchStatus(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                      "filter.text: unbalanced quote"));
  absl::Status status = RunSearch(global_, SearchOptions(), out_);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "Search: filter.text: unbalanced quote");
  EXPECT_FALSE(IsUsageError(status));
}

TEST_F(CommandsTest, UnreachableServiceSaysSoWithItsAddress) {
  global_.query_address = testing::UnusedAddress();
  absl::Status status = RunSearch(global_, SearchOptions(), out_);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("cannot reach query-service at " +
                         global_.query_address + ": "));
  global_.ingest_address = global_.query_address;
  status = RunFeedsList(global_, out_);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("cannot reach ingest-service at " +
                         global_.ingest_address + ": "));
}

// get / facets -------------------------------------------------------------

TEST_F(CommandsTest, GetPrintsDetailWithEvidence) {
  query_.AddArticle(TaggedArticle());
  ASSERT_TRUE(RunGet(global_, "a1", out_).ok());
  EXPECT_THAT(query_.get_requests(), ElementsAre("a1"));
  const std::string text = out_.str();
  EXPECT_THAT(text, HasSubstr("Title:     Microsoft to invest €4 billion"));
  EXPECT_THAT(text, HasSubstr("URL:       https://news.example/ms-france"));
  EXPECT_THAT(text, HasSubstr("Source:    Example Tech News"));
  EXPECT_THAT(text, HasSubstr("Published: 2024-05-13 09:37 UTC"));
  EXPECT_THAT(text, HasSubstr("Authors:   Jane Doe <jane@example.com>"));
  EXPECT_THAT(text,
              HasSubstr("Companies: Microsoft (alias:Microsoft @ title 0-9)"));
  EXPECT_THAT(text, HasSubstr("Countries: France [FR]"));
  EXPECT_THAT(text, HasSubstr("Topics:    ai\n           cloud\n"));
  EXPECT_THAT(text, HasSubstr("Amounts:   4 billion EUR (\"€4 billion\") "
                              "attributed to Microsoft"));
}

TEST_F(CommandsTest, GetJsonAndNotFound) {
  query_.AddArticle(MakeArticle("a1", 1, "One"));
  global_.json = true;
  ASSERT_TRUE(RunGet(global_, "a1", out_).ok());
  EXPECT_THAT(out_.str(), StartsWith(R"({"id":"a1","title":"One")"));
  absl::Status status = RunGet(global_, "missing", out_);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "GetArticle: no article with id missing");
}

TEST_F(CommandsTest, FacetsPrintsThreeTables) {
  v1::FacetsResponse facets;
  facets.set_total(12);
  v1::FacetCount* c = facets.add_companies();
  c->set_value("Q2283");
  c->set_label("Microsoft");
  c->set_count(7);
  v1::FacetCount* t = facets.add_topics();
  t->set_value("ai");
  t->set_label("Artificial intelligence");
  t->set_count(12);
  query_.SetFacets(facets);
  FacetsOptions options;
  options.filter.topics = {"ai"};
  options.limit = 3;
  ASSERT_TRUE(RunFacets(global_, options, out_).ok());
  ASSERT_EQ(query_.facets_requests().size(), 1u);
  EXPECT_EQ(query_.facets_requests()[0].limit(), 3);
  EXPECT_THAT(query_.facets_requests()[0].filter().topics().any_of(),
              ElementsAre("ai"));
  EXPECT_EQ(out_.str(),
            "12 articles match\n"
            "\n"
            "COMPANIES  ID     COUNT\n"
            "Microsoft  Q2283  7\n"
            "\n"
            "COUNTRIES: none\n"
            "\n"
            "TOPICS                   ID  COUNT\n"
            "Artificial intelligence  ai  12\n");
}

// subscribe ------------------------------------------------------------------

class SubscribeTest : public CommandsTest {
 protected:
  void SetUp() override {
    CommandsTest::SetUp();
    for (uint64_t seq = 1; seq <= 4; ++seq) {
      query_.AppendToLog(MakeArticle(absl::StrCat("a", seq), seq,
                                     absl::StrCat("Article ", seq)));
    }
    std::string pattern =
        (std::filesystem::temp_directory_path() / "newsfeed-sub-XXXXXX")
            .string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    position_file_ = (dir_ / "position").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string position_file_;
};

TEST_F(SubscribeTest, MaxStopsAfterNArticlesOnAnOpenStream) {
  query_.SetSubscribeTail(/*heartbeat_sequence=*/0, /*hold_open=*/true);
  SubscribeOptions options;
  options.filter.topics = {"ai"};
  options.after_sequence = 0;
  options.max_articles = 2;
  ASSERT_TRUE(RunSubscribe(global_, options, out_).ok());
  EXPECT_THAT(Lines(out_.str()), ElementsAre("1  2024-05-13 09:31  Article 1",
                                             "2  2024-05-13 09:32  Article 2"));
  ASSERT_EQ(query_.subscribe_requests().size(), 1u);
  const v1::SubscribeRequest request = query_.subscribe_requests()[0];
  EXPECT_THAT(request.filter().topics().any_of(), ElementsAre("ai"));
  EXPECT_TRUE(request.has_after_sequence());
  // The articles arrived in one batch; the CLI stopped inside it.
  EXPECT_GT(request.max_articles_per_response(), 1u);
}

TEST_F(SubscribeTest, StartPositions) {
  query_.SetSubscribeTail(0, /*hold_open=*/false);
  SubscribeOptions none;
  ASSERT_TRUE(RunSubscribe(global_, none, out_).ok());
  SubscribeOptions since;
  since.since = "2h";
  ASSERT_TRUE(RunSubscribe(global_, since, out_).ok());
  SubscribeOptions after;
  after.after_sequence = 3;
  ASSERT_TRUE(RunSubscribe(global_, after, out_).ok());
  const std::vector<v1::SubscribeRequest> requests =
      query_.subscribe_requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].start_case(), v1::SubscribeRequest::START_NOT_SET);
  EXPECT_EQ(requests[1].since_time().seconds(),
            absl::ToUnixSeconds(kNow - absl::Hours(2)));
  EXPECT_EQ(requests[2].after_sequence(), 3u);

  SubscribeOptions both;
  both.after_sequence = 1;
  both.since = "1h";
  EXPECT_TRUE(IsUsageError(RunSubscribe(global_, both, out_)));
}

TEST_F(SubscribeTest, PositionFileResumesWithoutGaps) {
  query_.SetSubscribeTail(0, /*hold_open=*/true);
  SubscribeOptions options;
  options.position_file = position_file_;
  options.after_sequence = 0;  // first run only: the file wins afterwards
  options.max_articles = 2;
  ASSERT_TRUE(RunSubscribe(global_, options, out_).ok());
  EXPECT_EQ(**ReadPosition(position_file_), 2u);

  std::ostringstream second;
  ASSERT_TRUE(RunSubscribe(global_, options, second).ok());
  EXPECT_THAT(Lines(second.str()),
              ElementsAre("3  2024-05-13 09:33  Article 3",
                          "4  2024-05-13 09:34  Article 4"));
  EXPECT_EQ(**ReadPosition(position_file_), 4u);
  const std::vector<v1::SubscribeRequest> requests =
      query_.subscribe_requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].after_sequence(), 2u);
}

TEST_F(SubscribeTest, HeartbeatAdvancesPositionAndIsPrintedWhenVerbose) {
  ASSERT_TRUE(WritePosition(position_file_, 4).ok());
  query_.SetSubscribeTail(/*heartbeat_sequence=*/10, /*hold_open=*/false);
  SubscribeOptions options;
  options.position_file = position_file_;
  options.since = "1h";  // ignored: the position file exists
  ASSERT_TRUE(RunSubscribe(global_, options, out_).ok());
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(**ReadPosition(position_file_), 10u);
  EXPECT_EQ(query_.subscribe_requests()[0].after_sequence(), 4u);

  options.verbose = true;
  global_.json = true;
  ASSERT_TRUE(RunSubscribe(global_, options, out_).ok());
  EXPECT_EQ(out_.str(), R"({"heartbeat":{"latestSequence":"10",)"
                        R"("serverTime":"2024-05-13T09:30:00Z"}})"
                        "\n");
}

TEST_F(SubscribeTest, CorruptPositionFileIsAnError) {
  std::ofstream(position_file_) << "garbage";
  SubscribeOptions options;
  options.position_file = position_file_;
  absl::Status status = RunSubscribe(global_, options, out_);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(query_.subscribe_requests().empty());
}

TEST_F(SubscribeTest, StopRequestEndsAnOpenStreamCleanly) {
  query_.SetSubscribeTail(/*heartbeat_sequence=*/4, /*hold_open=*/true);
  std::stop_source stop;
  global_.stop = stop.get_token();
  SubscribeOptions options;
  options.after_sequence = 0;
  options.position_file = position_file_;
  global_.json = true;
  absl::Status status = absl::UnknownError("not run");
  std::thread subscriber(
      [&] { status = RunSubscribe(global_, options, out_); });
  query_.AwaitHeldStreams(1);
  stop.request_stop();
  subscriber.join();
  EXPECT_TRUE(status.ok()) << status;
  // Whatever was printed before the stop was saved (the heartbeat may have
  // moved it further, to 4).
  absl::StatusOr<std::optional<uint64_t>> position =
      ReadPosition(position_file_);
  ASSERT_TRUE(position.ok());
  const size_t printed = Lines(out_.str()).size();
  EXPECT_LE(printed, 4u);
  if (printed > 0) {
    ASSERT_TRUE(position->has_value());
    EXPECT_GE(**position, printed);
    EXPECT_LE(**position, 4u);
  }
}

TEST_F(SubscribeTest, ServerErrorIsReported) {
  server_.reset();  // nothing listens any more
  SubscribeOptions options;
  absl::Status status = RunSubscribe(global_, options, out_);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("cannot reach query-service at "));
}

// feeds / health
// ---------------------------------------------------------------

TEST_F(CommandsTest, FeedsListAddRemovePoll) {
  v1::FeedStatus feed;
  feed.set_id("f1");
  feed.set_url("https://a.example/rss");
  feed.set_title("A");
  feed.set_enabled(true);
  feed.set_items_seen(3);
  feed.mutable_next_poll_time()->set_seconds(1715592600);
  admin_.AddListedFeed(feed);

  ASSERT_TRUE(RunFeedsList(global_, out_).ok());
  EXPECT_THAT(Lines(out_.str()),
              ElementsAre("ID  URL                    TITLE  LAST STATUS   "
                          "FAILURES  NEXT POLL         INTERVAL  PUSH  ITEMS  "
                          "WHY THIS INTERVAL",
                          "f1  https://a.example/rss  A      never polled  0"
                          "         2024-05-13 09:30  -         -     3"));
  out_.str("");
  ASSERT_TRUE(RunFeedsAdd(global_, "https://b.example/atom", out_).ok());
  EXPECT_EQ(out_.str(), "added feed-2  https://b.example/atom\n");
  absl::Status dup = RunFeedsAdd(global_, "https://a.example/rss", out_);
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.message(),
            "AddFeed: feed https://a.example/rss already exists");

  out_.str("");
  ASSERT_TRUE(RunFeedsPoll(global_, "", out_).ok());
  ASSERT_TRUE(RunFeedsPoll(global_, "f1", out_).ok());
  EXPECT_EQ(out_.str(),
            "queued 2 feeds for polling\nqueued 1 feed for polling\n");
  EXPECT_THAT(admin_.polled_ids(), ElementsAre("", "f1"));

  out_.str("");
  ASSERT_TRUE(RunFeedsRemove(global_, "f1", out_).ok());
  EXPECT_EQ(out_.str(), "removed f1\n");
  EXPECT_EQ(RunFeedsRemove(global_, "nope", out_).code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(admin_.removed_ids(), ElementsAre("f1", "nope"));
  EXPECT_THAT(admin_.added_urls(),
              ElementsAre("https://b.example/atom", "https://a.example/rss"));
}

TEST_F(CommandsTest, FeedsImportSendsTheFileAndReportsPerLine) {
  std::string dir = ::testing::TempDir() + "feeds_import_XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/reader.opml";
  const std::string opml =
      "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<opml><body>"
      "<outline xmlUrl=\"https://a.example/rss\" text=\"caf\xE9\"/>"
      "</body></opml>\n";
  std::ofstream(path, std::ios::binary) << opml;
  v1::ImportFeedsResponse response;
  v1::FeedStatus* added = response.add_added();
  added->set_id("feed-1");
  added->set_url("https://a.example/rss");
  added->add_labels("Markets");
  added->add_labels("Rates");
  response.set_already_present(1);
  v1::ImportProblem* problem = response.add_problems();
  problem->set_line(7);
  problem->set_message("xmlUrl \"https://b.example/rss\": already polled");
  admin_.SetImportResponse(response);

  ASSERT_TRUE(RunFeedsImport(global_, path, /*dry_run=*/true, out_).ok());
  ASSERT_EQ(admin_.import_requests().size(), 1u);
  // The bytes as they are: the server applies the declared encoding.
  EXPECT_EQ(admin_.import_requests()[0].opml(), opml);
  EXPECT_TRUE(admin_.import_requests()[0].dry_run());
  EXPECT_EQ(out_.str(),
            "would add feed-1  https://a.example/rss  [Markets, Rates]\n" +
                path +
                ":7: skipped: xmlUrl \"https://b.example/rss\": already "
                "polled\nwould import 1 feed, 1 already polled\n");

  // Too big for an import: refused before anything is sent.
  const std::string big = dir + "/big.opml";
  std::ofstream(big, std::ios::binary) << std::string(5 << 20, ' ');
  absl::Status too_big = RunFeedsImport(global_, big, false, out_);
  EXPECT_EQ(too_big.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_big.message(), HasSubstr(big + ": 5242880 bytes"));
  EXPECT_EQ(RunFeedsImport(global_, dir + "/missing.opml", false, out_).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(admin_.import_requests().size(), 1u);
}

TEST_F(CommandsTest, FeedsExportPrintsTheDocument) {
  admin_.SetExportedOpml("<?xml version=\"1.0\"?>\n<opml/>\n");
  ASSERT_TRUE(RunFeedsExport(global_, out_).ok());
  EXPECT_EQ(out_.str(), "<?xml version=\"1.0\"?>\n<opml/>\n");
}

TEST_F(CommandsTest, FeedsListJsonIsOneFeedPerLine) {
  v1::FeedStatus feed;
  feed.set_id("f1");
  admin_.AddListedFeed(feed);
  feed.set_id("f2");
  admin_.AddListedFeed(feed);
  global_.json = true;
  ASSERT_TRUE(RunFeedsList(global_, out_).ok());
  EXPECT_THAT(Lines(out_.str()),
              ElementsAre(R"({"id":"f1"})", R"({"id":"f2"})"));
}

TEST_F(CommandsTest, HealthServingAndNotServing) {
  HealthOptions options;
  ASSERT_TRUE(RunHealth(global_, options, out_).ok());
  server_->SetServing("newsfeed.v1.QueryService", true);
  options.service = "newsfeed.v1.QueryService";
  ASSERT_TRUE(RunHealth(global_, options, out_).ok());
  EXPECT_EQ(out_.str(), "SERVING\nSERVING\n");

  server_->SetServing(false);
  out_.str("");
  options.service.clear();
  options.address = server_->address();
  global_.query_address = testing::UnusedAddress();  // ADDR wins
  absl::Status status = RunHealth(global_, options, out_);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(out_.str(), "NOT_SERVING\n");
  EXPECT_EQ(status.message(), server_->address() + " is NOT_SERVING");

  options.service = "no.such.Service";
  status = RunHealth(global_, options, out_);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace newsfeed::cli
