// JSON Feed (https://jsonfeed.org, versions 1 and 1.1) into a ParsedFeed,
// for ParseFeed: feedparser and gofeed both read it beside RSS and Atom.
// The JSON itself is read by protobuf's parser into a google.protobuf.Struct,
// which the project already links and which bounds nesting.

#include "ingest-service/parser/json_feed.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ingest-service/parser/encoding.h"
#include "ingest-service/parser/html_entities.h"
#include "ingest-service/parser/url.h"

namespace newsfeed::ingest::internal {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

// The member `key` when it is present and of `kind`, else nullptr.
const Value* Member(const Struct& object, const std::string& key,
                    Value::KindCase kind) {
  auto it = object.fields().find(key);
  if (it == object.fields().end() || it->second.kind_case() != kind) {
    return nullptr;
  }
  return &it->second;
}

// The string member `key`, or empty when absent or not a string.
std::string_view StringField(const Struct& object, const std::string& key) {
  const Value* v = Member(object, key, Value::kStringValue);
  return v == nullptr ? std::string_view()
                      : std::string_view(v->string_value());
}

const Struct* ObjectField(const Struct& object, const std::string& key) {
  const Value* v = Member(object, key, Value::kStructValue);
  return v == nullptr ? nullptr : &v->struct_value();
}

const ListValue* ListField(const Struct& object, const std::string& key) {
  const Value* v = Member(object, key, Value::kListValue);
  return v == nullptr ? nullptr : &v->list_value();
}

class JsonFeedReader {
 public:
  JsonFeedReader(const ParseOptions& options, ParsedFeed* feed)
      : options_(options), feed_(feed), base_(options.feed_url) {}

  void Read(const Struct& root) {
    feed_->title = CollapseWhitespace(StringField(root, "title"));
    std::string_view home = StringField(root, "home_page_url");
    feed_->link = Url(home);
    if (HasScheme(feed_->link)) base_ = feed_->link;
    feed_->description = std::string(StringField(root, "description"));
    feed_->language = std::string(StringField(root, "language"));
    std::string self = Url(StringField(root, "feed_url"));
    if (HasScheme(self)) feed_->self_url = std::move(self);
    // "hubs": [{"type": "WebSub", "url": ...}]; other hub types are not
    // ours to use.
    if (const ListValue* hubs = ListField(root, "hubs"); hubs != nullptr) {
      for (const Value& hub : hubs->values()) {
        if (hub.kind_case() != Value::kStructValue) continue;
        if (absl::EqualsIgnoreCase(Av(StringField(hub.struct_value(), "type")),
                                   "websub")) {
          AddHub(feed_, Url(StringField(hub.struct_value(), "url")));
        }
      }
    }
    Limit(&feed_->title);
    Limit(&feed_->description);
    std::vector<ParsedAuthor> feed_authors = Authors(root);
    const ListValue* items = ListField(root, "items");
    if (items == nullptr) return;
    for (const Value& value : items->values()) {
      if (value.kind_case() != Value::kStructValue) continue;
      if (feed_->items.size() >= options_.max_items) {
        feed_->warnings.push_back(absl::StrCat("more than ", options_.max_items,
                                               " items; the rest dropped"));
        break;
      }
      ReadItem(value.struct_value(), feed_authors);
    }
  }

