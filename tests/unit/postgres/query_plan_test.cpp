// Filtered lists stay index-backed on PostgreSQL, as
// tests/unit/sqlite/query_plan_test.cpp checks on SQLite (issue 9, point 7).
//
// PostgreSQL plans from statistics, so a handful of rows plan as sequential
// scans whatever the indexes: the test bulk-loads 100k model versions (with
// custom properties) and their artifacts with generate_series (set
// MR_PLAN_VERSIONS for another count: docs/BENCHMARKS.md has a 1M run), runs ANALYZE,
// and only then drives the public RegistryService. A Repository decorator
// records each ListQuery the service sends and renders it exactly as the
// PostgreSQL repository does (storage::ChooseListSql with postgres::ListDialect,
// its match count run on the same database), and the test EXPLAINs that SQL
// with its parameters bound.
//
// What counts as bad:
//   - a Seq Scan of any table (every table holds 100k rows or more);
//   - a Sort of more than kMaxSortedRows estimated rows: each page would
//     sort most of a kind;
//   - a rare string value that is not looked up through the property value
//     index (migration 2), or a common one that is: the lookup is for values
//     few rows have, and a walk in list order serves the rest.
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "model_registry/postgres_repository.h"
#include "model_registry/registry_service.h"
#include "postgres/list_dialect.h"
#include "postgres/session.h"
#include "repository/test_databases.h"

namespace mr {
namespace {

using namespace mr::testing;

// Model versions loaded; MR_PLAN_VERSIONS overrides (at least 100k: the
// checks below assume every table is too big to scan).
int Versions() {
  const char* given = std::getenv("MR_PLAN_VERSIONS");
  return given != nullptr ? std::max(100000, std::atoi(given)) : 100000;
}
constexpr int kModels = 50;
constexpr double kMaxSortedRows = 5000;

// An empty database on the test server, dropped at the end.
class PlanDatabase {
 public:
  PlanDatabase() {
    static std::atomic<int> counter{0};
    name_ = "mr_plan_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    PgQuery(TestDatabaseUrl(), "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    PgQuery(TestDatabaseUrl(), "CREATE DATABASE " + name_);
    conninfo_ = WithDatabase(TestDatabaseUrl(), name_);
    conn_ = PQconnectdb(conninfo_.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) FAIL("cannot connect: " << PQerrorMessage(conn_));
  }
  ~PlanDatabase() {
    PQfinish(conn_);
    try {
      PgQuery(TestDatabaseUrl(), "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
    }
  }
  PlanDatabase(const PlanDatabase&) = delete;
  PlanDatabase& operator=(const PlanDatabase&) = delete;

  const std::string& conninfo() const { return conninfo_; }

  // Runs `sql` ('?' placeholders) with `params`; returns the first column of
  // every row.
  std::vector<std::string> Query(const std::string& sql,
                                 const std::vector<filter::SqlParam>& params) {
    std::vector<std::string> text;
    for (const filter::SqlParam& p : params) {
      if (const auto* i = std::get_if<int64_t>(&p)) {
        text.push_back(std::to_string(*i));
      } else if (const auto* d = std::get_if<double>(&p)) {
        text.push_back(std::to_string(*d));
      } else {
        text.push_back(std::get<std::string>(p));
      }
    }
    std::vector<const char*> values;
    for (const std::string& t : text) values.push_back(t.c_str());
    std::string numbered = postgres::NumberPlaceholders(sql);
    PGresult* result = PQexecParams(conn_, numbered.c_str(), static_cast<int>(values.size()),
                                    nullptr, values.data(), nullptr, nullptr, 0);
    std::vector<std::string> rows;
    std::string error;
    if (PQresultStatus(result) == PGRES_TUPLES_OK) {
      for (int i = 0; i < PQntuples(result); ++i) rows.push_back(PQgetvalue(result, i, 0));
    } else if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      error = PQresultErrorMessage(result);
    }
    PQclear(result);
    if (!error.empty()) FAIL("cannot run " << numbered << ": " << error);
    return rows;
  }

