#include "cli/format.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/log/log.h"

namespace newsfeed::cli {
namespace {

bool IsContinuationByte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Text from a feed or a peer made safe for a terminal: line breaks and
// tabs become spaces, other control characters visible escapes (\x1b), so
// that a title cannot clear the screen or fake table rows.
std::string Printable(absl::string_view text) {
  std::string spaced(text);
  for (char& c : spaced) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return log::EscapeControls(spaced);
}

std::string PadRight(absl::string_view text, size_t width) {
  std::string out(text);
  const size_t w = DisplayWidth(text);
  if (w < width) out.append(width - w, ' ');
  return out;
}

absl::string_view FieldName(v1::TextField field) {
  switch (field) {
    case v1::TEXT_FIELD_TITLE:
      return "title";
    case v1::TEXT_FIELD_BODY:
      return "body";
    default:
      return "?";
  }
}

std::string FormatAmountValue(double value) {
  if (value >= 1e9) return absl::StrFormat("%g billion", value / 1e9);
  if (value >= 1e6) return absl::StrFormat("%g million", value / 1e6);
  return absl::StrFormat("%g", value);
}

template <typename Tags, typename Fn>
std::string JoinTags(const Tags& tags, Fn fn) {
  std::vector<std::string> parts;
  for (const auto& tag : tags) parts.push_back(fn(tag));
  return absl::StrJoin(parts, ",");
}

}  // namespace

std::string ToJsonLine(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options)
           .ok()) {
    // Only fails for invalid UTF-8 in string fields; keep the line valid JSON.
    return R"({"error":"message not representable as JSON"})";
  }
  return json;
}

std::string FormatMinuteUtc(const google::protobuf::Timestamp& timestamp) {
  if (timestamp.seconds() == 0 && timestamp.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M",
                          absl::FromUnixSeconds(timestamp.seconds()),
                          absl::UTCTimeZone());
}

size_t DisplayWidth(absl::string_view text) {
  return static_cast<size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return !IsContinuationByte(c); }));
}

std::string Truncate(absl::string_view text, size_t width) {
  if (DisplayWidth(text) <= width) return std::string(text);
  if (width == 0) return "";
  // Keep width-1 code points, then the ellipsis.
  size_t kept = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsContinuationByte(text[i])) {
      if (kept == width - 1) break;
      ++kept;
    }
    ++i;
  }
  std::string out(text.substr(0, i));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out + "…";
}

