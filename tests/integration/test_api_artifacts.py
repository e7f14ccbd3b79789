"""Generic artifact routes for all five kinds and the two upsert routes
(docs/api-behaviour.md §2.3, §4.3, §5.4, §8, §9, §10, §11.1, §11.3, plus the §14 deviations:
exact find, PATCH keeps absent fields, filterQuery everywhere)."""
import pytest

from api_helpers import (ARTIFACT_TYPES, KIND_FIELDS, UPSERT_CREATE_STATUS, artifact_body,
                         create_artifact, create_experiment_run, expect_not_found, filter_eq,
                         metric_body, parameter_body, upsert_artifact)
from helpers import (cp_int, cp_string, create_mv, create_rm, expect_error, expect_json, get,
                     ids, list_body, patch, post, ts, unique)
from helpers import server, shared_server  # noqa: F401  (fixture overrides)

MISSING = "987654321"
ARTIFACT_TYPE_MESSAGE = ("invalid artifact type, must be either ModelArtifact, DocArtifact, "
                         "DataSet, Metric, or Parameter: bad request")
PARENTS = ["model_versions", "experiment_runs"]


@pytest.fixture(scope="module")
def api(shared_server):
    return shared_server.api


@pytest.fixture
def mv(api):
    return create_mv(api, create_rm(api)["id"])


@pytest.fixture
def run(api):
    return create_experiment_run(api)[1]


@pytest.fixture(params=PARENTS)
def parent(request, api):
    """(route, entity) of a fresh parent of each kind the upsert routes take."""
    if request.param == "model_versions":
        return request.param, create_mv(api, create_rm(api)["id"])
    return request.param, create_experiment_run(api)[1]


# ================================================================ POST /artifacts

@pytest.mark.parametrize("artifact_type", ARTIFACT_TYPES)
def test_create_each_kind_minimal(api, artifact_type):
    body = {"artifactType": artifact_type}
    if artifact_type == "metric":
        body["value"] = 1.5
    art = expect_json(post(api, "/artifacts", body), 201)
    assert art["artifactType"] == artifact_type
    assert isinstance(art["name"], str) and art["name"], "a name is generated"
    # The oneOf bodies apply no defaults: state stays unset (§2.3).
    for absent in ("state", "uri", "description", "externalId", "customProperties",
                   "experimentId", "experimentRunId"):
        assert absent not in art, absent


@pytest.mark.parametrize("artifact_type", ARTIFACT_TYPES)
def test_create_each_kind_with_all_fields_round_trips(api, artifact_type):
    fields = dict(KIND_FIELDS[artifact_type], description="d", externalId=unique("ext"),
                  state="LIVE", customProperties={"k": cp_string("v"), "n": cp_int("3")})
    name = unique("full")
    art = create_artifact(api, artifact_type, name, **fields)
    assert art["name"] == name
    for key, value in fields.items():
        assert art[key] == value, key
    assert expect_json(get(api, f"/artifacts/{art['id']}"), 200) == art


def test_create_ignores_id_in_body(api):
    first = create_artifact(api, "doc-artifact")
    second = expect_json(post(api, "/artifacts", {"artifactType": "doc-artifact",
                                                  "id": first["id"], "uri": "u"}), 201)
    assert second["id"] != first["id"]
    assert "uri" not in expect_json(get(api, f"/artifacts/{first['id']}"), 200)


def test_create_ignores_unknown_fields_inside_the_variant(api):
    """oneOf variants decode leniently (§2.3)."""
    art = expect_json(post(api, "/artifacts",
                           {"artifactType": "doc-artifact", "name": unique("doc"),
                            "modelFormatName": "onnx", "bogus": {"deep": [1]},
                            "value": 3}), 201)
    for absent in ("modelFormatName", "bogus", "value"):
        assert absent not in art, absent
    metric = expect_json(post(api, "/artifacts", {"artifactType": "metric", "value": 2,
                                                  "uri": "ignored", "digest": "x"}), 201)
    assert metric["value"] == 2 and "uri" not in metric and "digest" not in metric


@pytest.mark.parametrize("body", [{"name": "x"}, {"artifactType": "bogus"},
                                  {"artifactType": "ModelArtifact"}, {"artifactType": ""},
                                  {"artifactType": None}, {"artifactType": 3}])
