"""RegisteredModel: create, get, patch, find, list and the nested version routes
(docs/api-behaviour.md §2, §3.1, §4.1, §5.2, §8, §9, §10, §11.2)."""
import pytest

from helpers import (REQUIRED_NAME_MESSAGE, create_mv, create_rm, expect_error, expect_json,
                     get, ids, list_body, names, patch, post, ts, unique)
from helpers import server, shared_server  # noqa: F401  (fixture overrides)

FULL_RM_FIELDS = {
    "description": "a model",
    "readme": "# Readme\nmarkdown",
    "maturity": "Generally Available",
    "language": ["en", "es"],
    "tasks": ["text-generation"],
    "provider": "acme",
    "logo": "not a uri but fine",
    "license": "apache-2.0",
    "licenseLink": "https://example.com/license",
    "libraryName": "transformers",
    "owner": "alice",
    "state": "ARCHIVED",
}


# ---------------------------------------------------------------- create

def test_first_ids_on_a_fresh_server(server):
    """Context-like entities share one sequence starting at 1 (§0)."""
    rm = create_rm(server.api)
    assert rm["id"] == "1"
    mv = create_mv(server.api, rm["id"])
    assert mv["id"] == "2"
    assert create_rm(server.api)["id"] == "3"
    # RM and MV ids are not interchangeable between the two routes.
    expect_error(get(server.api, "/registered_models/2"), 404)
    expect_error(get(server.api, "/model_versions/1"), 404)


def test_create_minimal_defaults_and_omissions(shared_server):
    name = unique("min")
    rm = expect_json(post(shared_server.api, "/registered_models", {"name": name}), 201)
    assert rm["name"] == name
    assert rm["state"] == "LIVE"
    assert rm["createTimeSinceEpoch"] == rm["lastUpdateTimeSinceEpoch"]
    for absent in ("description", "externalId", "customProperties", "owner", "readme",
                   "language", "tasks", "maturity", "provider", "logo", "license",
                   "licenseLink", "libraryName"):
        assert absent not in rm, absent


def test_create_with_all_fields_round_trips(shared_server):
    api = shared_server.api
    ext = unique("ext")
    rm = create_rm(api, externalId=ext, **FULL_RM_FIELDS)
    for key, value in FULL_RM_FIELDS.items():
        assert rm[key] == value, key
    assert rm["externalId"] == ext
    fetched = expect_json(get(api, f"/registered_models/{rm['id']}"), 200)
    assert fetched == rm


def test_empty_arrays_and_empty_custom_properties_are_omitted(shared_server):
    rm = create_rm(shared_server.api, language=[], tasks=[], customProperties={})
    assert "language" not in rm and "tasks" not in rm and "customProperties" not in rm


def test_explicit_nulls_on_create_mean_not_supplied(shared_server):
    rm = create_rm(shared_server.api, description=None, externalId=None, state=None)
    assert "description" not in rm and "externalId" not in rm
    assert rm["state"] == "LIVE"


@pytest.mark.parametrize("body", [{}, {"description": "no name"}, {"name": ""},
                                  {"name": None}])
def test_missing_or_empty_name_is_422(shared_server, body):
    resp = post(shared_server.api, "/registered_models", body)
    expect_error(resp, 422, message=REQUIRED_NAME_MESSAGE)


@pytest.mark.parametrize("field", ["x", "id", "createTimeSinceEpoch",
                                   "lastUpdateTimeSinceEpoch", "ext_id"])
def test_unknown_or_read_only_field_on_create_is_400(shared_server, field):
    body = {"name": unique("unk"), field: "1"}
    expect_error(post(shared_server.api, "/registered_models", body), 400,
                 message=f'json: unknown field "{field}"')


@pytest.mark.parametrize("field,value", [
    ("name", 123), ("name", ["a"]), ("description", True), ("externalId", 5),
    ("language", "en"), ("language", [1]), ("tasks", {"a": 1}), ("state", 1),
    ("customProperties", []), ("customProperties", "x"), ("owner", {}),
])
def test_wrong_json_types_are_400(shared_server, field, value):
    body = {"name": unique("type"), field: value}
    expect_error(post(shared_server.api, "/registered_models", body), 400)


@pytest.mark.parametrize("state", ["FOO", "live", "UNKNOWN", ""])
def test_bad_state_enum_is_400(shared_server, state):
    resp = post(shared_server.api, "/registered_models", {"name": unique("st"), "state": state})
    expect_error(resp, 400)


