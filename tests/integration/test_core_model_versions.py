"""ModelVersion: create, get, patch, find, list (docs/api-behaviour.md §4.2, §5.3, §8, §9, §10)."""
import pytest

from helpers import (REQUIRED_NAME_MESSAGE, create_mv, create_rm, expect_error, expect_json,
                     get, list_body, patch, post, ts, unique)
from helpers import server, shared_server  # noqa: F401  (fixture overrides)


@pytest.fixture(scope="module")
def rm(shared_server):
    return create_rm(shared_server.api)


# ---------------------------------------------------------------- create

def test_create_minimal(shared_server, rm):
    api = shared_server.api
    mv = expect_json(post(api, "/model_versions",
                          {"name": unique("v"), "registeredModelId": rm["id"]}), 201)
    assert mv["registeredModelId"] == rm["id"]
    assert mv["state"] == "LIVE"
    assert mv["createTimeSinceEpoch"] == mv["lastUpdateTimeSinceEpoch"]
    for absent in ("description", "externalId", "customProperties", "author"):
        assert absent not in mv, absent


def test_create_with_all_fields_round_trips(shared_server, rm):
    api = shared_server.api
    fields = {"description": "desc", "author": "ann", "state": "ARCHIVED",
              "externalId": unique("ext-mv")}
    mv = create_mv(api, rm["id"], name="full-" + unique(), **fields)
    for key, value in fields.items():
        assert mv[key] == value, key
    assert expect_json(get(api, f"/model_versions/{mv['id']}"), 200) == mv


def test_name_may_contain_colons(shared_server, rm):
    api = shared_server.api
    name = unique("model") + ":latest:v2"
    mv = create_mv(api, rm["id"], name=name)
    assert mv["name"] == name
    assert expect_json(get(api, f"/model_versions/{mv['id']}"), 200)["name"] == name
    found = expect_json(get(api, "/model_version", {"name": name, "parentResourceId": rm["id"]}),
                        200)
    assert found["id"] == mv["id"]


@pytest.mark.parametrize("name", [None, ""])
def test_missing_or_empty_name_is_422(shared_server, rm, name):
    body = {"registeredModelId": rm["id"]}
    if name is not None:
        body["name"] = name
    expect_error(post(shared_server.api, "/model_versions", body), 422,
                 message=REQUIRED_NAME_MESSAGE)


@pytest.mark.parametrize("body", [{"name": "v"}, {"name": "v", "registeredModelId": ""}])
def test_missing_registered_model_id_is_422(shared_server, body):
    expect_error(post(shared_server.api, "/model_versions", body), 422)


def test_non_numeric_registered_model_id_is_400(shared_server):
    expect_error(post(shared_server.api, "/model_versions",
                      {"name": "v", "registeredModelId": "abc"}), 400)


def test_registered_model_id_must_be_a_string(shared_server, rm):
    expect_error(post(shared_server.api, "/model_versions",
                      {"name": "v", "registeredModelId": int(rm["id"])}), 400)


def test_version_under_missing_model_is_404(shared_server):
    expect_error(post(shared_server.api, "/model_versions",
                      {"name": "v", "registeredModelId": "987654321"}), 404)


def test_version_under_id_of_a_version_is_404(shared_server, rm):
    mv = create_mv(shared_server.api, rm["id"])
    expect_error(post(shared_server.api, "/model_versions",
                      {"name": "v", "registeredModelId": mv["id"]}), 404)


@pytest.mark.parametrize("field", ["x", "id", "createTimeSinceEpoch", "registeredModelID_"])
def test_unknown_field_is_400(shared_server, rm, field):
    body = {"name": unique("v"), "registeredModelId": rm["id"], field: "1"}
    expect_error(post(shared_server.api, "/model_versions", body), 400,
                 message=f'json: unknown field "{field}"')


@pytest.mark.parametrize("field,value", [("name", 1), ("author", ["a"]), ("state", True),
                                         ("description", {}), ("customProperties", [1])])
def test_wrong_json_types_are_400(shared_server, rm, field, value):
    body = {"name": unique("v"), "registeredModelId": rm["id"], field: value}
    expect_error(post(shared_server.api, "/model_versions", body), 400)


