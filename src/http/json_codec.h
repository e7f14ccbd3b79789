// JSON <-> domain, driven by the FieldSpec tables. The only place that knows
// the wire shapes of the *Create, *Update, full-model and artifact oneOf
// bodies (docs/api-behaviour.md §2.3, §3, §4).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "http/api_version.h"
#include "model_registry/entity.h"
#include "model_registry/registry_service.h"
#include "model_registry/status.h"

namespace mr::http {

enum class BodyMode {
  kCreate,  // strict *Create schema: unknown fields are 400
  kUpdate,  // strict *Update schema
  kFull,    // strict full-model schema of the nested creates (accepts id)
  kOneOf,   // artifact oneOf: artifactType picks the kind; unknown fields ignored
};

// Parses an entity id from a path, a body reference or a query parameter as
// upstream does: any decimal int32 (docs/api-behaviour.md §0.1). A valid id
// that names nothing (0, negative, unused) is the caller's 404, not a parse
// error; nullopt means the text is no int32 at all (400).
std::optional<int64_t> ParseId(std::string_view text);

// Parses a request body. Errors: kInvalidArgument for empty bodies, invalid
// JSON (including invalid UTF-8), nesting deeper than kMaxJsonDepth, and
// non-object bodies.
Result<nlohmann::json> ParseBody(std::string_view body);
inline constexpr int kMaxJsonDepth = 64;

// Decodes `body`, written in `profile`'s wire format, into a draft of `kind`
// (for kOneOf, `kind` is ignored and the discriminator decides). Strict
// bodies of one artifact kind (the typed model-artifact routes) take any
// string `artifactType` and ignore it. `apply_defaults` fills schema defaults
// for absent fields, as plain-struct create bodies do.
// Errors: kInvalidArgument with upstream's messages, e.g.
//   json: unknown field "x"
Result<EntityDraft> DecodeDraft(const nlohmann::json& body, EntityKind kind, BodyMode mode,
                                bool apply_defaults, const WireProfile& profile);

// Response bodies in `profile`'s wire format, written directly (see
// json_writer.h).
std::string EntityJson(const Entity& entity, const WireProfile& profile);
std::string PageJson(const Page& page, const WireProfile& profile);

// The same documents as nlohmann::json values, for tests and tools.
nlohmann::json EncodeEntity(const Entity& entity, const WireProfile& profile);
nlohmann::json EncodePage(const Page& page, const WireProfile& profile);

// Serialises for the wire: invalid UTF-8 is replaced, never thrown on.
std::string Dump(const nlohmann::json& value);

}  // namespace mr::http
