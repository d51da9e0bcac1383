// ParseFeed: encoding -> lexical repair -> pugixml DOM -> one walk over the
// elements we know, resolving namespaces by URI as we go.

#include "ingest-service/parser/feed_parser.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <pugixml.hpp>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ingest-service/parser/encoding.h"
#include "ingest-service/parser/html_entities.h"
#include "ingest-service/parser/json_feed.h"
#include "ingest-service/parser/url.h"
#include "ingest-service/parser/xml_repair.h"

namespace newsfeed::ingest {
namespace {

using internal::CollapseWhitespace;
using internal::EscapeHtml;
using internal::FastResolve;
using internal::HasScheme;
using internal::HtmlSnippetToText;

// Namespaces we understand. kNone is "no namespace" (RSS 0.9x/2.0).
enum class Ns {
  kNone,
  kAtom10,
  kAtom03,
  kRss10,
  kRss090,
  kRdf,
  kDc,
  kDcTerms,
  kContent,
  kMedia,
  kItunes,
  kSy,
  kXhtml,
  kXml,
  kOther,
};

struct KnownNamespace {
  std::string_view uri;
  Ns ns;
};

constexpr KnownNamespace kNamespaces[] = {
    {"http://www.w3.org/2005/Atom", Ns::kAtom10},
    {"http://purl.org/atom/ns#", Ns::kAtom03},
    // Working names of Atom before 0.3 (Echo, Pie, Necho), which feedparser
    // still reads as Atom.
    {"http://example.com/newformat#", Ns::kAtom03},
    {"http://example.com/necho", Ns::kAtom03},
    {"http://purl.org/echo/", Ns::kAtom03},
    {"http://purl.org/pie/", Ns::kAtom03},
    {"uri/of/echo/namespace#", Ns::kAtom03},
    {"http://purl.org/rss/1.0/", Ns::kRss10},
    {"http://my.netscape.com/rdf/simple/0.9/", Ns::kRss090},
    {"http://www.w3.org/1999/02/22-rdf-syntax-ns#", Ns::kRdf},
    {"http://purl.org/dc/elements/1.1/", Ns::kDc},
    {"http://purl.org/dc/terms/", Ns::kDcTerms},
    {"http://purl.org/rss/1.0/modules/content/", Ns::kContent},
    {"http://search.yahoo.com/mrss/", Ns::kMedia},
    {"http://search.yahoo.com/mrss", Ns::kMedia},
    {"http://www.itunes.com/dtds/podcast-1.0.dtd", Ns::kItunes},
    {"http://purl.org/rss/1.0/modules/syndication/", Ns::kSy},
    {"http://www.w3.org/1999/xhtml", Ns::kXhtml},
    {"http://www.w3.org/XML/1998/namespace", Ns::kXml},
    // RSS 2.0 elements put in a namespace by a few generators.
    {"http://backend.userland.com/rss2", Ns::kNone},
    {"http://backend.userland.com/rss", Ns::kNone},
};

// Prefixes used without a declaration are read by their usual meaning:
// sloppy feeds do that, and no other reading is plausible.
constexpr std::pair<std::string_view, Ns> kConventionalPrefixes[] = {
    {"dc", Ns::kDc},       {"dcterms", Ns::kDcTerms}, {"content", Ns::kContent},
    {"media", Ns::kMedia}, {"itunes", Ns::kItunes},   {"sy", Ns::kSy},
    {"atom", Ns::kAtom10}, {"rdf", Ns::kRdf},         {"xml", Ns::kXml},
    {"xhtml", Ns::kXhtml},
};

bool IsSpaceChar(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpaceChar(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpaceChar(s.back())) s.remove_suffix(1);
  return s;
}

// A namespace URI with the drift generators introduce removed: surrounding
// whitespace, https for http, a trailing '/', letter case ("DTDs/PodCast").
std::string_view LooseUri(std::string_view uri) {
  uri = Trim(uri);
  if (absl::StartsWithIgnoreCase(internal::Av(uri), "https://")) {
    uri.remove_prefix(8);
  } else if (absl::StartsWithIgnoreCase(internal::Av(uri), "http://")) {
    uri.remove_prefix(7);
  }
  if (!uri.empty() && uri.back() == '/') uri.remove_suffix(1);
  return uri;
}

Ns NamespaceFromUri(std::string_view uri) {
  for (const KnownNamespace& k : kNamespaces) {
    if (k.uri == uri) return k.ns;
  }
  if (uri.size() > 256) return Ns::kOther;
  std::string_view loose = LooseUri(uri);
  for (const KnownNamespace& k : kNamespaces) {
    if (absl::EqualsIgnoreCase(internal::Av(LooseUri(k.uri)),
                               internal::Av(loose))) {
      return k.ns;
    }
  }
  return Ns::kOther;
}

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

// Resolves `url` against the absolute `base` (RFC 3986), with libcurl's
// resolver for anything FastResolve does not cover. Returns `url` unchanged
// when it is already absolute or cannot be resolved.
std::string ResolveUrl(std::string_view url, std::string_view base) {
  url = Trim(url);
  if (url.empty() || HasScheme(url) || base.empty()) return std::string(url);
  if (std::string fast; FastResolve(url, base, &fast)) return fast;
  std::unique_ptr<CURLU, CurlUrlDeleter> h(curl_url());
  if (!h) return std::string(url);
  std::string base_str(base), url_str(url);
  if (curl_url_set(h.get(), CURLUPART_URL, base_str.c_str(),
                   CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
      curl_url_set(h.get(), CURLUPART_URL, url_str.c_str(),
                   CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return url_str;
  }
  char* out = nullptr;
  if (curl_url_get(h.get(), CURLUPART_URL, &out, 0) != CURLUE_OK) {
    return url_str;
  }
  std::string result(out);
  curl_free(out);
  return result;
}

// Attributes whose value is a URL, as feedparser's relative-URI list has
// them (it also checks the element; the attribute names are specific enough).
bool IsUrlAttribute(std::string_view name) {
  // Most attributes (class, alt, title, width, ...) fail this cheap test.
  if (name.size() < 3 || name.size() > 10) return false;
  char first = absl::ascii_tolower(static_cast<unsigned char>(name[0]));
  if (first != 'h' && first != 's' && first != 'c' && first != 'p' &&
      first != 'b' && first != 'a' && first != 'l' && first != 'u') {
    return false;
  }
  constexpr std::string_view kNames[] = {"href",     "src",        "cite",
                                         "poster",   "background", "action",
                                         "longdesc", "codebase",   "usemap"};
  for (std::string_view n : kNames) {
    if (absl::EqualsIgnoreCase(internal::Av(name), internal::Av(n))) {
      return true;
    }
  }
  return false;
}

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '_' || c == ':';
}

// Resolves relative URLs in the href/src/... attributes of an HTML fragment
// against `base`, as feedparser does for summaries and content: a reader
// shown the fragment out of the feed cannot resolve them. One linear scan;
// the fragment is rewritten only when a URL changes.
void ResolveHtmlUrls(std::string* html, std::string_view base) {
  if (base.empty() || html->find('<') == std::string::npos) return;
  const std::string& in = *html;
  const size_t n = in.size();
  std::string out;
  size_t copied = 0;  // in[0, copied) is already in `out`
  size_t pos = 0;
  while ((pos = in.find('<', pos)) != std::string::npos) {
    ++pos;
    if (pos >= n || !absl::ascii_isalpha(static_cast<unsigned char>(in[pos]))) {
      continue;
    }
    while (pos < n && IsNameChar(in[pos])) ++pos;  // element name
    // Attributes up to the end of the tag.
    while (pos < n && in[pos] != '>' && in[pos] != '<') {
      if (!IsNameChar(in[pos])) {
        ++pos;
        continue;
      }
      size_t name_start = pos;
      while (pos < n && IsNameChar(in[pos])) ++pos;
      std::string_view name(in.data() + name_start, pos - name_start);
      while (pos < n && IsSpaceChar(in[pos])) ++pos;
      if (pos >= n || in[pos] != '=') continue;
      ++pos;
      while (pos < n && IsSpaceChar(in[pos])) ++pos;
      if (pos >= n) break;
      size_t value_start, value_end;
      if (in[pos] == '"' || in[pos] == '\'') {
        char quote = in[pos];
        value_start = pos + 1;
        value_end = in.find(quote, value_start);
        if (value_end == std::string::npos) value_end = n;
        pos = value_end < n ? value_end + 1 : n;
      } else {
        value_start = pos;
        while (pos < n && !IsSpaceChar(in[pos]) && in[pos] != '>') ++pos;
        value_end = pos;
      }
      if (!IsUrlAttribute(name)) continue;
      std::string_view value = Trim(
          std::string_view(in.data() + value_start, value_end - value_start));
      if (value.empty() || HasScheme(value)) continue;
      std::string resolved = ResolveUrl(value, base);
      if (resolved == value) continue;
      if (out.empty()) out.reserve(n + n / 4);
      out.append(in, copied, value_start - copied);
      out.append(resolved);
      copied = value_end;
    }
  }
  if (copied == 0) return;
  out.append(in, copied, std::string::npos);
  *html = std::move(out);
}

class StringWriter : public pugi::xml_writer {
 public:
  explicit StringWriter(std::string* out) : out_(out) {}
  void write(const void* data, size_t size) override {
    out_->append(static_cast<const char*>(data), size);
  }

 private:
  std::string* out_;
};

// Inner markup of `node` (its children serialized), for xhtml content and for
// HTML a feed forgot to escape.
void AppendInnerXml(pugi::xml_node node, std::string* out) {
  StringWriter writer(out);
  for (pugi::xml_node child = node.first_child(); child;
       child = child.next_sibling()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      // print() would wrap CDATA in <![CDATA[ ]]>; HTML wants the text.
      std::string_view v = child.value();
      for (char c : v) {
        switch (c) {
          case '&':
            out->append("&amp;");
            break;
          case '<':
            out->append("&lt;");
            break;
          case '>':
            out->append("&gt;");
            break;
          default:
            out->push_back(c);
        }
      }
    } else if (child.type() == pugi::node_element) {
      child.print(writer, "", pugi::format_raw, pugi::encoding_utf8);
    }
  }
}

// Text content of an element: its text and CDATA children joined. Child
// elements (unescaped HTML in a description) are kept as markup.
std::string NodeText(pugi::xml_node node) {
  pugi::xml_node child = node.first_child();
  if (!child) return {};
  if (!child.next_sibling() &&
      (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata)) {
    return std::string(Trim(child.value()));
  }
  bool has_element = false;
  for (pugi::xml_node c = child; c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) has_element = true;
  }
  std::string out;
  if (has_element) {
    AppendInnerXml(node, &out);
  } else {
    for (pugi::xml_node c = child; c; c = c.next_sibling()) {
      if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
        out.append(c.value());
      }
    }
  }
  return std::string(Trim(out));
}

