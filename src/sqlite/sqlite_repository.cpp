// SQLite implementation of Repository. SQLiteCpp throws; every public method
// catches at this boundary and translates (UNIQUE -> kAlreadyExists, BUSY ->
// kUnavailable, anything else -> kInternal with SQLite's message).
#include "model_registry/sqlite_repository.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/blocking.h"
#include "model_registry/entity_spec.h"
#include "sqlite/filter_dialect.h"
#include "sqlite/schema.h"
#include "storage/entity_rows.h"

namespace mr {
namespace {

using filter::SqlParam;

// SQLite's memory statistics take a process-wide mutex on every allocation
// (~7 per GET by id, contended across worker threads); nothing here reads
// them. Must run before SQLite initializes, hence a static initializer.
[[maybe_unused]] const bool kMemoryStatisticsOff =
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;

using storage::kEntityColumns;
using storage::Tables;
using storage::TablesFor;

// The unary '+' keeps the planner off the type index when several kinds are
// listed: walking it once per kind and sorting the union read every artifact
// for each page. Walking rowid (or a time index) in order stops at the page
// limit.
storage::ListDialect ListDialect() {
  storage::ListDialect dialect;
  dialect.filter = &sqlite::FilterDialect();
  dialect.kinds_column = "+e.type_id";
  dialect.driven_kinds_column = "+e.type_id";
  dialect.substring_position = "instr";
  return dialect;
}

// One SQLite connection with its prepared-statement cache. Used by one thread
// at a time (the pool or the write mutex guarantees it). Every statement it
// runs through Prepare() or Exec() is counted in `statements` (when given),
// the repository's statements_total metric.
class Connection {
 public:
  Connection(const std::string& path, int flags, int busy_timeout_ms,
             std::atomic<uint64_t>* statements = nullptr)
      : statements_(statements), db_(path, flags | SQLite::OPEN_NOMUTEX) {
    db_.setBusyTimeout(busy_timeout_ms);
    Exec("PRAGMA foreign_keys = ON");
    // Statement and savepoint journals stay in memory: otherwise each write
    // batch spills its savepoint journal to a new temp file (open, unlink,
    // pwrite, pread). See docs/BENCHMARKS.md.
    Exec("PRAGMA temp_store = MEMORY");
    // The pool opens one reader per concurrent request; at the default 2 MiB
    // page cache each, 64 readers held ~109 MiB after load, 88 MiB at 1 MiB
    // with the same CPU per request. 256 KiB (38 MiB) made a list of 100 over
    // 1M versions cost 50% more CPU (docs/BENCHMARKS.md).
    if ((flags & SQLite::OPEN_READONLY) != 0) Exec("PRAGMA cache_size = -1024");
    sqlite3_progress_handler(db_.getHandle(), kProgressOps, &Connection::PastDeadline, this);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  SQLite::Database& db() { return db_; }

  // Statements after this call are interrupted (SQLITE_INTERRUPT) once
  // `deadline` has passed or `*interrupted` (when given) is true;
  // ClearDeadline() lifts both.
  void SetDeadline(std::chrono::steady_clock::time_point deadline,
                   const std::atomic<bool>* interrupted = nullptr) {
    deadline_ = deadline;
    interrupted_ = interrupted;
  }
  void ClearDeadline() {
    deadline_ = std::chrono::steady_clock::time_point::max();
    interrupted_ = nullptr;
  }

  // Bounds the cache. REQUIRES: no statement from Prepare() is in use, so
  // callers invoke it only between requests (eviction inside Prepare freed
  // statements that an enclosing call still held).
  void TrimCache() {
    if (cache_.size() > kMaxCachedStatements) cache_.clear();
  }

  // Runs trusted text without result rows, counted as one statement.
  void Exec(const std::string& sql) {
    CountStatement();
    db_.exec(sql);
  }

  // For a statement from Prepare() run once more after a reset.
  void CountStatement() {
    if (statements_ != nullptr) statements_->fetch_add(1, std::memory_order_relaxed);
  }

  // Returns a cached, reset statement for `sql` (trusted text only), counted
  // as one statement run. The reference stays valid until the next TrimCache().
  SQLite::Statement& Prepare(const std::string& sql) {
    CountStatement();
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      it = cache_.emplace(sql, std::make_unique<SQLite::Statement>(db_, sql)).first;
    } else {
      it->second->reset();
      it->second->clearBindings();
    }
    return *it->second;
  }

 private:
  // SQLite calls PastDeadline every this many virtual-machine steps (tens of
  // microseconds of work), so a query overruns its deadline by about that.
  static constexpr int kProgressOps = 1000;
  static int PastDeadline(void* self) {
    auto* conn = static_cast<Connection*>(self);
    if (conn->deadline_ == std::chrono::steady_clock::time_point::max()) return 0;
    if (conn->interrupted_ != nullptr && conn->interrupted_->load(std::memory_order_relaxed)) {
      return 1;
    }
    return std::chrono::steady_clock::now() >= conn->deadline_ ? 1 : 0;
  }

  // Filter queries generate many distinct texts; bound the cache.
  static constexpr size_t kMaxCachedStatements = 512;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  const std::atomic<bool>* interrupted_ = nullptr;
  std::atomic<uint64_t>* statements_;
  SQLite::Database db_;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> cache_;
};

// Resets a statement on scope exit so it never pins a read snapshot.
class StatementGuard {
 public:
  explicit StatementGuard(SQLite::Statement& s) : s_(s) {}
  ~StatementGuard() {
    try {
      s_.reset();
    } catch (...) {
    }
  }
  StatementGuard(const StatementGuard&) = delete;
  StatementGuard& operator=(const StatementGuard&) = delete;

 private:
  SQLite::Statement& s_;
};

void BindParam(SQLite::Statement& stmt, int index, const SqlParam& param) {
  if (const auto* i = std::get_if<int64_t>(&param)) {
    stmt.bind(index, *i);
  } else if (const auto* d = std::get_if<double>(&param)) {
    stmt.bind(index, *d);
  } else {
    stmt.bind(index, std::get<std::string>(param));
  }
}

void BindParams(SQLite::Statement& stmt, const std::vector<SqlParam>& params) {
  for (size_t i = 0; i < params.size(); ++i) BindParam(stmt, static_cast<int>(i + 1), params[i]);
}

Status Translate(const SQLite::Exception& e, const Entity* entity = nullptr) {
  int code = e.getErrorCode();
  int extended = e.getExtendedErrorCode();
  if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
    if (entity != nullptr) {
      return Status::AlreadyExists(std::string(SpecFor(entity->kind).display_name) + " with name " +
                                   entity->name + " already exists");
    }
    return Status::AlreadyExists(e.what());
  }
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
    return Status::Unavailable(std::string("database is busy: ") + e.what());
  }
  // Storage faults (docs/RELIABILITY.md, "Storage faults"): nothing was stored.
  if (code == SQLITE_FULL) {
    return Status::InsufficientStorage(std::string("disk full, the write was not stored: ") +
                                       e.what());
  }
  if (code == SQLITE_READONLY || code == SQLITE_IOERR || code == SQLITE_CANTOPEN) {
    return Status::Unavailable(std::string("cannot write the database: ") + e.what());
  }
  return Status::Internal(std::string("database error: ") + e.what());
}

