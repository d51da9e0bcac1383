#include "ingest-service/tagger/tagger.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "ingest-service/tagger/builtin_data.h"
#include "ingest-service/tagger/company_finder.h"
#include "ingest-service/tagger/dateline.h"
#include "ingest-service/tagger/gazetteer.h"
#include "ingest-service/tagger/tokenizer.h"

namespace newsfeed::ingest {
namespace {

using internal::AV;
using internal::Gazetteer;
using internal::Pattern;
using internal::PatternKind;
using internal::PlaceKind;
using internal::Token;
using internal::TokenizedText;
using internal::TokenKind;
using newsfeed::v1::TextField;

// Tokens on either side of an ambiguous mention searched for context cues.
constexpr size_t kCueWindow = 12;
// A tagged company headquartered in a country the article mentions makes
// that country more central ("the Danish drugmaker Novo Nordisk"); a company
// alone never makes an article about its home country.
constexpr double kHqBonus = 0.5;
// Country evidence weights: a name says more than a demonym or a city.
constexpr double kTitleFactor = 2.0;
// A dateline says where the story happens: it decides on its own.
constexpr double kDatelineWeight = 3.0;
constexpr double kCountryThreshold = 1.0;
// ... and, once a dateline or a strongly named country places the story,
// another country, which a single mention in the lead does not reach.
constexpr double kPlacedOtherThreshold = 1.5;
// A country named this strongly places the story as a dateline does.
constexpr double kPlacingScore = 2.0;
// A country named after the lead is usually named in passing (a comparison,
// a market, a rival's home): it counts half, so it takes two such mentions,
// or one in the title or lead, to make the story about it.
constexpr double kLaterBodyFactor = 0.5;
// Mentions that name a country without the story being about it: a
// "Luxembourg-based" address, one of a list of three or more countries, a
// comparison ("than in Japan").
constexpr double kPassingFactor = 0.5;
// When no country reaches the threshold, the home of the company the story
// is mainly about stands in, scored below every named country.
constexpr double kHqFallbackScore = 0.15;
// ... and below it, a country named only in passing when the company's home
// is unknown.
constexpr double kWeakMentionScore = 0.1;
// A list of names makes its unknown names companies when it has this many
// names, this many of them known companies (AddListedPeers), each of at
// most kMaxListItemWords words.
constexpr size_t kMinListItems = 3;
constexpr size_t kMinListedCompanies = 2;
constexpr uint32_t kMaxListItemWords = 4;
// Companies found by legal form, ticker or context in one article, at most.
constexpr size_t kMaxUnlistedCompanies = 64;
// ... and their mentions, which each new one is checked against.
constexpr size_t kMaxCompanyMentions = 1024;
// A topic phrase repeated many times adds no more than this many counts.
constexpr int kMaxRuleRepeats = 3;
constexpr int kMaxEvidence = 3;
// Evidence of a company named in more ways than kMaxEvidence mentions show.
constexpr int kMaxEvidenceNames = 6;
// Topic thresholds hold up to this many body words (a news brief or an RSS
// summary) and grow with the square root of the length beyond, up to
// kMaxTopicScale times.
constexpr double kTopicWords = 300;
constexpr double kMaxTopicScale = 2.0;
// A topic whose phrases are neither in the title nor in the lead needs this
// many different phrases.
constexpr int kMinDistinctPhrases = 2;
// ... and a topic whose words are common in passing ("lead" records), three.
constexpr int kMinDistinctUnprominent = 3;
// A topic with a "strong" record takes three weak phrases when it has no
// strong one: "forecast", "quarter" and "a year earlier" describe the
// economy's figures as often as a company's results.
constexpr int kMinDistinctWeak = 3;
// A phrase of this weight names its topic on its own ("earnings", "oil");
// weaker ones ("margin", "plant") need another.
constexpr double kStrongPhraseWeight = 3.0;
// A topic phrase named in passing counts this much: one item of an
// enumeration (at least kListCommas commas within kListWindow tokens around
// it), or a word inside a company's name.
constexpr double kPassingPhraseFactor = 0.5;
constexpr int kListCommas = 3;
constexpr size_t kListWindow = 6;
// ... and one of the examples a list gives ("such as A, B and C") counts
// kPassingPhraseFactor squared, when "such as" or "including" stands within
// this many tokens before it.
constexpr size_t kExampleWindow = 16;
// A phrase of at least this weight right after a sum of money counts as a
// strong one ("a $10bn investment").
constexpr double kPricedPhraseWeight = 1.5;
// A results table is an earnings story whatever else it says.
constexpr double kResultsTableWeight = 6.0;

double PlaceWeight(PlaceKind kind) {
  switch (kind) {
    case PlaceKind::kName:
    case PlaceKind::kAbbrev:
    case PlaceKind::kCapital:
    case PlaceKind::kRegion:
    case PlaceKind::kInstitution:
      return 1.0;
    case PlaceKind::kDemonym:
      return 0.75;
    case PlaceKind::kCity:
      return 0.5;
  }
  return 0;
}

std::string_view PlaceRule(PlaceKind kind) {
  switch (kind) {
    case PlaceKind::kName:
      return "name:";
    case PlaceKind::kAbbrev:
      return "abbr:";
    case PlaceKind::kCapital:
      return "capital:";
    case PlaceKind::kDemonym:
      return "demonym:";
    case PlaceKind::kCity:
      return "city:";
    case PlaceKind::kRegion:
      return "region:";
    case PlaceKind::kInstitution:
      return "institution:";
  }
  return "";
}

// Words before a place where something happens: "in Germany", "for
// Germany". A switch on the length spares hashing every word before a place.
bool IsCompassWord(std::string_view w) {
  static const absl::flat_hash_set<std::string_view> kCompass = {
      "northern",     "southern",     "eastern",      "western",
      "central",      "north",        "south",        "east",
      "west",         "northeastern", "northwestern", "southeastern",
      "southwestern", "northeast",    "northwest",    "southeast",
      "southwest"};
  return kCompass.contains(w);
}

bool IsLocative(std::string_view w) {
  switch (w.size()) {
    case 2:
      return w == "in" || w == "at";
    case 3:
      return w == "for";
    case 4:
      return w == "into";
    case 6:
      return w == "across" || w == "within";
    case 10:
      return w == "throughout";
    default:
      return false;
  }
}

// Words an acronym skips: "Konkola Copper Mines" is KCM, "National Bank of
// Kenya" NBK.
bool IsAcronymJoiner(std::string_view w) {
  return w == "of" || w == "and" || w == "for" || w == "de" || w == "the" ||
         w == "&";
}

// Words before a country named in a comparison: "than in Japan", "like
// Germany", "rivals in China".
bool IsComparison(std::string_view w) {
  switch (w.size()) {
    case 2:
      return w == "vs";
    case 4:
      return w == "than" || w == "like";
    case 6:
      return w == "behind" || w == "versus" || w == "unlike" || w == "except" ||
             w == "rivals";
    case 7:
      return w == "outside";
    case 9:
      return w == "excluding" || w == "including";
    default:
      return false;
  }
}

// Words after a country's name for its mission abroad: "the US Embassy",
// "British ambassador".
bool IsDiplomaticMission(std::string_view w) {
  return w == "embassy" || w == "embassies" || w == "consulate" ||
         w == "ambassador" || w == "envoy" || w == "mission";
}

// Words before "after" in a ranking: "second after China".
bool IsRank(std::string_view w) {
  return w == "second" || w == "third" || w == "only" || w == "next" ||
         w == "fourth" || w == "fifth";
}

// A span of tokens in one field matched by one pattern.
struct Mention {
  int field;       // index into Analysis::fields
  uint32_t begin;  // token range [begin, end)
  uint32_t end;
  uint32_t pattern;
  bool accepted = false;
  // For a company the gazetteer does not list: its index in
  // Analysis::unlisted_ (pattern is then unused).
  int32_t unlisted = -1;
};

// A company found by its legal form or ticker (company_finder.h).
struct UnlistedCompany {
  std::string id;
  std::string name;
  std::string_view hq_hint;
  bool hint_from_form = false;  // hq_hint is only its legal form's guess
  // Known only from a list of companies (AddListedPeers): too weak a name
  // to say that a topic word inside it names the company.
  bool from_list = false;
  bool bank_of_place = false;  // "Bank of Tokyo": found by "Bank of"
  // Known only from its context ("developer X", "X, a producer"): a
  // person when the text names it again by its last word alone.
  bool context_only = false;
  std::vector<std::string> keys;  // token keys of the name
};

struct Field {
  TextField id;
  std::string_view text;
  TokenizedText* t = nullptr;  // per-thread scratch, reused across articles
  bool title_case = false;     // headline style: every word capitalized
  bool all_caps = false;       // every word in capitals
};

class Analysis {
 public:
  Analysis(const Gazetteer& g, std::string_view title, std::string_view body)
      : g_(g) {
    fields_[0].t = &scratch_.text[0];
    fields_[1].t = &scratch_.text[1];
    companies_.clear();
    unlisted_.clear();
    places_.clear();
    rules_.clear();
    fields_[0].id = newsfeed::v1::TEXT_FIELD_TITLE;
    fields_[0].text = title;
    fields_[1].id = newsfeed::v1::TEXT_FIELD_BODY;
    fields_[1].text = body;
    for (int f = 0; f < 2; ++f) {
      internal::Tokenize(fields_[f].text, fields_[f].t);
      size_t words = 0, capitalized = 0, upper = 0;
      for (const Token& tok : fields_[f].t->tokens) {
        if (tok.kind != TokenKind::kWord) continue;
        ++words;
        capitalized += tok.upper_initial;
        upper += tok.all_upper;
      }
      fields_[f].title_case = words > 0 && capitalized * 10 >= words * 6;
      fields_[f].all_caps = words >= 3 && upper * 10 >= words * 8;
      if (f == 1) {
        body_words_ = words;
        dateline_ = internal::FindDateline(*fields_[1].t, body);
        lead_end_ = LeadEnd();
      }
      Collect(f);
    }
    // "WASHINGTON (dpa-AFX) - Oil prices rose ...": a first sentence that
    // stands in for a headline carries the dateline.
    if (!dateline_) {
      dateline_ = internal::FindDateline(*fields_[0].t, title);
      dateline_field_ = 0;
    }
  }

  void Run(newsfeed::v1::Article* a) {
    ResolveCompanies();
    ResolveCountries();
    EmitCompanies(a);
    EmitCountries(a);
    EmitTopics(a);
    EmitAmounts(a);
  }

 private:
  std::string_view TokText(const Field& f, uint32_t b, uint32_t e) const {
    const auto& toks = f.t->tokens;
    return f.text.substr(toks[b].begin, toks[e - 1].end - toks[b].begin);
  }

  void AddEvidence(const Mention& m, std::string_view rule,
                   newsfeed::v1::Evidence* ev) const {
    const Field& f = fields_[m.field];
    ev->set_field(f.id);
    ev->set_begin(f.t->tokens[m.begin].begin);
    ev->set_end(f.t->tokens[m.end - 1].end);
    ev->set_text(std::string(TokText(f, m.begin, m.end)));
    ev->set_rule(std::string(rule));
  }

  // The body's lead: its first sentence after any dateline, and the next
  // one too when the first is short (a wire brief's one-line lead, a
  // headline repeated as the first line).
  uint32_t LeadEnd() const {
    const auto& toks = fields_[1].t->tokens;
    const uint32_t start = dateline_ ? dateline_->end : 0;
    if (start >= toks.size()) return static_cast<uint32_t>(toks.size());
    uint32_t last = toks[start].sentence;
    uint32_t i = start;
    size_t words = 0;
    for (; i < toks.size() && toks[i].sentence == last; ++i) {
      if (toks[i].kind == TokenKind::kWord) ++words;
    }
    if (words < 12) {
      ++last;
      while (i < toks.size() && toks[i].sentence <= last) ++i;
    }
    return i;
  }

  // A one-word alias that is a verb of a headline in capitals: "UPS" in
  // "OPPENHEIMER UPS VIACOM <VIA> STAKE".
  bool HeadlineVerb(const Mention& m) const {
    const Field& field = fields_[m.field];
    return field.all_caps && m.end == m.begin + 1 &&
           internal::IsHeadlineVerb(field.t->tokens[m.begin].key);
  }

  // Whether a public body's noun stands right before a name: "Spanish
  // regulator CNMC", "the competition watchdog ACCC", "trade body
  // UKHospitality".
  bool AfterPublicBodyNoun(const Mention& m) const {
    static const absl::flat_hash_set<absl::string_view> kBodies = {
        "regulator",   "regulators", "watchdog",   "agency",     "authority",
        "ministry",    "commission", "court",      "tribunal",   "union",
        "association", "federation", "council",    "university", "institute",
        "body",        "bureau",     "department", "government", "parliament",
        "legislature", "lobby"};
    const auto& toks = fields_[m.field].t->tokens;
    if (m.begin == 0) return false;
    const Token& prev = toks[m.begin - 1];
    return prev.kind == TokenKind::kWord && !prev.upper_initial &&
           prev.sentence == toks[m.begin].sentence &&
           kBodies.contains(AV(prev.key));
  }

  bool InDateline(const Mention& m) const {
    return dateline_ && m.field == dateline_field_ &&
           m.begin >= dateline_->begin && m.end <= dateline_->place_end;
  }

  // Whether a country adjective describes a company: "a Nigerian payments
  // startup", "the Canadian brewer".
  bool DescribesCompany(const Mention& m) const {
    const auto& toks = fields_[m.field].t->tokens;
    // "China's largest electric vehicle maker BYD": a possessive before a
    // description of its company.
    uint32_t from = m.end;
    if (from + 1 < toks.size() && toks[from].key == "'" &&
        toks[from + 1].key == "s") {
      from += 2;
    }
    for (uint32_t k = from; k < toks.size() && k < from + 4; ++k) {
      if (toks[k].kind == TokenKind::kPunct) return false;
      if (internal::IsCompanyNoun(toks[k].key)) return true;
    }
    return false;
  }

  // Whether a country owns a company named right after it: "Finland's UPM",
  // "China's Sailun Group".
  // Returns that company's key + 1, or 0.
  uint32_t OwnsCompany(const Mention& m) const {
    const auto& toks = fields_[m.field].t->tokens;
    if (m.end + 2 >= toks.size() || toks[m.end].key != "'" ||
        toks[m.end + 1].key != "s") {
      return 0;
    }
    return company_starts_[m.field][m.end + 2];
  }

  // Whether a country is named as a company's home right after it: "Hoechst
  // AG of West Germany", "Kebo AB, of Sweden".
  // Returns that company's key + 1, or 0.
  uint32_t HomeOfCompany(const Mention& m) const {
    const auto& toks = fields_[m.field].t->tokens;
    uint32_t k = m.begin;
    if (k == 0 || toks[k - 1].key != "of") return 0;
    --k;
    if (k > 0 && toks[k - 1].key == ",") --k;
    const std::vector<uint32_t>& ends = company_ends_[m.field];
    return k < ends.size() ? ends[k] : 0;
  }

  // The key + 1 of the company a country mention gives the nationality of
  // ("India's Sun Pharmaceutical", "Hoechst AG of West Germany", "the Dutch
  // manufacturer ASML"), or 0.
  uint32_t CompanyOfNationality(const Mention& m) const {
    const auto& toks = fields_[m.field].t->tokens;
    const std::vector<uint32_t>& starts = company_starts_[m.field];
    if (const uint32_t owned = OwnsCompany(m)) return owned;
    if (const uint32_t home = HomeOfCompany(m)) return home;
    for (uint32_t k = m.end; k < toks.size() && k < m.end + 6; ++k) {
      if (toks[k].kind == TokenKind::kPunct) break;
      if (starts[k] != 0) return starts[k];
    }
    return 0;
  }

