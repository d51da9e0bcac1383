// Differential fuzz target for the HTML fast path. RenderHtml hands most
// feed bodies to SimpleHtmlParser instead of gumbo, on the promise that for
// the input it accepts it renders exactly what the gumbo tree walk renders.
// This target checks that promise on every input: when the fast path accepts
// the bytes, its plain text and sanitized HTML must equal gumbo's, or the
// target aborts (a finding). Whatever the fast path decides, RenderHtml as
// the service calls it must not crash, leak or run away.
//
// Built two ways, like the feed fuzzer (see README.md): linked with libFuzzer
// as `html_fuzzer` (clang, NEWSFEED_FUZZ=ON), and with GoogleTest as
// `html_fuzz_tests`, which replays corpus/ through this function.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest-service/normalizer/html.h"

namespace {

using newsfeed::ingest::internal::HtmlEngine;
using newsfeed::ingest::internal::RenderHtmlWith;

constexpr std::string_view kBase = "https://fuzz.example/dir/page.html?q=1";

// Bodies are capped long before this in the service (field limits); bigger
// inputs only slow the fuzzer down.
constexpr size_t kMaxInput = 1 << 16;

void Mismatch(std::string_view what, std::string_view input,
              std::string_view fast, std::string_view gumbo) {
  std::fprintf(stderr,
               "fast path and gumbo disagree on the %.*s\ninput: %.*s\n"
               "fast:  %.*s\ngumbo: %.*s\n",
               static_cast<int>(what.size()), what.data(),
               static_cast<int>(input.size()), input.data(),
               static_cast<int>(fast.size()), fast.data(),
               static_cast<int>(gumbo.size()), gumbo.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  const std::string_view html(reinterpret_cast<const char*>(data), size);
  std::string fast_text, fast_html;
  if (RenderHtmlWith(HtmlEngine::kSimpleOnly, html, &fast_text, &fast_html,
                     kBase)) {
    std::string text, sanitized;
    RenderHtmlWith(HtmlEngine::kGumboOnly, html, &text, &sanitized, kBase);
    if (fast_text != text) Mismatch("text", html, fast_text, text);
    if (fast_html != sanitized) {
      Mismatch("sanitized HTML", html, fast_html, sanitized);
    }
  }
  // The service's own calls: both renderings, and each one alone.
  std::string text, sanitized;
  RenderHtmlWith(HtmlEngine::kAuto, html, &text, &sanitized, kBase);
  std::string text_only, sanitized_only;
  RenderHtmlWith(HtmlEngine::kAuto, html, &text_only, nullptr, kBase);
  RenderHtmlWith(HtmlEngine::kAuto, html, nullptr, &sanitized_only, kBase);
  if (text_only != text) Mismatch("text alone", html, text_only, text);
  if (sanitized_only != sanitized) {
    Mismatch("sanitized HTML alone", html, sanitized_only, sanitized);
  }
  return 0;
}
