"""Several server processes on one PostgreSQL database (issue 9): uniqueness and ids come
from the database, so replicas need no coordination. Runs only with MR_TEST_DATABASE_URL
(scripts/test.sh's postgres suite); three replicas share the database that conftest maps
to one db file."""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import RegistryServer

pytestmark = pytest.mark.skipif(not os.environ.get("MR_TEST_DATABASE_URL"),
                                reason="needs MR_TEST_DATABASE_URL (a PostgreSQL server)")

API = "/api/model_registry/v1"
REPLICAS = 3
TIMEOUT = 30


@pytest.fixture
def replicas(tmp_path):
    db_file = str(tmp_path / "shared.db")  # one PostgreSQL database for all replicas
    servers = []
    try:
        for i in range(REPLICAS):
            # Each its own log file; the database is the same.
            srv = RegistryServer(db_file)
            srv.db_file = db_file
            servers.append(srv)
        # Started together: the advisory lock lets one of them migrate.
        with ThreadPoolExecutor(REPLICAS) as pool:
            list(pool.map(lambda s: s.start(), servers))
        yield servers
    finally:
        for srv in servers:
            srv.stop()


def burst(count, work):
    """Runs work(index, session) in `count` threads released together; returns results."""
    barrier = threading.Barrier(count)

    def one(index):
        with requests.Session() as session:
            barrier.wait(timeout=60)
            return work(index, session)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_one_name_created_concurrently_through_three_replicas_exists_once(replicas):
    def create(index, session):
        srv = replicas[index % REPLICAS]
        r = session.post(srv.url + API + "/registered_models", json={"name": "contested"},
                         timeout=TIMEOUT)
        return r.status_code, r.json()

    results = burst(64, create)
    codes = sorted(code for code, _ in results)
    assert codes.count(201) == 1, codes
    assert codes.count(409) == 63, codes
    for srv in replicas:
        listed = requests.get(srv.url + API + "/registered_models", timeout=TIMEOUT).json()
        assert [rm["name"] for rm in listed["items"]] == ["contested"]


def test_versions_created_through_three_replicas_are_all_there_with_distinct_ids(replicas):
    first = replicas[0].url + API
    rm = requests.post(first + "/registered_models", json={"name": "m"}, timeout=TIMEOUT)
    assert rm.status_code == 201, rm.text
    rm_id = rm.json()["id"]

    def create(index, session):
        srv = replicas[index % REPLICAS]
        r = session.post(srv.url + API + "/model_versions",
                         json={"name": f"v{index}", "registeredModelId": rm_id}, timeout=TIMEOUT)
        return r.status_code, r.json()

    results = []
    for start in range(0, 300, 50):
        results += burst(50, lambda i, s, start=start: create(start + i, s))
    assert [code for code, _ in results] == [201] * 300
    ids = {body["id"] for _, body in results}
    assert len(ids) == 300
    # Every replica reads every acknowledged write.
    for srv in replicas:
        listed = requests.get(srv.url + API + f"/registered_models/{rm_id}/versions",
                              params={"pageSize": 1000}, timeout=TIMEOUT).json()
        assert {v["id"] for v in listed["items"]} == ids
        assert {v["name"] for v in listed["items"]} == {f"v{i}" for i in range(300)}
