"""Crash safety: concurrent writers, SIGKILL at a random moment, restart, and every write
the server acknowledged (2xx) must still be there, in a database that passes
`PRAGMA integrity_check`.

Rounds share one database, so each restart re-checks the writes of every earlier round.

    CRASH_ROUNDS   rounds (default 3; the documented long run uses 50)
    CRASH_WRITERS  concurrent writer threads (default 6)
    CRASH_SEED     random seed for the kill moments (default: random, printed)
    CRASH_REPORT   if set, a JSON summary of the run is written to this file
"""
import json
import os
import random
import signal
import sqlite3
import threading
import time

import requests

from robust_helpers import RegistryServer

ROUNDS = int(os.environ.get("CRASH_ROUNDS", "3"))
WRITERS = int(os.environ.get("CRASH_WRITERS", "6"))
TIMEOUT = 15


class Ledger:
    """What the server acknowledged, and which PATCH values were ever attempted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.models = {}     # RM id -> (name, description written at create)
        self.versions = {}   # MV id -> (RM id, name)
        self.artifacts = {}  # artifact id -> (MV id, name, uri)
        # RM id -> (last acknowledged patch sequence, every attempted sequence). After a
        # crash the stored value may be a later attempt that committed before its reply.
        self.patches = {}
        self.acknowledged = 0


class Writer(threading.Thread):
    """Creates models, versions and artifacts and patches its own models until the
    server goes away. Each entity is touched by one writer only, so the expected stored
    state of everything it acknowledged is known exactly."""

    def __init__(self, api, ledger, round_no, writer_no, killing):
        super().__init__(daemon=True)
        self.api = api
        self.killing = killing  # set just before the SIGKILL is sent
        self.ledger = ledger
        self.tag = f"r{round_no}-w{writer_no}"
        self.session = requests.Session()
        self.error = None
        self.own_models = []
        self.own_versions = []

    def run(self):
        try:
            step = 0
            while True:
                step += 1
                self.create_model(step)
                if self.own_models and step % 2 == 0:
                    self.create_version(step)
                if self.own_models and step % 3 == 0:
                    self.patch_model(step)
                if self.own_versions and step % 4 == 0:
                    self.upsert_artifact(step)
        except requests.RequestException as exc:
            # Refused, reset or cut mid-response: expected once the kill is under way.
            if not self.killing.is_set():
                self.error = exc
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            self.session.close()

    def check(self, resp, status):
        # A 5xx or an unexpected status is a server bug, not a crash artefact.
        if resp.status_code != status:
            raise AssertionError(f"{resp.request.method} {resp.request.url}: expected {status}, "
                                 f"got {resp.status_code}: {resp.text[:300]}")
        return resp.json()

    def create_model(self, step):
        name = f"crash-{self.tag}-rm{step}"
        body = {"name": name, "description": f"created {step}",
                "customProperties": {"writer": {"metadataType": "MetadataStringValue",
                                                "string_value": self.tag}}}
        rm = self.check(self.session.post(self.api + "/registered_models", json=body,
                                          timeout=TIMEOUT), 201)
        with self.ledger.lock:
            self.ledger.models[rm["id"]] = (name, f"created {step}")
            self.ledger.acknowledged += 1
        self.own_models.append(rm["id"])

    def create_version(self, step):
        rm_id = self.own_models[-1]
        name = f"v{step}"
        mv = self.check(self.session.post(self.api + "/model_versions", json={
            "name": name, "registeredModelId": rm_id, "author": self.tag}, timeout=TIMEOUT), 201)
        with self.ledger.lock:
            self.ledger.versions[mv["id"]] = (rm_id, name)
            self.ledger.acknowledged += 1
        self.own_versions.append(mv["id"])

    def patch_model(self, step):
        rm_id = self.own_models[0]
        with self.ledger.lock:
            acked, attempted = self.ledger.patches.setdefault(rm_id, (None, set()))
            attempted.add(step)
        body = {"description": f"patch {step}", "state": "LIVE"}
        self.check(self.session.patch(self.api + f"/registered_models/{rm_id}", json=body,
                                      timeout=TIMEOUT), 200)
        with self.ledger.lock:
            _, attempted = self.ledger.patches[rm_id]
            self.ledger.patches[rm_id] = (step, attempted)
            self.ledger.acknowledged += 1

    def upsert_artifact(self, step):
        mv_id = self.own_versions[-1]
        name = f"weights-{step}"
        uri = f"s3://bucket/{self.tag}/{step}"
        art = self.check(self.session.post(
            self.api + f"/model_versions/{mv_id}/artifacts",
            json={"artifactType": "model-artifact", "name": name, "uri": uri},
            timeout=TIMEOUT), 201)
        with self.ledger.lock:
            self.ledger.artifacts[art["id"]] = (mv_id, name, uri)
            self.ledger.acknowledged += 1


def list_all(api, path):
    """Every item of a list, following nextPageToken (a page holds at most
    --max-page-size items)."""
    items, params = {}, {}
    for _ in range(10_000):
        resp = requests.get(api + path, params=params, timeout=30)
        assert resp.status_code == 200, resp.text[:300]
        body = resp.json()
        items.update((item["id"], item) for item in body["items"])
        if not body["nextPageToken"]:
            return items
        params = {"nextPageToken": body["nextPageToken"]}
    raise AssertionError(f"paging {path} did not terminate")


def check_integrity(db_file):
    conn = sqlite3.connect(db_file)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()
    assert result == [("ok",)], f"integrity_check: {result[:10]}"
    assert fk == [], f"foreign_key_check: {fk[:10]}"


def verify(api, ledger):
    """Asserts every acknowledged write is stored; returns how many were checked."""
    models = list_all(api, "/registered_models")
    versions = list_all(api, "/model_versions")
    artifacts = list_all(api, "/artifacts")
    checked = 0
    names = [m["name"] for m in models.values()]
    assert len(names) == len(set(names)), "a registered model name is stored twice"
    for rm_id, (name, created_description) in ledger.models.items():
        assert rm_id in models, f"acknowledged registered model {rm_id} ({name}) is lost"
        assert models[rm_id]["name"] == name
        assert models[rm_id]["customProperties"]["writer"]["metadataType"] == \
            "MetadataStringValue"
        if rm_id not in ledger.patches:
            assert models[rm_id]["description"] == created_description, models[rm_id]
        checked += 1
    for rm_id, (acked, attempted) in ledger.patches.items():
        stored = models[rm_id]["description"]
        if acked is None:
            # No PATCH was acknowledged: any attempt may have landed, or none.
            allowed = {f"patch {s}" for s in attempted} | {ledger.models[rm_id][1]}
            assert stored in allowed, (rm_id, stored)
            continue
        # The acknowledged PATCH, or a later attempt that committed before the kill.
        assert stored.startswith("patch "), (rm_id, stored)
        stored_step = int(stored.split()[1])
        assert stored_step in attempted and stored_step >= acked, (
            f"registered model {rm_id}: acknowledged PATCH {acked} lost, stored {stored!r}")
        checked += 1
    for mv_id, (rm_id, name) in ledger.versions.items():
        assert mv_id in versions, f"acknowledged model version {mv_id} is lost"
        assert versions[mv_id]["registeredModelId"] == rm_id
        assert versions[mv_id]["name"] == name
        checked += 1
    for art_id, (mv_id, name, uri) in ledger.artifacts.items():
        assert art_id in artifacts, f"acknowledged artifact {art_id} is lost"
        assert artifacts[art_id]["name"] == name and artifacts[art_id]["uri"] == uri
        checked += 1
    # The versions and artifacts are reachable through their parents too.
    for mv_id, (rm_id, name) in list(ledger.versions.items())[-20:]:
        resp = requests.get(api + f"/registered_models/{rm_id}/versions", timeout=TIMEOUT)
        assert mv_id in {v["id"] for v in resp.json()["items"]}
    for art_id, (mv_id, _, _) in list(ledger.artifacts.items())[-20:]:
        resp = requests.get(api + f"/model_versions/{mv_id}/artifacts", timeout=TIMEOUT)
        assert art_id in {a["id"] for a in resp.json()["items"]}
    return checked


def test_acknowledged_writes_survive_sigkill(tmp_path):
    seed = int(os.environ.get("CRASH_SEED", str(random.randrange(1 << 30))))
    rng = random.Random(seed)
    print(f"\ncrash safety: seed {seed}, {ROUNDS} rounds, {WRITERS} writers")
    db_file = str(tmp_path / "crash.db")
    ledger = Ledger()
    checked_total = 0
    per_round = []
    for round_no in range(1, ROUNDS + 1):
        # Every third round runs with fsync on commit, so both durability modes are covered.
        args = ["--sync-full"] if round_no % 3 == 0 else []
        srv = RegistryServer(db_file, extra_args=args).start()
        try:
            before = ledger.acknowledged
            killing = threading.Event()
            writers = [Writer(srv.api, ledger, round_no, n, killing) for n in range(WRITERS)]
            for w in writers:
                w.start()
            # Let some writes land, then kill at a random moment.
            deadline = time.monotonic() + 10
            while ledger.acknowledged - before < 5 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 1.0))
            killing.set()
            srv.proc.send_signal(signal.SIGKILL)
            srv.proc.wait(timeout=10)
            assert srv.proc.returncode == -signal.SIGKILL
        finally:
            srv.stop()
        for w in writers:
            w.join(timeout=15)
            assert not w.is_alive(), "a writer did not stop after the kill"
            assert w.error is None, f"writer failed before the kill: {w.error}"
        acked_this_round = ledger.acknowledged - before
        assert acked_this_round > 0, "no write was acknowledged before the kill"

        check_integrity(db_file)
        srv = RegistryServer(db_file).start()
        try:
            checked = verify(srv.api, ledger)
            checked_total += checked
            # The restarted server takes writes again.
            resp = requests.post(srv.api + "/registered_models",
                                 json={"name": f"after-crash-{round_no}"}, timeout=TIMEOUT)
            assert resp.status_code == 201, resp.text
        finally:
            assert srv.stop() == 0, "the restarted server did not stop cleanly"
        check_integrity(db_file)
        per_round.append({"round": round_no, "acknowledged": acked_this_round,
                          "checked": checked, "sync_full": bool(args)})
        print(f"round {round_no}: {acked_this_round} writes acknowledged before SIGKILL, "
              f"{checked} acknowledged entities verified after restart")

    summary = {"seed": seed, "rounds": ROUNDS, "writers": WRITERS,
               "acknowledged_writes": ledger.acknowledged,
               "verifications": checked_total, "rounds_detail": per_round}
    print(f"crash safety: {ROUNDS} rounds, {ledger.acknowledged} acknowledged writes, "
          f"{checked_total} entity checks after restarts, all present; integrity_check ok")
    if os.environ.get("CRASH_REPORT"):
        with open(os.environ["CRASH_REPORT"], "w", encoding="utf-8") as out:
            json.dump(summary, out, indent=2)
    assert ledger.acknowledged >= ROUNDS
