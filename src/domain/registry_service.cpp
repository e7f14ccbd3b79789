#include "model_registry/registry_service.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <random>

#include "common/base64.h"
#include "common/decimal.h"
#include "model_registry/entity_spec.h"

namespace mr {
namespace {

// Upstream stores child names as "<parentId>:<name>" in a VARCHAR(255)
// (docs/api-behaviour.md §2.3). We use flat limits a client can check without knowing ids: 255 for
// top-level names, 250 for names scoped by a parent and for artifacts (upstream's
// suite expects a 250-character version name to pass and 255 to fail).
constexpr size_t kMaxTopLevelNameLength = 255;
constexpr size_t kMaxScopedNameLength = 250;
constexpr size_t kMaxExternalIdLength = 255;

std::string NotFoundForId(EntityKind kind, int64_t id) {
  return "no " + std::string(SpecFor(kind).display_name) + " found for id " + std::to_string(id);
}

bool IsEmptyValue(const FieldValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return s->empty();
  return false;
}

const std::string* StringField(const Entity& e, const char* name) {
  auto it = e.fields.find(name);
  if (it == e.fields.end()) return nullptr;
  return std::get_if<std::string>(&it->second);
}

std::optional<int64_t> IdField(const Entity& e, const char* name) {
  auto it = e.fields.find(name);
  if (it == e.fields.end()) return std::nullopt;
  if (const auto* v = std::get_if<int64_t>(&it->second)) return *v;
  return std::nullopt;
}

int64_t SortValue(const Entity& e, OrderField order) {
  switch (order) {
    case OrderField::kCreateTime:
      return e.create_time_ms;
    case OrderField::kLastUpdateTime:
      return e.update_time_ms;
    case OrderField::kId:
      break;
  }
  return e.id;
}

// Applies the present members of `patch` to `entity` (§10): absent members
// keep the stored value; customProperties, when present, replace the map.
void Merge(Entity& entity, const EntityDraft& patch) {
  const EntitySpec& spec = SpecFor(entity.kind);
  if (patch.external_id) entity.external_id = patch.external_id;
  if (patch.description) entity.description = patch.description;
  for (const auto& [name, value] : patch.fields) {
    const FieldSpec* field = spec.Field(name);
    // Immutable fields are silently kept; strict bodies never carry them.
    if (field == nullptr || !field->in_update) continue;
    entity.fields[name] = value;
  }
  if (patch.custom_properties) entity.custom_properties = *patch.custom_properties;
}

// Builds a not-yet-stored entity from a create draft under `parent_id`.
Entity NewEntity(const EntityDraft& draft, int64_t parent_id) {
  const EntitySpec& spec = SpecFor(draft.kind);
  Entity entity;
  entity.kind = draft.kind;
  entity.name = draft.name && !draft.name->empty() ? *draft.name : NewUuid();
  entity.external_id = draft.external_id;
  entity.description = draft.description;
  entity.fields = draft.fields;
  if (draft.custom_properties) entity.custom_properties = *draft.custom_properties;
  entity.parent_id = parent_id;
  // Kinds whose names are never unique, and artifacts created without a
  // parent (§8), get a private scope so the uniqueness constraint never bites.
  if (!spec.name_unique || (spec.IsArtifact() && parent_id == 0)) entity.name_scope = NewUuid();
  for (const FieldSpec& field : spec.fields) {
    if (field.storage == FieldStorage::kParentId) {
      entity.fields[std::string(field.json_name)] = parent_id;
    }
  }
  return entity;
}

// An update's time: the wall clock, but always after the entity's previous
// update, so lastUpdateTimeSinceEpoch grows on every update even within one
// millisecond (README, "Timestamps").
int64_t UpdateTime(WriteTransaction& tx, const Entity& stored) {
  return std::max(tx.NowMs(), stored.update_time_ms + 1);
}

// "endTimeSinceEpoch" -> "EndTimeSinceEpoch", as upstream's messages name fields.
std::string Capitalized(std::string_view name) {
  std::string out(name);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

// A field every stored state must have is missing: a 400 naming it the way
// upstream does ("metric value is required").
Status CheckAlwaysRequired(const EntitySpec& spec,
                           const std::map<std::string, FieldValue>& fields) {
  for (const FieldSpec& field : spec.fields) {
    if (field.always_required && fields.count(std::string(field.json_name)) == 0) {
      std::string_view owner = spec.IsArtifact() ? spec.artifact_type : spec.display_name;
      return Status::InvalidArgument(std::string(owner) + " " + std::string(field.json_name) +
                                     " is required");
    }
  }
  return Status::Ok();
}

// Checks every `not_before` ordering between two epoch fields of `entity`.
Status CheckTimeOrder(const Entity& entity) {
  for (const FieldSpec& field : SpecFor(entity.kind).fields) {
    if (field.not_before.empty()) continue;
    const std::string* later = StringField(entity, std::string(field.json_name).c_str());
    const std::string* earlier = StringField(entity, std::string(field.not_before).c_str());
    if (later == nullptr || earlier == nullptr) continue;
    std::optional<int64_t> l = ParseDecimal(*later);
    std::optional<int64_t> e = ParseDecimal(*earlier);
    if (l && e && *l < *e) {
      return Status::InvalidArgument(Capitalized(field.json_name) + " (" + *later +
                                     ") cannot be less than " + Capitalized(field.not_before) +
                                     " (" + *earlier + ")");
    }
  }
  return Status::Ok();
}

// Refuses to deploy a model version that is a gated or private Hugging Face
// model (§5.8).
Status CheckDeployable(const Entity& version) {
  auto gated = version.custom_properties.find("hf_gated");
  if (gated != version.custom_properties.end() &&
      gated->second.type == MetadataValue::Type::kString && gated->second.string_value != "false" &&
      !gated->second.string_value.empty()) {
    return Status::FailedPrecondition("cannot deploy gated HuggingFace model: model version " +
                                      std::to_string(version.id) + " is gated");
  }
  auto priv = version.custom_properties.find("hf_private");
  if (priv != version.custom_properties.end() &&
      priv->second.type == MetadataValue::Type::kString && priv->second.string_value == "true") {
    return Status::FailedPrecondition("cannot deploy private HuggingFace model: model version " +
                                      std::to_string(version.id) + " is private");
  }
  return Status::Ok();
}

}  // namespace

std::string NewUuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[37];
  snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
           static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
           static_cast<unsigned>(lo >> 48),
           static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

std::string EncodePageToken(const Cursor& cursor) {
  // Unpadded: a token pasted unencoded into a URL keeps working, since a
  // query parser may drop '=' characters.
  std::string token =
      Base64Encode(std::to_string(cursor.id) + ":" + std::to_string(cursor.sort_value));
  while (!token.empty() && token.back() == '=') token.pop_back();
  return token;
}

Result<Cursor> DecodePageToken(const std::string& token) {
  auto invalid = [&] { return Status::InvalidArgument("invalid nextPageToken: " + token); };
  if (token.size() > 1024) return invalid();
  // Accept tokens with or without their base64 padding.
  std::string padded = token;
  if (padded.find('=') == std::string::npos) padded.append((4 - padded.size() % 4) % 4, '=');
  std::optional<std::string> text = Base64Decode(padded);
  if (!text) return invalid();
  size_t colon = text->find(':');
  if (colon == std::string::npos) return invalid();
  std::optional<int64_t> id = ParseDecimal(text->substr(0, colon));
  std::optional<int64_t> value = ParseDecimal(text->substr(colon + 1));
  if (!id || !value || *id <= 0 || *id > INT32_MAX) return invalid();
  return Cursor{*id, *value};
}

Status RegistryService::Validate(const Entity& entity) const {
  const EntitySpec& spec = SpecFor(entity.kind);
  if (entity.name.empty()) return Status::MissingRequired("required field 'name' is zero value.");
  const size_t max_name =
      spec.parent_kind || spec.IsArtifact() ? kMaxScopedNameLength : kMaxTopLevelNameLength;
  if (entity.name.size() > max_name) {
    return Status::InvalidArgument("name is too long: a " + std::string(spec.display_name) +
                                   " name may have at most " + std::to_string(max_name) +
                                   " characters");
  }
  if (entity.external_id && entity.external_id->size() > kMaxExternalIdLength) {
    return Status::InvalidArgument("externalId is too long: at most " +
                                   std::to_string(kMaxExternalIdLength) + " characters");
  }
  for (const FieldSpec& field : spec.fields) {
    auto it = entity.fields.find(std::string(field.json_name));
    if (it == entity.fields.end()) continue;
    if (field.type == FieldType::kEnum) {
      const std::string& v = std::get<std::string>(it->second);
      if (std::find(field.enum_values.begin(), field.enum_values.end(), v) ==
          field.enum_values.end()) {
        return Status::InvalidArgument(v + " is not a valid value for " +
                                       std::string(field.json_name));
      }
    } else if (field.type == FieldType::kInt64String) {
      if (!ParseDecimal(std::get<std::string>(it->second))) {
        return Status::InvalidArgument("invalid " + std::string(field.json_name) + " \"" +
                                       std::get<std::string>(it->second) +
                                       "\": must be an integer");
      }
    }
  }
  MR_RETURN_IF_ERROR(CheckTimeOrder(entity));
  return CheckAlwaysRequired(spec, entity.fields);
}

Result<Entity> RegistryService::Create(EntityDraft draft, const Actor& actor) {
  const EntitySpec& spec = SpecFor(draft.kind);
  // Required-field check, on the decoded body (§2.3): "" counts as missing.
  if (spec.name_required && (!draft.name || draft.name->empty())) {
    return Status::MissingRequired("required field 'name' is zero value.");
  }
  for (const FieldSpec& field : spec.fields) {
    if (!field.required) continue;
    bool present = field.storage == FieldStorage::kParentId
                       ? draft.parent_id.has_value()
                       : draft.fields.count(std::string(field.json_name)) > 0 &&
                             !IsEmptyValue(draft.fields.at(std::string(field.json_name)));
    if (!present) {
      return Status::MissingRequired("required field '" + std::string(field.json_name) +
                                     "' is zero value.");
    }
  }

  Entity created;
  Status status = repo_.Write([&](WriteTransaction& tx) -> Status {
    if (draft.id) {
      // A full-model body with an id updates that entity (§11.2).
      MR_ASSIGN_OR_RETURN(created, UpdateInTx(tx, draft.kind, *draft.id, draft));
      return Status::Ok();
    }
    Entity entity = NewEntity(draft, draft.parent_id.value_or(0));
    MR_RETURN_IF_ERROR(Validate(entity));

    // Reference and parent checks, in upstream's order (§5.8 for serves).
    for (const FieldSpec& field : spec.fields) {
      if (!field.must_reference) continue;
      std::optional<int64_t> id = IdField(entity, std::string(field.json_name).c_str());
      Result<Entity> referenced = tx.Get(StorageOf(*field.must_reference), id.value_or(0));
      if (!referenced.ok() || referenced->kind != *field.must_reference) {
        if (referenced.ok() || referenced.status().code() == StatusCode::kNotFound) {
          return Status::NotFound(NotFoundForId(*field.must_reference, id.value_or(0)));
        }
        return referenced.status();
      }
      if (field.deploys_reference) MR_RETURN_IF_ERROR(CheckDeployable(*referenced));
    }
    if (spec.parent_kind && !spec.IsArtifact()) {
      Result<Entity> parent = tx.Get(StorageOf(*spec.parent_kind), entity.parent_id);
      if (!parent.ok() || parent->kind != *spec.parent_kind) {
        if (parent.ok() || parent.status().code() == StatusCode::kNotFound) {
          return Status::NotFound(NotFoundForId(*spec.parent_kind, entity.parent_id));
        }
        return parent.status();
      }
    }
    entity.create_time_ms = entity.update_time_ms = tx.NowMs();
    MR_RETURN_IF_ERROR(tx.Insert(entity));
    created = std::move(entity);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return created;
}

Result<Entity> RegistryService::Get(EntityKind kind, int64_t id) {
  Result<Entity> entity = repo_.Get(StorageOf(kind), id);
  if (!entity.ok()) {
    if (entity.status().code() == StatusCode::kNotFound) {
      return Status::NotFound(NotFoundForId(kind, id));
    }
    return entity.status();
  }
  if (entity->kind != kind) {
    if (SpecFor(kind).IsArtifact()) {
      return Status::NotFound("artifact with id " + std::to_string(id) + " is not a " +
                              std::string(SpecFor(kind).display_name));
    }
    return Status::NotFound(NotFoundForId(kind, id));
  }
  return entity;
}

Result<Entity> RegistryService::GetArtifact(int64_t id) {
  Result<Entity> entity = repo_.Get(StorageClass::kArtifact, id);
  if (!entity.ok() && entity.status().code() != StatusCode::kNotFound) return entity.status();
  // Metric history rows are only visible through the history endpoints.
  if (!entity.ok() || SpecFor(entity->kind).hidden) {
    return Status::NotFound("no artifact found for id " + std::to_string(id));
  }
  return entity;
}

Result<Entity> RegistryService::UpdateInTx(WriteTransaction& tx, EntityKind kind, int64_t id,
                                           const EntityDraft& patch) {
  Result<Entity> stored = tx.Get(StorageOf(kind), id);
  if (!stored.ok()) {
    if (stored.status().code() == StatusCode::kNotFound) {
      return Status::NotFound(NotFoundForId(kind, id));
    }
    return stored.status();
  }
  if (stored->kind != kind) return Status::NotFound(NotFoundForId(kind, id));
  Entity entity = std::move(stored).value();
  Merge(entity, patch);
  MR_RETURN_IF_ERROR(Validate(entity));
  entity.update_time_ms = UpdateTime(tx, entity);
  MR_RETURN_IF_ERROR(tx.Update(entity));
  return entity;
}

Result<Entity> RegistryService::Update(EntityKind kind, int64_t id, const EntityDraft& patch,
                                       const Actor& actor) {
  Entity updated;
  Status status = repo_.Write([&](WriteTransaction& tx) -> Status {
    MR_ASSIGN_OR_RETURN(updated, UpdateInTx(tx, kind, id, patch));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return updated;
}

Result<Entity> RegistryService::UpdateArtifact(int64_t id, const EntityDraft& patch,
                                               const Actor& actor) {
  Entity updated;
  Status status = repo_.Write([&](WriteTransaction& tx) -> Status {
    Result<Entity> stored = tx.Get(StorageClass::kArtifact, id);
    if (!stored.ok() || SpecFor(stored->kind).hidden) {
      if (stored.ok() || stored.status().code() == StatusCode::kNotFound) {
        return Status::NotFound("no artifact found for id " + std::to_string(id));
      }
      return stored.status();
    }
    if (stored->kind != patch.kind) {
      return Status::InvalidArgument("cannot change artifact type from '" +
                                     std::string(SpecFor(stored->kind).artifact_type) + "' to '" +
                                     std::string(SpecFor(patch.kind).artifact_type) +
                                     "': artifact type is immutable");
    }
    MR_ASSIGN_OR_RETURN(updated, UpdateInTx(tx, stored->kind, id, patch));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return updated;
}

Result<Page> RegistryService::ListWith(ListQuery query, const ListOptions& options) {
  std::unique_ptr<filter::Expr> expr;
  if (!options.filter_query.empty()) {
    MR_ASSIGN_OR_RETURN(expr, filter::Parse(options.filter_query));
  }
  query.filter = expr.get();
  query.order = options.order;
  query.descending = options.descending;
  query.limit = options.page_size > 0 ? std::min(options.page_size, options_.max_page_size)
                                      : options_.max_page_size;
  if (!options.next_page_token.empty()) {
    MR_ASSIGN_OR_RETURN(Cursor cursor, DecodePageToken(options.next_page_token));
    query.after = cursor;
  }
  if (options.name) query.name = options.name;
  if (options.external_id && !options.name) query.external_id = options.external_id;
  MR_ASSIGN_OR_RETURN(ListPage page, repo_.List(query));
  Page out;
  out.page_size = options.page_size;
  if (page.has_more && !page.items.empty()) {
    const Entity& last = page.items.back();
    out.next_page_token = EncodePageToken(Cursor{last.id, SortValue(last, options.order)});
  }
  out.items = std::move(page.items);
  return out;
}

Result<Page> RegistryService::List(EntityKind kind, const ListScope& scope,
                                   const ListOptions& options) {
  ListQuery query;
  query.kinds = {kind};
  query.filter_kind = kind;
  if (options.all_artifact_kinds) {
    // Filter names resolve against ModelArtifact unless artifactType is set (§6.5).
    query.kinds = VisibleArtifactKinds();
    query.filter_kind = EntityKind::kModelArtifact;
  }
  if (options.artifact_kind) {
    query.kinds = {*options.artifact_kind};
    query.filter_kind = *options.artifact_kind;
  }
  if (scope.kind != ListScope::Kind::kAll && scope.parent_must_exist) {
    MR_RETURN_IF_ERROR(Get(scope.parent_kind, scope.parent_id).status());
  }
  if (scope.kind == ListScope::Kind::kChildrenOf) query.parent_id = scope.parent_id;
  if (scope.kind == ListScope::Kind::kArtifactsOf) query.linked_context_id = scope.parent_id;
  return ListWith(std::move(query), options);
}

Result<Entity> RegistryService::FindOne(ListQuery query, const FindQuery& find, bool is_child,
                                        const std::string& plural) {
  query.limit = 2;
  if (find.name && (!is_child || find.parent_id)) {
    query.name = find.name;
  } else if (find.external_id) {
    query.parent_id.reset();
    query.linked_context_id.reset();
    query.external_id = find.external_id;
  } else if (is_child) {
    return Status::InvalidArgument(
        "invalid parameters call, supply either (name and parentResourceId), or externalId");
  } else {
    return Status::InvalidArgument("invalid parameters call, supply either name or externalId");
  }
  MR_ASSIGN_OR_RETURN(ListPage page, repo_.List(query));
  std::string criteria = "name=" + find.name.value_or("");
  if (is_child) {
    criteria += ", parentResourceId=" + (find.parent_id ? std::to_string(*find.parent_id) : "");
  }
  criteria += ", externalId=" + find.external_id.value_or("");
  if (page.items.empty()) return Status::NotFound("no " + plural + " found for " + criteria);
  if (page.items.size() > 1) {
    return Status::NotFound("multiple " + plural + " found for " + criteria);
  }
  return std::move(page.items.front());
}

Result<Entity> RegistryService::Find(EntityKind kind, const FindQuery& find) {
  const EntitySpec& spec = SpecFor(kind);
  ListQuery query;
  query.kinds = {kind};
  query.filter_kind = kind;
  bool is_child = spec.parent_kind.has_value();
  if (is_child && find.parent_id) query.parent_id = find.parent_id;
  return FindOne(std::move(query), find, is_child, std::string(spec.plural_name));
}

Result<Entity> RegistryService::FindArtifact(const FindQuery& find,
                                             std::optional<EntityKind> must_be) {
  ListQuery query;
  query.kinds = VisibleArtifactKinds();
  query.filter_kind = must_be.value_or(EntityKind::kModelArtifact);
  if (find.parent_id) query.linked_context_id = find.parent_id;
  std::string plural = must_be ? std::string(SpecFor(*must_be).plural_name) : "artifacts";
  MR_ASSIGN_OR_RETURN(Entity found, FindOne(std::move(query), find, true, plural));
  if (must_be && found.kind != *must_be) {
    return Status::NotFound("artifact with id " + std::to_string(found.id) + " is not a " +
                            std::string(SpecFor(*must_be).display_name));
  }
  return found;
}

Result<UpsertResult> RegistryService::UpsertArtifact(EntityKind parent_kind, int64_t parent_id,
                                                     EntityDraft draft, const Actor& actor) {
  const EntitySpec& spec = SpecFor(draft.kind);
  MR_RETURN_IF_ERROR(CheckAlwaysRequired(spec, draft.fields));
  UpsertResult result;
  Status status = repo_.Write([&](WriteTransaction& tx) -> Status {
    Result<Entity> parent = tx.Get(StorageClass::kContext, parent_id);
    if (!parent.ok() || parent->kind != parent_kind) {
      if (parent.ok() || parent.status().code() == StatusCode::kNotFound) {
        return Status::NotFound(NotFoundForId(parent_kind, parent_id));
      }
      return parent.status();
    }
    bool under_run = parent_kind == EntityKind::kExperimentRun;
    if (under_run) {
      draft.fields["experimentId"] = parent->parent_id;
      draft.fields["experimentRunId"] = parent_id;
    }

    std::optional<int64_t> existing_id = draft.id;
    if (!existing_id && spec.upsert_updates_by_name && draft.name && !draft.name->empty()) {
      ListQuery same_name;
      same_name.kinds = {draft.kind};
      same_name.parent_id = parent_id;
      same_name.name = draft.name;
      same_name.limit = 1;
      MR_ASSIGN_OR_RETURN(ListPage found, tx.List(same_name));
      if (!found.items.empty()) existing_id = found.items.front().id;
    }

    if (existing_id) {
      Result<Entity> stored = tx.Get(StorageClass::kArtifact, *existing_id);
      if (!stored.ok() || stored->kind != draft.kind) {
        if (stored.ok() || stored.status().code() == StatusCode::kNotFound) {
          return Status::InvalidArgument("mismatched types, artifact with id " +
                                         std::to_string(*existing_id) + " is not a " +
                                         std::string(spec.display_name));
        }
        return stored.status();
      }
      Entity entity = std::move(stored).value();
      Merge(entity, draft);
      if (under_run) {
        entity.fields["experimentId"] = draft.fields["experimentId"];
        entity.fields["experimentRunId"] = draft.fields["experimentRunId"];
      }
      MR_RETURN_IF_ERROR(Validate(entity));
      entity.update_time_ms = UpdateTime(tx, entity);
      MR_RETURN_IF_ERROR(tx.Update(entity));
      MR_RETURN_IF_ERROR(tx.Link(parent_id, entity.id));
      result.entity = std::move(entity);
      result.created_with_201 = false;
    } else {
      Entity entity = NewEntity(draft, parent_id);
      MR_RETURN_IF_ERROR(Validate(entity));
      entity.create_time_ms = entity.update_time_ms = tx.NowMs();
      MR_RETURN_IF_ERROR(tx.Insert(entity));
      MR_RETURN_IF_ERROR(tx.Link(parent_id, entity.id));
      result.created_with_201 = spec.upsert_reports_created;
      result.entity = std::move(entity);
    }

    if (under_run && spec.history_kind) {
      // Every metric upsert under a run appends an immutable history record.
      Entity history = result.entity;
      history.kind = *spec.history_kind;
      history.id = 0;
      history.external_id.reset();
      history.parent_id = parent_id;
      history.name_scope = NewUuid();
      history.create_time_ms = history.update_time_ms = tx.NowMs();
      MR_RETURN_IF_ERROR(tx.Insert(history));
      MR_RETURN_IF_ERROR(tx.Link(parent_id, history.id));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return result;
}

Result<Entity> RegistryService::InferenceServiceModel(int64_t inference_service_id) {
  MR_ASSIGN_OR_RETURN(Entity service, Get(EntityKind::kInferenceService, inference_service_id));
  std::optional<int64_t> model_id = IdField(service, "registeredModelId");
  return Get(EntityKind::kRegisteredModel, model_id.value_or(0));
}

Result<Entity> RegistryService::InferenceServiceVersion(int64_t inference_service_id) {
  MR_ASSIGN_OR_RETURN(Entity service, Get(EntityKind::kInferenceService, inference_service_id));
  if (std::optional<int64_t> version_id = IdField(service, "modelVersionId")) {
    return Get(EntityKind::kModelVersion, *version_id);
  }
  std::optional<int64_t> model_id = IdField(service, "registeredModelId");
  Result<Entity> latest = repo_.Latest(EntityKind::kModelVersion, model_id.value_or(0));
  if (!latest.ok() && latest.status().code() == StatusCode::kNotFound) {
    return Status::NotFound("no model versions found for id " +
                            std::to_string(inference_service_id));
  }
  return latest;
}

Result<Page> RegistryService::MetricHistory(std::optional<int64_t> run_id,
                                            const ListOptions& options) {
  ListQuery query;
  query.kinds = {EntityKind::kMetricHistory};
  query.filter_kind = EntityKind::kMetric;
  if (run_id) {
    Result<Entity> run = Get(EntityKind::kExperimentRun, *run_id);
    if (!run.ok()) {
      if (run.status().code() == StatusCode::kNotFound) {
        return Status::NotFound("experiment run not found: " + run.status().message());
      }
      return run.status();
    }
    query.parent_id = *run_id;
  }
  query.name_contains = options.name;
  query.steps = options.steps;
  ListOptions without_name = options;
  without_name.name.reset();
  without_name.external_id.reset();
  return ListWith(std::move(query), without_name);
}

Status RegistryService::CheckHealth() { return repo_.CheckHealth(); }

std::vector<StorageStat> RegistryService::StorageStats() { return repo_.Stats(); }

}  // namespace mr