 private:
  void ReadItem(const Struct& object,
                const std::vector<ParsedAuthor>& feed_authors) {
    ParsedItem& item = feed_->items.emplace_back();
    auto id = object.fields().find("id");
    if (id != object.fields().end()) item.id = IdText(id->second);
    item.link = Url(StringField(object, "url"));
    if (item.link.empty()) item.link = Url(StringField(object, "external_url"));
    item.id_is_permalink = !item.id.empty() && item.id == item.link;
    item.title = HtmlSnippetToText(StringField(object, "title"));
    item.summary = std::string(StringField(object, "summary"));
    std::string_view html = StringField(object, "content_html");
    item.content = html.empty()
                       ? EscapeHtml(StringField(object, "content_text"))
                       : std::string(html);
    item.published = ParseFeedDate(StringField(object, "date_published"));
    item.updated = ParseFeedDate(StringField(object, "date_modified"));
    item.language = std::string(StringField(object, "language"));
    if (item.language.empty()) item.language = feed_->language;
    item.authors = Authors(object);
    if (item.authors.empty()) item.authors = feed_authors;
    if (const ListValue* tags = ListField(object, "tags")) {
      for (const Value& tag : tags->values()) {
        if (tag.kind_case() != Value::kStringValue) continue;
        std::string term = CollapseWhitespace(tag.string_value());
        if (term.empty() || Contains(item.categories, term)) continue;
        if (item.categories.size() >= options_.max_list_entries) break;
        item.categories.push_back(std::move(term));
      }
    }
    if (const ListValue* attachments = ListField(object, "attachments")) {
      for (const Value& value : attachments->values()) {
        if (value.kind_case() != Value::kStructValue) continue;
        if (item.enclosures.size() >= options_.max_list_entries) break;
        const Struct& attachment = value.struct_value();
        ParsedEnclosure enclosure;
        enclosure.url = Url(StringField(attachment, "url"));
        if (enclosure.url.empty()) continue;
        enclosure.type = std::string(StringField(attachment, "mime_type"));
        auto size = attachment.fields().find("size_in_bytes");
        if (size != attachment.fields().end() &&
            size->second.kind_case() == Value::kNumberValue &&
            size->second.number_value() > 0 &&
            size->second.number_value() < 9e18) {
          enclosure.length = static_cast<int64_t>(size->second.number_value());
        }
        item.enclosures.push_back(std::move(enclosure));
      }
    }
    std::string_view image = StringField(object, "image");
    if (image.empty()) image = StringField(object, "banner_image");
    item.thumbnail_url = Url(image);
    Limit(&item.title);
    Limit(&item.summary);
    Limit(&item.content);
  }

  // The spec says a non-string id is to be coerced to a string; this is
  // how feedparser prints scalars (objects and lists give no id).
  static std::string IdText(const Value& value) {
    switch (value.kind_case()) {
      case Value::kStringValue: {
        absl::string_view id = absl::StripAsciiWhitespace(value.string_value());
        return std::string(id.data(), id.size());
      }
      case Value::kBoolValue:
        return value.bool_value() ? "true" : "false";
      case Value::kNullValue:
        return "null";
      case Value::kNumberValue: {
        double v = value.number_value();
        if (std::isnan(v)) return "NaN";
        if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
        if (v == std::floor(v) && std::fabs(v) < 1e15) {
          return absl::StrFormat("%.0f", v);
        }
        // The shortest form that reads back as the same number, as Python
        // prints floats ("0.1", not "0.10000000000000001").
        for (int precision = 1; precision < 17; ++precision) {
          std::string text = absl::StrFormat("%.*g", precision, v);
          if (std::strtod(text.c_str(), nullptr) == v) return text;
        }
        return absl::StrFormat("%.17g", v);
      }
      default:
        return {};
    }
  }

  // Version 1.1 "authors" (a list), else version 1 "author" (one object).
  std::vector<ParsedAuthor> Authors(const Struct& object) {
    std::vector<ParsedAuthor> authors;
    auto add = [&](const Struct& person) {
      ParsedAuthor author;
      author.name = CollapseWhitespace(StringField(person, "name"));
      std::string_view url = StringField(person, "url");
      if (absl::StartsWithIgnoreCase(Av(url), "mailto:")) {
        // "mailto:jane@example.com?subject=Feed": the address only.
        std::string_view address = url.substr(7);
        author.email = std::string(address.substr(0, address.find('?')));
      } else {
        author.uri = Url(url);
      }
      if (!author.name.empty() || !author.email.empty()) {
        authors.push_back(std::move(author));
      }
    };
    if (const ListValue* list = ListField(object, "authors")) {
      for (const Value& value : list->values()) {
        if (authors.size() >= options_.max_list_entries) break;
        if (value.kind_case() == Value::kStructValue) add(value.struct_value());
      }
    } else if (const Struct* author = ObjectField(object, "author")) {
      add(*author);
    }
    return authors;
  }

