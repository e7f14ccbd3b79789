"""List envelopes, pageSize, orderBy, sortOrder, nextPageToken paging and the
timestamps the ordering relies on (docs/api-behaviour.md §4.9, §7; README "Timestamps")."""
import time

import pytest

from helpers import (create_model_artifact, create_mv, create_rm, expect_error, expect_json,
                     get, ids, list_body, patch, post, ts, unique, upsert_mv_artifact,
                     model_artifact_body)
from helpers import server, shared_server  # noqa: F401  (fixture overrides)

LIST_ROUTES = ["/registered_models", "/model_versions", "/model_artifacts",
               "/registered_models/{rm}/versions", "/model_versions/{mv}/artifacts"]


@pytest.fixture
def populated(server):
    """21 registered models on a fresh server, plus ids for the nested routes."""
    api = server.api
    models = [create_rm(api, f"m{i:02d}") for i in range(21)]
    return api, models


def fetch_all_pages(api, path, page_size, **params):
    """Follows nextPageToken; returns (items, tokens)."""
    items, tokens, token = [], [], None
    for _ in range(100):
        query = dict(params, pageSize=str(page_size))
        if token is not None:
            query["nextPageToken"] = token
        body = list_body(api, path, **query)
        assert body["pageSize"] == page_size
        assert body["size"] == len(body["items"]) <= page_size
        items += body["items"]
        token = body["nextPageToken"]
        tokens.append(token)
        if token == "":
            return items, tokens
    pytest.fail("paging did not terminate")


# ---------------------------------------------------------------- envelopes

@pytest.mark.parametrize("route", LIST_ROUTES)
def test_empty_lists_have_the_full_envelope(server, route):
    path = route.format(rm="987654321", mv="987654321")
    body = list_body(server.api, path)
    assert body == {"items": [], "size": 0, "pageSize": 0, "nextPageToken": ""}


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_page_size_parameter_errors(shared_server, route):
    path = route.format(rm="1", mv="2")
    for bad in ("abc", "1.5", "99999999999", "10x"):
        expect_error(get(shared_server.api, path, {"pageSize": bad}), 400)


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_garbage_page_token_is_400(shared_server, route):
    path = route.format(rm="1", mv="2")
    for bad in ("not a token!!", "Zm9v", "%%%"):
        expect_error(get(shared_server.api, path, {"nextPageToken": bad}), 400)


def test_page_size_absent_zero_or_negative_means_all(populated):
    api, models = populated
    for params in ({}, {"pageSize": "0"}, {"pageSize": "-1"}):
        body = list_body(api, "/registered_models", **params)
        assert body["items"] == models
        assert body["nextPageToken"] == ""
    assert list_body(api, "/registered_models", pageSize="0")["pageSize"] == 0


def test_page_size_larger_than_result(populated):
    api, models = populated
    body = list_body(api, "/registered_models", pageSize="100")
    assert body["items"] == models and body["pageSize"] == 100 and body["nextPageToken"] == ""
    body = list_body(api, "/registered_models", pageSize="21")
    assert body["items"] == models and body["nextPageToken"] == ""


# ---------------------------------------------------------------- paging

def test_paging_21_items_by_10_ascending(populated):
    api, models = populated
    first = list_body(api, "/registered_models", pageSize="10", sortOrder="ASC")
    assert first["items"] == models[:10] and first["size"] == 10
    t1 = first["nextPageToken"]
    assert t1
    second = list_body(api, "/registered_models", pageSize="10", sortOrder="ASC",
                       nextPageToken=t1)
    assert second["items"] == models[10:20]
    t2 = second["nextPageToken"]
    assert t2 and t2 != t1
    third = list_body(api, "/registered_models", pageSize="10", sortOrder="ASC",
                      nextPageToken=t2)
    assert third["items"] == models[20:] and third["size"] == 1
    assert third["nextPageToken"] == ""
    # An empty token restarts at the first page with the same token (the Python pager's stop rule).
    again = list_body(api, "/registered_models", pageSize="10", sortOrder="ASC",
                      nextPageToken="")
    assert again["items"] == models[:10] and again["nextPageToken"] == t1
    # Identical requests give identical tokens.
    assert list_body(api, "/registered_models", pageSize="10",
                     sortOrder="ASC", nextPageToken=t1)["nextPageToken"] == t2


