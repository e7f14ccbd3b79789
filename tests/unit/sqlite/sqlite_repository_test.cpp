// The SQLite repository on a real temporary file. Storage facts (tables, WAL,
// migrations) are checked through a separate sqlite3 connection, so the test
// does not trust the repository to report on itself.
#include "model_registry/sqlite_repository.h"

#include <malloc.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "model_registry/entity_spec.h"
#include "repository/test_databases.h"

namespace mr {
namespace {

using namespace mr::testing;

// ---- migrations ---------------------------------------------------------------

TEST_CASE("A new database is fully migrated and clean", "[sqlite][migrations]") {
  TempDb db;
  {
    auto repo = db.Open();
    CHECK(repo->CheckHealth().ok());
  }

  REQUIRE(LatestSchemaVersion() >= 1);
  Rows rows = RawQuery(db.path(), "SELECT version, dirty FROM schema_migrations ORDER BY version");
  REQUIRE(rows.size() == static_cast<size_t>(LatestSchemaVersion()));
  for (size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i][0] == std::to_string(i + 1));
    CHECK(rows[i][1] == "0");
  }
  Rows tables = RawQuery(db.path(),
                         "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN "
                         "('context', 'context_property', 'artifact', 'artifact_property', "
                         "'attribution', 'execution', 'execution_property') ORDER BY name");
  CHECK(tables == Rows{{"artifact"},
                       {"artifact_property"},
                       {"attribution"},
                       {"context"},
                       {"context_property"},
                       {"execution"},
                       {"execution_property"}});
  CheckIntegrity(db.path());
}

TEST_CASE("Reopening keeps data and does not re-run migrations", "[sqlite][migrations]") {
  TempDb db;
  int64_t id = 0;
  {
    auto repo = db.Open();
    Entity rm = NewEntity(K::kRegisteredModel, "kept");
    rm.custom_properties["k"] = MetadataValue::String("v");
    id = MustInsert(*repo, rm).id;
  }
  Rows before =
      RawQuery(db.path(), "SELECT version, name, dirty, applied_at FROM schema_migrations");
  {
    auto repo = db.Open();
    CHECK(repo->CheckHealth().ok());
    Result<Entity> stored = repo->Get(StorageClass::kContext, id);
    REQUIRE(stored.ok());
    CHECK(stored->name == "kept");
    CHECK(stored->custom_properties.at("k") == MetadataValue::String("v"));
  }
  Rows after =
      RawQuery(db.path(), "SELECT version, name, dirty, applied_at FROM schema_migrations");
  CHECK(after == before);
  CHECK(RawScalar(db.path(), "SELECT count(*) FROM context") == "1");
  CheckIntegrity(db.path());
}

TEST_CASE("A database from a newer binary is refused with kUnavailable", "[sqlite][migrations]") {
  TempDb db;
  { auto repo = db.Open(); }
  RawQuery(db.path(), "INSERT INTO schema_migrations (version, name, dirty, applied_at) VALUES (" +
                          std::to_string(LatestSchemaVersion() + 1) + ", 'future', 0, 0)");
  SqliteOptions options;
  options.path = db.path();
  Result<std::unique_ptr<Repository>> repo = OpenSqliteRepository(options);
  REQUIRE_FALSE(repo.ok());
  CHECK(repo.status().code() == StatusCode::kUnavailable);
}

TEST_CASE("CheckHealth reports a dirty schema", "[sqlite][migrations]") {
  TempDb db;
  auto repo = db.Open();
  REQUIRE(repo->CheckHealth().ok());
  RawQuery(db.path(), "UPDATE schema_migrations SET dirty = 1");
  Status health = repo->CheckHealth();
  CHECK(health.code() == StatusCode::kUnavailable);
}

TEST_CASE("An unopenable path is kUnavailable", "[sqlite]") {
  TempDb db;
  SqliteOptions options;
  options.path = (std::filesystem::path(db.path()).parent_path() / "missing-dir" / "x.db").string();
  Result<std::unique_ptr<Repository>> repo = OpenSqliteRepository(options);
  REQUIRE_FALSE(repo.ok());
  CHECK(repo.status().code() == StatusCode::kUnavailable);
}

TEST_CASE("The database runs in WAL mode", "[sqlite]") {
  TempDb db;
  auto repo = db.Open();
  CHECK(RawScalar(db.path(), "PRAGMA journal_mode") == "wal");
}

