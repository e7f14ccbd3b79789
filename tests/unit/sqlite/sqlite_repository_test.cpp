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

namespace mr {
namespace {

using K = EntityKind;
using Rows = std::vector<std::vector<std::string>>;

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A private directory holding one database file; removed with its WAL files.
class TempDb {
 public:
  TempDb() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mr-unit-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    path_ = (std::filesystem::path(dir_) / "registry.db").string();
  }
  ~TempDb() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;

  const std::string& path() const { return path_; }

  std::unique_ptr<Repository> Open() const {
    SqliteOptions options;
    options.path = path_;
    Result<std::unique_ptr<Repository>> repo = OpenSqliteRepository(options);
    if (!repo.ok()) FAIL("OpenSqliteRepository: " << repo.status().ToString());
    return std::move(repo).value();
  }

 private:
  std::string dir_;
  std::string path_;
};

// Runs `sql` on a fresh sqlite3 connection and returns every row as text
// ("NULL" for SQL NULL).
Rows RawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string error = sqlite3_errmsg(db);
    sqlite3_close(db);
    FAIL("cannot open " << path << ": " << error);
  }
  sqlite3_busy_timeout(db, 5000);
  Rows rows;
  sqlite3_stmt* stmt = nullptr;
  const char* tail = sql.c_str();
  while (tail != nullptr && *tail != '\0') {
    if (sqlite3_prepare_v2(db, tail, -1, &stmt, &tail) != SQLITE_OK) {
      std::string error = sqlite3_errmsg(db);
      sqlite3_close(db);
      FAIL("cannot prepare " << sql << ": " << error);
    }
    if (stmt == nullptr) break;  // trailing whitespace
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const unsigned char* text = sqlite3_column_text(stmt, i);
        row.push_back(text == nullptr ? "NULL" : reinterpret_cast<const char*>(text));
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
      std::string error = sqlite3_errmsg(db);
      sqlite3_close(db);
      FAIL("cannot run " << sql << ": " << error);
    }
  }
  sqlite3_close(db);
  return rows;
}

std::string RawScalar(const std::string& path, const std::string& sql) {
  Rows rows = RawQuery(path, sql);
  if (rows.size() != 1 || rows[0].size() != 1) FAIL("expected one value from " << sql);
  return rows[0][0];
}

void CheckIntegrity(const std::string& path) {
  CHECK(RawScalar(path, "PRAGMA integrity_check") == "ok");
}

Entity NewEntity(K kind, const std::string& name, int64_t parent_id = 0) {
  Entity e;
  e.kind = kind;
  e.name = name;
  e.parent_id = parent_id;
  return e;
}

// Inserts `entity` in its own transaction with fresh timestamps unless it has
// them already; returns it with its id.
Entity MustInsert(Repository& repo, Entity entity) {
  Status status = repo.Write([&](WriteTransaction& tx) -> Status {
    if (entity.create_time_ms == 0) {
      entity.create_time_ms = entity.update_time_ms = tx.NowMs();
    }
    return tx.Insert(entity);
  });
  if (!status.ok()) FAIL("insert of " << entity.name << ": " << status.ToString());
  return entity;
}

Status InsertStatus(Repository& repo, Entity entity) {
  return repo.Write([&](WriteTransaction& tx) -> Status {
    entity.create_time_ms = entity.update_time_ms = tx.NowMs();
    return tx.Insert(entity);
  });
}

std::vector<int64_t> Ids(const std::vector<Entity>& items) {
  std::vector<int64_t> ids;
  for (const Entity& e : items) ids.push_back(e.id);
  return ids;
}

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