 private:
  std::string name_;
  std::string conninfo_;
  PGconn* conn_ = nullptr;
};

// Models 1..50; versions 51.. under model 1 + i % 50 with custom framework
// (pytorch, onnx, tensorflow, sklearn by i % 4; "rare" for 3 of them),
// epochs (int) and the built-in state and author; one model artifact per
// version (parent and attribution), its uri a built-in string property.
void BulkLoad(PlanDatabase& db) {
  const std::string n = std::to_string(Versions());
  const std::string rare_every = std::to_string((Versions() + 2) / 3);  // three rare rows
  const std::string models = std::to_string(kModels);
  for (const std::string& sql : std::vector<std::string>{
           "INSERT INTO context (id, type_id, name, create_time, update_time) "
           "SELECT i, 1, 'model-' || i, i, i FROM generate_series(1, " +
               models + ") i",
           "INSERT INTO context (id, type_id, parent_id, name, create_time, update_time) "
           "SELECT " +
               models + " + i, 2, 1 + i % " + models +
               ", 'v' || i, 1000 + i, 1000 + i "
               "FROM generate_series(1, " +
               n + ") i",
           "INSERT INTO context_property (owner_id, is_custom, name, value_type, string_value) "
           "SELECT " +
               models + " + i, 1, 'framework', 0, CASE WHEN i % " + rare_every +
               " = 7 THEN 'rare' "
               "ELSE (ARRAY['pytorch', 'onnx', 'tensorflow', 'sklearn'])[1 + i % 4] END "
               "FROM generate_series(1, " +
               n + ") i",
           "INSERT INTO context_property (owner_id, is_custom, name, value_type, int_value) "
           "SELECT " +
               models + " + i, 1, 'epochs', 1, i % 100 FROM generate_series(1, " + n + ") i",
           "INSERT INTO context_property (owner_id, is_custom, name, value_type, string_value) "
           "SELECT " +
               models + " + i, 0, 'state', 0, 'LIVE' FROM generate_series(1, " + n + ") i",
           "INSERT INTO context_property (owner_id, is_custom, name, value_type, string_value) "
           "SELECT " +
               models +
               " + i, 0, 'author', 0, 'author-' || i % 7 "
               "FROM generate_series(1, " +
               n + ") i",
           "INSERT INTO artifact (id, type_id, parent_id, name, create_time, update_time) "
           "SELECT i, 11, " +
               models +
               " + i, 'weights', 1000 + i, 1000 + i "
               "FROM generate_series(1, " +
               n + ") i",
           "INSERT INTO artifact_property (owner_id, is_custom, name, value_type, string_value) "
           "SELECT i, 0, 'uri', 0, 's3://bucket/' || i FROM generate_series(1, " +
               n + ") i",
           "INSERT INTO attribution (context_id, artifact_id) "
           "SELECT " +
               models + " + i, i FROM generate_series(1, " + n + ") i",
           // Ids from the identity columns must come after the loaded ones.
           "SELECT setval(pg_get_serial_sequence('context', 'id'), " + models + " + " + n + ")",
           "SELECT setval(pg_get_serial_sequence('artifact', 'id'), " + n + ")", "ANALYZE"}) {
    db.Query(sql, {});
  }
}

// Forwards to the PostgreSQL repository, recording the SQL of every list.
class RecordingRepository : public Repository {
 public:
  RecordingRepository(Repository& real, PlanDatabase& db) : real_(real), db_(db) {}

  Result<Entity> Get(StorageClass storage, int64_t id) override { return real_.Get(storage, id); }
  Result<ListPage> List(const ListQuery& query) override {
    Result<filter::SqlFragment> sql = storage::ChooseListSql(
        query, postgres::ListDialect(), [&](const filter::SqlFragment& count) {
          std::vector<std::string> rows = db_.Query(count.text, count.params);
          return rows.empty() ? int64_t{0} : std::stoll(rows.front());
        });
    if (sql.ok()) last_ = std::move(sql).value();
    return real_.List(query);
  }
  Result<Entity> Latest(EntityKind kind, int64_t parent_id) override {
    return real_.Latest(kind, parent_id);
  }
  Status Write(const std::function<Status(WriteTransaction&)>& fn) override {
    return real_.Write(fn);
  }
  Status CheckHealth() override { return real_.CheckHealth(); }

  const filter::SqlFragment& last() const { return last_; }

