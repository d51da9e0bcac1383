// Copyright newsfeed authors.
//
// Internal to the SQLite store: owning handles for SQLite's C objects.
#ifndef QUERY_SERVICE_STORE_SQLITE_HANDLES_H_
#define QUERY_SERVICE_STORE_SQLITE_HANDLES_H_

#include <sqlite3.h>

#include <memory>

namespace newsfeed::query::internal {

struct SqliteDbDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct SqliteStmtDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

// An open database connection; closed when destroyed.
using DbPtr = std::unique_ptr<sqlite3, SqliteDbDeleter>;
// A prepared statement; finalized when destroyed.
using StmtPtr = std::unique_ptr<sqlite3_stmt, SqliteStmtDeleter>;

}  // namespace newsfeed::query::internal

#endif  // QUERY_SERVICE_STORE_SQLITE_HANDLES_H_
