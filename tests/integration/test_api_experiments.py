"""Experiment, ExperimentRun and metric-history routes
(docs/api-behaviour.md §4.7, §4.8, §5.9-§5.11, §8, §9, §10, §11.2, §11.3, §12, plus the §14
deviations: PATCH keeps absent fields, metric-history records never collide)."""
import pytest

from api_helpers import (create_experiment, create_experiment_run, create_run, expect_not_found,
                         filter_eq, metric_body, parameter_body, upsert_run_artifact)
from helpers import (REQUIRED_NAME_MESSAGE, cp_int, cp_string, create_rm, create_mv,
                     expect_error, expect_json, get, ids, list_body, names, patch, post, ts,
                     unique)
from helpers import server, shared_server  # noqa: F401  (fixture overrides)

MISSING = "987654321"


@pytest.fixture(scope="module")
def api(shared_server):
    return shared_server.api


@pytest.fixture
def experiment(api):
    return create_experiment(api)


@pytest.fixture
def run(api, experiment):
    return create_run(api, experiment["id"])


# ================================================================ Experiment

def test_create_experiment_minimal_defaults(api):
    name = unique("exp")
    exp = expect_json(post(api, "/experiments", {"name": name}), 201)
    assert exp["name"] == name and exp["state"] == "LIVE"
    assert exp["createTimeSinceEpoch"] == exp["lastUpdateTimeSinceEpoch"]
    for absent in ("owner", "description", "externalId", "customProperties"):
        assert absent not in exp, absent


def test_create_experiment_all_fields_round_trip(api):
    fields = {"owner": "alice", "state": "ARCHIVED", "description": "d",
              "externalId": unique("ext"), "customProperties": {"lr": cp_string("0.1")}}
    exp = create_experiment(api, **fields)
    for key, value in fields.items():
        assert exp[key] == value, key
    assert expect_json(get(api, f"/experiments/{exp['id']}"), 200) == exp


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": None}, {"owner": "o"}])
def test_create_experiment_without_name_is_422(api, body):
    expect_error(post(api, "/experiments", body), 422, message=REQUIRED_NAME_MESSAGE)


@pytest.mark.parametrize("field,value", [("x", 1), ("id", "1"), ("createTimeSinceEpoch", "1"),
                                         ("state", "RUNNING"), ("state", "live"), ("name", 1),
                                         ("owner", ["a"]), ("customProperties", [])])
def test_create_experiment_bad_fields_are_400(api, field, value):
    expect_error(post(api, "/experiments", {"name": unique("e"), field: value}), 400)


def test_create_experiment_unknown_field_message(api):
    expect_error(post(api, "/experiments", {"name": unique("e"), "ext_id": "x"}), 400,
                 message='json: unknown field "ext_id"')


def test_experiment_names_are_globally_unique(api):
    name = unique("exp")
    create_experiment(api, name)
    expect_error(post(api, "/experiments", {"name": name}), 409,
                 message=f"experiment with name {name} already exists: conflict")


def test_experiment_external_id_is_unique_across_context_kinds(api):
    ext = unique("ext")
    create_experiment(api, externalId=ext)
    expect_error(post(api, "/experiments", {"name": unique("e"), "externalId": ext}), 409,
                 contains="already exists: conflict")
    expect_error(post(api, "/registered_models", {"name": unique("rm"), "externalId": ext}),
                 409, contains="already exists: conflict")


def test_get_experiment_errors(api):
    rm = create_rm(api)
    expect_error(get(api, "/experiments/abc"), 400)
    expect_error(get(api, "/experiments/1.5"), 400)
    expect_not_found(get(api, f"/experiments/{MISSING}"))
    expect_not_found(get(api, f"/experiments/{rm['id']}"))


def test_patch_experiment(api):
    exp = create_experiment(api, owner="a", description="d",
                            customProperties={"k": cp_string("v")})
    updated = expect_json(patch(api, f"/experiments/{exp['id']}",
                                {"owner": "b", "state": "ARCHIVED"}), 200)
    assert updated["owner"] == "b" and updated["state"] == "ARCHIVED"
    assert updated["description"] == "d" and updated["customProperties"] == exp["customProperties"]
    assert updated["name"] == exp["name"]
    assert updated["createTimeSinceEpoch"] == exp["createTimeSinceEpoch"]
    assert ts(updated) > ts(exp)
    assert expect_json(get(api, f"/experiments/{exp['id']}"), 200) == updated


