#include "query-service/http/query_params.h"

#include <google/protobuf/util/time_util.h>

#include <cstdint>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/text/utf8.h"

namespace newsfeed::query {
namespace {

using newsfeed::v1::ArticleFilter;
using newsfeed::v1::TagFilter;

// Longest stretch of a peer's parameter name or value echoed in an error.
constexpr size_t kMaxEchoBytes = 64;

std::string Echo(absl::string_view text) {
  return absl::CHexEscape(text.substr(0, kMaxEchoBytes));
}

absl::Status Invalid(absl::string_view name, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(name, ": ", why));
}

// The TagFilter of `filter` that parameter `dimension` names, or nullptr.
TagFilter* Dimension(absl::string_view dimension, ArticleFilter& filter) {
  if (dimension == "company") return filter.mutable_companies();
  if (dimension == "country") return filter.mutable_countries();
  if (dimension == "topic") return filter.mutable_topics();
  if (dimension == "feed") return filter.mutable_feeds();
  if (dimension == "language") return filter.mutable_languages();
  return nullptr;
}

constexpr const char* kFilterParams[] = {
    "company",    "company.all",     "company.none",
    "country",    "country.all",     "country.none",
    "topic",      "topic.all",       "topic.none",
    "feed",       "feed.all",        "feed.none",
    "language",   "language.all",    "language.none",
    "text",       "published_after", "published_before",
    "min_amount", "currency"};

absl::StatusOr<google::protobuf::Timestamp> ParseTime(
    absl::string_view name, const std::string& value) {
  google::protobuf::Timestamp time;
  if (!google::protobuf::util::TimeUtil::FromString(value, &time)) {
    return Invalid(name, absl::StrCat("\"", Echo(value),
                                      "\" is not an RFC 3339 time such as "
                                      "2026-03-01T00:00:00Z"));
  }
  return time;
}

// Walks a request's parameters once: the filter parameters every route
// shares, then the route's own through `route_param`, which returns false
// for a name it does not know.
class ParamWalker {
 public:
  explicit ParamWalker(std::vector<absl::string_view> route_params)
      : route_params_(std::move(route_params)) {}

  template <typename RouteParam>
  absl::Status Walk(const QueryParams& params, ArticleFilter& filter,
                    RouteParam route_param) {
    for (const auto& [name, value] : params) {
      if (!newsfeed::text::IsValidUtf8(name) ||
          name.find('\0') != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            "parameter \"", Echo(name), "\": name is not valid UTF-8"));
      }
      if (name == kAccessTokenParam) continue;
      if (!newsfeed::text::IsValidUtf8(value))
        return Invalid(name, "not valid UTF-8");
      if (value.find('\0') != std::string::npos) {
        return Invalid(name, "contains a NUL byte");
      }
      if (absl::Status s = FilterParam(name, value, filter); !s.ok()) {
        if (s.code() != absl::StatusCode::kNotFound) return s;
        absl::StatusOr<bool> known = route_param(name, value);
        if (!known.ok()) return known.status();
        if (!*known) return Unknown(name);
      }
    }
    return absl::OkStatus();
  }

  // INVALID_ARGUMENT when `name` was seen before (non-repeatable).
  absl::Status Once(absl::string_view name) {
    if (!seen_.insert(std::string(name)).second) {
      return Invalid(name, "given more than once");
    }
    return absl::OkStatus();
  }

 private:
  // NOT_FOUND when `name` is not a filter parameter.
  absl::Status FilterParam(const std::string& name, const std::string& value,
                           ArticleFilter& filter) {
    const size_t dot = name.find('.');
    const absl::string_view dimension = absl::string_view(name).substr(0, dot);
    if (TagFilter* tags = Dimension(dimension, filter)) {
      const absl::string_view mode = dot == std::string::npos
                                         ? absl::string_view()
                                         : absl::string_view(name).substr(dot);
      if (value.empty()) return Invalid(name, "empty value");
      if (mode.empty()) {
        tags->add_any_of(value);
      } else if (mode == ".all") {
        tags->add_all_of(value);
      } else if (mode == ".none") {
        tags->add_none_of(value);
      } else {
        return absl::NotFoundError(name);
      }
      return absl::OkStatus();
    }
    if (name == "text") {
      if (absl::Status s = Once(name); !s.ok()) return s;
      filter.set_text(value);
    } else if (name == "published_after" || name == "published_before") {
      if (absl::Status s = Once(name); !s.ok()) return s;
      absl::StatusOr<google::protobuf::Timestamp> time = ParseTime(name, value);
      if (!time.ok()) return time.status();
      *(name == "published_after" ? filter.mutable_published_after()
                                  : filter.mutable_published_before()) = *time;
    } else if (name == "min_amount") {
      if (absl::Status s = Once(name); !s.ok()) return s;
      double amount;
      if (!absl::SimpleAtod(value, &amount) || !(amount >= 0) ||
          amount > 1e18) {
        return Invalid(name, absl::StrCat("\"", Echo(value),
                                          "\" is not an amount from 0"));
      }
      filter.set_min_amount(amount);
    } else if (name == "currency") {
      if (absl::Status s = Once(name); !s.ok()) return s;
      filter.set_amount_currency(absl::AsciiStrToUpper(value));
    } else {
      return absl::NotFoundError(name);
    }
    return absl::OkStatus();
  }

  absl::Status Unknown(absl::string_view name) const {
    std::vector<absl::string_view> known(std::begin(kFilterParams),
                                         std::end(kFilterParams));
    known.insert(known.end(), route_params_.begin(), route_params_.end());
    known.push_back(kAccessTokenParam);
    return absl::InvalidArgumentError(
        absl::StrCat("unknown parameter \"", Echo(name),
                     "\"; this route takes ", absl::StrJoin(known, ", ")));
  }

  const std::vector<absl::string_view> route_params_;
  absl::flat_hash_set<std::string> seen_;
};

