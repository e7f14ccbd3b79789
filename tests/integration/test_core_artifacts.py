"""ModelArtifact typed routes and the model-version artifact routes
(docs/api-behaviour.md §4.3, §5.3, §5.5, §8, §9, §10, §11.1)."""
import pytest

from helpers import (cp_string, create_model_artifact, create_mv, create_rm, doc_artifact_body,
                     expect_error, expect_json, get, ids, list_body, model_artifact_body,
                     patch, post, ts, unique, upsert_mv_artifact)
from helpers import server, shared_server  # noqa: F401  (fixture overrides)

MODEL_FIELDS = {
    "uri": "s3://bucket/path/model.onnx",
    "modelFormatName": "onnx",
    "modelFormatVersion": "1.15",
    "storageKey": "secret-key",
    "storagePath": "/models/x",
    "serviceAccountName": "sa",
    "modelSourceKind": "kfp",
    "modelSourceClass": "pipelinerun",
    "modelSourceGroup": "ns",
    "modelSourceId": "run-1",
    "modelSourceName": "my-run",
    "description": "the model",
    "state": "LIVE",
}


@pytest.fixture(scope="module")
def api(shared_server):
    return shared_server.api


@pytest.fixture
def mv(api):
    rm = create_rm(api)
    return create_mv(api, rm["id"])


# ---------------------------------------------------------------- POST /model_artifacts

def test_first_artifact_id_is_1_on_a_fresh_server(server):
    """Artifacts have their own id sequence (§0)."""
    rm = create_rm(server.api)
    create_mv(server.api, rm["id"])
    art = create_model_artifact(server.api, name="a")
    assert art["id"] == "1"


def test_create_model_artifact_defaults(api):
    art = expect_json(post(api, "/model_artifacts", {"name": unique("ma")}), 201)
    assert art["artifactType"] == "model-artifact"
    assert art["state"] == "UNKNOWN"
    assert art["createTimeSinceEpoch"] == art["lastUpdateTimeSinceEpoch"]
    for absent in ("uri", "description", "externalId", "customProperties", "modelFormatName",
                   "experimentId", "experimentRunId"):
        assert absent not in art, absent


def test_create_model_artifact_without_name_gets_generated_name(api):
    first = expect_json(post(api, "/model_artifacts", {}), 201)
    second = expect_json(post(api, "/model_artifacts", {"uri": "u"}), 201)
    assert isinstance(first["name"], str) and first["name"]
    assert first["name"] != second["name"]


def test_create_model_artifact_all_fields_round_trip(api):
    ext = unique("ext")
    art = create_model_artifact(api, name=unique("full"), externalId=ext, **MODEL_FIELDS)
    for key, value in MODEL_FIELDS.items():
        assert art[key] == value, key
    assert art["externalId"] == ext
    assert expect_json(get(api, f"/model_artifacts/{art['id']}"), 200) == art


def test_standalone_artifacts_may_share_a_name(api):
    name = unique("same")
    a = create_model_artifact(api, name=name)
    b = create_model_artifact(api, name=name)
    assert a["id"] != b["id"] and a["name"] == b["name"] == name


@pytest.mark.parametrize("field", ["x", "id", "experimentId", "createTimeSinceEpoch"])
def test_create_unknown_field_is_400(api, field):
    expect_error(post(api, "/model_artifacts", {"name": unique("u"), field: "1"}), 400,
                 message=f'json: unknown field "{field}"')


@pytest.mark.parametrize("field,value", [("uri", 1), ("name", False), ("state", 3),
                                         ("modelFormatName", ["x"]), ("customProperties", "x")])
def test_create_wrong_types_are_400(api, field, value):
    expect_error(post(api, "/model_artifacts", {"name": unique("t"), field: value}), 400)


@pytest.mark.parametrize("state", ["ARCHIVED", "live", "BOGUS"])
def test_create_bad_state_is_400(api, state):
    expect_error(post(api, "/model_artifacts", {"name": unique("s"), "state": state}), 400)


@pytest.mark.parametrize("state", ["UNKNOWN", "PENDING", "LIVE", "MARKED_FOR_DELETION",
                                   "DELETED", "ABANDONED", "REFERENCE"])