// Builds and runs entity queries on one connection.
class Queries {
 public:
  explicit Queries(Connection& conn) : conn_(conn) {}

  Connection& connection() { return conn_; }

  Result<Entity> Get(StorageClass storage, int64_t id) {
    // Built once per storage class: this is the hottest statement.
    static const std::string kGetSql[] = {
        std::string("SELECT ") + kEntityColumns + " FROM context e WHERE e.id = ?",
        std::string("SELECT ") + kEntityColumns + " FROM artifact e WHERE e.id = ?",
        std::string("SELECT ") + kEntityColumns + " FROM execution e WHERE e.id = ?"};
    SQLite::Statement& stmt = conn_.Prepare(kGetSql[static_cast<int>(storage)]);
    StatementGuard guard(stmt);
    stmt.bind(1, id);
    if (!stmt.executeStep()) return Status::NotFound("no entity with id " + std::to_string(id));
    std::vector<Entity> rows;
    rows.push_back(ReadEntity(stmt));
    LoadProperties(storage, rows);
    return std::move(rows.front());
  }

  Result<ListPage> List(const ListQuery& q) {
    StorageClass storage = StorageOf(q.kinds.front());
    MR_ASSIGN_OR_RETURN(filter::SqlFragment select,
                        storage::ChooseListSql(q, ListDialect(), [&](const filter::SqlFragment& f) {
                          SQLite::Statement& count = conn_.Prepare(f.text);
                          StatementGuard guard(count);
                          BindParams(count, f.params);
                          return count.executeStep() ? count.getColumn(0).getInt64() : 0;
                        }));
    const std::string& sql = select.text;
    const std::vector<SqlParam>& params = select.params;
    ListPage page;
    {
      SQLite::Statement& stmt = conn_.Prepare(sql);
      StatementGuard guard(stmt);
      BindParams(stmt, params);
      while (stmt.executeStep()) page.items.push_back(ReadEntity(stmt));
    }
    storage::TrimToPage(page, q.limit);
    LoadProperties(storage, page.items);
    return page;
  }

  Result<Entity> Latest(EntityKind kind, int64_t parent_id) {
    StorageClass storage = StorageOf(kind);
    std::string sql = std::string("SELECT ") + kEntityColumns + " FROM " +
                      TablesFor(storage).entity +
                      " e WHERE e.type_id = ? AND e.parent_id = ? ORDER BY e.create_time DESC, "
                      "e.id DESC LIMIT 1";
    SQLite::Statement& stmt = conn_.Prepare(sql);
    StatementGuard guard(stmt);
    stmt.bind(1, static_cast<int64_t>(kind));
    stmt.bind(2, parent_id);
    if (!stmt.executeStep()) return Status::NotFound("no entity found");
    std::vector<Entity> rows;
    rows.push_back(ReadEntity(stmt));
    LoadProperties(storage, rows);
    return std::move(rows.front());
  }

