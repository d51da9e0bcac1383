#include "common/log/log.h"

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace newsfeed::log {
namespace {

std::atomic<Format> g_format{Format::kText};

// A C1 control character (U+0080..U+009F) in UTF-8 starts at text[i].
bool IsC1At(std::string_view text, size_t i) {
  return static_cast<unsigned char>(text[i]) == 0xc2 && i + 1 < text.size() &&
         static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
         static_cast<unsigned char>(text[i + 1]) <= 0x9f;
}

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\u%04x", c);
        } else if (IsC1At(text, i)) {
          out += absl::StrFormat("\\u%04x",
                                 static_cast<unsigned char>(text[i + 1]));
          ++i;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

}  // namespace

std::string EscapeControls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += absl::StrFormat("\\x%02x", c);
    } else if (IsC1At(text, i)) {
      out +=
          absl::StrFormat("\\u%04x", static_cast<unsigned char>(text[i + 1]));
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void SetFormat(Format format) { g_format.store(format); }

void Write(Severity severity, std::string_view message) {
  const std::string time = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                            absl::UTCTimeZone());
  std::string line;
  if (g_format.load() == Format::kJson) {
    const char* level = severity == Severity::kInfo      ? "info"
                        : severity == Severity::kWarning ? "warning"
                                                         : "error";
    line =
        absl::StrFormat("{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"}\n",
                        time, level, JsonEscape(message));
  } else {
    const char* level = severity == Severity::kInfo      ? "INFO"
                        : severity == Severity::kWarning ? "WARN"
                                                         : "ERROR";
    line = absl::StrFormat("%s %s %s\n", time, level, EscapeControls(message));
  }
  // One fwrite per line keeps lines whole across threads.
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace newsfeed::log
