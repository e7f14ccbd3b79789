// The NDJSON export format (docs/EXPORT-FORMAT.md). Records name kinds by a
// stable tag, not by a backend's type id, and carry every stored field, so an
// export from one backend imports into another unchanged.
#include "model_registry/ndjson_transfer.h"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "model_registry/entity_spec.h"

namespace mr {
namespace {

using nlohmann::json;
// Written records keep their keys in a fixed, readable order.
using ordered = nlohmann::ordered_json;

constexpr const char* kFormatName = "model-registry-export";
constexpr int kFormatVersion = 1;

// Stable kind tags of the format; never change one, add new ones.
const std::vector<std::pair<EntityKind, const char*>>& KindTags() {
  static const std::vector<std::pair<EntityKind, const char*>> kTags = {
      {EntityKind::kRegisteredModel, "registered-model"},
      {EntityKind::kModelVersion, "model-version"},
      {EntityKind::kServingEnvironment, "serving-environment"},
      {EntityKind::kInferenceService, "inference-service"},
      {EntityKind::kExperiment, "experiment"},
      {EntityKind::kExperimentRun, "experiment-run"},
      {EntityKind::kModelArtifact, "model-artifact"},
      {EntityKind::kDocArtifact, "doc-artifact"},
      {EntityKind::kDataSet, "dataset-artifact"},
      {EntityKind::kMetric, "metric"},
      {EntityKind::kParameter, "parameter"},
      {EntityKind::kMetricHistory, "metric-history"},
      {EntityKind::kServeModel, "serve-model"},
  };
  return kTags;
}

const char* TagOf(EntityKind kind) {
  for (const auto& [k, tag] : KindTags()) {
    if (k == kind) return tag;
  }
  return "unknown";
}

std::optional<EntityKind> KindOfTag(const std::string& tag) {
  for (const auto& [k, t] : KindTags()) {
    if (tag == t) return k;
  }
  return std::nullopt;
}

ordered EncodeMetadata(const MetadataValue& v) {
  switch (v.type) {
    case MetadataValue::Type::kInt:
      return {{"int", v.int_value}};
    case MetadataValue::Type::kDouble:
      return {{"double", v.double_value}};
    case MetadataValue::Type::kBool:
      return {{"bool", v.bool_value}};
    case MetadataValue::Type::kStruct:
      return {{"struct", v.string_value}};
    case MetadataValue::Type::kString:
      break;
  }
  return {{"string", v.string_value}};
}

ordered EncodeEntity(const Entity& e) {
  ordered record = {{"record", "entity"},
                    {"kind", TagOf(e.kind)},
                    {"id", e.id},
                    {"parentId", e.parent_id},
                    {"nameScope", e.name_scope},
                    {"name", e.name},
                    {"createTime", e.create_time_ms},
                    {"updateTime", e.update_time_ms}};
  if (e.external_id) record["externalId"] = *e.external_id;
  if (e.description) record["description"] = *e.description;
  ordered fields = ordered::object();
  const EntitySpec& spec = SpecFor(e.kind);
  for (const auto& [name, value] : e.fields) {
    const FieldSpec* field = spec.Field(name);
    // parentId carries the parent-id fields.
    if (field == nullptr || field->storage == FieldStorage::kParentId) continue;
    std::visit([&](const auto& v) { fields[name] = v; }, value);
  }
  record["fields"] = std::move(fields);
  ordered custom = ordered::object();
  for (const auto& [name, value] : e.custom_properties) custom[name] = EncodeMetadata(value);
  record["customProperties"] = std::move(custom);
  return record;
}

Status WriteLine(std::ostream& out, const ordered& record) {
  out << record.dump() << '\n';
  if (!out) return Status::Unavailable("cannot write the export");
  return Status::Ok();
}

// Reads one record at a time and keeps the line number for messages.
class RecordReader {
 public:
  explicit RecordReader(std::istream& in) : in_(in) {}

