// File: model_registry/database_copy.h
//
// Copies one snapshot of a registry database into an empty one, entity by
// entity through AdminStore, so it works between any two backends. `backup`
// uses it to write a PostgreSQL registry into a new SQLite file.
//
//   MR_RETURN_IF_ERROR(CopyDatabase(*postgres_store, *sqlite_store, &counts));
//
// Thread-safety: the stores are used by the calling thread.
#pragma once

#include "model_registry/admin_store.h"
#include "model_registry/ndjson_transfer.h"  // TransferCounts
#include "model_registry/status.h"

namespace mr {

// Reads one snapshot of `source` and loads it into `target` in one
// transaction, keeping ids, timestamps, name scopes, properties and links.
// Errors: kFailedPrecondition when `target` is not empty; those of the stores.
Status CopyDatabase(AdminStore& source, AdminStore& target, TransferCounts* counts);

}  // namespace mr