def test_every_artifact_state_is_accepted(api, state):
    assert create_model_artifact(api, state=state)["state"] == state


def test_duplicate_external_id_among_artifacts_is_409(api):
    ext = unique("ext")
    create_model_artifact(api, externalId=ext)
    expect_error(post(api, "/model_artifacts", {"externalId": ext}), 409,
                 contains="already exists: conflict")


# ---------------------------------------------------------------- GET /model_artifacts/{id}

def test_get_model_artifact_errors(api, mv):
    expect_error(get(api, "/model_artifacts/abc"), 400)
    expect_error(get(api, "/model_artifacts/99999999999"), 400)
    expect_error(get(api, "/model_artifacts/987654321"), 404)
    doc = upsert_mv_artifact(api, mv["id"], doc_artifact_body(uri="http://doc"))
    expect_error(get(api, f"/model_artifacts/{doc['id']}"), 404)


# ---------------------------------------------------------------- PATCH /model_artifacts/{id}

def test_patch_model_artifact(api):
    art = create_model_artifact(api, name=unique("p"), uri="u1", modelFormatName="onnx",
                                description="d")
    updated = expect_json(patch(api, f"/model_artifacts/{art['id']}",
                                {"modelFormatName": "foo", "uri": "u2"}), 200)
    assert updated["modelFormatName"] == "foo" and updated["uri"] == "u2"
    assert updated["description"] == "d" and updated["name"] == art["name"]
    assert updated["artifactType"] == "model-artifact"
    assert updated["createTimeSinceEpoch"] == art["createTimeSinceEpoch"]
    assert ts(updated) > ts(art)
    assert expect_json(get(api, f"/model_artifacts/{art['id']}"), 200) == updated


def test_patch_model_artifact_accepts_its_own_artifact_type(api):
    art = create_model_artifact(api)
    updated = expect_json(patch(api, f"/model_artifacts/{art['id']}",
                                {"artifactType": "model-artifact", "storageKey": "k"}), 200)
    assert updated["storageKey"] == "k"


def test_patch_model_artifact_absent_state_is_kept(api):
    """Deliberate deviation (§14 deviation-patch-keeps-absent): no reset to UNKNOWN."""
    art = create_model_artifact(api, state="LIVE")
    updated = expect_json(patch(api, f"/model_artifacts/{art['id']}", {"uri": "x"}), 200)
    assert updated["state"] == "LIVE"
    updated = expect_json(patch(api, f"/model_artifacts/{art['id']}", {"state": "DELETED"}), 200)
    assert updated["state"] == "DELETED"


@pytest.mark.parametrize("field", ["name", "id", "x", "experimentId"])
def test_patch_model_artifact_unknown_or_immutable_field_is_400(api, field):
    art = create_model_artifact(api)
    expect_error(patch(api, f"/model_artifacts/{art['id']}", {field: "1"}), 400,
                 message=f'json: unknown field "{field}"')


def test_patch_model_artifact_errors(api, mv):
    expect_error(patch(api, "/model_artifacts/987654321", {"uri": "x"}), 404)
    expect_error(patch(api, "/model_artifacts/abc", {"uri": "x"}), 400)
    art = create_model_artifact(api)
    expect_error(patch(api, f"/model_artifacts/{art['id']}", {"state": "NOPE"}), 400)
    doc = upsert_mv_artifact(api, mv["id"], doc_artifact_body())
    expect_error(patch(api, f"/model_artifacts/{doc['id']}", {"uri": "x"}), 404)


# ---------------------------------------------------------------- GET /model_artifacts

def test_list_model_artifacts_excludes_doc_artifacts(server):
    api = server.api
    rm = create_rm(api)
    mv = create_mv(api, rm["id"])
    standalone = create_model_artifact(api, name="s")
    attached = upsert_mv_artifact(api, mv["id"], model_artifact_body("m"))
    upsert_mv_artifact(api, mv["id"], doc_artifact_body("d"))
    body = list_body(api, "/model_artifacts")
    assert ids(body["items"]) == [standalone["id"], attached["id"]]
    assert body["nextPageToken"] == ""
    assert all(item["artifactType"] == "model-artifact" for item in body["items"])


# ------------------------------------------------------- POST /model_versions/{id}/artifacts