  void Insert(Entity& entity) {
    Tables t = TablesFor(StorageOf(entity.kind));
    SQLite::Statement& stmt = conn_.Prepare(
        std::string("INSERT INTO ") + t.entity +
        " (type_id, parent_id, name_scope, name, external_id, description, create_time, "
        "update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    StatementGuard guard(stmt);
    stmt.bind(1, static_cast<int64_t>(entity.kind));
    stmt.bind(2, entity.parent_id);
    stmt.bind(3, entity.name_scope);
    stmt.bind(4, entity.name);
    BindOptional(stmt, 5, entity.external_id);
    BindOptional(stmt, 6, entity.description);
    stmt.bind(7, entity.create_time_ms);
    stmt.bind(8, entity.update_time_ms);
    stmt.exec();
    entity.id = conn_.db().getLastInsertRowid();
    WriteProperties(entity);
  }

  bool Update(const Entity& entity) {
    Tables t = TablesFor(StorageOf(entity.kind));
    SQLite::Statement& stmt =
        conn_.Prepare(std::string("UPDATE ") + t.entity +
                      " SET external_id = ?, description = ?, update_time = ? WHERE id = ?");
    StatementGuard guard(stmt);
    BindOptional(stmt, 1, entity.external_id);
    BindOptional(stmt, 2, entity.description);
    stmt.bind(3, entity.update_time_ms);
    stmt.bind(4, entity.id);
    if (stmt.exec() == 0) return false;
    SQLite::Statement& del =
        conn_.Prepare(std::string("DELETE FROM ") + t.property + " WHERE owner_id = ?");
    StatementGuard del_guard(del);
    del.bind(1, entity.id);
    del.exec();
    WriteProperties(entity);
    return true;
  }

  void Link(int64_t context_id, int64_t artifact_id) {
    SQLite::Statement& stmt =
        conn_.Prepare("INSERT OR IGNORE INTO attribution (context_id, artifact_id) VALUES (?, ?)");
    StatementGuard guard(stmt);
    stmt.bind(1, context_id);
    stmt.bind(2, artifact_id);
    stmt.exec();
  }

  // Admin access (admin_store.h): every row of `storage` in id order, a page
  // of entities at a time so memory stays bounded.
  Status ForEachEntity(StorageClass storage, const std::function<Status(const Entity&)>& fn) {
    constexpr int64_t kPage = 500;
    const std::string sql = std::string("SELECT ") + kEntityColumns + " FROM " +
                            TablesFor(storage).entity + " e WHERE e.id > ? ORDER BY e.id LIMIT ?";
    int64_t after = std::numeric_limits<int64_t>::min();
    for (;;) {
      std::vector<Entity> rows;
      {
        SQLite::Statement& stmt = conn_.Prepare(sql);
        StatementGuard guard(stmt);
        stmt.bind(1, after);
        stmt.bind(2, kPage);
        while (stmt.executeStep()) rows.push_back(ReadEntity(stmt));
      }
      if (rows.empty()) return Status::Ok();
      LoadProperties(storage, rows);
      for (const Entity& e : rows) MR_RETURN_IF_ERROR(fn(e));
      after = rows.back().id;
    }
  }

  Status ForEachLink(const std::function<Status(const StoredLink&)>& fn) {
    SQLite::Statement& stmt = conn_.Prepare(
        "SELECT context_id, artifact_id FROM attribution ORDER BY context_id, artifact_id");
    StatementGuard guard(stmt);
    while (stmt.executeStep()) {
      MR_RETURN_IF_ERROR(
          fn(StoredLink{stmt.getColumn(0).getInt64(), stmt.getColumn(1).getInt64()}));
    }
    return Status::Ok();
  }

  // Inserts `entity` with its own id (Insert assigns a new one).
  void InsertVerbatim(const Entity& entity) {
    Tables t = TablesFor(StorageOf(entity.kind));
    SQLite::Statement& stmt = conn_.Prepare(
        std::string("INSERT INTO ") + t.entity +
        " (id, type_id, parent_id, name_scope, name, external_id, description, create_time, "
        "update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    StatementGuard guard(stmt);
    stmt.bind(1, entity.id);
    stmt.bind(2, static_cast<int64_t>(entity.kind));
    stmt.bind(3, entity.parent_id);
    stmt.bind(4, entity.name_scope);
    stmt.bind(5, entity.name);
    BindOptional(stmt, 6, entity.external_id);
    BindOptional(stmt, 7, entity.description);
    stmt.bind(8, entity.create_time_ms);
    stmt.bind(9, entity.update_time_ms);
    stmt.exec();
    WriteProperties(entity);
  }

  int64_t CountEntities() {
    return conn_.db()
        .execAndGet(
            "SELECT (SELECT count(*) FROM context) + (SELECT count(*) FROM artifact) + "
            "(SELECT count(*) FROM execution)")
        .getInt64();
  }

 private:
  static void BindOptional(SQLite::Statement& stmt, int index,
                           const std::optional<std::string>& value) {
    if (value) {
      stmt.bind(index, *value);
    } else {
      stmt.bind(index);
    }
  }

  static Entity ReadEntity(SQLite::Statement& stmt) {
    Entity e;
    e.id = stmt.getColumn(0).getInt64();
    e.kind = static_cast<EntityKind>(stmt.getColumn(1).getInt());
    e.parent_id = stmt.getColumn(2).getInt64();
    e.name_scope = stmt.getColumn(3).getString();
    e.name = stmt.getColumn(4).getString();
    if (!stmt.getColumn(5).isNull()) e.external_id = stmt.getColumn(5).getString();
    if (!stmt.getColumn(6).isNull()) e.description = stmt.getColumn(6).getString();
    e.create_time_ms = stmt.getColumn(7).getInt64();
    e.update_time_ms = stmt.getColumn(8).getInt64();
    storage::FillParentFields(e);
    return e;
  }

  // Loads the properties of all `rows` with one statement per 200 rows.
  void LoadProperties(StorageClass storage, std::vector<Entity>& rows) {
    if (rows.empty()) return;
    if (rows.size() == 1) {  // a GET by id: no id map to build
      SQLite::Statement& stmt = conn_.Prepare(SinglePropertiesSql(storage));
      StatementGuard guard(stmt);
      stmt.bind(1, rows.front().id);
      while (stmt.executeStep()) ReadProperty(stmt, rows.front());
      return;
    }
    constexpr size_t kBatch = 200;
    std::unordered_map<int64_t, Entity*> by_id;
    by_id.reserve(rows.size());
    for (Entity& e : rows) by_id[e.id] = &e;
    for (size_t start = 0; start < rows.size(); start += kBatch) {
      size_t count = std::min(kBatch, rows.size() - start);
      SQLite::Statement& stmt = conn_.Prepare(PropertiesSql(storage, count));
      StatementGuard guard(stmt);
      for (size_t i = 0; i < count; ++i) stmt.bind(static_cast<int>(i + 1), rows[start + i].id);
      while (stmt.executeStep()) {
        auto it = by_id.find(stmt.getColumn(0).getInt64());
        if (it == by_id.end()) continue;
        ReadProperty(stmt, *it->second);
      }
    }
  }

  static std::string PropertiesSql(StorageClass storage, size_t count) {
    std::string sql = std::string(
                          "SELECT owner_id, is_custom, name, value_type, string_value, "
                          "int_value, double_value, bool_value FROM ") +
                      TablesFor(storage).property + " WHERE owner_id IN (";
    for (size_t i = 0; i < count; ++i) sql += i == 0 ? "?" : ",?";
    return sql + ")";
  }

  // Single-entity reads are the common case; their text is built once.
  static const std::string& SinglePropertiesSql(StorageClass storage) {
    static const std::string kSingle[] = {PropertiesSql(StorageClass::kContext, 1),
                                          PropertiesSql(StorageClass::kArtifact, 1),
                                          PropertiesSql(StorageClass::kExecution, 1)};
    return kSingle[static_cast<int>(storage)];
  }

  static void ReadProperty(SQLite::Statement& stmt, Entity& e) {
    storage::PropertyRow row;
    row.is_custom = stmt.getColumn(1).getInt() != 0;
    row.name = stmt.getColumn(2).getString();
    row.type = static_cast<MetadataValue::Type>(stmt.getColumn(3).getInt());
    row.string_value = stmt.getColumn(4).getString();
    row.int_value = stmt.getColumn(5).getInt64();
    row.double_value = stmt.getColumn(6).getDouble();
    row.bool_value = stmt.getColumn(7).getInt() != 0;
    storage::ApplyPropertyRow(row, e);
  }

  void WriteProperties(const Entity& entity) {
    const std::vector<storage::PropertyRow> rows = storage::PropertyRowsOf(entity);
    if (rows.empty()) return;
    SQLite::Statement& stmt = conn_.Prepare(
        std::string("INSERT INTO ") + TablesFor(StorageOf(entity.kind)).property +
        " (owner_id, is_custom, name, value_type, string_value, int_value, double_value, "
        "bool_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    StatementGuard guard(stmt);
    for (const storage::PropertyRow& row : rows) {
      if (&row != &rows.front()) conn_.CountStatement();  // Prepare counted the first
      stmt.reset();
      stmt.clearBindings();
      stmt.bind(1, entity.id);
      stmt.bind(2, row.is_custom ? 1 : 0);
      stmt.bind(3, row.name);
      stmt.bind(4, static_cast<int>(row.type));
      switch (row.type) {
        case MetadataValue::Type::kInt:
          stmt.bind(6, row.int_value);
          break;
        case MetadataValue::Type::kDouble:
          stmt.bind(7, row.double_value);
          break;
        case MetadataValue::Type::kBool:
          stmt.bind(8, row.bool_value ? 1 : 0);
          break;
        default:
          stmt.bind(5, row.string_value);
      }
      stmt.exec();
    }
  }

  Connection& conn_;
};

int64_t SystemClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Applies every pending migration, each in its own transaction together with
// the row that records it. Returns the version found before.
Result<int> ApplyMigrations(SQLite::Database& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
      "name TEXT NOT NULL, dirty INTEGER NOT NULL DEFAULT 0, applied_at INTEGER NOT NULL)");
  int current = db.execAndGet("SELECT coalesce(max(version), 0) FROM schema_migrations").getInt();
  if (current > LatestSchemaVersion()) {
    return Status::Unavailable("database schema version " + std::to_string(current) +
                               " is newer than this binary supports (" +
                               std::to_string(LatestSchemaVersion()) + ")");
  }
  for (const sqlite::Migration& m : sqlite::Migrations()) {
    if (m.version <= current) continue;
    SQLite::Transaction tx(db);
    db.exec(m.sql);
    SQLite::Statement record(
        db, "INSERT INTO schema_migrations (version, name, dirty, applied_at) VALUES (?, ?, 0, ?)");
    record.bind(1, m.version);
    record.bind(2, m.name);
    record.bind(3, SystemClockMs());
    record.exec();
    tx.commit();
  }
  return current;
}

class SqliteWriteTransaction : public WriteTransaction {
 public:
  SqliteWriteTransaction(Connection& conn, const std::function<int64_t()>& clock_ms)
      : queries_(conn), clock_ms_(clock_ms) {}

  Result<Entity> Get(StorageClass storage, int64_t id) override {
    try {
      return queries_.Get(storage, id);
    } catch (const SQLite::Exception& e) {
      return Translate(e);
    }
  }
  Result<ListPage> List(const ListQuery& query) override {
    try {
      return queries_.List(query);
    } catch (const SQLite::Exception& e) {
      return Translate(e);
    }
  }
  Result<Entity> Latest(EntityKind kind, int64_t parent_id) override {
    try {
      return queries_.Latest(kind, parent_id);
    } catch (const SQLite::Exception& e) {
      return Translate(e);
    }
  }
  int64_t NowMs() override { return clock_ms_ ? clock_ms_() : SystemClockMs(); }
  Status Insert(Entity& entity) override {
    try {
      queries_.Insert(entity);
      return Status::Ok();
    } catch (const SQLite::Exception& e) {
      return Translate(e, &entity);
    }
  }
  Status Update(const Entity& entity) override {
    try {
      if (!queries_.Update(entity)) {
        return Status::NotFound("no entity with id " + std::to_string(entity.id));
      }
      return Status::Ok();
    } catch (const SQLite::Exception& e) {
      return Translate(e, &entity);
    }
  }
  Status Link(int64_t context_id, int64_t artifact_id) override {
    try {
      queries_.Link(context_id, artifact_id);
      return Status::Ok();
    } catch (const SQLite::Exception& e) {
      return Translate(e);
    }
  }

 private:
  Queries queries_;
  const std::function<int64_t()>& clock_ms_;
};

// The database file, opened once more by the server and flock()ed for the
// life of the repository, so a second server on the same file refuses to
// start. The descriptor also shows whether the file was deleted under the
// server (st_nlink == 0). flock() and SQLite's fcntl() locks do not interact
// on Linux, but closing any descriptor of a file drops every fcntl() lock the
// process holds on it, so this one must close after all SQLite connections.
class DatabaseFileGuard {
 public:
  DatabaseFileGuard() = default;
  DatabaseFileGuard(const DatabaseFileGuard&) = delete;
  DatabaseFileGuard& operator=(const DatabaseFileGuard&) = delete;
  ~DatabaseFileGuard() {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Acquire(const std::string& path) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0 && errno == ENOENT)
      fd_ = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::Unavailable("cannot open database " + path + ": " + Error(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        in_use_ = true;
        return Status::Unavailable("database " + path +
                                   " is in use by another model-registry server");
      }
      return Status::Unavailable("cannot lock database " + path + ": " + Error(errno));
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return Status::Unavailable("cannot stat " + path);
    device_ = st.st_dev;
    inode_ = st.st_ino;
    return Status::Ok();
  }

  // Whether Acquire failed because another process holds the lock.
  bool in_use() const { return in_use_; }

  // Whether the file the server opened can still take writes that will be
  // found at `path`: not deleted, not replaced, writable. Three system calls.
  Status WritableCheck() const {
    const std::string restart = "; writes are refused until the server is restarted";
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) {
      if (errno == ENOENT) {
        return Status::Unavailable("database file " + path_ + " was deleted while the server ran" +
                                   restart);
      }
      return Status::Unavailable("database file " + path_ + " cannot be reached: " + Error(errno));
    }
    if (st.st_dev != device_ || st.st_ino != inode_) {
      return Status::Unavailable("database file " + path_ +
                                 " was replaced by another file while the server ran" + restart);
    }
    if (::fstat(fd_, &st) == 0 && st.st_nlink == 0) {
      return Status::Unavailable("database file " + path_ + " was deleted while the server ran" +
                                 restart);
    }
    if (::access(path_.c_str(), W_OK) != 0) {
      return Status::Unavailable("database file " + path_ + " is not writable: " + Error(errno));
    }
    return Status::Ok();
  }

 private:
  static std::string Error(int err) { return std::strerror(err); }

  std::string path_;
  int fd_ = -1;
  bool in_use_ = false;
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

class SqliteRepository : public Repository {
 public:
  explicit SqliteRepository(const SqliteOptions& options) : options_(options) {}

  Status Open() {
    in_memory_ = options_.path == ":memory:" || options_.path.empty();
    if (!in_memory_) MR_RETURN_IF_ERROR(file_guard_.Acquire(options_.path));
    try {
      writer_ =
          std::make_unique<Connection>(options_.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                                       options_.busy_timeout_ms, &statements_);
      if (!in_memory_) {
        writer_->CountStatement();
        std::string mode = writer_->db().execAndGet("PRAGMA journal_mode = WAL").getString();
        if (mode != "wal") return Status::Unavailable("cannot enable WAL mode on " + options_.path);
      }
      writer_->Exec(options_.synchronous_full ? "PRAGMA synchronous = FULL"
                                              : "PRAGMA synchronous = NORMAL");
      MR_RETURN_IF_ERROR(Migrate());
      if (!in_memory_) StampWal();
      writer_thread_ = std::thread([this] { WriterLoop(); });
      if (!in_memory_) {
        // Checkpoints leave the writer thread: SQLite's autocheckpoint runs
        // inside the COMMIT that crosses its threshold, stalling that batch
        // and every request queued behind it (docs/BENCHMARKS.md: 4.8k -> 9k
        // creates/s at 32 connections). Durability is unchanged: a checkpoint
        // only copies committed WAL frames into the database file.
        checkpointer_ = std::make_unique<Connection>(options_.path, SQLite::OPEN_READWRITE,
                                                     options_.busy_timeout_ms, &statements_);
        sqlite3_wal_hook(writer_->db().getHandle(), &SqliteRepository::OnWalCommit, this);
        checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
      }
      return Status::Ok();
    } catch (const SQLite::Exception& e) {
      return Status::Unavailable("cannot open database " + options_.path + ": " + e.what());
    }
  }

  Result<Entity> Get(StorageClass storage, int64_t id) override {
    return WithReader([&](Queries& q) -> Result<Entity> { return q.Get(storage, id); });
  }
  Result<ListPage> List(const ListQuery& query) override {
    return WithReader([&](Queries& q) -> Result<ListPage> { return q.List(query); });
  }
  Result<Entity> Latest(EntityKind kind, int64_t parent_id) override {
    return WithReader([&](Queries& q) -> Result<Entity> { return q.Latest(kind, parent_id); });
  }

  // Group commit: callers enqueue their transaction body and wait; one writer
  // thread runs every queued body in a single SQLite transaction, each inside
  // its own SAVEPOINT so a failing request rolls back alone, then commits once
  // (one WAL append, and with synchronous=FULL one fsync, for the whole batch)
  // and wakes the callers. Under load this turns N commits into one; with a
  // single caller it is the plain one-transaction-per-request path.
  Status Write(const std::function<Status(WriteTransaction&)>& fn) override {
    PendingWrite pending{&fn, Status(), false};
    std::unique_lock<std::mutex> lock(queue_mu_);
    if (stopping_) return Status::Unavailable("the repository is shutting down");
    queue_.push_back(&pending);
    queue_cv_.notify_one();
    ScopedBlocking waiting;
    done_cv_.wait(lock, [&] { return pending.done; });
    return pending.status;
  }

  ~SqliteRepository() override {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    if (writer_thread_.joinable()) writer_thread_.join();
    {
      std::lock_guard<std::mutex> lock(checkpoint_mu_);
      checkpoint_stopping_ = true;
    }
    checkpoint_cv_.notify_all();
    if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
  }

  // Reads only: the progress handler of a read connection sees the flag. A
  // write batch runs to its commit (writes are short and not under the query
  // timeout), so an acknowledged write is never one that was interrupted.
  void InterruptQueries() override { interrupted_ = true; }

  std::vector<StorageStat> Stats() override {
    size_t queued = 0;
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      queued = queue_.size();
    }
    int lag_frames = 0;
    {
      std::lock_guard<std::mutex> lock(wal_mu_);
      lag_frames = std::max(0, wal_frames_ - wal_frames_checkpointed_);
    }
    return {
        {"statements_total",
         "SQL statements run (reads, writes, transaction control), counted per execution.", true,
         static_cast<double>(statements_.load(std::memory_order_relaxed))},
        {"wal_checkpoint_lag_frames",
         "WAL frames (pages) committed but not yet copied into the database file by a "
         "checkpoint, as of the last commit or checkpoint.",
         false, static_cast<double>(lag_frames)},
        {"checkpoints_total", "WAL checkpoints run (background or inline).", true,
         static_cast<double>(checkpoints_.load(std::memory_order_relaxed))},
        {"write_queue_length", "Write transactions waiting for the group-commit writer.", false,
         static_cast<double>(queued)},
        {"commit_batches_total", "Group-commit batches committed (one WAL append each).", true,
         static_cast<double>(batches_committed_.load(std::memory_order_relaxed))},
        {"batched_transactions_total",
         "Request transactions run inside committed batches (successful or rolled back).", true,
         static_cast<double>(transactions_in_batches_.load(std::memory_order_relaxed))},
    };
  }

  Status CheckHealth() override {
    if (!in_memory_) {
      MR_RETURN_IF_ERROR(file_guard_.WritableCheck());
      MR_RETURN_IF_ERROR(ProbeAfterDiskFull());
    }
    return WithReader([&](Queries& q) -> Status {
      SQLite::Statement& stmt =
          q.connection().Prepare("SELECT max(version), sum(dirty) FROM schema_migrations");
      StatementGuard guard(stmt);
      if (!stmt.executeStep()) return Status::Unavailable("schema_migrations is empty");
      if (stmt.getColumn(0).getInt() != LatestSchemaVersion()) {
        return Status::Unavailable("database schema is not fully migrated");
      }
      if (stmt.getColumn(1).getInt() != 0) return Status::Unavailable("database schema is dirty");
      return Status::Ok();
    });
  }

 private:
  // Runs `fn` on a pooled read connection (the writer for in-memory DBs).
  // Every read runs under options_.query_timeout_ms (see SqliteOptions).
  template <typename Fn>
  auto WithReader(Fn fn) -> decltype(fn(std::declval<Queries&>())) {
    using R = decltype(fn(std::declval<Queries&>()));
    if (interrupted_) return R(ShuttingDown());
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.query_timeout_ms);
    if (in_memory_) {
      std::lock_guard<std::mutex> lock(write_mu_);
      writer_->SetDeadline(deadline, &interrupted_);
      Queries q(*writer_);
      try {
        R result = fn(q);
        writer_->ClearDeadline();
        return result;
      } catch (const SQLite::Exception& e) {
        writer_->ClearDeadline();
        return R(TranslateRead(e));
      }
    }
    std::unique_ptr<Connection> conn;
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      if (!pool_.empty()) {
        conn = std::move(pool_.back());
        pool_.pop_back();
      }
    }
    try {
      if (!conn) {
        conn = std::make_unique<Connection>(options_.path, SQLite::OPEN_READONLY,
                                            options_.busy_timeout_ms, &statements_);
      }
      // One read transaction per call: a page and its properties come from
      // the same snapshot, and the WAL read lock is taken once, not per
      // statement (one fcntl and one stat fewer per GET).
      conn->SetDeadline(deadline, &interrupted_);
      SQLite::Statement& begin = conn->Prepare("BEGIN");
      begin.exec();
      Queries q(*conn);
      R result = fn(q);
      SQLite::Statement& commit = conn->Prepare("COMMIT");
      commit.exec();
      conn->ClearDeadline();
      conn->TrimCache();
      Release(std::move(conn));
      return result;
    } catch (const SQLite::Exception& e) {
      // The connection is dropped, not pooled: it may hold an open read
      // transaction or a half-run statement.
      return R(TranslateRead(e));
    }
  }

  static Status ShuttingDown() {
    return Status::Unavailable("the server is shutting down: the query was interrupted; retry it");
  }

  Status TranslateRead(const SQLite::Exception& e) const {
    if (e.getErrorCode() == SQLITE_INTERRUPT && interrupted_) return ShuttingDown();
    if (e.getErrorCode() == SQLITE_INTERRUPT) {
      return Status::Unavailable("query exceeded the query timeout of " +
                                 std::to_string(options_.query_timeout_ms) +
                                 " ms; narrow the filterQuery or ask for a smaller pageSize");
    }
    return Translate(e);
  }

  // WAL size (frames) at which the background thread checkpoints, and at
  // which the writer does it inline because the background one fell behind
  // (this keeps the WAL bounded whatever the read load).
  static constexpr int kBackgroundCheckpointFrames = 10000;
  static constexpr int kInlineCheckpointFrames = 50000;

  // SQLite calls this on the writer thread after each commit. Installing it
  // replaces SQLite's own autocheckpoint.
  static int OnWalCommit(void* self, sqlite3* db, const char*, int frames) {
    auto* repo = static_cast<SqliteRepository*>(self);
    {
      std::lock_guard<std::mutex> lock(repo->wal_mu_);
      // A shorter WAL than before: the writer restarted it from the start
      // after a complete checkpoint, so none of its frames are copied yet.
      if (frames < repo->wal_frames_) repo->wal_frames_checkpointed_ = 0;
      repo->wal_frames_ = frames;
    }
    if (frames >= kInlineCheckpointFrames) {
      repo->Checkpoint(db);
    } else if (frames >= kBackgroundCheckpointFrames) {
      std::lock_guard<std::mutex> lock(repo->checkpoint_mu_);
      repo->checkpoint_wanted_ = true;
      repo->checkpoint_cv_.notify_one();
    }
    return SQLITE_OK;
  }

  void CheckpointLoop() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(checkpoint_mu_);
        checkpoint_cv_.wait(lock, [&] { return checkpoint_stopping_ || checkpoint_wanted_; });
        if (checkpoint_stopping_) return;
        checkpoint_wanted_ = false;
      }
      // Busy or I/O trouble: the next commit over the threshold asks again.
      Checkpoint(checkpointer_->db().getHandle());
    }
  }

  // PASSIVE never blocks the writer or readers; what it cannot copy now, a
  // later request (or the inline limit) copies.
  void Checkpoint(sqlite3* db) {
    int wal_frames = 0;
    int copied = 0;
    int rc =
        sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_frames, &copied);
    checkpoints_.fetch_add(1, std::memory_order_relaxed);
    if (rc != SQLITE_OK || wal_frames < 0) return;
    std::lock_guard<std::mutex> lock(wal_mu_);
    wal_frames_ = std::max(wal_frames_, wal_frames);
    wal_frames_checkpointed_ = copied;
  }

  struct PendingWrite {
    const std::function<Status(WriteTransaction&)>* fn;
    Status status;
    bool done;
  };

  void WriterLoop() {
    std::vector<PendingWrite*> batch;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(queue_mu_);
        queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left to do
        batch.swap(queue_);
      }
      RunBatch(batch);
      {
        std::lock_guard<std::mutex> lock(queue_mu_);
        for (PendingWrite* w : batch) w->done = true;
      }
      done_cv_.notify_all();
      batch.clear();
    }
  }

  // Runs `fn` and converts anything it throws into a Status.
  Status RunOne(const std::function<Status(WriteTransaction&)>& fn) {
    try {
      SqliteWriteTransaction tx(*writer_, options_.clock_ms);
      return fn(tx);
    } catch (const SQLite::Exception& e) {
      return Translate(e);
    } catch (const std::exception& e) {
      return Status::Internal(e.what());
    }
  }

  void RunBatch(const std::vector<PendingWrite*>& batch) {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (!in_memory_) {
      // A deleted, replaced or read-only file would take the batch and lose
      // it (a deleted file's writes vanish with the process): refuse first.
      Status fault = file_guard_.WritableCheck();
      if (!fault.ok()) {
        for (PendingWrite* w : batch) w->status = fault;
        return;
      }
    }
    bool committed = CommitBatch(batch);
    writer_->TrimCache();
    NoteDiskState(batch, committed);
  }

  // Runs the batch in one transaction; returns whether anything committed.
  bool CommitBatch(const std::vector<PendingWrite*>& batch) {
    auto fail_all = [&](const Status& status) {
      for (PendingWrite* w : batch) w->status = status;
    };
    try {
      writer_->Exec("BEGIN IMMEDIATE");
    } catch (const SQLite::Exception& e) {
      fail_all(Translate(e));
      return false;
    }
    bool any_ok = false;
    try {
      if (batch.size() == 1) {
        batch[0]->status = RunOne(*batch[0]->fn);
        any_ok = batch[0]->status.ok();
      } else {
        for (PendingWrite* w : batch) {
          writer_->Exec("SAVEPOINT request");
          w->status = RunOne(*w->fn);
          if (!w->status.ok()) writer_->Exec("ROLLBACK TO request");
          writer_->Exec("RELEASE request");
          any_ok = any_ok || w->status.ok();
        }
      }
      writer_->Exec(any_ok ? "COMMIT" : "ROLLBACK");
      if (any_ok) {
        batches_committed_.fetch_add(1, std::memory_order_relaxed);
        transactions_in_batches_.fetch_add(batch.size(), std::memory_order_relaxed);
      }
      return any_ok;
    } catch (const SQLite::Exception& e) {
      // The commit (or a savepoint step) failed: nothing in this batch is
      // durable, so no caller may be told otherwise.
      try {
        writer_->Exec("ROLLBACK");
      } catch (...) {
      }
      fail_all(Translate(e));
      return false;
    }
  }

  // A full disk turns health to 503 until a commit succeeds again, whether a
  // client's write or ProbeAfterDiskFull's.
  void NoteDiskState(const std::vector<PendingWrite*>& batch, bool committed) {
    for (PendingWrite* w : batch) {
      if (w->status.code() == StatusCode::kInsufficientStorage) {
        std::lock_guard<std::mutex> lock(disk_mu_);
        disk_full_ = Status::Unavailable("disk full: writes fail until space is freed (" +
                                         w->status.message() + ")");
        return;
      }
    }
    if (committed) {
      std::lock_guard<std::mutex> lock(disk_mu_);
      disk_full_ = Status::Ok();
    }
  }

  // While the disk is known to be full, a health check commits one tiny
  // write (at most once a second) so health turns green by itself once space
  // returns, even when no client writes.
  Status ProbeAfterDiskFull() {
    {
      std::lock_guard<std::mutex> lock(disk_mu_);
      if (disk_full_.ok()) return Status::Ok();
      auto now = std::chrono::steady_clock::now();
      if (now - last_disk_probe_ < std::chrono::seconds(1)) return disk_full_;
      last_disk_probe_ = now;
    }
    // Rewriting the header's user_version with its own value changes nothing
    // but still appends a page to the WAL on commit.
    Status probe = Write([this](WriteTransaction&) -> Status {
      writer_->CountStatement();
      int version = writer_->db().execAndGet("PRAGMA user_version").getInt();
      writer_->Exec("PRAGMA user_version = " + std::to_string(version));
      return Status::Ok();
    });
    std::lock_guard<std::mutex> lock(disk_mu_);
    return probe.ok() ? Status::Ok() : disk_full_;
  }

  void Release(std::unique_ptr<Connection> conn) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    pool_.push_back(std::move(conn));
  }

  Status Migrate() { return ApplyMigrations(writer_->db()).status(); }

  // A read transaction learns the database size from the WAL, or, while the
  // WAL holds no commit yet (a server started on a checkpointed file that has
  // not been written since), with an fstat: one more system call per GET
  // until the first write. Rewriting the schema cookie commits one frame at
  // start. A file that cannot be written is reported by the health check.
  void StampWal() {
    try {
      int version = writer_->db().execAndGet("PRAGMA user_version").getInt();
      writer_->Exec("PRAGMA user_version = " + std::to_string(version));
    } catch (const SQLite::Exception&) {
    }
  }

  // First member, so it is destroyed last (see DatabaseFileGuard).
  DatabaseFileGuard file_guard_;
  const SqliteOptions options_;
  bool in_memory_ = false;

  std::mutex disk_mu_;
  Status disk_full_;  // guarded by disk_mu_; OK unless the last write hit a full disk
  std::chrono::steady_clock::time_point last_disk_probe_;  // guarded by disk_mu_

  // Held by the writer thread while it runs a batch, and by readers of an
  // in-memory database (which share the one connection).
  std::mutex write_mu_;
  std::unique_ptr<Connection> writer_;  // guarded by write_mu_

  // Group-commit queue; the writer thread owns writer_ while running a batch.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;  // work queued or stopping
  std::condition_variable done_cv_;   // a batch finished
  std::vector<PendingWrite*> queue_;  // guarded by queue_mu_
  std::atomic<uint64_t> statements_{0};
  std::atomic<uint64_t> batches_committed_{0};
  std::atomic<uint64_t> transactions_in_batches_{0};
  bool stopping_ = false;                 // guarded by queue_mu_
  std::atomic<bool> interrupted_{false};  // InterruptQueries() was called
  std::thread writer_thread_;

  // Background checkpointing (file databases only).
  std::unique_ptr<Connection> checkpointer_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;    // guarded by checkpoint_mu_
  bool checkpoint_stopping_ = false;  // guarded by checkpoint_mu_
  std::thread checkpoint_thread_;
  std::atomic<uint64_t> checkpoints_{0};
  std::mutex wal_mu_;
  int wal_frames_ = 0;               // WAL length after the last commit; guarded by wal_mu_
  int wal_frames_checkpointed_ = 0;  // of those, copied by the last checkpoint; guarded by wal_mu_

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Connection>> pool_;  // guarded by pool_mu_
};

