"""Shared pieces of the robustness suites (crash safety, races, hostile input):
servers started with extra flags, raw-socket HTTP, and snapshots of what is stored."""
import importlib.util
import os
import socket
import ssl
import time

import pytest
import requests

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _shared_conftest():
    # Loaded by file path: several suites have a conftest.py, so `import conftest` is ambiguous.
    spec = importlib.util.spec_from_file_location("mr_shared_conftest_robust",
                                                  os.path.join(TESTS_DIR, "conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_conftest = _shared_conftest()
RegistryServer = _conftest.RegistryServer
postgres_url_for = _conftest._postgres_url_for  # with MR_TEST_DATABASE_URL: a db file's database
API = _conftest.API

TIMEOUT = 10

# Every collection whose content a hostile request could change.
COLLECTIONS = ("/registered_models", "/model_versions", "/artifacts", "/serving_environments",
               "/inference_services", "/experiments", "/experiment_runs")


def snapshot(api):
    """Everything stored, as {collection: sorted list of (id, lastUpdateTimeSinceEpoch)}.

    Equal snapshots before and after a request mean it created and updated nothing."""
    state = {}
    for path in COLLECTIONS:
        items, params = [], {}
        while True:  # a page holds at most --max-page-size items
            resp = requests.get(api + path, params=params, timeout=TIMEOUT)
            assert resp.status_code == 200, (path, resp.status_code, resp.text[:300])
            body = resp.json()
            items += body["items"]
            if not body["nextPageToken"]:
                break
            params = {"nextPageToken": body["nextPageToken"]}
        state[path] = sorted((item["id"], item["lastUpdateTimeSinceEpoch"], item.get("name"))
                             for item in items)
    return state


def raw_request(port, data, timeout=10.0, half_close=False):
    """Sends raw bytes to the server and returns everything it answers until it closes
    the connection (or `timeout` passes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if _complete_response(b"".join(chunks)):
                break
        return b"".join(chunks)


def _complete_response(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False


def parse_raw_response(data):
    """(status, headers dict with lower-case names, body bytes) of a raw HTTP/1.1 answer."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines and lines[0].startswith(b"HTTP/1."), data[:200]
    status = int(lines[0].split(b" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode(errors="replace")
    return status, headers, body


def raw_http(port, method, path, body=b"", headers=None, timeout=10.0):
    """One request with exact control over the bytes sent; returns (status, headers, body)."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    extra = dict(headers or {})
    if body or method in ("POST", "PATCH", "PUT"):
        extra.setdefault("Content-Type", "application/json")
        extra.setdefault("Content-Length", str(len(body)))
    lines += [f"{k}: {v}" for k, v in extra.items()]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    answer = raw_request(port, data, timeout=timeout)
    assert answer, f"no answer to {method} {path}"
    return parse_raw_response(answer)


def read_until_closed(sock, limit=15):
    """What the server sends before it closes the connection (plain or TLS); fails when it
    stays open for `limit` seconds."""
    sock.settimeout(limit)
    received = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk
    except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
        return received
    except socket.timeout:
        pytest.fail(f"the server kept the connection open for {limit} s")