  // How much a place mention says that the story is about its country.
  // Sets *passing when the mention is of a kind that names a country
  // without the story being about it (an address, a comparison, a list).
  double CountryWeight(const Mention& m, bool* passing) const {
    const Pattern& pat = g_.patterns()[m.pattern];
    double w = PlaceWeight(pat.place_kind);
    const auto& toks = fields_[m.field].t->tokens;
    auto key_at = [&](size_t k) -> std::string_view {
      return k < toks.size() ? toks[k].key : std::string_view();
    };
    // After the lead, a country's name or demonym is mostly an adjective or
    // a comparison ("U.S. dollar", "Japanese rivals", "than Germany"); a
    // place where something happens ("in Germany", "€3 billion for
    // Germany") and a capital, city or institution are not.
    const bool adjective_kind = pat.place_kind == PlaceKind::kName ||
                                pat.place_kind == PlaceKind::kAbbrev ||
                                pat.place_kind == PlaceKind::kDemonym;
    // "US$5.9 billion", "HK$", "U.S. $4 million": a currency sign, not a
    // place.
    if (m.end < toks.size() && toks[m.end].key == "$" &&
        (!toks[m.end].space_before ||
         (m.end + 1 < toks.size() &&
          toks[m.end + 1].kind == TokenKind::kNumber))) {
      return 0;
    }
    // "US-style class actions", "Swiss-style neutrality": a manner, not a
    // place.
    if (key_at(m.end) == "-" &&
        (key_at(m.end + 1) == "style" || key_at(m.end + 1) == "styled")) {
      return 0;
    }
    // "American depositary shares": a kind of security.
    if (key_at(m.end) == "depositary" || key_at(m.end) == "depository") {
      return 0;
    }
    // "(FRANKFURT: LD2)", "(TSX: ACME)": an exchange before a ticker.
    if (m.begin > 0 && key_at(m.end) == ":" &&
        (key_at(m.begin - 1) == "(" || key_at(m.begin - 1) == ",") &&
        m.end + 1 < toks.size() &&
        (toks[m.end + 1].all_upper ||
         toks[m.end + 1].kind == TokenKind::kNumber)) {
      return 0;
    }
    const bool locative = m.begin > 0 && IsLocative(key_at(m.begin - 1));
    // "held in Johannesburg": in the title or lead, a city where the story
    // happens weighs as much as its country's name.
    if (locative && (m.field == 0 || m.begin < lead_end_) &&
        (pat.place_kind == PlaceKind::kCity ||
         pat.place_kind == PlaceKind::kCapital)) {
      w = std::max(w, 1.0);
    }
    if (m.field == 0) {
      w *= kTitleFactor;
    } else if (m.begin >= lead_end_ && adjective_kind && !locative) {
      w *= kLaterBodyFactor;
    }
    // "NowNow, a Nigerian payments startup", "an Austrian maker of
    // trailers": in the lead, a company's nationality is where the story is.
    if (pat.place_kind == PlaceKind::kDemonym && m.field == 1 &&
        m.begin < lead_end_ && DescribesCompany(m)) {
      w = std::max(w, 1.0);
    }
    // "the Japanese yen", "Swiss franc": a currency, not a country.
    static const absl::flat_hash_set<absl::string_view> kCurrencies = {
        "yen",    "dollar", "dollars", "euro",   "euros",   "franc",
        "francs", "pound",  "pounds",  "peso",   "pesos",   "rupee",
        "rupees", "won",    "yuan",    "real",   "rand",    "crown",
        "crowns", "krona",  "krone",   "kroner", "lira",    "ringgit",
        "baht",   "dinar",  "dirham",  "riyal",  "shekel",  "zloty",
        "forint", "rouble", "ruble",   "rupiah", "renminbi"};
    // "the U.S. dollar", "Hong Kong dollars", "the Japanese yen".
    if (adjective_kind && m.end < toks.size() &&
        toks[m.end].kind == TokenKind::kWord && !toks[m.end].upper_initial &&
        kCurrencies.contains(AV(toks[m.end].key))) {
      return 0;
    }
    // "Luxembourg-based", "based in Luxembourg": a company's address;
    // "U.S.-listed", "listed in Hong Kong": where its shares trade.
    // "the US Embassy in Nairobi": a mission abroad is about its host;
    // even in a headline, its sender is named in passing.
    if (IsDiplomaticMission(key_at(m.end))) {
      w *= kPassingFactor * kPassingFactor;
      *passing = true;
    }
    // "South Korean based": an address.
    if ((key_at(m.end) == "-" &&
         (key_at(m.end + 1) == "based" || key_at(m.end + 1) == "listed")) ||
        key_at(m.end) == "based" ||
        (m.begin >= 2 &&
         (key_at(m.begin - 1) == "in" || key_at(m.begin - 1) == "on") &&
         (key_at(m.begin - 2) == "based" ||
          key_at(m.begin - 2) == "headquartered" ||
          key_at(m.begin - 2) == "listed"))) {
      w *= kPassingFactor;
      *passing = true;
    }
    // "more than in Japan", "second only to China", "like Germany",
    // "second after the US".
    for (size_t back = 1; back <= 2 && back <= m.begin; ++back) {
      if (IsComparison(key_at(m.begin - back)) ||
          (back < m.begin && key_at(m.begin - back) == "after" &&
           IsRank(key_at(m.begin - back - 1)))) {
        w *= kPassingFactor;
        *passing = true;
        break;
      }
    }
    return w;
  }

  // Marks place mentions that stand in a list of three or more countries
  // ("U.S., Japanese and European banks"): each is named in passing.
  const std::vector<bool>& InLists() const {
    thread_local std::vector<bool> in_list;
    in_list.assign(places_.size(), false);
    size_t run_begin = 0;
    auto close_run = [&](size_t end) {
      if (end - run_begin < 3) return;
      absl::flat_hash_set<uint32_t> distinct;
      for (size_t k = run_begin; k < end; ++k) {
        distinct.insert(g_.patterns()[places_[k].pattern].target);
      }
      if (distinct.size() >= 3) {
        for (size_t k = run_begin; k < end; ++k) in_list[k] = true;
      }
    };
    for (size_t i = 1; i <= places_.size(); ++i) {
      bool joined = false;
      if (i < places_.size() && places_[i].field == places_[i - 1].field) {
        const auto& toks = fields_[places_[i].field].t->tokens;
        joined = places_[i].begin >= places_[i - 1].end &&
                 places_[i].begin - places_[i - 1].end <= 2;
        for (uint32_t k = places_[i - 1].end; joined && k < places_[i].begin;
             ++k) {
          const std::string_view key = toks[k].key;
          joined = key == "," || key == "and" || key == "or" || key == "&" ||
                   key == "/";
        }
      }
      if (!joined) {
        close_run(i);
        run_begin = i;
      }
    }
    return in_list;
  }

  // Finds all pattern matches in field f and resolves overlaps: vetoes block
  // companies and places; among companies (then places, which companies also
  // block: "Air France", "Bank of China") the longest leftmost match wins.
  void Collect(int f) {
    const Field& field = fields_[f];
    const auto& toks = field.t->tokens;
    std::vector<bool> blocked(toks.size(), false);
    std::vector<Mention> companies, places;
    hashes_.resize(toks.size());
    for (size_t i = 0; i < toks.size(); ++i) {
      hashes_[i] = Gazetteer::KeyHash(toks[i].key);
    }
    for (size_t i = 0; i < toks.size(); ++i) {
      g_.MatchAt(*field.t, field.text, hashes_.data(), i,
                 [&](uint32_t p, PatternKind kind, size_t n) {
                   Mention m{f, static_cast<uint32_t>(i),
                             static_cast<uint32_t>(i + n), p};
                   switch (kind) {
                     case PatternKind::kVeto:
                       for (size_t k = i; k < i + n; ++k) blocked[k] = true;
                       break;
                     case PatternKind::kCompany:
                       // "asset-backed", "ASSET-BACK MARKET": no name
                       // starts inside a hyphenated word, unless it joins
                       // two names ("Renault-Nissan", "SAAB-SCANIA").
                       if (i >= 2 && toks[i - 1].key == "-" &&
                           field.text[toks[i - 1].begin] == '-' &&
                           !toks[i - 1].space_before && !toks[i].space_before &&
                           toks[i - 2].kind == TokenKind::kWord &&
                           (!toks[i - 2].upper_initial ||
                            (field.all_caps &&
                             std::none_of(companies.begin(), companies.end(),
                                          [&](const Mention& c) {
                                            return c.end == i - 1;
                                          })))) {
                         break;
                       }
                       companies.push_back(m);
                       break;
                     case PatternKind::kPlace:
                       places.push_back(m);
                       break;
                     case PatternKind::kTopicRule:
                       rules_.push_back(m);
                       break;
                   }
                 });
    }
    auto take = [&](const std::vector<Mention>& cands,
                    std::vector<Mention>* out) {
      uint32_t covered = 0;
      for (const Mention& m : cands) {
        if (m.begin < covered) continue;
        bool free = true;
        for (uint32_t k = m.begin; k < m.end; ++k) free = free && !blocked[k];
        if (!free) continue;
        out->push_back(m);
        covered = m.end;
      }
    };
    // A place longer than a company alias inside it is the place: "TEL
    // AVIV" in a dateline is not Tokyo Electron ("TEL"); "Air France" and
    // "Bank of China" stay companies, being longer than their places.
    if (!places.empty()) {
      companies.erase(
          std::remove_if(companies.begin(), companies.end(),
                         [&](const Mention& c) {
                           for (const Mention& p : places) {
                             if (p.begin <= c.begin && c.end <= p.end &&
                                 p.end - p.begin > c.end - c.begin) {
                               return true;
                             }
                           }
                           return false;
                         }),
          companies.end());
    }
    take(companies, &companies_);
    AddUnlistedCompanies(f, places);
    std::vector<bool> in_company(toks.size(), false);
    for (const Mention& m : companies_) {
      if (m.field != f) continue;
      // "Union Bank of Switzerland" names a bank of that country, which its
      // annotators count as a place of the story.
      if (m.unlisted >= 0 && unlisted_[m.unlisted].bank_of_place) continue;
      for (uint32_t k = m.begin; k < m.end; ++k) in_company[k] = true;
    }
    std::vector<Mention> outside;
    for (const Mention& m : places) {
      bool inside = false;
      for (uint32_t k = m.begin; k < m.end; ++k)
        inside = inside || in_company[k];
      if (!inside) {
        outside.push_back(m);
      } else if (!g_.patterns()[m.pattern].ambiguous) {
        // "Taiwan Semiconductor", "Air France": not a mention of the
        // country, but it lets the company's home country count (kHqBonus).
        inner_places_.insert(g_.patterns()[m.pattern].target);
      }
    }
    take(outside, &places_);
  }

  // Companies the gazetteer does not list, named with a legal form or a
  // ticker in field f. A listed company named at the start of such a name
  // wins ("Siemens AG" is Siemens); a listed alias inside a longer name is
  // no mention of that company ("Big Apple Bagels Inc"); a bare place with
  // a form ("New York AG") is no company.
  void AddUnlistedCompanies(int f, const std::vector<Mention>& places) {
    const Field& field = fields_[f];
    thread_local std::vector<internal::FoundCompany> found;
    found.clear();
    internal::FindUnlistedCompanies(
        *field.t, field.text, hashes_.data(),
        field.all_caps               ? internal::FieldCase::kAllCaps
        : f == 0 && field.title_case ? internal::FieldCase::kTitleCaseHeadline
                                     : internal::FieldCase::kOrdinary,
        &found);
    if (found.empty()) return;
    // Per token: a listed company starts here (1), a place covers it (2),
    // an unlisted name covers it (4). Marks keep each check below constant
    // time, whatever the number of mentions.
    constexpr uint8_t kListedStart = 1, kInPlace = 2, kInUnlisted = 4,
                      kInListed = 8, kOpensLongerName = 32;
    const auto& toks = field.t->tokens;
    thread_local std::vector<uint8_t> mark;
    mark.assign(toks.size(), 0);
    // The listed business group whose name opens a longer name here.
    thread_local std::vector<int32_t> group_at;
    group_at.assign(toks.size(), -1);
    for (const Mention& m : companies_) {
      if (m.field != f || m.unlisted >= 0) continue;
      // "<Guinness Peat Group PLC>": an ambiguous listed word that opens a
      // longer name leaves the name to the finder.
      // So does a business group's name opening a member's ("Hyundai Samho
      // Heavy Industries Co").
      if ((g_.patterns()[m.pattern].ambiguous ||
           g_.patterns()[m.pattern].group_name) &&
          PartOfLongerName(m)) {
        if (!g_.patterns()[m.pattern].ambiguous) {
          mark[m.begin] |= kOpensLongerName;
          group_at[m.begin] = g_.patterns()[m.pattern].target;
        }
        continue;
      }
      mark[m.begin] |= kListedStart;
      for (uint32_t k = m.begin + 1; k < m.end; ++k) mark[k] |= kInListed;
    }
    constexpr uint8_t kInCountry = 16;  // a country's name or demonym
    for (const Mention& p : places) {
      const PlaceKind kind = g_.patterns()[p.pattern].place_kind;
      const bool country = kind == PlaceKind::kName ||
                           kind == PlaceKind::kAbbrev ||
                           kind == PlaceKind::kDemonym;
      for (uint32_t k = p.begin; k < p.end; ++k) {
        mark[k] |= kInPlace | (country ? kInCountry : 0);
      }
    }
    // A country's own bank is its central bank: "Bank of Japan", "National
    // Bank of Belgium", "Swiss National Bank"; "Bank of Tokyo" (a city's)
    // and "Industrial Bank of Japan" are companies. A bare "Bank of" a place
    // not known as a city or region may be either: it is left out.
    auto central_bank = [&](const internal::FoundCompany& c) {
      if (!c.rule.starts_with("name-word:Bank")) return false;
      uint32_t k = c.begin;
      if (mark[k] & kInCountry) {
        while (k < c.name_end && (mark[k] & kInCountry)) ++k;
        return k < c.name_end && toks[k].key == "national";
      }
      const bool national = toks[k].key == "national";
      if (national) ++k;
      // "Industrial Bank of Japan": a kind of bank is a company's.
      if (k + 1 >= c.name_end || toks[k].key != "bank" ||
          toks[k + 1].key != "of" || k > c.begin + 1 ||
          (k == c.begin + 1 && toks[c.begin].key != "national")) {
        return false;
      }
      k += 2;
      if (k < c.name_end && toks[k].key == "the") ++k;
      // Countries whose "Bank of" is a commercial bank, the central bank
      // being named otherwise ("Reserve Bank of New Zealand", "Central Bank
      // of Ireland").
      static const absl::flat_hash_set<absl::string_view> kCommercial = {
          "NZ", "IE", "CY", "TW", "IN", "GE", "CN", "PH", "LK", "BT", "BH"};
      // ... and whose "National Bank of" is a commercial bank ("National
      // Bank of Kenya", "National Bank of Greece", "National Bank of
      // Canada"), the central bank being named otherwise.
      static const absl::flat_hash_set<absl::string_view> kCommercialNational =
          {"KE", "EG", "PK", "KW", "GR", "OM", "CA", "MW", "BH"};
      for (const Mention& p : places) {
        if (p.begin != k || p.end != c.name_end) continue;
        const absl::string_view code =
            AV(g_.countries()[g_.patterns()[p.pattern].target].code);
        if (kCommercial.contains(code) ||
            (national && kCommercialNational.contains(code))) {
          return false;
        }
      }
      bool city = true;
      for (; k < c.name_end; ++k) {
        city = city && (mark[k] & kInPlace) && !(mark[k] & kInCountry);
      }
      return !city;
    };
    bool covers_listed = false;
    for (internal::FoundCompany& c : found) {
      // Matching each name against the text again is linear per name: a
      // hostile text of thousands of "X Inc" must not make it quadratic.
      if (unlisted_.size() >= kMaxUnlistedCompanies ||
          companies_.size() >= kMaxCompanyMentions) {
        break;
      }
      // "Hudson's Bay Company", "Scott's Hospitality Inc": a possessive
      // ends the name's owner only when that is a place or a listed
      // company ("Japan's Acme Corp", "Apple's Beats Electronics LLC").
      if (c.begin >= 3 && toks[c.begin - 1].key == "s" &&
          toks[c.begin - 2].key == "'" && !toks[c.begin - 1].space_before &&
          !toks[c.begin - 2].space_before &&
          (c.rule.starts_with("legal-form:") ||
           c.rule.starts_with("name-word:"))) {
        uint32_t owner = c.begin - 2;
        while (owner > 0 && c.begin - 2 - owner < 3 &&
               toks[owner - 1].kind == TokenKind::kWord &&
               toks[owner - 1].upper_initial && !toks[owner - 1].all_upper &&
               !(mark[owner - 1] & (kInPlace | kListedStart | kInListed)) &&
               toks[owner - 1].sentence == toks[c.begin].sentence) {
          --owner;
        }
        // Not an owner that is a company or a person named on its own
        // ("Unocal Corp's Union Oil Co", "Comalco ... Comalco's unit").
        if (owner < c.begin - 2 &&
            (owner == 0 || toks[owner - 1].kind != TokenKind::kWord ||
             !toks[owner - 1].upper_initial) &&
            !internal::IsCompanyNameWord(toks[c.begin - 3].key) &&
            !NamedAlone(toks[owner].key)) {
          c.begin = owner;
        }
      }
      // "Moody's Investors Service Inc": the listed name holds this one.
      if (mark[c.begin] & (kListedStart | kInListed)) continue;
      bool only_place = true;
      for (uint32_t k = c.begin; k < c.name_end && only_place; ++k) {
        if (toks[k].kind == TokenKind::kPunct) continue;
        only_place = (mark[k] & kInPlace) != 0;
      }
      if (only_place || central_bank(c)) continue;
      // "stock of USD 43": a currency code is no name.
      if (c.name_end == c.begin + 1) {
        const Token& tok = field.t->tokens[c.begin];
        if (tok.all_upper && g_.IsCurrencyCode(field.text.substr(
                                 tok.begin, tok.end - tok.begin))) {
          continue;
        }
      }
      for (uint32_t k = c.begin; k < c.end; ++k) {
        covers_listed =
            covers_listed || (mark[k] & (kListedStart | kOpensLongerName));
        mark[k] |= kInUnlisted;
      }
      std::string id =
          internal::UnlistedCompanyId(*field.t, c.begin, c.name_end);
      int32_t index = -1;
      for (size_t u = 0; u < unlisted_.size(); ++u) {
        if (unlisted_[u].id == id) index = static_cast<int32_t>(u);
      }
      // Named again with an exchange code ("Bertrandt Group (BDTG.DE)"):
      // the code's country is its home.
      if (index >= 0 && !c.rule.starts_with("context:")) {
        unlisted_[index].context_only = false;
      }
      if (index >= 0 && c.hq_from_ticker) {
        unlisted_[index].hq_hint = c.hq_hint;
        unlisted_[index].hint_from_form = false;
      }
      if (index < 0) {
        index = static_cast<int32_t>(unlisted_.size());
        UnlistedCompany& u = unlisted_.emplace_back();
        u.id = std::move(id);
        u.name = internal::UnlistedCompanyName(*field.t, field.text, c.begin,
                                               c.name_end);
        u.hq_hint = c.hq_hint;
        u.hint_from_form = !c.hq_from_ticker && !c.hq_hint.empty();
        u.bank_of_place = c.rule.starts_with("name-word:Bank");
        // "developer Donald Trump", "Virgil Rosendale, a pork producer":
        // context finds people too.
        u.context_only = c.rule.starts_with("context:") &&
                         c.rule != "context:shares of" &&
                         c.rule != "context:stock of";
        // "Nairobi Securities Exchange Ltd", "Bank of Tokyo Ltd": a place in
        // the name says more of the home than a legal form, less than an
        // exchange code.
        // "Hyundai Tarvo Marine Co": a group's member shares its home.
        if (!c.hq_from_ticker && group_at[c.begin] >= 0) {
          u.hq_hint = g_.companies()[group_at[c.begin]].hq_country;
          u.hint_from_form = false;
        }
        if (!c.hq_from_ticker) {
          for (const Mention& p : places) {
            const Pattern& pat = g_.patterns()[p.pattern];
            if (p.begin >= c.begin && p.end <= c.name_end && !pat.ambiguous) {
              u.hq_hint = g_.countries()[pat.target].code;
              u.hint_from_form = false;
              break;
            }
          }
        }
        for (uint32_t k = c.begin; k < c.name_end; ++k) {
          u.keys.emplace_back(field.t->tokens[k].key);
        }
      }
      Mention m{f, c.begin, c.end, 0};
      m.accepted = true;
      m.unlisted = index;
      companies_.push_back(m);
      unlisted_rules_.push_back({f, c.begin, c.rule});
    }
    if (covers_listed) {
      companies_.erase(std::remove_if(companies_.begin(), companies_.end(),
                                      [&](const Mention& m) {
                                        return m.field == f && m.unlisted < 0 &&
                                               (mark[m.begin] & kInUnlisted) &&
                                               (mark[m.end - 1] & kInUnlisted);
                                      }),
                       companies_.end());
    }
  }