bool IsEmailLocalChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '-' || c == '.' || c == '+';
}

bool IsEmailDomainChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '.';
}

// The first e-mail address in `text` (local@domain.tld), or empty.
std::string_view FindEmail(std::string_view text) {
  size_t at = 0;
  while ((at = text.find('@', at)) != std::string_view::npos) {
    size_t begin = at;
    while (begin > 0 && IsEmailLocalChar(text[begin - 1])) --begin;
    size_t end = at + 1;
    while (end < text.size() && IsEmailDomainChar(text[end])) ++end;
    while (end > at + 1 && text[end - 1] == '.') --end;  // sentence full stop
    std::string_view domain = text.substr(at + 1, end - at - 1);
    size_t dot = domain.rfind('.');
    if (begin < at && dot != std::string_view::npos && dot > 0 &&
        dot + 1 < domain.size()) {
      return text.substr(begin, end - begin);
    }
    at = end > at ? end : at + 1;
  }
  return {};
}

// An author as RSS writes it: "jane@example.com (Jane Doe)", "Jane Doe
// <jane@example.com>", "Jane Doe (jane@example.com)", a name or an address.
// As feedparser does: the first address found is the e-mail, and what is
// left once it and its brackets are removed is the name.
ParsedAuthor ParseAuthorText(std::string_view text) {
  text = Trim(text);
  ParsedAuthor author;
  if (text.empty()) return author;
  std::string_view email = FindEmail(text);
  if (email.empty()) {
    author.name = CollapseWhitespace(text);
    return author;
  }
  author.email = std::string(email);
  size_t at = static_cast<size_t>(email.data() - text.data());
  std::string_view before = text.substr(0, at);
  std::string_view after = text.substr(at + email.size());
  if (absl::EndsWithIgnoreCase(internal::Av(before), "mailto:")) {
    before.remove_suffix(7);
  }
  // Drop the brackets around the address: "(", "<", "[" just before it and
  // their partners just after.
  before = Trim(before);
  after = Trim(after);
  if (!before.empty() && !after.empty() &&
      ((before.back() == '(' && after.front() == ')') ||
       (before.back() == '<' && after.front() == '>') ||
       (before.back() == '[' && after.front() == ']'))) {
    before.remove_suffix(1);
    after.remove_prefix(1);
  }
  std::string name =
      absl::StrCat(internal::Av(Trim(before)), " ", internal::Av(Trim(after)));
  std::string_view n = Trim(name);
  while (!n.empty() && (n.back() == ',' || n.back() == ';' || n.back() == '-' ||
                        IsSpaceChar(n.back()))) {
    n.remove_suffix(1);
  }
  if (n.size() >= 2 && n.front() == '(' && n.back() == ')') {
    n = Trim(n.substr(1, n.size() - 2));
  }
  if (n.size() >= 2 && n.front() == '"' && n.back() == '"') {
    n = n.substr(1, n.size() - 2);
  }
  author.name = CollapseWhitespace(n);
  return author;
}

int64_t ParseLength(std::string_view text) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(internal::Av(Trim(text)), &value) || value < 0)
    return 0;
  return value;
}

// Bytes an author takes, for the output budget.
size_t AuthorBytes(const ParsedAuthor& a) {
  return sizeof(a) + a.name.size() + a.email.size() + a.uri.size();
}

// Bytes an item's text and list entries take, for the output budget.
size_t ItemBytes(const ParsedItem& item) {
  size_t n = item.id.size() + item.title.size() + item.link.size() +
             item.summary.size() + item.content.size() +
             item.thumbnail_url.size() + item.language.size();
  for (const ParsedAuthor& a : item.authors) n += AuthorBytes(a);
  for (const std::string& c : item.categories) n += sizeof(c) + c.size();
  for (const ParsedEnclosure& e : item.enclosures) {
    n += sizeof(e) + e.url.size() + e.type.size();
  }
  return n;
}

// RFC 4287 4.1.3.3: an Atom text or content whose type is a media type that
// is neither XML nor text/* holds base64. gofeed and feedparser decode it in
// every text construct.
bool IsBase64MediaType(std::string_view type) {
  type = Trim(type.substr(0, type.find(';')));  // "; charset=..." aside
  if (type.find('/') == std::string_view::npos) return false;  // text, html
  if (absl::StartsWithIgnoreCase(internal::Av(type), "text/")) return false;
  return !absl::EndsWithIgnoreCase(internal::Av(type), "+xml") &&
         !absl::EndsWithIgnoreCase(internal::Av(type), "/xml");
}

// True when decoded base64 reads as text: valid UTF-8 without NULs. What a
// feed encodes as an image or an archive is not a summary.
bool IsDecodedText(std::string_view decoded) {
  return internal::ValidUtf8Prefix(decoded) == decoded.size() &&
         decoded.find('\0') == std::string_view::npos;
}

// What a walk knows at an element: the xml:base and xml:lang in effect.
struct Scope {
  std::string_view base;  // absolute; empty when no xml:base applies
  std::string_view lang;
};

// Per-item values that only apply when the primary source is missing.
struct ItemFallbacks {
  std::optional<absl::Time> dc_date;     // dc:date, dcterms:created/issued
  std::optional<absl::Time> dc_updated;  // dc:date only
  std::optional<absl::Time> atom_updated;
  std::string media_title, media_description, itunes_summary, itunes_subtitle,
      dc_description;
  std::vector<ParsedAuthor> itunes_authors;
  std::string atom_link;  // atom:link alternate inside an RSS item
  bool atom_link_is_html = false;
};

class FeedWalker {
 public:
  // `output_budget`: bytes of text the feed may hold in all (see
  // ParseOptions::max_output_bytes).
  FeedWalker(const ParseOptions& options, size_t output_budget,
             ParsedFeed* feed)
      : options_(options),
        feed_(feed),
        default_base_(options.feed_url),
        output_budget_(output_budget) {}

