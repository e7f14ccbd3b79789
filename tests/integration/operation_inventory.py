"""The API's operations and versions, written by hand from docs/api-behaviour.md §1.1 and
§15 (never derived from the server or the spec, so tests comparing against it can
fail)."""

V1_PREFIX = "/api/model_registry/v1"
V1ALPHA3_PREFIX = "/api/model_registry/v1alpha3"

# The 40 operations v1 (the current API) serves.
V1_OPERATION_IDS = {
    "getRegisteredModels", "createRegisteredModel", "getRegisteredModel",
    "updateRegisteredModel", "findRegisteredModel", "getRegisteredModelVersions",
    "createRegisteredModelVersion",
    "getModelVersions", "createModelVersion", "getModelVersion", "updateModelVersion",
    "findModelVersion", "getModelVersionArtifacts", "upsertModelVersionArtifact",
    "getArtifacts", "createArtifact", "getArtifact", "updateArtifact", "findArtifact",
    "getModelArtifacts", "createModelArtifact", "getModelArtifact", "updateModelArtifact",
    "findModelArtifact",
    "getServingEnvironments", "createServingEnvironment", "getServingEnvironment",
    "updateServingEnvironment", "findServingEnvironment", "getEnvironmentInferenceServices",
    "createEnvironmentInferenceService",
    "getInferenceServices", "createInferenceService", "getInferenceService",
    "updateInferenceService", "findInferenceService", "getInferenceServiceModel",
    "getInferenceServiceVersion", "getInferenceServiceServes", "createInferenceServiceServe",
}
# The 16 experiment, experiment-run and metric-history operations only v1alpha3 serves.
EXPERIMENT_OPERATION_IDS = {
    "getExperiments", "createExperiment", "getExperiment", "updateExperiment", "findExperiment",
    "getExperimentExperimentRuns", "createExperimentExperimentRun",
    "getExperimentRuns", "createExperimentRun", "getExperimentRun", "updateExperimentRun",
    "findExperimentRun", "getExperimentRunArtifacts", "upsertExperimentRunArtifact",
    "getExperimentRunMetricHistory", "getExperimentRunsMetricHistory",
}
# The 56 operations of §15 (v1alpha3, deprecated).
API_OPERATION_IDS = V1_OPERATION_IDS | EXPERIMENT_OPERATION_IDS
V1ALPHA3_OPERATION_IDS = API_OPERATION_IDS
OPERATION_IDS_BY_PREFIX = {V1_PREFIX: V1_OPERATION_IDS, V1ALPHA3_PREFIX: V1ALPHA3_OPERATION_IDS}

# v1's path parameters are named in snake case; v1alpha3 keeps its older names
# (`{id}` of /artifacts/{id} is the same in both).
V1_PATH_PARAMETER_NAMES = {"registered_model_id", "model_version_id", "model_artifact_id",
                           "serving_environment_id", "inference_service_id", "id"}

# Our three service routes under each prefix: health (two) and the served spec.
SERVICE_OPERATION_IDS = {"readyzHealth", "readyzIsDirty", "getOpenAPISpec"}
