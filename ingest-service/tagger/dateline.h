// Finds the dateline that opens wire copy and press releases:
//   "PARIS, March 3 (Reuters) -", "TOKYO —", "NEW YORK (AP) --",
//   "Frankfurt/Main, 3 March 2026 /PRNewswire/ --", "ROCHESTER, N.Y., Feb 26
//   -".
// Internal to the tagger. Stateless functions: safe from any thread.
#ifndef INGEST_SERVICE_TAGGER_DATELINE_H_
#define INGEST_SERVICE_TAGGER_DATELINE_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "ingest-service/tagger/tokenizer.h"

namespace newsfeed::ingest::internal {

struct Dateline {
  // Tokens of the place and of any qualifiers after it ("N.Y.", "Germany"),
  // up to the date or agency: the country of a gazetteer place mention
  // inside [begin, place_end) is the country of the dateline.
  uint32_t begin = 0;
  uint32_t place_end = 0;
  // The first token after the whole dateline (date, agency and dash
  // included); the story's lead starts here.
  uint32_t end = 0;
  // ISO code implied by a postal abbreviation that is not a gazetteer place
  // on its own ("N.Y.", "Calif.", "Ont."), or empty.
  std::string_view region_country;
};

// Returns the dateline at the start of `t` (the tokens of `text`), or nullopt
// when the text does not open with one. An all-caps place followed by a
// comma, an agency in parentheses or a dash is a dateline; a place in
// ordinary case needs a date, an agency or a wire-service slug after it, so
// that "Apple, the iPhone maker, ..." is not one.
std::optional<Dateline> FindDateline(const TokenizedText& t,
                                     std::string_view text);

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_TAGGER_DATELINE_H_
