"""Storage faults are visible and safe (issue 10, point 6; docs/RELIABILITY.md).

A database file that cannot be written turns /readyz/health to 503 with the
reason, writes fail with a clear error (507 for a full disk) and nothing is
acknowledged that is not stored; a full disk recovers by itself. A second
server on the same file refuses to start.

The read-only and full-disk cases need real filesystems with those properties:
a read-only bind mount over the database's directory and a small tmpfs. Both
need the right to mount (root, outside a restricted container); without it
those tests are skipped with the reason, the others still run.
"""
import contextlib
import errno
import os
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest
import requests

from helpers import create_rm, expect_error, expect_json, get, post
from robust_helpers import RegistryServer


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def _mount_permitted():
    probe = f"/tmp/mr-mount-probe-{uuid.uuid4().hex[:8]}"
    os.mkdir(probe)
    try:
        if run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe).returncode != 0:
            return False
        run("umount", probe)
        return True
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        os.rmdir(probe)


MOUNT_PERMITTED = _mount_permitted()
needs_mount = pytest.mark.skipif(not MOUNT_PERMITTED,
                                 reason="needs the right to mount (tmpfs, bind); not permitted here")


@contextlib.contextmanager
def mounted(*args, target):
    result = run("mount", *args, target)
    assert result.returncode == 0, result.stderr
    try:
        yield target
    finally:
        if run("umount", target).returncode != 0:
            run("umount", "-l", target)


def health(srv):
    return requests.get(srv.api + "/readyz/health", timeout=10,
                        headers={"Connection": "close"})


def wait_for_health(srv, status, timeout=10):
    deadline = time.monotonic() + timeout
    r = health(srv)
    while r.status_code != status and time.monotonic() < deadline:
        time.sleep(0.1)
        r = health(srv)
    return r


def stored_names(db_file):
    """Registered model names on the file, read by a fresh server."""
    srv = RegistryServer(db_file).start()
    try:
        body = expect_json(get(srv.api, "/registered_models", {"pageSize": "1000"}), 200)
        assert body["nextPageToken"] == ""
        return {item["name"] for item in body["items"]}
    finally:
        srv.stop()


def test_a_second_server_on_the_same_file_refuses_to_start(tmp_db):
    first = RegistryServer(tmp_db).start()
    try:
        second = subprocess.run(
            [os.environ.get("MR_BINARY", "build/model-registry"), "serve", "--hostname",
             "127.0.0.1", "--port", "0", "--db-file", tmp_db],
            capture_output=True, text=True, timeout=30)
        assert second.returncode == 1
        assert second.stderr == (f"model-registry: database {tmp_db} is in use by another "
                                 "model-registry server\n")
        assert second.stdout == ""
        # The first one is untouched.
        create_rm(first.api)
        assert health(first).status_code == 200
    finally:
        first.stop()
    # Once the first has stopped, the file is free again.
    again = RegistryServer(tmp_db).start()
    again.stop()


def test_a_deleted_database_file_is_unhealthy_and_refuses_writes(tmp_db):
    srv = RegistryServer(tmp_db).start()
    try:
        kept = create_rm(srv.api)
        os.unlink(tmp_db)
        r = health(srv)
        assert r.status_code == 503
        assert "was deleted" in r.text
        r = get(srv.api, "/readyz/health", {"format": "json"})
        assert r.status_code == 503 and r.json()["status"] == "fail"
        assert "was deleted" in r.json()["checks"]["database"]["Message"]
        body = expect_error(post(srv.api, "/registered_models", {"name": "after-delete"}), 503)
        assert body["code"] == "Service Unavailable" and "was deleted" in body["message"]
        # Reads still see the open file.
        expect_json(get(srv.api, f"/registered_models/{kept['id']}"), 200)
    finally:
        srv.stop()


def test_a_replaced_database_file_is_unhealthy_and_refuses_writes(tmp_db, tmp_path):
    srv = RegistryServer(tmp_db).start()
    try:
        create_rm(srv.api)
        other = tmp_path / "other.db"
        other.write_bytes(b"")
        os.replace(other, tmp_db)
        r = health(srv)
        assert r.status_code == 503 and "was replaced" in r.text
        expect_error(post(srv.api, "/registered_models", {"name": "after-replace"}), 503,
                     contains="was replaced")
    finally:
        srv.stop()


