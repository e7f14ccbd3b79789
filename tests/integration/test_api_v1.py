"""The v1 API beside the deprecated v1alpha3 one, line by line of the v1 contract (issue 8):
experiment routes absent from v1, the v1 wire profile (`step` as an int64 string, no
experiment fields on artifacts) over one store read through both prefixes, deprecation
headers, the Sunset flag, the int32 id rules and the free `artifactType` of the typed
model-artifact routes.

Every operation of both versions also gets a minimal valid request in
test_api_cors_and_misc.py, and every JSON answer checked through expect_json / expect_error
is validated against the document of the version its URL names (openapi/v1.yaml or
openapi/v1alpha3.yaml)."""
import os
import subprocess

import pytest
import requests

from api_helpers import (ARTIFACT_TYPES, KIND_FIELDS, artifact_body, create_experiment,
                         create_is, create_run, create_se, metric_body, upsert_artifact)
from conftest import RegistryServer, binary_path, free_port
from helpers import (create_mv, create_rm, expect_error, expect_json, get, is_json_response,
                     list_body, patch, post, request, unique)
from helpers import server, shared_server  # noqa: F401  (fixture overrides)
from operation_inventory import V1_PREFIX, V1ALPHA3_PREFIX

SUCCESSOR_LINK = '</api/model_registry/v1/>; rel="successor-version"'
DEPRECATION_HEADERS = ("Deprecation", "Link", "Sunset")
PAGE_NOT_FOUND = {"code": "Not Found", "message": "404 page not found"}
VERSIONS = [V1_PREFIX, V1ALPHA3_PREFIX]
VERSION_IDS = ["v1", "v1alpha3"]


@pytest.fixture(scope="module")
def v1(shared_server):
    """Base URL of the v1 API on the module's server."""
    return shared_server.url + V1_PREFIX


@pytest.fixture(scope="module")
def a3(shared_server):
    """Base URL of the v1alpha3 API on the same server (same store)."""
    return shared_server.url + V1ALPHA3_PREFIX


@pytest.fixture(params=VERSIONS, ids=VERSION_IDS)
def any_api(request, shared_server):
    """The base URL of each version in turn."""
    return shared_server.url + request.param


@pytest.fixture(scope="module")
def mv(a3):
    rm = create_rm(a3)
    return create_mv(a3, rm["id"])


@pytest.fixture(scope="module")
def run(a3):
    return create_run(a3, create_experiment(a3)["id"])


def artifact_count(api):
    return list_body(api, "/artifacts")["size"]


# ================================================================ experiments are not in v1

# Every experiment, experiment-run and metric-history route of v1alpha3, with a valid body.
EXPERIMENT_REQUESTS = [
    ("GET", "/experiments", None, None),
    ("POST", "/experiments", None, {"name": "e"}),
    ("GET", "/experiments/{exp}", None, None),
    ("PATCH", "/experiments/{exp}", None, {"owner": "o"}),
    ("GET", "/experiment", {"name": "e"}, None),
    ("GET", "/experiments/{exp}/experiment_runs", None, None),
    ("POST", "/experiments/{exp}/experiment_runs", None, {"experimentId": "{exp}"}),
    ("GET", "/experiment_runs", None, None),
    ("POST", "/experiment_runs", None, {"experimentId": "{exp}"}),
    ("GET", "/experiment_runs/{run}", None, None),
    ("PATCH", "/experiment_runs/{run}", None, {"owner": "o"}),
    ("GET", "/experiment_run", {"name": "r", "parentResourceId": "{exp}"}, None),
    ("GET", "/experiment_runs/{run}/artifacts", None, None),
    ("POST", "/experiment_runs/{run}/artifacts", None,
     {"artifactType": "metric", "name": "m", "value": 1, "step": "1"}),
    ("GET", "/experiment_runs/{run}/metric_history", None, None),
    ("GET", "/experiment_runs/metric_history", None, None),
]


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("method,path,query,body", EXPERIMENT_REQUESTS,
                         ids=[f"{m} {p}" for m, p, _, _ in EXPERIMENT_REQUESTS])