TEST_CASE("A failing Write rolls back everything it wrote", "[sqlite][tx]") {
  TempDb db;
  auto repo = db.Open();
  Entity survivor = MustInsert(*repo, NewEntity(K::kRegisteredModel, "survivor"));

  SECTION("callback returns an error") {
    Status status = repo->Write([&](WriteTransaction& tx) -> Status {
      Entity rm = NewEntity(K::kRegisteredModel, "doomed");
      rm.fields["owner"] = std::string("alice");
      rm.custom_properties["p"] = MetadataValue::Int(1);
      rm.create_time_ms = rm.update_time_ms = tx.NowMs();
      MR_RETURN_IF_ERROR(tx.Insert(rm));
      Entity mv = NewEntity(K::kModelVersion, "v1", rm.id);
      mv.create_time_ms = mv.update_time_ms = tx.NowMs();
      MR_RETURN_IF_ERROR(tx.Insert(mv));
      Entity artifact = NewEntity(K::kModelArtifact, "a", mv.id);
      artifact.create_time_ms = artifact.update_time_ms = tx.NowMs();
      MR_RETURN_IF_ERROR(tx.Insert(artifact));
      MR_RETURN_IF_ERROR(tx.Link(mv.id, artifact.id));
      Entity changed = survivor;
      changed.description = "changed";
      changed.update_time_ms = tx.NowMs();
      MR_RETURN_IF_ERROR(tx.Update(changed));
      // Visible inside the transaction...
      Result<Entity> inside = tx.Get(StorageClass::kContext, rm.id);
      if (!inside.ok()) return Status::Internal("own write invisible inside the transaction");
      return Status::InvalidArgument("boom");
    });
    CHECK(status.code() == StatusCode::kInvalidArgument);
    CHECK(status.message() == "boom");
  }
  SECTION("callback throws") {
    Status status = repo->Write([&](WriteTransaction& tx) -> Status {
      Entity rm = NewEntity(K::kRegisteredModel, "doomed");
      rm.custom_properties["p"] = MetadataValue::Int(1);
      rm.create_time_ms = rm.update_time_ms = tx.NowMs();
      MR_RETURN_IF_ERROR(tx.Insert(rm));
      throw std::runtime_error("thrown");
    });
    CHECK(status.code() == StatusCode::kInternal);
  }

  // ...and gone afterwards, through the repository and through raw SQL.
  ListQuery all;
  all.kinds = {K::kRegisteredModel};
  Result<ListPage> page = repo->List(all);
  REQUIRE(page.ok());
  CHECK(Ids(page->items) == std::vector<int64_t>{survivor.id});
  CHECK(RawScalar(db.path(), "SELECT count(*) FROM context") == "1");
  CHECK(RawScalar(db.path(), "SELECT count(*) FROM context_property") == "0");
  CHECK(RawScalar(db.path(), "SELECT count(*) FROM artifact") == "0");
  CHECK(RawScalar(db.path(), "SELECT count(*) FROM attribution") == "0");
  Result<Entity> stored = repo->Get(StorageClass::kContext, survivor.id);
  REQUIRE(stored.ok());
  CHECK_FALSE(stored->description.has_value());

  // The repository is still usable.
  MustInsert(*repo, NewEntity(K::kRegisteredModel, "doomed"));
  CheckIntegrity(db.path());
}

