// HtmlToText and SanitizeHtml on top of gumbo's HTML5 tree builder. Both
// renderings come from one walk so that NormalizeItem parses each body once.

#include "ingest-service/normalizer/html.h"

#include <gumbo.h>

#include <array>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/text/utf8.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/base/attributes.h"
#include "ingest-service/normalizer/normalizer.h"
#include "ingest-service/parser/encoding.h"
#include "ingest-service/parser/html_entities.h"
#include "ingest-service/parser/url.h"

namespace newsfeed::ingest {
namespace internal {
namespace {

enum class TagClass {
  kDrop,    // element and its content removed
  kUnwrap,  // element removed, content kept
  kKeep,    // element kept (sanitized output)
};

TagClass Classify(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_APPLET:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_META:
    case GUMBO_TAG_LINK:
    case GUMBO_TAG_BASE:
    case GUMBO_TAG_FRAME:
    case GUMBO_TAG_FRAMESET:
    case GUMBO_TAG_NOFRAMES:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_PARAM:
    case GUMBO_TAG_XMP:
    case GUMBO_TAG_PLAINTEXT:
    case GUMBO_TAG_NOEMBED:
      return TagClass::kDrop;
    case GUMBO_TAG_A:
    case GUMBO_TAG_ABBR:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_AUDIO:
    case GUMBO_TAG_B:
    case GUMBO_TAG_BDI:
    case GUMBO_TAG_BDO:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_CITE:
    case GUMBO_TAG_CODE:
    case GUMBO_TAG_COL:
    case GUMBO_TAG_COLGROUP:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DEL:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_DFN:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_EM:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_I:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_INS:
    case GUMBO_TAG_KBD:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_MARK:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_P:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_Q:
    case GUMBO_TAG_S:
    case GUMBO_TAG_SAMP:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_SMALL:
    case GUMBO_TAG_SOURCE:
    case GUMBO_TAG_SPAN:
    case GUMBO_TAG_STRIKE:
    case GUMBO_TAG_STRONG:
    case GUMBO_TAG_SUB:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_SUP:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_TH:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TIME:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_TRACK:
    case GUMBO_TAG_U:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_VAR:
    case GUMBO_TAG_VIDEO:
    case GUMBO_TAG_WBR:
      return TagClass::kKeep;
    default:
      return TagClass::kUnwrap;
  }
}

bool IsVoid(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_BR:
    case GUMBO_TAG_COL:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_SOURCE:
    case GUMBO_TAG_TRACK:
    case GUMBO_TAG_WBR:
      return true;
    default:
      return false;
  }
}

// Elements that end a line in the text rendering.
bool IsBlock(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_P:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_UL:
      return true;
    default:
      return false;
  }
}

// gumbo_normalized_tagname as a string_view: appending the const char*
// took a strlen per tag written.
std::string_view NormalizedTagName(GumboTag tag) {
  // Trivially destructible, so a function-local static is fine.
  static const std::array<std::string_view, GUMBO_TAG_LAST + 1> kNames = [] {
    std::array<std::string_view, GUMBO_TAG_LAST + 1> names;
    for (int t = 0; t <= GUMBO_TAG_LAST; ++t) {
      names[t] = gumbo_normalized_tagname(static_cast<GumboTag>(t));
    }
    return names;
  }();
  return kNames[tag];
}

bool IsUrlAttribute(std::string_view name) {
  return name == "href" || name == "src" || name == "cite" || name == "poster";
}

bool IsAllowedAttribute(std::string_view name) {
  static constexpr std::string_view kAllowed[] = {
      "href",    "src",      "alt",      "title",    "width", "height",
      "colspan", "rowspan",  "cite",     "datetime", "lang",  "dir",
      "start",   "reversed", "controls", "poster",   "type",  "align",
      "scope",   "headers",  "abbr",     "open",     "value",
  };
  for (std::string_view a : kAllowed) {
    if (a == name) return true;
  }
  return false;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

// Whether a URL attribute value may stay. Browsers ignore ASCII tab and
// newline inside a scheme and leading control characters and spaces, so the
// check does too ("jav&#9;ascript:" is javascript:).
bool IsSafeUrl(std::string_view value, bool image) {
  std::string scheme;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20) continue;
    if (c == ':') {
      if (scheme == "http" || scheme == "https" || scheme == "mailto" ||
          scheme == "ftp" || scheme == "tel") {
        return true;
      }
      if (scheme == "data" && image) {
        std::string rest;
        size_t colon = value.find(':');
        for (size_t i = colon + 1; i < value.size() && rest.size() < 16; ++i) {
          rest.push_back(Lower(value[i]));
        }
        return rest.starts_with("image/png") || rest.starts_with("image/gif") ||
               rest.starts_with("image/jpeg") ||
               rest.starts_with("image/jpg") || rest.starts_with("image/webp");
      }
      return false;
    }
    // '/', '?', '#' before any ':' means a relative URL.
    if (c == '/' || c == '?' || c == '#') return true;
    scheme.push_back(Lower(c));
    if (scheme.size() > 32) return true;
  }
  return true;  // no scheme: relative
}

// A small set of bytes for FindByte. (string_view::find_first_of calls
// memchr on the set once per byte of the text, which made it the top frame.)
struct ByteSet {
  std::array<bool, 256> table{};
  std::array<uint64_t, 4> broadcast{};  // each member in all eight bytes
  std::array<char, 4> bytes{};
  int size = 0;
};

constexpr ByteSet MakeByteSet(std::string_view bytes) {
  ByteSet set;
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    set.table[u] = true;
    set.bytes[set.size] = c;
    set.broadcast[set.size++] = 0x0101010101010101ULL * u;
  }
  return set;
}

constexpr ByteSet kTextSpecials = MakeByteSet("&<>");
constexpr ByteSet kAttributeSpecials = MakeByteSet("&<>\"");
constexpr ByteSet kMarkupStart = MakeByteSet("<&");
// '<' too: see SimpleHtmlParser::hidden_lt_.
constexpr ByteSet kDoubleQuotedStop = MakeByteSet("\"&<");
constexpr ByteSet kSingleQuotedStop = MakeByteSet("'&<");
constexpr ByteSet kDoubleQuoteOrLt = MakeByteSet("\"<");
constexpr ByteSet kSingleQuoteOrLt = MakeByteSet("'<");
// IsSpace bytes and the lead byte of U+00A0 (table use only).
constexpr std::array<bool, 256> kWordBreak = [] {
  std::array<bool, 256> table{};
  for (char c : std::string_view(" \n\t\r\f\xC2")) {
    table[static_cast<unsigned char>(c)] = true;
  }
  return table;
}();
// True when gumbo's input stream passes `text` through unchanged: it is
// valid UTF-8 (no overlong forms, surrogates or code points above U+10FFFF,
// which become U+FFFD), without CR (CR LF becomes LF) or NUL (dropped), and
// without the code points gumbo replaces with U+FFFD: C0 controls other
// than tab, LF and FF, DEL, C1 controls, and the noncharacters
// U+FDD0-U+FDEF and U+xFFFE/U+xFFFF. The fast paths only take such text.
// One pass: sixteen bytes at a time while they are ASCII without controls
// (most feed markup), byte by byte through the rest of a block otherwise.
bool GumboKeepsBytes(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  auto cont = [&](size_t k) { return k < n && (s[k] & 0xC0) == 0x80; };
  size_t i = 0;
  // Checks the character at s[i] and moves past it; false when gumbo would
  // change it.
  auto step = [&]() -> bool {
    const unsigned char c = s[i];
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\f') || c == 0x7F) {
        return false;
      }
      ++i;
      return true;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      if (!cont(i + 1) || (c == 0xC2 && s[i + 1] <= 0x9F)) return false;
      i += 2;
      return true;
    }
    if (c >= 0xE0 && c <= 0xEF) {
      if (!cont(i + 1) || !cont(i + 2)) return false;
      const unsigned char c1 = s[i + 1], c2 = s[i + 2];
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) return false;
      if (c == 0xEF && ((c1 == 0xB7 && c2 >= 0x90 && c2 <= 0xAF) ||
                        (c1 == 0xBF && c2 >= 0xBE))) {
        return false;
      }
      i += 3;
      return true;
    }
    if (c >= 0xF0 && c <= 0xF4) {
      if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return false;
      const unsigned char c1 = s[i + 1];
      if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90)) return false;
      if ((c1 & 0x0F) == 0x0F && s[i + 2] == 0xBF && s[i + 3] >= 0xBE) {
        return false;
      }
      i += 4;
      return true;
    }
    return false;
  };