def test_duplicate_name_is_409(shared_server):
    name = unique("dup")
    create_rm(shared_server.api, name)
    resp = post(shared_server.api, "/registered_models", {"name": name})
    expect_error(resp, 409, message=f"registered model with name {name} already exists: conflict")


def test_names_are_case_sensitive(shared_server):
    base = unique("Case")
    create_rm(shared_server.api, base)
    other = create_rm(shared_server.api, base.lower())
    assert other["name"] == base.lower()


def test_duplicate_external_id_between_models_is_409(shared_server):
    ext = unique("ext")
    create_rm(shared_server.api, externalId=ext)
    resp = post(shared_server.api, "/registered_models", {"name": unique("x"), "externalId": ext})
    expect_error(resp, 409, contains="already exists: conflict")


def test_external_id_clash_between_model_and_version_is_409(shared_server):
    """RM and MV are both context-like and share the externalId space (§8)."""
    api = shared_server.api
    ext_rm, ext_mv = unique("ext-rm"), unique("ext-mv")
    rm = create_rm(api, externalId=ext_rm)
    resp = post(api, "/model_versions",
                {"name": "v1", "registeredModelId": rm["id"], "externalId": ext_rm})
    expect_error(resp, 409, contains="already exists: conflict")
    create_mv(api, rm["id"], name="v2", externalId=ext_mv)
    expect_error(post(api, "/registered_models", {"name": unique("x"), "externalId": ext_mv}),
                 409, contains="already exists: conflict")
    # ... and via PATCH as well.
    other = create_rm(api)
    expect_error(patch(api, f"/registered_models/{other['id']}", {"externalId": ext_mv}), 409)


def test_external_id_may_repeat_across_storage_classes(shared_server):
    """An RM (context) and an artifact may share an externalId (§8)."""
    ext = unique("ext-shared")
    create_rm(shared_server.api, externalId=ext)
    art = expect_json(post(shared_server.api, "/model_artifacts", {"externalId": ext}), 201)
    assert art["externalId"] == ext


def test_name_length_limit(shared_server):
    api = shared_server.api
    prefix = unique("L")
    ok = prefix + "a" * (255 - len(prefix))
    assert create_rm(api, ok)["name"] == ok
    too_long = prefix + "b" * (256 - len(prefix))
    expect_error(post(api, "/registered_models", {"name": too_long}), 400)


def test_external_id_length_limit(shared_server):
    prefix = unique("E")
    ok = prefix + "a" * (255 - len(prefix))
    assert create_rm(shared_server.api, externalId=ok)["externalId"] == ok
    too_long = prefix + "b" * (256 - len(prefix))
    resp = post(shared_server.api, "/registered_models",
                {"name": unique("e"), "externalId": too_long})
    expect_error(resp, 400)


def test_unicode_names_round_trip(shared_server):
    name = unique("модель-🤖-名前")
    rm = create_rm(shared_server.api, name, description="ünïcödé")
    fetched = expect_json(get(shared_server.api, f"/registered_models/{rm['id']}"), 200)
    assert fetched["name"] == name and fetched["description"] == "ünïcödé"


# ---------------------------------------------------------------- get

@pytest.mark.parametrize("bad", ["abc", "1x", "99999999999", "1.5"])
def test_get_non_numeric_or_out_of_range_id_is_400(shared_server, bad):
    expect_error(get(shared_server.api, f"/registered_models/{bad}"), 400)


def test_get_missing_id_is_404(shared_server):
    expect_error(get(shared_server.api, "/registered_models/987654321"), 404,
                 contains="not found")


# ---------------------------------------------------------------- patch

def test_patch_updates_fields_and_bumps_last_update(shared_server):
    api = shared_server.api
    rm = create_rm(api, description="old", owner="o1")
    resp = patch(api, f"/registered_models/{rm['id']}",
                 {"description": "new", "state": "ARCHIVED", "language": ["fr"],
                  "externalId": unique("ext-p")})
    updated = expect_json(resp, 200)
    assert updated["description"] == "new"
    assert updated["state"] == "ARCHIVED"
    assert updated["language"] == ["fr"]
    assert updated["owner"] == "o1"
    assert updated["name"] == rm["name"]
    assert updated["id"] == rm["id"]
    assert updated["createTimeSinceEpoch"] == rm["createTimeSinceEpoch"]
    assert ts(updated) > ts(rm)
    assert expect_json(get(api, f"/registered_models/{rm['id']}"), 200) == updated


