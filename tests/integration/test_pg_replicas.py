"""Several server processes on one PostgreSQL database (issue 9): uniqueness and ids come
from the database, so replicas need no coordination; a replica killed with SIGKILL loses no
acknowledged write; timestamps and PATCHes stay consistent across processes. Runs only with
MR_TEST_DATABASE_URL (scripts/test.sh's postgres suite); three replicas share the database
that conftest maps to one db file."""
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import RegistryServer
from test_races import patch_body, request_id_of

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


def test_kill_9_of_one_replica_under_write_load_loses_no_acknowledged_write(replicas):
    first = replicas[0].url + API
    rm = requests.post(first + "/registered_models", json={"name": "under-load"}, timeout=TIMEOUT)
    assert rm.status_code == 201, rm.text
    rm_id = rm.json()["id"]
    doomed, survivors = replicas[0], replicas[1:]
    writers = 9
    acknowledged = []  # (id, name) of every 201 any writer saw
    survivor_failures = []
    lock = threading.Lock()
    killed = threading.Event()
    stop = threading.Event()

    def write(index):
        srv = replicas[index % REPLICAS]
        with requests.Session() as session:
            for n in range(100000):
                if stop.is_set():
                    return
                name = f"w{index}-{n}"
                try:
                    r = session.post(srv.url + API + "/model_versions",
                                     json={"name": name, "registeredModelId": rm_id},
                                     timeout=TIMEOUT)
                except requests.RequestException:
                    if srv is doomed and killed.is_set():
                        return  # its writes after the kill were never acknowledged
                    raise
                with lock:
                    if r.status_code == 201:
                        acknowledged.append((r.json()["id"], name))
                    elif srv is not doomed:
                        survivor_failures.append((r.status_code, r.text))

    def acknowledged_count():
        with lock:
            return len(acknowledged)

    def wait_for(count):
        deadline = time.monotonic() + 60
        while acknowledged_count() < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert acknowledged_count() >= count, "the writers stalled"

    with ThreadPoolExecutor(writers) as pool:
        running = [pool.submit(write, i) for i in range(writers)]
        try:
            wait_for(90)
            killed.set()
            doomed.proc.kill()  # SIGKILL: no chance to finish anything in flight
            doomed.proc.wait(timeout=TIMEOUT)
            wait_for(acknowledged_count() + 90)  # the survivors keep taking writes
        finally:
            stop.set()
        for future in running:
            future.result()

    assert survivor_failures == []
    for n, (version_id, name) in enumerate(acknowledged):
        srv = survivors[n % len(survivors)]
        r = requests.get(srv.url + API + f"/model_versions/{version_id}", timeout=TIMEOUT)
        assert r.status_code == 200, (version_id, name, r.text)
        assert r.json()["name"] == name
    listed = requests.get(survivors[0].url + API + f"/registered_models/{rm_id}/versions",
                          params={"pageSize": 100000}, timeout=TIMEOUT).json()
    assert {v["id"] for v in listed["items"]} >= {version_id for version_id, _ in acknowledged}


# Wall clock and servers share this machine; the slack covers the rounding to milliseconds
# and the scheduling between a server's reading of the clock and ours (as in test_clock.py).
CLOCK_SLACK_MS = 100


def now_ms():
    return int(time.time() * 1000)


def test_an_entity_updated_through_alternating_replicas_has_increasing_timestamps(replicas):
    created = requests.post(replicas[0].url + API + "/registered_models", json={"name": "clock"},
                            timeout=TIMEOUT)
    assert created.status_code == 201, created.text
    rm_id = created.json()["id"]
    stamps = [int(created.json()["lastUpdateTimeSinceEpoch"])]
    for n in range(60):
        srv = replicas[n % REPLICAS]
        r = requests.patch(srv.url + API + f"/registered_models/{rm_id}",
                           json={"description": f"update {n}"}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        stamp = int(r.json()["lastUpdateTimeSinceEpoch"])
        assert stamp <= now_ms() + CLOCK_SLACK_MS, "a timestamp ahead of the wall clock"
        # The next replica reads what this one wrote.
        read = requests.get(replicas[(n + 1) % REPLICAS].url + API + f"/registered_models/{rm_id}",
                            timeout=TIMEOUT).json()
        assert int(read["lastUpdateTimeSinceEpoch"]) == stamp
        assert read["description"] == f"update {n}"
        stamps.append(stamp)
    assert all(a < b for a, b in zip(stamps, stamps[1:])), stamps


def test_concurrent_updates_through_replicas_each_get_their_own_timestamp(replicas):
    # Two updates that both read the old row and both committed would share a timestamp
    # (the later of the clock and the stored one + 1): the serialization retry prevents it.
    created = requests.post(replicas[0].url + API + "/registered_models",
                            json={"name": "clock-race"}, timeout=TIMEOUT)
    assert created.status_code == 201, created.text
    url = API + f"/registered_models/{created.json()['id']}"
    before = int(created.json()["lastUpdateTimeSinceEpoch"])

    def update(index, session):
        stamps = []
        for n in range(4):
            r = session.patch(replicas[index % REPLICAS].url + url,
                              json={"description": f"{index}-{n}"}, timeout=TIMEOUT)
            assert r.status_code == 200, r.text
            stamps.append(int(r.json()["lastUpdateTimeSinceEpoch"]))
        return stamps, now_ms()

    results = burst(24, update)
    stamps = [s for mine, _ in results for s in mine]
    assert len(set(stamps)) == len(stamps), sorted(stamps)
    assert min(stamps) > before
    assert max(stamps) <= max(seen for _, seen in results) + CLOCK_SLACK_MS
    for mine, _ in results:  # one client's own updates follow each other
        assert all(a < b for a, b in zip(mine, mine[1:])), mine
    final = requests.get(replicas[1].url + url, timeout=TIMEOUT).json()
    assert int(final["lastUpdateTimeSinceEpoch"]) == max(stamps)


def test_concurrent_patches_through_replicas_leave_one_requests_state(replicas):
    # The same check as test_races.py's on one server, with the writers in three processes.
    rm = requests.post(replicas[0].url + API + "/registered_models", json={"name": "patched"},
                       timeout=TIMEOUT)
    assert rm.status_code == 201, rm.text
    url = API + f"/registered_models/{rm.json()['id']}"

    def work(index, session):
        answers = []
        for n in range(3):
            request_id = index * 3 + n + 1
            r = session.patch(replicas[index % REPLICAS].url + url, json=patch_body(request_id),
                              timeout=TIMEOUT)
            answers.append((request_id, r))
        return answers

    acknowledged = set()
    for answers in burst(24, work):
        for request_id, r in answers:
            assert r.status_code == 200, r.text
            assert request_id_of(r.json()) == request_id  # the reply is its own request's state
            acknowledged.add(request_id)
    assert len(acknowledged) == 72
    finals = [requests.get(srv.url + url, timeout=TIMEOUT).json() for srv in replicas]
    assert request_id_of(finals[0]) in acknowledged
    assert finals[1] == finals[0] == finals[2]