#if defined(__SSE2__)
  const __m128i c0_max = _mm_set1_epi8(0x1F);
  const __m128i del = _mm_set1_epi8(0x7F);
  while (i + 16 <= n) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    __m128i special = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, c0_max), x),
                                   _mm_cmpeq_epi8(x, del));
    // High bits: non-ASCII bytes; the compare: controls and DEL.
    if ((_mm_movemask_epi8(x) | _mm_movemask_epi8(special)) == 0) {
      i += 16;
      continue;
    }
    for (const size_t block_end = i + 16; i < block_end;) {
      if (!step()) return false;
    }
  }
#endif
  while (i < n) {
    if (!step()) return false;
  }
  return true;
}

// Nonzero when one of the eight bytes of `w` equals the byte repeated in
// `broadcast` (the classic has-zero-byte test on their xor).
inline uint64_t HasByte(uint64_t w, uint64_t broadcast) {
  uint64_t x = w ^ broadcast;
  return (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
}

// Position of the first byte of `text` at or after `pos` that is in `set`;
// npos when there is none. Skips sixteen bytes at a time with SSE2 (part of
// x86-64), eight elsewhere. Inlined: at each call site the set is a
// constant, and most searches are over a few bytes between tags.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline size_t FindByte(std::string_view text,
                                                    size_t pos,
                                                    const ByteSet& set) {
  const size_t n = text.size();
  const char* data = text.data();
#if defined(__SSE2__)
  while (pos + 16 <= n) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + pos));
    __m128i hit = _mm_setzero_si128();
    for (int i = 0; i < set.size; ++i) {
      hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8(set.bytes[i])));
    }
    if (int mask = _mm_movemask_epi8(hit); mask != 0) {
      return pos + static_cast<size_t>(__builtin_ctz(mask));
    }
    pos += 16;
  }
#endif
  while (pos + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, data + pos, 8);
    uint64_t hit = 0;
    for (int i = 0; i < set.size; ++i) hit |= HasByte(w, set.broadcast[i]);
    if (hit != 0) break;
    pos += 8;
  }
  for (; pos < n; ++pos) {
    if (set.table[static_cast<unsigned char>(data[pos])]) return pos;
  }
  return std::string_view::npos;
}

// Appends `text` HTML-escaped; runs that need no escaping are copied whole.
void AppendEscaped(std::string_view text, bool attribute, std::string* out) {
  const ByteSet& specials = attribute ? kAttributeSpecials : kTextSpecials;
  while (!text.empty()) {
    size_t run = FindByte(text, 0, specials);
    if (run == std::string_view::npos) {
      out->append(text);
      return;
    }
    out->append(text.data(), run);
    switch (text[run]) {
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
        out->append("&quot;");
    }
    text.remove_prefix(run + 1);
  }
}

// AppendEscaped for text that holds no '<' or '&' (the fast path's tokenizer
// cut the input there), so only '>' needs escaping. The text between tags is
// mostly a few words: with SSE2, and bytes readable up to `readable_end` (at
// or after the text's end), one block usually covers it, the bytes past the
// text masked off.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void AppendEscapedMarkupFree(
    std::string_view text, const char* readable_end, std::string* out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  const char* copied = p;  // [text.data(), copied) is in *out
#if defined(__SSE2__)
  const __m128i gt = _mm_set1_epi8('>');
  while (p < end && readable_end - p >= 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    auto hits = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, gt)));
    if (const auto left = static_cast<size_t>(end - p); left < 16) {
      hits &= (1u << left) - 1;
    }
    if (hits == 0) {
      p += 16;
      continue;
    }
    const char* hit = p + __builtin_ctz(hits);
    out->append(copied, hit);
    out->append("&gt;");
    copied = p = hit + 1;
  }
#endif
  for (; p < end; ++p) {
    if (*p != '>') continue;
    out->append(copied, p);
    out->append("&gt;");
    copied = p + 1;
  }
  if (copied < end) out->append(copied, end);
}

// Accumulates plain text, collapsing whitespace and turning block
// boundaries into single line breaks.
class TextSink {
 public:
  explicit TextSink(std::string* out) : out_(out) {}
  // `readable_end`, when given, ends the buffer `text` lies in (at or after
  // text's end): the run scan may look at bytes up to there, never use them.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Text(std::string_view text,
                                         const char* readable_end = nullptr) {
    const char* p = text.data();
    const char* const end = p + text.size();
    const char* const limit = readable_end != nullptr ? readable_end : end;
    while (p < end) {
      auto c = static_cast<unsigned char>(*p);
      if (kWordBreak[c]) {
        if (c != 0xC2) {
          space_ = true;
          ++p;
          continue;
        }
        if (p + 1 < end && p[1] == '\xA0') {
          space_ = true;  // &nbsp;
          p += 2;
          continue;
        }
        // Any other C2 sequence starts a word.
      }
      if (!out_->empty()) {
        if (newline_) {
          out_->push_back('\n');
        } else if (space_) {
          out_->push_back(' ');
        }
      }
      newline_ = space_ = false;
      // Copy words and the single spaces between them at once: that much
      // needs no collapsing.
      const char* run_end = RunEnd(p + 1, end, limit);
      out_->append(p, run_end - p);
      p = run_end;
    }
  }
  void Space() { space_ = true; }
  void Newline() { newline_ = true; }

 private:
  // End of the run of words and single spaces starting at `p`: the first
  // word break that is not a ' ' followed by a word byte, or `end`.
  // Sixteen bytes at a time where SSE2 is there and 17 bytes from `p` are
  // readable (up to `limit`): a byte-by-byte loop mispredicted at every
  // word boundary, and most text between tags is shorter than a block, so
  // the last block of a run may reach past `end` into the rest of the
  // document, whose bytes are masked off.
  static const char* RunEnd(const char* p, const char* end, const char* limit) {
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(' ');
    const __m128i lf = _mm_set1_epi8('\n');
    const __m128i tab = _mm_set1_epi8('\t');
    const __m128i cr = _mm_set1_epi8('\r');
    const __m128i ff = _mm_set1_epi8('\f');
    const __m128i c2 = _mm_set1_epi8('\xC2');
    // 17 bytes: whether the sixteenth is a break depends on the next one.
    while (p < end && limit - p >= 17) {
      __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      __m128i is_space = _mm_cmpeq_epi8(x, space);
      __m128i other = _mm_or_si128(
          _mm_or_si128(_mm_cmpeq_epi8(x, lf), _mm_cmpeq_epi8(x, tab)),
          _mm_or_si128(
              _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, ff)),
              _mm_cmpeq_epi8(x, c2)));
      unsigned spaces = static_cast<unsigned>(_mm_movemask_epi8(is_space));
      unsigned breaks =
          spaces | static_cast<unsigned>(_mm_movemask_epi8(other));
      // Bit j for p[j], j < 17. Past the run, `end` itself counts as a
      // break (a ' ' just before it ends the run, as in the loop below)
      // and stops the run; the bytes after it are not looked at.
      const size_t left = static_cast<size_t>(end - p);
      unsigned ending = 0;
      if (left <= 16) {
        ending = 1u << left;
        breaks &= ending - 1;
      } else if (kWordBreak[static_cast<unsigned char>(p[16])]) {
        breaks |= 1u << 16;
      }
      unsigned next_breaks = (breaks | ending) >> 1;
      // A break ends the run unless it is a ' ' followed by a word byte.
      unsigned stops = (breaks & 0xFFFF & (~spaces | next_breaks)) | ending;
      if (stops != 0) return p + __builtin_ctz(stops);
      p += 16;
    }