def test_patch_absent_fields_keep_stored_values_including_state(shared_server):
    """Deliberate deviation (§14 deviation-patch-keeps-absent): no reset of state to LIVE."""
    api = shared_server.api
    rm = create_rm(api, description="keep", owner="bob", state="ARCHIVED",
                   tasks=["t1"], externalId=unique("ext-k"))
    updated = expect_json(patch(api, f"/registered_models/{rm['id']}", {"readme": "r"}), 200)
    assert updated["state"] == "ARCHIVED"
    for key in ("description", "owner", "tasks", "externalId"):
        assert updated[key] == rm[key], key
    assert updated["readme"] == "r"


def test_patch_null_fields_keep_stored_values(shared_server):
    api = shared_server.api
    rm = create_rm(api, description="keep", state="ARCHIVED")
    updated = expect_json(patch(api, f"/registered_models/{rm['id']}",
                                {"description": None, "state": None}), 200)
    assert updated["description"] == "keep" and updated["state"] == "ARCHIVED"


def test_patch_empty_body_object_still_bumps_last_update(shared_server):
    api = shared_server.api
    rm = create_rm(api)
    first = expect_json(patch(api, f"/registered_models/{rm['id']}", {}), 200)
    second = expect_json(patch(api, f"/registered_models/{rm['id']}", {}), 200)
    assert ts(rm) < ts(first) < ts(second)
    assert second["createTimeSinceEpoch"] == rm["createTimeSinceEpoch"]


def test_patch_empty_string_sets_empty_string(shared_server):
    api = shared_server.api
    rm = create_rm(api, description="something")
    updated = expect_json(patch(api, f"/registered_models/{rm['id']}", {"description": ""}), 200)
    assert updated["description"] == ""


def test_patch_can_restore_live(shared_server):
    api = shared_server.api
    rm = create_rm(api, state="ARCHIVED")
    assert expect_json(patch(api, f"/registered_models/{rm['id']}", {"state": "LIVE"}),
                       200)["state"] == "LIVE"


@pytest.mark.parametrize("field", ["name", "id", "x", "createTimeSinceEpoch",
                                   "lastUpdateTimeSinceEpoch"])
def test_patch_unknown_or_immutable_field_is_400(shared_server, field):
    api = shared_server.api
    rm = create_rm(api)
    resp = patch(api, f"/registered_models/{rm['id']}", {field: "1"})
    expect_error(resp, 400, message=f'json: unknown field "{field}"')
    assert expect_json(get(api, f"/registered_models/{rm['id']}"), 200) == rm


@pytest.mark.parametrize("body", [{"state": "GONE"}, {"description": 5}, {"tasks": "x"}])
def test_patch_bad_values_are_400(shared_server, body):
    rm = create_rm(shared_server.api)
    expect_error(patch(shared_server.api, f"/registered_models/{rm['id']}", body), 400)


def test_patch_missing_and_malformed_ids(shared_server):
    api = shared_server.api
    expect_error(patch(api, "/registered_models/987654321", {"description": "x"}), 404)
    expect_error(patch(api, "/registered_models/abc", {"description": "x"}), 400)


def test_patch_version_id_on_model_route_is_404(shared_server):
    api = shared_server.api
    rm = create_rm(api)
    mv = create_mv(api, rm["id"])
    expect_error(patch(api, f"/registered_models/{mv['id']}", {"description": "x"}), 404)


# ---------------------------------------------------------------- find

def test_find_by_name_and_by_external_id(shared_server):
    api = shared_server.api
    rm = create_rm(api, externalId=unique("ext-f"))
    assert expect_json(get(api, "/registered_model", {"name": rm["name"]}), 200) == rm
    assert expect_json(get(api, "/registered_model", {"externalId": rm["externalId"]}), 200) == rm


def test_find_with_both_params_uses_name(shared_server):
    api = shared_server.api
    a = create_rm(api, externalId=unique("ext-a"))
    b = create_rm(api, externalId=unique("ext-b"))
    found = expect_json(get(api, "/registered_model",
                            {"name": a["name"], "externalId": b["externalId"]}), 200)
    assert found["id"] == a["id"]


def test_find_without_params_is_400(shared_server):
    expect_error(get(shared_server.api, "/registered_model"), 400)


def test_find_no_match_is_404(shared_server):
    api = shared_server.api
    expect_error(get(api, "/registered_model", {"name": unique("nobody")}), 404)
    expect_error(get(api, "/registered_model", {"externalId": unique("nobody")}), 404)