TEST_CASE("Concurrent writes: a failure rolls back only its own changes", "[sqlite][tx]") {
  // Writes from several threads may be committed together; each one must
  // still succeed or fail on its own.
  TempDb db;
  auto repo = db.Open();
  MustInsert(*repo, NewEntity(K::kRegisteredModel, "taken"));
  const int kThreads = 4, kWrites = 40;
  std::vector<std::vector<Status>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int w = 0; w < kWrites; ++w) {
        results[t].push_back(repo->Write([&](WriteTransaction& tx) -> Status {
          Entity rm =
              NewEntity(K::kRegisteredModel, "t" + std::to_string(t) + "-w" + std::to_string(w));
          rm.custom_properties["w"] = MetadataValue::Int(w);
          rm.create_time_ms = rm.update_time_ms = tx.NowMs();
          MR_RETURN_IF_ERROR(tx.Insert(rm));
          if (w % 3 == 1) return Status::InvalidArgument("fail after insert");
          if (w % 3 == 2) {
            Entity clash = NewEntity(K::kRegisteredModel, "taken");
            clash.create_time_ms = clash.update_time_ms = tx.NowMs();
            return tx.Insert(clash);  // kAlreadyExists after a good insert
          }
          return Status::Ok();
        }));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::set<std::string> expected = {"taken"};
  for (int t = 0; t < kThreads; ++t) {
    REQUIRE(results[t].size() == static_cast<size_t>(kWrites));
    for (int w = 0; w < kWrites; ++w) {
      INFO("thread " << t << ", write " << w);
      StatusCode want = w % 3 == 0   ? StatusCode::kOk
                        : w % 3 == 1 ? StatusCode::kInvalidArgument
                                     : StatusCode::kAlreadyExists;
      CHECK(results[t][w].code() == want);
      if (w % 3 == 0) expected.insert("t" + std::to_string(t) + "-w" + std::to_string(w));
    }
  }
  ListQuery all;
  all.kinds = {K::kRegisteredModel};
  Result<ListPage> page = repo->List(all);
  REQUIRE(page.ok());
  std::set<std::string> names;
  std::set<int64_t> times;
  for (const Entity& e : page->items) {
    names.insert(e.name);
    times.insert(e.create_time_ms);
  }
  CHECK(names == expected);
  // Commits may share a millisecond (NowMs is the wall clock), never go past it.
  CHECK(*times.rbegin() <= WallClockMs());
  CHECK(RawScalar(db.path(), "SELECT count(*) FROM context_property") ==
        std::to_string(expected.size() - 1));
  CheckIntegrity(db.path());
}

TEST_CASE("Unique violations are kAlreadyExists", "[sqlite][tx]") {
  TempDb db;
  auto repo = db.Open();
  Entity rm = NewEntity(K::kRegisteredModel, "unique");
  rm.external_id = "ext";
  rm = MustInsert(*repo, rm);

  Status same_name = InsertStatus(*repo, NewEntity(K::kRegisteredModel, "unique"));
  CHECK(same_name.code() == StatusCode::kAlreadyExists);
  CHECK(same_name.message() == "registered model with name unique already exists");

  // externalId is unique across all context kinds...
  Entity exp = NewEntity(K::kExperiment, "other");
  exp.external_id = "ext";
  CHECK(InsertStatus(*repo, exp).code() == StatusCode::kAlreadyExists);
  // ...but not across storage classes.
  Entity artifact = NewEntity(K::kDocArtifact, "doc");
  artifact.external_id = "ext";
  CHECK(InsertStatus(*repo, artifact).ok());

  // The same name is fine under another parent, another kind or another scope.
  CHECK(InsertStatus(*repo, NewEntity(K::kModelVersion, "unique", rm.id)).ok());
  CHECK(InsertStatus(*repo, NewEntity(K::kExperiment, "unique")).ok());
  Entity scoped = NewEntity(K::kDataSet, "data");
  scoped.name_scope = "scope-a";
  CHECK(InsertStatus(*repo, scoped).ok());
  scoped.name_scope = "scope-b";
  CHECK(InsertStatus(*repo, scoped).ok());
  CHECK(InsertStatus(*repo, scoped).code() == StatusCode::kAlreadyExists);

  // An update that introduces an externalId clash is rejected.
  Entity version = MustInsert(*repo, NewEntity(K::kModelVersion, "v2", rm.id));
  Status clash = repo->Write([&](WriteTransaction& tx) -> Status {
    Entity changed = version;
    changed.external_id = "ext";
    changed.update_time_ms = tx.NowMs();
    return tx.Update(changed);
  });
  CHECK(clash.code() == StatusCode::kAlreadyExists);

  // Updating a missing id is kNotFound.
  Status missing = repo->Write([&](WriteTransaction& tx) -> Status {
    Entity ghost = NewEntity(K::kRegisteredModel, "ghost");
    ghost.id = 777;
    return tx.Update(ghost);
  });
  CHECK(missing.code() == StatusCode::kNotFound);
  CheckIntegrity(db.path());
}

// ---- properties ------------------------------------------------------------------

