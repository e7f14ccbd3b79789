"""ServingEnvironment, InferenceService and ServeModel routes
(docs/api-behaviour.md §4.4-§4.6, §5.6-§5.8, §8, §9, §10, §12, plus the §14 deviations:
filterQuery honoured everywhere, /model with a missing RM is 404, PATCH keeps
absent fields)."""
import pytest

from api_helpers import (create_experiment, create_is, create_se, create_serve, expect_not_found,
                         filter_eq)
from helpers import (REQUIRED_NAME_MESSAGE, cp_bool, cp_string, create_mv, create_rm,
                     expect_error, expect_json, get, ids, list_body, names, patch, post, ts,
                     unique)
from helpers import server, shared_server  # noqa: F401  (fixture overrides)

MISSING = "987654321"


@pytest.fixture(scope="module")
def api(shared_server):
    return shared_server.api


@pytest.fixture
def se(api):
    return create_se(api)


@pytest.fixture
def rm(api):
    return create_rm(api)


@pytest.fixture
def isvc(api, se, rm):
    return create_is(api, se["id"], rm["id"])


# ================================================================ ServingEnvironment

def test_create_serving_environment_minimal(api):
    name = unique("se")
    se = expect_json(post(api, "/serving_environments", {"name": name}), 201)
    assert se["name"] == name
    assert se["createTimeSinceEpoch"] == se["lastUpdateTimeSinceEpoch"]
    for absent in ("description", "externalId", "customProperties"):
        assert absent not in se, absent


def test_create_serving_environment_all_fields_round_trip(api):
    ext = unique("ext")
    cps = {"region": cp_string("eu"), "gpu": cp_bool(True)}
    se = create_se(api, description="prod cluster", externalId=ext, customProperties=cps)
    assert se["description"] == "prod cluster"
    assert se["externalId"] == ext
    assert se["customProperties"] == cps
    assert expect_json(get(api, f"/serving_environments/{se['id']}"), 200) == se


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": None}, {"description": "d"}])
def test_create_serving_environment_without_name_is_422(api, body):
    expect_error(post(api, "/serving_environments", body), 422, message=REQUIRED_NAME_MESSAGE)


@pytest.mark.parametrize("field", ["id", "x", "state", "createTimeSinceEpoch"])
def test_create_serving_environment_unknown_field_is_400(api, field):
    expect_error(post(api, "/serving_environments", {"name": unique("se"), field: "1"}), 400,
                 message=f'json: unknown field "{field}"')


@pytest.mark.parametrize("field,value", [("name", 5), ("description", ["x"]),
                                         ("externalId", {}), ("customProperties", "x")])
def test_create_serving_environment_wrong_types_are_400(api, field, value):
    body = {"name": unique("se"), field: value}
    expect_error(post(api, "/serving_environments", body), 400)


@pytest.mark.parametrize("data", ["", "{", "[]", "not json", '"name"'])
def test_create_serving_environment_bad_json_is_400(api, data):
    expect_error(post(api, "/serving_environments", data=data), 400)


def test_serving_environment_name_is_globally_unique(api):
    name = unique("se")
    create_se(api, name)
    expect_error(post(api, "/serving_environments", {"name": name}), 409,
                 message=f"serving environment with name {name} already exists: conflict")


def test_serving_environment_names_are_case_sensitive(api):
    name = unique("CaseSE")
    create_se(api, name)
    assert create_se(api, name.lower())["name"] == name.lower()


def test_serving_environment_external_id_clashes_with_other_context_kinds(api):
    """externalId is unique across all context-like entities (§8)."""
    ext = unique("ext")
    create_rm(api, externalId=ext)
    expect_error(post(api, "/serving_environments", {"name": unique("se"), "externalId": ext}),
                 409, contains="already exists: conflict")
    ext2 = unique("ext")
    create_se(api, externalId=ext2)
    expect_error(post(api, "/experiments", {"name": unique("e"), "externalId": ext2}), 409,
                 contains="already exists: conflict")


def test_serving_environment_external_id_may_equal_an_artifact_external_id(api):
    ext = unique("ext")
    expect_json(post(api, "/model_artifacts", {"externalId": ext}), 201)
    assert create_se(api, externalId=ext)["externalId"] == ext


def test_get_serving_environment_errors(api, rm):
    expect_error(get(api, "/serving_environments/abc"), 400)
    expect_error(get(api, "/serving_environments/99999999999"), 400)
    expect_error(get(api, "/serving_environments/1.5"), 400)
    expect_not_found(get(api, "/serving_environments/-1"))  # a valid int32 naming nothing
    expect_not_found(get(api, f"/serving_environments/{MISSING}"))
    # The id of another context kind is not a serving environment.
    expect_not_found(get(api, f"/serving_environments/{rm['id']}"))


