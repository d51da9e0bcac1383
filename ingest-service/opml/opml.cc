// ParseOpml: bytes -> UTF-8 (BOM, UTF-16 shape, declared encoding) ->
// pugixml DOM -> one iterative walk over the outlines. WriteOpml builds its
// document with pugixml, so the escaping is pugixml's.

#include "ingest-service/opml/opml.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <pugixml.hpp>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/text/utf8.h"

namespace newsfeed::ingest {
namespace {

// Debian's absl::string_view is its own type, not std::string_view.
absl::string_view Av(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// How much of a value a problem message quotes.
constexpr size_t kMaxQuotedBytes = 100;

// How far into the document the XML declaration may reach.
constexpr size_t kMaxDeclarationBytes = 1024;

std::string_view Trim(std::string_view s) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(Av(s));
  return std::string_view(trimmed.data(), trimmed.size());
}

// `value` in double quotes, C-escaped and cut to kMaxQuotedBytes, for a
// problem message.
std::string Quote(std::string_view value) {
  std::string_view cut = newsfeed::text::Utf8Prefix(value, kMaxQuotedBytes);
  return absl::StrCat("\"", absl::CHexEscape(Av(cut)), "\"",
                      cut.size() < value.size() ? "..." : "");
}

// Maps byte offsets of one text to 1-based lines. A line ends at "\n",
// "\r\n" or a lone "\r". Offsets asked for in increasing order (document
// order) cost one pass over the text in all.
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {}

  int LineAt(size_t offset) {
    offset = std::min(offset, text_.size());
    if (offset < pos_) {
      pos_ = 0;
      line_ = 1;
    }
    for (; pos_ < offset; ++pos_) {
      char c = text_[pos_];
      if (c == '\n' || (c == '\r' && (pos_ + 1 >= text_.size() ||
                                      text_[pos_ + 1] != '\n'))) {
        ++line_;
      }
    }
    return line_;
  }

  int LineOf(pugi::xml_node node) {
    ptrdiff_t offset = node.offset_debug();
    return offset < 0 ? 0 : LineAt(static_cast<size_t>(offset));
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
};

absl::Status LineError(std::string_view text, size_t offset,
                       std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(
      "OPML line ", LineCounter(text).LineAt(offset), ": ", Av(what)));
}

// Decodes UTF-16 `bytes` (no BOM) into `*out`.
absl::Status DecodeUtf16(std::string_view bytes, bool big_endian,
                         std::string* out) {
  if (bytes.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        "OPML: not valid UTF-16 (odd number of bytes)");
  }
  out->clear();
  out->reserve(bytes.size());
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  auto unit = [&](size_t i) -> char32_t {
    return big_endian ? (s[i] << 8) | s[i + 1] : s[i] | (s[i + 1] << 8);
  };
  for (size_t i = 0; i < bytes.size(); i += 2) {
    char32_t c = unit(i);
    if (c >= 0xD800 && c <= 0xDFFF) {
      char32_t low = i + 3 < bytes.size() ? unit(i + 2) : 0;
      if (c >= 0xDC00 || low < 0xDC00 || low > 0xDFFF) {
        return LineError(*out, out->size(),
                         "not valid UTF-16 (unpaired surrogate)");
      }
      c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
      i += 2;
    }
    newsfeed::text::AppendUtf8(c, out);
  }
  return absl::OkStatus();
}

// Windows-1252's characters for bytes 0x80-0x9F. The five bytes it leaves
// undefined keep their ISO-8859-1 (C1 control) meaning.
constexpr char16_t kWindows1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

// Decodes ISO-8859-1 the way browsers do (WHATWG): as windows-1252, whose
// printable 0x80-0x9F (curly quotes, the euro sign) are what such bytes
// mean in practice; in strict ISO-8859-1 they are unused control codes.
void DecodeLatin1(std::string_view bytes, std::string* out) {
  out->clear();
  out->reserve(bytes.size() + bytes.size() / 8);
  for (char ch : bytes) {
    auto b = static_cast<unsigned char>(ch);
    if (b < 0x80) {
      out->push_back(ch);
    } else if (b < 0xA0) {
      newsfeed::text::AppendUtf8(kWindows1252High[b - 0x80], out);
    } else {
      newsfeed::text::AppendUtf8(b, out);
    }
  }
}