def test_create_missing_or_unknown_discriminator_is_400(api, body):
    expect_error(post(api, "/artifacts", body), 400, message=ARTIFACT_TYPE_MESSAGE)


@pytest.mark.parametrize("body", [
    {"artifactType": "model-artifact", "uri": 5},
    {"artifactType": "doc-artifact", "name": ["x"]},
    {"artifactType": "dataset-artifact", "digest": False},
    {"artifactType": "metric", "value": "high"},
    {"artifactType": "metric", "value": 1, "step": "one"},
    {"artifactType": "metric", "value": 1, "timestamp": 5},
    {"artifactType": "parameter", "value": 0.1},
    {"artifactType": "parameter", "parameterType": "float"},
    {"artifactType": "model-artifact", "state": "ARCHIVED"},
    {"artifactType": "doc-artifact", "customProperties": []},
])
def test_create_variant_decode_errors_are_400(api, body):
    expect_error(post(api, "/artifacts", body), 400)


@pytest.mark.parametrize("data", ["", "{", "[]", "null", "nonsense"])
def test_create_bad_json_is_400(api, data):
    expect_error(post(api, "/artifacts", data=data), 400)


@pytest.mark.parametrize("parameter_type", ["string", "number", "boolean", "object"])
def test_every_parameter_type_is_accepted(api, parameter_type):
    art = create_artifact(api, "parameter", value="v", parameterType=parameter_type)
    assert art["parameterType"] == parameter_type


def test_standalone_artifacts_of_any_kind_may_share_a_name(api):
    name = unique("shared")
    a = create_artifact(api, "doc-artifact", name)
    b = create_artifact(api, "doc-artifact", name)
    c = create_artifact(api, "metric", name)
    assert len({a["id"], b["id"], c["id"]}) == 3


def test_artifact_external_id_is_unique_across_all_kinds(api):
    ext = unique("ext")
    create_artifact(api, "dataset-artifact", externalId=ext)
    for artifact_type in ARTIFACT_TYPES:
        expect_error(post(api, "/artifacts", artifact_body(artifact_type, externalId=ext)), 409,
                     contains="already exists: conflict")
    # Context-like entities have their own externalId scope (§8).
    assert create_rm(api, externalId=ext)["externalId"] == ext


# ================================================================ GET /artifacts/{id}

def test_get_artifact_errors(api, mv):
    expect_error(get(api, "/artifacts/abc"), 400)
    expect_error(get(api, "/artifacts/12345678901"), 400)
    expect_error(get(api, "/artifacts/2147483648"), 400)
    expect_not_found(get(api, "/artifacts/-3"))  # a valid int32 naming nothing (issue 8)
    expect_not_found(get(api, f"/artifacts/{MISSING}"))


def test_get_artifact_returns_every_kind(api):
    for artifact_type in ARTIFACT_TYPES:
        art = create_artifact(api, artifact_type)
        assert expect_json(get(api, f"/artifacts/{art['id']}"), 200) == art


# ================================================================ PATCH /artifacts/{id}

PATCHES = {
    "model-artifact": {"uri": "s3://new", "modelFormatName": "pt", "storagePath": "/q"},
    "doc-artifact": {"uri": "https://new"},
    "dataset-artifact": {"digest": "sha256:new", "profile": "p2", "uri": "s3://new"},
    "metric": {"value": 0.99, "step": 9},
    "parameter": {"value": "true", "parameterType": "boolean"},
}


@pytest.mark.parametrize("artifact_type", ARTIFACT_TYPES)
def test_patch_each_kind_merges_supplied_fields(api, artifact_type):
    art = create_artifact(api, artifact_type, description="keep", state="PENDING",
                          customProperties={"k": cp_string("v")}, **KIND_FIELDS[artifact_type])
    change = PATCHES[artifact_type]
    updated = expect_json(patch(api, f"/artifacts/{art['id']}",
                                {"artifactType": artifact_type, **change}), 200)
    for key, value in change.items():
        assert updated[key] == value, key
    for key in set(KIND_FIELDS[artifact_type]) - set(change):
        assert updated[key] == art[key], key
    # Absent fields keep their stored values, state included (no reset, §10.6).
    assert updated["description"] == "keep" and updated["state"] == "PENDING"
    assert updated["customProperties"] == {"k": cp_string("v")}
    assert updated["name"] == art["name"] and updated["artifactType"] == artifact_type
    assert updated["createTimeSinceEpoch"] == art["createTimeSinceEpoch"]
    assert ts(updated) > ts(art)
    assert expect_json(get(api, f"/artifacts/{art['id']}"), 200) == updated


