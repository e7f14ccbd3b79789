// File: model_registry/entity.h
//
// The one in-memory shape of every registry record. Each entity kind
// (RegisteredModel, ModelVersion, the five artifact kinds, ...) is an `Entity`
// whose kind-specific fields live in `fields`, keyed by their JSON name and
// described by the kind's FieldSpec table (entity_spec.h). One shape means one
// codec, one repository and one set of handlers for all kinds.
//
//   Entity rm;
//   rm.kind = EntityKind::kRegisteredModel;
//   rm.name = "fraud-detector";
//   rm.fields["owner"] = std::string("alice");
//   rm.custom_properties["team"] = MetadataValue::String("risk");
//
// Thread-safety: plain value types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mr {

// Values are stable: they are stored in the database as `type_id`.
enum class EntityKind : int {
  kRegisteredModel = 1,
  kModelVersion = 2,
  kServingEnvironment = 3,
  kInferenceService = 4,
  kExperiment = 5,
  kExperimentRun = 6,
  kModelArtifact = 11,
  kDocArtifact = 12,
  kDataSet = 13,
  kMetric = 14,
  kParameter = 15,
  kMetricHistory = 16,  // hidden copy of a metric, one per upsert under a run
  kServeModel = 21,
};

// Which id sequence and table a kind lives in; kinds of one class share ids.
enum class StorageClass { kContext, kArtifact, kExecution };

// A custom property value (`MetadataValue` on the wire).
struct MetadataValue {
  enum class Type { kString = 0, kInt = 1, kDouble = 2, kBool = 3, kStruct = 4 };
  Type type = Type::kString;
  std::string string_value;  // kString; for kStruct the canonical JSON text
  int64_t int_value = 0;
  double double_value = 0;
  bool bool_value = false;

  static MetadataValue String(std::string v) {
    MetadataValue m;
    m.string_value = std::move(v);
    return m;
  }
  static MetadataValue Int(int64_t v) {
    MetadataValue m;
    m.type = Type::kInt;
    m.int_value = v;
    return m;
  }
  static MetadataValue Double(double v) {
    MetadataValue m;
    m.type = Type::kDouble;
    m.double_value = v;
    return m;
  }
  static MetadataValue Bool(bool v) {
    MetadataValue m;
    m.type = Type::kBool;
    m.bool_value = v;
    return m;
  }
  static MetadataValue Struct(std::string json_text) {
    MetadataValue m;
    m.type = Type::kStruct;
    m.string_value = std::move(json_text);
    return m;
  }
  bool operator==(const MetadataValue& o) const {
    return type == o.type && string_value == o.string_value && int_value == o.int_value &&
           double_value == o.double_value && bool_value == o.bool_value;
  }
};

using CustomProperties = std::map<std::string, MetadataValue>;

// A built-in field value. Its alternative follows the field's FieldType:
// strings, enums and int64-in-string fields hold std::string; ids and int32
// fields hold int64_t; doubles hold double; string arrays hold the vector.
using FieldValue = std::variant<std::string, int64_t, double, bool, std::vector<std::string>>;

struct Entity {
  EntityKind kind = EntityKind::kRegisteredModel;
  int64_t id = 0;
  // The parent that scopes the name: the registered model of a version, the
  // serving environment of an inference service, the experiment of a run, the
  // inference service of a serve model, the version or run an artifact was
  // created under. 0 for top-level and standalone entities.
  int64_t parent_id = 0;
  // Extra uniqueness scope. Empty for name-unique kinds; a random UUID for
  // kinds whose names are never unique (datasets, standalone artifacts,
  // metric history), so the (kind, parent, scope, name) constraint never bites.
  std::string name_scope;
  std::string name;
  std::optional<std::string> external_id;
  std::optional<std::string> description;
  int64_t create_time_ms = 0;
  int64_t update_time_ms = 0;
  std::map<std::string, FieldValue> fields;  // built-in fields by JSON name
  CustomProperties custom_properties;
};

// What a request body supplied. Absent members were not supplied: on create
// they take defaults, on update they keep the stored value.
struct EntityDraft {
  EntityKind kind = EntityKind::kRegisteredModel;
  std::optional<int64_t> id;  // only full-model bodies carry one
  std::optional<std::string> name;
  std::optional<std::string> external_id;
  std::optional<std::string> description;
  std::optional<int64_t> parent_id;  // from the body's parent-id field
  std::map<std::string, FieldValue> fields;
  std::optional<CustomProperties> custom_properties;
};

}  // namespace mr
