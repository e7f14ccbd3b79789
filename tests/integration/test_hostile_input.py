"""Hostile input: every request below must get a 4xx JSON error body, write nothing (the
stored state is listed before and after), and leave the server serving.

Servers here run with small limits so the limits themselves are exercised:
--max-body-kib 512, --read-timeout 1, and few worker threads."""
import base64
import json
import socket
import time

import pytest
import requests

from robust_helpers import RegistryServer, parse_raw_response, raw_http, raw_request, snapshot

MAX_BODY_KIB = 512
READ_TIMEOUT = 1
TIMEOUT = 20


def start(tmp_path_factory, *args):
    db = str(tmp_path_factory.mktemp("hostile") / "registry.db")
    return RegistryServer(db, extra_args=list(args)).start()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """One server for the request-level cases, seeded with one entity of each kind that
    hostile requests aim at."""
    srv = start(tmp_path_factory, "--max-body-kib", str(MAX_BODY_KIB), "--read-timeout",
                str(READ_TIMEOUT), "--threads", "8")
    api = srv.api

    def create(path, body):
        resp = requests.post(api + path, json=body, timeout=TIMEOUT)
        assert resp.status_code == 201, resp.text
        return resp.json()["id"]

    rm = create("/registered_models", {"name": "target-rm"})
    mv = create("/model_versions", {"name": "v1", "registeredModelId": rm})
    art = create(f"/model_versions/{mv}/artifacts",
                 {"artifactType": "model-artifact", "name": "a", "uri": "s3://a"})
    exp = create("/experiments", {"name": "target-exp"})
    run = create("/experiment_runs", {"name": "run", "experimentId": exp})
    srv.ids = {"rm": rm, "mv": mv, "art": art, "exp": exp, "run": run}
    yield srv
    assert srv.stop() == 0, "the server did not stop cleanly after the hostile requests"


def check_error(resp_or_tuple, statuses=None):
    """Asserts a 4xx JSON error {"code","message"}; returns the status."""
    if isinstance(resp_or_tuple, tuple):
        status, headers, body = resp_or_tuple
        content_type = headers.get("content-type", "")
    else:
        status, content_type, body = (resp_or_tuple.status_code,
                                      resp_or_tuple.headers.get("Content-Type", ""),
                                      resp_or_tuple.content)
    assert 400 <= status < 500, f"expected a 4xx, got {status}: {body[:300]!r}"
    if statuses is not None:
        assert status in statuses, f"expected one of {statuses}, got {status}: {body[:300]!r}"
    assert content_type.lower().startswith("application/json"), (content_type, body[:200])
    err = json.loads(body)
    assert set(err) == {"code", "message"}, err
    assert isinstance(err["code"], str) and err["code"], err
    assert isinstance(err["message"], str) and err["message"], err
    return status


def still_serving(srv):
    resp = requests.get(srv.api + "/registered_models/" + srv.ids["rm"], timeout=TIMEOUT)
    assert resp.status_code == 200 and resp.json()["name"] == "target-rm", resp.text


def body_targets(ids):
    """(method, path) of every body-taking route kind: strict creates, strict updates,
    full-model nested creates, oneOf creates and upserts, oneOf PATCH."""
    return [
        ("POST", "/registered_models"),
        ("PATCH", f"/registered_models/{ids['rm']}"),
        ("POST", f"/registered_models/{ids['rm']}/versions"),
        ("POST", "/model_versions"),
        ("PATCH", f"/model_versions/{ids['mv']}"),
        ("POST", f"/model_versions/{ids['mv']}/artifacts"),
        ("POST", "/artifacts"),
        ("PATCH", f"/artifacts/{ids['art']}"),
        ("POST", "/model_artifacts"),
        ("PATCH", f"/model_artifacts/{ids['art']}"),
        ("POST", f"/experiments/{ids['exp']}/experiment_runs"),
        ("POST", f"/experiment_runs/{ids['run']}/artifacts"),
        ("POST", "/serving_environments"),
        ("POST", "/inference_services"),
    ]


