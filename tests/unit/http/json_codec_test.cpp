// JSON codec: strict and lenient body decoding, defaults, MetadataValue
// shapes, and the wire form of entities (docs/api-behaviour.md §2.3, §3,
// §4). Expected JSON is written out by hand.
#include "http/json_codec.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace mr::http {
namespace {

using json = nlohmann::json;
using K = EntityKind;

// The cases below were written for v1alpha3's wire format; the v1 differences
// have their own cases at the end.
const WireProfile& kV1Alpha3 = ProfileFor(ApiVersion::kV1Alpha3);
const WireProfile& kV1 = ProfileFor(ApiVersion::kV1);

json J(const char* text) { return json::parse(text); }

Result<EntityDraft> Decode(const char* body, K kind, BodyMode mode, bool defaults = false) {
  return DecodeDraft(J(body), kind, mode, defaults, kV1Alpha3);
}

// Decodes a RegisteredModel create body holding one custom property "k".
Result<MetadataValue> DecodeProperty(const std::string& value_json) {
  json body = {{"name", "m"}, {"customProperties", {{"k", json::parse(value_json)}}}};
  Result<EntityDraft> draft =
      DecodeDraft(body, K::kRegisteredModel, BodyMode::kCreate, false, kV1Alpha3);
  if (!draft.ok()) return draft.status();
  if (!draft->custom_properties || draft->custom_properties->count("k") != 1) {
    return Status::Internal("property k was not decoded");
  }
  return draft->custom_properties->at("k");
}

std::string Str(const EntityDraft& d, const std::string& field) {
  auto it = d.fields.find(field);
  if (it == d.fields.end() || !std::holds_alternative<std::string>(it->second)) return "<absent>";
  return std::get<std::string>(it->second);
}

// ---- strict bodies --------------------------------------------------------------

TEST_CASE("Strict bodies reject unknown fields with Go's exact message", "[http][codec]") {
  struct Case {
    const char* body;
    K kind;
    BodyMode mode;
    const char* message;
  };
  const std::vector<Case> cases = {
      {R"({"name":"m","x":1})", K::kRegisteredModel, BodyMode::kCreate,
       R"(json: unknown field "x")"},
      {R"({"name":"m","ext_id":"e"})", K::kRegisteredModel, BodyMode::kCreate,
       R"(json: unknown field "ext_id")"},
      {R"({"name":"m"})", K::kRegisteredModel, BodyMode::kUpdate, R"(json: unknown field "name")"},
      {R"({"id":"1","name":"m"})", K::kRegisteredModel, BodyMode::kCreate,
       R"(json: unknown field "id")"},
      {R"({"name":"m","createTimeSinceEpoch":"1"})", K::kRegisteredModel, BodyMode::kCreate,
       R"(json: unknown field "createTimeSinceEpoch")"},
      {R"({"registeredModelId":"2"})", K::kModelVersion, BodyMode::kUpdate,
       R"(json: unknown field "registeredModelId")"},
      {R"({"startTimeSinceEpoch":"2"})", K::kExperimentRun, BodyMode::kUpdate,
       R"(json: unknown field "startTimeSinceEpoch")"},
      {R"({"uri":"s3://x","experimentId":"1"})", K::kModelArtifact, BodyMode::kCreate,
       R"(json: unknown field "experimentId")"},
      {R"({"owner":"a"})", K::kServingEnvironment, BodyMode::kUpdate,
       R"(json: unknown field "owner")"},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    Result<EntityDraft> draft = Decode(c.body, c.kind, c.mode);
    REQUIRE_FALSE(draft.ok());
    CHECK(draft.status().code() == StatusCode::kInvalidArgument);
    CHECK(draft.status().message() == c.message);
  }
}

TEST_CASE("Strict bodies decode known fields", "[http][codec]") {
  Result<EntityDraft> rm = Decode(
      R"({"name":"m","externalId":"e","description":"d","owner":"o","state":"ARCHIVED",
          "language":["en","de"],"tasks":[]})",
      K::kRegisteredModel, BodyMode::kCreate);
  REQUIRE(rm.ok());
  CHECK(rm->kind == K::kRegisteredModel);
  CHECK(rm->name == std::optional<std::string>("m"));
  CHECK(rm->external_id == std::optional<std::string>("e"));
  CHECK(rm->description == std::optional<std::string>("d"));
  CHECK(Str(*rm, "owner") == "o");
  CHECK(Str(*rm, "state") == "ARCHIVED");
  CHECK(std::get<std::vector<std::string>>(rm->fields.at("language")) ==
        std::vector<std::string>{"en", "de"});
  CHECK(std::get<std::vector<std::string>>(rm->fields.at("tasks")).empty());
  CHECK_FALSE(rm->id.has_value());
  CHECK_FALSE(rm->custom_properties.has_value());

  // A parent reference lands in parent_id, not in fields.
  Result<EntityDraft> mv =
      Decode(R"({"name":"v","registeredModelId":"3"})", K::kModelVersion, BodyMode::kCreate);
  REQUIRE(mv.ok());
  CHECK(mv->parent_id == std::optional<int64_t>(3));
  CHECK(mv->fields.count("registeredModelId") == 0);

  // Full-model bodies accept an id and ignore timestamps.
  Result<EntityDraft> full = Decode(
      R"({"id":"12","name":"v","registeredModelId":"3","createTimeSinceEpoch":"5",
          "lastUpdateTimeSinceEpoch":"6"})",
      K::kModelVersion, BodyMode::kFull);
  REQUIRE(full.ok());
  CHECK(full->id == std::optional<int64_t>(12));
  CHECK(full->fields.count("createTimeSinceEpoch") == 0);
}

