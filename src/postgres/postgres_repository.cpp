// PostgreSQL implementation of Repository over libpq. Every statement is
// parameterized (PQexecParams, text parameters typed by the server from
// context); SQL is written with '?' placeholders, as src/storage and the filter
// emitter produce it, and numbered ($1, $2, ...) just before it is sent.
// libpq failures become PgError at the statement and a Status at each public
// method: 23505 -> kAlreadyExists, 40001/40P01 -> retried, then kUnavailable;
// 22P02/22003 (a filter value the column type cannot hold) and 22021 (text
// that is not UTF-8) -> kInvalidArgument;
// 57014 (statement_timeout) and lost connections -> kUnavailable.
#include "model_registry/postgres_repository.h"

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "model_registry/entity_spec.h"
#include "postgres/schema.h"
#include "storage/entity_rows.h"

namespace mr {
namespace {

using Param = std::optional<std::string>;
using Params = std::vector<Param>;

// What pg_stat_activity shows for this server's connections (docs/DEPLOYMENT.md).
constexpr char kApplicationName[] = "model-registry";

// Any application-chosen constant; replicas share it to migrate one at a time.
constexpr int64_t kMigrationLockKey = 0x6d72'7265'6769'7374;  // "mregist"

using storage::kEntityColumns;
using storage::Tables;
using storage::TablesFor;

// libpq's messages span lines ("...failed: Connection refused\n\tIs the server
// running..."); the server logs and exits on one line.
std::string OneLine(const char* message) {
  std::string out;
  bool space = false;
  for (const char* p = message; p != nullptr && *p != '\0'; ++p) {
    if (*p == '\n' || *p == '\t' || *p == ' ' || *p == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += *p;
  }
  return out;
}

struct PgError : std::runtime_error {
  PgError(std::string state, const std::string& message)
      : std::runtime_error(message), sqlstate(std::move(state)) {}
  std::string sqlstate;  // empty when the connection failed
};

bool IsRetryable(const PgError& e) { return e.sqlstate == "40001" || e.sqlstate == "40P01"; }

Status Translate(const PgError& e, const Entity* entity = nullptr) {
  if (e.sqlstate == "23505") {
    if (entity != nullptr) {
      return Status::AlreadyExists(std::string(SpecFor(entity->kind).display_name) + " with name " +
                                   entity->name + " already exists");
    }
    return Status::AlreadyExists(e.what());
  }
  if (e.sqlstate == "22P02" || e.sqlstate == "22003") {
    return Status::InvalidArgument(std::string("invalid filter query: ") + e.what());
  }
  if (e.sqlstate == "22021") {  // a value that is not valid UTF-8
    return Status::InvalidArgument(std::string("invalid text: ") + e.what());
  }
  if (e.sqlstate == "57014") {
    return Status::Unavailable(
        "query exceeded the query timeout; narrow the filterQuery or ask "
        "for a smaller pageSize");
  }
  if (e.sqlstate.empty() || IsRetryable(e) || e.sqlstate.rfind("08", 0) == 0 ||
      e.sqlstate.rfind("53", 0) == 0 || e.sqlstate.rfind("57P", 0) == 0) {
    return Status::Unavailable(std::string("database unavailable: ") + e.what());
  }
  return Status::Internal(std::string("database error: ") + e.what());
}

// '?' -> $1, $2, ... outside quoted literals (which only trusted text has).
std::string NumberPlaceholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  bool quoted = false;
  for (char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += '$';
      out += std::to_string(next++);
    } else {
      out += c;
    }
  }
  return out;
}

std::string DoubleText(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  return buf;
}

Param ParamOf(const filter::SqlParam& param) {
  if (const auto* i = std::get_if<int64_t>(&param)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&param)) return DoubleText(*d);
  return std::get<std::string>(param);
}

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
  }
  ~PgConnection() { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  bool healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

  // Runs one parameterized statement written with '?' placeholders.
  ResultPtr Exec(const std::string& sql, const Params& params = {}) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
    std::string numbered = NumberPlaceholders(sql);
    return Check(PQexecParams(conn_, numbered.c_str(), static_cast<int>(values.size()), nullptr,
                              values.data(), nullptr, nullptr, 0));
  }

  // Runs trusted text that may hold several statements (migrations, BEGIN).
  void ExecScript(const char* sql) { Check(PQexec(conn_, sql)); }

 private:
  ResultPtr Check(PGresult* raw) {
    ResultPtr result(raw, PQclear);
    ExecStatusType status = raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    const char* state = raw == nullptr ? nullptr : PQresultErrorField(raw, PG_DIAG_SQLSTATE);
    const char* message = raw == nullptr ? PQerrorMessage(conn_) : PQresultErrorMessage(raw);
    throw PgError(state == nullptr ? "" : state, OneLine(message));
  }

  PGconn* conn_;
};