  // Once an unlisted company is known, its name without the legal form
  // names it elsewhere too ("Acme Holdings said", a headline in capitals).
  void FindUnlistedRepeats() {
    if (unlisted_.empty()) return;
    for (int f = 0; f < 2; ++f) {
      const auto& toks = fields_[f].t->tokens;
      thread_local std::vector<bool> taken;
      taken.assign(toks.size(), false);
      for (const Mention& m : companies_) {
        if (m.field != f) continue;
        for (uint32_t k = m.begin; k < m.end; ++k) taken[k] = true;
      }
      for (size_t u = 0; u < unlisted_.size(); ++u) {
        const std::vector<std::string>& keys = unlisted_[u].keys;
        const std::string_view first = keys.front();
        for (size_t i = 0; i + keys.size() <= toks.size(); ++i) {
          if (toks[i].key.size() != first.size() ||
              toks[i].key[0] != first[0]) {
            continue;
          }
          bool match = true;
          for (size_t k = 0; k < keys.size() && match; ++k) {
            match = !taken[i + k] && toks[i + k].key == keys[k];
          }
          // Whole words only: "Acme" is not the start of "Acme Bank".
          if (!match ||
              (i + keys.size() < toks.size() &&
               toks[i + keys.size()].kind == TokenKind::kWord &&
               toks[i + keys.size()].upper_initial && !fields_[f].title_case &&
               !toks[i + keys.size()].all_upper)) {
            continue;
          }
          if (companies_.size() >= kMaxCompanyMentions) return;
          Mention m{f, static_cast<uint32_t>(i),
                    static_cast<uint32_t>(i + keys.size()), 0};
          m.accepted = true;
          m.unlisted = static_cast<int32_t>(u);
          companies_.push_back(m);
          for (size_t k = i; k < i + keys.size(); ++k) taken[k] = true;
        }
      }
    }
  }

  // "Developer Donald Trump ... Trump said": a name known from context and
  // named again by its last word alone is a person's.
  void DropPeopleFoundByContext() {
    for (size_t u = 0; u < unlisted_.size(); ++u) {
      const std::vector<std::string>& keys = unlisted_[u].keys;
      if (!unlisted_[u].context_only || keys.size() < 2 || keys.size() > 3 ||
          internal::IsCompanyNameWord(keys.back()) ||
          !NamedByLastWordAlone(keys)) {
        continue;
      }
      for (Mention& m : companies_) {
        if (m.unlisted == static_cast<int32_t>(u)) m.accepted = false;
      }
    }
  }

  // Whether `key` is in the text anywhere but before a possessive: the name
  // of something the text speaks of on its own.
  bool NamedAlone(std::string_view key) const {
    for (int f = 0; f < 2; ++f) {
      const auto& toks = fields_[f].t->tokens;
      for (size_t i = 0; i < toks.size(); ++i) {
        if (toks[i].key != key) continue;
        if (i + 1 < toks.size() && toks[i + 1].key == "'") continue;
        return true;
      }
    }
    return false;
  }

  // Whether the last of `keys` stands alone somewhere (no capitalized word
  // next to it) while the first never does: "Trump" without "Donald".
  bool NamedByLastWordAlone(const std::vector<std::string>& keys) const {
    bool last_alone = false;
    for (int f = 0; f < 2; ++f) {
      if (fields_[f].all_caps || fields_[f].title_case) continue;
      const auto& toks = fields_[f].t->tokens;
      auto capitalized = [&](size_t k) {
        return k < toks.size() && toks[k].kind == TokenKind::kWord &&
               toks[k].upper_initial;
      };
      for (size_t i = 0; i < toks.size(); ++i) {
        const bool alone = !(i > 0 && capitalized(i - 1) &&
                             toks[i - 1].sentence == toks[i].sentence) &&
                           !capitalized(i + 1);
        if (!alone || !toks[i].upper_initial) continue;
        if (toks[i].key == keys.front()) return false;
        last_alone = last_alone || toks[i].key == keys.back();
      }
    }
    return last_alone;
  }

  // A company's index: gazetteer companies first, then unlisted_.
  uint32_t CompanyKey(const Mention& m) const {
    return m.unlisted >= 0
               ? static_cast<uint32_t>(g_.companies().size() + m.unlisted)
               : g_.patterns()[m.pattern].target;
  }
  std::string_view CompanyId(uint32_t key) const {
    return key < g_.companies().size()
               ? std::string_view(g_.companies()[key].id)
               : std::string_view(unlisted_[key - g_.companies().size()].id);
  }
  std::string_view CompanyName(uint32_t key) const {
    return key < g_.companies().size()
               ? std::string_view(g_.companies()[key].name)
               : std::string_view(unlisted_[key - g_.companies().size()].name);
  }
  std::string_view CompanyHq(uint32_t key) const {
    return key < g_.companies().size()
               ? std::string_view(g_.companies()[key].hq_country)
               : unlisted_[key - g_.companies().size()].hq_hint;
  }

  bool NearbyCue(const Mention& m, bool business, std::string_view alias_key,
                 bool* negative) const {
    const auto& toks = fields_[m.field].t->tokens;
    const size_t lo = m.begin > kCueWindow ? m.begin - kCueWindow : 0;
    const size_t hi = std::min(toks.size(), m.end + kCueWindow);
    bool positive = false;
    const auto* negatives = g_.NegativeCues(alias_key);
    for (size_t k = lo; k < hi; ++k) {
      if (k >= m.begin && k < m.end) continue;
      const std::string_view key = toks[k].key;
      if (negatives != nullptr && negatives->contains(AV(key))) {
        *negative = true;
      }
      if (business ? g_.IsBusinessCue(key) : g_.IsCountryCue(key)) {
        positive = true;
      }
    }
    return positive;
  }

  // A legal form or an exchange ticker right after the name: "Apple Inc.",
  // "Shell plc", "Apple (NASDAQ: AAPL)".
  // Whether an ambiguous listed alias is one word of a longer capitalized
  // name: "Ola Brandt" is a person, "Puma Energy" and "Continental
  // Airlines" other companies. Headlines in title case or capitals show
  // no such boundary.
  bool PartOfLongerName(const Mention& m) const {
    static const absl::flat_hash_set<std::string_view> kTitles = {
        "chief", "president", "executive", "chairman", "founder", "ceo"};
    const Field& field = fields_[m.field];
    if (field.title_case || field.all_caps) return false;
    const auto& toks = field.t->tokens;
    auto capitalized_word = [&](size_t k) {
      return toks[k].kind == TokenKind::kWord && toks[k].upper_initial &&
             !toks[k].all_upper && toks[k].space_before &&
             toks[k].sentence == toks[m.begin].sentence &&
             !kTitles.contains(toks[k].key);
    };
    if (m.end < toks.size() && capitalized_word(m.end) && !LegalFormNext(m)) {
      return true;
    }
    // "the Minister of Mineral Resources", "Honor of Kings": a name of the
    // form "A of B", though not "Shares of Puma" opening a sentence, nor
    // "Santos of Australia".
    if (m.begin >= 3 && toks[m.begin - 1].key == "of" &&
        capitalized_word(m.begin - 2) &&
        toks[m.begin - 3].sentence == toks[m.begin].sentence) {
      return true;
    }
    if (m.end + 1 < toks.size() && toks[m.end].key == "of" &&
        capitalized_word(m.end + 1)) {
      for (const Mention& p : places_) {
        if (p.field == m.field && p.begin == m.end + 1) return false;
      }
      return true;
    }
    // "David A. Dodge": a first name and a middle initial before.
    if (m.begin >= 3 && toks[m.begin - 1].key == "." &&
        toks[m.begin - 2].key.size() == 1 && toks[m.begin - 2].all_upper &&
        capitalized_word(m.begin - 3)) {
      return true;
    }
    // "said Jimmy Ola": a capitalized word before, unless it opens the
    // sentence ("Rival Glean").
    return m.begin >= 2 && capitalized_word(m.begin - 1) &&
           toks[m.begin - 2].sentence == toks[m.begin].sentence &&
           toks[m.begin - 2].kind == TokenKind::kWord &&
           toks[m.begin].space_before;
  }

  // "Mr. Dodge", "Dr Boehringer": a person, whatever the business cues
  // around.
  bool AfterHonorific(const Mention& m) const {
    static const absl::flat_hash_set<std::string_view> kHonorifics = {
        "mr", "mrs", "ms", "miss", "dr", "sir", "dame", "lord", "lady"};
    const auto& toks = fields_[m.field].t->tokens;
    uint32_t k = m.begin;
    if (k >= 1 && toks[k - 1].key == ".") --k;
    return k >= 1 && kHonorifics.contains(toks[k - 1].key);
  }

  bool LegalFormNext(const Mention& m) const {
    static const absl::flat_hash_set<std::string_view> kForms = {
        "inc",    "corp", "corporation", "ltd",          "plc",      "llc",
        "ag",     "sa",   "se",          "nv",           "holdings", "co",
        "group",  "gmbh", "limited",     "incorporated", "pcl",      "bhd",
        "berhad", "tbk",  "oyj",         "asa",          "spa",      "kgaa",
        "pty",    "pte",  "ltda",        "sab",          "kk",       "pvt"};
    static const absl::flat_hash_set<std::string_view> kExchanges = {
        "nasdaq", "nyse", "lse", "tse", "hkex", "euronext", "xetra",
        "tsx",    "asx",  "sgx", "krx", "nse",  "bse",      "six"};
    const auto& toks = fields_[m.field].t->tokens;
    size_t k = m.end;
    if (k < toks.size() && toks[k].key == ",") ++k;
    if (k < toks.size() && kForms.contains(toks[k].key)) return true;
    if (m.end < toks.size() && toks[m.end].key == "(" &&
        m.end + 1 < toks.size()) {
      const Token& next = toks[m.end + 1];
      const std::string& ticker =
          g_.companies()[g_.patterns()[m.pattern].target].ticker;
      if (kExchanges.contains(next.key)) return true;
      if (!ticker.empty() && next.all_upper &&
          fields_[m.field].text.substr(next.begin, next.end - next.begin) ==
              ticker) {
        return true;
      }
    }
    return false;
  }

  // An exchange written as a ticker prefix: "(NASDAQ: AAPL)", "NYSE:IBM",
  // "(LSE: SHEL, Euronext: SHELL)".
  bool IsTickerPrefix(const Mention& m) const {
    const Field& f = fields_[m.field];
    const auto& toks = f.t->tokens;
    if (m.end + 1 >= toks.size() || toks[m.end].key != ":") return false;
    const Token& next = toks[m.end + 1];
    const bool tickerish =
        (next.kind == TokenKind::kWord && next.all_upper) ||
        next.kind == TokenKind::kNumber;  // "(HKEX: 0700)", "(TSE: 7203)"
    const bool after_paren =
        m.begin > 0 &&
        (toks[m.begin - 1].key == "(" || toks[m.begin - 1].key == "," ||
         toks[m.begin - 1].key == ";" || toks[m.begin - 1].key == "[");
    return tickerish || after_paren;
  }

