"""Cross-cutting checks over the whole API surface (§ numbers refer to docs/api-behaviour.md):
CORS (§1.3 with PATCH added), filterQuery on every list route (§6.1 plus §14
deviation-filter-everywhere, deviation-not-equal, deviation-filter-keywords-any-case), a smoke
request for every route `model-registry routes` prints (under both API versions),
405 for unknown methods on known paths (§1.2), the 56-operation inventory of
v1alpha3 (§15) and the 40 of v1."""
import os
import subprocess

import pytest
import yaml

from api_helpers import (create_artifact, create_experiment, create_is, create_run, create_se,
                         create_serve, filter_eq, metric_body, upsert_artifact)
from helpers import (create_mv, create_rm, expect_error, expect_json, get, ids, is_json_response,
                     list_body, model_artifact_body, request, unique, upsert_mv_artifact)
from helpers import server, shared_server  # noqa: F401  (fixture overrides)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from operation_inventory import SERVICE_OPERATION_IDS as EXTRA_ROUTES  # noqa: E402
from operation_inventory import V1_OPERATION_IDS, V1_PREFIX, V1ALPHA3_PREFIX  # noqa: E402
from operation_inventory import API_OPERATION_IDS as INVENTORY  # noqa: E402

API_PREFIX = V1ALPHA3_PREFIX


def binary_path():
    return os.environ.get("MR_BINARY", os.path.join(REPO_ROOT, "build", "model-registry"))


def served_routes():
    """[(prefix, method, path template relative to the prefix, operationId)] from the binary,
    in the order it prints them."""
    out = subprocess.run([binary_path(), "routes"], check=True, capture_output=True, text=True,
                         timeout=20).stdout
    rows = []
    for line in out.splitlines():
        if not line.strip():
            continue
        method, path, operation_id = line.split()
        prefix = next((p for p in (V1_PREFIX, V1ALPHA3_PREFIX) if path.startswith(p + "/")), None)
        assert prefix, f"route under no API version: {line}"
        rows.append((prefix, method, path[len(prefix):], operation_id))
    return rows


def _load_document():
    """The v1alpha3 OpenAPI document, with paths made relative to the API prefix."""
    with open(os.path.join(REPO_ROOT, "openapi", "v1alpha3.yaml")) as f:
        document = yaml.safe_load(f)
    document["paths"] = {path[len(API_PREFIX):] if path.startswith(API_PREFIX + "/") else path:
                         item for path, item in document["paths"].items()}
    return document


ALL_ROUTES = served_routes()
ROUTES = [(m, p, o) for prefix, m, p, o in ALL_ROUTES if prefix == V1ALPHA3_PREFIX]
API_ROUTES = [row for row in ROUTES if row[2] not in EXTRA_ROUTES]
V1_ROUTES = [(m, p, o) for prefix, m, p, o in ALL_ROUTES if prefix == V1_PREFIX]
V1_API_ROUTES = [row for row in V1_ROUTES if row[2] not in EXTRA_ROUTES]


@pytest.fixture(scope="module")
def api(shared_server):
    return shared_server.api


@pytest.fixture(scope="module")
def api_v1(shared_server):
    return shared_server.url + V1_PREFIX


# ================================================================ inventory

def test_routes_lists_56_operations_plus_3_extras():
    assert len(API_ROUTES) == 56, API_ROUTES
    assert {row[2] for row in API_ROUTES} == INVENTORY
    assert len({row[2] for row in ROUTES}) == len(ROUTES) == 59
    assert {row[2] for row in ROUTES} - INVENTORY == EXTRA_ROUTES
    assert len({(m, p) for m, p, _ in ROUTES}) == 59, "no (method, path) is served twice"