def test_experiment_routes_are_unknown_paths_under_v1(v1, a3, run, method, path, query, body):
    ids = {"exp": run["experimentId"], "run": run["id"]}
    experiments = list_body(a3, "/experiments")["size"]
    runs = list_body(a3, "/experiment_runs")["size"]
    resp = request(method, v1 + _fill(path, ids), params=_fill(query, ids),
                   json=_fill(body, ids))
    assert resp.status_code == 404, (resp.status_code, resp.text)
    assert is_json_response(resp)
    assert resp.json() == PAGE_NOT_FOUND
    # Exactly what any unknown path answers, and nothing was written.
    unknown = request(method, v1 + "/no_such_route", json=body)
    assert (unknown.status_code, unknown.json()) == (404, PAGE_NOT_FOUND)
    assert list_body(a3, "/experiments")["size"] == experiments
    assert list_body(a3, "/experiment_runs")["size"] == runs


def test_the_experiment_routes_still_work_under_v1alpha3(a3, run):
    assert expect_json(get(a3, f"/experiments/{run['experimentId']}"), 200)["id"] == run[
        "experimentId"]
    assert expect_json(get(a3, f"/experiment_runs/{run['id']}"), 200)["id"] == run["id"]


# ================================================================ Metric.step: the wire profile

def test_step_written_through_v1_is_a_string_there_and_an_integer_on_v1alpha3(v1, a3, mv):
    created = expect_json(post(v1, "/artifacts", metric_body(unique("m"), 0.5, step="3")), 201)
    assert created["step"] == "3"
    assert expect_json(get(v1, f"/artifacts/{created['id']}"), 200)["step"] == "3"
    assert expect_json(get(a3, f"/artifacts/{created['id']}"), 200)["step"] == 3

    upserted = upsert_artifact(v1, "model_versions", mv["id"],
                               metric_body(unique("m"), 1.0, step="-12"))
    assert upserted["step"] == "-12"
    assert expect_json(get(a3, f"/artifacts/{upserted['id']}"), 200)["step"] == -12
    listed = {a["id"]: a for a in list_body(a3, f"/model_versions/{mv['id']}/artifacts")["items"]}
    assert listed[upserted["id"]]["step"] == -12
    listed = {a["id"]: a for a in list_body(v1, f"/model_versions/{mv['id']}/artifacts")["items"]}
    assert listed[upserted["id"]]["step"] == "-12"

    updated = expect_json(patch(v1, f"/artifacts/{created['id']}",
                                {"artifactType": "metric", "step": "9"}), 200)
    assert updated["step"] == "9"
    assert expect_json(get(a3, f"/artifacts/{created['id']}"), 200)["step"] == 9


def test_step_written_through_v1alpha3_is_a_string_on_v1(v1, a3, mv):
    created = expect_json(post(a3, "/artifacts", metric_body(unique("m"), 0.5, step=7)), 201)
    assert created["step"] == 7
    assert expect_json(get(v1, f"/artifacts/{created['id']}"), 200)["step"] == "7"
    expect_json(patch(a3, f"/artifacts/{created['id']}", {"artifactType": "metric", "step": 11}),
                200)
    assert expect_json(get(v1, f"/artifacts/{created['id']}"), 200)["step"] == "11"
    upserted = upsert_artifact(a3, "model_versions", mv["id"], metric_body(unique("m"), 1, step=0))
    assert expect_json(get(v1, f"/artifacts/{upserted['id']}"), 200)["step"] == "0"
    # Listed through v1 too.
    items = list_body(v1, "/artifacts", artifactType="metric")["items"]
    assert {a["id"]: a["step"] for a in items}[upserted["id"]] == "0"


@pytest.mark.parametrize("step", ["2147483648", "-2147483649", "9223372036854775807",
                                  "-9223372036854775808"])
def test_step_outside_int32_written_through_v1_reads_on_v1alpha3_as_an_integer(v1, a3, step):
    created = expect_json(post(v1, "/artifacts", metric_body(unique("m"), 1, step=step)), 201)
    assert created["step"] == step
    assert expect_json(get(v1, f"/artifacts/{created['id']}"), 200)["step"] == step
    resp = get(a3, f"/artifacts/{created['id']}")
    assert resp.status_code == 200
    assert f'"step":{step}' in resp.text.replace(" ", ""), resp.text  # a plain JSON integer
    assert expect_json(resp, 200)["step"] == int(step)


