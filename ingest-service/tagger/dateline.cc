#include "ingest-service/tagger/dateline.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace newsfeed::ingest::internal {
namespace {

// Words a dateline's place never holds but its date does.
bool IsMonth(std::string_view key) {
  static const absl::flat_hash_set<absl::string_view> kMonths = {
      "january", "february", "march",     "april",   "may",      "june",
      "july",    "august",   "september", "october", "november", "december",
      "jan",     "feb",      "mar",       "apr",     "jun",      "jul",
      "aug",     "sep",      "sept",      "oct",     "nov",      "dec"};
  return kMonths.contains(absl::string_view(key.data(), key.size()));
}

// Postal and AP-style abbreviations of US states and Canadian provinces, as
// written after a dateline's city ("ROCHESTER, N.Y.", "Calif.", "Ont."),
// dots removed. Many are ordinary words elsewhere ("Ill.", "Mass.", "Miss."),
// so they are read only here.
std::string_view RegionAbbreviation(std::string_view compact) {
  static const absl::flat_hash_map<absl::string_view, absl::string_view>
      kRegions = {
          {"ala", "US"},
          {"ariz", "US"},
          {"ark", "US"},
          {"calif", "US"},
          {"colo", "US"},
          {"conn", "US"},
          {"del", "US"},
          {"fla", "US"},
          {"ga", "US"},
          {"ill", "US"},
          {"ind", "US"},
          {"kan", "US"},
          {"kans", "US"},
          {"ky", "US"},
          {"la", "US"},
          {"md", "US"},
          {"mass", "US"},
          {"mich", "US"},
          {"minn", "US"},
          {"miss", "US"},
          {"mo", "US"},
          {"mont", "US"},
          {"neb", "US"},
          {"nev", "US"},
          {"nh", "US"},
          {"nj", "US"},
          {"nm", "US"},
          {"ny", "US"},
          {"nc", "US"},
          {"nd", "US"},
          {"okla", "US"},
          {"ore", "US"},
          {"pa", "US"},
          {"ri", "US"},
          {"sc", "US"},
          {"sd", "US"},
          {"tenn", "US"},
          {"tex", "US"},
          {"vt", "US"},
          {"va", "US"},
          {"wash", "US"},
          {"wva", "US"},
          {"wis", "US"},
          {"wyo", "US"},
          {"dc", "US"},
          {"ont", "CA"},
          {"que", "CA"},
          {"bc", "CA"},
          {"alta", "CA"},
          {"sask", "CA"},
          {"man", "CA"},
          {"ns", "CA"},
          {"nb", "CA"},
          {"nfld", "CA"},
          {"pei", "CA"},
          {"nsw", "AU"},
          {"qld", "AU"},
          {"vic", "AU"},
          {"wa", "AU"},
          {"usa", "US"},
          {"us", "US"},
          {"uk", "GB"},
          {"uae", "AE"},
          {"penn", "US"},
          {"wisc", "US"},
          {"ida", "US"},
          {"mont", "US"},
          {"nmex", "US"},
          // Names written out: "BIRMINGHAM, Alabama", "LONDON, Ontario".
          {"alabama", "US"},
          {"alaska", "US"},
          {"arizona", "US"},
          {"arkansas", "US"},
          {"california", "US"},
          {"colorado", "US"},
          {"connecticut", "US"},
          {"delaware", "US"},
          {"florida", "US"},
          {"hawaii", "US"},
          {"idaho", "US"},
          {"illinois", "US"},
          {"indiana", "US"},
          {"iowa", "US"},
          {"kansas", "US"},
          {"kentucky", "US"},
          {"louisiana", "US"},
          {"maine", "US"},
          {"maryland", "US"},
          {"massachusetts", "US"},
          {"michigan", "US"},
          {"minnesota", "US"},
          {"mississippi", "US"},
          {"missouri", "US"},
          {"montana", "US"},
          {"nebraska", "US"},
          {"nevada", "US"},
          {"ohio", "US"},
          {"oklahoma", "US"},
          {"oregon", "US"},
          {"pennsylvania", "US"},
          {"tennessee", "US"},
          {"texas", "US"},
          {"utah", "US"},
          {"vermont", "US"},
          {"virginia", "US"},
          {"wisconsin", "US"},
          {"wyoming", "US"},
          {"ontario", "CA"},
          {"quebec", "CA"},
          {"alberta", "CA"},
          {"manitoba", "CA"},
          {"saskatchewan", "CA"},
          {"tasmania", "AU"},
          {"queensland", "AU"}};
  auto it = kRegions.find(absl::string_view(compact.data(), compact.size()));
  return it == kRegions.end()
             ? std::string_view()
             : std::string_view(it->second.data(), it->second.size());
}

// Lowercase words that join the words of a place: "Frankfurt am Main",
// "Rio de Janeiro", "Stratford-upon-Avon".
bool IsPlaceConnector(std::string_view key) {
  return key == "am" || key == "de" || key == "del" || key == "la" ||
         key == "of" || key == "upon" || key == "on" || key == "da" ||
         key == "do" || key == "es" || key == "el";
}

bool IsWord(const Token& tok) { return tok.kind == TokenKind::kWord; }

// A word that may start a place: capitalized, or starting with a non-ASCII
// letter ("Ürümqi", "Île-de-France").
bool IsPlaceWord(const Token& tok, std::string_view text) {
  return IsWord(tok) && (tok.upper_initial ||
                         static_cast<unsigned char>(text[tok.begin]) >= 0x80);
}

constexpr size_t kMaxPlaceWords = 5;
constexpr size_t kMaxDatelineTokens = 24;

}  // namespace