def test_patch_serving_environment(api):
    se = create_se(api, description="old", customProperties={"a": cp_string("1")})
    ext = unique("ext")
    updated = expect_json(patch(api, f"/serving_environments/{se['id']}",
                                {"description": "new", "externalId": ext}), 200)
    assert updated["description"] == "new" and updated["externalId"] == ext
    assert updated["name"] == se["name"]
    assert updated["customProperties"] == {"a": cp_string("1")}, "absent map is kept"
    assert updated["createTimeSinceEpoch"] == se["createTimeSinceEpoch"]
    assert ts(updated) > ts(se)
    assert expect_json(get(api, f"/serving_environments/{se['id']}"), 200) == updated


def test_patch_serving_environment_custom_properties_replace_all(api):
    se = create_se(api, customProperties={"a": cp_string("1"), "b": cp_string("2")})
    updated = expect_json(patch(api, f"/serving_environments/{se['id']}",
                                {"customProperties": {"c": cp_string("3")}}), 200)
    assert updated["customProperties"] == {"c": cp_string("3")}
    cleared = expect_json(patch(api, f"/serving_environments/{se['id']}",
                                {"customProperties": {}}), 200)
    assert "customProperties" not in cleared


def test_patch_serving_environment_empty_body_only_bumps_update_time(api):
    se = create_se(api, description="d")
    updated = expect_json(patch(api, f"/serving_environments/{se['id']}", {}), 200)
    assert updated["description"] == "d"
    assert ts(updated) > ts(se)


@pytest.mark.parametrize("field", ["name", "id", "x", "createTimeSinceEpoch"])
def test_patch_serving_environment_unknown_or_immutable_field_is_400(api, se, field):
    expect_error(patch(api, f"/serving_environments/{se['id']}", {field: "v"}), 400,
                 message=f'json: unknown field "{field}"')
    assert expect_json(get(api, f"/serving_environments/{se['id']}"), 200) == se


def test_patch_serving_environment_errors(api, se, rm):
    expect_not_found(patch(api, f"/serving_environments/{MISSING}", {"description": "x"}))
    expect_error(patch(api, "/serving_environments/abc", {"description": "x"}), 400)
    expect_not_found(patch(api, f"/serving_environments/{rm['id']}", {"description": "x"}))
    expect_error(patch(api, f"/serving_environments/{se['id']}", data="{"), 400)
    expect_error(patch(api, f"/serving_environments/{se['id']}", {"description": 3}), 400)
    ext = unique("ext")
    create_rm(api, externalId=ext)
    expect_error(patch(api, f"/serving_environments/{se['id']}", {"externalId": ext}), 409,
                 contains="already exists: conflict")


def test_find_serving_environment(api):
    ext = unique("ext")
    se = create_se(api, externalId=ext)
    assert expect_json(get(api, "/serving_environment", {"name": se["name"]}), 200) == se
    assert expect_json(get(api, "/serving_environment", {"externalId": ext}), 200) == se
    # name wins over externalId when both are given (§9).
    other = create_se(api)
    found = expect_json(get(api, "/serving_environment",
                            {"name": other["name"], "externalId": ext}), 200)
    assert found["id"] == other["id"]


def test_find_serving_environment_errors(api):
    expect_error(get(api, "/serving_environment"), 400)
    expect_not_found(get(api, "/serving_environment", {"name": unique("none")}))
    expect_not_found(get(api, "/serving_environment", {"externalId": unique("none")}))


def test_find_serving_environment_name_is_exact(api):
    """No LIKE wildcards in find (§14 deviation-find-exact)."""
    name = unique("wildXcard")
    create_se(api, name)
    for pattern in (name.replace("wildXcard", "wild_card"), name.replace("wildXcard", "wild%"),
                    "%", "_" * len(name)):
        expect_not_found(get(api, "/serving_environment", {"name": pattern}))
    assert expect_json(get(api, "/serving_environment", {"name": name}), 200)["name"] == name


@pytest.mark.parametrize("quote", ["'", '"'])
def test_find_serving_environment_with_quotes_in_name(api, quote):
    name = unique(f"it{quote}s")
    se = create_se(api, name)
    assert expect_json(get(api, "/serving_environment", {"name": name}), 200)["id"] == se["id"]


def test_list_serving_environments(server):
    api = server.api
    created = [create_se(api, f"se-{i}") for i in range(3)]
    body = list_body(api, "/serving_environments")
    assert ids(body["items"]) == ids(created)
    assert body["pageSize"] == 0 and body["nextPageToken"] == ""
    page = list_body(api, "/serving_environments", pageSize="2", sortOrder="DESC")
    assert ids(page["items"]) == [created[2]["id"], created[1]["id"]]
    assert page["nextPageToken"]
    rest = list_body(api, "/serving_environments", pageSize="2", sortOrder="DESC",
                     nextPageToken=page["nextPageToken"])
    assert ids(rest["items"]) == [created[0]["id"]] and rest["nextPageToken"] == ""