  absl::Status Walk(pugi::xml_node root) {
    Scope scope;
    std::string base_storage;
    size_t mark = EnterElement(root, &scope, &base_storage);
    std::string_view local;
    Ns ns = Resolve(root, &local);
    absl::Status status;
    if (local == "rss" && (ns == Ns::kNone || ns == Ns::kOther)) {
      if (ns == Ns::kOther &&
          local.size() == std::string_view(root.name()).size()) {
        // A made-up default namespace on <rss> (a link to the spec): its
        // unprefixed elements are still RSS core.
        bindings_.push_back({"", Ns::kNone});
      }
      std::string_view version = Trim(root.attribute("version").value());
      if (version.empty() || version.starts_with("2")) {
        feed_->format = "rss2.0";
      } else {
        feed_->format = absl::StrCat("rss", internal::Av(version));
      }
      feed_->language = std::string(scope.lang);
      for (pugi::xml_node child = root.first_child(); child;
           child = child.next_sibling()) {
        if (child.type() != pugi::node_element) continue;
        std::string_view child_local;
        if (ResolveRss(child, &child_local) == Ns::kNone &&
            child_local == "channel") {
          Scope child_scope = scope;
          std::string child_base;
          size_t m = EnterElement(child, &child_scope, &child_base);
          WalkRssChannel(child, child_scope);
          LeaveElement(m);
        } else if (ResolveRss(child, &child_local) == Ns::kNone &&
                   child_local == "item" && RoomForItem()) {
          // Items after </channel>, as some RSS 0.9x generators write.
          Scope child_scope = scope;
          std::string child_base;
          size_t m = EnterElement(child, &child_scope, &child_base);
          WalkRssItem(child, child_scope);
          LeaveElement(m);
        }
      }
    } else if (local == "RDF" && ns == Ns::kRdf) {
      WalkRdf(root, scope);
    } else if (local == "channel" && ns == Ns::kNone) {
      WalkCdf(root, scope);
    } else if (local == "feed" &&
               (ns == Ns::kAtom10 || ns == Ns::kAtom03 || ns == Ns::kNone)) {
      bool v03 =
          ns == Ns::kAtom03 ||
          (ns == Ns::kNone && Trim(root.attribute("version").value()) == "0.3");
      feed_->format = v03 ? "atom0.3" : "atom1.0";
      WalkAtomFeed(root, scope, v03 ? Ns::kAtom03 : ns);
    } else {
      status = absl::InvalidArgumentError(
          absl::StrCat("feed ", options_.feed_url, ": root element <",
                       root.name(), "> is not RSS or Atom"));
    }
    LimitField(&feed_->title, "title");
    LimitField(&feed_->description, "description");
    LeaveElement(mark);
    return status;
  }

 private:
  struct Binding {
    std::string_view prefix;
    Ns ns;
  };
  static constexpr size_t kMaxNamespaceBindings = 256;

  // Pushes the element's namespace declarations and applies its xml:base and
  // xml:lang to `scope`. Returns the mark to pass to LeaveElement.
  size_t EnterElement(pugi::xml_node node, Scope* scope,
                      std::string* base_storage) {
    size_t mark = bindings_.size();
    for (pugi::xml_attribute a = node.first_attribute(); a;
         a = a.next_attribute()) {
      const char* name = a.name();
      if (name[0] == 'x' && name[1] == 'm' && name[2] == 'l') {
        std::string_view n(name);
        if (n == "xmlns") {
          Bind("", a.value());
        } else if (n.starts_with("xmlns:")) {
          Bind(n.substr(6), a.value());
        } else if (n == "xml:base") {
          std::string_view parent = scope->base.empty()
                                        ? std::string_view(default_base_)
                                        : scope->base;
          std::string base = ResolveUrl(a.value(), parent);
          if (UrlFits(base)) {
            *base_storage = std::move(base);
            scope->base = *base_storage;
          }
        } else if (n == "xml:lang") {
          std::string_view lang = a.value();
          if (lang.find('_') != std::string_view::npos) {
            // "en_US" is a POSIX locale, not a language tag; feedparser
            // reads it as "en-US".
            std::string tag(lang);
            std::replace(tag.begin(), tag.end(), '_', '-');
            a.set_value(tag.c_str());
            lang = a.value();
          }
          scope->lang = Trim(lang);
        }
      }
    }
    return mark;
  }

  void LeaveElement(size_t mark) { bindings_.resize(mark); }

  // Every element lookup scans the bindings in scope, so their number is
  // capped; real feeds declare a dozen or two.
  void Bind(std::string_view prefix, std::string_view uri) {
    if (bindings_.size() >= kMaxNamespaceBindings) {
      if (!namespace_warning_) {
        namespace_warning_ = true;
        feed_->warnings.push_back(
            absl::StrCat("more than ", kMaxNamespaceBindings,
                         " namespace declarations in scope; the rest ignored"));
      }
      return;
    }
    bindings_.push_back({prefix, NamespaceFromUri(Trim(uri))});
  }

  bool UrlFits(const std::string& url) {
    if (url.size() <= options_.max_url_bytes) return true;
    if (!url_warning_) {
      url_warning_ = true;
      feed_->warnings.push_back(absl::StrCat(
          "URL longer than ", options_.max_url_bytes, " bytes dropped"));
    }
    return false;
  }

  // Namespace and local name of an element.
  Ns Resolve(pugi::xml_node node, std::string_view* local) {
    std::string_view name = node.name();
    size_t colon = name.find(':');
    std::string_view prefix;
    if (colon == std::string_view::npos) {
      *local = name;
    } else {
      prefix = name.substr(0, colon);
      *local = name.substr(colon + 1);
    }
    return ResolvePrefix(prefix);
  }

  // Resolve for RSS, whose core element names readers (iTunes, feedparser)
  // match ignoring case: <TiTlE>, <PUBDATE> and <pubdate> are read under
  // their RSS spelling.
  Ns ResolveRss(pugi::xml_node node, std::string_view* local) {
    Ns ns = Resolve(node, local);
    if (ns == Ns::kNone || ns == Ns::kRss10 || ns == Ns::kRss090) {
      *local = FoldRssName(*local);
    }
    return ns;
  }

  static std::string_view FoldRssName(std::string_view local) {
    static constexpr std::string_view kNames[] = {
        "channel",  "item",      "title",    "link",         "description",
        "language", "pubDate",   "ttl",      "guid",         "author",
        "category", "enclosure", "fullitem", "lastBuildDate"};
    bool has_upper = false;
    for (char c : local) has_upper |= (c >= 'A' && c <= 'Z');
    if (!has_upper && local != "pubdate" && local != "lastbuilddate") {
      return local;
    }
    for (std::string_view name : kNames) {
      if (absl::EqualsIgnoreCase(internal::Av(name), internal::Av(local))) {
        return name;
      }
    }
    return local;
  }

  Ns ResolvePrefix(std::string_view prefix) const {
    for (size_t i = bindings_.size(); i-- > 0;) {
      if (bindings_[i].prefix == prefix) return bindings_[i].ns;
    }
    if (prefix.empty()) return Ns::kNone;
    for (const auto& [p, ns] : kConventionalPrefixes) {
      if (p == prefix) return ns;
    }
    return Ns::kOther;
  }

  std::string Url(std::string_view raw, const Scope& scope) {
    std::string url = ResolveUrl(
        raw, scope.base.empty() ? std::string_view(default_base_) : scope.base);
    if (!UrlFits(url)) url.clear();
    return url;
  }

  // ResolveHtmlUrls against the base in effect at the element.
  void ResolveHtml(std::string* html, const Scope& scope) {
    ResolveHtmlUrls(html, scope.base.empty() ? std::string_view(default_base_)
                                             : scope.base);
  }

  void LimitField(std::string* field, std::string_view what) {
    if (field->size() <= options_.max_field_bytes) return;
    internal::TruncateUtf8(field, options_.max_field_bytes);
    if (!field_warning_) {
      field_warning_ = true;
      feed_->warnings.push_back(
          absl::StrCat(internal::Av(what), " longer than ",
                       options_.max_field_bytes, " bytes truncated"));
    }
  }

  bool RoomForItem() {
    if (output_exhausted_) return false;
    if (feed_->items.size() < options_.max_items) return true;
    if (!items_warning_) {
      items_warning_ = true;
      feed_->warnings.push_back(absl::StrCat("more than ", options_.max_items,
                                             " items; the rest dropped"));
    }
    return false;
  }

  // Lists a peer controls are capped: a feed may not make us keep (or
  // de-duplicate, which is quadratic) an unbounded number of entries.
  bool RoomInList(size_t size, std::string_view what) {
    if (size < options_.max_list_entries) return true;
    if (!list_warning_) {
      list_warning_ = true;
      feed_->warnings.push_back(
          absl::StrCat("more than ", options_.max_list_entries, " ",
                       internal::Av(what), " in an item; the rest dropped"));
    }
    return false;
  }

  void AddAuthor(std::vector<ParsedAuthor>* list, ParsedAuthor author) {
    if (RoomInList(list->size(), "authors")) list->push_back(std::move(author));
  }

  void AddCategory(ParsedItem* item, std::string value) {
    std::vector<std::string>& list = item->categories;
    if (value.empty()) return;
    if (std::find(list.begin(), list.end(), value) != list.end()) return;
    if (RoomInList(list.size(), "categories")) list.push_back(std::move(value));
  }

  void AddEnclosure(ParsedItem* item, ParsedEnclosure enclosure) {
    if (enclosure.url.empty()) return;
    for (ParsedEnclosure& e : item->enclosures) {
      if (e.url == enclosure.url) {
        if (e.type.empty()) e.type = std::move(enclosure.type);
        if (e.length == 0) e.length = enclosure.length;
        return;
      }
    }
    if (RoomInList(item->enclosures.size(), "enclosures")) {
      item->enclosures.push_back(std::move(enclosure));
    }
  }

  // Charges a finished item to the output budget; false (and the item is
  // to be dropped) when it does not fit.
  bool ChargeOutput(size_t bytes) {
    if (!output_exhausted_ && bytes <= output_budget_ - output_bytes_) {
      output_bytes_ += bytes;
      return true;
    }
    if (!output_exhausted_) {
      output_exhausted_ = true;
      feed_->warnings.push_back(absl::StrCat("parsed feed would exceed ",
                                             output_budget_,
                                             " bytes; the rest dropped"));
    }
    return false;
  }

