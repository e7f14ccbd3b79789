"""Conformance: the less common parts of the official Python client against our server, for both
client generations (0.3.14 on /v1alpha3, 0.3.18 on /v1; see conftest.py): artifacts of every kind
through the client's API layer, generic artifacts, and serving records.

Neither client has high-level or `ModelRegistryAPIClient` methods for the generic `/artifacts`
create/get/update/find routes, serving environments, inference services or serve models. Those are
driven through the client's own generated OpenAPI layer (`mr_openapi`, shipped in the same PyPI
package) via the `openapi` fixture; each such test says so. Experiments live in
test_python_client_experiments.py (v1alpha3 only).

Expected values come from the test's inputs or from docs/api-behaviour.md
(cited as §n).
"""
import json

import pytest
from client_generation import API_VERSION

model_registry = pytest.importorskip("model_registry")
import mr_openapi  # noqa: E402
from mr_openapi import exceptions as api_errors  # noqa: E402
from model_registry.types import (  # noqa: E402
    ArtifactState,
    DataSet,
    DocArtifact,
    ListOptions,
    Metric,
    ModelArtifact,
    Parameter,
    ParameterType,
)


def register(registry, name, version, metadata=None):
    registry.register_model(name, f"s3://bucket/{name}/{version}", version=version,
                            model_format_name="onnx", model_format_version="1", metadata=metadata)
    return registry.get_registered_model(name), registry.get_model_version(name, version)


# --------------------------------------------------------------------------------------------------
# Generic artifacts through ModelRegistryAPIClient (registry._api)


def upsert_metric(registry, run_async, openapi, model_version_id, name, value, step, timestamp):
    """Upserts a Metric under a model version and returns it as the client's high-level `Metric`.

    On v1alpha3 this is the client's own `upsert_model_version_artifact`. On v1 `Metric.step` is a
    JSON string on the wire; 0.3.18's high-level `Metric` keeps `step: int` but hands it unchanged
    to its generated `MetricCreate`, whose `step` is a strict string, so that call fails inside the
    client before any request is sent. The metric is therefore sent through the client's generated
    layer with the step as the string v1 specifies, and read back through the high-level type."""
    if API_VERSION == "v1alpha3":
        return run_async(registry._api.upsert_model_version_artifact(
            Metric(name=name, value=value, step=step, timestamp=timestamp), model_version_id))
    created = openapi(lambda api: api.upsert_model_version_artifact(model_version_id, mr_openapi.Artifact(
        mr_openapi.Metric(name=name, value=value, step=str(step), timestamp=timestamp,
                          artifactType="metric")))).actual_instance
    assert isinstance(created, mr_openapi.Metric) and created.step == str(step)
    return Metric.from_basemodel(created)


def test_model_version_artifacts_of_every_kind(registry, run_async, openapi):
    _, mv = register(registry, "art-kinds", "v1")
    api = registry._api

    doc = run_async(api.upsert_model_version_artifact(
        DocArtifact(name="README", uri="https://example.com/readme.md", description="docs",
                    custom_properties={"lang": "en", "pages": 3}), mv.id))
    assert isinstance(doc, DocArtifact) and doc.id
    assert (doc.name, doc.uri, doc.description) == ("README", "https://example.com/readme.md", "docs")
    assert doc.custom_properties == {"lang": "en", "pages": 3}

    dataset = run_async(api.upsert_model_version_artifact(
        DataSet(name="eval-data", uri="s3://d/eval", digest="sha256:feed", source_type="s3",
                source="s3://d", schema='{"cols": 3}', profile='{"rows": 9}'), mv.id))
    assert isinstance(dataset, DataSet)
    assert (dataset.uri, dataset.digest, dataset.source_type, dataset.source) == (
        "s3://d/eval", "sha256:feed", "s3", "s3://d")
    assert json.loads(dataset.schema) == {"cols": 3} and json.loads(dataset.profile) == {"rows": 9}

    metric = upsert_metric(registry, run_async, openapi, mv.id, "accuracy", 0.93, 4, "1714400000123")
    assert (metric.value, metric.step, metric.timestamp) == (0.93, 4, "1714400000123")
    if API_VERSION == "v1alpha3":
        # Artifacts upserted under a version carry no experiment linkage (§11.3).
        assert metric.experiment_id is None and metric.experiment_run_id is None

    param = run_async(api.upsert_model_version_artifact(
        Parameter(name="batch_size", value=64, parameter_type=ParameterType.NUMBER), mv.id))
    assert isinstance(param, Parameter) and param.value == 64.0
    assert param.parameter_type == ParameterType.NUMBER

    every = run_async(api.get_model_version_artifacts(mv.id))
    assert sorted((type(a).__name__, a.name) for a in every) == sorted([
        ("ModelArtifact", "art-kinds"), ("DocArtifact", "README"), ("DataSet", "eval-data"),
        ("Metric", "accuracy"), ("Parameter", "batch_size")])
    only_models = run_async(api.get_model_artifacts(mv.id))
    assert [(type(a).__name__, a.name) for a in only_models] == [("ModelArtifact", "art-kinds")]
    docs = run_async(api.get_model_version_artifacts(
        mv.id, ListOptions.artifact_type(mr_openapi.ArtifactTypeQueryParam.DOC_MINUS_ARTIFACT)))
    assert [a.id for a in docs] == [doc.id]

    # A second Metric upsert with the same name updates in place (§8), keeping the id.
    again = upsert_metric(registry, run_async, openapi, mv.id, "accuracy", 0.95, 5, "1714400000999")
    assert again.id == metric.id and again.value == 0.95 and again.step == 5
    read_back = [a for a in run_async(api.get_model_version_artifacts(mv.id)) if isinstance(a, Metric)]
    assert [(m.id, m.value, m.step) for m in read_back] == [(metric.id, 0.95, 5)]

    # A duplicate doc-artifact name under the same version is a conflict (§11.1 step 3).
    with pytest.raises(api_errors.ConflictException):
        run_async(api.upsert_model_version_artifact(DocArtifact(name="README", uri="https://x"), mv.id))