@needs_mount
def test_a_read_only_database_is_unhealthy_refuses_writes_and_recovers(tmp_path):
    # Root ignores file modes, so the read-only file comes from a read-only
    # bind mount laid over the database's directory while the server runs.
    directory = tmp_path / "data"
    directory.mkdir()
    db_file = str(directory / "registry.db")
    srv = RegistryServer(db_file).start()
    try:
        before = create_rm(srv.api)
        with mounted("--bind", "-o", "ro", str(directory), target=str(directory)):
            r = health(srv)
            assert r.status_code == 503
            assert "is not writable: Read-only file system" in r.text
            body = expect_error(post(srv.api, "/registered_models", {"name": "while-ro"}), 503)
            assert "is not writable" in body["message"]
            expect_json(get(srv.api, f"/registered_models/{before['id']}"), 200)
        # Writable again: healthy and writing without a restart.
        assert wait_for_health(srv, 200).status_code == 200
        after = create_rm(srv.api)
    finally:
        srv.stop()
    assert stored_names(db_file) == {before["name"], after["name"]}


SETPRIV = "/usr/bin/setpriv"
NOBODY = 65534
needs_root_and_setpriv = pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists(SETPRIV),
    reason="needs root and setpriv to run the server as an unprivileged user")


@needs_root_and_setpriv
def test_a_file_made_read_only_under_an_unprivileged_server(tmp_path, monkeypatch, request):
    # The literal case: chmod a-w on the file of a server that is not root.
    # pytest's tmp_path is private to root, so the data lives beside it.
    directory = tempfile.mkdtemp(prefix="mr-nobody-")
    request.addfinalizer(lambda: shutil.rmtree(directory, ignore_errors=True))
    os.chmod(directory, 0o755)
    os.chown(directory, NOBODY, NOBODY)
    db_file = os.path.join(directory, "registry.db")
    wrapper = tmp_path / "as-nobody"
    wrapper.write_text(f"#!/bin/sh\nexec {SETPRIV} --reuid={NOBODY} --regid={NOBODY} "
                       f"--clear-groups {os.environ.get('MR_BINARY', 'build/model-registry')} "
                       '"$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("MR_BINARY", str(wrapper))
    srv = RegistryServer(db_file).start()
    try:
        before = create_rm(srv.api)
        os.chmod(db_file, 0o444)
        r = health(srv)
        assert r.status_code == 503
        assert "is not writable: Permission denied" in r.text
        expect_error(post(srv.api, "/registered_models", {"name": "while-ro"}), 503,
                     contains="is not writable")
        os.chmod(db_file, 0o644)
        assert wait_for_health(srv, 200).status_code == 200
        after = create_rm(srv.api)
    finally:
        srv.stop()
    monkeypatch.undo()
    assert stored_names(db_file) == {before["name"], after["name"]}


@needs_mount
def test_a_full_disk_gives_507_turns_health_red_and_recovers_by_itself(tmp_path):
    directory = tmp_path / "small"
    directory.mkdir()
    with mounted("-t", "tmpfs", "-o", "size=4m", "tmpfs", target=str(directory)):
        db_file = str(directory / "registry.db")
        srv = RegistryServer(db_file).start()
        filler = directory / "filler"
        try:
            acknowledged, refused = [], []
            acknowledged.append(create_rm(srv.api)["name"])
            # Take every free block.
            with open(filler, "wb", buffering=0) as f:
                chunk = b"\0" * 4096
                try:
                    while True:
                        f.write(chunk)
                except OSError as e:
                    assert e.errno == errno.ENOSPC
            # Writes that need new pages fail with 507 and are not stored.
            description = "x" * 3000
            for i in range(20):
                name = f"full-{i}"
                r = post(srv.api, "/registered_models", {"name": name,
                                                         "description": description})
                if r.status_code == 201:
                    acknowledged.append(name)
                else:
                    body = expect_error(r, 507)
                    assert body["code"] == "Insufficient Storage"
                    assert body["message"].startswith("disk full, the write was not stored")
                    refused.append(name)
            assert refused, "no write hit the full disk"
            r = health(srv)
            assert r.status_code == 503 and "disk full" in r.text
            # Space returns: health turns green by itself, writes succeed.
            filler.unlink()
            assert wait_for_health(srv, 200).status_code == 200
            acknowledged.append(create_rm(srv.api)["name"])
        finally:
            srv.stop()
            if filler.exists():
                filler.unlink()
        # Exactly what was acknowledged is stored.
        assert stored_names(db_file) == set(acknowledged)
