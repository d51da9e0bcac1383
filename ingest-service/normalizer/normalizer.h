// Normalizer: turns a ParsedItem into the newsfeed.v1.Article record that
// ingest-service publishes (everything except the tags, which the tagger
// adds), and the HTML/URL clean-up that goes with it.
//
// Example:
//
//   newsfeed::ingest::FeedContext context{feed_id, feed_url, clock.Now()};
//   for (const auto& item : feed.items) {
//     newsfeed::v1::Article a = newsfeed::ingest::NormalizeItem(feed, item,
//                                                               context);
//   }
//
// All functions are pure and thread-safe.
//
// Article.id rule (stable across processes and versions; changing it would
// duplicate every stored article):
//   1. the item has an id that is not a permalink (Atom id, RSS guid with
//      isPermaLink="false"):  hash("guid", feed_id, id)
//   2. else the item has a link: hash("url", CanonicalizeUrl(link))
//      (a permalink guid becomes the link when <link> is missing)
//   3. else it has an id:        hash("guid", feed_id, id)
//   4. else:                     hash("title", feed_id, title, published)
//      with published as RFC 3339 or empty.
// hash() is StableHash128Hex over the parts, each part fed as its decimal
// byte length, ':', and its bytes, so part boundaries cannot collide.
// Article.content_hash is ContentHash(article): see below.

#ifndef INGEST_SERVICE_NORMALIZER_NORMALIZER_H_
#define INGEST_SERVICE_NORMALIZER_NORMALIZER_H_

#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "ingest-service/parser/feed_parser.h"
#include "newsfeed/v1/article.pb.h"

namespace newsfeed::ingest {

// Where an item came from and when.
struct FeedContext {
  std::string feed_id;   // FeedStatus.id of the feed
  std::string feed_url;  // URL fetched
  absl::Time fetched_time;
};

// Builds the Article for one item of `feed`. Never fails: missing values
// stay empty/unset. `feed` supplies the source title and the fallback
// language. No tags are set.
newsfeed::v1::Article NormalizeItem(const ParsedFeed& feed,
                                    const ParsedItem& item,
                                    const FeedContext& context);

// Canonical form of an absolute URL for identity and display: scheme and
// host lower-cased, default port and fragment dropped, tracking query
// parameters (utm_*, fbclid, gclid, dclid, msclkid, mc_cid, mc_eid, yclid,
// _ga, _gl, igshid, _hsenc, _hsmi, mkt_tok, twclid, ttclid, ...) removed, the
// other parameters kept in order. A URL libcurl cannot parse is returned
// trimmed and without its fragment. Empty in, empty out.
std::string CanonicalizeUrl(std::string_view url);

namespace internal {
// CanonicalizeUrl always through libcurl's URL API (CanonicalizeUrl skips it
// for plain http(s) URLs), so tests can compare the two.
std::string CanonicalizeUrlWithCurl(std::string_view url);
}  // namespace internal

// Plain text of an HTML fragment: markup stripped, entities decoded,
// script/style/template content dropped, block elements (p, div, br, li,
// h1-h6, tr, ...) ending a line and table cells separated by a space,
// whitespace runs collapsed to one space, lines trimmed, no blank lines.
// Text without '<' or '&' only has its whitespace collapsed.
std::string HtmlToText(std::string_view html);

// A safe subset of an HTML fragment: an allow-list of structural and inline
// elements (p, a, img, lists, tables, headings, emphasis, code, media ...)
// with an allow-list of attributes. script, style, iframe, object, embed,
// svg, math, form controls and their content are dropped; unknown elements
// are unwrapped (their content kept). on* and style attributes are dropped,
// and so are URLs whose scheme is not http, https, mailto, ftp or tel,
// except data:image/(png|gif|jpeg|webp) in img src. Output is
// well-formed HTML with every element closed.
std::string SanitizeHtml(std::string_view html);

// Article.content_hash: "v2:" and the XXH3 128-bit hash of title, url,
// summary and content_html, each part fed as its decimal byte length, ':',
// and its bytes, as 32 lower-case hex digits. It changes when any of the
// four changes; the feed registries compare it to tell a changed item from
// one already sent.
std::string ContentHash(const newsfeed::v1::Article& article);

// Whether `stored`, the content_hash recorded for an earlier version of
// `article` (same id), describes the content `article` has now. Besides
// equality with ContentHash(article) (article.content_hash()), a hash from
// before "v2:" (StableHash128Hex of the same parts, 32 hex digits) is
// recomputed the old way, so upgrading does not send every item of every
// feed again as changed.
bool SameContent(const newsfeed::v1::Article& article, std::string_view stored);

// 128-bit FNV-1a-based hash (two 64-bit lanes with different offset bases,
// each finished with the MurmurHash3 fmix64 mixer) of the length-prefixed
// parts, as 32 lower-case hex digits. Fixed forever: ids depend on it.
std::string StableHash128Hex(std::initializer_list<std::string_view> parts);

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_NORMALIZER_NORMALIZER_H_