def test_patch_experiment_absent_state_keeps_archived(api):
    """Deliberate deviation (§14 deviation-patch-keeps-absent): absent means unchanged."""
    exp = create_experiment(api, state="ARCHIVED")
    updated = expect_json(patch(api, f"/experiments/{exp['id']}", {"description": "x"}), 200)
    assert updated["state"] == "ARCHIVED"
    restored = expect_json(patch(api, f"/experiments/{exp['id']}", {"state": "LIVE"}), 200)
    assert restored["state"] == "LIVE"


@pytest.mark.parametrize("field,value", [("name", "n"), ("id", "1"), ("x", 1),
                                         ("lastUpdateTimeSinceEpoch", "1")])
def test_patch_experiment_unknown_or_immutable_field_is_400(api, experiment, field, value):
    expect_error(patch(api, f"/experiments/{experiment['id']}", {field: value}), 400,
                 message=f'json: unknown field "{field}"')
    assert expect_json(get(api, f"/experiments/{experiment['id']}"), 200) == experiment


def test_patch_experiment_errors(api, experiment):
    expect_not_found(patch(api, f"/experiments/{MISSING}", {"owner": "x"}))
    expect_error(patch(api, "/experiments/abc", {"owner": "x"}), 400)
    expect_error(patch(api, f"/experiments/{experiment['id']}", {"state": "DONE"}), 400)
    expect_error(patch(api, f"/experiments/{experiment['id']}", data="[1"), 400)
    ext = unique("ext")
    create_rm(api, externalId=ext)
    expect_error(patch(api, f"/experiments/{experiment['id']}", {"externalId": ext}), 409,
                 contains="already exists: conflict")


def test_find_experiment(api):
    ext = unique("ext")
    exp = create_experiment(api, externalId=ext)
    assert expect_json(get(api, "/experiment", {"name": exp["name"]}), 200) == exp
    assert expect_json(get(api, "/experiment", {"externalId": ext}), 200) == exp


def test_find_experiment_errors_and_exact_names(api):
    expect_error(get(api, "/experiment"), 400)
    expect_not_found(get(api, "/experiment", {"name": unique("none")}))
    expect_not_found(get(api, "/experiment", {"externalId": unique("none")}))
    name = unique("exactXname")
    create_experiment(api, name)
    for pattern in (name.replace("exactXname", "exact_name"),
                    name.replace("exactXname", "exact%"), "%"):
        expect_not_found(get(api, "/experiment", {"name": pattern}))


@pytest.mark.parametrize("name", ["it's", 'say "hi"', "back\\slash", "tab\tname"])
def test_find_experiment_with_special_characters(api, name):
    exp = create_experiment(api, unique(name))
    assert expect_json(get(api, "/experiment", {"name": exp["name"]}), 200)["id"] == exp["id"]


def test_list_experiments(server):
    api = server.api
    created = [create_experiment(api, f"e{i}", state="ARCHIVED" if i % 2 else "LIVE")
               for i in range(4)]
    assert ids(list_body(api, "/experiments")["items"]) == ids(created)
    archived = list_body(api, "/experiments", filterQuery='state = "ARCHIVED"')["items"]
    assert ids(archived) == [created[1]["id"], created[3]["id"]]
    page = list_body(api, "/experiments", pageSize="3", sortOrder="DESC")
    assert ids(page["items"]) == [c["id"] for c in reversed(created[1:])]
    rest = list_body(api, "/experiments", pageSize="3", sortOrder="DESC",
                     nextPageToken=page["nextPageToken"])
    assert ids(rest["items"]) == [created[0]["id"]] and rest["nextPageToken"] == ""


# ================================================================ ExperimentRun: create