def test_step_leading_zeros_and_sign_on_v1_are_normalised(v1):
    created = expect_json(post(v1, "/artifacts", metric_body(unique("m"), 1, step="+007")), 201)
    assert created["step"] == "7"


def test_a_metric_without_step_has_none_on_either_version(v1, a3):
    created = expect_json(post(v1, "/artifacts", metric_body(unique("m"), 1)), 201)
    assert "step" not in created
    assert "step" not in expect_json(get(a3, f"/artifacts/{created['id']}"), 200)


@pytest.mark.parametrize("step", [3, 3.0, -1, True, [3], {"v": 3}, "3.5", "abc", "", " 3",
                                  "9223372036854775808", "0x10"])
def test_a_non_string_or_non_int64_step_on_v1_is_400_and_writes_nothing(v1, mv, step):
    before = artifact_count(v1)
    target = expect_json(post(v1, "/artifacts", metric_body(unique("m"), 1, step="1")), 201)
    before += 1
    expect_error(post(v1, "/artifacts", metric_body(unique("m"), 1, step=step)), 400)
    expect_error(post(v1, f"/model_versions/{mv['id']}/artifacts",
                      metric_body(unique("m"), 1, step=step)), 400)
    expect_error(patch(v1, f"/artifacts/{target['id']}", {"artifactType": "metric", "step": step}),
                 400)
    assert artifact_count(v1) == before
    assert expect_json(get(v1, f"/artifacts/{target['id']}"), 200)["step"] == "1"


@pytest.mark.parametrize("step", ["3", "-1", "", 3.5, True])
def test_a_string_step_on_v1alpha3_is_400_and_writes_nothing(a3, mv, run, step):
    before = artifact_count(a3)
    target = expect_json(post(a3, "/artifacts", metric_body(unique("m"), 1, step=1)), 201)
    before += 1
    expect_error(post(a3, "/artifacts", metric_body(unique("m"), 1, step=step)), 400)
    expect_error(post(a3, f"/model_versions/{mv['id']}/artifacts",
                      metric_body(unique("m"), 1, step=step)), 400)
    expect_error(post(a3, f"/experiment_runs/{run['id']}/artifacts",
                      metric_body(unique("m"), 1, step=step)), 400)
    expect_error(patch(a3, f"/artifacts/{target['id']}", {"artifactType": "metric", "step": step}),
                 400)
    assert artifact_count(a3) == before
    assert expect_json(get(a3, f"/artifacts/{target['id']}"), 200)["step"] == 1


def test_a_metric_logged_under_a_run_reads_on_v1_with_a_string_step(a3, run):
    # Logged under a run through v1alpha3 (v1 has no run routes), then the metric itself is
    # read through v1 with its step as a string.
    logged = upsert_artifact(a3, "experiment_runs", run["id"], metric_body(unique("m"), 2, step=4))
    history = list_body(a3, f"/experiment_runs/{run['id']}/metric_history")["items"]
    assert 4 in {h.get("step") for h in history}
    v1_api = a3.replace(V1ALPHA3_PREFIX, V1_PREFIX)
    assert expect_json(get(v1_api, f"/artifacts/{logged['id']}"), 200)["step"] == "4"


# ================================================================ no experiment fields on v1

@pytest.mark.parametrize("kind", ARTIFACT_TYPES)
def test_artifacts_logged_under_a_run_carry_no_experiment_fields_on_v1(v1, a3, run, kind):
    body = artifact_body(kind, externalId=unique("ext"), **KIND_FIELDS[kind])
    logged = upsert_artifact(a3, "experiment_runs", run["id"], body)
    # v1alpha3 shows where it was logged ...
    assert logged["experimentRunId"] == run["id"]
    assert logged["experimentId"] == run["experimentId"]
    # ... v1 never does, on any read route.
    reads = [expect_json(get(v1, f"/artifacts/{logged['id']}"), 200),
             expect_json(get(v1, "/artifact", {"externalId": body["externalId"]}), 200)]
    reads += [a for a in list_body(v1, "/artifacts", artifactType=kind, pageSize="0")["items"]
              if a["id"] == logged["id"]]
    if kind == "model-artifact":
        reads.append(expect_json(get(v1, f"/model_artifacts/{logged['id']}"), 200))
        reads.append(expect_json(get(v1, "/model_artifact", {"externalId": body["externalId"]}),
                                 200))
        reads += [a for a in list_body(v1, "/model_artifacts", pageSize="0")["items"]
                  if a["id"] == logged["id"]]
        reads.append(expect_json(patch(v1, f"/model_artifacts/{logged['id']}",
                                       {"description": "d"}), 200))
    reads.append(expect_json(patch(v1, f"/artifacts/{logged['id']}",
                                   {"artifactType": kind, "description": "d2"}), 200))
    assert len(reads) >= 4
    for read in reads:
        assert read["id"] == logged["id"]
        assert "experimentId" not in read and "experimentRunId" not in read, read
    # The store still knows the run: v1alpha3 reads show it after the v1 writes.
    again = expect_json(get(a3, f"/artifacts/{logged['id']}"), 200)
    assert (again["experimentId"], again["experimentRunId"]) == (run["experimentId"], run["id"])