def test_find_name_is_exact_not_a_like_pattern(shared_server):
    api = shared_server.api
    base = unique("pct")
    create_rm(api, base + "abc")
    for pattern in (base + "%", base + "ab_", base + "___", "%" + base[1:] + "abc"):
        expect_error(get(api, "/registered_model", {"name": pattern}), 404)
    literal = create_rm(api, base + "x%_y")
    assert expect_json(get(api, "/registered_model", {"name": base + "x%_y"}), 200) == literal


def test_find_is_case_sensitive(shared_server):
    api = shared_server.api
    rm = create_rm(api, unique("MixedCase"))
    expect_error(get(api, "/registered_model", {"name": rm["name"].lower()}), 404)


def test_find_name_with_quotes(shared_server):
    api = shared_server.api
    name = unique("o'neil \"q\"")
    rm = create_rm(api, name)
    assert expect_json(get(api, "/registered_model", {"name": name}), 200)["id"] == rm["id"]


# ---------------------------------------------------------------- list

def test_list_contains_created_models_in_id_order(server):
    api = server.api
    empty = list_body(api, "/registered_models")
    assert empty == {"items": [], "size": 0, "pageSize": 0, "nextPageToken": ""}
    created = [create_rm(api) for _ in range(3)]
    body = list_body(api, "/registered_models")
    assert body["items"] == created
    assert body["size"] == 3 and body["pageSize"] == 0 and body["nextPageToken"] == ""


def test_list_does_not_include_versions(server):
    api = server.api
    rm = create_rm(api)
    create_mv(api, rm["id"])
    assert ids(list_body(api, "/registered_models")["items"]) == [rm["id"]]


# ---------------------------------------------------------------- nested versions

def test_nested_create_version(shared_server):
    api = shared_server.api
    rm = create_rm(api)
    body = {"name": "v1", "registeredModelId": rm["id"], "author": "ann",
            "description": "d", "state": "ARCHIVED"}
    mv = expect_json(post(api, f"/registered_models/{rm['id']}/versions", body), 201)
    assert mv["name"] == "v1" and mv["registeredModelId"] == rm["id"]
    assert mv["author"] == "ann" and mv["state"] == "ARCHIVED" and mv["description"] == "d"
    assert mv["createTimeSinceEpoch"] == mv["lastUpdateTimeSinceEpoch"]
    assert expect_json(get(api, f"/model_versions/{mv['id']}"), 200) == mv


def test_nested_create_path_overrides_body_parent(shared_server):
    api = shared_server.api
    rm, other = create_rm(api), create_rm(api)
    mv = expect_json(post(api, f"/registered_models/{rm['id']}/versions",
                          {"name": "v1", "registeredModelId": other["id"]}), 201)
    assert mv["registeredModelId"] == rm["id"]


@pytest.mark.parametrize("body", [{"name": "v1"}, {"registeredModelId": "1"},
                                  {"name": "", "registeredModelId": "1"}])
def test_nested_create_requires_name_and_parent_id(shared_server, body):
    rm = create_rm(shared_server.api)
    resp = post(shared_server.api, f"/registered_models/{rm['id']}/versions", body)
    expect_error(resp, 422)


def test_nested_create_missing_name_message(shared_server):
    rm = create_rm(shared_server.api)
    resp = post(shared_server.api, f"/registered_models/{rm['id']}/versions",
                {"registeredModelId": rm["id"]})
    expect_error(resp, 422, message=REQUIRED_NAME_MESSAGE)


def test_nested_create_unknown_field_is_400(shared_server):
    rm = create_rm(shared_server.api)
    resp = post(shared_server.api, f"/registered_models/{rm['id']}/versions",
                {"name": "v1", "registeredModelId": rm["id"], "x": 1})
    expect_error(resp, 400, message='json: unknown field "x"')


def test_nested_create_ignores_timestamps_in_full_body(shared_server):
    rm = create_rm(shared_server.api)
    mv = expect_json(post(shared_server.api, f"/registered_models/{rm['id']}/versions",
                          {"name": "v1", "registeredModelId": rm["id"],
                           "createTimeSinceEpoch": "1", "lastUpdateTimeSinceEpoch": "2"}), 201)
    assert mv["createTimeSinceEpoch"] != "1" and mv["lastUpdateTimeSinceEpoch"] != "2"
    assert ts(mv) >= ts(rm)


