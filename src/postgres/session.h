// The libpq session of the PostgreSQL backend, shared by the repository
// (postgres_repository.cpp) and the admin store (admin_store.cpp): one
// connection with '?'-placeholder statements, libpq errors as PgError and their
// Status, the entity and property queries, connecting, and the migrations.
//
// Thread-safety: a PgConnection and the PgQueries over it are used by one
// thread at a time.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/blocking.h"
#include "common/double_text.h"
#include "model_registry/admin_store.h"
#include "model_registry/entity_spec.h"
#include "model_registry/postgres_repository.h"
#include "postgres/list_dialect.h"
#include "storage/entity_rows.h"

namespace mr::postgres {

using Param = std::optional<std::string>;
using Params = std::vector<Param>;

using storage::kEntityColumns;
using storage::Tables;
using storage::TablesFor;

// libpq's messages span lines ("...failed: Connection refused\n\tIs the server
// running..."); the server logs and exits on one line.
std::string OneLine(const char* message);

struct PgError : std::runtime_error {
  PgError(std::string state, const std::string& message)
      : std::runtime_error(message), sqlstate(std::move(state)) {}
  std::string sqlstate;  // empty when the connection failed
};

bool IsRetryable(const PgError& e);

// The Status of a failed statement (the mapping is listed at the top of
// postgres_repository.cpp); `entity` names the entity a 23505 was about.
Status Translate(const PgError& e, const Entity* entity = nullptr);

// '?' -> $1, $2, ... outside quoted literals (which only trusted text has).
std::string NumberPlaceholders(const std::string& sql);

Param ParamOf(const filter::SqlParam& param);
Params ParamsOf(const std::vector<filter::SqlParam>& params);

using ResultPtr = std::unique_ptr<PGresult, void (*)(PGresult*)>;

// One libpq connection. Used by one thread at a time (the pool guarantees it).
class PgConnection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {
    // Notices ("relation already exists, skipping") are not errors; libpq
    // would print each one to stderr.
    if (conn_ != nullptr)
      PQsetNoticeProcessor(
          conn_, [](void*, const char*) {}, nullptr);
    if (conn_ != nullptr) cancel_ = PQgetCancel(conn_);
  }
  ~PgConnection() {
    if (cancel_ != nullptr) PQfreeCancel(cancel_);
    PQfinish(conn_);
  }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  bool healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

  // Every Exec and ExecScript from now on adds one to `statements` (the
  // repository's statements_total metric: round trips to the server).
  void CountStatementsIn(std::atomic<uint64_t>* statements) { statements_ = statements; }

  // Runs one parameterized statement written with '?' placeholders.
  ResultPtr Exec(const std::string& sql, const Params& params = {}) {
    Count();
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
    std::string numbered = NumberPlaceholders(sql);
    ScopedBlocking round_trip;
    return Check(PQexecParams(conn_, numbered.c_str(), static_cast<int>(values.size()), nullptr,
                              values.data(), nullptr, nullptr, 0));
  }

  // Runs `sql` (fixed text: the hot statements whose text does not depend on
  // the request) as a prepared statement of this session: parsed once per
  // connection (PQprepare) and then executed by name, which saves the server
  // parsing and planning it on every call (docs/BENCHMARKS.md, "Prepared
  // statements"). A prepare is a round trip of its own but runs nothing, so
  // it is not counted as a statement. Beyond kMaxPrepared texts the statement
  // runs unprepared.
  ResultPtr ExecPrepared(const std::string& sql, const Params& params = {}) {
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
      if (prepared_.size() >= kMaxPrepared) return Exec(sql, params);
      std::string name = "mr" + std::to_string(prepared_.size() + 1);
      ScopedBlocking round_trip;
      Check(PQprepare(conn_, name.c_str(), NumberPlaceholders(sql).c_str(), 0, nullptr));
      it = prepared_.emplace(sql, std::move(name)).first;
    }
    Count();
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
    ScopedBlocking round_trip;
    return Check(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()),
                                values.data(), nullptr, nullptr, 0));
  }

  // Runs trusted text that may hold several statements (migrations, BEGIN).
  void ExecScript(const char* sql) {
    Count();
    ScopedBlocking round_trip;
    Check(PQexec(conn_, sql));
  }

  // Asks the server to cancel the statement running now, if any (57014); safe
  // from another thread while this one waits in Exec.
  void Cancel() {
    char error[256];
    if (cancel_ != nullptr) PQcancel(cancel_, error, sizeof error);
  }

 private:
  void Count() {
    if (statements_ != nullptr) statements_->fetch_add(1, std::memory_order_relaxed);
  }

  ResultPtr Check(PGresult* raw) {
    ResultPtr result(raw, PQclear);
    ExecStatusType status = raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    const char* state = raw == nullptr ? nullptr : PQresultErrorField(raw, PG_DIAG_SQLSTATE);
    const char* message = raw == nullptr ? PQerrorMessage(conn_) : PQresultErrorMessage(raw);
    throw PgError(state == nullptr ? "" : state, OneLine(message));
  }

  // Distinct fixed texts are few (a few per storage class, and property
  // INSERTs by their row count); the bound keeps a session's memory bounded.
  static constexpr size_t kMaxPrepared = 128;

  PGconn* conn_;
  PGcancel* cancel_ = nullptr;
  std::atomic<uint64_t>* statements_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

