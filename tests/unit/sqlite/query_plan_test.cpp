// Every list and find path is index-backed: the SQL the repository really
// generates is captured and its EXPLAIN QUERY PLAN inspected.
//
// How the SQL is captured without a test seam: an SQLite auto-extension (run
// for every connection opened in this process while registered) installs a
// statement trace on each connection the repository opens, and records the
// text of every statement it runs. The test drives the public RegistryService
// over a seeded temporary database, takes the entity SELECTs it produced, and
// explains them on its own connection, once without statistics (the server
// never runs ANALYZE) and once after ANALYZE.
//
// What counts as bad:
//   - a full SCAN of any table but the listed entity `e`;
//   - a SCAN of `e` for a parent-scoped list or a find (type-wide lists may
//     walk `e` in rowid order: with LIMIT the walk stops after one page);
//   - "USE TEMP B-TREE FOR ORDER BY" fed by a SCAN, or by a SEARCH constrained
//     by nothing but the kind (type_id): every page would read and sort every
//     row of the kind. Sorting rows an index narrowed down (a name, a parent,
//     a time range, one version's artifacts) is fine;
//   - a find whose SEARCH on `e` is not constrained by the looked-up column
//     (name or external_id), i.e. that walks every row of the kind or parent.
#include <sqlite3.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "model_registry/registry_service.h"
#include "model_registry/sqlite_repository.h"

namespace mr {
namespace {

using K = EntityKind;

// ---- statement capture -----------------------------------------------------

std::mutex g_captured_mu;
std::vector<std::string> g_captured;  // guarded by g_captured_mu

int RecordStatement(unsigned type, void*, void* stmt, void*) {
  if (type != SQLITE_TRACE_STMT) return 0;
  const char* sql = sqlite3_sql(static_cast<sqlite3_stmt*>(stmt));
  if (sql == nullptr) return 0;
  std::lock_guard<std::mutex> lock(g_captured_mu);
  g_captured.emplace_back(sql);
  return 0;
}

int InstallTrace(sqlite3* db, const char**, const sqlite3_api_routines*) {
  sqlite3_trace_v2(db, SQLITE_TRACE_STMT, RecordStatement, nullptr);
  return SQLITE_OK;
}

// Traces every connection opened while it lives.
class StatementCapture {
 public:
  StatementCapture() { sqlite3_auto_extension(reinterpret_cast<void (*)()>(&InstallTrace)); }
  ~StatementCapture() {
    sqlite3_cancel_auto_extension(reinterpret_cast<void (*)()>(&InstallTrace));
  }
  StatementCapture(const StatementCapture&) = delete;
  StatementCapture& operator=(const StatementCapture&) = delete;

  void Clear() {
    std::lock_guard<std::mutex> lock(g_captured_mu);
    g_captured.clear();
  }
  // The entity-row SELECTs run since Clear(), in order (property loads and
  // transaction statements are left out).
  std::vector<std::string> EntitySelects() {
    std::lock_guard<std::mutex> lock(g_captured_mu);
    std::vector<std::string> out;
    for (const std::string& sql : g_captured) {
      if (sql.rfind("SELECT e.id", 0) == 0) out.push_back(sql);
    }
    return out;
  }
};

// ---- database ---------------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mr-plan-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const char* name) const { return (std::filesystem::path(dir_) / name).string(); }

