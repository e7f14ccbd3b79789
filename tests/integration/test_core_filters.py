"""filterQuery grammar and semantics on the four core list routes (docs/api-behaviour.md §6).

The module's server holds only the data set built by the `data` fixture, so
every expectation is an exact list of entities in id order.
"""
import re
import time

import pytest

from helpers import (cp_bool, cp_double, cp_int, cp_string, create_mv, create_rm,
                     doc_artifact_body, expect_error, get, ids, list_body, model_artifact_body,
                     upsert_mv_artifact)
from helpers import server, shared_server  # noqa: F401  (fixture overrides)

QUOTE_VALUE = 'it\'s "quoted" here'


@pytest.fixture(scope="module")
def data(shared_server):
    api = shared_server.api
    rms = {}
    rms["alpha"] = create_rm(api, "alpha", owner="alice", externalId="ext-alpha", customProperties={
        "framework": cp_string("pytorch"), "accuracy": cp_double(0.97),
        "epochs": cp_int("10"), "deployed": cp_bool(True),
        "mlflow.source.type": cp_string("notebook"), "quote": cp_string(QUOTE_VALUE),
        "tag": cp_string("")})
    rms["Beta"] = create_rm(api, "Beta", owner="bob", state="ARCHIVED", customProperties={
        "framework": cp_string("tensorflow"), "accuracy": cp_double(0.80),
        "epochs": cp_int("5"), "deployed": cp_bool(False),
        "mlflow.source.type": cp_string("job"), "score": cp_double(10.0)})
    # test_filters_on_id_and_create_time draws a createTimeSinceEpoch line between Beta and
    # gamma: two creates can share a (wall-clock) millisecond, so wait one out.
    time.sleep(0.002)
    rms["gamma"] = create_rm(api, "gamma", owner="alice", customProperties={
        "framework": cp_string("PyTorch"), "accuracy": cp_double(0.90), "epochs": cp_int("20")})
    rms["delta_1"] = create_rm(api, "delta_1", owner="carol", state="ARCHIVED")
    alpha, beta = rms["alpha"]["id"], rms["Beta"]["id"]
    mvs = {
        "a.v1": create_mv(api, alpha, name="v1", author="ann",
                          customProperties={"stage": cp_string("prod")}),
        "a.v2": create_mv(api, alpha, name="v2", author="ben", state="ARCHIVED",
                          customProperties={"stage": cp_string("dev"), "rank": cp_int("2")}),
        "b.v1": create_mv(api, beta, name="v1", author="ann"),
        "b.v1.1": create_mv(api, beta, name="v1.1", author="carl"),
    }
    version = mvs["a.v1"]["id"]
    arts = {
        "m1": upsert_mv_artifact(api, version, model_artifact_body(
            "m1", uri="s3://a/m1", modelFormatName="onnx", state="LIVE",
            customProperties={"size": cp_int("3")})),
        "d1": upsert_mv_artifact(api, version, doc_artifact_body("d1", uri="http://docs/d1")),
        "m2": upsert_mv_artifact(api, version, model_artifact_body(
            "m2", uri="s3://b/m2", modelFormatName="pytorch", state="PENDING")),
    }
    return {"api": api, "rm": rms, "mv": mvs, "art": arts}


def filtered_ids(api, path, query, **params):
    return ids(list_body(api, path, filterQuery=query, **params)["items"])


RM_ALL = ["alpha", "Beta", "gamma", "delta_1"]