@pytest.mark.parametrize("state", ["PENDING", "archived", "X"])
def test_bad_state_is_400(shared_server, rm, state):
    body = {"name": unique("v"), "registeredModelId": rm["id"], "state": state}
    expect_error(post(shared_server.api, "/model_versions", body), 400)


def test_duplicate_name_under_same_model_is_409(shared_server, rm):
    api = shared_server.api
    name = unique("dup")
    create_mv(api, rm["id"], name=name)
    resp = post(api, "/model_versions", {"name": name, "registeredModelId": rm["id"]})
    expect_error(resp, 409, message=f"model version with name {name} already exists: conflict")


def test_same_name_under_different_models_is_fine(shared_server):
    api = shared_server.api
    a, b = create_rm(api), create_rm(api)
    va, vb = create_mv(api, a["id"], name="v1"), create_mv(api, b["id"], name="v1")
    assert va["id"] != vb["id"] and va["name"] == vb["name"] == "v1"


def test_duplicate_external_id_between_versions_is_409(shared_server, rm):
    api = shared_server.api
    ext = unique("ext")
    create_mv(api, rm["id"], externalId=ext)
    other = create_rm(api)
    resp = post(api, "/model_versions",
                {"name": unique("v"), "registeredModelId": other["id"], "externalId": ext})
    expect_error(resp, 409, contains="already exists: conflict")


def test_version_name_case_sensitive(shared_server, rm):
    api = shared_server.api
    base = unique("Ver")
    create_mv(api, rm["id"], name=base)
    assert create_mv(api, rm["id"], name=base.upper())["name"] == base.upper()


def test_version_names_allow_250_characters(shared_server):
    """Flat 250-character limit for names scoped by a parent: upstream's suite
    expects 250 to pass and 255 to fail (§2.3)."""
    api = shared_server.api
    rm = create_rm(api)
    limit = 250
    assert create_mv(api, rm["id"], name="c" * limit)["name"] == "c" * limit
    expect_error(post(api, "/model_versions",
                      {"name": "b" * (limit + 1), "registeredModelId": rm["id"]}), 400)
    expect_error(post(api, "/model_versions",
                      {"name": "d" * 255, "registeredModelId": rm["id"]}), 400)


# ---------------------------------------------------------------- get

@pytest.mark.parametrize("bad", ["abc", "-x", "99999999999"])
def test_get_bad_id_is_400(shared_server, bad):
    expect_error(get(shared_server.api, f"/model_versions/{bad}"), 400)


def test_get_missing_is_404(shared_server):
    expect_error(get(shared_server.api, "/model_versions/987654321"), 404, contains="not found")


# ---------------------------------------------------------------- patch

def test_patch_updates_and_keeps_immutable_fields(shared_server, rm):
    api = shared_server.api
    mv = create_mv(api, rm["id"], author="ann", description="old")
    updated = expect_json(patch(api, f"/model_versions/{mv['id']}",
                                {"description": "new", "author": "ben", "state": "ARCHIVED"}), 200)
    assert updated["description"] == "new" and updated["author"] == "ben"
    assert updated["state"] == "ARCHIVED"
    assert updated["name"] == mv["name"] and updated["registeredModelId"] == rm["id"]
    assert updated["createTimeSinceEpoch"] == mv["createTimeSinceEpoch"]
    assert ts(updated) > ts(mv)
    assert expect_json(get(api, f"/model_versions/{mv['id']}"), 200) == updated


def test_patch_absent_state_keeps_archived(shared_server, rm):
    """Deliberate deviation (§14 deviation-patch-keeps-absent)."""
    api = shared_server.api
    mv = create_mv(api, rm["id"], state="ARCHIVED", author="ann", externalId=unique("ext"))
    updated = expect_json(patch(api, f"/model_versions/{mv['id']}", {"description": "d"}), 200)
    assert updated["state"] == "ARCHIVED"
    assert updated["author"] == "ann" and updated["externalId"] == mv["externalId"]


@pytest.mark.parametrize("field,value", [("name", "x"), ("registeredModelId", "1"),
                                         ("id", "1"), ("x", 1)])