def test_patch_ignores_name_id_and_unknown_fields(api):
    """The lenient variant decode ignores fields it does not know (§10.5)."""
    art = create_artifact(api, "doc-artifact", uri="u")
    updated = expect_json(patch(api, f"/artifacts/{art['id']}",
                                {"artifactType": "doc-artifact", "name": "renamed",
                                 "id": "1", "bogus": 1, "description": "d"}), 200)
    assert updated["name"] == art["name"] and updated["id"] == art["id"]
    assert updated["description"] == "d" and "bogus" not in updated


def test_patch_replaces_custom_properties_only_when_supplied(api):
    art = create_artifact(api, "model-artifact",
                          customProperties={"a": cp_string("1"), "b": cp_string("2")})
    kept = expect_json(patch(api, f"/artifacts/{art['id']}",
                             {"artifactType": "model-artifact", "customProperties": None}), 200)
    assert kept["customProperties"] == art["customProperties"]
    replaced = expect_json(patch(api, f"/artifacts/{art['id']}",
                                 {"artifactType": "model-artifact",
                                  "customProperties": {"c": cp_string("3")}}), 200)
    assert replaced["customProperties"] == {"c": cp_string("3")}
    cleared = expect_json(patch(api, f"/artifacts/{art['id']}",
                                {"artifactType": "model-artifact", "customProperties": {}}), 200)
    assert "customProperties" not in cleared


@pytest.mark.parametrize("stored,sent", [("model-artifact", "doc-artifact"),
                                         ("doc-artifact", "metric"),
                                         ("dataset-artifact", "parameter"),
                                         ("metric", "model-artifact"),
                                         ("parameter", "dataset-artifact")])
def test_patch_cannot_change_the_artifact_type(api, stored, sent):
    art = create_artifact(api, stored)
    body = expect_error(patch(api, f"/artifacts/{art['id']}",
                              {"artifactType": sent, "description": "x"}), 400)
    assert stored in body["message"] and sent in body["message"], body
    assert "immutable" in body["message"], body
    assert expect_json(get(api, f"/artifacts/{art['id']}"), 200) == art


@pytest.mark.parametrize("body", [{"description": "x"}, {}, {"artifactType": "bogus"}],
                         ids=["missing", "empty-body", "unknown-type"])
def test_patch_without_a_known_discriminator_reports_unknown(api, body):
    """A missing or unknown discriminator decodes nothing and is reported as a
    change to 'unknown' (§2.3, §10.7)."""
    art = create_artifact(api, "doc-artifact")
    error = expect_error(patch(api, f"/artifacts/{art['id']}", body), 400)
    assert "'doc-artifact'" in error["message"], error
    assert "'unknown'" in error["message"], error
    assert "immutable" in error["message"], error
    assert expect_json(get(api, f"/artifacts/{art['id']}"), 200) == art


def test_patch_artifact_errors(api):
    expect_not_found(patch(api, f"/artifacts/{MISSING}", {"artifactType": "doc-artifact"}))
    expect_error(patch(api, "/artifacts/abc", {"artifactType": "doc-artifact"}), 400)
    art = create_artifact(api, "doc-artifact")
    expect_error(patch(api, f"/artifacts/{art['id']}", data="{"), 400)
    expect_error(patch(api, f"/artifacts/{art['id']}",
                       {"artifactType": "doc-artifact", "uri": 7}), 400)
    expect_error(patch(api, f"/artifacts/{art['id']}",
                       {"artifactType": "doc-artifact", "state": "GONE"}), 400)
    ext = unique("ext")
    create_artifact(api, "metric", externalId=ext)
    expect_error(patch(api, f"/artifacts/{art['id']}",
                       {"artifactType": "doc-artifact", "externalId": ext}), 409,
                 contains="already exists: conflict")