def test_list_serving_environments_honours_filter_query(api):
    se = create_se(api, description="filtered")
    items = list_body(api, "/serving_environments",
                      filterQuery=filter_eq("name", se["name"]))["items"]
    assert ids(items) == [se["id"]]
    expect_error(get(api, "/serving_environments", {"filterQuery": "name ="}), 400,
                 starts_with="invalid filter query syntax")


# ================================================================ InferenceService

def test_create_inference_service_minimal_defaults(api, se, rm):
    name = unique("is")
    isvc = expect_json(post(api, "/inference_services",
                            {"name": name, "servingEnvironmentId": se["id"],
                             "registeredModelId": rm["id"]}), 201)
    assert isvc["name"] == name
    assert isvc["servingEnvironmentId"] == se["id"]
    assert isvc["registeredModelId"] == rm["id"]
    assert isvc["desiredState"] == "DEPLOYED"
    for absent in ("modelVersionId", "runtime", "description", "externalId",
                   "customProperties"):
        assert absent not in isvc, absent


def test_create_inference_service_without_name_generates_one(api, se, rm):
    a = create_is(api, se["id"], rm["id"], name=False)
    b = create_is(api, se["id"], rm["id"], name=False)
    assert a["name"] and b["name"] and a["name"] != b["name"]


def test_create_inference_service_all_fields_round_trip(api, se, rm):
    mv = create_mv(api, rm["id"])
    ext = unique("ext")
    fields = {"modelVersionId": mv["id"], "runtime": "vllm", "desiredState": "UNDEPLOYED",
              "description": "desc", "externalId": ext,
              "customProperties": {"k": cp_string("v")}}
    isvc = create_is(api, se["id"], rm["id"], **fields)
    for key, value in fields.items():
        assert isvc[key] == value, key
    assert expect_json(get(api, f"/inference_services/{isvc['id']}"), 200) == isvc


def test_create_inference_service_does_not_check_model_existence(api, se):
    """registeredModelId / modelVersionId existence is not checked on create (§4.5)."""
    isvc = create_is(api, se["id"], MISSING, modelVersionId=MISSING)
    assert isvc["registeredModelId"] == MISSING and isvc["modelVersionId"] == MISSING


@pytest.mark.parametrize("ref", ["0", "-3"])
def test_unchecked_references_are_answered_as_stored_even_when_not_positive(api, se, ref):
    # Any int32 is accepted there (§0.1), so the answer must carry what was stored.
    isvc = create_is(api, se["id"], ref, modelVersionId=ref)
    assert isvc["registeredModelId"] == ref and isvc["modelVersionId"] == ref
    stored = expect_json(get(api, f"/inference_services/{isvc['id']}"), 200)
    assert stored["registeredModelId"] == ref and stored["modelVersionId"] == ref


@pytest.mark.parametrize("missing", ["registeredModelId", "servingEnvironmentId"])
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_create_inference_service_required_ids_are_422(api, se, rm, missing, how):
    body = {"name": unique("is"), "servingEnvironmentId": se["id"],
            "registeredModelId": rm["id"]}
    if how == "absent":
        del body[missing]
    else:
        body[missing] = ""
    expect_error(post(api, "/inference_services", body), 422,
                 message=f"required field '{missing}' is zero value.")


def test_create_inference_service_missing_serving_environment_is_404(api, rm):
    expect_not_found(post(api, "/inference_services",
                          {"name": unique("is"), "servingEnvironmentId": MISSING,
                           "registeredModelId": rm["id"]}),
                     contains=f"no serving environment found for id {MISSING}")
    # An id of another kind is not a serving environment either.
    expect_not_found(post(api, "/inference_services",
                          {"name": unique("is"), "servingEnvironmentId": rm["id"],
                           "registeredModelId": rm["id"]}))


@pytest.mark.parametrize("field", ["servingEnvironmentId", "registeredModelId"])
def test_create_inference_service_non_numeric_ids_are_400(api, se, rm, field):
    body = {"name": unique("is"), "servingEnvironmentId": se["id"],
            "registeredModelId": rm["id"], field: "abc"}
    expect_error(post(api, "/inference_services", body), 400)


@pytest.mark.parametrize("field,value", [("desiredState", "RUNNING"), ("desiredState", "deployed"),
                                         ("desiredState", 1), ("runtime", 5),
                                         ("registeredModelId", 1), ("x", "y"), ("id", "1"),
                                         ("lastUpdateTimeSinceEpoch", "1")])
