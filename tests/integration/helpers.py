"""Small helpers for the black-box HTTP integration tests.

Every helper takes the API base URL (``server.api``) and returns decoded JSON
after asserting the status code and the JSON content type, so a test reads as
a sequence of requests and expectations on the bodies.
"""
import base64
import contextlib
import gc
import itertools
import json
import os
import re
import uuid

import pytest
import requests

TIMEOUT = 10
ID_RE = re.compile(r"^[1-9][0-9]{0,8}$")
DIGITS_RE = re.compile(r"^[0-9]+$")
REQUIRED_NAME_MESSAGE = "required field 'name' is zero value."
LIST_KEYS = {"items", "size", "pageSize", "nextPageToken"}

_sequence = itertools.count(1)
_run_tag = uuid.uuid4().hex[:6]


def unique(prefix="n"):
    """A name that no other test in this run uses."""
    return f"{prefix}-{_run_tag}-{os.getpid()}-{next(_sequence)}"


# ---------------------------------------------------------------- raw HTTP

def request(method, url, **kw):
    """Every request asks the server to close the connection afterwards.

    The server's graceful stop waits for idle keep-alive connections to time out
    (several seconds), so no test may leave one behind.
    """
    headers = dict(kw.pop("headers", None) or {})
    headers.setdefault("Connection", "close")
    kw.setdefault("timeout", TIMEOUT)
    return requests.request(method, url, headers=headers, **kw)


def get(api, path, params=None, **kw):
    return request("GET", api + path, params=params, **kw)


def _json_content_type(kw):
    """Raw bodies are sent as JSON unless a test says otherwise: writes need a JSON
    Content-Type, and these tests are about the body."""
    headers = dict(kw.pop("headers", None) or {})
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json"
    kw["headers"] = headers
    return kw


def post(api, path, body=None, data=None, **kw):
    if data is not None:
        return request("POST", api + path, data=data, **_json_content_type(kw))
    return request("POST", api + path, json=body, **kw)


def patch(api, path, body=None, data=None, **kw):
    if data is not None:
        return request("PATCH", api + path, data=data, **_json_content_type(kw))
    return request("PATCH", api + path, json=body, **kw)


def _drop_idle_connections():
    # The readiness poll in conftest leaves a pooled keep-alive connection that
    # only garbage collection closes; without this, stopping the server stalls.
    gc.collect()


@pytest.fixture
def server(server):
    """conftest's fresh server, stopped without stalling on idle connections."""
    yield server
    _drop_idle_connections()


@pytest.fixture(scope="module")
def shared_server(shared_server):
    """conftest's module-scoped server, stopped without stalling on idle connections."""
    yield shared_server
    _drop_idle_connections()


# ---------------------------------------------------------------- assertions

def is_json_response(resp):
    return resp.headers.get("Content-Type", "").lower().startswith("application/json")


def expect_json(resp, status):
    """Asserts a successful JSON response with exactly `status`; returns the body."""
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.request.url}: expected {status}, got "
        f"{resp.status_code}: {resp.text[:500]}")
    assert is_json_response(resp), f"Content-Type was {resp.headers.get('Content-Type')!r}"
    body = resp.json()
    check_no_nulls(body)
    _validate_hook(resp, body)
    return body


# Error statuses the OpenAPI document declares for (nearly) every operation;
# 405 / 413 / NUL-guard answers come from the transport layer, not an operation.
VALIDATED_ERROR_STATUSES = (400, 404, 409, 422)

CODE_FOR_STATUS = {400: "Bad Request", 404: "Not Found", 409: "Conflict",
                   422: "Bad Request", 500: "Internal Server Error"}


def expect_error(resp, status, message=None, contains=None, starts_with=None):
    """Asserts a JSON error body {"code","message"} with `status`; returns it."""
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.request.url}: expected {status}, got "
        f"{resp.status_code}: {resp.text[:500]}")
    assert is_json_response(resp), (
        f"error Content-Type was {resp.headers.get('Content-Type')!r}, body {resp.text[:200]!r}")
    body = resp.json()
    assert isinstance(body, dict) and set(body) == {"code", "message"}, body
    assert isinstance(body["code"], str) and isinstance(body["message"], str), body
    if status in CODE_FOR_STATUS:
        assert body["code"] == CODE_FOR_STATUS[status], body
    if message is not None:
        assert body["message"] == message, body
    if contains is not None:
        assert contains in body["message"], body
    if starts_with is not None:
        assert body["message"].startswith(starts_with), body
    if status in VALIDATED_ERROR_STATUSES:
        _validate_hook(resp, body)
    return body


