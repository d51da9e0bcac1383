// Copyright newsfeed authors.
#include "query-service/filter/filter.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace newsfeed::query {
namespace {

using newsfeed::v1::Article;
using newsfeed::v1::ArticleFilter;
using newsfeed::v1::TagFilter;

// google.protobuf.Timestamp's valid range: 0001-01-01 to 9999-12-31.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

void AddValue(std::vector<std::string>& out, TagDimension dim,
              std::string_view value) {
  if (value.empty()) return;
  std::string v = NormalizeTagValue(dim, value);
  if (std::find(out.begin(), out.end(), v) == out.end()) {
    out.push_back(std::move(v));
  }
}

absl::Status ValidateList(
    const google::protobuf::RepeatedPtrField<std::string>& values,
    const std::string& field, const FilterLimits& limits) {
  if (values.size() > limits.max_values_per_dimension) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", values.size(), " values, at most ",
                     limits.max_values_per_dimension, " allowed"));
  }
  for (int i = 0; i < values.size(); ++i) {
    if (values[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "]: empty value"));
    }
    if (static_cast<int>(values[i].size()) > limits.max_text_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "]: ", values[i].size(),
                       " bytes, at most ", limits.max_text_bytes, " allowed"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTimestamp(const google::protobuf::Timestamp& ts,
                               const std::string& field) {
  if (ts.seconds() < kMinTimestampSeconds ||
      ts.seconds() > kMaxTimestampSeconds || ts.nanos() < 0 ||
      ts.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not a valid timestamp"));
  }
  return absl::OkStatus();
}

bool Contains(const std::vector<std::string>& have, const std::string& value) {
  return std::find(have.begin(), have.end(), value) != have.end();
}

std::vector<std::string> NormalizeAll(
    const google::protobuf::RepeatedPtrField<std::string>& values,
    TagDimension dim) {
  std::vector<std::string> out;
  out.reserve(values.size());
  for (const std::string& v : values) out.push_back(NormalizeTagValue(dim, v));
  return out;
}

}  // namespace

std::string_view TagDimensionName(TagDimension dim) {
  switch (dim) {
    case TagDimension::kCompany:
      return "companies";
    case TagDimension::kCountry:
      return "countries";
    case TagDimension::kTopic:
      return "topics";
    case TagDimension::kFeed:
      return "feeds";
    case TagDimension::kLanguage:
      return "languages";
  }
  return "unknown";
}

const TagFilter& TagFilterOf(const ArticleFilter& filter, TagDimension dim) {
  switch (dim) {
    case TagDimension::kCompany:
      return filter.companies();
    case TagDimension::kCountry:
      return filter.countries();
    case TagDimension::kTopic:
      return filter.topics();
    case TagDimension::kFeed:
      return filter.feeds();
    case TagDimension::kLanguage:
      return filter.languages();
  }
  return TagFilter::default_instance();
}

std::string NormalizeTagValue(TagDimension dim, std::string_view value) {
  std::string out(value);
  if (dim == TagDimension::kCountry) {
    absl::AsciiStrToUpper(&out);
  } else {
    absl::AsciiStrToLower(&out);
  }
  return out;
}

std::vector<std::string> ArticleTagValues(TagDimension dim,
                                          const Article& article) {
  std::vector<std::string> out;
  switch (dim) {
    case TagDimension::kCompany:
      for (const auto& c : article.companies()) {
        AddValue(out, dim, c.id());
        AddValue(out, dim, c.name());
      }
      break;
    case TagDimension::kCountry:
      for (const auto& c : article.countries()) AddValue(out, dim, c.code());
      break;
    case TagDimension::kTopic:
      for (const auto& t : article.topics()) AddValue(out, dim, t.id());
      break;
    case TagDimension::kFeed:
      AddValue(out, dim, article.feed_id());
      AddValue(out, dim, article.feed_url());
      break;
    case TagDimension::kLanguage: {
      const std::string& lang = article.language();
      AddValue(out, dim, lang);
      AddValue(out, dim, std::string_view(lang).substr(0, lang.find('-')));
      break;
    }
  }
  return out;
}

int64_t TimestampToMicros(const google::protobuf::Timestamp& ts) {
  const int64_t seconds = std::clamp<int64_t>(
      ts.seconds(), kMinTimestampSeconds, kMaxTimestampSeconds);
  const int64_t nanos = std::clamp<int64_t>(ts.nanos(), 0, 999999999);
  return seconds * 1000000 + nanos / 1000;
}

int64_t ArticleTimeMicros(const Article& article) {
  if (article.has_published_time()) {
    return TimestampToMicros(article.published_time());
  }
  if (article.has_fetched_time()) {
    return TimestampToMicros(article.fetched_time());
  }
  return 0;
}