def test_create_inference_service_bad_fields_are_400(api, se, rm, field, value):
    body = {"name": unique("is"), "servingEnvironmentId": se["id"],
            "registeredModelId": rm["id"], field: value}
    expect_error(post(api, "/inference_services", body), 400)


def test_inference_service_names_are_unique_per_serving_environment(api, rm):
    se1, se2 = create_se(api), create_se(api)
    name = unique("is")
    create_is(api, se1["id"], rm["id"], name)
    expect_error(post(api, "/inference_services",
                      {"name": name, "servingEnvironmentId": se1["id"],
                       "registeredModelId": rm["id"]}), 409,
                 message=f"inference service with name {name} already exists: conflict")
    other = create_is(api, se2["id"], rm["id"], name)
    assert other["name"] == name


def test_inference_service_external_id_is_unique_across_context_kinds(api, se, rm):
    ext = unique("ext")
    create_experiment(api, externalId=ext)
    expect_error(post(api, "/inference_services",
                      {"servingEnvironmentId": se["id"], "registeredModelId": rm["id"],
                       "externalId": ext}), 409, contains="already exists: conflict")


def test_get_inference_service_errors(api, se):
    expect_error(get(api, "/inference_services/abc"), 400)
    expect_error(get(api, "/inference_services/4294967296"), 400)
    expect_not_found(get(api, f"/inference_services/{MISSING}"))
    expect_not_found(get(api, f"/inference_services/{se['id']}"))


def test_patch_inference_service(api, se, rm):
    mv = create_mv(api, rm["id"])
    isvc = create_is(api, se["id"], rm["id"], runtime="old", description="d")
    updated = expect_json(patch(api, f"/inference_services/{isvc['id']}",
                                {"modelVersionId": mv["id"], "runtime": "new",
                                 "desiredState": "UNDEPLOYED"}), 200)
    assert updated["modelVersionId"] == mv["id"]
    assert updated["runtime"] == "new" and updated["desiredState"] == "UNDEPLOYED"
    assert updated["description"] == "d"
    assert updated["name"] == isvc["name"]
    assert updated["registeredModelId"] == rm["id"]
    assert updated["servingEnvironmentId"] == se["id"]
    assert updated["createTimeSinceEpoch"] == isvc["createTimeSinceEpoch"]
    assert ts(updated) > ts(isvc)
    assert expect_json(get(api, f"/inference_services/{isvc['id']}"), 200) == updated


def test_patch_inference_service_keeps_desired_state_when_absent(api, se, rm):
    """Deliberate deviation (§14 deviation-patch-keeps-absent): absent means unchanged."""
    isvc = create_is(api, se["id"], rm["id"], desiredState="UNDEPLOYED")
    updated = expect_json(patch(api, f"/inference_services/{isvc['id']}",
                                {"runtime": "r"}), 200)
    assert updated["desiredState"] == "UNDEPLOYED"
    updated = expect_json(patch(api, f"/inference_services/{isvc['id']}",
                                {"desiredState": None}), 200)
    assert updated["desiredState"] == "UNDEPLOYED"
    updated = expect_json(patch(api, f"/inference_services/{isvc['id']}",
                                {"desiredState": "DEPLOYED"}), 200)
    assert updated["desiredState"] == "DEPLOYED"


@pytest.mark.parametrize("field,value", [("name", "x"), ("registeredModelId", "1"),
                                         ("servingEnvironmentId", "1"), ("id", "1"),
                                         ("bogus", 1)])
def test_patch_inference_service_immutable_or_unknown_field_is_400(api, isvc, field, value):
    expect_error(patch(api, f"/inference_services/{isvc['id']}", {field: value}), 400,
                 message=f'json: unknown field "{field}"')
    assert expect_json(get(api, f"/inference_services/{isvc['id']}"), 200) == isvc


def test_patch_inference_service_errors(api, isvc, se):
    expect_not_found(patch(api, f"/inference_services/{MISSING}", {"runtime": "x"}))
    expect_error(patch(api, "/inference_services/x1", {"runtime": "x"}), 400)
    expect_not_found(patch(api, f"/inference_services/{se['id']}", {"runtime": "x"}))
    expect_error(patch(api, f"/inference_services/{isvc['id']}", {"desiredState": "NOPE"}),
                 400)
    expect_error(patch(api, f"/inference_services/{isvc['id']}", data="nope"), 400)
    ext = unique("ext")
    create_se(api, externalId=ext)
    expect_error(patch(api, f"/inference_services/{isvc['id']}", {"externalId": ext}), 409,
                 contains="already exists: conflict")


