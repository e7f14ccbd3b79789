// The FieldSpec tables: every fact about an entity's fields lives here.
// Wire names and types follow docs/api-behaviour.md §4.
#include <algorithm>
#include <map>

#include "model_registry/entity_spec.h"

namespace mr {
namespace {

using T = FieldType;

const std::vector<std::string_view> kLiveArchived = {"LIVE", "ARCHIVED"};
const std::vector<std::string_view> kArtifactStates = {
    "UNKNOWN", "PENDING", "LIVE", "MARKED_FOR_DELETION", "DELETED", "ABANDONED", "REFERENCE"};

FieldSpec Str(std::string_view json, std::string_view storage) {
  FieldSpec f;
  f.json_name = json;
  f.storage_name = storage;
  return f;
}

FieldSpec Typed(std::string_view json, std::string_view storage, FieldType type) {
  FieldSpec f = Str(json, storage);
  f.type = type;
  return f;
}

FieldSpec Enum(std::string_view json, std::string_view storage,
               std::vector<std::string_view> values, std::string_view default_value) {
  FieldSpec f = Typed(json, storage, T::kEnum);
  f.enum_values = std::move(values);
  f.default_value = default_value;
  return f;
}

// A reference to the parent, stored in parent_id: given on create, immutable.
FieldSpec ParentRef(std::string_view json, std::string_view storage, bool required) {
  FieldSpec f = Typed(json, storage, T::kId);
  f.storage = FieldStorage::kParentId;
  f.in_update = false;
  f.required = required;
  return f;
}

FieldSpec CreateOnly(FieldSpec f) {
  f.in_update = false;
  return f;
}

FieldSpec NotBefore(FieldSpec f, std::string_view earlier_field) {
  f.not_before = earlier_field;
  return f;
}

FieldSpec Required(FieldSpec f) {
  f.required = true;
  return f;
}

// Set by the server when an artifact is upserted under an experiment run
// (§11.3); never accepted from a strict body.
std::vector<FieldSpec> ArtifactCommon() {
  FieldSpec experiment = Typed("experimentId", "experiment_id", T::kId);
  experiment.in_create = experiment.in_update = false;
  experiment.experiment_link = true;
  FieldSpec run = Typed("experimentRunId", "experiment_run_id", T::kId);
  run.in_create = run.in_update = false;
  run.experiment_link = true;
  // Only strict create bodies (the typed model-artifact routes) apply
  // defaults; oneOf artifact bodies leave state unset (§2.3).
  return {Enum("state", "state", kArtifactStates, "UNKNOWN"), experiment, run};
}

std::vector<FieldSpec> With(std::vector<FieldSpec> base, std::vector<FieldSpec> more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

std::map<EntityKind, EntitySpec> BuildSpecs() {
  std::map<EntityKind, EntitySpec> specs;
  auto add = [&](EntitySpec spec) { specs.emplace(spec.kind, std::move(spec)); };

  add({EntityKind::kRegisteredModel,
       StorageClass::kContext,
       "registered model",
       "registered models",
       "",
       std::nullopt,
       /*name_required=*/true,
       /*name_unique=*/true,
       {Str("readme", "readme"), Str("maturity", "maturity"),
        Typed("language", "language", T::kStringList), Typed("tasks", "tasks", T::kStringList),
        Str("provider", "provider"), Str("logo", "logo"), Str("license", "license"),
        Str("licenseLink", "license_link"), Str("libraryName", "library_name"),
        Str("owner", "owner"), Enum("state", "state", kLiveArchived, "LIVE")}});

  add({EntityKind::kModelVersion,
       StorageClass::kContext,
       "model version",
       "model versions",
       "",
       EntityKind::kRegisteredModel,
       true,
       true,
       {Enum("state", "state", kLiveArchived, "LIVE"), Str("author", "author"),
        ParentRef("registeredModelId", "registered_model_id", true)}});

  add({EntityKind::kServingEnvironment,
       StorageClass::kContext,
       "serving environment",
       "serving environments",
       "",
       std::nullopt,
       true,
       true,
       {}});

  add({EntityKind::kInferenceService,
       StorageClass::kContext,
       "inference service",
       "inference services",
       "",
       EntityKind::kServingEnvironment,
       false,
       true,
       {Typed("modelVersionId", "model_version_id", T::kId), Str("runtime", "runtime"),
        Enum("desiredState", "desired_state", {"DEPLOYED", "UNDEPLOYED"}, "DEPLOYED"),
        CreateOnly(Required(Typed("registeredModelId", "registered_model_id", T::kId))),
        ParentRef("servingEnvironmentId", "serving_environment_id", true)}});

  add({EntityKind::kExperiment,
       StorageClass::kContext,
       "experiment",
       "experiments",
       "",
       std::nullopt,
       true,
       true,
       {Str("owner", "owner"), Enum("state", "state", kLiveArchived, "LIVE")}});

  add({EntityKind::kExperimentRun,
       StorageClass::kContext,
       "experiment run",
       "experiment runs",
       "",
       EntityKind::kExperiment,
       false,
       true,
       {NotBefore(Typed("endTimeSinceEpoch", "end_time_since_epoch", T::kInt64String),
                  "startTimeSinceEpoch"),
        Enum("status", "status", {"RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"},
             "RUNNING"),
        Enum("state", "state", kLiveArchived, "LIVE"), Str("owner", "owner"),
        ParentRef("experimentId", "experiment_id", true),
        CreateOnly(Typed("startTimeSinceEpoch", "start_time_since_epoch", T::kInt64String))}});

  add({EntityKind::kModelArtifact, StorageClass::kArtifact, "model artifact", "model artifacts",
       "model-artifact", std::nullopt, false, true,
       With(ArtifactCommon(),
            {Str("uri", "uri"), Str("modelFormatName", "model_format_name"),
             Str("modelFormatVersion", "model_format_version"), Str("storageKey", "storage_key"),
             Str("storagePath", "storage_path"), Str("serviceAccountName", "service_account_name"),
             Str("modelSourceKind", "model_source_kind"),
             Str("modelSourceClass", "model_source_class"),
             Str("modelSourceGroup", "model_source_group"), Str("modelSourceId", "model_source_id"),
             Str("modelSourceName", "model_source_name")})});

  add({EntityKind::kDocArtifact, StorageClass::kArtifact, "doc artifact", "doc artifacts",
       "doc-artifact", std::nullopt, false, true, With(ArtifactCommon(), {Str("uri", "uri")})});

  add({EntityKind::kDataSet, StorageClass::kArtifact, "dataset artifact", "dataset artifacts",
       "dataset-artifact", std::nullopt, false,
       /*name_unique=*/false,
       With(ArtifactCommon(),
            {Str("uri", "uri"), Str("digest", "digest"), Str("sourceType", "source_type"),
             Str("source", "source"), Str("schema", "schema"), Str("profile", "profile")})});

  FieldSpec metric_value = Typed("value", "value", T::kDouble);
  metric_value.always_required = true;
  std::vector<FieldSpec> metric_fields =
      With(ArtifactCommon(), {metric_value, Typed("timestamp", "timestamp", T::kInt64String),
                              Typed("step", "step", T::kInt32)});
  EntitySpec metric{EntityKind::kMetric,
                    StorageClass::kArtifact,
                    "metric artifact",
                    "metric artifacts",
                    "metric",
                    std::nullopt,
                    false,
                    true,
                    metric_fields};
  metric.upsert_updates_by_name = true;
  metric.history_kind = EntityKind::kMetricHistory;
  add(metric);
  EntitySpec history{EntityKind::kMetricHistory,
                     StorageClass::kArtifact,
                     "metric artifact",
                     "metric artifacts",
                     "metric",
                     std::nullopt,
                     false,
                     false,
                     metric_fields};
  history.hidden = true;
  add(history);

  add({EntityKind::kParameter, StorageClass::kArtifact, "parameter artifact", "parameter artifacts",
       "parameter", std::nullopt, false, true,
       With(ArtifactCommon(),
            {Str("value", "value"), Enum("parameterType", "parameter_type",
                                         {"string", "number", "boolean", "object"}, "")})});
  specs.at(EntityKind::kParameter).upsert_updates_by_name = true;
  specs.at(EntityKind::kModelArtifact).upsert_reports_created = true;
  specs.at(EntityKind::kDocArtifact).upsert_reports_created = true;

  FieldSpec serve_version = Required(Typed("modelVersionId", "model_version_id", T::kId));
  serve_version.in_update = false;
  serve_version.must_reference = EntityKind::kModelVersion;
  serve_version.deploys_reference = true;
  add({EntityKind::kServeModel,
       StorageClass::kExecution,
       "serve model",
       "serve models",
       "",
       EntityKind::kInferenceService,
       false,
       true,
       {Enum("lastKnownState", "last_known_state",
             {"UNKNOWN", "NEW", "RUNNING", "COMPLETE", "FAILED", "CACHED", "CANCELED"}, "UNKNOWN"),
        serve_version}});
  return specs;
}

const std::map<EntityKind, EntitySpec>& Specs() {
  static const auto* specs = new std::map<EntityKind, EntitySpec>(BuildSpecs());
  return *specs;
}

}  // namespace

const FieldSpec* EntitySpec::Field(std::string_view json_name) const {
  for (const FieldSpec& f : fields) {
    if (f.json_name == json_name) return &f;
  }
  return nullptr;
}

const EntitySpec& SpecFor(EntityKind kind) { return Specs().at(kind); }

const std::vector<EntityKind>& AllKinds() {
  static const auto* kinds = [] {
    auto* v = new std::vector<EntityKind>();
    for (const auto& [kind, spec] : Specs()) v->push_back(kind);
    return v;
  }();
  return *kinds;
}

const std::vector<EntityKind>& VisibleArtifactKinds() {
  static const std::vector<EntityKind> kinds = {EntityKind::kModelArtifact,
                                                EntityKind::kDocArtifact, EntityKind::kDataSet,
                                                EntityKind::kMetric, EntityKind::kParameter};
  return kinds;
}

std::optional<EntityKind> ArtifactKindFromType(std::string_view artifact_type) {
  for (EntityKind kind : VisibleArtifactKinds()) {
    if (SpecFor(kind).artifact_type == artifact_type) return kind;
  }
  return std::nullopt;
}

StorageClass StorageOf(EntityKind kind) { return SpecFor(kind).storage; }

}  // namespace mr
