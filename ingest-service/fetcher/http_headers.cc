#include "ingest-service/fetcher/http_headers.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace newsfeed::ingest::internal {
namespace {

// Non-negative decimal seconds; absurdly large values saturate at 2^31 s.
std::optional<absl::Duration> ParseSeconds(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)))
      return std::nullopt;
  }
  int64_t seconds = INT32_MAX;
  if (text.size() <= 9 && !absl::SimpleAtoi(text, &seconds))
    return std::nullopt;
  return absl::Seconds(seconds);
}

absl::Time ReferenceTime(const std::optional<std::string>& date,
                         absl::Time now) {
  if (date.has_value()) {
    if (std::optional<absl::Time> t = ParseHttpDate(*date)) return *t;
  }
  return now;
}

}  // namespace

std::string CharsetFromContentType(absl::string_view content_type) {
  for (absl::string_view param : absl::StrSplit(content_type, ';')) {
    param = absl::StripAsciiWhitespace(param);
    const size_t eq = param.find('=');
    if (eq == absl::string_view::npos) continue;
    if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(param.substr(0, eq)),
                                "charset")) {
      continue;
    }
    absl::string_view value = absl::StripAsciiWhitespace(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
  }
  return "";
}

std::optional<absl::Time> ParseHttpDate(absl::string_view value) {
  const std::string text(absl::StripAsciiWhitespace(value));
  if (text.empty()) return std::nullopt;
  const time_t t = curl_getdate(text.c_str(), nullptr);
  if (t == -1) return std::nullopt;
  return absl::FromTimeT(t);
}

std::optional<absl::Duration> MaxAgeFromCacheControl(
    const std::vector<std::string>& cache_control) {
  for (const std::string& header : cache_control) {
    for (absl::string_view directive : absl::StrSplit(header, ',')) {
      directive = absl::StripAsciiWhitespace(directive);
      const size_t eq = directive.find('=');
      if (eq == absl::string_view::npos) continue;
      if (!absl::EqualsIgnoreCase(
              absl::StripAsciiWhitespace(directive.substr(0, eq)), "max-age")) {
        continue;
      }
      absl::string_view value =
          absl::StripAsciiWhitespace(directive.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return ParseSeconds(value);
    }
  }
  return std::nullopt;
}

std::optional<absl::Duration> FreshnessLifetime(
    const std::vector<std::string>& cache_control,
    const std::optional<std::string>& expires,
    const std::optional<std::string>& date, absl::Time now) {
  if (std::optional<absl::Duration> max_age =
          MaxAgeFromCacheControl(cache_control)) {
    return max_age;
  }
  if (!expires.has_value()) return std::nullopt;
  std::optional<absl::Time> expiry = ParseHttpDate(*expires);
  if (!expiry.has_value()) return absl::ZeroDuration();
  return std::max(absl::ZeroDuration(), *expiry - ReferenceTime(date, now));
}

std::optional<absl::Duration> ParseRetryAfter(
    absl::string_view value, const std::optional<std::string>& date,
    absl::Time now) {
  if (std::optional<absl::Duration> seconds = ParseSeconds(value)) {
    return seconds;
  }
  std::optional<absl::Time> when = ParseHttpDate(value);
  if (!when.has_value()) return std::nullopt;
  return std::max(absl::ZeroDuration(), *when - ReferenceTime(date, now));
}

}  // namespace newsfeed::ingest::internal