def test_routes_list_v1_first_with_40_operations_plus_3_extras():
    prefixes = [row[0] for row in ALL_ROUTES]
    assert prefixes == sorted(prefixes, key=lambda p: p != V1_PREFIX), "v1 rows come first"
    assert len(V1_API_ROUTES) == 40, V1_API_ROUTES
    assert {row[2] for row in V1_API_ROUTES} == V1_OPERATION_IDS
    assert {row[2] for row in V1_ROUTES} - V1_OPERATION_IDS == EXTRA_ROUTES
    assert len({(m, p) for m, p, _ in V1_ROUTES}) == len(V1_ROUTES) == 43
    # Same wire paths as v1alpha3 (placeholder names aside), minus the experiment routes.
    old = {(m, concrete(p), o) for m, p, o in ROUTES}
    assert {(m, concrete(p), o) for m, p, o in V1_ROUTES} <= old
    assert not [p for _, p, _ in V1_ROUTES if p.startswith("/experiment")]


def test_routes_match_the_openapi_document():
    document = _load_document()
    documented = {(method.upper(), path, op["operationId"])
                  for path, item in document["paths"].items()
                  for method, op in item.items() if isinstance(op, dict) and "operationId" in op}
    served = {(m, p, o) for m, p, o in API_ROUTES}
    assert served <= documented, served - documented


# ================================================================ CORS

def version(prefix):
    return prefix.rsplit("/", 1)[-1]


def concrete(path):
    """A path template with every {param} replaced by an id."""
    out = []
    for segment in path.split("/"):
        out.append("1" if segment.startswith("{") else segment)
    return "/".join(out)


def allowed_methods(resp):
    return {m.strip().upper() for m in resp.headers.get("Access-Control-Allow-Methods", "")
            .split(",") if m.strip()}


PREFLIGHT_ROUTES = ([(V1ALPHA3_PREFIX,) + row for row in API_ROUTES]
                    + [(V1_PREFIX,) + row for row in V1_API_ROUTES])


@pytest.mark.parametrize("prefix,method,path,_op", PREFLIGHT_ROUTES,
                         ids=[f"{m} {version(pre)}{p}" for pre, m, p, _ in PREFLIGHT_ROUTES])
def test_cors_preflight_on_every_route(shared_server, prefix, method, path, _op):
    origin = "http://ui.example.com:3000"
    resp = request("OPTIONS", shared_server.url + prefix + concrete(path), headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "Content-Type"})
    assert resp.status_code == 200, resp.text
    assert resp.headers.get("Access-Control-Allow-Origin") == origin
    methods = allowed_methods(resp)
    assert {"GET", "POST", "PATCH", "OPTIONS"} <= methods, methods
    assert method in methods
    assert "content-type" in resp.headers.get("Access-Control-Allow-Headers", "").lower()
    assert resp.headers.get("Access-Control-Allow-Credentials", "").lower() != "true"