inline int64_t Int64At(const PGresult* r, int row, int col) {
  return std::strtoll(PQgetvalue(r, row, col), nullptr, 10);
}

class PgQueries {
 public:
  explicit PgQueries(PgConnection& conn) : conn_(conn) {}

  // One statement (so one snapshot, without a transaction around it): the
  // entity joined with its property rows.
  Result<Entity> Get(StorageClass storage, int64_t id) {
    Tables t = TablesFor(storage);
    ResultPtr r = conn_.ExecPrepared(
        std::string("SELECT ") + kEntityColumns + ", " + kJoinedPropertyColumns + " FROM " +
            t.entity + " e LEFT JOIN " + t.property + " p ON p.owner_id = e.id WHERE e.id = ?",
        {std::to_string(id)});
    if (PQntuples(r.get()) == 0) return Status::NotFound("no entity with id " + std::to_string(id));
    return ReadEntityWithProperties(r.get());
  }

  Result<ListPage> List(const ListQuery& q) {
    StorageClass storage = StorageOf(q.kinds.front());
    MR_ASSIGN_OR_RETURN(filter::SqlFragment select,
                        storage::ChooseListSql(q, ListDialect(), [&](const filter::SqlFragment& f) {
                          ResultPtr count = conn_.Exec(f.text, ParamsOf(f.params));
                          return Int64At(count.get(), 0, 0);
                        }));
    ResultPtr r = conn_.Exec(select.text, ParamsOf(select.params));
    ListPage page;
    for (int i = 0; i < PQntuples(r.get()); ++i) page.items.push_back(ReadEntity(r.get(), i));
    storage::TrimToPage(page, q.limit);
    // Not joined into the page's statement: repeating the entity columns on
    // every property row made a page of 100 versions cost PostgreSQL more
    // than this second statement does (docs/BENCHMARKS.md).
    LoadProperties(storage, page.items);
    return page;
  }

  Result<Entity> Latest(EntityKind kind, int64_t parent_id) {
    Tables t = TablesFor(StorageOf(kind));
    ResultPtr r =
        conn_.ExecPrepared(std::string("SELECT ") + kEntityColumns + ", " + kJoinedPropertyColumns +
                               " FROM (SELECT " + kEntityColumns + " FROM " + t.entity +
                               " e WHERE e.type_id = ? AND e.parent_id = ? "
                               "ORDER BY e.create_time DESC, e.id DESC LIMIT 1) e LEFT JOIN " +
                               t.property + " p ON p.owner_id = e.id",
                           {std::to_string(static_cast<int>(kind)), std::to_string(parent_id)});
    if (PQntuples(r.get()) == 0) return Status::NotFound("no entity found");
    return ReadEntityWithProperties(r.get());
  }

  // Returns false when a uniqueness constraint kept the row out. ON CONFLICT
  // DO NOTHING leaves the transaction usable, unlike a 23505 error.
  bool Insert(Entity& entity) {
    Tables t = TablesFor(StorageOf(entity.kind));
    ResultPtr r = conn_.ExecPrepared(
        std::string("INSERT INTO ") + t.entity +
            " (type_id, parent_id, name_scope, name, external_id, description, create_time, "
            "update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
        {std::to_string(static_cast<int>(entity.kind)), std::to_string(entity.parent_id),
         entity.name_scope, entity.name, entity.external_id, entity.description,
         std::to_string(entity.create_time_ms), std::to_string(entity.update_time_ms)});
    if (PQntuples(r.get()) == 0) return false;
    entity.id = Int64At(r.get(), 0, 0);
    WriteProperties(entity);
    return true;
  }

