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
// sanitized output are resolved against it.
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

// True when gumbo would parse `text` into a single text node holding exactly
// these bytes: no '<', '&', CR or NUL, no control character or noncharacter
// (gumbo replaces those), and valid UTF-8. RenderHtml skips gumbo for such
// text.
bool IsPlainText(std::string_view text);

// True when `text` contains something that looks like a tag or an entity.
bool LooksLikeHtml(std::string_view text);

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_NORMALIZER_HTML_H_