  // Returns the next record, or nullopt at the end of input.
  Result<std::optional<json>> Next() {
    std::string line;
    while (std::getline(in_, line)) {
      ++line_;
      if (line.empty()) continue;
      json record = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (record.is_discarded() || !record.is_object()) return Error("not a JSON object");
      return std::optional<json>(std::move(record));
    }
    if (in_.bad()) return Status::Unavailable("cannot read the import file");
    return std::optional<json>();
  }

  Status Error(const std::string& message) const {
    return Status::InvalidArgument(Where() + ": " + message);
  }
  // Prefixes a store error with the line that caused it.
  Status Locate(const Status& status) const {
    if (status.ok()) return status;
    return Status(status.code(), Where() + ": " + status.message());
  }
  std::string Where() const { return "line " + std::to_string(line_); }

 private:
  std::istream& in_;
  int64_t line_ = 0;
};

// Typed member access with line-numbered errors.
class RecordFields {
 public:
  RecordFields(const json& record, const RecordReader& reader) : r_(record), reader_(reader) {}

  Result<int64_t> Int(const char* key) const {
    auto it = r_.find(key);
    if (it == r_.end() || !it->is_number_integer()) {
      return reader_.Error(std::string("\"") + key + "\" must be an integer");
    }
    return it->get<int64_t>();
  }
  Result<std::string> String(const char* key) const {
    auto it = r_.find(key);
    if (it == r_.end() || !it->is_string()) {
      return reader_.Error(std::string("\"") + key + "\" must be a string");
    }
    return it->get<std::string>();
  }
  Result<std::optional<std::string>> OptionalString(const char* key) const {
    auto it = r_.find(key);
    if (it == r_.end() || it->is_null()) return std::optional<std::string>();
    if (!it->is_string()) return reader_.Error(std::string("\"") + key + "\" must be a string");
    return std::optional<std::string>(it->get<std::string>());
  }
  Result<const json*> Object(const char* key) const {
    auto it = r_.find(key);
    if (it == r_.end() || !it->is_object()) {
      return reader_.Error(std::string("\"") + key + "\" must be an object");
    }
    return &*it;
  }

