// The export format against an in-memory AdminStore: exact record text for
// one entity, and a lossless round trip of every value type.
#include "model_registry/ndjson_transfer.h"

#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <vector>

#include "model_registry/entity_spec.h"

namespace mr {
namespace {

class MemoryStore : public AdminStore, DatabaseSnapshot, DatabaseLoader {
 public:
  std::vector<Entity> entities;
  std::vector<StoredLink> links;

  int SchemaVersion() override { return 7; }
  Status ReadSnapshot(const std::function<Status(DatabaseSnapshot&)>& fn) override {
    return fn(*this);
  }
  Status LoadIntoEmpty(const std::function<Status(DatabaseLoader&)>& fn) override {
    if (!entities.empty()) return Status::FailedPrecondition("not empty");
    MemoryStore staged;
    Status status = fn(staged);
    if (status.ok()) {
      entities = staged.entities;
      links = staged.links;
    }
    return status;
  }
  Status Backup(const std::string&) override { return Status::Ok(); }
  Status ForEachEntity(StorageClass storage,
                       const std::function<Status(const Entity&)>& fn) override {
    for (const Entity& e : entities) {
      if (StorageOf(e.kind) == storage) MR_RETURN_IF_ERROR(fn(e));
    }
    return Status::Ok();
  }
  Status ForEachLink(const std::function<Status(const StoredLink&)>& fn) override {
    for (const StoredLink& l : links) MR_RETURN_IF_ERROR(fn(l));
    return Status::Ok();
  }
  Status InsertVerbatim(const Entity& entity) override {
    entities.push_back(entity);
    return Status::Ok();
  }
  Status Link(const StoredLink& link) override {
    links.push_back(link);
    return Status::Ok();
  }
};

bool Same(const Entity& a, const Entity& b) {
  return a.kind == b.kind && a.id == b.id && a.parent_id == b.parent_id &&
         a.name_scope == b.name_scope && a.name == b.name && a.external_id == b.external_id &&
         a.description == b.description && a.create_time_ms == b.create_time_ms &&
         a.update_time_ms == b.update_time_ms && a.fields == b.fields &&
         a.custom_properties == b.custom_properties;
}

TEST_CASE("an export is a header, entities, links and an end record") {
  MemoryStore store;
  Entity rm;
  rm.id = 1;
  rm.name = "fraud";
  rm.create_time_ms = 10;
  rm.update_time_ms = 11;
  rm.fields["owner"] = std::string("alice");
  rm.custom_properties["n"] = MetadataValue::Int(-5);
  store.entities.push_back(rm);
  std::ostringstream out;
  TransferCounts counts;
  REQUIRE(ExportNdjson(store, out, &counts).ok());
  CHECK(out.str() ==
        R"({"record":"header","format":"model-registry-export","version":1,"schemaVersion":7}
{"record":"entity","kind":"registered-model","id":1,"parentId":0,"nameScope":"","name":"fraud","createTime":10,"updateTime":11,"fields":{"owner":"alice"},"customProperties":{"n":{"int":-5}}}
{"record":"end","entities":1,"links":0}
)");
  CHECK((counts.entities == 1 && counts.links == 0));
}

TEST_CASE("export then import keeps every value exactly") {
  MemoryStore source;
  Entity mv;
  mv.kind = EntityKind::kModelVersion;
  mv.id = 2;
  mv.parent_id = 1;
  mv.name = "v1";
  mv.external_id = "ext";
  mv.description = "";
  mv.create_time_ms = 1714400000000;
  mv.update_time_ms = 1714400000001;
  mv.fields["state"] = std::string("ARCHIVED");
  mv.custom_properties = {{"d", MetadataValue::Double(0.1)},
                          {"tiny", MetadataValue::Double(4.9e-324)},
                          {"i", MetadataValue::Int(INT64_MIN)},
                          {"b", MetadataValue::Bool(false)},
                          {"s", MetadataValue::String("line\nbreak \"q\" ü")},
                          {"st", MetadataValue::Struct(R"({"a":[1,2]})")}};
  Entity rm;
  rm.id = 1;
  rm.name = "m";
  Entity metric;
  metric.kind = EntityKind::kMetric;
  metric.id = 9;
  metric.parent_id = 2;
  metric.name_scope = "3f1c";
  metric.name = "loss";
  metric.fields["value"] = 0.30000000000000004;
  metric.fields["step"] = int64_t{3};
  metric.fields["timestamp"] = std::string("1714400000000");
  source.entities = {rm, mv, metric};
  source.links = {{2, 9}};

  std::stringstream file;
  REQUIRE(ExportNdjson(source, file, nullptr).ok());
  MemoryStore target;
  TransferCounts counts;
  Status status = ImportNdjson(target, file, &counts);
  INFO(status.message());
  REQUIRE(status.ok());
  CHECK((counts.entities == 3 && counts.links == 1));
  REQUIRE(target.entities.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(Same(target.entities[i], source.entities[i]));
  REQUIRE(target.links.size() == 1);
  CHECK((target.links[0].context_id == 2 && target.links[0].artifact_id == 9));
}

TEST_CASE("a failed import leaves the store untouched") {
  MemoryStore target;
  std::istringstream in(
      "{\"record\":\"header\",\"format\":\"model-registry-export\",\"version\":1}\n"
      "{\"record\":\"entity\",\"kind\":\"registered-model\",\"id\":1,\"parentId\":0,"
      "\"nameScope\":\"\",\"name\":\"m\",\"createTime\":1,\"updateTime\":1,\"fields\":{},"
      "\"customProperties\":{}}\n");
  Status status = ImportNdjson(target, in, nullptr);
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(status.message() == "the file is truncated: no end record");
  CHECK(target.entities.empty());
}

}  // namespace
}  // namespace mr
