// Finds companies that the gazetteer does not list, from evidence in the
// text itself:
// - a legal form ("Acme Holdings Inc", "Foo Bar plc", "Baz AG", "Qux S.A.",
//   "Kabu K.K.", "Maju Berhad"; wire spellings "Brown and Sons Inc",
//   "Kidder, Peabody and Co");
// - an exchange ticker or instrument code after the name ("Acme (NYSE:
//   ACME)", "Acme Corp <ACME>", "Quinenco QNN.SN"), or Reuters' brackets
//   around a name it has no ticker for ("<Four Seasons Hotels>");
// - a word only companies end in ("Odfjell Drilling", "Midland Bank", "Bank
//   of Tokyo"; central banks are told apart by the tagger);
// - what the name does in its sentence: "shares of Acme", "Acme said it",
//   "startup Payhippo", "Payhippo, a lending startup", "Quillmark raises
//   $14M", "Halvard acquires two data centers".
// Internal to the tagger. Stateless functions: safe from any thread.
//
// Precision over recall: a capitalized name without such evidence is never
// a company here (people, agencies, teams and newspapers are named the same
// way). In a field written all in capitals only the headline's start and
// "<...>" can start a name, and only a legal form, a ticker or the closing
// ">" ends one.
#ifndef INGEST_SERVICE_TAGGER_COMPANY_FINDER_H_
#define INGEST_SERVICE_TAGGER_COMPANY_FINDER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest-service/tagger/tokenizer.h"

namespace newsfeed::ingest::internal {

struct FoundCompany {
  uint32_t begin = 0;  // tokens of the name and its legal form or ticker
  uint32_t end = 0;
  uint32_t name_end = 0;  // [begin, name_end): the name without legal form
  // What showed it to be a company: "legal-form:Inc", "ticker:NYSE".
  std::string rule;
  // ISO code that the legal form implies for the headquarters ("plc" GB,
  // "AG" DE, "K.K." JP, "Inc" US), or empty when it is used in many
  // countries ("Ltd", "S.A.").
  std::string_view hq_hint;
  bool hq_from_ticker = false;  // hq_hint is an exchange code's country
};

// How a field is written, which decides what marks a name in it.
enum class FieldCase {
  kOrdinary,
  // A headline with (nearly) every word capitalized: only a legal form or a
  // ticker marks a name there.
  kTitleCaseHeadline,
  // (Nearly) every word in capitals: nothing shows where a name ends, so
  // the field is not searched.
  kAllCaps,
};

// Appends the companies found in `t` (the tokens of `text`) to `out`, in
// text order, without overlaps. hashes[k] must be Gazetteer::KeyHash of
// token k's key (the tagger has them already).
void FindUnlistedCompanies(const TokenizedText& t, std::string_view text,
                           const uint64_t* hashes, FieldCase field_case,
                           std::vector<FoundCompany>* out);

// Whether `key` (a lower-case token key) names a kind of company:
// "startup", "retailer", "carmaker", "bank". Read before a name ("startup
// Payhippo"), after one ("InVivo, a cooperative group") and after a
// nationality ("a Nigerian payments startup").
bool IsCompanyNoun(std::string_view key);

// Whether `key` (a lower-case token key) is a word many companies' names
// share or end in: "Group", "Trust", "Holdings", "Technologies", "Bank".
bool IsCompanyNameWord(std::string_view key);

// Whether `key` (a lower-case token key) is a verb or preposition of wire
// headlines in capitals ("BUYS", "UPS", "TO"): in such a headline it is no
// company's name ("OPPENHEIMER UPS VIACOM <VIA> STAKE").
bool IsHeadlineVerb(std::string_view key);

// Whether tokens [begin, end) of `text` may be a company's name: capitalized
// words, not a public body ("Ministry", "University"), not only words every
// company uses ("Holdings"), not opened by a word that leads up to names
// ("The", "Rival"). Read for a name that other evidence marks.
bool MayNameCompany(const TokenizedText& t, std::string_view text,
                    uint32_t begin, uint32_t end);

// The stable id of an unlisted company: "name:" and its name's words,
// lowercased and joined by '-' ("Acme Holdings" -> "name:acme-holdings"),
// so that "Acme Inc", "Acme Inc." and "ACME INC" are one company.
std::string UnlistedCompanyId(const TokenizedText& t, uint32_t begin,
                              uint32_t end);

// The display name of tokens [begin, end) of `text`: the text as written,
// or in title case when written all in capitals ("ACME HOLDINGS" ->
// "Acme Holdings").
std::string UnlistedCompanyName(const TokenizedText& t, std::string_view text,
                                uint32_t begin, uint32_t end);

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_TAGGER_COMPANY_FINDER_H_