TEST_CASE("Fields and custom properties of every type round-trip", "[sqlite][properties]") {
  TempDb db;
  CustomProperties props = {
      {"s", MetadataValue::String("text with 'quotes' and ünïcödé")},
      {"empty", MetadataValue::String("")},
      {"i", MetadataValue::Int(-2147483648LL)},
      {"big", MetadataValue::Int(2147483647LL)},
      {"d", MetadataValue::Double(0.1)},
      {"tiny", MetadataValue::Double(-1e-300)},
      {"t", MetadataValue::Bool(true)},
      {"f", MetadataValue::Bool(false)},
      {"st", MetadataValue::Struct("{\"a\":[1,2],\"b\":{\"c\":null}}")},
  };
  Entity rm = NewEntity(K::kRegisteredModel, "props");
  rm.description = "desc";
  rm.external_id = "ext-props";
  rm.fields["owner"] = std::string("alice");
  rm.fields["state"] = std::string("ARCHIVED");
  rm.fields["language"] = std::vector<std::string>{"en", "de", "with \"quote\""};
  rm.fields["tasks"] = std::vector<std::string>{};
  rm.custom_properties = props;

  Entity metric = NewEntity(K::kMetric, "loss");
  metric.fields["value"] = 0.25;
  metric.fields["step"] = int64_t{7};
  metric.fields["timestamp"] = std::string("1714400000000");
  metric.fields["state"] = std::string("LIVE");
  metric.fields["experimentRunId"] = int64_t{42};

  int64_t rm_id = 0, mv_id = 0, metric_id = 0;
  {
    auto repo = db.Open();
    rm_id = MustInsert(*repo, rm).id;
    mv_id = MustInsert(*repo, NewEntity(K::kModelVersion, "v1", rm_id)).id;
    metric_id = MustInsert(*repo, metric).id;
  }
  auto repo = db.Open();  // read back what is on disk

  Result<Entity> got = repo->Get(StorageClass::kContext, rm_id);
  REQUIRE(got.ok());
  CHECK(got->kind == K::kRegisteredModel);
  CHECK(got->description == std::optional<std::string>("desc"));
  CHECK(got->external_id == std::optional<std::string>("ext-props"));
  CHECK(std::get<std::string>(got->fields.at("owner")) == "alice");
  CHECK(std::get<std::string>(got->fields.at("state")) == "ARCHIVED");
  CHECK(std::get<std::vector<std::string>>(got->fields.at("language")) ==
        std::vector<std::string>{"en", "de", "with \"quote\""});
  CHECK(std::get<std::vector<std::string>>(got->fields.at("tasks")).empty());
  REQUIRE(got->custom_properties.size() == props.size());
  for (const auto& [key, value] : props) {
    INFO("custom property " << key);
    REQUIRE(got->custom_properties.count(key) == 1);
    CHECK(got->custom_properties.at(key) == value);
  }

  Result<Entity> version = repo->Get(StorageClass::kContext, mv_id);
  REQUIRE(version.ok());
  CHECK(version->parent_id == rm_id);
  CHECK(std::get<int64_t>(version->fields.at("registeredModelId")) == rm_id);

  Result<Entity> m = repo->Get(StorageClass::kArtifact, metric_id);
  REQUIRE(m.ok());
  CHECK(m->kind == K::kMetric);
  CHECK(std::get<double>(m->fields.at("value")) == 0.25);
  CHECK(std::get<int64_t>(m->fields.at("step")) == 7);
  CHECK(std::get<std::string>(m->fields.at("timestamp")) == "1714400000000");
  CHECK(std::get<int64_t>(m->fields.at("experimentRunId")) == 42);
  CHECK(m->custom_properties.empty());

  // Update rewrites the property set: removed keys disappear.
  Status updated = repo->Write([&](WriteTransaction& tx) -> Status {
    Entity changed = got.value();
    changed.custom_properties = {{"only", MetadataValue::Int(1)}};
    changed.fields.erase("owner");
    changed.update_time_ms = tx.NowMs();
    return tx.Update(changed);
  });
  REQUIRE(updated.ok());
  Result<Entity> again = repo->Get(StorageClass::kContext, rm_id);
  REQUIRE(again.ok());
  CHECK(again->custom_properties.size() == 1);
  CHECK(again->fields.count("owner") == 0);
  CHECK(std::get<std::string>(again->fields.at("state")) == "ARCHIVED");
  CHECK(RawScalar(db.path(), "SELECT count(*) FROM context_property WHERE owner_id = " +
                                 std::to_string(rm_id) + " AND is_custom = 1") == "1");
  CheckIntegrity(db.path());
}

