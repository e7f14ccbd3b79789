// File: model_registry/entity_spec.h
//
// Entity metadata written once. Each kind has an EntitySpec: its wire names,
// its storage class, whether its name is scoped by a parent, and a FieldSpec
// table of its kind-specific fields. The same table drives JSON decode and
// encode (src/http/json_codec.cpp), validation and the PATCH merge
// (src/domain/), storage (src/sqlite/) and filterQuery name resolution.
//
//   const EntitySpec& spec = SpecFor(EntityKind::kModelVersion);
//   const FieldSpec* author = spec.Field("author");
//
// Adding an entity kind: one EntitySpec in src/domain/entity_specs.cpp, one
// route row per operation in src/http/routes.cpp, and tests.
//
// Thread-safety: specs are immutable statics.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "model_registry/entity.h"

namespace mr {

enum class FieldType {
  kString,       // JSON string
  kEnum,         // JSON string from FieldSpec::enum_values
  kId,           // JSON string of decimal digits (a reference to another entity)
  kInt64String,  // JSON string holding a decimal int64 (epoch ms)
  kInt32,        // JSON integer; an int64 in a JSON string where the wire
                 // profile says so (Metric.step on v1)
  kDouble,       // JSON number
  kStringList,   // JSON array of strings
};

// Where a field's value is stored.
enum class FieldStorage {
  kProperty,  // a built-in property row (is_custom = 0) named storage_name
  kParentId,  // the entity's parent_id column
};

struct FieldSpec {
  std::string_view json_name;
  std::string_view storage_name;  // property row name (snake_case)
  FieldType type = FieldType::kString;
  FieldStorage storage = FieldStorage::kProperty;
  bool in_create = true;  // accepted by the strict *Create body
  bool in_update = true;  // accepted by the strict *Update body
  bool required = false;  // required (non-empty) on create
  bool output = true;     // emitted in responses
  // Links an artifact to the experiment run it was logged under; API versions
  // without experiments neither read nor write it.
  bool experiment_link = false;
  std::vector<std::string_view> enum_values;
  std::string_view default_value;  // applied on create by plain-struct bodies
  // Required in every stored state, whatever the body (a metric's value);
  // unlike `required`, absence is a 400, as upstream answers it.
  bool always_required = false;
  // For kInt64String fields: the field that must not be later than this one
  // (a run's start time for its end time).
  std::string_view not_before;
  // For kId fields: the kind the id names, checked to exist on create.
  std::optional<EntityKind> must_reference = std::nullopt;
  // The referenced model version is being deployed: versions marked as gated
  // or private Hugging Face models are refused.
  bool deploys_reference = false;
};

struct EntitySpec {
  EntityKind kind;
  StorageClass storage;
  std::string_view display_name;   // "registered model", used in messages
  std::string_view plural_name;    // "registered models", used in find messages
  std::string_view artifact_type;  // "model-artifact" etc.; empty otherwise
  // The parent kind that scopes names and ids in `parent_id`, if any.
  std::optional<EntityKind> parent_kind;
  bool name_required = false;  // otherwise a UUID is generated
  bool name_unique = true;     // false: a UUID name_scope is assigned
  std::vector<FieldSpec> fields;
  // Artifact upserts under a parent: an existing artifact of this kind with
  // the same name there is updated in place rather than duplicated.
  bool upsert_updates_by_name = false;
  // Artifact upserts that create report it (201); others answer 200 (docs/api-behaviour.md §11.1).
  bool upsert_reports_created = false;
  // Upserts under an experiment run also append an immutable copy of this
  // kind (metric history).
  std::optional<EntityKind> history_kind = std::nullopt;
  // Only reachable through history routes, never as a plain artifact.
  bool hidden = false;

  // Returns the field named `json_name`, or nullptr.
  const FieldSpec* Field(std::string_view json_name) const;
  bool IsArtifact() const { return storage == StorageClass::kArtifact; }
};

const EntitySpec& SpecFor(EntityKind kind);

// All kinds, in EntityKind order.
const std::vector<EntityKind>& AllKinds();

// The five artifact kinds visible through the API (not metric history).
const std::vector<EntityKind>& VisibleArtifactKinds();

// Maps an `artifactType` wire value to its kind.
std::optional<EntityKind> ArtifactKindFromType(std::string_view artifact_type);

StorageClass StorageOf(EntityKind kind);

}  // namespace mr