RM_CASES = [
    ('name = "alpha"', ["alpha"]),
    ("name = 'alpha'", ["alpha"]),
    ('name != "alpha"', ["Beta", "gamma", "delta_1"]),
    ('name <> "alpha"', ["Beta", "gamma", "delta_1"]),
    ('name="alpha"AND owner="alice"', ["alpha"]),
    ('  name   =\t"alpha"\n', ["alpha"]),
    ('name = "alpha" -- trailing comment', ["alpha"]),
    ('name = "ALPHA"', []),
    # AND binds tighter than OR
    ('owner = "alice" AND state = "LIVE"', ["alpha", "gamma"]),
    ('owner = "bob" OR owner = "carol" AND state = "LIVE"', ["Beta"]),
    ('owner = "carol" AND state = "LIVE" OR owner = "bob"', ["Beta"]),
    ('(owner = "bob" OR owner = "carol") AND state = "ARCHIVED"', ["Beta", "delta_1"]),
    ('owner = "carol" AND (state = "LIVE" OR owner = "bob")', []),
    ('((name = "alpha"))', ["alpha"]),
    ('name = "gamma" OR name = "alpha" OR name = "Beta"', ["alpha", "Beta", "gamma"]),
    ('(name = "alpha" OR name = "Beta") AND (owner = "bob" OR owner = "carol")', ["Beta"]),
    # keywords in any case
    ('owner = "alice" and state = "LIVE"', ["alpha", "gamma"]),
    ('owner = "bob" or name = "alpha"', ["alpha", "Beta"]),
    ('owner = "bob" Or name = "alpha" aNd state = "LIVE"', ["alpha", "Beta"]),
    ('name like "a%"', ["alpha"]),
    ('name in ("alpha", "gamma")', ["alpha", "gamma"]),
    ('name Ilike "BETA"', ["Beta"]),
    # LIKE is case-sensitive, ILIKE is not
    ('name LIKE "b%"', []),
    ('name LIKE "B%"', ["Beta"]),
    ('name ILIKE "b%"', ["Beta"]),
    ('name ILIKE "%A%"', ["alpha", "Beta", "gamma", "delta_1"]),
    ('name LIKE "%a"', ["alpha", "Beta", "gamma"]),
    ('name LIKE "d_lta%"', ["delta_1"]),
    ('name LIKE "_____"', ["alpha", "gamma"]),
    ('framework LIKE "py%"', ["alpha"]),
    ('framework ILIKE "py%"', ["alpha", "gamma"]),
    ('framework = "PyTorch"', ["gamma"]),
    # IN
    ('name IN ("alpha", "Beta")', ["alpha", "Beta"]),
    ('name IN ("nobody")', []),
    ('name IN ()', []),
    ('name IN "alpha"', ["alpha"]),
    ('epochs IN (5, 20)', ["Beta", "gamma"]),
    ('framework IN ("pytorch", "tensorflow")', ["alpha", "Beta"]),
    # doubles
    ('accuracy > 0.85', ["alpha", "gamma"]),
    ('accuracy >= 0.9', ["alpha", "gamma"]),
    ('accuracy < 0.9', ["Beta"]),
    ('accuracy <= 0.8', ["Beta"]),
    ('accuracy > .85', ["alpha", "gamma"]),
    ('accuracy > 8.5e-1', ["alpha", "gamma"]),
    ('accuracy.double_value > 0.85', ["alpha", "gamma"]),
    ('accuracy = 0.97', ["alpha"]),
    # ints; an int literal also matches double properties
    ('epochs = 10', ["alpha"]),
    ('epochs > 5', ["alpha", "gamma"]),
    ('epochs >= 5 AND epochs < 20', ["alpha", "Beta"]),
    ('epochs > -1', ["alpha", "Beta", "gamma"]),
    ('epochs > +9', ["alpha", "gamma"]),
    ('epochs.int_value = 10', ["alpha"]),
    ('epochs.double_value = 10', []),
    ('score = 10', ["Beta"]),
    ('score > 9', ["Beta"]),
    ('score = 10.0', ["Beta"]),
    ('score.double_value = 10', ["Beta"]),
    ('score.int_value = 10', []),
    ('epochs = 10.0', []),
    # bools
    ('deployed = true', ["alpha"]),
    ('deployed = TRUE', ["alpha"]),
    ('deployed = false', ["Beta"]),
    ('deployed = FALSE', ["Beta"]),
    ('deployed.bool_value = true', ["alpha"]),
    ('deployed != true', ["Beta"]),
    # strings, suffixes, backticks, quotes
    ('framework.string_value = "pytorch"', ["alpha"]),
    ('`mlflow.source.type` = "notebook"', ["alpha"]),
    ('`mlflow.source.type` != "notebook"', ["Beta"]),
    ('`framework` = "tensorflow"', ["Beta"]),
    ('quote = "it\'s \\"quoted\\" here"', ["alpha"]),
    ("quote = 'it\\'s \"quoted\" here'", ["alpha"]),
    ('tag = ""', ["alpha"]),
    # built-in properties
    ('externalId = "ext-alpha"', ["alpha"]),
    ('state = "ARCHIVED"', ["Beta", "delta_1"]),
    ('state = "LIVE" AND accuracy > 0.5', ["alpha", "gamma"]),
    ('owner != "alice"', ["Beta", "delta_1"]),
    ('lastUpdateTimeSinceEpoch > 0', RM_ALL),
    ('createTimeSinceEpoch > 0 AND name = "gamma"', ["gamma"]),
    # a property nobody has never matches
    ('nothere = "x"', []),
    ('nothere != "x"', []),
    ('nothere = "x" OR name = "gamma"', ["gamma"]),
]