def test_find_inference_service(api, se, rm):
    ext = unique("ext")
    isvc = create_is(api, se["id"], rm["id"], externalId=ext)
    found = expect_json(get(api, "/inference_service",
                            {"name": isvc["name"], "parentResourceId": se["id"]}), 200)
    assert found == isvc
    assert expect_json(get(api, "/inference_service", {"externalId": ext}), 200) == isvc


def test_find_inference_service_is_scoped_to_parent(api, rm):
    se1, se2 = create_se(api), create_se(api)
    name = unique("is")
    a = create_is(api, se1["id"], rm["id"], name)
    b = create_is(api, se2["id"], rm["id"], name)
    for se, expected in ((se1, a), (se2, b)):
        found = expect_json(get(api, "/inference_service",
                                {"name": name, "parentResourceId": se["id"]}), 200)
        assert found["id"] == expected["id"]


def test_find_inference_service_errors(api, isvc, se):
    expect_error(get(api, "/inference_service"), 400)
    # A child kind needs its parent with the name (§9).
    expect_error(get(api, "/inference_service", {"name": isvc["name"]}), 400)
    expect_error(get(api, "/inference_service", {"parentResourceId": se["id"]}), 400)
    expect_error(get(api, "/inference_service",
                     {"name": isvc["name"], "parentResourceId": "abc"}), 400)
    expect_not_found(get(api, "/inference_service",
                         {"name": isvc["name"], "parentResourceId": MISSING}))
    expect_not_found(get(api, "/inference_service",
                         {"name": unique("none"), "parentResourceId": se["id"]}))
    expect_not_found(get(api, "/inference_service", {"externalId": unique("none")}))


def test_find_inference_service_name_is_exact(api, se, rm):
    name = unique("aXb")
    create_is(api, se["id"], rm["id"], name)
    for pattern in (name.replace("aXb", "a_b"), name.replace("aXb", "a%"), "%"):
        expect_not_found(get(api, "/inference_service",
                             {"name": pattern, "parentResourceId": se["id"]}))
    found = expect_json(get(api, "/inference_service",
                            {"name": name, "parentResourceId": se["id"]}), 200)
    assert found["name"] == name


def test_list_inference_services(server):
    api = server.api
    rm = create_rm(api)
    se1, se2 = create_se(api), create_se(api)
    a = create_is(api, se1["id"], rm["id"])
    b = create_is(api, se2["id"], rm["id"])
    c = create_is(api, se1["id"], rm["id"])
    assert ids(list_body(api, "/inference_services")["items"]) == ids([a, b, c])
    page = list_body(api, "/inference_services", pageSize="1", orderBy="CREATE_TIME",
                     sortOrder="DESC")
    assert ids(page["items"]) == [c["id"]] and page["nextPageToken"]
    nested = list_body(api, f"/serving_environments/{se1['id']}/inference_services")
    assert ids(nested["items"]) == ids([a, c])
    assert ids(list_body(api, f"/serving_environments/{se2['id']}/inference_services")
               ["items"]) == [b["id"]]


def test_nested_inference_service_list_for_unknown_environment_is_empty(api):
    body = list_body(api, f"/serving_environments/{MISSING}/inference_services")
    assert body == {"items": [], "size": 0, "pageSize": 0, "nextPageToken": ""}
    expect_error(get(api, "/serving_environments/abc/inference_services"), 400)


@pytest.mark.parametrize("route", ["/inference_services",
                                   "/serving_environments/{se}/inference_services"])
def test_inference_service_lists_honour_filter_query(api, se, rm, route):
    a = create_is(api, se["id"], rm["id"], runtime="triton")
    b = create_is(api, se["id"], rm["id"], desiredState="UNDEPLOYED")
    path = route.format(se=se["id"])
    assert ids(list_body(api, path, filterQuery=filter_eq("name", a["name"]))["items"]) == \
        [a["id"]]
    assert ids(list_body(api, path, filterQuery=f"id = {b['id']}")["items"]) == [b["id"]]
    assert list_body(api, path, filterQuery=filter_eq("name", unique("none")))["items"] == []
    expect_error(get(api, path, {"filterQuery": "name = ("}), 400,
                 starts_with="invalid filter query syntax")


# ---------------------------------- POST /serving_environments/{id}/inference_services

def test_create_nested_inference_service(api, se, rm):
    other_se = create_se(api)
    isvc = expect_json(post(api, f"/serving_environments/{se['id']}/inference_services",
                            {"name": unique("is"), "registeredModelId": rm["id"],
                             "servingEnvironmentId": other_se["id"]}), 201)
    # The path id overrides the body's servingEnvironmentId.
    assert isvc["servingEnvironmentId"] == se["id"]
    assert isvc["desiredState"] == "DEPLOYED"
    listed = list_body(api, f"/serving_environments/{se['id']}/inference_services")["items"]
    assert isvc["id"] in ids(listed)
    assert isvc["id"] not in ids(
        list_body(api, f"/serving_environments/{other_se['id']}/inference_services")["items"])