TEST_CASE("Wrong JSON types are kInvalidArgument", "[http][codec]") {
  struct Case {
    const char* body;
    K kind;
    BodyMode mode;
  };
  const std::vector<Case> cases = {
      {R"({"name":5})", K::kRegisteredModel, BodyMode::kCreate},
      {R"({"name":"m","description":true})", K::kRegisteredModel, BodyMode::kCreate},
      {R"({"name":"m","externalId":[]})", K::kRegisteredModel, BodyMode::kCreate},
      {R"({"name":"m","customProperties":"x"})", K::kRegisteredModel, BodyMode::kCreate},
      {R"({"name":"m","customProperties":{"k":"v"}})", K::kRegisteredModel, BodyMode::kCreate},
      {R"({"name":"m","language":"en"})", K::kRegisteredModel, BodyMode::kCreate},
      {R"({"name":"m","language":["en",1]})", K::kRegisteredModel, BodyMode::kCreate},
      {R"({"name":"m","state":1})", K::kRegisteredModel, BodyMode::kCreate},
      {R"({"name":"v","registeredModelId":3})", K::kModelVersion, BodyMode::kCreate},
      {R"({"name":"v","registeredModelId":"abc"})", K::kModelVersion, BodyMode::kCreate},
      {R"({"name":"v","registeredModelId":"1.5"})", K::kModelVersion, BodyMode::kCreate},
      {R"({"name":"v","registeredModelId":"2147483648"})", K::kModelVersion, BodyMode::kCreate},
      {R"({"id":12,"name":"v"})", K::kModelVersion, BodyMode::kFull},
      {R"({"id":"0x1","name":"v"})", K::kModelVersion, BodyMode::kFull},
      {R"({"id":"x","name":"v"})", K::kModelVersion, BodyMode::kFull},
      {R"({"artifactType":"metric","value":"1"})", K::kModelArtifact, BodyMode::kOneOf},
      {R"({"artifactType":"metric","value":1,"step":1.5})", K::kModelArtifact, BodyMode::kOneOf},
      {R"({"artifactType":"metric","value":1,"step":"3"})", K::kModelArtifact, BodyMode::kOneOf},
      {R"({"artifactType":"metric","value":1,"step":2147483648})", K::kModelArtifact,
       BodyMode::kOneOf},
      {R"({"artifactType":"metric","value":1,"step":-2147483649})", K::kModelArtifact,
       BodyMode::kOneOf},
      {R"({"artifactType":"model-artifact","uri":7})", K::kModelArtifact, BodyMode::kOneOf},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    Result<EntityDraft> draft = Decode(c.body, c.kind, c.mode);
    REQUIRE_FALSE(draft.ok());
    CHECK(draft.status().code() == StatusCode::kInvalidArgument);
  }
  Result<EntityDraft> type_message =
      Decode(R"({"name":5})", K::kRegisteredModel, BodyMode::kCreate);
  REQUIRE_FALSE(type_message.ok());
  CHECK_THAT(type_message.status().message(), Catch::StartsWith("json: cannot unmarshal number"));
}