std::optional<Dateline> FindDateline(const TokenizedText& t,
                                     std::string_view text) {
  const auto& toks = t.tokens;
  const size_t n = std::min(toks.size(), kMaxDatelineTokens);
  size_t i = 0;
  size_t words = 0;
  bool all_caps = true;
  while (i < n && words < kMaxPlaceWords) {
    const Token& tok = toks[i];
    if (IsPlaceWord(tok, text)) {
      all_caps = all_caps && tok.all_upper;
      ++words;
      ++i;
      continue;
    }
    const bool joined_next = i + 1 < n && !toks[i + 1].space_before &&
                             IsPlaceWord(toks[i + 1], text);
    if (words > 0 && !tok.space_before && tok.kind == TokenKind::kPunct &&
        (tok.key == "/" || tok.key == "-" || tok.key == ".") &&
        (joined_next || tok.key == ".")) {
      ++i;  // "Frankfurt/Main", "WINSTON-SALEM", "ST. LOUIS"
      continue;
    }
    if (words > 0 && IsWord(tok) && IsPlaceConnector(tok.key) && i + 1 < n &&
        IsPlaceWord(toks[i + 1], text)) {
      ++i;
      continue;
    }
    break;
  }
  if (words == 0 || i >= n) return std::nullopt;
  // "The Irish Data Protection Commission (DPC) said": a subject, not a
  // place.
  if (toks[0].key == "the") return std::nullopt;

  Dateline d;
  d.place_end = static_cast<uint32_t>(i);
  bool dated = false, agency = false, slug = false, ended = false;
  size_t qualifiers = 0;
  while (i < n) {
    const Token& tok = toks[i];
    const std::string_view key = tok.key;
    if (key == ",") {
      ++i;
      continue;
    }
    if (key == "-" || key == ":") {
      // A dash (or "--", "—") closes the dateline; so does a colon after a
      // date ("LONDON, 12 March 2024:").
      // A hyphen inside a word ("U.S.-listed") does not.
      if (key == ":" && !dated && !agency) break;
      const bool double_dash = i + 1 < toks.size() && toks[i + 1].key == "-" &&
                               !toks[i + 1].space_before;
      if (key == "-" && !tok.space_before && !double_dash &&
          i + 1 < toks.size() && !toks[i + 1].space_before &&
          text.substr(tok.begin, tok.end - tok.begin) == "-") {
        break;
      }
      while (i < toks.size() && (toks[i].key == "-" || toks[i].key == ":")) {
        ++i;
      }
      ended = true;
      break;
    }
    if (key == "(") {
      // "(Reuters)", "(AP)", "(BUSINESS WIRE)", "(GLOBE NEWSWIRE)".
      // "(dpa-AFX)", "(CBS.MW)", "(UrduPoint News / Sputnik)".
      size_t k = i + 1;
      while (k < toks.size() && k < i + 8 &&
             (IsWord(toks[k]) || toks[k].key == "-" || toks[k].key == "/" ||
              toks[k].key == ".")) {
        ++k;
      }
      if (k == i + 1 || k >= toks.size() || toks[k].key != ")") break;
      // An agency closes the dateline: a dash or colon follows it.
      if (k + 1 < toks.size() && toks[k + 1].key != "-" &&
          toks[k + 1].key != ":") {
        break;
      }
      agency = true;
      i = k + 1;
      continue;
    }
    if (key == "/") {
      // "/PRNewswire/", "/CNW/", "/PRNewswire-FirstCall/".
      size_t k = i + 1;
      while (k < toks.size() && k < i + 6 && toks[k].key != "/" &&
             (IsWord(toks[k]) || toks[k].key == "-")) {
        ++k;
      }
      if (k == i + 1 || k >= toks.size() || toks[k].key != "/") break;
      slug = true;
      i = k + 1;
      continue;
    }
    if (IsWord(tok) && IsMonth(key) && (tok.upper_initial || all_caps)) {
      dated = true;
      ++i;
      if (i < toks.size() && toks[i].key == "." && !toks[i].space_before) ++i;
      continue;
    }
    if (tok.kind == TokenKind::kNumber) {
      // A day or a year: "Feb 26", "3 March 2026", "Oct. 31, 2019".
      const bool next_month = i + 1 < toks.size() && IsWord(toks[i + 1]) &&
                              IsMonth(toks[i + 1].key);
      if (!dated && !next_month) break;
      ++i;
      continue;
    }
    // "VANCOUVER, BC and ATLANTA, April 22": a release from two places.
    if (!dated && !agency && !slug && (key == "and" || key == "&") &&
        qualifiers < 4 && i + 1 < n && IsPlaceWord(toks[i + 1], text) &&
        (!all_caps || toks[i + 1].all_upper)) {
      ++i;
      continue;
    }
    if (!dated && !agency && !slug && IsWord(tok) && tok.upper_initial &&
        qualifiers < 4) {
      // A state, province or country after the city: "N.Y.", "Calif.",
      // "Germany", "South Korea". Dots are part of an abbreviation.
      std::string compact;
      size_t k = i;
      while (k < toks.size() && (k == i || !toks[k].space_before) &&
             (IsWord(toks[k]) || toks[k].key == ".")) {
        if (toks[k].key != ".") compact.append(toks[k].key);
        ++k;
      }
      if (std::string_view code = RegionAbbreviation(compact); !code.empty()) {
        d.region_country = code;
      }
      qualifiers += k - i;
      i = k;
      d.place_end = static_cast<uint32_t>(i);
      continue;
    }
    break;
  }
  if (!ended && !agency) return std::nullopt;
  if (!all_caps && !dated && !agency && !slug) return std::nullopt;
  d.end = static_cast<uint32_t>(i);
  return d;
}

}  // namespace newsfeed::ingest::internal