 private:
  Repository& real_;
  PlanDatabase& db_;
  filter::SqlFragment last_;
};

// What a probe's plan must (not) use, beyond the rules for every plan.
enum class ValueIndex { kAny, kRequired, kForbidden };

struct Probe {
  std::string what;
  filter::SqlFragment sql;
  ValueIndex value_index;
};

bool Contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// The estimated rows of a plan line "... (cost=a..b rows=N width=W)".
double EstimatedRows(const std::string& line) {
  size_t at = line.find(" rows=");
  return at == std::string::npos ? 0 : std::stod(line.substr(at + 6));
}

// Returns why `plan` is unacceptable for `probe`, or "" when it is fine.
std::string Problem(const Probe& probe, const std::vector<std::string>& plan) {
  bool uses_value_index = false;
  for (const std::string& line : plan) {
    if (Contains(line, "Seq Scan")) return "sequential scan: " + line;
    // An Incremental Sort over a presorted key only orders ties: fine.
    if (Contains(line, "Sort  (") && !Contains(line, "Incremental Sort") &&
        EstimatedRows(line) > kMaxSortedRows) {
      return "sorts most of a kind for each page: " + line;
    }
    if (Contains(line, "_property_by_string")) uses_value_index = true;
  }
  if (probe.value_index == ValueIndex::kRequired && !uses_value_index) {
    return "the rare value is not looked up through the value index";
  }
  if (probe.value_index == ValueIndex::kForbidden && uses_value_index) {
    return "a common value is looked up through the value index";
  }
  return "";
}

ListOptions Filtered(const char* filter_query, OrderField order = OrderField::kId,
                     bool descending = false) {
  ListOptions options;
  options.page_size = 100;
  options.filter_query = filter_query;
  options.order = order;
  options.descending = descending;
  return options;
}

TEST_CASE("Filtered lists over 100k versions (or MR_PLAN_VERSIONS) run on indexes on PostgreSQL",
          "[repository][postgres][plan]") {
  if (TestDatabaseUrl() == nullptr) {
    WARN("MR_TEST_DATABASE_URL is not set: PostgreSQL plans not checked");
    return;
  }
  PlanDatabase db;
  PostgresOptions options;
  options.conninfo = db.conninfo();
  Result<std::unique_ptr<Repository>> opened = OpenPostgresRepository(options);
  REQUIRE(opened.ok());
  BulkLoad(db);
  RecordingRepository recording(**opened, db);
  RegistryService service(recording);

  std::vector<Probe> probes;
  auto record = [&](const std::string& what, ValueIndex value_index, auto call) {
    Result<Page> page = call();
    INFO(what << ": " << page.status().ToString());
    REQUIRE(page.ok());
    probes.push_back({what, recording.last(), value_index});
    return *page;
  };
  ListScope all;
  ListScope model;
  model.kind = ListScope::Kind::kChildrenOf;
  model.parent_id = 1;
  auto versions = [&](const ListScope& scope, ListOptions list_options) {
    return [&service, scope, list_options] {
      return service.List(EntityKind::kModelVersion, scope, list_options);
    };
  };

  Page rare = record("versions with a rare framework", ValueIndex::kRequired,
                     versions(all, Filtered("framework = \"rare\"")));
  CHECK(rare.items.size() == 3);
  record("versions with a rare framework, newest first", ValueIndex::kRequired,
         versions(all, Filtered("framework = \"rare\"", OrderField::kCreateTime, true)));
  record("versions with one of two rare frameworks, by update time", ValueIndex::kRequired,
         versions(all, Filtered("framework IN (\"rare\", \"none\")", OrderField::kLastUpdateTime)));
  record("versions with a framework no row has", ValueIndex::kRequired,
         versions(all, Filtered("framework = \"none\" AND epochs > 3")));
  record("versions of a model with a rare framework", ValueIndex::kRequired,
         versions(model, Filtered("framework = \"rare\"")));
  record("artifacts with a rare uri", ValueIndex::kRequired, [&] {
    ListOptions by_uri = Filtered("uri = \"s3://bucket/77\"");
    by_uri.all_artifact_kinds = true;
    return service.List(EntityKind::kModelArtifact, all, by_uri);
  });
  Page common = record("versions with a common framework", ValueIndex::kForbidden,
                       versions(all, Filtered("framework = \"pytorch\"")));
  CHECK(common.items.size() == 100);
  record("versions with a common framework, newest first", ValueIndex::kForbidden,
         versions(all, Filtered("framework = \"onnx\"", OrderField::kCreateTime, true)));
  record("versions of a model with a common framework", ValueIndex::kForbidden,
         versions(model, Filtered("framework = \"onnx\"")));
  record("versions by an int property", ValueIndex::kForbidden,
         versions(all, Filtered("epochs > 5")));
  record("versions by a built-in property", ValueIndex::kAny,
         versions(all, Filtered("state = \"LIVE\" AND author = \"author-3\"")));
  record("versions by name", ValueIndex::kAny, versions(all, Filtered("name = \"v42\"")));
  record("versions created after a time", ValueIndex::kAny,
         versions(all, Filtered("createTimeSinceEpoch > 90000", OrderField::kCreateTime)));
  record("versions newest first", ValueIndex::kAny,
         versions(all, Filtered("", OrderField::kCreateTime, true)));
  record("artifacts of a version", ValueIndex::kAny, [&] {
    ListScope artifacts;
    artifacts.kind = ListScope::Kind::kArtifactsOf;
    artifacts.parent_kind = EntityKind::kModelVersion;
    artifacts.parent_id = kModels + 7;
    ListOptions any_kind = Filtered("");
    any_kind.all_artifact_kinds = true;
    return service.List(EntityKind::kModelArtifact, artifacts, any_kind);
  });

  for (const Probe& probe : probes) {
    std::vector<std::string> plan = db.Query("EXPLAIN " + probe.sql.text, probe.sql.params);
    std::string joined;
    for (const std::string& line : plan) joined += "\n    " + line;
    INFO(probe.what << "\n  SQL: " << probe.sql.text << "\n  plan:" << joined);
    CHECK(Problem(probe, plan) == "");
  }

  // A model's versions in id order (the default) come from the children-in-id-
  // order index (migration 3), not from a walk of the primary key that
  // filters out every other model's versions.
  for (const char* filter_query : {"", "framework = \"onnx\""}) {
    Result<Page> page = versions(model, Filtered(filter_query))();
    REQUIRE(page.ok());
    std::string joined;
    for (const std::string& line :
         db.Query("EXPLAIN " + recording.last().text, recording.last().params)) {
      joined += "\n    " + line;
    }
    INFO("filter " << filter_query << "\n  plan:" << joined);
    CHECK(Contains(joined, "context_by_parent_id"));
  }
}

}  // namespace
}  // namespace mr
