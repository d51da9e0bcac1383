// Test-only: a private PostgreSQL server for the tests of the PostgreSQL
// engines, started by scripts/pg-test-cluster.sh from Debian's postgresql
// package. It listens only on a unix socket in a fresh temporary directory,
// so test processes never share a server or a port, and it is stopped when
// the process exits.
//
// Thread-safe.
//
//   absl::StatusOr<std::string> dsn = TestPostgres::CreateDatabase();
//   ASSERT_TRUE(dsn.ok()) << dsn.status();
//   auto store = PgStore::Open({.postgres_url = *dsn, ...});
#ifndef COMMON_TESTING_TEST_POSTGRES_H_
#define COMMON_TESTING_TEST_POSTGRES_H_

#include <string>

#include "absl/status/statusor.h"

namespace newsfeed::testing {

class TestPostgres {
 public:
  // Creates a new empty database (the process's server is started on first
  // use) and returns a libpq connection string for it, in key=value form
  // ("host=/tmp/... user=newsfeed dbname=t3"). Each call gives a different
  // database. UNAVAILABLE with the script's error when the server cannot be
  // started (PostgreSQL not installed), INTERNAL when CREATE DATABASE fails.
  static absl::StatusOr<std::string> CreateDatabase();

  // The connection string of the server's `postgres` database.
  static absl::StatusOr<std::string> AdminConnectionString();
};

}  // namespace newsfeed::testing

#endif  // COMMON_TESTING_TEST_POSTGRES_H_
