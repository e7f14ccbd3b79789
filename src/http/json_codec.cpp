#include "http/json_codec.h"

#include <climits>
#include <cmath>
#include <set>

#include "common/base64.h"
#include "common/decimal.h"
#include "http/json_writer.h"
#include "model_registry/entity_spec.h"

namespace mr::http {
namespace {

using json = nlohmann::json;

const char* JsonTypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "number";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    default:
      return "null";
  }
}

Status WrongType(const json& v, std::string_view field, const char* want) {
  return Status::InvalidArgument("json: cannot unmarshal " + std::string(JsonTypeName(v)) +
                                 " into field " + std::string(field) + " of type " + want);
}

Result<std::string> AsString(const json& v, std::string_view field) {
  if (!v.is_string()) return WrongType(v, field, "string");
  return v.get<std::string>();
}

// Depth of JSON nesting, counted outside strings, so the parser never sees
// input deep enough to exhaust the stack.
int NestingDepth(std::string_view text) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

// Decodes one payload key (`string_value`, `int_value`, ...) of a
// MetadataValue into the variant it belongs to.
Result<MetadataValue> DecodePayload(const std::string& key, const std::string& payload_key,
                                    const json& p) {
  if (payload_key == "string_value") {
    MR_ASSIGN_OR_RETURN(std::string s, AsString(p, "string_value"));
    return MetadataValue::String(std::move(s));
  }
  if (payload_key == "int_value") {
    MR_ASSIGN_OR_RETURN(std::string s, AsString(p, "int_value"));
    // At most nine digits: always an int32 (upstream's limit) and always
    // readable by the official client, whose model accepts ^-?[0-9]{1,9}$
    // after normalisation; a ten-digit int32 would be stored but unreadable.
    size_t digits_start = !s.empty() && s[0] == '-' ? 1 : 0;
    size_t digits = s.size() - digits_start;
    bool all_digits = digits >= 1 && digits <= 9 &&
                      s.find_first_not_of("0123456789", digits_start) == std::string::npos;
    std::optional<int64_t> n = all_digits ? ParseDecimal(s) : std::nullopt;
    if (!n) {
      return Status::InvalidArgument("unable to decode as int32 \"" + s + "\" for key " + key +
                                     ": expected at most nine decimal digits");
    }
    return MetadataValue::Int(*n);
  }
  if (payload_key == "double_value") {
    if (!p.is_number()) return WrongType(p, "double_value", "float64");
    return MetadataValue::Double(p.get<double>());
  }
  if (payload_key == "bool_value") {
    if (!p.is_boolean()) return WrongType(p, "bool_value", "bool");
    return MetadataValue::Bool(p.get<bool>());
  }
  // struct_value
  MR_ASSIGN_OR_RETURN(std::string s, AsString(p, "struct_value"));
  std::optional<std::string> decoded = Base64Decode(s);
  if (!decoded) {
    return Status::InvalidArgument("struct_value for key " + key + " is not valid base64");
  }
  json parsed = json::parse(*decoded, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || NestingDepth(*decoded) > kMaxJsonDepth) {
    return Status::InvalidArgument("struct_value for key " + key +
                                   " is not a base64-encoded JSON object");
  }
  return MetadataValue::Struct(Dump(parsed));
}

Result<MetadataValue> DecodeMetadataValue(const std::string& key, const json& v) {
  if (!v.is_object()) return WrongType(v, "customProperties." + key, "MetadataValue");
  auto type_it = v.find("metadataType");
  if (type_it == v.end() || !type_it->is_string()) {
    return Status::InvalidArgument("metadataType not found or not a string for key " + key);
  }
  // metadataType -> the payload key it reads, and the value when that key is absent.
  struct Variant {
    const char* type;
    const char* payload_key;
    MetadataValue zero;
  };
  static const Variant kVariants[] = {
      {"MetadataStringValue", "string_value", MetadataValue::String("")},
      {"MetadataIntValue", "int_value", MetadataValue::Int(0)},
      {"MetadataDoubleValue", "double_value", MetadataValue::Double(0)},
      {"MetadataBoolValue", "bool_value", MetadataValue::Bool(false)},
      {"MetadataStructValue", "struct_value", MetadataValue::Struct("{}")}};
  const std::string& type = type_it->get_ref<const std::string&>();
  const Variant* chosen = nullptr;
  for (const Variant& variant : kVariants) {
    if (type == variant.type) chosen = &variant;
  }
  if (chosen == nullptr) {
    return Status::InvalidArgument("metadataType not found: unsupported metadataType " + type +
                                   " for key " + key);
  }
  // Payload keys that metadataType does not read are still checked against
  // what our spec states for them (JSON type; int_value's digits), so an
  // invalid one is a 400 rather than silently dropped. The struct rule (base64
  // of a JSON object) is a format only the read struct_value must meet.
  // null means "not supplied".
  MetadataValue result = chosen->zero;
  for (const Variant& variant : kVariants) {
    auto it = v.find(variant.payload_key);
    if (it == v.end() || it->is_null()) continue;
    if (&variant != chosen && variant.zero.type == MetadataValue::Type::kStruct) {
      if (!it->is_string()) return WrongType(*it, "struct_value", "string");
      continue;
    }
    MR_ASSIGN_OR_RETURN(MetadataValue decoded, DecodePayload(key, variant.payload_key, *it));
    if (&variant == chosen) result = std::move(decoded);
  }
  return result;
}

