// Test-only: a private CA with server and client certificates, made by
// scripts/make-certs.sh (openssl) in a fresh temporary directory.
#ifndef COMMON_AUTH_TEST_CERTS_H_
#define COMMON_AUTH_TEST_CERTS_H_

#include <stdlib.h>

#include <string>

#include "gtest/gtest.h"

namespace newsfeed::auth {

struct TestCerts {
  std::string dir;
  std::string ca() const { return dir + "/ca.pem"; }
  std::string server_cert() const { return dir + "/server.pem"; }
  std::string server_key() const { return dir + "/server.key"; }
  std::string client_cert() const { return dir + "/client.pem"; }
  std::string client_key() const { return dir + "/client.key"; }
};

// Fails the current test (and returns an empty dir) when openssl fails.
inline TestCerts MakeTestCerts() {
  TestCerts certs;
  std::string dir = ::testing::TempDir() + "certs_XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return certs;
  }
  const std::string command = std::string(NEWSFEED_SOURCE_DIR) +
                              "/scripts/make-certs.sh " + dir + " >/dev/null";
  if (std::system(command.c_str()) != 0) {
    ADD_FAILURE() << "failed: " << command;
    return certs;
  }
  certs.dir = dir;
  return certs;
}

}  // namespace newsfeed::auth

#endif  // COMMON_AUTH_TEST_CERTS_H_
