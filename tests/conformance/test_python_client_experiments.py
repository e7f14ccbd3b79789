"""Conformance: experiments with the v1alpha3 client (model-registry 0.3.14) against our server:
runs with logged params/metrics/datasets, run listings and metric history.

Experiments are not part of /api/model_registry/v1 and the v1 client (0.3.18) has no experiment API,
so this module is skipped as a whole on the v1 client (see conftest.py). 0.3.14's metric-history
routes are driven through the client's generated OpenAPI layer (`mr_openapi`) via the `openapi`
fixture.

Expected values come from the test's inputs or from docs/api-behaviour.md
(cited as §n).
"""
import json

import pytest
from client_generation import API_VERSION, NO_EXPERIMENTS_REASON

if API_VERSION != "v1alpha3":
    pytest.skip(NO_EXPERIMENTS_REASON, allow_module_level=True)

model_registry = pytest.importorskip("model_registry")
import mr_openapi  # noqa: E402
from mr_openapi import exceptions as api_errors  # noqa: E402
from model_registry.types import (  # noqa: E402
    DataSet,
    Experiment,
    ExperimentRun,
    Metric,
    Parameter,
    ParameterType,
)


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
    # GET /experiments/{id}/experiment_runs is 404 for a missing experiment
    # (§14 quirk-run-lists-check-parent); the client turns that into [].
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

    # The client has no high-level wrapper for metric history: use its mr_openapi layer.
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
