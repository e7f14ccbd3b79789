"""The command line: flags, environment variables, errors and graceful stop."""
import os
import signal
import subprocess
import time

import requests

from conftest import API, RegistryServer, binary_path, free_port


def run(*args, env=None):
    return subprocess.run([binary_path(), *args], capture_output=True, text=True, timeout=10,
                          env=dict(os.environ, **(env or {})))


def test_version_and_help_exit_zero():
    version = run("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("model-registry ")
    help_text = run("serve", "--help")
    assert help_text.returncode == 0
    for flag in ("--hostname", "--port", "--db-file", "MR_HOSTNAME", "MR_PORT", "MR_DB_FILE"):
        assert flag in help_text.stdout


def test_bad_flag_is_one_line_and_non_zero():
    result = run("serve", "--bogus")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "--bogus" in lines[0]
    assert "Traceback" not in result.stderr and "terminate" not in result.stderr


def test_port_out_of_range_and_missing_subcommand_are_errors():
    for args in (("serve", "--port", "99999"), ()):
        result = run(*args)
        assert result.returncode != 0
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_unopenable_database_is_one_line_and_non_zero(tmp_path):
    result = run("serve", "--port", "0", "--db-file", str(tmp_path / "missing-dir" / "x.db"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot open database" in lines[0], result.stderr


def test_environment_variables_configure_serve(tmp_path):
    port = free_port()
    db = tmp_path / "from-env.db"
    proc = subprocess.Popen([binary_path(), "serve"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            env=dict(os.environ, MR_HOSTNAME="127.0.0.1", MR_PORT=str(port),
                                     MR_DB_FILE=str(db)))
    try:
        status = None
        deadline = time.monotonic() + 10
        while status != 200 and time.monotonic() < deadline and proc.poll() is None:
            try:
                status = requests.get(f"http://127.0.0.1:{port}{API}/readyz/health", timeout=1,
                                      headers={"Connection": "close"}).status_code
            except requests.ConnectionError:
                time.sleep(0.05)
        assert status == 200
        assert db.exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_sigint_and_sigterm_stop_cleanly_and_keep_data(tmp_db):
    for sig in (signal.SIGINT, signal.SIGTERM):
        srv = RegistryServer(tmp_db).start()
        r = requests.post(srv.api + "/registered_models", json={"name": f"kept-{sig}"},
                          headers={"Connection": "close"}, timeout=5)
        assert r.status_code == 201
        assert srv.stop(sig) == 0
    srv = RegistryServer(tmp_db).start()
    try:
        names = {m["name"] for m in requests.get(srv.api + "/registered_models", timeout=5,
                                                 headers={"Connection": "close"}).json()["items"]}
        assert names == {f"kept-{signal.SIGINT}", f"kept-{signal.SIGTERM}"}
    finally:
        srv.stop()
