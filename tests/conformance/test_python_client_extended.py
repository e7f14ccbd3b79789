"""Conformance: the less common parts of the official Python client (model-registry 0.3.9) against our
server: experiments and runs with logged params/metrics/datasets and metric history, generic
artifacts through the client's API layer, and serving records.

0.3.9 has no high-level or `ModelRegistryAPIClient` methods for metric history, the generic
`/artifacts` create/get/update/find routes, serving environments, inference services or serve
models. Those are driven through the client's own generated OpenAPI layer (`mr_openapi`, shipped in
the same PyPI package) via the `openapi` fixture; each such test says so.

Expected values come from the test's inputs or from /work/shared/reference/kubeflow-api-behaviour.md
(cited as §n).
"""
import json

import pytest

model_registry = pytest.importorskip("model_registry")
import mr_openapi  # noqa: E402
from mr_openapi import exceptions as api_errors  # noqa: E402
from model_registry.types import (  # noqa: E402
    ArtifactState,
    DataSet,
    DocArtifact,
    Experiment,
    ExperimentRun,
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
# Experiments: start_experiment_run context manager, logs, runs, metric history


def log_loss_steps(registry, experiment_name, run_id, steps):
    """Each `with` block uploads its logs on exit; log_metric keeps only the last value per key
    inside one block, so one block per step produces one metric-history record per step."""
    for step, value in steps:
        with registry.start_experiment_run(experiment_name=experiment_name, run_id=run_id) as run:
            assert run.info.id == run_id
            run.log_metric("loss", value, step=step, timestamp=str(1714400000000 + step))


def test_experiment_run_logs_params_metrics_and_dataset(registry):
    with registry.start_experiment_run(experiment_name="churn-exp", owner="carol",
                                       description="churn experiments",
                                       run_description="baseline") as run:
        run.log_param("learning_rate", 0.01)
        run.log_param("optimizer", "adam")
        run.log_param("use_batch_norm", True)
        run.log_metric("loss", 0.9, step=0, timestamp="1714400000000")
        run.log_metric("auc", 0.81, step=0)
        run.log_dataset(name="train-set", uri="s3://data/churn/train.parquet", source_type="s3",
                        source="s3://data/churn", schema='{"columns": 12}', profile='{"rows": 5000}',
                        description="training split")
    run_id = run.info.id
    experiment_id = run.info.experiment_id
    assert run_id and run_id.isdigit() and experiment_id and experiment_id.isdigit()
    assert run.info.name.startswith("run")

    # After exit the context holds what the server returned for each upload.
    lr = run.get_log("params", "learning_rate")
    assert isinstance(lr, Parameter) and lr.id
    assert lr.parameter_type == ParameterType.NUMBER and lr.value == 0.01
    assert lr.experiment_id == experiment_id and lr.experiment_run_id == run_id  # §11.3
    optimizer = run.get_log("params", "optimizer")
    assert optimizer.parameter_type == ParameterType.STRING and optimizer.value == "adam"
    use_bn = run.get_log("params", "use_batch_norm")
    assert use_bn.parameter_type == ParameterType.BOOLEAN and use_bn.value is True
    loss = run.get_log("metrics", "loss")
    assert isinstance(loss, Metric) and loss.value == 0.9 and loss.step == 0
    assert loss.timestamp == "1714400000000"
    assert loss.experiment_run_id == run_id
    dataset = run.get_log("datasets", "train-set")
    assert isinstance(dataset, DataSet)
    assert dataset.name == "train-set"
    assert dataset.uri == "s3://data/churn/train.parquet"
    assert dataset.source_type == "s3" and dataset.source == "s3://data/churn"
    assert json.loads(dataset.schema) == {"columns": 12}
    assert json.loads(dataset.profile) == {"rows": 5000}
    assert dataset.description == "training split"
    assert dataset.experiment_id == experiment_id and dataset.experiment_run_id == run_id

    fetched_run = registry.get_experiment_run(run_id)
    assert isinstance(fetched_run, ExperimentRun)
    assert fetched_run.experiment_id == experiment_id
    assert fetched_run.name == run.info.name
    assert fetched_run.description == "baseline"

    experiments = list(registry.get_experiments())
    assert [(e.id, e.name, e.owner, e.description) for e in experiments] == [
        (experiment_id, "churn-exp", "carol", "churn experiments")]

    logs = list(registry.get_experiment_run_logs(run_id=run_id))
    by_name = {log.name: log for log in logs}
    assert len(logs) == 6, [log.name for log in logs]
    assert set(by_name) == {"learning_rate", "optimizer", "use_batch_norm", "loss", "auc", "train-set"}
    assert isinstance(by_name["loss"], Metric) and by_name["loss"].value == 0.9
    assert isinstance(by_name["train-set"], DataSet)
    assert by_name["optimizer"].value == "adam"
    # The other two lookup forms of get_experiment_run_logs reach the same artifacts.
    by_exp_name = list(registry.get_experiment_run_logs(run_name=run.info.name, experiment_name="churn-exp"))
    assert sorted(a.id for a in by_exp_name) == sorted(a.id for a in logs)
    by_exp_id = list(registry.get_experiment_run_logs(run_name=run.info.name, experiment_id=experiment_id))
    assert sorted(a.id for a in by_exp_id) == sorted(a.id for a in logs)


def test_experiment_runs_listing(registry):
    run_ids = []
    for _ in range(3):
        with registry.start_experiment_run(experiment_name="listing-exp") as run:
            run.log_param("seed", 7)
        run_ids.append(run.info.id)
    with registry.start_experiment_run(experiment_name="other-exp") as other:
        other.log_param("seed", 1)

    experiment = run_async_get_experiment(registry, "listing-exp")
    assert len(set(run_ids)) == 3
    by_name = collect_ids(registry.get_experiment_runs(experiment_name="listing-exp"))
    assert by_name == sorted(run_ids, key=int)
    by_id = collect_ids(registry.get_experiment_runs(experiment_id=experiment.id).page_size(2))
    assert by_id == sorted(run_ids, key=int)
    desc = collect_ids(registry.get_experiment_runs(experiment_id=experiment.id).descending().page_size(2))
    assert desc == sorted(run_ids, key=int, reverse=True)
    # An unknown experiment name lists nothing (the client maps 404 to []).
    assert list(registry.get_experiment_runs(experiment_name="no-such-exp")) == []
    assert sorted(e.name for e in registry.get_experiments()) == ["listing-exp", "other-exp"]


def run_async_get_experiment(registry, name):
    experiment = registry.async_runner(registry._api.get_experiment_by_name(name))
    assert isinstance(experiment, Experiment), f"experiment {name} not found"
    return experiment


def collect_ids(pager):
    ids = [item.id for item in pager]
    assert len(ids) == len(set(ids)), ids
    return ids


def test_unknown_experiment_runs_list_is_empty_for_unknown_experiment_id(registry, run_async):
    # GET /experiments/{id}/experiment_runs is 404 for a missing experiment (§14 #23); the client
    # turns that into [].
    assert run_async(registry._api.get_experiment_runs_by_experiment_id("999999")) == []


def test_create_experiment_and_reopen_by_name(registry):
    created = registry.create_experiment("explicit-exp")
    assert isinstance(created, Experiment) and created.id and created.name == "explicit-exp"
    with registry.start_experiment_run(experiment_name="explicit-exp") as run:
        run.log_metric("f1", 0.5)
    assert run.info.experiment_id == created.id
    assert [e.id for e in registry.get_experiments()] == [created.id]


def test_metric_history_records_every_step(registry, openapi):
    with registry.start_experiment_run(experiment_name="history-exp") as run:
        run.log_param("epochs", 3)
    run_id = run.info.id
    log_loss_steps(registry, "history-exp", run_id, [(0, 0.9), (1, 0.5), (2, 0.25)])

    # The current metric is updated in place (one artifact, last value), not duplicated (§5.11).
    metrics = [a for a in registry.get_experiment_run_logs(run_id=run_id) if isinstance(a, Metric)]
    assert [(m.name, m.value, m.step) for m in metrics] == [("loss", 0.25, 2)]

    # 0.3.9 has no wrapper for metric history: use the client's mr_openapi layer.
    history = openapi(lambda api: api.get_experiment_run_metric_history(run_id))
    assert isinstance(history, mr_openapi.MetricList)
    assert history.size == 3 and len(history.items) == 3
    assert [(m.name, m.step, m.value) for m in history.items] == [("loss", 0, 0.9), ("loss", 1, 0.5),
                                                                    ("loss", 2, 0.25)]
    assert [m.timestamp for m in history.items] == ["1714400000000", "1714400000001", "1714400000002"]
    assert all(m.artifact_type == "metric" for m in history.items)
    assert all(m.experiment_run_id == run_id for m in history.items)
    history_ids = [m.id for m in history.items]
    assert len(set(history_ids)) == 3 and metrics[0].id not in history_ids

    only_steps = openapi(lambda api: api.get_experiment_run_metric_history(run_id, step_ids="0,2"))
    assert [m.step for m in only_steps.items] == [0, 2]
    by_name = openapi(lambda api: api.get_experiment_run_metric_history(run_id, name="loss"))
    assert len(by_name.items) == 3
    no_match = openapi(lambda api: api.get_experiment_run_metric_history(run_id, name="accuracy"))
    assert no_match.items == [] and no_match.size == 0
    paged = openapi(lambda api: api.get_experiment_run_metric_history(run_id, page_size="2"))
    assert len(paged.items) == 2 and paged.next_page_token
    rest = openapi(lambda api: api.get_experiment_run_metric_history(
        run_id, page_size="2", next_page_token=paged.next_page_token))
    assert [m.id for m in paged.items + rest.items] == history_ids and rest.next_page_token == ""

    # History records are hidden from artifact lists and GET /artifacts/{id} (§5.11).
    all_metrics = registry.async_runner(registry._api.get_artifacts(artifact_type="metric"))
    assert [m.id for m in all_metrics] == [metrics[0].id]
    with pytest.raises(api_errors.NotFoundException):
        openapi(lambda api: api.get_artifact(history_ids[0]))


def test_metric_history_across_runs(registry, openapi):
    with registry.start_experiment_run(experiment_name="multi-exp") as first:
        first.log_param("p", "a")
    with registry.start_experiment_run(experiment_name="multi-exp") as second:
        second.log_param("p", "b")
    log_loss_steps(registry, "multi-exp", first.info.id, [(0, 1.0), (1, 0.75)])
    log_loss_steps(registry, "multi-exp", second.info.id, [(0, 2.0)])

    everything = openapi(lambda api: api.get_experiment_runs_metric_history(name="loss"))
    assert sorted((m.experiment_run_id, m.step, m.value) for m in everything.items) == sorted([
        (first.info.id, 0, 1.0), (first.info.id, 1, 0.75), (second.info.id, 0, 2.0)])
    step_one = openapi(lambda api: api.get_experiment_runs_metric_history(step_ids="1"))
    assert [(m.experiment_run_id, m.value) for m in step_one.items] == [(first.info.id, 0.75)]


def test_metric_history_for_unknown_run_is_not_found(registry, openapi):
    with pytest.raises(api_errors.NotFoundException):
        openapi(lambda api: api.get_experiment_run_metric_history("999999"))


# --------------------------------------------------------------------------------------------------
# Generic artifacts through ModelRegistryAPIClient (registry._api)


def test_model_version_artifacts_of_every_kind(registry, run_async):
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

    metric = run_async(api.upsert_model_version_artifact(
        Metric(name="accuracy", value=0.93, step=4, timestamp="1714400000123"), mv.id))
    assert isinstance(metric, Metric)
    assert (metric.value, metric.step, metric.timestamp) == (0.93, 4, "1714400000123")
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
    again = run_async(api.upsert_model_version_artifact(
        Metric(name="accuracy", value=0.95, step=5, timestamp="1714400000999"), mv.id))
    assert again.id == metric.id and again.value == 0.95 and again.step == 5

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
    # 0.3.9's ModelRegistryAPIClient has no create/get/update/find for /artifacts: use mr_openapi.
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
# Serving records (no wrappers in 0.3.9: driven through mr_openapi)


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

    # POST /inference_services answers 201 while 0.3.9 declares only 200 (§5.7), so the plain call
    # deserialises nothing; the service still exists and is found by name under its environment.
    returned = openapi(lambda api: api.create_inference_service(mr_openapi.InferenceServiceCreate(
        name="isvc-pinned", registeredModelId=rm.id, servingEnvironmentId=env.id,
        modelVersionId=mv1.id, runtime="vllm")))
    pinned = openapi(lambda api: api.find_inference_service(name="isvc-pinned", parent_resource_id=env.id))
    assert isinstance(pinned, mr_openapi.InferenceService)
    if returned is not None:  # a server answering 200 would let the client parse it
        assert returned.id == pinned.id
    assert (pinned.registered_model_id, pinned.serving_environment_id, pinned.model_version_id) == (
        rm.id, env.id, mv1.id)
    assert pinned.runtime == "vllm"
    assert pinned.desired_state == mr_openapi.InferenceServiceState.DEPLOYED  # default (§4.5)

    raw = openapi(lambda api: api.create_inference_service_with_http_info(mr_openapi.InferenceServiceCreate(
        name="isvc-status", registeredModelId=rm.id, servingEnvironmentId=env.id)))
    assert raw.status_code == 201  # §5.7 / §14 quirk 3: keep 201 like the Go server
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
