// File: model_registry/repository.h
//
// The storage seam. The domain (RegistryService) talks only to this interface;
// src/sqlite/ implements it on SQLite, and a PostgreSQL implementation for
// stateless replicas would implement the same two classes.
//
//   MR_RETURN_IF_ERROR(repo.Write([&](WriteTransaction& tx) -> Status {
//     MR_ASSIGN_OR_RETURN(Entity parent, tx.Get(StorageClass::kContext, 7));
//     entity.create_time_ms = entity.update_time_ms = tx.NowMs();
//     return tx.Insert(entity).status();
//   }));
//
// Thread-safety: a Repository is safe for concurrent use. Reads may run in
// parallel; writes are serialised. A WriteTransaction must only be used inside
// the callback it was passed to, on that thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model_registry/entity.h"
#include "model_registry/filter.h"
#include "model_registry/status.h"

namespace mr {

enum class OrderField { kId, kCreateTime, kLastUpdateTime };

// The position after the last row of a page: its id and its sort-column value.
struct Cursor {
  int64_t id = 0;
  int64_t sort_value = 0;
};

// One list request against storage. All set conditions are ANDed.
struct ListQuery {
  // Kinds to include; all must share one StorageClass. REQUIRES: non-empty.
  std::vector<EntityKind> kinds;
  // The kind whose FieldSpec resolves filter property names.
  EntityKind filter_kind = EntityKind::kRegisteredModel;
  const filter::Expr* filter = nullptr;       // not owned; null means none
  std::optional<int64_t> parent_id;           // parent_id column equals
  std::optional<int64_t> linked_context_id;   // artifacts attached to this context
  std::optional<std::string> name;            // exact name
  std::optional<std::string> external_id;     // exact externalId
  std::optional<std::string> name_contains;   // substring of name (metric history)
  std::optional<std::vector<int64_t>> steps;  // metric `step` in this set
  OrderField order = OrderField::kId;
  bool descending = false;
  int32_t limit = 0;  // 0: no limit
  std::optional<Cursor> after;
};

struct ListPage {
  std::vector<Entity> items;
  bool has_more = false;  // more rows exist after the last item
};

// Reads, either standalone (Repository) or inside a write transaction.
class Reader {
 public:
  virtual ~Reader() = default;

  // Returns the entity with `id` in `storage`.
  // Errors: kNotFound when no such row; kInternal on storage failure.
  virtual Result<Entity> Get(StorageClass storage, int64_t id) = 0;

  // Returns up to query.limit items (all when 0) in the requested order, with
  // `id` as tie-breaker, after `query.after`.
  // Errors: kInvalidArgument for filter names or values that cannot apply;
  // kInternal on storage failure.
  virtual Result<ListPage> List(const ListQuery& query) = 0;

  // Returns the newest entity (by create time) of `kind` whose parent_id is
  // `parent_id`. Errors: kNotFound when there is none.
  virtual Result<Entity> Latest(EntityKind kind, int64_t parent_id) = 0;
};

class WriteTransaction : public Reader {
 public:
  // Returns the wall-clock time in epoch ms, as it is: never advanced by
  // earlier writes, so timestamps cannot run ahead of the clock under load.
  // Several writes may share a millisecond; lists break such ties by id, and
  // the domain keeps each entity's update time increasing (README, "Timestamps").
  virtual int64_t NowMs() = 0;

  // Inserts `entity` (id is assigned and written back) with its fields and
  // custom properties. Errors: kAlreadyExists when the (kind, parent, scope,
  // name) or externalId uniqueness constraint is violated.
  virtual Status Insert(Entity& entity) = 0;

  // Rewrites the stored entity with entity.id: base columns, fields and
  // custom properties. Errors: kNotFound, kAlreadyExists (externalId).
  virtual Status Update(const Entity& entity) = 0;

  // Attaches artifact `artifact_id` to context `context_id`; no-op if linked.
  virtual Status Link(int64_t context_id, int64_t artifact_id) = 0;
};

// One storage statistic for the metrics endpoint, e.g. the commit batches
// of SQLite's group commit or a connection pool's size.
struct StorageStat {
  std::string name;  // snake_case, without a prefix
  std::string help;
  bool counter = false;  // otherwise a gauge
  double value = 0;
};

class Repository : public Reader {
 public:
  // Runs `fn` in one transaction; commits when it returns OK, else rolls
  // back and returns its status. Commit failures return kInternal or
  // kUnavailable. `fn` may be called on another thread than the caller's.
  virtual Status Write(const std::function<Status(WriteTransaction&)>& fn) = 0;

  // Checks connectivity and that the schema is fully migrated.
  virtual Status CheckHealth() = 0;

  // The backend's statistics, for GET /metrics. Thread-safe.
  virtual std::vector<StorageStat> Stats() { return {}; }

  // For shutdown (docs/RELIABILITY.md, "Shutdown"): reads running now or
  // started later end with kUnavailable instead of running to the query
  // timeout; a backend that can cancel a write does so only before it
  // commits, and rolls it back. Thread-safe; may be called while other
  // threads use the repository.
  virtual void InterruptQueries() {}
};

}  // namespace mr