  // "Konkola Copper Mines (KCM) ... KCM, Zambia's largest copper producer":
  // an acronym known to name a company names the company its definition
  // spells out, initial by initial.
  void ExpandDefinedAcronyms() {
    for (size_t u = 0; u < unlisted_.size(); ++u) {
      const std::string acronym = unlisted_[u].name;
      if (unlisted_[u].keys.size() != 1 || acronym.size() < 2 ||
          acronym.size() > 6 ||
          !std::all_of(acronym.begin(), acronym.end(),
                       [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
        continue;
      }
      for (int f = 0; f < 2; ++f) {
        const Field& field = fields_[f];
        const auto& toks = field.t->tokens;
        for (uint32_t i = 1; i + 1 < toks.size(); ++i) {
          if (toks[i].key != unlisted_[u].keys[0] || toks[i - 1].key != "(" ||
              toks[i + 1].key != ")") {
            continue;
          }
          const uint32_t end = i - 1;
          uint32_t b = end;
          size_t letters = acronym.size();
          while (b > 0 && letters > 0 &&
                 toks[b - 1].sentence == toks[end - 1].sentence) {
            const Token& w = toks[b - 1];
            if (!w.upper_initial && IsAcronymJoiner(w.key) && b < end) {
              --b;
              continue;
            }
            if (w.kind != TokenKind::kWord || !w.upper_initial ||
                (field.text[w.begin] | 0x20) != (acronym[letters - 1] | 0x20)) {
              break;
            }
            --letters;
            --b;
          }
          if (letters != 0 || end - b < 2) continue;
          bool taken = false;
          for (const Mention& m : companies_) {
            taken = taken || (m.field == f && m.begin < end && m.end > b);
          }
          std::string id = internal::UnlistedCompanyId(*field.t, b, end);
          for (const UnlistedCompany& other : unlisted_) {
            taken = taken || other.id == id;
          }
          if (taken || companies_.size() >= kMaxCompanyMentions) continue;
          unlisted_[u].id = std::move(id);
          unlisted_[u].name =
              internal::UnlistedCompanyName(*field.t, field.text, b, end);
          unlisted_[u].context_only = false;
          Mention m{f, b, end, 0};
          m.accepted = true;
          m.unlisted = static_cast<int32_t>(u);
          companies_.push_back(m);
          unlisted_rules_.push_back({f, b, "defined-acronym"});
          break;
        }
        if (unlisted_[u].name != acronym) break;
      }
    }
  }

  // Whether a listed alias stands where a listing gives a ticker and is not
  // that company's own: "TC Transcontinental (TSX: TCL.A TCL.B)" is no TCL
  // Technology, "Brevola Media (NYSE: GM)" no General Motors.
  bool ForeignTicker(const Mention& m) const {
    const auto& toks = fields_[m.field].t->tokens;
    // Back over the other tickers of the listing to "(EXCHANGE:".
    uint32_t k = m.begin;
    while (k > 0 && m.begin - k < 8 &&
           (toks[k - 1].key == "," || toks[k - 1].key == "." ||
            toks[k - 1].key == ";" || toks[k - 1].all_upper ||
            toks[k - 1].kind == TokenKind::kNumber)) {
      --k;
    }
    if (k < 3 || toks[k - 1].key != ":" || !toks[k - 2].upper_initial ||
        (toks[k - 3].key != "(" && toks[k - 3].key != "[")) {
      return false;
    }
    const uint32_t open = k - 3;
    // A name right before the bracket is the listed company.
    for (const Mention& o : companies_) {
      if (&o != &m && o.field == m.field && o.end == open) {
        return o.unlisted >= 0 || CompanyKey(o) != CompanyKey(m);
      }
    }
    const internal::Company& c =
        g_.companies()[g_.patterns()[m.pattern].target];
    const Token& t = toks[m.begin];
    return !absl::EqualsIgnoreCase(
        c.ticker.substr(0, c.ticker.find('.')),
        AV(fields_[m.field].text.substr(t.begin, t.end - t.begin)));
  }

  // "National Bank of Kenya Limited ... NBK": a listed alias in capitals
  // that spells the initials of an unlisted company the story names is that
  // company (not National Bank of Kuwait).
  void AcronymsOfNamedCompanies() {
    absl::flat_hash_map<std::string, int32_t> by_initials;
    for (size_t u = 0; u < unlisted_.size(); ++u) {
      std::string initials;
      for (const std::string& key : unlisted_[u].keys) {
        if (IsAcronymJoiner(key) || key.empty()) continue;
        initials += static_cast<char>(absl::ascii_toupper(key[0]));
      }
      if (initials.size() < 2 || initials.size() > 6) continue;
      auto [it, inserted] = by_initials.try_emplace(initials, u);
      if (!inserted) it->second = -1;  // two companies: neither
    }
    if (by_initials.empty()) return;
    for (Mention& m : companies_) {
      if (m.unlisted >= 0 || m.end != m.begin + 1) continue;
      const Field& field = fields_[m.field];
      const Token& tok = field.t->tokens[m.begin];
      if (!tok.all_upper || tok.kind != TokenKind::kWord) continue;
      auto it = by_initials.find(
          absl::AsciiStrToUpper(AV(TokText(field, m.begin, m.end))));
      if (it == by_initials.end() || it->second < 0) continue;
      m.unlisted = it->second;
      m.accepted = true;
      unlisted_rules_.push_back({m.field, m.begin, "acronym-of-name"});
    }
  }

  // Whether an ambiguous listed word names an oil field or a mine: "the
  // Tilenga and Kingfisher fields", "the Apple deposit".
  bool NamesAnAsset(const Mention& m) const {
    static const absl::flat_hash_set<absl::string_view> kAssets = {
        "field",   "fields",  "oilfield", "oilfields", "gasfield",
        "mine",    "mines",   "deposit",  "deposits",  "prospect",
        "license", "licence", "well",     "wells",     "discovery"};
    const auto& toks = fields_[m.field].t->tokens;
    return m.end < toks.size() &&
           toks[m.end].sentence == toks[m.begin].sentence &&
           kAssets.contains(AV(toks[m.end].key));
  }

  void ResolveCompanies() {
    for (Mention& m : companies_) {
      if (m.unlisted >= 0 && AfterPublicBodyNoun(m)) m.accepted = false;
    }
    FindUnlistedRepeats();
    ExpandDefinedAcronyms();
    AcronymsOfNamedCompanies();
    DropPeopleFoundByContext();
    absl::flat_hash_set<uint32_t> strong;
    for (Mention& m : companies_) {
      if (m.unlisted >= 0) continue;
      const Pattern& pat = g_.patterns()[m.pattern];
      // "BROOKFIELD, Wis., March 2 -": a dateline names a place.
      if (InDateline(m) || HeadlineVerb(m) || AfterPublicBodyNoun(m)) continue;
      if (ForeignTicker(m)) continue;
      if (!pat.ambiguous && !IsTickerPrefix(m)) {
        m.accepted = true;
        strong.insert(pat.target);
      }
    }
    // Ambiguous names ("Apple", "Target") need evidence, and a nearby
    // contrary word ("harvest", "audience") vetoes the mention whatever else
    // the article says.
    // Another company named close by ("Tesla, BYD and Geely") is business
    // context too.
    auto near_other_company = [&](const Mention& m) {
      for (const Mention& o : companies_) {
        if (!o.accepted || o.field != m.field || &o == &m) continue;
        const uint32_t gap = o.begin >= m.end
                                 ? o.begin - m.end
                                 : m.begin - std::min(m.begin, o.end);
        if (gap <= kCueWindow / 2) return true;
      }
      return false;
    };
    std::vector<bool> negative(companies_.size(), false);
    absl::flat_hash_set<uint32_t> supported;
    // "Chancellor Nigel Lawson ... Lawson's attitude": an ambiguous alias
    // seen once inside a longer name is that name's short form throughout.
    absl::flat_hash_set<uint32_t> short_forms;
    for (const Mention& m : companies_) {
      if (m.unlisted < 0 && g_.patterns()[m.pattern].ambiguous &&
          PartOfLongerName(m)) {
        short_forms.insert(m.pattern);
      }
    }
    for (size_t i = 0; i < companies_.size(); ++i) {
      Mention& m = companies_[i];
      if (m.unlisted >= 0) continue;
      const Pattern& pat = g_.patterns()[m.pattern];
      if (InDateline(m) || HeadlineVerb(m) || AfterPublicBodyNoun(m)) {
        negative[i] = true;
        continue;
      }
      if (IsTickerPrefix(m)) {
        // "(Nasdaq: AAPL)" names the listing venue, not the exchange
        // operator; it is no evidence for it either.
        m.accepted = false;
        negative[i] = true;
        continue;
      }
      if (!pat.ambiguous) continue;
      if (AfterHonorific(m) || NamesAnAsset(m)) {
        negative[i] = true;
        continue;
      }
      if (short_forms.contains(m.pattern) && !strong.contains(pat.target)) {
        negative[i] = true;
        continue;
      }
      bool neg = false;
      const bool cue = NearbyCue(m, /*business=*/true, pat.lower_text, &neg);
      negative[i] = neg;
      if (neg) continue;
      if (strong.contains(pat.target) || LegalFormNext(m) || cue ||
          near_other_company(m)) {
        m.accepted = true;
        supported.insert(pat.target);
      }
    }
    // Once a company is established, its other plain mentions count too.
    for (size_t i = 0; i < companies_.size(); ++i) {
      Mention& m = companies_[i];
      if (!m.accepted && !negative[i] && m.unlisted < 0 &&
          supported.contains(g_.patterns()[m.pattern].target)) {
        m.accepted = true;
      }
    }
    // An alias the text defines as something else is that, wherever it
    // stands: "Purchasing Managers' Index (PMI)", "Pakistan Textile
    // Council (PTC)", an agency's code "TOKYO (CBS.MW)", an instrument code
    // after another company "ArcelorMittal <MT.LU>".
    absl::flat_hash_set<uint32_t> defined;
    for (const Mention& m : companies_) {
      if (m.unlisted < 0 && DefinedAsAnotherName(m)) defined.insert(m.pattern);
    }
    if (!defined.empty()) {
      for (Mention& m : companies_) {
        if (m.unlisted < 0 && defined.contains(m.pattern)) m.accepted = false;
      }
    }
    if (AddListedPeers()) FindUnlistedRepeats();
  }

  // "companies such as", "rivals including", "lenders like": the words
  // that introduce a list of companies, ending just before token `begin`.
  bool IntroducedAsCompanies(int f, uint32_t begin) const {
    static const absl::flat_hash_set<absl::string_view> kKinds = {
        "companies", "firms",      "rivals",        "competitors", "banks",
        "lenders",   "startups",   "start-ups",     "carmakers",   "automakers",
        "brands",    "retailers",  "chipmakers",    "insurers",    "miners",
        "operators", "airlines",   "manufacturers", "suppliers",   "developers",
        "producers", "brokerages", "conglomerates"};
    const auto& toks = fields_[f].t->tokens;
    uint32_t k = begin;
    if (k >= 1 &&
        (toks[k - 1].key == "including" || toks[k - 1].key == "like")) {
      k -= 1;
    } else if (k >= 2 && toks[k - 1].key == "as" && toks[k - 2].key == "such") {
      k -= 2;
    } else {
      return false;
    }
    if (k >= 1 && toks[k - 1].key == ",") --k;
    return k >= 1 && kKinds.contains(AV(toks[k - 1].key));
  }

  bool HasListIntroducer(int f) const {
    const auto& toks = fields_[f].t->tokens;
    for (uint32_t i = 1; i < toks.size(); ++i) {
      if ((toks[i].key == "including" || toks[i].key == "like" ||
           toks[i].key == "as") &&
          IntroducedAsCompanies(f, i + 1)) {
        return true;
      }
    }
    return false;
  }

  // Names listed with companies are companies: "members include Intel,
  // Cloudera, Anyscale and Datastax", "led by Acme Partners, Foo Capital and
  // Bar Ventures". A list of at least kMinListItems names, at least
  // kMinListedCompanies of them known companies, makes the other names in
  // it companies too, unless a place or a public body ("Apple, Google and
  // the EU"). Returns whether it added any.
  bool AddListedPeers() {
    bool added = false;
    for (int f = 0; f < 2; ++f) {
      const Field& field = fields_[f];
      const auto& toks = field.t->tokens;
      if (field.title_case || field.all_caps || toks.size() < 5) continue;
      // Per token: the end of the accepted company mention starting there,
      // and whether a place covers it.
      thread_local std::vector<uint32_t> company_end;
      thread_local std::vector<bool> in_place;
      company_end.assign(toks.size(), 0);
      in_place.assign(toks.size(), false);
      bool any = false;
      for (const Mention& m : companies_) {
        if (m.field != f || !m.accepted) continue;
        company_end[m.begin] = m.end;
        any = true;
      }
      if (!any && !HasListIntroducer(f)) continue;
      for (const Mention& p : places_) {
        if (p.field != f) continue;
        for (uint32_t k = p.begin; k < p.end; ++k) in_place[k] = true;
      }
      std::vector<std::pair<uint32_t, uint32_t>> items;
      uint32_t i = 0;
      while (i < toks.size()) {
        items.clear();
        // A list starts a name: not inside one ("Chase" of "JPMorgan
        // Chase" when only "JPMorgan" is known).
        // Nor inside a code: the "J" of "PIKJ.J".
        if (i > 0 && (!toks[i].space_before ||
                      (toks[i - 1].sentence == toks[i].sentence &&
                       toks[i - 1].kind == TokenKind::kWord &&
                       toks[i - 1].upper_initial))) {
          ++i;
          continue;
        }
        uint32_t k = i;
        const uint32_t sentence = toks[i].sentence;
        while (k < toks.size() && toks[k].sentence == sentence) {
          uint32_t e = company_end[k];
          if (e == 0) {
            e = k;
            // "İşbank", "Ørsted": a name may start with a letter beyond
            // ASCII.
            while (e < toks.size() && e < k + kMaxListItemWords &&
                   toks[e].sentence == sentence &&
                   toks[e].kind == TokenKind::kWord &&
                   (toks[e].upper_initial ||
                    static_cast<unsigned char>(field.text[toks[e].begin]) >=
                        0x80)) {
              ++e;
            }
          }
          if (e == k) break;
          items.emplace_back(k, e);
          uint32_t next = e;
          if (next < toks.size() && toks[next].key == ",") ++next;
          if (next < toks.size() &&
              (toks[next].key == "and" || toks[next].key == "or")) {
            ++next;
          }
          if (next == e || next >= toks.size()) break;
          k = next;
        }
        i = items.empty() ? i + 1 : std::max(i + 1, items.back().second);
        if (items.size() < kMinListItems) continue;
        size_t known = 0;
        for (const auto& [b, e] : items) known += company_end[b] == e;
        if (known < kMinListedCompanies &&
            !IntroducedAsCompanies(f, items.front().first)) {
          continue;
        }
        for (const auto& [b, e] : items) {
          if (company_end[b] == e || company_end[b] != 0) continue;
          bool place = false;
          for (uint32_t j = b; j < e; ++j) place = place || in_place[j];
          if (place || !internal::MayNameCompany(*field.t, field.text, b, e) ||
              unlisted_.size() >= kMaxUnlistedCompanies ||
              companies_.size() >= kMaxCompanyMentions) {
            continue;
          }
          std::string id = internal::UnlistedCompanyId(*field.t, b, e);
          int32_t index = -1;
          for (size_t u = 0; u < unlisted_.size(); ++u) {
            if (unlisted_[u].id == id) index = static_cast<int32_t>(u);
          }
          if (index < 0) {
            index = static_cast<int32_t>(unlisted_.size());
            UnlistedCompany& u = unlisted_.emplace_back();
            u.id = std::move(id);
            u.name = internal::UnlistedCompanyName(*field.t, field.text, b, e);
            u.from_list = true;
            for (uint32_t j = b; j < e; ++j) u.keys.emplace_back(toks[j].key);
          }
          Mention m{f, b, e, 0};
          m.accepted = true;
          m.unlisted = index;
          companies_.push_back(m);
          unlisted_rules_.push_back({f, b, "context:list"});
          added = true;
        }
      }
    }
    return added;
  }

  // Whether a listed company's alias stands in brackets right after a
  // capitalized name that is not a mention of the same company.
  bool DefinedAsAnotherName(const Mention& m) const {
    const auto& toks = fields_[m.field].t->tokens;
    if (m.begin < 2) return false;
    const std::string_view open = toks[m.begin - 1].key;
    const Token& before = toks[m.begin - 2];
    if ((open != "(" && open != "<") || before.kind != TokenKind::kWord ||
        !before.upper_initial) {
      return false;
    }
    // A definition is an abbreviation or a code: "$297M (SpaceX)" gives
    // the amount's company, and defines nothing.
    for (uint32_t k = m.begin; k < m.end; ++k) {
      if (toks[k].kind == TokenKind::kWord && !toks[k].all_upper) return false;
    }
    const uint32_t company = CompanyKey(m);
    for (const Mention& c : companies_) {
      if (c.field == m.field && c.end + 1 == m.begin &&
          (c.unlisted >= 0 || CompanyKey(c) == company)) {
        // "Apple Inc (AAPL)" names Apple twice; "Acme Holdings Inc (AH)"
        // an unlisted company, whose code this is.
        return c.unlisted >= 0;
      }
    }
    return true;
  }

  bool LooksLikePersonName(const Mention& m) const {
    const Field& f = fields_[m.field];
    if (f.title_case) return false;
    static const absl::flat_hash_set<std::string_view> kFunction = {
        "in",           "the",         "from",    "to",       "of",
        "and",          "for",         "with",    "by",       "on",
        "at",           "as",          "into",    "across",   "about",
        "neighbouring", "neighboring", "but",     "while",    "after",
        "before",       "if",          "when",    "northern", "southern",
        "eastern",      "western",     "central", "says",     "said",
        "both",         "including",   "like",    "between",  "against"};
    const auto& toks = f.t->tokens;
    auto is_name_word = [&](size_t k) {
      const Token& tok = toks[k];
      return tok.kind == TokenKind::kWord && tok.upper_initial &&
             !tok.all_upper && tok.sentence == toks[m.begin].sentence &&
             !kFunction.contains(tok.key);
    };
    return (m.begin > 0 && is_name_word(m.begin - 1)) ||
           (m.end < toks.size() && is_name_word(m.end));
  }

  void ResolveCountries() {
    absl::flat_hash_set<uint32_t> strong;
    for (Mention& m : places_) {
      const Pattern& pat = g_.patterns()[m.pattern];
      // A dateline is evidence enough: "WASHINGTON, May 2 (Reuters) -".
      if (!pat.ambiguous || InDateline(m)) {
        m.accepted = true;
        strong.insert(pat.target);
      }
    }
    // Per country: whether its ambiguous name stands in the headline and in
    // the body, and whether any mention reads as a person's or another
    // sense's ("Michael Jordan", "the Thanksgiving turkey").
    struct Ambiguous {
      bool fields[2] = {false, false};
      bool doubtful = false;
      bool found = false;  // a mention is accepted on its own evidence
    };
    absl::flat_hash_map<uint32_t, Ambiguous> ambiguous;
    for (Mention& m : places_) {
      const Pattern& pat = g_.patterns()[m.pattern];
      if (!pat.ambiguous || m.accepted) continue;
      bool neg = false;
      const bool cue = NearbyCue(m, /*business=*/false, pat.lower_text, &neg);
      Ambiguous& a = ambiguous[pat.target];
      if (neg || LooksLikePersonName(m)) {
        a.doubtful = true;
        continue;
      }
      // A state or a city ("Victoria", "Washington") is another place too.
      if (pat.place_kind == PlaceKind::kName) {
        a.fields[m.field] = true;
      } else {
        a.doubtful = true;
      }
      m.accepted = strong.contains(pat.target) || cue;
      a.found = a.found || m.accepted;
    }
    // "Turkey removes bank ban" over "Turkey on May 11 removed": a country's
    // name in the headline and again in the body, never in another sense,
    // is the country, found by no other evidence.
    for (Mention& m : places_) {
      const Pattern& pat = g_.patterns()[m.pattern];
      if (!pat.ambiguous || m.accepted) continue;
      auto it = ambiguous.find(pat.target);
      if (it == ambiguous.end() || it->second.doubtful || it->second.found ||
          !it->second.fields[0] || !it->second.fields[1]) {
        continue;
      }
      m.accepted = true;
    }
  }

  std::string UnlistedRule(const Mention& m) const {
    for (const UnlistedRuleRecord& r : unlisted_rules_) {
      if (r.field == m.field && r.begin == m.begin) return r.rule;
    }
    return absl::StrCat("name:", AV(unlisted_[m.unlisted].name));
  }

  void EmitCompanies(newsfeed::v1::Article* a) {
    struct Agg {
      newsfeed::v1::CompanyTag* tag;
      int mentions = 0;
      bool in_title = false;
    };
    // In text order, so that evidence shows the first mentions (unlisted
    // companies and their repeats were appended after the listed ones).
    if (!unlisted_.empty())
      std::sort(companies_.begin(), companies_.end(),
                [](const Mention& x, const Mention& y) {
                  return x.field != y.field ? x.field < y.field
                                            : x.begin < y.begin;
                });
    absl::flat_hash_map<uint32_t, Agg> by_company;
    for (const Mention& m : companies_) {
      if (!m.accepted) continue;
      const uint32_t key = CompanyKey(m);
      auto [it, inserted] = by_company.try_emplace(key);
      Agg& agg = it->second;
      if (inserted) {
        agg.tag = a->add_companies();
        agg.tag->set_id(std::string(CompanyId(key)));
        agg.tag->set_name(std::string(CompanyName(key)));
        if (m.unlisted < 0) {
          const internal::Company& c = g_.companies()[key];
          agg.tag->set_ticker(c.ticker);
          agg.tag->set_hq_country(c.hq_country);
        }
      }
      ++agg.mentions;
      agg.in_title = agg.in_title || m.field == 0;
      // Three mentions, then one more for each other name of the company
      // ("Disney ... ESPN ... Pixar"), so every name it goes by is shown.
      std::string rule =
          m.unlisted >= 0
              ? UnlistedRule(m)
              : absl::StrCat("alias:", g_.patterns()[m.pattern].text);
      bool new_name = agg.tag->evidence_size() < kMaxEvidenceNames;
      for (const newsfeed::v1::Evidence& e : agg.tag->evidence()) {
        new_name = new_name && e.rule() != rule;
      }
      if (agg.tag->evidence_size() < kMaxEvidence || new_name) {
        AddEvidence(m, rule, agg.tag->add_evidence());
      }
    }
    for (auto& [id, agg] : by_company) {
      agg.tag->set_score(std::min(
          1.0, 0.2 + 0.15 * agg.mentions + (agg.in_title ? 0.4 : 0.0)));
    }
  }

  // The company the story is mainly about: named in the title, or more
  // often than any other (title mentions count twice). On a tie, the first
  // named of the tied companies when they all have one home ("Acme to buy
  // Foo Inc" of two US companies), else none.
  std::optional<uint32_t> MainCompany() const {
    absl::flat_hash_map<uint32_t, int> weight;
    for (const Mention& m : companies_) {
      if (!m.accepted) continue;
      weight[CompanyKey(m)] += m.field == 0 ? 2 : 1;
    }
    std::optional<uint32_t> best;
    int best_weight = 0;
    bool tie = false;
    for (const auto& [company, w] : weight) {
      if (w > best_weight) {
        best = company;
        best_weight = w;
        tie = false;
      } else if (w == best_weight) {
        tie = true;
      }
    }
    if (!tie) return best;
    std::optional<uint32_t> first;
    std::string_view home;
    for (const Mention& m : companies_) {
      if (!m.accepted) continue;
      const uint32_t company = CompanyKey(m);
      if (weight[company] != best_weight) continue;
      const std::string_view hq = CompanyHq(company);
      if (hq.empty() || (!home.empty() && hq != home)) return std::nullopt;
      home = hq;
      if (!first) first = company;
    }
    return first;
  }

  // Whether a city or region mention outside a dateline, and not where
  // something happens, is the first words of a company name the story
  // writes out in full: "Bristol's cancer drug" once "Bristol-Myers Squibb"
  // is named.
  bool ShortNameOfNamedCompany(
      const Mention& m, const absl::flat_hash_set<std::string>& heads) const {
    const PlaceKind kind = g_.patterns()[m.pattern].place_kind;
    if (kind != PlaceKind::kRegion && kind != PlaceKind::kCity) return false;
    if (InDateline(m)) return false;
    const auto& toks = fields_[m.field].t->tokens;
    if (m.begin > 0 && IsLocative(toks[m.begin - 1].key)) return false;
    std::string key;
    for (uint32_t k = m.begin; k < m.end; ++k) {
      if (toks[k].kind != TokenKind::kWord) return false;
      if (!key.empty()) key += ' ';
      key.append(toks[k].key);
    }
    return heads.contains(key);
  }

  // Whether a region or city mention is the short name of an unlisted
  // company the story names in full: "Piedmont" once "Piedmont Aviation
  // Inc" is named ("the Piedmont board", "PIEDMONT <PIE>").
  bool ShortNameOfUnlisted(const Mention& m) const {
    const PlaceKind kind = g_.patterns()[m.pattern].place_kind;
    if (kind != PlaceKind::kRegion && kind != PlaceKind::kCity) return false;
    const auto& toks = fields_[m.field].t->tokens;
    for (const UnlistedCompany& u : unlisted_) {
      if (u.from_list || u.keys.size() <= m.end - m.begin) continue;
      bool prefix = true;
      for (uint32_t k = m.begin; k < m.end && prefix; ++k) {
        prefix = toks[k].key == u.keys[k - m.begin];
      }
      if (prefix) return true;
    }
    return false;
  }

  void EmitCountries(newsfeed::v1::Article* a) {
    // Where accepted company mentions start and end, for HomeOfCompany and
    // OwnsCompany in constant time however many places and companies a
    // hostile text names.
    for (int f = 0; f < 2; ++f) {
      company_starts_[f].assign(fields_[f].t->tokens.size() + 1, 0);
      company_ends_[f].assign(fields_[f].t->tokens.size() + 1, 0);
    }
    absl::flat_hash_set<uint32_t> title_companies;
    // The first words of each company name of several words the story
    // writes out ("bristol" of "Bristol-Myers Squibb").
    absl::flat_hash_set<std::string> name_heads;
    for (const Mention& c : companies_) {
      if (!c.accepted) continue;
      const auto& toks = fields_[c.field].t->tokens;
      std::string head;
      for (uint32_t k = c.begin; k + 1 < c.end && k < c.begin + 3; ++k) {
        if (toks[k].kind != TokenKind::kWord) break;
        if (!head.empty()) head += ' ';
        head.append(toks[k].key);
        name_heads.insert(head);
      }
      company_starts_[c.field][c.begin] = CompanyKey(c) + 1;
      company_ends_[c.field][c.end] = CompanyKey(c) + 1;
      if (c.field == 0) title_companies.insert(CompanyKey(c));
    }
    struct Agg {
      double score = 0;
      bool dateline = false;
      // Named other than in passing (an address, a comparison, a list).
      bool named = false;
      // Named as where something happens or a company is from: "in
      // France", "€3 billion for Germany", "the Abu Dhabi AI company".
      bool located = false;
      // Named as the home of a company in the story ("Hoechst AG of West
      // Germany"): a party to the story, even under a dateline.
      bool home = false;
      // Named only as a company's nationality ("Finland's UPM", "the
      // Finnish paper maker", "Telefonica of Spain").
      bool nationality_only = true;
      // Named only as a company's nationality or address, or in passing
      // ("the US chip company Nvidia", "Texas-based Oracle", "jobs outside
      // the United States").
      bool incidental_only = true;
      // Named in the title or lead as where something happens ("to build a
      // plant in Uruguay").
      bool destination = false;
      std::vector<const Mention*> mentions;
    };
    absl::flat_hash_map<uint32_t, Agg> by_country;
    const std::vector<bool>& in_list = InLists();
    // "SALINAS VICTORIA, Mexico —": a country named after the city says
    // whose city it is.
    int64_t dateline_country = -1;
    for (const Mention& m : places_) {
      const PlaceKind kind = g_.patterns()[m.pattern].place_kind;
      if (m.accepted && InDateline(m) && m.begin > dateline_->begin &&
          (kind == PlaceKind::kName || kind == PlaceKind::kAbbrev)) {
        dateline_country = g_.patterns()[m.pattern].target;
      }
    }
    for (size_t i = 0; i < places_.size(); ++i) {
      const Mention& m = places_[i];
      if (!m.accepted) continue;
      const Pattern& pat = g_.patterns()[m.pattern];
      if (InDateline(m) && dateline_country >= 0 &&
          pat.target != dateline_country &&
          (pat.place_kind == PlaceKind::kCity ||
           pat.place_kind == PlaceKind::kCapital ||
           pat.place_kind == PlaceKind::kRegion)) {
        continue;
      }
      // "BIRMINGHAM, Ala.", "LONDON, Ont.": the state or province after the
      // city says which Birmingham or London it is.
      if (InDateline(m) && m.begin == dateline_->begin &&
          !dateline_->region_country.empty() &&
          g_.CountryIndex(dateline_->region_country) !=
              static_cast<int>(pat.target) &&
          (pat.place_kind == PlaceKind::kCity ||
           pat.place_kind == PlaceKind::kCapital)) {
        continue;
      }
      if (ShortNameOfUnlisted(m) || ShortNameOfNamedCompany(m, name_heads))
        continue;
      Agg& agg = by_country[pat.target];
      double w;
      if (InDateline(m)) {
        w = kDatelineWeight;
        agg.dateline = true;
        agg.nationality_only = false;
        agg.incidental_only = false;
      } else {
        bool passing = in_list[i];
        w = CountryWeight(m, &passing) * (in_list[i] ? kPassingFactor : 1.0);
        agg.named = agg.named || !passing;
        const auto& toks = fields_[m.field].t->tokens;
        // A city's company is where the story happens: "in the Abu Dhabi's
        // AI company G42".
        const bool nationality =
            (pat.place_kind == PlaceKind::kName ||
             pat.place_kind == PlaceKind::kAbbrev ||
             pat.place_kind == PlaceKind::kDemonym) &&
            (HomeOfCompany(m) || DescribesCompany(m) || OwnsCompany(m));
        agg.nationality_only = agg.nationality_only && nationality;
        agg.incidental_only = agg.incidental_only && (nationality || passing);
        // "in southern Israel": a point of the compass may stand between.
        uint32_t before = m.begin;
        if (before > 1 && IsCompassWord(toks[before - 1].key)) --before;
        agg.destination =
            agg.destination || (!passing && !nationality &&
                                (m.field == 0 || m.begin < lead_end_) &&
                                before > 0 && IsLocative(toks[before - 1].key));
        agg.home = agg.home || HomeOfCompany(m);
        agg.located =
            agg.located ||
            (!passing && ((m.begin > 0 && IsLocative(toks[m.begin - 1].key)) ||
                          DescribesCompany(m)));
      }
      agg.score += w;
      agg.mentions.push_back(&m);
    }
    // "ROCHESTER, N.Y., Feb 26 -": a postal abbreviation the gazetteer
    // cannot match on its own.
    std::optional<uint32_t> region_country;
    if (dateline_ && !dateline_->region_country.empty()) {
      const int c = g_.CountryIndex(dateline_->region_country);
      bool placed = false;
      for (const auto& [country, agg] : by_country) {
        placed = placed || agg.dateline;
      }
      if (c >= 0 && !placed) {
        region_country = static_cast<uint32_t>(c);
        Agg& agg = by_country[*region_country];
        agg.score += kDatelineWeight;
        agg.dateline = true;
      }
    }
    // Only a central company (in the title, or named twice) lends its home
    // country weight: "Chinese rivals such as BYD" does not.
    absl::flat_hash_map<uint32_t, int> weight;
    for (const Mention& m : companies_) {
      if (!m.accepted) continue;
      weight[CompanyKey(m)] += m.field == 0 ? 2 : 1;
    }
    // Whether a country other than `self` is named, not only in passing,
    // strongly enough to be tagged.
    auto PlacedElsewhere = [&](const auto& countries, uint32_t self) {
      for (const auto& [c, other] : countries) {
        if (c != self && (other.named || other.dateline) &&
            other.score >= kCountryThreshold) {
          return true;
        }
      }
      return false;
    };
    absl::flat_hash_set<uint32_t> hq_done;
    for (const Mention& m : companies_) {
      if (!m.accepted) continue;
      const uint32_t company = CompanyKey(m);
      if (weight[company] < 2) continue;
      if (!hq_done.insert(company).second) continue;
      const int hq = g_.CountryIndex(CompanyHq(company));
      if (hq < 0) continue;
      auto agg = by_country.find(static_cast<uint32_t>(hq));
      if (agg != by_country.end()) {
        // A country named only in passing ("U.S.-listed", "second after
        // the US") is no more the story's for being the company's home
        // when another place is.
        if (!agg->second.named && !agg->second.dateline &&
            PlacedElsewhere(by_country, agg->first)) {
          continue;
        }
        agg->second.score += kHqBonus;
      } else if (inner_places_.contains(static_cast<uint32_t>(hq))) {
        by_country[static_cast<uint32_t>(hq)].score += kHqBonus;
      }
    }
    std::vector<std::pair<uint32_t, const Agg*>> order;
    // A dateline, or a country named again and again, places the story:
    // another country named once, even in the lead ("price pressure,
    // particularly in the U.S.", "exports to China rose"), is a passing one.
    auto places_story = [](const Agg& agg) {
      return agg.dateline || agg.score >= kPlacingScore;
    };
    bool dated = false, placed = false;
    int destinations = 0;
    for (const auto& [c, agg] : by_country) {
      dated = dated || agg.dateline;
      placed = placed || places_story(agg);
      destinations += agg.destination;
    }
    auto in_title = [](const Agg& agg) {
      for (const Mention* m : agg.mentions) {
        if (m->field == 0) return true;
      }
      return false;
    };
    // A headline that names where the story happens, other than as a
    // company's nationality ("German car workers shaken by GM cost-cutting").
    bool titled = false;
    for (const auto& [c, agg] : by_country) {
      titled = titled || (in_title(agg) && !agg.nationality_only &&
                          agg.score >= kCountryThreshold);
    }
    for (const auto& [c, agg] : by_country) {
      // A country in the headline is the story's whatever else places it
      // ("new cloud regions in Chile, Germany and Saudi Arabia").
      const bool headline = in_title(agg);
      // Without a dateline, a place where something happens or a company's
      // home is not passing ("€3.2 billion for Germany").
      const double threshold = placed && !places_story(agg) && !headline &&
                                       !agg.home && (dated || !agg.located)
                                   ? kPlacedOtherThreshold
                                   : kCountryThreshold;
      // "Finland's UPM to invest $3 billion in Uruguay": where the story
      // happens, not where its company is from.
      if (agg.nationality_only && destinations > 0 && !agg.destination) {
        continue;
      }
      // "... the US company ...", under a headline placed elsewhere: the
      // home of a party, not where the story happens.
      if (agg.incidental_only && titled && !headline) {
        // ... unless it is the nationality of a company the headline names
        // ("Sun Pharmaceutical wins US approval": "India's Sun
        // Pharmaceutical").
        bool of_title_company = false;
        for (const Mention* m : agg.mentions) {
          const uint32_t company = CompanyOfNationality(*m);
          of_title_company =
              of_title_company ||
              (company != 0 && title_companies.contains(company - 1));
        }
        if (!of_title_company) continue;
      }
      // A tag needs a mention of the country itself as evidence.
      if (agg.score >= threshold && (!agg.mentions.empty() || agg.dateline)) {
        order.emplace_back(c, &agg);
      }
    }
    std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
      return x.second->score != y.second->score
                 ? x.second->score > y.second->score
                 : x.first < y.first;
    });
    for (const auto& [c, agg] : order) {
      newsfeed::v1::CountryTag* tag = a->add_countries();
      tag->set_code(g_.countries()[c].code);
      tag->set_name(g_.countries()[c].name);
      tag->set_score(std::min(1.0, agg->score / 5.0));
      if (region_country == c) {
        const Field& field = fields_[dateline_field_];
        Mention span{dateline_field_, dateline_->begin, dateline_->place_end,
                     0};
        AddEvidence(
            span,
            absl::StrCat("dateline:", AV(TokText(field, dateline_->begin,
                                                 dateline_->place_end))),
            tag->add_evidence());
      }
      for (const Mention* m : agg->mentions) {
        if (tag->evidence_size() >= kMaxEvidence) break;
        const Pattern& pat = g_.patterns()[m->pattern];
        AddEvidence(*m,
                    InDateline(*m)
                        ? absl::StrCat("dateline:", pat.text)
                        : absl::StrCat(AV(PlaceRule(pat.place_kind)), pat.text),
                    tag->add_evidence());
      }
    }
    if (order.empty() && !NamesRegion()) {
      // The best of the countries named only in passing, for the weak
      // fallback.
      const Mention* best = nullptr;
      double best_score = 0;
      int named = 0;
      for (const auto& [c, agg] : by_country) {
        named += !agg.mentions.empty();
        if (agg.score > best_score && !agg.mentions.empty()) {
          best_score = agg.score;
          best = agg.mentions.front();
        }
      }
      // "San Miguel Yamamura Asia Corp's P3.99-billion project": the money's
      // currency says more than a legal form's guess.
      const std::optional<uint32_t> main = MainCompany();
      const bool guess_from_form =
          main && *main >= g_.companies().size() &&
          unlisted_[*main - g_.companies().size()].hint_from_form;
      if (!guess_from_form || !EmitCurrencyFallback(a)) {
        EmitHqFallback(best, named == 1, a);
      }
      if (a->countries_size() == 0) EmitCurrencyFallback(a);
    }
  }

