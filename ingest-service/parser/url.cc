#include "ingest-service/parser/url.h"

#include <curl/curl.h>

#include <array>
#include <memory>

#include "absl/strings/str_cat.h"
#include "ingest-service/parser/html_entities.h"

namespace newsfeed::ingest::internal {
namespace {

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 3986 unreserved, sub-delims, ':', '@', '/' and '?': what may stand in a
// path, query or fragment as it is ('%' is checked separately).
constexpr std::array<bool, 256> MakePlain() {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (char c : std::string_view("-._~!$&'()*+,;=:@/?")) {
    table[static_cast<unsigned char>(c)] = true;
  }
  return table;
}
constexpr std::array<bool, 256> kPlain = MakePlain();

// Only plain bytes and well-formed %XX.
bool IsPlainPart(std::string_view part) {
  for (size_t i = 0; i < part.size(); ++i) {
    char c = part[i];
    if (c == '%') {
      if (i + 2 >= part.size() || !IsHex(part[i + 1]) || !IsHex(part[i + 2])) {
        return false;
      }
      i += 2;
      continue;
    }
    if (!kPlain[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// First byte of `s` at or after `pos` that is one of `set`'s; npos when
// there is none. string_view::find_first_of in libstdc++ calls memchr on the
// set for every byte of `s`, which showed in the profile of URL-heavy bodies.
template <size_t N>
size_t FindFirstOf(std::string_view s, const char (&set)[N], size_t pos = 0) {
  for (size_t i = pos; i < s.size(); ++i) {
    for (size_t k = 0; k + 1 < N; ++k) {
      if (s[i] == set[k]) return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

bool HasScheme(std::string_view url) {
  size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (size_t i = 0; i < colon; ++i) {
    char c = url[i];
    bool ok = IsAlpha(c) ||
              (i > 0 && (IsDigit(c) || c == '+' || c == '-' || c == '.'));
    if (!ok) return false;
  }
  return true;
}

bool HasDotSegment(std::string_view ref) {
  // One pass over the path's '/'-separated segments, looking for "." and
  // "..", instead of six searches for the forms they take.
  size_t segment_start = 0;
  for (size_t i = 0;; ++i) {
    if (i == ref.size() || ref[i] == '/' || ref[i] == '?' || ref[i] == '#') {
      std::string_view segment = ref.substr(segment_start, i - segment_start);
      if (segment == "." || segment == "..") return true;
      if (i == ref.size() || ref[i] != '/') return false;
      segment_start = i + 1;
    }
  }
}

bool FastResolve(std::string_view ref, std::string_view base,
                 std::string* out) {
  size_t scheme_end;
  if (base.starts_with("https://")) {
    scheme_end = 5;
  } else if (base.starts_with("http://")) {
    scheme_end = 4;
  } else {
    return false;
  }
  for (char c : ref) {
    // Leave percent-encoding of odd characters to libcurl.
    if (static_cast<unsigned char>(c) <= 0x20 || c == '\\') return false;
  }
  size_t authority_end = FindFirstOf(base, "/?#", scheme_end + 3);
  if (authority_end == std::string_view::npos) authority_end = base.size();
  std::string_view origin = base.substr(0, authority_end);
  std::string_view no_fragment = base.substr(0, base.find('#'));
  std::string_view no_query = no_fragment.substr(0, no_fragment.find('?'));
  if (ref.starts_with("//")) {
    if (HasDotSegment(ref.substr(2))) return false;
    *out = absl::StrCat(Av(base.substr(0, scheme_end + 1)), Av(ref));
    return true;
  }
  if (HasDotSegment(ref)) return false;
  if (ref.starts_with("/")) {
    *out = absl::StrCat(Av(origin), Av(ref));
  } else if (ref.starts_with("?")) {
    *out = absl::StrCat(Av(no_query), Av(ref));
  } else if (ref.starts_with("#")) {
    *out = absl::StrCat(Av(no_fragment), Av(ref));
  } else {
    std::string_view path = no_query.substr(authority_end);
    size_t slash = path.rfind('/');
    std::string_view dir =
        slash == std::string_view::npos ? "/" : path.substr(0, slash + 1);
    *out = absl::StrCat(Av(origin), Av(dir), Av(ref));
  }
  return true;
}

bool IsPlainHttpUrl(std::string_view url, PlainUrl* parts) {
  PlainUrl p;
  if (url.starts_with("https://")) {
    p.scheme = url.substr(0, 5);
  } else if (url.starts_with("http://")) {
    p.scheme = url.substr(0, 4);
  } else {
    return false;
  }
  std::string_view rest = url.substr(p.scheme.size() + 3);
  size_t host_end = FindFirstOf(rest, "/?#");
  if (host_end == std::string_view::npos) host_end = rest.size();
  p.host = rest.substr(0, host_end);
  if (p.host.empty() || p.host.size() > 253) return false;
  size_t label_start = 0;
  for (size_t i = 0; i < p.host.size(); ++i) {
    char c = p.host[i];
    if (c == '.') {
      label_start = i + 1;
    } else if (!IsAlpha(c) && !IsDigit(c) && c != '-') {
      return false;
    }
  }
  // The last label starts with a letter: not an IPv4 address in any of the
  // forms libcurl rewrites ("0x7f.1"), and not empty ("host.").
  if (label_start >= p.host.size() || !IsAlpha(p.host[label_start])) {
    return false;
  }
  rest.remove_prefix(host_end);
  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) {
    p.has_fragment = true;
    p.fragment = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
    if (!IsPlainPart(p.fragment)) return false;
  }
  size_t question = rest.find('?');
  if (question != std::string_view::npos) {
    p.has_query = true;
    p.query = rest.substr(question + 1);
    rest = rest.substr(0, question);
    if (!IsPlainPart(p.query)) return false;
  }
  p.path = rest;
  if (!IsPlainPart(p.path) || HasDotSegment(p.path)) return false;
  if (p.path.find('?') != std::string_view::npos) return false;
  if (parts) *parts = p;
  return true;
}

std::string ResolveUrlWithCurl(std::string_view ref, std::string_view base) {
  std::string ref_str(ref), base_str(base);
  std::unique_ptr<CURLU, CurlUrlDeleter> h(curl_url());
  char* out = nullptr;
  if (!h ||
      curl_url_set(h.get(), CURLUPART_URL, base_str.c_str(), 0) != CURLUE_OK ||
      curl_url_set(h.get(), CURLUPART_URL, ref_str.c_str(), 0) != CURLUE_OK ||
      curl_url_get(h.get(), CURLUPART_URL, &out, 0) != CURLUE_OK) {
    return ref_str;
  }
  std::string result(out);
  curl_free(out);
  return result;
}

std::string ResolveUrlLikeCurl(std::string_view ref, std::string_view base) {
  // A plain base with a path and its host in lower case (as libcurl prints
  // it); a plain reference that is a path and/or a non-empty query: libcurl
  // 7.88 drops an empty query or fragment and resolves "#f" against the
  // base's directory, and would normalize the host of "//host".
  PlainUrl b;
  size_t question = ref.find('?');
  if (!ref.empty() && !ref.starts_with("//") &&
      ref.find('#') == std::string_view::npos &&
      (question == std::string_view::npos || question + 1 < ref.size()) &&
      // No ':' in the first segment: libcurl reads it as a scheme.
      ref.substr(0, FindFirstOf(ref, "/?")).find(':') ==
          std::string_view::npos &&
      IsPlainPart(ref) && IsPlainHttpUrl(base, &b) && !b.path.empty()) {
    bool lower_host = true;
    for (char c : b.host) lower_host &= !(c >= 'A' && c <= 'Z');
    std::string out;
    if (lower_host && FastResolve(ref, base, &out)) return out;
  }
  return ResolveUrlWithCurl(ref, base);
}

}  // namespace newsfeed::ingest::internal