  bool Update(const Entity& entity) {
    Tables t = TablesFor(StorageOf(entity.kind));
    ResultPtr r =
        conn_.ExecPrepared(std::string("UPDATE ") + t.entity +
                               " SET external_id = ?, description = ?, update_time = ? "
                               "WHERE id = ?",
                           {entity.external_id, entity.description,
                            std::to_string(entity.update_time_ms), std::to_string(entity.id)});
    if (std::string(PQcmdTuples(r.get())) == "0") return false;
    conn_.ExecPrepared(std::string("DELETE FROM ") + t.property + " WHERE owner_id = ?",
                       {std::to_string(entity.id)});
    WriteProperties(entity);
    return true;
  }

  void Link(int64_t context_id, int64_t artifact_id) {
    conn_.ExecPrepared(
        "INSERT INTO attribution (context_id, artifact_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        {std::to_string(context_id), std::to_string(artifact_id)});
  }

  // Admin access (admin_store.h): up to `limit` entities of `storage` with
  // ids above `after`, in id order, with their properties.
  std::vector<Entity> EntitiesAfter(StorageClass storage, int64_t after, int64_t limit) {
    ResultPtr r =
        conn_.Exec(std::string("SELECT ") + kEntityColumns + " FROM " + TablesFor(storage).entity +
                       " e WHERE e.id > ?::bigint ORDER BY e.id LIMIT ?::bigint",
                   {std::to_string(after), std::to_string(limit)});
    std::vector<Entity> rows;
    for (int i = 0; i < PQntuples(r.get()); ++i) rows.push_back(ReadEntity(r.get(), i));
    LoadProperties(storage, rows);
    return rows;
  }

  // Inserts `entity` with its own id (Insert takes one from the sequence).
  // Returns false when the id is taken; a taken name throws (23505).
  bool InsertVerbatim(const Entity& entity) {
    Tables t = TablesFor(StorageOf(entity.kind));
    ResultPtr r = conn_.Exec(
        std::string("INSERT INTO ") + t.entity +
            " (id, type_id, parent_id, name_scope, name, external_id, description, create_time, "
            "update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING "
            "RETURNING id",
        {std::to_string(entity.id), std::to_string(static_cast<int>(entity.kind)),
         std::to_string(entity.parent_id), entity.name_scope, entity.name, entity.external_id,
         entity.description, std::to_string(entity.create_time_ms),
         std::to_string(entity.update_time_ms)});
    if (PQntuples(r.get()) == 0) return false;
    WriteProperties(entity);
    return true;
  }

 private:
  // The property columns after kEntityColumns in a statement that joins the
  // property table (aliased p) to one entity; NULL when it has none.
  static constexpr const char* kJoinedPropertyColumns =
      "p.is_custom, p.name, p.value_type, p.string_value, p.int_value, p.double_value, "
      "p.bool_value";
  static constexpr int kJoinedPropertyFirstColumn = 9;

  // The entity of row 0 with the property of every row applied (a NULL
  // property name: the entity has no property rows).
  static Entity ReadEntityWithProperties(const PGresult* r) {
    Entity entity = ReadEntity(r, 0);
    for (int i = 0; i < PQntuples(r); ++i) {
      if (PQgetisnull(r, i, kJoinedPropertyFirstColumn + 1)) continue;
      storage::ApplyPropertyRow(ReadPropertyRow(r, i, kJoinedPropertyFirstColumn), entity);
    }
    return entity;
  }

  // The property row of columns is_custom, name, value_type, string_value,
  // int_value, double_value, bool_value from column `first` on.
  static storage::PropertyRow ReadPropertyRow(const PGresult* r, int i, int first) {
    storage::PropertyRow row;
    row.is_custom = Int64At(r, i, first) != 0;
    row.name = PQgetvalue(r, i, first + 1);
    row.type = static_cast<MetadataValue::Type>(Int64At(r, i, first + 2));
    row.string_value = PQgetvalue(r, i, first + 3);
    row.int_value = Int64At(r, i, first + 4);
    row.double_value = std::strtod(PQgetvalue(r, i, first + 5), nullptr);
    row.bool_value = Int64At(r, i, first + 6) != 0;
    return row;
  }

  static Entity ReadEntity(const PGresult* r, int row) {
    Entity e;
    e.id = Int64At(r, row, 0);
    e.kind = static_cast<EntityKind>(Int64At(r, row, 1));
    e.parent_id = Int64At(r, row, 2);
    e.name_scope = PQgetvalue(r, row, 3);
    e.name = PQgetvalue(r, row, 4);
    if (!PQgetisnull(r, row, 5)) e.external_id = PQgetvalue(r, row, 5);
    if (!PQgetisnull(r, row, 6)) e.description = PQgetvalue(r, row, 6);
    e.create_time_ms = Int64At(r, row, 7);
    e.update_time_ms = Int64At(r, row, 8);
    storage::FillParentFields(e);
    return e;
  }

  // One statement for the properties of all `rows`, whatever their number.
  void LoadProperties(StorageClass storage, std::vector<Entity>& rows) {
    if (rows.empty()) return;
    std::unordered_map<int64_t, Entity*> by_id;
    std::string ids = "{";
    for (Entity& e : rows) {
      by_id[e.id] = &e;
      if (ids.size() > 1) ids += ',';
      ids += std::to_string(e.id);
    }
    ids += '}';
    ResultPtr r =
        conn_.ExecPrepared(std::string("SELECT owner_id, is_custom, name, value_type, "
                                       "string_value, int_value, double_value, bool_value FROM ") +
                               TablesFor(storage).property + " WHERE owner_id = ANY(?::bigint[])",
                           {ids});
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      auto it = by_id.find(Int64At(r.get(), i, 0));
      if (it == by_id.end()) continue;
      storage::ApplyPropertyRow(ReadPropertyRow(r.get(), i, 1), *it->second);
    }
  }