Result<CustomProperties> DecodeCustomProperties(const json& v) {
  if (!v.is_object()) return WrongType(v, "customProperties", "map");
  CustomProperties out;
  for (const auto& [key, value] : v.items()) {
    MR_ASSIGN_OR_RETURN(MetadataValue m, DecodeMetadataValue(key, value));
    out.emplace(key, std::move(m));
  }
  return out;
}

Result<FieldValue> DecodeField(const FieldSpec& field, const json& v, const WireProfile& profile) {
  std::string_view name = field.json_name;
  switch (field.type) {
    case FieldType::kString:
    case FieldType::kEnum:
    case FieldType::kInt64String: {
      MR_ASSIGN_OR_RETURN(std::string s, AsString(v, name));
      return FieldValue(std::move(s));
    }
    case FieldType::kId: {
      MR_ASSIGN_OR_RETURN(std::string s, AsString(v, name));
      std::optional<int64_t> id = ParseId(s);
      if (!id) {
        return Status::InvalidArgument("invalid " + std::string(name) + " \"" + s +
                                       "\": must be a decimal int32 id");
      }
      return FieldValue(*id);
    }
    case FieldType::kInt32: {
      if (profile.integers_as_strings) {
        MR_ASSIGN_OR_RETURN(std::string s, AsString(v, name));
        std::optional<int64_t> n = ParseDecimal(s);
        if (!n) {
          return Status::InvalidArgument("invalid " + std::string(name) + " \"" + s +
                                         "\": must be a decimal int64");
        }
        return FieldValue(*n);
      }
      if (!v.is_number_integer()) return WrongType(v, name, "int32");
      if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT32_MAX)) {
        return WrongType(v, name, "int32");
      }
      int64_t n = v.get<int64_t>();
      if (n < INT32_MIN || n > INT32_MAX) return WrongType(v, name, "int32");
      return FieldValue(n);
    }
    case FieldType::kDouble:
      if (!v.is_number()) return WrongType(v, name, "float64");
      return FieldValue(v.get<double>());
    case FieldType::kStringList: {
      if (!v.is_array()) return WrongType(v, name, "[]string");
      std::vector<std::string> items;
      for (const json& item : v) {
        MR_ASSIGN_OR_RETURN(std::string s, AsString(item, name));
        items.push_back(std::move(s));
      }
      return FieldValue(std::move(items));
    }
  }
  return Status::Internal("unhandled field type");
}

bool Accepts(const FieldSpec& field, BodyMode mode) {
  switch (mode) {
    case BodyMode::kCreate:
      return field.in_create;
    case BodyMode::kUpdate:
      return field.in_update;
    case BodyMode::kFull:
      return field.in_create || field.in_update;
    case BodyMode::kOneOf:
      break;
  }
  // Server-set experiment linkage is ignored in oneOf bodies (docs/api-behaviour.md §11.3).
  return field.in_create || field.in_update;
}

std::string InvalidArtifactType() {
  return "invalid artifact type, must be either ModelArtifact, DocArtifact, DataSet, Metric, or "
         "Parameter";
}

}  // namespace