def check_no_nulls(value, path="$"):
    """Optional fields are omitted, never null (docs/api-behaviour.md §0)."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert item is not None, f"{path}.{key} is null"
            check_no_nulls(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_no_nulls(item, f"{path}[{index}]")


def check_entity_basics(entity):
    """id / timestamps are digit strings; empty customProperties are omitted."""
    assert isinstance(entity["id"], str) and ID_RE.match(entity["id"]), entity
    for key in ("createTimeSinceEpoch", "lastUpdateTimeSinceEpoch"):
        assert isinstance(entity[key], str) and DIGITS_RE.match(entity[key]), entity
    if "customProperties" in entity:
        assert entity["customProperties"], "empty customProperties must be omitted"
    assert isinstance(entity.get("name"), str) and entity["name"], entity


def check_list(body):
    assert set(body) >= LIST_KEYS, body
    assert isinstance(body["items"], list)
    assert isinstance(body["size"], int) and not isinstance(body["size"], bool)
    assert isinstance(body["pageSize"], int) and not isinstance(body["pageSize"], bool)
    assert isinstance(body["nextPageToken"], str)
    assert body["size"] == len(body["items"]), body
    return body


def ts(entity, key="lastUpdateTimeSinceEpoch"):
    return int(entity[key])


# ---------------------------------------------------------------- entities

def create_rm(api, name=None, **fields):
    body = {"name": name or unique("rm"), **fields}
    rm = expect_json(post(api, "/registered_models", body), 201)
    check_entity_basics(rm)
    return rm


def create_mv(api, rm_id, name=None, **fields):
    body = {"name": name or unique("mv"), "registeredModelId": str(rm_id), **fields}
    mv = expect_json(post(api, "/model_versions", body), 201)
    check_entity_basics(mv)
    return mv


def create_rm_mv(api, **mv_fields):
    rm = create_rm(api)
    return rm, create_mv(api, rm["id"], **mv_fields)


def create_model_artifact(api, name=None, **fields):
    """POST /model_artifacts (a standalone model artifact)."""
    body = dict(fields)
    if name is not None:
        body["name"] = name
    art = expect_json(post(api, "/model_artifacts", body), 201)
    check_entity_basics(art)
    return art


def upsert_mv_artifact(api, mv_id, body, status=201):
    art = expect_json(post(api, f"/model_versions/{mv_id}/artifacts", body), status)
    check_entity_basics(art)
    return art


def model_artifact_body(name=None, **fields):
    return {"artifactType": "model-artifact", "name": name or unique("ma"), **fields}


def doc_artifact_body(name=None, **fields):
    return {"artifactType": "doc-artifact", "name": name or unique("doc"), **fields}


def list_body(api, path, status=200, **params):
    return check_list(expect_json(get(api, path, params=params), status))


def list_items(api, path, **params):
    return list_body(api, path, **params)["items"]


def names(items):
    return [item["name"] for item in items]


def ids(items):
    return [item["id"] for item in items]


# ---------------------------------------------------------------- custom properties

def cp_string(value):
    return {"metadataType": "MetadataStringValue", "string_value": value}


def cp_int(value):
    return {"metadataType": "MetadataIntValue", "int_value": value}


def cp_double(value):
    return {"metadataType": "MetadataDoubleValue", "double_value": value}


def cp_bool(value):
    return {"metadataType": "MetadataBoolValue", "bool_value": value}


def cp_struct_b64(obj):
    """A struct value as the API takes it: base64 of the JSON text."""
    raw = json.dumps(obj).encode()
    return {"metadataType": "MetadataStructValue",
            "struct_value": base64.b64encode(raw).decode()}


# ---------------------------------------------------------------- OpenAPI hook
#
# When tests/openapi_validate.py (and its jsonschema_rs / PyYAML dependencies)
# are available, every JSON response checked by expect_json / expect_error is
# also validated against the OpenAPI document of the API version the request's URL
# names (openapi/v1.yaml or openapi/v1alpha3.yaml). MR_ITEST_OPENAPI=0 turns this
# off; MR_ITEST_OPENAPI=1 makes a missing validator an error.

_openapi = None


def _load_openapi_validator():
    global _openapi
    if _openapi is not None:
        return _openapi
    _openapi = False
    mode = os.environ.get("MR_ITEST_OPENAPI", "auto")
    if mode == "0":
        return _openapi
    tests_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    module_path = os.path.join(tests_dir, "openapi_validate.py")
    try:
        import importlib.util
        module_spec = importlib.util.spec_from_file_location("openapi_validate", module_path)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        for spec_path in module.SPEC_PATHS.values():
            module.load_spec(spec_path)  # parse (and fail) early, once
        _openapi = module
    except (OSError, ImportError):
        if mode == "1":
            raise
    return _openapi


def openapi_validation_enabled():
    return bool(_load_openapi_validator())


_suspended = 0


@contextlib.contextmanager
def openapi_validation_suspended():
    """For responses the OpenAPI document knowingly describes too narrowly."""
    global _suspended
    _suspended += 1
    try:
        yield
    finally:
        _suspended -= 1


def _validate_hook(resp, body):
    validator = _load_openapi_validator()
    if not validator or _suspended:
        return
    validator.validate_response(validator.spec_for(resp.request.url), resp.request.method,
                                resp.request.url, resp.status_code, body,
                                resp.headers.get("Content-Type", "application/json"))
