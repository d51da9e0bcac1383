#include "common/testing/test_postgres.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"

namespace newsfeed::testing {
namespace {

std::string ScriptPath() {
  return std::string(NEWSFEED_SOURCE_DIR) + "/scripts/pg-test-cluster.sh";
}

// One server per process, stopped at exit.
class Server {
 public:
  absl::StatusOr<std::string> AdminDsn() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (!dsn_.empty()) return dsn_;
    std::string dir =
        (std::filesystem::temp_directory_path() / "newsfeed_pg_XXXXXX")
            .string();
    if (mkdtemp(dir.data()) == nullptr) {
      return absl::UnavailableError("test postgres: mkdtemp failed");
    }
    const std::string command =
        absl::StrCat(ScriptPath(), " start '", dir, "' ", getpid());
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
      return absl::UnavailableError(absl::StrCat("cannot run ", command));
    }
    std::string output;
    std::array<char, 512> buffer;
    while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
      output += buffer.data();
    }
    if (pclose(pipe) != 0 || output.empty()) {
      return absl::UnavailableError(absl::StrCat("test postgres: `", command,
                                                 "` failed (see its stderr)"));
    }
    dir_ = dir;
    dsn_ = std::string(absl::StripTrailingAsciiWhitespace(output));
    std::atexit(&Server::StopAtExit);
    return dsn_;
  }

  int NextDatabaseNumber() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return ++databases_;
  }

 private:
  static void StopAtExit();

  absl::Mutex mu_;
  std::string dir_ ABSL_GUARDED_BY(mu_);
  std::string dsn_ ABSL_GUARDED_BY(mu_);
  int databases_ ABSL_GUARDED_BY(mu_) = 0;
};

Server& TheServer() {
  static Server& server = *new Server();  // outlives atexit handlers
  return server;
}

void Server::StopAtExit() {
  Server& server = TheServer();
  std::string dir;
  {
    absl::MutexLock lock(&server.mu_);
    dir = server.dir_;
  }
  if (dir.empty()) return;
  const std::string command = absl::StrCat(ScriptPath(), " stop '", dir, "'");
  if (std::system(command.c_str()) == 0) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
}

}  // namespace

absl::StatusOr<std::string> TestPostgres::AdminConnectionString() {
  return TheServer().AdminDsn();
}

absl::StatusOr<std::string> TestPostgres::CreateDatabase() {
  absl::StatusOr<std::string> admin = TheServer().AdminDsn();
  if (!admin.ok()) return admin.status();
  const std::string name = absl::StrCat("t", TheServer().NextDatabaseNumber());
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(admin->c_str()),
                                                    &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::InternalError(absl::StrCat("test postgres: connect ", *admin,
                                            ": ", PQerrorMessage(conn.get())));
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> result(
      PQexec(conn.get(), absl::StrCat("CREATE DATABASE ", name).c_str()),
      &PQclear);
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    return absl::InternalError(absl::StrCat("test postgres: CREATE DATABASE: ",
                                            PQerrorMessage(conn.get())));
  }
  std::string dsn = *admin;
  const size_t at = dsn.rfind("dbname=");
  if (at != std::string::npos) dsn.resize(at);
  return absl::StrCat(dsn, "dbname=", name);
}

}  // namespace newsfeed::testing
