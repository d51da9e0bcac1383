#include "ingest-service/parser/xml_repair.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include "common/text/utf8.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ingest-service/parser/html_entities.h"

namespace newsfeed::ingest::internal {
namespace {

// Bytes the scanner must look at; everything else is copied as is.
constexpr std::array<bool, 256> MakeInteresting() {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) {
    table[c] = !(c == '\t' || c == '\n' || c == '\r');
  }
  table['&'] = true;
  table['<'] = true;
  return table;
}
constexpr std::array<bool, 256> kInteresting = MakeInteresting();

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

// windows-1252 0x80..0x9F; 0 where the code page leaves a hole.
constexpr char32_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

// Classifies the reference at text[pos] == '&'.
enum class Ref { kXml, kHtml, kBare };
Ref ClassifyReference(std::string_view text, size_t pos, size_t* end,
                      char32_t* code_point) {
  // Escaped markup is most of the references in real feeds.
  std::string_view head = text.substr(pos, 6);
  if (head.starts_with("&lt;") || head.starts_with("&gt;")) {
    *end = pos + 4;
    return Ref::kXml;
  }
  if (head.starts_with("&amp;")) {
    *end = pos + 5;
    return Ref::kXml;
  }
  if (head.starts_with("&quot;")) {
    *end = pos + 6;
    return Ref::kXml;
  }
  size_t i = pos + 1;
  if (i < text.size() && text[i] == '#') {
    ++i;
    bool hex = i < text.size() && (text[i] == 'x' || text[i] == 'X');
    if (hex) ++i;
    size_t digits = 0;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') ||
                               (hex && ((text[i] >= 'a' && text[i] <= 'f') ||
                                        (text[i] >= 'A' && text[i] <= 'F'))))) {
      ++i;
      ++digits;
    }
    if (digits > 0 && digits < 10 && i < text.size() && text[i] == ';') {
      *end = i + 1;
      // &#128;..&#159; name C1 controls, but publishers mean windows-1252
      // (&#146; for an apostrophe), as browsers and feedparser read them.
      if (digits <= 3) {
        uint32_t value = 0;
        for (size_t k = pos + (hex ? 3 : 2); k < i; ++k) {
          char d = text[k];
          int v = d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10;
          value = value * (hex ? 16 : 10) + v;
        }
        if (value >= 0x80 && value <= 0x9F && kCp1252High[value - 0x80] != 0) {
          *code_point = kCp1252High[value - 0x80];
          return Ref::kHtml;
        }
      }
      return Ref::kXml;
    }
    return Ref::kBare;
  }
  size_t start = i;
  while (i < text.size() && i - start < 32 && IsNameChar(text[i])) ++i;
  if (i == start || i >= text.size() || text[i] != ';') return Ref::kBare;
  std::string_view name = text.substr(start, i - start);
  *end = i + 1;
  if (name == "amp" || name == "lt" || name == "gt" || name == "quot" ||
      name == "apos") {
    return Ref::kXml;
  }
  if (std::optional<char32_t> c = LookupHtmlEntity(name)) {
    *code_point = *c;
    return Ref::kHtml;
  }
  return Ref::kBare;
}

// Counts lines lazily: warnings need the line of the first few repairs only.
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {}
  size_t LineOf(size_t offset) {
    for (; pos_ < offset && pos_ < text_.size(); ++pos_) {
      if (text_[pos_] == '\n') ++line_;
    }
    return line_;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

constexpr int kMaxWarningsPerKind = 5;

}  // namespace

// The general path, for documents with control characters: one pass over
// every byte.
std::string_view RepairXmlSlow(std::string_view text, std::string* storage,
                               std::vector<std::string>* warnings);

void LineColumn(std::string_view text, size_t offset, size_t* line,
                size_t* column) {
  *line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++*line;
      line_start = i + 1;
    }
  }
  *column = offset - line_start + 1;
}

