// Helpers shared by the tagger's tests: one built-in Tagger per test binary
// and the tags of an article as sets.
#ifndef INGEST_SERVICE_TAGGER_TAGGER_TEST_UTIL_H_
#define INGEST_SERVICE_TAGGER_TAGGER_TEST_UTIL_H_

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>

#include "ingest-service/tagger/tagger.h"

namespace newsfeed::ingest::tagger_testing {

// The tagger with the built-in data, created once; aborts if it cannot be.
inline const Tagger& SharedTagger() {
  static const Tagger* tagger = [] {
    absl::StatusOr<std::unique_ptr<Tagger>> t = Tagger::Create({});
    if (!t.ok()) {
      std::fprintf(stderr, "%s\n", t.status().ToString().c_str());
      std::abort();
    }
    return t->release();
  }();
  return *tagger;
}

inline v1::Article Tagged(std::string title, std::string body) {
  v1::Article a;
  a.set_title(std::move(title));
  a.set_content_text(std::move(body));
  SharedTagger().Tag(&a);
  return a;
}

inline std::set<std::string> Companies(const v1::Article& a) {
  std::set<std::string> out;
  for (const auto& c : a.companies()) out.insert(c.name());
  return out;
}
inline std::set<std::string> CompanyIds(const v1::Article& a) {
  std::set<std::string> out;
  for (const auto& c : a.companies()) out.insert(c.id());
  return out;
}
inline std::set<std::string> Countries(const v1::Article& a) {
  std::set<std::string> out;
  for (const auto& c : a.countries()) out.insert(c.code());
  return out;
}
inline std::set<std::string> Topics(const v1::Article& a) {
  std::set<std::string> out;
  for (const auto& t : a.topics()) out.insert(t.id());
  return out;
}

}  // namespace newsfeed::ingest::tagger_testing

#endif  // INGEST_SERVICE_TAGGER_TAGGER_TEST_UTIL_H_