// --- Admin access: backup, export, import, migrate (admin_store.h) ---

// A read-write connection in WAL mode with the schema fully migrated, as the
// repository opens it. Returns the version found before migrating.
Result<int> OpenMigrated(const SqliteOptions& options, std::unique_ptr<Connection>& conn) {
  conn = std::make_unique<Connection>(options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                                      options.busy_timeout_ms);
  if (options.path != ":memory:" && !options.path.empty()) {
    std::string mode = conn->db().execAndGet("PRAGMA journal_mode = WAL").getString();
    if (mode != "wal") return Status::Unavailable("cannot enable WAL mode on " + options.path);
  }
  return ApplyMigrations(conn->db());
}

class SqliteSnapshot : public DatabaseSnapshot {
 public:
  explicit SqliteSnapshot(Connection& conn) : queries_(conn) {}
  Status ForEachEntity(StorageClass storage,
                       const std::function<Status(const Entity&)>& fn) override {
    try {
      return queries_.ForEachEntity(storage, fn);
    } catch (const SQLite::Exception& e) {
      return Translate(e);
    }
  }
  Status ForEachLink(const std::function<Status(const StoredLink&)>& fn) override {
    try {
      return queries_.ForEachLink(fn);
    } catch (const SQLite::Exception& e) {
      return Translate(e);
    }
  }