// The encoding named by the XML declaration at the start of `text`; empty
// when there is none.
std::string_view DeclaredEncoding(std::string_view text) {
  std::string_view head = text.substr(0, kMaxDeclarationBytes);
  if (!absl::StartsWith(Av(head), "<?xml")) return "";
  size_t end = head.find("?>");
  if (end == std::string_view::npos) return "";
  std::string_view decl = head.substr(0, end);
  size_t pos = decl.find("encoding");
  if (pos == std::string_view::npos) return "";
  std::string_view rest = decl.substr(pos + 8);
  rest = Trim(rest);
  if (rest.empty() || rest.front() != '=') return "";
  rest = Trim(rest.substr(1));
  if (rest.empty() || (rest.front() != '"' && rest.front() != '\'')) return "";
  size_t close = rest.find(rest.front(), 1);
  if (close == std::string_view::npos) return "";
  return Trim(rest.substr(1, close - 1));
}

bool IsLatin1Name(std::string_view name) {
  constexpr std::string_view kNames[] = {
      "iso-8859-1",  "iso8859-1",    "iso_8859-1", "iso_8859-1:1987", "latin1",
      "latin-1",     "l1",           "iso-ir-100", "cp819",           "ibm819",
      "csisolatin1", "windows-1252", "cp1252",     "x-cp1252"};
  return std::find(std::begin(kNames), std::end(kNames), name) !=
         std::end(kNames);
}

bool IsUtf8CompatibleName(std::string_view name) {
  constexpr std::string_view kNames[] = {"utf-8", "utf8", "us-ascii", "ascii"};
  return std::find(std::begin(kNames), std::end(kNames), name) !=
         std::end(kNames);
}

bool HasNonAscii(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0x80) != 0;
  });
}

// `text` as UTF-8 without a byte-order mark: a view of `text` itself, or of
// `*storage` when it had to be converted. The encoding is the BOM's, else
// UTF-16's when the text starts with "<?" in UTF-16, else the XML
// declaration's. The result is not yet checked to be valid UTF-8.
absl::StatusOr<std::string_view> ToUtf8(std::string_view text,
                                        std::string* storage) {
  if (absl::StartsWith(Av(text), "\xEF\xBB\xBF")) return text.substr(3);
  const bool le_bom = absl::StartsWith(Av(text), "\xFF\xFE");
  const bool be_bom = absl::StartsWith(Av(text), "\xFE\xFF");
  if (le_bom || be_bom) {
    if (absl::Status s = DecodeUtf16(text.substr(2), be_bom, storage);
        !s.ok()) {
      return s;
    }
    return std::string_view(*storage);
  }
  const bool le = absl::StartsWith(Av(text), absl::string_view("<\0?\0", 4));
  const bool be = absl::StartsWith(Av(text), absl::string_view("\0<\0?", 4));
  if (le || be) {
    if (absl::Status s = DecodeUtf16(text, be, storage); !s.ok()) return s;
    return std::string_view(*storage);
  }
  std::string_view declared_as = DeclaredEncoding(text);
  const std::string declared = absl::AsciiStrToLower(Av(declared_as));
  if (declared.empty() || IsUtf8CompatibleName(declared) ||
      absl::StartsWith(declared, "utf-16") || declared == "ucs-2") {
    // "UTF-16" over single-byte text is a mislabel: the "<?xml" we just read
    // was not UTF-16.
    return text;
  }
  if (IsLatin1Name(declared)) {
    // Text that is valid UTF-8 with multi-byte sequences is UTF-8 whatever
    // the declaration says: real ISO-8859-1 text almost never forms them
    // ("Ã©"), while exporters that declare ISO-8859-1 and write UTF-8 do.
    if (!HasNonAscii(text) ||
        newsfeed::text::FirstInvalidUtf8(text) == std::string_view::npos) {
      return text;
    }
    DecodeLatin1(text, storage);
    return std::string_view(*storage);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("OPML line 1: encoding ", Quote(declared_as),
                   " not supported (UTF-8, UTF-16 and ISO-8859-1 are)"));
}

