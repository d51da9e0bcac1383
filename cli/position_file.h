// The subscription position file used by `newsfeed subscribe
// --position-file`: one decimal sequence number and a newline. It is
// replaced atomically (temporary file, fsync, rename), so a reader sees the
// old or the new position, never a torn one, even after a crash.
//
// Not thread-safe for concurrent writers of the same path.
#ifndef CLI_POSITION_FILE_H_
#define CLI_POSITION_FILE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace newsfeed::cli {

// The saved position, or nullopt when the file does not exist. DATA_LOSS
// when the file exists but does not hold a sequence number (it is never
// silently ignored: that would replay or skip articles); other errors when it
// cannot be read.
absl::StatusOr<std::optional<uint64_t>> ReadPosition(const std::string& path);

// Replaces the file's content with `sequence`. Writes "<path>.tmp" in the same
// directory, flushes it to disk and renames it over `path`.
absl::Status WritePosition(const std::string& path, uint64_t sequence);

}  // namespace newsfeed::cli

#endif  // CLI_POSITION_FILE_H_