@pytest.mark.parametrize("missing", ["registeredModelId", "servingEnvironmentId"])
def test_create_nested_inference_service_requires_both_ids_in_body(api, se, rm, missing):
    body = {"name": unique("is"), "registeredModelId": rm["id"],
            "servingEnvironmentId": se["id"]}
    del body[missing]
    expect_error(post(api, f"/serving_environments/{se['id']}/inference_services", body), 422,
                 message=f"required field '{missing}' is zero value.")


def test_create_nested_inference_service_errors(api, se, rm):
    body = {"name": unique("is"), "registeredModelId": rm["id"], "servingEnvironmentId": se["id"]}
    expect_not_found(post(api, f"/serving_environments/{MISSING}/inference_services", body),
                     contains=f"no serving environment found for id {MISSING}")
    expect_error(post(api, "/serving_environments/abc/inference_services", body), 400)
    expect_error(post(api, f"/serving_environments/{se['id']}/inference_services",
                      dict(body, bogus=1)), 400, message='json: unknown field "bogus"')
    create_is(api, se["id"], rm["id"], body["name"])
    expect_error(post(api, f"/serving_environments/{se['id']}/inference_services", body), 409,
                 contains="already exists: conflict")


# ------------------------------------------------- /inference_services/{id}/model and /version

def test_inference_service_model(api, se):
    rm = create_rm(api, description="the model")
    isvc = create_is(api, se["id"], rm["id"])
    assert expect_json(get(api, f"/inference_services/{isvc['id']}/model"), 200) == \
        expect_json(get(api, f"/registered_models/{rm['id']}"), 200)


def test_inference_service_model_errors(api, se, rm):
    expect_not_found(get(api, f"/inference_services/{MISSING}/model"),
                     contains=f"no inference service found for id {MISSING}")
    expect_error(get(api, "/inference_services/abc/model"), 400)
    expect_not_found(get(api, f"/inference_services/{se['id']}/model"))
    # A missing registered model is 404, not upstream's 500 (§14 deviation-model-404).
    orphan = create_is(api, se["id"], MISSING)
    expect_not_found(get(api, f"/inference_services/{orphan['id']}/model"))


def test_inference_service_version_explicit(api, se, rm):
    v1 = create_mv(api, rm["id"])
    create_mv(api, rm["id"])
    isvc = create_is(api, se["id"], rm["id"], modelVersionId=v1["id"])
    assert expect_json(get(api, f"/inference_services/{isvc['id']}/version"), 200) == \
        expect_json(get(api, f"/model_versions/{v1['id']}"), 200)


def test_inference_service_version_latest_by_create_time(api, se, rm):
    v1 = create_mv(api, rm["id"])
    isvc = create_is(api, se["id"], rm["id"])
    assert expect_json(get(api, f"/inference_services/{isvc['id']}/version"), 200)["id"] == \
        v1["id"]
    v2 = create_mv(api, rm["id"])
    v3 = create_mv(api, rm["id"])
    assert expect_json(get(api, f"/inference_services/{isvc['id']}/version"), 200)["id"] == \
        v3["id"]
    # Updating an older version does not make it the latest: creation time counts.
    expect_json(patch(api, f"/model_versions/{v2['id']}", {"description": "touched"}), 200)
    latest = expect_json(get(api, f"/inference_services/{isvc['id']}/version"), 200)
    assert latest["id"] == v3["id"] and latest["registeredModelId"] == rm["id"]
    # Versions of other models never count.
    create_mv(api, create_rm(api)["id"])
    assert expect_json(get(api, f"/inference_services/{isvc['id']}/version"), 200)["id"] == \
        v3["id"]
    # Setting modelVersionId switches to that version.
    expect_json(patch(api, f"/inference_services/{isvc['id']}",
                      {"modelVersionId": v1["id"]}), 200)
    assert expect_json(get(api, f"/inference_services/{isvc['id']}/version"), 200)["id"] == \
        v1["id"]


def test_inference_service_version_errors(api, se, rm):
    expect_not_found(get(api, f"/inference_services/{MISSING}/version"))
    expect_error(get(api, "/inference_services/abc/version"), 400)
    no_versions = create_is(api, se["id"], rm["id"])
    expect_not_found(get(api, f"/inference_services/{no_versions['id']}/version"),
                     contains="no model versions found")
    dangling = create_is(api, se["id"], rm["id"], modelVersionId=MISSING)
    expect_not_found(get(api, f"/inference_services/{dangling['id']}/version"))
    orphan = create_is(api, se["id"], MISSING)
    expect_not_found(get(api, f"/inference_services/{orphan['id']}/version"))