 private:
  const json& r_;
  const RecordReader& reader_;
};

Result<FieldValue> DecodeField(const FieldSpec& field, const json& v, const RecordReader& reader) {
  auto bad = [&] {
    return reader.Error("field \"" + std::string(field.json_name) + "\" has the wrong type");
  };
  switch (field.type) {
    case FieldType::kId:
    case FieldType::kInt32:
      if (!v.is_number_integer()) return bad();
      return FieldValue(v.get<int64_t>());
    case FieldType::kDouble:
      if (!v.is_number()) return bad();
      return FieldValue(v.get<double>());
    case FieldType::kStringList: {
      if (!v.is_array()) return bad();
      std::vector<std::string> items;
      for (const json& item : v) {
        if (!item.is_string()) return bad();
        items.push_back(item.get<std::string>());
      }
      return FieldValue(std::move(items));
    }
    case FieldType::kString:
    case FieldType::kEnum:
    case FieldType::kInt64String:
      break;
  }
  if (!v.is_string()) return bad();
  return FieldValue(v.get<std::string>());
}

Result<MetadataValue> DecodeMetadata(const std::string& name, const json& v,
                                     const RecordReader& reader) {
  auto bad = [&] {
    return reader.Error("custom property \"" + name +
                        "\" must be one of {\"string\"|\"int\"|\"double\"|\"bool\"|\"struct\": "
                        "value}");
  };
  if (!v.is_object() || v.size() != 1) return bad();
  const std::string& type = v.begin().key();
  const json& value = v.begin().value();
  if (type == "string" && value.is_string()) return MetadataValue::String(value.get<std::string>());
  if (type == "struct" && value.is_string()) return MetadataValue::Struct(value.get<std::string>());
  if (type == "int" && value.is_number_integer()) return MetadataValue::Int(value.get<int64_t>());
  if (type == "double" && value.is_number()) return MetadataValue::Double(value.get<double>());
  if (type == "bool" && value.is_boolean()) return MetadataValue::Bool(value.get<bool>());
  return bad();
}

Result<Entity> DecodeEntity(const json& record, const RecordReader& reader) {
  RecordFields r(record, reader);
  MR_ASSIGN_OR_RETURN(std::string tag, r.String("kind"));
  std::optional<EntityKind> kind = KindOfTag(tag);
  if (!kind) return reader.Error("unknown kind \"" + tag + "\"");
  Entity e;
  e.kind = *kind;
  MR_ASSIGN_OR_RETURN(e.id, r.Int("id"));
  if (e.id <= 0) return reader.Error("\"id\" must be positive");
  MR_ASSIGN_OR_RETURN(e.parent_id, r.Int("parentId"));
  MR_ASSIGN_OR_RETURN(e.name_scope, r.String("nameScope"));
  MR_ASSIGN_OR_RETURN(e.name, r.String("name"));
  MR_ASSIGN_OR_RETURN(e.external_id, r.OptionalString("externalId"));
  MR_ASSIGN_OR_RETURN(e.description, r.OptionalString("description"));
  MR_ASSIGN_OR_RETURN(e.create_time_ms, r.Int("createTime"));
  MR_ASSIGN_OR_RETURN(e.update_time_ms, r.Int("updateTime"));
  const EntitySpec& spec = SpecFor(e.kind);
  MR_ASSIGN_OR_RETURN(const json* fields, r.Object("fields"));
  for (const auto& [name, value] : fields->items()) {
    const FieldSpec* field = spec.Field(name);
    if (field == nullptr || field->storage == FieldStorage::kParentId) {
      return reader.Error("unknown field \"" + name + "\" for kind " + tag);
    }
    MR_ASSIGN_OR_RETURN(e.fields[name], DecodeField(*field, value, reader));
  }
  MR_ASSIGN_OR_RETURN(const json* custom, r.Object("customProperties"));
  for (const auto& [name, value] : custom->items()) {
    MR_ASSIGN_OR_RETURN(e.custom_properties[name], DecodeMetadata(name, value, reader));
  }
  return e;
}

// What the import has seen, to check references once every record is in.
struct Seen {
  std::map<std::pair<StorageClass, int64_t>, EntityKind> entities;
  // (line, entity) for each entity with a parent.
  std::vector<std::pair<std::string, Entity>> children;
};

Status CheckParents(const Seen& seen) {
  for (const auto& [where, e] : seen.children) {
    const EntitySpec& spec = SpecFor(e.kind);
    // Artifacts record the version or run they were created under; other
    // kinds name their parent kind in the spec.
    StorageClass parent_storage =
        spec.parent_kind ? StorageOf(*spec.parent_kind) : StorageClass::kContext;
    auto it = seen.entities.find({parent_storage, e.parent_id});
    if (it == seen.entities.end() || (spec.parent_kind && it->second != *spec.parent_kind)) {
      return Status::InvalidArgument(where + ": " + TagOf(e.kind) + " " + std::to_string(e.id) +
                                     " names parent " + std::to_string(e.parent_id) +
                                     ", which is not in the file");
    }
  }
  return Status::Ok();
}

Status ImportRecords(DatabaseLoader& loader, RecordReader& reader, TransferCounts& counts) {
  MR_ASSIGN_OR_RETURN(std::optional<json> header, reader.Next());
  if (!header || header->value("format", "") != kFormatName) {
    return Status::InvalidArgument("line 1: not a model-registry export (no header record)");
  }
  if (header->value("version", 0) != kFormatVersion) {
    return reader.Error("unsupported export format version (this binary reads version " +
                        std::to_string(kFormatVersion) + ")");
  }
  Seen seen;
  for (;;) {
    MR_ASSIGN_OR_RETURN(std::optional<json> record, reader.Next());
    if (!record) return Status::InvalidArgument("the file is truncated: no end record");
    const std::string type = record->value("record", "");
    if (type == "entity") {
      MR_ASSIGN_OR_RETURN(Entity e, DecodeEntity(*record, reader));
      seen.entities[{StorageOf(e.kind), e.id}] = e.kind;
      MR_RETURN_IF_ERROR(reader.Locate(loader.InsertVerbatim(e)));
      if (e.parent_id != 0) seen.children.emplace_back(reader.Where(), e);
      ++counts.entities;
    } else if (type == "link") {
      RecordFields r(*record, reader);
      StoredLink link;
      MR_ASSIGN_OR_RETURN(link.context_id, r.Int("contextId"));
      MR_ASSIGN_OR_RETURN(link.artifact_id, r.Int("artifactId"));
      if (seen.entities.count({StorageClass::kContext, link.context_id}) == 0 ||
          seen.entities.count({StorageClass::kArtifact, link.artifact_id}) == 0) {
        return reader.Error("link " + std::to_string(link.context_id) + " -> " +
                            std::to_string(link.artifact_id) +
                            " names an entity not exported before it");
      }
      MR_RETURN_IF_ERROR(reader.Locate(loader.Link(link)));
      ++counts.links;
    } else if (type == "end") {
      RecordFields r(*record, reader);
      MR_ASSIGN_OR_RETURN(int64_t entities, r.Int("entities"));
      MR_ASSIGN_OR_RETURN(int64_t links, r.Int("links"));
      if (entities != counts.entities || links != counts.links) {
        return reader.Error("the end record counts " + std::to_string(entities) + " entities and " +
                            std::to_string(links) + " links, the file holds " +
                            std::to_string(counts.entities) + " and " +
                            std::to_string(counts.links));
      }
      MR_ASSIGN_OR_RETURN(std::optional<json> extra, reader.Next());
      if (extra) return reader.Error("a record after the end record");
      return CheckParents(seen);
    } else {
      return reader.Error("unknown record type \"" + type + "\"");
    }
  }
}

}  // namespace

Status ExportNdjson(AdminStore& store, std::ostream& out, TransferCounts* counts) {
  TransferCounts local;
  MR_RETURN_IF_ERROR(store.ReadSnapshot([&](DatabaseSnapshot& snapshot) -> Status {
    MR_RETURN_IF_ERROR(WriteLine(out, {{"record", "header"},
                                       {"format", kFormatName},
                                       {"version", kFormatVersion},
                                       {"schemaVersion", store.SchemaVersion()}}));
    for (StorageClass storage :
         {StorageClass::kContext, StorageClass::kArtifact, StorageClass::kExecution}) {
      MR_RETURN_IF_ERROR(snapshot.ForEachEntity(storage, [&](const Entity& e) -> Status {
        ++local.entities;
        return WriteLine(out, EncodeEntity(e));
      }));
    }
    MR_RETURN_IF_ERROR(snapshot.ForEachLink([&](const StoredLink& link) -> Status {
      ++local.links;
      return WriteLine(
          out,
          {{"record", "link"}, {"contextId", link.context_id}, {"artifactId", link.artifact_id}});
    }));
    return WriteLine(out,
                     {{"record", "end"}, {"entities", local.entities}, {"links", local.links}});
  }));
  out.flush();
  if (!out) return Status::Unavailable("cannot write the export");
  if (counts != nullptr) *counts = local;
  return Status::Ok();
}

Status ImportNdjson(AdminStore& store, std::istream& in, TransferCounts* counts) {
  TransferCounts local;
  RecordReader reader(in);
  MR_RETURN_IF_ERROR(store.LoadIntoEmpty(
      [&](DatabaseLoader& loader) { return ImportRecords(loader, reader, local); }));
  if (counts != nullptr) *counts = local;
  return Status::Ok();
}

}  // namespace mr
