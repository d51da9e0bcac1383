// Tagger: finds the companies, countries, topics and money amounts a news
// article is about, with evidence for every tag.
//
//   absl::StatusOr<std::unique_ptr<Tagger>> tagger = Tagger::Create({});
//   if (!tagger.ok()) return tagger.status();
//   (*tagger)->Tag(&article);  // fills article.companies(), countries(), ...
//
// The built-in data (about 1,800 companies, every ISO 3166-1 country with its
// common names, demonyms and cities, and a 22-topic taxonomy) is compiled
// into the binary; see ingest-service/tagger/data/README.md for its format
// and provenance.
#ifndef INGEST_SERVICE_TAGGER_TAGGER_H_
#define INGEST_SERVICE_TAGGER_TAGGER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "newsfeed/v1/article.pb.h"

namespace newsfeed::ingest {

namespace internal {
class Gazetteer;
}  // namespace internal

struct TaggerOptions {
  // User data files loaded on top of the built-in gazetteer, in order, without
  // recompiling. Same record format as the built-in data (companies, places,
  // topics, rules, vetoes; data/README.md). A company with an existing id adds
  // aliases to it. Default: none.
  std::vector<std::string> extra_data_files;
};

// A Tagger is immutable after Create, so Tag may be called concurrently from
// any number of threads without synchronization.
class Tagger {
 public:
  // Loads the built-in gazetteer plus options.extra_data_files.
  // On success returns a ready Tagger. Errors:
  //   INVALID_ARGUMENT  a data record is malformed; the message names
  //                     "file:line" and the problem.
  //   NOT_FOUND         an extra data file cannot be opened.
  static absl::StatusOr<std::unique_ptr<Tagger>> Create(
      const TaggerOptions& options);

  Tagger(const Tagger&) = delete;
  Tagger& operator=(const Tagger&) = delete;
  ~Tagger();

  // Replaces article->companies, countries, topics and amounts with what
  // article->title() and article->content_text() (summary() when
  // content_text is empty) are about. Each tag carries Evidence whose offsets
  // are bytes into the title (TEXT_FIELD_TITLE) or into that body text
  // (TEXT_FIELD_BODY). Never fails: text it cannot read yields no tags.
  // `article` must be non-null; other fields are left untouched.
  void Tag(newsfeed::v1::Article* article) const;

  // Sizes of the loaded data, for logs and the benchmark.
  size_t company_count() const;
  size_t alias_count() const;  // company and place aliases
  size_t country_count() const;
  size_t topic_count() const;

 private:
  explicit Tagger(std::unique_ptr<internal::Gazetteer> gazetteer);

  std::unique_ptr<internal::Gazetteer> gazetteer_;
};

// The `newsfeed tag` contract. Input: one JSON object per line,
//   {"id": "...", "title": "...", "text": "..."}   ("summary" is read when
//   "text" is absent; a numeric id is accepted and written as a string).
// Output: exactly one JSON line (no trailing newline):
//   {"id": "...", "companies": ["Microsoft", ...], "countries": ["FR", ...],
//    "topics": ["ai", ...],
//    "amounts": [{"value": 5.5e9, "currency": "EUR", "text": "€5.5B",
//                 "company": "Microsoft"}],   // "" when not attributed
//    "company_tags": [...], "country_tags": [...], "topic_tags": [...],
//    "amount_tags": [...]}   // the proto messages with evidence, proto JSON
// A line that is not a JSON object, or whose fields have the wrong types,
// yields {"id": <id or null>, "error": "..."}; it never throws or crashes.
std::string TagJsonLine(const Tagger& tagger, std::string_view line);

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_TAGGER_TAGGER_H_