std::optional<int64_t> ParseId(std::string_view text) { return ParseInt32(text); }

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<json> ParseBody(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Status::InvalidArgument("EOF");
  }
  if (NestingDepth(body) > kMaxJsonDepth) {
    return Status::InvalidArgument("JSON nesting exceeds the maximum depth of " +
                                   std::to_string(kMaxJsonDepth));
  }
  try {
    json parsed = json::parse(body.begin(), body.end());
    if (!parsed.is_object()) {
      return Status::InvalidArgument("json: cannot unmarshal " + std::string(JsonTypeName(parsed)) +
                                     " into a request object");
    }
    return parsed;
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("invalid JSON: ") + e.what());
  }
}

Result<EntityDraft> DecodeDraft(const json& body, EntityKind kind, BodyMode mode,
                                bool apply_defaults, const WireProfile& profile) {
  EntityDraft draft;
  draft.kind = kind;
  const bool lenient = mode == BodyMode::kOneOf;
  if (lenient) {
    auto type_it = body.find("artifactType");
    if (type_it == body.end() || !type_it->is_string()) {
      return Status::InvalidArgument(InvalidArtifactType());
    }
    std::optional<EntityKind> chosen = ArtifactKindFromType(type_it->get<std::string>());
    if (!chosen) return Status::InvalidArgument(InvalidArtifactType());
    draft.kind = *chosen;
  }
  const EntitySpec& spec = SpecFor(draft.kind);

  for (const auto& [key, value] : body.items()) {
    if (value.is_null()) continue;  // null means "not supplied" (§2.3)
    if (key == "name" && (mode != BodyMode::kUpdate)) {
      MR_ASSIGN_OR_RETURN(draft.name, AsString(value, key));
    } else if (key == "externalId") {
      MR_ASSIGN_OR_RETURN(draft.external_id, AsString(value, key));
    } else if (key == "description") {
      MR_ASSIGN_OR_RETURN(draft.description, AsString(value, key));
    } else if (key == "customProperties") {
      MR_ASSIGN_OR_RETURN(draft.custom_properties, DecodeCustomProperties(value));
    } else if (key == "artifactType" && spec.IsArtifact()) {
      // The oneOf discriminator was read above; a strict body names its kind
      // by its route, and its artifactType is a free string (§5.5).
      MR_ASSIGN_OR_RETURN(std::string ignored, AsString(value, key));
    } else if ((mode == BodyMode::kFull || lenient) && key == "id") {
      MR_ASSIGN_OR_RETURN(std::string s, AsString(value, key));
      std::optional<int64_t> id = ParseId(s);
      if (!id) {
        return Status::InvalidArgument("invalid id \"" + s + "\": must be a decimal int32 id");
      }
      draft.id = *id;
    } else if ((mode == BodyMode::kFull || lenient) &&
               (key == "createTimeSinceEpoch" || key == "lastUpdateTimeSinceEpoch")) {
      // Read-only; full-model bodies accept and ignore them (§0).
      MR_ASSIGN_OR_RETURN(std::string ignored, AsString(value, key));
    } else if (const FieldSpec* field = spec.Field(key);
               field != nullptr && Accepts(*field, mode) &&
               (profile.writes_experiment_links || !field->experiment_link)) {
      // An empty reference counts as not supplied, so a required one gives
      // 422 rather than a parse error (§2.3).
      if (field->type == FieldType::kId && value.is_string() &&
          value.get_ref<const std::string&>().empty()) {
        continue;
      }
      MR_ASSIGN_OR_RETURN(FieldValue decoded, DecodeField(*field, value, profile));
      if (field->storage == FieldStorage::kParentId) {
        draft.parent_id = std::get<int64_t>(decoded);
      } else {
        draft.fields[key] = std::move(decoded);
      }
    } else if (!lenient) {
      return Status::InvalidArgument("json: unknown field \"" + key + "\"");
    }
  }

  // oneOf bodies take no defaults; only strict schemas declare them (§2.3).
  if (apply_defaults && !lenient) {
    for (const FieldSpec& field : spec.fields) {
      if (field.default_value.empty() || draft.fields.count(std::string(field.json_name))) {
        continue;
      }
      draft.fields[std::string(field.json_name)] = std::string(field.default_value);
    }
  }
  return draft;
}