  // Drops the item just walked when it does not fit the output budget.
  void FinishItem() {
    if (!ChargeOutput(ItemBytes(feed_->items.back()))) feed_->items.pop_back();
  }

  void SetFeedLink(std::string link) {
    if (!feed_->link.empty() || link.empty()) return;
    feed_->link = std::move(link);
    // Later relative links resolve against the site, as feed readers do.
    if (HasScheme(feed_->link)) default_base_ = feed_->link;
  }

  static std::optional<absl::Duration> SyPeriod(std::string_view period) {
    period = Trim(period);
    if (period == "hourly") return absl::Hours(1);
    if (period == "daily") return absl::Hours(24);
    if (period == "weekly") return absl::Hours(24 * 7);
    if (period == "monthly") return absl::Hours(24 * 30);
    if (period == "yearly") return absl::Hours(24 * 365);
    return std::nullopt;
  }

  // RSS <skipHours><hour>H</hour>...: bit H set for each hour 0-23 (24,
  // which some publishers write for midnight, is 0). Others are ignored.
  static uint32_t SkipHours(pugi::xml_node list) {
    uint32_t mask = 0;
    for (pugi::xml_node hour = list.first_child(); hour;
         hour = hour.next_sibling()) {
      int value = -1;
      if (hour.type() != pugi::node_element ||
          !absl::SimpleAtoi(internal::Av(Trim(NodeText(hour))), &value) ||
          value < 0 || value > 24) {
        continue;
      }
      mask |= 1u << (value % 24);
    }
    return mask;
  }

  // RSS <skipDays><day>Monday</day>...: bit d for the d-th day from Monday.
  static uint32_t SkipDays(pugi::xml_node list) {
    static constexpr std::string_view kDays[] = {
        "monday", "tuesday",  "wednesday", "thursday",
        "friday", "saturday", "sunday"};
    uint32_t mask = 0;
    for (pugi::xml_node day = list.first_child(); day;
         day = day.next_sibling()) {
      if (day.type() != pugi::node_element) continue;
      const std::string text = NodeText(day);
      for (size_t d = 0; d < std::size(kDays); ++d) {
        if (absl::EqualsIgnoreCase(internal::Av(Trim(text)),
                                   internal::Av(kDays[d]))) {
          mask |= 1u << d;
        }
      }
    }
    return mask;
  }

  // A feed-level link rel="hub" or rel="self" (WebSub discovery) is
  // recorded; returns whether `node` was one.
  bool PushLink(pugi::xml_node node, const Scope& scope) {
    std::string_view rel = Trim(node.attribute("rel").value());
    bool hub = absl::EqualsIgnoreCase(internal::Av(rel), "hub");
    if (!hub && !absl::EqualsIgnoreCase(internal::Av(rel), "self")) {
      return false;
    }
    std::string href = Url(node.attribute("href").value(), scope);
    if (hub) {
      AddHub(feed_, std::move(href));
    } else if (feed_->self_url.empty() && HasScheme(href)) {
      feed_->self_url = std::move(href);
    }
    return true;
  }

  void WalkRssChannel(pugi::xml_node channel, const Scope& scope) {
    std::optional<absl::Time> last_build, pub_date, dc_date, dcterms_modified;
    std::optional<absl::Duration> sy_period;
    int64_t sy_frequency = 1;
    std::string atom_link, dc_description, itunes_description;
    if (!scope.lang.empty() && feed_->language.empty()) {
      feed_->language = std::string(scope.lang);
    }
    for (pugi::xml_node child = channel.first_child(); child;
         child = child.next_sibling()) {
      if (child.type() != pugi::node_element) continue;
      Scope child_scope = scope;
      std::string base_storage;
      size_t mark = EnterElement(child, &child_scope, &base_storage);
      std::string_view local;
      Ns ns = ResolveRss(child, &local);
      if (ns == Ns::kNone || ns == Ns::kRss10 || ns == Ns::kRss090) {
        if (local == "item") {
          if (RoomForItem()) WalkRssItem(child, child_scope);
        } else if (local == "title") {
          feed_->title = HtmlSnippetToText(NodeText(child));
        } else if (local == "link") {
          // <link rel="hub" href="..."/> without the Atom namespace: a
          // common slip of WebSub publishers, never the channel's page.
          if (!PushLink(child, child_scope)) {
            SetFeedLink(Url(NodeText(child), child_scope));
          }
        } else if (local == "description") {
          feed_->description = NodeText(child);
          ResolveHtml(&feed_->description, child_scope);
        } else if (local == "language") {
          feed_->language = std::string(Trim(NodeText(child)));
        } else if (local == "lastBuildDate") {
          last_build = ParseFeedDate(NodeText(child));
        } else if (local == "pubDate") {
          pub_date = ParseFeedDate(NodeText(child));
        } else if (local == "ttl") {
          int64_t minutes = 0;
          if (absl::SimpleAtoi(internal::Av(Trim(NodeText(child))), &minutes) &&
              minutes > 0) {
            feed_->ttl = absl::Minutes(minutes);
          }
        } else if (local == "skipHours") {
          feed_->skip_hours = SkipHours(child);
        } else if (local == "skipDays") {
          feed_->skip_days = SkipDays(child);
        }
      } else if (ns == Ns::kDc) {
        if (local == "description") {
          dc_description = NodeText(child);
        } else if (local == "date") {
          dc_date = ParseFeedDate(NodeText(child));
        } else if (local == "language" && feed_->language.empty()) {
          feed_->language = std::string(Trim(NodeText(child)));
        } else if (local == "title" && feed_->title.empty()) {
          feed_->title = HtmlSnippetToText(NodeText(child));
        }
      } else if (ns == Ns::kDcTerms && local == "modified") {
        dcterms_modified = ParseFeedDate(NodeText(child));
      } else if (ns == Ns::kSy) {
        if (local == "updatePeriod") {
          sy_period = SyPeriod(NodeText(child));
        } else if (local == "updateFrequency") {
          if (!absl::SimpleAtoi(internal::Av(Trim(NodeText(child))),
                                &sy_frequency) ||
              sy_frequency <= 0) {
            sy_frequency = 1;
          }
        }
      } else if (ns == Ns::kItunes &&
                 (local == "summary" || local == "subtitle")) {
        // Podcast feeds often describe themselves only here; summary wins.
        if (itunes_description.empty() || local == "summary") {
          itunes_description = NodeText(child);
        }
      } else if (ns == Ns::kAtom10 && local == "link") {
        std::string_view rel = Trim(child.attribute("rel").value());
        if ((rel.empty() || rel == "alternate") && atom_link.empty()) {
          atom_link = Url(child.attribute("href").value(), child_scope);
        } else {
          PushLink(child, child_scope);
        }
      }
      LeaveElement(mark);
    }
    if (feed_->link.empty()) SetFeedLink(std::move(atom_link));
    if (feed_->description.empty()) {
      feed_->description = !dc_description.empty()
                               ? std::move(dc_description)
                               : std::move(itunes_description);
    }
    feed_->updated = last_build ? last_build
                     : pub_date ? pub_date
                     : dc_date  ? dc_date
                                : dcterms_modified;
    if (!feed_->ttl && sy_period) feed_->ttl = *sy_period / sy_frequency;
  }

  // CDF attributes are written in upper case (HREF, LASTMOD).
  static pugi::xml_attribute AttributeIgnoreCase(pugi::xml_node node,
                                                 std::string_view name) {
    for (pugi::xml_attribute a = node.first_attribute(); a;
         a = a.next_attribute()) {
      if (absl::EqualsIgnoreCase(a.name(), internal::Av(name))) return a;
    }
    return {};
  }

  // Microsoft's Channel Definition Format (1997), which feedparser still
  // reads: <CHANNEL HREF LASTMOD> holding TITLE, ABSTRACT and
  // <ITEM HREF LASTMOD> elements.
  void WalkCdf(pugi::xml_node root, const Scope& scope) {
    feed_->format = "cdf";
    feed_->language = std::string(scope.lang);
    SetFeedLink(Url(AttributeIgnoreCase(root, "href").value(), scope));
    feed_->updated =
        ParseFeedDate(AttributeIgnoreCase(root, "lastmod").value());
    for (pugi::xml_node child = root.first_child(); child;
         child = child.next_sibling()) {
      if (child.type() != pugi::node_element) continue;
      std::string_view name = child.name();
      if (name == "title") {
        feed_->title = HtmlSnippetToText(NodeText(child));
      } else if (name == "abstract") {
        feed_->description = NodeText(child);
      } else if (name == "item" && RoomForItem()) {
        ParsedItem& item = feed_->items.emplace_back();
        item.language = std::string(scope.lang);
        item.link = Url(AttributeIgnoreCase(child, "href").value(), scope);
        item.updated =
            ParseFeedDate(AttributeIgnoreCase(child, "lastmod").value());
        for (pugi::xml_node c = child.first_child(); c; c = c.next_sibling()) {
          std::string_view cname = c.name();
          if (cname == "title") {
            item.title = HtmlSnippetToText(NodeText(c));
          } else if (cname == "abstract") {
            item.summary = NodeText(c);
          }
        }
        ItemFallbacks none;
        ApplyFallbacks(&item, &none);
        FinishItem();
      }
    }
  }

