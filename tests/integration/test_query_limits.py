"""Bounded cost per request (issue 10, point 4; docs/RELIABILITY.md).

Every read runs under --query-timeout and ends with a 503 JSON error when it
overruns; every list page holds at most --max-page-size items, with a
nextPageToken that reaches every row.

Big tables are seeded straight into SQLite (one API-created template row copied
N times), which takes well under a second where the API would take minutes.
"""
import os
import sqlite3
import subprocess
import threading
import time
import warnings

import pytest
import requests

from helpers import create_rm, cp_string, expect_error, expect_json, get, ids, list_body
from helpers import server  # noqa: F401  (fixture override)
from robust_helpers import RegistryServer, postgres_url_for

# The shape from issue 10: 200 OR-ed custom-property terms. No row matches, so
# SQLite walks the whole table, evaluating 200 property lookups per row.
EXPENSIVE_FILTER = " OR ".join(f'prop{i} = "absent-{i}"' for i in range(200))


def seed_registered_models(db_file, count):
    """Adds `count` registered models (each with one custom property) to a
    stopped server's database; returns their number including the template."""
    srv = RegistryServer(db_file).start()
    try:
        template = create_rm(srv.api, "template",
                             customProperties={"prop0": cp_string("present")})
    finally:
        srv.stop()
    template_id = int(template["id"])
    copy_rows = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) "
        "INSERT INTO context (type_id, parent_id, name_scope, name, external_id, description, "
        "create_time, update_time) "
        "SELECT c.type_id, c.parent_id, c.name_scope, 'seeded-' || n.i, NULL, c.description, "
        "c.create_time + n.i, c.update_time + n.i FROM context c, n WHERE c.id = {id}")
    copy_properties = (
        "INSERT INTO context_property (owner_id, is_custom, name, value_type, string_value, "
        "int_value, double_value, bool_value) "
        "SELECT c.id, p.is_custom, p.name, p.value_type, p.string_value, p.int_value, "
        "p.double_value, p.bool_value FROM context c JOIN context_property p "
        "ON p.owner_id = {id} WHERE c.id != {id}")
    statements = [sql.format(count=int(count), id=template_id)
                  for sql in (copy_rows, copy_properties)]
    if os.environ.get("MR_TEST_DATABASE_URL"):  # the server ran on PostgreSQL
        subprocess.run(["psql", postgres_url_for(db_file), "-v", "ON_ERROR_STOP=1", "-qc",
                        "; ".join(statements) + "; ANALYZE"], check=True, capture_output=True,
                       timeout=120)
        return count + 1
    db = sqlite3.connect(db_file)
    with db:
        for sql in statements:
            db.execute(sql)
    db.close()
    return count + 1


def follow_pages(api, path, **params):
    """Every item of a list, following nextPageToken; returns (items, pages)."""
    items, pages, token = [], 0, None
    while pages < 1000:
        query = dict(params)
        if token:
            query["nextPageToken"] = token
        body = list_body(api, path, **query)
        items += body["items"]
        pages += 1
        token = body["nextPageToken"]
        if not token:
            return items, pages
    pytest.fail("paging did not terminate")


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory):
    """20,001 registered models: the expensive filter takes seconds over them."""
    db_file = str(tmp_path_factory.mktemp("seeded") / "registry.db")
    return db_file, seed_registered_models(db_file, 20_000)


def test_fast_requests_are_answered_while_more_slow_queries_than_cores_run(seeded_db):
    # The pool keeps about one worker per core running; these four queries would hold every
    # one of them for seconds, so the pool must start more workers for the requests queued
    # behind them (docs/RELIABILITY.md, "Worker threads").
    db_file, _ = seeded_db
    srv = RegistryServer(db_file, ["--query-timeout", "60", "--shutdown-grace", "0.2"]).start()
    finished = []

    def expensive():
        r = get(srv.api, "/registered_models", {"filterQuery": EXPENSIVE_FILTER, "pageSize": "10"},
                timeout=90)
        finished.append(r.status_code)

    slow = [threading.Thread(target=expensive) for _ in range(max(4, 2 * (os.cpu_count() or 1)))]
    try:
        for t in slow:
            t.start()
        time.sleep(0.5)  # every slow query has reached a worker
        expect_json(get(srv.api, "/registered_models/1", timeout=30), 200)
        assert get(srv.api, "/readyz/health", timeout=30).status_code == 200
        assert finished == []  # answered while every slow query still ran
    finally:
        srv.stop()
        for t in slow:
            t.join(timeout=60)


@pytest.mark.parametrize("how", ["flag", "env"])
def test_an_expensive_filter_ends_with_503_and_the_server_keeps_answering(seeded_db, how):
    db_file, _ = seeded_db
    if how == "flag":
        srv = RegistryServer(db_file, ["--query-timeout", "0.2"])
    else:
        srv = RegistryServer(db_file, env={"MR_QUERY_TIMEOUT": "0.2"})
    srv.start()
    try:
        # Four at once, each of which would occupy a core for seconds unbounded.
        answers = []

        def expensive():
            answers.append(get(srv.api, "/registered_models",
                               {"filterQuery": EXPENSIVE_FILTER, "pageSize": "10"}, timeout=60))

        workers = [threading.Thread(target=expensive) for _ in range(4)]
        for w in workers:
            w.start()
        # Meanwhile the server answers health and a GET by id.
        assert get(srv.api, "/readyz/health").status_code == 200
        expect_json(get(srv.api, "/registered_models/1"), 200)
        for w in workers:
            w.join()
        assert len(answers) == 4
        for r in answers:
            body = expect_error(r, 503, contains="query timeout of 200 ms")
            assert body["code"] == "Service Unavailable"
        # A cheap query on the same table is unaffected.
        page = list_body(srv.api, "/registered_models", pageSize="5",
                         filterQuery='prop0 = "present"')
        assert page["size"] == 5
        assert get(srv.api, "/readyz/health").status_code == 200
    finally:
        srv.stop()