 private:
  std::string dir_;
};

Entity Make(K kind, const std::string& name, int64_t parent_id = 0) {
  Entity e;
  e.kind = kind;
  e.name = name;
  e.parent_id = parent_id;
  return e;
}

// Inserts a registry of a few thousand rows in one transaction: enough rows
// that a scan and a search cost visibly different amounts to the planner.
void Seed(Repository& repo) {
  Status status = repo.Write([](WriteTransaction& tx) -> Status {
    auto insert = [&](Entity& e) -> Status {
      e.create_time_ms = e.update_time_ms = tx.NowMs();
      return tx.Insert(e);
    };
    std::vector<int64_t> models;
    for (int m = 0; m < 30; ++m) {
      Entity rm = Make(K::kRegisteredModel, "model-" + std::to_string(m));
      rm.fields["state"] = std::string("LIVE");
      rm.fields["owner"] = std::string("owner-" + std::to_string(m % 3));
      rm.external_id = "rm-ext-" + std::to_string(m);
      rm.custom_properties["team"] = MetadataValue::String(m % 2 ? "risk" : "search");
      MR_RETURN_IF_ERROR(insert(rm));
      models.push_back(rm.id);
    }
    for (int v = 0; v < 3000; ++v) {
      // A third of the versions belong to the first model.
      int64_t model = v % 3 == 0 ? models[0] : models[1 + v % 29];
      Entity mv = Make(K::kModelVersion, "v" + std::to_string(v), model);
      mv.fields["state"] = std::string("LIVE");
      mv.fields["author"] = std::string("author-" + std::to_string(v % 7));
      mv.custom_properties["framework"] = MetadataValue::String(v % 4 ? "onnx" : "pytorch");
      mv.custom_properties["epochs"] = MetadataValue::Int(v % 100);
      mv.custom_properties["accuracy"] = MetadataValue::Double(0.5 + (v % 50) / 100.0);
      mv.custom_properties["validated"] = MetadataValue::Bool(v % 2 == 0);
      MR_RETURN_IF_ERROR(insert(mv));
      Entity artifact = Make(K::kModelArtifact, "model-" + std::to_string(model), mv.id);
      artifact.fields["uri"] = std::string("s3://bucket/" + std::to_string(v));
      artifact.fields["state"] = std::string("LIVE");
      MR_RETURN_IF_ERROR(insert(artifact));
      MR_RETURN_IF_ERROR(tx.Link(mv.id, artifact.id));
    }
    Entity env = Make(K::kServingEnvironment, "env");
    MR_RETURN_IF_ERROR(insert(env));
    for (int i = 0; i < 30; ++i) {
      Entity isvc = Make(K::kInferenceService, "isvc-" + std::to_string(i), env.id);
      isvc.fields["registeredModelId"] = models[i];
      MR_RETURN_IF_ERROR(insert(isvc));
      Entity serve = Make(K::kServeModel, "serve-" + std::to_string(i), isvc.id);
      serve.fields["modelVersionId"] = static_cast<int64_t>(models.size() + 1);
      MR_RETURN_IF_ERROR(insert(serve));
    }
    for (int x = 0; x < 3; ++x) {
      Entity experiment = Make(K::kExperiment, "experiment-" + std::to_string(x));
      MR_RETURN_IF_ERROR(insert(experiment));
      for (int r = 0; r < 10; ++r) {
        Entity run = Make(K::kExperimentRun, "run-" + std::to_string(r), experiment.id);
        MR_RETURN_IF_ERROR(insert(run));
        for (int step = 0; step < 20; ++step) {
          Entity history = Make(K::kMetricHistory, "loss", run.id);
          history.name_scope = "scope-" + std::to_string(run.id) + "-" + std::to_string(step);
          history.fields["value"] = 1.0 / (step + 1);
          history.fields["step"] = int64_t{step};
          MR_RETURN_IF_ERROR(insert(history));
          MR_RETURN_IF_ERROR(tx.Link(run.id, history.id));
        }
      }
    }
    return Status::Ok();
  });
  if (!status.ok()) FAIL("seeding failed: " << status.ToString());
}

// ---- plans -------------------------------------------------------------------

class PlanReader {
 public:
  explicit PlanReader(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      throw std::runtime_error("cannot open " + path);
    }
  }
  ~PlanReader() { sqlite3_close(db_); }
  PlanReader(const PlanReader&) = delete;
  PlanReader& operator=(const PlanReader&) = delete;

  std::vector<std::string> Explain(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string text = "EXPLAIN QUERY PLAN " + sql;
    if (sqlite3_prepare_v2(db_, text.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + ": " + sql);
    }
    std::vector<std::string> lines;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      lines.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3)));
    }
    sqlite3_finalize(stmt);
    return lines;
  }

  void Analyze() {
    if (sqlite3_exec(db_, "ANALYZE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite3_errmsg(db_));
    }
  }

 private:
  sqlite3* db_ = nullptr;
};

enum class Shape { kTypeWideList, kScopedList, kFind };