TEST_CASE("List loads the properties of every row, beyond one batch", "[sqlite][properties]") {
  TempDb db;
  auto repo = db.Open();
  const int kCount = 450;  // more than two property batches
  Status status = repo->Write([&](WriteTransaction& tx) -> Status {
    for (int i = 0; i < kCount; ++i) {
      Entity rm = NewEntity(K::kRegisteredModel, "m" + std::to_string(i));
      rm.fields["owner"] = "owner-" + std::to_string(i);
      rm.custom_properties["n"] = MetadataValue::Int(i);
      rm.create_time_ms = rm.update_time_ms = tx.NowMs();
      MR_RETURN_IF_ERROR(tx.Insert(rm));
    }
    return Status::Ok();
  });
  REQUIRE(status.ok());
  ListQuery all;
  all.kinds = {K::kRegisteredModel};
  Result<ListPage> page = repo->List(all);
  REQUIRE(page.ok());
  REQUIRE(page->items.size() == static_cast<size_t>(kCount));
  CHECK_FALSE(page->has_more);
  int wrong = 0;
  for (int i = 0; i < kCount; ++i) {
    const Entity& e = page->items[i];
    auto n = e.custom_properties.find("n");
    auto owner = e.fields.find("owner");
    if (e.name != "m" + std::to_string(i) || n == e.custom_properties.end() ||
        n->second.int_value != i || owner == e.fields.end() ||
        std::get<std::string>(owner->second) != "owner-" + std::to_string(i)) {
      ++wrong;
    }
  }
  CHECK(wrong == 0);
}

// ---- listing ---------------------------------------------------------------------

TEST_CASE("List by attribution and kinds", "[sqlite][list]") {
  TempDb db;
  auto repo = db.Open();
  Entity rm = MustInsert(*repo, NewEntity(K::kRegisteredModel, "m"));
  Entity v1 = MustInsert(*repo, NewEntity(K::kModelVersion, "v1", rm.id));
  Entity v2 = MustInsert(*repo, NewEntity(K::kModelVersion, "v2", rm.id));
  Entity model = MustInsert(*repo, NewEntity(K::kModelArtifact, "model", v1.id));
  Entity doc = MustInsert(*repo, NewEntity(K::kDocArtifact, "doc", v1.id));
  Entity unlinked = MustInsert(*repo, NewEntity(K::kModelArtifact, "unlinked", v1.id));
  Entity history = MustInsert(*repo, NewEntity(K::kMetricHistory, "loss", v1.id));
  Entity shared = MustInsert(*repo, NewEntity(K::kModelArtifact, "shared"));
  Status linked = repo->Write([&](WriteTransaction& tx) -> Status {
    MR_RETURN_IF_ERROR(tx.Link(v1.id, model.id));
    MR_RETURN_IF_ERROR(tx.Link(v1.id, doc.id));
    MR_RETURN_IF_ERROR(tx.Link(v1.id, history.id));
    MR_RETURN_IF_ERROR(tx.Link(v1.id, shared.id));
    MR_RETURN_IF_ERROR(tx.Link(v2.id, shared.id));
    return tx.Link(v1.id, model.id);  // linking twice is a no-op
  });
  REQUIRE(linked.ok());
  CHECK(RawScalar(db.path(), "SELECT count(*) FROM attribution") == "5");

  auto list = [&](std::vector<K> kinds, std::optional<int64_t> context) {
    ListQuery q;
    q.kinds = std::move(kinds);
    q.linked_context_id = context;
    Result<ListPage> page = repo->List(q);
    if (!page.ok()) FAIL("List: " << page.status().ToString());
    return Ids(page->items);
  };
  CHECK(list(VisibleArtifactKinds(), v1.id) == std::vector<int64_t>{model.id, doc.id, shared.id});
  CHECK(list({K::kModelArtifact}, v1.id) == std::vector<int64_t>{model.id, shared.id});
  CHECK(list({K::kDocArtifact}, v1.id) == std::vector<int64_t>{doc.id});
  CHECK(list({K::kMetricHistory}, v1.id) == std::vector<int64_t>{history.id});
  CHECK(list(VisibleArtifactKinds(), v2.id) == std::vector<int64_t>{shared.id});
  CHECK(list(VisibleArtifactKinds(), 9999).empty());
  CHECK(list({K::kModelArtifact}, std::nullopt) ==
        std::vector<int64_t>{model.id, unlinked.id, shared.id});

  // parent_id, name and externalId conditions.
  ListQuery children;
  children.kinds = {K::kModelVersion};
  children.parent_id = rm.id;
  children.name = "v2";
  Result<ListPage> page = repo->List(children);
  REQUIRE(page.ok());
  CHECK(Ids(page->items) == std::vector<int64_t>{v2.id});
  CheckIntegrity(db.path());
}

