#include "common/log/log.h"

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace newsfeed::log {
namespace {

std::atomic<Format> g_format{Format::kText};

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (unsigned char c : text) {
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
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

}  // namespace

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
    line = absl::StrFormat("%s %s %s\n", time, level, message);
  }
  // One fwrite per line keeps lines whole across threads.
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace newsfeed::log
