// RegistryService over the real SQLite repository on a private in-memory
// database. Each case checks the exact StatusCode the rules in
// docs/api-behaviour.md ask for; expected values are written by hand.
#include "model_registry/registry_service.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "model_registry/entity_spec.h"
#include "model_registry/sqlite_repository.h"

namespace mr {
namespace {

using K = EntityKind;

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A fresh in-memory registry per test case.
class Registry {
 public:
  // `clock_ms`: the repository's wall clock (SqliteOptions::clock_ms).
  explicit Registry(std::function<int64_t()> clock_ms = {}) {
    SqliteOptions options;
    options.path = ":memory:";
    options.clock_ms = std::move(clock_ms);
    Result<std::unique_ptr<Repository>> repo = OpenSqliteRepository(options);
    if (!repo.ok()) FAIL("cannot open in-memory repository: " << repo.status().ToString());
    repo_ = std::move(repo).value();
    service_ = std::make_unique<RegistryService>(*repo_);
  }

  RegistryService& service() { return *service_; }
  RegistryService* operator->() { return service_.get(); }

  // Creates `draft` and fails the test case when that does not succeed.
  Entity Create(const EntityDraft& draft) {
    Result<Entity> created = service_->Create(draft);
    if (!created.ok()) FAIL("Create failed: " << created.status().ToString());
    return std::move(created).value();
  }

  Entity CreateModel(const std::string& name) { return Create(Named(K::kRegisteredModel, name)); }

  Entity CreateVersion(int64_t model_id, const std::string& name) {
    EntityDraft draft = Named(K::kModelVersion, name);
    draft.parent_id = model_id;
    return Create(draft);
  }

  Entity CreateExperimentRun(int64_t experiment_id, const std::string& name) {
    EntityDraft draft = Named(K::kExperimentRun, name);
    draft.parent_id = experiment_id;
    return Create(draft);
  }

  UpsertResult Upsert(K parent_kind, int64_t parent_id, const EntityDraft& draft) {
    Result<UpsertResult> result = service_->UpsertArtifact(parent_kind, parent_id, draft);
    if (!result.ok()) FAIL("UpsertArtifact failed: " << result.status().ToString());
    return std::move(result).value();
  }

  static EntityDraft Named(K kind, const std::string& name) {
    EntityDraft draft;
    draft.kind = kind;
    draft.name = name;
    return draft;
  }

  static EntityDraft Metric(const std::string& name, double value) {
    EntityDraft draft = Named(K::kMetric, name);
    draft.fields["value"] = value;
    return draft;
  }