def test_patch_metric_keeps_stored_value(api):
    art = create_artifact(api, "metric", value=0.3)
    updated = expect_json(patch(api, f"/artifacts/{art['id']}",
                                {"artifactType": "metric", "step": 4}), 200)
    assert updated["value"] == 0.3 and updated["step"] == 4


# ================================================================ GET /artifacts

def test_list_artifacts_every_kind_and_type_filter(server):
    api = server.api
    created = {t: create_artifact(api, t) for t in ARTIFACT_TYPES}
    everything = list_body(api, "/artifacts")
    assert ids(everything["items"]) == [created[t]["id"] for t in ARTIFACT_TYPES]
    assert [a["artifactType"] for a in everything["items"]] == list(ARTIFACT_TYPES)
    for artifact_type in ARTIFACT_TYPES:
        items = list_body(api, "/artifacts", artifactType=artifact_type)["items"]
        assert ids(items) == [created[artifact_type]["id"]], artifact_type
    # An empty artifactType means no type filter.
    assert ids(list_body(api, "/artifacts", artifactType="")["items"]) == ids(everything["items"])


@pytest.mark.parametrize("value", ["bogus", "Metric", "model_artifact", "METRIC"])
def test_list_artifacts_invalid_type_is_400(api, value):
    expect_error(get(api, "/artifacts", {"artifactType": value}), 400,
                 contains="invalid artifact type")


def test_list_artifacts_null_type_is_400(api):
    expect_error(get(api, "/artifacts", {"artifactType": "null"}), 400,
                 contains="empty or null value")


def test_list_artifacts_honours_filter_query(api):
    name = unique("filtered")
    doc = create_artifact(api, "doc-artifact", name, uri="https://x")
    metric = create_artifact(api, "metric", name, value=42.0)
    both = list_body(api, "/artifacts", filterQuery=filter_eq("name", name))["items"]
    assert ids(both) == [doc["id"], metric["id"]]
    only_metric = list_body(api, "/artifacts", filterQuery=filter_eq("name", name),
                            artifactType="metric")["items"]
    assert ids(only_metric) == [metric["id"]]
    high = list_body(api, "/artifacts", artifactType="metric",
                     filterQuery=f'{filter_eq("name", name)} AND value > 41')["items"]
    assert ids(high) == [metric["id"]]
    expect_error(get(api, "/artifacts", {"filterQuery": 'name = "x" AND'}), 400,
                 starts_with="invalid filter query syntax")


def test_list_artifacts_paging(server):
    api = server.api
    created = [create_artifact(api, t) for t in ARTIFACT_TYPES]
    page = list_body(api, "/artifacts", pageSize="3")
    assert ids(page["items"]) == ids(created[:3]) and page["nextPageToken"]
    rest = list_body(api, "/artifacts", pageSize="3", nextPageToken=page["nextPageToken"])
    assert ids(rest["items"]) == ids(created[3:]) and rest["nextPageToken"] == ""


# ================================================================ GET /artifact

def test_find_artifact_by_name_and_parent(api, parent):
    route, entity = parent
    arts = {t: upsert_artifact(api, route, entity["id"], artifact_body(t)) for t in ARTIFACT_TYPES}
    for artifact_type, art in arts.items():
        found = expect_json(get(api, "/artifact",
                                {"name": art["name"], "parentResourceId": entity["id"]}), 200)
        assert found == expect_json(get(api, f"/artifacts/{art['id']}"), 200), artifact_type


def test_find_artifact_by_external_id(api):
    ext = unique("ext")
    art = create_artifact(api, "parameter", value="x", externalId=ext)
    assert expect_json(get(api, "/artifact", {"externalId": ext}), 200) == art