def test_get_artifacts_with_filter_query_and_type(registry, run_async):
    _, mv1 = register(registry, "filter-a", "v1")
    _, mv2 = register(registry, "filter-b", "v1")
    api = registry._api
    readme = run_async(api.upsert_model_version_artifact(
        DocArtifact(name="README", uri="https://a/readme", custom_properties={"lang": "en"}), mv1.id))
    guide = run_async(api.upsert_model_version_artifact(
        DocArtifact(name="GUIDE", uri="https://b/guide", custom_properties={"lang": "de"}), mv2.id))
    ds = run_async(api.upsert_model_version_artifact(DataSet(name="README", uri="s3://readme-data"), mv1.id))

    def ids(filter_query=None, artifact_type=None):
        return sorted(a.id for a in run_async(api.get_artifacts(filter_query, artifact_type)))

    assert ids('name = "README"', "doc-artifact") == [readme.id]
    assert ids('name = "README"', "dataset-artifact") == [ds.id]
    assert ids(artifact_type="doc-artifact") == sorted([readme.id, guide.id])
    assert ids('lang = "de"', "doc-artifact") == [guide.id]
    assert ids('uri LIKE "https://%"', "doc-artifact") == sorted([readme.id, guide.id])
    assert ids('name = "nothing-here"', "doc-artifact") == []
    model_artifacts = run_async(api.get_artifacts(artifact_type="model-artifact"))
    assert sorted(a.name for a in model_artifacts) == ["filter-a", "filter-b"]
    assert all(isinstance(a, ModelArtifact) for a in model_artifacts)
    # Without artifactType every kind is listed (§5.4: empty type means no type filter).
    assert len(run_async(api.get_artifacts())) == 5


def test_standalone_model_artifact_upsert_and_attach(registry, run_async):
    api = registry._api
    created = run_async(api.upsert_model_artifact(
        ModelArtifact(name="standalone", uri="s3://loose/model", model_format_name="gguf")))
    assert created.id and created.uri == "s3://loose/model" and created.model_format_name == "gguf"
    assert created.state == ArtifactState.UNKNOWN  # POST /model_artifacts default (§12)

    created.description = "patched"
    created.state = ArtifactState.LIVE
    patched = run_async(api.upsert_model_artifact(created))
    assert patched.id == created.id and patched.description == "patched"
    assert patched.state == ArtifactState.LIVE and patched.model_format_name == "gguf"

    # Upserting an artifact that has an id under a version attaches it, keeping the id (§11.1.4).
    _, mv = register(registry, "attach-target", "v1")
    attached = run_async(api.upsert_model_version_artifact(patched, mv.id))
    assert attached.id == created.id
    assert sorted(a.id for a in run_async(api.get_model_artifacts(mv.id))) == sorted(
        [created.id, registry.get_model_artifact("attach-target", "v1").id])
    assert run_async(api.get_model_artifact_by_id(created.id)).description == "patched"