 private:
  std::unique_ptr<Repository> repo_;
  std::unique_ptr<RegistryService> service_;
};

template <typename T>
StatusCode CodeOf(const Result<T>& result) {
  return result.status().code();
}

std::vector<int64_t> Ids(const std::vector<Entity>& items) {
  std::vector<int64_t> ids;
  for (const Entity& e : items) ids.push_back(e.id);
  return ids;
}

std::string StringField(const Entity& e, const std::string& name) {
  auto it = e.fields.find(name);
  if (it == e.fields.end() || !std::holds_alternative<std::string>(it->second)) return "<absent>";
  return std::get<std::string>(it->second);
}

std::optional<int64_t> IdField(const Entity& e, const std::string& name) {
  auto it = e.fields.find(name);
  if (it == e.fields.end() || !std::holds_alternative<int64_t>(it->second)) return std::nullopt;
  return std::get<int64_t>(it->second);
}

// ---- create -----------------------------------------------------------------

TEST_CASE("Create assigns an id and equal create/update timestamps", "[domain][create]") {
  Registry r;
  int64_t before = WallClockMs();
  EntityDraft draft = Registry::Named(K::kRegisteredModel, "fraud-detector");
  draft.description = "finds fraud";
  draft.external_id = "ext-1";
  draft.fields["owner"] = std::string("alice");
  draft.custom_properties = CustomProperties{{"team", MetadataValue::String("risk")}};
  Entity rm = r.Create(draft);
  int64_t after = WallClockMs();

  CHECK(rm.id > 0);
  CHECK(rm.kind == K::kRegisteredModel);
  CHECK(rm.name == "fraud-detector");
  CHECK(rm.create_time_ms == rm.update_time_ms);
  CHECK(rm.create_time_ms >= before);
  CHECK(rm.create_time_ms <= after + 1000);

  Result<Entity> stored = r->Get(K::kRegisteredModel, rm.id);
  REQUIRE(stored.ok());
  CHECK(stored->name == "fraud-detector");
  CHECK(stored->description == std::optional<std::string>("finds fraud"));
  CHECK(stored->external_id == std::optional<std::string>("ext-1"));
  CHECK(StringField(*stored, "owner") == "alice");
  CHECK(stored->custom_properties.at("team") == MetadataValue::String("risk"));
  CHECK(stored->create_time_ms == rm.create_time_ms);
}

TEST_CASE("Create rejects a missing or empty required name with kMissingRequired",
          "[domain][create]") {
  Registry r;
  for (K kind : {K::kRegisteredModel, K::kServingEnvironment, K::kExperiment}) {
    INFO("kind " << SpecFor(kind).display_name);
    EntityDraft missing;
    missing.kind = kind;
    Result<Entity> a = r->Create(missing);
    REQUIRE_FALSE(a.ok());
    CHECK(CodeOf(a) == StatusCode::kMissingRequired);
    CHECK(a.status().message() == "required field 'name' is zero value.");

    Result<Entity> b = r->Create(Registry::Named(kind, ""));
    REQUIRE_FALSE(b.ok());
    CHECK(CodeOf(b) == StatusCode::kMissingRequired);
    CHECK(b.status().message() == "required field 'name' is zero value.");
  }
  Entity rm = r.CreateModel("m");
  EntityDraft version = Registry::Named(K::kModelVersion, "");
  version.parent_id = rm.id;
  Result<Entity> v = r->Create(version);
  REQUIRE_FALSE(v.ok());
  CHECK(CodeOf(v) == StatusCode::kMissingRequired);
  CHECK(v.status().message() == "required field 'name' is zero value.");
}

TEST_CASE("Create rejects a missing required parent reference with kMissingRequired",
          "[domain][create]") {
  Registry r;
  Result<Entity> v = r->Create(Registry::Named(K::kModelVersion, "v1"));
  REQUIRE_FALSE(v.ok());
  CHECK(CodeOf(v) == StatusCode::kMissingRequired);
  CHECK(v.status().message() == "required field 'registeredModelId' is zero value.");
}

TEST_CASE("Create generates a name for optional-name kinds", "[domain][create]") {
  Registry r;
  EntityDraft exp = Registry::Named(K::kExperiment, "exp");
  Entity experiment = r.Create(exp);
  EntityDraft run;
  run.kind = K::kExperimentRun;
  run.parent_id = experiment.id;
  Entity a = r.Create(run);
  Entity b = r.Create(run);
  CHECK(a.name.size() == 36);  // a UUID
  CHECK(b.name.size() == 36);
  CHECK(a.name != b.name);
}

TEST_CASE("Create rejects a duplicate name in the same scope with kAlreadyExists",
          "[domain][create][uniqueness]") {
  Registry r;
  Entity rm = r.CreateModel("dup");
  Result<Entity> again = r->Create(Registry::Named(K::kRegisteredModel, "dup"));
  REQUIRE_FALSE(again.ok());
  CHECK(CodeOf(again) == StatusCode::kAlreadyExists);

  // Names are case-sensitive.
  CHECK(r->Create(Registry::Named(K::kRegisteredModel, "DUP")).ok());

  // Version names are unique per registered model, not globally.
  Entity other = r.CreateModel("other");
  r.CreateVersion(rm.id, "v1");
  r.CreateVersion(other.id, "v1");
  EntityDraft clash = Registry::Named(K::kModelVersion, "v1");
  clash.parent_id = rm.id;
  Result<Entity> v = r->Create(clash);
  REQUIRE_FALSE(v.ok());
  CHECK(CodeOf(v) == StatusCode::kAlreadyExists);

  // Other kinds in the same storage class may reuse the name.
  CHECK(r->Create(Registry::Named(K::kExperiment, "dup")).ok());
  CHECK(r->Create(Registry::Named(K::kServingEnvironment, "dup")).ok());

  // Standalone artifacts are never name-unique.
  Entity a1 = r.Create(Registry::Named(K::kModelArtifact, "standalone"));
  Entity a2 = r.Create(Registry::Named(K::kModelArtifact, "standalone"));
  CHECK(a1.id != a2.id);
}

TEST_CASE("Version names may contain ':'", "[domain][create]") {
  Registry r;
  Entity rm = r.CreateModel("m");
  Entity latest = r.CreateVersion(rm.id, "model:latest");
  CHECK(latest.name == "model:latest");
  FindQuery q;
  q.name = "model:latest";
  q.parent_id = rm.id;
  Result<Entity> found = r->Find(K::kModelVersion, q);
  REQUIRE(found.ok());
  CHECK(found->id == latest.id);
  ListOptions options;
  options.filter_query = "name = 'model:latest'";
  Result<Page> page = r->List(K::kModelVersion, ListScope{}, options);
  REQUIRE(page.ok());
  CHECK(Ids(page->items) == std::vector<int64_t>{latest.id});
}

TEST_CASE("externalId is unique per storage class", "[domain][create][uniqueness]") {
  Registry r;
  EntityDraft rm_draft = Registry::Named(K::kRegisteredModel, "m");
  rm_draft.external_id = "shared";
  Entity rm = r.Create(rm_draft);

  // A model version is context-like too: the externalId clashes.
  EntityDraft mv = Registry::Named(K::kModelVersion, "v1");
  mv.parent_id = rm.id;
  mv.external_id = "shared";
  Result<Entity> clash = r->Create(mv);
  REQUIRE_FALSE(clash.ok());
  CHECK(CodeOf(clash) == StatusCode::kAlreadyExists);

  EntityDraft exp = Registry::Named(K::kExperiment, "e");
  exp.external_id = "shared";
  Result<Entity> exp_clash = r->Create(exp);
  REQUIRE_FALSE(exp_clash.ok());
  CHECK(CodeOf(exp_clash) == StatusCode::kAlreadyExists);

  // An artifact lives in another storage class and may share it.
  EntityDraft artifact = Registry::Named(K::kModelArtifact, "a");
  artifact.external_id = "shared";
  CHECK(r->Create(artifact).ok());

  // An update that would introduce the clash is rejected too.
  EntityDraft other = Registry::Named(K::kRegisteredModel, "m2");
  Entity m2 = r.Create(other);
  EntityDraft patch;
  patch.kind = K::kRegisteredModel;
  patch.external_id = "shared";
  Result<Entity> updated = r->Update(K::kRegisteredModel, m2.id, patch);
  REQUIRE_FALSE(updated.ok());
  CHECK(CodeOf(updated) == StatusCode::kAlreadyExists);
}

TEST_CASE("Create of a version under a missing registered model is kNotFound", "[domain][create]") {
  Registry r;
  EntityDraft mv = Registry::Named(K::kModelVersion, "v1");
  mv.parent_id = 999;
  Result<Entity> v = r->Create(mv);
  REQUIRE_FALSE(v.ok());
  CHECK(CodeOf(v) == StatusCode::kNotFound);
  CHECK(v.status().message() == "no registered model found for id 999");

  // A parent id of another kind is not a registered model either.
  Entity exp = r.Create(Registry::Named(K::kExperiment, "e"));
  mv.parent_id = exp.id;
  Result<Entity> w = r->Create(mv);
  REQUIRE_FALSE(w.ok());
  CHECK(CodeOf(w) == StatusCode::kNotFound);

  EntityDraft run = Registry::Named(K::kExperimentRun, "run");
  run.parent_id = 999;
  Result<Entity> x = r->Create(run);
  REQUIRE_FALSE(x.ok());
  CHECK(CodeOf(x) == StatusCode::kNotFound);
}

TEST_CASE("Top-level names may have 255 characters, not 256", "[domain][create][length]") {
  Registry r;
  CHECK(r->Create(Registry::Named(K::kRegisteredModel, std::string(255, 'a'))).ok());
  Result<Entity> too_long = r->Create(Registry::Named(K::kRegisteredModel, std::string(256, 'b')));
  REQUIRE_FALSE(too_long.ok());
  CHECK(CodeOf(too_long) == StatusCode::kInvalidArgument);

  EntityDraft ext = Registry::Named(K::kRegisteredModel, "x");
  ext.external_id = std::string(256, 'e');
  Result<Entity> long_ext = r->Create(ext);
  REQUIRE_FALSE(long_ext.ok());
  CHECK(CodeOf(long_ext) == StatusCode::kInvalidArgument);
  ext.external_id = std::string(255, 'e');
  CHECK(r->Create(ext).ok());
}

TEST_CASE("Names scoped by a parent, and artifact names, allow 250 characters",
          "[domain][create][length]") {
  Registry r;
  Entity rm = r.CreateModel("m");
  EntityDraft ok = Registry::Named(K::kModelVersion, std::string(250, 'v'));
  ok.parent_id = rm.id;
  CHECK(r->Create(ok).ok());

  EntityDraft too_long = Registry::Named(K::kModelVersion, std::string(251, 'w'));
  too_long.parent_id = rm.id;
  Result<Entity> v = r->Create(too_long);
  REQUIRE_FALSE(v.ok());
  CHECK(CodeOf(v) == StatusCode::kInvalidArgument);

  // Standalone artifacts have no parent but the same limit.
  CHECK(r->Create(Registry::Named(K::kDocArtifact, std::string(250, 'd'))).ok());
  CHECK(CodeOf(r->Create(Registry::Named(K::kDocArtifact, std::string(251, 'd')))) ==
        StatusCode::kInvalidArgument);

  // The Python suite's numbers: 250 characters pass, 255 fail.
  EntityDraft py_ok = Registry::Named(K::kModelVersion, std::string(250, 'p'));
  py_ok.parent_id = rm.id;
  CHECK(r->Create(py_ok).ok());
  EntityDraft py_bad = Registry::Named(K::kModelVersion, std::string(255, 'q'));
  py_bad.parent_id = rm.id;
  CHECK(CodeOf(r->Create(py_bad)) == StatusCode::kInvalidArgument);
}

TEST_CASE("Enum fields accept only their listed values", "[domain][create][enum]") {
  Registry r;
  struct Case {
    K kind;
    const char* field;
    const char* value;
    bool valid;
  };
  const std::vector<Case> cases = {
      {K::kRegisteredModel, "state", "LIVE", true},
      {K::kRegisteredModel, "state", "ARCHIVED", true},
      {K::kRegisteredModel, "state", "live", false},  // case-sensitive
      {K::kRegisteredModel, "state", "FOO", false},
      {K::kRegisteredModel, "state", "", false},
      {K::kExperiment, "state", "ARCHIVED", true},
      {K::kExperiment, "state", "DELETED", false},
      {K::kModelArtifact, "state", "MARKED_FOR_DELETION", true},
      {K::kModelArtifact, "state", "REFERENCE", true},
      {K::kModelArtifact, "state", "ARCHIVED", false},
      {K::kParameter, "parameterType", "number", true},
      {K::kParameter, "parameterType", "NUMBER", false},
  };
  int n = 0;
  for (const Case& c : cases) {
    INFO(SpecFor(c.kind).display_name << "." << c.field << " = '" << c.value << "'");
    EntityDraft draft = Registry::Named(c.kind, "enum-" + std::to_string(n++));
    draft.fields[c.field] = std::string(c.value);
    Result<Entity> created = r->Create(draft);
    if (c.valid) {
      CHECK(created.ok());
    } else {
      REQUIRE_FALSE(created.ok());
      CHECK(CodeOf(created) == StatusCode::kInvalidArgument);
    }
  }

  Entity exp = r.Create(Registry::Named(K::kExperiment, "runs"));
  EntityDraft run = Registry::Named(K::kExperimentRun, "bad-status");
  run.parent_id = exp.id;
  run.fields["status"] = std::string("DONE");
  CHECK(CodeOf(r->Create(run)) == StatusCode::kInvalidArgument);
  run.fields["status"] = std::string("FINISHED");
  CHECK(r->Create(run).ok());

  // Enum values are checked on update as well.
  Entity rm = r.CreateModel("patched");
  EntityDraft patch;
  patch.kind = K::kRegisteredModel;
  patch.fields["state"] = std::string("GONE");
  CHECK(CodeOf(r->Update(K::kRegisteredModel, rm.id, patch)) == StatusCode::kInvalidArgument);
}

TEST_CASE("Create times follow the wall clock across many creates", "[domain][timestamps]") {
  Registry r;
  int64_t previous = 0;
  for (int i = 0; i < 200; ++i) {
    Entity e = r.CreateModel("ts-" + std::to_string(i));
    INFO("create #" << i);
    REQUIRE(e.create_time_ms >= previous);
    REQUIRE(e.create_time_ms <= WallClockMs());
    previous = e.create_time_ms;
  }
}

TEST_CASE("Get distinguishes kinds", "[domain][get]") {
  Registry r;
  Entity rm = r.CreateModel("m");
  Result<Entity> as_version = r->Get(K::kModelVersion, rm.id);
  REQUIRE_FALSE(as_version.ok());
  CHECK(CodeOf(as_version) == StatusCode::kNotFound);
  CHECK(as_version.status().message() == "no model version found for id " + std::to_string(rm.id));
  CHECK(CodeOf(r->Get(K::kRegisteredModel, 12345)) == StatusCode::kNotFound);

  Entity doc = r.Create(Registry::Named(K::kDocArtifact, "d"));
  Result<Entity> as_model = r->Get(K::kModelArtifact, doc.id);
  REQUIRE_FALSE(as_model.ok());
  CHECK(CodeOf(as_model) == StatusCode::kNotFound);
  CHECK(as_model.status().message() ==
        "artifact with id " + std::to_string(doc.id) + " is not a model artifact");
  CHECK(r->GetArtifact(doc.id).ok());
  CHECK(CodeOf(r->GetArtifact(doc.id + 1000)) == StatusCode::kNotFound);
}

// ---- update -----------------------------------------------------------------

TEST_CASE("Update merges only the present members", "[domain][update]") {
  Registry r;
  EntityDraft draft = Registry::Named(K::kRegisteredModel, "merge-me");
  draft.description = "original";
  draft.external_id = "ext";
  draft.fields["owner"] = std::string("alice");
  draft.fields["state"] = std::string("ARCHIVED");
  draft.fields["language"] = std::vector<std::string>{"en", "de"};
  draft.custom_properties =
      CustomProperties{{"a", MetadataValue::Int(1)}, {"b", MetadataValue::String("x")}};
  Entity rm = r.Create(draft);

  SECTION("absent members keep their value, including an ARCHIVED state") {
    EntityDraft patch;
    patch.kind = K::kRegisteredModel;
    patch.description = "changed";
    Result<Entity> updated = r->Update(K::kRegisteredModel, rm.id, patch);
    REQUIRE(updated.ok());
    Result<Entity> stored = r->Get(K::kRegisteredModel, rm.id);
    REQUIRE(stored.ok());
    for (const Entity* e : {&updated.value(), &stored.value()}) {
      CHECK(e->description == std::optional<std::string>("changed"));
      CHECK(e->external_id == std::optional<std::string>("ext"));
      CHECK(StringField(*e, "owner") == "alice");
      CHECK(StringField(*e, "state") == "ARCHIVED");
      CHECK(std::get<std::vector<std::string>>(e->fields.at("language")) ==
            std::vector<std::string>{"en", "de"});
      CHECK(e->custom_properties.size() == 2);
      CHECK(e->name == "merge-me");
      CHECK(e->create_time_ms == rm.create_time_ms);
      CHECK(e->update_time_ms > rm.update_time_ms);
    }
  }

  SECTION("customProperties, when present, replace the whole map") {
    EntityDraft patch;
    patch.kind = K::kRegisteredModel;
    patch.custom_properties = CustomProperties{{"c", MetadataValue::Bool(true)}};
    REQUIRE(r->Update(K::kRegisteredModel, rm.id, patch).ok());
    Result<Entity> stored = r->Get(K::kRegisteredModel, rm.id);
    REQUIRE(stored.ok());
    REQUIRE(stored->custom_properties.size() == 1);
    CHECK(stored->custom_properties.at("c") == MetadataValue::Bool(true));
    CHECK(StringField(*stored, "state") == "ARCHIVED");
  }

  SECTION("an empty customProperties map clears them all") {
    EntityDraft patch;
    patch.kind = K::kRegisteredModel;
    patch.custom_properties = CustomProperties{};
    REQUIRE(r->Update(K::kRegisteredModel, rm.id, patch).ok());
    Result<Entity> stored = r->Get(K::kRegisteredModel, rm.id);
    REQUIRE(stored.ok());
    CHECK(stored->custom_properties.empty());
    CHECK(StringField(*stored, "owner") == "alice");
  }

  SECTION("string lists are replaced entirely") {
    EntityDraft patch;
    patch.kind = K::kRegisteredModel;
    patch.fields["language"] = std::vector<std::string>{"fr"};
    REQUIRE(r->Update(K::kRegisteredModel, rm.id, patch).ok());
    Result<Entity> stored = r->Get(K::kRegisteredModel, rm.id);
    REQUIRE(stored.ok());
    CHECK(std::get<std::vector<std::string>>(stored->fields.at("language")) ==
          std::vector<std::string>{"fr"});
  }

  SECTION("an update always bumps lastUpdate, even with an empty patch") {
    int64_t previous = rm.update_time_ms;
    for (int i = 0; i < 20; ++i) {
      EntityDraft patch;
      patch.kind = K::kRegisteredModel;
      Result<Entity> updated = r->Update(K::kRegisteredModel, rm.id, patch);
      REQUIRE(updated.ok());
      CHECK(updated->update_time_ms > previous);
      CHECK(updated->create_time_ms == rm.create_time_ms);
      previous = updated->update_time_ms;
    }
  }
}

TEST_CASE("Update leaves immutable fields untouched", "[domain][update]") {
  Registry r;
  Entity rm = r.CreateModel("m");
  Entity other = r.CreateModel("other");
  Entity mv = r.CreateVersion(rm.id, "v1");

  EntityDraft patch;
  patch.kind = K::kModelVersion;
  patch.name = "renamed";
  patch.parent_id = other.id;
  patch.fields["registeredModelId"] = other.id;
  patch.fields["author"] = std::string("bob");
  Result<Entity> updated = r->Update(K::kModelVersion, mv.id, patch);
  REQUIRE(updated.ok());
  Result<Entity> stored = r->Get(K::kModelVersion, mv.id);
  REQUIRE(stored.ok());
  CHECK(stored->name == "v1");
  CHECK(stored->parent_id == rm.id);
  CHECK(IdField(*stored, "registeredModelId") == std::optional<int64_t>(rm.id));
  CHECK(StringField(*stored, "author") == "bob");
  CHECK(stored->create_time_ms == mv.create_time_ms);

  // An experiment run's start time is create-only.
  Entity exp = r.Create(Registry::Named(K::kExperiment, "e"));
  EntityDraft run_draft = Registry::Named(K::kExperimentRun, "run");
  run_draft.parent_id = exp.id;
  run_draft.fields["startTimeSinceEpoch"] = std::string("1000");
  Entity run = r.Create(run_draft);
  EntityDraft run_patch;
  run_patch.kind = K::kExperimentRun;
  run_patch.fields["startTimeSinceEpoch"] = std::string("5");
  REQUIRE(r->Update(K::kExperimentRun, run.id, run_patch).ok());
  Result<Entity> stored_run = r->Get(K::kExperimentRun, run.id);
  REQUIRE(stored_run.ok());
  CHECK(StringField(*stored_run, "startTimeSinceEpoch") == "1000");
}

TEST_CASE("Update of a missing or wrong-kind id is kNotFound", "[domain][update]") {
  Registry r;
  Entity rm = r.CreateModel("m");
  EntityDraft patch;
  patch.kind = K::kModelVersion;
  CHECK(CodeOf(r->Update(K::kModelVersion, rm.id, patch)) == StatusCode::kNotFound);
  patch.kind = K::kRegisteredModel;
  CHECK(CodeOf(r->Update(K::kRegisteredModel, 4242, patch)) == StatusCode::kNotFound);
}

TEST_CASE("UpdateArtifact refuses to change the artifact type", "[domain][update]") {
  Registry r;
  Entity model = r.Create(Registry::Named(K::kModelArtifact, "ma"));
  EntityDraft patch;
  patch.kind = K::kDocArtifact;
  patch.fields["uri"] = std::string("s3://x");
  Result<Entity> changed = r->UpdateArtifact(model.id, patch);
  REQUIRE_FALSE(changed.ok());
  CHECK(CodeOf(changed) == StatusCode::kInvalidArgument);
  CHECK(changed.status().message() ==
        "cannot change artifact type from 'model-artifact' to 'doc-artifact': artifact type is "
        "immutable");

  patch.kind = K::kModelArtifact;
  Result<Entity> same = r->UpdateArtifact(model.id, patch);
  REQUIRE(same.ok());
  CHECK(StringField(*same, "uri") == "s3://x");
  CHECK(CodeOf(r->UpdateArtifact(model.id + 100, patch)) == StatusCode::kNotFound);
}

TEST_CASE("ExperimentRun end time before start time is kInvalidArgument", "[domain][run]") {
  Registry r;
  Entity exp = r.Create(Registry::Named(K::kExperiment, "e"));
  EntityDraft run = Registry::Named(K::kExperimentRun, "r1");
  run.parent_id = exp.id;
  run.fields["startTimeSinceEpoch"] = std::string("2000");
  run.fields["endTimeSinceEpoch"] = std::string("1999");
  Result<Entity> bad = r->Create(run);
  REQUIRE_FALSE(bad.ok());
  CHECK(CodeOf(bad) == StatusCode::kInvalidArgument);
  CHECK(bad.status().message() ==
        "EndTimeSinceEpoch (1999) cannot be less than StartTimeSinceEpoch (2000)");

  run.fields["endTimeSinceEpoch"] = std::string("2000");
  Entity good = r.Create(run);

  EntityDraft patch;
  patch.kind = K::kExperimentRun;
  patch.fields["endTimeSinceEpoch"] = std::string("10");
  CHECK(CodeOf(r->Update(K::kExperimentRun, good.id, patch)) == StatusCode::kInvalidArgument);
  patch.fields["endTimeSinceEpoch"] = std::string("soon");
  CHECK(CodeOf(r->Update(K::kExperimentRun, good.id, patch)) == StatusCode::kInvalidArgument);
  patch.fields["endTimeSinceEpoch"] = std::string("3000");
  CHECK(r->Update(K::kExperimentRun, good.id, patch).ok());
}

// ---- list and paging ----------------------------------------------------------

// Walks all pages; fails on a repeated token or more pages than items.
std::vector<int64_t> WalkPages(RegistryService& service, ListOptions options,
                               std::vector<std::string>* tokens = nullptr) {
  std::vector<int64_t> ids;
  for (int guard = 0; guard < 1000; ++guard) {
    Result<Page> page = service.List(K::kRegisteredModel, ListScope{}, options);
    if (!page.ok()) FAIL("List failed: " << page.status().ToString());
    CHECK(page->page_size == options.page_size);
    if (options.page_size > 0) CHECK(page->items.size() <= static_cast<size_t>(options.page_size));
    for (int64_t id : Ids(page->items)) ids.push_back(id);
    if (tokens != nullptr) tokens->push_back(page->next_page_token);
    if (page->next_page_token.empty()) return ids;
    if (page->items.empty()) FAIL("a page with a next token must not be empty");
    options.next_page_token = page->next_page_token;
  }
  FAIL("paging did not terminate");
  return ids;
}

TEST_CASE("List pages through all rows without skips or repeats", "[domain][list][paging]") {
  // A clock that ticks once per write, so every create and update gets its
  // own millisecond and the orders below are fully determined.
  auto ticks = std::make_shared<std::atomic<int64_t>>(1700000000000);
  Registry r([ticks] { return ticks->fetch_add(1); });
  const int kCount = 23;
  std::vector<int64_t> by_id;
  for (int i = 0; i < kCount; ++i) by_id.push_back(r.CreateModel("m" + std::to_string(i)).id);
  // Update every model in reverse creation order, so LAST_UPDATE_TIME ascending is
  // the reverse of id order while CREATE_TIME ascending equals it.
  for (int i = kCount - 1; i >= 0; --i) {
    EntityDraft patch;
    patch.kind = K::kRegisteredModel;
    patch.description = "touched";
    REQUIRE(r->Update(K::kRegisteredModel, by_id[i], patch).ok());
  }
  std::vector<int64_t> reversed(by_id.rbegin(), by_id.rend());

  struct Order {
    OrderField field;
    bool descending;
    const std::vector<int64_t>* expected;
    const char* label;
  };
  const std::vector<Order> orders = {
      {OrderField::kId, false, &by_id, "ID ASC"},
      {OrderField::kId, true, &reversed, "ID DESC"},
      {OrderField::kCreateTime, false, &by_id, "CREATE_TIME ASC"},
      {OrderField::kCreateTime, true, &reversed, "CREATE_TIME DESC"},
      {OrderField::kLastUpdateTime, false, &reversed, "LAST_UPDATE_TIME ASC"},
      {OrderField::kLastUpdateTime, true, &by_id, "LAST_UPDATE_TIME DESC"},
  };
  for (const Order& order : orders) {
    for (int32_t page_size : {0, -1, 1, 2, 5, 10, 22, 23, 24, 100}) {
      INFO(order.label << ", pageSize " << page_size);
      ListOptions options;
      options.order = order.field;
      options.descending = order.descending;
      options.page_size = page_size;
      std::vector<std::string> tokens;
      std::vector<int64_t> ids = WalkPages(r.service(), options, &tokens);
      CHECK(ids == *order.expected);
      size_t expected_pages =
          page_size <= 0 ? 1 : (kCount + static_cast<size_t>(page_size) - 1) / page_size;
      CHECK(tokens.size() == expected_pages);
      std::set<std::string> distinct(tokens.begin(), tokens.end());
      CHECK(distinct.size() == tokens.size());
    }
  }
}

TEST_CASE("List returns identical tokens for identical pages", "[domain][list][paging]") {
  // The Python pager contract: 21 items, page size 10: T1, T2, "".
  Registry r;
  for (int i = 0; i < 21; ++i) r.CreateModel("p" + std::to_string(i));
  ListOptions options;
  options.page_size = 10;
  std::vector<std::string> first, second;
  std::vector<int64_t> a = WalkPages(r.service(), options, &first);
  std::vector<int64_t> b = WalkPages(r.service(), options, &second);
  REQUIRE(first.size() == 3);
  CHECK_FALSE(first[0].empty());
  CHECK_FALSE(first[1].empty());
  CHECK(first[2].empty());
  CHECK(first == second);
  CHECK(a == b);
  CHECK(a.size() == 21);

  // An empty token restarts from the first page.
  options.next_page_token = "";
  Result<Page> restart = r->List(K::kRegisteredModel, ListScope{}, options);
  REQUIRE(restart.ok());
  CHECK(restart->next_page_token == first[0]);
  CHECK(Ids(restart->items) == std::vector<int64_t>(a.begin(), a.begin() + 10));
}

TEST_CASE("List rejects a garbage page token with kInvalidArgument", "[domain][list][paging]") {
  Registry r;
  r.CreateModel("m");
  for (const char* token : {"garbage", "!!!!", "NTU=", "MDo1"}) {
    INFO("token " << token);
    ListOptions options;
    options.page_size = 1;
    options.next_page_token = token;
    Result<Page> page = r->List(K::kRegisteredModel, ListScope{}, options);
    REQUIRE_FALSE(page.ok());
    CHECK(CodeOf(page) == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("List of children honours the parent scope and name options", "[domain][list]") {
  Registry r;
  Entity a = r.CreateModel("a");
  Entity b = r.CreateModel("b");
  Entity a1 = r.CreateVersion(a.id, "v1");
  Entity a2 = r.CreateVersion(a.id, "v2");
  r.CreateVersion(b.id, "v1");

  ListScope scope;
  scope.kind = ListScope::Kind::kChildrenOf;
  scope.parent_id = a.id;
  scope.parent_kind = K::kRegisteredModel;
  Result<Page> page = r->List(K::kModelVersion, scope, ListOptions{});
  REQUIRE(page.ok());
  CHECK(Ids(page->items) == std::vector<int64_t>{a1.id, a2.id});

  ListOptions named;
  named.name = "v2";
  page = r->List(K::kModelVersion, scope, named);
  REQUIRE(page.ok());
  CHECK(Ids(page->items) == std::vector<int64_t>{a2.id});

  // Nested lists do not check the parent unless asked to (§14 quirk-nested-lists-skip-parent-check,
  // quirk-run-lists-check-parent).
  scope.parent_id = 9999;
  page = r->List(K::kModelVersion, scope, ListOptions{});
  REQUIRE(page.ok());
  CHECK(page->items.empty());
  scope.parent_must_exist = true;
  CHECK(CodeOf(r->List(K::kModelVersion, scope, ListOptions{})) == StatusCode::kNotFound);
}

TEST_CASE("List applies filterQuery", "[domain][list][filter]") {
  Registry r;
  auto model = [&](const std::string& name, const std::string& state, CustomProperties props) {
    EntityDraft draft = Registry::Named(K::kRegisteredModel, name);
    draft.fields["state"] = state;
    draft.fields["owner"] = std::string(name == "gamma" ? "bob" : "alice");
    draft.custom_properties = std::move(props);
    return r.Create(draft).id;
  };
  int64_t alpha = model("alpha", "LIVE",
                        {{"epochs", MetadataValue::Int(10)},
                         {"accuracy", MetadataValue::Double(0.97)},
                         {"framework", MetadataValue::String("pytorch")}});
  int64_t beta = model("beta", "ARCHIVED",
                       {{"epochs", MetadataValue::Int(3)},
                        {"accuracy", MetadataValue::Double(0.5)},
                        {"score", MetadataValue::Double(2.0)}});
  int64_t gamma = model("gamma", "LIVE",
                        {{"accuracy", MetadataValue::Double(0.93)},
                         {"framework", MetadataValue::String("tensorflow")},
                         {"flag", MetadataValue::Bool(true)}});

  struct Case {
    std::string query;
    std::vector<int64_t> expected;
  };
  const std::vector<Case> cases = {
      {"epochs = 10", {alpha}},                         // int literal, int property
      {"score = 2", {beta}},                            // int literal also matches a double
      {"accuracy > 0.9", {alpha, gamma}},               // double
      {"epochs.int_value < 5", {beta}},                 // explicit suffix
      {"framework = \"pytorch\"", {alpha}},             // string
      {"flag = true", {gamma}},                         // bool
      {"state = \"ARCHIVED\"", {beta}},                 // built-in property
      {"state = 'LIVE' AND accuracy > 0.95", {alpha}},  // AND
      {"owner = 'bob' OR epochs = 3", {beta, gamma}},   // OR
      {"name = \"beta\"", {beta}},                      // column
      {"name LIKE 'a%'", {alpha}},
      {"id IN (" + std::to_string(alpha) + ", " + std::to_string(gamma) + ")", {alpha, gamma}},
      {"missing = 1", {}},
      {"   ", {alpha, beta, gamma}},  // blank means no filter
  };
  for (const Case& c : cases) {
    INFO("filterQuery " << c.query);
    ListOptions options;
    options.filter_query = c.query;
    Result<Page> page = r->List(K::kRegisteredModel, ListScope{}, options);
    REQUIRE(page.ok());
    CHECK(Ids(page->items) == c.expected);
  }

  // The filter is applied before paging.
  ListOptions paged;
  paged.filter_query = "accuracy > 0.9";
  paged.page_size = 1;
  std::vector<int64_t> ids = WalkPages(r.service(), paged);
  CHECK(ids == std::vector<int64_t>{alpha, gamma});

  for (const char* bad : {"name = ", "accuracy >", "(state = 'LIVE'", "name == 'x'"}) {
    INFO("bad filterQuery " << bad);
    ListOptions options;
    options.filter_query = bad;
    Result<Page> page = r->List(K::kRegisteredModel, ListScope{}, options);
    REQUIRE_FALSE(page.ok());
    CHECK(CodeOf(page) == StatusCode::kInvalidArgument);
    CHECK_THAT(page.status().message(), Catch::StartsWith("invalid filter query syntax"));
  }
}

TEST_CASE("List filters child names by their visible name", "[domain][list][filter]") {
  Registry r;
  Entity rm = r.CreateModel("m");
  Entity v1 = r.CreateVersion(rm.id, "v1");
  r.CreateVersion(rm.id, "v2");
  ListOptions options;
  options.filter_query = "name = 'v1'";
  Result<Page> page = r->List(K::kModelVersion, ListScope{}, options);
  REQUIRE(page.ok());
  CHECK(Ids(page->items) == std::vector<int64_t>{v1.id});
}

// ---- find -------------------------------------------------------------------

TEST_CASE("Find locates exactly one entity", "[domain][find]") {
  Registry r;
  EntityDraft draft = Registry::Named(K::kRegisteredModel, "findme");
  draft.external_id = "ext-find";
  Entity rm = r.Create(draft);
  Entity other = r.CreateModel("other");
  Entity mv = r.CreateVersion(rm.id, "v1");
  Entity other_mv = r.CreateVersion(other.id, "v1");

  SECTION("top-level by name or externalId; name wins when both are given") {
    FindQuery by_name;
    by_name.name = "findme";
    Result<Entity> a = r->Find(K::kRegisteredModel, by_name);
    REQUIRE(a.ok());
    CHECK(a->id == rm.id);

    FindQuery by_ext;
    by_ext.external_id = "ext-find";
    Result<Entity> b = r->Find(K::kRegisteredModel, by_ext);
    REQUIRE(b.ok());
    CHECK(b->id == rm.id);

    FindQuery both;
    both.name = "other";
    both.external_id = "ext-find";
    Result<Entity> c = r->Find(K::kRegisteredModel, both);
    REQUIRE(c.ok());
    CHECK(c->id == other.id);
  }

  SECTION("children by name and parent") {
    FindQuery q;
    q.name = "v1";
    q.parent_id = other.id;
    Result<Entity> v = r->Find(K::kModelVersion, q);
    REQUIRE(v.ok());
    CHECK(v->id == other_mv.id);
    q.parent_id = rm.id;
    v = r->Find(K::kModelVersion, q);
    REQUIRE(v.ok());
    CHECK(v->id == mv.id);
  }

  SECTION("no match is kNotFound with upstream's message") {
    FindQuery q;
    q.name = "nope";
    Result<Entity> none = r->Find(K::kRegisteredModel, q);
    REQUIRE_FALSE(none.ok());
    CHECK(CodeOf(none) == StatusCode::kNotFound);
    CHECK(none.status().message() == "no registered models found for name=nope, externalId=");

    FindQuery child;
    child.name = "v9";
    child.parent_id = rm.id;
    Result<Entity> no_child = r->Find(K::kModelVersion, child);
    REQUIRE_FALSE(no_child.ok());
    CHECK(CodeOf(no_child) == StatusCode::kNotFound);
    CHECK(no_child.status().message() == "no model versions found for name=v9, parentResourceId=" +
                                             std::to_string(rm.id) + ", externalId=");

    // A registered model's externalId does not find a version.
    FindQuery ext;
    ext.external_id = "ext-find";
    CHECK(CodeOf(r->Find(K::kModelVersion, ext)) == StatusCode::kNotFound);
  }

  SECTION("missing parameters are kInvalidArgument") {
    Result<Entity> top = r->Find(K::kRegisteredModel, FindQuery{});
    REQUIRE_FALSE(top.ok());
    CHECK(CodeOf(top) == StatusCode::kInvalidArgument);
    CHECK(top.status().message() == "invalid parameters call, supply either name or externalId");

    FindQuery name_only;
    name_only.name = "v1";
    Result<Entity> child = r->Find(K::kModelVersion, name_only);
    REQUIRE_FALSE(child.ok());
    CHECK(CodeOf(child) == StatusCode::kInvalidArgument);
    CHECK(child.status().message() ==
          "invalid parameters call, supply either (name and parentResourceId), or externalId");

    FindQuery parent_only;
    parent_only.parent_id = rm.id;
    CHECK(CodeOf(r->Find(K::kModelVersion, parent_only)) == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("Find matches names exactly: % and _ are not wildcards", "[domain][find]") {
  Registry r;
  Entity abc = r.CreateModel("abc");
  Entity underscore = r.CreateModel("a_c");
  Entity percent = r.CreateModel("a%c");

  FindQuery q;
  q.name = "a_c";
  Result<Entity> a = r->Find(K::kRegisteredModel, q);
  REQUIRE(a.ok());
  CHECK(a->id == underscore.id);

  q.name = "a%c";
  Result<Entity> b = r->Find(K::kRegisteredModel, q);
  REQUIRE(b.ok());
  CHECK(b->id == percent.id);

  q.name = "a%";
  CHECK(CodeOf(r->Find(K::kRegisteredModel, q)) == StatusCode::kNotFound);
  q.name = "ab_";
  CHECK(CodeOf(r->Find(K::kRegisteredModel, q)) == StatusCode::kNotFound);
  q.name = "ABC";  // case-sensitive
  CHECK(CodeOf(r->Find(K::kRegisteredModel, q)) == StatusCode::kNotFound);
  (void)abc;
}

TEST_CASE("Find of a model artifact searches all kinds under the parent", "[domain][find]") {
  Registry r;
  Entity rm = r.CreateModel("m");
  Entity mv = r.CreateVersion(rm.id, "v1");
  EntityDraft doc = Registry::Named(K::kDocArtifact, "readme");
  r.Upsert(K::kModelVersion, mv.id, doc);

  FindQuery q;
  q.name = "readme";
  q.parent_id = mv.id;
  Result<Entity> not_model = r->FindArtifact(q, K::kModelArtifact);
  REQUIRE_FALSE(not_model.ok());
  CHECK(CodeOf(not_model) == StatusCode::kNotFound);
  CHECK_THAT(not_model.status().message(), Catch::EndsWith("is not a model artifact"));

  // Generic find returns it whatever its kind.
  Result<Entity> any = r->FindArtifact(q, std::nullopt);
  REQUIRE(any.ok());
  CHECK(any->kind == K::kDocArtifact);

  // A model artifact with the same name under the same version: two matches.
  EntityDraft model = Registry::Named(K::kModelArtifact, "readme");
  r.Upsert(K::kModelVersion, mv.id, model);
  Result<Entity> multiple = r->FindArtifact(q, K::kModelArtifact);
  REQUIRE_FALSE(multiple.ok());
  CHECK(CodeOf(multiple) == StatusCode::kNotFound);
  CHECK_THAT(multiple.status().message(), Catch::StartsWith("multiple model artifacts found"));

  // The artifact must be attached to the parent.
  Entity mv2 = r.CreateVersion(rm.id, "v2");
  FindQuery elsewhere;
  elsewhere.name = "readme";
  elsewhere.parent_id = mv2.id;
  Result<Entity> none = r->FindArtifact(elsewhere, std::nullopt);
  REQUIRE_FALSE(none.ok());
  CHECK(CodeOf(none) == StatusCode::kNotFound);
  CHECK(none.status().message() == "no artifacts found for name=readme, parentResourceId=" +
                                       std::to_string(mv2.id) + ", externalId=");

  // By externalId, without a parent.
  EntityDraft tagged = Registry::Named(K::kDataSet, "tagged");
  tagged.external_id = "ds-ext";
  Entity dataset = r.Upsert(K::kModelVersion, mv.id, tagged).entity;
  FindQuery by_ext;
  by_ext.external_id = "ds-ext";
  Result<Entity> found = r->FindArtifact(by_ext, std::nullopt);
  REQUIRE(found.ok());
  CHECK(found->id == dataset.id);

  // A name needs a parent.
  FindQuery name_only;
  name_only.name = "readme";
  CHECK(CodeOf(r->FindArtifact(name_only, std::nullopt)) == StatusCode::kInvalidArgument);
}

// ---- artifact upsert ------------------------------------------------------------

struct VersionFixture {
  Registry r;
  Entity rm = r.CreateModel("model");
  Entity mv = r.CreateVersion(rm.id, "v1");

  std::vector<int64_t> VersionArtifacts() {
    ListScope scope;
    scope.kind = ListScope::Kind::kArtifactsOf;
    scope.parent_id = mv.id;
    scope.parent_kind = K::kModelVersion;
    ListOptions options;
    options.all_artifact_kinds = true;
    Result<Page> page = r->List(K::kModelArtifact, scope, options);
    if (!page.ok()) FAIL("List failed: " << page.status().ToString());
    return Ids(page->items);
  }
};

TEST_CASE("UpsertArtifact creates model artifacts with 201 and datasets with 200",
          "[domain][upsert]") {
  VersionFixture f;
  EntityDraft model = Registry::Named(K::kModelArtifact, "weights");
  model.fields["uri"] = std::string("s3://bucket/weights");
  UpsertResult created = f.r.Upsert(K::kModelVersion, f.mv.id, model);
  CHECK(created.created_with_201);
  CHECK(created.entity.id > 0);
  CHECK(created.entity.kind == K::kModelArtifact);
  CHECK(StringField(created.entity, "uri") == "s3://bucket/weights");
  // Artifacts under a model version carry no experiment linkage.
  CHECK_FALSE(IdField(created.entity, "experimentId").has_value());

  EntityDraft doc = Registry::Named(K::kDocArtifact, "doc");
  CHECK(f.r.Upsert(K::kModelVersion, f.mv.id, doc).created_with_201);

  EntityDraft dataset = Registry::Named(K::kDataSet, "data");
  UpsertResult d1 = f.r.Upsert(K::kModelVersion, f.mv.id, dataset);
  CHECK_FALSE(d1.created_with_201);
  // Datasets are never name-unique.
  UpsertResult d2 = f.r.Upsert(K::kModelVersion, f.mv.id, dataset);
  CHECK_FALSE(d2.created_with_201);
  CHECK(d2.entity.id != d1.entity.id);

  // A second model artifact with the same name under the same version clashes.
  Result<UpsertResult> dup = f.r->UpsertArtifact(K::kModelVersion, f.mv.id, model);
  REQUIRE_FALSE(dup.ok());
  CHECK(CodeOf(dup) == StatusCode::kAlreadyExists);

  CHECK(f.VersionArtifacts().size() == 4);

  // An unnamed artifact gets a UUID name.
  EntityDraft unnamed;
  unnamed.kind = K::kModelArtifact;
  CHECK(f.r.Upsert(K::kModelVersion, f.mv.id, unnamed).entity.name.size() == 36);
}

TEST_CASE("UpsertArtifact requires an existing parent", "[domain][upsert]") {
  VersionFixture f;
  EntityDraft model = Registry::Named(K::kModelArtifact, "weights");
  Result<UpsertResult> missing = f.r->UpsertArtifact(K::kModelVersion, 9999, model);
  REQUIRE_FALSE(missing.ok());
  CHECK(CodeOf(missing) == StatusCode::kNotFound);
  CHECK(missing.status().message() == "no model version found for id 9999");
  // A registered model id is not a model version.
  CHECK(CodeOf(f.r->UpsertArtifact(K::kModelVersion, f.rm.id, model)) == StatusCode::kNotFound);
  CHECK(CodeOf(f.r->UpsertArtifact(K::kExperimentRun, f.mv.id, model)) == StatusCode::kNotFound);
}

TEST_CASE("UpsertArtifact of a metric requires a value", "[domain][upsert]") {
  VersionFixture f;
  EntityDraft metric = Registry::Named(K::kMetric, "accuracy");
  Result<UpsertResult> no_value = f.r->UpsertArtifact(K::kModelVersion, f.mv.id, metric);
  REQUIRE_FALSE(no_value.ok());
  CHECK(CodeOf(no_value) == StatusCode::kInvalidArgument);
  CHECK(no_value.status().message() == "metric value is required");
  CHECK(f.VersionArtifacts().empty());
}

TEST_CASE("UpsertArtifact updates metrics and parameters in place by name", "[domain][upsert]") {
  VersionFixture f;
  UpsertResult first = f.r.Upsert(K::kModelVersion, f.mv.id, Registry::Metric("accuracy", 0.5));
  CHECK_FALSE(first.created_with_201);
  UpsertResult second = f.r.Upsert(K::kModelVersion, f.mv.id, Registry::Metric("accuracy", 0.75));
  CHECK_FALSE(second.created_with_201);
  CHECK(second.entity.id == first.entity.id);
  CHECK(std::get<double>(second.entity.fields.at("value")) == 0.75);
  CHECK(second.entity.update_time_ms > first.entity.update_time_ms);
  Result<Entity> stored = f.r->GetArtifact(first.entity.id);
  REQUIRE(stored.ok());
  CHECK(std::get<double>(stored->fields.at("value")) == 0.75);

  EntityDraft param = Registry::Named(K::kParameter, "lr");
  param.fields["value"] = std::string("0.1");
  UpsertResult p1 = f.r.Upsert(K::kModelVersion, f.mv.id, param);
  param.fields["value"] = std::string("0.01");
  UpsertResult p2 = f.r.Upsert(K::kModelVersion, f.mv.id, param);
  CHECK(p2.entity.id == p1.entity.id);
  CHECK(StringField(p2.entity, "value") == "0.01");

  // Same name, other kind: a separate artifact.
  EntityDraft param_named_like_metric = Registry::Named(K::kParameter, "accuracy");
  param_named_like_metric.fields["value"] = std::string("high");
  UpsertResult p3 = f.r.Upsert(K::kModelVersion, f.mv.id, param_named_like_metric);
  CHECK(p3.entity.id != first.entity.id);

  CHECK(f.VersionArtifacts() == std::vector<int64_t>{first.entity.id, p1.entity.id, p3.entity.id});
}

TEST_CASE("UpsertArtifact with an id attaches an existing artifact", "[domain][upsert]") {
  VersionFixture f;
  EntityDraft standalone = Registry::Named(K::kModelArtifact, "standalone");
  standalone.fields["uri"] = std::string("s3://old");
  Entity existing = f.r.Create(standalone);
  CHECK(f.VersionArtifacts().empty());

  EntityDraft attach;
  attach.kind = K::kModelArtifact;
  attach.id = existing.id;
  attach.fields["uri"] = std::string("s3://new");
  UpsertResult attached = f.r.Upsert(K::kModelVersion, f.mv.id, attach);
  CHECK(attached.entity.id == existing.id);
  CHECK_FALSE(attached.created_with_201);
  CHECK(attached.entity.name == "standalone");
  CHECK(StringField(attached.entity, "uri") == "s3://new");
  CHECK(f.VersionArtifacts() == std::vector<int64_t>{existing.id});

  // Attaching again is idempotent; attaching to a second version works too.
  f.r.Upsert(K::kModelVersion, f.mv.id, attach);
  CHECK(f.VersionArtifacts() == std::vector<int64_t>{existing.id});
  Entity mv2 = f.r.CreateVersion(f.rm.id, "v2");
  CHECK(f.r.Upsert(K::kModelVersion, mv2.id, attach).entity.id == existing.id);

  SECTION("an id of another kind is kInvalidArgument") {
    EntityDraft wrong;
    wrong.kind = K::kDocArtifact;
    wrong.id = existing.id;
    Result<UpsertResult> mismatch = f.r->UpsertArtifact(K::kModelVersion, f.mv.id, wrong);
    REQUIRE_FALSE(mismatch.ok());
    CHECK(CodeOf(mismatch) == StatusCode::kInvalidArgument);
    CHECK(mismatch.status().message() == "mismatched types, artifact with id " +
                                             std::to_string(existing.id) +
                                             " is not a doc artifact");
  }
  SECTION("a missing id is kInvalidArgument, not kNotFound") {
    EntityDraft missing;
    missing.kind = K::kModelArtifact;
    missing.id = existing.id + 500;
    CHECK(CodeOf(f.r->UpsertArtifact(K::kModelVersion, f.mv.id, missing)) ==
          StatusCode::kInvalidArgument);
  }
}

struct RunFixture {
  Registry r;
  Entity experiment = r.Create(Registry::Named(K::kExperiment, "exp"));
  Entity run = r.CreateExperimentRun(experiment.id, "run-1");
};

TEST_CASE("Artifacts upserted under a run carry experimentId and experimentRunId",
          "[domain][upsert][run]") {
  RunFixture f;
  EntityDraft dataset = Registry::Named(K::kDataSet, "train");
  UpsertResult d = f.r.Upsert(K::kExperimentRun, f.run.id, dataset);
  CHECK(IdField(d.entity, "experimentId") == std::optional<int64_t>(f.experiment.id));
  CHECK(IdField(d.entity, "experimentRunId") == std::optional<int64_t>(f.run.id));
  Result<Entity> stored = f.r->GetArtifact(d.entity.id);
  REQUIRE(stored.ok());
  CHECK(IdField(*stored, "experimentId") == std::optional<int64_t>(f.experiment.id));
  CHECK(IdField(*stored, "experimentRunId") == std::optional<int64_t>(f.run.id));
  // They are fields, not custom properties.
  CHECK(stored->custom_properties.empty());

  UpsertResult m = f.r.Upsert(K::kExperimentRun, f.run.id, Registry::Metric("loss", 1.0));
  CHECK(IdField(m.entity, "experimentRunId") == std::optional<int64_t>(f.run.id));

  // A later PATCH keeps the linkage (§14 deviation-linkage-survives-patch).
  EntityDraft patch;
  patch.kind = K::kDataSet;
  patch.custom_properties = CustomProperties{};
  patch.fields["uri"] = std::string("s3://data");
  Result<Entity> patched = f.r->UpdateArtifact(d.entity.id, patch);
  REQUIRE(patched.ok());
  CHECK(IdField(*patched, "experimentId") == std::optional<int64_t>(f.experiment.id));
  CHECK(IdField(*patched, "experimentRunId") == std::optional<int64_t>(f.run.id));

  // They can be filtered on.
  ListOptions options;
  options.filter_query = "experimentRunId = " + std::to_string(f.run.id);
  options.all_artifact_kinds = true;
  options.artifact_kind = K::kDataSet;
  Result<Page> page = f.r->List(K::kModelArtifact, ListScope{}, options);
  REQUIRE(page.ok());
  CHECK(Ids(page->items) == std::vector<int64_t>{d.entity.id});
}

TEST_CASE("Metric upserts under a run append history", "[domain][upsert][history]") {
  RunFixture f;
  std::vector<double> values = {0.9, 0.7, 0.4, 0.2};
  int64_t metric_id = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    EntityDraft metric = Registry::Metric("loss", values[i]);
    metric.fields["step"] = static_cast<int64_t>(i);
    UpsertResult result = f.r.Upsert(K::kExperimentRun, f.run.id, metric);
    if (i == 0) metric_id = result.entity.id;
    CHECK(result.entity.id == metric_id);
  }
  f.r.Upsert(K::kExperimentRun, f.run.id, Registry::Metric("accuracy", 0.8));

  Result<Page> history = f.r->MetricHistory(f.run.id, ListOptions{});
  REQUIRE(history.ok());
  REQUIRE(history->items.size() == 5);
  std::set<int64_t> history_ids;
  int64_t previous_time = 0;
  for (size_t i = 0; i < history->items.size(); ++i) {
    const Entity& h = history->items[i];
    INFO("history item " << i);
    CHECK(h.name == (i < 4 ? "loss" : "accuracy"));
    CHECK(h.id != metric_id);
    CHECK(h.create_time_ms >= previous_time);  // in id order; may share a millisecond
    previous_time = h.create_time_ms;
    CHECK_FALSE(h.external_id.has_value());
    CHECK(IdField(h, "experimentRunId") == std::optional<int64_t>(f.run.id));
    if (i < 4) CHECK(std::get<double>(h.fields.at("value")) == values[i]);
    history_ids.insert(h.id);
  }
  CHECK(history_ids.size() == 5);

  // History rows never show up as artifacts.
  ListScope scope;
  scope.kind = ListScope::Kind::kArtifactsOf;
  scope.parent_id = f.run.id;
  scope.parent_kind = K::kExperimentRun;
  ListOptions any_kind;
  any_kind.all_artifact_kinds = true;
  Result<Page> artifacts = f.r->List(K::kModelArtifact, scope, any_kind);
  REQUIRE(artifacts.ok());
  CHECK(artifacts->items.size() == 2);
  for (const Entity& e : artifacts->items) CHECK(history_ids.count(e.id) == 0);
  Result<Page> all = f.r->List(K::kModelArtifact, ListScope{}, any_kind);
  REQUIRE(all.ok());
  CHECK(all->items.size() == 2);
  ListOptions by_value;
  by_value.artifact_kind = K::kMetric;
  by_value.filter_query = "value < 0.5";
  Result<Page> low = f.r->List(K::kModelArtifact, ListScope{}, by_value);
  REQUIRE(low.ok());
  CHECK(Ids(low->items) == std::vector<int64_t>{metric_id});
  ListOptions metrics_only;
  metrics_only.all_artifact_kinds = true;
  metrics_only.artifact_kind = K::kMetric;
  Result<Page> metrics = f.r->List(K::kModelArtifact, ListScope{}, metrics_only);
  REQUIRE(metrics.ok());
  CHECK(metrics->items.size() == 2);
  CHECK(CodeOf(f.r->GetArtifact(*history_ids.begin())) == StatusCode::kNotFound);
  CHECK(CodeOf(f.r->Get(K::kMetric, *history_ids.begin())) == StatusCode::kNotFound);
  EntityDraft history_patch;
  history_patch.kind = K::kMetric;
  history_patch.fields["value"] = 5.0;
  CHECK(CodeOf(f.r->UpdateArtifact(*history_ids.begin(), history_patch)) == StatusCode::kNotFound);

  // Parameters under a run write no history.
  EntityDraft param = Registry::Named(K::kParameter, "lr");
  param.fields["value"] = std::string("0.1");
  f.r.Upsert(K::kExperimentRun, f.run.id, param);
  Result<Page> unchanged = f.r->MetricHistory(f.run.id, ListOptions{});
  REQUIRE(unchanged.ok());
  CHECK(unchanged->items.size() == 5);

  SECTION("name is a substring match; steps select by step") {
    ListOptions by_name;
    by_name.name = "os";
    Result<Page> loss = f.r->MetricHistory(f.run.id, by_name);
    REQUIRE(loss.ok());
    CHECK(loss->items.size() == 4);

    ListOptions by_step;
    by_step.steps = std::vector<int64_t>{1, 3};
    Result<Page> steps = f.r->MetricHistory(f.run.id, by_step);
    REQUIRE(steps.ok());
    REQUIRE(steps->items.size() == 2);
    CHECK(std::get<double>(steps->items[0].fields.at("value")) == 0.7);
    CHECK(std::get<double>(steps->items[1].fields.at("value")) == 0.2);
  }
  SECTION("history of all runs, and of a missing run") {
    Entity run2 = f.r.CreateExperimentRun(f.experiment.id, "run-2");
    UpsertResult other = f.r.Upsert(K::kExperimentRun, run2.id, Registry::Metric("loss", 0.1));
    CHECK(other.entity.id != metric_id);  // per-run, not per-name
    Result<Page> every = f.r->MetricHistory(std::nullopt, ListOptions{});
    REQUIRE(every.ok());
    CHECK(every->items.size() == 6);
    Result<Page> only_run2 = f.r->MetricHistory(run2.id, ListOptions{});
    REQUIRE(only_run2.ok());
    CHECK(only_run2->items.size() == 1);
    CHECK(CodeOf(f.r->MetricHistory(99999, ListOptions{})) == StatusCode::kNotFound);
  }
  SECTION("metric upserts under a model version write no history") {
    Entity rm = f.r.CreateModel("m");
    Entity mv = f.r.CreateVersion(rm.id, "v");
    f.r.Upsert(K::kModelVersion, mv.id, Registry::Metric("loss", 3.0));
    Result<Page> every = f.r->MetricHistory(std::nullopt, ListOptions{});
    REQUIRE(every.ok());
    CHECK(every->items.size() == 5);
  }
}

// ---- serving ------------------------------------------------------------------

struct ServingFixture {
  Registry r;
  Entity env = r.Create(Registry::Named(K::kServingEnvironment, "prod"));
  Entity rm = r.CreateModel("model");

  Entity Version(const std::string& name, CustomProperties props = {}) {
    EntityDraft draft = Registry::Named(K::kModelVersion, name);
    draft.parent_id = rm.id;
    draft.custom_properties = std::move(props);
    return r.Create(draft);
  }

  EntityDraft InferenceServiceDraft(int64_t model_id, std::optional<int64_t> version_id) {
    EntityDraft draft;
    draft.kind = K::kInferenceService;
    draft.parent_id = env.id;
    draft.fields["registeredModelId"] = model_id;
    if (version_id) draft.fields["modelVersionId"] = *version_id;
    return draft;
  }

  Result<Entity> Serve(int64_t inference_service_id, int64_t version_id) {
    EntityDraft draft;
    draft.kind = K::kServeModel;
    draft.parent_id = inference_service_id;
    draft.fields["modelVersionId"] = version_id;
    return r->Create(draft);
  }
};

TEST_CASE("ServeModel refuses gated and private Hugging Face versions", "[domain][serve]") {
  ServingFixture f;
  Entity is = f.r.Create(f.InferenceServiceDraft(f.rm.id, std::nullopt));

  struct Case {
    const char* key;
    MetadataValue value;
    StatusCode expected;
  };
  const std::vector<Case> cases = {
      {"hf_gated", MetadataValue::String("true"), StatusCode::kFailedPrecondition},
      {"hf_gated", MetadataValue::String("auto"), StatusCode::kFailedPrecondition},
      {"hf_gated", MetadataValue::String("false"), StatusCode::kOk},
      {"hf_gated", MetadataValue::String(""), StatusCode::kOk},
      {"hf_private", MetadataValue::String("true"), StatusCode::kFailedPrecondition},
      {"hf_private", MetadataValue::String("false"), StatusCode::kOk},
  };
  int n = 0;
  for (const Case& c : cases) {
    INFO(c.key << " = '" << c.value.string_value << "'");
    Entity version = f.Version("v" + std::to_string(n++), {{c.key, c.value}});
    Result<Entity> serve = f.Serve(is.id, version.id);
    CHECK(CodeOf(serve) == c.expected);
    if (serve.ok()) {
      CHECK(serve->parent_id == is.id);
      CHECK(IdField(*serve, "modelVersionId") == std::optional<int64_t>(version.id));
    }
  }

  // The version must exist (checked first), then the inference service.
  CHECK(CodeOf(f.Serve(is.id, 9999)) == StatusCode::kNotFound);
  Entity plain = f.Version("plain");
  CHECK(CodeOf(f.Serve(9999, plain.id)) == StatusCode::kNotFound);
  Entity gated = f.Version("gated", {{"hf_gated", MetadataValue::String("true")}});
  CHECK(CodeOf(f.Serve(9999, gated.id)) == StatusCode::kFailedPrecondition);
}

TEST_CASE("InferenceServiceVersion and InferenceServiceModel", "[domain][serve]") {
  ServingFixture f;

  SECTION("no versions yet: kNotFound") {
    Entity is = f.r.Create(f.InferenceServiceDraft(f.rm.id, std::nullopt));
    Result<Entity> v = f.r->InferenceServiceVersion(is.id);
    REQUIRE_FALSE(v.ok());
    CHECK(CodeOf(v) == StatusCode::kNotFound);
    CHECK(v.status().message() == "no model versions found for id " + std::to_string(is.id));
  }
  SECTION("without modelVersionId, the latest version") {
    Entity v1 = f.Version("v1");
    Entity v2 = f.Version("v2");
    Entity is = f.r.Create(f.InferenceServiceDraft(f.rm.id, std::nullopt));
    Result<Entity> v = f.r->InferenceServiceVersion(is.id);
    REQUIRE(v.ok());
    CHECK(v->id == v2.id);
    CHECK(v->id != v1.id);
    Entity v3 = f.Version("v3");
    v = f.r->InferenceServiceVersion(is.id);
    REQUIRE(v.ok());
    CHECK(v->id == v3.id);
  }
  SECTION("with modelVersionId, that version") {
    Entity v1 = f.Version("v1");
    f.Version("v2");
    Entity is = f.r.Create(f.InferenceServiceDraft(f.rm.id, v1.id));
    Result<Entity> v = f.r->InferenceServiceVersion(is.id);
    REQUIRE(v.ok());
    CHECK(v->id == v1.id);
    Entity dangling = f.r.Create(f.InferenceServiceDraft(f.rm.id, 9999));
    CHECK(CodeOf(f.r->InferenceServiceVersion(dangling.id)) == StatusCode::kNotFound);
  }
  SECTION("the registered model, or kNotFound when it is missing") {
    Entity is = f.r.Create(f.InferenceServiceDraft(f.rm.id, std::nullopt));
    Result<Entity> model = f.r->InferenceServiceModel(is.id);
    REQUIRE(model.ok());
    CHECK(model->id == f.rm.id);

    // registeredModelId existence is not checked on create (§4.5).
    Entity orphan = f.r.Create(f.InferenceServiceDraft(9999, std::nullopt));
    Result<Entity> missing = f.r->InferenceServiceModel(orphan.id);
    REQUIRE_FALSE(missing.ok());
    CHECK(CodeOf(missing) == StatusCode::kNotFound);
    CHECK(CodeOf(f.r->InferenceServiceModel(8888)) == StatusCode::kNotFound);
    CHECK(CodeOf(f.r->InferenceServiceVersion(8888)) == StatusCode::kNotFound);
  }
  SECTION("the serving environment must exist") {
    EntityDraft draft = f.InferenceServiceDraft(f.rm.id, std::nullopt);
    draft.parent_id = 9999;
    CHECK(CodeOf(f.r->Create(draft)) == StatusCode::kNotFound);
  }
}

TEST_CASE("CheckHealth is OK on a migrated repository", "[domain]") {
  Registry r;
  CHECK(r->CheckHealth().ok());
}

// ---- timestamps --------------------------------------------------------------------

TEST_CASE("Timestamps follow a frozen clock; updates still increase per entity",
          "[domain][timestamps]") {
  SqliteOptions options;
  options.path = ":memory:";
  const int64_t frozen = 1700000000000;
  options.clock_ms = [frozen] { return frozen; };
  Result<std::unique_ptr<Repository>> repo = OpenSqliteRepository(options);
  REQUIRE(repo.ok());
  RegistryService service(**repo);

  Result<Entity> model = service.Create(Registry::Named(K::kRegisteredModel, "m"));
  REQUIRE(model.ok());
  CHECK(model->create_time_ms == frozen);
  CHECK(model->update_time_ms == frozen);
  // Rejected writes leave no trace on the clock.
  for (int i = 0; i < 50; ++i) {
    CHECK(service.Create(Registry::Named(K::kRegisteredModel, "m")).status().code() ==
          StatusCode::kAlreadyExists);
  }
  Result<Entity> other = service.Create(Registry::Named(K::kRegisteredModel, "other"));
  REQUIRE(other.ok());
  CHECK(other->create_time_ms == frozen);

  // Three updates within one (frozen) millisecond: each one later than the last.
  EntityDraft patch;
  patch.kind = K::kRegisteredModel;
  std::vector<int64_t> stamps;
  for (int i = 0; i < 3; ++i) {
    patch.description = "d" + std::to_string(i);
    Result<Entity> updated = service.Update(K::kRegisteredModel, model->id, patch);
    REQUIRE(updated.ok());
    stamps.push_back(updated->update_time_ms);
    CHECK(updated->create_time_ms == frozen);
  }
  CHECK(stamps == std::vector<int64_t>{frozen + 1, frozen + 2, frozen + 3});
  Result<Entity> stored = service.Get(K::kRegisteredModel, model->id);
  REQUIRE(stored.ok());
  CHECK(stored->update_time_ms == frozen + 3);
  // Another entity's update does not inherit that entity's lead.
  Result<Entity> other_updated = service.Update(K::kRegisteredModel, other->id, patch);
  REQUIRE(other_updated.ok());
  CHECK(other_updated->update_time_ms == frozen + 1);
}

// ---- page size limit -----------------------------------------------------------------

TEST_CASE("Lists hold at most max_page_size items and page on to every row",
          "[domain][list][limits]") {
  SqliteOptions db_options;
  db_options.path = ":memory:";
  Result<std::unique_ptr<Repository>> repo = OpenSqliteRepository(db_options);
  REQUIRE(repo.ok());
  RegistryServiceOptions service_options;
  service_options.max_page_size = 4;
  RegistryService service(**repo, service_options);
  std::vector<int64_t> created;
  for (int i = 0; i < 10; ++i) {
    Result<Entity> e =
        service.Create(Registry::Named(K::kRegisteredModel, "m" + std::to_string(i)));
    REQUIRE(e.ok());
    created.push_back(e->id);
  }
  for (int32_t page_size : {0, -1, 5, 1000}) {
    INFO("pageSize " << page_size);
    ListOptions options;
    options.page_size = page_size;
    std::vector<int64_t> seen;
    int pages = 0;
    for (; pages < 10; ++pages) {
      Result<Page> page = service.List(K::kRegisteredModel, ListScope{}, options);
      REQUIRE(page.ok());
      CHECK(page->items.size() <= 4);
      CHECK(page->page_size == page_size);  // the request is echoed, as upstream does
      for (const Entity& e : page->items) seen.push_back(e.id);
      if (page->next_page_token.empty()) break;
      options.next_page_token = page->next_page_token;
    }
    CHECK(pages == 2);  // pages of 4, 4 and 2
    CHECK(seen == created);
  }
  ListOptions small;
  small.page_size = 3;
  Result<Page> page = service.List(K::kRegisteredModel, ListScope{}, small);
  REQUIRE(page.ok());
  CHECK(page->items.size() == 3);
}

}  // namespace
}  // namespace mr