def test_create_run_minimal_defaults(api, experiment):
    run = expect_json(post(api, "/experiment_runs", {"experimentId": experiment["id"]}), 201)
    assert run["experimentId"] == experiment["id"]
    assert run["status"] == "RUNNING" and run["state"] == "LIVE"
    assert isinstance(run["name"], str) and run["name"]
    for absent in ("startTimeSinceEpoch", "endTimeSinceEpoch", "owner", "description",
                   "externalId", "customProperties"):
        assert absent not in run, absent


def test_create_run_all_fields_round_trip(api, experiment):
    fields = {"name": unique("run"), "startTimeSinceEpoch": "1714400000000",
              "endTimeSinceEpoch": "1714400005000", "status": "FINISHED", "state": "ARCHIVED",
              "owner": "bob", "description": "d", "externalId": unique("ext"),
              "customProperties": {"epochs": cp_int("10")}}
    run = create_run(api, experiment["id"], **fields)
    for key, value in fields.items():
        assert run[key] == value, key
    assert expect_json(get(api, f"/experiment_runs/{run['id']}"), 200) == run


@pytest.mark.parametrize("status", ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"])
def test_every_run_status_is_accepted(api, experiment, status):
    assert create_run(api, experiment["id"], status=status)["status"] == status


def test_create_run_equal_start_and_end_is_fine(api, experiment):
    run = create_run(api, experiment["id"], startTimeSinceEpoch="5", endTimeSinceEpoch="5")
    assert run["startTimeSinceEpoch"] == run["endTimeSinceEpoch"] == "5"


def test_create_run_end_before_start_is_400(api, experiment):
    expect_error(post(api, "/experiment_runs",
                      {"experimentId": experiment["id"], "startTimeSinceEpoch": "2000",
                       "endTimeSinceEpoch": "1000"}), 400,
                 contains="cannot be less than")


@pytest.mark.parametrize("field", ["startTimeSinceEpoch", "endTimeSinceEpoch"])
@pytest.mark.parametrize("value", ["soon", "12abc", "1.5"])
def test_create_run_non_numeric_times_are_400(api, experiment, field, value):
    expect_error(post(api, "/experiment_runs",
                      {"experimentId": experiment["id"], field: value}), 400)


@pytest.mark.parametrize("field", ["startTimeSinceEpoch", "endTimeSinceEpoch"])
def test_create_run_numeric_json_times_are_400(api, experiment, field):
    """The times are int64-in-string (§0); a JSON number is a type error."""
    expect_error(post(api, "/experiment_runs",
                      {"experimentId": experiment["id"], field: 1000}), 400)


@pytest.mark.parametrize("body", [{}, {"experimentId": ""}, {"name": "r"}])
def test_create_run_without_experiment_is_422(api, body):
    expect_error(post(api, "/experiment_runs", body), 422,
                 message="required field 'experimentId' is zero value.")


def test_create_run_missing_or_bad_experiment(api):
    rm = create_rm(api)
    expect_not_found(post(api, "/experiment_runs", {"experimentId": MISSING}),
                     contains=f"no experiment found for id {MISSING}")
    expect_not_found(post(api, "/experiment_runs", {"experimentId": rm["id"]}))
    expect_error(post(api, "/experiment_runs", {"experimentId": "abc"}), 400)
    expect_error(post(api, "/experiment_runs", {"experimentId": 5}), 400)


@pytest.mark.parametrize("field,value", [("status", "DONE"), ("state", "PENDING"), ("x", 1),
                                         ("id", "1"), ("lastUpdateTimeSinceEpoch", "1")])
def test_create_run_bad_fields_are_400(api, experiment, field, value):
    expect_error(post(api, "/experiment_runs",
                      {"experimentId": experiment["id"], field: value}), 400)


def test_run_names_are_unique_per_experiment(api):
    e1, e2 = create_experiment(api), create_experiment(api)
    name = unique("run")
    create_run(api, e1["id"], name)
    expect_error(post(api, "/experiment_runs", {"experimentId": e1["id"], "name": name}), 409,
                 message=f"experiment run with name {name} already exists: conflict")
    assert create_run(api, e2["id"], name)["name"] == name


def test_run_external_id_is_unique_across_context_kinds(api, experiment):
    ext = unique("ext")
    create_rm(api, externalId=ext)
    expect_error(post(api, "/experiment_runs",
                      {"experimentId": experiment["id"], "externalId": ext}), 409,
                 contains="already exists: conflict")


# ----------------------------------------------------- nested experiment_runs routes

def test_create_nested_run(api, experiment):
    other = create_experiment(api)
    run = expect_json(post(api, f"/experiments/{experiment['id']}/experiment_runs",
                           {"experimentId": other["id"], "name": unique("r")}), 201)
    assert run["experimentId"] == experiment["id"], "the path id wins"
    listed = list_body(api, f"/experiments/{experiment['id']}/experiment_runs")["items"]
    assert run["id"] in ids(listed)


def test_create_nested_run_requires_experiment_id_in_body(api, experiment):
    expect_error(post(api, f"/experiments/{experiment['id']}/experiment_runs",
                      {"name": unique("r")}), 422,
                 message="required field 'experimentId' is zero value.")


def test_create_nested_run_errors(api, experiment):
    body = {"experimentId": experiment["id"], "name": unique("r")}
    expect_not_found(post(api, f"/experiments/{MISSING}/experiment_runs",
                          dict(body, experimentId=MISSING)))
    expect_error(post(api, "/experiments/abc/experiment_runs", body), 400)
    expect_error(post(api, f"/experiments/{experiment['id']}/experiment_runs",
                      dict(body, bogus=True)), 400, message='json: unknown field "bogus"')
    expect_error(post(api, f"/experiments/{experiment['id']}/experiment_runs",
                      dict(body, startTimeSinceEpoch="9", endTimeSinceEpoch="1")), 400)
    create_run(api, experiment["id"], body["name"])
    expect_error(post(api, f"/experiments/{experiment['id']}/experiment_runs", body), 409,
                 contains="already exists: conflict")


def test_create_nested_run_with_id_updates_that_run(api, experiment):
    """A full body carrying `id` updates that run and still answers 201 (§11.2)."""
    run = create_run(api, experiment["id"], description="before")
    updated = expect_json(post(api, f"/experiments/{experiment['id']}/experiment_runs",
                               {"id": run["id"], "experimentId": experiment["id"],
                                "name": run["name"], "description": "after"}), 201)
    assert updated["id"] == run["id"] and updated["description"] == "after"
    assert expect_json(get(api, f"/experiment_runs/{run['id']}"), 200)["description"] == "after"


def test_create_nested_run_with_id_resets_an_absent_status_to_running(api, experiment):
    run = create_run(api, experiment["id"], status="FINISHED")
    assert run["status"] == "FINISHED"
    updated = expect_json(post(api, f"/experiments/{experiment['id']}/experiment_runs",
                               {"id": run["id"], "experimentId": experiment["id"],
                                "name": run["name"]}), 201)
    assert updated["status"] == "RUNNING" and updated["state"] == "LIVE"


def test_nested_run_list(server):
    api = server.api
    e1, e2 = create_experiment(api), create_experiment(api)
    a = create_run(api, e1["id"], status="FINISHED")
    b = create_run(api, e2["id"])
    c = create_run(api, e1["id"])
    assert ids(list_body(api, f"/experiments/{e1['id']}/experiment_runs")["items"]) == ids([a, c])
    assert ids(list_body(api, f"/experiments/{e2['id']}/experiment_runs")["items"]) == [b["id"]]
    finished = list_body(api, f"/experiments/{e1['id']}/experiment_runs",
                         filterQuery='status = "FINISHED"')["items"]
    assert ids(finished) == [a["id"]]
    page = list_body(api, f"/experiments/{e1['id']}/experiment_runs", pageSize="1")
    assert ids(page["items"]) == [a["id"]] and page["nextPageToken"]
    assert ids(list_body(api, "/experiment_runs")["items"]) == ids([a, b, c])


def test_nested_run_list_for_missing_experiment_is_404(api):
    expect_not_found(get(api, f"/experiments/{MISSING}/experiment_runs"),
                     contains=f"no experiment found for id {MISSING}")
    expect_error(get(api, "/experiments/abc/experiment_runs"), 400)
    rm = create_rm(api)
    expect_not_found(get(api, f"/experiments/{rm['id']}/experiment_runs"))


def test_nested_run_list_of_empty_experiment(api, experiment):
    body = list_body(api, f"/experiments/{experiment['id']}/experiment_runs")
    assert body == {"items": [], "size": 0, "pageSize": 0, "nextPageToken": ""}


# ======================================================= ExperimentRun: get/patch/find/list

def test_get_run_errors(api, experiment):
    expect_error(get(api, "/experiment_runs/abc"), 400)
    expect_not_found(get(api, f"/experiment_runs/{MISSING}"))
    expect_not_found(get(api, f"/experiment_runs/{experiment['id']}"))


def test_patch_run(api, experiment):
    run = create_run(api, experiment["id"], startTimeSinceEpoch="1000", owner="a",
                     description="d")
    updated = expect_json(patch(api, f"/experiment_runs/{run['id']}",
                                {"endTimeSinceEpoch": "2000", "status": "FINISHED",
                                 "state": "ARCHIVED", "owner": "b"}), 200)
    assert updated["endTimeSinceEpoch"] == "2000" and updated["status"] == "FINISHED"
    assert updated["state"] == "ARCHIVED" and updated["owner"] == "b"
    assert updated["description"] == "d"
    assert updated["startTimeSinceEpoch"] == "1000"
    assert updated["experimentId"] == experiment["id"] and updated["name"] == run["name"]
    assert updated["createTimeSinceEpoch"] == run["createTimeSinceEpoch"]
    assert ts(updated) > ts(run)
    assert expect_json(get(api, f"/experiment_runs/{run['id']}"), 200) == updated


def test_patch_run_keeps_status_and_state_when_absent(api, experiment):
    """Deliberate deviation (§14 deviation-patch-keeps-absent): absent means unchanged."""
    run = create_run(api, experiment["id"], status="FAILED", state="ARCHIVED")
    updated = expect_json(patch(api, f"/experiment_runs/{run['id']}", {"owner": "x"}), 200)
    assert updated["status"] == "FAILED" and updated["state"] == "ARCHIVED"


def test_patch_run_end_before_start_is_400_and_changes_nothing(api, experiment):
    run = create_run(api, experiment["id"], startTimeSinceEpoch="5000")
    expect_error(patch(api, f"/experiment_runs/{run['id']}", {"endTimeSinceEpoch": "4999"}),
                 400, contains="cannot be less than")
    expect_error(patch(api, f"/experiment_runs/{run['id']}", {"endTimeSinceEpoch": "later"}),
                 400)
    assert expect_json(get(api, f"/experiment_runs/{run['id']}"), 200) == run


@pytest.mark.parametrize("field,value", [("name", "n"), ("experimentId", "1"),
                                         ("startTimeSinceEpoch", "1"), ("id", "1"), ("x", 1)])
def test_patch_run_immutable_or_unknown_field_is_400(api, run, field, value):
    expect_error(patch(api, f"/experiment_runs/{run['id']}", {field: value}), 400,
                 message=f'json: unknown field "{field}"')
    assert expect_json(get(api, f"/experiment_runs/{run['id']}"), 200) == run


def test_patch_run_errors(api, run, experiment):
    expect_not_found(patch(api, f"/experiment_runs/{MISSING}", {"owner": "x"}))
    expect_error(patch(api, "/experiment_runs/abc", {"owner": "x"}), 400)
    expect_not_found(patch(api, f"/experiment_runs/{experiment['id']}", {"owner": "x"}))
    expect_error(patch(api, f"/experiment_runs/{run['id']}", {"status": "DONE"}), 400)
    ext = unique("ext")
    create_experiment(api, externalId=ext)
    expect_error(patch(api, f"/experiment_runs/{run['id']}", {"externalId": ext}), 409,
                 contains="already exists: conflict")


def test_find_run(api, experiment):
    ext = unique("ext")
    run = create_run(api, experiment["id"], externalId=ext)
    found = expect_json(get(api, "/experiment_run",
                            {"name": run["name"], "parentResourceId": experiment["id"]}), 200)
    assert found == run
    assert expect_json(get(api, "/experiment_run", {"externalId": ext}), 200) == run


def test_find_run_errors(api, run, experiment):
    expect_error(get(api, "/experiment_run"), 400)
    expect_error(get(api, "/experiment_run", {"name": run["name"]}), 400)
    expect_error(get(api, "/experiment_run",
                     {"name": run["name"], "parentResourceId": "x"}), 400)
    other = create_experiment(api)
    expect_not_found(get(api, "/experiment_run",
                         {"name": run["name"], "parentResourceId": other["id"]}))
    expect_not_found(get(api, "/experiment_run",
                         {"name": unique("none"), "parentResourceId": experiment["id"]}))
    expect_not_found(get(api, "/experiment_run", {"externalId": unique("none")}))
    for pattern in ("%", run["name"][:-1] + "_"):
        expect_not_found(get(api, "/experiment_run",
                             {"name": pattern, "parentResourceId": experiment["id"]}))


def test_list_runs_filters(api):
    exp = create_experiment(api)
    a = create_run(api, exp["id"], status="KILLED", startTimeSinceEpoch="100")
    b = create_run(api, exp["id"], owner="zed")
    items = list_body(api, "/experiment_runs",
                      filterQuery=f'experimentId = {exp["id"]}')["items"]
    assert ids(items) == ids([a, b])
    assert ids(list_body(api, "/experiment_runs",
                         filterQuery=f'experimentId = {exp["id"]} AND status = "KILLED"')
               ["items"]) == [a["id"]]
    assert ids(list_body(api, "/experiment_runs",
                         filterQuery=f'experimentId = {exp["id"]} AND owner = "zed"')
               ["items"]) == [b["id"]]
    assert ids(list_body(api, "/experiment_runs",
                         filterQuery=f'{filter_eq("name", a["name"])} AND '
                                     f'experimentId = {exp["id"]}')["items"]) == [a["id"]]


# ================================================================ run artifacts

def test_run_artifact_list_for_unknown_run_is_empty(api):
    body = list_body(api, f"/experiment_runs/{MISSING}/artifacts")
    assert body == {"items": [], "size": 0, "pageSize": 0, "nextPageToken": ""}
    expect_error(get(api, "/experiment_runs/abc/artifacts"), 400)


def test_run_artifact_upsert_parent_errors(api, experiment):
    expect_not_found(post(api, f"/experiment_runs/{MISSING}/artifacts", metric_body("m", 1.0)),
                     contains=f"no experiment run found for id {MISSING}")
    expect_error(post(api, "/experiment_runs/abc/artifacts", metric_body("m", 1.0)), 400)
    expect_not_found(post(api, f"/experiment_runs/{experiment['id']}/artifacts",
                          metric_body("m", 1.0)))


def test_run_artifact_list_by_type(api, run):
    metric = upsert_run_artifact(api, run["id"], metric_body("acc", 0.5))
    param = upsert_run_artifact(api, run["id"], parameter_body("lr", "0.1"))
    path = f"/experiment_runs/{run['id']}/artifacts"
    assert ids(list_body(api, path)["items"]) == ids([metric, param])
    assert ids(list_body(api, path, artifactType="metric")["items"]) == [metric["id"]]
    assert ids(list_body(api, path, artifactType="parameter")["items"]) == [param["id"]]
    assert list_body(api, path, artifactType="model-artifact")["items"] == []
    assert ids(list_body(api, path, artifactType="")["items"]) == ids([metric, param])
    expect_error(get(api, path, {"artifactType": "bogus"}), 400)
    expect_error(get(api, path, {"artifactType": "null"}), 400)


# ================================================================ metric history

def history(api, run_id, **params):
    return list_body(api, f"/experiment_runs/{run_id}/metric_history", **params)["items"]


def test_every_metric_upsert_appends_a_history_record(api, run):
    first = upsert_run_artifact(api, run["id"], metric_body("loss", 0.9, step=1))
    second = upsert_run_artifact(api, run["id"], metric_body("loss", 0.5, step=2))
    assert second["id"] == first["id"], "same name in the same run updates in place"
    assert second["value"] == 0.5 and second["step"] == 2
    records = history(api, run["id"])
    assert [r["value"] for r in records] == [0.9, 0.5]
    assert [r["step"] for r in records] == [1, 2]
    for record in records:
        assert record["name"] == "loss", "the internal prefix and suffix are stripped"
        assert record["artifactType"] == "metric"
        assert record["experimentRunId"] == run["id"]
        assert record["experimentId"] == run["experimentId"]
        assert "externalId" not in record
    assert first["id"] not in ids(records), "history records have their own ids"
    assert len(set(ids(records))) == 2
    assert ids(records) == sorted(ids(records), key=int), "default order is by id"


def test_history_record_copies_metric_fields(api, run):
    upsert_run_artifact(api, run["id"],
                        metric_body("f1", 0.25, step=7, timestamp=1714400000123,
                                    description="desc",
                                    customProperties={"k": cp_string("v")}))
    (record,) = history(api, run["id"], name="f1")
    assert record["value"] == 0.25 and record["step"] == 7
    assert record["timestamp"] == "1714400000123"
    assert record["description"] == "desc"
    assert record["customProperties"] == {"k": cp_string("v")}


def test_parameters_and_other_kinds_do_not_create_history(api, run):
    upsert_run_artifact(api, run["id"], parameter_body("p", "1"))
    upsert_run_artifact(api, run["id"], {"artifactType": "dataset-artifact", "name": "ds"})
    upsert_run_artifact(api, run["id"], {"artifactType": "doc-artifact", "name": "doc"})
    assert history(api, run["id"]) == []


def test_rejected_metric_upsert_appends_nothing(api, run):
    expect_error(post(api, f"/experiment_runs/{run['id']}/artifacts",
                      {"artifactType": "metric", "name": "nov"}), 400)
    assert history(api, run["id"]) == []


def test_metric_under_a_model_version_has_no_history(api):
    rm = create_rm(api)
    mv = create_mv(api, rm["id"])
    before = list_body(api, "/experiment_runs/metric_history")["size"]
    expect_json(post(api, f"/model_versions/{mv['id']}/artifacts", metric_body("mvm", 1.0)),
                200)
    assert list_body(api, "/experiment_runs/metric_history")["size"] == before


def test_history_name_is_a_substring_filter(api, run):
    for name in ("accuracy", "val_accuracy", "loss"):
        upsert_run_artifact(api, run["id"], metric_body(name, 1.0))
    assert sorted(names(history(api, run["id"], name="acc"))) == ["accuracy", "val_accuracy"]
    assert names(history(api, run["id"], name="loss")) == ["loss"]
    assert history(api, run["id"], name="nothing") == []
    assert len(history(api, run["id"], name="")) == 3


def test_history_step_ids_filter(api, run):
    for step in (1, 2, 3, 4):
        upsert_run_artifact(api, run["id"], metric_body("m", float(step), step=step))
    assert [r["step"] for r in history(api, run["id"], stepIds="1,3")] == [1, 3]
    assert [r["step"] for r in history(api, run["id"], stepIds="4")] == [4]
    assert [r["step"] for r in history(api, run["id"], stepIds=",2,,4,")] == [2, 4]
    assert history(api, run["id"], stepIds="99") == []
    assert len(history(api, run["id"], stepIds="")) == 4


@pytest.mark.parametrize("step_ids", ["x", "1,two", "1.5", "1;2"])
def test_history_invalid_step_ids_are_400(api, run, step_ids):
    for path in (f"/experiment_runs/{run['id']}/metric_history",
                 "/experiment_runs/metric_history"):
        expect_error(get(api, path, {"stepIds": step_ids}), 400, contains="invalid step ID")


def test_history_filter_query_and_paging(api, run):
    for i, value in enumerate((0.1, 0.6, 0.9)):
        upsert_run_artifact(api, run["id"], metric_body("auc", value, step=i))
    high = history(api, run["id"], filterQuery="value > 0.5")
    assert [r["value"] for r in high] == [0.6, 0.9]
    assert [r["step"] for r in history(api, run["id"], filterQuery="step = 2")] == [2]
    expect_error(get(api, f"/experiment_runs/{run['id']}/metric_history",
                     {"filterQuery": "value >"}), 400, starts_with="invalid filter query syntax")
    page = list_body(api, f"/experiment_runs/{run['id']}/metric_history", pageSize="2")
    assert page["size"] == 2 and page["nextPageToken"]
    rest = list_body(api, f"/experiment_runs/{run['id']}/metric_history", pageSize="2",
                     nextPageToken=page["nextPageToken"])
    assert [r["value"] for r in page["items"] + rest["items"]] == [0.1, 0.6, 0.9]
    assert rest["nextPageToken"] == ""


def test_history_for_missing_run_is_404(api, experiment):
    expect_not_found(get(api, f"/experiment_runs/{MISSING}/metric_history"),
                     contains="experiment run not found")
    expect_not_found(get(api, f"/experiment_runs/{experiment['id']}/metric_history"))
    expect_error(get(api, "/experiment_runs/abc/metric_history"), 400)


def test_history_of_run_without_metrics_is_empty(api, run):
    body = list_body(api, f"/experiment_runs/{run['id']}/metric_history")
    assert body == {"items": [], "size": 0, "pageSize": 0, "nextPageToken": ""}


def test_history_across_all_runs(server):
    api = server.api
    _, run1 = create_experiment_run(api)
    _, run2 = create_experiment_run(api)
    upsert_run_artifact(api, run1["id"], metric_body("acc", 0.1, step=1))
    upsert_run_artifact(api, run2["id"], metric_body("acc", 0.2, step=1))
    upsert_run_artifact(api, run1["id"], metric_body("loss", 0.3, step=2))
    everything = list_body(api, "/experiment_runs/metric_history")["items"]
    assert [(r["experimentRunId"], r["name"], r["value"]) for r in everything] == [
        (run1["id"], "acc", 0.1), (run2["id"], "acc", 0.2), (run1["id"], "loss", 0.3)]
    assert [r["value"] for r in list_body(api, "/experiment_runs/metric_history",
                                          name="acc")["items"]] == [0.1, 0.2]
    assert [r["value"] for r in list_body(api, "/experiment_runs/metric_history",
                                          stepIds="2")["items"]] == [0.3]
    filtered = list_body(api, "/experiment_runs/metric_history",
                         filterQuery=f"experimentRunId = {run2['id']}")["items"]
    assert [r["value"] for r in filtered] == [0.2]


def test_history_rows_are_hidden_from_artifact_routes(server):
    api = server.api
    _, run = create_experiment_run(api)
    metric = upsert_run_artifact(api, run["id"], metric_body("m", 1.0))
    upsert_run_artifact(api, run["id"], metric_body("m", 2.0))
    records = history(api, run["id"])
    assert len(records) == 2
    assert ids(list_body(api, "/artifacts")["items"]) == [metric["id"]]
    assert ids(list_body(api, "/artifacts", artifactType="metric")["items"]) == [metric["id"]]
    assert ids(list_body(api, f"/experiment_runs/{run['id']}/artifacts")["items"]) == \
        [metric["id"]]
    for record in records:
        expect_not_found(get(api, f"/artifacts/{record['id']}"))
        expect_not_found(patch(api, f"/artifacts/{record['id']}",
                               {"artifactType": "metric", "value": 5.0}))
    found = expect_json(get(api, "/artifact", {"name": "m", "parentResourceId": run["id"]}), 200)
    assert found["id"] == metric["id"]


def test_metric_history_literal_segment_wins_over_run_id(api):
    """GET /experiment_runs/metric_history is its own route, not a run id (§5.10)."""
    body = list_body(api, "/experiment_runs/metric_history")
    assert isinstance(body["items"], list)


def test_rapid_upserts_of_one_metric_each_append_one_record(server):
    """History records never collide within one millisecond (§14 deviation-history-no-collision)."""
    api = server.api
    _, run = create_experiment_run(api)
    count = 40
    seen_ids = set()
    for i in range(count):
        resp = post(api, f"/experiment_runs/{run['id']}/artifacts",
                    metric_body("fast", float(i), step=i))
        assert resp.status_code < 500, resp.text
        seen_ids.add(expect_json(resp, 200)["id"])
    assert len(seen_ids) == 1
    records = history(api, run["id"])
    assert [r["step"] for r in records] == list(range(count))
    assert [r["value"] for r in records] == [float(i) for i in range(count)]
    assert len(set(ids(records))) == count
    assert all(r["name"] == "fast" for r in records)