@pytest.mark.parametrize("kind", ARTIFACT_TYPES)
def test_artifacts_of_a_model_version_carry_no_experiment_fields_on_v1(v1, mv, kind):
    body = artifact_body(kind, **KIND_FIELDS[kind])
    if kind == "metric":
        body["step"] = "3"
    created = upsert_artifact(v1, "model_versions", mv["id"], body)
    assert "experimentId" not in created and "experimentRunId" not in created


@pytest.mark.parametrize("field", ["experimentId", "experimentRunId"])
def test_experiment_fields_in_strict_model_artifact_bodies_are_400(any_api, field):
    before = artifact_count(any_api)
    expect_error(post(any_api, "/model_artifacts", {"name": unique("ma"), field: "1"}), 400)
    target = expect_json(post(any_api, "/model_artifacts", {"name": unique("ma")}), 201)
    expect_error(patch(any_api, f"/model_artifacts/{target['id']}", {field: "1"}), 400)
    assert artifact_count(any_api) == before + 1


# ================================================================ deprecation headers

def _responses_of_every_kind(base, rm_id):
    """(label, response) for one request of each kind of answer under `base`."""
    origin = {"Origin": "http://ui.example.com"}
    return [
        ("list 200", request("GET", base + "/registered_models")),
        ("get 200", request("GET", base + f"/registered_models/{rm_id}")),
        ("create 201", request("POST", base + "/registered_models", json={"name": unique("d")})),
        ("patch 200", request("PATCH", base + f"/registered_models/{rm_id}",
                              json={"description": "x"})),
        ("bad id 400", request("GET", base + "/registered_models/abc")),
        ("bad json 400", request("POST", base + "/registered_models", data=b"{",
                                 headers={"Content-Type": "application/json"})),
        ("NUL 400", request("GET", base + "/registered_models", params={"name": "\x00"})),
        ("missing 404", request("GET", base + "/registered_models/2147483647")),
        ("find 404", request("GET", base + "/registered_model", params={"name": unique("no")})),
        ("duplicate 409", request("POST", base + "/registered_models",
                                  json={"name": expect_json(
                                      request("GET", base + f"/registered_models/{rm_id}"),
                                      200)["name"]})),
        ("required 422", request("POST", base + "/serving_environments", json={})),
        ("unknown path 404", request("GET", base + "/no_such_route")),
        ("unknown method 405", request("DELETE", base + "/registered_models")),
        ("health 200", request("GET", base + "/readyz/health")),
        ("health json 200", request("GET", base + "/readyz/health", params={"format": "json"})),
        ("isDirty 200", request("GET", base + "/readyz/isDirty")),
        ("spec 200", request("GET", base + "/openapi.yaml")),
        ("cors plain 200", request("GET", base + "/registered_models", headers=origin)),
        ("cors preflight", request("OPTIONS", base + "/registered_models", headers={
            **origin, "Access-Control-Request-Method": "POST"})),
    ]


EXPECTED_STATUSES = {"list 200": 200, "get 200": 200, "create 201": 201, "patch 200": 200,
                     "bad id 400": 400, "bad json 400": 400, "NUL 400": 400, "missing 404": 404,
                     "find 404": 404, "duplicate 409": 409, "required 422": 422,
                     "unknown path 404": 404, "unknown method 405": 405, "health 200": 200,
                     "health json 200": 200, "isDirty 200": 200, "spec 200": 200,
                     "cors plain 200": 200}