def test_upsert_creates_model_artifact_with_201(api, mv):
    body = model_artifact_body(unique("m"), **MODEL_FIELDS)
    art = upsert_mv_artifact(api, mv["id"], body, 201)
    assert art["artifactType"] == "model-artifact" and art["name"] == body["name"]
    for key, value in MODEL_FIELDS.items():
        assert art[key] == value, key
    assert expect_json(get(api, f"/model_artifacts/{art['id']}"), 200) == art
    assert list_body(api, f"/model_versions/{mv['id']}/artifacts")["items"] == [art]


def test_upsert_creates_doc_artifact_with_201(api, mv):
    art = upsert_mv_artifact(api, mv["id"], doc_artifact_body("readme", uri="http://d",
                                                              description="doc"), 201)
    assert art["artifactType"] == "doc-artifact"
    assert art["uri"] == "http://d" and art["name"] == "readme" and art["description"] == "doc"


def test_upsert_without_state_leaves_state_unset(api, mv):
    art = upsert_mv_artifact(api, mv["id"], model_artifact_body())
    assert "state" not in art
    live = upsert_mv_artifact(api, mv["id"], model_artifact_body(state="LIVE"))
    assert live["state"] == "LIVE"


def test_upsert_without_name_generates_one(api, mv):
    art = upsert_mv_artifact(api, mv["id"], {"artifactType": "model-artifact", "uri": "u"})
    assert art["name"]


def test_upsert_ignores_unknown_fields_inside_the_variant(api, mv):
    body = model_artifact_body(uri="u", somethingElse=1, nested={"a": 1})
    art = upsert_mv_artifact(api, mv["id"], body, 201)
    assert "somethingElse" not in art and "nested" not in art


def test_upsert_duplicate_model_artifact_name_is_409(api, mv):
    upsert_mv_artifact(api, mv["id"], model_artifact_body("dup"))
    resp = post(api, f"/model_versions/{mv['id']}/artifacts", model_artifact_body("dup"))
    expect_error(resp, 409, message="model artifact with name dup already exists: conflict")


def test_upsert_duplicate_doc_artifact_name_is_409(api, mv):
    upsert_mv_artifact(api, mv["id"], doc_artifact_body("dupdoc"))
    resp = post(api, f"/model_versions/{mv['id']}/artifacts", doc_artifact_body("dupdoc"))
    expect_error(resp, 409, message="doc artifact with name dupdoc already exists: conflict")


def test_model_and_doc_artifacts_may_share_a_name(api, mv):
    model = upsert_mv_artifact(api, mv["id"], model_artifact_body("shared"), 201)
    doc = upsert_mv_artifact(api, mv["id"], doc_artifact_body("shared"), 201)
    assert model["id"] != doc["id"]
    items = list_body(api, f"/model_versions/{mv['id']}/artifacts")["items"]
    assert sorted((i["artifactType"], i["name"]) for i in items) == [
        ("doc-artifact", "shared"), ("model-artifact", "shared")]


def test_same_artifact_name_under_two_versions(api):
    rm = create_rm(api)
    v1, v2 = create_mv(api, rm["id"]), create_mv(api, rm["id"])
    a = upsert_mv_artifact(api, v1["id"], model_artifact_body("model"))
    b = upsert_mv_artifact(api, v2["id"], model_artifact_body("model"))
    assert a["id"] != b["id"]


def test_attach_standalone_artifact_by_id_returns_200_and_same_id(api, mv):
    standalone = create_model_artifact(api, name=unique("standalone"), uri="u1",
                                       customProperties={"k": cp_string("v")})
    resp = post(api, f"/model_versions/{mv['id']}/artifacts",
                {"artifactType": "model-artifact", "id": standalone["id"],
                 "modelFormatName": "onnx"})
    attached = expect_json(resp, 200)
    assert attached["id"] == standalone["id"]
    assert attached["name"] == standalone["name"]
    assert attached["uri"] == "u1" and attached["modelFormatName"] == "onnx"
    assert attached["customProperties"] == standalone["customProperties"]
    assert ts(attached) > ts(standalone)
    assert ids(list_body(api, f"/model_versions/{mv['id']}/artifacts")["items"]) == [
        standalone["id"]]
    # attaching again is idempotent: still one link
    expect_json(post(api, f"/model_versions/{mv['id']}/artifacts",
                     {"artifactType": "model-artifact", "id": standalone["id"]}), 200)
    assert len(list_body(api, f"/model_versions/{mv['id']}/artifacts")["items"]) == 1
    # ... and it can be found under that version by its name
    found = expect_json(get(api, "/model_artifact", {"name": standalone["name"],
                                                      "parentResourceId": mv["id"]}), 200)
    assert found["id"] == standalone["id"]