  // Nothing places the story, nor says where its company is from: money in
  // one country's own currency does ("₹937 per share", "133 billion yen"),
  // scored lowest. Not the dollar or the euro, which many countries use or
  // report in.
  // Returns whether it added a country.
  bool EmitCurrencyFallback(newsfeed::v1::Article* a) const {
    std::vector<std::pair<Amount, int>> found;
    FindAmounts(0, &found);
    FindAmounts(1, &found);
    int country = -1;
    const std::pair<Amount, int>* evidence = nullptr;
    for (const auto& amount : found) {
      const std::string_view cur = amount.first.currency;
      if (cur.size() != 3 || cur == "USD" || cur == "EUR" || cur[0] == 'X') {
        continue;
      }
      const int c = g_.CountryIndex(cur.substr(0, 2));
      if (c < 0 || (country >= 0 && c != country)) return false;  // two
      country = c;
      if (evidence == nullptr) evidence = &amount;
    }
    if (country < 0) return false;
    newsfeed::v1::CountryTag* tag = a->add_countries();
    tag->set_code(g_.countries()[country].code);
    tag->set_name(g_.countries()[country].name);
    tag->set_score(kWeakMentionScore);
    Mention span{evidence->second, evidence->first.begin, evidence->first.end,
                 0};
    AddEvidence(
        span, absl::StrCat("currency-fallback:", AV(evidence->first.currency)),
        tag->add_evidence());
    return true;
  }