int64_t Int64At(const PGresult* r, int row, int col) {
  return std::strtoll(PQgetvalue(r, row, col), nullptr, 10);
}

class PgQueries {
 public:
  explicit PgQueries(PgConnection& conn) : conn_(conn) {}

  Result<Entity> Get(StorageClass storage, int64_t id) {
    ResultPtr r = conn_.Exec(std::string("SELECT ") + kEntityColumns + " FROM " +
                                 TablesFor(storage).entity + " e WHERE e.id = ?",
                             {std::to_string(id)});
    if (PQntuples(r.get()) == 0) return Status::NotFound("no entity with id " + std::to_string(id));
    std::vector<Entity> rows{ReadEntity(r.get(), 0)};
    LoadProperties(storage, rows);
    return std::move(rows.front());
  }

  Result<ListPage> List(const ListQuery& q) {
    StorageClass storage = StorageOf(q.kinds.front());
    storage::ListDialect dialect;
    dialect.filter = &FilterDialect();
    dialect.substring_position = "strpos";
    // Untyped parameters in a row comparison would be resolved as text.
    dialect.int_placeholder = "?::bigint";
    // Keeps the property lookups (EXISTS) correlated subplans, checked per
    // row as the page is walked in order: pulled up into semi-joins, 100 of
    // them took PostgreSQL 15 over 10 s to plan (docs/DEPLOYMENT.md).
    dialect.filter_suffix = " IS TRUE";
    MR_ASSIGN_OR_RETURN(filter::SqlFragment select, storage::ListSql(q, dialect));
    const std::string& sql = select.text;
    const std::vector<filter::SqlParam>& params = select.params;
    Params text;
    text.reserve(params.size());
    for (const auto& p : params) text.push_back(ParamOf(p));
    ResultPtr r = conn_.Exec(sql, text);
    ListPage page;
    for (int i = 0; i < PQntuples(r.get()); ++i) page.items.push_back(ReadEntity(r.get(), i));
    if (q.limit > 0 && page.items.size() > static_cast<size_t>(q.limit)) {
      page.items.pop_back();
      page.has_more = true;
    }
    LoadProperties(storage, page.items);
    return page;
  }

  Result<Entity> Latest(EntityKind kind, int64_t parent_id) {
    StorageClass storage = StorageOf(kind);
    ResultPtr r =
        conn_.Exec(std::string("SELECT ") + kEntityColumns + " FROM " + TablesFor(storage).entity +
                       " e WHERE e.type_id = ? AND e.parent_id = ? "
                       "ORDER BY e.create_time DESC, e.id DESC LIMIT 1",
                   {std::to_string(static_cast<int>(kind)), std::to_string(parent_id)});
    if (PQntuples(r.get()) == 0) return Status::NotFound("no entity found");
    std::vector<Entity> rows{ReadEntity(r.get(), 0)};
    LoadProperties(storage, rows);
    return std::move(rows.front());
  }

