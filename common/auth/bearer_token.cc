#include "common/auth/bearer_token.h"

#include <cstddef>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace newsfeed::auth {
namespace {

constexpr absl::string_view kScheme = "bearer ";

// Compares without an early exit so that the time taken does not tell an
// attacker how long a prefix of the token was right.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

}  // namespace

absl::Status TokenGate::Check(const grpc::ServerContextBase& context,
                              absl::string_view what) const {
  if (!required()) return absl::OkStatus();
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  absl::string_view header;
  if (it != metadata.end()) header = {it->second.data(), it->second.size()};
  return CheckHeader(header, what);
}

absl::Status TokenGate::CheckHeader(absl::string_view authorization,
                                    absl::string_view what) const {
  if (!required()) return absl::OkStatus();
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        absl::StrCat(what,
                     ": needs a token (metadata \"authorization: Bearer "
                     "<token>\")"));
  }
  if (authorization.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(authorization, kScheme)) {
    return absl::UnauthenticatedError(absl::StrCat(
        what, ": authorization metadata is not \"Bearer <token>\""));
  }
  absl::string_view presented =
      absl::StripAsciiWhitespace(authorization.substr(kScheme.size()));
  if (!ConstantTimeEquals(presented, token_)) {
    return absl::UnauthenticatedError(absl::StrCat(what, ": wrong token"));
  }
  return absl::OkStatus();
}

std::string BearerHeader(absl::string_view token) {
  return absl::StrCat("Bearer ", token);
}

}  // namespace newsfeed::auth
