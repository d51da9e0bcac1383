#include "common/article/article_limits.h"

#include <string>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace newsfeed {
namespace {

using v1::Article;

// Shortens `text` to at most `max` bytes without splitting a UTF-8 sequence
// (nor, for HTML, a tag).
void Cut(std::string* text, size_t max, bool html) {
  if (text->size() <= max) return;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>((*text)[end]) & 0xc0) == 0x80) {
    --end;
  }
  if (html) {
    const size_t open = text->rfind('<', end == 0 ? 0 : end - 1);
    const size_t close = text->rfind('>', end == 0 ? 0 : end - 1);
    if (open != std::string::npos &&
        (close == std::string::npos || close < open)) {
      end = open;
    }
  }
  text->resize(end);
}

// How a string may be shortened.
enum class Kind { kText, kHtml, kIdentity /* never: it names the article */ };

// A field of `m`: read-only when `M` is const (checking), mutable otherwise
// (fitting). Only the accessor the constness needs is instantiated.
#define NEWSFEED_PART(m, field)                                     \
  Part(                                                             \
      m, [](const auto& x) -> decltype(auto) { return x.field(); }, \
      [](auto& x) { return x.mutable_##field(); })

template <typename M, typename Get, typename Mutable>
decltype(auto) Part(M& m, Get get, Mutable mutable_part) {
  if constexpr (std::is_const_v<M>) {
    return get(m);
  } else {
    return *mutable_part(m);
  }
}

// Every limited part of an article, in one list, so that CheckArticle and
// FitArticle cannot drift apart. `A` is `const Article` or `Article`; the
// visitor gets Text(field, string, max, kind) and Count(field, list, max),
// the latter before the list's entries are walked.
template <typename Tag, typename V>
void WalkEvidence(Tag& tag, const std::string& field, const ArticleLimits& l,
                  V& v) {
  v.Count(field + ".evidence", NEWSFEED_PART(tag, evidence), l.max_evidence);
  for (auto& e : NEWSFEED_PART(tag, evidence)) {
    v.Text(field + ".evidence.text", NEWSFEED_PART(e, text), l.max_short_bytes,
           Kind::kText);
    v.Text(field + ".evidence.rule", NEWSFEED_PART(e, rule), l.max_short_bytes,
           Kind::kText);
  }
}

template <typename A, typename V>
void Walk(A& a, const ArticleLimits& l, V& v) {
  v.Text("id", NEWSFEED_PART(a, id), l.max_id_bytes, Kind::kIdentity);
  v.Text("feed_id", NEWSFEED_PART(a, feed_id), l.max_id_bytes, Kind::kIdentity);
  v.Text("feed_url", NEWSFEED_PART(a, feed_url), l.max_url_bytes, Kind::kText);
  v.Text("source_title", NEWSFEED_PART(a, source_title), l.max_short_bytes,
         Kind::kText);
  v.Text("title", NEWSFEED_PART(a, title), l.max_title_bytes, Kind::kText);
  v.Text("url", NEWSFEED_PART(a, url), l.max_url_bytes, Kind::kText);
  v.Text("summary", NEWSFEED_PART(a, summary), l.max_summary_bytes,
         Kind::kText);
  v.Text("content_html", NEWSFEED_PART(a, content_html), l.max_content_bytes,
         Kind::kHtml);
  v.Text("content_text", NEWSFEED_PART(a, content_text), l.max_content_bytes,
         Kind::kText);
  v.Text("language", NEWSFEED_PART(a, language), l.max_short_bytes,
         Kind::kText);
  v.Text("content_hash", NEWSFEED_PART(a, content_hash), l.max_short_bytes,
         Kind::kText);
  v.Count("authors", NEWSFEED_PART(a, authors), l.max_list_entries);
  for (auto& au : NEWSFEED_PART(a, authors)) {
    v.Text("authors.name", NEWSFEED_PART(au, name), l.max_short_bytes,
           Kind::kText);
    v.Text("authors.email", NEWSFEED_PART(au, email), l.max_short_bytes,
           Kind::kText);
    v.Text("authors.uri", NEWSFEED_PART(au, uri), l.max_url_bytes, Kind::kText);
  }
  v.Count("categories", NEWSFEED_PART(a, categories), l.max_list_entries);
  for (auto& category : NEWSFEED_PART(a, categories)) {
    v.Text("categories", category, l.max_short_bytes, Kind::kText);
  }
  v.Count("enclosures", NEWSFEED_PART(a, enclosures), l.max_list_entries);
  for (auto& e : NEWSFEED_PART(a, enclosures)) {
    v.Text("enclosures.url", NEWSFEED_PART(e, url), l.max_url_bytes,
           Kind::kText);
    v.Text("enclosures.mime_type", NEWSFEED_PART(e, mime_type),
           l.max_short_bytes, Kind::kText);
  }
  v.Count("companies", NEWSFEED_PART(a, companies), l.max_tags);
  int i = 0;
  for (auto& t : NEWSFEED_PART(a, companies)) {
    const std::string field = absl::StrCat("companies[", i++, "]");
    v.Text(field + ".id", NEWSFEED_PART(t, id), l.max_short_bytes, Kind::kText);
    v.Text(field + ".name", NEWSFEED_PART(t, name), l.max_short_bytes,
           Kind::kText);
    v.Text(field + ".ticker", NEWSFEED_PART(t, ticker), l.max_short_bytes,
           Kind::kText);
    v.Text(field + ".hq_country", NEWSFEED_PART(t, hq_country),
           l.max_short_bytes, Kind::kText);
    WalkEvidence(t, field, l, v);
  }
  v.Count("countries", NEWSFEED_PART(a, countries), l.max_tags);
  i = 0;
  for (auto& t : NEWSFEED_PART(a, countries)) {
    const std::string field = absl::StrCat("countries[", i++, "]");
    v.Text(field + ".code", NEWSFEED_PART(t, code), l.max_short_bytes,
           Kind::kText);
    v.Text(field + ".name", NEWSFEED_PART(t, name), l.max_short_bytes,
           Kind::kText);
    WalkEvidence(t, field, l, v);
  }
  v.Count("topics", NEWSFEED_PART(a, topics), l.max_tags);
  i = 0;
  for (auto& t : NEWSFEED_PART(a, topics)) {
    const std::string field = absl::StrCat("topics[", i++, "]");
    v.Text(field + ".id", NEWSFEED_PART(t, id), l.max_short_bytes, Kind::kText);
    v.Text(field + ".name", NEWSFEED_PART(t, name), l.max_short_bytes,
           Kind::kText);
    WalkEvidence(t, field, l, v);
  }
  v.Count("amounts", NEWSFEED_PART(a, amounts), l.max_tags);
  i = 0;
  for (auto& m : NEWSFEED_PART(a, amounts)) {
    const std::string field = absl::StrCat("amounts[", i++, "]");
    v.Text(field + ".currency", NEWSFEED_PART(m, currency), l.max_short_bytes,
           Kind::kText);
    v.Text(field + ".text", NEWSFEED_PART(m, text), l.max_short_bytes,
           Kind::kText);
    v.Text(field + ".company_id", NEWSFEED_PART(m, company_id),
           l.max_short_bytes, Kind::kText);
    // Not NEWSFEED_PART: a mutable accessor would add an empty evidence.
    if (m.has_evidence()) {
      auto& e = NEWSFEED_PART(m, evidence);
      v.Text(field + ".evidence.text", NEWSFEED_PART(e, text),
             l.max_short_bytes, Kind::kText);
      v.Text(field + ".evidence.rule", NEWSFEED_PART(e, rule),
             l.max_short_bytes, Kind::kText);
    }
  }
}

#undef NEWSFEED_PART

// Keeps the first violation, in walk order.
class Checker {
 public:
  explicit Checker(const std::string& prefix) : prefix_(prefix) {}

  void Text(absl::string_view field, const std::string& value, size_t max,
            Kind) {
    if (!status_.ok() || value.size() <= max) return;
    status_ = absl::InvalidArgumentError(absl::StrCat(
        prefix_, ".", field, ": ", value.size(), " bytes, at most ", max));
  }
  template <typename List>
  void Count(absl::string_view field, const List& list, int max) {
    if (!status_.ok() || list.size() <= max) return;
    status_ = absl::InvalidArgumentError(absl::StrCat(
        prefix_, ".", field, ": ", list.size(), " entries, at most ", max));
  }
  const absl::Status& status() const { return status_; }

 private:
  const std::string& prefix_;
  absl::Status status_;
};

// Cuts strings and lists to their limits, ids excepted.
class Fitter {
 public:
  void Text(absl::string_view, std::string& value, size_t max, Kind kind) {
    if (kind == Kind::kIdentity || value.size() <= max) return;
    Cut(&value, max, kind == Kind::kHtml);
    cut_ = true;
  }
  template <typename List>
  void Count(absl::string_view, List& list, int max) {
    if (list.size() <= max) return;
    list.DeleteSubrange(max, list.size() - max);
    cut_ = true;
  }
  bool cut() const { return cut_; }

 private:
  bool cut_ = false;
};

}  // namespace

absl::Status CheckArticle(const Article& a, const ArticleLimits& l,
                          const std::string& prefix) {
  Checker checker(prefix);
  Walk(a, l, checker);
  if (!checker.status().ok()) return checker.status();
  const size_t bytes = a.ByteSizeLong();
  if (bytes > l.max_article_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": ", bytes, " bytes serialized, at most ",
                     l.max_article_bytes));
  }
  return absl::OkStatus();
}

bool FitArticle(Article* a, const ArticleLimits& l) {
  Fitter fitter;
  Walk(*a, l, fitter);
  bool cut = fitter.cut();
  // Still too large as a whole: the bulkiest parts give way, in halves.
  for (std::string* bulk : {a->mutable_content_html(),
                            a->mutable_content_text(), a->mutable_summary()}) {
    while (a->ByteSizeLong() > l.max_article_bytes && !bulk->empty()) {
      Cut(bulk, bulk->size() / 2, bulk == a->mutable_content_html());
      cut = true;
    }
  }
  if (a->ByteSizeLong() > l.max_article_bytes) {
    a->clear_enclosures();
    a->clear_authors();
    a->clear_categories();
    cut = true;
  }
  return cut;
}

}  // namespace newsfeed
