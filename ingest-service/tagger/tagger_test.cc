#include "ingest-service/tagger/tagger.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/tagger/gazetteer.h"
#include "ingest-service/tagger/tagger_test_util.h"

namespace newsfeed::ingest {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

using tagger_testing::Companies;
using tagger_testing::Countries;
using tagger_testing::SharedTagger;
using tagger_testing::Tagged;
using tagger_testing::Topics;

// Our own restatement of the facts of the motivating article
// (/work/shared/samples/seed-article.txt): the same companies, places and
// figures, written in different words.
constexpr char kSeedTitle[] =
    "Microsoft and Amazon Commit €5.5B to French AI and Cloud Build-Out";
constexpr char kSeedBody[] =
    "Two tech giants used President Macron’s “Choose France” summit to "
    "pledge a combined €5.5 billion ($6 billion) for cloud computing and "
    "artificial intelligence (AI) in France.\n"
    "Microsoft is putting in the largest share, €4 billion ($4.3 billion), to "
    "build data centers and AI infrastructure in France, part of a plan to "
    "grow its Azure cloud. By 2027 the company wants to train one million "
    "people in AI skills and to back 2,500 startups. Microsoft’s €15 million "
    "stake in Mistral AI, a Paris startup that competes with OpenAI, dates "
    "from 2024.\n"
    "The French government has steered public funds toward young AI labs "
    "such as Mistral and Kyutai, both founded in 2023, as generative AI "
    "drives demand for cloud capacity.\n"
    "Amazon will invest €1.2 billion ($1.3 billion) in cloud infrastructure "
    "and logistics. AWS plans to expand its data centers in Paris. Amazon "
    "says it will create more than 3,000 positions in France on top of its "
    "22,000 employees there.\n"
    "Beyond France, Microsoft recently announced €3.2 billion for Germany and "
    "a $1.5 billion investment in G42, the Abu Dhabi AI company. Its cloud "
    "dominance draws antitrust scrutiny, and its $10 billion+ investment in "
    "OpenAI has raised concerns about anti-competitive practices.";

TEST(TaggerSeed, CompaniesCountriesTopics) {
  v1::Article a = Tagged(kSeedTitle, kSeedBody);
  EXPECT_EQ(Companies(a),
            (std::set<std::string>{"Microsoft", "Amazon", "Mistral AI",
                                   "OpenAI", "G42", "Kyutai"}));
  std::set<std::string> countries = Countries(a);
  EXPECT_THAT(countries, AllOf(Contains("FR"), Contains("DE"), Contains("AE"),
                               Not(Contains("US"))));
  std::set<std::string> topics = Topics(a);
  for (const char* t : {"ai", "cloud", "investment", "jobs", "antitrust"}) {
    EXPECT_THAT(topics, Contains(t));
  }
}

TEST(TaggerSeed, Amounts) {
  v1::Article a = Tagged(kSeedTitle, kSeedBody);
  std::set<std::pair<std::string, double>> amounts;
  for (const auto& m : a.amounts()) amounts.emplace(m.currency(), m.value());
  for (const auto& want :
       std::vector<std::pair<std::string, double>>{{"EUR", 5.5e9},
                                                   {"EUR", 4e9},
                                                   {"EUR", 1.2e9},
                                                   {"EUR", 3.2e9},
                                                   {"USD", 1.5e9},
                                                   {"EUR", 15e6},
                                                   {"USD", 10e9}}) {
    EXPECT_THAT(amounts, Contains(want)) << want.first << " " << want.second;
  }
  for (const auto& m : a.amounts()) {
    // Jobs, years and startups are counts, not money; the dollar figures in
    // parentheses restate the euro ones.
    EXPECT_NE(m.value(), 3000);
    EXPECT_NE(m.value(), 2027);
    EXPECT_NE(m.value(), 2500);
    EXPECT_NE(m.value(), 6e9);
  }
}

TEST(TaggerSeed, AmountAttribution) {
  v1::Article a = Tagged(kSeedTitle, kSeedBody);
  std::string microsoft, amazon;
  for (const auto& c : a.companies()) {
    if (c.name() == "Microsoft") microsoft = c.id();
    if (c.name() == "Amazon") amazon = c.id();
  }
  for (const auto& m : a.amounts()) {
    if (m.value() == 4e9) {
      EXPECT_EQ(m.company_id(), microsoft);
    } else if (m.value() == 1.2e9) {
      EXPECT_EQ(m.company_id(), amazon);
    } else if (m.value() == 5.5e9) {
      EXPECT_EQ(m.company_id(), "");  // two companies share it
    }
  }
}

TEST(TaggerSeed, EvidenceOffsetsPointAtTheText) {
  v1::Article a = Tagged(kSeedTitle, kSeedBody);
  auto check = [&](const v1::Evidence& e) {
    const std::string& text =
        e.field() == v1::TEXT_FIELD_TITLE ? a.title() : a.content_text();
    ASSERT_LE(e.end(), text.size());
    ASSERT_LT(e.begin(), e.end());
    EXPECT_EQ(text.substr(e.begin(), e.end() - e.begin()), e.text());
    EXPECT_FALSE(e.rule().empty());
  };
  for (const auto& c : a.companies()) {
    ASSERT_GT(c.evidence_size(), 0) << c.name();
    for (const auto& e : c.evidence()) check(e);
  }
  for (const auto& c : a.countries()) {
    ASSERT_GT(c.evidence_size(), 0) << c.code();
    for (const auto& e : c.evidence()) check(e);
  }
  for (const auto& t : a.topics()) {
    ASSERT_GT(t.evidence_size(), 0) << t.id();
    for (const auto& e : t.evidence()) check(e);
  }
  for (const auto& m : a.amounts()) check(m.evidence());
}

TEST(TaggerCompanies, AmbiguousNamesNeedEvidence) {
  EXPECT_THAT(Companies(Tagged("", "The apple harvest in Normandy was poor.")),
              Not(Contains("Apple")));
  EXPECT_THAT(Companies(Tagged("",
                               "Apple shares rose 3% after the iPhone "
                               "maker reported record revenue.")),
              Contains("Apple"));
  EXPECT_THAT(Companies(Tagged("",
                               "Fires in the Amazon rainforest spread "
                               "across the Amazon basin this week.")),
              Not(Contains("Amazon")));
  EXPECT_THAT(Companies(Tagged("", "Apple Inc. filed a patent.")),
              Contains("Apple"));
  EXPECT_THAT(Companies(Tagged("",
                               "The campaign's target audience is "
                               "teenagers.")),
              Not(Contains("Target")));
}

TEST(TaggerCompanies, PossessiveAndHyphenatedForms) {
  EXPECT_THAT(Companies(Tagged("",
                               "Microsoft's cloud grew. The "
                               "Amazon-backed startup Anthropic raised "
                               "money.")),
              AllOf(Contains("Microsoft"), Contains("Anthropic")));
}

TEST(TaggerCompanies, ExchangeAsTickerPrefixIsNotTheOperator) {
  const v1::Article a = Tagged(
      "Apple to buy a chip startup",
      "Apple Inc. (NASDAQ: AAPL) said on Monday it agreed to acquire the "
      "startup. Shell plc (LSE: SHEL, NYSE: SHEL) and Microsoft "
      "(Nasdaq:MSFT) were not involved.");
  EXPECT_THAT(Companies(a),
              AllOf(Contains("Apple"), Contains("Shell"), Contains("Microsoft"),
                    Not(Contains("Nasdaq")),
                    Not(Contains("London Stock Exchange Group"))));
  EXPECT_THAT(Companies(Tagged("", "Tencent (HKEX: 0700) shares rose.")),
              Not(Contains("Hong Kong Exchanges and Clearing")));
}

TEST(TaggerCompanies, ExchangeAsVenueOrIndexIsNotTheOperator) {
  for (const char* body :
       {"The Nasdaq Composite fell 2% and the S&P 500 lost 1.5% as chip "
        "stocks slid.",
        "The Nasdaq-listed company plans to raise $500 million.",
        "Arm's shares jumped in their Nasdaq debut on Thursday.",
        "Shares of the company, listed on the London Stock Exchange, fell "
        "4% after the results.",
        "The tech-heavy Nasdaq closed lower while the Dow Jones Industrial "
        "Average gained 0.3%."}) {
    const std::set<std::string> got = Companies(Tagged("", body));
    EXPECT_THAT(got, AllOf(Not(Contains("Nasdaq")),
                           Not(Contains("London Stock Exchange Group")),
                           Not(Contains("News Corp")), Not(Contains("Dow"))))
        << body;
  }
  // The operator itself, when the article is about it.
  EXPECT_THAT(Companies(Tagged("Nasdaq to buy Adenza for $10.5 billion",
                               "Nasdaq Inc. agreed to acquire the financial "
                               "software maker Adenza from Thoma Bravo.")),
              Contains("Nasdaq"));
  EXPECT_THAT(Companies(Tagged("",
                               "London Stock Exchange Group reported higher "
                               "revenue from its data business.")),
              Contains("London Stock Exchange Group"));
}

TEST(TaggerCompanies, IceTheAgencyIsNotIntercontinentalExchange) {
  EXPECT_THAT(Companies(Tagged("ICE agents detain workers at battery plant",
                               "Immigration officers detained hundreds of "
                               "workers in a raid, officials said.")),
              Not(Contains("Intercontinental Exchange")));
  EXPECT_THAT(Companies(Tagged("",
                               "ICE, which owns the New York Stock Exchange, "
                               "reported record quarterly revenue.")),
              Contains("Intercontinental Exchange"));
}

TEST(TaggerTopics, EverydayPhrasings) {
  EXPECT_THAT(Topics(Tagged("Carmaker to cut about 2,000 jobs",
                            "The company will cut about 2,000 jobs in "
                            "Germany as demand slows.")),
              AllOf(Contains("layoffs"), Not(Contains("jobs"))));
  EXPECT_THAT(Topics(Tagged("",
                            "The factory will create about 1,000 jobs, the "
                            "governor said.")),
              Contains("jobs"));
  EXPECT_THAT(Topics(Tagged("Fintech startup raises $40 million",
                            "The startup raised $40 million in a Series B "
                            "round led by Accel.")),
              Contains("funding"));
  EXPECT_THAT(Topics(Tagged("Hackers hit hospital chain",
                            "A ransomware attack disrupted systems at the "
                            "hospitals.")),
              Contains("cybersecurity"));
  EXPECT_THAT(Topics(Tagged("Drugmaker beats estimates",
                            "Third-quarter net income rose 12% and the company "
                            "raised its full-year guidance.")),
              Contains("earnings"));
}

TEST(TaggerTopics, GuardPhrasesBlockOtherSenses) {
  EXPECT_THAT(Topics(Tagged("Central bank raises interest rates",
                            "The central bank raised interest rates again.")),
              Not(Contains("funding")));
  EXPECT_THAT(Topics(Tagged("A cloud over the retailer",
                            "A cloud of uncertainty hangs over the retailer "
                            "after a weak holiday season.")),
              Not(Contains("cloud")));
  EXPECT_THAT(Topics(Tagged("Steve Jobs biography tops charts",
                            "The book about Steve Jobs sold well.")),
              Not(Contains("jobs")));
}

TEST(TaggerTopics, LongArticlesNeedMoreThanAPassingMention) {
  const std::string passing =
      "The retailer also wants to cut the carbon footprint of its stores. ";
  EXPECT_THAT(Topics(Tagged("", passing)), Contains("climate"));
  std::string long_body;
  for (int i = 0; i < 40; ++i) {
    long_body +=
        "Quarterly revenue at the retailer rose 4% to $2 billion and "
        "net income beat estimates, the company said. ";
  }
  long_body += passing;
  EXPECT_THAT(Topics(Tagged("Retailer beats estimates", long_body)),
              AllOf(Contains("earnings"), Not(Contains("climate"))));
}

TEST(TaggerCountries, AmbiguousCountryNames) {
  EXPECT_THAT(Countries(Tagged("",
                               "Paris Hilton opened a store in New "
                               "Mexico.")),
              AllOf(Not(Contains("FR")), Not(Contains("MX"))));
  EXPECT_THAT(Countries(Tagged("",
                               "Michael Jordan bought a stake in a "
                               "team.")),
              Not(Contains("JO")));
  EXPECT_THAT(Countries(Tagged("", "PARIS, May 13 (Reuters) - Shares fell.")),
              Contains("FR"));
}

TEST(TaggerJson, TagsOneLine) {
  std::string out = TagJsonLine(
      SharedTagger(),
      R"({"id":"a1","title":"Microsoft invests €4B in France","text":"Microsoft will spend €4 billion on French data centers."})");
  EXPECT_THAT(out, HasSubstr(R"("id":"a1")"));
  EXPECT_THAT(out, HasSubstr(R"("companies":["Microsoft"])"));
  EXPECT_THAT(out, HasSubstr(R"("countries":["FR"])"));
  EXPECT_THAT(out, HasSubstr(R"("currency":"EUR")"));
  EXPECT_THAT(out, HasSubstr(R"("company":"Microsoft")"));
  EXPECT_THAT(out, HasSubstr(R"("company_tags":[)"));
  EXPECT_EQ(out.find('\n'), std::string::npos);
}

TEST(TaggerJson, BadLinesGiveAnErrorLine) {
  for (const char* bad : {"", "not json", "[1,2]", R"({"id":"x","title":3})",
                          R"({"id":{"a":1}})", "{\"id\":\"\\u00", "null"}) {
    std::string out = TagJsonLine(SharedTagger(), bad);
    EXPECT_THAT(out, HasSubstr(R"("error":)")) << bad;
    EXPECT_EQ(out.find('\n'), std::string::npos);
  }
  EXPECT_THAT(TagJsonLine(SharedTagger(), R"({"id":"x","title":3})"),
              HasSubstr(R"("id":"x")"));
}

TEST(TaggerCreate, ExtraDataFileAddsCompanies) {
  const std::string path = ::testing::TempDir() + "/extra_companies.tsv";
  {
    std::ofstream out(path);
    out << "# user data\n"
        << "company\t-\tZorblax Robotics\t\tFI\tZorblax\n";
  }
  absl::StatusOr<std::unique_ptr<Tagger>> t =
      Tagger::Create({.extra_data_files = {path}});
  ASSERT_TRUE(t.ok()) << t.status();
  v1::Article a;
  a.set_content_text("Zorblax raised money in Helsinki.");
  (*t)->Tag(&a);
  ASSERT_EQ(a.companies_size(), 1);
  EXPECT_EQ(a.companies(0).id(), "name:zorblax-robotics");
}

TEST(TaggerCreate, BadDataNamesFileAndLine) {
  const std::string path = ::testing::TempDir() + "/bad.tsv";
  {
    std::ofstream out(path);
    out << "# comment\n"
        << "company\t-\tGood Co\t\tFI\t\n"
        << "company\t-\tBad Co\t\tFinland\t\n";
  }
  absl::StatusOr<std::unique_ptr<Tagger>> t =
      Tagger::Create({.extra_data_files = {path}});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("bad.tsv:3:"));
  EXPECT_EQ(Tagger::Create({.extra_data_files = {"/nonexistent/x.tsv"}})
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST(TaggerCreate, DataSizes) {
  const Tagger& t = SharedTagger();
  EXPECT_GE(t.company_count(), 1500u);
  EXPECT_GE(t.country_count(), 249u);
  EXPECT_GE(t.topic_count(), 22u);
  std::printf("companies=%zu aliases=%zu countries=%zu topics=%zu\n",
              t.company_count(), t.alias_count(), t.country_count(),
              t.topic_count());
}

TEST(TaggerAmounts, NonUsFormats) {
  v1::Article a = Tagged(
      "",
      "Reliance will spend Rs. 1.5 lakh crore, HDFC earned Rs 18,641 cr, "
      "CEZ may cost 300 billion Czech crowns, MTN earned 750 billion naira, "
      "BCA earned 43.4 trillion rupiah, Orlen will spend 38 billion "
      "zlotys, YPF owes 40 billion Argentine pesos and a fee is ₦5 "
      "million. Some 3 billion crowns were lost. Tata plans a Rs "
      "5,000-crore plant.");
  std::set<std::pair<std::string, double>> amounts;
  for (const auto& m : a.amounts()) amounts.emplace(m.currency(), m.value());
  EXPECT_EQ(amounts, (std::set<std::pair<std::string, double>>{
                         {"INR", 1.5e12},
                         {"INR", 1.8641e11},
                         {"CZK", 3e11},
                         {"NGN", 7.5e11},
                         {"IDR", 4.34e13},
                         {"PLN", 3.8e10},
                         {"ARS", 4e10},
                         {"NGN", 5e6},
                         {"INR", 5e10}}));  // bare "crowns": whose is unsaid
}

TEST(TaggerCompanies, ExactCaseAliasKeepsTheName) {
  // "=KIA" beside the name "Kia" adds the capitals; "Kia" still matches.
  EXPECT_THAT(Companies(Tagged("", "Kia is recalling 80,000 cars.")),
              Contains("Kia"));
  EXPECT_THAT(Companies(Tagged("", "KIA is recalling 80,000 cars.")),
              Contains("Kia"));
}

TEST(TaggerCompanies, CommonPhrasesAreNotTheCompanies) {
  EXPECT_THAT(Companies(Tagged("",
                               "Canadian natural gas exports rose as "
                               "Gold fields in Ghana flooded.")),
              IsEmpty());
  EXPECT_THAT(Companies(Tagged("", "A Canada goose nested by the lake.")),
              IsEmpty());
  EXPECT_THAT(Companies(Tagged("",
                               "SAS soldiers and special forces "
                               "trained in Wales.")),
              IsEmpty());
  EXPECT_THAT(Companies(Tagged("",
                               "Mango growers say the fruit harvest "
                               "fell.")),
              IsEmpty());
  EXPECT_THAT(Companies(Tagged("",
                               "Canada Goose Holdings cut its revenue "
                               "forecast.")),
              Contains("Canada Goose"));
}

TEST(TaggerCompanies, CleanedNameIsNotAPlace) {
  // "U.S. Bancorp" is not shortened to "U.S.", which is the country.
  v1::Article a = Tagged("", "U.S. regulators fined a bank in Ohio.");
  EXPECT_THAT(Companies(a), IsEmpty());
  EXPECT_THAT(Countries(a), Contains("US"));
  EXPECT_THAT(Companies(Tagged("", "U.S. Bancorp raised its dividend.")),
              Contains("U.S. Bancorp"));
}

TEST(TaggerCompanies, AgencyInDatelineIsNotACompany) {
  v1::Article a = Tagged("", "LONDON, May 2 (Reuters) - Vale shares fell 3%.");
  EXPECT_THAT(Companies(a), Not(Contains("Reuters")));
  EXPECT_THAT(Companies(a), Contains("Vale"));
}

TEST(TaggerCountries, CurrencyAdjectiveIsNotTheCountry) {
  // "Mexican pesos" names no place: the story is Mexican only because the
  // company is (the headquarters fallback), never because of the currency.
  v1::Article a = Tagged("",
                         "America Movil earned 22.8 billion Mexican "
                         "pesos in the quarter.");
  for (const auto& c : a.countries()) {
    ASSERT_GT(c.evidence_size(), 0);
    EXPECT_EQ(c.evidence(0).rule(), "hq-fallback:Am\u00e9rica Movil")
        << c.code();
  }
  EXPECT_THAT(Countries(Tagged("",
                               "Sony's profit rose as the yen fell "
                               "against the U.S. dollar and the "
                               "Japanese yen hit a low in Tokyo trade.")),
              Not(Contains("US")));
}

// A debugging aid, skipped unless TAGGER_INPUT names a file of JSON lines:
// prints TagJsonLine for each line.
TEST(TaggerCompanies, AShorterWordIsNotALongerAlias) {
  // A key one byte shorter once hashed like the alias: "MT" and "1.55Mt"
  // were MTU Aero Engines.
  for (const char* body : {"(MT Newswires) -- Copper output fell.",
                           "The miner produced 1.55Mt last year."}) {
    EXPECT_THAT(Companies(Tagged("Copper", body)), IsEmpty()) << body;
  }
  using internal::Gazetteer;
  for (const auto& [shorter, longer] :
       std::vector<std::pair<const char*, const char*>>{
           {"mt", "mtu"}, {"ab", "abc"}, {"to", "ton"}, {"in", "ino"}}) {
    EXPECT_NE(Gazetteer::KeyHash(shorter), Gazetteer::KeyHash(longer))
        << shorter << " " << longer;
  }
}

// Every company the data lists, by its name and by each alias that needs no
// evidence, is found in a plain sentence. A sweep like this found a hash
// collision ("MT" was MTU Aero Engines' "MTU") and vetoes that blocked Bank
// of America and Lithium Americas.
TEST(TaggerCompanies, EveryListedNameAndAliasIsFound) {
  // Vetoed on purpose: policy banks named like a listed bank ("Export-Import
  // Bank of China"), and an exchange, which names the venue.
  const std::set<std::string> kVetoed = {
      "Export-Import Bank of China", "Agricultural Development Bank of China",
      "Nasdaq"};
  std::vector<std::string> names;
  auto add_aliases = [&](std::string_view aliases) {
    for (absl::string_view a :
         absl::StrSplit(absl::string_view(aliases.data(), aliases.size()), '|',
                        absl::SkipEmpty())) {
      if (a.front() == '~') continue;  // ambiguous: needs evidence
      while (!a.empty() && a.front() == '=') a.remove_prefix(1);
      names.emplace_back(a);
    }
  };
  const std::string dir = TAGGER_DATA_DIR;
  std::ifstream companies(dir + "/companies.tsv");
  std::string line;
  while (std::getline(companies, line)) {
    const std::vector<std::string> cols = absl::StrSplit(line, '\t');
    if (cols.size() < 5 || cols[0] != "company") continue;
    names.push_back(cols[2]);
    if (cols.size() > 5) add_aliases(cols[5]);
  }
  std::ifstream sp500(dir + "/sp500-names.tsv");
  while (std::getline(sp500, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> cols = absl::StrSplit(line, '\t');
    if (cols.size() < 4) continue;
    if (!cols[1].empty()) names.push_back(cols[1]);
    add_aliases(cols[3]);
  }
  ASSERT_GT(names.size(), 5000u);
  for (const std::string& name : names) {
    if (kVetoed.contains(name)) continue;
    EXPECT_THAT(Companies(Tagged("Company update",
                                 name + " said on Tuesday that its profit "
                                        "rose.")),
                Not(IsEmpty()))
        << name;
  }
}

TEST(TaggerTool, TagFileFromEnv) {
  const char* path = std::getenv("TAGGER_INPUT");
  if (path == nullptr) GTEST_SKIP() << "TAGGER_INPUT not set";
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::printf("%s\n", TagJsonLine(SharedTagger(), line).c_str());
  }
}

}  // namespace
}  // namespace newsfeed::ingest
