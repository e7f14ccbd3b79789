// The API as data: each row names an operation and builds its handler from a
// handful of generic factories (list, create, get, patch, find, upsert).
// Wire facts cite docs/api-behaviour.md sections.
#include "common/decimal.h"
#include "http/json_codec.h"
#include "http/router.h"
#include "model_registry/entity_spec.h"

namespace mr::http {
namespace {

using K = EntityKind;

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 1;  // skip the leading '/'
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// Parses a path id; anything but a decimal int32 is a 400 (§2.2).
Result<int64_t> ParsePathId(const std::string& text, K kind) {
  std::optional<int64_t> id = ParseId(text);
  if (!id) {
    return Status::InvalidArgument("invalid " + std::string(SpecFor(kind).display_name) +
                                   " ID: \"" + text + "\" is not a valid id");
  }
  return *id;
}

Result<std::optional<int64_t>> ParseOptionalId(const ApiRequest& req, const char* param) {
  std::optional<std::string> text = req.Query(param);
  if (!text || text->empty()) return std::optional<int64_t>();
  std::optional<int64_t> id = ParseId(*text);
  if (!id) {
    return Status::InvalidArgument("invalid " + std::string(param) + " \"" + *text +
                                   "\": must be a decimal int32 id");
  }
  return id;
}

// Which list parameters a route honours, beyond the common L set (§5.1).
struct ListFlags {
  bool all_artifact_kinds = false;
  bool name_and_external_id = false;
  bool artifact_type = false;
  bool metric_history = false;
};

Result<ListOptions> ParseListOptions(const ApiRequest& req, ListFlags flags) {
  ListOptions options;
  options.all_artifact_kinds = flags.all_artifact_kinds;
  options.filter_query = req.Query("filterQuery").value_or("");
  // pageSize is an integer: present means a number ("" too is a 400); absent
  // or 0 means the domain's maximum page size (RegistryServiceOptions).
  if (std::optional<std::string> size = req.Query("pageSize")) {
    std::optional<int64_t> value = ParseInt32(*size);
    if (!value) {
      return Status::InvalidArgument("invalid numeric string: pageSize \"" + *size +
                                     "\" is not an int32");
    }
    options.page_size = static_cast<int32_t>(*value);
  }
  // Unknown orderBy / sortOrder values fall back to the defaults (§7).
  std::string order = req.Query("orderBy").value_or("ID");
  if (order == "CREATE_TIME") {
    options.order = OrderField::kCreateTime;
  } else if (order == "LAST_UPDATE_TIME") {
    options.order = OrderField::kLastUpdateTime;
  }
  options.descending = req.Query("sortOrder").value_or("ASC") == "DESC";
  options.next_page_token = req.Query("nextPageToken").value_or("");
  if (flags.name_and_external_id || flags.metric_history) {
    if (auto name = req.Query("name"); name && !name->empty()) options.name = name;
  }
  if (flags.name_and_external_id) {
    if (auto ext = req.Query("externalId"); ext && !ext->empty()) options.external_id = ext;
  }
  if (flags.artifact_type) {
    if (auto type = req.Query("artifactType"); type && !type->empty()) {
      if (*type == "null") {
        return Status::InvalidArgument("invalid artifact type: empty or null value provided");
      }
      options.artifact_kind = ArtifactKindFromType(*type);
      if (!options.artifact_kind) return Status::InvalidArgument("invalid artifact type " + *type);
    }
  }
  if (flags.metric_history) {
    if (auto steps = req.Query("stepIds"); steps && !steps->empty()) {
      std::vector<int64_t> ids;
      size_t start = 0;
      while (start <= steps->size()) {
        size_t end = steps->find(',', start);
        if (end == std::string::npos) end = steps->size();
        std::string item = steps->substr(start, end - start);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!item.empty()) {
          std::optional<int64_t> value = ParseDecimal(item);
          if (!value) {
            return Status::InvalidArgument("invalid step ID '" + item +
                                           "': must be a valid integer");
          }
          ids.push_back(*value);
        }
        start = end + 1;
      }
      options.steps = std::move(ids);
    }
  }
  return options;
}

Result<ApiReply> EntityReply(const ApiRequest& req, int status, Result<Entity> entity) {
  if (!entity.ok()) return entity.status();
  return ApiReply{status, EntityJson(*entity, *req.profile)};
}

Result<ApiReply> PageReply(const ApiRequest& req, Result<Page> page) {
  if (!page.ok()) return page.status();
  return ApiReply{200, PageJson(*page, *req.profile)};
}

Result<EntityDraft> DecodeRequest(const ApiRequest& req, K kind, BodyMode mode, bool defaults) {
  MR_ASSIGN_OR_RETURN(nlohmann::json body, ParseBody(*req.body));
  return DecodeDraft(body, kind, mode, defaults, *req.profile);
}

// ---- handler factories ----------------------------------------------------

// GET collection. `parent` is the kind of the {id} path parameter, if any.
Handler List(K kind, ListScope::Kind scope_kind = ListScope::Kind::kAll,
             std::optional<K> parent = std::nullopt, bool parent_must_exist = false,
             ListFlags flags = {}) {
  return [=](RegistryService& service, const ApiRequest& req) -> Result<ApiReply> {
    ListScope scope;
    scope.kind = scope_kind;
    if (parent) {
      MR_ASSIGN_OR_RETURN(scope.parent_id, ParsePathId(req.path_params.at(0), *parent));
      scope.parent_kind = *parent;
      scope.parent_must_exist = parent_must_exist;
    }
    MR_ASSIGN_OR_RETURN(ListOptions options, ParseListOptions(req, flags));
    return PageReply(req, service.List(kind, scope, options));
  };
}

// POST collection with a strict body. `parent` takes the parent id from the
// path; the body must still name it (§14 quirk-nested-body-names-parent), the path wins.
Handler Create(K kind, BodyMode mode = BodyMode::kCreate, std::optional<K> parent = std::nullopt) {
  return [=](RegistryService& service, const ApiRequest& req) -> Result<ApiReply> {
    std::optional<int64_t> parent_id;
    if (parent) {
      MR_ASSIGN_OR_RETURN(parent_id, ParsePathId(req.path_params.at(0), *parent));
    }
    MR_ASSIGN_OR_RETURN(EntityDraft draft, DecodeRequest(req, kind, mode, /*defaults=*/true));
    if (parent_id) {
      const EntitySpec& spec = SpecFor(kind);
      bool parent_in_body = draft.parent_id.has_value();
      if (!parent_in_body && spec.parent_kind == parent) {
        for (const FieldSpec& field : spec.fields) {
          if (field.storage == FieldStorage::kParentId) {
            return Status::MissingRequired("required field '" + std::string(field.json_name) +
                                           "' is zero value.");
          }
        }
      }
      draft.parent_id = parent_id;
    }
    return EntityReply(req, 201, service.Create(std::move(draft), req.actor));
  };
}

Handler Get(K kind) {
  return [=](RegistryService& service, const ApiRequest& req) -> Result<ApiReply> {
    MR_ASSIGN_OR_RETURN(int64_t id, ParsePathId(req.path_params.at(0), kind));
    return EntityReply(req, 200, service.Get(kind, id));
  };
}

Handler GetAnyArtifact() {
  return [](RegistryService& service, const ApiRequest& req) -> Result<ApiReply> {
    MR_ASSIGN_OR_RETURN(int64_t id, ParsePathId(req.path_params.at(0), K::kModelArtifact));
    return EntityReply(req, 200, service.GetArtifact(id));
  };
}

Handler Patch(K kind) {
  return [=](RegistryService& service, const ApiRequest& req) -> Result<ApiReply> {
    MR_ASSIGN_OR_RETURN(int64_t id, ParsePathId(req.path_params.at(0), kind));
    MR_ASSIGN_OR_RETURN(EntityDraft patch,
                        DecodeRequest(req, kind, BodyMode::kUpdate, /*defaults=*/false));
    return EntityReply(req, 200, service.Update(kind, id, patch, req.actor));
  };
}

Handler PatchAnyArtifact() {
  return [](RegistryService& service, const ApiRequest& req) -> Result<ApiReply> {
    MR_ASSIGN_OR_RETURN(int64_t id, ParsePathId(req.path_params.at(0), K::kModelArtifact));
    MR_ASSIGN_OR_RETURN(nlohmann::json body, ParseBody(*req.body));
    Result<EntityDraft> patch =
        DecodeDraft(body, K::kModelArtifact, BodyMode::kOneOf, false, *req.profile);
    if (!patch.ok()) {
      // A missing or unknown discriminator decodes to no variant, which
      // upstream reports as a type change to 'unknown' (§2.3, §10.7).
      auto type = body.find("artifactType");
      if (type == body.end() || !type->is_string() ||
          !ArtifactKindFromType(type->get<std::string>())) {
        Result<Entity> stored = service.GetArtifact(id);
        if (!stored.ok()) return stored.status();
        return Status::InvalidArgument("cannot change artifact type from '" +
                                       std::string(SpecFor(stored->kind).artifact_type) +
                                       "' to 'unknown': artifact type is immutable");
      }
      return patch.status();
    }
    return EntityReply(req, 200, service.UpdateArtifact(id, *patch, req.actor));
  };
}

Result<FindQuery> ParseFindQuery(const ApiRequest& req) {
  FindQuery query;
  if (auto name = req.Query("name"); name && !name->empty()) query.name = name;
  if (auto ext = req.Query("externalId"); ext && !ext->empty()) query.external_id = ext;
  MR_ASSIGN_OR_RETURN(query.parent_id, ParseOptionalId(req, "parentResourceId"));
  return query;
}

Handler Find(K kind) {
  return [=](RegistryService& service, const ApiRequest& req) -> Result<ApiReply> {
    MR_ASSIGN_OR_RETURN(FindQuery query, ParseFindQuery(req));
    return EntityReply(req, 200, service.Find(kind, query));
  };
}

// GET /artifact (any kind) and /model_artifact (must be a model artifact).
Handler FindArtifact(std::optional<K> must_be) {
  return [=](RegistryService& service, const ApiRequest& req) -> Result<ApiReply> {
    MR_ASSIGN_OR_RETURN(FindQuery query, ParseFindQuery(req));
    return EntityReply(req, 200, service.FindArtifact(query, must_be));
  };
}

// POST /artifacts and /model_artifacts: always a create; an id is ignored.
Handler CreateArtifact(std::optional<K> typed_kind) {
  return [=](RegistryService& service, const ApiRequest& req) -> Result<ApiReply> {
    MR_ASSIGN_OR_RETURN(EntityDraft draft,
                        typed_kind
                            ? DecodeRequest(req, *typed_kind, BodyMode::kCreate, /*defaults=*/true)
                            : DecodeRequest(req, K::kModelArtifact, BodyMode::kOneOf, false));
    draft.id.reset();
    draft.parent_id.reset();
    return EntityReply(req, 201, service.Create(std::move(draft), req.actor));
  };
}

Handler UpsertArtifact(K parent_kind) {
  return [=](RegistryService& service, const ApiRequest& req) -> Result<ApiReply> {
    MR_ASSIGN_OR_RETURN(int64_t parent_id, ParsePathId(req.path_params.at(0), parent_kind));
    MR_ASSIGN_OR_RETURN(EntityDraft draft,
                        DecodeRequest(req, K::kModelArtifact, BodyMode::kOneOf, false));
    MR_ASSIGN_OR_RETURN(UpsertResult result, service.UpsertArtifact(parent_kind, parent_id,
                                                                    std::move(draft), req.actor));
    return ApiReply{result.created_with_201 ? 201 : 200, EntityJson(result.entity, *req.profile)};
  };
}

Handler InferenceServiceModel() {
  return [](RegistryService& service, const ApiRequest& req) -> Result<ApiReply> {
    MR_ASSIGN_OR_RETURN(int64_t id, ParsePathId(req.path_params.at(0), K::kInferenceService));
    return EntityReply(req, 200, service.InferenceServiceModel(id));
  };
}

Handler InferenceServiceVersion() {
  return [](RegistryService& service, const ApiRequest& req) -> Result<ApiReply> {
    MR_ASSIGN_OR_RETURN(int64_t id, ParsePathId(req.path_params.at(0), K::kInferenceService));
    return EntityReply(req, 200, service.InferenceServiceVersion(id));
  };
}

Handler MetricHistory(bool one_run) {
  return [=](RegistryService& service, const ApiRequest& req) -> Result<ApiReply> {
    std::optional<int64_t> run_id;
    if (one_run) {
      MR_ASSIGN_OR_RETURN(run_id, ParsePathId(req.path_params.at(0), K::kExperimentRun));
    }
    ListFlags flags;
    flags.metric_history = true;
    MR_ASSIGN_OR_RETURN(ListOptions options, ParseListOptions(req, flags));
    return PageReply(req, service.MetricHistory(run_id, options));
  };
}

std::vector<Route> BuildRoutes() {
  using S = ListScope::Kind;
  ListFlags named;
  named.name_and_external_id = true;
  // Generic artifact lists: every kind, narrowed by artifactType.
  ListFlags typed;
  typed.all_artifact_kinds = typed.artifact_type = true;
  ListFlags named_typed = typed;
  named_typed.name_and_external_id = true;
  // Artifacts of any kind are stored and found through one generic kind.
  constexpr K kAnyArtifact = K::kModelArtifact;

  std::vector<Route> routes = {
      // RegisteredModel (§5.2)
      {"GET", "/registered_models", "getRegisteredModels", List(K::kRegisteredModel)},
      {"POST", "/registered_models", "createRegisteredModel", Create(K::kRegisteredModel)},
      {"GET", "/registered_models/{registeredmodelId}", "getRegisteredModel",
       Get(K::kRegisteredModel)},
      {"PATCH", "/registered_models/{registeredmodelId}", "updateRegisteredModel",
       Patch(K::kRegisteredModel)},
      {"GET", "/registered_model", "findRegisteredModel", Find(K::kRegisteredModel)},
      {"GET", "/registered_models/{registeredmodelId}/versions", "getRegisteredModelVersions",
       List(K::kModelVersion, S::kChildrenOf, K::kRegisteredModel, false, named)},
      {"POST", "/registered_models/{registeredmodelId}/versions", "createRegisteredModelVersion",
       Create(K::kModelVersion, BodyMode::kFull, K::kRegisteredModel)},
      // ModelVersion (§5.3)
      {"GET", "/model_versions", "getModelVersions", List(K::kModelVersion)},
      {"POST", "/model_versions", "createModelVersion", Create(K::kModelVersion)},
      {"GET", "/model_versions/{modelversionId}", "getModelVersion", Get(K::kModelVersion)},
      {"PATCH", "/model_versions/{modelversionId}", "updateModelVersion", Patch(K::kModelVersion)},
      {"GET", "/model_version", "findModelVersion", Find(K::kModelVersion)},
      {"GET", "/model_versions/{modelversionId}/artifacts", "getModelVersionArtifacts",
       List(kAnyArtifact, S::kArtifactsOf, K::kModelVersion, false, named_typed)},
      {"POST", "/model_versions/{modelversionId}/artifacts", "upsertModelVersionArtifact",
       UpsertArtifact(K::kModelVersion)},
      // Artifacts, all kinds (§5.4)
      {"GET", "/artifacts", "getArtifacts",
       List(kAnyArtifact, S::kAll, std::nullopt, false, typed)},
      {"POST", "/artifacts", "createArtifact", CreateArtifact(std::nullopt)},
      {"GET", "/artifacts/{id}", "getArtifact", GetAnyArtifact()},
      {"PATCH", "/artifacts/{id}", "updateArtifact", PatchAnyArtifact()},
      {"GET", "/artifact", "findArtifact", FindArtifact(std::nullopt)},
      // ModelArtifact typed routes (§5.5)
      {"GET", "/model_artifacts", "getModelArtifacts", List(K::kModelArtifact)},
      {"POST", "/model_artifacts", "createModelArtifact", CreateArtifact(K::kModelArtifact)},
      {"GET", "/model_artifacts/{modelartifactId}", "getModelArtifact", Get(K::kModelArtifact)},
      {"PATCH", "/model_artifacts/{modelartifactId}", "updateModelArtifact",
       Patch(K::kModelArtifact)},
      {"GET", "/model_artifact", "findModelArtifact", FindArtifact(K::kModelArtifact)},
      // ServingEnvironment (§5.6)
      {"GET", "/serving_environments", "getServingEnvironments", List(K::kServingEnvironment)},
      {"POST", "/serving_environments", "createServingEnvironment", Create(K::kServingEnvironment)},
      {"GET", "/serving_environments/{servingenvironmentId}", "getServingEnvironment",
       Get(K::kServingEnvironment)},
      {"PATCH", "/serving_environments/{servingenvironmentId}", "updateServingEnvironment",
       Patch(K::kServingEnvironment)},
      {"GET", "/serving_environment", "findServingEnvironment", Find(K::kServingEnvironment)},
      {"GET", "/serving_environments/{servingenvironmentId}/inference_services",
       "getEnvironmentInferenceServices",
       List(K::kInferenceService, S::kChildrenOf, K::kServingEnvironment)},
      {"POST", "/serving_environments/{servingenvironmentId}/inference_services",
       "createEnvironmentInferenceService",
       Create(K::kInferenceService, BodyMode::kCreate, K::kServingEnvironment)},
      // InferenceService and ServeModel (§5.7, §5.8)
      {"GET", "/inference_services", "getInferenceServices", List(K::kInferenceService)},
      {"POST", "/inference_services", "createInferenceService", Create(K::kInferenceService)},
      {"GET", "/inference_services/{inferenceserviceId}", "getInferenceService",
       Get(K::kInferenceService)},
      {"PATCH", "/inference_services/{inferenceserviceId}", "updateInferenceService",
       Patch(K::kInferenceService)},
      {"GET", "/inference_service", "findInferenceService", Find(K::kInferenceService)},
      {"GET", "/inference_services/{inferenceserviceId}/model", "getInferenceServiceModel",
       InferenceServiceModel()},
      {"GET", "/inference_services/{inferenceserviceId}/version", "getInferenceServiceVersion",
       InferenceServiceVersion()},
      {"GET", "/inference_services/{inferenceserviceId}/serves", "getInferenceServiceServes",
       List(K::kServeModel, S::kChildrenOf, K::kInferenceService)},
      {"POST", "/inference_services/{inferenceserviceId}/serves", "createInferenceServiceServe",
       Create(K::kServeModel, BodyMode::kCreate, K::kInferenceService)},
  };
  std::vector<Route> experiment_routes = {
      // Experiment (§5.9)
      {"GET", "/experiments", "getExperiments", List(K::kExperiment)},
      {"POST", "/experiments", "createExperiment", Create(K::kExperiment)},
      {"GET", "/experiments/{experimentId}", "getExperiment", Get(K::kExperiment)},
      {"PATCH", "/experiments/{experimentId}", "updateExperiment", Patch(K::kExperiment)},
      {"GET", "/experiment", "findExperiment", Find(K::kExperiment)},
      {"GET", "/experiments/{experimentId}/experiment_runs", "getExperimentExperimentRuns",
       List(K::kExperimentRun, S::kChildrenOf, K::kExperiment, /*parent_must_exist=*/true)},
      {"POST", "/experiments/{experimentId}/experiment_runs", "createExperimentExperimentRun",
       Create(K::kExperimentRun, BodyMode::kFull, K::kExperiment)},
      // ExperimentRun and metric history (§5.10, §5.11); the literal
      // metric_history row precedes {experimentrunId}.
      {"GET", "/experiment_runs/metric_history", "getExperimentRunsMetricHistory",
       MetricHistory(false)},
      {"GET", "/experiment_runs", "getExperimentRuns", List(K::kExperimentRun)},
      {"POST", "/experiment_runs", "createExperimentRun", Create(K::kExperimentRun)},
      {"GET", "/experiment_runs/{experimentrunId}", "getExperimentRun", Get(K::kExperimentRun)},
      {"PATCH", "/experiment_runs/{experimentrunId}", "updateExperimentRun",
       Patch(K::kExperimentRun)},
      {"GET", "/experiment_run", "findExperimentRun", Find(K::kExperimentRun)},
      {"GET", "/experiment_runs/{experimentrunId}/artifacts", "getExperimentRunArtifacts",
       List(kAnyArtifact, S::kArtifactsOf, K::kExperimentRun, false, typed)},
      {"POST", "/experiment_runs/{experimentrunId}/artifacts", "upsertExperimentRunArtifact",
       UpsertArtifact(K::kExperimentRun)},
      {"GET", "/experiment_runs/{experimentrunId}/metric_history", "getExperimentRunMetricHistory",
       MetricHistory(true)},
  };
  for (Route& route : experiment_routes) {
    route.experiments = true;
    routes.push_back(std::move(route));
  }
  return routes;
}

}  // namespace

