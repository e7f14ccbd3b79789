"""Production operation on the request pipeline: bearer-token authentication and roles, token
files and SIGHUP reloads, the Prometheus metrics endpoint, request logs and X-Request-Id, the CORS
allow-list and JSON-only writes (issue 11; docs/OPERATIONS.md)."""
import json
import os
import re
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import RegistryServer, binary_path

V1 = "/api/model_registry/v1"


def new_token(tokens_file, name, role):
    out = subprocess.run([binary_path(), "token", "new", name, "--role", role, "--file",
                          tokens_file], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip()
    assert token.startswith("mrt_") and len(token) == 68
    return token


@pytest.fixture
def secured(tmp_path):
    tokens_file = str(tmp_path / "tokens")
    tokens = {role: new_token(tokens_file, f"{role}-bot", role)
              for role in ("read", "write", "admin")}
    srv = RegistryServer(str(tmp_path / "registry.db"),
                         extra_args=["--auth-tokens-file", tokens_file, "--log-format", "json"])
    srv.start()
    srv.tokens_file = tokens_file
    srv.tokens = tokens
    yield srv
    srv.stop()


def call(srv, method, path, token=None, body=None, headers=None):
    h = {"Connection": "close"}
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    h.update(headers or {})
    return requests.request(method, srv.url + path, json=body, headers=h, timeout=10)


def log_lines(srv, wait_for=None):
    """The server's JSON log lines; with `wait_for`, first waits (up to 5 s) until
    some line matches it: request lines reach the file a few milliseconds after the
    answer (docs/OPERATIONS.md, "Logs")."""
    deadline = time.monotonic() + 5
    while True:
        with open(srv.log_path, encoding="utf-8") as f:
            lines = [json.loads(line) for line in f if line.startswith("{")]
        if wait_for is None or any(wait_for(line) for line in lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def test_token_file_holds_digests_not_tokens(secured):
    text = open(secured.tokens_file).read()
    for token in secured.tokens.values():
        assert token not in text
    lines = [line.split() for line in text.splitlines()]
    assert [(role, name) for role, name, _ in lines] == [
        ("read", "read-bot"), ("write", "write-bot"), ("admin", "admin-bot")]
    assert all(digest.startswith("sha256:") and len(digest) == 71 for _, _, digest in lines)


def test_no_or_wrong_token_is_401_with_a_bearer_challenge(secured):
    for token in (None, "mrt_" + "0" * 64, "", secured.tokens["read"] + "x"):
        resp = call(secured, "GET", V1 + "/registered_models", token=token)
        assert resp.status_code == 401, token
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert resp.json()["code"] == "Unauthorized"
    # Basic credentials are not a bearer token.
    resp = requests.get(secured.url + V1 + "/registered_models", auth=("u", "p"), timeout=10)
    assert resp.status_code == 401


def test_roles_read_write_admin(secured):
    read, write, admin = (secured.tokens[r] for r in ("read", "write", "admin"))
    assert call(secured, "GET", V1 + "/registered_models", token=read).status_code == 200
    resp = call(secured, "POST", V1 + "/registered_models", token=read, body={"name": "m"})
    assert resp.status_code == 403
    assert resp.json()["code"] == "Forbidden"
    assert call(secured, "GET", V1 + "/registered_model?name=m", token=read).status_code == 404
    created = call(secured, "POST", V1 + "/registered_models", token=write, body={"name": "m"})
    assert created.status_code == 201
    rm_id = created.json()["id"]
    patched = call(secured, "PATCH", f"{V1}/registered_models/{rm_id}", token=admin,
                   body={"description": "by admin"})
    assert patched.status_code == 200 and patched.json()["description"] == "by admin"
    # v1alpha3 is guarded the same way.
    assert call(secured, "GET", "/api/model_registry/v1alpha3/registered_models").status_code == 401


def test_health_and_spec_stay_open_metrics_need_a_token(secured):
    assert call(secured, "GET", V1 + "/readyz/health").status_code == 200
    assert call(secured, "GET", V1 + "/openapi.yaml").status_code == 200
    assert call(secured, "GET", "/metrics").status_code == 401
    assert call(secured, "GET", "/metrics", token=secured.tokens["read"]).status_code == 200


def test_sighup_reloads_the_tokens_file(secured):
    late = new_token(secured.tokens_file, "late-bot", "write")
    assert call(secured, "GET", V1 + "/registered_models", token=late).status_code == 401
    secured.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while call(secured, "GET", V1 + "/registered_models", token=late).status_code != 200:
        assert time.monotonic() < deadline, "the new token was not loaded after SIGHUP"
        time.sleep(0.1)
    # A broken file keeps the old tokens in force.
    with open(secured.tokens_file, "a") as f:
        f.write("superuser x sha256:nothex\n")
    secured.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert call(secured, "GET", V1 + "/registered_models", token=late).status_code == 200
    assert secured.proc.poll() is None


def test_request_log_lines_name_the_principal_and_never_the_token(secured):
    token = secured.tokens["write"]
    resp = call(secured, "POST", V1 + "/registered_models", token=token, body={"name": "logged"},
                headers={"X-Request-Id": "trace-42"})
    assert resp.status_code == 201
    assert resp.headers["X-Request-Id"] == "trace-42"
    call(secured, "GET", V1 + "/registered_models/999", token=token)
    lines = log_lines(secured, wait_for=lambda line: line.get("operation") == "getRegisteredModel")
    create = [line for line in lines if line.get("request_id") == "trace-42"]
    assert len(create) == 1
    line = create[0]
    assert line["msg"] == "request" and line["level"] == "info"
    assert line["method"] == "POST" and line["status"] == 201
    assert line["path"] == V1 + "/registered_models"
    assert line["operation"] == "createRegisteredModel"
    assert line["principal"] == "write-bot"
    assert isinstance(line["duration_ms"], float) and line["bytes"] > 0
    with open(secured.log_path, encoding="utf-8") as f:
        raw = [text for text in f if '"trace-42"' in text]
    assert len(raw) == 1 and re.search(r'"duration_ms":[0-9]+\.[0-9]{3},', raw[0]), raw
    assert re.search(r'"status":201,', raw[0]) and re.search(r'"bytes":[1-9][0-9]*,', raw[0])
    missing = [line for line in lines if line.get("operation") == "getRegisteredModel"]
    assert missing and missing[0]["path"] == V1 + "/registered_models/{registeredmodelId}"
    with open(secured.log_path, encoding="utf-8") as f:
        text = f.read()
    for secret in secured.tokens.values():
        assert secret not in text


def test_a_generated_request_id_is_echoed_and_a_hostile_one_replaced(server):
    resp = requests.get(server.api + "/registered_models", timeout=10)
    generated = resp.headers["X-Request-Id"]
    assert len(generated) == 32 and all(c in "0123456789abcdef" for c in generated)
    resp = requests.get(server.api + "/registered_models", timeout=10,
                        headers={"X-Request-Id": "a b\"c" + "x" * 300})
    assert resp.headers["X-Request-Id"] != "a b\"c" + "x" * 300
    assert len(resp.headers["X-Request-Id"]) == 32
    assert resp.headers["X-Request-Id"] != generated


def test_text_log_format_and_level(tmp_path):
    srv = RegistryServer(str(tmp_path / "r.db"), extra_args=["--log-level", "warn"]).start()
    try:
        requests.get(srv.api + "/registered_models", timeout=10, headers={"Connection": "close"})
    finally:
        srv.stop()
    text = open(srv.log_path, encoding="utf-8").read()
    assert "authentication is off" in text  # said once, at start-up
    assert text.count("authentication is off") == 1
    assert " request " not in text  # request lines are info, below warn
    bad = subprocess.run([binary_path(), "serve", "--log-format", "xml"], capture_output=True,
                         text=True, timeout=20)
    assert bad.returncode != 0 and "log-format" in bad.stderr


def metrics(srv):
    resp = requests.get(srv.url + "/metrics", timeout=10, headers={"Connection": "close"})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {f.name: f for f in text_string_to_metric_families(resp.text)}


def sample(families, family, name, **labels):
    for s in families[family].samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return 0.0


def test_metrics_parse_and_counters_move(server):
    before = metrics(server)
    for _ in range(3):
        requests.get(server.api + "/registered_models", timeout=10)
    requests.get(server.url + V1 + "/registered_models/77", timeout=10)
    requests.post(server.url + V1 + "/registered_models", json={"name": "counted"}, timeout=10)
    after = metrics(server)
    total = "model_registry_http_requests"
    assert sample(after, total, total + "_total", operation="getRegisteredModels", method="GET",
                  status="200") - sample(before, total, total + "_total",
                                         operation="getRegisteredModels", method="GET",
                                         status="200") == 3
    assert sample(after, total, total + "_total", operation="getRegisteredModel", method="GET",
                  status="404") == 1
    assert sample(after, total, total + "_total", operation="createRegisteredModel",
                  method="POST", status="201") == 1
    hist = "model_registry_http_request_duration_seconds"
    assert after[hist].type == "histogram"
    count = sample(after, hist, hist + "_count", operation="getRegisteredModels")
    inf = sample(after, hist, hist + "_bucket", operation="getRegisteredModels", le="+Inf")
    assert count == inf >= 3
    assert after["model_registry_http_requests_in_flight"].type == "gauge"
    # The scrape itself is in flight, on an open connection.
    assert sample(after, "model_registry_http_requests_in_flight",
                  "model_registry_http_requests_in_flight") >= 1
    with requests.Session() as held:
        held.get(server.api + "/registered_models", timeout=10)  # keeps its connection open
        assert sample(metrics(server), "model_registry_http_open_connections",
                      "model_registry_http_open_connections") >= 2
    assert "model_registry_process_start_time_seconds" in after
    start = sample(after, "model_registry_process_start_time_seconds",
                   "model_registry_process_start_time_seconds")
    assert time.time() - 120 < start <= time.time()
    assert sample(after, "model_registry_build_info", "model_registry_build_info") == 1
    db = [name for name in after if name.startswith("model_registry_db_")]
    assert db, "no database statistics"


def test_unknown_methods_share_one_metrics_label(server):
    # Each distinct method a client invents must not become a label of its own.
    for method in ("BREW", "PROPFIND", "X" * 40):
        resp = requests.request(method, server.api + "/registered_models", timeout=10)
        assert 400 <= resp.status_code < 500
    families = metrics(server)
    methods = {s.labels["method"] for s in families["model_registry_http_requests"].samples}
    assert "other" in methods
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}


def test_every_request_under_load_gets_its_log_line(tmp_path):
    srv = RegistryServer(str(tmp_path / "r.db"), extra_args=["--log-format", "json"]).start()
    per_thread, threads = 150, 8
    try:
        def burst(n):
            with requests.Session() as s:
                for i in range(per_thread):
                    s.get(srv.api + "/registered_models/1", timeout=10,
                          headers={"X-Request-Id": f"burst-{n}-{i}"})
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(burst, range(threads)))
    finally:
        srv.stop()  # a normal exit writes every gathered line
    ids = [line.get("request_id", "") for line in log_lines(srv)]
    burst_ids = [i for i in ids if i.startswith("burst-")]
    assert len(burst_ids) == len(set(burst_ids)) == per_thread * threads