def test_generic_artifact_routes_via_openapi_layer(registry, openapi):
    # ModelRegistryAPIClient has no create/get/update/find for /artifacts: use mr_openapi.
    _, mv = register(registry, "generic", "v1")
    created = openapi(lambda api: api.create_artifact(mr_openapi.ArtifactCreate(
        mr_openapi.DocArtifactCreate(name="loose-doc", uri="https://d/1", artifactType="doc-artifact"))))
    doc = created.actual_instance
    assert isinstance(doc, mr_openapi.DocArtifact) and doc.id and doc.uri == "https://d/1"

    fetched = openapi(lambda api: api.get_artifact(doc.id)).actual_instance
    assert isinstance(fetched, mr_openapi.DocArtifact) and fetched.name == "loose-doc"

    updated = openapi(lambda api: api.update_artifact(doc.id, mr_openapi.ArtifactUpdate(
        mr_openapi.DocArtifactUpdate(artifactType="doc-artifact", description="edited")))).actual_instance
    assert updated.description == "edited" and updated.uri == "https://d/1"

    # Changing the artifact type through PATCH /artifacts/{id} is refused (§10.7).
    with pytest.raises(api_errors.BadRequestException, match="doc-artifact"):
        openapi(lambda api: api.update_artifact(doc.id, mr_openapi.ArtifactUpdate(
            mr_openapi.DataSetUpdate(artifactType="dataset-artifact", description="x"))))

    model_art = registry.get_model_artifact("generic", "v1")
    found = openapi(lambda api: api.find_artifact(name="generic", parent_resource_id=mv.id)).actual_instance
    assert isinstance(found, mr_openapi.ModelArtifact) and found.id == model_art.id
    with pytest.raises(api_errors.NotFoundException):
        openapi(lambda api: api.find_artifact(name="absent", parent_resource_id=mv.id))


# --------------------------------------------------------------------------------------------------
# Serving records (no wrappers in either client: driven through mr_openapi)


def test_serving_environment_create_get_find_update(registry, openapi):
    env = openapi(lambda api: api.create_serving_environment(
        mr_openapi.ServingEnvironmentCreate(name="prod-env", description="production",
                                            externalId="se-ext-1")))
    assert isinstance(env, mr_openapi.ServingEnvironment)
    assert env.id and env.name == "prod-env" and env.description == "production"

    assert openapi(lambda api: api.get_serving_environment(env.id)).name == "prod-env"
    assert openapi(lambda api: api.find_serving_environment(name="prod-env")).id == env.id
    assert openapi(lambda api: api.find_serving_environment(external_id="se-ext-1")).id == env.id
    with pytest.raises(api_errors.NotFoundException):
        openapi(lambda api: api.find_serving_environment(name="staging-env"))

    updated = openapi(lambda api: api.update_serving_environment(
        env.id, mr_openapi.ServingEnvironmentUpdate(description="prod, edited")))
    assert updated.description == "prod, edited" and updated.name == "prod-env"

    listed = openapi(lambda api: api.get_serving_environments())
    assert [e.id for e in listed.items] == [env.id] and listed.size == 1

    with pytest.raises(api_errors.ConflictException):
        openapi(lambda api: api.create_serving_environment(mr_openapi.ServingEnvironmentCreate(name="prod-env")))