#endif
    while (true) {
      while (p < end && !kWordBreak[static_cast<unsigned char>(*p)]) ++p;
      if (p + 1 < end && *p == ' ' &&
          !kWordBreak[static_cast<unsigned char>(p[1])]) {
        p += 2;
        continue;
      }
      return p;
    }
  }

  std::string* out_;
  bool space_ = false;
  bool newline_ = false;
};

// An attribute as the renderer sees it: name lower-cased, value decoded.
struct AttrView {
  std::string_view name;
  std::string_view value;
};

// Writes the two renderings of a tree given as open/close/text events; fed
// by the gumbo tree walk or by SimpleHtmlParser.
class Renderer {
 public:
  Renderer(std::string* text, std::string* html, std::string_view base)
      : html_(html), base_(base) {
    if (text) text_.emplace(text);
  }

  // Iterative over the tree: hostile nesting must not exhaust the stack.
  void Render(GumboNode* root) {
    struct Frame {
      GumboNode* node;
      unsigned next_child;
      bool keep;  // an open tag was written
    };
    std::vector<Frame> stack;
    stack.push_back({root, 0, false});
    while (!stack.empty()) {
      Frame& frame = stack.back();
      GumboVector* children = &frame.node->v.element.children;
      if (frame.next_child >= children->length) {
        if (frame.node != root) CloseTag(frame.node->v.element.tag, frame.keep);
        stack.pop_back();
        continue;
      }
      auto* child = static_cast<GumboNode*>(children->data[frame.next_child++]);
      switch (child->type) {
        case GUMBO_NODE_TEXT:
        case GUMBO_NODE_CDATA:
        case GUMBO_NODE_WHITESPACE:
          Text(child->v.text.text);
          break;
        case GUMBO_NODE_ELEMENT:
        case GUMBO_NODE_TEMPLATE: {
          GumboTag tag = child->v.element.tag;
          TagClass klass = Classify(tag);
          if (child->type == GUMBO_NODE_TEMPLATE ||
              child->v.element.tag_namespace != GUMBO_NAMESPACE_HTML) {
            klass = TagClass::kDrop;
          }
          if (klass == TagClass::kDrop) break;
          bool keep = klass == TagClass::kKeep;
          attrs_.clear();
          if (html_ && keep) {
            const GumboVector& attrs = child->v.element.attributes;
            for (unsigned i = 0; i < attrs.length; ++i) {
              auto* attr = static_cast<GumboAttribute*>(attrs.data[i]);
              attrs_.push_back({attr->name, attr->value});
            }
          }
          OpenTag(tag, keep, attrs_.data(), attrs_.size());
          if (IsVoid(tag)) {
            CloseTag(tag, false);
          } else {
            stack.push_back({child, 0, keep});
          }
          break;
        }
        default:  // comments, document
          break;
      }
    }
  }

  // `readable_end` as for TextSink::Text.
  void Text(std::string_view text, const char* readable_end = nullptr) {
    if (text_) text_->Text(text, readable_end);
    if (html_) AppendEscaped(text, false, html_);
  }

  // Text that holds no '<' or '&'; bytes are readable up to `readable_end`.
  void MarkupFreeText(std::string_view text, const char* readable_end) {
    if (text_) text_->Text(text, readable_end);
    if (html_) AppendEscapedMarkupFree(text, readable_end, html_);
  }

  // An element starts; `keep` when Classify says kKeep. `attrs` are only
  // read when the sanitized rendering is wanted and `keep`.
  void OpenTag(GumboTag tag, bool keep, const AttrView* attrs, size_t count) {
    if (text_) {
      if (IsBlock(tag)) text_->Newline();
      if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) text_->Space();
    }
    if (!html_ || !keep) return;
    html_->push_back('<');
    html_->append(NormalizedTagName(tag));
    for (size_t i = 0; i < count; ++i) {
      std::string_view name = attrs[i].name;
      std::string_view value = attrs[i].value;
      if (!IsAllowedAttribute(name)) continue;
      if (IsUrlAttribute(name) &&
          !IsSafeUrl(value, tag == GUMBO_TAG_IMG && name == "src")) {
        continue;
      }
      html_->push_back(' ');
      html_->append(name);
      html_->append("=\"");
      if (IsUrlAttribute(name) && !base_.empty() && !HasScheme(value)) {
        // Relative links would point at our own host once the HTML is
        // shown anywhere else.
        AppendEscaped(ResolveUrlLikeCurl(value, base_), true, html_);
      } else {
        AppendEscaped(value, true, html_);
      }
      html_->push_back('"');
    }
    html_->push_back('>');
  }

  // The element opened with OpenTag(tag, keep, ...) ends.
  void CloseTag(GumboTag tag, bool keep) {
    if (text_) {
      if (IsBlock(tag)) text_->Newline();
      if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) text_->Space();
    }
    if (html_ && keep && !IsVoid(tag)) {
      html_->append("</");
      html_->append(NormalizedTagName(tag));
      html_->push_back('>');
    }
  }

 private:
  std::optional<TextSink> text_;
  std::string* html_;
  std::string_view base_;
  std::vector<AttrView> attrs_;
};

// Bump allocator for one gumbo parse. gumbo allocates every node, vector and
// string buffer through GumboOptions::allocator; with this arena the nodes
// cost a pointer bump, freeing is a no-op, and the tree goes away with the
// arena's few blocks instead of gumbo_destroy_output's per-node walk (which
// also recurses once per level of nesting: hostile input overflows the stack,
// gumbo issue #387).
//
// It also bounds the parse's work. gumbo's costly steps allocate as they go:
// before each piece of text it clones, attributes and all, every formatting
// element (b, i, a, font, ...) that a block's end left open ("reconstruct
// the active formatting elements"), so 200 such <b>s and then "</p><p>x"
// repeated cost 47 s per MB, and one <b> with a 64 KiB attribute minutes;
// the HTML standard bounds only identical entries (three, "Noah's Ark").
// What a parse may allocate is capped in proportion to its input; past the
// cap Allocate jumps back to ParseWithinBudget (longjmp: gumbo is C, keeps
// all its state in the arena, and the frames between hold nothing to
// destroy), and the body is rendered as text.
class GumboArena {
 public:
  // May allocate `limit` bytes in all.
  explicit GumboArena(size_t limit) : limit_(limit) {}
  GumboArena(const GumboArena&) = delete;
  GumboArena& operator=(const GumboArena&) = delete;

  static void* Allocate(void* arena, size_t size) {
    return static_cast<GumboArena*>(arena)->Allocate(size);
  }
  static void Free(void*, void*) {}

  // gumbo's output for `html` (nullptr if none), or nullptr when the parse
  // would allocate more than the limit.
  GumboOutput* ParseWithinBudget(GumboOptions* options, std::string_view html) {
    std::jmp_buf over_budget;
    over_budget_ = &over_budget;
    if (setjmp(over_budget) != 0) {
      exceeded_ = true;
      return nullptr;
    }
    return gumbo_parse_with_options(options, html.data(), html.size());
  }
  bool exceeded() const { return exceeded_; }

 private:
  static constexpr size_t kAlign = alignof(std::max_align_t);
  static constexpr size_t kBlockSize = 64 << 10;

  void* Allocate(size_t size) {
    size = (size + kAlign - 1) & ~(kAlign - 1);
    // First, while this frame holds nothing to destroy.
    if (size > limit_ - allocated_) std::longjmp(*over_budget_, 1);
    allocated_ += size;
    if (size > left_) {
      size_t block = size > kBlockSize / 4 ? size : kBlockSize;
      blocks_.push_back(std::make_unique_for_overwrite<char[]>(block));
      next_ = blocks_.back().get();
      left_ = block;
    }
    void* p = next_;
    next_ += size;
    left_ -= size;
    return p;
  }

  const size_t limit_;
  size_t allocated_ = 0;
  std::jmp_buf* over_budget_ = nullptr;
  bool exceeded_ = false;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  size_t left_ = 0;
};

// What a parse may allocate: this many bytes per byte of input, plus a
// floor for short bodies. gumbo allocates 25-40 bytes per byte of ordinary
// markup and about 90 for the densest ("<p>x" repeated, two nodes per four
// bytes); the shapes above reach the cap after about as much work as that.
constexpr size_t kGumboBytesPerInputByte = 128;
constexpr size_t kGumboBytesFloor = 4 << 20;