// The attribute `name`, else one whose name equals it ignoring case
// ("xmlurl", "XMLURL": real exports vary).
pugi::xml_attribute Attribute(pugi::xml_node node, const char* name) {
  if (pugi::xml_attribute a = node.attribute(name)) return a;
  for (pugi::xml_attribute a = node.first_attribute(); a;
       a = a.next_attribute()) {
    if (absl::EqualsIgnoreCase(a.name(), name)) return a;
  }
  return pugi::xml_attribute();
}

// `text` with each run of whitespace and control characters (C0, DEL, C1)
// made one space, trimmed, and cut to `max_bytes` at a character boundary.
// `text` is valid UTF-8.
std::string CleanText(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  bool pending_space = false;
  // Stops once past max_bytes; the cut below makes it exact.
  for (size_t i = 0; i < text.size() && out.size() <= max_bytes;) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t len = 1;
    bool space = c < 0x20 || c == ' ' || c == 0x7F;
    if (c == 0xC2 && i + 1 < text.size()) {
      len = 2;
      auto c2 = static_cast<unsigned char>(text[i + 1]);
      space = c2 >= 0x80 && c2 <= 0x9F;  // C1 control
    }
    if (space) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.append(text.substr(i, len));
    }
    i += len;
  }
  out.resize(newsfeed::text::Utf8Prefix(out, max_bytes).size());
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Adds `raw`, cleaned, to `labels` unless it is empty, already there, or
// the feed has all the labels it may have.
void AddLabel(std::string_view raw, std::vector<std::string>* labels) {
  if (labels->size() >= kMaxOpmlLabelsPerFeed) return;
  std::string label = CleanText(raw, kMaxOpmlLabelBytes);
  if (label.empty() ||
      std::find(labels->begin(), labels->end(), label) != labels->end()) {
    return;
  }
  labels->push_back(std::move(label));
}

// Adds the labels of a `category` attribute: comma-separated entries, each
// a "/"-separated path whose last non-empty part is the label
// ("/Markets/Central banks" -> "Central banks").
void AddCategoryLabels(std::string_view category,
                       std::vector<std::string>* labels) {
  while (!category.empty()) {
    size_t comma = category.find(',');
    std::string_view entry = category.substr(0, comma);
    category = comma == std::string_view::npos ? std::string_view()
                                               : category.substr(comma + 1);
    while (!entry.empty()) {
      size_t slash = entry.rfind('/');
      std::string_view part =
          slash == std::string_view::npos ? entry : entry.substr(slash + 1);
      if (!CleanText(part, kMaxOpmlLabelBytes).empty()) {
        AddLabel(part, labels);
        break;
      }
      if (slash == std::string_view::npos) break;
      entry = entry.substr(0, slash);
    }
  }
}

// title, else text.
std::string_view OutlineTitle(pugi::xml_node outline) {
  std::string_view title = Attribute(outline, "title").value();
  if (!Trim(title).empty()) return title;
  return Attribute(outline, "text").value();
}

// Reads the outlines under `body` into `doc`.
class OutlineWalker {
 public:
  OutlineWalker(std::string_view text, const OpmlLimits& limits,
                OpmlDocument* doc)
      : lines_(text), limits_(limits), doc_(doc) {}

