// The PostgreSQL AdminStore (admin_store.h): export reads one REPEATABLE READ
// READ ONLY transaction while servers keep writing; import loads an empty
// database in one transaction that holds a table lock, so two imports (or an
// import and a server's write) cannot both land, and then moves the id
// sequences past the imported ids. docs/CLI.md, "Admin commands".
#include <libpq-fe.h>

#include <limits>

#include "model_registry/postgres_repository.h"
#include "postgres/session.h"

namespace mr {
namespace {

using postgres::PgConnection;
using postgres::PgError;
using postgres::PgQueries;
using postgres::ResultPtr;

constexpr const char* kEntityTables[] = {"context", "artifact", "execution"};

// How long an import waits for another import or a server's write to finish
// before giving up; statements themselves have no time limit here, since an
// import of a large registry is one long transaction.
constexpr int kLockTimeoutMs = 30000;

class PgSnapshot : public DatabaseSnapshot {
 public:
  explicit PgSnapshot(PgConnection& conn) : conn_(conn), queries_(conn) {}

  Status ForEachEntity(StorageClass storage,
                       const std::function<Status(const Entity&)>& fn) override {
    // A page at a time, so memory stays bounded; all pages read one snapshot.
    constexpr int64_t kPage = 500;
    int64_t after = std::numeric_limits<int64_t>::min();
    for (;;) {
      std::vector<Entity> rows;
      try {
        rows = queries_.EntitiesAfter(storage, after, kPage);
      } catch (const PgError& e) {
        return postgres::Translate(e);
      }
      if (rows.empty()) return Status::Ok();
      for (const Entity& e : rows) MR_RETURN_IF_ERROR(fn(e));
      after = rows.back().id;
    }
  }

  Status ForEachLink(const std::function<Status(const StoredLink&)>& fn) override {
    try {
      ResultPtr r = conn_.Exec(
          "SELECT context_id, artifact_id FROM attribution ORDER BY context_id, artifact_id");
      for (int i = 0; i < PQntuples(r.get()); ++i) {
        MR_RETURN_IF_ERROR(
            fn(StoredLink{postgres::Int64At(r.get(), i, 0), postgres::Int64At(r.get(), i, 1)}));
      }
      return Status::Ok();
    } catch (const PgError& e) {
      return postgres::Translate(e);
    }
  }

 private:
  PgConnection& conn_;
  PgQueries queries_;
};

class PgLoader : public DatabaseLoader {
 public:
  explicit PgLoader(PgConnection& conn) : queries_(conn) {}

  Status InsertVerbatim(const Entity& entity) override {
    try {
      if (queries_.InsertVerbatim(entity)) return Status::Ok();
      return Status::AlreadyExists(std::string(SpecFor(entity.kind).display_name) + " id " +
                                   std::to_string(entity.id) + " is already taken");
    } catch (const PgError& e) {
      return postgres::Translate(e, &entity);
    }
  }

  Status Link(const StoredLink& link) override {
    try {
      queries_.Link(link.context_id, link.artifact_id);
      return Status::Ok();
    } catch (const PgError& e) {
      return postgres::Translate(e);
    }
  }

 private:
  PgQueries queries_;
};

class PostgresAdminStore : public AdminStore {
 public:
  explicit PostgresAdminStore(PostgresOptions options) : options_(std::move(options)) {
    options_.query_timeout_ms = 0;  // no statement limit (0 disables it)
  }