// gumbo 0.10 spends time proportional to the depth of the open-element
// stack on every tag (scope checks, the adoption agency), so a fragment of
// unclosed tags costs O(n^2): 40k "<b x=1>" take seconds, a 1 MiB body
// minutes (gumbo issues #391, #393). Browsers cap the depth the same way.
constexpr int kMaxHtmlDepth = 256;

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

bool IsHtmlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f';
}

bool IsAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Elements that never stay open (void) or that close their predecessor
// instead of nesting in it; neither makes the tree deeper.
bool NeverNests(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "area",   "base", "br",   "col",      "embed",   "hr",     "img",
      "input",  "link", "meta", "param",    "source",  "track",  "wbr",
      "keygen", "p",    "li",   "dt",       "dd",      "option", "optgroup",
      "tr",     "td",   "th",   "tbody",    "thead",   "tfoot",  "rb",
      "rt",     "rp",   "rtc",  "colgroup", "caption",
  };
  for (std::string_view n : kNames) {
    if (n == name) return true;
  }
  return false;
}

// Returns `html` with the start tags that would nest deeper than
// kMaxHtmlDepth (and as many of the end tags that follow) removed, in
// `*storage`; `html` itself when it cannot be that deep. A lexical estimate,
// not a parse: it only has to bound what gumbo sees.
std::string_view LimitNesting(std::string_view html, std::string* storage) {
  size_t tags = 0;
  for (char c : html) tags += c == '<';
  if (tags <= static_cast<size_t>(kMaxHtmlDepth)) return html;
  std::string& out = *storage;
  out.clear();
  out.reserve(html.size());
  int depth = 0;
  size_t dropped = 0;  // start tags removed whose end tags are still due
  size_t copied = 0;
  size_t pos = 0;
  while ((pos = html.find('<', pos)) != std::string_view::npos) {
    if (html.substr(pos, 4) == "<!--") {
      size_t end = html.find("-->", pos + 4);
      if (end == std::string_view::npos) break;
      pos = end + 3;
      continue;
    }
    bool end_tag = pos + 1 < html.size() && html[pos + 1] == '/';
    size_t name_start = pos + (end_tag ? 2 : 1);
    if (name_start >= html.size() || !IsAsciiAlpha(html[name_start])) {
      ++pos;
      continue;
    }
    size_t name_end = name_start;
    while (name_end < html.size() && IsAsciiAlpha(html[name_end])) ++name_end;
    // The tag's '>', skipping quoted attribute values. As in the HTML5
    // tokenizer, a quote starts a value only right after '=' (and spaces):
    // elsewhere (<b a"=1>) it is part of a name, and treating it as a quote
    // would hide the tags that follow from the depth count.
    size_t gt = name_end;
    for (; gt < html.size() && html[gt] != '>'; ++gt) {
      if (html[gt] != '=') continue;
      size_t value = gt + 1;
      while (value < html.size() && IsHtmlSpace(html[value])) ++value;
      if (value < html.size() && (html[value] == '"' || html[value] == '\'')) {
        const size_t close = html.find(html[value], value + 1);
        gt = close == std::string_view::npos ? html.size() : close;
        if (gt == html.size()) break;
      } else {
        gt = value - 1;
      }
    }
    if (gt >= html.size()) break;  // unterminated: gumbo reads it as text
    std::string name;
    for (size_t i = name_start; i < name_end && name.size() < 16; ++i) {
      name.push_back(LowerAscii(html[i]));
    }
    bool nests = !NeverNests(name) && html[gt - 1] != '/';
    bool drop = false;
    if (end_tag) {
      if (nests && dropped > 0) {
        --dropped;
        drop = true;
      } else if (nests && depth > 0) {
        --depth;
      }
    } else if (nests) {
      if (depth >= kMaxHtmlDepth) {
        ++dropped;
        drop = true;
      } else {
        ++depth;
      }
    }
    if (drop) {
      out.append(html.data() + copied, pos - copied);
      copied = gt + 1;
    }
    pos = gt + 1;
  }
  if (copied == 0) return html;
  out.append(html.data() + copied, html.size() - copied);
  return out;
}

// ---- Attributes per tag ----------------------------------------------------
//
// gumbo's tokenizer compares each attribute of a tag with every one before
// it (duplicates are dropped), and its tree builder merges the attributes of
// each <html> start tag into the root element (and of <body> into the body)
// the same way: n attributes on one element cost O(n^2). 200,000 on one tag
// (1.9 MB) took 61 s. LimitAttributes bounds them before gumbo reads the
// text.
//
// Whether a '<' starts a tag depends on what came before it: none does
// inside a comment, a quoted attribute value or <script>, and whether the
// content of <style> is text or markup depends on the tree (markup inside
// <svg>, and inside <select>, which ignores the <style> tag). A lexical
// pass that guesses the context can be steered into missing a tag that
// gumbo then reads. So LimitAttributes reads a tag from every '<' that can
// start one (each a "view" of the text) by running the tokenizer's tag
// states (HTML5 13.2.5.6-8 and 13.2.5.32-40) for all of them at once. That
// is linear: views in the same state read the rest alike, so they merge,
// keeping the larger attribute count.

// The tokenizer's states from a '<' to the end of its tag.
enum class TagState : uint8_t {
  kTagOpen,  // after '<'
  kEndTagOpen,
  kTagName,
  kBeforeAttributeName,
  kAttributeName,
  kAfterAttributeName,
  kBeforeAttributeValue,
  kDoubleQuotedValue,
  kSingleQuotedValue,
  kUnquotedValue,
  kAfterQuotedValue,
  kSelfClosingStartTag,
  kDone,  // the tag ended at a '>', or the '<' started none
};
constexpr int kTagStates = static_cast<int>(TagState::kDone);

// gumbo reads CR as LF.
bool IsTagSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

bool IsQuotedValue(TagState s) {
  return s == TagState::kDoubleQuotedValue || s == TagState::kSingleQuotedValue;
}

// The state after `c`. *starts_attribute is set when `c` begins a new
// attribute.
TagState NextTagState(TagState state, char c, bool* starts_attribute) {
  *starts_attribute = false;
  const bool space = IsTagSpace(c);
  switch (state) {
    case TagState::kTagOpen:
      if (IsAsciiAlpha(c)) return TagState::kTagName;
      return c == '/' ? TagState::kEndTagOpen : TagState::kDone;
    case TagState::kEndTagOpen:
      return IsAsciiAlpha(c) ? TagState::kTagName : TagState::kDone;
    case TagState::kTagName:
      if (space) return TagState::kBeforeAttributeName;
      if (c == '/') return TagState::kSelfClosingStartTag;
      return c == '>' ? TagState::kDone : TagState::kTagName;
    case TagState::kAttributeName:
      if (space) return TagState::kAfterAttributeName;
      if (c == '/') return TagState::kSelfClosingStartTag;
      if (c == '=') return TagState::kBeforeAttributeValue;
      return c == '>' ? TagState::kDone : TagState::kAttributeName;
    case TagState::kBeforeAttributeName:
    case TagState::kAfterAttributeName:
    case TagState::kAfterQuotedValue:
    case TagState::kSelfClosingStartTag: {
      // The last two reconsume anything but '>' (and '/') in the first.
      const bool after_name = state == TagState::kAfterAttributeName;
      if (c == '>') return TagState::kDone;
      if (c == '/') return TagState::kSelfClosingStartTag;
      if (space) {
        return after_name ? TagState::kAfterAttributeName
                          : TagState::kBeforeAttributeName;
      }
      if (c == '=' && after_name) return TagState::kBeforeAttributeValue;
      *starts_attribute = true;  // even '=', '"', '\'' and '<' start one
      return TagState::kAttributeName;
    }
    case TagState::kBeforeAttributeValue:
      if (space) return TagState::kBeforeAttributeValue;
      if (c == '"') return TagState::kDoubleQuotedValue;
      if (c == '\'') return TagState::kSingleQuotedValue;
      return c == '>' ? TagState::kDone : TagState::kUnquotedValue;
    case TagState::kDoubleQuotedValue:
      return c == '"' ? TagState::kAfterQuotedValue : state;
    case TagState::kSingleQuotedValue:
      return c == '\'' ? TagState::kAfterQuotedValue : state;
    case TagState::kUnquotedValue:
      if (space) return TagState::kBeforeAttributeName;
      return c == '>' ? TagState::kDone : state;
    case TagState::kDone:
      break;
  }
  return TagState::kDone;
}

