"""Wire-level behaviour: health routes, routing fallbacks, CORS, NUL-byte guard,
body-size limit, body decoding and content types (docs/api-behaviour.md §0, §1, §2)."""
import json

import pytest
import requests

from helpers import (create_rm, expect_error, expect_json, get, is_json_response, patch, post,
                     request, unique)
from helpers import server, shared_server  # noqa: F401  (fixture overrides)

MAX_BODY = 1048576  # the server's default request-body limit in bytes


# ---------------------------------------------------------------- health

@pytest.mark.parametrize("route", ["/readyz/health", "/readyz/isDirty"])
def test_health_routes_answer_ok_as_plain_text(shared_server, route):
    resp = request("GET", shared_server.api + route)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert resp.text == "OK"


@pytest.mark.parametrize("route", ["/readyz/health", "/readyz/isDirty"])
def test_health_routes_match_by_suffix_outside_the_api_prefix(shared_server, route):
    resp = request("GET", shared_server.url + route)
    assert resp.status_code == 200
    assert resp.text == "OK"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("route", ["/readyz/health", "/readyz/isDirty"])
def test_health_routes_reject_other_methods(shared_server, route, method):
    resp = request(method, shared_server.api + route)
    assert resp.status_code == 405


def test_health_json_format_reports_pass(shared_server):
    resp = request("GET", shared_server.api + "/readyz/health", params={"format": "json"})
    assert resp.status_code == 200
    assert is_json_response(resp)
    assert resp.json()["status"] == "pass"


# ---------------------------------------------------------------- routing

def test_root_is_404(shared_server):
    # The upstream Python harness waits for exactly this 404 to know the server is up.
    assert request("GET", shared_server.url + "/").status_code == 404


@pytest.mark.parametrize("path", [
    "/nope",
    "/api/model_registry/v1alpha3",
    "/api/model_registry/v1alpha3/nope",
    "/api/model_registry/v1alpha2/registered_models",
    "/api/model_registry/v1alpha3/registered_models/",
    "/api/model_registry/v1alpha3/registered_models/1/nope",
])
def test_unknown_paths_are_404(shared_server, path):
    assert request("GET", shared_server.url + path).status_code == 404


@pytest.mark.parametrize("method,path", [
    ("DELETE", "/registered_models"),
    ("PUT", "/registered_models"),
    ("PATCH", "/registered_models"),
    ("DELETE", "/registered_models/1"),
    ("POST", "/registered_models/1"),
    ("PUT", "/model_versions/1"),
    ("POST", "/model_versions/1"),
    ("DELETE", "/model_versions"),
    ("PATCH", "/model_artifacts"),
    ("POST", "/model_artifacts/1"),
    ("POST", "/registered_model"),
    ("POST", "/model_version"),
    ("POST", "/model_artifact"),
    ("PATCH", "/registered_models/1/versions"),
    ("PUT", "/model_versions/1/artifacts"),
])
def test_known_path_with_wrong_method_is_405(shared_server, method, path):
    resp = request(method, shared_server.api + path)
    assert resp.status_code == 405


# ---------------------------------------------------------------- content types and error bodies

def test_success_and_error_bodies_are_json(shared_server):
    api = shared_server.api
    rm = expect_json(post(api, "/registered_models", {"name": unique("ct")}), 201)
    expect_json(get(api, f"/registered_models/{rm['id']}"), 200)
    expect_json(get(api, "/registered_models"), 200)
    expect_error(get(api, "/registered_models/999999"), 404, contains="not found")
    expect_error(get(api, "/registered_models/abc"), 400)
    expect_error(post(api, "/registered_models", {"name": rm["name"]}), 409)


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/jsonx", "json", None])
def test_a_write_without_a_json_content_type_is_415_and_writes_nothing(shared_server,
                                                                       content_type):
    # What a plain HTML form on another site can send; the body itself is valid JSON.
    name = unique("ctype")
    headers = {"Connection": "close"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    resp = requests.post(shared_server.api + "/registered_models",
                         data=json.dumps({"name": name}).encode(), headers=headers, timeout=10)
    # A malformed multipart body may be refused by the transport first (400).
    expect_error(resp, 415 if "multipart" not in (content_type or "") else resp.status_code)
    assert resp.status_code in (400, 415)
    expect_error(get(shared_server.api, "/registered_model", params={"name": name}), 404)


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "Application/JSON",
    "application/merge-patch+json"])
def test_json_content_types_are_accepted(shared_server, content_type):
    name = unique("ctype")
    resp = post(shared_server.api, "/registered_models", data=json.dumps({"name": name}),
                headers={"Content-Type": content_type})
    assert expect_json(resp, 201)["name"] == name


def test_trailing_bytes_after_the_json_body_are_rejected_and_nothing_is_written(shared_server):
    # Deliberate deviation from upstream, which reads only the first JSON value
    # (docs/api-behaviour.md §14 deviation-one-json-value): trailing garbage is malformed.
    name = unique("first")
    resp = post(shared_server.api, "/registered_models",
                data=json.dumps({"name": name}) + " trailing garbage",
                headers={"Content-Type": "application/json"})
    expect_error(resp, 400)
    expect_error(get(shared_server.api, "/registered_model", params={"name": name}), 404)


def test_authorization_header_is_ignored(shared_server):
    resp = post(shared_server.api, "/registered_models", {"name": unique("auth")},
                headers={"Authorization": "Bearer whatever"})
    expect_json(resp, 201)
    resp = get(shared_server.api, "/registered_models", headers={"Authorization": "Bearer x"})
    expect_json(resp, 200)