  // Whether the article names a region larger than a country ("EU",
  // "Europe", "Asia"): then it is set somewhere, if not in one country.
  bool NamesRegion() const {
    static const absl::flat_hash_set<absl::string_view> kRegions = {
        "eu",     "europe",     "european", "asia",        "asian",
        "africa", "african",    "eurozone", "scandinavia", "nordic",
        "asean",  "latin",      "gulf",     "caribbean",   "balkans",
        "arctic", "antarctica", "brussels"};
    // After the lead a region is context ("African founders backed the
    // round"), not the story's setting; nor is one inside a company's name
    // ("San Miguel Yamamura Asia Corp").
    for (int f = 0; f < 2; ++f) {
      const auto& toks = fields_[f].t->tokens;
      const size_t end = f == 0 ? toks.size() : lead_end_;
      std::vector<bool> in_company(toks.size(), false);
      for (const Mention& c : companies_) {
        if (!c.accepted || c.field != f) continue;
        for (uint32_t k = c.begin; k < c.end; ++k) in_company[k] = true;
      }
      for (size_t k = 0; k < end; ++k) {
        const Token& tok = toks[k];
        if (in_company[k]) continue;
        // "Europe's most valuable company": a ranking, not a setting.
        if (tok.kind == TokenKind::kWord && tok.upper_initial &&
            kRegions.contains(AV(tok.key)) &&
            !(k + 1 < toks.size() && toks[k + 1].key == "'")) {
          return true;
        }
      }
    }
    return false;
  }

  // Whether a mention follows a capitalized word of its sentence, as a word
  // of a longer name does ("Duvar English", "Premier League").
  bool InsideName(const Mention& m) const {
    const auto& toks = fields_[m.field].t->tokens;
    if (m.begin == 0) return false;
    const Token& before = toks[m.begin - 1];
    static const absl::flat_hash_set<std::string_view> kOpeners = {
        "the", "a",  "an",  "as",  "in",    "of",   "for",  "to",   "by",
        "on",  "at", "and", "but", "while", "with", "from", "after"};
    return before.kind == TokenKind::kWord && before.upper_initial &&
           before.sentence == toks[m.begin].sentence &&
           !kOpeners.contains(before.key);
  }

  // No place decides: the story is most likely set where the company it is
  // about is based ("XYZ Corp 4th qtr net", "Siemens lifts outlook").
  void EmitHqFallback(const Mention* passing, bool sole,
                      newsfeed::v1::Article* a) {
    const std::optional<uint32_t> main = MainCompany();
    int hq = main ? g_.CountryIndex(CompanyHq(*main)) : -1;
    // A nationality the text states, even in passing, beats the guess from
    // a legal form ("Brick Brewing Co ..., the Canadian brewer said").
    if (hq >= 0 && passing != nullptr && *main >= g_.companies().size() &&
        unlisted_[*main - g_.companies().size()].hint_from_form) {
      hq = -1;
    }
    if (hq < 0) {
      // Nothing says where the company is from: the country named, if only
      // in passing ("the Canadian brewer said", "Kolkata-based"), is the
      // best guess, scored lowest.
      // With no company, only a country named alone ("pushing Ireland to
      // do its share"): of two, neither is more the story's than the other.
      if (passing == nullptr) return;
      // ... and not a word of a name ("Duvar English", a news site).
      if (!main && (!sole || InsideName(*passing))) return;
      const Pattern& pat = g_.patterns()[passing->pattern];
      newsfeed::v1::CountryTag* tag = a->add_countries();
      tag->set_code(g_.countries()[pat.target].code);
      tag->set_name(g_.countries()[pat.target].name);
      tag->set_score(kWeakMentionScore);
      AddEvidence(*passing,
                  absl::StrCat("weak-mention:", AV(PlaceRule(pat.place_kind)),
                               pat.text),
                  tag->add_evidence());
      return;
    }
    newsfeed::v1::CountryTag* tag = a->add_countries();
    tag->set_code(g_.countries()[hq].code);
    tag->set_name(g_.countries()[hq].name);
    tag->set_score(kHqFallbackScore);
    for (const Mention& m : companies_) {
      if (!m.accepted || CompanyKey(m) != *main) continue;
      AddEvidence(m, absl::StrCat("hq-fallback:", AV(CompanyName(*main))),
                  tag->add_evidence());
      break;
    }
  }

  // A phrase inside a longer phrase of a topic that suppresses its own
  // ("jobs" in "cut 200 jobs", a layoffs phrase) belongs to that topic.
  // `longer` holds the multi-word matches of suppressing topics.
  bool InsideSuppressingPhrase(
      const Mention& m, const std::vector<const Mention*>& longer) const {
    const auto& by = g_.topics()[g_.patterns()[m.pattern].target].suppressed_by;
    if (by.empty()) return false;
    for (const Mention* o : longer) {
      if (o->field != m.field || o->begin > m.begin) continue;
      if (o->end < m.end || o->end - o->begin <= m.end - m.begin) continue;
      const uint32_t t = g_.patterns()[o->pattern].target;
      if (std::find(by.begin(), by.end(), t) != by.end()) return true;
    }
    return false;
  }

  // Wire-style results: several lines of "<measure> <figure> vs <figure>"
  // ("Shr 32 cts vs 21 cts", "Net 1,234,000 vs 987,000", "Revs 12.3 mln vs
  // 10.1 mln"). Returns the first such line's tokens, or nullopt.
  std::optional<std::pair<uint32_t, uint32_t>> ResultsTable() const {
    static const absl::flat_hash_set<absl::string_view> kMeasures = {
        "shr",       "shrs",     "net",    "revs",     "revenues",
        "revenue",   "sales",    "oper",   "qtr",      "avg",
        "loss",      "profit",   "income", "turnover", "div",
        "qtly",      "nine",     "six",    "year",     "mths",
        "eps",       "ebitda",   "pretax", "pre-tax",  "gross",
        "operating", "dividend", "shares", "assets",   "deposits",
        "loans",     "earnings", "per",    "1st",      "2nd",
        "3rd",       "4th",      "first",  "second",   "third",
        "fourth",    "primary",  "fully",  "diluted",  "extraordinary",
        "tax",       "interest", "note"};
    const auto& toks = fields_[1].t->tokens;
    int lines = 0;
    std::optional<std::pair<uint32_t, uint32_t>> first;
    size_t i = 0;
    while (i < toks.size()) {
      const uint32_t sentence = toks[i].sentence;
      const size_t begin = i;
      const bool measure = toks[i].kind == TokenKind::kWord &&
                           kMeasures.contains(AV(toks[i].key));
      bool versus = false, figure = false;
      if (!measure) {
        while (i < toks.size() && toks[i].sentence == sentence) ++i;
        continue;
      }
      for (; i < toks.size() && toks[i].sentence == sentence; ++i) {
        const std::string_view key = toks[i].key;
        if (key.size() >= 2 && key[0] == 'v' &&
            (key == "vs" || key == "versus")) {
          versus = true;
        }
        if (toks[i].kind == TokenKind::kNumber) figure = true;
      }
      if (measure && versus && figure && i - begin <= 30) {
        if (!first)
          first = {static_cast<uint32_t>(begin), static_cast<uint32_t>(i)};
        ++lines;
      }
    }
    if (lines >= 2) return first;
    return std::nullopt;
  }

  // Whether a topic phrase names, or stands in, a company whose name says
  // the topic: "Mistral AI", "Stability AI" (the cue "AI" inside the name),
  // not "Toyota" or "Tata Motors", whose stories are as often about markets
  // as about cars.
  bool CompanyNamedForTopic(const Mention& m) const {
    const uint32_t topic = g_.patterns()[m.pattern].target;
    for (const Mention& c : companies_) {
      if (c.field != m.field || c.begin > m.begin || m.end > c.end) continue;
      for (const Mention& r : rules_) {
        if (r.field == c.field && r.begin >= c.begin && r.end <= c.end &&
            r.end - r.begin < c.end - c.begin &&
            g_.patterns()[r.pattern].target == topic &&
            g_.patterns()[r.pattern].weight > 0) {
          return true;
        }
      }
    }
    return false;
  }

  // Whether a topic phrase stands in the dateline or is the news agency
  // credited there ("PARIS (Reuters) -", "Nov 4, 2015 (LBO) -"): it says
  // who filed the story, not what it is about.
  bool InCredit(const Mention& m) const {
    if (dateline_ && m.field == dateline_field_ &&
        m.begin >= dateline_->begin && m.end <= dateline_->end) {
      return true;
    }
    if (m.field != 1) return false;
    const auto& toks = fields_[1].t->tokens;
    return m.begin > 0 && m.end + 1 < toks.size() && m.begin < lead_end_ &&
           toks[m.begin - 1].key == "(" && toks[m.end].key == ")" &&
           toks[m.end + 1].key == "-";
  }

  // Whether a topic phrase is a word inside a company's name ("Boan
  // Biotechnology", "Harbor Telecom"): the name says what the company does,
  // not what the story is about, unless the headline names that company
  // (CompanyNamedForTopic: "Sakana AI closes Series B round").
  // company_span[f][k] is the span of the accepted company mention holding
  // token k of field f, or {0, 0}.
  bool InsideCompanyName(
      const Mention& m,
      const std::vector<std::pair<uint32_t, uint32_t>>* company_span) const {
    const auto [begin, end] = company_span[m.field][m.begin];
    if (begin > m.begin || m.end > end || end - begin <= m.end - m.begin) {
      return false;
    }
    // Energy's words name many companies whose news is not the energy
    // business ("Duke Energy directors resign"): for a topic whose words
    // are common in passing, a company's name is never the subject.
    if (g_.topics()[g_.patterns()[m.pattern].target].needs_lead) return true;
    for (const Mention& r : rules_) {
      if (r.field == 0 && r.pattern == m.pattern && CompanyNamedForTopic(r)) {
        return false;
      }
    }
    return true;
  }

  // Whether a sum of money ends right before mention m: "$10bn", "3
  // billion yuan", "Rs 500 crore", "€40 million".
  bool AmountBefore(const Mention& m) const {
    static const absl::flat_hash_set<absl::string_view> kScales = {
        "billion", "million", "bn",    "mln",  "trillion", "crore",
        "lakh",    "yuan",    "euros", "euro", "dollars",  "pounds"};
    const auto& toks = fields_[m.field].t->tokens;
    if (m.begin == 0) return false;
    const Token& prev = toks[m.begin - 1];
    if (prev.kind == TokenKind::kWord) return kScales.contains(AV(prev.key));
    return prev.kind == TokenKind::kNumber && m.begin >= 2 &&
           toks[m.begin - 2].kind == TokenKind::kSymbol;
  }

  // Whether a company's name follows the phrase: "to buy Oakleaf Corp".
  bool CompanyAfter(const Mention& m) const {
    for (const Mention& c : companies_) {
      if (c.field == m.field && c.begin == m.end && c.accepted) return true;
    }
    return false;
  }

  // Whether a hiring word takes a company as its object: "NASA hires
  // SpaceX" is a contract, not a job.
  bool HiresACompany(const Mention& m) const {
    const std::string_view w = g_.patterns()[m.pattern].lower_text;
    return (w == "hire" || w == "hires" || w == "hired" || w == "hiring") &&
           CompanyAfter(m);
  }

  // A topic phrase's word stem: a one-word phrase's first kStemBytes bytes
  // ("expan" for "expand", "expanding" and "expansion"), a longer phrase
  // itself.
  static std::string_view Stem(const Pattern& pat) {
    constexpr size_t kStemBytes = 5;
    const std::string_view text = pat.lower_text;
    if (text.find(' ') != std::string_view::npos) return text;
    return text.substr(0, kStemBytes);
  }

