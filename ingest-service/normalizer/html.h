// Internal to the normalizer: one gumbo parse giving both renderings of an
// HTML fragment. Thread-safe (no state).

#ifndef INGEST_SERVICE_NORMALIZER_HTML_H_
#define INGEST_SERVICE_NORMALIZER_HTML_H_

#include <string>
#include <string_view>

namespace newsfeed::ingest::internal {

// Parses `html` once and writes HtmlToText's result to `*text` and
// SanitizeHtml's to `*sanitized`; either may be null to skip it. When `base`
// (an absolute URL) is given, relative href/src/cite/poster URLs in the
// sanitized output are resolved against it. Markup LimitAttributes refuses
// renders as plain text (tags dropped) in both.
void RenderHtml(std::string_view html, std::string* text,
                std::string* sanitized, std::string_view base = {});

// Which parser RenderHtml uses. kAuto (what RenderHtml does): the plain-text
// shortcut, then SimpleHtmlParser for properly nested common markup, then
// gumbo. kGumboOnly: always gumbo. kSimpleOnly: never gumbo. The last two
// exist so tests can check the fast paths render exactly what gumbo does.
enum class HtmlEngine { kAuto, kGumboOnly, kSimpleOnly };

// RenderHtml with the parser chosen by `engine`. Returns false only for
// kSimpleOnly when the input is outside the fast path's subset (the outputs
// are then unspecified).
bool RenderHtmlWith(HtmlEngine engine, std::string_view html, std::string* text,
                    std::string* sanitized, std::string_view base = {});

// The most attributes gumbo is given on one tag, and on the <html> and
// <body> start tags of a body together (it merges those into one element).
inline constexpr int kMaxHtmlAttributes = 256;

enum class AttributeLimit {
  kUnchanged,  // no tag has too many: use `html` as it is
  kCapped,     // the excess removed: use *storage
  kRefused,    // cannot be removed safely: do not give the text to gumbo
};

// Bounds the time gumbo's duplicate-attribute checks take (quadratic in the
// attributes of one element): no tag, wherever the HTML5 tokenizer might
// find one (from any '<', since its context depends on the tree), may have
// more than kMaxHtmlAttributes attributes, nor the <html> and <body> start
// tags together. The attributes beyond the limit are removed, up to the '>'
// that ends their tag, when that cannot change how any other reading of the
// text goes on after the '>'; otherwise the text is refused (RenderHtml then
// renders it as plain text, without gumbo). Linear. Ordinary markup comes
// back unchanged.
AttributeLimit LimitAttributes(std::string_view html, std::string* storage);

// True when gumbo would parse `text` into a single text node holding exactly
// these bytes: no '<', '&', CR or NUL, no control character or noncharacter
// (gumbo replaces those), and valid UTF-8. RenderHtml skips gumbo for such
// text.
bool IsPlainText(std::string_view text);

// True when `text` contains something that looks like a tag or an entity.
bool LooksLikeHtml(std::string_view text);

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_NORMALIZER_HTML_H_