TEST_CASE("Integer and double fields decode their full range", "[http][codec]") {
  Result<EntityDraft> metric = Decode(
      R"({"artifactType":"metric","value":3,"step":-2147483648,"timestamp":"1714400000000"})",
      K::kModelArtifact, BodyMode::kOneOf);
  REQUIRE(metric.ok());
  CHECK(std::get<double>(metric->fields.at("value")) == 3.0);
  CHECK(std::get<int64_t>(metric->fields.at("step")) == -2147483648LL);
  CHECK(Str(*metric, "timestamp") == "1714400000000");
  Result<EntityDraft> max_step =
      Decode(R"({"artifactType":"metric","value":0.5,"step":2147483647})", K::kModelArtifact,
             BodyMode::kOneOf);
  REQUIRE(max_step.ok());
  CHECK(std::get<int64_t>(max_step->fields.at("step")) == 2147483647);
}

// ---- MetadataValue ------------------------------------------------------------------

TEST_CASE("MetadataValue decoding", "[http][codec][metadata]") {
  SECTION("int_value is a decimal string of at most nine digits") {
    Result<MetadataValue> seven =
        DecodeProperty(R"({"metadataType":"MetadataIntValue","int_value":"007"})");
    REQUIRE(seven.ok());
    CHECK(*seven == MetadataValue::Int(7));
    Result<MetadataValue> min =
        DecodeProperty(R"({"metadataType":"MetadataIntValue","int_value":"-999999999"})");
    REQUIRE(min.ok());
    CHECK(*min == MetadataValue::Int(-999999999LL));
    // Ten digits are refused even within int32: the official client cannot
    // read them back.
    for (const char* bad :
         {R"("2147483647")", R"("-2147483648")", R"("1000000000")", R"("+5")", R"("1e3")",
          R"("1.5")", R"("")", R"(" 7")", R"("seven")", R"("-")", "7", "7.0", "true"}) {
      INFO("int_value " << bad);
      Result<MetadataValue> v = DecodeProperty(
          std::string(R"({"metadataType":"MetadataIntValue","int_value":)") + bad + "}");
      REQUIRE_FALSE(v.ok());
      CHECK(v.status().code() == StatusCode::kInvalidArgument);
    }
  }
  SECTION("string, double and bool values") {
    Result<MetadataValue> s =
        DecodeProperty(R"({"metadataType":"MetadataStringValue","string_value":"x"})");
    REQUIRE(s.ok());
    CHECK(*s == MetadataValue::String("x"));
    // Nested required fields are not checked: a missing payload is the zero value.
    Result<MetadataValue> empty = DecodeProperty(R"({"metadataType":"MetadataStringValue"})");
    REQUIRE(empty.ok());
    CHECK(*empty == MetadataValue::String(""));
    Result<MetadataValue> d =
        DecodeProperty(R"({"metadataType":"MetadataDoubleValue","double_value":1})");
    REQUIRE(d.ok());
    CHECK(*d == MetadataValue::Double(1.0));
    Result<MetadataValue> b =
        DecodeProperty(R"({"metadataType":"MetadataBoolValue","bool_value":true})");
    REQUIRE(b.ok());
    CHECK(*b == MetadataValue::Bool(true));
    // Unknown keys inside a value are ignored; a payload key of another
    // variant is not read but must still meet what the spec states for it
    // (its JSON type, int_value's digits). An unread struct_value need only be
    // a string: base64-of-an-object is a format the read one must meet.
    Result<MetadataValue> extra = DecodeProperty(
        R"({"metadataType":"MetadataStringValue","string_value":"x","int_value":"7","foo":1,)"
        R"("struct_value":"bm90IGpzb24="})");
    REQUIRE(extra.ok());
    CHECK(*extra == MetadataValue::String("x"));
    for (const char* bad :
         {R"({"metadataType":"MetadataStringValue","string_value":"x","int_value":"zz"})",
          R"({"metadataType":"MetadataStringValue","struct_value":5})",
          R"({"metadataType":"MetadataStructValue","struct_value":"bm90IGpzb24="})",
          R"({"metadataType":"MetadataIntValue","int_value":"1","bool_value":"no"})"}) {
      INFO(bad);
      CHECK(DecodeProperty(bad).status().code() == StatusCode::kInvalidArgument);
    }
    for (const char* bad : {R"({"metadataType":"MetadataStringValue","string_value":5})",
                            R"({"metadataType":"MetadataDoubleValue","double_value":"1.5"})",
                            R"({"metadataType":"MetadataBoolValue","bool_value":"true"})"}) {
      INFO(bad);
      CHECK(DecodeProperty(bad).status().code() == StatusCode::kInvalidArgument);
    }
  }
  SECTION("struct_value is base64 of a JSON object, stored as canonical JSON") {
    // base64('{"b": [1, 2], "a": "x"}')
    Result<MetadataValue> st = DecodeProperty(
        R"({"metadataType":"MetadataStructValue","struct_value":"eyJiIjogWzEsIDJdLCAiYSI6ICJ4In0="})");
    REQUIRE(st.ok());
    CHECK(*st == MetadataValue::Struct(R"({"a":"x","b":[1,2]})"));
    // base64('{}')
    Result<MetadataValue> empty =
        DecodeProperty(R"({"metadataType":"MetadataStructValue","struct_value":"e30="})");
    REQUIRE(empty.ok());
    CHECK(*empty == MetadataValue::Struct("{}"));
    for (const char* bad : {"not base64!", "e30",  // unpadded
                            "WzEsMl0=",            // [1,2]
                            "InN0ciI=",            // "str"
                            "bnVsbA==",            // null
                            "eyJhIjo="}) {         // {"a":
      INFO("struct_value " << bad);
      Result<MetadataValue> v = DecodeProperty(
          std::string(R"({"metadataType":"MetadataStructValue","struct_value":")") + bad + "\"}");
      REQUIRE_FALSE(v.ok());
      CHECK(v.status().code() == StatusCode::kInvalidArgument);
    }
  }
  SECTION("metadataType must be present and supported") {
    for (const char* bad :
         {R"({"metadataType":"MetadataProtoValue","type":"t","proto_value":"AA=="})",
          R"({"string_value":"x"})", R"({"metadataType":"MetadataFooValue","string_value":"x"})",
          R"({"metadataType":"metadatastringvalue","string_value":"x"})", R"({"metadataType":5})",
          R"("x")", "[]"}) {
      INFO(bad);
      Result<MetadataValue> v = DecodeProperty(bad);
      REQUIRE_FALSE(v.ok());
      CHECK(v.status().code() == StatusCode::kInvalidArgument);
    }
  }
}