struct Probe {
  std::string what;
  Shape shape;
  std::string sql;            // the last entity SELECT the call ran
  std::string lookup_column;  // kFind: "name" or "external_id"
};

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }
bool Contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// Returns why `plan` is unacceptable for `probe`, or "" when it is fine.
std::string Problem(const Probe& probe, const std::vector<std::string>& plan) {
  bool sorts = false;
  bool scans_entity = false;
  bool narrowed = false;  // some SEARCH is constrained by more than the kind
  for (const std::string& line : plan) {
    if (Contains(line, "USE TEMP B-TREE FOR ORDER BY")) sorts = true;
    if (StartsWith(line, "SCAN ")) {
      if (!StartsWith(line, "SCAN e ") && line != "SCAN e") return "full scan: " + line;
      if (probe.shape != Shape::kTypeWideList) return "scans the table for a scoped query: " + line;
      scans_entity = true;
    }
    if (StartsWith(line, "SEARCH e ") || StartsWith(line, "SEARCH a ")) {
      size_t open = line.find('(');
      if (open != std::string::npos && line.substr(open) != "(type_id=?)") narrowed = true;
    }
  }
  if (sorts && (scans_entity || !narrowed)) return "sorts every row of the kind for each page";
  if (probe.shape == Shape::kFind) {
    std::string constraint = probe.lookup_column + "=?";
    for (const std::string& line : plan) {
      if (StartsWith(line, "SEARCH e ") && Contains(line, constraint.c_str())) return "";
    }
    return "the lookup is not constrained by " + probe.lookup_column;
  }
  return "";
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += "\n    " + line;
  return out;
}

// Runs the probes' SQL through EXPLAIN and checks each plan.
void CheckPlans(PlanReader& reader, const std::vector<Probe>& probes, const char* stats) {
  for (const Probe& probe : probes) {
    std::vector<std::string> plan = reader.Explain(probe.sql);
    INFO(probe.what << " (" << stats << ")\n  SQL: " << probe.sql << "\n  plan:" << Joined(plan));
    CHECK(Problem(probe, plan) == "");
  }
}

// A seeded database, a service over it, and the SQL of each probe call.
class PlanFixture {
 public:
  PlanFixture() {
    SqliteOptions options;
    options.path = dir_.File("registry.db");
    path_ = options.path;
    Result<std::unique_ptr<Repository>> repo = OpenSqliteRepository(options);
    if (!repo.ok()) FAIL("OpenSqliteRepository: " << repo.status().ToString());
    repo_ = std::move(repo).value();
    service_ = std::make_unique<RegistryService>(*repo_);
    Seed(*repo_);
  }

  RegistryService& service() { return *service_; }
  const std::string& path() const { return path_; }

  // Runs `call` and records the last entity SELECT it ran as a probe.
  template <typename Call>
  void Record(const std::string& what, Shape shape, Call call, std::string lookup_column = "") {
    capture_.Clear();
    auto result = call(*service_);
    INFO(what);
    REQUIRE(result.ok());
    std::vector<std::string> selects = capture_.EntitySelects();
    REQUIRE(!selects.empty());
    probes_.push_back({what, shape, selects.back(), std::move(lookup_column)});
  }

  const std::vector<Probe>& probes() const { return probes_; }

 private:
  StatementCapture capture_;  // before the repository: traces its connections
  TempDir dir_;
  std::string path_;
  std::unique_ptr<Repository> repo_;
  std::unique_ptr<RegistryService> service_;
  std::vector<Probe> probes_;
};

ListOptions PageOf(int32_t size, OrderField order = OrderField::kId, bool descending = false) {
  ListOptions options;
  options.page_size = size;
  options.order = order;
  options.descending = descending;
  return options;
}

ListOptions Filtered(const char* filter_query, OrderField order = OrderField::kId) {
  ListOptions options = PageOf(100, order);
  options.filter_query = filter_query;
  return options;
}

ListScope ChildrenOf(K parent_kind, int64_t parent_id) {
  ListScope scope;
  scope.kind = ListScope::Kind::kChildrenOf;
  scope.parent_kind = parent_kind;
  scope.parent_id = parent_id;
  return scope;
}

// The cursor of page 2 of `kind` in `order`, so page-N queries are probed too.
std::string SecondPageToken(RegistryService& service, K kind, const ListScope& scope,
                            ListOptions options) {
  options.page_size = 10;
  Result<Page> page = service.List(kind, scope, options);
  REQUIRE(page.ok());
  REQUIRE(!page->next_page_token.empty());
  return page->next_page_token;
}

