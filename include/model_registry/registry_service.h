// File: model_registry/registry_service.h
//
// The domain: the rules of the registry, independent of HTTP and SQL. It
// validates drafts against the kind's FieldSpec, applies defaults, merges
// PATCHes, enforces parent existence and uniqueness semantics, implements the
// artifact upsert and metric history rules, and pages lists with opaque
// cursor tokens.
//
//   RegistryService service(repo);
//   EntityDraft draft;
//   draft.kind = EntityKind::kRegisteredModel;
//   draft.name = "fraud-detector";
//   Result<Entity> rm = service.Create(draft);
//
// Error codes returned by every method: kInvalidArgument (bad values),
// kMissingRequired (required field missing or empty), kNotFound, kAlreadyExists,
// kFailedPrecondition, kInternal/kUnavailable (storage). Messages follow the
// upstream server's wording (docs/api-behaviour.md §2).
//
// Thread-safety: thread-safe; holds no mutable state besides the repository.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model_registry/entity.h"
#include "model_registry/repository.h"
#include "model_registry/status.h"

namespace mr {

// List parameters as the API receives them (§7), already type-checked.
struct ListOptions {
  std::string filter_query;
  int32_t page_size = 0;  // <= 0, or above the maximum: the maximum page size
  OrderField order = OrderField::kId;
  bool descending = false;
  std::string next_page_token;  // empty: first page
  std::optional<std::string> name;
  std::optional<std::string> external_id;
  // Artifact lists: every visible kind unless artifact_kind narrows it.
  bool all_artifact_kinds = false;
  std::optional<EntityKind> artifact_kind;
  std::optional<std::string> name_contains;   // metric history only
  std::optional<std::vector<int64_t>> steps;  // metric history only
};

struct Page {
  std::vector<Entity> items;
  int32_t page_size = 0;
  std::string next_page_token;
};

// Which parent a list is scoped to.
struct ListScope {
  enum class Kind { kAll, kChildrenOf, kArtifactsOf };
  Kind kind = Kind::kAll;
  int64_t parent_id = 0;
  // Whether a missing parent is a 404 (true) or an empty list (false, §14
  // quirk-nested-lists-skip-parent-check).
  bool parent_must_exist = false;
  EntityKind parent_kind = EntityKind::kRegisteredModel;
};

struct FindQuery {
  std::optional<std::string> name;
  std::optional<std::string> external_id;
  std::optional<int64_t> parent_id;
};

struct UpsertResult {
  Entity entity;
  bool created_with_201 = false;  // §11.1: 201 only for new model/doc artifacts
};

// Limits the domain applies to every request.
struct RegistryServiceOptions {
  // The most items one list page holds. A list without pageSize, or with a
  // larger one, gets this many and a nextPageToken (README, "Deviations from
  // upstream"), so no request materialises a whole table.
  int32_t max_page_size = 1000;
};

// Who asks for a write: the authenticated principal's name, empty when
// authentication is off. Every write call takes one so that what changed can
// be attributed (the change history builds on it).
struct Actor {
  std::string name;
};

class RegistryService {
 public:
  explicit RegistryService(Repository& repository, RegistryServiceOptions options = {})
      : repo_(repository), options_(options) {}
  RegistryService(const RegistryService&) = delete;
  RegistryService& operator=(const RegistryService&) = delete;

  // Creates an entity from `draft` (defaults already applied by the caller
  // where the wire schema has them). A draft with `id` (full-model nested
  // bodies, §11.2) updates that entity instead.
  Result<Entity> Create(EntityDraft draft, const Actor& actor = {});

  // Returns the entity of `kind` with `id`; kNotFound if missing or another kind.
  Result<Entity> Get(EntityKind kind, int64_t id);
  // Returns the visible artifact of any kind with `id`.
  Result<Entity> GetArtifact(int64_t id);

  // Merges `patch` into the stored entity (§10; absent fields keep their value).
  Result<Entity> Update(EntityKind kind, int64_t id, const EntityDraft& patch,
                        const Actor& actor = {});
  // PATCH /artifacts/{id}: the draft's kind must equal the stored kind.
  Result<Entity> UpdateArtifact(int64_t id, const EntityDraft& patch, const Actor& actor = {});

  // Lists `kind`, or the artifact kinds chosen by options.all_artifact_kinds
  // and options.artifact_kind.
  Result<Page> List(EntityKind kind, const ListScope& scope, const ListOptions& options);

  // Finds exactly one entity of `kind` (§9): by name (and parent, for child
  // kinds) or by externalId. Zero or several matches are kNotFound.
  Result<Entity> Find(EntityKind kind, const FindQuery& query);
  // Finds exactly one visible artifact of any kind attached to the parent (by
  // name) or by externalId. With `must_be`, the match must be of that kind
  // (404 otherwise; GET /model_artifact).
  Result<Entity> FindArtifact(const FindQuery& query, std::optional<EntityKind> must_be);

  // POST /model_versions/{id}/artifacts and /experiment_runs/{id}/artifacts (§11.1).
  Result<UpsertResult> UpsertArtifact(EntityKind parent_kind, int64_t parent_id, EntityDraft draft,
                                      const Actor& actor = {});

  // GET /inference_services/{id}/model and /version (§5.8).
  Result<Entity> InferenceServiceModel(int64_t inference_service_id);
  Result<Entity> InferenceServiceVersion(int64_t inference_service_id);

  // Metric history of one run (run_id set; 404 if missing) or of all runs.
  Result<Page> MetricHistory(std::optional<int64_t> run_id, const ListOptions& options);

  Status CheckHealth();
  // The storage backend's statistics (GET /metrics).
  std::vector<StorageStat> StorageStats();

 private:
  Status Validate(const Entity& entity) const;
  Result<Entity> UpdateInTx(WriteTransaction& tx, EntityKind kind, int64_t id,
                            const EntityDraft& patch);
  Result<Page> ListWith(ListQuery query, const ListOptions& options);
  Result<Entity> FindOne(ListQuery query, const FindQuery& find, bool is_child,
                         const std::string& plural);

  Repository& repo_;
  const RegistryServiceOptions options_;
};

// Encodes and decodes the opaque page token (base64 of "<id>:<sortValue>").
std::string EncodePageToken(const Cursor& cursor);
Result<Cursor> DecodePageToken(const std::string& token);

// Returns a random RFC 4122 version-4 UUID string.
std::string NewUuid();

}  // namespace mr