// ---- null, defaults ---------------------------------------------------------------

TEST_CASE("null members are treated as absent", "[http][codec]") {
  const char* body =
      R"({"name":"m","description":null,"externalId":null,"customProperties":null,
          "owner":null,"state":null,"language":null})";
  Result<EntityDraft> plain = Decode(body, K::kRegisteredModel, BodyMode::kCreate, false);
  REQUIRE(plain.ok());
  CHECK_FALSE(plain->description.has_value());
  CHECK_FALSE(plain->external_id.has_value());
  CHECK_FALSE(plain->custom_properties.has_value());
  CHECK(plain->fields.empty());

  Result<EntityDraft> patch = Decode(R"({"state":null})", K::kRegisteredModel, BodyMode::kUpdate);
  REQUIRE(patch.ok());
  CHECK(patch->fields.empty());

  // A null name is absent too; the domain then reports it as missing.
  Result<EntityDraft> null_name =
      Decode(R"({"name":null})", K::kRegisteredModel, BodyMode::kCreate);
  REQUIRE(null_name.ok());
  CHECK_FALSE(null_name->name.has_value());
}

TEST_CASE("Schema defaults are applied only when requested", "[http][codec][defaults]") {
  struct Case {
    const char* body;
    K kind;
    BodyMode mode;
    std::vector<std::pair<const char*, const char*>> defaults;
  };
  const std::vector<Case> cases = {
      {R"({"name":"m"})", K::kRegisteredModel, BodyMode::kCreate, {{"state", "LIVE"}}},
      {R"({"name":"m","state":null})", K::kRegisteredModel, BodyMode::kCreate, {{"state", "LIVE"}}},
      {R"({"name":"v","registeredModelId":"1"})",
       K::kModelVersion,
       BodyMode::kCreate,
       {{"state", "LIVE"}}},
      {R"({"name":"e"})", K::kExperiment, BodyMode::kCreate, {{"state", "LIVE"}}},
      {R"({"experimentId":"1"})",
       K::kExperimentRun,
       BodyMode::kCreate,
       {{"state", "LIVE"}, {"status", "RUNNING"}}},
      {R"({"registeredModelId":"1","servingEnvironmentId":"2"})",
       K::kInferenceService,
       BodyMode::kCreate,
       {{"desiredState", "DEPLOYED"}}},
      {R"({"modelVersionId":"1"})",
       K::kServeModel,
       BodyMode::kCreate,
       {{"lastKnownState", "UNKNOWN"}}},
      {R"({"uri":"s3://x"})", K::kModelArtifact, BodyMode::kCreate, {{"state", "UNKNOWN"}}},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    Result<EntityDraft> with = Decode(c.body, c.kind, c.mode, true);
    REQUIRE(with.ok());
    for (const auto& [field, value] : c.defaults) CHECK(Str(*with, field) == value);
    Result<EntityDraft> without = Decode(c.body, c.kind, c.mode, false);
    REQUIRE(without.ok());
    for (const auto& [field, value] : c.defaults) CHECK(Str(*without, field) == "<absent>");
  }

  // A supplied value wins over the default.
  Result<EntityDraft> archived =
      Decode(R"({"name":"m","state":"ARCHIVED"})", K::kRegisteredModel, BodyMode::kCreate, true);
  REQUIRE(archived.ok());
  CHECK(Str(*archived, "state") == "ARCHIVED");

  // oneOf artifact bodies take no state default, even when defaults are asked for.
  Result<EntityDraft> one_of = Decode(R"({"artifactType":"model-artifact","uri":"s3://x"})",
                                      K::kModelArtifact, BodyMode::kOneOf, true);
  REQUIRE(one_of.ok());
  CHECK(Str(*one_of, "state") == "<absent>");
}

// ---- oneOf ---------------------------------------------------------------------------

TEST_CASE("oneOf artifact bodies", "[http][codec][oneof]") {
  const std::string invalid_type =
      "invalid artifact type, must be either ModelArtifact, DocArtifact, DataSet, Metric, or "
      "Parameter";
  SECTION("a missing or unknown artifactType is rejected") {
    for (const char* body :
         {R"({"uri":"s3://x"})", R"({"artifactType":"foo"})", R"({"artifactType":5})",
          R"({"artifactType":null})", R"({"artifactType":"Model-Artifact"})"}) {
      INFO(body);
      Result<EntityDraft> draft = Decode(body, K::kModelArtifact, BodyMode::kOneOf);
      REQUIRE_FALSE(draft.ok());
      CHECK(draft.status().code() == StatusCode::kInvalidArgument);
      CHECK(draft.status().message() == invalid_type);
    }
  }
  SECTION("the discriminator picks the kind") {
    struct Case {
      const char* type;
      K kind;
    };
    for (const Case& c : std::vector<Case>{{"model-artifact", K::kModelArtifact},
                                           {"doc-artifact", K::kDocArtifact},
                                           {"dataset-artifact", K::kDataSet},
                                           {"metric", K::kMetric},
                                           {"parameter", K::kParameter}}) {
      INFO(c.type);
      json body = {{"artifactType", c.type}};
      Result<EntityDraft> draft =
          DecodeDraft(body, K::kModelArtifact, BodyMode::kOneOf, false, kV1Alpha3);
      REQUIRE(draft.ok());
      CHECK(draft->kind == c.kind);
    }
  }
  SECTION("unknown and server-set fields are ignored; id and name are accepted") {
    Result<EntityDraft> draft = Decode(
        R"({"artifactType":"metric","id":"9","name":"loss","value":0.5,"uri":"s3://ignored",
            "bogus":{"x":1},"experimentId":"4","experimentRunId":"5",
            "createTimeSinceEpoch":"1"})",
        K::kModelArtifact, BodyMode::kOneOf);
    REQUIRE(draft.ok());
    CHECK(draft->kind == K::kMetric);
    CHECK(draft->id == std::optional<int64_t>(9));
    CHECK(draft->name == std::optional<std::string>("loss"));
    CHECK(std::get<double>(draft->fields.at("value")) == 0.5);
    CHECK(draft->fields.size() == 1);
  }
  SECTION("strict model-artifact bodies take any artifactType string and stay model artifacts") {
    for (BodyMode mode : {BodyMode::kCreate, BodyMode::kUpdate}) {
      for (const char* body :
           {R"({"artifactType":"model-artifact"})", R"({"artifactType":"doc-artifact"})",
            R"({"artifactType":"x"})", R"({"artifactType":null})", R"({})"}) {
        CAPTURE(body);
        Result<EntityDraft> draft = Decode(body, K::kModelArtifact, mode);
        REQUIRE(draft.ok());
        CHECK(draft->kind == K::kModelArtifact);
        CHECK(draft->fields.count("artifactType") == 0);
      }
    }
    Result<EntityDraft> not_string =
        Decode(R"({"artifactType":5})", K::kModelArtifact, BodyMode::kCreate);
    REQUIRE_FALSE(not_string.ok());
    CHECK(not_string.status().message() ==
          "json: cannot unmarshal number into field artifactType of type string");
  }
}