 private:
  Queries queries_;
};

class SqliteLoader : public DatabaseLoader {
 public:
  explicit SqliteLoader(Connection& conn) : queries_(conn) {}
  Status InsertVerbatim(const Entity& entity) override {
    try {
      queries_.InsertVerbatim(entity);
      return Status::Ok();
    } catch (const SQLite::Exception& e) {
      if (e.getExtendedErrorCode() == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Status::AlreadyExists(std::string(SpecFor(entity.kind).display_name) + " id " +
                                     std::to_string(entity.id) + " is already taken");
      }
      return Translate(e, &entity);
    }
  }
  Status Link(const StoredLink& link) override {
    try {
      queries_.Link(link.context_id, link.artifact_id);
      return Status::Ok();
    } catch (const SQLite::Exception& e) {
      return Translate(e);
    }
  }

 private:
  Queries queries_;
};

class SqliteAdminStore : public AdminStore {
 public:
  explicit SqliteAdminStore(const SqliteOptions& options) : options_(options) {}

  Status Open(AdminOpenMode mode) {
    try {
      if (mode == AdminOpenMode::kCreateOrMigrate) {
        // Held like a server's lock: an import never writes under a server.
        MR_RETURN_IF_ERROR(file_guard_.Acquire(options_.path));
        MR_RETURN_IF_ERROR(OpenMigrated(options_, conn_).status());
      } else {
        conn_ = std::make_unique<Connection>(options_.path, SQLite::OPEN_READONLY,
                                             options_.busy_timeout_ms);
        if (conn_->db()
                .execAndGet("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                            "name = 'schema_migrations'")
                .getInt() == 0) {
          return Status::Unavailable(options_.path + " is not a model registry database");
        }
      }
      schema_version_ = conn_->db()
                            .execAndGet("SELECT coalesce(max(version), 0) FROM schema_migrations")
                            .getInt();
      return Status::Ok();
    } catch (const SQLite::Exception& e) {
      return Status::Unavailable("cannot open database " + options_.path + ": " + e.what());
    }
  }

  int SchemaVersion() override { return schema_version_; }

  Status ReadSnapshot(const std::function<Status(DatabaseSnapshot&)>& fn) override {
    return InTransaction("BEGIN", [&]() -> Status {
      SqliteSnapshot snapshot(*conn_);
      return fn(snapshot);
    });
  }

  Status LoadIntoEmpty(const std::function<Status(DatabaseLoader&)>& fn) override {
    return InTransaction("BEGIN IMMEDIATE", [&]() -> Status {
      int64_t existing = Queries(*conn_).CountEntities();
      if (existing != 0) {
        return Status::FailedPrecondition("database " + options_.path + " already holds " +
                                          std::to_string(existing) +
                                          " entities; import needs an empty database");
      }
      SqliteLoader loader(*conn_);
      return fn(loader);
    });
  }

  Status Backup(const std::string& dest_path) override {
    if (access(dest_path.c_str(), F_OK) == 0) {
      return Status::AlreadyExists(dest_path + " already exists");
    }
    // Written under a temporary name and linked into place when complete, so
    // DEST never names a partial copy and an existing DEST is never replaced.
    const std::string partial = dest_path + ".partial-" + std::to_string(getpid());
    std::remove(partial.c_str());
    sqlite3* dest = nullptr;
    int rc = sqlite3_open_v2(partial.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                             nullptr);
    std::string error;
    if (rc == SQLITE_OK) {
      sqlite3_backup* backup = sqlite3_backup_init(dest, "main", conn_->db().getHandle(), "main");
      if (backup == nullptr) {
        error = sqlite3_errmsg(dest);
      } else {
        // One step copies every page inside a single read transaction on the
        // source: a consistent snapshot, while the server's writer goes on
        // appending to the WAL.
        rc = sqlite3_backup_step(backup, -1);
        sqlite3_backup_finish(backup);
        if (rc != SQLITE_DONE) error = sqlite3_errstr(rc);
      }
    } else {
      error = dest != nullptr ? sqlite3_errmsg(dest) : sqlite3_errstr(rc);
    }
    if (sqlite3_close(dest) != SQLITE_OK && error.empty()) error = "cannot close the copy";
    if (error.empty() && link(partial.c_str(), dest_path.c_str()) != 0) {
      error = std::string("cannot create ") + dest_path + ": " + std::strerror(errno);
    }
    std::remove(partial.c_str());
    if (!error.empty()) return Status::Unavailable("backup to " + dest_path + " failed: " + error);
    return Status::Ok();
  }

 private:
  Status InTransaction(const char* begin, const std::function<Status()>& fn) {
    try {
      conn_->db().exec(begin);
    } catch (const SQLite::Exception& e) {
      return Translate(e);
    }
    Status status;
    try {
      status = fn();
      conn_->db().exec(status.ok() ? "COMMIT" : "ROLLBACK");
    } catch (const SQLite::Exception& e) {
      status = Translate(e);
      try {
        conn_->db().exec("ROLLBACK");
      } catch (...) {
      }
    }
    return status;
  }

  const SqliteOptions options_;
  DatabaseFileGuard file_guard_;  // declared first: closes after the connection
  std::unique_ptr<Connection> conn_;
  int schema_version_ = 0;
};

}  // namespace