# ================================================================ ServeModel

@pytest.fixture
def mv(api, rm):
    return create_mv(api, rm["id"])


def test_create_serve_model_defaults(api, isvc, mv):
    serve = expect_json(post(api, f"/inference_services/{isvc['id']}/serves",
                             {"modelVersionId": mv["id"]}), 201)
    assert serve["modelVersionId"] == mv["id"]
    assert serve["lastKnownState"] == "UNKNOWN"
    assert isinstance(serve["name"], str) and serve["name"]
    for absent in ("description", "externalId", "customProperties"):
        assert absent not in serve, absent


def test_create_serve_model_all_fields(api, isvc, mv):
    ext = unique("ext")
    fields = {"name": unique("serve"), "lastKnownState": "RUNNING", "description": "d",
              "externalId": ext, "customProperties": {"k": cp_string("v")}}
    serve = create_serve(api, isvc["id"], mv["id"], **fields)
    for key, value in fields.items():
        assert serve[key] == value, key


@pytest.mark.parametrize("state", ["UNKNOWN", "NEW", "RUNNING", "COMPLETE", "FAILED", "CACHED",
                                   "CANCELED"])
def test_every_last_known_state_is_accepted(api, isvc, mv, state):
    assert create_serve(api, isvc["id"], mv["id"], lastKnownState=state)["lastKnownState"] == \
        state


def test_serve_model_ids_have_their_own_sequence(server):
    """ServeModel is execution-like with its own id sequence (§0)."""
    api = server.api
    rm = create_rm(api)
    mv = create_mv(api, rm["id"])
    se = create_se(api)
    isvc = create_is(api, se["id"], rm["id"])
    assert create_serve(api, isvc["id"], mv["id"])["id"] == "1"
    assert create_serve(api, isvc["id"], mv["id"])["id"] == "2"


@pytest.mark.parametrize("body", [{}, {"modelVersionId": ""}, {"name": "n"}])
def test_create_serve_model_without_version_is_422(api, isvc, body):
    expect_error(post(api, f"/inference_services/{isvc['id']}/serves", body), 422,
                 message="required field 'modelVersionId' is zero value.")


@pytest.mark.parametrize("field,value", [("lastKnownState", "BOGUS"), ("lastKnownState", "new"),
                                         ("x", 1), ("id", "1"), ("modelVersionId", 3),
                                         ("name", 1)])
def test_create_serve_model_bad_fields_are_400(api, isvc, mv, field, value):
    body = {"modelVersionId": mv["id"], field: value}
    expect_error(post(api, f"/inference_services/{isvc['id']}/serves", body), 400)


def test_create_serve_model_missing_or_bad_version(api, isvc, rm):
    expect_not_found(post(api, f"/inference_services/{isvc['id']}/serves",
                          {"modelVersionId": MISSING}))
    expect_not_found(post(api, f"/inference_services/{isvc['id']}/serves",
                          {"modelVersionId": rm["id"]}))
    expect_error(post(api, f"/inference_services/{isvc['id']}/serves",
                      {"modelVersionId": "abc"}), 400)


def test_create_serve_model_missing_or_bad_inference_service(api, mv, se):
    expect_not_found(post(api, f"/inference_services/{MISSING}/serves",
                          {"modelVersionId": mv["id"]}))
    expect_not_found(post(api, f"/inference_services/{se['id']}/serves",
                          {"modelVersionId": mv["id"]}))
    expect_error(post(api, "/inference_services/abc/serves", {"modelVersionId": mv["id"]}), 400)


@pytest.mark.parametrize("value", ["true", "manual", "auto", "True", "yes"])
def test_serving_a_gated_hugging_face_model_is_400(api, isvc, rm, value):
    mv = create_mv(api, rm["id"], customProperties={"hf_gated": cp_string(value)})
    body = expect_error(post(api, f"/inference_services/{isvc['id']}/serves",
                             {"modelVersionId": mv["id"]}), 400)
    assert "gated" in body["message"], body


@pytest.mark.parametrize("value", ["false", ""])
def test_hf_gated_false_or_empty_may_be_served(api, isvc, rm, value):
    mv = create_mv(api, rm["id"], customProperties={"hf_gated": cp_string(value),
                                                     "hf_private": cp_string("false")})
    assert create_serve(api, isvc["id"], mv["id"])["modelVersionId"] == mv["id"]


def test_serving_a_private_hugging_face_model_is_400(api, isvc, rm):
    mv = create_mv(api, rm["id"], customProperties={"hf_private": cp_string("true")})
    body = expect_error(post(api, f"/inference_services/{isvc['id']}/serves",
                             {"modelVersionId": mv["id"]}), 400)
    assert "private" in body["message"], body


