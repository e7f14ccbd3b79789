"""Database statistics on GET /metrics (model_registry_db_*, docs/OPERATIONS.md) and what they
show: the statement counter, PostgreSQL's connection pool, SQLite's checkpoint lag, and that
lists cost a bounded number of statements whatever their page size (no N+1; issue 9 point 7,
issue 11 point 4). Runs on SQLite, and on PostgreSQL when MR_TEST_DATABASE_URL is set."""
import os
import subprocess
import threading
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import RegistryServer, _postgres_url_for
from helpers import create_mv, create_rm, expect_json, post, upsert_mv_artifact, model_artifact_body

ON_POSTGRES = bool(os.environ.get("MR_TEST_DATABASE_URL"))


def scrape(srv):
    resp = requests.get(srv.url + "/metrics", timeout=10, headers={"Connection": "close"})
    assert resp.status_code == 200
    return {f.name: f for f in text_string_to_metric_families(resp.text)}


def db_value(families, name):
    """The value of model_registry_db_<name> (a counter's family drops `_total`)."""
    family = families["model_registry_db_" + name.removesuffix("_total")]
    expected_type = "counter" if name.endswith("_total") else "gauge"
    assert family.type == expected_type, (name, family.type)
    samples = [s for s in family.samples if s.name == "model_registry_db_" + name]
    assert len(samples) == 1, (name, family.samples)
    return samples[0].value


def statements(srv):
    return db_value(scrape(srv), "statements_total")


def test_statement_counter_moves_with_requests(server):
    before = statements(server)
    assert statements(server) == before, "a scrape must not touch the database"
    requests.get(server.api + "/registered_models", timeout=10)
    after_read = statements(server)
    assert after_read > before
    create_rm(server.api)
    assert statements(server) > after_read


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write-ahead log")
def test_sqlite_checkpoint_lag_grows_with_commits(server):
    families = scrape(server)
    lag = db_value(families, "wal_checkpoint_lag_frames")
    assert db_value(families, "checkpoints_total") == 0  # the checkpointer waits for 10000 frames
    for _ in range(3):
        create_rm(server.api)
    assert db_value(scrape(server), "wal_checkpoint_lag_frames") > lag


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's connection pool")
def test_postgres_pool_statistics_show_use_and_waits(tmp_path):
    # One connection: while a table lock holds the first request, the second waits for it.
    db_file = str(tmp_path / "registry.db")
    srv = RegistryServer(db_file, extra_args=["--db-max-connections", "1"]).start()
    try:
        families = scrape(srv)
        assert db_value(families, "pool_connections_max") == 1
        assert db_value(families, "pool_connections_open") == 1  # the start-up one, kept
        assert db_value(families, "pool_connections_in_use") == 0
        assert db_value(families, "pool_waits_total") == 0
        assert db_value(families, "pool_wait_seconds_total") == 0
        url = _postgres_url_for(db_file)
        # The lock is held until this test commits it, so no step below races a lock that
        # times out by itself; the deadlines only bound a hang.
        locker = subprocess.Popen(["psql", url, "-q", "-v", "ON_ERROR_STOP=1"],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        locker.stdin.write("BEGIN; LOCK TABLE context IN ACCESS EXCLUSIVE MODE;\n")
        locker.stdin.flush()
        answers = []

        def read():
            answers.append(requests.get(srv.api + "/registered_models", timeout=60).status_code)

        first = second = None
        try:
            deadline = time.monotonic() + 30
            while subprocess.run(
                    ["psql", url, "-Atc", "SELECT count(*) FROM pg_locks WHERE relation = "
                     "'context'::regclass AND mode = 'AccessExclusiveLock' AND granted"],
                    capture_output=True, text=True, timeout=10).stdout.strip() != "1":
                assert time.monotonic() < deadline, "psql never took the lock"
                time.sleep(0.05)
            first = threading.Thread(target=read)
            first.start()
            deadline = time.monotonic() + 30
            while db_value(scrape(srv), "pool_connections_in_use") != 1:
                assert time.monotonic() < deadline, "the blocked read never held the connection"
                time.sleep(0.02)
            second = threading.Thread(target=read)
            second.start()
            while db_value(scrape(srv), "pool_waits_total") != 1:
                assert time.monotonic() < deadline, "the second read never waited"
                time.sleep(0.02)
        finally:
            locker.stdin.write("COMMIT;\n")
            locker.stdin.close()
            for reader in (first, second):
                if reader is not None:
                    reader.join()
        assert locker.wait(timeout=20) == 0, locker.stderr.read()
        assert answers == [200, 200]
        families = scrape(srv)
        assert db_value(families, "pool_connections_in_use") == 0
        assert db_value(families, "pool_connections_open") == 1
        assert db_value(families, "pool_wait_seconds_total") > 0
    finally:
        srv.stop()


def statements_for(srv, path):
    before = statements(srv)
    body = expect_json(requests.get(srv.api + path, timeout=10), 200)
    return statements(srv) - before, body


def test_lists_cost_the_same_statements_for_10_and_100_items(server):
    api = server.api
    rm = create_rm(api)
    for i in range(100):
        mv = create_mv(api, rm["id"], name=f"v{i}", customProperties={
            "framework": {"metadataType": "MetadataStringValue", "string_value": "onnx"},
            "epochs": {"metadataType": "MetadataIntValue", "int_value": str(i)},
            "note": {"metadataType": "MetadataStringValue", "string_value": f"version {i}"}})
        upsert_mv_artifact(api, mv["id"], model_artifact_body(
            name=f"weights-{i}", uri=f"s3://bucket/{i}", customProperties={
                "sha": {"metadataType": "MetadataStringValue", "string_value": f"{i:040x}"}}))
    lists = [
        "/model_versions?pageSize={n}",
        f"/registered_models/{rm['id']}/versions?pageSize={{n}}&orderBy=CREATE_TIME",
        "/model_versions?pageSize={n}&filterQuery=framework%3D%22onnx%22",
        "/model_artifacts?pageSize={n}",
        "/artifacts?pageSize={n}&orderBy=LAST_UPDATE_TIME&sortOrder=DESC",
    ]
    for path in lists:
        small, page10 = statements_for(server, path.format(n=10))
        large, page100 = statements_for(server, path.format(n=100))
        assert len(page10["items"]) == 10 and len(page100["items"]) == 100, path
        assert all(item["customProperties"] for item in page100["items"]), path
        # The page, its properties, the transaction around them, a filter's match count.
        assert small == large <= 6, (path, small, large)
