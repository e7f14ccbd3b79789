"""openapi/v1.yaml and openapi/v1alpha3.yaml: each document's own consistency, the copy the
server serves, the agreement between its operations and the server's route table, and the
differences between the two versions (everything else is the same)."""
import importlib.util
import os
import re
import subprocess

import pytest
import requests
import yaml

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _shared_conftest():
    # Loaded by file path: several suites have a conftest.py, so `import conftest` is ambiguous.
    spec = importlib.util.spec_from_file_location("mr_shared_conftest",
                                                  os.path.join(TESTS_DIR, "conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_conftest = _shared_conftest()
binary_path = _conftest.binary_path
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

from operation_inventory import (OPERATION_IDS_BY_PREFIX, SERVICE_OPERATION_IDS,  # noqa: E402
                                 V1_PATH_PARAMETER_NAMES, V1_PREFIX, V1ALPHA3_PREFIX)
SPEC_PATHS = {V1_PREFIX: os.path.join(_conftest.REPO_ROOT, "openapi", "v1.yaml"),
              V1ALPHA3_PREFIX: os.path.join(_conftest.REPO_ROOT, "openapi", "v1alpha3.yaml")}
VERSION_IDS = ["v1", "v1alpha3"]
UPSERTS = {"upsertModelVersionArtifact", "upsertExperimentRunArtifact"}
# Bodies the server decodes strictly (unknown fields: 400).
STRICT_BODIES = {
    "RegisteredModelCreate", "RegisteredModelUpdate", "ModelVersionCreate", "ModelVersionUpdate",
    "ModelVersionNestedCreate", "ModelArtifactCreate", "ModelArtifactUpdate",
    "ServingEnvironmentCreate", "ServingEnvironmentUpdate", "InferenceServiceCreate",
    "InferenceServiceUpdate", "ServeModelCreate", "ExperimentCreate", "ExperimentUpdate",
    "ExperimentRunCreate", "ExperimentRunUpdate", "ExperimentRunNestedCreate",
}
REQUIRED_ON_CREATE = {
    "RegisteredModelCreate": {"name"},
    "ModelVersionCreate": {"name", "registeredModelId"},
    "ModelVersionNestedCreate": {"name", "registeredModelId"},
    "ServingEnvironmentCreate": {"name"},
    "InferenceServiceCreate": {"registeredModelId", "servingEnvironmentId"},
    "ServeModelCreate": {"modelVersionId"},
    "ExperimentCreate": {"name"},
    "ExperimentRunCreate": {"experimentId"},
    "ExperimentRunNestedCreate": {"experimentId"},
}
ARTIFACT_UNIONS = {"Artifact", "ArtifactCreate", "ArtifactUpdate", "ArtifactUpsert"}
ARTIFACT_TYPES = {"model-artifact", "doc-artifact", "dataset-artifact", "metric", "parameter"}
LIST_SCHEMAS = {"RegisteredModelList", "ModelVersionList", "ArtifactList", "ModelArtifactList",
                "ServingEnvironmentList", "InferenceServiceList", "ServeModelList",
                "ExperimentList", "ExperimentRunList", "MetricList"}
# Schemas only v1alpha3 has: v1 has no experiments, runs or metric history.
V1ALPHA3_ONLY_SCHEMAS = {
    "Experiment", "ExperimentCreate", "ExperimentList", "ExperimentRun", "ExperimentRunCreate",
    "ExperimentRunList", "ExperimentRunNestedCreate", "ExperimentRunState", "ExperimentRunStatus",
    "ExperimentRunUpdate", "ExperimentState", "ExperimentUpdate", "MetricList"}


def in_version(names, prefix):
    """The schema names of `names` that the version at `prefix` has."""
    return set(names) - (V1ALPHA3_ONLY_SCHEMAS if prefix == V1_PREFIX else set())


def load(prefix):
    with open(SPEC_PATHS[prefix], encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module", params=[V1_PREFIX, V1ALPHA3_PREFIX], ids=VERSION_IDS)
def prefix(request):
    return request.param


@pytest.fixture(scope="module")
def spec(prefix):
    return load(prefix)


@pytest.fixture(scope="module")
def v1():
    return load(V1_PREFIX)


@pytest.fixture(scope="module")
def v1alpha3():
    return load(V1ALPHA3_PREFIX)


def operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                params = list(item.get("parameters", [])) + op.get("parameters", [])
                yield method, path, op, params


def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def body_schema_name(op):
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]


def normalise(path):
    return re.sub(r"\{[^}]*\}", "{}", path)


# ---------------------------------------------------------------- the document itself

def test_operation_ids_are_exactly_the_api_plus_service_routes(spec, prefix):
    ids = [op["operationId"] for _, _, op, _ in operations(spec)]
    assert len(ids) == len(set(ids)), "duplicate operationIds"
    assert set(ids) == OPERATION_IDS_BY_PREFIX[prefix] | SERVICE_OPERATION_IDS
    assert len(ids) == {V1_PREFIX: 43, V1ALPHA3_PREFIX: 59}[prefix]


def test_every_path_is_under_the_api_base_path(spec, prefix):
    assert all(path.startswith(prefix + "/") for path in spec["paths"])
    assert spec["info"]["version"] == prefix.rsplit("/", 1)[-1]


def test_path_parameters_match_the_template(spec):
    for method, path, op, params in operations(spec):
        declared = {resolve(spec, p)["name"] for p in params if resolve(spec, p)["in"] == "path"}
        assert declared == set(re.findall(r"\{([^}]*)\}", path)), (method, path)


def test_every_local_reference_resolves(spec):
    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                resolve(spec, node)  # raises KeyError when dangling
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(spec)


def test_success_statuses_follow_the_server(spec):
    for method, path, op, _ in operations(spec):
        success = {code for code in op["responses"] if code.startswith("2")}
        op_id = op["operationId"]
        if op_id in UPSERTS:
            assert success == {"200", "201"}, op_id
        elif op_id.startswith("create"):
            assert success == {"201"}, op_id
        else:
            assert success == {"200"}, op_id


def test_error_statuses_declared_where_they_can_happen(spec):
    for method, path, op, params in operations(spec):
        codes = set(op["responses"])
        op_id = op["operationId"]
        assert {"500", "503"} <= codes, op_id
        if "requestBody" in op:
            assert {"400", "413"} <= codes, op_id
        if params or "requestBody" in op:
            assert "400" in codes, op_id
        if op_id.startswith(("update", "find")) or (
                op_id.startswith("get") and "{" in path and not path.endswith(
                    ("/versions", "/artifacts", "/inference_services", "/serves"))):
            assert "404" in codes, op_id
        if op_id.startswith("create") and body_schema_name(op) in REQUIRED_ON_CREATE:
            assert "422" in codes, op_id
        if "422" in codes:
            assert body_schema_name(op) in REQUIRED_ON_CREATE, op_id


def test_nested_lists_without_parent_check_declare_no_404(spec):
    by_id = {op["operationId"]: op for _, _, op, _ in operations(spec)}
    for op_id in ("getRegisteredModelVersions", "getModelVersionArtifacts",
                  "getExperimentRunArtifacts", "getEnvironmentInferenceServices",
                  "getInferenceServiceServes"):
        if op_id in by_id:
            assert "404" not in by_id[op_id]["responses"], op_id
    for op_id in ("getExperimentExperimentRuns", "getExperimentRunMetricHistory"):
        if op_id in by_id:
            assert "404" in by_id[op_id]["responses"], op_id


def test_error_responses_use_the_error_schema(spec):
    for method, path, op, _ in operations(spec):
        for code, response in op["responses"].items():
            if code.startswith("2") or (op["operationId"].startswith("readyz") and code == "503"):
                continue
            content = resolve(spec, response)["content"]
            assert set(content) == {"application/json"}, (op["operationId"], code)
            assert content["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message"}
    assert {p["type"] for p in error["properties"].values()} == {"string"}


def test_api_success_bodies_are_json(spec):
    for method, path, op, _ in operations(spec):
        if op["operationId"] in SERVICE_OPERATION_IDS:
            continue
        for code, response in op["responses"].items():
            if code.startswith("2"):
                assert set(resolve(spec, response)["content"]) == {"application/json"}


def test_strict_bodies_forbid_unknown_fields_and_require_the_right_fields(spec, prefix):
    schemas = spec["components"]["schemas"]
    used = {body_schema_name(op) for _, _, op, _ in operations(spec) if "requestBody" in op}
    strict = in_version(STRICT_BODIES, prefix)
    assert strict <= used
    for name in strict:
        assert schemas[name]["additionalProperties"] is False, name
        assert set(schemas[name].get("required", [])) == REQUIRED_ON_CREATE.get(name, set()), name
    for name in used - strict:
        assert name in ARTIFACT_UNIONS, name


def test_update_bodies_carry_no_defaults(spec):
    def has_default(node):
        if isinstance(node, dict):
            return "default" in node or any(has_default(v) for v in node.values())
        if isinstance(node, list):
            return any(has_default(v) for v in node)
        return False
    for name, schema in spec["components"]["schemas"].items():
        if name.endswith(("Update", "UpdateVariant")):
            assert not has_default(schema), name


def test_artifact_unions_dispatch_on_artifact_type(spec):
    schemas = spec["components"]["schemas"]
    for union in ARTIFACT_UNIONS:
        discriminator = schemas[union]["discriminator"]
        assert discriminator["propertyName"] == "artifactType"
        assert set(discriminator["mapping"]) == ARTIFACT_TYPES
        targets = [ref["$ref"] for ref in schemas[union]["oneOf"]]
        assert sorted(targets) == sorted(discriminator["mapping"].values())
        for value, target in discriminator["mapping"].items():
            variant = resolve(spec, {"$ref": target})
            assert variant["properties"]["artifactType"]["enum"] == [value]
            assert "artifactType" in variant["required"]
            if union != "Artifact":  # request members are decoded leniently
                assert "additionalProperties" not in variant, target
    for union in ("ArtifactCreate", "ArtifactUpsert"):
        metric = resolve(spec, {"$ref": schemas[union]["discriminator"]["mapping"]["metric"]})
        assert "value" in metric["required"], union


def test_responses_require_identity_fields(spec, prefix):
    schemas = spec["components"]["schemas"]
    entities = in_version(["RegisteredModel", "ModelVersion", "ServingEnvironment",
                           "InferenceService", "ServeModel", "Experiment", "ExperimentRun",
                           "ModelArtifact", "DocArtifact", "DataSet", "Metric", "Parameter"],
                          prefix)
    for name in entities:
        schema = schemas[name]
        assert {"id", "name", "createTimeSinceEpoch", "lastUpdateTimeSinceEpoch"} <= set(
            schema["required"]), name
        for field in ("id", "createTimeSinceEpoch", "lastUpdateTimeSinceEpoch"):
            assert schema["properties"][field]["type"] == "string", (name, field)
    for name in in_version(LIST_SCHEMAS, prefix):
        schema = schemas[name]
        assert set(schema["required"]) == {"nextPageToken", "pageSize", "size", "items"}, name
        props = schema["properties"]
        assert props["nextPageToken"]["type"] == "string"
        assert (props["pageSize"]["type"], props["pageSize"]["format"]) == ("integer", "int32")
        assert props["size"]["type"] == "integer" and props["items"]["type"] == "array"


def schemas_reachable_from(spec, roots):
    seen, pending = set(), list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if "$ref" in node and node["$ref"] not in seen:
                seen.add(node["$ref"])
                pending.append(resolve(spec, node))
            pending.extend(v for k, v in node.items() if k != "$ref")
        elif isinstance(node, list):
            pending.extend(node)
    return {ref.rsplit("/", 1)[-1] for ref in seen if ref.startswith("#/components/schemas/")}


def contains_key(node, key):
    if isinstance(node, dict):
        return key in node or any(contains_key(v, key) for v in node.values())
    if isinstance(node, list):
        return any(contains_key(v, key) for v in node)
    return False


def test_responses_never_allow_null_and_share_no_schema_with_requests(spec):
    responses = [resolve(spec, r) for _, _, op, _ in operations(spec)
                 for r in op["responses"].values()]
    bodies = [op["requestBody"] for _, _, op, _ in operations(spec) if "requestBody" in op]
    response_schemas = schemas_reachable_from(spec, responses)
    request_schemas = schemas_reachable_from(spec, bodies)
    enums = {name for name, s in spec["components"]["schemas"].items() if "enum" in s}
    assert not (response_schemas & request_schemas) - enums
    for name in response_schemas:
        assert not contains_key(spec["components"]["schemas"][name], "nullable"), name


def test_optional_request_fields_accept_null_and_required_ones_do_not(spec, prefix):
    # The server reads null on an optional field as "not supplied" (docs/api-behaviour.md §2.3).
    schemas = spec["components"]["schemas"]
    for name in in_version(STRICT_BODIES, prefix):
        required = set(schemas[name].get("required", []))
        for prop, schema in schemas[name]["properties"].items():
            if schema.get("readOnly"):
                continue
            assert schema.get("nullable", False) is (prop not in required), (name, prop)


def test_custom_property_values_exclude_proto(spec):
    kinds = {"MetadataIntValue", "MetadataDoubleValue", "MetadataStringValue",
             "MetadataStructValue", "MetadataBoolValue"}
    schemas = spec["components"]["schemas"]
    assert set(schemas["MetadataValue"]["discriminator"]["mapping"]) == kinds
    assert set(schemas["MetadataValueInput"]["properties"]["metadataType"]["enum"]) == kinds


def test_request_bodies_have_no_union_below_their_root(spec):
    # schemathesis cannot negate a oneOf/anyOf nested inside a body and reports the operation
    # as a schema error at random, so unions may only sit at the top of a body.
    def walk(node, where, seen):
        node_ref = node.get("$ref") if isinstance(node, dict) else None
        if node_ref:
            if node_ref in seen:
                return
            seen = seen | {node_ref}
        node = resolve(spec, node)
        if not isinstance(node, dict):
            return
        assert not {"oneOf", "anyOf"} & set(node), f"union at {where}"
        for name, sub in node.get("properties", {}).items():
            walk(sub, f"{where}.{name}", seen)
        for keyword in ("additionalProperties", "items"):
            if isinstance(node.get(keyword), dict):
                walk(node[keyword], f"{where}.{keyword}", seen)
        for index, sub in enumerate(node.get("allOf", [])):
            walk(sub, f"{where}.allOf[{index}]", seen)

    for method, path, op, _ in operations(spec):
        if "requestBody" not in op:
            continue
        root = resolve(spec, op["requestBody"]["content"]["application/json"]["schema"])
        members = root.get("oneOf", [root])
        for member in members:
            member = resolve(spec, member)
            for name, sub in member.get("properties", {}).items():
                walk(sub, f"{op['operationId']}.{name}", frozenset())


# ---------------------------------------------------------------- ids (both versions)

# The id grammar of the contract: upstream's ParseInt(s, 10, 32).
VALID_IDS = ["1", "12", "0", "-3", "+5", "007", "-0", "2147483647", "-2147483648",
             "002147483647", "999999999", "1000000000"]
INVALID_IDS = ["", "abc", "1.5", "2147483648", "-2147483649", "99999999999", " 1", "1 ", "0x1",
               "1e3", "+", "-", "--1", "1_000"]


# Request fields that name an entity by id (externalId and modelSourceId are free text).
ID_REFERENCES = {"id", "registeredModelId", "modelVersionId", "servingEnvironmentId",
                 "experimentId"}


def id_inputs(spec):
    """(where, schema) of every id a request carries: path ids, parentResourceId and the
    id references in request bodies."""
    for name, param in spec["components"]["parameters"].items():
        if param["in"] == "path" or name == "parentResourceId":
            yield f"parameter {name}", param["schema"]
    for name, schema in spec["components"]["schemas"].items():
        if not name.endswith(("Create", "Update", "Upsert", "Variant")):
            continue
        for prop, sub in schema.get("properties", {}).items():
            if prop in ID_REFERENCES:
                yield f"{name}.{prop}", sub


def test_every_request_id_is_an_int32_decimal(spec):
    where = [w for w, _ in id_inputs(spec)]
    assert "parameter parentResourceId" in where and "ModelVersionCreate.registeredModelId" in where
    for where, schema in id_inputs(spec):
        assert schema["type"] == "string", where
        pattern = re.compile(schema["pattern"])
        for value in VALID_IDS:
            assert pattern.search(value), (where, value)
        for value in INVALID_IDS:
            assert not pattern.search(value), (where, value)


def test_id_parameters_document_the_404_for_a_valid_id_naming_nothing(spec):
    for name, param in spec["components"]["parameters"].items():
        if param["in"] == "path":
            assert "2147483647" in param["description"] and "404" in param["description"], name


def test_enum_query_parameters_admit_the_empty_value_the_server_reads_as_absent(spec):
    # `artifactType=` lists every kind (test_api_artifacts.py); without allowEmptyValue a
    # schema-driven tester expects 400 for the empty string, which is outside the enum.
    checked = 0
    for method, path, op, params in operations(spec):
        for param in (resolve(spec, p) for p in params):
            if param["in"] == "query" and "enum" in resolve(spec, param["schema"]):
                assert param.get("allowEmptyValue") is True, (method, path, param["name"])
                checked += 1
    assert checked >= 2  # /artifacts and /model_versions/{id}/artifacts at least


def test_typed_model_artifact_bodies_take_any_artifact_type(spec):
    schemas = spec["components"]["schemas"]
    for name in ("ModelArtifactCreate", "ModelArtifactUpdate"):
        artifact_type = schemas[name]["properties"]["artifactType"]
        assert artifact_type["type"] == "string" and "enum" not in artifact_type, name
        assert "pattern" not in artifact_type, name
    # The generic routes still dispatch on it (test_artifact_unions_dispatch_on_artifact_type).


# ---------------------------------------------------------------- v1 against v1alpha3

V1_RENAMED_PARAMETERS = {"registeredmodelId": "registered_model_id",
                         "modelversionId": "model_version_id",
                         "modelartifactId": "model_artifact_id",
                         "servingenvironmentId": "serving_environment_id",
                         "inferenceserviceId": "inference_service_id"}
# The seven list operations upstream's v1 declares a 400 for (ours declare it in both).
V1_LISTS_WITH_400 = {"getEnvironmentInferenceServices", "getInferenceServiceServes",
                     "getModelVersionArtifacts", "getModelVersions", "getRegisteredModelVersions",
                     "getRegisteredModels", "getServingEnvironments"}


def test_v1_path_parameters_have_the_snake_case_names(v1):
    names = {resolve(v1, p)["name"] for _, _, _, params in operations(v1) for p in params
             if resolve(v1, p)["in"] == "path"}
    assert names == V1_PATH_PARAMETER_NAMES


def test_v1_has_no_experiment_schemas_routes_or_fields(v1, v1alpha3):
    schemas = v1["components"]["schemas"]
    assert not set(schemas) & V1ALPHA3_ONLY_SCHEMAS
    assert V1ALPHA3_ONLY_SCHEMAS <= set(v1alpha3["components"]["schemas"])
    assert not [p for p in v1["paths"] if "/experiment" in p]
    assert not {"experimentId", "experimentrunId", "stepIds"} & set(v1["components"]["parameters"])
    assert not contains_key(schemas, "experimentId")
    assert not contains_key(schemas, "experimentRunId")
    for name in ("ModelArtifact", "DocArtifact", "DataSet", "Metric", "Parameter"):
        props = v1alpha3["components"]["schemas"][name]["properties"]
        assert {"experimentId", "experimentRunId"} <= set(props), name


def test_metric_step_is_an_int64_string_on_v1_and_an_integer_on_v1alpha3(v1, v1alpha3):
    for name in ("Metric", "MetricCreate", "MetricUpdate", "MetricUpsert"):
        step = v1["components"]["schemas"][name]["properties"]["step"]
        assert (step["type"], step["format"]) == ("string", "int64"), name
        pattern = re.compile(step["pattern"])
        for value in ("3", "0", "-1", "2147483648", "9223372036854775807", "-9223372036854775808"):
            assert pattern.search(value), (name, value)
        for value in ("", "x", "1.5", "3.0", " 3"):
            assert not pattern.search(value), (name, value)
        if name != "Metric":  # requests: exactly the int64 range
            for value in ("9223372036854775808", "-9223372036854775809", "99999999999999999999"):
                assert not pattern.search(value), (name, value)
        else:  # responses: normalised decimals
            for value in ("+3", "03", "-0"):
                assert not pattern.search(value), (name, value)
        old = v1alpha3["components"]["schemas"][name]["properties"]["step"]
        assert old["type"] == "integer", name
    # A step written through v1 may lie outside int32 and reads back on v1alpha3 as an integer.
    read = v1alpha3["components"]["schemas"]["Metric"]["properties"]["step"]
    assert read["format"] == "int64" and "maximum" not in read and "minimum" not in read


def test_v1_list_operations_declare_400(v1):
    by_id = {op["operationId"]: op for _, _, op, _ in operations(v1)}
    for op_id in V1_LISTS_WITH_400:
        assert "400" in by_id[op_id]["responses"], op_id


def test_v1alpha3_operations_are_deprecated_and_v1_operations_are_not(v1, v1alpha3):
    assert all(op.get("deprecated") is True for _, _, op, _ in operations(v1alpha3))
    assert not any("deprecated" in op for _, _, op, _ in operations(v1))
    assert "Deprecation: true" in v1alpha3["info"]["description"]


def _without_version_differences(node):
    """`node` with the documented v1/v1alpha3 differences taken out (a copy)."""
    if isinstance(node, dict):
        return {_without_version_differences(key): _without_version_differences(value)
                for key, value in node.items()
                if key not in ("experimentId", "experimentRunId", "step", "deprecated")
                and not (key == "description" and isinstance(value, str))}
    if isinstance(node, list):
        return [_without_version_differences(value) for value in node]
    if isinstance(node, str):
        for old, new in V1_RENAMED_PARAMETERS.items():
            node = node.replace(old, new)
        return node.replace(V1ALPHA3_PREFIX, V1_PREFIX)
    return node


def test_v1_is_v1alpha3_apart_from_the_documented_differences(v1, v1alpha3):
    """One description of the API: every operation, parameter and schema v1 has is the
    v1alpha3 one, apart from the prefix, the parameter names, the experiment fields, `step`
    and the wording."""
    old_paths = _without_version_differences(v1alpha3["paths"])
    for path, item in v1["paths"].items():
        assert _without_version_differences(item) == old_paths[path], path
    old_params = _without_version_differences(v1alpha3["components"]["parameters"])
    for name, param in v1["components"]["parameters"].items():
        assert _without_version_differences(param) == old_params[name], name
    old_schemas = v1alpha3["components"]["schemas"]
    for name, schema in v1["components"]["schemas"].items():
        assert (_without_version_differences(schema)
                == _without_version_differences(old_schemas[name])), name
    assert v1["components"]["responses"] == v1alpha3["components"]["responses"]


# ---------------------------------------------------------------- the running server

@pytest.mark.parametrize("version_prefix", [V1_PREFIX, V1ALPHA3_PREFIX], ids=VERSION_IDS)
def test_server_serves_this_exact_file(server, version_prefix):
    resp = requests.get(server.url + version_prefix + "/openapi.yaml", timeout=10)
    assert resp.status_code == 200
    media_type = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    assert media_type == "application/yaml", resp.headers.get("Content-Type")
    with open(SPEC_PATHS[version_prefix], "rb") as f:
        expected = f.read()
    assert resp.content == expected, (
        f"served document ({len(resp.content)} bytes) differs from "
        f"{SPEC_PATHS[version_prefix]} ({len(expected)} bytes)")


def test_spec_operations_equal_the_server_route_table(spec, prefix):
    binary = binary_path()
    assert os.path.exists(binary), f"server binary {binary} not found (set MR_BINARY)"
    proc = subprocess.run([binary, "routes"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, f"`model-registry routes` failed: {proc.stderr}"
    served = set()
    served_ids = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        # `METHOD PATH [operationId]`; this test looks at the rows of one version.
        if not parts[1].startswith(prefix + "/"):
            continue
        method, path = parts[0].upper(), normalise(parts[1])
        if method in ("OPTIONS", "HEAD"):  # CORS preflight and HEAD are not API routes
            continue
        served.add((method, path))
        if len(parts) > 2:
            served_ids[(method, path)] = parts[2]
    declared_ids = {(method.upper(), normalise(path)): op["operationId"]
                    for method, path, op, _ in operations(spec)}
    declared = set(declared_ids)
    only_served = sorted(served - declared)
    only_declared = sorted(declared - served)
    assert not only_served and not only_declared, (
        "route table and OpenAPI document differ:\n"
        + "".join(f"  served, not in the document: {m} {p}\n" for m, p in only_served)
        + "".join(f"  in the document, not served: {m} {p}\n" for m, p in only_declared))
    wrong_ids = {route: (op_id, declared_ids[route]) for route, op_id in served_ids.items()
                 if declared_ids[route] != op_id}
    assert not wrong_ids, f"operationId differs (served, declared): {wrong_ids}"