@pytest.mark.parametrize("raw", [b"", b"{", b"not json", b"{\"name\": }", b"[]", b"\"str\"", b"42"])
@pytest.mark.parametrize("method,path", [
    ("POST", "/registered_models"),
    ("POST", "/model_versions"),
    ("POST", "/model_artifacts"),
    ("POST", "/model_versions/{mv}/artifacts"),
    ("POST", "/registered_models/{rm}/versions"),
    ("PATCH", "/registered_models/{rm}"),
    ("PATCH", "/model_versions/{mv}"),
    ("PATCH", "/model_artifacts/{ma}"),
])
def test_malformed_or_empty_bodies_are_400(shared_server, wire_entities, method, path, raw):
    url = shared_server.api + path.format(**wire_entities)
    resp = request(method, url, data=raw, headers={"Content-Type": "application/json"})
    expect_error(resp, 400)


@pytest.fixture(scope="module")
def wire_entities(shared_server):
    api = shared_server.api
    rm = create_rm(api)
    mv = expect_json(post(api, "/model_versions",
                          {"name": "v", "registeredModelId": rm["id"]}), 201)
    ma = expect_json(post(api, "/model_artifacts", {"name": unique("ma")}), 201)
    return {"rm": rm["id"], "mv": mv["id"], "ma": ma["id"]}


# ---------------------------------------------------------------- NUL-byte guard (§1.3)

BODY_NUL_MESSAGE = "Request body contains null bytes which are not allowed"


@pytest.mark.parametrize("payload", [
    b'{"name": "a\x00b"}',
    b'{"name": "a\\u0000b"}',
    b'{"name": "ok", "description": "\\u0000"}',
    b'{"name": "ok"}\x00',
])
def test_nul_bytes_in_body_are_rejected(shared_server, payload):
    resp = request("POST", shared_server.api + "/registered_models", data=payload,
                   headers={"Content-Type": "application/json"})
    expect_error(resp, 400, message=BODY_NUL_MESSAGE)


def test_nul_bytes_in_patch_body_are_rejected(shared_server):
    rm = create_rm(shared_server.api, description="before")
    resp = patch(shared_server.api, f"/registered_models/{rm['id']}",
                 data=b'{"description": "x\\u0000"}')
    expect_error(resp, 400, message=BODY_NUL_MESSAGE)
    after = expect_json(get(shared_server.api, f"/registered_models/{rm['id']}"), 200)
    assert after["description"] == "before"


def query_nul_message(param):
    return (f"Invalid {param} query parameter: invalid {param} parameter: "
            "contains null bytes which are not allowed")


@pytest.mark.parametrize("value", ["a\x00b", "a\\u0000b"])
@pytest.mark.parametrize("path,param", [
    ("/registered_model", "name"),
    ("/registered_model", "externalId"),
    ("/registered_models", "filterQuery"),
    ("/registered_models", "nextPageToken"),
    ("/model_versions", "orderBy"),
    ("/model_version", "parentResourceId"),
    ("/model_artifact", "name"),
])
def test_nul_bytes_in_query_are_rejected(shared_server, path, param, value):
    resp = get(shared_server.api, path, params={param: value})
    expect_error(resp, 400, message=query_nul_message(param))


# ---------------------------------------------------------------- body size limit

def test_body_over_limit_is_413_with_json_error(shared_server):
    big = json.dumps({"name": unique("big"), "description": "x" * (2 * MAX_BODY)})
    try:
        resp = request("POST", shared_server.api + "/registered_models", data=big,
                       headers={"Content-Type": "application/json"})
    except requests.ConnectionError as exc:  # the server must answer, not drop the connection
        pytest.fail(f"connection dropped instead of a 413 answer: {exc}")
    assert resp.status_code == 413, resp.text[:300]
    assert is_json_response(resp), resp.headers
    body = resp.json()
    assert isinstance(body.get("code"), str) and isinstance(body.get("message"), str), body
    # The server is still healthy afterwards.
    expect_json(get(shared_server.api, "/registered_models", params={"pageSize": "1"}), 200)


def test_body_just_under_limit_is_accepted(shared_server):
    name = unique("under")
    overhead = len(json.dumps({"name": name, "description": ""}))
    description = "d" * (MAX_BODY - overhead - 16)
    rm = expect_json(post(shared_server.api, "/registered_models",
                          {"name": name, "description": description}), 201)
    assert rm["description"] == description


# ---------------------------------------------------------------- CORS (§1.3)

def test_cors_preflight_allows_patch_and_echoes_origin(shared_server):
    origin = "http://ui.example.com"
    resp = request("OPTIONS", shared_server.api + "/registered_models/1", headers={
        "Origin": origin,
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "Content-Type, Authorization",
    })
    assert resp.status_code in (200, 204)
    assert resp.headers.get("Access-Control-Allow-Origin") == origin
    methods = {m.strip().upper()
               for m in resp.headers.get("Access-Control-Allow-Methods", "").split(",")}
    assert {"GET", "POST", "PATCH"} <= methods, methods
    allowed_headers = resp.headers.get("Access-Control-Allow-Headers", "").lower()
    assert "content-type" in allowed_headers and "authorization" in allowed_headers
    assert resp.headers.get("Access-Control-Allow-Credentials", "false").lower() != "true"


def test_cors_simple_request_echoes_https_origin(shared_server):
    origin = "https://other.example.org"
    resp = get(shared_server.api, "/registered_models", headers={"Origin": origin})
    expect_json(resp, 200)
    assert resp.headers.get("Access-Control-Allow-Origin") == origin
