// A minimal logger for the edges of the services (handlers, loops, main).
// Components do not log: they return absl::Status and the edge logs once.
//
// Thread-safe: each call writes one whole line to stderr.
//
//   newsfeed::log::Info("listening on %s", address);
//   newsfeed::log::Error("feed %s: %s", url, status.ToString());
#ifndef COMMON_LOG_LOG_H_
#define COMMON_LOG_LOG_H_

#include <string>
#include <string_view>

#include "absl/strings/str_format.h"

namespace newsfeed::log {

enum class Severity { kInfo, kWarning, kError };

// Output format for every following line. Text: "2026-11-27T04:38:17.123Z
// INFO message". Json: {"time":"…","level":"info","msg":"…"}.
enum class Format { kText, kJson };
void SetFormat(Format format);

// Writes one line. `message` may contain any bytes (a feed title, a peer's
// request): control characters are escaped in both formats, so a message
// can neither forge a log line nor move a terminal's cursor.
void Write(Severity severity, std::string_view message);

// `text` with every control character (C0, DEL, and C1 as UTF-8) written as
// an escape: \n, \r, \t, \x1b, \u009b. Other bytes are kept as they are.
std::string EscapeControls(std::string_view text);

template <typename... Args>
void Info(const absl::FormatSpec<Args...>& format, const Args&... args) {
  Write(Severity::kInfo, absl::StrFormat(format, args...));
}
template <typename... Args>
void Warning(const absl::FormatSpec<Args...>& format, const Args&... args) {
  Write(Severity::kWarning, absl::StrFormat(format, args...));
}
template <typename... Args>
void Error(const absl::FormatSpec<Args...>& format, const Args&... args) {
  Write(Severity::kError, absl::StrFormat(format, args...));
}

}  // namespace newsfeed::log

#endif  // COMMON_LOG_LOG_H_
