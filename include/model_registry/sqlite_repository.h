// File: model_registry/sqlite_repository.h
//
// The embedded SQLite implementation of Repository.
//
//   SqliteOptions options;
//   options.path = "model-registry.db";
//   MR_ASSIGN_OR_RETURN(std::unique_ptr<Repository> repo, OpenSqliteRepository(options));
//
// Durability: WAL mode. With `synchronous_full` false (default), a committed
// (acknowledged) write survives a crash of the process (kill -9), because the
// WAL append is in the OS page cache before the reply is sent; a power loss may
// lose the most recent commits but never corrupts the file. With it true,
// every commit is fsynced before the reply.
//
// Thread-safety: the returned repository is safe for concurrent use.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "model_registry/admin_store.h"
#include "model_registry/repository.h"

namespace mr {

struct SqliteOptions {
  // Database file; ":memory:" gives a private in-memory database (tests).
  std::string path = "model-registry.db";
  // fsync every commit (power-loss durable) instead of relying on the OS.
  bool synchronous_full = false;
  // How long a statement waits for a lock before failing with kUnavailable.
  int busy_timeout_ms = 5000;
  // How long one read (a GET, a list page with its properties, a find) may run
  // before SQLite interrupts it and it fails with kUnavailable. Bounds the CPU
  // a single expensive filterQuery can take (docs/RELIABILITY.md).
  int query_timeout_ms = 5000;
  // The wall clock in epoch ms; empty means the system clock. Tests freeze it.
  std::function<int64_t()> clock_ms;
};

// Opens (creating if needed) and migrates the database.
// Errors: kUnavailable when the file cannot be opened or migrated.
Result<std::unique_ptr<Repository>> OpenSqliteRepository(const SqliteOptions& options);

// The schema version this binary migrates to.
int LatestSchemaVersion();

// --- Admin access (model-registry backup / export / import / migrate) ---

// Opens (creating if needed) and applies every pending migration, without
// starting a repository, holding the server's file lock. While a server runs
// on the file it only reports the version, or, with migrations pending,
// refuses. Errors: kUnavailable as OpenSqliteRepository, and for a file in use
// that needs migrating.
Result<MigrationReport> MigrateSqliteDatabase(const SqliteOptions& options);

// Opens `options.path` for whole-database operations (admin_store.h).
// kReadExisting: the file must exist, opened read-only; kCreateOrMigrate:
// locked like a server's file, so it fails while a server runs on it.
// Errors: kUnavailable when it cannot be opened (or, for kReadExisting, does
// not exist or is not a registry database).
Result<std::unique_ptr<AdminStore>> OpenSqliteAdminStore(const SqliteOptions& options,
                                                         AdminOpenMode mode);

// Creates a new database file `dest_path` (migrated, as by `serve`) and runs
// `fill` on it; the file appears under its name only once `fill` succeeded.
// Errors: kAlreadyExists when `dest_path` exists; kUnavailable when it cannot
// be created; those of `fill`.
Status CreateSqliteDatabase(const std::string& dest_path,
                            const std::function<Status(AdminStore&)>& fill);

}  // namespace mr