// True when the '<' at html[lt] starts an <html> or <body> start tag, whose
// attributes gumbo gathers on one element for the whole fragment.
bool StartsMergedTag(std::string_view html, size_t lt) {
  std::string_view rest = html.substr(lt + 1, 5);
  if (rest.size() < 4) return false;
  char name[4];
  for (int i = 0; i < 4; ++i) name[i] = LowerAscii(rest[i]);
  std::string_view lower(name, 4);
  if (lower != "html" && lower != "body") return false;
  return rest.size() == 4 || IsTagSpace(rest[4]) || rest[4] == '/' ||
         rest[4] == '>';
}

class AttributeLimiter {
 public:
  explicit AttributeLimiter(std::string_view html) : html_(html) {}

  AttributeLimit Run(std::string* out) {
    const size_t n = html_.size();
    Views buffers[2];
    Views* views = &buffers[0];
    Views* next = &buffers[1];
    int merged_attributes = 0;  // of <html> and <body> start tags so far
    bool removed = false;
    size_t copied = 0;
    size_t i = 0;
    while (i < n) {
      if (views->live == 0) {
        // No view is inside a tag: only a '<' can start one.
        const void* lt = std::memchr(html_.data() + i, '<', n - i);
        if (lt == nullptr) break;
        i = static_cast<size_t>(static_cast<const char*>(lt) - html_.data());
      } else if ((views->live & (views->live - 1)) == 0) {
        // One view, inside a quoted value (most of the bytes of a tag):
        // nothing changes before its quote or a '<'.
        const TagState state = StateOf(__builtin_ctz(views->live));
        if (IsQuotedValue(state)) {
          i = FindByte(html_, i,
                       state == TagState::kDoubleQuotedValue
                           ? kDoubleQuoteOrLt
                           : kSingleQuoteOrLt);
          if (i == std::string_view::npos) break;
        }
      }
      const char c = html_[i];
      next->live = 0;
      bool merged_start = false;
      int over = -1;
      for (uint32_t live = views->live; live != 0; live &= live - 1) {
        const int slot = __builtin_ctz(live);
        bool starts;
        const TagState state = NextTagState(StateOf(slot), c, &starts);
        if (starts &&
            (views->count[slot] >= kMaxHtmlAttributes ||
             (IsMerged(slot) && merged_attributes >= kMaxHtmlAttributes))) {
          over = slot;
          break;
        }
        if (state == TagState::kDone) continue;
        merged_start |= starts && IsMerged(slot);
        next->Add(Slot(IsMerged(slot), state),
                  views->count[slot] + (starts ? 1 : 0));
      }
      if (over >= 0) {
        size_t end;
        if (!CanRemoveRestOfTag(*views, over, i, &end)) {
          return AttributeLimit::kRefused;
        }
        if (!removed) {
          removed = true;
          out->clear();
          out->reserve(n);
        }
        out->append(html_.data() + copied, i - copied);
        // The views stay as they were before html_[i]: they read on at the
        // '>', which ends the tag in the view that had too many.
        copied = i = end;
        continue;
      }
      if (c == '<') {
        next->Add(Slot(StartsMergedTag(html_, i), TagState::kTagOpen), 0);
      }
      merged_attributes += merged_start ? 1 : 0;
      std::swap(views, next);
      ++i;
    }
    if (!removed) return AttributeLimit::kUnchanged;
    out->append(html_.data() + copied, n - copied);
    return AttributeLimit::kCapped;
  }

 private:
  // One slot per state, twice: the second set for the views of <html> and
  // <body> start tags.
  static constexpr int kSlots = 2 * kTagStates;
  static_assert(kSlots <= 32, "views are a 32-bit mask");

  static int Slot(bool merged, TagState state) {
    return (merged ? kTagStates : 0) + static_cast<int>(state);
  }
  static TagState StateOf(int slot) {
    return static_cast<TagState>(slot % kTagStates);
  }
  static bool IsMerged(int slot) { return slot >= kTagStates; }

  struct Views {
    uint32_t live = 0;                // a bit per slot
    std::array<int, kSlots> count{};  // attributes so far, where live
    void Add(int slot, int attributes) {
      const uint32_t bit = uint32_t{1} << slot;
      if ((live & bit) == 0 || count[slot] < attributes) {
        count[slot] = attributes;
      }
      live |= bit;
    }
  };

  // View `over` would start one attribute too many at html_[x]. True when
  // the rest of its tag, html_[x, *end) up to the '>' that ends it (or to
  // the end of the text), can be removed without changing how any view
  // reads what follows: the bytes hold no '<' (which could start a tag,
  // comment or end tag that outlasts them) and no '>' (which could end a
  // comment or doctype another view is in), do not end in "--", "--!" or
  // "]]" (a comment or CDATA section would end at the '>'), no view is
  // after "</" (it would become "</>"), and every view inside a tag at x
  // is, at the '>', either in the same quoted value (the removed bytes were
  // part of it) or outside any (the '>' ends its tag, as it will).
  bool CanRemoveRestOfTag(const Views& views, int over, size_t x,
                          size_t* end) const {
    const uint32_t end_tag_open =
        (uint32_t{1} << Slot(false, TagState::kEndTagOpen)) |
        (uint32_t{1} << Slot(true, TagState::kEndTagOpen));
    if ((views.live & end_tag_open) != 0) return false;
    std::array<TagState, kSlots> state;
    for (int slot = 0; slot < kSlots; ++slot) state[slot] = StateOf(slot);
    TagState tag = StateOf(over);
    size_t j = x;
    for (; j < html_.size(); ++j) {
      const char c = html_[j];
      bool starts;
      tag = NextTagState(tag, c, &starts);
      if (tag == TagState::kDone) break;  // c is the '>' that ends it
      if (c == '<' || c == '>') return false;
      for (uint32_t live = views.live; live != 0; live &= live - 1) {
        const int slot = __builtin_ctz(live);
        state[slot] = NextTagState(state[slot], c, &starts);
      }
    }
    *end = j;
    if (j == html_.size()) return true;  // nothing follows to read
    const std::string_view rest = html_.substr(x, j - x);
    if (rest.ends_with("--") || rest.ends_with("--!") || rest.ends_with("]]")) {
      return false;
    }
    for (uint32_t live = views.live; live != 0; live &= live - 1) {
      const int slot = __builtin_ctz(live);
      const TagState before = StateOf(slot), after = state[slot];
      if (IsQuotedValue(before) ? after != before : IsQuotedValue(after)) {
        return false;
      }
    }
    return true;
  }

  const std::string_view html_;
};

// For a body LimitAttributes refuses (built to make gumbo slow, or markup
// no real page has): its text without gumbo, tags stripped and entities
// decoded lexically, and that text escaped as the sanitized HTML. No
// markup survives, so nothing unsafe can.
void RenderAsText(std::string_view html, std::string* text,
                  std::string* sanitized) {
  std::string plain = HtmlSnippetToText(html);
  if (sanitized) AppendEscaped(plain, false, sanitized);
  if (text) *text = std::move(plain);
}

// ---- The fast path: HTML whose tree is its tag nesting --------------------
//
// Most feed bodies are a few kinds of tags, properly nested, with the
// common entities. For those the HTML5 tree builder does nothing but push
// and pop, so the events can go to the Renderer straight from a tokenizer,
// without gumbo. SimpleHtmlParser accepts only input for which that holds
// (each rule below names the tree-construction step it avoids) and gives up
// on anything else; RenderHtml then uses gumbo. html_test.cc checks the two
// agree.