// ---- encoding ------------------------------------------------------------------------

TEST_CASE("EncodeEntity writes the wire form", "[http][codec][encode]") {
  SECTION("unset optionals and empty collections are omitted; ids and times are strings") {
    Entity rm;
    rm.kind = K::kRegisteredModel;
    rm.id = 7;
    rm.name = "m";
    rm.create_time_ms = 1700000000000;
    rm.update_time_ms = 1700000000001;
    rm.fields["owner"] = std::string("alice");
    rm.fields["language"] = std::vector<std::string>{};
    rm.fields["tasks"] = std::vector<std::string>{"a", "b"};
    CHECK(EncodeEntity(rm, kV1Alpha3) ==
          J(R"({"id":"7","name":"m","createTimeSinceEpoch":"1700000000000",
                                    "lastUpdateTimeSinceEpoch":"1700000000001","owner":"alice",
                                    "tasks":["a","b"]})"));
  }
  SECTION("description, externalId and references") {
    Entity mv;
    mv.kind = K::kModelVersion;
    mv.id = 12;
    mv.parent_id = 3;
    mv.name = "v1";
    mv.description = "";
    mv.external_id = "ext";
    mv.create_time_ms = 1;
    mv.update_time_ms = 2;
    mv.fields["registeredModelId"] = int64_t{3};
    mv.fields["state"] = std::string("LIVE");
    CHECK(EncodeEntity(mv, kV1Alpha3) ==
          J(R"({"id":"12","name":"v1","description":"","externalId":"ext",
                                    "createTimeSinceEpoch":"1","lastUpdateTimeSinceEpoch":"2",
                                    "registeredModelId":"3","state":"LIVE"})"));
  }
  SECTION("artifacts always carry artifactType") {
    Entity doc;
    doc.kind = K::kDocArtifact;
    doc.id = 1;
    doc.name = "d";
    CHECK(EncodeEntity(doc, kV1Alpha3) == J(R"({"id":"1","name":"d","artifactType":"doc-artifact",
                                     "createTimeSinceEpoch":"0","lastUpdateTimeSinceEpoch":"0"})"));
    Entity metric;
    metric.kind = K::kMetric;
    metric.id = 2;
    metric.name = "loss";
    metric.fields["value"] = 0.5;
    metric.fields["step"] = int64_t{7};
    metric.fields["timestamp"] = std::string("123");
    metric.fields["experimentId"] = int64_t{4};
    metric.fields["experimentRunId"] = int64_t{5};
    CHECK(EncodeEntity(metric, kV1Alpha3) ==
          J(R"({"id":"2","name":"loss","artifactType":"metric","createTimeSinceEpoch":"0",
                "lastUpdateTimeSinceEpoch":"0","value":0.5,"step":7,"timestamp":"123",
                "experimentId":"4","experimentRunId":"5"})"));
    Entity history = metric;
    history.kind = K::kMetricHistory;
    CHECK(EncodeEntity(history, kV1Alpha3)["artifactType"] == "metric");
    for (K kind : {K::kModelArtifact, K::kDataSet, K::kParameter}) {
      Entity a;
      a.kind = kind;
      CHECK(EncodeEntity(a, kV1Alpha3).contains("artifactType"));
    }
  }
  SECTION("custom properties of every type") {
    Entity rm;
    rm.kind = K::kRegisteredModel;
    rm.id = 1;
    rm.name = "m";
    rm.custom_properties = {{"s", MetadataValue::String("x")},
                            {"i", MetadataValue::Int(-7)},
                            {"d", MetadataValue::Double(0.25)},
                            {"b", MetadataValue::Bool(false)},
                            {"st", MetadataValue::Struct(R"({"a":1})")}};
    json out = EncodeEntity(rm, kV1Alpha3);
    CHECK(out["customProperties"] ==
          J(R"({"s":{"metadataType":"MetadataStringValue","string_value":"x"},
                "i":{"metadataType":"MetadataIntValue","int_value":"-7"},
                "d":{"metadataType":"MetadataDoubleValue","double_value":0.25},
                "b":{"metadataType":"MetadataBoolValue","bool_value":false},
                "st":{"metadataType":"MetadataStructValue","struct_value":"{\"a\":1}"}})"));
  }
}

