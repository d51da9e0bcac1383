#include "common/auth/secrets.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace newsfeed::auth {
namespace {

constexpr size_t kMaxTokenBytes = 4096;

absl::Status Invalid(absl::string_view option, const std::string& path,
                     absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(option, ": ", path, ": ", why));
}

}  // namespace

absl::StatusOr<std::string> ReadTokenFile(absl::string_view option,
                                          const std::string& path) {
  if (absl::Status s = CheckOwnerOnly(option, path); !s.ok()) return s;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Invalid(option, path, std::strerror(errno));
  std::string text(kMaxTokenBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxTokenBytes) {
    return Invalid(option, path, "larger than 4 KiB");
  }
  const std::string token(absl::StripAsciiWhitespace(text));
  if (token.empty()) return Invalid(option, path, "empty");
  return token;
}

absl::Status CheckOwnerOnly(absl::string_view option, const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return Invalid(option, path, std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o",
                  static_cast<unsigned>(st.st_mode & 07777));
    return Invalid(option, path,
                   absl::StrCat("readable by group or others (mode ", mode,
                                "); it holds a secret: chmod 600 it"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> LoadOrCreateToken(absl::string_view option,
                                              const std::string& path) {
  if (access(path.c_str(), F_OK) == 0) return ReadTokenFile(option, path);
  unsigned char random[32];
  size_t filled = 0;
  while (filled < sizeof(random)) {
    const ssize_t n = getrandom(random + filled, sizeof(random) - filled, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Invalid(option, path, "no random bytes for a token");
    filled += static_cast<size_t>(n);
  }
  const std::string token = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(random), sizeof(random)));
  // Written under a temporary name, then linked into place: a reader never
  // sees a partial file, and of two processes creating it at once the
  // first link wins and the other reads that token.
  const std::string temporary = absl::StrCat(path, ".", getpid(), ".tmp");
  const int fd =
      open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Invalid(option, temporary, std::strerror(errno));
  const std::string line = token + "\n";
  const bool written = write(fd, line.data(), line.size()) ==
                           static_cast<ssize_t>(line.size()) &&
                       fsync(fd) == 0;
  close(fd);
  if (!written) {
    unlink(temporary.c_str());
    return Invalid(option, temporary, "cannot write the new token");
  }
  const bool linked = link(temporary.c_str(), path.c_str()) == 0;
  const int link_errno = errno;
  unlink(temporary.c_str());
  if (!linked && link_errno != EEXIST) {
    return Invalid(option, path, std::strerror(link_errno));
  }
  return ReadTokenFile(option, path);
}

bool IsLoopbackOnly(absl::string_view listen_address) {
  if (absl::StartsWith(listen_address, "unix:")) return true;
  const size_t colon = listen_address.rfind(':');
  absl::string_view host = colon == absl::string_view::npos
                               ? listen_address
                               : listen_address.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  const std::string lower = absl::AsciiStrToLower(host);
  return lower == "localhost" || lower == "::1" ||
         absl::StartsWith(lower, "127.");
}

}  // namespace newsfeed::auth