namespace {

void WriteMetadataValue(JsonWriter& w, const MetadataValue& v) {
  w.BeginObject();
  switch (v.type) {
    case MetadataValue::Type::kInt:
      w.Key("int_value");
      w.String(std::to_string(v.int_value));
      w.Key("metadataType");
      w.String("MetadataIntValue");
      break;
    case MetadataValue::Type::kDouble:
      w.Key("double_value");
      w.Double(std::isfinite(v.double_value) ? v.double_value : 0);
      w.Key("metadataType");
      w.String("MetadataDoubleValue");
      break;
    case MetadataValue::Type::kBool:
      w.Key("bool_value");
      w.Bool(v.bool_value);
      w.Key("metadataType");
      w.String("MetadataBoolValue");
      break;
    case MetadataValue::Type::kStruct:
      // Upstream emits the struct's JSON text, not base64 (§14 quirk-struct-out-as-json).
      w.Key("metadataType");
      w.String("MetadataStructValue");
      w.Key("struct_value");
      w.String(v.string_value);
      break;
    case MetadataValue::Type::kString:
      w.Key("metadataType");
      w.String("MetadataStringValue");
      w.Key("string_value");
      w.String(v.string_value);
      break;
  }
  w.EndObject();
}

void WriteEntity(JsonWriter& w, const Entity& e, const WireProfile& profile) {
  const EntitySpec& spec = SpecFor(e.kind);
  w.BeginObject();
  w.Key("id");
  w.String(std::to_string(e.id));
  w.Key("name");
  w.String(e.name);
  if (e.external_id) {
    w.Key("externalId");
    w.String(*e.external_id);
  }
  if (e.description) {
    w.Key("description");
    w.String(*e.description);
  }
  w.Key("createTimeSinceEpoch");
  w.String(std::to_string(e.create_time_ms));
  w.Key("lastUpdateTimeSinceEpoch");
  w.String(std::to_string(e.update_time_ms));
  if (!spec.artifact_type.empty()) {
    w.Key("artifactType");
    w.String(spec.artifact_type);
  }
  if (!e.custom_properties.empty()) {
    w.Key("customProperties");
    w.BeginObject();
    for (const auto& [key, value] : e.custom_properties) {
      w.Key(key);
      WriteMetadataValue(w, value);
    }
    w.EndObject();
  }
  // Walk the stored fields (few) rather than the spec (many), so no key
  // strings are built per response.
  for (const auto& [name, v] : e.fields) {
    const FieldSpec* spec_field = spec.Field(name);
    if (spec_field == nullptr || !spec_field->output ||
        (spec_field->experiment_link && !profile.writes_experiment_links)) {
      continue;
    }
    const FieldSpec& field = *spec_field;
    switch (field.type) {
      case FieldType::kId:
        // Any stored reference is written, 0 and negative ones too: unchecked
        // references (an inference service's) keep whatever int32 was sent.
        w.Key(field.json_name);
        w.String(std::to_string(std::get<int64_t>(v)));
        break;
      case FieldType::kInt32:
        w.Key(field.json_name);
        if (profile.integers_as_strings) {
          w.String(std::to_string(std::get<int64_t>(v)));
        } else {
          w.Int(std::get<int64_t>(v));
        }
        break;
      case FieldType::kDouble:
        if (std::isfinite(std::get<double>(v))) {
          w.Key(field.json_name);
          w.Double(std::get<double>(v));
        }
        break;
      case FieldType::kStringList: {
        const auto& items = std::get<std::vector<std::string>>(v);
        if (items.empty()) break;
        w.Key(field.json_name);
        w.BeginArray();
        for (const std::string& item : items) w.String(item);
        w.EndArray();
        break;
      }
      default:
        w.Key(field.json_name);
        w.String(std::get<std::string>(v));
    }
  }
  w.EndObject();
}

}  // namespace

std::string EntityJson(const Entity& entity, const WireProfile& profile) {
  std::string out;
  out.reserve(512);
  JsonWriter w(out);
  WriteEntity(w, entity, profile);
  return out;
}

std::string PageJson(const Page& page, const WireProfile& profile) {
  std::string out;
  out.reserve(128 + 512 * page.items.size());
  JsonWriter w(out);
  w.BeginObject();
  w.Key("items");
  w.BeginArray();
  for (const Entity& e : page.items) WriteEntity(w, e, profile);
  w.EndArray();
  w.Key("nextPageToken");
  w.String(page.next_page_token);
  w.Key("pageSize");
  w.Int(page.page_size);
  w.Key("size");
  w.Int(static_cast<int64_t>(page.items.size()));
  w.EndObject();
  return out;
}

json EncodeEntity(const Entity& entity, const WireProfile& profile) {
  return json::parse(EntityJson(entity, profile));
}
json EncodePage(const Page& page, const WireProfile& profile) {
  return json::parse(PageJson(page, profile));
}

}  // namespace mr::http