@pytest.mark.parametrize("query,expected", RM_CASES, ids=[c[0] for c in RM_CASES])
def test_registered_model_filters(data, query, expected):
    api = data["api"]
    assert filtered_ids(api, "/registered_models", query) == [data["rm"][n]["id"] for n in expected]


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_filter_means_no_filter(data, query):
    assert filtered_ids(data["api"], "/registered_models", query) == [
        data["rm"][n]["id"] for n in RM_ALL]


def test_filters_on_id_and_create_time(data):
    api, rm = data["api"], data["rm"]
    alpha, gamma, delta = rm["alpha"], rm["gamma"], rm["delta_1"]
    assert filtered_ids(api, "/registered_models", f"id = {alpha['id']}") == [alpha["id"]]
    assert filtered_ids(api, "/registered_models", f"id IN ({alpha['id']}, {gamma['id']})") == [
        alpha["id"], gamma["id"]]
    assert filtered_ids(api, "/registered_models",
                        f"id > {alpha['id']} AND id < {delta['id']}") == [rm["Beta"]["id"],
                                                                          gamma["id"]]
    assert filtered_ids(api, "/registered_models",
                        f"createTimeSinceEpoch >= {gamma['createTimeSinceEpoch']}") == [
        gamma["id"], delta["id"]]
    assert filtered_ids(api, "/registered_models",
                        f"createTimeSinceEpoch < {alpha['createTimeSinceEpoch']}") == []


def test_filter_combines_with_order_and_page_size(data):
    api, rm = data["api"], data["rm"]
    body = list_body(api, "/registered_models", filterQuery='owner = "alice" OR owner = "bob"',
                     sortOrder="DESC", pageSize="2")
    assert ids(body["items"]) == [rm["gamma"]["id"], rm["Beta"]["id"]]
    assert body["nextPageToken"]
    rest = list_body(api, "/registered_models", filterQuery='owner = "alice" OR owner = "bob"',
                     sortOrder="DESC", pageSize="2", nextPageToken=body["nextPageToken"])
    assert ids(rest["items"]) == [rm["alpha"]["id"]] and rest["nextPageToken"] == ""


MV_CASES = [
    ('name = "v1"', ["a.v1", "b.v1"]),
    ('name != "v1"', ["a.v2", "b.v1.1"]),
    ('name LIKE "v1%"', ["a.v1", "b.v1", "b.v1.1"]),
    ('name LIKE "%1"', ["a.v1", "b.v1", "b.v1.1"]),
    ('name IN ("v2", "v1.1")', ["a.v2", "b.v1.1"]),
    ('author = "ann" AND state = "LIVE"', ["a.v1", "b.v1"]),
    ('state = "ARCHIVED" OR author = "carl"', ["a.v2", "b.v1.1"]),
    ('stage = "prod"', ["a.v1"]),
    ('stage.string_value LIKE "%e%"', ["a.v2"]),
    ('rank = 2', ["a.v2"]),
    ('rank >= 2 OR stage = "prod"', ["a.v1", "a.v2"]),
    ('author ILIKE "A%"', ["a.v1", "b.v1"]),
]


@pytest.mark.parametrize("query,expected", MV_CASES, ids=[c[0] for c in MV_CASES])
def test_model_version_filters(data, query, expected):
    assert filtered_ids(data["api"], "/model_versions", query) == [
        data["mv"][n]["id"] for n in expected]