void AddTypeWideProbes(PlanFixture& f) {
  const ListScope all;
  struct Order {
    const char* name;
    OrderField field;
    bool descending;
  };
  const Order kOrders[] = {{"id asc", OrderField::kId, false},
                           {"id desc", OrderField::kId, true},
                           {"create time asc", OrderField::kCreateTime, false},
                           {"create time desc", OrderField::kCreateTime, true},
                           {"update time desc", OrderField::kLastUpdateTime, true}};
  for (K kind : {K::kRegisteredModel, K::kModelVersion, K::kModelArtifact}) {
    for (const Order& order : kOrders) {
      std::string what = "list " + std::to_string(static_cast<int>(kind)) + " by " + order.name;
      ListOptions options = PageOf(100, order.field, order.descending);
      f.Record(what, Shape::kTypeWideList,
               [&](RegistryService& s) { return s.List(kind, all, options); });
      options.next_page_token = SecondPageToken(f.service(), kind, all, options);
      f.Record(what + ", page 2", Shape::kTypeWideList,
               [&](RegistryService& s) { return s.List(kind, all, options); });
    }
  }
  for (K kind : {K::kServingEnvironment, K::kInferenceService, K::kExperiment, K::kExperimentRun,
                 K::kServeModel}) {
    f.Record("list kind " + std::to_string(static_cast<int>(kind)), Shape::kTypeWideList,
             [&](RegistryService& s) { return s.List(kind, all, PageOf(100)); });
  }
  const char* kFilters[] = {
      "framework = \"pytorch\"",       // custom string
      "epochs > 5",                    // custom int, inferred (int OR double column)
      "accuracy.double_value >= 0.7",  // custom double with suffix
      "validated = true",              // custom bool
      "state = \"LIVE\"",              // built-in property row
      "author = \"author-3\" AND epochs < 50",
      "framework = \"pytorch\" OR framework = \"onnx\"",
      "name = \"v42\"",  // column
      "name LIKE \"v4%\"",
      "id > 100",
  };
  for (const char* filter_query : kFilters) {
    f.Record(
        std::string("versions filtered by ") + filter_query, Shape::kTypeWideList,
        [&](RegistryService& s) { return s.List(K::kModelVersion, all, Filtered(filter_query)); });
  }
  // Seeks the time index and sorts only the rows in the range.
  f.Record("versions created after a time", Shape::kTypeWideList, [&](RegistryService& s) {
    return s.List(K::kModelVersion, all, Filtered("createTimeSinceEpoch > 1000"));
  });
  ListOptions newest = Filtered("framework = \"pytorch\"", OrderField::kCreateTime);
  newest.descending = true;
  f.Record("versions filtered, newest first", Shape::kTypeWideList,
           [&](RegistryService& s) { return s.List(K::kModelVersion, all, newest); });
  ListOptions typed = PageOf(100);
  typed.all_artifact_kinds = true;
  typed.artifact_kind = K::kModelArtifact;
  f.Record("artifacts of type model-artifact", Shape::kTypeWideList,
           [&](RegistryService& s) { return s.List(K::kModelArtifact, all, typed); });
  f.Record("metric history of all runs", Shape::kTypeWideList,
           [&](RegistryService& s) { return s.MetricHistory(std::nullopt, PageOf(100)); });
}