  Status Open(AdminOpenMode mode) {
    MR_RETURN_IF_ERROR(postgres::CheckConninfo(options_.conninfo));
    MR_ASSIGN_OR_RETURN(conn_, postgres::Connect(options_));
    try {
      conn_->ExecScript(("SET lock_timeout = " + std::to_string(kLockTimeoutMs)).c_str());
      if (mode == AdminOpenMode::kCreateOrMigrate) {
        MR_RETURN_IF_ERROR(postgres::Migrate(*conn_).status());
      } else {
        ResultPtr r = conn_->Exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
        if (std::string(PQgetvalue(r.get(), 0, 0)) != "t") {
          return Status::Unavailable("the database is not a model registry database");
        }
      }
      ResultPtr r = conn_->Exec("SELECT coalesce(max(version), 0) FROM schema_migrations");
      schema_version_ = static_cast<int>(postgres::Int64At(r.get(), 0, 0));
      return Status::Ok();
    } catch (const PgError& e) {
      return postgres::Translate(e);
    }
  }

  int SchemaVersion() override { return schema_version_; }

  Status ReadSnapshot(const std::function<Status(DatabaseSnapshot&)>& fn) override {
    return InTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", [&]() -> Status {
      PgSnapshot snapshot(*conn_);
      return fn(snapshot);
    });
  }

  Status LoadIntoEmpty(const std::function<Status(DatabaseLoader&)>& fn) override {
    return InTransaction("BEGIN", [&]() -> Status {
      // SHARE ROW EXCLUSIVE conflicts with itself and with the row locks of
      // every write, and READ COMMITTED counts after the lock is granted: a
      // second import waits, then finds the first one's entities.
      conn_->ExecScript("LOCK TABLE context, artifact, execution IN SHARE ROW EXCLUSIVE MODE");
      ResultPtr r = conn_->Exec(
          "SELECT (SELECT count(*) FROM context) + (SELECT count(*) FROM artifact) + "
          "(SELECT count(*) FROM execution)");
      const int64_t existing = postgres::Int64At(r.get(), 0, 0);
      if (existing != 0) {
        return Status::FailedPrecondition("the database already holds " + std::to_string(existing) +
                                          " entities; import needs an empty database");
      }
      PgLoader loader(*conn_);
      MR_RETURN_IF_ERROR(fn(loader));
      // The identity sequences did not hand out the imported ids: move each
      // past its table's largest id, so that the next create gets a fresh one.
      for (const char* table : kEntityTables) {
        conn_->Exec(std::string("SELECT setval(pg_get_serial_sequence('") + table +
                    "', 'id'), coalesce((SELECT max(id) FROM " + table + "), 0) + 1, false)");
      }
      return Status::Ok();
    });
  }

  Status Backup(const std::string&) override {
    return Status::FailedPrecondition(
        "a PostgreSQL database has no file to copy; `model-registry backup` writes a snapshot "
        "into a new SQLite file instead (docs/CLI.md)");
  }

 private:
  Status InTransaction(const char* begin, const std::function<Status()>& fn) {
    Status status;
    try {
      conn_->ExecScript(begin);
      status = fn();
      conn_->ExecScript(status.ok() ? "COMMIT" : "ROLLBACK");
    } catch (const PgError& e) {
      status =
          e.sqlstate == "55P03"
              ? Status::Unavailable("another import or a server's write held the database for " +
                                    std::to_string(kLockTimeoutMs / 1000) + " s; try again")
              : postgres::Translate(e);
      try {
        if (conn_->healthy()) conn_->ExecScript("ROLLBACK");
      } catch (const PgError&) {
      }
    }
    return status;
  }

  PostgresOptions options_;
  std::unique_ptr<PgConnection> conn_;
  int schema_version_ = 0;
};

}  // namespace

Result<MigrationReport> MigratePostgresDatabase(const PostgresOptions& options) {
  MR_RETURN_IF_ERROR(postgres::CheckConninfo(options.conninfo));
  MR_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, postgres::Connect(options));
  return postgres::Migrate(*conn);
}

Result<std::unique_ptr<AdminStore>> OpenPostgresAdminStore(const PostgresOptions& options,
                                                           AdminOpenMode mode) {
  auto store = std::make_unique<PostgresAdminStore>(options);
  MR_RETURN_IF_ERROR(store->Open(mode));
  return std::unique_ptr<AdminStore>(std::move(store));
}

}  // namespace mr