// How the "in body" insertion mode treats a start tag, for the tags the
// fast path accepts.
enum class FastKind : uint8_t {
  kNone,        // anything else: give up
  kPhrasing,    // "any other start tag"
  kFormatting,  // b, i, ...: active formatting elements
  kAnchor,      // a: formatting, and closes an open a
  kVoid,        // br, img, wbr: inserted and popped at once
  kHr,          // void and closes an open p
  kBlock,       // closes an open p ("in button scope")
  kHeading,     // kBlock, and closes a heading that is the current node
  kListItem,    // kBlock, and closes an open li
  kPre,         // kBlock, and drops a newline right after the start tag
};

FastKind FastKindOf(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SPAN:
    case GUMBO_TAG_ABBR:
    case GUMBO_TAG_CITE:
    case GUMBO_TAG_Q:
    case GUMBO_TAG_TIME:
    case GUMBO_TAG_SUB:
    case GUMBO_TAG_SUP:
    case GUMBO_TAG_MARK:
    case GUMBO_TAG_KBD:
    case GUMBO_TAG_SAMP:
    case GUMBO_TAG_VAR:
    case GUMBO_TAG_DFN:
    case GUMBO_TAG_BDI:
    case GUMBO_TAG_BDO:
    case GUMBO_TAG_INS:
    case GUMBO_TAG_DEL:
      return FastKind::kPhrasing;
    case GUMBO_TAG_B:
    case GUMBO_TAG_I:
    case GUMBO_TAG_EM:
    case GUMBO_TAG_STRONG:
    case GUMBO_TAG_CODE:
    case GUMBO_TAG_SMALL:
    case GUMBO_TAG_S:
    case GUMBO_TAG_STRIKE:
    case GUMBO_TAG_U:
      return FastKind::kFormatting;
    case GUMBO_TAG_A:
      return FastKind::kAnchor;
    case GUMBO_TAG_BR:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_WBR:
      return FastKind::kVoid;
    case GUMBO_TAG_HR:
      return FastKind::kHr;
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_SUMMARY:
      return FastKind::kBlock;
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
      return FastKind::kHeading;
    case GUMBO_TAG_LI:
      return FastKind::kListItem;
    case GUMBO_TAG_PRE:
      return FastKind::kPre;
    default:
      return FastKind::kNone;
  }
}

bool IsAsciiAlnum(char c) { return IsAsciiAlpha(c) || (c >= '0' && c <= '9'); }

// Named references the HTML5 tokenizer also matches without a ';' (the
// Latin-1 ones and a few upper-case spellings).
bool IsLegacyEntity(std::string_view name) {
  static constexpr std::string_view kAscii[] = {
      "amp", "lt", "gt", "quot", "AMP", "LT", "GT", "QUOT", "COPY", "REG"};
  for (std::string_view n : kAscii) {
    if (n == name) return true;
  }
  std::optional<char32_t> c = LookupHtmlEntity(name);
  return c && *c >= 0xA0 && *c <= 0xFF;
}

bool HasLegacyPrefix(std::string_view name) {
  for (size_t k = 2; k <= name.size(); ++k) {
    if (IsLegacyEntity(name.substr(0, k))) return true;
  }
  return false;
}

// gumbo_tagn_enum for a lower-case name, answering for the tags most feed
// bodies are made of without gumbo's hash and case-insensitive compare.
GumboTag TagOf(std::string_view name) {
  switch (name.size()) {
    case 1:
      switch (name[0]) {
        case 'a':
          return GUMBO_TAG_A;
        case 'b':
          return GUMBO_TAG_B;
        case 'i':
          return GUMBO_TAG_I;
        case 'p':
          return GUMBO_TAG_P;
      }
      break;
    case 2:
      if (name == "br") return GUMBO_TAG_BR;
      if (name == "em") return GUMBO_TAG_EM;
      if (name == "li") return GUMBO_TAG_LI;
      if (name == "ul") return GUMBO_TAG_UL;
      break;
    case 3:
      if (name == "img") return GUMBO_TAG_IMG;
      if (name == "div") return GUMBO_TAG_DIV;
      break;
    case 4:
      if (name == "span") return GUMBO_TAG_SPAN;
      break;
    case 6:
      if (name == "strong") return GUMBO_TAG_STRONG;
      break;
  }
  return gumbo_tagn_enum(name.data(), static_cast<unsigned>(name.size()));
}

class SimpleHtmlParser {
 public:
  explicit SimpleHtmlParser(Renderer* renderer) : renderer_(renderer) {}

  // Renders `html` (valid UTF-8 without CR or NUL) into the renderer.
  // False when the input is outside the fast path's subset; the renderer's
  // outputs are then partial and must be discarded.
  bool Parse(std::string_view html) {
    s_ = html;
    size_t pos = 0;
    const size_t n = s_.size();
    while (pos < n) {
      size_t special = FindByte(s_, pos, kMarkupStart);
      if (special == std::string_view::npos) special = n;
      if (special > pos) {
        renderer_->MarkupFreeText(s_.substr(pos, special - pos), s_.data() + n);
      }
      pos = special;
      if (pos >= n) break;
      if (s_[pos] == '&') {
        scratch_.clear();
        pos = CharRef(pos, false, &scratch_);
        if (pos == std::string_view::npos) return false;
        renderer_->Text(scratch_);
        continue;
      }
      // '<'
      if (pos + 1 >= n) {
        renderer_->Text("<");
        ++pos;
        continue;
      }
      char next = s_[pos + 1];
      if (IsAsciiAlpha(next)) {
        pos = StartTag(pos + 1);
      } else if (next == '/') {
        pos = EndTag(pos + 2);
      } else if (next == '!') {
        pos = Comment(pos);
      } else if (next == '?') {
        return false;  // bogus comment
      } else {
        renderer_->Text("<");  // "a < b": the '<' is text
        ++pos;
        continue;
      }
      if (pos == std::string_view::npos) return false;
    }
    // A '<' in a comment or an attribute value starts no tag in this
    // markup, but LimitAttributes reads one from there too (in other
    // contexts it would start one). Should that reading have too many
    // attributes, gumbo would get other text than the fast path rendered.
    if (hidden_lt_) {
      std::string unused;
      if (LimitAttributes(s_, &unused) != AttributeLimit::kUnchanged) {
        return false;
      }
    }
    // End of input closes whatever is open.
    while (!stack_.empty()) Pop();
    return true;
  }

 private:
  struct Open {
    GumboTag tag;
    FastKind kind;
    bool keep;
  };
  // As deep as LimitNesting lets gumbo go, so that input the fast path
  // accepts is never input LimitNesting would have cut.
  static constexpr size_t kMaxStack = kMaxHtmlDepth;
  static constexpr size_t kMaxAttributes = 32;

  void Pop() {
    renderer_->CloseTag(stack_.back().tag, stack_.back().keep);
    if (stack_.back().tag == GUMBO_TAG_P) --open_p_;
    if (stack_.back().tag == GUMBO_TAG_A) --open_a_;
    stack_.pop_back();
  }

  // Tag name at s_[pos] (a letter): lower-cased into *name; returns the
  // position after it, or npos when it holds more than letters and digits.
  size_t TagName(size_t pos, std::string* name) {
    name->clear();
    size_t end = pos;
    while (end < s_.size() && IsAsciiAlnum(s_[end])) {
      name->push_back(LowerAscii(s_[end]));
      ++end;
    }
    if (end >= s_.size()) return std::string_view::npos;
    char c = s_[end];
    if (!IsHtmlSpace(c) && c != '/' && c != '>') return std::string_view::npos;
    return end;
  }

  size_t SkipSpace(size_t pos) const {
    while (pos < s_.size() && IsHtmlSpace(s_[pos])) ++pos;
    return pos;
  }