def send_to_every_body_route(srv, raw_body, statuses=None):
    before = snapshot(srv.api)
    for method, path in body_targets(srv.ids):
        resp = requests.request(method, srv.api + path, data=raw_body,
                                headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
        check_error(resp, statuses)
    assert snapshot(srv.api) == before, "a rejected request changed the stored state"
    still_serving(srv)


# ---------------------------------------------------------------- malformed JSON

MALFORMED = {
    "empty": b"",
    "whitespace": b" \r\n\t ",
    "truncated object": b'{"name": "x", "description": "y"',
    "truncated string": b'{"name": "unterminated',
    "truncated escape": b'{"name": "x\\u12',
    "truncated after colon": b'{"name":',
    "trailing garbage": b'{"name": "x"} trailing',
    "two documents": b'{"name": "x"}{"name": "y"}',
    "single quotes": b"{'name': 'x'}",
    "unquoted key": b'{name: "x"}',
    "trailing comma": b'{"name": "x",}',
    "comment": b'{"name": "x" /* hi */}',
    "bare word": b"undefined",
    "NaN": b'{"name": "x", "customProperties": {"d": {"metadataType": '
           b'"MetadataDoubleValue", "double_value": NaN}}}',
    "huge exponent": b'{"artifactType": "metric", "name": "m", "value": 1e999999}',
    "lone surrogate escape": b'{"name": "\\ud800"}',
    "bad escape": b'{"name": "\\q"}',
    "control character": b'{"name": "a\x01b"}',
    "array": b'[{"name": "x"}]',
    "string": b'"name"',
    "number": b"42",
    "null": b"null",
    "true": b"true",
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_json_is_400(hostile, case):
    send_to_every_body_route(hostile, MALFORMED[case], statuses={400})


# ---------------------------------------------------------------- wrong types

WRONG_TYPES = {
    "name number": {"name": 5},
    "name object": {"name": {"x": 1}},
    "description array": {"name": "wt", "description": ["a"]},
    "externalId bool": {"name": "wt", "externalId": True},
    "customProperties array": {"name": "wt", "customProperties": []},
    "customProperties string": {"name": "wt", "customProperties": "x"},
    "metadata value not object": {"name": "wt", "customProperties": {"k": "v"}},
    "metadataType missing": {"name": "wt", "customProperties": {"k": {"string_value": "v"}}},
    "metadataType unknown": {"name": "wt",
                             "customProperties": {"k": {"metadataType": "Nope"}}},
    "int_value number": {"name": "wt", "customProperties": {
        "k": {"metadataType": "MetadataIntValue", "int_value": 5}}},
    "int_value not int32": {"name": "wt", "customProperties": {
        "k": {"metadataType": "MetadataIntValue", "int_value": "99999999999"}}},
    "double_value string": {"name": "wt", "customProperties": {
        "k": {"metadataType": "MetadataDoubleValue", "double_value": "1.5"}}},
    "bool_value string": {"name": "wt", "customProperties": {
        "k": {"metadataType": "MetadataBoolValue", "bool_value": "true"}}},
    "struct_value not base64": {"name": "wt", "customProperties": {
        "k": {"metadataType": "MetadataStructValue", "struct_value": "%%%"}}},
    "struct_value not an object": {"name": "wt", "customProperties": {
        "k": {"metadataType": "MetadataStructValue",
              "struct_value": base64.b64encode(b"[1, 2]").decode()}}},
    "state number": {"name": "wt", "state": 1},
    "state unknown": {"name": "wt", "state": "DESTROYED"},
    "language string": {"name": "wt", "language": "en"},
    "tasks numbers": {"name": "wt", "tasks": [1, 2]},
    # Not sent to the typed model-artifact routes, whose artifactType is a free string.
    "artifactType unknown": {"artifactType": "weights", "name": "wt"},
    "artifactType number": {"artifactType": 3, "name": "wt"},
    "unknown field": {"name": "wt", "colour": "blue"},
}


@pytest.mark.parametrize("case", sorted(WRONG_TYPES))
def test_wrong_types_are_4xx(hostile, case):
    """Each body is wrong for every route it is sent to: a bad value of a field the
    schema has, a field it lacks, or (oneOf routes) a missing or unknown discriminator."""
    body = WRONG_TYPES[case]
    before = snapshot(hostile.api)
    for method, path in body_targets(hostile.ids):
        if case == "artifactType unknown" and path.startswith("/model_artifacts"):
            continue
        resp = requests.request(method, hostile.api + path, json=body, timeout=TIMEOUT)
        check_error(resp)
    assert snapshot(hostile.api) == before
    still_serving(hostile)


def test_wrong_types_inside_artifact_bodies(hostile):
    before = snapshot(hostile.api)
    mv = hostile.ids["mv"]
    for body in ({"artifactType": "model-artifact", "name": 7},
                 {"artifactType": "model-artifact", "uri": ["s3://x"]},
                 {"artifactType": "metric", "name": "m", "value": "high"},
                 {"artifactType": "metric", "name": "m", "step": "one"},
                 {"artifactType": "metric", "name": "m", "value": 1, "step": 1.5},
                 {"artifactType": "metric", "name": "m", "value": 1, "step": 2 ** 40},
                 {"artifactType": "model-artifact", "state": "GONE"},
                 {"artifactType": "doc-artifact", "customProperties": {"k": 1}},
                 {"artifactType": "metric", "name": "m"}):  # a metric needs a value
        for path in (f"/model_versions/{mv}/artifacts", "/artifacts"):
            check_error(requests.post(hostile.api + path, json=body, timeout=TIMEOUT))
    assert snapshot(hostile.api) == before


# ---------------------------------------------------------------- NUL bytes and UTF-8

@pytest.mark.parametrize("body", [
    b'{"name": "a\x00b"}',
    b'{"name": "ab"}\x00',
    b'\x00{"name": "ab"}',
    b'{"name": "a\\u0000b"}',
    b'{"name": "ok", "customProperties": {"k\\u0000": {"metadataType": '
    b'"MetadataStringValue", "string_value": "v"}}}',
], ids=["raw in string", "raw after", "raw before", "escaped", "escaped in key"])
def test_nul_bytes_in_bodies_are_400(hostile, body):
    send_to_every_body_route(hostile, body, statuses={400})


@pytest.mark.parametrize("param", ["filterQuery", "nextPageToken", "pageSize", "orderBy",
                                   "name"])
@pytest.mark.parametrize("value", ["%00", "a%00b", "%5Cu0000"], ids=["raw", "inner", "escaped"])
def test_nul_bytes_in_query_parameters_are_400(hostile, param, value):
    resp = requests.get(f"{hostile.api}/registered_models?{param}={value}", timeout=TIMEOUT)
    check_error(resp, {400})
    assert "null bytes" in resp.json()["message"]


def test_nul_bytes_in_path_are_4xx(hostile):
    for path in ("/registered_models/1%00", "/registered_models%00", "/registered_models/%00"):
        check_error(raw_http(hostile.port, "GET", "/api/model_registry/v1alpha3" + path))
    still_serving(hostile)


@pytest.mark.parametrize("body", [
    b'{"name": "\xff\xfe"}',
    b'{"name": "\xc3"}',                    # truncated two-byte sequence
    b'{"name": "\xed\xa0\x80"}',            # UTF-8-encoded surrogate
    b'{"name": "\xc0\xaf"}',                # overlong encoding of '/'
    b'{"name": "ok", "description": "\xf8\x88\x80\x80\x80"}',
    b'{"\xff": "x"}',
], ids=["ff-fe", "truncated", "surrogate", "overlong", "five-byte", "in key"])
def test_invalid_utf8_in_bodies_is_400(hostile, body):
    send_to_every_body_route(hostile, body, statuses={400})


def test_invalid_utf8_in_query_and_path_is_handled(hostile):
    """Query values are passed to the filter parser, the name matcher and the token
    decoder; none of them may fail with a 5xx or echo bytes that break the JSON body."""
    before = snapshot(hostile.api)
    for query in ("filterQuery=name%3D%22%FF%22", "filterQuery=%FF%FE", "nextPageToken=%FF",
                  "pageSize=%FF", "name=%C3", "externalId=%ED%A0%80"):
        resp = requests.get(f"{hostile.api}/registered_models?{query}", timeout=TIMEOUT)
        assert resp.status_code in (200, 400), (query, resp.status_code, resp.text[:200])
        json.loads(resp.content)  # valid JSON whatever was echoed
        if resp.status_code == 400:
            check_error(resp)
    for query in ("name=%FF", "externalId=%FF%FE"):
        resp = requests.get(f"{hostile.api}/registered_model?{query}", timeout=TIMEOUT)
        check_error(resp, {404})
    check_error(raw_http(hostile.port, "GET",
                         "/api/model_registry/v1alpha3/registered_models/%FF%FE"), {400, 404})
    assert snapshot(hostile.api) == before
    still_serving(hostile)


# ---------------------------------------------------------------- deep nesting

@pytest.mark.parametrize("depth", [65, 1000, 100_000])
def test_deeply_nested_bodies_are_400(hostile, depth):
    nested = "[" * depth + "]" * depth
    bodies = [
        nested.encode(),
        ('{"name": "deep", "description": ' + nested + "}").encode(),
        ('{"name": "deep", "customProperties": {"k": ' + '{"a":' * (depth // 2) + "1" +
         "}" * (depth // 2) + "}}").encode(),
    ]
    for body in bodies:
        send_to_every_body_route(hostile, body, statuses={400})


def test_deeply_nested_struct_value_is_400(hostile):
    """The struct value is base64 of JSON, decoded by the server: nesting hides there."""
    for depth in (65, 100_000):
        inner = ('{"a": ' + "[" * depth + "]" * depth + "}").encode()
        body = {"name": "deep-struct", "customProperties": {
            "k": {"metadataType": "MetadataStructValue",
                  "struct_value": base64.b64encode(inner).decode()}}}
        send_to_every_body_route(hostile, json.dumps(body).encode(), statuses={400})


# ---------------------------------------------------------------- body size limit

def test_body_over_the_limit_is_413(hostile):
    limit = MAX_BODY_KIB * 1024
    just_over = json.dumps({"name": "big", "description": "x" * limit}).encode()
    before = snapshot(hostile.api)
    for method, path in body_targets(hostile.ids)[:6]:
        resp = requests.request(method, hostile.api + path, data=just_over,
                                headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
        check_error(resp, {413})
    assert snapshot(hostile.api) == before
    still_serving(hostile)


def test_body_just_under_the_limit_is_accepted(hostile):
    """The limit is the configured one, not a smaller accidental one."""
    description = "x" * (MAX_BODY_KIB * 1024 - 200)
    resp = requests.post(hostile.api + "/registered_models",
                         json={"name": "under-limit", "description": description},
                         timeout=TIMEOUT)
    assert resp.status_code == 201, resp.text[:300]
    assert resp.json()["description"] == description


def test_declared_length_over_the_limit_is_413_without_sending_it(hostile):
    """A Content-Length far over the limit is refused before the body is read."""
    head = (f"POST /api/model_registry/v1alpha3/registered_models HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {10 ** 12}\r\n\r\n").encode()
    started = time.monotonic()
    answer = raw_request(hostile.port, head + b'{"name": "x"', timeout=10)
    check_error(parse_raw_response(answer), {413})
    assert time.monotonic() - started < 5
    still_serving(hostile)


def test_chunked_body_over_the_limit_is_413(hostile):
    chunk = b"x" * 65536
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk)
                      for _ in range(MAX_BODY_KIB // 64 + 2))
    data = (b"POST /api/model_registry/v1alpha3/registered_models HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            b'7\r\n{"name"\r\n' + chunks + b"0\r\n\r\n")
    before = snapshot(hostile.api)
    try:
        answer = raw_request(hostile.port, data, timeout=10)
    except (ConnectionResetError, BrokenPipeError):
        answer = b""  # the server may close while we are still sending
    if answer:
        check_error(parse_raw_response(answer), {400, 413})
    assert snapshot(hostile.api) == before
    still_serving(hostile)


def test_negative_and_garbage_content_length_is_4xx(hostile):
    for length in ("-1", "abc", "1e3", "18446744073709551616"):
        head = (f"POST /api/model_registry/v1alpha3/registered_models HTTP/1.1\r\n"
                f"Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {length}\r\nConnection: close\r\n\r\n").encode()
        answer = raw_request(hostile.port, head + b'{"name": "cl"}', timeout=10)
        if answer:  # closing without an answer is also acceptable
            check_error(parse_raw_response(answer))
    resp = requests.get(hostile.api + "/registered_model", params={"name": "cl"},
                        timeout=TIMEOUT)
    check_error(resp, {404})
    still_serving(hostile)


# ---------------------------------------------------------------- path ids

# Not a decimal int32 (upstream's ParseInt(s, 10, 32)): 400.
BAD_IDS = ["abc", "1.5", "1e3", "0x10", " 1", "1 ", "2147483648", "-2147483649", "--1", "+",
           "99999999999999999999999999", "9" * 1000, "１"]  # the last is a full-width digit


@pytest.mark.parametrize("collection", ["registered_models", "model_versions", "artifacts",
                                        "model_artifacts", "serving_environments",
                                        "inference_services", "experiments",
                                        "experiment_runs"])
def test_bad_path_ids_are_400(hostile, collection):
    before = snapshot(hostile.api)
    for bad in BAD_IDS:
        url = f"{hostile.api}/{collection}/{requests.utils.quote(bad)}"
        check_error(requests.get(url, timeout=TIMEOUT), {400})
        check_error(requests.patch(url, json={"description": "x"}, timeout=TIMEOUT), {400})
    assert snapshot(hostile.api) == before


def test_bad_parent_ids_in_nested_routes_are_400(hostile):
    before = snapshot(hostile.api)
    for bad in ("abc", "1.5", "2147483648", "9" * 40):
        q = requests.utils.quote(bad)
        for path in (f"/registered_models/{q}/versions", f"/model_versions/{q}/artifacts",
                     f"/experiments/{q}/experiment_runs", f"/experiment_runs/{q}/artifacts",
                     f"/experiment_runs/{q}/metric_history",
                     f"/inference_services/{q}/serves", f"/inference_services/{q}/model"):
            check_error(requests.get(hostile.api + path, timeout=TIMEOUT), {400})
        for path, body in ((f"/registered_models/{q}/versions",
                            {"name": "v", "registeredModelId": "1"}),
                           (f"/model_versions/{q}/artifacts",
                            {"artifactType": "doc-artifact"})):
            check_error(requests.post(hostile.api + path, json=body, timeout=TIMEOUT), {400})
    for bad in ("abc", "1.5", "2147483648"):
        check_error(requests.get(hostile.api + "/model_version",
                                 params={"name": "v1", "parentResourceId": bad},
                                 timeout=TIMEOUT), {400})
    assert snapshot(hostile.api) == before


def test_missing_ids_in_range_are_404(hostile):
    for path in ("/registered_models/999999999", "/model_versions/999999999",
                 "/artifacts/999999999", "/serving_environments/1"):
        check_error(requests.get(hostile.api + path, timeout=TIMEOUT), {404})


@pytest.mark.parametrize("raw_id", ["0", "-0", "1000000000", "2147483647", "-1",
                                    "-2147483648", "000999999999"])
def test_valid_int32_ids_that_name_nothing_are_404(hostile, raw_id):
    # Ids are read as upstream reads them, ParseInt(s, 10, 32): a valid int32 that names no
    # entity is a 404 (issue 8 point 6), whatever its digits.
    for path in (f"/registered_models/{raw_id}", f"/artifacts/{raw_id}"):
        check_error(requests.get(hostile.api + path, timeout=TIMEOUT), {404})
    # Nested lists do not check their parent: an empty page.
    resp = requests.get(f"{hostile.api}/registered_models/{raw_id}/versions", timeout=TIMEOUT)
    assert resp.status_code == 200 and resp.json()["items"] == [], resp.text
    check_error(requests.get(hostile.api + "/model_version", timeout=TIMEOUT,
                             params={"name": "v", "parentResourceId": raw_id}), {404})


@pytest.mark.parametrize("raw_id", ["1.0", "2147483648", "-2147483649", "0x1", "1_0"])
def test_ids_outside_int32_are_400(hostile, raw_id):
    for path in (f"/registered_models/{raw_id}", f"/registered_models/{raw_id}/versions",
                 f"/artifacts/{raw_id}"):
        check_error(requests.get(hostile.api + path, timeout=TIMEOUT), {400})
    check_error(requests.get(hostile.api + "/model_version", timeout=TIMEOUT,
                             params={"name": "v", "parentResourceId": raw_id}), {400})


# ---------------------------------------------------------------- pageSize and tokens

@pytest.mark.parametrize("size", ["2147483648", "-2147483649", "99999999999999999999", "abc",
                                  "1.5", "1e3", "0x10", " 5"])
def test_bad_page_size_is_400(hostile, size):
    for path in ("/registered_models", "/artifacts", "/experiment_runs/metric_history"):
        check_error(requests.get(hostile.api + path, params={"pageSize": size},
                                 timeout=TIMEOUT), {400})


def test_huge_in_range_page_size_is_served(hostile):
    for size in ("2147483647", "-2147483648", "-1"):
        resp = requests.get(hostile.api + "/registered_models", params={"pageSize": size},
                            timeout=TIMEOUT)
        assert resp.status_code == 200, resp.text
        assert resp.json()["size"] == len(resp.json()["items"]) >= 1
        assert resp.json()["nextPageToken"] == ""


def b64(text):
    return base64.b64encode(text.encode()).decode()


GARBAGE_TOKENS = ["garbage", "!!!", "====", "a" * 5000, b64("x:y"), b64("-1:5"), b64(":"),
                  b64("99999999999999:1"), b64("1"), b64("1:" + "9" * 100),
                  base64.b64encode(b"\xff\xfe:\x01").decode(), "%FF", "..", b64("1:2:3")]


@pytest.mark.parametrize("token", GARBAGE_TOKENS)
def test_garbage_page_token_is_400(hostile, token):
    for path in ("/registered_models", "/model_versions", "/artifacts",
                 f"/registered_models/{hostile.ids['rm']}/versions"):
        for order in ("ID", "CREATE_TIME", "LAST_UPDATE_TIME"):
            resp = requests.get(hostile.api + path, timeout=TIMEOUT,
                                params={"pageSize": 1, "nextPageToken": token, "orderBy": order})
            check_error(resp, {400})


# ---------------------------------------------------------------- filterQuery

def test_very_long_filter_queries_are_4xx_and_fast(hostile):
    """100k characters, 10k nested parentheses and 10k ORs, as the issue lists them.
    They exceed the request-line limit, so 414 is a fine answer; anything 4xx is."""
    queries = {
        "100k chars": 'name="' + "x" * 100_000 + '"',
        "100k garbage": "(" * 50_000 + ")" * 50_000,
        "10k nested parens": "(" * 10_000 + 'name="x"' + ")" * 10_000,
        "10k ORs": " OR ".join(['name="x"'] * 10_000),
        "10k ANDs": " AND ".join(["id>0"] * 10_000),
        "10k NOTs": "NOT " * 10_000 + 'name="x"',
    }
    for label, query in queries.items():
        started = time.monotonic()
        resp = requests.get(hostile.api + "/registered_models", params={"filterQuery": query},
                            timeout=TIMEOUT)
        check_error(resp, {400, 414})
        assert time.monotonic() - started < 5, f"{label} took too long"
    still_serving(hostile)


def test_filter_query_nested_parentheses_within_the_url_limit_are_400(hostile):
    for depth in (65, 500, 3000):
        query = "(" * depth + 'name="x"' + ")" * depth
        resp = requests.get(hostile.api + "/registered_models", params={"filterQuery": query},
                            timeout=TIMEOUT)
        check_error(resp, {400, 414})


@pytest.mark.parametrize("terms", [50, 100, 300, 780])
@pytest.mark.parametrize("shape", ["id=1 OR", "id>0 AND", 'name="x" OR', "p=1 OR",
                                   'p.string_value="a" AND'])
def test_long_connective_chains_within_the_url_limit_are_not_5xx(hostile, shape, terms):
    """Hundreds of terms fit in one request line. The server must answer them (200) or
    refuse them as too complex (400), never fail with a 5xx."""
    term, op = shape.rsplit(" ", 1)
    query = f" {op} ".join([term] * terms)
    for path in ("/registered_models", "/artifacts", "/experiment_runs/metric_history"):
        resp = requests.get(hostile.api + path, params={"filterQuery": query}, timeout=TIMEOUT)
        if len(resp.request.url) > 8000 and resp.status_code == 414:
            continue
        assert resp.status_code in (200, 400), (
            f"{path} with {terms} terms of {shape!r}: {resp.status_code} {resp.text[:200]}")
        if resp.status_code == 400:
            check_error(resp)


def test_pathological_filter_queries_are_400(hostile):
    for query in ('name LIKE "' + "%" * 3000 + 'x"', 'name = "' + "\\" * 3001 + '"',
                  "`" * 2000, '"' * 3001, "name IN (" + ",".join(["1"] * 1500),
                  "customProperties." * 400 + "x=1", "p." * 1000 + "=1", "\u2028" * 1000,
                  "1=1", "=", ")(", "name=", "AND", "name = 'x' OR OR name='y'"):
        resp = requests.get(hostile.api + "/registered_models", params={"filterQuery": query},
                            timeout=TIMEOUT)
        assert resp.status_code in (200, 400, 414), (query[:60], resp.status_code, resp.text)
        if resp.status_code != 200:
            check_error(resp)
    still_serving(hostile)


# ---------------------------------------------------------------- slow clients

@pytest.fixture
def slow_server(tmp_path_factory):
    srv = start(tmp_path_factory, "--read-timeout", str(READ_TIMEOUT), "--threads", "2")
    yield srv
    srv.stop()


PARTIAL_REQUESTS = {
    "request line": b"GET /api/model_registry/v1alpha3/registered_models HT",
    "headers": b"GET /api/model_registry/v1alpha3/registered_models HTTP/1.1\r\nHost: x\r\n",
    "body": (b"POST /api/model_registry/v1alpha3/registered_models HTTP/1.1\r\nHost: x\r\n"
             b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n" + b'{"name": "sl'),
    "chunk": (b"POST /api/model_registry/v1alpha3/registered_models HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"40\r\n{\"name\": \"slow\""),
}


def get_and_close(url, **kw):
    """A GET on its own connection, closed as soon as the answer is read: a response
    object that stays referenced would otherwise keep an idle keep-alive connection,
    and so a worker thread, busy."""
    with requests.Session() as session:
        resp = session.get(url, headers={"Connection": "close"}, **kw)
        resp.close()
        return resp


def open_stalled(port, payload):
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    if payload:
        sock.sendall(payload)
    return sock


def seconds_until_closed(sock, limit=30.0):
    """Reads until the server closes the connection; returns how long that took."""
    started = time.monotonic()
    sock.settimeout(limit)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    except socket.timeout:
        return None
    return time.monotonic() - started


@pytest.mark.parametrize("stage", sorted(PARTIAL_REQUESTS))
def test_stalled_request_does_not_block_other_clients(slow_server, stage):
    """With one of two workers held by a stalled client, others are still served."""
    stalled = open_stalled(slow_server.port, PARTIAL_REQUESTS[stage])
    try:
        for _ in range(5):
            started = time.monotonic()
            resp = get_and_close(slow_server.api + "/registered_models", timeout=TIMEOUT)
            assert resp.status_code == 200
            assert time.monotonic() - started < READ_TIMEOUT + 0.5
    finally:
        stalled.close()
    resp = get_and_close(slow_server.api + "/registered_model", params={"name": "slow"},
                         timeout=TIMEOUT)
    check_error(resp, {404})  # the stalled create wrote nothing


def test_normal_request_completes_with_more_stalled_connections_than_threads(slow_server):
    stalled = [open_stalled(slow_server.port, PARTIAL_REQUESTS["headers"]) for _ in range(2)]
    stalled += [open_stalled(slow_server.port, PARTIAL_REQUESTS["body"])]
    try:
        time.sleep(0.2)
        started = time.monotonic()
        resp = get_and_close(slow_server.api + "/registered_models", timeout=60)
        waited = time.monotonic() - started
        assert resp.status_code == 200
        print(f"\nnormal request behind 3 stalled connections on 2 threads: {waited:.1f}s")
        # Generous: the stalled connections must be dropped eventually, within a few
        # timeout periods, for the request to complete at all.
        assert waited < 20
    finally:
        for sock in stalled:
            sock.close()


@pytest.mark.parametrize("stage", sorted(PARTIAL_REQUESTS))
def test_stalled_request_is_dropped_after_the_read_timeout(slow_server, stage):
    """--read-timeout ("seconds a client may stay silent mid-request before it is
    dropped") bounds how long a half-sent request holds a worker thread: the server must
    close the connection within the timeout plus scheduling slack."""
    sock = open_stalled(slow_server.port, PARTIAL_REQUESTS[stage])
    try:
        took = seconds_until_closed(sock)
    finally:
        sock.close()
    assert took is not None, "the server never closed the stalled connection"
    assert took < READ_TIMEOUT + 2.0, (
        f"stalled connection ({stage}) held for {took:.1f}s with --read-timeout {READ_TIMEOUT}")


def test_silent_connection_is_dropped(slow_server):
    """A connection that never sends a byte waits as an idle keep-alive connection, whose
    timeout is capped by --read-timeout: it too is dropped within the timeout plus slack."""
    sock = open_stalled(slow_server.port, b"")
    try:
        took = seconds_until_closed(sock)
    finally:
        sock.close()
    assert took is not None, "the server never closed the silent connection"
    assert took < READ_TIMEOUT + 2.0, (
        f"silent connection held for {took:.1f}s with --read-timeout {READ_TIMEOUT}")


def test_stalled_connections_beyond_threads_release_workers_within_the_timeout(slow_server):
    """Three stalled clients on two workers: a normal request waits at most about two
    read-timeout periods (the stalled ones are dropped in two waves)."""
    stalled = [open_stalled(slow_server.port, PARTIAL_REQUESTS["headers"]) for _ in range(3)]
    try:
        time.sleep(0.2)
        started = time.monotonic()
        resp = get_and_close(slow_server.api + "/registered_models", timeout=60)
        waited = time.monotonic() - started
        assert resp.status_code == 200
        assert waited < 2 * READ_TIMEOUT + 2.0, (
            f"normal request waited {waited:.1f}s behind 3 stalled connections "
            f"(2 threads, --read-timeout {READ_TIMEOUT})")
    finally:
        for sock in stalled:
            sock.close()


@pytest.mark.parametrize("encoded", ["%0D", "%0A", "%0D%0A"])
def test_encoded_line_breaks_in_a_path_id_are_400(hostile, encoded):
    # Found by schemathesis: httplib's route regex did not match a decoded CR,
    # so the request fell through to a mislabelled 404.
    for path in (f"/registered_models/1{encoded}", f"/inference_services/{encoded}x/serves"):
        check_error(requests.get(hostile.api + path, timeout=TIMEOUT), {400})


# (An identical repeat, pageSize=5&pageSize=5, is merged by httplib's parser and
# is unambiguous, so it is not listed.)
@pytest.mark.parametrize("query", ["pageSize=&pageSize=5", "pageSize=5&pageSize=6",
                                   "filterQuery=id%3D1&filterQuery=id%3D2", "name=a&name=b"])
def test_repeated_query_parameters_are_400(hostile, query):
    # Found by schemathesis: no API parameter is a list, so a repeated one is
    # ambiguous; the server used to read the first and ignore the rest.
    for path in ("/registered_models", "/experiment_runs/metric_history", "/registered_model"):
        check_error(requests.get(f"{hostile.api}{path}?{query}", timeout=TIMEOUT), {400})


def test_empty_page_size_is_400_but_empty_token_is_the_first_page(hostile):
    check_error(requests.get(hostile.api + "/registered_models?pageSize=", timeout=TIMEOUT), {400})
    resp = requests.get(hostile.api + "/registered_models?pageSize=1&nextPageToken=",
                        timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
