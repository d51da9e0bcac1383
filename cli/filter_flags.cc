#include "cli/filter_flags.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace newsfeed::cli {
namespace {

constexpr char kUsagePayloadUrl[] = "type.newsfeed.dev/cli.UsageError";

// Fills `out` only when some value is given, so that an untouched dimension
// stays unset in the request.
void CopyTagFilter(const std::vector<std::string>& any_of,
                   const std::vector<std::string>& all_of,
                   const std::vector<std::string>& none_of, bool upper_case,
                   v1::TagFilter* (v1::ArticleFilter::*mutable_field)(),
                   v1::ArticleFilter* filter) {
  v1::TagFilter tags;
  auto add = [upper_case](const std::vector<std::string>& values,
                          google::protobuf::RepeatedPtrField<std::string>* to) {
    for (const std::string& value : values) {
      std::string v(absl::StripAsciiWhitespace(value));
      if (v.empty()) continue;
      if (upper_case) absl::AsciiStrToUpper(&v);
      to->Add(std::move(v));
    }
  };
  add(any_of, tags.mutable_any_of());
  add(all_of, tags.mutable_all_of());
  add(none_of, tags.mutable_none_of());
  if (tags.any_of_size() + tags.all_of_size() + tags.none_of_size() > 0) {
    *(filter->*mutable_field)() = std::move(tags);
  }
}

}  // namespace

absl::Status UsageError(absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayloadUrl, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayloadUrl).has_value();
}

absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text) {
  auto bad = [text] {
    return UsageError(absl::StrCat("invalid duration \"", text,
                                   "\" (want e.g. 7d, 2h, 30m, 90s or 1h30m)"));
  };
  if (text.empty()) return bad();
  absl::Duration total = absl::ZeroDuration();
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() &&
           std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    if (i == start || i == text.size() || i - start > 9) return bad();
    int64_t n = 0;
    if (!absl::SimpleAtoi(text.substr(start, i - start), &n)) return bad();
    switch (text[i]) {
      case 'd':
        total += absl::Hours(24) * n;
        break;
      case 'h':
        total += absl::Hours(n);
        break;
      case 'm':
        total += absl::Minutes(n);
        break;
      case 's':
        total += absl::Seconds(n);
        break;
      default:
        return bad();
    }
    ++i;
  }
  if (total <= absl::ZeroDuration()) return bad();
  return total;
}

absl::StatusOr<absl::Time> ParseTimeSpec(absl::string_view text, absl::Time now,
                                         absl::string_view flag) {
  if (text.empty()) {
    return UsageError(absl::StrCat(flag, ": empty time"));
  }
  if (absl::StatusOr<absl::Duration> ago = ParseDuration(text); ago.ok()) {
    return now - *ago;
  }
  absl::Time time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, std::string(text), &time, &error)) {
    return time;
  }
  if (text.size() == 10 &&
      absl::ParseTime("%Y-%m-%d", std::string(text), absl::UTCTimeZone(), &time,
                      &error)) {
    return time;
  }
  return UsageError(absl::StrCat(
      flag, ": invalid time \"", text,
      "\" (want a duration ago such as 7d, 2h, 30m, or RFC 3339 such as "
      "2024-05-13T09:30:00Z, or a date 2024-05-13)"));
}

google::protobuf::Timestamp ToProtoTimestamp(absl::Time time) {
  google::protobuf::Timestamp out;
  const int64_t seconds = absl::ToUnixSeconds(time);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
  return out;
}

absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) +
         absl::Nanoseconds(timestamp.nanos());
}

absl::StatusOr<v1::ArticleFilter> BuildFilter(const FilterFlags& flags,
                                              absl::Time now) {
  v1::ArticleFilter filter;
  CopyTagFilter(flags.companies, flags.all_companies, flags.not_companies,
                false, &v1::ArticleFilter::mutable_companies, &filter);
  CopyTagFilter(flags.countries, flags.all_countries, flags.not_countries, true,
                &v1::ArticleFilter::mutable_countries, &filter);
  CopyTagFilter(flags.topics, flags.all_topics, flags.not_topics, false,
                &v1::ArticleFilter::mutable_topics, &filter);
  CopyTagFilter(flags.feeds, flags.all_feeds, flags.not_feeds, false,
                &v1::ArticleFilter::mutable_feeds, &filter);
  CopyTagFilter(flags.languages, flags.all_languages, flags.not_languages,
                false, &v1::ArticleFilter::mutable_languages, &filter);

  filter.set_text(std::string(absl::StripAsciiWhitespace(flags.text)));

  absl::Time since = absl::InfinitePast();
  absl::Time until = absl::InfiniteFuture();
  if (!flags.since.empty()) {
    absl::StatusOr<absl::Time> t = ParseTimeSpec(flags.since, now, "--since");
    if (!t.ok()) return t.status();
    since = *t;
    *filter.mutable_published_after() = ToProtoTimestamp(since);
  }
  if (!flags.until.empty()) {
    absl::StatusOr<absl::Time> t = ParseTimeSpec(flags.until, now, "--until");
    if (!t.ok()) return t.status();
    until = *t;
    *filter.mutable_published_before() = ToProtoTimestamp(until);
  }
  if (since >= until) {
    return UsageError("--since must be before --until");
  }

  if (flags.min_amount < 0 || flags.min_amount != flags.min_amount) {
    return UsageError("--min-amount must be a non-negative number");
  }
  if (!flags.currency.empty() && flags.min_amount == 0) {
    return UsageError("--currency needs --min-amount");
  }
  if (!flags.currency.empty()) {
    std::string currency = absl::AsciiStrToUpper(flags.currency);
    if (currency.size() != 3) {
      return UsageError(absl::StrCat("--currency: \"", flags.currency,
                                     "\" is not an ISO 4217 code like EUR"));
    }
    filter.set_amount_currency(std::move(currency));
  }
  filter.set_min_amount(flags.min_amount);
  return filter;
}

}  // namespace newsfeed::cli