  size_t StartTag(size_t pos) {
    pos = TagName(pos, &name_);
    if (pos == std::string_view::npos) return pos;
    GumboTag tag = TagOf(name_);
    FastKind kind = FastKindOf(tag);
    if (kind == FastKind::kNone) return std::string_view::npos;
    // Attributes.
    size_t count = 0;
    bool self_closing = false;
    while (true) {
      pos = SkipSpace(pos);
      if (pos >= s_.size()) return std::string_view::npos;
      char c = s_[pos];
      if (c == '>') {
        ++pos;
        break;
      }
      if (c == '/') {
        if (pos + 1 >= s_.size() || s_[pos + 1] != '>') {
          return std::string_view::npos;
        }
        self_closing = true;
        pos += 2;
        break;
      }
      if (count == kMaxAttributes) return std::string_view::npos;
      // Names and values point into the input unless they had to be
      // lower-cased or decoded, which most are not: no copy, no malloc.
      std::string& name_storage = attr_names_[count];
      const size_t name_start = pos;
      bool lower = true;
      while (pos < s_.size() && (IsAsciiAlnum(s_[pos]) || s_[pos] == '-' ||
                                 s_[pos] == '_' || s_[pos] == ':')) {
        lower &= !(s_[pos] >= 'A' && s_[pos] <= 'Z');
        ++pos;
      }
      if (pos == name_start || pos >= s_.size()) {
        return std::string_view::npos;
      }
      std::string_view attr_name = s_.substr(name_start, pos - name_start);
      if (!lower) {
        name_storage.clear();
        for (char c : attr_name) name_storage.push_back(LowerAscii(c));
        attr_name = name_storage;
      }
      // gumbo keeps the first of duplicate attributes.
      for (size_t i = 0; i < count; ++i) {
        if (attrs_[i].name == attr_name) return std::string_view::npos;
      }
      std::string_view attr_value;
      c = s_[pos];
      if (!IsHtmlSpace(c) && c != '/' && c != '>' && c != '=') {
        return std::string_view::npos;
      }
      size_t after_name = SkipSpace(pos);
      if (after_name < s_.size() && s_[after_name] == '=') {
        pos = SkipSpace(after_name + 1);
        if (pos >= s_.size()) return std::string_view::npos;
        pos = AttributeValue(pos, &attr_values_[count], &attr_value);
        if (pos == std::string_view::npos) return pos;
      }
      attrs_[count] = {attr_name, attr_value};
      ++count;
    }
    bool is_void = kind == FastKind::kVoid || kind == FastKind::kHr;
    if (self_closing && !is_void) return std::string_view::npos;
    // The tree-construction steps this tag would take beyond an insert.
    if (kind == FastKind::kBlock || kind == FastKind::kHeading ||
        kind == FastKind::kListItem || kind == FastKind::kPre ||
        kind == FastKind::kHr) {
      // "Close a p element": when the p is the current node that is one
      // pop; below other elements it pops them too and reopens formatting.
      if (open_p_ > 0) {
        if (stack_.back().tag != GUMBO_TAG_P) return std::string_view::npos;
        Pop();
        if (open_p_ > 0) return std::string_view::npos;
      }
    }
    if (kind == FastKind::kHeading && !stack_.empty() &&
        stack_.back().kind == FastKind::kHeading) {
      return std::string_view::npos;
    }
    if (kind == FastKind::kAnchor && open_a_ > 0) return std::string_view::npos;
    if (kind == FastKind::kListItem) {
      // The tree builder closes an li it finds walking down the stack
      // before a "special" element. An li that is the current node is one
      // pop ("<li>a<li>b"). Which elements are special differs between
      // versions of the spec, but ul and ol always are: an li further down,
      // above the nearest list, is left to gumbo.
      if (!stack_.empty() && stack_.back().tag == GUMBO_TAG_LI) Pop();
      for (size_t i = stack_.size(); i-- > 0;) {
        GumboTag open = stack_[i].tag;
        if (open == GUMBO_TAG_LI) return std::string_view::npos;
        if (open == GUMBO_TAG_UL || open == GUMBO_TAG_OL) break;
      }
    }
    if (kind == FastKind::kPre && pos < s_.size() &&
        (s_[pos] == '\n' || s_[pos] == '&')) {
      return std::string_view::npos;
    }
    bool keep = Classify(tag) == TagClass::kKeep;
    renderer_->OpenTag(tag, keep, attrs_.data(), count);
    if (is_void) {
      renderer_->CloseTag(tag, false);
      return pos;
    }
    if (stack_.size() >= kMaxStack) return std::string_view::npos;
    stack_.push_back({tag, kind, keep});
    if (tag == GUMBO_TAG_P) ++open_p_;
    if (tag == GUMBO_TAG_A) ++open_a_;
    return pos;
  }

  // The comment at s_[pos] ("<!"): it renders as nothing. Returns the
  // position after its "-->"; npos for doctypes, CDATA and the comments
  // that end some other way ("<!-->", "<!--->", "--!>", end of input),
  // which are left to gumbo.
  size_t Comment(size_t pos) {
    if (s_.compare(pos, 4, "<!--") != 0) return std::string_view::npos;
    const size_t body = pos + 4;
    if (s_.compare(body, 1, ">") == 0 || s_.compare(body, 2, "->") == 0) {
      return std::string_view::npos;
    }
    const size_t end = s_.find("-->", body);
    if (end == std::string_view::npos) return std::string_view::npos;
    const std::string_view text = s_.substr(body, end - body);
    if (text.find("--!") != std::string_view::npos) {
      return std::string_view::npos;
    }
    hidden_lt_ |= text.find('<') != std::string_view::npos;
    return end + 3;
  }

  // An end tag must close the current node, once the implied closes below
  // are done: anything else makes the tree builder ignore the tag or pop
  // and reopen elements.
  size_t EndTag(size_t pos) {
    if (pos >= s_.size() || !IsAsciiAlpha(s_[pos])) {
      return std::string_view::npos;
    }
    pos = TagName(pos, &name_);
    if (pos == std::string_view::npos) return pos;
    pos = SkipSpace(pos);
    if (pos >= s_.size() || s_[pos] != '>') return std::string_view::npos;
    GumboTag tag = TagOf(name_);
    // The end tag of a block or list item first "generates implied end
    // tags": of the elements the fast path knows, an open p or li above it
    // ("<div><p>a</div>", "<ul><li>a</ul>"). Formatting and phrasing end
    // tags run other steps and must match the current node.
    const FastKind kind = FastKindOf(tag);
    if (kind == FastKind::kBlock || kind == FastKind::kHeading ||
        kind == FastKind::kListItem || kind == FastKind::kPre) {
      while (!stack_.empty() && stack_.back().tag != tag &&
             (stack_.back().tag == GUMBO_TAG_P ||
              stack_.back().tag == GUMBO_TAG_LI)) {
        Pop();
      }
    }
    if (stack_.empty() || stack_.back().tag != tag) {
      return std::string_view::npos;
    }
    Pop();
    return pos + 1;
  }

  // The attribute value at s_[pos], decoded, into *value: a view of the
  // input when it holds no character reference, else of *storage. Returns
  // the position after it, or npos for the cases left to gumbo.
  size_t AttributeValue(size_t pos, std::string* storage,
                        std::string_view* value) {
    char quote = s_[pos];
    if (quote == '"' || quote == '\'') {
      ++pos;
      const ByteSet& stops =
          quote == '"' ? kDoubleQuotedStop : kSingleQuotedStop;
      auto find_stop = [&](size_t from) {
        size_t stop = FindByte(s_, from, stops);
        while (stop != std::string_view::npos && s_[stop] == '<') {
          hidden_lt_ = true;
          stop = FindByte(s_, stop + 1, stops);
        }
        return stop;
      };
      size_t stop = find_stop(pos);
      if (stop == std::string_view::npos) return stop;
      if (s_[stop] == quote) {
        *value = s_.substr(pos, stop - pos);
        return stop + 1;
      }
      storage->clear();
      while (true) {
        storage->append(s_.data() + pos, stop - pos);
        if (s_[stop] == quote) {
          *value = *storage;
          return stop + 1;
        }
        pos = CharRef(stop, true, storage);
        if (pos == std::string_view::npos) return pos;
        stop = find_stop(pos);
        if (stop == std::string_view::npos) return stop;
      }
    }
    // Unquoted: up to a space or '>'.
    storage->clear();
    size_t start = pos;
    while (pos < s_.size() && !IsHtmlSpace(s_[pos]) && s_[pos] != '>') {
      char c = s_[pos];
      if (c == '"' || c == '\'' || c == '<' || c == '=' || c == '`') {
        return std::string_view::npos;
      }
      if (c == '&') {
        pos = CharRef(pos, true, storage);
        if (pos == std::string_view::npos) return pos;
        continue;
      }
      storage->push_back(c);
      ++pos;
    }
    if (pos == start || pos >= s_.size()) return std::string_view::npos;
    *value = *storage;
    return pos;
  }

