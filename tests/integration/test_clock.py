"""Timestamps follow the wall clock (issue 10, point 5; README "Timestamps").

Rejected writes and load must not push timestamps ahead of the clock, a stored
timestamp from the future must not drag the clock along after a restart, and
every update of an entity still increases its lastUpdateTimeSinceEpoch.
"""
import sqlite3
import threading
import time

import requests

from robust_helpers import RegistryServer
from helpers import create_rm, expect_json, patch, ts, unique
from helpers import server  # noqa: F401  (fixture override)

# Wall clock and server share this machine; the slack covers only the
# rounding of time.time() to milliseconds and scheduling between the two reads.
CLOCK_SLACK_MS = 100


def now_ms():
    return int(time.time() * 1000)


def test_a_burst_of_conflicts_does_not_run_the_clock_ahead(server):
    api = server.api
    taken = create_rm(api)["name"]
    threads, per_thread = 8, 400
    statuses = []
    lock = threading.Lock()

    def hammer():
        with requests.Session() as session:
            mine = []
            for _ in range(per_thread):
                r = session.post(api + "/registered_models", json={"name": taken}, timeout=10)
                mine.append(r.status_code)
        with lock:
            statuses.extend(mine)

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert statuses == [409] * (threads * per_thread)

    created = create_rm(api)
    # Before the fix each of the 3,200 conflicts advanced the clock by 1 ms,
    # about two seconds more than the burst took.
    assert ts(created, "createTimeSinceEpoch") <= now_ms() + CLOCK_SLACK_MS


def test_a_stored_future_timestamp_does_not_survive_a_restart_as_clock(tmp_db):
    srv = RegistryServer(tmp_db).start()
    try:
        ahead = create_rm(srv.api)
    finally:
        srv.stop()
    future = now_ms() + 3_600_000
    with sqlite3.connect(tmp_db) as db:
        db.execute("UPDATE context SET create_time = ?, update_time = ? WHERE id = ?",
                   (future, future, int(ahead["id"])))
    db.close()
    srv = RegistryServer(tmp_db).start()
    try:
        created = create_rm(srv.api)
        assert ts(created, "createTimeSinceEpoch") <= now_ms() + CLOCK_SLACK_MS
        # The entity from the future still moves forward when it is updated.
        updated = expect_json(patch(srv.api, f"/registered_models/{ahead['id']}",
                                    {"description": "later"}), 200)
        assert ts(updated) == future + 1
    finally:
        srv.stop()


def test_repeated_patches_strictly_increase_last_update_time(server):
    api = server.api
    rm = create_rm(api)
    stamps = [ts(rm)]
    # One keep-alive connection: several PATCHes land in the same millisecond.
    with requests.Session() as session:
        for i in range(100):
            r = session.patch(f"{api}/registered_models/{rm['id']}",
                              json={"description": unique(str(i))}, timeout=10)
            assert r.status_code == 200, r.text
            stamps.append(ts(r.json()))
    assert all(a < b for a, b in zip(stamps, stamps[1:])), stamps
    # Each update is at most 1 ms after the previous one or at the clock, so
    # 100 updates cannot lead the clock by more than 100 ms.
    assert stamps[-1] <= now_ms() + 100 + CLOCK_SLACK_MS