absl::Status ValidateFilter(const ArticleFilter& filter,
                            const FilterLimits& limits) {
  for (TagDimension dim : kAllTagDimensions) {
    const TagFilter& f = TagFilterOf(filter, dim);
    const std::string prefix =
        absl::StrCat("filter.", std::string(TagDimensionName(dim)));
    if (absl::Status s =
            ValidateList(f.any_of(), absl::StrCat(prefix, ".any_of"), limits);
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            ValidateList(f.all_of(), absl::StrCat(prefix, ".all_of"), limits);
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            ValidateList(f.none_of(), absl::StrCat(prefix, ".none_of"), limits);
        !s.ok()) {
      return s;
    }
  }
  if (static_cast<int64_t>(filter.text().size()) > limits.max_text_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter.text: ", filter.text().size(), " bytes, at most ",
                     limits.max_text_bytes, " allowed"));
  }
  if (filter.has_published_after()) {
    if (absl::Status s = ValidateTimestamp(filter.published_after(),
                                           "filter.published_after");
        !s.ok()) {
      return s;
    }
  }
  if (filter.has_published_before()) {
    if (absl::Status s = ValidateTimestamp(filter.published_before(),
                                           "filter.published_before");
        !s.ok()) {
      return s;
    }
  }
  if (filter.has_published_after() && filter.has_published_before() &&
      TimestampToMicros(filter.published_after()) >
          TimestampToMicros(filter.published_before())) {
    return absl::InvalidArgumentError(
        "filter.published_after: after filter.published_before");
  }
  if (!std::isfinite(filter.min_amount()) || filter.min_amount() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter.min_amount: ", filter.min_amount(),
                     " is not a finite non-negative number"));
  }
  const std::string& currency = filter.amount_currency();
  if (!currency.empty() &&
      (currency.size() != 3 ||
       !std::all_of(currency.begin(), currency.end(),
                    [](char c) { return absl::ascii_isalpha(c); }))) {
    return absl::InvalidArgumentError(
        "filter.amount_currency: not a 3-letter ISO 4217 code");
  }
  return absl::OkStatus();
}

bool MatchesExceptText(const ArticleFilter& filter, const Article& article) {
  return CompiledFilter(filter).Matches(ArticleMatchKeys::Of(article));
}

ArticleMatchKeys ArticleMatchKeys::Of(const Article& article) {
  ArticleMatchKeys keys;
  for (TagDimension dim : kAllTagDimensions) {
    keys.values[Index(dim)] = ArticleTagValues(dim, article);
  }
  keys.time_micros = ArticleTimeMicros(article);
  for (const auto& amount : article.amounts()) {
    keys.amounts.emplace_back(absl::AsciiStrToUpper(amount.currency()),
                              amount.value());
  }
  return keys;
}

CompiledFilter::CompiledFilter(const ArticleFilter& filter)
    : min_amount_(filter.min_amount()),
      currency_(absl::AsciiStrToUpper(filter.amount_currency())) {
  for (TagDimension dim : kAllTagDimensions) {
    const TagFilter& f = TagFilterOf(filter, dim);
    Dimension& d = dimensions_[ArticleMatchKeys::Index(dim)];
    d.any_of = NormalizeAll(f.any_of(), dim);
    d.all_of = NormalizeAll(f.all_of(), dim);
    d.none_of = NormalizeAll(f.none_of(), dim);
  }
  if (filter.has_published_after()) {
    published_after_ = TimestampToMicros(filter.published_after());
  }
  if (filter.has_published_before()) {
    published_before_ = TimestampToMicros(filter.published_before());
  }
}

bool CompiledFilter::Matches(const ArticleMatchKeys& keys) const {
  for (size_t i = 0; i < dimensions_.size(); ++i) {
    const Dimension& d = dimensions_[i];
    const std::vector<std::string>& have = keys.values[i];
    if (!d.any_of.empty() &&
        std::none_of(d.any_of.begin(), d.any_of.end(),
                     [&](const std::string& v) { return Contains(have, v); })) {
      return false;
    }
    for (const std::string& v : d.all_of) {
      if (!Contains(have, v)) return false;
    }
    for (const std::string& v : d.none_of) {
      if (Contains(have, v)) return false;
    }
  }
  if (published_after_ && keys.time_micros < *published_after_) return false;
  if (published_before_ && keys.time_micros >= *published_before_) {
    return false;
  }
  if (min_amount_ > 0) {
    return std::any_of(
        keys.amounts.begin(), keys.amounts.end(),
        [&](const std::pair<std::string, double>& amount) {
          return amount.second >= min_amount_ &&
                 (currency_.empty() || amount.first == currency_);
        });
  }
  return true;
}

}  // namespace newsfeed::query
