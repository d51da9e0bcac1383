#include "ingest-service/parser/encoding.h"

#include <errno.h>
#include <iconv.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "ingest-service/parser/html_entities.h"

namespace newsfeed::ingest::internal {
namespace {

// 1-based line of byte `offset`, for warnings.
size_t LineOf(std::string_view text, size_t offset) {
  size_t line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++line;
  }
  return line;
}

// Length of the valid UTF-8 sequence at text[i], or 0 when invalid.
// Rejects overlongs, surrogates and code points above U+10FFFF.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  unsigned char c = s[i];
  if (c < 0x80) return 1;
  auto cont = [&](size_t k) { return i + k < n && (s[i + k] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && s[i + 1] < 0xA0) return 0;
    if (c == 0xED && s[i + 1] >= 0xA0) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && s[i + 1] < 0x90) return 0;
    if (c == 0xF4 && s[i + 1] >= 0x90) return 0;
    return 4;
  }
  return 0;
}

struct Utf8Scan {
  bool valid = true;
  bool ascii = true;
  size_t first_invalid = 0;
};

Utf8Scan ScanUtf8(std::string_view text) {
  Utf8Scan scan;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    // 32 then 8 ASCII bytes at a time: feeds are mostly ASCII markup.
    if (i + 32 <= n) {
      uint64_t w[4];
      std::memcpy(w, text.data() + i, 32);
      if (((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ULL) == 0) {
        i += 32;
        continue;
      }
    }
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    size_t len = Utf8SequenceLength(text, i);
    if (len == 0) {
      scan.valid = false;
      scan.ascii = false;
      scan.first_invalid = i;
      return scan;
    }
    if (len > 1) scan.ascii = false;
    i += len;
  }
  return scan;
}

// True when `text` holds at least one valid multi-byte UTF-8 sequence.
bool HasMultiByteUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) < 0x80) continue;
    if (Utf8SequenceLength(text, i) > 1) return true;
  }
  return false;
}

// Copies `text` replacing each invalid byte with U+FFFD.
std::string RepairUtf8(std::string_view text, size_t* replaced) {
  std::string out;
  out.reserve(text.size() + 16);
  *replaced = 0;
  for (size_t i = 0; i < text.size();) {
    size_t len = Utf8SequenceLength(text, i);
    if (len == 0) {
      out.append("\xEF\xBF\xBD");
      ++*replaced;
      ++i;
    } else {
      out.append(text.data() + i, len);
      i += len;
    }
  }
  return out;
}

// Maps a charset label to the iconv name, following the WHATWG Encoding
// Standard where labels are lies in practice (ISO-8859-1 means windows-1252,
// GB2312 means GBK). Returns "utf-8" for UTF-8 and its aliases.
std::string CanonicalCharset(std::string_view label) {
  std::string name =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(Av(label)));
  if (name.size() >= 2 && (name.front() == '"' || name.front() == '\'')) {
    name = name.substr(1, name.size() - 2);
  }
  if (name.empty() || name == "utf-8" || name == "utf8" || name == "utf_8" ||
      name == "unicode-1-1-utf-8" || name == "x-unicode20utf8") {
    return "utf-8";
  }
  if (name == "iso-8859-1" || name == "iso8859-1" || name == "latin1" ||
      name == "l1" || name == "us-ascii" || name == "ascii" ||
      name == "iso_8859-1" || name == "cp1252" || name == "windows-1252" ||
      name == "x-cp1252" || name == "win-1252" || name == "windows1252" ||
      name == "cp-1252" || name == "latin-1" || name == "iso_8859_1" ||
      name == "iso8859_1" || name == "iso-latin-1" || name == "cp819" ||
      name == "ibm819" || name == "iso-ir-100" || name == "us_ascii") {
    return "WINDOWS-1252";
  }
  if (name == "gb2312" || name == "gbk" || name == "x-gbk" ||
      name == "gb18030" || name == "cp936" || name == "euc-cn") {
    return "GB18030";
  }
  if (name == "shift_jis" || name == "shift-jis" || name == "sjis" ||
      name == "x-sjis" || name == "ms_kanji" || name == "windows-31j" ||
      name == "cp932") {
    return "CP932";
  }
  if (name == "big5" || name == "big5-hkscs" || name == "x-x-big5" ||
      name == "cn-big5") {
    return "BIG5-HKSCS";
  }
  if (name == "euc-kr" || name == "ks_c_5601-1987" || name == "cp949") {
    return "CP949";
  }
  if (name == "utf-16" || name == "utf-16le" || name == "unicode") {
    return "UTF-16LE";
  }
  if (name == "utf-16be") return "UTF-16BE";
  // Labels Python knows and iconv spells differently (feedparser's
  // encoding tests use them all).
  if (name == "mac-roman" || name == "macroman" || name == "x-mac-roman" ||
      name == "csmacintosh" || name == "macintosh" || name == "mac") {
    return "MACINTOSH";
  }
  if (name == "maccentraleurope" || name == "mac-latin2" ||
      name == "maclatin2" || name == "x-mac-ce" ||
      name == "mac-centraleurope") {
    return "MAC-CENTRALEUROPE";
  }
  if (name == "mac-cyrillic" || name == "maccyrillic" ||
      name == "x-mac-cyrillic") {
    return "MAC-CYRILLIC";
  }
  if (name == "mac-iceland" || name == "maciceland") return "MAC-IS";
  if (name == "cp_is" || name == "csibm861") return "CP861";
  // Python's "dbcs" is the Windows ANSI code page.
  if (name == "dbcs") return "WINDOWS-1252";
  if (name.starts_with("ebcdic_")) {
    for (char& c : name) {
      if (c == '_') c = '-';
    }
  }
  return absl::AsciiStrToUpper(name);
}

