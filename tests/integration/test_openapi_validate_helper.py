"""tests/openapi_validate.py against hand-written response bodies (no server needed)."""
import copy
import importlib.util
import os

import pytest

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_helper():
    spec = importlib.util.spec_from_file_location(
        "openapi_validate", os.path.join(TESTS_DIR, "openapi_validate.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ov = _load_helper()
Invalid = ov.ResponseValidationError


@pytest.fixture(scope="module")
def spec():
    return ov.load_spec()


def stamps(**fields):
    return {"createTimeSinceEpoch": "1714400000000", "lastUpdateTimeSinceEpoch": "1714400000001",
            **fields}


REGISTERED_MODEL = stamps(
    id="1", name="fraud-detector", state="LIVE", owner="ana", language=["en"],
    customProperties={
        "framework": {"metadataType": "MetadataStringValue", "string_value": "onnx"},
        "layers": {"metadataType": "MetadataIntValue", "int_value": "12"},
        "accuracy": {"metadataType": "MetadataDoubleValue", "double_value": 0.93},
        "approved": {"metadataType": "MetadataBoolValue", "bool_value": True},
        "config": {"metadataType": "MetadataStructValue", "struct_value": "{\"a\":1}"},
    })
MODEL_VERSION = stamps(id="2", name="v1", registeredModelId="1", state="LIVE", author="ana")
MODEL_ARTIFACT = stamps(id="3", name="model", artifactType="model-artifact", uri="s3://b/k",
                        modelFormatName="onnx", state="UNKNOWN")
METRIC = stamps(id="4", name="loss", artifactType="metric", value=0.25, step=3,
                timestamp="1714400000000", experimentId="5", experimentRunId="6")
PARAMETER = stamps(id="7", name="lr", artifactType="parameter", value="0.01",
                   parameterType="number")
DATASET = stamps(id="8", name="train", artifactType="dataset-artifact", uri="s3://d",
                 digest="sha256:0")
DOC = stamps(id="9", name="readme", artifactType="doc-artifact", uri="https://x/readme")
EXPERIMENT_RUN = stamps(id="6", name="run-1", experimentId="5", status="RUNNING",
                        state="LIVE", startTimeSinceEpoch="1714400000000")


def page(items, **fields):
    return {"items": items, "size": len(items), "pageSize": 0, "nextPageToken": "", **fields}


def without(body, key):
    body = copy.deepcopy(body)
    del body[key]
    return body


def changed(body, **fields):
    body = copy.deepcopy(body)
    body.update(fields)
    return body


# ---------------------------------------------------------------- bodies that conform

@pytest.mark.parametrize("method,path,status,body", [
    ("GET", "/registered_models/1", 200, REGISTERED_MODEL),
    ("POST", "/registered_models", 201, REGISTERED_MODEL),
    ("PATCH", "/registered_models/1", 200, REGISTERED_MODEL),
    ("GET", "/registered_model", 200, REGISTERED_MODEL),
    ("GET", "/registered_models", 200, page([REGISTERED_MODEL], nextPageToken="MTox")),
    ("GET", "/registered_models", 200, page([])),
    ("POST", "/registered_models/1/versions", 201, MODEL_VERSION),
    ("GET", "/registered_models/1/versions", 200, page([MODEL_VERSION])),
    ("POST", "/model_versions/2/artifacts", 201, MODEL_ARTIFACT),
    ("POST", "/model_versions/2/artifacts", 200, DATASET),
    ("GET", "/model_versions/2/artifacts", 200,
     page([MODEL_ARTIFACT, DOC, DATASET, METRIC, PARAMETER])),
    ("GET", "/artifacts/4", 200, METRIC),
    ("POST", "/model_artifacts", 201, MODEL_ARTIFACT),
    ("GET", "/model_artifacts", 200, page([MODEL_ARTIFACT], pageSize=5)),
    ("POST", "/inference_services", 201,
     stamps(id="10", name="is", registeredModelId="1", servingEnvironmentId="11",
            desiredState="DEPLOYED")),
    ("POST", "/experiments/5/experiment_runs", 201, EXPERIMENT_RUN),
    ("GET", "/experiment_runs/6/metric_history", 200, page([METRIC])),
    ("GET", "/experiment_runs/metric_history", 200, page([METRIC])),
    ("GET", "/registered_models/99", 404, {"code": "Not Found", "message": "no registered model"}),
    ("POST", "/registered_models", 422,
     {"code": "Bad Request", "message": "required field 'name' is zero value."}),
    ("POST", "/registered_models", 413, {"code": "Payload Too Large", "message": "too big"}),
])
def test_conforming_bodies_pass(spec, method, path, status, body):
    ov.validate_response(spec, method, path, status, body)


def test_path_forms_all_reach_the_same_operation(spec):
    for path in ("/registered_models/{registeredmodelId}",
                 "/api/model_registry/v1alpha3/registered_models/{registeredmodelId}",
                 "/registered_models/12",
                 "/api/model_registry/v1alpha3/registered_models/12",
                 "http://127.0.0.1:8080/api/model_registry/v1alpha3/registered_models/12?x=1"):
        assert ov.operation_for(spec, "GET", path)["operationId"] == "getRegisteredModel", path
        ov.validate_response(spec, "GET", path, 200, REGISTERED_MODEL)


def test_literal_segment_wins_over_path_parameter(spec):
    assert ov.operation_for(spec, "GET", "/experiment_runs/metric_history")[
        "operationId"] == "getExperimentRunsMetricHistory"
    assert ov.operation_for(spec, "GET", "/experiment_runs/6")["operationId"] == "getExperimentRun"
    with pytest.raises(Invalid):
        ov.validate_response(spec, "GET", "/experiment_runs/metric_history", 200, EXPERIMENT_RUN)


def test_the_spec_argument_may_be_a_path_or_a_document(spec):
    ov.validate_response(ov.DEFAULT_SPEC_PATH, "GET", "/registered_models/1", 200,
                         REGISTERED_MODEL)
    ov.validate_response(spec.document, "GET", "/registered_models/1", 200, REGISTERED_MODEL)


def test_health_answers_as_text_or_json(spec):
    ov.validate_response(spec, "GET", "/readyz/health", 200, "OK", content_type="text/plain")
    ov.validate_response(spec, "GET", "/readyz/isDirty", 200, "OK",
                         content_type="text/plain; charset=utf-8")
    ov.validate_response(spec, "GET", "/readyz/health", 200, {"status": "pass", "checks": {}})
    with pytest.raises(Invalid):
        ov.validate_response(spec, "GET", "/readyz/health", 200, "NOT OK",
                             content_type="text/plain")
    with pytest.raises(Invalid):
        ov.validate_response(spec, "GET", "/readyz/health", 200, {"status": "maybe"})


def test_every_declared_response_schema_compiles(spec):
    for operation in spec.operations:
        for status, response in operation.definition["responses"].items():
            for media_type in (spec.resolve(response).get("content") or {}):
                spec.validator(operation, int(status), media_type)


# ---------------------------------------------------------------- bodies that do not conform

@pytest.mark.parametrize("body,fragment", [
    (without(REGISTERED_MODEL, "id"), "id"),
    (without(REGISTERED_MODEL, "name"), "name"),
    (without(REGISTERED_MODEL, "createTimeSinceEpoch"), "createTimeSinceEpoch"),
    (changed(REGISTERED_MODEL, id=1), "$.id"),
    (changed(REGISTERED_MODEL, lastUpdateTimeSinceEpoch=1714400000001),
     "$.lastUpdateTimeSinceEpoch"),
    (changed(REGISTERED_MODEL, description=None), "$.description"),
    (changed(REGISTERED_MODEL, state="DELETED"), "$.state"),
    (changed(REGISTERED_MODEL, name=""), "$.name"),
    (changed(REGISTERED_MODEL, customProperties={}), "$.customProperties"),
    (changed(REGISTERED_MODEL, language=[]), "$.language"),
    (changed(REGISTERED_MODEL, author="ana"), "author"),
    (changed(REGISTERED_MODEL, customProperties={
        "n": {"metadataType": "MetadataIntValue", "int_value": 12}}), "$.customProperties.n"),
    (changed(REGISTERED_MODEL, customProperties={
        "n": {"metadataType": "MetadataProtoValue", "proto_value": "AA=="}}),
     "$.customProperties.n.metadataType"),
    (changed(REGISTERED_MODEL, customProperties={"n": {"string_value": "x"}}),
     "$.customProperties.n"),
    (changed(REGISTERED_MODEL, customProperties={"n": {"metadataType": "MetadataStringValue"}}),
     "string_value"),
    (changed(REGISTERED_MODEL, customProperties={
        "n": {"metadataType": "MetadataStringValue", "string_value": "x", "int_value": "1"}}),
     "int_value"),
    (changed(REGISTERED_MODEL, customProperties={
        "n": {"metadataType": "MetadataBoolValue", "bool_value": "true"}}),
     "$.customProperties.n.bool_value"),
])
def test_nonconforming_entity_is_reported_at_the_faulty_field(spec, body, fragment):
    with pytest.raises(Invalid) as excinfo:
        ov.validate_response(spec, "GET", "/registered_models/1", 200, body)
    assert fragment in str(excinfo.value)


@pytest.mark.parametrize("artifact,fragment", [
    (without(MODEL_ARTIFACT, "artifactType"), "artifactType"),
    (changed(MODEL_ARTIFACT, artifactType="model"), "$.items[0].artifactType"),
    (changed(METRIC, uri="s3://x"), "uri"),
    (changed(METRIC, value="0.25"), "$.items[0].value"),
    (changed(METRIC, step=1.5), "$.items[0].step"),
    (changed(PARAMETER, parameterType="float"), "$.items[0].parameterType"),
    (changed(MODEL_ARTIFACT, digest="sha256:0"), "digest"),
    (changed(DOC, state="GONE"), "$.items[0].state"),
    (changed(DATASET, experimentRunId=6), "$.items[0].experimentRunId"),
])
def test_nonconforming_artifact_is_reported_through_the_discriminator(spec, artifact, fragment):
    with pytest.raises(Invalid) as excinfo:
        ov.validate_response(spec, "GET", "/model_versions/2/artifacts", 200, page([artifact]))
    assert fragment in str(excinfo.value)


@pytest.mark.parametrize("body", [
    without(page([]), "nextPageToken"),
    without(page([]), "items"),
    without(page([]), "size"),
    without(page([]), "pageSize"),
    changed(page([]), items=None),
    changed(page([]), nextPageToken=None),
    changed(page([]), size="0"),
    changed(page([]), pageSize=True),
    changed(page([]), extra=1),
    page([MODEL_VERSION]),
])
def test_nonconforming_list_envelope_fails(spec, body):
    with pytest.raises(Invalid):
        ov.validate_response(spec, "GET", "/registered_models", 200, body)


@pytest.mark.parametrize("body", [
    {"code": "Not Found"},
    {"message": "no"},
    {"code": 404, "message": "no"},
    {"code": "Not Found", "message": "no", "details": []},
])
def test_nonconforming_error_body_fails(spec, body):
    with pytest.raises(Invalid):
        ov.validate_response(spec, "GET", "/registered_models/99", 404, body)


@pytest.mark.parametrize("method,path,status", [
    ("POST", "/registered_models", 200),       # creates answer 201
    ("POST", "/inference_services", 200),      # we deliberately answer 201
    ("GET", "/registered_models/1", 201),
    ("GET", "/registered_models/1/versions", 404),  # unknown parent gives an empty list
    ("GET", "/registered_models/1", 401),      # the server never authenticates
    ("POST", "/model_versions/2/artifacts", 202),
])
def test_undeclared_status_fails(spec, method, path, status):
    with pytest.raises(Invalid, match="not declared"):
        ov.validate_response(spec, method, path, status, REGISTERED_MODEL)


@pytest.mark.parametrize("method,path", [
    ("GET", "/nope"),
    ("GET", "/registered_models/1/nope"),
    ("DELETE", "/registered_models/1"),
    ("PUT", "/registered_models"),
])
def test_unknown_route_fails(spec, method, path):
    with pytest.raises(Invalid):
        ov.validate_response(spec, method, path, 200, {})


def test_wrong_media_type_fails(spec):
    with pytest.raises(Invalid, match="text/plain"):
        ov.validate_response(spec, "GET", "/registered_models/1", 200, "x",
                             content_type="text/plain")


# ---------------------------------------------------------------- v1 (openapi/v1.yaml)

V1_METRIC = changed(without(without(METRIC, "experimentId"), "experimentRunId"), step="3")


@pytest.fixture(scope="module")
def v1_spec():
    return ov.load_spec(ov.SPEC_PATHS["/api/model_registry/v1"])


def test_spec_for_picks_the_document_of_the_version_in_the_url(spec, v1_spec):
    assert ov.spec_for("http://h:1/api/model_registry/v1/registered_models/1") is v1_spec
    assert ov.spec_for("/api/model_registry/v1/openapi.yaml") is v1_spec
    assert ov.spec_for("http://h:1/api/model_registry/v1alpha3/registered_models/1?a=b") is spec
    assert ov.spec_for("/api/model_registry/v1alpha3") is spec
    for elsewhere in ("/api/model_registry/v2/registered_models", "/registered_models", "/"):
        with pytest.raises(Invalid):
            ov.spec_for(elsewhere)


def test_v1_path_forms_reach_the_v1_operation(v1_spec):
    for path in ("/registered_models/{registered_model_id}", "/registered_models/12",
                 "/api/model_registry/v1/registered_models/12",
                 "http://127.0.0.1:8080/api/model_registry/v1/registered_models/12?x=1"):
        assert ov.operation_for(v1_spec, "GET", path)["operationId"] == "getRegisteredModel", path
        ov.validate_response(v1_spec, "GET", path, 200, REGISTERED_MODEL)


def test_a_path_of_the_other_version_matches_nothing(spec, v1_spec):
    with pytest.raises(Invalid, match="no path"):
        ov.operation_for(v1_spec, "GET", "/api/model_registry/v1alpha3/registered_models/1")
    with pytest.raises(Invalid, match="no path"):
        ov.operation_for(spec, "GET", "/api/model_registry/v1/registered_models/1")


@pytest.mark.parametrize("path", ["/experiments", "/experiment_runs/6",
                                  "/experiment_runs/metric_history", "/experiment"])
def test_v1_has_no_experiment_routes(v1_spec, path):
    with pytest.raises(Invalid, match="no path"):
        ov.operation_for(v1_spec, "GET", path)


@pytest.mark.parametrize("method,path,status,body", [
    ("GET", "/artifacts/4", 200, V1_METRIC),
    ("GET", "/model_versions/2/artifacts", 200,
     page([MODEL_ARTIFACT, DOC, DATASET, V1_METRIC, PARAMETER])),
    ("GET", "/artifacts/4", 200, changed(V1_METRIC, step="9223372036854775807")),
    ("GET", "/artifacts/4", 200, changed(V1_METRIC, step="-2147483649")),
    ("POST", "/inference_services", 201,
     stamps(id="10", name="is", registeredModelId="1", servingEnvironmentId="11")),
])
def test_v1_conforming_bodies_pass(v1_spec, method, path, status, body):
    ov.validate_response(v1_spec, method, path, status, body)


@pytest.mark.parametrize("body,fragment", [
    (changed(V1_METRIC, step=3), "step"),
    (changed(V1_METRIC, step="3.5"), "step"),
    (changed(V1_METRIC, experimentId="5"), "experimentId"),
    (changed(V1_METRIC, experimentRunId="6"), "experimentRunId"),
    (changed(MODEL_ARTIFACT, experimentRunId="6"), "experimentRunId"),
])
def test_v1_reports_v1alpha3_only_shapes(v1_spec, body, fragment):
    with pytest.raises(Invalid, match=fragment):
        ov.validate_response(v1_spec, "GET", "/artifacts/4", 200, body)


def test_v1alpha3_metric_step_is_an_integer_of_any_int64(spec):
    for step in (3, 2**31, -(2**63)):
        ov.validate_response(spec, "GET", "/artifacts/4", 200, changed(METRIC, step=step))
    with pytest.raises(Invalid, match="step"):
        ov.validate_response(spec, "GET", "/artifacts/4", 200, changed(METRIC, step="3"))