void AddScopedProbes(PlanFixture& f, int64_t big_model, int64_t version, int64_t run,
                     int64_t experiment, int64_t environment) {
  ListScope versions = ChildrenOf(K::kRegisteredModel, big_model);
  f.Record("versions of a model", Shape::kScopedList,
           [&](RegistryService& s) { return s.List(K::kModelVersion, versions, PageOf(100)); });
  ListOptions newest = PageOf(100, OrderField::kCreateTime, true);
  newest.next_page_token = SecondPageToken(f.service(), K::kModelVersion, versions, newest);
  f.Record("versions of a model, newest first, page 2", Shape::kScopedList,
           [&](RegistryService& s) { return s.List(K::kModelVersion, versions, newest); });
  ListOptions updated = PageOf(100, OrderField::kLastUpdateTime, false);
  f.Record("versions of a model by update time", Shape::kScopedList,
           [&](RegistryService& s) { return s.List(K::kModelVersion, versions, updated); });
  ListOptions filtered = Filtered("framework = \"pytorch\"");
  filtered.next_page_token = SecondPageToken(f.service(), K::kModelVersion, versions, filtered);
  f.Record("versions of a model filtered by a custom property, page 2", Shape::kScopedList,
           [&](RegistryService& s) { return s.List(K::kModelVersion, versions, filtered); });
  f.Record("runs of an experiment", Shape::kScopedList, [&](RegistryService& s) {
    ListScope scope = ChildrenOf(K::kExperiment, experiment);
    scope.parent_must_exist = true;
    return s.List(K::kExperimentRun, scope, PageOf(100));
  });
  f.Record("inference services of an environment", Shape::kScopedList, [&](RegistryService& s) {
    return s.List(K::kInferenceService, ChildrenOf(K::kServingEnvironment, environment),
                  PageOf(100));
  });
  ListOptions history = PageOf(100);
  history.name = "loss";
  history.steps = std::vector<int64_t>{1, 2, 3};
  f.Record("metric history of a run by name and steps", Shape::kScopedList,
           [&](RegistryService& s) { return s.MetricHistory(run, history); });

  ListScope artifacts;
  artifacts.kind = ListScope::Kind::kArtifactsOf;
  artifacts.parent_kind = K::kModelVersion;
  artifacts.parent_id = version;
  ListOptions any_kind = PageOf(100);
  any_kind.all_artifact_kinds = true;
  f.Record("artifacts of a version", Shape::kScopedList,
           [&](RegistryService& s) { return s.List(K::kModelArtifact, artifacts, any_kind); });
}

void AddFindProbes(PlanFixture& f, int64_t big_model, int64_t version) {
  f.Record(
      "find a registered model by name", Shape::kFind,
      [&](RegistryService& s) {
        FindQuery q;
        q.name = "model-17";
        return s.Find(K::kRegisteredModel, q);
      },
      "name");
  f.Record(
      "find a registered model by externalId", Shape::kFind,
      [&](RegistryService& s) {
        FindQuery q;
        q.external_id = "rm-ext-17";
        return s.Find(K::kRegisteredModel, q);
      },
      "external_id");
  f.Record(
      "find a version by name under its model", Shape::kFind,
      [&](RegistryService& s) {
        FindQuery q;
        q.name = "v2997";
        q.parent_id = big_model;
        return s.Find(K::kModelVersion, q);
      },
      "name");
  // Through attribution: the scope is one version's artifacts, a small set.
  f.Record("find an artifact by name under a version", Shape::kScopedList, [&](RegistryService& s) {
    FindQuery q;
    q.name = "model-" + std::to_string(big_model);
    q.parent_id = version;
    return s.FindArtifact(q, K::kModelArtifact);
  });
}

TEST_CASE("Every list and find the API offers runs on an index", "[sqlite][plan]") {
  PlanFixture f;
  RegistryService& s = f.service();
  FindQuery first_model;
  first_model.name = "model-0";
  Result<Entity> big_model = s.Find(K::kRegisteredModel, first_model);
  REQUIRE(big_model.ok());
  Result<Page> versions =
      s.List(K::kModelVersion, ChildrenOf(K::kRegisteredModel, big_model->id), PageOf(1));
  REQUIRE(versions.ok());
  REQUIRE(versions->items.size() == 1);
  const int64_t version = versions->items.front().id;
  Result<Page> experiments = s.List(K::kExperiment, ListScope(), PageOf(1));
  REQUIRE(experiments.ok());
  const int64_t experiment = experiments->items.front().id;
  Result<Page> runs = s.List(K::kExperimentRun, ChildrenOf(K::kExperiment, experiment), PageOf(1));
  REQUIRE(runs.ok());
  Result<Page> environments = s.List(K::kServingEnvironment, ListScope(), PageOf(1));
  REQUIRE(environments.ok());

  AddTypeWideProbes(f);
  AddScopedProbes(f, big_model->id, version, runs->items.front().id, experiment,
                  environments->items.front().id);
  AddFindProbes(f, big_model->id, version);
  REQUIRE(f.probes().size() > 50);

  PlanReader reader(f.path());
  CheckPlans(reader, f.probes(), "no statistics, as the server runs");
  reader.Analyze();
  CheckPlans(reader, f.probes(), "after ANALYZE");
}