@pytest.mark.parametrize("value", ["false", "", "TRUE", "yes"])
def test_hf_private_other_than_true_may_be_served(api, isvc, rm, value):
    mv = create_mv(api, rm["id"], customProperties={"hf_private": cp_string(value)})
    create_serve(api, isvc["id"], mv["id"])


def test_gating_applies_after_a_patch_of_the_version(api, isvc, mv):
    create_serve(api, isvc["id"], mv["id"])
    expect_json(patch(api, f"/model_versions/{mv['id']}",
                      {"customProperties": {"hf_gated": cp_string("true")}}), 200)
    expect_error(post(api, f"/inference_services/{isvc['id']}/serves",
                      {"modelVersionId": mv["id"]}), 400, contains="gated")


def test_serve_checks_version_then_gating_then_inference_service(api, rm):
    """Order of checks (§5.8): version existence, gating, inference service existence."""
    gated = create_mv(api, rm["id"], customProperties={"hf_gated": cp_string("true")})
    expect_not_found(post(api, f"/inference_services/{MISSING}/serves",
                          {"modelVersionId": MISSING}))
    expect_error(post(api, f"/inference_services/{MISSING}/serves",
                      {"modelVersionId": gated["id"]}), 400, contains="gated")


def test_serve_model_names_are_unique_per_inference_service(api, se, rm, mv):
    is1, is2 = create_is(api, se["id"], rm["id"]), create_is(api, se["id"], rm["id"])
    name = unique("serve")
    create_serve(api, is1["id"], mv["id"], name=name)
    expect_error(post(api, f"/inference_services/{is1['id']}/serves",
                      {"modelVersionId": mv["id"], "name": name}), 409,
                 message=f"serve model with name {name} already exists: conflict")
    assert create_serve(api, is2["id"], mv["id"], name=name)["name"] == name


def test_serve_model_external_id_is_unique_among_serve_models(api, isvc, mv):
    ext = unique("ext")
    create_serve(api, isvc["id"], mv["id"], externalId=ext)
    expect_error(post(api, f"/inference_services/{isvc['id']}/serves",
                      {"modelVersionId": mv["id"], "externalId": ext}), 409,
                 contains="already exists: conflict")
    # Serve models have their own externalId scope, apart from context-like kinds.
    assert create_rm(api, externalId=ext)["externalId"] == ext


def test_list_serves(api, se, rm, mv):
    is1, is2 = create_is(api, se["id"], rm["id"]), create_is(api, se["id"], rm["id"])
    a = create_serve(api, is1["id"], mv["id"], lastKnownState="RUNNING")
    b = create_serve(api, is2["id"], mv["id"])
    c = create_serve(api, is1["id"], mv["id"], lastKnownState="FAILED")
    assert ids(list_body(api, f"/inference_services/{is1['id']}/serves")["items"]) == \
        ids([a, c])
    assert ids(list_body(api, f"/inference_services/{is2['id']}/serves")["items"]) == [b["id"]]
    page = list_body(api, f"/inference_services/{is1['id']}/serves", pageSize="1",
                     sortOrder="DESC")
    assert ids(page["items"]) == [c["id"]] and page["nextPageToken"]
    rest = list_body(api, f"/inference_services/{is1['id']}/serves", pageSize="1",
                     sortOrder="DESC", nextPageToken=page["nextPageToken"])
    assert ids(rest["items"]) == [a["id"]] and rest["nextPageToken"] == ""


def test_list_serves_honours_filter_query(api, isvc, mv):
    a = create_serve(api, isvc["id"], mv["id"])
    b = create_serve(api, isvc["id"], mv["id"])
    path = f"/inference_services/{isvc['id']}/serves"
    assert ids(list_body(api, path, filterQuery=filter_eq("name", a["name"]))["items"]) == \
        [a["id"]]
    assert ids(list_body(api, path, filterQuery=f"id = {b['id']}")["items"]) == [b["id"]]
    expect_error(get(api, path, {"filterQuery": "AND"}), 400,
                 starts_with="invalid filter query syntax")


def test_list_serves_for_unknown_inference_service(api):
    body = list_body(api, f"/inference_services/{MISSING}/serves")
    assert body == {"items": [], "size": 0, "pageSize": 0, "nextPageToken": ""}
    expect_error(get(api, "/inference_services/abc/serves"), 400)


def test_serve_models_keep_names_visible(api, isvc, mv):
    """Child names are shown without any parent prefix (§8)."""
    name = unique("with:colon")
    serve = create_serve(api, isvc["id"], mv["id"], name=name)
    listed = list_body(api, f"/inference_services/{isvc['id']}/serves")["items"]
    assert name in names(listed)
    assert serve["name"] == name