def test_find_artifact_errors(api, mv):
    art = upsert_artifact(api, "model_versions", mv["id"], artifact_body("doc-artifact"))
    expect_error(get(api, "/artifact"), 400)
    expect_error(get(api, "/artifact", {"name": art["name"]}), 400)
    expect_error(get(api, "/artifact", {"parentResourceId": mv["id"]}), 400)
    expect_error(get(api, "/artifact", {"name": art["name"], "parentResourceId": "abc"}), 400)
    expect_not_found(get(api, "/artifact", {"name": art["name"], "parentResourceId": MISSING}))
    expect_not_found(get(api, "/artifact", {"name": unique("none"), "parentResourceId": mv["id"]}))
    expect_not_found(get(api, "/artifact", {"externalId": unique("none")}))


def test_find_artifact_name_is_exact(api, mv):
    name = unique("aXb")
    upsert_artifact(api, "model_versions", mv["id"], artifact_body("doc-artifact", name))
    for pattern in (name.replace("aXb", "a_b"), name.replace("aXb", "a%"), "%", name[:-1]):
        expect_not_found(get(api, "/artifact", {"name": pattern, "parentResourceId": mv["id"]}))


@pytest.mark.parametrize("name", ["it's", 'a "quoted" name', "semi;colon"])
def test_find_artifact_with_quotes_in_name(api, mv, name):
    name = unique(name)
    art = upsert_artifact(api, "model_versions", mv["id"], artifact_body("model-artifact", name))
    found = expect_json(get(api, "/artifact", {"name": name, "parentResourceId": mv["id"]}), 200)
    assert found["id"] == art["id"]


# ================================================================ upsert routes

@pytest.mark.parametrize("artifact_type", ARTIFACT_TYPES)
def test_upsert_create_status_per_kind(api, parent, artifact_type):
    """201 for model/doc, 200 for dataset/metric/parameter (§11.1, §14 quirk-upsert-status)."""
    route, entity = parent
    body = artifact_body(artifact_type, **KIND_FIELDS[artifact_type])
    resp = post(api, f"/{route}/{entity['id']}/artifacts", body)
    art = expect_json(resp, UPSERT_CREATE_STATUS[artifact_type])
    assert art["artifactType"] == artifact_type and art["name"] == body["name"]
    for key, value in KIND_FIELDS[artifact_type].items():
        assert art[key] == value, key
    listed = list_body(api, f"/{route}/{entity['id']}/artifacts")["items"]
    assert art["id"] in ids(listed)


def test_upsert_without_name_generates_one(api, parent):
    route, entity = parent
    art = upsert_artifact(api, route, entity["id"], {"artifactType": "doc-artifact"})
    assert isinstance(art["name"], str) and art["name"]


@pytest.mark.parametrize("artifact_type", ARTIFACT_TYPES)
def test_attach_existing_artifact_by_id(api, parent, artifact_type):
    route, entity = parent
    standalone = create_artifact(api, artifact_type, description="before")
    body = {"artifactType": artifact_type, "id": standalone["id"], "description": "after"}
    if artifact_type == "metric":
        # A metric upsert needs a value even when it names an existing metric (§11.1.5).
        expect_error(post(api, f"/{route}/{entity['id']}/artifacts", body), 400,
                     contains="metric value is required")
        body["value"] = standalone["value"]
    attached = expect_json(post(api, f"/{route}/{entity['id']}/artifacts", body), 200)
    assert attached["id"] == standalone["id"]
    assert attached["name"] == standalone["name"], "names are never rewritten"
    assert attached["description"] == "after"
    listed = list_body(api, f"/{route}/{entity['id']}/artifacts")["items"]
    assert ids(listed) == [standalone["id"]]


def test_one_artifact_under_a_version_and_a_run(api, mv, run):
    art = upsert_artifact(api, "model_versions", mv["id"], artifact_body("model-artifact"))
    again = upsert_artifact(api, "experiment_runs", run["id"],
                            {"artifactType": "model-artifact", "id": art["id"]}, status=200)
    assert again["id"] == art["id"]
    assert ids(list_body(api, f"/model_versions/{mv['id']}/artifacts")["items"]) == [art["id"]]
    assert ids(list_body(api, f"/experiment_runs/{run['id']}/artifacts")["items"]) == [art["id"]]
    # Attaching twice to the same parent lists it once.
    upsert_artifact(api, "model_versions", mv["id"],
                    {"artifactType": "model-artifact", "id": art["id"]}, status=200)
    assert ids(list_body(api, f"/model_versions/{mv['id']}/artifacts")["items"]) == [art["id"]]


