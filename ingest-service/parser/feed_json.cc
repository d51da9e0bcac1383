// FeedToJson (declared in feed_parser.h): the `newsfeed parse` output.

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "ingest-service/parser/feed_parser.h"

namespace newsfeed::ingest {
namespace {

// Writes one JSON object, remembering whether a comma is due.
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject() {
    Separate();
    out_->push_back('{');
    first_ = true;
  }
  void EndObject() {
    out_->push_back('}');
    first_ = false;
  }
  void BeginArray() {
    Separate();
    out_->push_back('[');
    first_ = true;
  }
  void EndArray() {
    out_->push_back(']');
    first_ = false;
  }
  // Starts member `name`; the value written next belongs to it.
  void Key(std::string_view name) {
    Separate();
    AppendString(name);
    out_->push_back(':');
    first_ = true;
  }
  void String(std::string_view value) {
    Separate();
    AppendString(value);
  }
  void Number(int64_t value) {
    Separate();
    absl::StrAppend(out_, value);
  }
  // Members with absent values are omitted, per the contract.
  void OptionalString(std::string_view name, std::string_view value) {
    if (value.empty()) return;
    Key(name);
    String(value);
  }
  void OptionalTime(std::string_view name,
                    const std::optional<absl::Time>& time) {
    if (!time) return;
    Key(name);
    String(FormatRfc3339(*time));
  }

 private:
  void Separate() {
    if (!first_) out_->push_back(',');
    first_ = false;
  }

  void AppendString(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_->push_back('"');
    for (char c : s) {
      auto u = static_cast<unsigned char>(c);
      switch (c) {
        case '"':
          out_->append("\\\"");
          break;
        case '\\':
          out_->append("\\\\");
          break;
        case '\n':
          out_->append("\\n");
          break;
        case '\r':
          out_->append("\\r");
          break;
        case '\t':
          out_->append("\\t");
          break;
        case '\b':
          out_->append("\\b");
          break;
        case '\f':
          out_->append("\\f");
          break;
        default:
          if (u < 0x20 || u == 0x7F) {
            out_->append("\\u00");
            out_->push_back(kHex[u >> 4]);
            out_->push_back(kHex[u & 0xF]);
          } else {
            // UTF-8 passes through: the parser guarantees it is valid.
            out_->push_back(c);
          }
      }
    }
    out_->push_back('"');
  }

  std::string* out_;
  bool first_ = true;
};

}  // namespace

std::string FeedToJson(const ParsedFeed& feed) {
  std::string out;
  JsonWriter json(&out);
  json.BeginObject();
  json.Key("feed");
  json.BeginObject();
  json.OptionalString("title", feed.title);
  json.OptionalString("link", feed.link);
  json.OptionalString("description", feed.description);
  json.OptionalString("language", feed.language);
  json.OptionalTime("updated", feed.updated);
  json.EndObject();
  json.Key("items");
  json.BeginArray();
  for (const ParsedItem& item : feed.items) {
    json.BeginObject();
    json.OptionalString("id", item.id);
    json.OptionalString("title", item.title);
    json.OptionalString("link", item.link);
    json.OptionalString("summary", item.summary);
    json.OptionalString("content", item.content);
    if (!item.authors.empty()) {
      json.Key("authors");
      json.BeginArray();
      for (const ParsedAuthor& author : item.authors) {
        json.BeginObject();
        json.OptionalString("name", author.name);
        json.OptionalString("email", author.email);
        json.EndObject();
      }
      json.EndArray();
    }
    if (!item.categories.empty()) {
      json.Key("categories");
      json.BeginArray();
      for (const std::string& category : item.categories) json.String(category);
      json.EndArray();
    }
    json.OptionalTime("published", item.published);
    json.OptionalTime("updated", item.updated);
    if (!item.enclosures.empty()) {
      json.Key("enclosures");
      json.BeginArray();
      for (const ParsedEnclosure& enclosure : item.enclosures) {
        json.BeginObject();
        json.OptionalString("url", enclosure.url);
        json.OptionalString("type", enclosure.type);
        if (enclosure.length > 0) {
          json.Key("length");
          json.Number(enclosure.length);
        }
        json.EndObject();
      }
      json.EndArray();
    }
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return out;
}

}  // namespace newsfeed::ingest