  // Returns false when a uniqueness constraint kept the row out. ON CONFLICT
  // DO NOTHING leaves the transaction usable, unlike a 23505 error.
  bool Insert(Entity& entity) {
    Tables t = TablesFor(StorageOf(entity.kind));
    ResultPtr r = conn_.Exec(
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
    ResultPtr r = conn_.Exec(std::string("UPDATE ") + t.entity +
                                 " SET external_id = ?, description = ?, update_time = ? "
                                 "WHERE id = ?",
                             {entity.external_id, entity.description,
                              std::to_string(entity.update_time_ms), std::to_string(entity.id)});
    if (std::string(PQcmdTuples(r.get())) == "0") return false;
    conn_.Exec(std::string("DELETE FROM ") + t.property + " WHERE owner_id = ?",
               {std::to_string(entity.id)});
    WriteProperties(entity);
    return true;
  }

  void Link(int64_t context_id, int64_t artifact_id) {
    conn_.Exec(
        "INSERT INTO attribution (context_id, artifact_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        {std::to_string(context_id), std::to_string(artifact_id)});
  }

  static const filter::SqlDialect& FilterDialect() {
    static const filter::SqlDialect kDialect{
        [](std::string_view expression, std::string_view pattern, bool case_insensitive,
           filter::SqlFragment& out) {
          out.text += expression;
          // PostgreSQL's LIKE escape is the backslash by default.
          out.text += case_insensitive ? " ILIKE ?" : " LIKE ?";
          out.params.emplace_back(filter::NormalizeLikePattern(pattern));
        },
        "FALSE"};
    return kDialect;
  }

 private:
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
        conn_.Exec(std::string("SELECT owner_id, is_custom, name, value_type, "
                               "string_value, int_value, double_value, bool_value FROM ") +
                       TablesFor(storage).property + " WHERE owner_id = ANY(?::bigint[])",
                   {ids});
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      auto it = by_id.find(Int64At(r.get(), i, 0));
      if (it == by_id.end()) continue;
      storage::PropertyRow row;
      row.is_custom = Int64At(r.get(), i, 1) != 0;
      row.name = PQgetvalue(r.get(), i, 2);
      row.type = static_cast<MetadataValue::Type>(Int64At(r.get(), i, 3));
      row.string_value = PQgetvalue(r.get(), i, 4);
      row.int_value = Int64At(r.get(), i, 5);
      row.double_value = std::strtod(PQgetvalue(r.get(), i, 6), nullptr);
      row.bool_value = Int64At(r.get(), i, 7) != 0;
      storage::ApplyPropertyRow(row, *it->second);
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
    conn_.Exec(sql, params);
  }

  PgConnection& conn_;
};

int64_t SystemClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class PgWriteTransaction : public WriteTransaction {
 public:
  PgWriteTransaction(PgConnection& conn, const std::function<int64_t()>& clock_ms)
      : queries_(conn), clock_ms_(clock_ms) {}

  // Set when a statement failed with a serialization failure or deadlock:
  // the whole transaction is then run again.
  bool must_retry() const { return must_retry_; }

  Result<Entity> Get(StorageClass storage, int64_t id) override {
    return Run<Entity>([&] { return queries_.Get(storage, id); });
  }
  Result<ListPage> List(const ListQuery& query) override {
    return Run<ListPage>([&] { return queries_.List(query); });
  }
  Result<Entity> Latest(EntityKind kind, int64_t parent_id) override {
    return Run<Entity>([&] { return queries_.Latest(kind, parent_id); });
  }
  int64_t NowMs() override { return clock_ms_ ? clock_ms_() : SystemClockMs(); }
  Status Insert(Entity& entity) override {
    return Run<bool>(
               [&]() -> Result<bool> {
                 if (queries_.Insert(entity)) return true;
                 return Status::AlreadyExists(std::string(SpecFor(entity.kind).display_name) +
                                              " with name " + entity.name + " already exists");
               },
               &entity)
        .status();
  }
  Status Update(const Entity& entity) override {
    return Run<bool>(
               [&]() -> Result<bool> {
                 if (queries_.Update(entity)) return true;
                 return Status::NotFound("no entity with id " + std::to_string(entity.id));
               },
               &entity)
        .status();
  }
  Status Link(int64_t context_id, int64_t artifact_id) override {
    return Run<bool>([&]() -> Result<bool> {
             queries_.Link(context_id, artifact_id);
             return true;
           })
        .status();
  }

 private:
  template <typename T, typename Fn>
  Result<T> Run(Fn fn, const Entity* entity = nullptr) {
    try {
      return fn();
    } catch (const PgError& e) {
      if (IsRetryable(e)) must_retry_ = true;
      return Translate(e, entity);
    }
  }

  PgQueries queries_;
  const std::function<int64_t()>& clock_ms_;
  bool must_retry_ = false;
};

class PostgresRepository : public Repository {
 public:
  explicit PostgresRepository(const PostgresOptions& options) : options_(options) {}

  Status Open() {
    char* error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(options_.conninfo.c_str(), &error);
    if (parsed == nullptr) {
      Status status = Status::InvalidArgument("invalid database URL: " +
                                              OneLine(error != nullptr ? error : "out of memory"));
      PQfreemem(error);
      return status;
    }
    PQconninfoFree(parsed);
    try {
      Result<std::unique_ptr<PgConnection>> connected = Connect();
      for (int attempt = 1; !connected.ok(); ++attempt) {
        if (!options_.retry_connect || !options_.retry_connect(attempt, connected.status())) {
          return connected.status();
        }
        connected = Connect();
      }
      std::unique_ptr<PgConnection> conn = std::move(*connected);
      MR_RETURN_IF_ERROR(Migrate(*conn));
      std::lock_guard<std::mutex> lock(pool_mu_);
      ++open_;
      idle_.push_back(std::move(conn));
      return Status::Ok();
    } catch (const PgError& e) {
      return Status::Unavailable("cannot migrate the database: " + std::string(e.what()));
    }
  }

