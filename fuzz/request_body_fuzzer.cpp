// libFuzzer target for request-body decoding: http::ParseBody followed by
// http::DecodeDraft for every entity kind, body mode and defaults setting,
// then the response encoder on whatever was accepted.
//
// Properties checked (abort on violation):
//   - Nothing crashes or throws, whatever the bytes (invalid UTF-8, NULs,
//     deep nesting, huge numbers, base64 struct values holding anything).
//   - ParseBody either yields a JSON object or fails with kInvalidArgument.
//   - DecodeDraft fails only with kInvalidArgument (a 400): a malformed body
//     must never be reported as a server error or a missing field.
//   - An accepted draft has the kind it was asked for (kOneOf: an artifact
//     kind chosen by `artifactType`), and every decoded field is declared by
//     that kind's FieldSpec table with a value of the declared type.
//   - Encoding an entity built from an accepted draft never throws, and its
//     serialised form parses back as a JSON object.
//
// Run: request_body_fuzzer -max_total_time=60 <scratch_corpus> fuzz/corpus/request_body
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <variant>

#include "http/json_codec.h"
#include "model_registry/entity_spec.h"

namespace {

using mr::EntityKind;
using mr::FieldType;
using mr::http::BodyMode;

constexpr BodyMode kModes[] = {BodyMode::kCreate, BodyMode::kUpdate, BodyMode::kFull,
                               BodyMode::kOneOf};

const char* ModeName(BodyMode mode) {
  switch (mode) {
    case BodyMode::kCreate:
      return "kCreate";
    case BodyMode::kUpdate:
      return "kUpdate";
    case BodyMode::kFull:
      return "kFull";
    case BodyMode::kOneOf:
      break;
  }
  return "kOneOf";
}

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "request_body_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

std::string Where(EntityKind kind, BodyMode mode, bool defaults) {
  return "kind=" + std::to_string(static_cast<int>(kind)) + " mode=" + ModeName(mode) +
         " defaults=" + (defaults ? "true" : "false");
}

// Whether `value` holds the variant alternative that `type` promises.
bool HoldsDeclaredType(FieldType type, const mr::FieldValue& value) {
  switch (type) {
    case FieldType::kString:
    case FieldType::kEnum:
    case FieldType::kInt64String:
      return std::holds_alternative<std::string>(value);
    case FieldType::kId:
    case FieldType::kInt32:
      return std::holds_alternative<int64_t>(value);
    case FieldType::kDouble:
      return std::holds_alternative<double>(value);
    case FieldType::kStringList:
      return std::holds_alternative<std::vector<std::string>>(value);
  }
  return false;
}

void CheckDraft(const mr::EntityDraft& draft, EntityKind requested, BodyMode mode,
                const std::string& where) {
  if (mode == BodyMode::kOneOf) {
    bool visible_artifact = false;
    for (EntityKind k : mr::VisibleArtifactKinds()) visible_artifact |= k == draft.kind;
    if (!visible_artifact) Fail("oneOf body decoded to a non-artifact kind", where);
  } else if (draft.kind != requested) {
    Fail("draft kind differs from the requested kind", where);
  }
  const mr::EntitySpec& spec = mr::SpecFor(draft.kind);
  for (const auto& [name, value] : draft.fields) {
    const mr::FieldSpec* field = spec.Field(name);
    if (field == nullptr) Fail("draft holds a field its spec does not declare", where + " " + name);
    if (!HoldsDeclaredType(field->type, value)) {
      Fail("draft field holds a value of the wrong type", where + " " + name);
    }
  }
  // Any int32 is a valid id; one that names nothing is the service's 404.
  if (draft.id && (*draft.id < INT32_MIN || *draft.id > INT32_MAX)) {
    Fail("draft id out of range", where + " " + std::to_string(*draft.id));
  }
}

// The response path: an entity carrying the draft's values must encode and
// serialise, and the serialised text must be valid JSON again.
void CheckEncodes(const mr::EntityDraft& draft, const mr::http::WireProfile& profile,
                  const std::string& where) {
  mr::Entity entity;
  entity.kind = draft.kind;
  entity.id = draft.id.value_or(1);
  entity.name = draft.name.value_or("");
  entity.external_id = draft.external_id;
  entity.description = draft.description;
  entity.fields = draft.fields;
  if (draft.custom_properties) entity.custom_properties = *draft.custom_properties;
  std::string text;
  try {
    text = mr::http::Dump(mr::http::EncodeEntity(entity, profile));
  } catch (const std::exception& e) {
    Fail("encoding an accepted draft threw", where + " " + e.what());
  }
  auto reparsed = mr::http::ParseBody(text);
  if (!reparsed.ok()) {
    Fail("encoded entity does not parse back",
         where + " " + reparsed.status().ToString() + "\n" + text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  mr::Result<nlohmann::json> parsed = [&] {
    try {
      return mr::http::ParseBody(body);
    } catch (const std::exception& e) {
      Fail("ParseBody threw", e.what());
    }
  }();
  if (!parsed.ok()) {
    if (parsed.status().code() != mr::StatusCode::kInvalidArgument) {
      Fail("ParseBody error with the wrong code", parsed.status().ToString());
    }
    return 0;
  }
  if (!parsed->is_object()) Fail("ParseBody accepted a non-object", std::string(body));

  for (EntityKind kind : mr::AllKinds()) {
    for (BodyMode mode : kModes) {
      // The oneOf decoder ignores the requested kind; one kind suffices.
      if (mode == BodyMode::kOneOf && kind != EntityKind::kModelArtifact) continue;
      for (bool defaults : {false, true}) {
        for (const mr::http::WireProfile* profile : mr::http::Profiles()) {
          const std::string where = Where(kind, mode, defaults) + " " + std::string(profile->name);
          mr::Result<mr::EntityDraft> draft = [&] {
            try {
              return mr::http::DecodeDraft(*parsed, kind, mode, defaults, *profile);
            } catch (const std::exception& e) {
              Fail("DecodeDraft threw", where + " " + e.what());
            }
          }();
          if (!draft.ok()) {
            if (draft.status().code() != mr::StatusCode::kInvalidArgument) {
              Fail("DecodeDraft error with the wrong code",
                   where + " " + draft.status().ToString());
            }
            continue;
          }
          CheckDraft(*draft, kind, mode, where);
          CheckEncodes(*draft, *profile, where);
        }
      }
    }
  }
  return 0;
}