  // RSS 1.0 and 0.90: channel, items and image are siblings under rdf:RDF.
  void WalkRdf(pugi::xml_node root, Scope scope) {
    Ns rss_ns = Ns::kRss10;
    for (pugi::xml_node child = root.first_child(); child;
         child = child.next_sibling()) {
      if (child.type() != pugi::node_element) continue;
      std::string_view local;
      Ns ns = Resolve(child, &local);
      if (ns == Ns::kRss090) rss_ns = Ns::kRss090;
      if (ns == Ns::kRss10 || ns == Ns::kRss090) break;
    }
    feed_->format = rss_ns == Ns::kRss090 ? "rss0.90" : "rss1.0";
    feed_->language = std::string(scope.lang);
    for (pugi::xml_node child = root.first_child(); child;
         child = child.next_sibling()) {
      if (child.type() != pugi::node_element) continue;
      Scope child_scope = scope;
      std::string base_storage;
      size_t mark = EnterElement(child, &child_scope, &base_storage);
      std::string_view local;
      Ns ns = ResolveRss(child, &local);
      if (ns == Ns::kRss10 || ns == Ns::kRss090 || ns == Ns::kNone) {
        if (local == "channel") {
          WalkRssChannel(child, child_scope);
        } else if (local == "item" && RoomForItem()) {
          WalkRssItem(child, child_scope);
        }
      }
      LeaveElement(mark);
    }
  }

  // media:content, media:group and their children, in an RSS item or an Atom
  // entry.
  void WalkMedia(pugi::xml_node node, std::string_view local,
                 const Scope& scope, ParsedItem* item,
                 ItemFallbacks* fallbacks) {
    if (local == "content") {
      ParsedEnclosure enclosure;
      enclosure.url = Url(node.attribute("url").value(), scope);
      enclosure.type = std::string(Trim(node.attribute("type").value()));
      if (enclosure.type.empty()) {
        std::string_view medium = Trim(node.attribute("medium").value());
        if (!medium.empty()) enclosure.type = std::string(medium);
      }
      enclosure.length = ParseLength(node.attribute("fileSize").value());
      AddEnclosure(item, std::move(enclosure));
    }
    if (local == "thumbnail") {
      if (item->thumbnail_url.empty()) {
        item->thumbnail_url = Url(node.attribute("url").value(), scope);
      }
      return;
    }
    if (local == "title") {
      if (fallbacks->media_title.empty()) {
        fallbacks->media_title = HtmlSnippetToText(NodeText(node));
      }
      return;
    }
    if (local == "description") {
      if (fallbacks->media_description.empty()) {
        fallbacks->media_description = NodeText(node);
      }
      return;
    }
    if (local == "group" || local == "content") {
      for (pugi::xml_node child = node.first_child(); child;
           child = child.next_sibling()) {
        if (child.type() != pugi::node_element) continue;
        Scope child_scope = scope;
        std::string base_storage;
        size_t mark = EnterElement(child, &child_scope, &base_storage);
        std::string_view child_local;
        if (Resolve(child, &child_local) == Ns::kMedia) {
          WalkMedia(child, child_local, child_scope, item, fallbacks);
        }
        LeaveElement(mark);
      }
    }
  }

  ParsedAuthor AtomPerson(pugi::xml_node node, const Scope& scope) {
    ParsedAuthor author;
    bool has_elements = false;
    for (pugi::xml_node child = node.first_child(); child;
         child = child.next_sibling()) {
      if (child.type() != pugi::node_element) continue;
      has_elements = true;
      std::string_view local;
      Resolve(child, &local);
      if (local == "name") {
        author.name = CollapseWhitespace(NodeText(child));
      } else if (local == "email") {
        author.email = std::string(Trim(NodeText(child)));
      } else if (local == "uri" || local == "url" || local == "homepage") {
        // Atom 0.3 drafts and feedparser call the URI <url> or <homepage>.
        author.uri = Url(NodeText(child), scope);
      }
    }
    // With child elements, none of them a name, there is no name: their
    // markup is not one.
    if (!has_elements && author.name.empty() && author.email.empty() &&
        author.uri.empty()) {
      // <author>Jane</author> without children, seen in broken Atom.
      author = ParseAuthorText(NodeText(node));
    }
    return author;
  }

  void AtomLink(pugi::xml_node node, const Scope& scope, ParsedItem* item,
                std::string* alternate, bool* alternate_is_html) {
    std::string_view rel = Trim(node.attribute("rel").value());
    pugi::xml_attribute href_attr = node.attribute("href");
    std::string href;
    if (!href_attr) {
      // <link rel="alternate">http://...</link>: the URL as text, which
      // feedparser accepts.
      href = Url(NodeText(node), scope);
    } else if (Trim(href_attr.value()).empty()) {
      // href="" is a same-document reference: the base itself.
      if (!scope.base.empty()) href = std::string(scope.base);
    } else {
      href = Url(href_attr.value(), scope);
    }
    if (href.empty()) return;
    if (rel.empty() || rel == "alternate" ||
        rel == "http://www.iana.org/assignments/relation/alternate") {
      std::string_view type = node.attribute("type").value();
      // Prefer the HTML page when there are alternates in several formats.
      if (alternate->empty() || (type == "text/html" && !*alternate_is_html)) {
        *alternate = std::move(href);
        *alternate_is_html = type.empty() || type == "text/html";
      }
    } else if (rel == "enclosure" && item != nullptr) {
      ParsedEnclosure enclosure;
      enclosure.url = std::move(href);
      enclosure.type = std::string(Trim(node.attribute("type").value()));
      enclosure.length = ParseLength(node.attribute("length").value());
      AddEnclosure(item, std::move(enclosure));
    }
  }

  void ApplyFallbacks(ParsedItem* item, ItemFallbacks* fallbacks) {
    if (item->title.empty()) item->title = std::move(fallbacks->media_title);
    if (item->summary.empty()) {
      if (!fallbacks->dc_description.empty()) {
        item->summary = std::move(fallbacks->dc_description);
      } else if (!fallbacks->itunes_summary.empty()) {
        item->summary = std::move(fallbacks->itunes_summary);
      } else if (!fallbacks->media_description.empty()) {
        item->summary = std::move(fallbacks->media_description);
      } else {
        item->summary = std::move(fallbacks->itunes_subtitle);
      }
    }
    if (item->authors.empty())
      item->authors = std::move(fallbacks->itunes_authors);
    LimitField(&item->title, "title");
    LimitField(&item->summary, "summary");
    LimitField(&item->content, "content");
  }

