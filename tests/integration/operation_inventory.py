"""The API's operations, written by hand from kubeflow-api-behaviour.md §15 (never
derived from the server or the spec, so tests comparing against it can fail)."""

# The 56 operations of §15.
API_OPERATION_IDS = {
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
    "getExperiments", "createExperiment", "getExperiment", "updateExperiment", "findExperiment",
    "getExperimentExperimentRuns", "createExperimentExperimentRun",
    "getExperimentRuns", "createExperimentRun", "getExperimentRun", "updateExperimentRun",
    "findExperimentRun", "getExperimentRunArtifacts", "upsertExperimentRunArtifact",
    "getExperimentRunMetricHistory", "getExperimentRunsMetricHistory",
}
# Our three service routes: health (two) and the served spec.
SERVICE_OPERATION_IDS = {"readyzHealth", "readyzIsDirty", "getOpenAPISpec"}