def test_upsert_with_id_of_missing_artifact_is_400(api, parent):
    route, entity = parent
    for artifact_type in ARTIFACT_TYPES:
        body = artifact_body(artifact_type, id=MISSING)
        expect_error(post(api, f"/{route}/{entity['id']}/artifacts", body), 400)


@pytest.mark.parametrize("stored,sent", [("model-artifact", "doc-artifact"),
                                         ("doc-artifact", "model-artifact"),
                                         ("metric", "parameter"),
                                         ("parameter", "metric"),
                                         ("dataset-artifact", "model-artifact")])
def test_upsert_with_id_of_another_kind_is_400(api, parent, stored, sent):
    route, entity = parent
    art = create_artifact(api, stored)
    expect_error(post(api, f"/{route}/{entity['id']}/artifacts",
                      artifact_body(sent, id=art["id"])), 400)
    assert expect_json(get(api, f"/artifacts/{art['id']}"), 200) == art
    assert list_body(api, f"/{route}/{entity['id']}/artifacts")["items"] == []


@pytest.mark.parametrize("artifact_type", ["metric", "parameter"])
def test_metric_and_parameter_update_in_place_by_name(api, parent, artifact_type):
    route, entity = parent
    name = unique("mp")
    first_value, second_value = (0.1, 0.2) if artifact_type == "metric" else ("a", "b")
    make = metric_body if artifact_type == "metric" else parameter_body
    first = upsert_artifact(api, route, entity["id"], make(name, first_value, description="d"))
    second = expect_json(post(api, f"/{route}/{entity['id']}/artifacts",
                              make(name, second_value)), 200)
    assert second["id"] == first["id"]
    assert second["value"] == second_value
    assert second["description"] == "d", "absent fields are kept"
    assert ts(second) > ts(first)
    listed = list_body(api, f"/{route}/{entity['id']}/artifacts")["items"]
    assert ids(listed) == [first["id"]]


def test_metric_and_parameter_of_the_same_name_coexist(api, parent):
    route, entity = parent
    metric = upsert_artifact(api, route, entity["id"], metric_body("same", 1.0))
    param = upsert_artifact(api, route, entity["id"], parameter_body("same", "1"))
    assert metric["id"] != param["id"]


def test_same_metric_name_under_two_parents_are_two_artifacts(api, mv, run):
    a = upsert_artifact(api, "model_versions", mv["id"], metric_body("shared", 1.0))
    b = upsert_artifact(api, "experiment_runs", run["id"], metric_body("shared", 2.0))
    assert a["id"] != b["id"]
    assert expect_json(get(api, f"/artifacts/{a['id']}"), 200)["value"] == 1.0


@pytest.mark.parametrize("body", [{"artifactType": "metric", "name": "nv"},
                                  {"artifactType": "metric", "name": "nv", "value": None}])
def test_metric_without_value_is_400(api, parent, body):
    route, entity = parent
    expect_error(post(api, f"/{route}/{entity['id']}/artifacts", body), 400,
                 contains="metric value is required")
    assert list_body(api, f"/{route}/{entity['id']}/artifacts")["items"] == []


@pytest.mark.parametrize("artifact_type", ["model-artifact", "doc-artifact"])
def test_duplicate_model_or_doc_name_under_one_parent_is_409(api, parent, artifact_type):
    route, entity = parent
    name = unique("dup")
    upsert_artifact(api, route, entity["id"], artifact_body(artifact_type, name))
    expect_error(post(api, f"/{route}/{entity['id']}/artifacts",
                      artifact_body(artifact_type, name)), 409,
                 contains="already exists: conflict")


def test_datasets_are_never_name_unique(api, parent):
    """DataSets always get a random name prefix, even under a parent (§8)."""
    route, entity = parent
    name = unique("ds")
    a = upsert_artifact(api, route, entity["id"], artifact_body("dataset-artifact", name))
    b = upsert_artifact(api, route, entity["id"], artifact_body("dataset-artifact", name))
    assert a["id"] != b["id"] and a["name"] == b["name"] == name