namespace {

bool IsForbiddenControl(unsigned char c) {
  return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

// Offset of the first byte at or after `i` that is `a`, `b` or a control
// character XML 1.0 forbids; text.size() when there is none. This one scan
// replaces a control-character pre-pass plus memchr calls for '&' and '!':
// escaped HTML has an '&' every few bytes, and a libc call per '&' cost more
// than the search itself. SSE2 is part of x86-64, so no dispatch is needed.
size_t FindStop(std::string_view text, size_t i, char a, char b) {
  const char* p = text.data();
  const size_t n = text.size();
#if defined(__SSE2__)
  const __m128i va = _mm_set1_epi8(a);
  const __m128i vb = _mm_set1_epi8(b);
  const __m128i max_control = _mm_set1_epi8(0x1F);
  const __m128i tab = _mm_set1_epi8('\t');
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  for (; i + 16 <= n; i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(x, max_control), x);
    __m128i allowed = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(x, tab), _mm_cmpeq_epi8(x, lf)),
        _mm_cmpeq_epi8(x, cr));
    __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),
                     _mm_andnot_si128(allowed, control));
    if (int mask = _mm_movemask_epi8(hit); mask != 0) {
      return i + static_cast<size_t>(__builtin_ctz(mask));
    }
  }
#endif
  for (; i < n; ++i) {
    char c = p[i];
    if (c == a || c == b || IsForbiddenControl(static_cast<unsigned char>(c))) {
      return i;
    }
  }
  return n;
}

// Finds the end (one past) of the "<!" construct (CDATA, comment, DOCTYPE)
// starting at text[pos]: text.size() when it is unterminated. Returns false
// when a forbidden control character comes first, since the construct's
// content must be checked for those too.
bool SkipSection(std::string_view text, size_t pos, size_t* end) {
  std::string_view rest = text.substr(pos);
  std::string_view terminator = rest.starts_with("<![CDATA[") ? "]]>"
                                : rest.starts_with("<!--")    ? "-->"
                                                              : ">";
  size_t i = pos + 2;
  while (true) {
    i = FindStop(text, i, terminator[0], terminator[0]);
    if (i == text.size()) break;
    if (text[i] != terminator[0]) return false;
    if (text.substr(i).starts_with(terminator)) {
      *end = i + terminator.size();
      return true;
    }
    ++i;
  }
  *end = text.size();
  return true;
}

// The first four bytes of "&lt;", "&gt;" and "&amp;" as RepairXml loads them
// (memcpy into a uint32_t, so in the machine's byte order).
constexpr uint32_t FourBytes(const char (&s)[5]) {
  if constexpr (std::endian::native == std::endian::little) {
    return static_cast<uint32_t>(static_cast<unsigned char>(s[0])) |
           static_cast<uint32_t>(static_cast<unsigned char>(s[1])) << 8 |
           static_cast<uint32_t>(static_cast<unsigned char>(s[2])) << 16 |
           static_cast<uint32_t>(static_cast<unsigned char>(s[3])) << 24;
  } else {
    return static_cast<uint32_t>(static_cast<unsigned char>(s[3])) |
           static_cast<uint32_t>(static_cast<unsigned char>(s[2])) << 8 |
           static_cast<uint32_t>(static_cast<unsigned char>(s[1])) << 16 |
           static_cast<uint32_t>(static_cast<unsigned char>(s[0])) << 24;
  }
}
constexpr uint32_t kLtRef = FourBytes("&lt;");
constexpr uint32_t kGtRef = FourBytes("&gt;");
constexpr uint32_t kAmpRef = FourBytes("&amp");

}  // namespace