def test_one_artifact_may_belong_to_two_versions(api):
    rm = create_rm(api)
    v1, v2 = create_mv(api, rm["id"]), create_mv(api, rm["id"])
    art = upsert_mv_artifact(api, v1["id"], model_artifact_body())
    expect_json(post(api, f"/model_versions/{v2['id']}/artifacts",
                     {"artifactType": "model-artifact", "id": art["id"]}), 200)
    for version in (v1, v2):
        assert ids(list_body(api, f"/model_versions/{version['id']}/artifacts")["items"]) == [
            art["id"]]


def test_upsert_with_id_replaces_custom_properties_only_when_supplied(api, mv):
    cp = {"a": {"metadataType": "MetadataStringValue", "string_value": "1"}}
    art = upsert_mv_artifact(api, mv["id"], model_artifact_body(customProperties=cp))
    kept = expect_json(post(api, f"/model_versions/{mv['id']}/artifacts",
                            {"artifactType": "model-artifact", "id": art["id"],
                             "description": "d"}), 200)
    assert kept["customProperties"] == cp and kept["description"] == "d"
    new_cp = {"b": {"metadataType": "MetadataBoolValue", "bool_value": True}}
    replaced = expect_json(post(api, f"/model_versions/{mv['id']}/artifacts",
                                {"artifactType": "model-artifact", "id": art["id"],
                                 "customProperties": new_cp}), 200)
    assert replaced["customProperties"] == new_cp


def test_upsert_with_missing_or_mismatched_id_is_400(api, mv):
    expect_error(post(api, f"/model_versions/{mv['id']}/artifacts",
                      {"artifactType": "model-artifact", "id": "987654321"}), 400)
    doc = upsert_mv_artifact(api, mv["id"], doc_artifact_body())
    expect_error(post(api, f"/model_versions/{mv['id']}/artifacts",
                      {"artifactType": "model-artifact", "id": doc["id"]}), 400)
    model = upsert_mv_artifact(api, mv["id"], model_artifact_body())
    expect_error(post(api, f"/model_versions/{mv['id']}/artifacts",
                      {"artifactType": "doc-artifact", "id": model["id"]}), 400)


def test_upsert_under_missing_or_bad_version(api):
    expect_error(post(api, "/model_versions/987654321/artifacts", model_artifact_body()), 404)
    expect_error(post(api, "/model_versions/abc/artifacts", model_artifact_body()), 400)
    rm = create_rm(api)
    expect_error(post(api, f"/model_versions/{rm['id']}/artifacts", model_artifact_body()), 404)


ARTIFACT_TYPE_MESSAGE = ("invalid artifact type, must be either ModelArtifact, DocArtifact, "
                         "DataSet, Metric, or Parameter: bad request")


@pytest.mark.parametrize("body", [{"name": "x", "uri": "u"},
                                  {"artifactType": "bogus", "name": "x"},
                                  {"artifactType": "ModelArtifact", "name": "x"}])
def test_upsert_missing_or_unknown_artifact_type_is_400(api, mv, body):
    expect_error(post(api, f"/model_versions/{mv['id']}/artifacts", body), 400,
                 message=ARTIFACT_TYPE_MESSAGE)


@pytest.mark.parametrize("field,value", [("uri", 5), ("name", []), ("state", "BOGUS"),
                                         ("customProperties", "x")])
def test_upsert_variant_decode_errors_are_400(api, mv, field, value):
    body = model_artifact_body()
    body[field] = value
    expect_error(post(api, f"/model_versions/{mv['id']}/artifacts", body), 400)


