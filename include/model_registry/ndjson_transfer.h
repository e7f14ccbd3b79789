// File: model_registry/ndjson_transfer.h
//
// The registry's export format: NDJSON, one record per line, written and read
// only through AdminStore, so it moves a registry between databases and
// between backends. docs/EXPORT-FORMAT.md describes the records.
//
//   TransferCounts counts;
//   MR_RETURN_IF_ERROR(ExportNdjson(*store, std::cout, &counts));
//
// Thread-safety: stateless functions; the store is used by the calling thread.
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>

#include "model_registry/admin_store.h"
#include "model_registry/status.h"

namespace mr {

struct TransferCounts {
  int64_t entities = 0;
  int64_t links = 0;
};

// Writes every entity and link of one snapshot of `store` to `out`.
// Errors: those of the store; kUnavailable when `out` fails.
Status ExportNdjson(AdminStore& store, std::ostream& out, TransferCounts* counts);

// Reads an export from `in` into `store`, which must be empty, in one
// transaction: on any error nothing is written. Ids, timestamps, name scopes,
// fields, custom properties and links are kept as exported.
// Errors: kInvalidArgument for malformed input ("line N: ..."), including a
// truncated file (no end record) and references to entities not in the file;
// kFailedPrecondition when the store is not empty; those of the store.
Status ImportNdjson(AdminStore& store, std::istream& in, TransferCounts* counts);

}  // namespace mr
