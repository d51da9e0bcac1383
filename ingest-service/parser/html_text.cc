// Small HTML text helpers declared in html_entities.h.

#include <cstdint>
#include <string>
#include <utility>

#include "common/text/utf8.h"
#include "ingest-service/parser/html_entities.h"

namespace newsfeed::ingest::internal {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

// A reference is at most this many bytes from its '&' to its ';' (the
// longest name is eight letters, a numeric one a few digits; this leaves
// room for leading zeros). The ';' is looked for only that far: searching
// the rest of the text for each '&' made "&&&&..." quadratic.
constexpr size_t kMaxReferenceLength = 40;

// Parses the reference starting at text[0] == '&'. On success appends the
// character and returns the length consumed; returns 0 when it is not a
// reference we know.
size_t DecodeOne(std::string_view text, std::string* out) {
  size_t semi = text.substr(0, kMaxReferenceLength + 1).find(';', 1);
  if (semi == std::string_view::npos || semi < 2) return 0;
  std::string_view name = text.substr(1, semi - 1);
  if (name[0] == '#') {
    uint32_t value = 0;
    size_t i = 1;
    int base = 10;
    if (i < name.size() && (name[i] == 'x' || name[i] == 'X')) {
      base = 16;
      ++i;
    }
    if (i >= name.size()) return 0;
    for (; i < name.size(); ++i) {
      char c = name[i];
      int digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (base == 16 && c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (base == 16 && c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return 0;
      }
      value = value * base + digit;
      if (value > 0x10FFFF) return 0;
    }
    if (value == 0 || (value >= 0xD800 && value <= 0xDFFF)) value = 0xFFFD;
    newsfeed::text::AppendUtf8(value, out);
    return semi + 1;
  }
  for (char c : name) {
    if (!IsAlnum(c)) return 0;
  }
  if (name == "amp") {
    out->push_back('&');
  } else if (name == "lt") {
    out->push_back('<');
  } else if (name == "gt") {
    out->push_back('>');
  } else if (name == "quot") {
    out->push_back('"');
  } else if (name == "apos") {
    out->push_back('\'');
  } else if (std::optional<char32_t> c = LookupHtmlEntity(name)) {
    newsfeed::text::AppendUtf8(*c, out);
  } else {
    return 0;
  }
  return semi + 1;
}

// Drops tags: '<' followed by a letter, '/', '!' or '?' up to the next '>'.
// A '<' that cannot start a tag ("x < y") is text.
std::string StripTags(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  // Once a search for '>' has failed, none of the later '<' can close:
  // searching again for each of them would be quadratic ("<a<a<a...").
  bool no_more_close = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '<' && i + 1 < text.size() && !no_more_close) {
      char n = text[i + 1];
      bool tag = (n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z') || n == '/' ||
                 n == '!' || n == '?';
      size_t close = tag ? text.find('>', i + 1) : std::string_view::npos;
      if (tag && close == std::string_view::npos) no_more_close = true;
      if (close != std::string_view::npos) {
        // Tags separate words ("a<br>b" reads "a b").
        out.push_back(' ');
        i = close;
        continue;
      }
    }
    out.push_back(c);
  }
  return out;
}

bool LooksLikeMarkup(std::string_view text) {
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '&') return true;
    if (text[i] == '<') {
      char n = text[i + 1];
      if ((n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z') || n == '/' ||
          n == '!')
        return true;
    }
  }
  return false;
}

}  // namespace

std::string DecodeHtmlEntities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '&') {
      size_t used = DecodeOne(text.substr(i), &out);
      if (used > 0) {
        i += used - 1;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string CollapseWhitespace(std::string_view text) {
  // The output is never longer than the input: write through a pointer
  // instead of a capacity check per push_back (titles and categories of
  // every item come through here).
  std::string out(text.size(), '\0');
  char* const begin = out.data();
  char* o = begin;
  bool pending_space = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    // U+00A0 (C2 A0) counts as a space in titles.
    if (c == '\xC2' && i + 1 < text.size() && text[i + 1] == '\xA0') {
      pending_space = true;
      ++i;
      continue;
    }
    if (IsSpace(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space && o != begin) *o++ = ' ';
    pending_space = false;
    *o++ = c;
  }
  out.resize(o - begin);
  return out;
}

std::string HtmlSnippetToText(std::string_view html) {
  if (!LooksLikeMarkup(html)) return CollapseWhitespace(html);
  // Decode before stripping as well as after: double-escaped feeds send
  // "&lt;b&gt;" where they mean a tag.
  std::string text(html);
  for (int round = 0; round < 2 && LooksLikeMarkup(text); ++round) {
    std::string next = DecodeHtmlEntities(StripTags(text));
    // A round that changes nothing would change nothing the next time
    // either ("&amp; more" after one round of "&amp;amp; more").
    if (next == text) break;
    text = std::move(next);
  }
  return CollapseWhitespace(text);
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace newsfeed::ingest::internal