  void WalkRssItem(pugi::xml_node node, const Scope& scope) {
    ParsedItem& item = feed_->items.emplace_back();
    ItemFallbacks fallbacks;
    item.language = std::string(scope.lang);
    std::string_view about;
    for (pugi::xml_attribute a = node.first_attribute(); a;
         a = a.next_attribute()) {
      std::string_view name = a.name();
      size_t colon = name.find(':');
      if (colon != std::string_view::npos &&
          name.substr(colon + 1) == "about" &&
          ResolvePrefix(name.substr(0, colon)) == Ns::kRdf) {
        about = a.value();
      }
    }
    if (!about.empty()) {
      item.id = std::string(Trim(about));
      item.id_is_permalink = HasScheme(item.id);
    }
    std::optional<absl::Time> pub_date;
    std::string guid_link;
    for (pugi::xml_node child = node.first_child(); child;
         child = child.next_sibling()) {
      if (child.type() != pugi::node_element) continue;
      Scope child_scope = scope;
      std::string base_storage;
      size_t mark = EnterElement(child, &child_scope, &base_storage);
      std::string_view local;
      Ns ns = ResolveRss(child, &local);
      switch (ns) {
        case Ns::kNone:
        case Ns::kRss10:
        case Ns::kRss090:
          if (local == "title") {
            item.title = HtmlSnippetToText(NodeText(child));
          } else if (local == "link" && item.link.empty()) {
            // The first non-empty <link>; HTML habits give some feeds
            // <link href="..."/> instead.
            std::string raw = NodeText(child);
            if (Trim(raw).empty()) raw = child.attribute("href").value();
            item.link = Url(raw, child_scope);
          } else if (local == "description") {
            item.summary = NodeText(child);
            ResolveHtml(&item.summary, child_scope);
          } else if (local == "guid") {
            item.id = NodeText(child);
            std::string_view permalink =
                Trim(AttributeIgnoreCase(child, "isPermaLink").value());
            item.id_is_permalink =
                !absl::EqualsIgnoreCase(internal::Av(permalink), "false") &&
                HasScheme(item.id);
            if (item.id_is_permalink) guid_link = Url(item.id, child_scope);
          } else if (local == "pubDate") {
            pub_date = ParseFeedDate(NodeText(child));
          } else if (local == "author") {
            ParsedAuthor author = ParseAuthorText(NodeText(child));
            if (!author.name.empty() || !author.email.empty()) {
              AddAuthor(&item.authors, std::move(author));
            }
          } else if (local == "category") {
            AddCategory(&item, CollapseWhitespace(NodeText(child)));
          } else if (local == "enclosure") {
            ParsedEnclosure enclosure;
            enclosure.url = Url(child.attribute("url").value(), child_scope);
            enclosure.type = std::string(Trim(child.attribute("type").value()));
            enclosure.length = ParseLength(child.attribute("length").value());
            AddEnclosure(&item, std::move(enclosure));
          } else if (local == "fullitem" && item.content.empty()) {
            // Pre-content:encoded full text, still read by feedparser.
            item.content = NodeText(child);
            ResolveHtml(&item.content, child_scope);
          }
          break;
        case Ns::kXhtml:
          if (local == "body" && item.content.empty()) {
            // <xhtml:body>: the full text as inline XHTML.
            AppendInnerXml(child, &item.content);
            item.content = std::string(Trim(item.content));
            ResolveHtml(&item.content, child_scope);
          }
          break;
        case Ns::kDc:
          if (local == "creator" || local == "author") {
            ParsedAuthor author = ParseAuthorText(NodeText(child));
            if (!author.name.empty() || !author.email.empty()) {
              AddAuthor(&item.authors, std::move(author));
            }
          } else if (local == "date") {
            fallbacks.dc_date = ParseFeedDate(NodeText(child));
            fallbacks.dc_updated = fallbacks.dc_date;
          } else if (local == "subject") {
            AddCategory(&item, CollapseWhitespace(NodeText(child)));
          } else if (local == "language") {
            item.language = std::string(Trim(NodeText(child)));
          } else if (local == "title" && item.title.empty()) {
            item.title = HtmlSnippetToText(NodeText(child));
          } else if (local == "description") {
            fallbacks.dc_description = NodeText(child);
          } else if (local == "identifier" && item.id.empty()) {
            item.id = NodeText(child);
          }
          break;
        case Ns::kDcTerms:
          if (local == "modified") {
            item.updated = ParseFeedDate(NodeText(child));
          } else if ((local == "created" || local == "issued") &&
                     !fallbacks.dc_date) {
            fallbacks.dc_date = ParseFeedDate(NodeText(child));
          }
          break;
        case Ns::kContent:
          if (local == "encoded") {
            item.content = NodeText(child);
            ResolveHtml(&item.content, child_scope);
          }
          break;
        case Ns::kAtom10:
          if (local == "link") {
            AtomLink(child, child_scope, &item, &fallbacks.atom_link,
                     &fallbacks.atom_link_is_html);
          } else if (local == "category") {
            std::string_view term = Trim(child.attribute("term").value());
            if (term.empty()) term = Trim(child.attribute("label").value());
            AddCategory(&item, CollapseWhitespace(term));
          } else if (local == "content" && item.content.empty()) {
            bool html;
            std::string text = AtomText(child, Ns::kAtom10, &html);
            item.content = html ? std::move(text) : EscapeHtml(text);
            if (html) ResolveHtml(&item.content, child_scope);
          } else if (local == "summary" && fallbacks.dc_description.empty()) {
            // Read like dc:description: used when the item has no
            // <description>.
            bool html;
            fallbacks.dc_description = AtomText(child, Ns::kAtom10, &html);
          } else if (local == "updated") {
            fallbacks.atom_updated = ParseFeedDate(NodeText(child));
          } else if (local == "published" && !pub_date) {
            pub_date = ParseFeedDate(NodeText(child));
          } else if (local == "author") {
            ParsedAuthor author = AtomPerson(child, child_scope);
            if (!author.name.empty() || !author.email.empty()) {
              AddAuthor(&item.authors, std::move(author));
            }
          }
          break;
        case Ns::kMedia:
          WalkMedia(child, local, child_scope, &item, &fallbacks);
          break;
        case Ns::kItunes:
          if (local == "author") {
            ParsedAuthor author = ParseAuthorText(NodeText(child));
            if (!author.name.empty()) {
              AddAuthor(&fallbacks.itunes_authors, std::move(author));
            }
          } else if (local == "summary") {
            fallbacks.itunes_summary = NodeText(child);
          } else if (local == "subtitle") {
            fallbacks.itunes_subtitle = NodeText(child);
          } else if (local == "category") {
            // <itunes:category text="Technology"> with at most one nested
            // subcategory; feedparser makes each a tag.
            AddCategory(&item,
                        CollapseWhitespace(child.attribute("text").value()));
            for (pugi::xml_node sub = child.first_child(); sub;
                 sub = sub.next_sibling()) {
              std::string_view sub_local;
              if (sub.type() == pugi::node_element &&
                  Resolve(sub, &sub_local) == Ns::kItunes &&
                  sub_local == "category") {
                AddCategory(&item,
                            CollapseWhitespace(sub.attribute("text").value()));
              }
            }
          } else if (local == "keywords") {
            // Comma-separated; feedparser makes each one a tag.
            std::string keywords = NodeText(child);
            std::string_view rest = keywords;
            while (!rest.empty()) {
              size_t comma = rest.find(',');
              AddCategory(&item, CollapseWhitespace(rest.substr(0, comma)));
              if (comma == std::string_view::npos) break;
              rest.remove_prefix(comma + 1);
            }
          } else if (local == "image" && item.thumbnail_url.empty()) {
            item.thumbnail_url =
                Url(child.attribute("href").value(), child_scope);
          }
          break;
        default:
          break;
      }
      LeaveElement(mark);
    }
    if (item.link.empty()) item.link = std::move(guid_link);
    if (item.link.empty()) item.link = std::move(fallbacks.atom_link);
    item.published = pub_date ? pub_date : fallbacks.dc_date;
    if (!item.updated) item.updated = fallbacks.atom_updated;
    // dc:date is the item's date without saying which: feedparser reads it
    // as the update time and gofeed as both, so it stands in for either.
    if (!item.updated) item.updated = fallbacks.dc_updated;
    ApplyFallbacks(&item, &fallbacks);
    FinishItem();
  }