std::string_view RepairXml(std::string_view text, std::string* storage,
                           std::vector<std::string>* warnings) {
  size_t begin = 0;
  while (begin < text.size() && text[begin] != '<' &&
         (text[begin] == ' ' || text[begin] == '\t' || text[begin] == '\n' ||
          text[begin] == '\r')) {
    ++begin;
  }
  // Fast path: stop only at '&', at "<!" sections (found through the rare
  // '!') and at control characters; most feeds need nothing, and then no
  // byte is copied. A control character anywhere sends the whole document
  // to the general path, which also skips processing instructions.
  const size_t warnings_before = warnings->size();
  auto slow = [&] {
    warnings->resize(warnings_before);
    return RepairXmlSlow(text, storage, warnings);
  };
  std::string* out = nullptr;
  size_t copied = begin;
  LineCounter lines(text);
  int entity_warnings = 0, amp_warnings = 0;
  size_t entity_count = 0, amp_count = 0;
  const size_t n = text.size();
  size_t pos = begin;
  while ((pos = FindStop(text, pos, '&', '!')) < n) {
    const size_t at = pos;
    if (text[at] == '!') {
      if (at > 0 && text[at - 1] == '<') {
        if (!SkipSection(text, at - 1, &pos)) return slow();
      } else {
        pos = at + 1;
      }
      continue;
    }
    if (text[at] != '&') return slow();
    // Escaped markup ("&lt;p&gt;") is most of the references in an Atom
    // body: settle those with one load before the general classifier.
    if (at + 4 <= n) {
      uint32_t head;
      std::memcpy(&head, text.data() + at, 4);
      if (head == kLtRef || head == kGtRef) {
        pos = at + 4;
        continue;
      }
      if (head == kAmpRef && at + 4 < n && text[at + 4] == ';') {
        pos = at + 5;
        continue;
      }
    }
    size_t ref_end = 0;
    char32_t code_point = 0;
    Ref ref = ClassifyReference(text, at, &ref_end, &code_point);
    if (ref == Ref::kXml) {
      pos = ref_end;
      continue;
    }
    if (out == nullptr) {
      out = storage;
      out->clear();
      out->reserve(text.size() + 64);
    }
    out->append(text.data() + copied, at - copied);
    if (ref == Ref::kHtml) {
      newsfeed::text::AppendUtf8(code_point, out);
      if (entity_warnings++ < kMaxWarningsPerKind) {
        warnings->push_back(
            absl::StrCat("line ", lines.LineOf(at), ": undeclared entity ",
                         Av(text.substr(at, ref_end - at)), " decoded"));
      }
      ++entity_count;
      copied = pos = ref_end;
    } else {
      out->append("&amp;");
      if (amp_warnings++ < kMaxWarningsPerKind) {
        warnings->push_back(
            absl::StrCat("line ", lines.LineOf(at), ": unescaped '&' escaped"));
      }
      ++amp_count;
      copied = pos = at + 1;
    }
  }
  if (entity_count > kMaxWarningsPerKind) {
    warnings->push_back(
        absl::StrCat(entity_count, " undeclared entities decoded in all"));
  }
  if (amp_count > kMaxWarningsPerKind) {
    warnings->push_back(
        absl::StrCat(amp_count, " unescaped '&' escaped in all"));
  }
  if (out == nullptr) return text.substr(begin);
  out->append(text.data() + copied, text.size() - copied);
  return *out;
}