// GET /artifacts without artifactType lists every visible kind. Through the
// type index SQLite walked it once per kind and sorted the union, reading every
// artifact for each page (70 ms at 1M); the list now walks rowid or a time
// index in order and stops at the page limit.
TEST_CASE("Listing every artifact kind does not sort all artifacts", "[sqlite][plan]") {
  PlanFixture f;
  struct Order {
    const char* name;
    OrderField field;
  };
  for (const Order& order :
       {Order{"id", OrderField::kId}, Order{"create time", OrderField::kCreateTime},
        Order{"update time", OrderField::kLastUpdateTime}}) {
    for (bool descending : {false, true}) {
      ListOptions any_kind = PageOf(100, order.field, descending);
      any_kind.all_artifact_kinds = true;
      f.Record(std::string("all artifacts by ") + order.name + (descending ? " desc" : ""),
               Shape::kTypeWideList, [&](RegistryService& s) {
                 return s.List(K::kModelArtifact, ListScope(), any_kind);
               });
    }
  }
  PlanReader reader(f.path());
  CheckPlans(reader, f.probes(), "no statistics, as the server runs");
}

// A string property compared by equality with a value few rows have is looked
// up in the property value index (migration 4) and the list starts from its
// matches; before, it walked every version (355 ms at 1M, docs/BENCHMARKS.md).
// A value many rows have is not: walking in list order finds a page sooner.
TEST_CASE("A rare property value is looked up, a common one walked", "[sqlite][plan]") {
  PlanFixture f;
  const ListScope all;
  ListScope model = ChildrenOf(K::kRegisteredModel, 1);
  struct Case {
    const char* what;
    const char* filter_query;
    OrderField order;
    bool descending;
  };
  // Values held by fewer than storage::kDrivenListMaxMatches (1000) rows are
  // rare.
  const Case kCases[] = {
      {"no version has the value", "framework = \"none\"", OrderField::kId, false},
      {"newest first", "framework = \"none\"", OrderField::kCreateTime, true},
      {"by update time, with a second condition", "framework = \"none\" AND epochs > 3",
       OrderField::kLastUpdateTime, false},
      {"IN of rare values", "framework IN (\"none\", \"nil\")", OrderField::kId, false},
      {"750 of 3000 versions", "framework = \"pytorch\"", OrderField::kId, false},
      {"2250 of 3000 versions", "framework = \"onnx\"", OrderField::kId, false},
      {"2250 of 3000, newest first", "framework = \"onnx\"", OrderField::kCreateTime, true},
  };
  for (const Case& c : kCases) {
    ListOptions options = Filtered(c.filter_query, c.order);
    options.descending = c.descending;
    f.Record(std::string(c.what) + ": " + c.filter_query, Shape::kTypeWideList,
             [&](RegistryService& s) { return s.List(K::kModelVersion, all, options); });
    f.Record(std::string(c.what) + ", versions of a model: " + c.filter_query, Shape::kScopedList,
             [&](RegistryService& s) { return s.List(K::kModelVersion, model, options); });
  }
  ListOptions by_uri = Filtered("uri = \"s3://bucket/7\"");
  by_uri.all_artifact_kinds = true;
  f.Record("artifacts with a rare uri", Shape::kTypeWideList,
           [&](RegistryService& s) { return s.List(K::kModelArtifact, all, by_uri); });

  PlanReader reader(f.path());
  for (const char* stats : {"no statistics, as the server runs", "after ANALYZE"}) {
    if (std::string(stats) == "after ANALYZE") reader.Analyze();
    CheckPlans(reader, f.probes(), stats);
    for (const Probe& probe : f.probes()) {
      std::vector<std::string> plan = reader.Explain(probe.sql);
      bool rare = !Contains(probe.what, "2250");
      bool looked_up = false;
      for (const std::string& line : plan) {
        if (Contains(line, "_property_by_string")) looked_up = true;
        if (rare) {
          INFO(probe.what << " (" << stats << ")\n  SQL: " << probe.sql
                          << "\n  plan:" << Joined(plan));
          CHECK(!StartsWith(line, "SCAN "));
        }
      }
      INFO(probe.what << " (" << stats << ")\n  SQL: " << probe.sql << "\n  plan:" << Joined(plan));
      CHECK(looked_up == rare);
    }
  }
}

}  // namespace
}  // namespace mr
