// File: model_registry/postgres_repository.h
//
// The PostgreSQL implementation of Repository, for several stateless server
// processes on one database (docs/DEPLOYMENT.md).
//
//   PostgresOptions options;
//   options.conninfo = "postgresql://registry@db:5432/registry?sslmode=require";
//   MR_ASSIGN_OR_RETURN(std::unique_ptr<Repository> repo, OpenPostgresRepository(options));
//
// Ids come from the database's sequences and uniqueness from its constraints,
// so processes need no coordination. Every write runs in one REPEATABLE READ
// transaction, retried on serialization failures and deadlocks.
//
// Thread-safety: the returned repository is safe for concurrent use.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "model_registry/admin_store.h"
#include "model_registry/repository.h"

namespace mr {

struct PostgresOptions {
  // A libpq connection string: a URI (postgresql://...) or key=value pairs.
  std::string conninfo;
  // Most open connections per process; requests beyond wait for one.
  int max_connections = 8;
  // How long a request waits for a free connection before kUnavailable.
  int acquire_timeout_ms = 5000;
  // Seconds libpq waits to connect, unless conninfo sets connect_timeout.
  int connect_timeout_seconds = 5;
  // statement_timeout of every session: how long one statement may run.
  int query_timeout_ms = 5000;
  // Attempts of one write transaction that hits a serialization failure
  // (40001) or a deadlock (40P01), with a random back-off between them. Many
  // requests patching one row at once each lose to the one that commits first.
  int max_write_attempts = 30;
  // Called at start-up after each failed connection attempt (attempt counts
  // from 1); returns true to try again, after waiting as long as it likes.
  // Empty: the first failure ends the start. Failures after connecting (a
  // migration) are never retried.
  std::function<bool(int attempt, const Status& failure)> retry_connect;
  // The wall clock in epoch ms; empty means the system clock. Tests freeze it.
  std::function<int64_t()> clock_ms;
};

// Connects, applies pending migrations (under an advisory lock, so processes
// starting together migrate once) and returns the repository.
// Errors: kUnavailable when the database cannot be reached or migrated, with
// libpq's message on one line; kInvalidArgument for a malformed conninfo.
Result<std::unique_ptr<Repository>> OpenPostgresRepository(const PostgresOptions& options);

// The PostgreSQL schema version this binary migrates to.
int LatestPostgresSchemaVersion();

// --- Admin access (model-registry export / import / migrate / backup) ---

// Connects and applies pending migrations under the advisory lock, without
// starting a repository. Errors: as OpenPostgresRepository.
Result<MigrationReport> MigratePostgresDatabase(const PostgresOptions& options);

// Opens one session for whole-database operations (admin_store.h); its
// statements have no time limit, its lock waits one of 30 s. Backup() is
// kFailedPrecondition: PostgreSQL has no file to copy (docs/CLI.md).
// Errors: as OpenPostgresRepository; kUnavailable for kReadExisting when the
// database holds no registry schema.
Result<std::unique_ptr<AdminStore>> OpenPostgresAdminStore(const PostgresOptions& options,
                                                           AdminOpenMode mode);

}  // namespace mr