def test_upsert_discriminator_errors(api, parent):
    route, entity = parent
    for body in ({"name": "x"}, {"artifactType": "Metric", "value": 1}):
        expect_error(post(api, f"/{route}/{entity['id']}/artifacts", body), 400,
                     message=ARTIFACT_TYPE_MESSAGE)
    expect_error(post(api, f"/{route}/{entity['id']}/artifacts",
                      {"artifactType": "metric", "value": "x"}), 400)


def test_upsert_parent_errors(api, mv, run):
    for route in PARENTS:
        expect_not_found(post(api, f"/{route}/{MISSING}/artifacts", artifact_body("doc-artifact")))
        expect_error(post(api, f"/{route}/abc/artifacts", artifact_body("doc-artifact")), 400)
    # The id of the other parent kind is not a parent of this kind.
    expect_not_found(post(api, f"/model_versions/{run['id']}/artifacts",
                          artifact_body("doc-artifact")))
    expect_not_found(post(api, f"/experiment_runs/{mv['id']}/artifacts",
                          artifact_body("doc-artifact")))


# ================================================================ experiment linkage (§11.3)

@pytest.mark.parametrize("artifact_type", ARTIFACT_TYPES)
def test_upsert_under_run_sets_experiment_fields(api, run, artifact_type):
    art = upsert_artifact(api, "experiment_runs", run["id"], artifact_body(artifact_type))
    assert art["experimentRunId"] == run["id"]
    assert art["experimentId"] == run["experimentId"]
    fetched = expect_json(get(api, f"/artifacts/{art['id']}"), 200)
    assert fetched["experimentRunId"] == run["id"]
    assert "customProperties" not in fetched, "the linkage is not a visible custom property"


def test_attach_by_id_under_run_sets_experiment_fields(api, run):
    standalone = create_artifact(api, "model-artifact")
    attached = upsert_artifact(api, "experiment_runs", run["id"],
                               {"artifactType": "model-artifact", "id": standalone["id"]},
                               status=200)
    assert attached["experimentRunId"] == run["id"]
    assert attached["experimentId"] == run["experimentId"]


def test_upsert_under_version_has_no_experiment_fields(api, mv):
    art = upsert_artifact(api, "model_versions", mv["id"], artifact_body("metric"))
    assert "experimentId" not in art and "experimentRunId" not in art


def test_experiment_fields_survive_a_patch(api, run):
    """Upstream loses them on artifact PATCH; we keep them
    (§14 deviation-linkage-survives-patch)."""
    art = upsert_artifact(api, "experiment_runs", run["id"], artifact_body("parameter", value="1"))
    updated = expect_json(patch(api, f"/artifacts/{art['id']}",
                                {"artifactType": "parameter", "value": "2",
                                 "customProperties": {"k": cp_string("v")}}), 200)
    assert updated["experimentRunId"] == run["id"]
    assert updated["experimentId"] == run["experimentId"]
    assert updated["customProperties"] == {"k": cp_string("v")}


def test_filter_artifacts_by_experiment_run_id(api):
    experiment, run = create_experiment_run(api)
    _, other_run = create_experiment_run(api)
    mine = [upsert_artifact(api, "experiment_runs", run["id"], artifact_body(t))
            for t in ("metric", "parameter", "model-artifact")]
    upsert_artifact(api, "experiment_runs", other_run["id"], artifact_body("metric"))
    create_artifact(api, "metric")
    found = list_body(api, "/artifacts", filterQuery=f"experimentRunId = {run['id']}")["items"]
    assert ids(found) == ids(mine)
    metrics = list_body(api, "/artifacts", artifactType="metric",
                        filterQuery=f"experimentRunId = {run['id']}")["items"]
    assert ids(metrics) == [mine[0]["id"]]
    by_experiment = list_body(api, "/artifacts",
                              filterQuery=f"experimentId = {experiment['id']}")["items"]
    assert ids(by_experiment) == ids(mine)
    nested = list_body(api, f"/experiment_runs/{run['id']}/artifacts",
                       filterQuery=f"experimentRunId = {run['id']} AND "
                                   f"{filter_eq('name', mine[1]['name'])}")["items"]
    assert ids(nested) == [mine[1]["id"]]
