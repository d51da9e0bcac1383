#include "cli/position_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace newsfeed::cli {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path,
                        int error) {
  return absl::Status(
      error == ENOENT || error == ENOTDIR ? absl::StatusCode::kNotFound
      : error == EACCES || error == EPERM ? absl::StatusCode::kPermissionDenied
                                          : absl::StatusCode::kInternal,
      absl::StrCat(what, " ", path, ": ", std::strerror(error)));
}

}  // namespace

absl::StatusOr<std::optional<uint64_t>> ReadPosition(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    const int error = errno;
    if (error == ENOENT) return std::optional<uint64_t>();
    return ErrnoError("cannot read position file", path, error);
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  uint64_t sequence = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(buffer.str()), &sequence)) {
    return absl::DataLossError(
        absl::StrCat("position file ", path,
                     " does not hold a sequence number; fix or delete it"));
  }
  return std::optional<uint64_t>(sequence);
}

absl::Status WritePosition(const std::string& path, uint64_t sequence) {
  const std::string temp = path + ".tmp";
  const std::string content = absl::StrCat(sequence, "\n");
  const int fd =
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot create", temp, errno);
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n =
        ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return ErrnoError("cannot write", temp, error);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    return ErrnoError("cannot flush", temp, error);
  }
  if (::close(fd) != 0) return ErrnoError("cannot close", temp, errno);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    return ErrnoError(absl::StrCat("cannot rename ", temp, " to"), path, errno);
  }
  return absl::OkStatus();
}

}  // namespace newsfeed::cli