def test_model_version_filter_on_registered_model_id(data):
    api, rm, mv = data["api"], data["rm"], data["mv"]
    assert filtered_ids(api, "/model_versions", f"registeredModelId = {rm['alpha']['id']}") == [
        mv["a.v1"]["id"], mv["a.v2"]["id"]]
    assert filtered_ids(api, "/model_versions",
                        f"registeredModelId = {rm['Beta']['id']} AND name = \"v1\"") == [
        mv["b.v1"]["id"]]


def test_nested_version_list_filters(data):
    api, rm, mv = data["api"], data["rm"], data["mv"]
    alpha_path = f"/registered_models/{rm['alpha']['id']}/versions"
    beta_path = f"/registered_models/{rm['Beta']['id']}/versions"
    assert filtered_ids(api, alpha_path, 'author = "ann"') == [mv["a.v1"]["id"]]
    assert filtered_ids(api, alpha_path, 'name = "v2"') == [mv["a.v2"]["id"]]
    assert filtered_ids(api, alpha_path, 'state = "LIVE" OR state = "ARCHIVED"') == [
        mv["a.v1"]["id"], mv["a.v2"]["id"]]
    assert filtered_ids(api, beta_path, 'name LIKE "v1%"') == [mv["b.v1"]["id"],
                                                               mv["b.v1.1"]["id"]]
    # the name parameter is ANDed with the filter
    assert filtered_ids(api, alpha_path, 'state = "ARCHIVED"', name="v1") == []
    assert filtered_ids(api, beta_path, 'author = "carl"', name="v1.1") == [mv["b.v1.1"]["id"]]


ART_CASES = [
    ('modelFormatName = "onnx"', {}, ["m1"]),
    ('uri LIKE "s3://%"', {}, ["m1", "m2"]),
    ('state = "LIVE"', {}, ["m1"]),
    ('state = "PENDING"', {}, ["m2"]),
    ('state = "BOGUS"', {}, []),
    ('name = "m2"', {}, ["m2"]),
    ('size = 3', {}, ["m1"]),
    ('size > 1 OR modelFormatName = "pytorch"', {}, ["m1", "m2"]),
    ('modelFormatName IN ("onnx", "pytorch") AND state != "LIVE"', {}, ["m2"]),
    ('uri = "http://docs/d1"', {"artifactType": "doc-artifact"}, ["d1"]),
    ('uri LIKE "%"', {"artifactType": "model-artifact"}, ["m1", "m2"]),
    ('name = "d1"', {"artifactType": "model-artifact"}, []),
]


@pytest.mark.parametrize("query,params,expected", ART_CASES, ids=[c[0] for c in ART_CASES])
def test_version_artifact_filters(data, query, params, expected):
    path = f"/model_versions/{data['mv']['a.v1']['id']}/artifacts"
    assert filtered_ids(data["api"], path, query, **params) == [
        data["art"][n]["id"] for n in expected]


def test_version_artifact_filter_on_id(data):
    m2 = data["art"]["m2"]
    path = f"/model_versions/{data['mv']['a.v1']['id']}/artifacts"
    assert filtered_ids(data["api"], path, f"id = {m2['id']}") == [m2["id"]]


SYNTAX_ERRORS = [
    'name =',
    'name = "alpha" AND',
    '(name = "alpha"',
    'name = "alpha")',
    'name == "alpha"',
    '= "alpha"',
    'name "alpha"',
    'name = alpha',
    'name IN ("a",)',
    'name IN ("a" "b")',
    'AND',
    'name = "unterminated',
    "name = 'unterminated",
    '`unterminated = "x"',
    'name LIKE',
    'name = "a" OR OR name = "b"',
    'name = "a" name = "b"',
    'name ! "x"',
    '()',
    'name = "a" ;',
]

FILTERED_ROUTES = ["/registered_models", "/model_versions", "/registered_models/{rm}/versions",
                   "/model_versions/{mv}/artifacts"]


@pytest.mark.parametrize("query", SYNTAX_ERRORS)
@pytest.mark.parametrize("route", FILTERED_ROUTES)
def test_syntax_errors_are_400_with_position(data, route, query):
    path = route.format(rm=data["rm"]["alpha"]["id"], mv=data["mv"]["a.v1"]["id"])
    body = expect_error(get(data["api"], path, {"filterQuery": query}), 400,
                        starts_with="invalid filter query syntax")
    assert re.search(r"\d", body["message"][len("invalid filter query syntax"):]), body