  // Whether an investing word puts money into another company: "invest $4
  // billion in the start-up Anthropic", "an investment into Ayala" buy a
  // share of it (a funding round or a stake), not plants or capacity. Its
  // own unit ("Samsung's investment in Samsung Austin Semiconductor") and a
  // company's plant or project ("in Tesla's new plant") are still spending.
  bool InvestsInACompany(const Mention& m) const {
    static const absl::flat_hash_set<absl::string_view> kInvesting = {
        "invest",    "invests",     "invested",   "investing",
        "to invest", "will invest", "investment", "investments"};
    // Words that end the descriptors before the object's name: "in a joint
    // venture with Toyota", "in its unit", "in cash for".
    static const absl::flat_hash_set<absl::string_view> kBreaks = {
        "with", "of",  "by",    "from", "for", "and", "to", "at",
        "on",   "its", "their", "his",  "her", "our", "or", "as"};
    // Words after the name that make it the owner of what is invested in,
    // right after it or after its possessive ("Tesla's new plant").
    static const absl::flat_hash_set<absl::string_view> kAssets = {
        "plant",     "plants",  "factory",  "factories", "facility",
        "project",   "site",    "mine",     "refinery",  "operations",
        "expansion", "network", "capacity", "campus",    "complex"};
    constexpr size_t kAssetWindow = 4;
    constexpr size_t kObjectWindow =
        20;  // "up to US$4 billion (...) in cash in"
    constexpr size_t kDescriptorWords = 6;  // "the high-profile start-up"
    if (!kInvesting.contains(AV(g_.patterns()[m.pattern].lower_text))) {
      return false;
    }
    const auto& toks = fields_[m.field].t->tokens;
    const uint32_t sentence = toks[m.begin].sentence;
    for (size_t k = m.end; k < toks.size() && k - m.end < kObjectWindow; ++k) {
      if (toks[k].sentence != sentence || toks[k].key == ";") return false;
      if (toks[k].key != "in" && toks[k].key != "into") continue;
      size_t words = 0;
      for (size_t j = k + 1; j < toks.size() && words <= kDescriptorWords;
           ++j) {
        if (toks[j].sentence != sentence || kBreaks.contains(AV(toks[j].key)) ||
            toks[j].key == ",") {
          break;
        }
        words += toks[j].kind == TokenKind::kWord;
        const Mention* object = nullptr;
        for (const Mention& c : companies_) {
          if (c.accepted && c.field == m.field && c.begin == j) object = &c;
        }
        if (object == nullptr) continue;
        for (size_t a = object->end;
             a < toks.size() && a - object->end < kAssetWindow &&
             toks[a].sentence == sentence;
             ++a) {
          if (kAssets.contains(AV(toks[a].key))) return false;
          if (a == object->end && toks[a].key != "'s" && toks[a].key != "'") {
            break;
          }
        }
        // The investor's own unit shares its first word.
        for (const Mention& c : companies_) {
          if (c.accepted && c.field == m.field && c.end <= m.begin &&
              toks[c.begin].sentence == sentence &&
              toks[c.begin].key == toks[object->begin].key) {
            return false;
          }
        }
        return true;
      }
    }
    return false;
  }

  // Whether a topic phrase is one item of an enumeration ("chips for
  // mobile, 5G, AI and computing", "clients include A, B, C and D"): an
  // item of a list is named in passing. It takes a separator right next to
  // the phrase and kListCommas commas around it in its sentence.
  bool InEnumeration(const Mention& m) const {
    const auto& toks = fields_[m.field].t->tokens;
    auto separator = [&](size_t k) {
      const std::string_view key = toks[k].key;
      return key == "," || key == "and" || key == "or";
    };
    const bool next = m.end < toks.size() && toks[m.end].key == ",";
    const bool prev = m.begin > 0 && separator(m.begin - 1);
    if (!next && !prev) return false;
    const uint32_t sentence = toks[m.begin].sentence;
    int commas = 0;
    for (size_t k = m.begin; k > 0 && m.begin - k < kListWindow; --k) {
      if (toks[k - 1].sentence != sentence) break;
      commas += toks[k - 1].key == ",";
    }
    for (size_t k = m.end; k < toks.size() && k - m.end < kListWindow; ++k) {
      if (toks[k].sentence != sentence) break;
      commas += toks[k].key == ",";
    }
    return commas >= kListCommas;
  }

  // Whether a topic phrase is one of the examples a list gives ("in
  // sectors such as oil and gas, pharmaceuticals and IT", "uses including
  // 5G, cameras and AI"): the sentence is about what they have in common.
  bool InExamples(const Mention& m) const {
    const auto& toks = fields_[m.field].t->tokens;
    auto separator = [&](size_t k) {
      const std::string_view key = toks[k].key;
      return key == "," || key == "and" || key == "or";
    };
    const bool next = m.end < toks.size() && separator(m.end);
    const bool prev = m.begin > 0 && separator(m.begin - 1);
    if (!next && !prev) return false;
    const uint32_t sentence = toks[m.begin].sentence;
    bool comma = false;
    for (size_t k = m.begin; k > 0 && m.begin - k < kExampleWindow; --k) {
      const Token& tok = toks[k - 1];
      if (tok.sentence != sentence) return false;
      comma = comma || tok.key == ",";
      if (tok.key == "including" ||
          (tok.key == "as" && k >= 2 && toks[k - 2].key == "such")) {
        if (comma) return true;
        for (size_t j = m.end; j < toks.size() && j < m.end + kListWindow;
             ++j) {
          if (toks[j].sentence != sentence) break;
          if (toks[j].key == ",") return true;
        }
        return false;
      }
    }
    return false;
  }

  void EmitTopics(newsfeed::v1::Article* a) {
    struct Agg {
      double score = 0;
      std::vector<const Mention*> mentions;
      // Distinct phrases, and whether one stands in the title or lead: a
      // topic named once in passing deep in the body is not the subject.
      int distinct = 0;
      bool prominent = false;
      bool in_title = false;
      double strongest = 0;          // the largest weight of one of its phrases
      std::optional<Mention> genre;  // a results table (earnings)
    };
    const auto& topics = g_.topics();
    // Per-thread scratch: a fresh vector of this size per article would be
    // a large allocation each time.
    thread_local std::vector<Agg> by_topic;
    by_topic.resize(topics.size());
    for (Agg& agg : by_topic) {
      agg.score = 0;
      agg.mentions.clear();
      agg.distinct = 0;
      agg.prominent = false;
      agg.in_title = false;
      agg.strongest = 0;
      agg.genre.reset();
    }
    // Counts per pattern, in per-thread scratch reset after use.
    thread_local std::vector<uint8_t> repeats;
    repeats.resize(g_.patterns().size(), 0);
    thread_local std::vector<bool> in_title;
    in_title.resize(g_.patterns().size(), false);
    // Where the last counted phrase of each topic ends, per field: a phrase
    // overlapping a longer one of the same topic ("cloud" in "cloud
    // computing") adds nothing. rules_ is in text order, longest first.
    std::vector<uint32_t> covered(2 * topics.size(), 0);
    std::vector<bool> suppresses(topics.size(), false);
    for (const internal::Topic& t : topics) {
      for (uint32_t by : t.suppressed_by) suppresses[by] = true;
    }
    // Forms of one word ("expanding", "expansion"; "committed",
    // "commitment") are one phrase when counting different ones.
    // Few per article: a vector searched in order beats a hash set built
    // for each one.
    thread_local std::vector<std::pair<uint32_t, std::string_view>> stems_seen;
    stems_seen.clear();
    auto first_of_stem = [&](uint32_t topic, std::string_view stem) {
      for (const auto& [t, s] : stems_seen) {
        if (t == topic && s == stem) return false;
      }
      stems_seen.emplace_back(topic, stem);
      return true;
    };
    std::vector<const Mention*> longer;
    for (const Mention& m : rules_) {
      if (m.end - m.begin >= 2 && suppresses[g_.patterns()[m.pattern].target]) {
        longer.push_back(&m);
      }
    }
    // A negative cue ("the company's own shares" for mna) says its whole
    // sentence is not about its topic.
    // A negative cue inside a longer phrase of its topic is that phrase
    // ("strike" in "air strike", a guard).
    std::vector<const Mention*> negative;
    for (const Mention& m : rules_) {
      if (g_.patterns()[m.pattern].weight >= 0) continue;
      bool inside = false;
      for (const Mention& o : rules_) {
        inside =
            inside || (o.field == m.field && o.begin <= m.begin &&
                       m.end <= o.end && o.end - o.begin > m.end - m.begin &&
                       g_.patterns()[o.pattern].target ==
                           g_.patterns()[m.pattern].target);
      }
      if (!inside) negative.push_back(&m);
    }
    auto negated = [&](const Mention& m) {
      const auto& toks = fields_[m.field].t->tokens;
      for (const Mention* n : negative) {
        if (n->field == m.field &&
            g_.patterns()[n->pattern].target ==
                g_.patterns()[m.pattern].target &&
            toks[n->begin].sentence == toks[m.begin].sentence) {
          return true;
        }
      }
      return false;
    };
    thread_local std::vector<std::pair<uint32_t, uint32_t>> company_span[2];
    for (int f = 0; f < 2; ++f) {
      company_span[f].assign(fields_[f].t->tokens.size(), {0, 0});
    }
    for (const Mention& c : companies_) {
      if (!c.accepted || (c.unlisted >= 0 && unlisted_[c.unlisted].from_list)) {
        continue;
      }
      for (uint32_t k = c.begin; k < c.end; ++k) {
        company_span[c.field][k] = {c.begin, c.end};
      }
    }
    for (const Mention& m : rules_) {
      const Pattern& pat = g_.patterns()[m.pattern];
      uint32_t& end = covered[m.field * topics.size() + pat.target];
      if (m.begin < end) continue;
      if (pat.weight < 0 || (!negative.empty() && negated(m))) {
        end = std::max(end, m.end);
        continue;
      }
      if (!longer.empty() && InsideSuppressingPhrase(m, longer)) continue;
      if (InCredit(m) || HiresACompany(m) || InvestsInACompany(m)) continue;
      end = m.end;
      if (repeats[m.pattern] >= kMaxRuleRepeats) continue;
      ++repeats[m.pattern];
      Agg& agg = by_topic[pat.target];
      agg.score +=
          pat.weight * (m.field == 0 ? kTitleFactor : 1.0) *
          (InExamples(m)      ? kPassingPhraseFactor * kPassingPhraseFactor
           : InEnumeration(m) ? kPassingPhraseFactor
                              : 1.0) *
          (InsideCompanyName(m, company_span) ? kPassingPhraseFactor : 1.0);
      agg.mentions.push_back(&m);
      if (pat.weight > 0) {
        // A company named for the topic ("Mistral AI"), the headline's
        // subject and named again in the body, is what the story is about;
        // a weak word repeated ("margin") is not.
        if (repeats[m.pattern] == 1) {
          agg.distinct += first_of_stem(pat.target, Stem(pat));
          in_title[m.pattern] = m.field == 0 && CompanyNamedForTopic(m);
        } else if (in_title[m.pattern] && m.field == 1) {
          ++agg.distinct;
          in_title[m.pattern] = false;
        }
        // A sum of money makes a cue specific: "a $10bn investment", "a
        // 3 billion yuan plant"; not in results, where every figure is one
        // ("₹937 per share").
        // So does a company as the phrase's object for a topic that says
        // so ("to buy Oakleaf Corp").
        const bool specific =
            pat.weight >= kPricedPhraseWeight &&
            ((static_cast<int>(pat.target) != g_.earnings_topic() &&
              AmountBefore(m)) ||
             (topics[pat.target].company_object && CompanyAfter(m)));
        agg.strongest = std::max(agg.strongest,
                                 specific ? kStrongPhraseWeight : pat.weight);
        agg.prominent = agg.prominent || m.field == 0 || m.begin < lead_end_;
        agg.in_title = agg.in_title || m.field == 0;
      }
    }
    const int earnings_topic_ = g_.earnings_topic();
    if (earnings_topic_ >= 0) {
      if (auto table = ResultsTable()) {
        Agg& agg = by_topic[earnings_topic_];
        agg.score += kResultsTableWeight;
        agg.distinct += 2;
        agg.prominent = true;
        agg.strongest = kResultsTableWeight;
        agg.genre = Mention{1, table->first, table->second, 0};
      }
    }
    for (const Mention& m : rules_) {
      repeats[m.pattern] = 0;
      in_title[m.pattern] = false;
    }
    // A long article says many things in passing (kTopicWords).
    const double scale =
        std::clamp(std::sqrt(static_cast<double>(body_words_) / kTopicWords),
                   1.0, kMaxTopicScale);
    auto passes = [&](uint32_t t) {
      const Agg& agg = by_topic[t];
      // One weak word, however often or wherever it stands ("margin" in a
      // headline), is not a subject: it takes a strong phrase or two.
      return (!agg.mentions.empty() || agg.genre) &&
             agg.score >= topics[t].threshold * scale &&
             (agg.prominent ||
              agg.distinct >= (topics[t].needs_lead ? kMinDistinctUnprominent
                                                    : kMinDistinctPhrases)) &&
             (agg.strongest >= kStrongPhraseWeight ||
              agg.distinct >= (topics[t].needs_strong ? kMinDistinctWeak
                                                      : kMinDistinctPhrases));
    };
    std::vector<std::pair<uint32_t, const Agg*>> order;
    for (uint32_t t = 0; t < by_topic.size(); ++t) {
      const Agg& agg = by_topic[t];
      const internal::Topic& topic = topics[t];
      if (!passes(t)) continue;
      // A topic that restates another ("regulation" in an antitrust case,
      // "jobs" in a layoffs story) stands only when it is strong on its own
      // and clearly stronger than that one.
      bool suppressed = false;
      for (uint32_t by : topic.suppressed_by) {
        // The headline's subject is not restating what only the body says
        // ("SAATCHI BUYS CLEVELAND CONSULTING", then the target's profits).
        if (agg.in_title && !by_topic[by].in_title) continue;
        suppressed = suppressed ||
                     (passes(by) && (agg.score < 2 * topic.threshold * scale ||
                                     agg.score <= 1.5 * by_topic[by].score));
      }
      if (!suppressed) order.emplace_back(t, &agg);
    }
    std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
      return x.second->score != y.second->score
                 ? x.second->score > y.second->score
                 : x.first < y.first;
    });
    for (const auto& [t, agg] : order) {
      const internal::Topic& topic = g_.topics()[t];
      newsfeed::v1::TopicTag* tag = a->add_topics();
      tag->set_id(topic.id);
      tag->set_name(topic.name);
      tag->set_score(std::min(1.0, agg->score / (2 * topic.threshold * scale)));
      if (agg->genre) {
        AddEvidence(*agg->genre, "genre:results-table", tag->add_evidence());
      }
      for (const Mention* m : agg->mentions) {
        if (tag->evidence_size() >= kMaxEvidence) break;
        AddEvidence(*m, absl::StrCat("phrase:", g_.patterns()[m->pattern].text),
                    tag->add_evidence());
      }
    }
  }

  // ---- Money ----

  struct Amount {
    double value;
    std::string_view currency;
    uint32_t begin, end;  // tokens
  };

  static std::optional<double> Scale(const Token& tok, std::string_view word) {
    static const absl::flat_hash_map<std::string_view, double> kScales = {
        {"thousand", 1e3},  {"million", 1e6}, {"mn", 1e6},   {"mln", 1e6},
        {"mio", 1e6},       {"billion", 1e9}, {"bn", 1e9},   {"bln", 1e9},
        {"trillion", 1e12}, {"tn", 1e12},     {"trn", 1e12}, {"crore", 1e7},
        {"crores", 1e7},    {"cr", 1e7},      {"lakh", 1e5}, {"lakhs", 1e5}};
    static const absl::flat_hash_map<std::string_view, double> kLetters = {
        {"k", 1e3}, {"m", 1e6}, {"b", 1e9}, {"t", 1e12}};
    if (tok.kind != TokenKind::kWord) return std::nullopt;
    if (auto it = kScales.find(word); it != kScales.end()) return it->second;
    // "$2m", "€5.5B": a single letter counts only when attached.
    if (!tok.space_before) {
      if (auto it = kLetters.find(word); it != kLetters.end())
        return it->second;
    }
    return std::nullopt;
  }

  static std::optional<double> Number(const Field& f, const Token& tok) {
    if (tok.kind != TokenKind::kNumber) return std::nullopt;
    std::string digits;
    for (char c : f.text.substr(tok.begin, tok.end - tok.begin)) {
      if (c != ',') digits.push_back(c);
    }
    double v = 0;
    auto [ptr, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) {
      return std::nullopt;
    }
    return v;
  }

  // Currency written before the number: "$", "US$", "€", "EUR", "Rs".
  std::string_view PrefixCurrency(const Field& f, size_t i,
                                  uint32_t* begin) const {
    const auto& toks = f.t->tokens;
    const Token& tok = toks[i];
    *begin = static_cast<uint32_t>(i);
    const std::string_view raw = f.text.substr(tok.begin, tok.end - tok.begin);
    if (tok.kind == TokenKind::kSymbol) {
      if (raw == "$") {
        if (i > 0 && toks[i - 1].kind == TokenKind::kWord &&
            toks[i - 1].end == tok.begin) {
          static const absl::flat_hash_map<std::string_view, std::string_view>
              kDollars = {{"us", "USD"}, {"c", "CAD"},  {"ca", "CAD"},
                          {"a", "AUD"},  {"au", "AUD"}, {"hk", "HKD"},
                          {"s", "SGD"},  {"nz", "NZD"}, {"r", "BRL"},
                          {"mx", "MXN"}, {"nt", "TWD"}};
          if (auto it = kDollars.find(toks[i - 1].key); it != kDollars.end()) {
            *begin = static_cast<uint32_t>(i - 1);
            return it->second;
          }
        }
        return "USD";
      }
      if (raw == "\u20AC") return "EUR";
      if (raw == "\u00A3") return "GBP";
      if (raw == "\u00A5") return "JPY";
      if (raw == "\u20B9") return "INR";
      if (raw == "\u20A9") return "KRW";
      if (raw == "\u20BD") return "RUB";
      if (raw == "\u20BA") return "TRY";
      if (raw == "\u20A6") return "NGN";
      if (raw == "\u20B1") return "PHP";
      if (raw == "\u20AA") return "ILS";
      if (raw == "\u0E3F") return "THB";
      if (raw == "\u20AB") return "VND";
      if (raw == "\u20B4") return "UAH";
      return {};
    }
    if (tok.kind == TokenKind::kWord) {
      if (tok.all_upper && raw.size() == 3 && g_.IsCurrencyCode(raw)) {
        return raw;
      }
      if (raw == "Rs" || raw == "INR") return "INR";
      if (raw == "RMB") return "CNY";
      if (raw == "Rp") return "IDR";
      if (raw == "RM") return "MYR";
    }
    return {};
  }

