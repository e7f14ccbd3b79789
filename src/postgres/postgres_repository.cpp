// PostgreSQL implementation of Repository over libpq. Every statement is
// parameterized (PQexecParams, text parameters typed by the server from
// context; the fixed-text ones prepared once per connection, PQexecPrepared);
// SQL is written with '?' placeholders, as src/storage and the filter
// emitter produce it, and numbered ($1, $2, ...) just before it is sent.
// libpq failures become PgError at the statement and a Status at each public
// method: 23505 -> kAlreadyExists, 40001/40P01 -> retried, then kUnavailable;
// 22P02/22003 (a filter value the column type cannot hold) and 22021 (text
// that is not UTF-8) -> kInvalidArgument;
// 57014 (statement_timeout) and lost connections -> kUnavailable.
#include "model_registry/postgres_repository.h"

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
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
#include <unordered_set>

#include "model_registry/entity_spec.h"
#include "postgres/schema.h"
#include "postgres/session.h"
#include "storage/entity_rows.h"

namespace mr {
namespace {

using postgres::Connect;
using postgres::Int64At;
using postgres::IsRetryable;
using postgres::Params;
using postgres::PgConnection;
using postgres::PgError;
using postgres::PgQueries;
using postgres::ResultPtr;
using postgres::SystemClockMs;
using postgres::Translate;

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
    MR_RETURN_IF_ERROR(postgres::CheckConninfo(options_.conninfo));
    try {
      Result<std::unique_ptr<PgConnection>> connected = Connect(options_);
      for (int attempt = 1; !connected.ok(); ++attempt) {
        if (!options_.retry_connect || !options_.retry_connect(attempt, connected.status())) {
          return connected.status();
        }
        connected = Connect(options_);
      }
      std::unique_ptr<PgConnection> conn = std::move(*connected);
      MR_RETURN_IF_ERROR(postgres::Migrate(*conn).status());
      conn->CountStatementsIn(&statements_);
      std::lock_guard<std::mutex> lock(pool_mu_);
      ++open_;
      idle_.push_back(std::move(conn));
      return Status::Ok();
    } catch (const PgError& e) {
      return Status::Unavailable("cannot migrate the database: " + std::string(e.what()));
    }
  }

  // Get and Latest are one statement each, which is its own snapshot.
  Result<Entity> Get(StorageClass storage, int64_t id) override {
    return Read<Entity>([&](PgQueries& q) { return q.Get(storage, id); }, kNoTransaction);
  }
  Result<ListPage> List(const ListQuery& query) override {
    return Read<ListPage>([&](PgQueries& q) { return q.List(query); });
  }
  Result<Entity> Latest(EntityKind kind, int64_t parent_id) override {
    return Read<Entity>([&](PgQueries& q) { return q.Latest(kind, parent_id); }, kNoTransaction);
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
        status = TranslateUnlessInterrupted(e);
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
    // The transaction's own statements translate a cancel as a timeout.
    if (interrupted_ && status.code() == StatusCode::kUnavailable) return ShuttingDown();
    return status;
  }

  // Cancels the statements running on every connection in use, and makes
  // statements sent later fail at once; a cancelled write is rolled back.
  void InterruptQueries() override {
    interrupted_ = true;
    std::lock_guard<std::mutex> lock(pool_mu_);
    for (PgConnection* conn : in_use_) conn->Cancel();
  }