def test_patch_unknown_or_immutable_field_is_400(shared_server, rm, field, value):
    api = shared_server.api
    mv = create_mv(api, rm["id"])
    expect_error(patch(api, f"/model_versions/{mv['id']}", {field: value}), 400,
                 message=f'json: unknown field "{field}"')
    assert expect_json(get(api, f"/model_versions/{mv['id']}"), 200) == mv


def test_patch_bad_enum_is_400(shared_server, rm):
    mv = create_mv(shared_server.api, rm["id"])
    expect_error(patch(shared_server.api, f"/model_versions/{mv['id']}", {"state": "NOPE"}), 400)


def test_patch_external_id_clash_is_409(shared_server, rm):
    api = shared_server.api
    taken = create_mv(api, rm["id"], externalId=unique("ext"))
    mv = create_mv(api, rm["id"])
    expect_error(patch(api, f"/model_versions/{mv['id']}", {"externalId": taken["externalId"]}),
                 409)


def test_patch_missing_and_bad_ids(shared_server, rm):
    api = shared_server.api
    expect_error(patch(api, "/model_versions/987654321", {"description": "x"}), 404)
    expect_error(patch(api, "/model_versions/abc", {"description": "x"}), 400)
    expect_error(patch(api, f"/model_versions/{rm['id']}", {"description": "x"}), 404)


def test_successive_updates_strictly_increase_last_update(shared_server, rm):
    api = shared_server.api
    mv = create_mv(api, rm["id"])
    stamps = [ts(mv)]
    for i in range(5):
        stamps.append(ts(expect_json(patch(api, f"/model_versions/{mv['id']}",
                                           {"description": str(i)}), 200)))
    assert stamps == sorted(set(stamps))


# ---------------------------------------------------------------- find

def test_find_by_name_and_parent(shared_server):
    api = shared_server.api
    a, b = create_rm(api), create_rm(api)
    va = create_mv(api, a["id"], name="v1")
    vb = create_mv(api, b["id"], name="v1")
    assert expect_json(get(api, "/model_version", {"name": "v1", "parentResourceId": a["id"]}),
                       200) == va
    assert expect_json(get(api, "/model_version", {"name": "v1", "parentResourceId": b["id"]}),
                       200) == vb


def test_find_by_external_id(shared_server, rm):
    api = shared_server.api
    mv = create_mv(api, rm["id"], externalId=unique("ext"))
    assert expect_json(get(api, "/model_version", {"externalId": mv["externalId"]}), 200) == mv


def test_find_parameter_errors(shared_server, rm):
    api = shared_server.api
    expect_error(get(api, "/model_version"), 400)
    expect_error(get(api, "/model_version", {"name": "v1"}), 400)
    expect_error(get(api, "/model_version", {"parentResourceId": rm["id"]}), 400)
    expect_error(get(api, "/model_version", {"name": "v1", "parentResourceId": "abc"}), 400)


def test_find_no_match_is_404(shared_server, rm):
    api = shared_server.api
    mv = create_mv(api, rm["id"])
    other = create_rm(api)
    expect_error(get(api, "/model_version", {"name": mv["name"], "parentResourceId": other["id"]}),
                 404)
    expect_error(get(api, "/model_version", {"name": unique("none"),
                                             "parentResourceId": rm["id"]}), 404)
    expect_error(get(api, "/model_version", {"externalId": unique("none")}), 404)


def test_find_name_is_literal(shared_server):
    api = shared_server.api
    rm = create_rm(api)
    create_mv(api, rm["id"], name="v1.0")
    for pattern in ("v1%", "v1_0", "%", "_1.0"):
        expect_error(get(api, "/model_version", {"name": pattern, "parentResourceId": rm["id"]}),
                     404)
    literal = create_mv(api, rm["id"], name="v_%")
    assert expect_json(get(api, "/model_version",
                           {"name": "v_%", "parentResourceId": rm["id"]}), 200) == literal


# ---------------------------------------------------------------- list

def test_list_returns_versions_of_all_models_in_id_order(server):
    api = server.api
    a, b = create_rm(api), create_rm(api)
    versions = [create_mv(api, a["id"]), create_mv(api, b["id"]), create_mv(api, a["id"])]
    body = list_body(api, "/model_versions")
    assert body["items"] == versions
    assert body["size"] == 3 and body["pageSize"] == 0 and body["nextPageToken"] == ""