def test_every_v1alpha3_response_is_marked_deprecated(a3):
    rm = create_rm(a3)
    for label, resp in _responses_of_every_kind(a3, rm["id"]):
        if label in EXPECTED_STATUSES:
            assert resp.status_code == EXPECTED_STATUSES[label], (label, resp.status_code)
        assert resp.headers.get("Deprecation") == "true", (label, dict(resp.headers))
        assert resp.headers.get("Link") == SUCCESSOR_LINK, (label, dict(resp.headers))
        assert "Sunset" not in resp.headers, (label, dict(resp.headers))


def test_no_v1_response_carries_deprecation_headers(v1):
    rm = create_rm(v1)
    for label, resp in _responses_of_every_kind(v1, rm["id"]):
        if label in EXPECTED_STATUSES:
            assert resp.status_code == EXPECTED_STATUSES[label], (label, resp.status_code)
        for header in DEPRECATION_HEADERS:
            assert header not in resp.headers, (label, header, dict(resp.headers))


def test_experiment_routes_carry_deprecation_on_v1alpha3_only(v1, a3):
    deprecated = request("GET", a3 + "/experiments")
    assert deprecated.status_code == 200 and deprecated.headers.get("Deprecation") == "true"
    gone = request("GET", v1 + "/experiments")
    assert gone.status_code == 404 and "Deprecation" not in gone.headers


def test_cors_exposes_the_deprecation_headers(any_api):
    resp = request("GET", any_api + "/registered_models", headers={"Origin": "http://ui.example"})
    exposed = {h.strip().lower()
               for h in resp.headers.get("Access-Control-Expose-Headers", "").split(",")}
    assert {"deprecation", "link", "sunset"} <= exposed, resp.headers


# ================================================================ Sunset

SUNSET_HTTP_DATE = "Wed, 30 Jun 2027 00:00:00 GMT"


def _sunset_server(tmp_path, extra_args=(), env=None):
    return RegistryServer(str(tmp_path / "sunset.db"), extra_args=extra_args, env=env).start()


@pytest.mark.parametrize("configure", ["flag", "environment"])
def test_sunset_date_is_announced_on_v1alpha3_only(tmp_path, configure):
    if configure == "flag":
        srv = _sunset_server(tmp_path, extra_args=["--v1alpha3-sunset", "2027-06-30"])
    else:
        srv = _sunset_server(tmp_path, env={"MR_V1ALPHA3_SUNSET": "2027-06-30"})
    try:
        a3_api, v1_api = srv.url + V1ALPHA3_PREFIX, srv.url + V1_PREFIX
        rm = create_rm(a3_api)
        for label, resp in _responses_of_every_kind(a3_api, rm["id"]):
            assert resp.headers.get("Sunset") == SUNSET_HTTP_DATE, (label, dict(resp.headers))
            assert resp.headers.get("Deprecation") == "true", label
            assert resp.headers.get("Link") == SUCCESSOR_LINK, label
        for label, resp in _responses_of_every_kind(v1_api, rm["id"]):
            for header in DEPRECATION_HEADERS:
                assert header not in resp.headers, (label, header)
    finally:
        srv.stop()