  // The character reference at s_[pos] == '&' (or the literal '&' it is
  // not), appended to *out. Returns the position after it, or npos for the
  // cases left to gumbo.
  size_t CharRef(size_t pos, bool in_attribute, std::string* out) {
    size_t i = pos + 1;
    const size_t n = s_.size();
    if (i < n && s_[i] == '#') {
      ++i;
      bool hex = i < n && (s_[i] == 'x' || s_[i] == 'X');
      if (hex) ++i;
      uint32_t value = 0;
      size_t digits = 0;
      for (; i < n && digits <= 8; ++i, ++digits) {
        char c = s_[i];
        int d;
        if (c >= '0' && c <= '9') {
          d = c - '0';
        } else if (hex && c >= 'a' && c <= 'f') {
          d = c - 'a' + 10;
        } else if (hex && c >= 'A' && c <= 'F') {
          d = c - 'A' + 10;
        } else {
          break;
        }
        value = value * (hex ? 16 : 10) + static_cast<uint32_t>(d);
      }
      if (digits == 0 || digits > 8 || i >= n || s_[i] != ';') {
        return std::string_view::npos;
      }
      // Only code points the tokenizer passes through unchanged (no
      // replacement table, no U+FFFD, no error class that differs).
      bool plain =
          value == '\t' || value == '\n' || (value >= 0x20 && value < 0x7F) ||
          (value >= 0xA0 && value < 0xD800) ||
          (value >= 0xE000 && value < 0xFDD0) ||
          (value >= 0xFDF0 && value <= 0x10FFFF && (value & 0xFFFE) != 0xFFFE);
      if (!plain) return std::string_view::npos;
      newsfeed::text::AppendUtf8(value, out);
      return i + 1;
    }
    size_t start = i;
    while (i < n && i - start <= 32 && IsAsciiAlnum(s_[i])) ++i;
    std::string_view name = s_.substr(start, i - start);
    if (name.empty()) {
      out->push_back('&');  // "& ", "&&", "&<": not a reference
      return pos + 1;
    }
    if (i - start > 32) return std::string_view::npos;
    if (i < n && s_[i] == ';') {
      // The table has amp, lt, gt and quot; of XML's five only apos is
      // missing.
      std::optional<char32_t> c = LookupHtmlEntity(name);
      if (!c && name == "apos") c = U'\'';
      // HTML5 gives &lang; and &rang; (U+2329, U+232A in HTML 4) other code
      // points.
      if (!c || *c == 0x2329 || *c == 0x232A) return std::string_view::npos;
      newsfeed::text::AppendUtf8(*c, out);
      return i + 1;
    }
    // No ';': only the legacy names match, as a prefix of the run.
    if (HasLegacyPrefix(name)) {
      // In an attribute a legacy match followed by an alphanumeric or '='
      // stays literal ("?a=1&copy=2"); elsewhere it decodes, which is rare
      // enough to leave to gumbo.
      bool literal =
          in_attribute && (!IsLegacyEntity(name) || (i < n && s_[i] == '='));
      if (!literal) return std::string_view::npos;
    }
    out->push_back('&');
    return pos + 1;
  }

  Renderer* renderer_;
  std::string_view s_;
  std::vector<Open> stack_;
  int open_p_ = 0;
  int open_a_ = 0;
  std::string name_, scratch_;
  // Index i holds attribute i of the current tag when it had to be
  // lower-cased or decoded; attrs_ views them or the input.
  std::array<std::string, kMaxAttributes> attr_names_, attr_values_;
  std::array<AttrView, kMaxAttributes> attrs_;
  // Set when a comment or an attribute value holds a '<' (see Parse).
  bool hidden_lt_ = false;
};

}  // namespace

AttributeLimit LimitAttributes(std::string_view html, std::string* storage) {
  return AttributeLimiter(html).Run(storage);
}

bool IsPlainText(std::string_view text) {
  // Without '<' and '&' there is no tag, comment or character reference, so
  // gumbo would build a single text node. '\r' (gumbo rewrites CR LF to LF),
  // NUL (dropped), the code points gumbo replaces and invalid UTF-8 (both
  // U+FFFD) still go to gumbo.
  if (FindByte(text, 0, kMarkupStart) != std::string_view::npos) return false;
  return GumboKeepsBytes(text);
}

bool LooksLikeHtml(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '&') return true;
    if (text[i] == '<' && i + 1 < text.size()) {
      char n = text[i + 1];
      if ((n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z') || n == '/' ||
          n == '!')
        return true;
    }
  }
  return false;
}

bool RenderHtmlWith(HtmlEngine engine, std::string_view html, std::string* text,
                    std::string* sanitized, std::string_view base) {
  if (text) text->clear();
  if (sanitized) sanitized->clear();
  if (html.empty()) return true;
  if (engine != HtmlEngine::kGumboOnly && IsPlainText(html)) {
    // One text node is all gumbo would build: render it directly.
    if (text) TextSink(text).Text(html);
    if (sanitized) AppendEscaped(html, false, sanitized);
    return true;
  }
  // SimpleHtmlParser needs no LimitNesting: it refuses input nested deeper
  // than that would let through.
  if (engine != HtmlEngine::kGumboOnly && !html.starts_with("\xEF\xBB\xBF") &&
      GumboKeepsBytes(html)) {
    if (sanitized) sanitized->reserve(html.size());
    if (text) text->reserve(html.size() / 2);
    Renderer renderer(text, sanitized, base);
    if (SimpleHtmlParser(&renderer).Parse(html)) return true;
    if (text) text->clear();
    if (sanitized) sanitized->clear();
  }
  if (engine == HtmlEngine::kSimpleOnly) return false;
  std::string limited, capped;
  html = LimitNesting(html, &limited);
  // After LimitNesting, whose removals can join text into new tags: the
  // bound holds for exactly what gumbo reads.
  switch (LimitAttributes(html, &capped)) {
    case AttributeLimit::kUnchanged:
      break;
    case AttributeLimit::kCapped:
      html = capped;
      break;
    case AttributeLimit::kRefused:
      RenderAsText(html, text, sanitized);
      return true;
  }
  GumboArena arena(kGumboBytesFloor + kGumboBytesPerInputByte * html.size());
  GumboOptions options = kGumboDefaultOptions;
  options.allocator = &GumboArena::Allocate;
  options.deallocator = &GumboArena::Free;
  options.userdata = &arena;
  options.fragment_context = GUMBO_TAG_DIV;
  options.fragment_namespace = GUMBO_NAMESPACE_HTML;
  options.max_errors = 0;  // we never read parse errors; don't record them
  // The output lives in the arena: no gumbo_destroy_output.
  GumboOutput* output = arena.ParseWithinBudget(&options, html);
  if (arena.exceeded()) {
    RenderAsText(html, text, sanitized);
    return true;
  }
  if (!output || !output->root) return true;
  if (sanitized) sanitized->reserve(html.size());
  if (text) text->reserve(html.size() / 2);
  Renderer(text, sanitized, base).Render(output->root);
  return true;
}

void RenderHtml(std::string_view html, std::string* text,
                std::string* sanitized, std::string_view base) {
  RenderHtmlWith(HtmlEngine::kAuto, html, text, sanitized, base);
}

}  // namespace internal

std::string HtmlToText(std::string_view html) {
  std::string text;
  if (!internal::LooksLikeHtml(html)) {
    // Plain text: only whitespace to collapse; skip the HTML parser.
    bool space = false;
    for (char c : html) {
      if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
        space = true;
        continue;
      }
      if (space && !text.empty()) text.push_back(' ');
      space = false;
      text.push_back(c);
    }
    return text;
  }
  internal::RenderHtml(html, &text, nullptr);
  return text;
}

std::string SanitizeHtml(std::string_view html) {
  std::string out;
  internal::RenderHtml(html, nullptr, &out);
  return out;
}

}  // namespace newsfeed::ingest