  // Depth first in document order, with an explicit stack: the nesting is
  // the document's to choose.
  absl::Status Walk(pugi::xml_node body) {
    struct Level {
      pugi::xml_node next;  // next sibling to visit at this level
      size_t folders;       // folders_.size() to restore on leaving it
    };
    std::vector<Level> stack = {{body.first_child(), 0}};
    while (!stack.empty()) {
      pugi::xml_node node = stack.back().next;
      if (!node) {
        folders_.resize(stack.back().folders);
        stack.pop_back();
        continue;
      }
      stack.back().next = node.next_sibling();
      if (node.type() != pugi::node_element ||
          std::strcmp(node.name(), "outline") != 0) {
        continue;
      }
      const int line = lines_.LineOf(node);
      if (stack.size() > static_cast<size_t>(std::max(limits_.max_depth, 0))) {
        return absl::InvalidArgumentError(
            absl::StrCat("OPML line ", line, ": outlines nested deeper than ",
                         limits_.max_depth));
      }
      const size_t folders_before = folders_.size();
      if (pugi::xml_attribute xml_url = Attribute(node, "xmlUrl")) {
        // A feed, even with outlines inside it (some exporters write
        // those); it is not their folder.
        if (absl::Status s = AddFeed(node, xml_url.value(), line); !s.ok()) {
          return s;
        }
      } else if (std::string folder =
                     CleanText(OutlineTitle(node), kMaxOpmlLabelBytes);
                 !folder.empty()) {
        folders_.push_back(std::move(folder));
      }
      if (pugi::xml_node child = node.first_child()) {
        stack.push_back({child, folders_before});
      } else {
        folders_.resize(folders_before);
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Status AddFeed(pugi::xml_node node, std::string_view xml_url,
                       int line) {
    if (++feed_outlines_ > limits_.max_feeds) {
      return absl::InvalidArgumentError(absl::StrCat(
          "OPML line ", line, ": more than ", limits_.max_feeds, " feeds"));
    }
    std::string_view url = Trim(xml_url);
    if (url.empty()) {
      doc_->problems.push_back(
          {line, absl::StrCat("xmlUrl ", Quote(xml_url), ": empty or blank"),
           /*error=*/true});
      return absl::OkStatus();
    }
    OpmlFeed feed;
    feed.url = std::string(url);
    feed.title = CleanText(OutlineTitle(node), std::string_view::npos);
    feed.html_url = std::string(Trim(Attribute(node, "htmlUrl").value()));
    feed.line = line;
    for (const std::string& folder : folders_) AddLabel(folder, &feed.labels);
    AddCategoryLabels(Attribute(node, "category").value(), &feed.labels);

    auto [it, inserted] = index_.emplace(feed.url, doc_->feeds.size());
    if (inserted) {
      doc_->feeds.push_back(std::move(feed));
      return absl::OkStatus();
    }
    // A reader that files a feed in several folders exports it once per
    // folder: the one feed keeps the labels of all its copies.
    OpmlFeed& first = doc_->feeds[it->second];
    for (const std::string& label : feed.labels) AddLabel(label, &first.labels);
    doc_->problems.push_back(
        {line,
         absl::StrCat("xmlUrl ", Quote(url), ": duplicate of line ", first.line,
                      ", imported once"),
         /*error=*/false});
    return absl::OkStatus();
  }

  LineCounter lines_;
  const OpmlLimits& limits_;
  OpmlDocument* doc_;
  std::vector<std::string> folders_;  // labels of the enclosing folders
  size_t feed_outlines_ = 0;
  std::unordered_map<std::string, size_t> index_;  // url -> doc_->feeds index
};

class StringWriter : public pugi::xml_writer {
 public:
  explicit StringWriter(std::string* out) : out_(out) {}
  void write(const void* data, size_t size) override {
    out_->append(static_cast<const char*>(data), size);
  }

 private:
  std::string* out_;
};

void SetAttribute(pugi::xml_node node, const char* name,
                  std::string_view value) {
  node.append_attribute(name).set_value(value.data(), value.size());
}

}  // namespace

absl::StatusOr<OpmlDocument> ParseOpml(std::string_view text,
                                       const OpmlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "OPML: ", text.size(), " bytes, at most ", limits.max_bytes));
  }
  std::string converted;
  absl::StatusOr<std::string_view> utf8 = ToUtf8(text, &converted);
  if (!utf8.ok()) return utf8.status();
  if (size_t bad = newsfeed::text::FirstInvalidUtf8(*utf8);
      bad != std::string_view::npos) {
    return LineError(*utf8, bad, "not valid UTF-8");
  }
  if (size_t nul = utf8->find('\0'); nul != std::string_view::npos) {
    return LineError(*utf8, nul, "NUL character");
  }

  pugi::xml_document xml;
  pugi::xml_parse_result result = xml.load_buffer(
      utf8->data(), utf8->size(), pugi::parse_default, pugi::encoding_utf8);
  if (!result) {
    return LineError(*utf8,
                     static_cast<size_t>(std::max<ptrdiff_t>(result.offset, 0)),
                     result.description());
  }
  pugi::xml_node root = xml.document_element();
  if (std::strcmp(root.name(), "opml") != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("not OPML: root element is <", root.name(), ">"));
  }
  pugi::xml_node body = root.child("body");
  if (!body) return absl::InvalidArgumentError("OPML: no <body> in <opml>");

  OpmlDocument doc;
  doc.title = CleanText(root.child("head").child("title").child_value(),
                        std::string_view::npos);
  if (absl::Status s = OutlineWalker(*utf8, limits, &doc).Walk(body); !s.ok()) {
    return s;
  }
  std::stable_sort(doc.problems.begin(), doc.problems.end(),
                   [](const OpmlProblem& a, const OpmlProblem& b) {
                     return a.line < b.line;
                   });
  return doc;
}