TEST_CASE("EncodePage always writes all four envelope keys", "[http][codec][encode]") {
  Page empty;
  CHECK(EncodePage(empty, kV1Alpha3) ==
        J(R"({"items":[],"nextPageToken":"","pageSize":0,"size":0})"));
  Page two;
  two.page_size = 2;
  two.next_page_token = "NTo1";
  Entity a;
  a.kind = K::kExperiment;
  a.id = 4;
  a.name = "a";
  two.items = {a, a};
  json out = EncodePage(two, kV1Alpha3);
  CHECK(out["size"] == 2);
  CHECK(out["pageSize"] == 2);
  CHECK(out["nextPageToken"] == "NTo1");
  REQUIRE(out["items"].size() == 2);
  CHECK(out["items"][0]["id"] == "4");
}

TEST_CASE("Dump replaces invalid UTF-8 instead of throwing", "[http][codec][encode]") {
  json value = {{"name", std::string("bad \xff byte")}};
  std::string text;
  CHECK_NOTHROW(text = Dump(value));
  CHECK(text.find("bad ") != std::string::npos);
  CHECK(text.find('\xff') == std::string::npos);
}

// ---- ParseBody -----------------------------------------------------------------------

std::string Nested(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += R"({"a":)";
  text += "1";
  for (int i = 0; i < depth; ++i) text += "}";
  return text;
}