  Result<Entity> Get(StorageClass storage, int64_t id) override {
    return Read<Entity>([&](PgQueries& q) { return q.Get(storage, id); });
  }
  Result<ListPage> List(const ListQuery& query) override {
    return Read<ListPage>([&](PgQueries& q) { return q.List(query); });
  }
  Result<Entity> Latest(EntityKind kind, int64_t parent_id) override {
    return Read<Entity>([&](PgQueries& q) { return q.Latest(kind, parent_id); });
  }

  Status Write(const std::function<Status(WriteTransaction&)>& fn) override {
    MR_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Acquire());
    Status status;
    for (int attempt = 1;; ++attempt) {
      bool retry = false;
      try {
        conn->ExecScript("BEGIN ISOLATION LEVEL REPEATABLE READ");
        PgWriteTransaction tx(*conn, options_.clock_ms);
        status = fn(tx);
        retry = tx.must_retry();
        if (status.ok() && !retry) {
          conn->ExecScript("COMMIT");
        } else {
          conn->ExecScript("ROLLBACK");
        }
      } catch (const PgError& e) {
        retry = IsRetryable(e);
        status = Translate(e);
        try {
          if (conn->healthy()) conn->ExecScript("ROLLBACK");
        } catch (const PgError&) {
        }
      } catch (const std::exception& e) {
        status = Status::Internal(e.what());
        try {
          if (conn->healthy()) conn->ExecScript("ROLLBACK");
        } catch (const PgError&) {
        }
      }
      if (!retry || attempt >= options_.max_write_attempts || !conn->healthy()) break;
      BackOff(attempt);
    }
    Release(std::move(conn));
    return status;
  }

  Status CheckHealth() override {
    return Read<bool>([&](PgQueries&) -> Result<bool> { return true; }, /*check_schema=*/true)
        .status();
  }

 private:
  // A looked-up value that is not valid UTF-8 (22021) cannot be stored, so a
  // read for it finds nothing, as on SQLite.
  static bool NothingMatches(const PgError& e) { return e.sqlstate == "22021"; }
  template <typename T>
  static Result<T> NoMatch() {
    if constexpr (std::is_same_v<T, ListPage>) {
      return ListPage{};
    } else {
      return Status::NotFound("no entity found");
    }
  }

  // Sleeps a random time below min(2^attempt, 64) ms, so that transactions
  // that collided on one row do not collide again in lockstep.
  static void BackOff(int attempt) {
    thread_local std::mt19937 random(std::random_device{}());
    const int ceiling_ms = 1 << std::min(attempt, 6);
    std::uniform_int_distribution<int> delay_us(0, ceiling_ms * 1000);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
  }