std::string WriteOpml(std::string_view title,
                      const std::vector<OpmlFeed>& feeds) {
  // Folders by first label, in order of first appearance.
  std::vector<std::pair<std::string_view, std::vector<const OpmlFeed*>>>
      folders;
  std::unordered_map<std::string_view, size_t> folder_index;
  std::vector<const OpmlFeed*> top_level;
  for (const OpmlFeed& feed : feeds) {
    if (feed.labels.empty() || feed.labels.front().empty()) {
      top_level.push_back(&feed);
      continue;
    }
    std::string_view label = feed.labels.front();
    auto [it, inserted] = folder_index.emplace(label, folders.size());
    if (inserted) folders.push_back({label, {}});
    folders[it->second].second.push_back(&feed);
  }

  pugi::xml_document xml;
  pugi::xml_node declaration = xml.append_child(pugi::node_declaration);
  declaration.append_attribute("version").set_value("1.0");
  declaration.append_attribute("encoding").set_value("UTF-8");
  pugi::xml_node opml = xml.append_child("opml");
  opml.append_attribute("version").set_value("2.0");
  // No dateCreated: the same feeds give the same bytes.
  opml.append_child("head").append_child("title").text().set(title.data(),
                                                             title.size());
  pugi::xml_node body = opml.append_child("body");

  auto append_feed = [](pugi::xml_node parent, const OpmlFeed& feed) {
    pugi::xml_node outline = parent.append_child("outline");
    SetAttribute(outline, "type", "rss");
    std::string_view name = feed.title.empty() ? feed.url : feed.title;
    SetAttribute(outline, "text", name);
    SetAttribute(outline, "title", name);
    SetAttribute(outline, "xmlUrl", feed.url);
    if (!feed.html_url.empty()) SetAttribute(outline, "htmlUrl", feed.html_url);
    // A label with "," or "/" would read back as other labels (category is
    // a comma-separated list of paths), so it is left out: such a label
    // survives a round trip only as the feed's folder, i.e. when first.
    std::string category;
    for (const std::string& label : feed.labels) {
      if (label.empty() || label.find_first_of(",/") != std::string::npos) {
        continue;
      }
      if (!category.empty()) category.push_back(',');
      category.append(label);
    }
    if (!category.empty()) SetAttribute(outline, "category", category);
  };
  for (const auto& [label, members] : folders) {
    pugi::xml_node folder = body.append_child("outline");
    SetAttribute(folder, "text", label);
    SetAttribute(folder, "title", label);
    for (const OpmlFeed* feed : members) append_feed(folder, *feed);
  }
  for (const OpmlFeed* feed : top_level) append_feed(body, *feed);

  std::string out;
  StringWriter writer(&out);
  xml.save(writer, "  ", pugi::format_default, pugi::encoding_utf8);
  return out;
}

}  // namespace newsfeed::ingest