namespace {

struct DeclaredEntity {
  std::string_view name;
  std::string_view value;
};

// The internal subset of a DOCTYPE in the prolog ("<!DOCTYPE x [ ... ]>"),
// or empty. Looks only at the prolog: comments, processing instructions
// and the DOCTYPE before the root element.
std::string_view InternalSubset(std::string_view text, size_t* subset_end) {
  size_t pos = 0;
  while ((pos = text.find('<', pos)) != std::string_view::npos) {
    std::string_view rest = text.substr(pos);
    if (rest.starts_with("<!--")) {
      size_t end = text.find("-->", pos + 4);
      if (end == std::string_view::npos) return {};
      pos = end + 3;
    } else if (rest.starts_with("<?")) {
      size_t end = text.find("?>", pos + 2);
      if (end == std::string_view::npos) return {};
      pos = end + 2;
    } else if (rest.starts_with("<!DOCTYPE")) {
      size_t open = text.find_first_of("[>", pos);
      if (open == std::string_view::npos || text[open] == '>') return {};
      size_t close = text.find("]", open);
      if (close == std::string_view::npos) return {};
      *subset_end = close;
      return text.substr(open + 1, close - open - 1);
    } else {
      return {};  // the root element: no DOCTYPE
    }
  }
  return {};
}

// A value that expands to itself: no markup, no parameter reference, and
// only built-in or character references.
bool IsLiteralEntityValue(std::string_view value) {
  if (value.find_first_of("<%") != std::string_view::npos) return false;
  size_t amp = 0;
  while ((amp = value.find('&', amp)) != std::string_view::npos) {
    std::string_view rest = value.substr(amp);
    if (!rest.starts_with("&amp;") && !rest.starts_with("&lt;") &&
        !rest.starts_with("&gt;") && !rest.starts_with("&quot;") &&
        !rest.starts_with("&apos;") && !rest.starts_with("&#")) {
      return false;
    }
    ++amp;
  }
  return true;
}

// References to declared entities with longer names are left as they are.
constexpr size_t kMaxEntityNameLength = 64;

std::vector<DeclaredEntity> LiteralEntities(std::string_view subset) {
  constexpr size_t kMaxEntities = 64;
  constexpr size_t kMaxValueBytes = 4096;
  std::vector<DeclaredEntity> entities;
  size_t pos = 0;
  while ((pos = subset.find("<!ENTITY", pos)) != std::string_view::npos &&
         entities.size() < kMaxEntities) {
    pos += 8;
    auto skip_space = [&] {
      while (pos < subset.size() &&
             (subset[pos] == ' ' || subset[pos] == '\t' ||
              subset[pos] == '\n' || subset[pos] == '\r')) {
        ++pos;
      }
    };
    skip_space();
    if (pos >= subset.size() || subset[pos] == '%') continue;
    size_t name_start = pos;
    while (pos < subset.size() && subset[pos] != ' ' && subset[pos] != '\t' &&
           subset[pos] != '\n' && subset[pos] != '\r' && subset[pos] != '>') {
      ++pos;
    }
    std::string_view name = subset.substr(name_start, pos - name_start);
    skip_space();
    if (pos >= subset.size() || (subset[pos] != '"' && subset[pos] != '\'')) {
      continue;  // SYSTEM or PUBLIC: external, never read
    }
    char quote = subset[pos];
    size_t close = subset.find(quote, pos + 1);
    if (close == std::string_view::npos) break;
    std::string_view value = subset.substr(pos + 1, close - pos - 1);
    pos = close + 1;
    if (name.empty() || value.size() > kMaxValueBytes ||
        !IsLiteralEntityValue(value)) {
      continue;
    }
    entities.push_back({name, value});
  }
  return entities;
}

// Start of the next "<!" (CDATA, comment, DOCTYPE) at or after `pos`.
// Searching for the rare '!' is much cheaper than stopping at every '<'.
size_t FindBang(std::string_view text, size_t pos) {
  while (true) {
    size_t bang = text.find('!', pos);
    if (bang == std::string_view::npos) return bang;
    if (bang > 0 && text[bang - 1] == '<') return bang - 1;
    pos = bang + 1;
  }
}

// End (one past) of the "<!" construct starting at `pos`.
size_t SectionEnd(std::string_view text, size_t pos) {
  std::string_view rest = text.substr(pos);
  std::string_view terminator = rest.starts_with("<![CDATA[") ? "]]>"
                                : rest.starts_with("<!--")    ? "-->"
                                                              : ">";
  size_t end = text.find(terminator, pos + 2);
  return end == std::string_view::npos ? text.size() : end + terminator.size();
}

}  // namespace

std::string_view ExpandInternalEntities(std::string_view text,
                                        std::string* storage,
                                        std::vector<std::string>* warnings) {
  size_t subset_end = 0;
  std::string_view subset = InternalSubset(text, &subset_end);
  if (subset.find("<!ENTITY") == std::string_view::npos) return text;
  std::vector<DeclaredEntity> entities = LiteralEntities(subset);
  if (entities.empty()) return text;
  const size_t budget = text.size() + (size_t{1} << 20);
  std::string out;
  size_t copied = 0, expanded = 0;
  bool over_budget = false;
  size_t pos = text.find('>', subset_end);
  if (pos == std::string_view::npos) return text;
  size_t bang = FindBang(text, pos);
  while (!over_budget &&
         (pos = text.find('&', pos)) != std::string_view::npos) {
    while (bang < pos) {  // skip CDATA sections and comments
      size_t end = SectionEnd(text, bang);
      bang = FindBang(text, end);
      if (end > pos) {
        pos = end;
        break;
      }
    }
    if (pos >= text.size() || text[pos] != '&') continue;
    // The ';' is looked for only as far as the longest name we match could
    // reach: searching the rest of the document for each '&' made
    // "&&&&...;" quadratic.
    size_t semi = text.substr(0, pos + kMaxEntityNameLength + 2).find(';', pos);
    const DeclaredEntity* match = nullptr;
    if (semi != std::string_view::npos) {
      std::string_view name = text.substr(pos + 1, semi - pos - 1);
      for (const DeclaredEntity& e : entities) {
        if (e.name == name) match = &e;
      }
    }
    if (match == nullptr) {
      ++pos;
      continue;
    }
    if (out.size() + match->value.size() > budget) {
      over_budget = true;
      break;
    }
    out.append(text.data() + copied, pos - copied);
    out.append(match->value);
    ++expanded;
    copied = pos = semi + 1;
  }
  if (expanded == 0) return text;
  out.append(text.data() + copied, text.size() - copied);
  *storage = std::move(out);
  warnings->push_back(absl::StrCat(expanded,
                                   " reference(s) to entities declared in the "
                                   "DOCTYPE expanded"));
  if (over_budget) {
    warnings->push_back("entity expansion stopped at the size limit");
  }
  return *storage;
}