int LatestSchemaVersion() { return sqlite::Migrations().back().version; }

Result<std::unique_ptr<Repository>> OpenSqliteRepository(const SqliteOptions& options) {
  auto repo = std::make_unique<SqliteRepository>(options);
  MR_RETURN_IF_ERROR(repo->Open());
  return std::unique_ptr<Repository>(std::move(repo));
}

Result<MigrationReport> MigrateSqliteDatabase(const SqliteOptions& options) {
  try {
    // A server on the file holds its lock and has migrated the file to its
    // own version. With nothing pending, migrate only reads the version; with
    // migrations pending (the server is an older binary) it refuses, rather
    // than change the schema under a running server.
    DatabaseFileGuard guard;  // declared before the connection: released after it
    if (options.path != ":memory:" && !options.path.empty()) {
      Status locked = guard.Acquire(options.path);
      if (!locked.ok() && !guard.in_use()) return locked;
      if (!locked.ok()) {
        SQLite::Database db(options.path, SQLite::OPEN_READONLY);
        int current =
            db.execAndGet("SELECT coalesce(max(version), 0) FROM schema_migrations").getInt();
        if (current < LatestSchemaVersion()) {
          return Status::Unavailable("database " + options.path + " (schema version " +
                                     std::to_string(current) +
                                     ") is in use by a model-registry server; stop it to migrate "
                                     "to schema version " +
                                     std::to_string(LatestSchemaVersion()));
        }
      }
    }
    std::unique_ptr<Connection> conn;
    MR_ASSIGN_OR_RETURN(int from, OpenMigrated(options, conn));
    return MigrationReport{from, LatestSchemaVersion()};
  } catch (const SQLite::Exception& e) {
    return Status::Unavailable("cannot open database " + options.path + ": " + e.what());
  }
}