  // The text of `node`'s only child element when that is an xhtml <div>
  // holding nothing but text; nullopt otherwise.
  std::optional<std::string> EscapedHtmlInXhtmlDiv(pugi::xml_node node) {
    pugi::xml_node div;
    for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
      if (c.type() == pugi::node_element) {
        if (div) return std::nullopt;
        div = c;
      } else if (!Trim(c.value()).empty()) {
        return std::nullopt;
      }
    }
    if (!div) return std::nullopt;
    for (pugi::xml_node c = div.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_pcdata && c.type() != pugi::node_cdata) {
        return std::nullopt;
      }
    }
    if (!IsXhtmlDiv(div)) return std::nullopt;
    return NodeText(div);
  }

  // True when `node` is an xhtml <div>, with the namespace declarations on
  // the div itself taken into account.
  bool IsXhtmlDiv(pugi::xml_node node) {
    Scope scope;
    std::string base;
    size_t mark = EnterElement(node, &scope, &base);
    std::string_view local;
    bool is_div = Resolve(node, &local) == Ns::kXhtml && local == "div";
    LeaveElement(mark);
    return is_div;
  }

  // An Atom text construct (title, subtitle, summary, content, rights).
  // Returns the HTML or text it holds; *is_html says which.
  std::string AtomText(pugi::xml_node node, Ns atom_ns, bool* is_html) {
    std::string_view type = Trim(node.attribute("type").value());
    std::string_view mode = Trim(node.attribute("mode").value());  // Atom 0.3
    *is_html = false;
    if (type == "xhtml" || type == "application/xhtml+xml" ||
        (atom_ns == Ns::kAtom03 && mode == "xml")) {
      std::string out;
      pugi::xml_node div = node.first_child();
      while (div && div.type() != pugi::node_element) div = div.next_sibling();
      if (div && IsXhtmlDiv(div)) {
        AppendInnerXml(div, &out);
      } else {
        AppendInnerXml(node, &out);
      }
      *is_html = true;
      return std::string(Trim(out));
    }
    *is_html = type == "html" || type == "text/html" ||
               (atom_ns == Ns::kAtom03 && mode == "escaped") ||
               (atom_ns == Ns::kAtom03 && type.empty() && mode.empty());
    if (atom_ns == Ns::kAtom03 && mode == "base64") {
      // Atom 0.3 mode="base64": the text is the encoded content. Decoding
      // only shrinks it, so the field limits still hold.
      std::string decoded;
      if (absl::Base64Unescape(internal::Av(NodeText(node)), &decoded)) {
        *is_html = type.empty() || type == "text/html" || type == "html" ||
                   type == "application/xhtml+xml";
        return decoded;
      }
    }
    if (*is_html) {
      // type="html" holding an xhtml <div> wrapper around escaped markup:
      // the producer mixed the xhtml form with the html one. The div's text
      // is the HTML, as gofeed and feedparser read it.
      if (std::optional<std::string> inner = EscapedHtmlInXhtmlDiv(node)) {
        return *std::move(inner);
      }
    }
    if (atom_ns != Ns::kAtom03 && IsBase64MediaType(type)) {
      std::string decoded;
      if (absl::Base64Unescape(internal::Av(NodeText(node)), &decoded) &&
          IsDecodedText(decoded)) {
        return decoded;  // as text: the type does not say it is HTML
      }
      return {};
    }
    return NodeText(node);
  }

  void WalkAtomFeed(pugi::xml_node root, const Scope& scope, Ns atom_ns) {
    feed_->language = std::string(scope.lang);
    std::vector<ParsedAuthor> feed_authors;
    std::string alternate;
    bool alternate_is_html = false;
    for (pugi::xml_node child = root.first_child(); child;
         child = child.next_sibling()) {
      if (child.type() != pugi::node_element) continue;
      Scope child_scope = scope;
      std::string base_storage;
      size_t mark = EnterElement(child, &child_scope, &base_storage);
      std::string_view local;
      Ns ns = Resolve(child, &local);
      if (ns == atom_ns) {
        // <item> in an Atom feed: an RSS habit feedparser reads as <entry>.
        if (local == "entry" || local == "item") {
          if (feed_->link.empty() && !alternate.empty()) {
            SetFeedLink(std::move(alternate));
          }
          if (RoomForItem()) WalkAtomEntry(child, child_scope, atom_ns);
        } else if (local == "title") {
          bool html;
          std::string text = AtomText(child, atom_ns, &html);
          feed_->title =
              html ? HtmlSnippetToText(text) : CollapseWhitespace(text);
        } else if (local == "subtitle" || local == "tagline") {
          bool html;
          feed_->description = AtomText(child, atom_ns, &html);
          if (html) ResolveHtml(&feed_->description, child_scope);
        } else if (local == "link") {
          if (!PushLink(child, child_scope)) {
            AtomLink(child, child_scope, nullptr, &alternate,
                     &alternate_is_html);
          }
        } else if (local == "updated" || local == "modified") {
          feed_->updated = ParseFeedDate(NodeText(child));
        } else if (local == "author") {
          ParsedAuthor author = AtomPerson(child, child_scope);
          if (!author.name.empty() || !author.email.empty()) {
            AddAuthor(&feed_authors, std::move(author));
          }
        }
      } else if (ns == Ns::kDc && local == "language" &&
                 feed_->language.empty()) {
        feed_->language = std::string(Trim(NodeText(child)));
      }
      LeaveElement(mark);
    }
    if (feed_->link.empty()) SetFeedLink(std::move(alternate));
    // RFC 4287 4.2.1: entries without an author inherit the feed's.
    // Copies are charged to the output budget: a feed with many authors and
    // many entries must not multiply into a huge result.
    if (!feed_authors.empty()) {
      size_t bytes = 0;
      for (const ParsedAuthor& a : feed_authors) bytes += AuthorBytes(a);
      for (ParsedItem& item : feed_->items) {
        if (!item.authors.empty()) continue;
        if (!ChargeOutput(bytes)) break;
        item.authors = feed_authors;
      }
    }
  }

  void WalkAtomEntry(pugi::xml_node node, const Scope& scope, Ns atom_ns) {
    ParsedItem& item = feed_->items.emplace_back();
    ItemFallbacks fallbacks;
    item.language = std::string(scope.lang);
    std::optional<absl::Time> created;
    bool link_is_html = false;
    for (pugi::xml_node child = node.first_child(); child;
         child = child.next_sibling()) {
      if (child.type() != pugi::node_element) continue;
      Scope child_scope = scope;
      std::string base_storage;
      size_t mark = EnterElement(child, &child_scope, &base_storage);
      std::string_view local;
      Ns ns = Resolve(child, &local);
      if (ns == atom_ns) {
        if (local == "id") {
          item.id = NodeText(child);
          item.id_is_permalink = false;
          // atom:id is an IRI: a relative one is relative to the xml:base
          // in effect, as gofeed and feedparser resolve it. Only an
          // explicit xml:base, never the feed's URL: an id must not change
          // with where the feed was fetched from.
          if (!child_scope.base.empty() && !item.id.empty() &&
              !HasScheme(item.id)) {
            item.id = Url(item.id, child_scope);
          }
        } else if (local == "title") {
          bool html;
          std::string text = AtomText(child, atom_ns, &html);
          item.title =
              html ? HtmlSnippetToText(text) : CollapseWhitespace(text);
        } else if (local == "link") {
          AtomLink(child, child_scope, &item, &item.link, &link_is_html);
        } else if (local == "summary") {
          bool html;
          item.summary = AtomText(child, atom_ns, &html);
          if (html) ResolveHtml(&item.summary, child_scope);
        } else if (local == "content") {
          std::string_view src = child.attribute("src").value();
          std::string_view type = Trim(child.attribute("type").value());
          bool textual = type.empty() || type == "text" || type == "html" ||
                         type == "xhtml" || type.starts_with("text/") ||
                         type == "application/xhtml+xml";
          if (src.empty() && (textual || (atom_ns != Ns::kAtom03 &&
                                          IsBase64MediaType(type)))) {
            bool html;
            std::string text = AtomText(child, atom_ns, &html);
            item.content = html ? std::move(text) : EscapeHtml(text);
            if (html) ResolveHtml(&item.content, child_scope);
          } else if (!src.empty() && item.link.empty()) {
            item.link = Url(src, child_scope);
          }
        } else if (local == "published" || local == "issued") {
          item.published = ParseFeedDate(NodeText(child));
        } else if (local == "created") {
          created = ParseFeedDate(NodeText(child));
        } else if (local == "updated" || local == "modified") {
          item.updated = ParseFeedDate(NodeText(child));
        } else if (local == "author") {
          ParsedAuthor author = AtomPerson(child, child_scope);
          if (!author.name.empty() || !author.email.empty()) {
            AddAuthor(&item.authors, std::move(author));
          }
        } else if (local == "category") {
          std::string_view term = Trim(child.attribute("term").value());
          if (term.empty()) term = Trim(child.attribute("label").value());
          AddCategory(&item, CollapseWhitespace(term));
        }
      } else if (ns == Ns::kDc) {
        if (local == "creator") {
          ParsedAuthor author = ParseAuthorText(NodeText(child));
          if (!author.name.empty() || !author.email.empty()) {
            AddAuthor(&item.authors, std::move(author));
          }
        } else if (local == "subject") {
          AddCategory(&item, CollapseWhitespace(NodeText(child)));
        } else if (local == "date") {
          fallbacks.dc_date = ParseFeedDate(NodeText(child));
          fallbacks.dc_updated = fallbacks.dc_date;
        } else if (local == "language") {
          item.language = std::string(Trim(NodeText(child)));
        }
      } else if (ns == Ns::kMedia) {
        WalkMedia(child, local, child_scope, &item, &fallbacks);
      } else if (ns == Ns::kItunes) {
        if (local == "author") {
          ParsedAuthor author = ParseAuthorText(NodeText(child));
          if (!author.name.empty()) {
            AddAuthor(&fallbacks.itunes_authors, std::move(author));
          }
        } else if (local == "summary") {
          fallbacks.itunes_summary = NodeText(child);
        }
      }
      LeaveElement(mark);
    }
    if (!item.published) item.published = created ? created : fallbacks.dc_date;
    if (!item.updated) item.updated = fallbacks.dc_updated;
    ApplyFallbacks(&item, &fallbacks);
    FinishItem();
  }

  const ParseOptions& options_;
  ParsedFeed* feed_;
  std::string default_base_;
  std::vector<Binding> bindings_;
  size_t output_budget_;
  size_t output_bytes_ = 0;
  bool output_exhausted_ = false;
  bool field_warning_ = false;
  bool items_warning_ = false;
  bool list_warning_ = false;
  bool url_warning_ = false;
  bool namespace_warning_ = false;
};

// Depth of the deepest element, stopping early past `limit`. Iterative:
// the point is to refuse hostile nesting without recursing into it.
int MaxDepth(const pugi::xml_document& doc, int limit) {
  int depth = 0, max_depth = 0;
  pugi::xml_node node = doc.first_child();
  while (node) {
    if (node.type() == pugi::node_element) {
      if (depth + 1 > max_depth) max_depth = depth + 1;
      if (max_depth > limit) return max_depth;
    }
    if (pugi::xml_node child = node.first_child()) {
      node = child;
      ++depth;
      continue;
    }
    while (node && !node.next_sibling()) {
      node = node.parent();
      --depth;
      if (node == doc) return max_depth;
    }
    if (node) node = node.next_sibling();
  }
  return max_depth;
}

