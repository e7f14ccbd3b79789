// Test databases shared by the repository tests: a SQLite file in a private
// temporary directory, read back through its own sqlite3 connection, and the
// helpers that write entities through any Repository.
#pragma once

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "model_registry/repository.h"
#include "model_registry/sqlite_repository.h"

namespace mr::testing {

// The PostgreSQL server for tests (MR_TEST_DATABASE_URL; scripts/test.sh's
// postgres suite sets it), or null when the tests run on SQLite only.
inline const char* TestDatabaseUrl() {
  const char* url = std::getenv("MR_TEST_DATABASE_URL");
  return url != nullptr && *url != '\0' ? url : nullptr;
}

// `base` (a URI or key=value conninfo) with its database replaced by `name`.
inline std::string WithDatabase(const std::string& base, const std::string& name) {
  size_t scheme = base.find("://");
  if (scheme == std::string::npos) return base + " dbname=" + name;
  size_t path = base.find('/', scheme + 3);
  size_t query = base.find('?', scheme + 3);
  std::string authority = base.substr(0, std::min(path, query));
  return authority + "/" + name + (query == std::string::npos ? "" : base.substr(query));
}

// Runs `sql` on a fresh libpq connection; returns the first column of each row.
inline std::vector<std::string> PgQuery(const std::string& conninfo, const std::string& sql) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string error = PQerrorMessage(conn);
    PQfinish(conn);
    FAIL("cannot connect to " << conninfo << ": " << error);
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);  // "does not exist, skipping"
  PGresult* result = PQexec(conn, sql.c_str());
  ExecStatusType status = PQresultStatus(result);
  std::vector<std::string> rows;
  std::string error;
  if (status == PGRES_TUPLES_OK) {
    for (int i = 0; i < PQntuples(result); ++i) rows.push_back(PQgetvalue(result, i, 0));
  } else if (status != PGRES_COMMAND_OK) {
    error = PQresultErrorMessage(result);
  }
  PQclear(result);
  PQfinish(conn);
  if (!error.empty()) FAIL("cannot run " << sql << ": " << error);
  return rows;
}

using K = EntityKind;
using Rows = std::vector<std::vector<std::string>>;

inline int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A private directory holding one database file; removed with its WAL files.
class TempDb {
 public:
  TempDb() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mr-unit-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    path_ = (std::filesystem::path(dir_) / "registry.db").string();
  }
  ~TempDb() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;

  const std::string& path() const { return path_; }

  std::unique_ptr<Repository> Open() const {
    SqliteOptions options;
    options.path = path_;
    Result<std::unique_ptr<Repository>> repo = OpenSqliteRepository(options);
    if (!repo.ok()) FAIL("OpenSqliteRepository: " << repo.status().ToString());
    return std::move(repo).value();
  }

 private:
  std::string dir_;
  std::string path_;
};

// Runs `sql` on a fresh sqlite3 connection and returns every row as text
// ("NULL" for SQL NULL).
inline Rows RawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string error = sqlite3_errmsg(db);
    sqlite3_close(db);
    FAIL("cannot open " << path << ": " << error);
  }
  sqlite3_busy_timeout(db, 5000);
  Rows rows;
  sqlite3_stmt* stmt = nullptr;
  const char* tail = sql.c_str();
  while (tail != nullptr && *tail != '\0') {
    if (sqlite3_prepare_v2(db, tail, -1, &stmt, &tail) != SQLITE_OK) {
      std::string error = sqlite3_errmsg(db);
      sqlite3_close(db);
      FAIL("cannot prepare " << sql << ": " << error);
    }
    if (stmt == nullptr) break;  // trailing whitespace
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const unsigned char* text = sqlite3_column_text(stmt, i);
        row.push_back(text == nullptr ? "NULL" : reinterpret_cast<const char*>(text));
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
      std::string error = sqlite3_errmsg(db);
      sqlite3_close(db);
      FAIL("cannot run " << sql << ": " << error);
    }
  }
  sqlite3_close(db);
  return rows;
}

inline std::string RawScalar(const std::string& path, const std::string& sql) {
  Rows rows = RawQuery(path, sql);
  if (rows.size() != 1 || rows[0].size() != 1) FAIL("expected one value from " << sql);
  return rows[0][0];
}

inline void CheckIntegrity(const std::string& path) {
  CHECK(RawScalar(path, "PRAGMA integrity_check") == "ok");
}

inline Entity NewEntity(K kind, const std::string& name, int64_t parent_id = 0) {
  Entity e;
  e.kind = kind;
  e.name = name;
  e.parent_id = parent_id;
  return e;
}

// Inserts `entity` in its own transaction with fresh timestamps unless it has
// them already; returns it with its id.
inline Entity MustInsert(Repository& repo, Entity entity) {
  Status status = repo.Write([&](WriteTransaction& tx) -> Status {
    if (entity.create_time_ms == 0) {
      entity.create_time_ms = entity.update_time_ms = tx.NowMs();
    }
    return tx.Insert(entity);
  });
  if (!status.ok()) FAIL("insert of " << entity.name << ": " << status.ToString());
  return entity;
}

inline Status InsertStatus(Repository& repo, Entity entity) {
  return repo.Write([&](WriteTransaction& tx) -> Status {
    entity.create_time_ms = entity.update_time_ms = tx.NowMs();
    return tx.Insert(entity);
  });
}

inline std::vector<int64_t> Ids(const std::vector<Entity>& items) {
  std::vector<int64_t> ids;
  for (const Entity& e : items) ids.push_back(e.id);
  return ids;
}

}  // namespace mr::testing