std::optional<std::string> ApiRequest::Query(const char* name) const {
  if (query == nullptr) return std::nullopt;
  auto it = query->find(name);
  if (it == query->end()) return std::nullopt;
  return it->second;
}

const std::vector<Route>& ApiRoutes() {
  static const auto* routes = new std::vector<Route>(BuildRoutes());
  return *routes;
}

RouteMatch MatchRoute(const WireProfile& profile, std::string_view method, std::string_view path) {
  RouteMatch match;
  if (path.empty() || path.front() != '/') return match;
  std::vector<std::string_view> parts = Split(path);
  // Rows are ordered so that a path's most literal shape comes first; once a
  // path matched, rows with more {params} no longer apply (metric_history is
  // never an id).
  size_t matched_literals = 0;
  // Pattern segments are split once; only the request path is split per call.
  static const auto* patterns = [] {
    auto* split = new std::vector<std::vector<std::string_view>>();
    for (const Route& route : ApiRoutes()) split->push_back(Split(route.path));
    return split;
  }();
  const std::vector<Route>& routes = ApiRoutes();
  for (size_t r = 0; r < routes.size(); ++r) {
    const Route& route = routes[r];
    if (!route.ServedBy(profile)) continue;
    const std::vector<std::string_view>& pattern = (*patterns)[r];
    if (pattern.size() != parts.size()) continue;
    std::vector<std::string> params;
    bool ok = true;
    for (size_t i = 0; i < parts.size() && ok; ++i) {
      if (!pattern[i].empty() && pattern[i].front() == '{') {
        if (parts[i].empty()) ok = false;
        params.emplace_back(parts[i]);
      } else {
        ok = pattern[i] == parts[i];
      }
    }
    if (!ok) continue;
    size_t literals = pattern.size() - params.size();
    if (match.path_known && literals < matched_literals) continue;
    match.path_known = true;
    matched_literals = literals;
    if (route.method == method) {
      match.route = &route;
      match.params = std::move(params);
      return match;
    }
  }
  return match;
}

}  // namespace mr::http
