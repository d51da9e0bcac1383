#include "common/testing/test_postgres.h"

#include <libpq-fe.h>

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace newsfeed::testing {
namespace {

std::string QueryOne(const std::string& dsn, const char* sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(dsn.c_str()),
                                                    &PQfinish);
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql),
                                                       &PQclear);
  EXPECT_EQ(PQresultStatus(result.get()), PGRES_TUPLES_OK)
      << PQerrorMessage(conn.get());
  if (PQntuples(result.get()) != 1) return "";
  return PQgetvalue(result.get(), 0, 0);
}

TEST(TestPostgresTest, EachCallGivesAFreshDatabase) {
  absl::StatusOr<std::string> first = TestPostgres::CreateDatabase();
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::string> second = TestPostgres::CreateDatabase();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(*first, *second);
  const std::string name_one = QueryOne(*first, "SELECT current_database()");
  const std::string name_two = QueryOne(*second, "SELECT current_database()");
  EXPECT_FALSE(name_one.empty());
  EXPECT_NE(name_one, name_two);
  // Only a unix socket: the server has no TCP listener.
  EXPECT_EQ(QueryOne(*first, "SHOW listen_addresses"), "");
}

}  // namespace
}  // namespace newsfeed::testing