  // One multi-row INSERT for all of the entity's properties.
  void WriteProperties(const Entity& entity) {
    std::vector<storage::PropertyRow> rows = storage::PropertyRowsOf(entity);
    if (rows.empty()) return;
    std::string sql = std::string("INSERT INTO ") + TablesFor(StorageOf(entity.kind)).property +
                      " (owner_id, is_custom, name, value_type, string_value, int_value, "
                      "double_value, bool_value) VALUES ";
    Params params;
    const std::string owner = std::to_string(entity.id);
    for (size_t i = 0; i < rows.size(); ++i) {
      const storage::PropertyRow& row = rows[i];
      sql += i == 0 ? "(?, ?, ?, ?, ?, ?::bigint, ?::double precision, ?::integer)"
                    : ", (?, ?, ?, ?, ?, ?::bigint, ?::double precision, ?::integer)";
      params.push_back(owner);
      params.push_back(row.is_custom ? "1" : "0");
      params.push_back(row.name);
      params.push_back(std::to_string(static_cast<int>(row.type)));
      Param str, integer, dbl, boolean;
      switch (row.type) {
        case MetadataValue::Type::kInt:
          integer = std::to_string(row.int_value);
          break;
        case MetadataValue::Type::kDouble:
          dbl = DoubleText(row.double_value);
          break;
        case MetadataValue::Type::kBool:
          boolean = row.bool_value ? "1" : "0";
          break;
        default:
          str = row.string_value;
      }
      params.push_back(str);
      params.push_back(integer);
      params.push_back(dbl);
      params.push_back(boolean);
    }
    // One text per row count: entities with a few properties share them.
    if (rows.size() <= kMaxPreparedPropertyRows) {
      conn_.ExecPrepared(sql, params);
    } else {
      conn_.Exec(sql, params);
    }
  }

  static constexpr size_t kMaxPreparedPropertyRows = 16;

  PgConnection& conn_;
};

int64_t SystemClockMs();

// Errors: kInvalidArgument ("invalid database URL: ...") when libpq cannot
// parse `conninfo`.
Status CheckConninfo(const std::string& conninfo);

// Opens one session with the options' connect and statement timeouts.
// Errors: kUnavailable with libpq's message on one line.
Result<std::unique_ptr<PgConnection>> Connect(const PostgresOptions& options);

// The session advisory lock Migrate holds: any application-chosen constant;
// replicas share it to migrate one at a time.
inline constexpr int64_t kMigrationLockKey = 0x6d72'7265'6769'7374;  // "mregist"

// Applies pending migrations, each in its own transaction with its
// schema_migrations row, holding a session advisory lock so that processes
// starting together apply each migration once.
// Errors: kUnavailable when a migration fails or the schema is newer than
// this binary's.
Result<MigrationReport> Migrate(PgConnection& conn);

}  // namespace mr::postgres