void PrintTable(std::ostream& out, const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& raw_rows) {
  std::vector<std::vector<std::string>> rows = raw_rows;
  for (auto& row : rows) {
    for (std::string& cell : row) cell = Printable(cell);
  }
  std::vector<size_t> widths(headers.size(), 0);
  for (size_t c = 0; c < headers.size(); ++c) {
    widths[c] = DisplayWidth(headers[c]);
  }
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], DisplayWidth(row[c]));
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < headers.size(); ++c) {
      const absl::string_view cell =
          c < row.size() ? absl::string_view(row[c]) : absl::string_view();
      if (c + 1 == headers.size()) {
        absl::StrAppend(&line, cell);
      } else {
        absl::StrAppend(&line, PadRight(cell, widths[c]), "  ");
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  print_row(headers);
  for (const auto& row : rows) print_row(row);
}

std::string CompanyNames(const v1::Article& article) {
  return JoinTags(article.companies(), [](const v1::CompanyTag& t) {
    return t.name().empty() ? t.id() : t.name();
  });
}

std::string CountryCodes(const v1::Article& article) {
  return JoinTags(article.countries(),
                  [](const v1::CountryTag& t) { return t.code(); });
}

std::string TopicIds(const v1::Article& article) {
  return JoinTags(article.topics(),
                  [](const v1::TopicTag& t) { return t.id(); });
}

void PrintArticleTable(std::ostream& out,
                       const std::vector<v1::Article>& articles) {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(articles.size());
  for (const v1::Article& a : articles) {
    const google::protobuf::Timestamp& when =
        a.has_published_time() ? a.published_time() : a.fetched_time();
    rows.push_back({FormatMinuteUtc(when), Truncate(a.title(), kTitleWidth),
                    CompanyNames(a), CountryCodes(a), TopicIds(a)});
  }
  PrintTable(out, {"PUBLISHED", "TITLE", "COMPANIES", "COUNTRIES", "TOPICS"},
             rows);
}

std::string FormatEvidence(
    const google::protobuf::RepeatedPtrField<v1::Evidence>& evidence) {
  std::vector<std::string> parts;
  for (const v1::Evidence& e : evidence) {
    parts.push_back(absl::StrCat(e.rule().empty() ? e.text() : e.rule(), " @ ",
                                 FieldName(e.field()), " ", e.begin(), "-",
                                 e.end()));
  }
  return absl::StrJoin(parts, "; ");
}

void PrintArticleDetail(std::ostream& out, const v1::Article& a) {
  auto field = [&out](absl::string_view label, absl::string_view value) {
    if (value.empty()) return;
    out << PadRight(absl::StrCat(label, ":"), 11) << Printable(value) << '\n';
  };
  auto list = [&out](absl::string_view label,
                     const std::vector<std::string>& values) {
    for (size_t i = 0; i < values.size(); ++i) {
      out << PadRight(i == 0 ? absl::StrCat(label, ":") : "", 11)
          << Printable(values[i]) << '\n';
    }
  };
  field("Title", a.title());
  field("ID", a.id());
  field("URL", a.url());
  std::string source = a.source_title();
  if (!a.feed_url().empty()) {
    source = source.empty() ? a.feed_url()
                            : absl::StrCat(source, " (", a.feed_url(), ")");
  }
  field("Source", source);
  if (a.has_published_time()) {
    field("Published", FormatMinuteUtc(a.published_time()) + " UTC");
  }
  if (a.has_updated_time()) {
    field("Updated", FormatMinuteUtc(a.updated_time()) + " UTC");
  }
  field("Language", a.language());
  std::vector<std::string> authors;
  for (const v1::Author& au : a.authors()) {
    std::string s = au.name();
    if (!au.email().empty()) {
      s = s.empty() ? au.email() : absl::StrCat(s, " <", au.email(), ">");
    }
    if (!s.empty()) authors.push_back(std::move(s));
  }
  field("Authors", absl::StrJoin(authors, ", "));
  field("Summary", a.summary());

  std::vector<std::string> companies;
  for (const v1::CompanyTag& c : a.companies()) {
    std::string s = c.name().empty() ? c.id() : c.name();
    if (!c.evidence().empty()) {
      absl::StrAppend(&s, " (", FormatEvidence(c.evidence()), ")");
    }
    companies.push_back(std::move(s));
  }
  list("Companies", companies);
  std::vector<std::string> countries;
  for (const v1::CountryTag& c : a.countries()) {
    std::string s = c.name().empty()
                        ? c.code()
                        : absl::StrCat(c.name(), " [", c.code(), "]");
    if (!c.evidence().empty()) {
      absl::StrAppend(&s, " (", FormatEvidence(c.evidence()), ")");
    }
    countries.push_back(std::move(s));
  }
  list("Countries", countries);
  std::vector<std::string> topics;
  for (const v1::TopicTag& t : a.topics()) {
    std::string s =
        t.name().empty() ? t.id() : absl::StrCat(t.name(), " [", t.id(), "]");
    if (!t.evidence().empty()) {
      absl::StrAppend(&s, " (", FormatEvidence(t.evidence()), ")");
    }
    topics.push_back(std::move(s));
  }
  list("Topics", topics);
  std::vector<std::string> amounts;
  for (const v1::MoneyAmount& m : a.amounts()) {
    std::string s =
        absl::StrCat(FormatAmountValue(m.value()), " ", m.currency());
    if (!m.text().empty()) absl::StrAppend(&s, " (\"", m.text(), "\")");
    if (!m.company_id().empty()) {
      // Name the company as tagged on this article; its id otherwise.
      std::string company = m.company_id();
      for (const v1::CompanyTag& c : a.companies()) {
        if (c.id() == m.company_id() && !c.name().empty()) company = c.name();
      }
      absl::StrAppend(&s, " attributed to ", company);
    }
    amounts.push_back(std::move(s));
  }
  list("Amounts", amounts);
  if (a.sequence() != 0) field("Sequence", absl::StrCat(a.sequence()));
}

void PrintFacets(std::ostream& out, const v1::FacetsResponse& facets) {
  out << facets.total() << (facets.total() == 1 ? " article" : " articles")
      << " match\n";
  auto section =
      [&out](absl::string_view title,
             const google::protobuf::RepeatedPtrField<v1::FacetCount>& counts) {
        out << '\n';
        std::vector<std::vector<std::string>> rows;
        for (const v1::FacetCount& f : counts) {
          std::string count = absl::StrCat(f.count());
          rows.push_back({f.label().empty() ? f.value() : f.label(), f.value(),
                          std::move(count)});
        }
        if (rows.empty()) {
          out << title << ": none\n";
          return;
        }
        PrintTable(out, {std::string(title), "ID", "COUNT"}, rows);
      };
  section("COMPANIES", facets.companies());
  section("COUNTRIES", facets.countries());
  section("TOPICS", facets.topics());
}

// "45s", "12m", "2.5h", "3.1d"; "-" before the first poll.
std::string FormatInterval(int64_t seconds) {
  if (seconds <= 0) return "-";
  if (seconds < 120) return absl::StrCat(seconds, "s");
  if (seconds < 120 * 60) return absl::StrCat(seconds / 60, "m");
  if (seconds < 48 * 3600) return absl::StrFormat("%.1fh", seconds / 3600.0);
  return absl::StrFormat("%.1fd", seconds / 86400.0);
}

void PrintFeeds(std::ostream& out, const v1::ListFeedsResponse& feeds) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::FeedStatus& f : feeds.feeds()) {
    std::string status;
    if (!f.enabled()) {
      status = "disabled";
    } else if (!f.has_last_attempt_time()) {
      status = "never polled";
    } else if (!f.last_error().empty()) {
      status = f.last_http_status() != 0
                   ? absl::StrCat("error ", f.last_http_status(), ": ",
                                  f.last_error())
                   : absl::StrCat("error: ", f.last_error());
      status = Truncate(status, 40);
    } else {
      status = f.last_http_status() != 0
                   ? absl::StrCat("ok ", f.last_http_status())
                   : "ok";
    }
    rows.push_back({f.id(), Truncate(f.url(), 50), Truncate(f.title(), 30),
                    status, absl::StrCat(f.consecutive_failures()),
                    FormatMinuteUtc(f.next_poll_time()),
                    FormatInterval(f.interval_seconds()),
                    f.has_push() ? f.push().state() : "-",
                    absl::StrCat(f.items_seen()),
                    Truncate(f.interval_reason(), 60)});
  }
  PrintTable(out,
             {"ID", "URL", "TITLE", "LAST STATUS", "FAILURES", "NEXT POLL",
              "INTERVAL", "PUSH", "ITEMS", "WHY THIS INTERVAL"},
             rows);
}

std::string SubscribeLine(const v1::Article& a) {
  const google::protobuf::Timestamp& when =
      a.has_published_time() ? a.published_time() : a.fetched_time();
  std::vector<std::string> tags;
  if (a.companies_size() > 0) tags.push_back("companies=" + CompanyNames(a));
  if (a.countries_size() > 0) tags.push_back("countries=" + CountryCodes(a));
  if (a.topics_size() > 0) tags.push_back("topics=" + TopicIds(a));
  std::string line = absl::StrCat(a.sequence(), "  ", FormatMinuteUtc(when),
                                  "  ", Truncate(a.title(), kTitleWidth));
  if (!tags.empty())
    absl::StrAppend(&line, "  [", absl::StrJoin(tags, " "), "]");
  return Printable(line);
}

}  // namespace newsfeed::cli
