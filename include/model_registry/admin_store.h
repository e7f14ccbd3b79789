// File: model_registry/admin_store.h
//
// Whole-database access for the admin commands (export, import, backup). It
// bypasses the domain on purpose: an export must see every stored entity as
// it is (hidden metric history included) and an import must write entities
// back with their ids, timestamps and name scopes unchanged.
//
//   MR_ASSIGN_OR_RETURN(std::unique_ptr<AdminStore> store, OpenSqliteAdminStore(options, mode));
//   MR_RETURN_IF_ERROR(store->ReadSnapshot([&](DatabaseSnapshot& snap) -> Status {
//     return snap.ForEachEntity(StorageClass::kContext, [&](const Entity& e) { ... });
//   }));
//
// A backend implements AdminStore next to its Repository; the NDJSON format in
// model_registry/ndjson_transfer.h is written only against this interface, so
// it moves data between any two backends.
//
// Thread-safety: an AdminStore is used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "model_registry/entity.h"
#include "model_registry/status.h"

namespace mr {

// An artifact attached to a context (a model version or an experiment run).
struct StoredLink {
  int64_t context_id = 0;
  int64_t artifact_id = 0;
};

// What `model-registry migrate` did.
struct MigrationReport {
  int from_version = 0;  // 0: the database was new
  int to_version = 0;
};

enum class AdminOpenMode {
  kReadExisting,     // the database must exist and is only read, never migrated
  kCreateOrMigrate,  // created if missing and migrated, as by `serve`
};

// One consistent, read-only view of the whole database.
class DatabaseSnapshot {
 public:
  virtual ~DatabaseSnapshot() = default;
  // Calls `fn` for every entity of `storage` in ascending id order, with its
  // fields and custom properties; stops at the first error `fn` returns.
  virtual Status ForEachEntity(StorageClass storage,
                               const std::function<Status(const Entity&)>& fn) = 0;
  // Calls `fn` for every link, ordered by (context_id, artifact_id).
  virtual Status ForEachLink(const std::function<Status(const StoredLink&)>& fn) = 0;
};

// Writes into an empty database inside one transaction.
class DatabaseLoader {
 public:
  virtual ~DatabaseLoader() = default;
  // Stores `entity` exactly: id, parent, name scope, timestamps, fields and
  // custom properties. Errors: kAlreadyExists on a duplicate id or name.
  virtual Status InsertVerbatim(const Entity& entity) = 0;
  virtual Status Link(const StoredLink& link) = 0;
};

class AdminStore {
 public:
  virtual ~AdminStore() = default;

  // The schema version of the opened database.
  virtual int SchemaVersion() = 0;

  // Runs `fn` on one snapshot: writers may continue, `fn` does not see them.
  virtual Status ReadSnapshot(const std::function<Status(DatabaseSnapshot&)>& fn) = 0;

  // Runs `fn` in one write transaction and commits only when it returns OK.
  // Errors: kFailedPrecondition when the database already holds entities.
  virtual Status LoadIntoEmpty(const std::function<Status(DatabaseLoader&)>& fn) = 0;

  // Writes a consistent copy of the database to `dest_path` while writers
  // continue. The copy appears under its name only once complete.
  // Errors: kAlreadyExists when `dest_path` exists; kUnavailable on I/O errors.
  virtual Status Backup(const std::string& dest_path) = 0;
};

}  // namespace mr
