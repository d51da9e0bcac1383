#include "ingest-service/tagger/company_finder.h"

#include <algorithm>
#include <array>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "ingest-service/tagger/gazetteer.h"

namespace newsfeed::ingest::internal {
namespace {

absl::string_view AV(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

enum class FormCase : uint8_t {
  kCapitalized,  // "Inc", "Corp", "Ltd" (also "INC")
  kAnyCase,      // "plc", "PLC", "Plc"
  kUpper,        // "AG", "SA", "S.A.", "NV": ordinary words in lower case
};

struct LegalForm {
  FormCase letter_case;
  std::string_view hq;  // implied headquarters country, or empty
};

// Legal forms, keyed by their letters lowered without dots ("S.A." -> "sa").
const absl::flat_hash_map<absl::string_view, LegalForm>& Forms() {
  static const auto* kForms =
      new absl::flat_hash_map<absl::string_view, LegalForm>{
          {"inc", {FormCase::kCapitalized, "US"}},
          {"incorporated", {FormCase::kCapitalized, "US"}},
          {"corp", {FormCase::kCapitalized, "US"}},
          {"corporation", {FormCase::kCapitalized, ""}},
          {"company", {FormCase::kCapitalized, ""}},
          {"co", {FormCase::kCapitalized, "US"}},
          {"llc", {FormCase::kAnyCase, "US"}},
          {"llp", {FormCase::kUpper, ""}},
          {"lp", {FormCase::kUpper, ""}},
          {"ltd", {FormCase::kCapitalized, ""}},
          {"limited", {FormCase::kCapitalized, ""}},
          {"plc", {FormCase::kAnyCase, "GB"}},
          {"ag", {FormCase::kUpper, "DE"}},
          {"gmbh", {FormCase::kAnyCase, "DE"}},
          {"kgaa", {FormCase::kAnyCase, "DE"}},
          {"se", {FormCase::kUpper, ""}},
          {"sa", {FormCase::kUpper, ""}},
          {"sab", {FormCase::kUpper, "MX"}},
          {"sas", {FormCase::kUpper, "FR"}},
          {"sarl", {FormCase::kUpper, ""}},
          {"spa", {FormCase::kCapitalized, "IT"}},
          {"srl", {FormCase::kAnyCase, "IT"}},
          {"nv", {FormCase::kUpper, "NL"}},
          {"bv", {FormCase::kUpper, "NL"}},
          {"ab", {FormCase::kUpper, "SE"}},
          {"asa", {FormCase::kUpper, "NO"}},
          {"as", {FormCase::kUpper, ""}},
          {"a/s", {FormCase::kUpper, "DK"}},
          {"oyj", {FormCase::kCapitalized, "FI"}},
          {"kk", {FormCase::kUpper, "JP"}},
          {"bhd", {FormCase::kCapitalized, "MY"}},
          {"berhad", {FormCase::kCapitalized, "MY"}},
          {"tbk", {FormCase::kCapitalized, "ID"}},
          {"pcl", {FormCase::kCapitalized, "TH"}},
          {"pty", {FormCase::kCapitalized, "AU"}},
          {"pte", {FormCase::kCapitalized, "SG"}},
          {"ltda", {FormCase::kCapitalized, "BR"}},
          {"nl", {FormCase::kUpper, ""}},
          {"pvt", {FormCase::kCapitalized, "IN"}},
          // Joint-stock forms of Russia and the Gulf, and the Gulf's and
          // Egypt's own: "Union Properties PJSC", "Ooredoo QPSC", "Omantel
          // SAOG", "Tharwa Petroleum Company SAE".
          {"pjsc", {FormCase::kAnyCase, ""}},
          {"ojsc", {FormCase::kAnyCase, ""}},
          {"jsc", {FormCase::kUpper, ""}},
          {"qsc", {FormCase::kUpper, "QA"}},
          {"qpsc", {FormCase::kUpper, "QA"}},
          {"saog", {FormCase::kUpper, "OM"}},
          {"ksc", {FormCase::kUpper, "KW"}},
          {"kscp", {FormCase::kUpper, "KW"}},
          {"bsc", {FormCase::kUpper, "BH"}},
          {"sae", {FormCase::kUpper, "EG"}},
      };
  return *kForms;
}

const LegalForm* FindForm(std::string_view compact) {
  auto it = Forms().find(AV(compact));
  return it == Forms().end() ? nullptr : &it->second;
}

// What a word can be in a company name's context, one bit per list below.
enum Role : uint32_t {
  kExchange = 1u << 0,        // "NYSE", "Nasdaq": before a ticker
  kLeadingNonName = 1u << 1,  // "Rival", "Shares", "Monday": not a name
  kGenericName = 1u << 2,     // "Holdings", "International": no name alone
  kHeadWord = 1u << 3,        // "Technologies", "Airlines": ends a company
  kMarketWord = 1u << 4,      // "European", "tech": shares of a market
  kCompanyNoun = 1u << 5,     // "startup", "retailer": a kind of company
  kPublicBody = 1u << 6,      // "Ministry", "University": not a company
  kForm = 1u << 7,            // a one-word legal form ("Inc", "plc")
  // An institution's word, no company's even with a form or ticker
  // ("Ministry", "Board", "Reuters"); a subset of kPublicBody.
  kInstitution = 1u << 8,
};

// The word lists, looked up by the tokenizer's key hash behind a bit filter
// (as the gazetteer does): a word that is in no list, which is almost every
// word, costs one bit test.
class RoleTable {
 public:
  RoleTable() {
    Add(kExchange,
        {"nyse",     "nasdaq",   "amex",     "tsx",      "tsxv",    "asx",
         "lse",      "aim",      "hkex",     "sehk",     "sgx",     "nse",
         "bse",      "otc",      "otcqb",    "otcqx",    "otcmkts", "euronext",
         "xetra",    "six",      "tse",      "jse",      "krx",     "kosdaq",
         "kospi",    "bmv",      "bovespa",  "cse",      "neo",     "frankfurt",
         "fse",      "ase",      "idx",      "set",      "pse",     "tase",
         "egx",      "ngx",      "nzx",      "bist",     "moex",    "wse",
         "nasdaqgs", "nasdaqgm", "nasdaqcm", "nysearca", "sse",     "szse"});
    // Pronouns and sentence adverbs open sentences, not names ("It said
    // it", "Earlier USAir said").
    Add(kLeadingNonName, {"it", "he", "she", "they", "we", "this", "that",
                          "these", "those", "earlier", "later", "separately",
                          "meanwhile", "also", "however", "now", "then"});
    // Sentence adverbs: "Accordingly, the company expects".
    Add(kLeadingNonName,
        {"accordingly",  "additionally", "furthermore",  "moreover",
         "consequently", "likewise",     "similarly",    "nevertheless",
         "nonetheless",  "finally",      "overall",      "instead",
         "thus",         "hence",        "therefore",    "indeed",
         "besides",      "otherwise",    "previously",   "currently",
         "recently",     "subsequently", "alternatively"});
    Add(kLeadingNonName, {"the",
                          "a",
                          "pt",
                          "an",
                          "rival",
                          "rivals",
                          "shares",
                          "unit",
                          "units",
                          "subsidiary",
                          "parent",
                          "its",
                          "their",
                          "his",
                          "her",
                          "our",
                          "in",
                          "on",
                          "at",
                          "for",
                          "by",
                          "with",
                          "from",
                          "to",
                          "of",
                          "and",
                          "or",
                          "but",
                          "as",
                          "after",
                          "before",
                          "while",
                          "when",
                          "if",
                          "both",
                          "analysts",
                          "investors",
                          "officials",
                          "says",
                          "said",
                          "according",
                          "update",
                          "brief",
                          "exclusive",
                          "breaking",
                          "chipmaker",
                          "carmaker",
                          "automaker",
                          "retailer",
                          "lender",
                          "insurer",
                          "startup",
                          "start-up",
                          "firm",
                          "company",
                          "group",
                          "owner",
                          "buyer",
                          "seller",
                          "partner",
                          "partners",
                          "chairman",
                          "ceo",
                          "president",
                          "executive",
                          "director",
                          "spokesman",
                          "spokeswoman",
                          "spokesperson",
                          "mr",
                          "ms",
                          "mrs",
                          "dr",
                          "under",
                          "about",
                          "into",
                          "also",
                          "now",
                          "then",
                          "that",
                          "this",
                          "these",
                          "those",
                          "which",
                          "who",
                          "where",
                          "how",
                          "why",
                          "what",
                          "today",
                          "yesterday",
                          "monday",
                          "tuesday",
                          "wednesday",
                          "thursday",
                          "friday",
                          "saturday",
                          "sunday",
                          "new-york-based",
                          "january",
                          "february",
                          "march",
                          "april",
                          "may",
                          "june",
                          "july",
                          "august",
                          "september",
                          "october",
                          "november",
                          "december",
                          "governor",
                          "minister",
                          "secretary",
                          "commissioner",
                          "chancellor",
                          "senator",
                          "judge",
                          "mayor",
                          "king",
                          "queen",
                          "prince",
                          "pope",
                          "sir",
                          "lord",
                          "professor",
                          "founder",
                          "co-founder",
                          "jan",
                          "feb",
                          "mar",
                          "apr",
                          "jun",
                          "jul",
                          "aug",
                          "sep",
                          "sept",
                          "oct",
                          "nov",
                          "dec",
                          "afp",
                          "ap",
                          "reuters",
                          "bloomberg",
                          "xinhua",
                          "dpa",
                          "ians",
                          "pti",
                          "upi",
                          "efe",
                          "ansa",
                          "kyodo",
                          "yonhap",
                          "bernama",
                          "tass",
                          "ria",
                          "its",
                          "own",
                          "agencies",
                          "governments",
                          "govts",
                          "banks",
                          "dealers",
                          "traders",
                          "funds",
                          "consumers",
                          "farmers",
                          "buyers",
                          "sellers",
                          "shoppers",
                          "households",
                          "companies",
                          "firms",
                          "customers",
                          "importers",
                          "exporters",
                          "mills",
                          "refiners",
                          "producers",
                          "users",
                          "conglomerates",
                          "lenders",
                          "insurers",
                          "carmakers",
                          "automakers",
                          "retailers",
                          "miners",
                          "chipmakers",
                          "drugmakers",
                          "brokers",
                          "brokerages",
                          "operators",
                          "developers",
                          "startups",
                          "manufacturers",
                          "suppliers",
                          "groups"});
    // Groups of people, not firms: "Minority Shareholder Group", "Creditor
    // Group", "Steering Group".
    Add(kGenericName, {"shareholder", "shareholders", "minority", "creditor",
                       "creditors", "bondholder", "bondholders", "steering"});
    Add(kGenericName, {"holding",
                       "holdings",
                       "group",
                       "company",
                       "international",
                       "global",
                       "national",
                       "general",
                       "united",
                       "the",
                       "first",
                       "new",
                       "trust",
                       "industries",
                       "enterprises",
                       "partners",
                       "capital",
                       "investment",
                       "investments",
                       "management",
                       "services",
                       "resources",
                       "of",
                       "&",
                       "and",
                       "-",
                       ".",
                       "'",
                       "s",
                       "corporate",
                       "limited",
                       "inc",
                       "corp",
                       "co",
                       "ltd",
                       "construction",
                       "development",
                       "trading",
                       "engineering",
                       "manufacturing",
                       "technology",
                       "industrial",
                       "commercial",
                       "transport",
                       "transportation",
                       "pension",
                       "retirement",
                       "fund",
                       "funds",
                       "asset",
                       "assets",
                       "private",
                       "public",
                       "federal",
                       "state",
                       "central",
                       "city",
                       "county",
                       "regional",
                       "joint",
                       "venture",
                       "natural",
                       "mineral",
                       "minerals",
                       "petroleum",
                       "chemical",
                       "chemicals",
                       "energy",
                       "oil",
                       "gas",
                       "mining"});
    Add(kHeadWord, {"partners", "holding", "bank", "bancorp"});
    Add(kHeadWord, {"technologies",
                    "technology",
                    "tech",
                    "pharmaceuticals",
                    "pharma",
                    "therapeutics",
                    "biosciences",
                    "biotech",
                    "biotherapeutics",
                    "systems",
                    "software",
                    "networks",
                    "communications",
                    "telecom",
                    "telecoms",
                    "motors",
                    "automotive",
                    "airlines",
                    "airways",
                    "bancorp",
                    "bancshares",
                    "financial",
                    "resources",
                    "mining",
                    "minerals",
                    "petroleum",
                    "steel",
                    "chemicals",
                    "foods",
                    "beverages",
                    "brands",
                    "labs",
                    "laboratories",
                    "industries",
                    "holdings",
                    "ventures",
                    "logistics",
                    "shipping",
                    "properties",
                    "realty",
                    "semiconductor",
                    "semiconductors",
                    "electronics",
                    "robotics",
                    "media",
                    "entertainment",
                    "studios",
                    "games",
                    "aerospace",
                    "aviation",
                    "instruments",
                    "devices",
                    "diagnostics",
                    "genomics",
                    "materials",
                    "energies",
                    "utilities",
                    "railways",
                    "exploration",
                    "drilling",
                    "payments",
                    "securities",
                    "insurance",
                    "motor",
                    "apparel",
                    "retail",
                    "stores",
                    "dynamics",
                    "microsystems",
                    "interactive",
                    "solar",
                    "batteries",
                    "biotechnology",
                    "biotechnologies",
                    "medtech",
                    "biopharma",
                    "biopharmaceutical",
                    "biopharmaceuticals",
                    "biologics",
                    "bioscience",
                    "lab",
                    "analytics",
                    "solutions",
                    "associates",
                    "cement",
                    "brewery",
                    "breweries",
                    "telemedia",
                    "mobility",
                    "oncology",
                    "genetics",
                    "supplies",
                    "supply",
                    "brothers"});
    Add(kMarketWord,
        {"european", "asian",    "tech",      "technology", "bank",
         "banking",  "energy",   "oil",       "mining",     "gold",
         "airline",  "chip",     "property",  "insurance",  "financial",
         "growth",   "value",    "class",     "common",     "preferred",
         "ordinary", "index",    "the",       "its",        "their",
         "company",  "u",        "us",        "world",      "global",
         "emerging", "frontier", "small",     "large",      "blue",
         "retail",   "utility",  "a",         "b",          "c",
         "new",      "treasury", "bitcoin",   "ether",      "sterling",
         "brent",    "copper",   "silver",    "crude",      "wheat",
         "corn",     "platinum", "palladium", "yen",        "euro",
         "dollar",   "rupee",    "yuan"});
    Add(kCompanyNoun,
        {"startup",     "start-up",     "firm",          "carmaker",
         "automaker",   "retailer",     "lender",        "insurer",
         "chipmaker",   "miner",        "conglomerate",  "manufacturer",
         "developer",   "supplier",     "distributor",   "airline",
         "brokerage",   "operator",     "subsidiary",    "affiliate",
         "giant",       "maker",        "producer",      "company",
         "fintech",     "biotech",      "telco",         "drugmaker",
         "steelmaker",  "shipbuilder",  "shipper",       "refiner",
         "utility",     "grocer",       "supermarket",   "unicorn",
         "cooperative", "co-operative", "multinational", "group",
         "unit",        "chain",        "outfit",        "builder",
         "bank",        "brand",        "provider",      "brewer",
         "carrier",     "consultancy",  "exporter",      "importer",
         "tyremaker",   "tiremaker",    "automaker",     "telecoms",
         "railroad",    "planemaker",   "jeweller",      "homebuilder",
         "utilities"});
    // News agencies and outlets, credited as sources ("Reuters said its
    // survey"), are no companies here.
    Add(kPublicBody, {"exchange", "opec", "nato", "imf"});
    Add(kPublicBody | kInstitution,
        {"reuters", "bloomberg", "xinhua", "kyodo", "yonhap", "afp", "interfax",
         "bernama", "antara", "tass", "dpa", "ansa", "efe"});
    Add(kPublicBody, {"nikkei", "techcrunch", "cnbc", "bbc"});
    Add(kPublicBody, {"european", "asian", "african", "islamic", "export",
                      "import", "export-import", "world", "trading"});
    Add(kPublicBody | kInstitution,
        {"ministry",   "department",   "agency",       "commission",
         "authority",  "council",      "university",   "institute",
         "federation", "committee",    "board",        "bureau",
         "office",     "court",        "foundation",   "society",
         "club",       "league",       "team",         "government",
         "parliament", "senate",       "police",       "army",
         "navy",       "school",       "college",      "hospital",
         "church",     "organization", "organisation", "forum",
         "program",    "programme",    "initiative",   "coalition",
         "treasury",   "monetary"});
    Add(kPublicBody,
        {"association", "union",    "party",    "alliance", "state",
         "states",      "republic", "kingdom",  "city",     "county",
         "province",    "region",   "district", "world",    "international",
         "global",      "national", "central",  "federal",  "reserve",
         "development", "social",   "asia",     "europe",   "america",
         "americas",    "africa",   "latin",    "pacific",  "atlantic",
         "eurozone",    "middle",   "east"});
    for (const auto& [form, unused] : Forms()) {
      Add(kForm, {std::string_view(form.data(), form.size())});
    }
  }

  // The roles of the word whose Gazetteer::KeyHash is h.
  uint32_t Get(uint64_t h) const {
    if (((bits_[(h >> 6) & kBitMask] >> (h & 63)) & 1) == 0) return 0;
    auto it = roles_.find(h);
    return it == roles_.end() ? 0 : it->second;
  }

 private:
  void Add(uint32_t role, std::initializer_list<std::string_view> words) {
    for (std::string_view w : words) {
      const uint64_t h = Gazetteer::KeyHash(w);
      roles_[h] |= role;
      bits_[(h >> 6) & kBitMask] |= uint64_t{1} << (h & 63);
    }
  }

  static constexpr uint64_t kBitMask = 1023;
  std::array<uint64_t, 1024> bits_{};
  absl::flat_hash_map<uint64_t, uint32_t> roles_;
};

const RoleTable& Roles() {
  static const RoleTable* const kTable = new RoleTable();
  return *kTable;
}

bool HasRole(std::string_view key, uint32_t role) {
  return (Roles().Get(Gazetteer::KeyHash(key)) & role) != 0;
}

bool MayBeForm(std::string_view key) { return HasRole(key, kForm); }

// Exchanges named before a ticker: "(NYSE: ACME)", "(TSX-V: FOO)".
bool IsExchange(std::string_view key) { return HasRole(key, kExchange); }

// Capitalized words that open a sentence or a phrase without being part of
// the name after them: "Rival Acme Inc", "Shares in Acme plc".
bool IsLeadingNonName(std::string_view key) {
  return HasRole(key, kLeadingNonName);
}

// Words that are no name on their own: "Holding Co", "The Company Ltd".
bool IsGenericNameWord(std::string_view key) {
  return HasRole(key, kGenericName);
}

// Whether a "-" token is a hyphen, which joins the words of a name
// ("Mercedes-Benz"), and not a dash, which parts a dateline or a clause
// from a name even when set without spaces ("SINGAPORE—Singapore
// Airlines").
bool IsHyphen(const Token& tok, std::string_view text) {
  if (tok.key != "-") return false;
  const std::string_view raw = text.substr(tok.begin, tok.end - tok.begin);
  return raw == "-" || raw == "\u2010" || raw == "\u2011";
}

bool IsNameWord(const Token& tok, std::string_view text) {
  if (tok.kind == TokenKind::kNumber) return true;  // "3M", "21st Century"
  return tok.kind == TokenKind::kWord &&
         (tok.upper_initial ||
          static_cast<unsigned char>(text[tok.begin]) >= 0x80);
}

// Letters of the attached tokens from i on ("S.A." -> "sa", "A/S" -> "a/s",
// "Inc." -> "inc"); sets *end to the token after them.
std::string CompactAt(const TokenizedText& t, size_t i, size_t* end) {
  std::string compact;
  size_t k = i;
  const auto& toks = t.tokens;
  while (k < toks.size() && k < i + 8 && (k == i || !toks[k].space_before)) {
    const Token& tok = toks[k];
    if (tok.kind == TokenKind::kWord) {
      compact.append(tok.key);
    } else if (tok.key == "/") {
      compact.push_back('/');
    } else if (tok.key != ".") {
      break;
    }
    ++k;
  }
  // "Inc.," leaves the comma; a trailing "/" is no part of a form.
  while (k > i + 1 && toks[k - 1].key == "/") {
    --k;
    compact.pop_back();
  }
  *end = k;
  return compact;
}

bool CaseFits(FormCase c, const Token& first, std::string_view raw) {
  switch (c) {
    case FormCase::kAnyCase:
      return true;
    case FormCase::kCapitalized:
      return first.upper_initial;
    case FormCase::kUpper:
      for (char ch : raw) {
        if (ch >= 'a' && ch <= 'z') return false;
      }
      return true;
  }
  return false;
}

// The legal form starting at token i, if any: sets *end past it (and past
// a second form: "Co., Ltd.", "Pty Ltd", "Sdn Bhd", "S.A. de C.V.").
const LegalForm* FormAt(const TokenizedText& t, std::string_view text, size_t i,
                        size_t* end) {
  const auto& toks = t.tokens;
  const Token& first = toks[i];
  if (first.kind != TokenKind::kWord || first.key.size() > 12) return nullptr;
  // Most words are not forms: one lookup of the word alone says so, unless
  // dots or a slash join it to more letters ("S.A.", "A/S").
  if (!MayBeForm(first.key)) {
    // "S.A.", "N.V.", "A/S": a letter joined to more by dots or a slash.
    const bool joined = first.key.size() == 1 && i + 1 < toks.size() &&
                        !toks[i + 1].space_before &&
                        (toks[i + 1].key == "." || toks[i + 1].key == "/");
    if (!joined) return nullptr;
  } else if (FindForm(first.key) == nullptr) {
    const bool joined = i + 1 < toks.size() && !toks[i + 1].space_before &&
                        (toks[i + 1].key == "." || toks[i + 1].key == "/");
    if (!joined) return nullptr;
  }
  size_t k = 0;
  const std::string compact = CompactAt(t, i, &k);
  const LegalForm* form = FindForm(compact);
  if (form == nullptr) return nullptr;
  const std::string_view raw =
      text.substr(first.begin, toks[k - 1].end - first.begin);
  if (compact == "spa" && raw != "S.p.A." && raw != "SpA" && raw != "SPA" &&
      raw != "S.p.A" && raw != "Spa") {
    return nullptr;
  }
  if (!CaseFits(form->letter_case, first, raw)) return nullptr;
  // A form is the end of a name: not "Co-founder", "AG's office" is fine.
  if (k < toks.size() && toks[k].key == "-" && !toks[k].space_before) {
    return nullptr;
  }
  *end = k;
  for (int more = 0; more < 2; ++more) {
    size_t j = *end;
    if (j < toks.size() && toks[j].key == ",") ++j;
    if (j < toks.size() && toks[j].key == "de") ++j;  // "S.A. de C.V."
    if (j >= toks.size()) break;
    size_t k2 = 0;
    const std::string next = CompactAt(t, j, &k2);
    const LegalForm* f2 = FindForm(next);
    if (next == "cv" || (f2 != nullptr && toks[j].upper_initial)) {
      *end = k2;
    } else {
      break;
    }
  }
  return form;
}

// A kind of company that describes a name before it and is rarely part of
// one: "Steelmaker", "Miner", "Retailer"; not "Bank" or "Airline".
bool IsDescriptiveCompanyNoun(std::string_view key) {
  static const absl::flat_hash_set<absl::string_view> kInNames = {
      "bank",   "brand",   "chain",         "company",     "group",
      "unit",   "airline", "supermarket",   "cooperative", "co-operative",
      "giant",  "utility", "multinational", "brokerage",   "outfit",
      "lender", "insurer", "builder"};
  return HasRole(key, kCompanyNoun) && !kInNames.contains(AV(key));
}

// Walks left from token `end` (exclusive) over the words of a name; returns
// its first token, or `end` when there is none.
size_t NameStart(const TokenizedText& t, std::string_view text, size_t end) {
  static const absl::flat_hash_set<absl::string_view> kAfterAnd = {
      "sons",      "brothers",  "rubber",   "banking", "savings", "loan",
      "telegraph", "telephone", "electric", "power",   "light",   "water",
      "steel",     "cable",     "wire",     "lumber",  "paper",   "supply",
      "equipment", "machinery", "trade",    "finance"};
  const auto& toks = t.tokens;
  size_t k = end;
  size_t words = 0;
  while (k > 0 && words < 6) {
    const Token& tok = toks[k - 1];
    // A number joins a name only with a word attached: "3M", "21st
    // Century", never "9 Aldar Properties" or "Oct 17 Textron".
    const bool loose_number = tok.kind == TokenKind::kNumber &&
                              (k >= toks.size() || toks[k].space_before);
    // "Rival", "Partners", "Group" begin no name but may end one ("BGC
    // Partners Inc", "GFI Group Inc"): they are dropped from its start below.
    if (IsNameWord(tok, text) && !loose_number) {
      --k;
      ++words;
      continue;
    }
    // "Standard and Poor's Corp", "Harrah's Inc": a name may end in a
    // possessive before its legal form ("RIL's stock" is the owner's).
    if (words == 0 && k == end && end < toks.size() &&
        MayBeForm(toks[end].key) && tok.key == "s" && k >= 3 &&
        toks[k - 2].key == "'" && !tok.space_before &&
        !toks[k - 2].space_before && toks[k - 3].upper_initial &&
        toks[k - 3].kind == TokenKind::kWord) {
      k -= 2;
      continue;
    }
    if (words > 0 && k >= 2 && IsNameWord(toks[k - 2], text)) {
      // "Johnson & Johnson", "Mercedes-Benz", "J.P. Morgan", "Moody's",
      // "Bank of Tokyo".
      const bool attached = !tok.space_before && !toks[k].space_before;
      if (tok.key == "&" || (tok.key == "n" && !tok.upper_initial) ||
          (attached &&
           (IsHyphen(tok, text) || tok.key == "'" || tok.key == "/")) ||
          (tok.key == "." && !tok.space_before && toks[k - 2].key.size() == 1 &&
           toks[k].sentence == tok.sentence) ||
          (tok.key == "of" &&
           (toks[k - 2].key == "bank" || toks[k - 2].key == "trust"))) {
        --k;
        continue;
      }
      // Wire copy spells "&" as "and": "Alex. Brown and Sons Inc",
      // "Goodyear Tire and Rubber Co", "Standard and Poor's Corp", "B and
      // D Instruments". Elsewhere "and" joins two companies ("Telkom Kenya
      // and Vodafone Group", "Morinaga of Japan and Unibrands Ltd"), so
      // only a single word of trade, kin or possession follows it here.
      if (tok.key == "and" && toks[k].upper_initial &&
          toks[k - 2].upper_initial && toks[k - 2].kind == TokenKind::kWord &&
          !IsLeadingNonName(toks[k - 2].key) &&
          ((words == 1 && (HasRole(toks[k].key, kGenericName | kHeadWord) ||
                           kAfterAnd.contains(AV(toks[k].key)) ||
                           (k + 2 < toks.size() && toks[k + 1].key == "'" &&
                            toks[k + 2].key == "s"))) ||
           (words <= 2 && toks[k].key.size() == 1 &&
            toks[k - 2].key.size() == 1))) {
        --k;
        continue;
      }
    }
    break;
  }
  // A possessive inside ("Japan's Acme Corp") ends the owner, not the name.
  for (size_t j = end > 0 ? end - 1 : 0; j > k + 1; --j) {
    if (toks[j - 1].key == "s" && toks[j - 2].key == "'") {
      k = j;
      break;
    }
  }
  // A name never starts with a joiner or a word that leads up to names,
  // nor with a kind of company opening a sentence ("Steelmaker Acme Corp",
  // though "Bank Leumi" keeps its first word).
  while (k < end && (toks[k].kind == TokenKind::kPunct || toks[k].key == "of" ||
                     IsLeadingNonName(toks[k].key) ||
                     (k + 1 < end && IsDescriptiveCompanyNoun(toks[k].key)))) {
    ++k;
  }
  return k;
}

// Last words that make a capitalized name a company's when it reports or
// trades: "Acme Technologies said", "Borealis Pharmaceuticals reported".
bool IsCompanyHeadWord(std::string_view key) { return HasRole(key, kHeadWord); }

// Words that describe a market, not a company: "European shares rose",
// "shares of tech companies".
bool IsMarketWord(std::string_view key) { return HasRole(key, kMarketWord); }

// Walks right from token `begin` over the words of a name; returns the end.
std::string_view BareRic(const TokenizedText& t, std::string_view text,
                         size_t i);

size_t NameEnd(const TokenizedText& t, std::string_view text, size_t begin) {
  const auto& toks = t.tokens;
  size_t k = begin;
  size_t words = 0;
  while (k < toks.size() && words < 5) {
    const Token& tok = toks[k];
    // "Copec COP.SN": the code after a name is no part of it.
    if (k > begin && !BareRic(t, text, k).empty()) break;
    if (IsNameWord(tok, text) && tok.kind == TokenKind::kWord &&
        !IsLeadingNonName(tok.key)) {
      ++k;
      ++words;
      continue;
    }
    if (words > 0 && k + 1 < toks.size() && IsNameWord(toks[k + 1], text) &&
        (tok.key == "&" || (!tok.space_before && !toks[k + 1].space_before &&
                            IsHyphen(tok, text)))) {
      ++k;
      continue;
    }
    break;
  }
  return k;
}

// A name shown to be a company's by what it does in the sentence: "shares
// of Acme", "Acme shares fell", "Acme Technologies said". Sets [*begin,
// *end) to the name.
// Whether token i ends a description of ownership or listing that stands
// before a company's name: "state-owned", "family-run", "Nasdaq-listed",
// "privately held", "publicly traded".
bool OwnershipBefore(const TokenizedText& t, size_t i) {
  static const absl::flat_hash_set<absl::string_view> kHyphened = {
      "owned", "run", "listed", "controlled", "backed", "traded"};
  const auto& toks = t.tokens;
  const std::string_view key = toks[i].key;
  if ((key == "held" || key == "traded") &&
      (toks[i - 1].key == "privately" || toks[i - 1].key == "publicly")) {
    return true;
  }
  return toks[i - 1].key == "-" && !toks[i - 1].space_before &&
         !toks[i].space_before && toks[i - 2].kind == TokenKind::kWord &&
         kHyphened.contains(AV(key));
}

// Verbs of raising money: "raises", "secured", "lands", "bags".
bool IsFundingVerb(std::string_view key) {
  static const absl::flat_hash_set<absl::string_view> kVerbs = {
      "raises", "raised", "secures", "secured", "lands", "landed",
      "bags",   "nabs",   "closes",  "closed",  "snags"};
  return kVerbs.contains(AV(key));
}

bool IsMoneyScale(std::string_view key) {
  static const absl::flat_hash_set<absl::string_view> kScales = {
      "million", "billion", "mln", "bln", "bn", "m", "mn", "crore", "lakh"};
  return kScales.contains(AV(key));
}

// Whether token i starts a title only a company's officers hold: "CEO",
// "chief executive", "chief financial officer", "managing director".
// Not "founder": newspapers, charities and movements have founders too.
bool IsExecutiveTitle(const TokenizedText& t, size_t i) {
  const auto& toks = t.tokens;
  const Token& tok = toks[i];
  const std::string_view key = tok.key;
  if (key == "ceo" || key == "cfo" || key == "coo" || key == "cto") {
    return tok.all_upper;
  }
  if (i + 1 >= toks.size()) return false;
  const std::string_view next = toks[i + 1].key;
  if (key == "chief") {
    return next == "executive" || next == "financial" || next == "operating" ||
           next == "technology" || next == "investment";
  }
  return key == "managing" && next == "director";
}

bool ContextAt(const TokenizedText& t, std::string_view text, size_t i,
               size_t* begin, size_t* end, std::string_view* rule) {
  const auto& toks = t.tokens;
  const std::string_view key = toks[i].key;
  auto not_sentence_start = [&](size_t b) {
    return b > 0 && toks[b - 1].sentence == toks[b].sentence;
  };
  // "Quillmark CEO Dana Reyes", "Vardex's chief financial officer": only
  // companies have chief executives.
  if (IsExecutiveTitle(t, i)) {
    size_t e = i;
    if (e >= 2 && toks[e - 1].key == "s" && toks[e - 2].key == "'" &&
        !toks[e - 1].space_before && !toks[e - 2].space_before) {
      e -= 2;
    }
    *end = e;
    *begin = NameStart(t, text, e);
    *rule = "context:executive";
    if (*begin >= *end || *end - *begin > 4 ||
        (*end - *begin == 1 && toks[*begin].all_upper &&
         toks[*begin].key.size() <= 2)) {
      return false;
    }
    // "Deputy CEO", "Group CEO", "Former Chief Executive": a title's own
    // words are no name.
    static const absl::flat_hash_set<absl::string_view> kTitleWords = {
        "deputy",   "acting",  "interim",  "former",    "new",      "joint",
        "group",    "global",  "vice",     "senior",    "outgoing", "incoming",
        "ex",       "current", "company",  "then",      "founding", "co",
        "regional", "country", "division", "executive", "president"};
    for (size_t k = *begin; k < *end; ++k) {
      if (kTitleWords.contains(AV(toks[k].key))) return false;
    }
    return true;
  }
  if (key == "ceo" || key == "cfo" || key == "coo" || key == "cto" ||
      key == "chief" || key == "managing") {
    return false;
  }
  if (key == "shares" || key == "stock") {
    if (i + 2 < toks.size() && (toks[i + 1].key == "of" ||
                                (key == "shares" && toks[i + 1].key == "in"))) {
      *begin = i + 2;
      *end = NameEnd(t, text, *begin);
      *rule = key == "shares" ? "context:shares of" : "context:stock of";
      // "shares of Peter Thiel-backed AbCellera": the name describes.
      if (*end + 1 < toks.size() && toks[*end].key == "-" &&
          !toks[*end].space_before && !toks[*end + 1].upper_initial) {
        return false;
      }
      return *end > *begin &&
             !(*end - *begin == 1 && IsMarketWord(toks[*begin].key));
    }
    static const absl::flat_hash_set<absl::string_view> kMoves = {
        "rose",    "fell",    "jumped", "slid",   "dropped", "gained",
        "climbed", "tumbled", "surged", "sank",   "soared",  "plunged",
        "slumped", "rallied", "closed", "traded", "were",    "have",
        "edged",   "dipped",  "lost",   "added"};
    if (i + 1 < toks.size() && kMoves.contains(AV(toks[i + 1].key))) {
      *end = i;
      *begin = NameStart(t, text, i);
      *rule = "context:shares";
      if (*begin >= *end || !not_sentence_start(*begin)) return false;
      for (size_t k = *begin; k < *end; ++k) {
        if (IsMarketWord(toks[k].key)) return false;
      }
      return true;
    }
    return false;
  }
  // "FintechOS raises $14M", "Sera Prognostics has closed a $19.3 million
  // Series A": a sentence's subject that raises money is a company.
  if (IsFundingVerb(key)) {
    size_t b = i;
    if (b >= 1 && toks[b - 1].key == "has") --b;
    *end = b;
    *begin = NameStart(t, text, b);
    *rule = "context:raises";
    // "Bitcoin raised $2 billion in flows": a market is no company.
    if (*begin < *end && IsMarketWord(toks[*end - 1].key)) return false;
    if (*begin >= *end || *end - *begin > 3 || not_sentence_start(*begin) ||
        (*end - *begin == 1 && toks[*begin].all_upper &&
         toks[*begin].key.size() <= 2)) {
      return false;
    }
    // A sum right after the verb, or a round named after it; "closed"
    // needs the round ("Gold closed at $1,345" is a price).
    const bool closes = key == "closes" || key == "closed";
    for (size_t k = i + 1; k < toks.size() && k <= i + 8; ++k) {
      if (toks[k].sentence != toks[i].sentence) break;
      const std::string_view w = toks[k].key;
      if (w == "series" || w == "round" || w == "funding" || w == "financing") {
        return true;
      }
      if (closes || k > i + 4) continue;
      if (toks[k].kind == TokenKind::kSymbol) return true;
      if (toks[k].kind == TokenKind::kNumber && k + 1 < toks.size() &&
          IsMoneyScale(toks[k + 1].key)) {
        return true;
      }
    }
    return false;
  }
  // "Asante Gold completes acquisition of Bibiani Mine": only companies
  // complete acquisitions.
  if ((key == "completes" || key == "completed" || key == "concluded") &&
      i + 1 < toks.size() &&
      (toks[i + 1].key == "acquisition" || toks[i + 1].key == "purchase" ||
       (i + 2 < toks.size() &&
        (toks[i + 1].key == "the" || toks[i + 1].key == "its") &&
        (toks[i + 2].key == "acquisition" || toks[i + 2].key == "purchase")))) {
    size_t b = i;
    if (b >= 1 && toks[b - 1].key == "has") --b;
    *end = b;
    *begin = NameStart(t, text, b);
    *rule = "context:completes acquisition";
    return *begin < *end && *end - *begin <= 4 && !not_sentence_start(*begin);
  }
  // "said", "says", "reported", "announced", "posted".
  *end = i;
  *begin = NameStart(t, text, i);
  *rule = "context:reporting";
  if (*end >= *begin + 2 && IsCompanyHeadWord(toks[*end - 1].key)) return true;
  // "Delfi said it would", "Group Five said on Tuesday its": "it" speaks of
  // the speaker, so the speaker is no person; places and public bodies are
  // ruled out by the caller, acronyms ("OPEC said it") here.
  if (*end <= *begin || *end - *begin > 4 || (key != "said" && key != "says")) {
    return false;
  }
  if (*end - *begin == 1 && toks[*begin].all_upper) return false;
  // "Bank of France said it": an institution named for its country.
  for (size_t j = *begin; j < *end; ++j) {
    if (toks[j].key == "of") return false;
  }
  size_t k = i + 1;
  static const absl::flat_hash_set<absl::string_view> kAside = {
      "on",      "monday",   "tuesday", "wednesday", "thursday",
      "friday",  "saturday", "sunday",  "today",     "late",
      "earlier", "in",       "a",       "statement", "yesterday",
      "last",    "week",     "night",   "that"};
  while (k < toks.size() && k < i + 5 && kAside.contains(AV(toks[k].key))) ++k;
  if (k >= toks.size() || (toks[k].key != "it" && toks[k].key != "its")) {
    return false;
  }
  *rule = "context:said-it";
  return true;
}

// Words of public bodies and other organisations that are not companies.
bool IsPublicBodyWord(std::string_view key) {
  return HasRole(key, kPublicBody);
}

bool HasPublicBodyWord(const TokenizedText& t, size_t begin, size_t end) {
  for (size_t k = begin; k < end; ++k) {
    if (IsPublicBodyWord(t.tokens[k].key)) return true;
  }
  return false;
}

// Words of institutions that are no company even with a legal form or a
// ticker after them: the public-body words less places, regions and words
// like "National" that companies use too.
bool IsInstitutionWord(std::string_view key) {
  return HasRole(key, kInstitution);
}

// Words that make a bank a public one: "Central Bank", "Reserve Bank of
// India", "World Bank", "Asian Development Bank", "Export-Import Bank".
// Not "National" or "Union": "Security Pacific National Bank", "Union Bank
// of Switzerland" are companies.
bool HasPublicBankWord(const TokenizedText& t, size_t begin, size_t end) {
  static const absl::flat_hash_set<absl::string_view> kPublic = {
      "central",  "reserve",   "world",    "development", "export",
      "import",   "monetary",  "european", "asian",       "african",
      "islamic",  "state",     "people",   "settlements", "export-import",
      "ministry", "department"};
  for (size_t k = begin; k < end; ++k) {
    if (kPublic.contains(AV(t.tokens[k].key))) return true;
  }
  return false;
}

// "Payhippo, a Nigerian lending startup": a name, a comma, an article and,
// before any preposition or person's title, a company noun.
bool AppositiveCompany(const TokenizedText& t, std::string_view text,
                       size_t comma) {
  static const absl::flat_hash_set<absl::string_view> kStops = {
      "of",        "for",       "at",          "in",           "with",
      "who",       "that",      "which",       "on",           "by",
      "from",      "to",        "and",         "or",           "whose",
      "where",     "spokesman", "spokeswoman", "spokesperson", "analyst",
      "executive", "director",  "chairman",    "president",    "ceo",
      "official",  "economist", "lawyer",      "partner",      "founder",
      "manager",   "head",      "member",      "former",       "chief",
      "investor",  "professor", "minister"};
  const auto& toks = t.tokens;
  size_t k = comma + 1;
  // "X, a startup"; "X, the gold company once run by": with "the", only
  // when the noun is not followed by the verb of a speaker ("X, the
  // drugmaker said" may name the speaker, not X).
  // "Massmart, Walmart's South African unit": an owner's name with a
  // possessive stands where the article would.
  bool owned = false;
  if (k < toks.size() && toks[k].upper_initial &&
      toks[k].kind == TokenKind::kWord) {
    size_t j = k;
    while (j < toks.size() && j < k + 4 && IsNameWord(toks[j], text)) ++j;
    if (j + 1 < toks.size() && j > k && toks[j].key == "'" &&
        toks[j + 1].key == "s" && !toks[j].space_before &&
        !toks[j + 1].space_before) {
      k = j + 1;
      owned = true;
    }
  }
  if (k >= toks.size() || (!owned && toks[k].key != "a" &&
                           toks[k].key != "an" && toks[k].key != "the")) {
    return false;
  }
  const bool definite = owned || toks[k].key == "the";
  const uint32_t sentence = toks[comma].sentence;
  for (++k; k < toks.size() && k < comma + 8; ++k) {
    const Token& tok = toks[k];
    if (tok.sentence != sentence || tok.kind == TokenKind::kPunct) {
      if (tok.key != "-") return false;
      continue;
    }
    if (kStops.contains(AV(tok.key))) return false;
    if (IsCompanyNoun(tok.key)) {
      if (!definite) return true;
      const std::string_view next =
          k + 1 < toks.size() ? toks[k + 1].key : std::string_view();
      // "John Smith, the company's chief executive": a person of it.
      return next != "said" && next != "says" && next != "added" &&
             next != "told" && next != "announced" && next != "reported" &&
             next != "." && next != "'" && !next.empty();
    }
  }
  return false;
}

bool HasDistinctiveWord(const TokenizedText& t, size_t begin, size_t end) {
  for (size_t k = begin; k < end; ++k) {
    const Token& tok = t.tokens[k];
    if (tok.kind == TokenKind::kPunct) continue;
    if (!IsGenericNameWord(tok.key) && FindForm(tok.key) == nullptr) {
      return true;
    }
  }
  return false;
}

// The country of the exchange suffix of an instrument code in tokens
// [begin, end): "BDTG.DE" DE, "0700.HK" HK, "7203.T" JP, "VOD.L" GB.
std::string_view RicCountry(const TokenizedText& t, std::string_view text,
                            size_t begin, size_t end) {
  static const absl::flat_hash_map<absl::string_view, absl::string_view>
      kSuffixes = {
          {"N", "US"},   {"O", "US"},  {"OQ", "US"}, {"A", "US"},  {"L", "GB"},
          {"DE", "DE"},  {"F", "DE"},  {"PA", "FR"}, {"T", "JP"},  {"HK", "HK"},
          {"SS", "CN"},  {"SZ", "CN"}, {"KS", "KR"}, {"KQ", "KR"}, {"TW", "TW"},
          {"TWO", "TW"}, {"AX", "AU"}, {"TO", "CA"}, {"V", "CA"},  {"SN", "CL"},
          {"MI", "IT"},  {"AS", "NL"}, {"ST", "SE"}, {"OL", "NO"}, {"CO", "DK"},
          {"HE", "FI"},  {"S", "CH"},  {"SW", "CH"}, {"VX", "CH"}, {"MC", "ES"},
          {"BR", "BE"},  {"LS", "PT"}, {"SA", "BR"}, {"MX", "MX"}, {"NS", "IN"},
          {"BO", "IN"},  {"JK", "ID"}, {"KL", "MY"}, {"SI", "SG"}, {"BK", "TH"},
          {"IS", "TR"},  {"J", "ZA"},  {"JO", "ZA"}, {"TA", "IL"}, {"SE", "SA"},
          {"LU", "LU"},  {"I", "IE"},  {"IR", "IE"}, {"VI", "AT"}, {"WA", "PL"},
          {"PR", "CZ"},  {"BU", "HU"}, {"MM", "RU"}, {"NZ", "NZ"}, {"PS", "PH"},
          {"VN", "VN"},  {"HM", "VN"}, {"BA", "AR"}, {"LM", "PE"}, {"CN", "CO"},
          {"CA", "EG"},  {"LG", "NG"}, {"DU", "AE"}, {"AD", "AE"}, {"QA", "QA"},
          {"KW", "KW"},  {"CM", "LK"}, {"KA", "PK"}};
  const auto& toks = t.tokens;
  // CODE "." SUFFIX, attached, and nothing else inside the brackets.
  if (end != begin + 3 || toks[begin + 1].key != "." ||
      toks[begin + 1].space_before || toks[begin + 2].space_before ||
      toks[begin + 2].kind != TokenKind::kWord || !toks[begin + 2].all_upper) {
    return {};
  }
  const Token& code = toks[begin];
  if (!(code.kind == TokenKind::kNumber ||
        (code.kind == TokenKind::kWord && code.all_upper))) {
    return {};
  }
  const std::string_view suffix = text.substr(
      toks[begin + 2].begin, toks[begin + 2].end - toks[begin + 2].begin);
  auto it = kSuffixes.find(absl::string_view(suffix.data(), suffix.size()));
  if (it == kSuffixes.end()) return {};
  return std::string_view(it->second.data(), it->second.size());
}

// The country of an exchange named before a ticker ("(ASX: JMS)" AU), or
// empty for an exchange that lists many countries' companies (NYSE,
// Nasdaq, the OTC markets) or whose letters stand for more than one ("TSE",
// "CSE", "SSE").
std::string_view ExchangeCountry(std::string_view key) {
  static const absl::flat_hash_map<absl::string_view, absl::string_view>
      kCountries = {
          {"asx", "AU"}, {"tsx", "CA"},     {"tsxv", "CA"},   {"lse", "GB"},
          {"aim", "GB"}, {"hkex", "HK"},    {"sehk", "HK"},   {"sgx", "SG"},
          {"nse", "IN"}, {"bse", "IN"},     {"xetra", "DE"},  {"six", "CH"},
          {"jse", "ZA"}, {"krx", "KR"},     {"kosdaq", "KR"}, {"kospi", "KR"},
          {"bmv", "MX"}, {"bovespa", "BR"}, {"idx", "ID"},    {"set", "TH"},
          {"pse", "PH"}, {"tase", "IL"},    {"egx", "EG"},    {"ngx", "NG"},
          {"nzx", "NZ"}, {"bist", "TR"},    {"moex", "RU"},   {"wse", "PL"},
          {"szse", "CN"}};
  auto it = kCountries.find(AV(key));
  if (it == kCountries.end()) return {};
  return std::string_view(it->second.data(), it->second.size());
}

// The home country of a wire-service instrument code written without
// brackets at token i ("Quinenco QNN.SN, the holding company"), or empty.
std::string_view BareRic(const TokenizedText& t, std::string_view text,
                         size_t i) {
  const auto& toks = t.tokens;
  if (i + 2 >= toks.size() || !toks[i].space_before ||
      toks[i].end - toks[i].begin < 2) {
    return {};
  }
  // "U.S.", "A.B.C.": initials, not a code.
  if (i + 3 < toks.size() && !toks[i + 3].space_before &&
      (toks[i + 3].key == "." || toks[i + 3].kind == TokenKind::kWord)) {
    return {};
  }
  return RicCountry(t, text, i, i + 3);
}

bool FormFollows(const TokenizedText& t, std::string_view text, size_t i) {
  size_t end = 0;
  return i < t.tokens.size() && FormAt(t, text, i, &end) != nullptr;
}

// "shares", "stock", "said", "says", "reported", "announced", "posted":
// the words after or before which a name is a company's. The first letter
// decides most words without a comparison.
bool IsContextVerb(const Token& tok) {
  const std::string_view k = tok.key;
  switch (k[0]) {
    case 's':
      if (tok.upper_initial) return k == "shares";
      return k == "shares" || k == "stock" || k == "said" || k == "says" ||
             k == "secures" || k == "secured" || k == "snags";
    case 'r':
      return !tok.upper_initial &&
             (k == "reported" || k == "raises" || k == "raised");
    case 'a':
      return !tok.upper_initial && k == "announced";
    case 'p':
      return !tok.upper_initial && k == "posted";
    case 'b':
    case 'l':
    case 'n':
      return !tok.upper_initial && IsFundingVerb(k);
    case 'c':
      if (k == "ceo" || k == "cfo" || k == "coo" || k == "cto" ||
          k == "chief") {
        return true;
      }
      return !tok.upper_initial && (k == "completes" || k == "completed" ||
                                    k == "concluded" || IsFundingVerb(k));
    case 'm':
      return k == "managing";
    default:
      return false;
  }
}

}  // namespace

bool IsCompanyNoun(std::string_view key) { return HasRole(key, kCompanyNoun); }

bool IsCompanyNameWord(std::string_view key) {
  return HasRole(key, kGenericName | kHeadWord | kCompanyNoun);
}

bool MayNameCompany(const TokenizedText& t, std::string_view text,
                    uint32_t begin, uint32_t end) {
  const auto& toks = t.tokens;
  if (begin >= end || IsLeadingNonName(toks[begin].key) ||
      HasPublicBodyWord(t, begin, end) || !HasDistinctiveWord(t, begin, end)) {
    return false;
  }
  for (uint32_t k = begin; k < end; ++k) {
    if (!IsNameWord(toks[k], text) || IsMarketWord(toks[k].key)) return false;
  }
  return true;
}

// Whether "company" or "group" at token i is described by the word before
// it, so that a name after it is that company's: "semiconductor company
// Mellanox", "AI company Dynamic Yield", "food group Nestle"; not "the
// company Monday" or "its group Chief Executive".
bool GenericNounDescribed(const TokenizedText& t, size_t i) {
  const auto& toks = t.tokens;
  if ((toks[i].key != "company" && toks[i].key != "group") || i == 0) {
    return false;
  }
  const Token& before = toks[i - 1];
  return before.kind == TokenKind::kWord &&
         before.sentence == toks[i].sentence && !IsLeadingNonName(before.key) &&
         !IsGenericNameWord(before.key);
}

// A wire headline in capitals shows where a name starts in two places
// only: at the start of the headline (or after "CORRECTED -") and inside
// "<...>", which marks an unlisted company ("<COFAB INC> BUYS GULFEX",
// "CINRAM LTD 4TH QTR NET", "TOLL BROTHERS INC <TOL> 1ST QTR NET",
// "CHAMPION PRODUCTS <CH> APPROVES STOCK SPLIT"). The name ends at a legal
// form or at the "<TICKER>" after it.
// Verbs and prepositions of wire headlines, which a name before a ticker
// follows ("HARRIS LIFTS BUILDERS TRANSPORT <TRUK> STAKE"). Words ending in
// "-ing" or "-s" are not all verbs: "SHIPPING", "RESORTS".
bool IsHeadlineVerb(std::string_view key) {
  static const absl::flat_hash_set<absl::string_view> kHeadlineVerbs = {
      "to",          "for",      "in",       "on",      "with",
      "by",          "from",     "at",       "into",    "over",
      "after",       "vs",       "buys",     "buy",     "buying",
      "bought",      "sells",    "sell",     "selling", "sold",
      "probes",      "probe",    "lifts",    "cuts",    "cut",
      "raises",      "raise",    "raising",  "ups",     "sets",
      "gets",        "sees",     "says",     "said",    "wins",
      "plans",       "files",    "acquires", "acquire", "acquiring",
      "completes",   "rejects",  "ends",     "extends", "holds",
      "takes",       "taking",   "makes",    "offers",  "offering",
      "seeks",       "seeking",  "bids",     "boosts",  "lowers",
      "trims",       "has",      "adds",     "joins",   "names",
      "urges",       "asks",     "agrees",   "merges",  "sues",
      "hikes",       "drops",    "beats",    "posts",   "reports",
      "expects",     "eyes",     "weighs",   "mulls",   "considers",
      "backs",       "opposes",  "approves", "may",     "will",
      "is",          "not",      "sees",     "eyeing",  "weighing",
      "considering", "studying", "sweetens", "extends", "renews"};
  return kHeadlineVerbs.contains(absl::string_view(key.data(), key.size()));
}

void FindAllCapsCompanies(const TokenizedText& t, std::string_view text,
                          std::vector<FoundCompany>* out) {
  constexpr size_t kMaxWords = 5;
  constexpr size_t kMaxBracketedWords = 8;
  const auto& toks = t.tokens;
  // A legal form or a ticker is evidence enough for a name with a place or
  // a word like "National" in it ("CITY NATIONAL CORP <CTYN>"), though not
  // for an institution's ("RURITANIA TRADE BOARD <X>").
  auto may_name = [&](size_t begin, size_t end) {
    if (!HasDistinctiveWord(t, begin, end) ||
        IsLeadingNonName(toks[begin].key)) {
      return false;
    }
    for (size_t k = begin; k < end; ++k) {
      if (IsInstitutionWord(toks[k].key)) return false;
    }
    return true;
  };
  // The headline's first word; "<" opens a bracketed name anywhere, and a
  // spaced dash or colon ends a prefix ("CORRECTED - ACME INC ...").
  auto emit = [&](size_t begin, size_t name_end, size_t end, std::string rule) {
    FoundCompany found;
    found.begin = static_cast<uint32_t>(begin);
    found.name_end = static_cast<uint32_t>(name_end);
    found.end = static_cast<uint32_t>(end);
    found.rule = std::move(rule);
    out->push_back(std::move(found));
  };
  auto starts_name = [&](size_t k) {
    if (k == 0) return true;
    const Token& before = toks[k - 1];
    return before.key == "<" ||
           ((before.key == "-" || before.key == ":") && toks[k].space_before);
  };
  for (size_t start = 0; start < toks.size(); ++start) {
    if (!starts_name(start) || !IsNameWord(toks[start], text)) continue;
    // Words of the name, up to a legal form or "<" (or ">" after "<").
    size_t k = start, words = 0;
    const size_t max_words = start > 0 && toks[start - 1].key == "<"
                                 ? kMaxBracketedWords
                                 : kMaxWords;
    while (k < toks.size() && words < max_words) {
      size_t form_end = 0;
      // "UK MONEY RATES FALL AS BANK ...": in capitals "AS" is English.
      if (k > start && toks[k].key != "as" &&
          FormAt(t, text, k, &form_end) != nullptr) {
        if (may_name(start, k)) {
          std::string rule = "legal-form:";
          rule.append(text.substr(toks[k].begin,
                                  toks[form_end - 1].end - toks[k].begin));
          emit(start, k, form_end, std::move(rule));
        }
        break;
      }
      // "<FRANKLIN CALIFORNIA TAX-FREE INCOME FUND>PAYOUT": Reuters'
      // brackets hold the whole name.
      if (k > start && toks[k].key == ">" && start > 0 &&
          toks[start - 1].key == "<") {
        // Not a ticker after a name ("ACME <ACM>") or an instrument code
        // ("<CKGH.HK>").
        const bool after_name = start >= 2 && IsNameWord(toks[start - 2], text);
        if (!after_name && words >= 2 &&
            RicCountry(t, text, start, k).empty() && may_name(start, k)) {
          emit(start, k, k + 1, "bracketed");
        }
        break;
      }
      if (k > start && toks[k].key == "<" &&
          (start == 0 || toks[start - 1].key != "<")) {
        size_t close = k + 1;
        while (close < toks.size() && close < k + 4 && toks[close].key != ">")
          ++close;
        // "FOUR SEASONS BUYING MARRIOTT <MHS>", "SEC PROBES 1986 TRE
        // <TRE>": the name is what follows the headline's verb.
        size_t name_begin = start;
        for (size_t j = k - 1; j > start; --j) {
          // "COMPUTER LANGUAGE RESEARCH IN <CLRI>": "IN" cut from "INC".
          if (toks[j].kind == TokenKind::kNumber ||
              (IsHeadlineVerb(toks[j].key) &&
               !(j + 1 == k && toks[j].key == "in"))) {
            name_begin = j + 1;
            break;
          }
        }
        const size_t name_end =
            k > name_begin + 1 && toks[k - 1].key == "in" ? k - 1 : k;
        if (close < toks.size() && toks[close].key == ">" && close > k + 1 &&
            name_begin < k && may_name(name_begin, name_end)) {
          emit(name_begin, name_end, close + 1, "ticker:<>");
        }
        break;
      }
      const Token& tok = toks[k];
      if (IsNameWord(tok, text)) {
        ++words;
      } else if (!(tok.key == "&" || tok.key == "." || tok.key == "'" ||
                   (IsHyphen(tok, text) && !tok.space_before))) {
        break;
      }
      ++k;
    }
  }
}

namespace {

// Reuters marks a company it has no ticker for with angle brackets in the
// body: "<Four Seasons Hotels> said", "acquired <Gulfex Inc>", "<Bank of
// Montreal>". A bracket at token i holding capitalized words and joiners,
// not a lone code in capitals ("<ACME>", a ticker), is a name; a legal form
// at its end is dropped from the name. Fills *found and returns true.
bool BracketedName(const TokenizedText& t, std::string_view text, size_t i,
                   FoundCompany* found) {
  static const absl::flat_hash_set<absl::string_view> kJoiners = {
      "of", "and", "the", "de", "du", "des", "la", "le", "et", "und", "y"};
  constexpr size_t kMaxNameTokens = 14;
  const auto& toks = t.tokens;
  if (i + 1 >= toks.size() || !toks[i + 1].upper_initial ||
      toks[i + 1].kind != TokenKind::kWord) {
    return false;
  }
  size_t close = i + 1;
  for (; close < toks.size() && close <= i + kMaxNameTokens; ++close) {
    const Token& tok = toks[close];
    if (tok.key == ">") break;
    if (tok.sentence != toks[i + 1].sentence) return false;
    if (tok.kind == TokenKind::kPunct) {
      if (tok.key != "&" && tok.key != "'" && tok.key != "-" &&
          tok.key != "." && tok.key != "," && tok.key != "/") {
        return false;
      }
    } else if (!IsNameWord(tok, text) && !kJoiners.contains(AV(tok.key)) &&
               tok.key != "s") {
      return false;
    }
  }
  if (close >= toks.size() || toks[close].key != ">") return false;
  // A code in capitals is a ticker or an instrument code ("<ACME>",
  // "<NLGT.T>", "<SMBS ST>"): a name has a word in ordinary case.
  bool ordinary_word = false;
  for (size_t k = i + 1; k < close; ++k) {
    ordinary_word =
        ordinary_word || (toks[k].kind == TokenKind::kWord &&
                          toks[k].upper_initial && !toks[k].all_upper);
  }
  if (!ordinary_word) return false;
  size_t name_end = close;
  found->hq_hint = {};
  for (size_t k = i + 2; k < close; ++k) {
    size_t form_end = 0;
    const LegalForm* form = FormAt(t, text, k, &form_end);
    if (form != nullptr && form_end == close) {
      name_end = toks[k - 1].key == "," ? k - 1 : k;
      size_t first_end = 0;
      CompactAt(t, k, &first_end);
      found->hq_hint = form_end > first_end ? std::string_view() : form->hq;
      break;
    }
  }
  found->begin = static_cast<uint32_t>(i + 1);
  found->name_end = static_cast<uint32_t>(name_end);
  found->end = static_cast<uint32_t>(close + 1);
  found->rule = "bracketed";
  return name_end > i + 1;
}

}  // namespace

void FindUnlistedCompanies(const TokenizedText& t, std::string_view text,
                           const uint64_t* hashes, FieldCase field_case,
                           std::vector<FoundCompany>* out) {
  const auto& toks = t.tokens;
  if (toks.empty()) return;
  if (field_case == FieldCase::kAllCaps) {
    FindAllCapsCompanies(t, text, out);
    return;
  }
  const bool title_case = field_case == FieldCase::kTitleCaseHeadline;
  const RoleTable& roles = Roles();
  auto role = [&](size_t k) { return roles.Get(hashes[k]); };
  uint32_t covered = 0;
  // One record reused for every token: most tokens find nothing, and
  // building a record with its string for each would cost more than the
  // search.
  FoundCompany found;
  for (size_t i = 0; i < toks.size(); ++i) {
    const Token& tok = toks[i];
    found.hq_hint = {};
    found.hq_from_ticker = false;
    // Cheap tests first: most words are followed by a lower-case word.
    if (!title_case && tok.kind == TokenKind::kWord && !tok.upper_initial &&
        i + 1 < toks.size() && toks[i + 1].kind == TokenKind::kWord &&
        IsNameWord(toks[i + 1], text) && !IsLeadingNonName(toks[i + 1].key) &&
        (((role(i) & kCompanyNoun) != 0 &&
          (GenericNounDescribed(t, i) ||
           (tok.key != "company" && tok.key != "group" &&
            tok.key != "unit"))) ||
         (i >= 2 && toks[i + 1].upper_initial && OwnershipBefore(t, i)))) {
      // "startup Payhippo", "retailer Schuitema"; "state-owned Qatargas",
      // "family-owned Soufflet", "Nasdaq-listed Zentro Labs", "privately
      // held Brisa".
      const size_t end = NameEnd(t, text, i + 1);
      if (i + 1 < covered || end <= i + 1 || HasPublicBodyWord(t, i + 1, end)) {
        continue;
      }
      // The form finds it, with its form, whether the name's words ran
      // over the form ("producer AWE Ltd") or stopped before it.
      size_t form_end = 0;
      bool has_form = false;
      for (size_t k = i + 2; k <= end && k < toks.size() && !has_form; ++k) {
        has_form = FormAt(t, text, k, &form_end) != nullptr;
      }
      if (has_form) continue;
      found.begin = static_cast<uint32_t>(i + 1);
      found.name_end = found.end = static_cast<uint32_t>(end);
      found.rule = "context:";
      found.rule.append(tok.key);
    } else if (!title_case && tok.key == "," && i > 0 && i + 2 < toks.size() &&
               toks[i - 1].kind == TokenKind::kWord &&
               !toks[i - 1].upper_initial && IsCompanyNoun(toks[i - 1].key) &&
               toks[i + 1].kind == TokenKind::kWord &&
               toks[i + 1].upper_initial &&
               !IsLeadingNonName(toks[i + 1].key)) {
      // "The UK's biggest biotech firm, Celltech, has agreed", "to buy a
      // rival, Complete Production Services, for $2.7 billion".
      const size_t end = NameEnd(t, text, i + 1);
      if (i + 1 < covered || end <= i + 1 || end >= toks.size() ||
          toks[end].key != "," || HasPublicBodyWord(t, i + 1, end)) {
        continue;
      }
      size_t form_end = 0;
      if (FormAt(t, text, end, &form_end) != nullptr) continue;
      found.begin = static_cast<uint32_t>(i + 1);
      found.name_end = found.end = static_cast<uint32_t>(end);
      found.rule = "context:noun-appositive";
    } else if (!title_case && tok.key == "," && i > 0 &&
               IsNameWord(toks[i - 1], text) && AppositiveCompany(t, text, i)) {
      const size_t begin = NameStart(t, text, i);
      if (begin >= i || begin < covered || HasPublicBodyWord(t, begin, i)) {
        continue;
      }
      // "..., said Andy Odeh, the state-owned oil company will": a speaker
      // before a run-on sentence.
      if (toks[i + 1].key == "the" && begin > 0 &&
          (toks[begin - 1].key == "said" || toks[begin - 1].key == "says" ||
           toks[begin - 1].key == "told" || toks[begin - 1].key == "by" ||
           toks[begin - 1].key == "spokesman" ||
           toks[begin - 1].key == "spokeswoman" ||
           toks[begin - 1].key == "spokesperson")) {
        continue;
      }
      found.begin = static_cast<uint32_t>(begin);
      found.name_end = found.end = static_cast<uint32_t>(i);
      found.rule = "context:appositive";
    } else if (!title_case && tok.key == "bank" && tok.upper_initial &&
               i + 2 < toks.size() && toks[i + 1].key == "of" &&
               IsNameWord(toks[i + 2], text)) {
      // "Bank of Tokyo", "Union Bank of Switzerland", "Industrial Bank of
      // Japan"; a central bank is told apart by the tagger, which knows
      // places ("Bank of Japan").
      size_t begin = i;
      if (i > 0 && IsNameWord(toks[i - 1], text)) {
        begin = NameStart(t, text, i);
      }
      const size_t end = NameEnd(t, text, i + 2);
      if (begin < covered || end <= i + 2 || HasPublicBankWord(t, begin, end) ||
          (begin >= 2 && toks[begin - 1].key == "of" &&
           IsPublicBodyWord(toks[begin - 2].key))) {
        continue;
      }
      // "Bank of Kenya Limited": the form ends the match, not the name.
      size_t name_end = end;
      for (size_t j = i + 3; j < end; ++j) {
        size_t form_end = 0;
        if (FormAt(t, text, j, &form_end) != nullptr && form_end >= end) {
          name_end = j;
          break;
        }
      }
      found.begin = static_cast<uint32_t>(begin);
      found.name_end = static_cast<uint32_t>(name_end);
      found.end = static_cast<uint32_t>(end);
      found.rule = "name-word:Bank of";
    } else if (!title_case && tok.kind == TokenKind::kWord &&
               tok.upper_initial && i > 0 && IsNameWord(toks[i - 1], text) &&
               !(i + 1 < toks.size() &&
                 (toks[i + 1].key == "of" || toks[i + 1].key == "&" ||
                  IsNameWord(toks[i + 1], text))) &&
               (role(i) & kHeadWord || tok.key == "group") &&
               !FormFollows(t, text, i + 1)) {
      // "Odfjell Drilling", "Guolian Securities": a name ending in a word
      // that only companies end in; not a public body's first words ("Hong
      // Kong Securities and Futures Commission").
      bool body_follows = false;
      if (i + 2 < toks.size() && toks[i + 1].key == "and") {
        for (size_t k = i + 2; k < toks.size() && k < i + 5; ++k) {
          if (!IsNameWord(toks[k], text)) break;
          body_follows = body_follows || IsPublicBodyWord(toks[k].key);
        }
      }
      if (body_follows) continue;
      const size_t begin = NameStart(t, text, i);
      if (begin + 1 >= i + 1 || begin < covered ||
          (tok.key == "bank" ? HasPublicBankWord(t, begin, i)
                             : HasPublicBodyWord(t, begin, i + 1)) ||
          !HasDistinctiveWord(t, begin, i) ||
          (begin >= 2 && toks[begin - 1].key == "of" &&
           IsPublicBodyWord(toks[begin - 2].key))) {
        continue;  // "Department of Mineral Resources"
      }
      found.begin = static_cast<uint32_t>(begin);
      found.name_end = found.end = static_cast<uint32_t>(i + 1);
      found.rule = "name-word:";
      found.rule.append(text.substr(tok.begin, tok.end - tok.begin));
    } else if (tok.kind == TokenKind::kWord && tok.all_upper &&
               tok.key == "pt" && i + 1 < toks.size() &&
               toks[i + 1].sentence == tok.sentence &&
               IsNameWord(toks[i + 1], text)) {
      // "PT Telkom", "PT Acme Indonesia Tbk": Indonesia's form stands
      // before the name.
      const size_t end = NameEnd(t, text, i + 1);
      if (end <= i + 1 || i < covered) continue;
      found.begin = static_cast<uint32_t>(i + 1);
      found.name_end = found.end = static_cast<uint32_t>(end);
      found.rule = "legal-form:PT";
      found.hq_hint = "ID";
    } else if (!title_case && tok.kind == TokenKind::kWord &&
               IsContextVerb(tok)) {
      size_t begin = 0, end = 0;
      std::string_view rule;
      if (!ContextAt(t, text, i, &begin, &end, &rule) || begin < covered ||
          HasPublicBodyWord(t, begin, end)) {
        continue;
      }
      // A legal form right after the name was (or will be) found by it.
      size_t form_end = 0;
      if (end < toks.size() && FormAt(t, text, end, &form_end) != nullptr) {
        continue;
      }
      found.begin = static_cast<uint32_t>(begin);
      found.name_end = found.end = static_cast<uint32_t>(end);
      found.rule = std::string(rule);
    } else if (i > 0 && tok.space_before && IsNameWord(toks[i - 1], text) &&
               (tok.kind == TokenKind::kNumber || tok.all_upper) &&
               !BareRic(t, text, i).empty()) {
      // "Quinenco QNN.SN said": an instrument code names a company.
      const size_t begin = NameStart(t, text, i);
      if (begin >= i || begin < covered) continue;
      found.begin = static_cast<uint32_t>(begin);
      found.name_end = static_cast<uint32_t>(i);
      found.end = static_cast<uint32_t>(i + 3);
      found.rule = "ticker:";
      found.rule.append(text.substr(tok.begin, toks[i + 2].end - tok.begin));
      found.hq_hint = BareRic(t, text, i);
      found.hq_from_ticker = true;
    } else if (tok.kind == TokenKind::kWord) {
      if (!tok.upper_initial && tok.key != "plc" && tok.key != "llc" &&
          tok.key != "gmbh") {
        continue;
      }
      // Most capitalized words are no form: their role says so before any
      // string is built ("S.A." starts with a letter joined to a dot).
      if ((role(i) & kForm) == 0 &&
          !(tok.key.size() == 1 && i + 1 < toks.size() &&
            !toks[i + 1].space_before &&
            (toks[i + 1].key == "." || toks[i + 1].key == "/"))) {
        continue;
      }
      size_t form_end = 0;
      const LegalForm* form = FormAt(t, text, i, &form_end);
      if (form == nullptr) continue;
      // "Intent to Sell Company": in a title-case headline, a form spelled
      // as a word is just a capitalized word.
      if (title_case && (tok.key == "company" || tok.key == "corporation" ||
                         tok.key == "limited" || tok.key == "incorporated")) {
        continue;
      }
      size_t name_end = i;
      if (i >= 2 && toks[i - 1].key == ",") --name_end;  // "Acme, Inc."
      // "Merrill Lynch and Co Inc", "Lazard Freres & Co": the firm's name
      // is the partners'.
      const bool and_co = i >= 2 && tok.key == "co" &&
                          (toks[i - 1].key == "and" || toks[i - 1].key == "&");
      if (and_co) --name_end;
      size_t begin = NameStart(t, text, name_end);
      // "Kidder, Peabody and Co": two partners' names make the firm's.
      if (and_co && begin + 1 == name_end && begin >= 2 &&
          toks[begin - 1].key == "," && toks[begin - 2].upper_initial &&
          toks[begin - 2].kind == TokenKind::kWord &&
          !IsLeadingNonName(toks[begin - 2].key) &&
          (begin == 2 || !IsNameWord(toks[begin - 3], text))) {
        begin -= 2;
      }
      if (begin >= name_end || begin < covered) continue;
      found.begin = static_cast<uint32_t>(begin);
      found.name_end = static_cast<uint32_t>(name_end);
      found.end = static_cast<uint32_t>(form_end);
      found.rule = "legal-form:";
      found.rule.append(
          text.substr(tok.begin, toks[form_end - 1].end - tok.begin));
      // "Co., Ltd.", "Pty Ltd": two forms say less of the country than one.
      size_t first_end = 0;
      CompactAt(t, i, &first_end);
      found.hq_hint = form_end > first_end ? std::string_view() : form->hq;
    } else if (tok.key == "<" && !title_case &&
               BracketedName(t, text, i, &found)) {
      // Found whole: "<Scott's Hospitality Inc>" is one name.
    } else if (tok.key == "(" || tok.key == "<") {
      // "Acme (NYSE: ACME)", "Acme Corp (Nasdaq:FOO)", "Acme <ACME>", and
      // share classes: "(TSX: TCL.A TCL.B)".
      size_t close = i + 1;
      while (close < toks.size() && close < i + 12 && toks[close].key != ")" &&
             toks[close].key != ">") {
        ++close;
      }
      if (close >= toks.size() || close == i + 1) continue;
      // "(BDTG.DE)", "<MT.LU>", "(7203.T)": a wire-service instrument code,
      // whose suffix names the home exchange.
      const std::string_view ric = RicCountry(t, text, i + 1, close);
      if (!ric.empty() && !out->empty() && out->back().end == i) {
        out->back().hq_hint = ric;  // "Acme Corp (ACME.DE)": found by form
        out->back().hq_from_ticker = true;
        continue;
      }
      // "miner Jupiter Mines (ASX: JMS)": found by its context, listed
      // where the exchange is.
      if (tok.key == "(" && close > i + 2 && toks[i + 2].key == ":" &&
          !out->empty() &&
          (out->back().name_end == i || out->back().end == i) &&
          !out->back().hq_from_ticker) {
        if (const std::string_view home = ExchangeCountry(toks[i + 1].key);
            !home.empty()) {
          out->back().hq_hint = home;
          out->back().hq_from_ticker = true;
        }
      }
      bool ticker = !ric.empty();
      if (!ticker && tok.key == "<") {
        ticker =
            toks[close].key == ">" && close <= i + 4 && toks[i + 1].all_upper;
      } else if (!ticker && toks[close].key == ")") {
        ticker = IsExchange(toks[i + 1].key);
        bool colon = false;
        for (size_t k = i + 2; k < close; ++k)
          colon = colon || toks[k].key == ":";
        ticker = ticker && colon;
      }
      if (!ticker) continue;
      size_t name_end = i;
      std::string_view hq;
      // A legal form already before the ticker was found above; only the
      // name itself is new here.
      if (name_end >= 1) {
        size_t j = name_end - 1;
        while (j > 0 && !toks[j].space_before) --j;  // start of "Inc."
        size_t form_end = 0;
        if (const LegalForm* f = FormAt(t, text, j, &form_end);
            f != nullptr && form_end == name_end) {
          continue;  // "Acme Inc (NYSE: ACME)": the form found it
        }
      }
      const size_t begin = NameStart(t, text, name_end);
      if (begin >= name_end || begin < covered) continue;
      found.begin = static_cast<uint32_t>(begin);
      found.name_end = static_cast<uint32_t>(name_end);
      found.end = static_cast<uint32_t>(close + 1);
      found.rule = tok.key == "<" ? "ticker:<>" : "ticker:";
      if (!ric.empty()) hq = ric;
      // "(ASX: JMS)": the exchange a name is listed on is its home, as an
      // instrument code's suffix is.
      if (hq.empty() && tok.key == "(") hq = ExchangeCountry(toks[i + 1].key);
      found.hq_from_ticker = !hq.empty();
      if (tok.key == "(" && ric.empty()) {
        found.rule.append(text.substr(toks[i + 1].begin,
                                      toks[i + 1].end - toks[i + 1].begin));
      }
      found.hq_hint = hq;
    } else {
      continue;
    }
    // Words every company uses make no name ("Holding Co Ltd"), unless an
    // exchange code follows two or more of them ("Mineral Resources
    // (MIN.AX)").
    const bool ticker_names_it =
        found.rule.starts_with("ticker") && found.name_end >= found.begin + 2;
    if (!ticker_names_it &&
        !HasDistinctiveWord(t, found.begin, found.name_end)) {
      continue;
    }
    // "Ministry of Internal Affairs and Communications", "Aspen Institute
    // for Humanistic Studies": the name of a public body's remit.
    if (found.begin >= 2 &&
        (toks[found.begin - 1].key == "of" ||
         toks[found.begin - 1].key == "for") &&
        IsInstitutionWord(toks[found.begin - 2].key)) {
      continue;
    }
    // "March 6, a bank spokesman": a name has a word.
    bool has_word = false;
    for (size_t k = found.begin; k < found.name_end && !has_word; ++k) {
      has_word = toks[k].kind == TokenKind::kWord;
    }
    if (!has_word) continue;
    covered = found.end;
    out->push_back(found);
  }
}

std::string UnlistedCompanyId(const TokenizedText& t, uint32_t begin,
                              uint32_t end) {
  std::string id = "name:";
  bool dash = false;
  for (uint32_t k = begin; k < end; ++k) {
    const Token& tok = t.tokens[k];
    if (tok.kind == TokenKind::kPunct || tok.kind == TokenKind::kSymbol) {
      dash = true;
      continue;
    }
    if (dash || k > begin) {
      if (id.back() != '-' && id.size() > 5) id.push_back('-');
    }
    dash = false;
    id.append(tok.key);
  }
  return id;
}

std::string UnlistedCompanyName(const TokenizedText& t, std::string_view text,
                                uint32_t begin, uint32_t end) {
  const auto& toks = t.tokens;
  std::string name(
      text.substr(toks[begin].begin, toks[end - 1].end - toks[begin].begin));
  // "Zorvane® Data Systems": the marks are no part of the name.
  name = absl::StrReplaceAll(
      name, {{"\xC2\xAE", ""}, {"\xE2\x84\xA2", ""}, {"\xC2\xA9", ""}});
  bool lower = false;
  for (char c : name) lower = lower || (c >= 'a' && c <= 'z');
  // An acronym stays one ("XYZ Corp" is "XYZ"); a name in capitals
  // ("CHAMPION PRODUCTS INC") reads better in title case.
  if (lower || end - begin == 1) return name;
  bool start = true;
  for (char& c : name) {
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (letter && !start && c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    start = !letter && c != '\'';
  }
  return name;
}

}  // namespace newsfeed::ingest::internal