  static bool Contains(const std::vector<std::string>& list,
                       const std::string& value) {
    for (const std::string& v : list) {
      if (v == value) return true;
    }
    return false;
  }

  std::string Url(std::string_view raw) {
    absl::string_view stripped = absl::StripAsciiWhitespace(Av(raw));
    std::string_view trimmed(stripped.data(), stripped.size());
    if (trimmed.empty()) return {};
    std::string url = base_.empty() || HasScheme(trimmed)
                          ? std::string(trimmed)
                          : ResolveUrlLikeCurl(trimmed, base_);
    if (url.size() > options_.max_url_bytes) return {};
    return url;
  }

  void Limit(std::string* field) {
    if (field->size() <= options_.max_field_bytes) return;
    TruncateUtf8(field, options_.max_field_bytes);
    if (!field_warning_) {
      field_warning_ = true;
      feed_->warnings.push_back(absl::StrCat(
          "field longer than ", options_.max_field_bytes, " bytes truncated"));
    }
  }

  const ParseOptions& options_;
  ParsedFeed* feed_;
  std::string base_;
  bool field_warning_ = false;
};

// How deep arrays and objects may nest together: the limit protobuf's JSON
// parser puts on objects alone ("Message too deep", kDefaultMaxRecursionDepth
// in its json_stream_parser.cc). It counts no arrays, and its time grows with
// the square of their depth: 100,000 nested arrays (200 KB) took 527 s. No
// document that parsed before is refused: a Struct holding more than 33
// nested objects or 49 nested arrays already failed its conversion
// (protobuf's limit of 100 nested messages).
constexpr int kMaxJsonDepth = 100;

// The offset of the bracket at which arrays and objects nest deeper than
// kMaxJsonDepth, or npos. Brackets inside strings do not count; strings
// are double- or single-quoted (protobuf reads both) with backslash
// escapes. One pass, no allocation: it runs before the parser.
size_t TooDeepAt(std::string_view json) {
  int depth = 0;
  char quote = 0;  // the open string's quote, or 0 outside strings
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

}  // namespace

bool LooksLikeJsonFeed(std::string_view body) {
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
  for (char c : body) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    return c == '{';
  }
  return false;
}

absl::StatusOr<ParsedFeed> ParseJsonFeed(std::string_view body,
                                         const ParseOptions& options) {
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
  // A Struct costs tens of bytes per JSON value, so a small document of
  // "[],[],..." could cost hundreds of megabytes. Values are bounded by the
  // structural characters; allow what max_items items of a few dozen
  // members each can need.
  size_t structural = 0;
  for (char c : body) {
    structural += (c == ',' || c == '[' || c == '{' || c == ':');
  }
  const size_t max_values = options.max_items * 64 + 10000;
  if (structural > max_values) {
    return absl::ResourceExhaustedError(
        absl::StrCat("feed ", options.feed_url,
                     ": JSON document has more than ", max_values, " values"));
  }
  if (size_t at = TooDeepAt(body); at != std::string_view::npos) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "feed ", options.feed_url, ": JSON arrays and objects nested deeper ",
        "than ", kMaxJsonDepth, " (at byte ", at, ")"));
  }
  Struct root;
  google::protobuf::util::JsonParseOptions json_options;
  json_options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), &root,
      json_options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "feed ", options.feed_url, ": not a JSON Feed: ", status.ToString()));
  }
  std::string_view version = StringField(root, "version");
  if (!absl::StrContains(Av(version), "jsonfeed.org") &&
      ListField(root, "items") == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "feed ", options.feed_url, ": JSON document is not a JSON Feed"));
  }
  ParsedFeed feed;
  feed.format = absl::StrContains(Av(version), "1.1") ? "json1.1" : "json1.0";
  JsonFeedReader(options, &feed).Read(root);
  return feed;
}

}  // namespace newsfeed::ingest::internal