def test_default_max_page_size_is_1000_and_paging_reaches_every_row(tmp_db):
    rows = seed_registered_models(tmp_db, 2_499)
    srv = RegistryServer(tmp_db).start()
    try:
        first = list_body(srv.api, "/registered_models")
        assert first["size"] == 1000 and len(first["items"]) == 1000
        assert first["nextPageToken"] != ""
        # pageSize above the maximum is served as the maximum.
        big = list_body(srv.api, "/registered_models", pageSize="5000")
        assert big["size"] == 1000 and big["nextPageToken"] != ""
        items, pages = follow_pages(srv.api, "/registered_models")
        assert pages == 3
        assert len(items) == rows == 2_500
        assert len(set(ids(items))) == rows
        items, _ = follow_pages(srv.api, "/registered_models", orderBy="CREATE_TIME",
                                sortOrder="DESC")
        assert len(set(ids(items))) == rows
    finally:
        srv.stop()


@pytest.mark.parametrize("how", ["flag", "env"])
def test_max_page_size_caps_every_list(tmp_db, how):
    if how == "flag":
        srv = RegistryServer(tmp_db, ["--max-page-size", "7"])
    else:
        srv = RegistryServer(tmp_db, env={"MR_MAX_PAGE_SIZE": "7"})
    srv.start()
    try:
        models = [create_rm(srv.api) for _ in range(20)]
        for params in ({}, {"pageSize": "0"}, {"pageSize": "-1"}, {"pageSize": "8"},
                       {"pageSize": "2147483647"}):
            body = list_body(srv.api, "/registered_models", **params)
            assert body["size"] == 7 and body["nextPageToken"] != "", params
        assert list_body(srv.api, "/registered_models", pageSize="5")["size"] == 5
        items, pages = follow_pages(srv.api, "/registered_models")
        assert ids(items) == ids(models) and pages == 3
        items, _ = follow_pages(srv.api, "/registered_models", pageSize="100",
                                orderBy="LAST_UPDATE_TIME", sortOrder="DESC")
        assert ids(items) == ids(models[::-1])
        # A nested list is capped the same way.
        rm = models[0]["id"]
        versions = [expect_json(requests.post(srv.api + "/model_versions", timeout=10,
                                              json={"name": f"v{i}", "registeredModelId": rm}),
                                201) for i in range(9)]
        body = list_body(srv.api, f"/registered_models/{rm}/versions")
        assert body["size"] == 7 and body["nextPageToken"] != ""
        items, _ = follow_pages(srv.api, f"/registered_models/{rm}/versions")
        assert ids(items) == ids(versions)
    finally:
        srv.stop()


def test_the_official_clients_pager_sees_every_row_beyond_the_cap(tmp_db, monkeypatch):
    model_registry = pytest.importorskip("model_registry")
    srv = RegistryServer(tmp_db, ["--max-page-size", "3"]).start()
    try:
        created = {create_rm(srv.api)["name"] for _ in range(10)}
        monkeypatch.delenv("KF_PIPELINES_SA_TOKEN_PATH", raising=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            client = model_registry.ModelRegistry("http://127.0.0.1", srv.port, author="limits",
                                                  is_secure=False)
        # The pager sends no pageSize; it follows nextPageToken alone.
        seen = [rm.name for rm in client.get_registered_models()]
        assert sorted(seen) == sorted(created)
    finally:
        srv.stop()


def test_bad_limit_flags_are_refused(tmp_db):
    for args in (["--max-page-size", "0"], ["--query-timeout", "0"],
                 ["--query-timeout", "abc"]):
        with pytest.raises(RuntimeError, match="server exited"):
            RegistryServer(tmp_db, args).start()


def test_paging_by_last_update_time_repeats_or_skips_rows_updated_meanwhile(server):
    # The documented limit of cursor paging (README, "Timestamps"): an update
    # moves a row to the end of a LAST_UPDATE_TIME order. Ascending, a row
    # already seen comes again; descending, a row not yet seen is skipped.
    api = server.api
    models = [create_rm(api) for _ in range(5)]

    def page(token=None, **params):
        query = dict(params, pageSize="2", orderBy="LAST_UPDATE_TIME")
        if token:
            query["nextPageToken"] = token
        return list_body(api, "/registered_models", **query)

    def touch(model):
        time.sleep(0.002)  # a later millisecond than every stamp so far: no tie broken by id
        expect_json(requests.patch(f"{api}/registered_models/{model['id']}", timeout=10,
                                   json={"description": "touched"}), 200)

    first = page(sortOrder="ASC")
    assert ids(first["items"]) == ids(models[:2])
    touch(models[0])
    rest, token = [], first["nextPageToken"]
    while token:
        body = page(token, sortOrder="ASC")
        rest += body["items"]
        token = body["nextPageToken"]
    assert ids(rest) == ids(models[2:]) + [models[0]["id"]]  # models[0] seen twice

    first = page(sortOrder="DESC")
    assert ids(first["items"]) == [models[0]["id"], models[4]["id"]]
    touch(models[1])
    rest, token = [], first["nextPageToken"]
    while token:
        body = page(token, sortOrder="DESC")
        rest += body["items"]
        token = body["nextPageToken"]
    assert ids(rest) == [models[3]["id"], models[2]["id"]]  # models[1] never seen