std::string_view RepairXmlSlow(std::string_view text, std::string* storage,
                               std::vector<std::string>* warnings) {
  size_t begin = 0;
  while (begin < text.size() && text[begin] != '<' &&
         (text[begin] == ' ' || text[begin] == '\t' || text[begin] == '\n' ||
          text[begin] == '\r')) {
    ++begin;
  }
  std::string* out = nullptr;  // set on the first repair
  size_t copied = begin;       // text[copied, i) is still to be copied to out
  LineCounter lines(text);
  int entity_warnings = 0, amp_warnings = 0, control_warnings = 0;
  size_t entity_count = 0, amp_count = 0, control_count = 0;
  auto start_output = [&](size_t i) {
    if (out == nullptr) {
      out = storage;
      out->clear();
      out->reserve(text.size() + 64);
    }
    out->append(text.data() + copied, i - copied);
  };

  const size_t n = text.size();
  size_t i = begin;
  while (i < n) {
    if (!kInteresting[static_cast<unsigned char>(text[i])]) {
      ++i;
      continue;
    }
    char c = text[i];
    if (c == '<') {
      // Skip constructs whose content is not parsed for references.
      std::string_view rest = text.substr(i);
      std::string_view terminator;
      if (rest.starts_with("<![CDATA[")) {
        terminator = "]]>";
      } else if (rest.starts_with("<!--")) {
        terminator = "-->";
      } else if (rest.starts_with("<?")) {
        terminator = "?>";
      } else {
        ++i;
        continue;
      }
      size_t end = text.find(terminator, i + 2);
      // Unterminated: leave it for the XML parser to report.
      i = end == std::string_view::npos ? n : end + terminator.size();
      continue;
    }
    if (c == '&') {
      size_t end = 0;
      char32_t code_point = 0;
      Ref ref = ClassifyReference(text, i, &end, &code_point);
      if (ref == Ref::kXml) {
        i = end;
        continue;
      }
      start_output(i);
      if (ref == Ref::kHtml) {
        newsfeed::text::AppendUtf8(code_point, out);
        if (entity_warnings++ < kMaxWarningsPerKind) {
          warnings->push_back(
              absl::StrCat("line ", lines.LineOf(i), ": undeclared entity ",
                           Av(text.substr(i, end - i)), " decoded"));
        }
        ++entity_count;
        copied = i = end;
      } else {
        out->append("&amp;");
        if (amp_warnings++ < kMaxWarningsPerKind) {
          warnings->push_back(absl::StrCat("line ", lines.LineOf(i),
                                           ": unescaped '&' escaped"));
        }
        ++amp_count;
        copied = i = i + 1;
      }
      continue;
    }
    // A control character XML 1.0 forbids.
    start_output(i);
    if (control_warnings++ < kMaxWarningsPerKind) {
      warnings->push_back(absl::StrCat(
          "line ", lines.LineOf(i), ": control character 0x",
          absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2),
          " dropped"));
    }
    ++control_count;
    copied = i = i + 1;
  }
  auto summarize = [&](size_t count, std::string_view what) {
    if (count > kMaxWarningsPerKind) {
      warnings->push_back(absl::StrCat(count, " ", Av(what), " in all"));
    }
  };
  summarize(entity_count, "undeclared entities decoded");
  summarize(amp_count, "unescaped '&' escaped");
  summarize(control_count, "control characters dropped");
  if (out == nullptr) return text.substr(begin);
  out->append(text.data() + copied, n - copied);
  return *out;
}

namespace {

bool IsTagNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == ':' || static_cast<unsigned char>(c) >= 0x80;
}

