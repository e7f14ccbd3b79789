// The repository contract: every Repository implementation must pass these
// tests. They run against SQLite always, and against PostgreSQL too when
// MR_TEST_DATABASE_URL names a server (scripts/pg-test-cluster.sh starts one;
// scripts/test.sh's postgres suite sets it). Each test gets an empty database.
// Storage facts are read back through a separate connection, so a test does
// not trust the repository to report on itself.
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "model_registry/database_copy.h"
#include "model_registry/entity_spec.h"
#include "model_registry/postgres_repository.h"
#include "model_registry/sqlite_repository.h"
#include "postgres/session.h"
#include "repository/test_databases.h"

namespace mr {
namespace {

using namespace mr::testing;

std::vector<std::string> ContractBackends() {
  std::vector<std::string> backends = {"sqlite"};
  if (TestDatabaseUrl() != nullptr) backends.push_back("postgresql");
  return backends;
}

// One empty database of the named backend, dropped at the end of the test.
class ContractDb {
 public:
  explicit ContractDb(std::string backend) : backend_(std::move(backend)) {
    if (backend_ == "postgresql") {
      static std::atomic<int> counter{0};
      name_ = "mr_unit_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
      PgQuery(TestDatabaseUrl(), "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
      PgQuery(TestDatabaseUrl(), "CREATE DATABASE " + name_);
      conninfo_ = WithDatabase(TestDatabaseUrl(), name_);
    }
  }
  ~ContractDb() {
    if (!name_.empty()) {
      try {
        PgQuery(TestDatabaseUrl(), "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
      } catch (...) {
      }
    }
  }
  ContractDb(const ContractDb&) = delete;
  ContractDb& operator=(const ContractDb&) = delete;

  // `query_timeout_ms` applies to PostgreSQL only (0: the default).
  std::unique_ptr<Repository> Open(int query_timeout_ms = 0) const {
    INFO("backend " << backend_);
    if (backend_ == "sqlite") return sqlite_.Open();
    PostgresOptions options;
    options.conninfo = conninfo_;
    if (query_timeout_ms > 0) options.query_timeout_ms = query_timeout_ms;
    Result<std::unique_ptr<Repository>> repo = OpenPostgresRepository(options);
    if (!repo.ok()) FAIL("OpenPostgresRepository: " << repo.status().ToString());
    return std::move(repo).value();
  }

  // Whole-database access (admin_store.h). A SQLite store that may write
  // takes the server's file lock: open it while no repository is open.
  std::unique_ptr<AdminStore> OpenAdmin(AdminOpenMode mode) const {
    INFO("backend " << backend_);
    Result<std::unique_ptr<AdminStore>> store = Status::Internal("unset");
    if (backend_ == "sqlite") {
      SqliteOptions options;
      options.path = sqlite_.path();
      store = OpenSqliteAdminStore(options, mode);
    } else {
      PostgresOptions options;
      options.conninfo = conninfo_;
      store = OpenPostgresAdminStore(options, mode);
    }
    if (!store.ok()) FAIL("open admin store: " << store.status().ToString());
    return std::move(store).value();
  }

  // One value from portable SQL, read by the database's own client library.
  std::string Scalar(const std::string& sql) const {
    if (backend_ == "sqlite") return RawScalar(sqlite_.path(), sql);
    std::vector<std::string> rows = PgQuery(conninfo_, sql);
    if (rows.size() != 1) FAIL("expected one value from " << sql);
    return rows[0];
  }

  const std::string& conninfo() const { return conninfo_; }  // PostgreSQL only

  void CheckIntegrity() const {
    if (backend_ == "sqlite") mr::testing::CheckIntegrity(sqlite_.path());
  }

 private:
  std::string backend_;
  TempDb sqlite_;  // unused for PostgreSQL
  std::string name_;
  std::string conninfo_;
};

TEST_CASE("A failing Write rolls back everything it wrote", "[repository][tx]") {
  ContractDb db(GENERATE(from_range(ContractBackends())));
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
  CHECK(db.Scalar("SELECT count(*) FROM context") == "1");
  CHECK(db.Scalar("SELECT count(*) FROM context_property") == "0");
  CHECK(db.Scalar("SELECT count(*) FROM artifact") == "0");
  CHECK(db.Scalar("SELECT count(*) FROM attribution") == "0");
  Result<Entity> stored = repo->Get(StorageClass::kContext, survivor.id);
  REQUIRE(stored.ok());
  CHECK_FALSE(stored->description.has_value());

  // The repository is still usable.
  MustInsert(*repo, NewEntity(K::kRegisteredModel, "doomed"));
  db.CheckIntegrity();
}

TEST_CASE("Concurrent writes: a failure rolls back only its own changes", "[repository][tx]") {
  // Writes from several threads may be committed together; each one must
  // still succeed or fail on its own.
  ContractDb db(GENERATE(from_range(ContractBackends())));
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
  CHECK(db.Scalar("SELECT count(*) FROM context_property") == std::to_string(expected.size() - 1));
  db.CheckIntegrity();
}

TEST_CASE("Unique violations are kAlreadyExists", "[repository][tx]") {
  ContractDb db(GENERATE(from_range(ContractBackends())));
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
  db.CheckIntegrity();
}

// ---- properties ------------------------------------------------------------------

TEST_CASE("Fields and custom properties of every type round-trip", "[repository][properties]") {
  ContractDb db(GENERATE(from_range(ContractBackends())));
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
  CHECK(db.Scalar("SELECT count(*) FROM context_property WHERE owner_id = " +
                  std::to_string(rm_id) + " AND is_custom = 1") == "1");
  db.CheckIntegrity();
}

TEST_CASE("List loads the properties of every row, beyond one batch", "[repository][properties]") {
  ContractDb db(GENERATE(from_range(ContractBackends())));
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

TEST_CASE("List by attribution and kinds", "[repository][list]") {
  ContractDb db(GENERATE(from_range(ContractBackends())));
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
  CHECK(db.Scalar("SELECT count(*) FROM attribution") == "5");

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
  db.CheckIntegrity();
}

TEST_CASE("Keyset paging breaks sort-value ties by id", "[repository][list]") {
  ContractDb db(GENERATE(from_range(ContractBackends())));
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

TEST_CASE("Latest picks the newest create time, not the highest id", "[repository][list]") {
  ContractDb db(GENERATE(from_range(ContractBackends())));
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

// ---- admin access (admin_store.h) -------------------------------------------------

std::vector<Entity> SnapshotEntities(DatabaseSnapshot& snapshot, StorageClass storage) {
  std::vector<Entity> out;
  Status status = snapshot.ForEachEntity(storage, [&](const Entity& e) {
    out.push_back(e);
    return Status::Ok();
  });
  REQUIRE(status.ok());
  return out;
}

TEST_CASE("An admin snapshot does not see writes committed after it began", "[repository][admin]") {
  ContractDb db(GENERATE(from_range(ContractBackends())));
  auto repo = db.Open();
  Entity first = MustInsert(*repo, NewEntity(K::kRegisteredModel, "first"));
  auto admin = db.OpenAdmin(AdminOpenMode::kReadExisting);
  Status status = admin->ReadSnapshot([&](DatabaseSnapshot& snapshot) -> Status {
    CHECK(Ids(SnapshotEntities(snapshot, StorageClass::kContext)) ==
          std::vector<int64_t>{first.id});
    Entity later = MustInsert(*repo, NewEntity(K::kRegisteredModel, "later"));
    CHECK(repo->Get(StorageClass::kContext, later.id).ok());
    CHECK(Ids(SnapshotEntities(snapshot, StorageClass::kContext)) ==
          std::vector<int64_t>{first.id});
    return Status::Ok();
  });
  CHECK(status.ok());
}

TEST_CASE("A copy into an empty database keeps ids, values and links; new ids are fresh",
          "[repository][admin]") {
  const std::string backend = GENERATE(from_range(ContractBackends()));
  ContractDb source_db(backend);
  ContractDb target_db(backend);
  std::vector<Entity> originals;
  {
    auto repo = source_db.Open();
    Entity rm = NewEntity(K::kRegisteredModel, "modèle");
    rm.external_id = "ext-1";
    rm.description = "多言語";
    rm.fields["owner"] = FieldValue(std::string("alice"));
    rm.custom_properties["i"] = MetadataValue::Int(-9223372036854775807LL - 1);
    rm.custom_properties["d"] = MetadataValue::Double(5e-324);
    rm.custom_properties["b"] = MetadataValue::Bool(false);
    rm.custom_properties["s"] = MetadataValue::String("🚀 \"q\"");
    rm = MustInsert(*repo, rm);
    MustInsert(*repo, NewEntity(K::kRegisteredModel, "gap"));  // leaves an id gap below
    Entity mv = MustInsert(*repo, NewEntity(K::kModelVersion, "v1", rm.id));
    Entity art = NewEntity(K::kModelArtifact, "weights", mv.id);
    art.name_scope = "scope-uuid";
    art = MustInsert(*repo, art);
    REQUIRE(repo->Write([&](WriteTransaction& tx) { return tx.Link(mv.id, art.id); }).ok());
    Entity serve = MustInsert(*repo, NewEntity(K::kServeModel, "serve", rm.id));
    for (const Entity& e : {rm, mv, art, serve}) {
      originals.push_back(repo->Get(StorageOf(e.kind), e.id).value());
    }
  }
  TransferCounts counts;
  {
    auto source = source_db.OpenAdmin(AdminOpenMode::kReadExisting);
    auto target = target_db.OpenAdmin(AdminOpenMode::kCreateOrMigrate);
    REQUIRE(CopyDatabase(*source, *target, &counts).ok());
    CHECK(counts.entities == 5);
    CHECK(counts.links == 1);
    // Into a database that is no longer empty: refused, nothing written.
    Status again = CopyDatabase(*source, *target, nullptr);
    CHECK(again.code() == StatusCode::kFailedPrecondition);
    // A duplicate id in one load is kAlreadyExists.
    ContractDb other_db(backend);
    auto other = other_db.OpenAdmin(AdminOpenMode::kCreateOrMigrate);
    Status duplicate = other->LoadIntoEmpty([&](DatabaseLoader& loader) -> Status {
      MR_RETURN_IF_ERROR(loader.InsertVerbatim(originals[0]));
      Entity clash = originals[0];
      clash.name = "another";
      clash.external_id.reset();
      return loader.InsertVerbatim(clash);
    });
    CHECK(duplicate.code() == StatusCode::kAlreadyExists);
    CHECK(duplicate.message() ==
          "registered model id " + std::to_string(originals[0].id) + " is already taken");
  }
  auto repo = target_db.Open();
  for (const Entity& original : originals) {
    Result<Entity> copied = repo->Get(StorageOf(original.kind), original.id);
    REQUIRE(copied.ok());
    CHECK(copied->name == original.name);
    CHECK(copied->parent_id == original.parent_id);
    CHECK(copied->name_scope == original.name_scope);
    CHECK(copied->external_id == original.external_id);
    CHECK(copied->description == original.description);
    CHECK(copied->create_time_ms == original.create_time_ms);
    CHECK(copied->update_time_ms == original.update_time_ms);
    CHECK(copied->fields == original.fields);
    CHECK(copied->custom_properties == original.custom_properties);
  }
  ListQuery attached;
  attached.kinds = {K::kModelArtifact};
  attached.linked_context_id = originals[1].id;
  CHECK(Ids(repo->List(attached).value().items) == std::vector<int64_t>{originals[2].id});
  // Every storage class hands out ids above the copied ones.
  int64_t context_max = std::max(originals[0].id, originals[1].id);  // "gap" lies between
  CHECK(MustInsert(*repo, NewEntity(K::kRegisteredModel, "new")).id > context_max);
  CHECK(MustInsert(*repo, NewEntity(K::kDocArtifact, "new")).id > originals[2].id);
  CHECK(MustInsert(*repo, NewEntity(K::kServeModel, "new", originals[0].id)).id > originals[3].id);
}

TEST_CASE("After InterruptQueries reads fail with kUnavailable and writes are kept or undone",
          "[repository][shutdown]") {
  ContractDb db(GENERATE(from_range(ContractBackends())));
  auto repo = db.Open();
  Entity rm = MustInsert(*repo, NewEntity(K::kRegisteredModel, "before"));
  repo->InterruptQueries();

  Result<Entity> got = repo->Get(StorageClass::kContext, rm.id);
  CHECK(got.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(got.status().message(), Catch::Contains("shutting down"));
  ListQuery all;
  all.kinds = {K::kRegisteredModel};
  CHECK(repo->List(all).status().code() == StatusCode::kUnavailable);

  // A write either commits and reports it, or reports kUnavailable and leaves nothing.
  Status write = repo->Write([&](WriteTransaction& tx) -> Status {
    Entity after = NewEntity(K::kRegisteredModel, "after");
    after.create_time_ms = after.update_time_ms = tx.NowMs();
    return tx.Insert(after);
  });
  INFO(write.ToString());
  CHECK((write.ok() || write.code() == StatusCode::kUnavailable));
  CHECK(db.Scalar("SELECT count(*) FROM context WHERE name = 'after'") == (write.ok() ? "1" : "0"));
}

// A write waiting for a row lock held by another session is cancelled, not
// left to run to the query timeout (60 s here), and rolled back.
TEST_CASE("PostgreSQL: InterruptQueries cancels a waiting write, which is rolled back",
          "[repository][shutdown]") {
  if (TestDatabaseUrl() == nullptr) return;  // SQLite does not interrupt writes
  ContractDb db("postgresql");
  auto repo = db.Open(/*query_timeout_ms=*/60000);
  Entity rm = MustInsert(*repo, NewEntity(K::kRegisteredModel, "locked"));
  PGconn* holder = PQconnectdb(db.conninfo().c_str());
  REQUIRE(PQstatus(holder) == CONNECTION_OK);
  PQclear(PQexec(holder, "BEGIN"));
  PQclear(PQexec(
      holder,
      ("SELECT id FROM context WHERE id = " + std::to_string(rm.id) + " FOR UPDATE").c_str()));
  Status write;
  std::thread writer([&] {
    write = repo->Write([&](WriteTransaction& tx) -> Status {
      MR_ASSIGN_OR_RETURN(Entity changed, tx.Get(StorageClass::kContext, rm.id));
      changed.description = "changed";
      changed.update_time_ms = tx.NowMs();
      return tx.Update(changed);
    });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the UPDATE waits for the lock
  const auto interrupted = std::chrono::steady_clock::now();
  repo->InterruptQueries();
  writer.join();
  const auto waited = std::chrono::steady_clock::now() - interrupted;
  PQclear(PQexec(holder, "ROLLBACK"));
  PQfinish(holder);
  INFO(write.ToString());
  CHECK(write.code() == StatusCode::kUnavailable);
  CHECK_THAT(write.message(), Catch::Contains("shutting down"));
  CHECK(waited < std::chrono::seconds(30));  // not the 60 s query timeout
  CHECK(db.Scalar("SELECT count(*) FROM context WHERE description = 'changed'") == "0");
}

// --query-timeout bounds requests, not migrations: a replica that waits for
// another's migration (here: a session holding the migration lock for 1 s),
// or a migration that builds an index over a large table, still starts.
TEST_CASE("PostgreSQL: a migration may run longer than the query timeout",
          "[repository][migrate]") {
  if (TestDatabaseUrl() == nullptr) return;  // SQLite migrations have no timeout
  ContractDb db("postgresql");
  PGconn* holder = PQconnectdb(db.conninfo().c_str());
  REQUIRE(PQstatus(holder) == CONNECTION_OK);
  PQclear(PQexec(
      holder,
      ("SELECT pg_advisory_lock(" + std::to_string(postgres::kMigrationLockKey) + ")").c_str()));
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // 5 query timeouts
    PQfinish(holder);                                              // releases the lock
  });
  PostgresOptions options;
  options.conninfo = db.conninfo();
  options.query_timeout_ms = 200;
  Result<std::unique_ptr<Repository>> repo = OpenPostgresRepository(options);
  release.join();
  INFO(repo.status().ToString());
  REQUIRE(repo.ok());
  CHECK(db.Scalar("SELECT max(version) FROM schema_migrations") ==
        std::to_string(LatestPostgresSchemaVersion()));
  CHECK(MustInsert(**repo, NewEntity(K::kRegisteredModel, "after")).id > 0);
}

}  // namespace
}  // namespace mr