// <RSS><CHANNEL><ITEM>: old generators wrote RSS 0.91 in upper case. Only
// unprefixed element names are folded; attributes keep their case
// (isPermaLink). Iterative, so depth costs no stack.
void LowercaseElementNames(pugi::xml_node root) {
  std::string lowered;
  pugi::xml_node node = root;
  while (node) {
    if (node.type() == pugi::node_element) {
      std::string_view name = node.name();
      if (name.find(':') == std::string_view::npos) {
        lowered = absl::AsciiStrToLower(internal::Av(name));
        if (lowered != name) node.set_name(lowered.c_str());
      }
    }
    if (node.first_child()) {
      node = node.first_child();
      continue;
    }
    while (node && node != root && !node.next_sibling()) node = node.parent();
    if (!node || node == root) break;
    node = node.next_sibling();
  }
}

// Name of the document's first element as written ("rss", "rdf:RDF").
std::string_view RootName(std::string_view text) {
  size_t pos = 0;
  while ((pos = text.find('<', pos)) != std::string_view::npos) {
    if (pos + 1 >= text.size()) return {};
    char c = text[pos + 1];
    if (c == '?' || c == '!') {
      ++pos;
      continue;
    }
    size_t end = pos + 1;
    while (end < text.size() && !IsSpaceChar(text[end]) && text[end] != '>' &&
           text[end] != '/')
      ++end;
    return text.substr(pos + 1, end - pos - 1);
  }
  return {};
}

// Text a CMS printed before the XML declaration (a PHP warning, a stray
// "<br />"): the declaration may only come first, so whatever precedes it is
// not part of the document. Looks only at the first few KiB.
std::string_view SkipGarbageBeforeDeclaration(
    std::string_view body, std::vector<std::string>* warnings) {
  constexpr size_t kLookahead = 4096;
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  size_t start = body.starts_with(kBom) ? kBom.size() : 0;
  size_t decl = body.substr(0, kLookahead).find("<?xml");
  if (decl == std::string_view::npos || decl <= start) return body;
  std::string_view prefix = body.substr(start, decl - start);
  if (Trim(prefix).empty()) return body;
  // "<?xml-stylesheet" and friends are ordinary processing instructions.
  if (decl + 5 < body.size() && !IsSpaceChar(body[decl + 5])) return body;
  warnings->push_back(absl::StrCat("line 1: ", decl - start,
                                   " bytes before the XML declaration "
                                   "ignored"));
  // A UTF-8 BOM goes with the garbage; UTF-8 is the default anyway.
  return body.substr(decl);
}

// See ParseOptions::max_output_bytes.
constexpr size_t kMaxOutputExpansion = 8;

constexpr unsigned kParseFlags =
    pugi::parse_cdata | pugi::parse_escapes | pugi::parse_eol;

}  // namespace

void AddHub(ParsedFeed* feed, std::string url) {
  if (feed->hubs.size() >= kMaxHubs ||
      !(absl::StartsWithIgnoreCase(internal::Av(url), "http://") ||
        absl::StartsWithIgnoreCase(internal::Av(url), "https://")) ||
      std::find(feed->hubs.begin(), feed->hubs.end(), url) !=
          feed->hubs.end()) {
    return;
  }
  feed->hubs.push_back(std::move(url));
}

absl::StatusOr<ParsedFeed> ParseFeed(std::string_view body,
                                     const ParseOptions& options) {
  if (body.size() > options.max_document_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("feed ", options.feed_url, ": document is ", body.size(),
                     " bytes, over the limit of ", options.max_document_bytes));
  }
  if (internal::LooksLikeJsonFeed(body)) {
    return internal::ParseJsonFeed(body, options);
  }
  ParsedFeed feed;
  body = SkipGarbageBeforeDeclaration(body, &feed.warnings);
  std::string expanded;
  auto prepare = [&](std::string* transcoded, std::string* repaired,
                     std::vector<std::string>* warnings) {
    std::string_view text =
        internal::ToUtf8(body, options.charset_hint, transcoded, warnings);
    text = internal::ExpandInternalEntities(text, &expanded, warnings);
    return internal::RepairXml(text, repaired, warnings);
  };
  std::string transcoded, repaired;
  std::string_view text = prepare(&transcoded, &repaired, &feed.warnings);

  // Whitespace between inline xhtml elements is content; elsewhere it is
  // layout, and keeping it costs a node per indentation run.
  unsigned flags = kParseFlags;
  if (text.find("xhtml") != std::string_view::npos) {
    flags |= pugi::parse_ws_pcdata;
  }
  pugi::xml_document doc;
  pugi::xml_parse_result result;
  // When the text is already our own copy, let pugixml parse it in place
  // instead of copying it once more.
  std::string* own = nullptr;
  if (!repaired.empty() && text.data() == repaired.data()) {
    own = &repaired;
  } else if (!transcoded.empty() && text.data() == transcoded.data() &&
             text.size() == transcoded.size()) {
    own = &transcoded;
  }
  if (own != nullptr) {
    result = doc.load_buffer_inplace(own->data(), own->size(), flags,
                                     pugi::encoding_utf8);
  } else {
    result =
        doc.load_buffer(text.data(), text.size(), flags, pugi::encoding_utf8);
  }
  std::string transcoded_again, repaired_again;
  if (!result && own != nullptr) {
    // The in-place parse scribbled over the text; rebuild it for the error
    // position and the retry below.
    std::vector<std::string> ignored;
    text = prepare(&transcoded_again, &repaired_again, &ignored);
  }
  if (!result) {
    // Garbage after the root's end tag (an ad server's footer, a second
    // document): cut it off and try again.
    std::string_view root = RootName(text);
    size_t error_at = static_cast<size_t>(result.offset);
    if (!root.empty()) {
      std::string close = absl::StrCat("</", internal::Av(root));
      size_t end_tag = text.rfind(close, error_at);
      size_t gt = end_tag == std::string_view::npos ? std::string_view::npos
                                                    : text.find('>', end_tag);
      if (gt != std::string_view::npos && gt < error_at) {
        pugi::xml_document retry;
        pugi::xml_parse_result retry_result =
            retry.load_buffer(text.data(), gt + 1, flags, pugi::encoding_utf8);
        if (retry_result) {
          size_t line, column;
          internal::LineColumn(text, gt + 1, &line, &column);
          feed.warnings.push_back(
              absl::StrCat("line ", line, ": content after </",
                           internal::Av(root), "> ignored"));
          doc.reset(retry);
          result = retry_result;
        }
      } else if (end_tag != std::string_view::npos &&
                 Trim(text.substr(end_tag + close.size())).empty()) {
        // The document stops inside the root's end tag ("</rss" at EOF, a
        // truncated upload): the feed itself is complete.
        pugi::xml_document retry;
        std::string closed =
            absl::StrCat(internal::Av(text.substr(0, end_tag)), close, ">");
        pugi::xml_parse_result retry_result = retry.load_buffer(
            closed.data(), closed.size(), flags, pugi::encoding_utf8);
        if (retry_result) {
          feed.warnings.push_back(absl::StrCat(
              "unterminated </", internal::Av(root), "> at the end closed"));
          doc.reset(retry);
          result = retry_result;
        }
      }
    }
  }
  std::string balanced;
  if (!result) {
    // Tag soup (<br> in a description, an unclosed <p>, a stray end tag):
    // read it the way feedparser's loose parser does.
    std::vector<std::string> balance_warnings;
    if (internal::BalanceTags(text, options.max_depth, &balanced,
                              &balance_warnings)) {
      pugi::xml_document retry;
      pugi::xml_parse_result retry_result = retry.load_buffer_inplace(
          balanced.data(), balanced.size(), flags, pugi::encoding_utf8);
      if (retry_result) {
        feed.warnings.insert(feed.warnings.end(), balance_warnings.begin(),
                             balance_warnings.end());
        doc.reset(retry);
        result = retry_result;
      }
    }
  }
  if (!result) {
    size_t line, column;
    internal::LineColumn(text, static_cast<size_t>(result.offset), &line,
                         &column);
    return absl::InvalidArgumentError(absl::StrCat(
        "feed ", options.feed_url, ": not well-formed XML at line ", line,
        ", column ", column, ": ", result.description()));
  }
  if (int depth = MaxDepth(doc, options.max_depth); depth > options.max_depth) {
    return absl::ResourceExhaustedError(
        absl::StrCat("feed ", options.feed_url,
                     ": elements nested deeper than ", options.max_depth));
  }
  pugi::xml_node root = doc.document_element();
  if (!root) {
    return absl::InvalidArgumentError(
        absl::StrCat("feed ", options.feed_url, ": no root element"));
  }
  if (std::string_view name = root.name();
      (name != "rss" && absl::EqualsIgnoreCase(internal::Av(name), "rss")) ||
      (name != "channel" &&
       absl::EqualsIgnoreCase(internal::Av(name), "channel"))) {
    LowercaseElementNames(root);
    feed.warnings.push_back("upper-case RSS element names read as lower case");
  }
  const size_t output_budget =
      std::min(options.max_output_bytes,
               body.size() * kMaxOutputExpansion + (size_t{1} << 20));
  FeedWalker walker(options, output_budget, &feed);
  if (absl::Status s = walker.Walk(root); !s.ok()) return s;
  return feed;
}

}  // namespace newsfeed::ingest