  Status CheckHealth() override {
    return Read<bool>([&](PgQueries&) -> Result<bool> { return true; }, kCheckSchema).status();
  }
  std::vector<StorageStat> Stats() override {
    int open = 0;
    size_t idle = 0;
    uint64_t waits = 0;
    double waited_seconds = 0;
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      open = open_;
      idle = idle_.size();
      waits = pool_waits_;
      waited_seconds = std::chrono::duration<double>(pool_waited_).count();
    }
    return {
        {"statements_total", "SQL statements sent to PostgreSQL (one round trip each).", true,
         static_cast<double>(statements_.load(std::memory_order_relaxed))},
        {"pool_connections_open", "Connections to PostgreSQL open in this process's pool.", false,
         static_cast<double>(open)},
        {"pool_connections_in_use", "Pool connections lent to a request right now.", false,
         static_cast<double>(open - static_cast<int>(idle))},
        {"pool_connections_max", "The pool's bound (--db-max-connections).", false,
         static_cast<double>(options_.max_connections)},
        {"pool_waits_total",
         "Times a request found every pool connection busy and had to wait for one.", true,
         static_cast<double>(waits)},
        {"pool_wait_seconds_total", "Time requests spent waiting for a free pool connection.", true,
         waited_seconds},
    };
  }

 private:
  // A looked-up value that is not valid UTF-8 (22021) cannot be stored, so a
  // read for it finds nothing, as on SQLite.
  static bool NothingMatches(const PgError& e) { return e.sqlstate == "22021"; }

  Status TranslateUnlessInterrupted(const PgError& e) const {
    if (interrupted_ && e.sqlstate == "57014") return ShuttingDown();
    return Translate(e);
  }
  static Status ShuttingDown() {
    return Status::Unavailable("the server is shutting down: the query was interrupted; retry it");
  }
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

  enum class ReadMode {
    kSnapshot,       // several statements, in one snapshot
    kCheckSchema,    // kSnapshot, after checking the schema version first
    kNoTransaction,  // `fn` runs one statement: no transaction needed
  };
  static constexpr ReadMode kCheckSchema = ReadMode::kCheckSchema;
  static constexpr ReadMode kNoTransaction = ReadMode::kNoTransaction;

  // Runs `fn` in a read-only REPEATABLE READ transaction, so that a page and
  // its properties come from one snapshot; with kNoTransaction `fn` runs a
  // single statement, which sees one snapshot by itself, and the BEGIN and
  // COMMIT round trips are saved.
  template <typename T, typename Fn>
  Result<T> Read(Fn fn, ReadMode mode = ReadMode::kSnapshot) {
    MR_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Acquire());
    Result<T> result = Status::Internal("unset");
    const bool check_schema = mode == ReadMode::kCheckSchema;
    const bool in_transaction = mode != ReadMode::kNoTransaction;
    try {
      if (in_transaction) conn->ExecScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
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
      if (in_transaction) conn->ExecScript("COMMIT");
    } catch (const PgError& e) {
      result = NothingMatches(e) ? NoMatch<T>() : Result<T>(TranslateUnlessInterrupted(e));
      try {
        if (in_transaction && conn->healthy()) conn->ExecScript("ROLLBACK");
      } catch (const PgError&) {
      }
    }
    Release(std::move(conn));
    return result;
  }

  // Takes an idle connection, opens a new one while fewer than
  // max_connections are open, or waits up to acquire_timeout_ms for one.
  Result<std::unique_ptr<PgConnection>> Acquire() {
    if (interrupted_) return ShuttingDown();
    std::unique_lock<std::mutex> lock(pool_mu_);
    auto available = [&] { return !idle_.empty() || open_ < options_.max_connections; };
    bool free = available();
    if (!free) {
      ++pool_waits_;
      const auto started = std::chrono::steady_clock::now();
      ScopedBlocking waiting;
      free = pool_cv_.wait_for(lock, std::chrono::milliseconds(options_.acquire_timeout_ms),
                               available);
      pool_waited_ += std::chrono::steady_clock::now() - started;
    }
    if (!free) {
      return Status::Unavailable("all " + std::to_string(options_.max_connections) +
                                 " database connections stayed busy for " +
                                 std::to_string(options_.acquire_timeout_ms) + " ms");
    }
    if (!idle_.empty()) {
      std::unique_ptr<PgConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      in_use_.insert(conn.get());
      return conn;
    }
    ++open_;
    lock.unlock();
    Result<std::unique_ptr<PgConnection>> conn = Connect(options_);
    std::lock_guard<std::mutex> relock(pool_mu_);
    if (!conn.ok()) {
      --open_;
      pool_cv_.notify_one();
    } else {
      in_use_.insert(conn->get());
      (*conn)->CountStatementsIn(&statements_);
    }
    return conn;
  }

  // Returns `conn` to the pool, or closes it when its session is broken.
  void Release(std::unique_ptr<PgConnection> conn) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    in_use_.erase(conn.get());
    if (conn->healthy()) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
    pool_cv_.notify_one();
  }

  const PostgresOptions options_;
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;                    // a connection was released
  std::vector<std::unique_ptr<PgConnection>> idle_;    // guarded by pool_mu_
  int open_ = 0;                                       // guarded by pool_mu_
  std::unordered_set<PgConnection*> in_use_;           // guarded by pool_mu_
  std::atomic<bool> interrupted_{false};               // InterruptQueries() was called
  uint64_t pool_waits_ = 0;                            // guarded by pool_mu_
  std::chrono::steady_clock::duration pool_waited_{};  // guarded by pool_mu_
  std::atomic<uint64_t> statements_{0};
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