def test_a_log_reader_that_stops_stalls_requests_and_loses_no_line(tmp_path):
    # stderr is a pipe nobody reads: once the pipe (64 KiB) and the server's 1 MiB of
    # gathered lines are full, requests wait for the reader instead of memory growing or
    # lines being dropped; when the reader comes back, everything flows again.
    from conftest import free_port
    port = free_port()
    proc = subprocess.Popen([binary_path(), "serve", "--hostname", "127.0.0.1", "--port",
                             str(port), "--db-file", str(tmp_path / "r.db")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/api/model_registry/v1/registered_models/1"
    request_id = "r" * 120  # long ids make long lines
    sent, stalled = 0, None
    drained = []
    reader = threading.Thread(target=lambda: drained.append(proc.stderr.read()))
    try:
        for _ in range(100):
            try:
                requests.get(f"http://127.0.0.1:{port}/readyz/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        with requests.Session() as s:
            while sent < 12000:
                holder = {}

                def one():
                    holder["status"] = s.get(url, timeout=30,
                                             headers={"X-Request-Id": f"{request_id}{sent}"}
                                             ).status_code
                worker = threading.Thread(target=one)
                worker.start()
                worker.join(2)
                sent += 1
                if worker.is_alive():
                    stalled = worker
                    break
                assert holder["status"] == 404
            assert stalled is not None, "requests never waited for the log reader"
            reader.start()
            stalled.join(10)
            assert not stalled.is_alive(), "the request stayed stuck after the reader came back"
            assert s.get(url, timeout=10, headers={"X-Request-Id": "after"}).status_code == 404
    finally:
        if not reader.is_alive() and not drained:
            reader.start()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        reader.join(10)
    text = drained[0].decode()
    lines = [line for line in text.splitlines() if f"request_id={request_id}" in line]
    for i in range(sent):
        assert f"request_id={request_id}{i} " in text, i
    assert "request_id=after " in text
    # The requests stalled once about 1 MiB (plus the pipe's 64 KiB) was waiting.
    waiting = sum(len(line) + 1 for line in lines)
    assert 1 << 20 < waiting < 3 << 20, waiting


def test_cors_allow_list_narrows_origins(tmp_path):
    srv = RegistryServer(str(tmp_path / "r.db"), extra_args=[
        "--cors-allowed-origins", "https://ui.example,http://localhost:3000"]).start()
    try:
        def preflight(origin):
            return requests.options(srv.api + "/registered_models", timeout=10, headers={
                "Origin": origin, "Access-Control-Request-Method": "POST",
                "Connection": "close"})
        allowed = preflight("https://ui.example")
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://ui.example"
        assert "PATCH" in allowed.headers["Access-Control-Allow-Methods"]
        other = preflight("https://evil.example")
        assert "Access-Control-Allow-Origin" not in other.headers
        get = requests.get(srv.api + "/registered_models", timeout=10,
                           headers={"Origin": "https://evil.example", "Connection": "close"})
        assert get.status_code == 200 and "Access-Control-Allow-Origin" not in get.headers
        get = requests.get(srv.api + "/registered_models", timeout=10,
                           headers={"Origin": "http://localhost:3000", "Connection": "close"})
        assert get.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
        assert "X-Request-Id" in get.headers["Access-Control-Expose-Headers"]
    finally:
        srv.stop()


def test_bad_tokens_file_refuses_to_start(tmp_path):
    path = tmp_path / "tokens"
    path.write_text("# comment\nwrite ci-bot sha256:" + "a" * 64 + "\nroot x sha256:" + "b" * 64
                    + "\n")
    out = subprocess.run([binary_path(), "serve", "--port", "0", "--db-file",
                          str(tmp_path / "r.db"), "--auth-tokens-file", str(path)],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "line 3" in out.stderr and "unknown role 'root'" in out.stderr
    missing = subprocess.run([binary_path(), "serve", "--port", "0", "--db-file",
                              str(tmp_path / "r.db"), "--auth-tokens-file",
                              str(tmp_path / "absent")], capture_output=True, text=True,
                             timeout=20)
    assert missing.returncode == 2 and "cannot read the tokens file" in missing.stderr


def test_token_new_refuses_duplicates_and_bad_roles(tmp_path):
    path = str(tmp_path / "tokens")
    new_token(path, "ci", "write")
    dup = subprocess.run([binary_path(), "token", "new", "ci", "--file", path],
                         capture_output=True, text=True, timeout=20)
    assert dup.returncode == 1 and "already exists" in dup.stderr and dup.stdout == ""
    bad = subprocess.run([binary_path(), "token", "new", "x", "--role", "root", "--file", path],
                         capture_output=True, text=True, timeout=20)
    assert bad.returncode == 2
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


def test_healthcheck_command(server, tmp_path):
    ok = subprocess.run([binary_path(), "healthcheck", "--port", str(server.port)],
                        capture_output=True, text=True, timeout=20)
    assert ok.returncode == 0 and ok.stdout.strip() == "ok"
    down = subprocess.run([binary_path(), "healthcheck", "--port", "1"], capture_output=True,
                          text=True, timeout=20)
    assert down.returncode != 0 and "cannot reach" in down.stderr