TEST_CASE("Keyset paging breaks sort-value ties by id", "[sqlite][list]") {
  TempDb db;
  auto repo = db.Open();
  // Five rows share one create time; the others bracket it.
  std::vector<int64_t> times = {3000, 2000, 2000, 1000, 2000, 2000, 2000, 4000};
  std::vector<int64_t> ids;
  for (size_t i = 0; i < times.size(); ++i) {
    Entity e = NewEntity(K::kExperiment, "e" + std::to_string(i));
    e.create_time_ms = e.update_time_ms = times[i];
    ids.push_back(MustInsert(*repo, e).id);
  }
  // By (create time, id): 1000, then the 2000s by id, 3000, 4000.
  std::vector<int64_t> ascending = {ids[3], ids[1], ids[2], ids[4], ids[5], ids[6], ids[0], ids[7]};
  std::vector<int64_t> descending(ascending.rbegin(), ascending.rend());

  for (bool desc : {false, true}) {
    for (int32_t limit : {1, 2, 3}) {
      INFO((desc ? "DESC" : "ASC") << ", limit " << limit);
      ListQuery q;
      q.kinds = {K::kExperiment};
      q.order = OrderField::kCreateTime;
      q.descending = desc;
      q.limit = limit;
      std::vector<int64_t> seen;
      for (int guard = 0; guard < 20; ++guard) {
        Result<ListPage> page = repo->List(q);
        REQUIRE(page.ok());
        for (const Entity& e : page->items) seen.push_back(e.id);
        if (!page->has_more) break;
        const Entity& last = page->items.back();
        q.after = Cursor{last.id, last.create_time_ms};
      }
      CHECK(seen == (desc ? descending : ascending));
    }
  }
}

TEST_CASE("Latest picks the newest create time, not the highest id", "[sqlite][list]") {
  TempDb db;
  auto repo = db.Open();
  Entity rm = MustInsert(*repo, NewEntity(K::kRegisteredModel, "m"));
  Entity newest = NewEntity(K::kModelVersion, "newest", rm.id);
  newest.create_time_ms = newest.update_time_ms = 5000;
  newest = MustInsert(*repo, newest);
  Entity older = NewEntity(K::kModelVersion, "older", rm.id);
  older.create_time_ms = older.update_time_ms = 4000;
  MustInsert(*repo, older);
  Result<Entity> latest = repo->Latest(K::kModelVersion, rm.id);
  REQUIRE(latest.ok());
  CHECK(latest->id == newest.id);
  CHECK(repo->Latest(K::kModelVersion, rm.id + 100).status().code() == StatusCode::kNotFound);
}

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