// ---- transactions ---------------------------------------------------------------

// ---- timestamps --------------------------------------------------------------------

TEST_CASE("NowMs is the wall clock: writes, rollbacks and stored timestamps do not move it",
          "[sqlite][timestamps]") {
  TempDb db;
  const int64_t future = WallClockMs() + 3600 * 1000;  // an hour ahead of the clock
  {
    auto repo = db.Open();
    // 2000 reads of the clock and a rolled-back write in between: none of it
    // may push later timestamps ahead (issue 10: 409s ran the clock ahead).
    Status many = repo->Write([&](WriteTransaction& tx) -> Status {
      for (int i = 0; i < 2000; ++i) tx.NowMs();
      return Status::InvalidArgument("roll back");
    });
    CHECK(many.code() == StatusCode::kInvalidArgument);
    int64_t after_many = 0;
    REQUIRE(repo->Write([&](WriteTransaction& tx) -> Status {
                  after_many = tx.NowMs();
                  return Status::Ok();
                })
                .ok());
    CHECK(after_many <= WallClockMs());
    CHECK(after_many >= WallClockMs() - 60 * 1000);

    Entity ahead = NewEntity(K::kRegisteredModel, "from-the-future");
    ahead.create_time_ms = ahead.update_time_ms = future;
    MustInsert(*repo, ahead);
  }
  // A stored timestamp from the future does not drag the clock along after a
  // restart.
  auto repo = db.Open();
  int64_t after_reopen = 0;
  REQUIRE(repo->Write([&](WriteTransaction& tx) -> Status {
                after_reopen = tx.NowMs();
                return Status::Ok();
              })
              .ok());
  CHECK(after_reopen < future);
  CHECK(after_reopen <= WallClockMs());
  CheckIntegrity(db.path());
}

TEST_CASE("NowMs comes from SqliteOptions::clock_ms when set", "[sqlite][timestamps]") {
  SqliteOptions options;
  options.path = ":memory:";
  options.clock_ms = [] { return int64_t{1234567}; };
  Result<std::unique_ptr<Repository>> repo = OpenSqliteRepository(options);
  REQUIRE(repo.ok());
  int64_t first = 0, second = 0;
  REQUIRE((*repo)
              ->Write([&](WriteTransaction& tx) -> Status {
                first = tx.NowMs();
                second = tx.NowMs();
                return Status::Ok();
              })
              .ok());
  CHECK(first == 1234567);
  CHECK(second == 1234567);
}

// ---- storage faults ----------------------------------------------------------------

TEST_CASE("A second repository on the same file is refused while the first is open",
          "[sqlite][faults]") {
  TempDb db;
  auto first = db.Open();
  SqliteOptions options;
  options.path = db.path();
  Result<std::unique_ptr<Repository>> second = OpenSqliteRepository(options);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == StatusCode::kUnavailable);
  CHECK(second.status().message() ==
        "database " + db.path() + " is in use by another model-registry server");
  first.reset();
  Result<std::unique_ptr<Repository>> third = OpenSqliteRepository(options);
  CHECK(third.ok());
}

TEST_CASE("A deleted database file fails health and every write, and stores nothing",
          "[sqlite][faults]") {
  TempDb db;
  auto repo = db.Open();
  MustInsert(*repo, NewEntity(K::kRegisteredModel, "before"));
  REQUIRE(repo->CheckHealth().ok());
  REQUIRE(std::filesystem::remove(db.path()));
  Status health = repo->CheckHealth();
  CHECK(health.code() == StatusCode::kUnavailable);
  CHECK(health.message().find("was deleted") != std::string::npos);
  bool ran = false;
  Status write = repo->Write([&](WriteTransaction&) -> Status {
    ran = true;
    return Status::Ok();
  });
  CHECK(write.code() == StatusCode::kUnavailable);
  CHECK_FALSE(ran);  // refused before the transaction began
}

// ---- statement cache ----------------------------------------------------------------