def test_upsert_artifact_names_allow_250_characters(api, mv):
    # Flat limit for names scoped by a parent and for artifacts (the stored
    # "<parentId>:<name>" form of upstream fits 255 for ids up to 4 digits).
    limit = 250
    ok = upsert_mv_artifact(api, mv["id"], model_artifact_body("a" * limit))
    assert ok["name"] == "a" * limit
    expect_error(post(api, f"/model_versions/{mv['id']}/artifacts",
                      model_artifact_body("b" * (limit + 1))), 400)


# -------------------------------------------------------- GET /model_versions/{id}/artifacts

def test_version_artifact_list_with_type_and_name_params(api, mv):
    ext = unique("ext")
    m1 = upsert_mv_artifact(api, mv["id"], model_artifact_body("m1", externalId=ext))
    d1 = upsert_mv_artifact(api, mv["id"], doc_artifact_body("d1"))
    m2 = upsert_mv_artifact(api, mv["id"], model_artifact_body("m2"))
    path = f"/model_versions/{mv['id']}/artifacts"
    body = list_body(api, path)
    assert body["items"] == [m1, d1, m2] and body["nextPageToken"] == ""
    assert list_body(api, path, artifactType="model-artifact")["items"] == [m1, m2]
    assert list_body(api, path, artifactType="doc-artifact")["items"] == [d1]
    assert list_body(api, path, artifactType="")["items"] == [m1, d1, m2]
    assert list_body(api, path, name="m2")["items"] == [m2]
    assert list_body(api, path, name="m")["items"] == []
    assert list_body(api, path, name="m_")["items"] == []
    assert list_body(api, path, externalId=ext)["items"] == [m1]
    assert list_body(api, path, artifactType="dataset-artifact")["items"] == []


@pytest.mark.parametrize("value", ["bogus", "null", "model_artifact"])
def test_version_artifact_list_bad_artifact_type_is_400(api, mv, value):
    expect_error(get(api, f"/model_versions/{mv['id']}/artifacts", {"artifactType": value}), 400)


def test_version_artifact_list_for_unknown_version_is_empty(api):
    body = list_body(api, "/model_versions/987654321/artifacts")
    assert body["items"] == [] and body["size"] == 0


# ---------------------------------------------------------------- GET /model_artifact

def test_find_model_artifact_by_name_and_parent(api):
    rm = create_rm(api)
    v1, v2 = create_mv(api, rm["id"]), create_mv(api, rm["id"])
    a1 = upsert_mv_artifact(api, v1["id"], model_artifact_body("model"))
    a2 = upsert_mv_artifact(api, v2["id"], model_artifact_body("model"))
    assert expect_json(get(api, "/model_artifact",
                           {"name": "model", "parentResourceId": v1["id"]}), 200) == a1
    assert expect_json(get(api, "/model_artifact",
                           {"name": "model", "parentResourceId": v2["id"]}), 200) == a2


def test_find_model_artifact_by_external_id(api, mv):
    art = upsert_mv_artifact(api, mv["id"], model_artifact_body(externalId=unique("ext")))
    assert expect_json(get(api, "/model_artifact", {"externalId": art["externalId"]}),
                       200) == art


def test_find_model_artifact_errors(api, mv):
    expect_error(get(api, "/model_artifact"), 400)
    expect_error(get(api, "/model_artifact", {"name": "x"}), 400)
    expect_error(get(api, "/model_artifact", {"name": "x", "parentResourceId": "abc"}), 400)
    upsert_mv_artifact(api, mv["id"], model_artifact_body("exists"))
    expect_error(get(api, "/model_artifact", {"name": "exist_", "parentResourceId": mv["id"]}),
                 404)
    expect_error(get(api, "/model_artifact", {"name": "exists%", "parentResourceId": mv["id"]}),
                 404)
    expect_error(get(api, "/model_artifact", {"name": "nope", "parentResourceId": mv["id"]}), 404)
    expect_error(get(api, "/model_artifact", {"externalId": unique("nope")}), 404)
    # a standalone artifact is not linked to the version
    standalone = create_model_artifact(api, name=unique("loose"))
    expect_error(get(api, "/model_artifact", {"name": standalone["name"],
                                              "parentResourceId": mv["id"]}), 404)
    # a doc artifact is not a model artifact
    upsert_mv_artifact(api, mv["id"], doc_artifact_body("onlydoc"))
    expect_error(get(api, "/model_artifact", {"name": "onlydoc", "parentResourceId": mv["id"]}),
                 404)