bool IsSingleByte(std::string_view iconv_name) {
  return iconv_name.starts_with("WINDOWS-125") ||
         iconv_name.starts_with("ISO-8859-") ||
         iconv_name.starts_with("ISO8859-") ||
         iconv_name.starts_with("KOI8-") || iconv_name.starts_with("CP125") ||
         iconv_name == "MACINTOSH";
}

// The encoding named in an XML declaration at the start of an ASCII-
// compatible document, or empty.
std::string_view DeclaredEncoding(std::string_view text) {
  if (!text.starts_with("<?xml")) return {};
  size_t end = text.find("?>");
  if (end == std::string_view::npos || end > 512) return {};
  std::string_view decl = text.substr(0, end);
  size_t pos = decl.find("encoding");
  if (pos == std::string_view::npos) return {};
  pos = decl.find_first_of("\"'", pos);
  if (pos == std::string_view::npos) return {};
  size_t close = decl.find(decl[pos], pos + 1);
  if (close == std::string_view::npos) return {};
  return decl.substr(pos + 1, close - pos - 1);
}

struct IconvCloser {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};

// Converts with iconv; bytes the source charset rejects become U+FFFD.
// Returns false when iconv does not know `from`.
bool Transcode(std::string_view in, const std::string& from, std::string* out,
               size_t* replaced) {
  iconv_t raw = iconv_open("UTF-8", from.c_str());
  if (raw == reinterpret_cast<iconv_t>(-1)) return false;
  std::unique_ptr<void, IconvCloser> cd(raw);
  *replaced = 0;
  out->clear();
  out->resize(in.size() * 2 + 64);
  char* src = const_cast<char*>(in.data());
  size_t src_left = in.size();
  size_t used = 0;
  const size_t unit = from.starts_with("UTF-16") ? 2 : 1;
  while (src_left > 0) {
    char* dst = out->data() + used;
    size_t dst_left = out->size() - used;
    size_t rc = iconv(raw, &src, &src_left, &dst, &dst_left);
    used = out->size() - dst_left;
    if (rc != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      out->resize(out->size() * 2);
      continue;
    }
    // EILSEQ or EINVAL (truncated sequence at the end): replace and go on.
    if (out->size() - used < 3) out->resize(out->size() * 2);
    std::memcpy(out->data() + used, "\xEF\xBF\xBD", 3);
    used += 3;
    ++*replaced;
    size_t skip = src_left < unit ? src_left : unit;
    src += skip;
    src_left -= skip;
    iconv(raw, nullptr, nullptr, nullptr, nullptr);  // reset shift state
  }
  out->resize(used);
  return true;
}

}  // namespace

size_t ValidUtf8Prefix(std::string_view text) {
  Utf8Scan scan = ScanUtf8(text);
  return scan.valid ? text.size() : scan.first_invalid;
}

void TruncateUtf8(std::string* text, size_t max_bytes) {
  if (text->size() <= max_bytes) return;
  size_t cut = max_bytes;
  while (cut > 0 && ((*text)[cut] & 0xC0) == 0x80) --cut;
  text->resize(cut);
}

