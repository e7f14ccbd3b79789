"""Races: many clients hitting one name, one entity or one parent at the same moment.

Each thread has its own requests.Session (its own keep-alive connection) and all of them
are released together by a barrier, so the requests really overlap on the server's
worker threads and its one SQLite writer."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from helpers import create_rm, expect_json, get, post, unique

TIMEOUT = 30
CLIENTS = 64


def run_together(count, work, api=None):
    """Runs work(index, session) in `count` threads released together by a barrier;
    returns the results in index order. An exception in any thread fails the test.

    With `api`, each session connects first, one at a time, so the burst is a burst of
    requests on open keep-alive connections; without it, every request opens its own
    connection at the same moment (the connection-burst test)."""
    barrier = threading.Barrier(count)
    connect_lock = threading.Lock()

    def one(index):
        with requests.Session() as session:
            if api is None:
                session.headers["Connection"] = "close"
            else:
                with connect_lock:
                    session.get(api + "/readyz/health", timeout=TIMEOUT).raise_for_status()
            barrier.wait(timeout=60)
            try:
                return work(index, session)
            finally:
                if api is not None:
                    # Have the server close this connection now: a response kept for the
                    # assertions would otherwise hold it, and a worker thread, open.
                    session.get(api + "/readyz/health", headers={"Connection": "close"},
                                timeout=TIMEOUT)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def statuses(responses):
    out = {}
    for resp in responses:
        out[resp.status_code] = out.get(resp.status_code, 0) + 1
    return out


# ---------------------------------------------------------------- one name, 64 creators

@pytest.mark.parametrize("kind", ["registered_model", "experiment", "serving_environment",
                                  "model_version"])
def test_concurrent_creates_of_one_name_give_one_201(shared_server, kind):
    api = shared_server.api
    name = unique(f"race-{kind}")
    if kind == "model_version":
        rm_id = create_rm(api)["id"]
        path, body = "/model_versions", {"name": name, "registeredModelId": rm_id}
        listing = f"/registered_models/{rm_id}/versions"
    else:
        path, body = f"/{kind}s", {"name": name}
        listing = f"/{kind}s"

    responses = run_together(CLIENTS, lambda i, s: s.post(api + path, json=body,
                                                          timeout=TIMEOUT), api)

    assert statuses(responses) == {201: 1, 409: CLIENTS - 1}, statuses(responses)
    for resp in responses:
        assert resp.headers["Content-Type"].startswith("application/json")
        if resp.status_code == 409:
            assert resp.json()["code"] == "Conflict", resp.text
            assert "already exists" in resp.json()["message"], resp.text
    created = next(r.json() for r in responses if r.status_code == 201)
    stored = [item for item in expect_json(get(api, listing), 200)["items"]
              if item["name"] == name]
    assert [item["id"] for item in stored] == [created["id"]]


def test_concurrent_creates_of_one_external_id_give_one_201(shared_server):
    """externalId is unique across context-like kinds: distinct names, one externalId."""
    api = shared_server.api
    external_id = unique("race-ext")

    def work(i, session):
        return session.post(api + "/registered_models",
                            json={"name": f"{external_id}-{i}", "externalId": external_id},
                            timeout=TIMEOUT)

    responses = run_together(CLIENTS, work, api)
    assert statuses(responses) == {201: 1, 409: CLIENTS - 1}, statuses(responses)
    found = expect_json(get(api, "/registered_model", params={"externalId": external_id}), 200)
    assert found["id"] == next(r.json()["id"] for r in responses if r.status_code == 201)


# ---------------------------------------------------------------- concurrent PATCH

def patch_body(request_id):
    """Every field of the PATCH derives from one request id, so a stored mix is visible."""
    return {
        "description": f"description-{request_id}",
        "owner": f"owner-{request_id}",
        "provider": f"provider-{request_id}",
        "language": [f"lang-{request_id}", f"lang2-{request_id}"],
        "state": "ARCHIVED" if request_id % 2 else "LIVE",
        "customProperties": {
            "request": {"metadataType": "MetadataIntValue", "int_value": str(request_id)},
            f"only-{request_id}": {"metadataType": "MetadataStringValue",
                                   "string_value": f"value-{request_id}"},
            "label": {"metadataType": "MetadataStringValue", "string_value": f"l-{request_id}"},
        },
    }


def request_id_of(entity):
    """The request id the stored state derives from; fails on any mix of two requests."""
    request_id = int(entity["customProperties"]["request"]["int_value"])
    expected = patch_body(request_id)
    for key in ("description", "owner", "provider", "language", "state"):
        assert entity.get(key) == expected[key], (
            f"mixed state: request {request_id} but {key}={entity.get(key)!r}", entity)
    assert entity["customProperties"] == expected["customProperties"], (
        f"mixed customProperties for request {request_id}", entity["customProperties"])
    return request_id


def test_concurrent_patches_leave_one_requests_state(shared_server):
    api = shared_server.api
    rm = create_rm(api)
    url = f"{api}/registered_models/{rm['id']}"
    patches_per_client = 4
    clients = 32
    seen_by_readers = []
    stop = threading.Event()

    def reader():
        with requests.Session() as session:
            while not stop.is_set():
                resp = session.get(url, timeout=TIMEOUT)
                assert resp.status_code == 200, resp.text
                if "customProperties" in resp.json():
                    seen_by_readers.append(resp.json())
            session.get(api + "/readyz/health", headers={"Connection": "close"},
                        timeout=TIMEOUT)

    def work(i, session):
        answers = []
        for n in range(patches_per_client):
            request_id = i * patches_per_client + n + 1
            resp = session.patch(url, json=patch_body(request_id), timeout=TIMEOUT)
            answers.append((request_id, resp))
        return answers

    with ThreadPoolExecutor(max_workers=2) as readers:
        reading = [readers.submit(reader) for _ in range(2)]
        try:
            results = run_together(clients, work, api)
        finally:
            stop.set()
        for future in reading:
            future.result()

    acknowledged = set()
    for answers in results:
        for request_id, resp in answers:
            assert resp.status_code == 200, resp.text
            # Each reply shows exactly the state its own request wrote.
            assert request_id_of(resp.json()) == request_id
            acknowledged.add(request_id)
    assert len(acknowledged) == clients * patches_per_client

    final = expect_json(get(api, f"/registered_models/{rm['id']}"), 200)
    assert request_id_of(final) in acknowledged
    assert final["name"] == rm["name"]
    assert final["createTimeSinceEpoch"] == rm["createTimeSinceEpoch"]
    for snapshot in seen_by_readers:
        request_id_of(snapshot)


def test_concurrent_patches_of_an_artifact_leave_one_requests_state(shared_server):
    api = shared_server.api
    art = expect_json(post(api, "/model_artifacts", {"name": unique("race-art"),
                                                     "uri": "s3://b/0"}), 201)
    url = f"{api}/model_artifacts/{art['id']}"

    def body(request_id):
        return {"uri": f"s3://b/{request_id}", "modelFormatName": f"fmt-{request_id}",
                "modelFormatVersion": str(request_id), "description": f"d-{request_id}",
                "customProperties": {"request": {"metadataType": "MetadataIntValue",
                                                 "int_value": str(request_id)}}}

    responses = run_together(32, lambda i, s: s.patch(url, json=body(i + 1), timeout=TIMEOUT),
                             api)
    assert statuses(responses) == {200: 32}
    final = expect_json(get(api, f"/model_artifacts/{art['id']}"), 200)
    request_id = int(final["customProperties"]["request"]["int_value"])
    expected = body(request_id)
    for key in ("uri", "modelFormatName", "modelFormatVersion", "description"):
        assert final[key] == expected[key], (key, final)


# ---------------------------------------------------------------- concurrent children

def test_concurrent_version_creation_loses_no_version(shared_server):
    api = shared_server.api
    rm_id = create_rm(api)["id"]
    per_client = 3

    def work(i, session):
        out = []
        for n in range(per_client):
            resp = session.post(api + f"/registered_models/{rm_id}/versions",
                                json={"name": f"v-{i}-{n}", "registeredModelId": rm_id},
                                timeout=TIMEOUT)
            out.append(resp)
        return out

    responses = [r for batch in run_together(CLIENTS, work, api) for r in batch]
    assert statuses(responses) == {201: CLIENTS * per_client}, statuses(responses)
    created = {r.json()["id"]: r.json()["name"] for r in responses}
    assert len(created) == CLIENTS * per_client, "two creates were given the same id"

    listed = expect_json(get(api, f"/registered_models/{rm_id}/versions"), 200)
    assert listed["size"] == CLIENTS * per_client
    assert {item["id"]: item["name"] for item in listed["items"]} == created
    # Paging through the same set in pages of 7 sees every version exactly once.
    paged, token = [], ""
    while True:
        page = expect_json(get(api, f"/registered_models/{rm_id}/versions",
                               params={"pageSize": 7, "nextPageToken": token}), 200)
        paged += [item["id"] for item in page["items"]]
        token = page["nextPageToken"]
        if not token:
            break
    assert sorted(paged) == sorted(created)


def test_concurrent_artifact_upserts_under_one_version(shared_server):
    api = shared_server.api
    rm_id = create_rm(api)["id"]
    mv = expect_json(post(api, "/model_versions", {"name": "v", "registeredModelId": rm_id}), 201)
    url = f"{api}/model_versions/{mv['id']}/artifacts"

    def work(i, session):
        # Half the clients add distinct artifacts; the other half upsert one shared metric.
        if i % 2 == 0:
            return session.post(url, json={"artifactType": "model-artifact",
                                           "name": f"a-{i}", "uri": f"s3://x/{i}"},
                                timeout=TIMEOUT)
        return session.post(url, json={"artifactType": "metric", "name": "loss",
                                       "value": float(i)}, timeout=TIMEOUT)

    responses = run_together(CLIENTS, work, api)
    model_artifacts = [r for i, r in enumerate(responses) if i % 2 == 0]
    metrics = [r for i, r in enumerate(responses) if i % 2 == 1]
    assert statuses(model_artifacts) == {201: CLIENTS // 2}, statuses(model_artifacts)
    assert statuses(metrics) == {200: CLIENTS // 2}, statuses(metrics)
    assert len({r.json()["id"] for r in metrics}) == 1, "one metric name became several"

    items = expect_json(get(api, f"/model_versions/{mv['id']}/artifacts"), 200)["items"]
    stored_models = {a["id"] for a in items if a["artifactType"] == "model-artifact"}
    assert stored_models == {r.json()["id"] for r in model_artifacts}
    stored_metrics = [a for a in items if a["artifactType"] == "metric"]
    assert len(stored_metrics) == 1
    assert stored_metrics[0]["value"] in {float(i) for i in range(1, CLIENTS, 2)}


# ---------------------------------------------------------------- connection bursts

def test_connection_bursts_are_all_served(shared_server):
    """64 clients connecting in the same instant, each creating an entity (ten bursts), are
    all answered: none is reset or refused. A listen backlog smaller than a burst overflows
    the kernel's accept queue while the workers are busy, and then connections are reset."""
    api = shared_server.api
    prefix = unique("burst")
    failures = []
    for burst in range(10):
        def work(i, session):
            try:
                return session.post(api + "/experiments", json={"name": f"{prefix}-{burst}-{i}"},
                                    timeout=TIMEOUT).status_code
            except requests.ConnectionError as exc:
                return f"burst {burst} client {i}: {exc}"
        results = run_together(CLIENTS, work)
        failures += [r for r in results if r != 201]
    assert not failures, f"{len(failures)} of {10 * CLIENTS} connections failed: {failures[:3]}"