TEST_CASE("ParseBody", "[http][codec][parse]") {
  SECTION("an empty body is EOF") {
    for (const char* body : {"", "   ", "\n\t "}) {
      Result<json> parsed = ParseBody(body);
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.status().code() == StatusCode::kInvalidArgument);
      CHECK(parsed.status().message() == "EOF");
    }
  }
  SECTION("invalid JSON and invalid UTF-8") {
    for (const char* body : {"{", "{\"name\":}", "{} {}", "{'a':1}", "{\"name\":\"\xff\"}",
                             "{\"name\":\"\xc3\x28\"}", "nope"}) {
      INFO(body);
      Result<json> parsed = ParseBody(body);
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.status().code() == StatusCode::kInvalidArgument);
    }
  }
  SECTION("only objects are request bodies") {
    for (const char* body : {"[]", "[{}]", "1", "\"s\"", "null", "true"}) {
      INFO(body);
      Result<json> parsed = ParseBody(body);
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.status().code() == StatusCode::kInvalidArgument);
    }
  }
  SECTION("nesting is limited to 64 levels") {
    Result<json> at_limit = ParseBody(Nested(64));
    CHECK(at_limit.ok());
    Result<json> over = ParseBody(Nested(65));
    REQUIRE_FALSE(over.ok());
    CHECK(over.status().code() == StatusCode::kInvalidArgument);
    Result<json> deep = ParseBody(Nested(100000));
    REQUIRE_FALSE(deep.ok());
    CHECK(deep.status().code() == StatusCode::kInvalidArgument);
    // Brackets inside strings do not count.
    std::string in_string = "{\"a\":\"" + std::string(200, '[') + "\\\"{{{\"}";
    Result<json> quoted = ParseBody(in_string);
    REQUIRE(quoted.ok());
    CHECK((*quoted)["a"] == std::string(200, '[') + "\"{{{");
  }
  SECTION("valid objects parse") {
    Result<json> parsed = ParseBody(R"( {"name":"m","n":[1,2]} )");
    REQUIRE(parsed.ok());
    CHECK(*parsed == J(R"({"name":"m","n":[1,2]})"));
  }
}

