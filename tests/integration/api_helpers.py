"""Helpers for the serving, experiment and generic-artifact suites, built on
helpers.py: each creator asserts the success status and returns the entity."""
from helpers import check_entity_basics, expect_error, expect_json, post, unique

ARTIFACT_TYPES = ("model-artifact", "doc-artifact", "dataset-artifact", "metric", "parameter")

# Model and doc artifacts are created with 201 by the upsert routes, the other
# kinds with 200 (docs/api-behaviour.md §11.1, §14 quirk-upsert-status).
UPSERT_CREATE_STATUS = {"model-artifact": 201, "doc-artifact": 201, "dataset-artifact": 200,
                        "metric": 200, "parameter": 200}

# A representative value for every kind-specific field (§4.3).
KIND_FIELDS = {
    "model-artifact": {"uri": "s3://b/m.onnx", "modelFormatName": "onnx",
                       "modelFormatVersion": "1", "storageKey": "k", "storagePath": "/p",
                       "serviceAccountName": "sa", "modelSourceKind": "kfp",
                       "modelSourceClass": "pipelinerun", "modelSourceGroup": "ns",
                       "modelSourceId": "r1", "modelSourceName": "run"},
    "doc-artifact": {"uri": "https://docs/readme.md"},
    "dataset-artifact": {"uri": "s3://b/data.csv", "digest": "sha256:abc", "sourceType": "s3",
                         "source": "bucket", "schema": '{"cols": 3}', "profile": "p"},
    "metric": {"value": 0.75, "timestamp": "1714400000000", "step": 3},
    "parameter": {"value": "0.01", "parameterType": "number"},
}


def artifact_body(artifact_type, name=None, **fields):
    """A oneOf artifact body; metrics get a value unless one is given."""
    body = {"artifactType": artifact_type, "name": name or unique(artifact_type[:4])}
    if artifact_type == "metric":
        body.setdefault("value", 1.0)
    body.update(fields)
    return body


def metric_body(name, value, step=None, timestamp=None, **fields):
    body = {"artifactType": "metric", "name": name, "value": value, **fields}
    if step is not None:
        body["step"] = step
    if timestamp is not None:
        body["timestamp"] = str(timestamp)
    return body


def parameter_body(name, value, parameter_type="string", **fields):
    return {"artifactType": "parameter", "name": name, "value": value,
            "parameterType": parameter_type, **fields}


def _created(api, path, body, status=201):
    entity = expect_json(post(api, path, body), status)
    check_entity_basics(entity)
    return entity


def create_artifact(api, artifact_type, name=None, **fields):
    """POST /artifacts (always 201, §5.4)."""
    art = _created(api, "/artifacts", artifact_body(artifact_type, name, **fields))
    assert art["artifactType"] == artifact_type, art
    return art


def create_se(api, name=None, **fields):
    return _created(api, "/serving_environments", {"name": name or unique("se"), **fields})


def create_is(api, se_id, rm_id, name=None, **fields):
    body = {"servingEnvironmentId": str(se_id), "registeredModelId": str(rm_id), **fields}
    if name is not False:
        body["name"] = name or unique("is")
    return _created(api, "/inference_services", body)


def create_serve(api, is_id, mv_id, **fields):
    return _created(api, f"/inference_services/{is_id}/serves",
                    {"modelVersionId": str(mv_id), **fields})


def create_experiment(api, name=None, **fields):
    return _created(api, "/experiments", {"name": name or unique("exp"), **fields})


def create_run(api, experiment_id, name=None, **fields):
    body = {"experimentId": str(experiment_id), **fields}
    if name is not False:
        body["name"] = name or unique("run")
    return _created(api, "/experiment_runs", body)


def create_experiment_run(api, **fields):
    experiment = create_experiment(api)
    return experiment, create_run(api, experiment["id"], **fields)


def upsert_run_artifact(api, run_id, body, status=None):
    """POST /experiment_runs/{id}/artifacts, expecting the create status of the kind
    unless told otherwise."""
    if status is None:
        status = UPSERT_CREATE_STATUS[body["artifactType"]]
    art = expect_json(post(api, f"/experiment_runs/{run_id}/artifacts", body), status)
    check_entity_basics(art)
    return art


def upsert_artifact(api, parent_route, parent_id, body, status=None):
    """POST /<parent_route>/{id}/artifacts for parent_route model_versions or experiment_runs."""
    if status is None:
        status = UPSERT_CREATE_STATUS[body["artifactType"]]
    art = expect_json(post(api, f"/{parent_route}/{parent_id}/artifacts", body), status)
    check_entity_basics(art)
    return art


def filter_eq(field, value):
    """A filterQuery equality on a string value, quoted for the filter grammar (§6.2)."""
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'{field} = "{escaped}"'


def expect_not_found(resp, contains=None):
    """A 404 error body whose message carries the business layer's ': not found'
    suffix (§2.1)."""
    body = expect_error(resp, 404, contains=contains)
    assert body["message"].endswith(": not found"), body
    return body