// The i-th of 1536 list queries with pairwise different SQL texts, all matching
// nothing (there are no experiments), so none of them loads properties.
ListQuery DistinctEmptyList(int i) {
  i %= 1536;
  ListQuery q;
  q.kinds = {K::kExperiment};
  q.filter_kind = K::kExperiment;
  q.order = std::vector<OrderField>{OrderField::kId, OrderField::kCreateTime,
                                    OrderField::kLastUpdateTime}[i % 3];
  int bits = i / 3;
  q.descending = bits & 1;
  if (bits & 2) q.limit = 5;
  if (bits & 4) q.after = Cursor{1, 1};
  if (bits & 8) q.parent_id = 1;
  if (bits & 16) q.name = "n";
  if (bits & 32) q.external_id = "x";
  if (bits & 64) q.name_contains = "c";
  if (bits & 128) q.steps = std::vector<int64_t>{1};
  if (bits & 256) q.linked_context_id = 1;
  return q;
}

// Makes freed heap memory hold garbage while alive, so a use after free
// crashes instead of silently reading stale bytes (glibc; a no-op under ASan,
// which cannot see into the uninstrumented SQLiteCpp either).
class PerturbFreedMemory {
 public:
  PerturbFreedMemory() { mallopt(M_PERTURB, 0x5a); }
  ~PerturbFreedMemory() { mallopt(M_PERTURB, 0); }
  PerturbFreedMemory(const PerturbFreedMemory&) = delete;
  PerturbFreedMemory& operator=(const PerturbFreedMemory&) = delete;
};

// Each connection caches prepared statements and clears the whole cache when
// it overflows (512 entries). Filter queries produce many distinct SQL texts,
// so the clear happens in production. The sequences below try to make it
// happen at the worst moment: while Get (reads) or Update (writes) still holds
// a statement it prepared earlier and prepares a second one, which must not
// destroy the first. Each attempt starts from a freshly opened repository
// (empty caches) and fills the cache with a different number of statements,
// so one attempt hits the overflow exactly whatever the fixed overhead
// (BEGIN/COMMIT statements and the like) is. The checks hold for any cache.
TEST_CASE("Statements in use survive a statement cache overflow", "[sqlite][cache]") {
  TempDb db;
  Entity rm = NewEntity(K::kRegisteredModel, "cached");
  rm.custom_properties["k"] = MetadataValue::Int(5);
  rm = MustInsert(*db.Open(), rm);
  PerturbFreedMemory perturb;
  int next_query = 0;

  SECTION("Get on a pooled read connection") {
    for (int fill = 500; fill <= 520; ++fill) {
      INFO("attempt with " << fill << " list statements");
      auto repo = db.Open();
      // Caches the Get statement but not the property load (nothing found).
      REQUIRE(repo->Get(StorageClass::kContext, 999999).status().code() == StatusCode::kNotFound);
      for (int i = 0; i < fill; ++i) {
        Result<ListPage> page = repo->List(DistinctEmptyList(next_query++));
        REQUIRE(page.ok());
        REQUIRE(page->items.empty());
      }
      // Get holds its statement while preparing the property load.
      Result<Entity> got = repo->Get(StorageClass::kContext, rm.id);
      REQUIRE(got.ok());
      CHECK(got->name == "cached");
      CHECK(got->custom_properties.at("k") == MetadataValue::Int(5));
    }
  }
  SECTION("Update on the writer connection") {
    for (int fill = 500; fill <= 520; ++fill) {
      INFO("attempt with " << fill << " list statements");
      auto repo = db.Open();
      Status status = repo->Write([&](WriteTransaction& tx) -> Status {
        // Caches the UPDATE statement only: no row, so no property rewrite.
        Entity ghost = rm;
        ghost.id = 999999;
        if (tx.Update(ghost).code() != StatusCode::kNotFound) {
          return Status::Internal("update of a missing row did not report kNotFound");
        }
        for (int i = 0; i < fill; ++i) {
          MR_RETURN_IF_ERROR(tx.List(DistinctEmptyList(next_query++)).status());
        }
        // Update holds its statement while preparing the property delete.
        Entity changed = rm;
        changed.description = "fill " + std::to_string(fill);
        changed.update_time_ms = tx.NowMs();
        return tx.Update(changed);
      });
      REQUIRE(status.ok());
      Result<Entity> got = repo->Get(StorageClass::kContext, rm.id);
      REQUIRE(got.ok());
      CHECK(got->description == std::optional<std::string>("fill " + std::to_string(fill)));
      CHECK(got->custom_properties.at("k") == MetadataValue::Int(5));
    }
  }
  CheckIntegrity(db.path());
}

}  // namespace
}  // namespace mr