@pytest.mark.parametrize("configure", ["flag", "environment"])
@pytest.mark.parametrize("date", ["2027-13-01", "2027-02-30", "30/06/2027", "soon"])
def test_a_bad_sunset_date_refuses_to_start(tmp_path, configure, date):
    args = [binary_path(), "serve", "--hostname", "127.0.0.1", "--port", str(free_port()),
            "--db-file", str(tmp_path / "never.db")]
    env = dict(os.environ)
    if configure == "flag":
        args += ["--v1alpha3-sunset", date]
    else:
        env["MR_V1ALPHA3_SUNSET"] = date
    # A server that started anyway would run until the timeout and fail the test.
    result = subprocess.run(args, capture_output=True, text=True, timeout=10, env=env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "sunset" in lines[0].lower(), lines[0]


# ================================================================ ids: int32 decimals

NAMES_NOTHING = ["2147483647", "0", "-3"]
NOT_AN_INT32 = ["2147483648", "abc", "1.5", "-2147483649"]


@pytest.fixture(scope="module")
def world(a3):
    rm = create_rm(a3)
    mv = create_mv(a3, rm["id"])
    se = create_se(a3)
    isvc = create_is(a3, se["id"], rm["id"])
    ma = upsert_artifact(a3, "model_versions", mv["id"],
                         artifact_body("model-artifact", uri="s3://b/m"))
    return {"rm": rm, "mv": mv, "se": se, "is": isvc, "ma": ma}


# (route template, kind named in the 404 message); {id} is the id under test.
GET_BY_ID = [
    ("/registered_models/{id}", "registered model"),
    ("/model_versions/{id}", "model version"),
    ("/artifacts/{id}", "artifact"),
    ("/model_artifacts/{id}", "model artifact"),
    ("/serving_environments/{id}", "serving environment"),
    ("/inference_services/{id}", "inference service"),
    ("/inference_services/{id}/model", "inference service"),
    ("/inference_services/{id}/version", "inference service"),
]
PATCH_BY_ID = [
    ("/registered_models/{id}", {"description": "x"}, "registered model"),
    ("/model_versions/{id}", {"description": "x"}, "model version"),
    ("/artifacts/{id}", {"artifactType": "doc-artifact", "description": "x"}, "artifact"),
    ("/model_artifacts/{id}", {"description": "x"}, "model artifact"),
    ("/serving_environments/{id}", {"description": "x"}, "serving environment"),
    ("/inference_services/{id}", {"runtime": "x"}, "inference service"),
]
NESTED_LISTS = ["/registered_models/{id}/versions", "/model_versions/{id}/artifacts",
                "/serving_environments/{id}/inference_services", "/inference_services/{id}/serves"]


@pytest.mark.parametrize("raw", NAMES_NOTHING)
def test_a_path_id_that_names_nothing_is_404(any_api, raw):
    for route, kind in GET_BY_ID:
        expect_error(get(any_api, route.format(id=raw)), 404,
                     starts_with=f"no {kind} found for id {raw}")
    for route, body, kind in PATCH_BY_ID:
        expect_error(patch(any_api, route.format(id=raw), body), 404,
                     starts_with=f"no {kind} found for id {raw}")


@pytest.mark.parametrize("raw", NAMES_NOTHING)
def test_a_parent_path_id_that_names_nothing(any_api, world, raw):
    # Nested lists do not check their parent: an empty page.
    for route in NESTED_LISTS:
        assert list_body(any_api, route.format(id=raw))["items"] == []
    # Nested creates need the parent: 404.
    before = artifact_count(any_api)
    expect_error(post(any_api, f"/registered_models/{raw}/versions",
                      {"name": unique("v"), "registeredModelId": world["rm"]["id"]}), 404,
                 starts_with=f"no registered model found for id {raw}")
    expect_error(post(any_api, f"/model_versions/{raw}/artifacts",
                      artifact_body("doc-artifact")), 404,
                 starts_with=f"no model version found for id {raw}")
    expect_error(post(any_api, f"/serving_environments/{raw}/inference_services",
                      {"registeredModelId": world["rm"]["id"], "servingEnvironmentId": raw}), 404,
                 starts_with=f"no serving environment found for id {raw}")
    expect_error(post(any_api, f"/inference_services/{raw}/serves",
                      {"modelVersionId": world["mv"]["id"]}), 404,
                 starts_with=f"no inference service found for id {raw}")
    assert artifact_count(any_api) == before


@pytest.mark.parametrize("raw", NOT_AN_INT32)
def test_a_path_id_that_is_not_an_int32_is_400(any_api, raw):
    for route, _ in GET_BY_ID:
        expect_error(get(any_api, route.format(id=raw)), 400)
    for route, body, _ in PATCH_BY_ID:
        expect_error(patch(any_api, route.format(id=raw), body), 400)
    for route in NESTED_LISTS:
        expect_error(get(any_api, route.format(id=raw)), 400)


@pytest.mark.parametrize("raw", NAMES_NOTHING)
def test_a_body_reference_that_names_nothing_is_404(any_api, world, raw):
    versions = list_body(any_api, "/model_versions")["size"]
    services = list_body(any_api, "/inference_services")["size"]
    expect_error(post(any_api, "/model_versions",
                      {"name": unique("v"), "registeredModelId": raw}), 404,
                 starts_with=f"no registered model found for id {raw}")
    expect_error(post(any_api, "/inference_services",
                      {"registeredModelId": world["rm"]["id"], "servingEnvironmentId": raw}), 404,
                 starts_with=f"no serving environment found for id {raw}")
    expect_error(post(any_api, f"/inference_services/{world['is']['id']}/serves",
                      {"modelVersionId": raw}), 404,
                 starts_with=f"no model version found for id {raw}")
    assert list_body(any_api, "/model_versions")["size"] == versions
    assert list_body(any_api, "/inference_services")["size"] == services


@pytest.mark.parametrize("raw", NOT_AN_INT32)
def test_a_body_reference_that_is_not_an_int32_is_400(any_api, world, raw):
    versions = list_body(any_api, "/model_versions")["size"]
    expect_error(post(any_api, "/model_versions",
                      {"name": unique("v"), "registeredModelId": raw}), 400)
    expect_error(post(any_api, "/inference_services",
                      {"registeredModelId": world["rm"]["id"], "servingEnvironmentId": raw}), 400)
    expect_error(post(any_api, "/inference_services",
                      {"registeredModelId": raw, "servingEnvironmentId": world["se"]["id"]}), 400)
    expect_error(post(any_api, f"/inference_services/{world['is']['id']}/serves",
                      {"modelVersionId": raw}), 400)
    assert list_body(any_api, "/model_versions")["size"] == versions


@pytest.mark.parametrize("raw,stored", [("2147483647", "2147483647"), ("0", "0"), ("-3", "-3"),
                                        ("-2147483648", "-2147483648"), ("-0", "0"),
                                        ("+007", "7")])
def test_unchecked_inference_service_references_keep_any_int32(any_api, world, raw, stored):
    # An inference service's registeredModelId and modelVersionId are not looked up (as
    # upstream): any valid int32 is stored, and read back as a plain decimal.
    created = expect_json(post(any_api, "/inference_services", {
        "registeredModelId": raw, "servingEnvironmentId": world["se"]["id"],
        "modelVersionId": raw}), 201)
    assert (created["registeredModelId"], created["modelVersionId"]) == (stored, stored), created
    read = expect_json(get(any_api, f"/inference_services/{created['id']}"), 200)
    assert (read["registeredModelId"], read["modelVersionId"]) == (stored, stored), read
    updated = expect_json(patch(any_api, f"/inference_services/{world['is']['id']}",
                                {"modelVersionId": raw}), 200)
    assert updated["modelVersionId"] == stored, updated


FINDS = [("/model_version", "model versions"), ("/artifact", "artifacts"),
         ("/model_artifact", "model artifacts"), ("/inference_service", "inference services")]


@pytest.mark.parametrize("raw", NAMES_NOTHING)
def test_a_parent_resource_id_that_names_nothing_finds_nothing(any_api, raw):
    for route, kinds in FINDS:
        expect_error(get(any_api, route, {"name": "x", "parentResourceId": raw}), 404,
                     starts_with=f"no {kinds} found")


@pytest.mark.parametrize("raw", NOT_AN_INT32)
def test_a_parent_resource_id_that_is_not_an_int32_is_400(any_api, raw):
    for route, _ in FINDS:
        expect_error(get(any_api, route, {"name": "x", "parentResourceId": raw}), 400)


def test_leading_zeros_and_a_plus_sign_name_the_same_entity(any_api, world):
    rm_id, mv_id = world["rm"]["id"], world["mv"]["id"]
    for raw in (f"00{rm_id}", f"+{rm_id}", f"+000{rm_id}"):
        assert expect_json(get(any_api, f"/registered_models/{raw}"), 200)["id"] == rm_id
    found = expect_json(get(any_api, "/model_version",
                            {"name": world["mv"]["name"], "parentResourceId": f"0{rm_id}"}), 200)
    assert found["id"] == mv_id
    created = expect_json(post(any_api, "/model_versions",
                               {"name": unique("v"), "registeredModelId": f"+0{rm_id}"}), 201)
    assert created["registeredModelId"] == rm_id  # output ids are plain decimals


def test_experiment_ids_follow_the_same_rules_on_v1alpha3(a3):
    for raw in NAMES_NOTHING:
        expect_error(get(a3, f"/experiments/{raw}"), 404,
                     starts_with=f"no experiment found for id {raw}")
        expect_error(get(a3, f"/experiment_runs/{raw}"), 404,
                     starts_with=f"no experiment run found for id {raw}")
        expect_error(post(a3, "/experiment_runs", {"experimentId": raw}), 404,
                     starts_with=f"no experiment found for id {raw}")
    for raw in NOT_AN_INT32:
        expect_error(get(a3, f"/experiments/{raw}"), 400)
        expect_error(post(a3, "/experiment_runs", {"experimentId": raw}), 400)


# ================================================================ typed model-artifact routes

@pytest.mark.parametrize("artifact_type", ["model-artifact", "doc-artifact", "metric",
                                           "anything at all", "", "MODEL-ARTIFACT", None,
                                           "absent"])
def test_typed_model_artifact_routes_accept_any_artifact_type(any_api, artifact_type):
    body = {"name": unique("ma"), "uri": "s3://b/m"}
    if artifact_type != "absent":
        body["artifactType"] = artifact_type
    created = expect_json(post(any_api, "/model_artifacts", body), 201)
    assert created["artifactType"] == "model-artifact"
    assert created["uri"] == "s3://b/m"
    update = {"description": "changed"}
    if artifact_type != "absent":
        update["artifactType"] = artifact_type
    updated = expect_json(patch(any_api, f"/model_artifacts/{created['id']}", update), 200)
    assert updated["artifactType"] == "model-artifact"
    assert updated["description"] == "changed"
    stored = expect_json(get(any_api, f"/artifacts/{created['id']}"), 200)
    assert stored["artifactType"] == "model-artifact" and stored["description"] == "changed"


@pytest.mark.parametrize("artifact_type", [5, True, ["model-artifact"], {"a": 1}])
def test_a_non_string_artifact_type_on_the_typed_routes_is_400(any_api, artifact_type):
    before = artifact_count(any_api)
    expect_error(post(any_api, "/model_artifacts", {"artifactType": artifact_type}), 400)
    target = expect_json(post(any_api, "/model_artifacts", {}), 201)
    expect_error(patch(any_api, f"/model_artifacts/{target['id']}",
                       {"artifactType": artifact_type}), 400)
    assert artifact_count(any_api) == before + 1


def test_generic_artifact_routes_still_discriminate_on_artifact_type(any_api):
    before = artifact_count(any_api)
    expect_error(post(any_api, "/artifacts", {"artifactType": "anything at all"}), 400)
    expect_error(post(any_api, "/artifacts", {"name": unique("a")}), 400)
    created = expect_json(post(any_api, "/model_artifacts", {"artifactType": "doc-artifact"}), 201)
    expect_error(patch(any_api, f"/artifacts/{created['id']}",
                       {"artifactType": "doc-artifact", "description": "x"}), 400)
    assert artifact_count(any_api) == before + 1


# ================================================================ one store, official-client probe

def test_the_official_client_probe_answers_on_both_versions(any_api):
    resp = get(any_api, "/registered_models", {"pageSize": "1", "sortOrder": "ASC"})
    body = expect_json(resp, 200)
    assert body["size"] <= 1 and len(body["items"]) == body["size"]


def test_entities_written_through_one_version_read_the_same_through_the_other(v1, a3):
    rm = create_rm(v1, description="through v1")
    mv = create_mv(a3, rm["id"], description="through v1alpha3")
    for api in (v1, a3):
        assert expect_json(get(api, f"/registered_models/{rm['id']}"), 200) == rm
        assert expect_json(get(api, f"/model_versions/{mv['id']}"), 200) == mv
    doc = upsert_artifact(v1, "model_versions", mv["id"], artifact_body("doc-artifact", uri="u"))
    assert expect_json(get(a3, f"/artifacts/{doc['id']}"), 200) == doc


def test_openapi_yaml_of_each_version_describes_that_version(v1, a3):
    assert "\n  version: v1\n" in request("GET", v1 + "/openapi.yaml").text
    assert "\n  version: v1alpha3\n" in request("GET", a3 + "/openapi.yaml").text
