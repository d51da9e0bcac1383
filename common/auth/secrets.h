// Secrets kept in files, and the rule that a service reachable beyond its
// host must not take writes from anyone.
//
// LoadOrCreateToken is how the compose stack is secure with no set-up: the
// first service to start writes a random token to a file on a volume the
// services share, the others read it. Files holding secrets (tokens, TLS
// keys) are refused when group or others may read them.
//
// Thread-safe: free functions; concurrent LoadOrCreateToken calls on one
// path (also from other processes) agree on one token.
#ifndef COMMON_AUTH_SECRETS_H_
#define COMMON_AUTH_SECRETS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace newsfeed::auth {

// The token in `path` (surrounding whitespace dropped). When the file does
// not exist, creates it (mode 0600, atomically) with 32 random bytes in hex
// and returns those. INVALID_ARGUMENT naming `option` when the file cannot
// be read or written, is empty, is larger than 4 KiB, or is readable by
// group or others.
absl::StatusOr<std::string> LoadOrCreateToken(absl::string_view option,
                                              const std::string& path);

// The token in `path`, which must exist: as LoadOrCreateToken, without
// creating it.
absl::StatusOr<std::string> ReadTokenFile(absl::string_view option,
                                          const std::string& path);

// OK when the file at `path` exists and only its owner may read it;
// INVALID_ARGUMENT naming `option`, the path and its mode otherwise.
absl::Status CheckOwnerOnly(absl::string_view option, const std::string& path);

// Whether a listen address ("127.0.0.1:50051", "[::1]:0", "localhost:80",
// "unix:/run/x.sock") can only be reached from this host.
bool IsLoopbackOnly(absl::string_view listen_address);

}  // namespace newsfeed::auth

#endif  // COMMON_AUTH_SECRETS_H_