def test_cors_preflight_for_patch_echoes_https_origin(api):
    origin = "https://registry.example.org"
    resp = request("OPTIONS", api + "/experiment_runs/5", headers={
        "Origin": origin, "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "content-type, authorization"})
    assert resp.status_code == 200
    assert resp.headers.get("Access-Control-Allow-Origin") == origin
    assert "PATCH" in allowed_methods(resp)
    assert "authorization" in resp.headers.get("Access-Control-Allow-Headers", "").lower()


def test_cors_headers_on_plain_requests(api):
    origin = "http://localhost:8080"
    headers = {"Origin": origin}
    rm = expect_json(request("POST", api + "/registered_models", headers=headers,
                             json={"name": unique("cors")}), 201)
    responses = [
        request("GET", api + "/registered_models", headers=headers),
        request("PATCH", api + f"/registered_models/{rm['id']}", headers=headers,
                json={"description": "cors"}),
        request("GET", api + "/experiment_runs/metric_history", headers=headers),
        request("GET", api + "/registered_models/987654321", headers=headers),
        request("POST", api + "/serving_environments", headers=headers, json={}),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 404, 422]
    for resp in responses:
        assert resp.headers.get("Access-Control-Allow-Origin") == origin, resp.request.url
        assert is_json_response(resp)


def test_cors_ignores_requests_without_a_web_origin(api):
    plain = request("GET", api + "/registered_models")
    assert plain.status_code == 200
    assert "Access-Control-Allow-Origin" not in plain.headers
    odd = request("GET", api + "/registered_models", headers={"Origin": "null"})
    assert odd.status_code == 200
    assert odd.headers.get("Access-Control-Allow-Origin") in (None, "")


# ================================================================ filterQuery on every list route

# Each row: (route template, how a target item is matched). The metric-history rows
# match on `step`, since their stored name carries an internal suffix.
LIST_ROUTES = [
    ("/registered_models", "name"),
    ("/model_versions", "name"),
    ("/registered_models/{rm}/versions", "name"),
    ("/model_versions/{mv}/artifacts", "name"),
    ("/artifacts", "name"),
    ("/model_artifacts", "name"),
    ("/serving_environments", "name"),
    ("/serving_environments/{se}/inference_services", "name"),
    ("/inference_services", "name"),
    ("/inference_services/{is}/serves", "name"),
    ("/experiments", "name"),
    ("/experiments/{exp}/experiment_runs", "name"),
    ("/experiment_runs", "name"),
    ("/experiment_runs/{run}/artifacts", "name"),
    ("/experiment_runs/{run}/metric_history", "step"),
    ("/experiment_runs/metric_history", "step"),
]


def test_list_route_table_covers_every_list_route():
    """Every operation whose 200 answer is a *List schema is in LIST_ROUTES."""
    document = _load_document()
    list_paths = set()
    for path, item in document["paths"].items():
        operation = item.get("get")
        if not isinstance(operation, dict):
            continue
        ok = operation.get("responses", {}).get("200", {})
        ref = ok.get("$ref", "")
        if ref:
            ok = document
            for part in ref.lstrip("#/").split("/"):
                ok = ok[part]
        schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("$ref", "").endswith("List"):
            list_paths.add(path)
    served_lists = list_paths & {p for m, p, _ in API_ROUTES if m == "GET"}
    assert len(served_lists) == 16, sorted(served_lists)
    table = {route.replace("{rm}", "{registeredmodelId}").replace("{mv}", "{modelversionId}")
             .replace("{se}", "{servingenvironmentId}").replace("{is}", "{inferenceserviceId}")
             .replace("{exp}", "{experimentId}").replace("{run}", "{experimentrunId}")
             for route, _ in LIST_ROUTES}
    assert served_lists == table, served_lists ^ table


# Names with both quote kinds, a backslash and LIKE metacharacters.
TRICKY = "q'\"%_\\"


@pytest.fixture(scope="module")
def world(shared_server):
    """Two items (target and other) in every list, on the module's server."""
    api = shared_server.api
    tag = unique("w")
    rms = [create_rm(api, f"{tag}-rm-{i}{TRICKY}") for i in range(2)]
    mvs = [create_mv(api, rms[0]["id"], f"{tag}-mv-{i}{TRICKY}") for i in range(2)]
    mv_arts = [upsert_mv_artifact(api, mvs[0]["id"],
                                  model_artifact_body(f"{tag}-ma-{i}{TRICKY}")) for i in range(2)]
    ses = [create_se(api, f"{tag}-se-{i}{TRICKY}") for i in range(2)]
    iss = [create_is(api, ses[0]["id"], rms[0]["id"], f"{tag}-is-{i}{TRICKY}") for i in range(2)]
    serves = [create_serve(api, iss[0]["id"], mvs[0]["id"], name=f"{tag}-sv-{i}{TRICKY}")
              for i in range(2)]
    exps = [create_experiment(api, f"{tag}-exp-{i}{TRICKY}") for i in range(2)]
    runs = [create_run(api, exps[0]["id"], f"{tag}-run-{i}{TRICKY}") for i in range(2)]
    run_arts = [upsert_artifact(api, "experiment_runs", runs[0]["id"],
                                metric_body(f"{tag}-m-{i}{TRICKY}", float(i), step=1000 + i))
                for i in range(2)]
    history = list_body(api, f"/experiment_runs/{runs[0]['id']}/metric_history")["items"]
    assert len(history) == 2
    return {
        "api": api,
        "params": {"rm": rms[0]["id"], "mv": mvs[0]["id"], "se": ses[0]["id"],
                   "is": iss[0]["id"], "exp": exps[0]["id"], "run": runs[0]["id"]},
        "pairs": {
            "/registered_models": rms, "/model_versions": mvs,
            "/registered_models/{rm}/versions": mvs, "/model_versions/{mv}/artifacts": mv_arts,
            "/artifacts": mv_arts, "/model_artifacts": mv_arts, "/serving_environments": ses,
            "/serving_environments/{se}/inference_services": iss, "/inference_services": iss,
            "/inference_services/{is}/serves": serves, "/experiments": exps,
            "/experiments/{exp}/experiment_runs": runs, "/experiment_runs": runs,
            "/experiment_runs/{run}/artifacts": run_arts,
            "/experiment_runs/{run}/metric_history": history,
            "/experiment_runs/metric_history": history,
        },
    }


def _condition(field, item, op="="):
    if field == "step":
        return f"step {op} {item['step']}"
    if op == "=":
        return filter_eq("name", item["name"])
    return filter_eq("name", item["name"]).replace(" = ", f" {op} ", 1)


@pytest.mark.parametrize("route,field", LIST_ROUTES, ids=[r for r, _ in LIST_ROUTES])
def test_every_list_route_honours_filter_query(world, route, field):
    api, path = world["api"], route.format(**world["params"])
    target, other = world["pairs"][route]
    unfiltered = ids(list_body(api, path)["items"])
    assert target["id"] in unfiltered and other["id"] in unfiltered
    assert ids(list_body(api, path, filterQuery=_condition(field, target))["items"]) == \
        [target["id"]]
    assert ids(list_body(api, path, filterQuery=_condition(field, other))["items"]) == \
        [other["id"]]
    either = f"{_condition(field, target)} OR {_condition(field, other)}"
    assert ids(list_body(api, path, filterQuery=either)["items"]) == [target["id"], other["id"]]
    assert ids(list_body(api, path, filterQuery=f"id = {other['id']}")["items"]) == \
        [other["id"]]
    assert list_body(api, path, filterQuery=f"id = {target['id']} AND id = {other['id']}"
                     )["items"] == []


@pytest.mark.parametrize("op", ["!=", "<>"])
@pytest.mark.parametrize("route,field", LIST_ROUTES, ids=[r for r, _ in LIST_ROUTES])
def test_not_equal_operators_exclude_the_value(world, route, field, op):
    """`<>` is not-equal, like `!=` (§14 deviation-not-equal)."""
    api, path = world["api"], route.format(**world["params"])
    target, other = world["pairs"][route]
    remaining = ids(list_body(api, path, filterQuery=_condition(field, target, op))["items"])
    assert target["id"] not in remaining and other["id"] in remaining


@pytest.mark.parametrize("route,field", LIST_ROUTES, ids=[r for r, _ in LIST_ROUTES])
def test_every_list_route_rejects_bad_filter_syntax(world, route, field):
    api, path = world["api"], route.format(**world["params"])
    expect_error(get(api, path, {"filterQuery": f"{field} = "}), 400,
                 starts_with="invalid filter query syntax")


@pytest.mark.parametrize("route,field", LIST_ROUTES, ids=[r for r, _ in LIST_ROUTES])
def test_every_list_route_treats_blank_filter_as_none(world, route, field):
    api, path = world["api"], route.format(**world["params"])
    assert ids(list_body(api, path, filterQuery="  ")["items"]) == \
        ids(list_body(api, path)["items"])


# ================================================================ smoke: every route answers

@pytest.fixture(scope="module")
def entities(shared_server):
    """One entity of every kind, with names and externalIds to find them by."""
    api = shared_server.api
    rm = create_rm(api, externalId=unique("ext"))
    mv = create_mv(api, rm["id"])
    ma = upsert_mv_artifact(api, mv["id"], model_artifact_body(externalId=unique("ext")))
    se = create_se(api)
    isvc = create_is(api, se["id"], rm["id"])
    serve = create_serve(api, isvc["id"], mv["id"])
    exp = create_experiment(api)
    run = create_run(api, exp["id"])
    doc = create_artifact(api, "doc-artifact")
    return {"rm": rm, "mv": mv, "ma": ma, "se": se, "is": isvc, "serve": serve, "exp": exp,
            "run": run, "doc": doc}


def smoke_request(operation_id, e):
    """(method, path, query, body, expected status) of a minimal valid request."""
    rm, mv, ma, se, isvc = e["rm"], e["mv"], e["ma"], e["se"], e["is"]
    exp, run, doc = e["exp"], e["run"], e["doc"]
    name = unique("smoke")
    table = {
        "getRegisteredModels": ("GET", "/registered_models", None, None, 200),
        "createRegisteredModel": ("POST", "/registered_models", None, {"name": name}, 201),
        "getRegisteredModel": ("GET", f"/registered_models/{rm['id']}", None, None, 200),
        "updateRegisteredModel": ("PATCH", f"/registered_models/{rm['id']}", None,
                                  {"description": "s"}, 200),
        "findRegisteredModel": ("GET", "/registered_model", {"name": rm["name"]}, None, 200),
        "getRegisteredModelVersions": ("GET", f"/registered_models/{rm['id']}/versions", None,
                                       None, 200),
        "createRegisteredModelVersion": ("POST", f"/registered_models/{rm['id']}/versions", None,
                                         {"name": name, "registeredModelId": rm["id"]}, 201),
        "getModelVersions": ("GET", "/model_versions", None, None, 200),
        "createModelVersion": ("POST", "/model_versions", None,
                               {"name": name, "registeredModelId": rm["id"]}, 201),
        "getModelVersion": ("GET", f"/model_versions/{mv['id']}", None, None, 200),
        "updateModelVersion": ("PATCH", f"/model_versions/{mv['id']}", None,
                               {"description": "s"}, 200),
        "findModelVersion": ("GET", "/model_version",
                             {"name": mv["name"], "parentResourceId": rm["id"]}, None, 200),
        "getModelVersionArtifacts": ("GET", f"/model_versions/{mv['id']}/artifacts", None, None,
                                     200),
        "upsertModelVersionArtifact": ("POST", f"/model_versions/{mv['id']}/artifacts", None,
                                       {"artifactType": "doc-artifact", "name": name}, 201),
        "getArtifacts": ("GET", "/artifacts", None, None, 200),
        "createArtifact": ("POST", "/artifacts", None, {"artifactType": "doc-artifact"}, 201),
        "getArtifact": ("GET", f"/artifacts/{doc['id']}", None, None, 200),
        "updateArtifact": ("PATCH", f"/artifacts/{doc['id']}", None,
                           {"artifactType": "doc-artifact", "uri": "u"}, 200),
        "findArtifact": ("GET", "/artifact", {"externalId": ma["externalId"]}, None, 200),
        "getModelArtifacts": ("GET", "/model_artifacts", None, None, 200),
        "createModelArtifact": ("POST", "/model_artifacts", None, {}, 201),
        "getModelArtifact": ("GET", f"/model_artifacts/{ma['id']}", None, None, 200),
        "updateModelArtifact": ("PATCH", f"/model_artifacts/{ma['id']}", None,
                                {"modelFormatName": "foo"}, 200),
        "findModelArtifact": ("GET", "/model_artifact",
                              {"name": ma["name"], "parentResourceId": mv["id"]}, None, 200),
        "getServingEnvironments": ("GET", "/serving_environments", None, None, 200),
        "createServingEnvironment": ("POST", "/serving_environments", None, {"name": name}, 201),
        "getServingEnvironment": ("GET", f"/serving_environments/{se['id']}", None, None, 200),
        "updateServingEnvironment": ("PATCH", f"/serving_environments/{se['id']}", None,
                                     {"description": "s"}, 200),
        "findServingEnvironment": ("GET", "/serving_environment", {"name": se["name"]}, None,
                                   200),
        "getEnvironmentInferenceServices": (
            "GET", f"/serving_environments/{se['id']}/inference_services", None, None, 200),
        "createEnvironmentInferenceService": (
            "POST", f"/serving_environments/{se['id']}/inference_services", None,
            {"registeredModelId": rm["id"], "servingEnvironmentId": se["id"]}, 201),
        "getInferenceServices": ("GET", "/inference_services", None, None, 200),
        "createInferenceService": ("POST", "/inference_services", None,
                                   {"registeredModelId": rm["id"],
                                    "servingEnvironmentId": se["id"]}, 201),
        "getInferenceService": ("GET", f"/inference_services/{isvc['id']}", None, None, 200),
        "updateInferenceService": ("PATCH", f"/inference_services/{isvc['id']}", None,
                                   {"runtime": "s"}, 200),
        "findInferenceService": ("GET", "/inference_service",
                                 {"name": isvc["name"], "parentResourceId": se["id"]}, None,
                                 200),
        "getInferenceServiceModel": ("GET", f"/inference_services/{isvc['id']}/model", None,
                                     None, 200),
        "getInferenceServiceVersion": ("GET", f"/inference_services/{isvc['id']}/version", None,
                                       None, 200),
        "getInferenceServiceServes": ("GET", f"/inference_services/{isvc['id']}/serves", None,
                                      None, 200),
        "createInferenceServiceServe": ("POST", f"/inference_services/{isvc['id']}/serves", None,
                                        {"modelVersionId": mv["id"]}, 201),
        "getExperiments": ("GET", "/experiments", None, None, 200),
        "createExperiment": ("POST", "/experiments", None, {"name": name}, 201),
        "getExperiment": ("GET", f"/experiments/{exp['id']}", None, None, 200),
        "updateExperiment": ("PATCH", f"/experiments/{exp['id']}", None, {"owner": "s"}, 200),
        "findExperiment": ("GET", "/experiment", {"name": exp["name"]}, None, 200),
        "getExperimentExperimentRuns": ("GET", f"/experiments/{exp['id']}/experiment_runs", None,
                                        None, 200),
        "createExperimentExperimentRun": ("POST", f"/experiments/{exp['id']}/experiment_runs",
                                          None, {"experimentId": exp["id"]}, 201),
        "getExperimentRuns": ("GET", "/experiment_runs", None, None, 200),
        "createExperimentRun": ("POST", "/experiment_runs", None, {"experimentId": exp["id"]},
                                201),
        "getExperimentRun": ("GET", f"/experiment_runs/{run['id']}", None, None, 200),
        "updateExperimentRun": ("PATCH", f"/experiment_runs/{run['id']}", None,
                                {"status": "FINISHED"}, 200),
        "findExperimentRun": ("GET", "/experiment_run",
                              {"name": run["name"], "parentResourceId": exp["id"]}, None, 200),
        "getExperimentRunArtifacts": ("GET", f"/experiment_runs/{run['id']}/artifacts", None,
                                      None, 200),
        "upsertExperimentRunArtifact": ("POST", f"/experiment_runs/{run['id']}/artifacts", None,
                                        {"artifactType": "metric", "name": "m", "value": 1},
                                        200),
        "getExperimentRunMetricHistory": ("GET", f"/experiment_runs/{run['id']}/metric_history",
                                          None, None, 200),
        "getExperimentRunsMetricHistory": ("GET", "/experiment_runs/metric_history", None, None,
                                           200),
    }
    return table[operation_id]


def test_smoke_table_covers_every_operation(entities):
    for method, path, operation_id in API_ROUTES + V1_API_ROUTES:
        smoke_method, smoke_path, _, _, _ = smoke_request(operation_id, entities)
        assert smoke_method == method, operation_id
        template_segments = path.split("/")
        concrete_segments = smoke_path.split("/")
        assert len(template_segments) == len(concrete_segments), operation_id
        for template, actual in zip(template_segments, concrete_segments):
            assert template.startswith("{") or template == actual, operation_id


SMOKE_ROUTES = ([(V1ALPHA3_PREFIX,) + row for row in API_ROUTES]
                + [(V1_PREFIX,) + row for row in V1_API_ROUTES])


@pytest.mark.parametrize("prefix,method,path,operation_id", SMOKE_ROUTES,
                         ids=[f"{version(pre)}-{o}" for pre, _, _, o in SMOKE_ROUTES])
def test_every_operation_answers_a_minimal_valid_request(shared_server, entities, prefix, method,
                                                         path, operation_id):
    api = shared_server.url + prefix
    smoke_method, smoke_path, query, body, status = smoke_request(operation_id, entities)
    kwargs = {"params": query}
    if body is not None:
        kwargs["json"] = body
    resp = request(smoke_method, api + smoke_path, **kwargs)
    assert resp.status_code < 500, (operation_id, resp.status_code, resp.text[:300])
    result = expect_json(resp, status)
    if isinstance(result, dict) and "items" in result:
        assert isinstance(result["items"], list)
    else:
        assert isinstance(result.get("id"), str), result


@pytest.mark.parametrize("v1", [False, True], ids=["v1alpha3", "v1"])
@pytest.mark.parametrize("path,content_type", [("/readyz/health", "text/plain"),
                                               ("/readyz/isDirty", "text/plain"),
                                               ("/openapi.yaml", "yaml")])
def test_extra_routes_answer(api, api_v1, v1, path, content_type):
    assert {p for _, p, o in (V1_ROUTES if v1 else ROUTES) if o in EXTRA_ROUTES} == {
        "/readyz/health", "/readyz/isDirty", "/openapi.yaml"}
    resp = request("GET", (api_v1 if v1 else api) + path)
    assert resp.status_code == 200
    assert content_type in resp.headers.get("Content-Type", "")
    assert resp.text


# ================================================================ 405 on unknown methods

def _methods_by_path(routes):
    by_path = {}
    for method, path, _ in routes:
        by_path.setdefault(path, set()).add(method)
    # The literal metric_history segment shadows {experimentrunId}; methods served on
    # the {id} path are left out there, to keep clear of that routing choice.
    if "/experiment_runs/metric_history" in by_path:
        shadow = by_path.get("/experiment_runs/{experimentrunId}", set())
        by_path["/experiment_runs/metric_history"] |= shadow
    return by_path


def _wrong_methods(routes):
    return [(method, path)
            for path, served in sorted(_methods_by_path(routes).items())
            for method in ("GET", "POST", "PATCH", "PUT", "DELETE")
            if method not in served]


WRONG_METHODS = ([(V1ALPHA3_PREFIX, m, p) for m, p in _wrong_methods(ROUTES)]
                 + [(V1_PREFIX, m, p) for m, p in _wrong_methods(V1_ROUTES)])


@pytest.mark.parametrize("prefix,method,path", WRONG_METHODS,
                         ids=[f"{m} {version(pre)}{p}" for pre, m, p in WRONG_METHODS])
def test_unknown_method_on_known_path_is_405(shared_server, prefix, method, path):
    resp = request(method, shared_server.url + prefix + concrete(path),
                   json={} if method in ("POST", "PATCH", "PUT") else None)
    assert resp.status_code == 405, (method, path, resp.status_code, resp.text[:200])


def test_every_known_path_has_some_wrong_method():
    for prefix, routes in ((V1ALPHA3_PREFIX, ROUTES), (V1_PREFIX, V1_ROUTES)):
        assert len({p for pre, _, p in WRONG_METHODS if pre == prefix}) == len(
            {p for _, p, _ in routes}), prefix