@pytest.mark.parametrize("order_by", ["ID", "CREATE_TIME", "LAST_UPDATE_TIME", "id"])
@pytest.mark.parametrize("sort_order", ["ASC", "DESC"])
def test_paging_all_orders_without_updates(populated, order_by, sort_order):
    api, models = populated
    expected = models if sort_order == "ASC" else models[::-1]
    items, tokens = fetch_all_pages(api, "/registered_models", 10,
                                    orderBy=order_by, sortOrder=sort_order)
    assert ids(items) == ids(expected)
    assert len(tokens) == 3 and tokens[-1] == "" and all(tokens[:2])


@pytest.mark.parametrize("page_size", [1, 3, 7, 20])
def test_paging_other_page_sizes(populated, page_size):
    api, models = populated
    items, tokens = fetch_all_pages(api, "/registered_models", page_size, sortOrder="DESC")
    assert ids(items) == ids(models[::-1])
    assert len(tokens) == -(-21 // page_size)


def test_last_update_order_after_reverse_updates(populated):
    api, models = populated
    for model in reversed(models):
        expect_json(patch(api, f"/registered_models/{model['id']}", {"description": "u"}), 200)
        # Timestamps are wall-clock milliseconds; two updates in one millisecond tie and are
        # ordered by id, which is the opposite of the update order this test checks.
        time.sleep(0.002)
    reverse_ids = ids(models[::-1])
    items, tokens = fetch_all_pages(api, "/registered_models", 10,
                                    orderBy="LAST_UPDATE_TIME", sortOrder="ASC")
    assert ids(items) == reverse_ids and len(tokens) == 3
    items, tokens = fetch_all_pages(api, "/registered_models", 10,
                                    orderBy="LAST_UPDATE_TIME", sortOrder="DESC")
    assert ids(items) == ids(models) and len(tokens) == 3
    # create time order is unaffected by updates
    items, _ = fetch_all_pages(api, "/registered_models", 10, orderBy="CREATE_TIME",
                               sortOrder="DESC")
    assert ids(items) == reverse_ids


def test_updates_between_pages_do_not_skip_or_repeat_in_id_order(populated):
    api, models = populated
    first = list_body(api, "/registered_models", pageSize="10", orderBy="ID")
    for model in models[:5]:
        expect_json(patch(api, f"/registered_models/{model['id']}", {"description": "x"}), 200)
    rest, _ = fetch_all_pages(api, "/registered_models", 10, orderBy="ID",
                              nextPageToken=first["nextPageToken"])
    assert ids(first["items"] + rest) == ids(models)


def test_unknown_order_by_and_sort_order_fall_back(populated):
    api, models = populated
    # Update in reverse so that LAST_UPDATE_TIME order would differ from id order.
    for model in reversed(models[:3]):
        expect_json(patch(api, f"/registered_models/{model['id']}", {"description": "x"}), 200)
    for params in ({"orderBy": "NAME"}, {"orderBy": "bogus"}, {"sortOrder": "asc"},
                   {"sortOrder": "up"}, {"orderBy": "NAME", "sortOrder": "whatever"}):
        body = list_body(api, "/registered_models", **params)
        assert ids(body["items"]) == ids(models), params
    assert ids(list_body(api, "/registered_models", orderBy="NAME",
                         sortOrder="DESC")["items"]) == ids(models[::-1])


def test_paging_with_filter(populated):
    api, models = populated
    expected = [m for m in models if m["name"] in ("m01", "m03", "m05", "m07", "m11")]
    query = 'name IN ("m01", "m03", "m05", "m07", "m11")'
    items, tokens = fetch_all_pages(api, "/registered_models", 2, filterQuery=query)
    assert ids(items) == ids(expected) and len(tokens) == 3
    items, _ = fetch_all_pages(api, "/registered_models", 2, filterQuery=query, sortOrder="DESC")
    assert ids(items) == ids(expected[::-1])


def test_paging_nested_versions_and_artifacts(server):
    api = server.api
    rm = create_rm(api)
    create_mv(api, create_rm(api)["id"])  # a version of another model must not show up
    versions = [create_mv(api, rm["id"], name=f"v{i}") for i in range(5)]
    items, tokens = fetch_all_pages(api, f"/registered_models/{rm['id']}/versions", 2)
    assert ids(items) == ids(versions) and len(tokens) == 3
    items, _ = fetch_all_pages(api, "/model_versions", 2, sortOrder="DESC",
                               orderBy="CREATE_TIME")
    assert ids(items)[:5] == ids(versions[::-1])
    mv = versions[0]
    arts = [upsert_mv_artifact(api, mv["id"], model_artifact_body(f"a{i}")) for i in range(5)]
    items, tokens = fetch_all_pages(api, f"/model_versions/{mv['id']}/artifacts", 2,
                                    sortOrder="DESC")
    assert ids(items) == ids(arts[::-1]) and len(tokens) == 3
    create_model_artifact(api)
    items, _ = fetch_all_pages(api, "/model_artifacts", 4)
    assert ids(items)[:5] == ids(arts) and len(items) == 6


# ---------------------------------------------------------------- timestamps

def test_rapid_creates_have_wall_clock_timestamps_in_creation_order(server):
    # Creates take the wall clock: several may share a millisecond (lists
    # break the tie by id), but none goes backwards or ahead of the clock.
    api = server.api
    created = []
    for _ in range(15):
        rm = create_rm(api)
        created.append(rm)
        created.append(create_mv(api, rm["id"]))
        created.append(create_model_artifact(api))
    now = int(time.time() * 1000)
    stamps = [ts(e, "createTimeSinceEpoch") for e in created]
    assert all(a <= b for a, b in zip(stamps, stamps[1:])), stamps
    assert stamps[-1] <= now
    for entity in created:
        assert entity["createTimeSinceEpoch"] == entity["lastUpdateTimeSinceEpoch"]


def test_rapid_updates_strictly_increase_each_entitys_update_time(server):
    api = server.api
    rm = create_rm(api)
    mv = create_mv(api, rm["id"])
    rm_stamps, mv_stamps = [ts(rm)], [ts(mv)]
    for i in range(10):
        rm_stamps.append(ts(expect_json(patch(api, f"/registered_models/{rm['id']}",
                                              {"description": str(i)}), 200)))
        mv_stamps.append(ts(expect_json(patch(api, f"/model_versions/{mv['id']}",
                                              {"description": str(i)}), 200)))
    assert all(a < b for a, b in zip(rm_stamps, rm_stamps[1:])), rm_stamps
    assert all(a < b for a, b in zip(mv_stamps, mv_stamps[1:])), mv_stamps


def test_timestamps_are_plausible_epoch_millis(shared_server):
    before = int(time.time() * 1000) - 60_000
    rm = create_rm(shared_server.api)
    after = int(time.time() * 1000) + 60_000
    assert before <= ts(rm, "createTimeSinceEpoch") <= after


def test_version_created_after_model_update_has_later_create_time(shared_server):
    api = shared_server.api
    rm = create_rm(api)
    updated = expect_json(patch(api, f"/registered_models/{rm['id']}", {"description": "x"}), 200)
    # An update may be 1 ms ahead of the clock (it must follow the create in
    # the same millisecond); a create a few milliseconds later is after it.
    time.sleep(0.005)
    mv = expect_json(post(api, "/model_versions",
                          {"name": unique("v"), "registeredModelId": rm["id"]}), 201)
    assert ts(mv, "createTimeSinceEpoch") > ts(updated)