std::string_view ToUtf8(std::string_view body, std::string_view charset_hint,
                        std::string* storage,
                        std::vector<std::string>* warnings) {
  std::string charset;
  bool from_bom = false;
  if (body.starts_with("\xEF\xBB\xBF")) {
    body.remove_prefix(3);
    charset = "utf-8";
    from_bom = true;
  } else if (body.starts_with("\xFF\xFE")) {
    body.remove_prefix(2);
    charset = "UTF-16LE";
    from_bom = true;
  } else if (body.starts_with("\xFE\xFF")) {
    body.remove_prefix(2);
    charset = "UTF-16BE";
    from_bom = true;
  } else if (body.size() >= 2 && body[0] == '<' && body[1] == '\0') {
    charset = "UTF-16LE";
    from_bom = true;
  } else if (body.size() >= 2 && body[0] == '\0' && body[1] == '<') {
    charset = "UTF-16BE";
    from_bom = true;
  } else if (body.starts_with("\x4C\x6F\xA7\x94")) {
    // "<?xm" in EBCDIC: every EBCDIC code page agrees on the declaration's
    // characters, so read it as CP037 to learn which page the rest is in.
    std::string head;
    size_t replaced = 0;
    charset = "CP037";
    if (Transcode(body.substr(0, std::min<size_t>(body.size(), 512)), charset,
                  &head, &replaced)) {
      std::string_view declared = DeclaredEncoding(head);
      if (!declared.empty()) charset = CanonicalCharset(declared);
    }
    from_bom = true;
  }
  const std::string hint =
      charset_hint.empty() ? std::string() : CanonicalCharset(charset_hint);
  if (charset.empty()) {
    // Skip leading whitespace some servers emit before the declaration.
    size_t start = 0;
    while (start < body.size() && start < 64 &&
           (body[start] == ' ' || body[start] == '\n' || body[start] == '\r' ||
            body[start] == '\t'))
      ++start;
    std::string_view declared = DeclaredEncoding(body.substr(start));
    if (!declared.empty()) {
      charset = CanonicalCharset(declared);
      // A UTF-16 declaration in an 8-bit document is always wrong.
      if (charset.starts_with("UTF-16")) charset = "utf-8";
    } else if (!hint.empty()) {
      charset = hint;
    } else {
      charset = "utf-8";
    }
  }

  if (charset == "utf-8" || IsSingleByte(charset)) {
    Utf8Scan scan = ScanUtf8(body);
    if (scan.valid && (charset == "utf-8" || scan.ascii)) return body;
    if (scan.valid && !from_bom) {
      // Valid multi-byte UTF-8 is almost never an accident in a legacy
      // single-byte charset: the declaration is the mistake.
      warnings->push_back(absl::StrCat("declared encoding ", charset,
                                       " but the bytes are UTF-8; read as "
                                       "UTF-8"));
      return body;
    }
    if (charset == "utf-8" && !hint.empty() && hint != "utf-8") {
      size_t replaced = 0;
      if (Transcode(body, hint, storage, &replaced) && replaced == 0) {
        warnings->push_back(absl::StrCat(
            "invalid UTF-8 at line ", LineOf(body, scan.first_invalid),
            "; decoded as ", hint, " from the HTTP charset"));
        return *storage;
      }
    }
    if (charset == "utf-8" && !HasMultiByteUtf8(body)) {
      // Not one valid multi-byte sequence: the text is in a legacy 8-bit
      // charset that nothing named. Read it as windows-1252, feedparser's
      // last resort too, rather than lose every non-ASCII letter.
      size_t replaced = 0;
      if (Transcode(body, "WINDOWS-1252", storage, &replaced)) {
        warnings->push_back(absl::StrCat(
            "invalid UTF-8 at line ", LineOf(body, scan.first_invalid),
            " and no UTF-8 sequence anywhere; read as windows-1252"));
        return *storage;
      }
    }
    if (charset == "utf-8") {
      size_t replaced = 0;
      *storage = RepairUtf8(body, &replaced);
      warnings->push_back(absl::StrCat(
          "invalid UTF-8 from line ", LineOf(body, scan.first_invalid), ": ",
          replaced, " byte(s) replaced with U+FFFD"));
      return *storage;
    }
  }
  size_t replaced = 0;
  if (!Transcode(body, charset, storage, &replaced)) {
    warnings->push_back(
        absl::StrCat("unknown encoding ", charset, "; read as UTF-8"));
    Utf8Scan scan = ScanUtf8(body);
    if (scan.valid) return body;
    *storage = RepairUtf8(body, &replaced);
    warnings->push_back(absl::StrCat(replaced,
                                     " invalid UTF-8 byte(s) "
                                     "replaced with U+FFFD"));
    return *storage;
  }
  if (replaced > 0) {
    warnings->push_back(absl::StrCat(replaced, " byte(s) invalid in ", charset,
                                     " replaced with U+FFFD"));
  }
  return *storage;
}

}  // namespace newsfeed::ingest::internal