Result<std::unique_ptr<AdminStore>> OpenSqliteAdminStore(const SqliteOptions& options,
                                                         AdminOpenMode mode) {
  auto store = std::make_unique<SqliteAdminStore>(options);
  MR_RETURN_IF_ERROR(store->Open(mode));
  return std::unique_ptr<AdminStore>(std::move(store));
}

Status CreateSqliteDatabase(const std::string& dest_path,
                            const std::function<Status(AdminStore&)>& fill) {
  if (access(dest_path.c_str(), F_OK) == 0) {
    return Status::AlreadyExists(dest_path + " already exists");
  }
  // As Backup: written under a temporary name, linked into place when complete.
  const std::string partial = dest_path + ".partial-" + std::to_string(getpid());
  std::remove(partial.c_str());
  Status status;
  {
    SqliteOptions options;
    options.path = partial;
    auto store = OpenSqliteAdminStore(options, AdminOpenMode::kCreateOrMigrate);
    status =
        store.ok()
            ? fill(**store)
            : Status::Unavailable("cannot create " + dest_path + ": " + store.status().message());
  }  // closing the only connection checkpoints the WAL into the file
  if (status.ok() && link(partial.c_str(), dest_path.c_str()) != 0) {
    status = Status::Unavailable("cannot create " + dest_path + ": " + std::strerror(errno));
  }
  std::remove(partial.c_str());
  return status;
}

}  // namespace mr