bool IsTagNameChar(char c) {
  return IsTagNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// HTML elements that never have content. "link" and "source" are left out:
// they are RSS elements with content.
bool IsHtmlVoid(std::string_view name) {
  static constexpr std::string_view kVoid[] = {
      "br",  "hr",    "img",   "input", "wbr",  "area",
      "col", "embed", "param", "track", "meta", "basefont"};
  for (std::string_view v : kVoid) {
    if (absl::EqualsIgnoreCase(internal::Av(v), internal::Av(name))) {
      return true;
    }
  }
  return false;
}

bool IsTagSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Writes the start tag `tag` ("<name ...>" or "<name .../>") with its
// attributes in XML form: unquoted values quoted, a value-less attribute
// given its own name as value (HTML's boolean attributes), malformed names
// dropped. Returns true when it changed anything.
bool WriteStartTag(std::string_view tag, size_t name_len, std::string* out) {
  bool self_closed = tag.size() >= 3 + name_len && tag[tag.size() - 2] == '/';
  std::string_view body = tag.substr(
      1 + name_len, tag.size() - 1 - name_len - (self_closed ? 2 : 1));
  size_t mark = out->size();
  out->append(tag.substr(0, 1 + name_len));
  bool changed = false;
  size_t i = 0;
  while (i < body.size()) {
    if (IsTagSpace(body[i])) {
      ++i;
      continue;
    }
    size_t name_start = i;
    while (i < body.size() && !IsTagSpace(body[i]) && body[i] != '=' &&
           body[i] != '/') {
      ++i;
    }
    std::string_view name = body.substr(name_start, i - name_start);
    if (name.empty()) {  // a stray '/' or '='
      ++i;
      changed = true;
      continue;
    }
    bool valid = IsTagNameStart(name[0]);
    for (char c : name) valid = valid && IsTagNameChar(c);
    size_t j = i;
    while (j < body.size() && IsTagSpace(body[j])) ++j;
    std::string_view value;
    if (j < body.size() && body[j] == '=') {
      ++j;
      while (j < body.size() && IsTagSpace(body[j])) ++j;
      if (j < body.size() && (body[j] == '"' || body[j] == '\'')) {
        char q = body[j];
        size_t close = body.find(q, j + 1);
        if (close == std::string_view::npos) close = body.size();
        value = body.substr(j + 1, close - j - 1);
        j = std::min(close + 1, body.size());
      } else {
        size_t v = j;
        while (j < body.size() && !IsTagSpace(body[j])) ++j;
        value = body.substr(v, j - v);
        changed = true;
      }
      i = j;
    } else {
      value = name;
      changed = true;
    }
    if (!valid) {
      changed = true;
      continue;
    }
    absl::StrAppend(out, " ", Av(name), "=\"");
    for (char c : value) {
      if (c == '"') {
        out->append("&quot;");
      } else if (c == '<') {
        out->append("&lt;");
      } else {
        out->push_back(c);
      }
    }
    out->push_back('"');
  }
  out->append(self_closed ? "/>" : ">");
  if (!changed) {  // keep the bytes as written
    out->resize(mark);
    out->append(tag);
  }
  return changed;
}

// An end tag that closes nothing reads as a typo for the innermost open
// element when the two names are close: "</titel>" for "<title>".
bool LooksLikeMisspelling(std::string_view open, std::string_view close) {
  if (open.size() < 3 || close.size() < 3) return false;
  size_t longer = std::max(open.size(), close.size());
  size_t shorter = std::min(open.size(), close.size());
  if (longer - shorter > 2) return false;
  size_t same = 0;
  for (char c : close) same += open.find(c) != std::string_view::npos;
  return absl::EqualsIgnoreCase(internal::Av(open.substr(0, 2)),
                                internal::Av(close.substr(0, 2))) &&
         same + 1 >= close.size();
}

// End of the markup that starts at text[pos] ('<'), one past its last byte,
// or npos when it never ends. Quotes are honoured inside tags.
size_t TagEnd(std::string_view text, size_t pos) {
  char quote = 0;
  for (size_t i = pos + 1; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

}  // namespace

bool BalanceTags(std::string_view text, int max_depth, std::string* out,
                 std::vector<std::string>* warnings) {
  out->clear();
  out->reserve(text.size() + text.size() / 16);
  std::vector<std::string_view> open;
  // Whether the innermost open element has an element child yet.
  bool top_has_child = true;
  bool changed = false;
  size_t first_change = 0;
  auto note = [&](size_t at) {
    if (!changed) first_change = at;
    changed = true;
  };
  size_t pos = 0;
  while (pos < text.size()) {
    size_t lt = text.find('<', pos);
    if (lt == std::string_view::npos) {
      out->append(text.substr(pos));
      break;
    }
    out->append(text.substr(pos, lt - pos));
    std::string_view rest = text.substr(lt);
    size_t end;
    if (rest.starts_with("<!--")) {
      size_t close = text.find("-->", lt + 4);
      end = close == std::string_view::npos ? text.size() : close + 3;
    } else if (rest.starts_with("<![CDATA[")) {
      size_t close = text.find("]]>", lt + 9);
      end = close == std::string_view::npos ? text.size() : close + 3;
    } else if (rest.starts_with("<?")) {
      size_t close = text.find("?>", lt + 2);
      end = close == std::string_view::npos ? text.size() : close + 2;
    } else if (rest.starts_with("<!")) {
      size_t gt = text.find('>', lt);
      // Only up to the '>', so that many "<!x>" stay linear.
      size_t bracket = text.substr(0, gt).find('[', lt);
      if (bracket != std::string_view::npos) {
        size_t close = text.find("]>", bracket);
        end = close == std::string_view::npos ? text.size() : close + 2;
      } else {
        end = gt == std::string_view::npos ? text.size() : gt + 1;
      }
    } else if (rest.size() > 2 && rest[1] == '/' && IsTagNameStart(rest[2])) {
      end = TagEnd(text, lt);
      if (end == std::string_view::npos) return false;
      size_t name_end = lt + 2;
      while (name_end < end - 1 && IsTagNameChar(text[name_end])) ++name_end;
      std::string_view name = text.substr(lt + 2, name_end - lt - 2);
      size_t match = open.size();
      for (size_t i = open.size(); i-- > 0;) {
        if (open[i] == name) {
          match = i;
          break;
        }
      }
      if (match == open.size()) {
        for (size_t i = open.size(); i-- > 0;) {
          if (absl::EqualsIgnoreCase(internal::Av(open[i]),
                                     internal::Av(name))) {
            match = i;
            break;
          }
        }
      }
      if (match == open.size() && !open.empty() && !top_has_child &&
          LooksLikeMisspelling(open.back(), name)) {
        match = open.size() - 1;  // <title>x</titel>
      }
      if (match == open.size()) {
        note(lt);  // closes nothing: dropped
      } else {
        if (match + 1 != open.size() || open[match] != name) note(lt);
        while (open.size() > match) {
          absl::StrAppend(out, "</", internal::Av(open.back()), ">");
          open.pop_back();
        }
        top_has_child = true;
      }
      pos = end;
      continue;
    } else if (rest.size() > 1 && IsTagNameStart(rest[1])) {
      end = TagEnd(text, lt);
      if (end == std::string_view::npos) return false;
      size_t name_end = lt + 1;
      while (name_end < end - 1 && IsTagNameChar(text[name_end])) ++name_end;
      std::string_view name = text.substr(lt + 1, name_end - lt - 1);
      bool self_closed = text[end - 2] == '/';
      top_has_child = true;
      bool is_void = !self_closed && IsHtmlVoid(name);
      if (!self_closed && !is_void) {
        if (open.size() >= static_cast<size_t>(max_depth)) return false;
        open.push_back(name);
        top_has_child = false;
      }
      if (WriteStartTag(text.substr(lt, end - lt), name.size(), out)) {
        note(lt);
      }
      if (is_void) {  // "<br>" -> "<br/>"
        note(lt);
        out->back() = '/';
        out->push_back('>');
      }
      pos = end;
      continue;
    } else {
      note(lt);
      out->append("&lt;");
      pos = lt + 1;
      continue;
    }
    out->append(text.substr(lt, end - lt));
    pos = end;
  }
  if (!open.empty()) note(text.size());
  while (!open.empty()) {
    absl::StrAppend(out, "</", internal::Av(open.back()), ">");
    open.pop_back();
  }
  if (changed) {
    size_t line, column;
    LineColumn(text, first_change, &line, &column);
    warnings->push_back(absl::StrCat(
        "line ", line, ": tags do not nest; unclosed or stray tags repaired"));
  }
  return true;
}

}  // namespace newsfeed::ingest::internal