def test_inference_service_and_serve_model(registry, openapi):
    rm, mv1 = register(registry, "served-model", "v1")
    _, mv2 = register(registry, "served-model", "v2")
    env = openapi(lambda api: api.create_serving_environment(mr_openapi.ServingEnvironmentCreate(name="env")))

    # POST /inference_services answers 201 (§5.7). 0.3.14 declares only 200 for it, so there the plain
    # call deserialises nothing; 0.3.18 declares 201 and parses the body. Either way the service
    # exists and is found by name under its environment.
    returned = openapi(lambda api: api.create_inference_service(mr_openapi.InferenceServiceCreate(
        name="isvc-pinned", registeredModelId=rm.id, servingEnvironmentId=env.id,
        modelVersionId=mv1.id, runtime="vllm")))
    pinned = openapi(lambda api: api.find_inference_service(name="isvc-pinned", parent_resource_id=env.id))
    assert isinstance(pinned, mr_openapi.InferenceService)
    if API_VERSION == "v1":
        assert isinstance(returned, mr_openapi.InferenceService)
    if returned is not None:
        assert returned.id == pinned.id
    assert (pinned.registered_model_id, pinned.serving_environment_id, pinned.model_version_id) == (
        rm.id, env.id, mv1.id)
    assert pinned.runtime == "vllm"
    assert pinned.desired_state == mr_openapi.InferenceServiceState.DEPLOYED  # default (§4.5)

    raw = openapi(lambda api: api.create_inference_service_with_http_info(mr_openapi.InferenceServiceCreate(
        name="isvc-status", registeredModelId=rm.id, servingEnvironmentId=env.id)))
    assert raw.status_code == 201  # §5.7, §14 quirk-create-inference-service-201
    status_body = mr_openapi.InferenceService.from_json(raw.raw_data.decode())
    assert status_body.name == "isvc-status" and status_body.serving_environment_id == env.id

    # The nested create route is declared 201 in the client, so this one parses directly.
    latest = openapi(lambda api: api.create_environment_inference_service(env.id, mr_openapi.InferenceServiceCreate(
        name="isvc-latest", registeredModelId=rm.id, servingEnvironmentId=env.id)))
    assert isinstance(latest, mr_openapi.InferenceService) and latest.id
    assert latest.model_version_id is None

    assert openapi(lambda api: api.get_inference_service(pinned.id)).name == "isvc-pinned"
    assert openapi(lambda api: api.get_inference_service_model(pinned.id)).id == rm.id
    assert openapi(lambda api: api.get_inference_service_version(pinned.id)).id == mv1.id
    # Without modelVersionId the most recently created version is served (§5.8).
    assert openapi(lambda api: api.get_inference_service_version(latest.id)).id == mv2.id

    env_services = openapi(lambda api: api.get_environment_inference_services(env.id))
    assert sorted(s.name for s in env_services.items) == ["isvc-latest", "isvc-pinned", "isvc-status"]

    undeployed = openapi(lambda api: api.update_inference_service(pinned.id, mr_openapi.InferenceServiceUpdate(
        desiredState=mr_openapi.InferenceServiceState.UNDEPLOYED, modelVersionId=mv2.id)))
    assert undeployed.desired_state == mr_openapi.InferenceServiceState.UNDEPLOYED
    assert undeployed.model_version_id == mv2.id and undeployed.runtime == "vllm"
    refetched = openapi(lambda api: api.get_inference_service(pinned.id))
    assert refetched.desired_state == mr_openapi.InferenceServiceState.UNDEPLOYED

    serve = openapi(lambda api: api.create_inference_service_serve(pinned.id, mr_openapi.ServeModelCreate(
        name="serve-1", modelVersionId=mv2.id, lastKnownState=mr_openapi.ExecutionState.RUNNING)))
    assert isinstance(serve, mr_openapi.ServeModel) and serve.id
    assert serve.model_version_id == mv2.id
    assert serve.last_known_state == mr_openapi.ExecutionState.RUNNING
    serves = openapi(lambda api: api.get_inference_service_serves(pinned.id))
    assert [(s.id, s.name) for s in serves.items] == [(serve.id, "serve-1")]
    assert openapi(lambda api: api.get_inference_service_serves(latest.id)).items == []

    with pytest.raises(api_errors.NotFoundException):
        openapi(lambda api: api.create_inference_service_serve(pinned.id, mr_openapi.ServeModelCreate(
            modelVersionId="999999")))


def test_inference_service_requires_existing_environment(registry, openapi):
    rm, _ = register(registry, "orphan-isvc", "v1")
    with pytest.raises(api_errors.NotFoundException):
        openapi(lambda api: api.create_inference_service(mr_openapi.InferenceServiceCreate(
            name="x", registeredModelId=rm.id, servingEnvironmentId="999999")))


def test_gated_huggingface_version_cannot_be_served(registry, openapi):
    rm, gated = register(registry, "hf-model", "gated", metadata={"hf_gated": "manual"})
    _, private = register(registry, "hf-model", "private", metadata={"hf_private": "true"})
    _, open_version = register(registry, "hf-model", "open", metadata={"hf_gated": "false"})
    env = openapi(lambda api: api.create_serving_environment(mr_openapi.ServingEnvironmentCreate(name="hf-env")))
    isvc = openapi(lambda api: api.create_environment_inference_service(env.id, mr_openapi.InferenceServiceCreate(
        name="hf-isvc", registeredModelId=rm.id, servingEnvironmentId=env.id)))

    with pytest.raises(api_errors.BadRequestException, match="gated"):
        openapi(lambda api: api.create_inference_service_serve(
            isvc.id, mr_openapi.ServeModelCreate(modelVersionId=gated.id)))
    with pytest.raises(api_errors.BadRequestException, match="private"):
        openapi(lambda api: api.create_inference_service_serve(
            isvc.id, mr_openapi.ServeModelCreate(modelVersionId=private.id)))
    ok = openapi(lambda api: api.create_inference_service_serve(
        isvc.id, mr_openapi.ServeModelCreate(modelVersionId=open_version.id)))
    assert ok.model_version_id == open_version.id
    assert ok.last_known_state == mr_openapi.ExecutionState.UNKNOWN  # default (§4.6)
    assert [s.id for s in openapi(lambda api: api.get_inference_service_serves(isvc.id)).items] == [ok.id]
