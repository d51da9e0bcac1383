#include "common/article/article_limits.h"

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

template <typename Repeated>
bool Trim(Repeated* list, int max) {
  if (list->size() <= max) return false;
  list->DeleteSubrange(max, list->size() - max);
  return true;
}

// Checks in field order and keeps the first violation.
class Checker {
 public:
  explicit Checker(const std::string& prefix) : prefix_(prefix) {}

  void Text(absl::string_view field, const std::string& value, size_t max) {
    if (!status_.ok() || value.size() <= max) return;
    status_ = absl::InvalidArgumentError(absl::StrCat(
        prefix_, ".", field, ": ", value.size(), " bytes, at most ", max));
  }
  void Count(absl::string_view field, int count, int max) {
    if (!status_.ok() || count <= max) return;
    status_ = absl::InvalidArgumentError(absl::StrCat(
        prefix_, ".", field, ": ", count, " entries, at most ", max));
  }
  template <typename Tag>
  void Evidence(absl::string_view tags, int i, const Tag& tag,
                const ArticleLimits& l) {
    const std::string field = absl::StrCat(tags, "[", i, "].evidence");
    Count(field, tag.evidence_size(), l.max_evidence);
    for (const v1::Evidence& e : tag.evidence()) {
      Text(field + ".text", e.text(), l.max_short_bytes);
      Text(field + ".rule", e.rule(), l.max_short_bytes);
    }
  }
  const absl::Status& status() const { return status_; }

 private:
  const std::string& prefix_;
  absl::Status status_;
};

void FitEvidence(google::protobuf::RepeatedPtrField<v1::Evidence>* evidence,
                 const ArticleLimits& l, bool* cut) {
  *cut |= Trim(evidence, l.max_evidence);
  for (v1::Evidence& e : *evidence) {
    for (std::string* s : {e.mutable_text(), e.mutable_rule()}) {
      if (s->size() > l.max_short_bytes) {
        Cut(s, l.max_short_bytes, false);
        *cut = true;
      }
    }
  }
}

}  // namespace

absl::Status CheckArticle(const Article& a, const ArticleLimits& l,
                          const std::string& prefix) {
  Checker c(prefix);
  c.Text("id", a.id(), l.max_id_bytes);
  c.Text("feed_id", a.feed_id(), l.max_id_bytes);
  c.Text("feed_url", a.feed_url(), l.max_url_bytes);
  c.Text("source_title", a.source_title(), l.max_short_bytes);
  c.Text("title", a.title(), l.max_title_bytes);
  c.Text("url", a.url(), l.max_url_bytes);
  c.Text("summary", a.summary(), l.max_summary_bytes);
  c.Text("content_html", a.content_html(), l.max_content_bytes);
  c.Text("content_text", a.content_text(), l.max_content_bytes);
  c.Text("language", a.language(), l.max_short_bytes);
  c.Text("content_hash", a.content_hash(), l.max_short_bytes);
  c.Count("authors", a.authors_size(), l.max_list_entries);
  for (const v1::Author& au : a.authors()) {
    c.Text("authors.name", au.name(), l.max_short_bytes);
    c.Text("authors.email", au.email(), l.max_short_bytes);
    c.Text("authors.uri", au.uri(), l.max_url_bytes);
  }
  c.Count("categories", a.categories_size(), l.max_list_entries);
  for (const std::string& category : a.categories()) {
    c.Text("categories", category, l.max_short_bytes);
  }
  c.Count("enclosures", a.enclosures_size(), l.max_list_entries);
  for (const v1::Enclosure& e : a.enclosures()) {
    c.Text("enclosures.url", e.url(), l.max_url_bytes);
    c.Text("enclosures.mime_type", e.mime_type(), l.max_short_bytes);
  }
  c.Count("companies", a.companies_size(), l.max_tags);
  for (int i = 0; i < a.companies_size(); ++i) {
    const v1::CompanyTag& t = a.companies(i);
    for (const std::string* s :
         {&t.id(), &t.name(), &t.ticker(), &t.hq_country()}) {
      c.Text(absl::StrCat("companies[", i, "]"), *s, l.max_short_bytes);
    }
    c.Evidence("companies", i, t, l);
  }
  c.Count("countries", a.countries_size(), l.max_tags);
  for (int i = 0; i < a.countries_size(); ++i) {
    const v1::CountryTag& t = a.countries(i);
    c.Text(absl::StrCat("countries[", i, "].code"), t.code(),
           l.max_short_bytes);
    c.Text(absl::StrCat("countries[", i, "].name"), t.name(),
           l.max_short_bytes);
    c.Evidence("countries", i, t, l);
  }
  c.Count("topics", a.topics_size(), l.max_tags);
  for (int i = 0; i < a.topics_size(); ++i) {
    const v1::TopicTag& t = a.topics(i);
    c.Text(absl::StrCat("topics[", i, "].id"), t.id(), l.max_short_bytes);
    c.Text(absl::StrCat("topics[", i, "].name"), t.name(), l.max_short_bytes);
    c.Evidence("topics", i, t, l);
  }
  c.Count("amounts", a.amounts_size(), l.max_tags);
  for (int i = 0; i < a.amounts_size(); ++i) {
    const v1::MoneyAmount& m = a.amounts(i);
    for (const std::string* s : {&m.currency(), &m.text(), &m.company_id(),
                                 &m.evidence().text(), &m.evidence().rule()}) {
      c.Text(absl::StrCat("amounts[", i, "]"), *s, l.max_short_bytes);
    }
  }
  if (!c.status().ok()) return c.status();
  const size_t bytes = a.ByteSizeLong();
  if (bytes > l.max_article_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": ", bytes, " bytes serialized, at most ",
                     l.max_article_bytes));
  }
  return absl::OkStatus();
}