  // Runs `fn` in a read-only REPEATABLE READ transaction, so that a page and
  // its properties come from one snapshot.
  template <typename T, typename Fn>
  Result<T> Read(Fn fn, bool check_schema = false) {
    MR_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Acquire());
    Result<T> result = Status::Internal("unset");
    try {
      conn->ExecScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      bool schema_ok = true;
      if (check_schema) {
        ResultPtr r = conn->Exec(
            "SELECT coalesce(max(version), 0), coalesce(sum(dirty), 0) "
            "FROM schema_migrations");
        schema_ok =
            Int64At(r.get(), 0, 0) == LatestPostgresSchemaVersion() && Int64At(r.get(), 0, 1) == 0;
        if (!schema_ok) result = Status::Unavailable("database schema is not fully migrated");
      }
      if (schema_ok) {
        PgQueries q(*conn);
        result = fn(q);
      }
      conn->ExecScript("COMMIT");
    } catch (const PgError& e) {
      result = NothingMatches(e) ? NoMatch<T>() : Result<T>(Translate(e));
      try {
        if (conn->healthy()) conn->ExecScript("ROLLBACK");
      } catch (const PgError&) {
      }
    }
    Release(std::move(conn));
    return result;
  }

  Result<std::unique_ptr<PgConnection>> Connect() {
    // connect_timeout comes before dbname: a value in the URL overrides it.
    // The fallback application_name (unless the URL sets one) names this
    // server's sessions in pg_stat_activity.
    const std::string timeout = std::to_string(options_.connect_timeout_seconds);
    const char* keys[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
    const char* values[] = {timeout.c_str(), kApplicationName, options_.conninfo.c_str(), nullptr};
    PGconn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    auto conn = std::make_unique<PgConnection>(raw);
    if (raw == nullptr || !conn->healthy()) {
      return Status::Unavailable("cannot connect to the database: " +
                                 OneLine(raw == nullptr ? "out of memory" : PQerrorMessage(raw)));
    }
    try {
      conn->ExecScript(
          ("SET statement_timeout = " + std::to_string(options_.query_timeout_ms)).c_str());
    } catch (const PgError& e) {
      return Translate(e);
    }
    return conn;
  }

  // Takes an idle connection, opens a new one while fewer than
  // max_connections are open, or waits up to acquire_timeout_ms for one.
  Result<std::unique_ptr<PgConnection>> Acquire() {
    std::unique_lock<std::mutex> lock(pool_mu_);
    bool free =
        pool_cv_.wait_for(lock, std::chrono::milliseconds(options_.acquire_timeout_ms),
                          [&] { return !idle_.empty() || open_ < options_.max_connections; });
    if (!free) {
      return Status::Unavailable("all " + std::to_string(options_.max_connections) +
                                 " database connections stayed busy for " +
                                 std::to_string(options_.acquire_timeout_ms) + " ms");
    }
    if (!idle_.empty()) {
      std::unique_ptr<PgConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    ++open_;
    lock.unlock();
    Result<std::unique_ptr<PgConnection>> conn = Connect();
    if (!conn.ok()) {
      std::lock_guard<std::mutex> relock(pool_mu_);
      --open_;
      pool_cv_.notify_one();
    }
    return conn;
  }

  // Returns `conn` to the pool, or closes it when its session is broken.
  void Release(std::unique_ptr<PgConnection> conn) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (conn->healthy()) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
    pool_cv_.notify_one();
  }

  // Applies pending migrations, each in its own transaction with its
  // schema_migrations row, holding a session advisory lock so that processes
  // starting together apply each migration once.
  Status Migrate(PgConnection& conn) {
    conn.Exec("SELECT pg_advisory_lock(?::bigint)", {std::to_string(kMigrationLockKey)});
    Status status;
    try {
      conn.ExecScript(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
          "name TEXT NOT NULL, dirty INTEGER NOT NULL DEFAULT 0, applied_at BIGINT NOT NULL)");
      ResultPtr r = conn.Exec("SELECT coalesce(max(version), 0) FROM schema_migrations");
      int current = static_cast<int>(Int64At(r.get(), 0, 0));
      if (current > LatestPostgresSchemaVersion()) {
        status = Status::Unavailable("database schema version " + std::to_string(current) +
                                     " is newer than this binary supports (" +
                                     std::to_string(LatestPostgresSchemaVersion()) + ")");
      }
      for (const postgres::Migration& m : postgres::Migrations()) {
        if (!status.ok() || m.version <= current) continue;
        conn.ExecScript("BEGIN");
        try {
          conn.ExecScript(m.sql);
          conn.Exec(
              "INSERT INTO schema_migrations (version, name, dirty, applied_at) "
              "VALUES (?, ?, 0, ?)",
              {std::to_string(m.version), std::string(m.name), std::to_string(SystemClockMs())});
          conn.ExecScript("COMMIT");
        } catch (const PgError&) {
          conn.ExecScript("ROLLBACK");
          throw;
        }
      }
    } catch (const PgError& e) {
      status = Status::Unavailable("cannot migrate the database: " + std::string(e.what()));
    }
    conn.Exec("SELECT pg_advisory_unlock(?::bigint)", {std::to_string(kMigrationLockKey)});
    return status;
  }

  const PostgresOptions options_;
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;                  // a connection was released
  std::vector<std::unique_ptr<PgConnection>> idle_;  // guarded by pool_mu_
  int open_ = 0;                                     // guarded by pool_mu_
};

}  // namespace

int LatestPostgresSchemaVersion() { return postgres::Migrations().back().version; }

Result<std::unique_ptr<Repository>> OpenPostgresRepository(const PostgresOptions& options) {
  if (options.max_connections < 1) {
    return Status::InvalidArgument("the database connection limit must be at least 1");
  }
  auto repo = std::make_unique<PostgresRepository>(options);
  MR_RETURN_IF_ERROR(repo->Open());
  return std::unique_ptr<Repository>(std::move(repo));
}

}  // namespace mr