def test_nested_create_with_id_updates_the_version(shared_server):
    api = shared_server.api
    rm = create_rm(api)
    mv = create_mv(api, rm["id"], name="v1", author="ann")
    resp = post(api, f"/registered_models/{rm['id']}/versions",
                {"id": mv["id"], "name": "v1", "registeredModelId": rm["id"],
                 "description": "updated"})
    updated = expect_json(resp, 201)
    assert updated["id"] == mv["id"]
    assert updated["description"] == "updated" and updated["author"] == "ann"
    assert ts(updated) > ts(mv)
    assert len(list_body(api, f"/registered_models/{rm['id']}/versions")["items"]) == 1


def test_nested_create_with_id_resets_an_absent_state_to_live(shared_server):
    # The full body takes the create defaults before the merge (§11.2), unlike PATCH.
    api = shared_server.api
    rm = create_rm(api)
    mv = create_mv(api, rm["id"], name="v1", state="ARCHIVED")
    assert mv["state"] == "ARCHIVED"
    resp = post(api, f"/registered_models/{rm['id']}/versions",
                {"id": mv["id"], "name": "v1", "registeredModelId": rm["id"]})
    assert expect_json(resp, 201)["state"] == "LIVE"
    kept = post(api, f"/registered_models/{rm['id']}/versions",
                {"id": mv["id"], "name": "v1", "registeredModelId": rm["id"],
                 "state": "ARCHIVED"})
    assert expect_json(kept, 201)["state"] == "ARCHIVED"


def test_nested_create_under_missing_model_is_404(shared_server):
    resp = post(shared_server.api, "/registered_models/987654321/versions",
                {"name": "v1", "registeredModelId": "987654321"})
    expect_error(resp, 404)


def test_nested_create_non_numeric_model_id_is_400(shared_server):
    resp = post(shared_server.api, "/registered_models/abc/versions",
                {"name": "v1", "registeredModelId": "1"})
    expect_error(resp, 400)


def test_nested_create_duplicate_is_409(shared_server):
    api = shared_server.api
    rm = create_rm(api)
    create_mv(api, rm["id"], name="dup")
    resp = post(api, f"/registered_models/{rm['id']}/versions",
                {"name": "dup", "registeredModelId": rm["id"]})
    expect_error(resp, 409, message="model version with name dup already exists: conflict")


def test_nested_create_version_names_allow_250_characters(shared_server):
    api = shared_server.api
    rm = create_rm(api)
    limit = 250
    ok = expect_json(post(api, f"/registered_models/{rm['id']}/versions",
                          {"name": "a" * limit, "registeredModelId": rm["id"]}), 201)
    assert ok["name"] == "a" * limit
    expect_error(post(api, f"/registered_models/{rm['id']}/versions",
                      {"name": "b" * (limit + 1), "registeredModelId": rm["id"]}), 400)


def test_nested_list_only_lists_that_models_versions(shared_server):
    api = shared_server.api
    rm, other = create_rm(api), create_rm(api)
    mine = [create_mv(api, rm["id"], name=n) for n in ("v1", "v2", "v3")]
    create_mv(api, other["id"], name="v1")
    body = list_body(api, f"/registered_models/{rm['id']}/versions")
    assert body["items"] == mine
    assert body["size"] == 3 and body["nextPageToken"] == ""


def test_nested_list_name_and_external_id_params_filter_exactly(shared_server):
    api = shared_server.api
    rm = create_rm(api)
    ext = unique("ext-nv")
    create_mv(api, rm["id"], name="v1")
    v10 = create_mv(api, rm["id"], name="v10", externalId=ext)
    create_mv(api, rm["id"], name="V1")
    quoted = create_mv(api, rm["id"], name="o'neil")
    path = f"/registered_models/{rm['id']}/versions"
    assert names(list_body(api, path, name="v1")["items"]) == ["v1"]
    assert names(list_body(api, path, name="v_")["items"]) == []
    assert names(list_body(api, path, name="v%")["items"]) == []
    assert list_body(api, path, externalId=ext)["items"] == [v10]
    assert list_body(api, path, name="o'neil")["items"] == [quoted]
    # name wins over externalId when both are given
    assert names(list_body(api, path, name="v1", externalId=ext)["items"]) == ["v1"]


def test_nested_list_for_unknown_model_is_empty(shared_server):
    body = list_body(shared_server.api, "/registered_models/987654321/versions")
    assert body["items"] == [] and body["size"] == 0 and body["nextPageToken"] == ""


def test_archived_model_still_accepts_versions(shared_server):
    api = shared_server.api
    rm = create_rm(api, state="ARCHIVED")
    mv = create_mv(api, rm["id"])
    assert mv["state"] == "LIVE"
    assert expect_json(get(api, f"/registered_models/{rm['id']}"), 200)["state"] == "ARCHIVED"