// ---- v1 wire profile --------------------------------------------------------------------

TEST_CASE("v1 writes and reads Metric.step as an int64 string", "[http][codec][v1]") {
  Result<EntityDraft> draft =
      DecodeDraft(J(R"({"artifactType":"metric","value":1,"step":"-9000000000"})"),
                  K::kModelArtifact, BodyMode::kOneOf, false, kV1);
  REQUIRE(draft.ok());
  CHECK(std::get<int64_t>(draft->fields.at("step")) == -9000000000);
  for (const char* bad : {R"({"artifactType":"metric","value":1,"step":3})",
                          R"({"artifactType":"metric","value":1,"step":"3.5"})",
                          R"({"artifactType":"metric","value":1,"step":"9223372036854775808"})",
                          R"({"artifactType":"metric","value":1,"step":""})"}) {
    CAPTURE(bad);
    Result<EntityDraft> rejected =
        DecodeDraft(J(bad), K::kModelArtifact, BodyMode::kOneOf, false, kV1);
    REQUIRE_FALSE(rejected.ok());
    CHECK(rejected.status().code() == StatusCode::kInvalidArgument);
  }
  Entity metric;
  metric.kind = K::kMetric;
  metric.id = 3;
  metric.name = "loss";
  metric.create_time_ms = metric.update_time_ms = 5;
  metric.fields = {{"step", int64_t{12345678901}}, {"value", 0.25}};
  CHECK(EncodeEntity(metric, kV1) ==
        J(R"({"id":"3","name":"loss","createTimeSinceEpoch":"5","lastUpdateTimeSinceEpoch":"5",
              "artifactType":"metric","step":"12345678901","value":0.25})"));
  CHECK(EncodeEntity(metric, kV1Alpha3) ==
        J(R"({"id":"3","name":"loss","createTimeSinceEpoch":"5","lastUpdateTimeSinceEpoch":"5",
              "artifactType":"metric","step":12345678901,"value":0.25})"));
}

TEST_CASE("v1 artifacts have no experiment links", "[http][codec][v1]") {
  Entity doc;
  doc.kind = K::kDocArtifact;
  doc.id = 4;
  doc.name = "d";
  doc.create_time_ms = doc.update_time_ms = 5;
  doc.fields = {
      {"experimentId", int64_t{7}}, {"experimentRunId", int64_t{8}}, {"uri", std::string("u")}};
  CHECK(EncodeEntity(doc, kV1) ==
        J(R"({"id":"4","name":"d","createTimeSinceEpoch":"5","lastUpdateTimeSinceEpoch":"5",
              "artifactType":"doc-artifact","uri":"u"})"));
  CHECK(EncodeEntity(doc, kV1Alpha3)["experimentRunId"] == "8");
  // Strict bodies reject them as unknown on both versions; oneOf bodies ignore them.
  Result<EntityDraft> strict =
      DecodeDraft(J(R"({"experimentId":"7"})"), K::kModelArtifact, BodyMode::kCreate, false, kV1);
  REQUIRE_FALSE(strict.ok());
  CHECK(strict.status().message() == "json: unknown field \"experimentId\"");
  Result<EntityDraft> one_of =
      DecodeDraft(J(R"({"artifactType":"doc-artifact","experimentRunId":"8"})"), K::kModelArtifact,
                  BodyMode::kOneOf, false, kV1);
  REQUIRE(one_of.ok());
  CHECK(one_of->fields.empty());
}

TEST_CASE("ParseId reads any decimal int32", "[http][codec][ids]") {
  CHECK(ParseId("1") == std::optional<int64_t>(1));
  CHECK(ParseId("007") == std::optional<int64_t>(7));
  CHECK(ParseId("+5") == std::optional<int64_t>(5));
  CHECK(ParseId("0") == std::optional<int64_t>(0));
  CHECK(ParseId("-3") == std::optional<int64_t>(-3));
  CHECK(ParseId("2147483647") == std::optional<int64_t>(2147483647));
  CHECK(ParseId("-2147483648") == std::optional<int64_t>(-2147483648LL));
  for (const char* bad : {"", "2147483648", "-2147483649", "abc", "1.5", " 1", "1 ", "+-1", "-",
                          "+", "0x10", "1e3"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseId(bad).has_value());
  }
}

}  // namespace
}  // namespace mr::http
