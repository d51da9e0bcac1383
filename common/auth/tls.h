// TLS credentials for newsfeed's gRPC ports and channels, from PEM files.
//
// Server side: a certificate and key make the port serve TLS only; a client
// CA file on top makes it mutual TLS, where every client must present a
// certificate signed by that CA (how query-service admits only its own
// ingest-services). Client side: a CA file makes the channel use TLS and
// trust that CA; a client certificate and key are presented when the server
// asks (mutual TLS).
//
// Thread-safe: free functions without shared state.
#ifndef COMMON_AUTH_TLS_H_
#define COMMON_AUTH_TLS_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace newsfeed::auth {

struct ServerTlsFiles {
  std::string cert_file;       // PEM certificate chain of the server
  std::string key_file;        // PEM private key of the server
  std::string client_ca_file;  // PEM CA that client certificates must chain to
};

struct ClientTlsFiles {
  std::string ca_file;    // PEM roots to verify the server with
  std::string cert_file;  // PEM client certificate, for mutual TLS
  std::string key_file;   // PEM client private key, for mutual TLS
};

// Plaintext when no file is set; TLS with cert+key; mutual TLS when
// client_ca_file is set too. INVALID_ARGUMENT naming the option when a file
// cannot be read, when the key file is readable by group or others, or when cert_file and key_file are not given together, or
// client_ca_file is given without them.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsFiles& files);

// Plaintext when no file is set; otherwise TLS trusting ca_file (the system
// roots when only a client certificate is given), presenting cert+key when
// both are set. INVALID_ARGUMENT naming the option when a file cannot be
// read, the key file is readable by group or others, or only one of cert_file and key_file is set.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeChannelCredentials(const ClientTlsFiles& files);

}  // namespace newsfeed::auth

#endif  // COMMON_AUTH_TLS_H_