  // Currency written after the number: "5 billion euros", "4bn EUR".
  std::string_view SuffixCurrency(const Field& f, size_t i,
                                  uint32_t* end) const {
    const auto& toks = f.t->tokens;
    if (i >= toks.size() || toks[i].kind != TokenKind::kWord) return {};
    const Token& tok = toks[i];
    const std::string_view raw = f.text.substr(tok.begin, tok.end - tok.begin);
    *end = static_cast<uint32_t>(i + 1);
    if (tok.all_upper && raw.size() == 3 && g_.IsCurrencyCode(raw)) return raw;
    static const absl::flat_hash_map<std::string_view, std::string_view>
        kWords = {{"euro", "EUR"},    {"euros", "EUR"},    {"dollars", "USD"},
                  {"pounds", "GBP"},  {"sterling", "GBP"}, {"yen", "JPY"},
                  {"yuan", "CNY"},    {"renminbi", "CNY"}, {"rupees", "INR"},
                  {"rupee", "INR"},   {"won", "KRW"},      {"francs", "CHF"},
                  {"kronor", "SEK"},  {"rand", "ZAR"},     {"reais", "BRL"},
                  {"pesos", "MXN"},   {"ringgit", "MYR"},  {"dirhams", "AED"},
                  {"riyals", "SAR"},  {"rubles", "RUB"},   {"lira", "TRY"},
                  {"naira", "NGN"},   {"rupiah", "IDR"},   {"zloty", "PLN"},
                  {"zlotys", "PLN"},  {"forint", "HUF"},   {"forints", "HUF"},
                  {"baht", "THB"},    {"shekels", "ILS"},  {"hryvnias", "UAH"},
                  {"hryvnia", "UAH"}, {"roubles", "RUB"},  {"krona", "SEK"},
                  {"rials", ""},      {"dinars", ""},      {"shillings", "KES"},
                  {"cedis", "GHS"},   {"kroner", ""},      {"krone", ""},
                  {"crowns", ""}};
    auto it = kWords.find(tok.key);
    if (it == kWords.end()) return {};
    if (i > 0) {
      // "Canadian dollars", "Argentine pesos", "Czech crowns": a country
      // adjective right before a currency word shared by several countries.
      // "" above: the word is money only with such an adjective.
      static const absl::flat_hash_map<std::string_view, std::string_view>
          kKinds = {{"canadian", "CAD"},   {"australian", "AUD"},
                    {"singapore", "SGD"},  {"taiwan", "TWD"},
                    {"zealand", "NZD"},    {"kong", "HKD"},
                    {"argentine", "ARS"},  {"argentinian", "ARS"},
                    {"chilean", "CLP"},    {"colombian", "COP"},
                    {"philippine", "PHP"}, {"uruguayan", "UYU"},
                    {"egyptian", "EGP"},   {"czech", "CZK"},
                    {"danish", "DKK"},     {"norwegian", "NOK"},
                    {"swedish", "SEK"},    {"icelandic", "ISK"},
                    {"pakistani", "PKR"},  {"lankan", "LKR"},
                    {"nepalese", "NPR"},   {"ugandan", "UGX"},
                    {"tanzanian", "TZS"},  {"kuwaiti", "KWD"},
                    {"bahraini", "BHD"},   {"jordanian", "JOD"},
                    {"iraqi", "IQD"},      {"algerian", "DZD"},
                    {"serbian", "RSD"},    {"tunisian", "TND"},
                    {"qatari", "QAR"},     {"omani", "OMR"},
                    {"iranian", "IRR"},    {"jamaican", "JMD"}};
      if (auto k = kKinds.find(toks[i - 1].key); k != kKinds.end()) {
        return k->second;
      }
    }
    return it->second;
  }

  void FindAmounts(int f, std::vector<std::pair<Amount, int>>* out) const {
    const Field& field = fields_[f];
    const auto& toks = field.t->tokens;
    int64_t last_end = -10;
    for (size_t i = 0; i < toks.size(); ++i) {
      // An amount starts with a number, a currency sign or a capitalized
      // code ("EUR", "Rs", "US$"); skip everything else cheaply.
      if (toks[i].kind == TokenKind::kPunct ||
          (toks[i].kind == TokenKind::kWord && !toks[i].upper_initial)) {
        continue;
      }
      uint32_t begin = 0;
      std::string_view currency = PrefixCurrency(field, i, &begin);
      size_t n = currency.empty() ? i : i + 1;
      // "Rs. 500 crore": a full stop after a word prefix.
      if (!currency.empty() && toks[i].kind == TokenKind::kWord &&
          n + 1 < toks.size() && toks[n].kind == TokenKind::kPunct &&
          toks[n].key == "." && !toks[n].space_before) {
        ++n;
      }
      std::optional<double> value;
      if (n < toks.size()) value = Number(field, toks[n]);
      if (!value) continue;
      if (currency.empty()) begin = static_cast<uint32_t>(n);
      size_t k = n + 1;
      double scale = 1;
      // "a Rs 5,000-crore plant", "a $5-billion deal": a hyphen between the
      // number and its scale word.
      if (k + 1 < toks.size() && toks[k].key == "-" && !toks[k].space_before &&
          !toks[k + 1].space_before && Scale(toks[k + 1], toks[k + 1].key)) {
        ++k;
      }
      if (k < toks.size()) {
        if (auto s = Scale(toks[k], toks[k].key)) {
          scale = *s;
          ++k;
          // "1.5 lakh crore": a second scale word multiplies the first
          // ("lakh crore" = 1e12).
          if (k < toks.size() && toks[k].space_before) {
            if (auto s2 = Scale(toks[k], toks[k].key)) {
              scale *= *s2;
              ++k;
            }
          }
        }
      }
      uint32_t end = static_cast<uint32_t>(k);
      if (currency.empty()) {
        // Adjectives between scale and the currency word: "Canadian dollars",
        // "Swiss francs", "Hong Kong dollars".
        size_t c = k;
        while (c < toks.size() && c < k + 2 && toks[c].upper_initial &&
               SuffixCurrency(field, c, &end).empty()) {
          ++c;
        }
        currency = SuffixCurrency(field, c, &end);
        // "3 million won" is money only with a scale (and never "won 3").
        if (currency.empty() || (currency == "KRW" && scale == 1)) continue;
      }
      if (end < toks.size() && toks[end].key == "+" &&
          !toks[end].space_before) {
        ++end;
      }
      // "€5.5 billion ($6 billion)": a converted figure in parentheses
      // restates the previous amount.
      const bool conversion = begin >= 1 && toks[begin - 1].key == "(" &&
                              last_end >= static_cast<int64_t>(begin) - 3;
      last_end = end;
      if (!conversion) {
        out->push_back({{*value * scale, currency, begin, end}, f});
      }
      i = end - 1;
    }
  }

  std::string AttributeAmount(const Amount& amt, int f) const {
    // The company that is the subject: the only one named before the amount
    // in its sentence ("Amazon invested €1.2 billion").
    const auto& toks = fields_[f].t->tokens;
    const uint32_t sentence = toks[amt.begin].sentence;
    absl::flat_hash_set<uint32_t> before;
    for (const Mention& m : companies_) {
      if (!m.accepted || m.field != f || m.begin >= amt.begin) continue;
      if (toks[m.begin].sentence != sentence) continue;
      before.insert(CompanyKey(m));
    }
    if (before.size() != 1) return "";
    return std::string(CompanyId(*before.begin()));
  }

  void EmitAmounts(newsfeed::v1::Article* a) const {
    std::vector<std::pair<Amount, int>> found;
    FindAmounts(0, &found);
    FindAmounts(1, &found);
    for (const auto& [amt, f] : found) {
      std::string company = AttributeAmount(amt, f);
      // The same figure restated (headline and body) is one amount.
      newsfeed::v1::MoneyAmount* dup = nullptr;
      for (auto& existing : *a->mutable_amounts()) {
        if (existing.currency() == amt.currency &&
            std::fabs(existing.value() - amt.value) <= 1e-9 * amt.value) {
          dup = &existing;
        }
      }
      if (dup != nullptr) {
        if (dup->company_id().empty()) dup->set_company_id(company);
        continue;
      }
      newsfeed::v1::MoneyAmount* m = a->add_amounts();
      m->set_value(amt.value);
      m->set_currency(std::string(amt.currency));
      const Field& field = fields_[f];
      m->set_text(std::string(TokText(field, amt.begin, amt.end)));
      m->set_company_id(company);
      Mention span{f, amt.begin, amt.end, 0};
      AddEvidence(span, "money", m->mutable_evidence());
    }
  }

  // Buffers that keep their capacity from one article to the next on the
  // same thread: no allocation per article once warm. Tag is not
  // reentrant on a thread, so one set per thread suffices.
  struct Scratch {
    TokenizedText text[2];
    std::vector<Mention> companies, places, rules;
    std::vector<uint64_t> hashes;
  };
  static inline thread_local Scratch scratch_;

  const Gazetteer& g_;
  Field fields_[2];
  std::vector<Mention>& companies_ = scratch_.companies;
  std::vector<Mention>& places_ = scratch_.places;
  std::vector<Mention>& rules_ = scratch_.rules;
  absl::flat_hash_set<uint32_t> inner_places_;
  std::vector<UnlistedCompany> unlisted_;
  // Per field: the key + 1 of the accepted company mention that starts at
  // token k, and of the one that ends before token k; 0 where none does.
  std::vector<uint32_t> company_starts_[2];
  std::vector<uint32_t> company_ends_[2];
  struct UnlistedRuleRecord {
    int field;
    uint32_t begin;
    std::string rule;
  };
  std::vector<UnlistedRuleRecord> unlisted_rules_;
  std::optional<internal::Dateline> dateline_;
  int dateline_field_ = 1;  // the body's, or the title's when it has none
  uint32_t lead_end_ = 0;   // body tokens before this are the lead
  std::vector<uint64_t>& hashes_ = scratch_.hashes;  // KeyHash per token
  size_t body_words_ = 0;
};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", static_cast<int>(c));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

template <typename Repeated>
void AppendMessages(std::string_view key, const Repeated& items,
                    std::string* out) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  absl::StrAppend(out, ",\"", AV(key), "\":[");
  bool first = true;
  for (const auto& item : items) {
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(item, &json, opts).ok()) {
      continue;  // cannot happen for these messages: they hold valid UTF-8
    }
    if (!first) out->push_back(',');
    first = false;
    out->append(json);
  }
  out->push_back(']');
}

std::string ErrorLine(const google::protobuf::Value* id, std::string_view why) {
  std::string out = "{\"id\":";
  if (id != nullptr &&
      id->kind_case() == google::protobuf::Value::kStringValue) {
    AppendJsonString(id->string_value(), &out);
  } else if (id != nullptr &&
             id->kind_case() == google::protobuf::Value::kNumberValue) {
    AppendJsonString(absl::StrFormat("%.17g", id->number_value()), &out);
  } else {
    out.append("null");
  }
  out.append(",\"error\":");
  AppendJsonString(why, &out);
  out.push_back('}');
  return out;
}

}  // namespace

Tagger::Tagger(std::unique_ptr<internal::Gazetteer> gazetteer)
    : gazetteer_(std::move(gazetteer)) {}

Tagger::~Tagger() = default;

absl::StatusOr<std::unique_ptr<Tagger>> Tagger::Create(
    const TaggerOptions& options) {
  auto g = std::make_unique<internal::Gazetteer>();
  for (int i = 0; i < internal::kNumBuiltinFiles; ++i) {
    const internal::BuiltinFile& file = internal::kBuiltinFiles[i];
    if (absl::Status s = g->AddFile(file.name, file.text); !s.ok()) return s;
  }
  for (const std::string& path : options.extra_data_files) {
    absl::StatusOr<std::string> text = ReadFile(path);
    if (!text.ok()) return text.status();
    if (absl::Status s = g->AddFile(path, *text); !s.ok()) return s;
  }
  if (absl::Status s = g->Finish(); !s.ok()) return s;
  return std::unique_ptr<Tagger>(new Tagger(std::move(g)));
}

void Tagger::Tag(newsfeed::v1::Article* article) const {
  article->clear_companies();
  article->clear_countries();
  article->clear_topics();
  article->clear_amounts();
  const std::string& body = article->content_text().empty()
                                ? article->summary()
                                : article->content_text();
  Analysis analysis(*gazetteer_, article->title(), body);
  analysis.Run(article);
}

size_t Tagger::company_count() const { return gazetteer_->companies().size(); }
size_t Tagger::alias_count() const { return gazetteer_->alias_count(); }
size_t Tagger::country_count() const { return gazetteer_->countries().size(); }
size_t Tagger::topic_count() const { return gazetteer_->topics().size(); }

std::string TagJsonLine(const Tagger& tagger, std::string_view line) {
  google::protobuf::Struct input;
  google::protobuf::util::JsonParseOptions parse_opts;
  auto st = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(line.data(), line.size()), &input,
      parse_opts);
  if (!st.ok()) {
    return ErrorLine(nullptr,
                     absl::StrCat("not a JSON object: ", st.ToString()));
  }
  const auto& fields = input.fields();
  auto get = [&](const char* key) -> const google::protobuf::Value* {
    auto it = fields.find(key);
    return it == fields.end() ? nullptr : &it->second;
  };
  const google::protobuf::Value* id = get("id");
  if (id != nullptr &&
      id->kind_case() != google::protobuf::Value::kStringValue &&
      id->kind_case() != google::protobuf::Value::kNumberValue) {
    return ErrorLine(nullptr, "\"id\" must be a string or a number");
  }
  newsfeed::v1::Article article;
  for (const char* key : {"title", "text", "summary"}) {
    const google::protobuf::Value* v = get(key);
    if (v == nullptr || v->kind_case() == google::protobuf::Value::kNullValue) {
      continue;
    }
    if (v->kind_case() != google::protobuf::Value::kStringValue) {
      return ErrorLine(id, absl::StrCat("\"", key, "\" must be a string"));
    }
    if (std::string_view(key) == "title") {
      article.set_title(v->string_value());
    } else if (std::string_view(key) == "text") {
      article.set_content_text(v->string_value());
    } else {
      article.set_summary(v->string_value());
    }
  }
  tagger.Tag(&article);

  std::string out = "{\"id\":";
  if (id == nullptr) {
    out.append("null");
  } else if (id->kind_case() == google::protobuf::Value::kStringValue) {
    AppendJsonString(id->string_value(), &out);
  } else {
    AppendJsonString(absl::StrFormat("%.17g", id->number_value()), &out);
  }
  out.append(",\"companies\":[");
  for (int i = 0; i < article.companies_size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(article.companies(i).name(), &out);
  }
  out.append("],\"countries\":[");
  for (int i = 0; i < article.countries_size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(article.countries(i).code(), &out);
  }
  out.append("],\"topics\":[");
  for (int i = 0; i < article.topics_size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(article.topics(i).id(), &out);
  }
  out.append("],\"amounts\":[");
  for (int i = 0; i < article.amounts_size(); ++i) {
    const newsfeed::v1::MoneyAmount& m = article.amounts(i);
    if (i > 0) out.push_back(',');
    absl::StrAppendFormat(&out, "{\"value\":%.15g,\"currency\":", m.value());
    AppendJsonString(m.currency(), &out);
    out.append(",\"text\":");
    AppendJsonString(m.text(), &out);
    std::string company;
    for (const auto& c : article.companies()) {
      if (c.id() == m.company_id()) company = c.name();
    }
    out.append(",\"company\":");
    AppendJsonString(company, &out);
    out.push_back('}');
  }
  out.push_back(']');
  AppendMessages("company_tags", article.companies(), &out);
  AppendMessages("country_tags", article.countries(), &out);
  AppendMessages("topic_tags", article.topics(), &out);
  AppendMessages("amount_tags", article.amounts(), &out);
  out.push_back('}');
  return out;
}

}  // namespace newsfeed::ingest