bool FitArticle(Article* a, const ArticleLimits& l) {
  bool cut = false;
  auto text = [&cut](std::string* s, size_t max, bool html = false) {
    if (s->size() <= max) return;
    Cut(s, max, html);
    cut = true;
  };
  text(a->mutable_feed_url(), l.max_url_bytes);
  text(a->mutable_source_title(), l.max_short_bytes);
  text(a->mutable_title(), l.max_title_bytes);
  text(a->mutable_url(), l.max_url_bytes);
  text(a->mutable_summary(), l.max_summary_bytes);
  text(a->mutable_content_html(), l.max_content_bytes, true);
  text(a->mutable_content_text(), l.max_content_bytes);
  text(a->mutable_language(), l.max_short_bytes);
  text(a->mutable_content_hash(), l.max_short_bytes);
  cut |= Trim(a->mutable_authors(), l.max_list_entries);
  for (v1::Author& au : *a->mutable_authors()) {
    text(au.mutable_name(), l.max_short_bytes);
    text(au.mutable_email(), l.max_short_bytes);
    text(au.mutable_uri(), l.max_url_bytes);
  }
  cut |= Trim(a->mutable_categories(), l.max_list_entries);
  for (std::string& category : *a->mutable_categories()) {
    text(&category, l.max_short_bytes);
  }
  cut |= Trim(a->mutable_enclosures(), l.max_list_entries);
  for (v1::Enclosure& e : *a->mutable_enclosures()) {
    text(e.mutable_url(), l.max_url_bytes);
    text(e.mutable_mime_type(), l.max_short_bytes);
  }
  cut |= Trim(a->mutable_companies(), l.max_tags);
  for (v1::CompanyTag& t : *a->mutable_companies()) {
    for (std::string* s : {t.mutable_id(), t.mutable_name(), t.mutable_ticker(),
                           t.mutable_hq_country()}) {
      text(s, l.max_short_bytes);
    }
    FitEvidence(t.mutable_evidence(), l, &cut);
  }
  cut |= Trim(a->mutable_countries(), l.max_tags);
  for (v1::CountryTag& t : *a->mutable_countries()) {
    text(t.mutable_code(), l.max_short_bytes);
    text(t.mutable_name(), l.max_short_bytes);
    FitEvidence(t.mutable_evidence(), l, &cut);
  }
  cut |= Trim(a->mutable_topics(), l.max_tags);
  for (v1::TopicTag& t : *a->mutable_topics()) {
    text(t.mutable_id(), l.max_short_bytes);
    text(t.mutable_name(), l.max_short_bytes);
    FitEvidence(t.mutable_evidence(), l, &cut);
  }
  cut |= Trim(a->mutable_amounts(), l.max_tags);
  for (v1::MoneyAmount& m : *a->mutable_amounts()) {
    for (std::string* s :
         {m.mutable_currency(), m.mutable_text(), m.mutable_company_id()}) {
      text(s, l.max_short_bytes);
    }
    if (m.has_evidence()) {
      text(m.mutable_evidence()->mutable_text(), l.max_short_bytes);
      text(m.mutable_evidence()->mutable_rule(), l.max_short_bytes);
    }
  }
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