template <typename Int>
absl::StatusOr<Int> ParseCount(absl::string_view name, const std::string& value,
                               Int min, Int max) {
  Int number;
  if (!absl::SimpleAtoi(value, &number) || number < min || number > max) {
    return Invalid(
        name, absl::StrCat("\"", Echo(value), "\" is not a number from ", min,
                           " to ", max));
  }
  return number;
}

}  // namespace

absl::StatusOr<newsfeed::v1::SearchRequest> ParseSearchParams(
    const QueryParams& params) {
  newsfeed::v1::SearchRequest request;
  ParamWalker walker({"page_size", "page_token", "order"});
  absl::Status status = walker.Walk(
      params, *request.mutable_filter(),
      [&](const std::string& name,
          const std::string& value) -> absl::StatusOr<bool> {
        if (name == "page_size") {
          if (absl::Status s = walker.Once(name); !s.ok()) return s;
          // The store names the allowed range; here only a number is due.
          absl::StatusOr<int32_t> size =
              ParseCount<int32_t>(name, value, 0, INT32_MAX);
          if (!size.ok()) return size.status();
          request.set_page_size(*size);
        } else if (name == "page_token") {
          if (absl::Status s = walker.Once(name); !s.ok()) return s;
          request.set_page_token(value);
        } else if (name == "order") {
          if (absl::Status s = walker.Once(name); !s.ok()) return s;
          const std::string order = absl::AsciiStrToLower(value);
          if (order == "newest" || order == "newest_first") {
            request.set_order(newsfeed::v1::SEARCH_ORDER_NEWEST_FIRST);
          } else if (order == "relevance") {
            request.set_order(newsfeed::v1::SEARCH_ORDER_RELEVANCE);
          } else {
            return Invalid(name, absl::StrCat("\"", Echo(value),
                                              "\" is not newest or relevance"));
          }
        } else {
          return false;
        }
        return true;
      });
  if (!status.ok()) return status;
  return request;
}

absl::StatusOr<newsfeed::v1::FacetsRequest> ParseFacetsParams(
    const QueryParams& params) {
  newsfeed::v1::FacetsRequest request;
  ParamWalker walker({"limit"});
  absl::Status status =
      walker.Walk(params, *request.mutable_filter(),
                  [&](const std::string& name,
                      const std::string& value) -> absl::StatusOr<bool> {
                    if (name != "limit") return false;
                    if (absl::Status s = walker.Once(name); !s.ok()) return s;
                    absl::StatusOr<int32_t> limit =
                        ParseCount<int32_t>(name, value, 0, INT32_MAX);
                    if (!limit.ok()) return limit.status();
                    request.set_limit(*limit);
                    return true;
                  });
  if (!status.ok()) return status;
  return request;
}

absl::StatusOr<newsfeed::v1::SubscribeRequest> ParseStreamParams(
    const QueryParams& params, absl::string_view last_event_id) {
  newsfeed::v1::SubscribeRequest request;
  ParamWalker walker({"after_sequence", "since"});
  absl::Status status = walker.Walk(
      params, *request.mutable_filter(),
      [&](const std::string& name,
          const std::string& value) -> absl::StatusOr<bool> {
        if (name == "after_sequence" || name == "since") {
          if (absl::Status s = walker.Once("after_sequence or since");
              !s.ok()) {
            return Invalid(name, "give after_sequence or since, once");
          }
        }
        if (name == "after_sequence") {
          absl::StatusOr<uint64_t> after =
              ParseCount<uint64_t>(name, value, 0, UINT64_MAX);
          if (!after.ok()) return after.status();
          request.set_after_sequence(*after);
        } else if (name == "since") {
          absl::StatusOr<google::protobuf::Timestamp> time =
              ParseTime(name, value);
          if (!time.ok()) return time.status();
          *request.mutable_since_time() = *time;
        } else {
          return false;
        }
        return true;
      });
  if (!status.ok()) return status;
  if (!last_event_id.empty()) {
    absl::StatusOr<uint64_t> after = ParseCount<uint64_t>(
        "Last-Event-ID", std::string(last_event_id), 0, UINT64_MAX);
    if (!after.ok()) return after.status();
    request.set_after_sequence(*after);
  }
  return request;
}

absl::StatusOr<std::string> ParseArticleId(absl::string_view id,
                                           const QueryParams& params,
                                           size_t max_id_bytes) {
  for (const auto& [name, value] : params) {
    if (name == kAccessTokenParam) continue;
    return absl::InvalidArgumentError(
        absl::StrCat("unknown parameter \"", Echo(name),
                     "\"; this route takes ", kAccessTokenParam));
  }
  if (id.empty()) return Invalid("id", "empty");
  // The not-found message would echo a peer's kilobytes back.
  if (id.size() > max_id_bytes) {
    return Invalid(
        "id", absl::StrCat(id.size(), " bytes, longer than ", max_id_bytes));
  }
  if (!newsfeed::text::IsValidUtf8(std::string_view(id.data(), id.size())) ||
      id.find('\0') != absl::string_view::npos) {
    return Invalid("id", "not valid UTF-8");
  }
  return std::string(id);
}

}  // namespace newsfeed::query
