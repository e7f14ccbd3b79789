"""The front door (docs/RELIABILITY.md, "The front door"): what hostile or careless clients
can do to the transport. Connections (1,000 idle, keep-alive polling or slowloris clients;
header, body and keep-alive deadlines; SIGTERM), framing (pipelining, ambiguous lengths,
header limits and memory under a header flood) and bodies (the decoded-size limit whatever
the framing, Content-Encoding, Expect: 100-continue).

Every socket is on 127.0.0.1 and every wait is bounded. Figures the docs quote (time to a
fresh answer, server RSS) are printed; run with -s to see them."""
import json
import os
import resource
import signal
import socket
import threading
import time

import pytest
import requests

from robust_helpers import (RegistryServer, parse_raw_response, raw_request, read_until_closed,
                            snapshot)

CROWD = 1000
TIMEOUT = 20
RM_PATH = "/api/model_registry/v1alpha3/registered_models"


def raise_fd_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"needs {needed} file descriptors, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def start(tmp_path_factory, *args):
    db = str(tmp_path_factory.mktemp("front-door") / "registry.db")
    return RegistryServer(db, extra_args=list(args)).start()


def seed(srv):
    resp = requests.post(srv.api + "/registered_models", json={"name": "front-door-rm"},
                         headers={"Connection": "close"}, timeout=TIMEOUT)
    assert resp.status_code == 201, resp.text
    srv.rm_id = resp.json()["id"]
    return srv


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def connect(port, timeout=TIMEOUT):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def request_bytes(method, path, body=b"", headers=(), close=False):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if body or method in ("POST", "PATCH"):
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    if close:
        lines.append("Connection: close")
    lines += list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class ResponseReader:
    """Reads HTTP/1.1 responses one after another off one socket."""

    def __init__(self, sock):
        self.sock = sock
        self.pending = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.pending += chunk

    def read(self, head_request=False):
        while b"\r\n\r\n" not in self.pending:
            self._fill()
        head, _, self.pending = self.pending.partition(b"\r\n\r\n")
        status, headers, _ = parse_raw_response(head + b"\r\n\r\n")
        length = 0 if head_request or status in (100, 204) else int(headers["content-length"])
        while len(self.pending) < length:
            self._fill()
        body, self.pending = self.pending[:length], self.pending[length:]
        return status, headers, body


def closed_by_server(sock, limit):
    """True when the server closes the connection (EOF or reset) within `limit` seconds;
    anything the server sends first is read and dropped."""
    sock.settimeout(limit)
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


def fresh_client_seconds(srv):
    """Seconds a new client needs for /readyz/health plus a GET by id, each on its own
    new connection."""
    started = time.monotonic()
    health = requests.get(srv.api + "/readyz/health", headers={"Connection": "close"},
                          timeout=TIMEOUT)
    by_id = requests.get(f"{srv.api}/registered_models/{srv.rm_id}",
                         headers={"Connection": "close"}, timeout=TIMEOUT)
    took = time.monotonic() - started
    assert health.status_code == 200 and health.text == "OK", health.text
    assert by_id.status_code == 200 and by_id.json()["name"] == "front-door-rm", by_id.text
    return took


# ================================================================ 1. connections

@pytest.fixture(scope="module")
def patient(tmp_path_factory):
    """Default transport settings except long deadlines, so that a crowd stays connected
    for the whole test (the worst case for the server)."""
    srv = seed(start(tmp_path_factory, "--header-timeout", "120", "--read-timeout", "120",
                     "--keep-alive-timeout", "120", "--body-timeout", "120"))
    yield srv
    assert srv.stop() == 0


def open_crowd(port, count, first_bytes=b""):
    raise_fd_limit(count + 256)
    socks = []
    try:
        for _ in range(count):
            sock = connect(port)
            if first_bytes:
                sock.sendall(first_bytes)
            socks.append(sock)
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    return socks


class Background(threading.Thread):
    """Runs step() until stopped; an exception is kept and re-raised by stop()."""

    def __init__(self, step, pause):
        super().__init__(daemon=True)
        self.step, self.pause = step, pause
        self.halt = threading.Event()
        self.error = None
        self.rounds = 0

    def run(self):
        try:
            while not self.halt.is_set():
                self.step()
                self.rounds += 1
                self.halt.wait(self.pause)
        except BaseException as exc:  # noqa: BLE001 (re-raised in stop)
            self.error = exc

    def stop(self):
        self.halt.set()
        self.join(timeout=30)
        if self.error is not None:
            raise self.error


def crowd_activity(kind, srv, socks):
    """What each kind of crowd keeps doing while the fresh client is measured."""
    if kind == "idle":
        return None
    if kind == "slowloris":
        # One more header byte on every connection, every 0.5 s: a head never ends.
        def trickle():
            for sock in socks:
                sock.sendall(b"x")
        return Background(trickle, 0.5)
    readers = [ResponseReader(sock) for sock in socks]
    position = [0]
    path = f"{RM_PATH}/{srv.rm_id}"

    def poll():
        # Keep-alive polling: 20 of the connections send a GET and read the answer,
        # every 0.1 s, round-robin (about 200 requests/s in all).
        for _ in range(20):
            index = position[0] % len(socks)
            position[0] += 1
            socks[index].sendall(request_bytes("GET", path))
            status, _, _ = readers[index].read()
            assert status == 200
    return Background(poll, 0.1)


@pytest.mark.parametrize("kind", ["idle", "keep-alive", "slowloris"])
def test_fresh_client_is_served_beside_a_thousand_connections(patient, kind):
    first = {"idle": b"",
             "keep-alive": b"",
             "slowloris": b"GET " + RM_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Slow: "}[kind]
    socks = open_crowd(patient.port, CROWD, first)
    activity = crowd_activity(kind, patient, socks)
    try:
        if activity is not None:
            activity.start()
            time.sleep(1.0)
        took = max(fresh_client_seconds(patient) for _ in range(3))
        print(f"\n{CROWD} {kind} connections: fresh health + GET by id in {took * 1000:.0f} ms, "
              f"server RSS {rss_kib(patient.proc.pid) / 1024:.1f} MiB")
        assert took < 1.0, f"a fresh client needed {took:.2f}s beside {CROWD} {kind} connections"
        if activity is not None:
            activity.stop()
            assert activity.rounds > 0
            activity = None
        # The crowd was really there: every connection is still open and served.
        if kind != "slowloris":
            sock = socks[-1]
            sock.sendall(request_bytes("GET", f"{RM_PATH}/{patient.rm_id}"))
            assert ResponseReader(sock).read()[0] == 200
    finally:
        if activity is not None:
            activity.halt.set()
            activity.join(timeout=30)
        for sock in socks:
            sock.close()


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    """Short deadlines: --header-timeout 2, --body-timeout 2, --keep-alive-timeout 1, with a
    --read-timeout (silence) longer than any pause the trickling clients below make."""
    srv = seed(start(tmp_path_factory, "--header-timeout", "2", "--body-timeout", "2",
                     "--keep-alive-timeout", "1", "--read-timeout", "5",
                     "--max-body-kib", "64"))
    yield srv
    assert srv.stop() == 0


def trickle_until_closed(sock, byte_source, limit):
    """Sends one byte every 0.2 s until the server closes; returns the seconds taken, or
    None when it stayed open for `limit` seconds."""
    started = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - started < limit:
        try:
            sock.sendall(next(byte_source))
            if sock.recv(65536) == b"":
                return time.monotonic() - started
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - started
    return None


def endless(pattern):
    while True:
        for b in pattern:
            yield bytes([b])


def test_trickled_head_is_dropped_at_the_header_deadline(strict):
    sock = connect(strict.port)
    try:
        sock.sendall(b"GET " + RM_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\n")
        took = trickle_until_closed(sock, endless(b"X-A: b\r\n"), limit=15)
    finally:
        sock.close()
    print(f"\nhead trickled at 5 bytes/s dropped after {took}s (--header-timeout 2)")
    assert took is not None, "a head trickled byte by byte kept its connection for 15 s"
    assert 1.0 < took < 5.0, took


def test_trickled_body_is_dropped_at_the_body_deadline(strict):
    sock = connect(strict.port)
    try:
        sock.sendall(f"POST {RM_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 60000\r\n\r\n".encode())
        took = trickle_until_closed(sock, endless(b" "), limit=15)
    finally:
        sock.close()
    print(f"\nbody trickled at 5 bytes/s dropped after {took}s (--body-timeout 2)")
    assert took is not None, "a body trickled byte by byte kept its connection for 15 s"
    assert 1.0 < took < 5.0, took


@pytest.mark.parametrize("sent,deadline", [
    (b"GET " + RM_PATH.encode()[:12], "head"),
    (b"GET " + RM_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Half: ", "head"),
    (f"POST {RM_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     "Content-Length: 100\r\n\r\n{\"name\": ".encode(), "body"),
], ids=["half-request-line", "half-head", "half-body"])
def test_a_request_missing_its_deadline_gets_408_before_the_close(strict, sent, deadline):
    with connect(strict.port) as sock:
        sock.sendall(sent)
        started = time.monotonic()
        answer = read_until_closed(sock)
        took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer[:200]
    status, headers, body = parse_raw_response(answer)
    assert headers["connection"] == "close"
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)
    assert error["code"] == "Request Timeout"
    assert f"request {deadline} was not complete within 2 s" in error["message"]
    print(f"\n{deadline} deadline: 408 after {took:.2f}s (deadline 2 s)")


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(strict):
    """Nothing of a request arrived, so there is nothing to answer (as for an idle keep-alive
    connection)."""
    with connect(strict.port) as sock:
        assert read_until_closed(sock) == b""


def test_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout(strict):
    sock = connect(strict.port)
    try:
        reader = ResponseReader(sock)
        # Polling faster than the timeout keeps the connection, longer than the timeout.
        for _ in range(6):
            time.sleep(0.25)
            # The server answers after this, so the connection goes idle after it too: the
            # close cannot come less than the timeout later, however late this thread runs.
            asked = time.monotonic()
            sock.sendall(request_bytes("GET", f"{RM_PATH}/{strict.rm_id}"))
            assert reader.read()[0] == 200
        assert closed_by_server(sock, 10), "an idle keep-alive connection stayed open"
        idle = time.monotonic() - asked
    finally:
        sock.close()
    assert 1.0 <= idle < 4.0, idle


def test_sigterm_exits_within_two_seconds_and_answers_requests_in_flight(tmp_path_factory):
    srv = seed(start(tmp_path_factory, "--header-timeout", "120", "--read-timeout", "120",
                     "--keep-alive-timeout", "120", "--body-timeout", "120"))
    crowd = []
    try:
        crowd += open_crowd(srv.port, 300)  # idle
        crowd += open_crowd(srv.port, 300, b"GET / HTTP/1.1\r\nX: ")  # slowloris
        crowd += open_crowd(srv.port, 300, f"POST {RM_PATH} HTTP/1.1\r\nHost: x\r\n"
                            "Content-Length: 100000\r\n\r\n{".encode())  # body unfinished
        # Writers create entities as fast as they can until the server goes away.
        acknowledged, lock = [], threading.Lock()

        def writer(index):
            sock = connect(srv.port)
            reader = ResponseReader(sock)
            try:
                for n in range(100000):
                    name = f"w{index}-{n}"
                    sock.sendall(request_bytes("POST", RM_PATH,
                                               json.dumps({"name": name}).encode()))
                    status, _, body = reader.read()
                    assert status == 201, body
                    with lock:
                        acknowledged.append(json.loads(body)["id"])
            except (EOFError, ConnectionError, socket.timeout):
                return
            finally:
                sock.close()

        writers = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(8)]
        for t in writers:
            t.start()
        time.sleep(1.0)
        started = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        code = srv.proc.wait(timeout=10)
        took = time.monotonic() - started
        for t in writers:
            t.join(timeout=10)
        print(f"\nSIGTERM with 900 open connections and 8 writers: exited in {took:.2f}s, "
              f"{len(acknowledged)} creates acknowledged")
        assert code == 0
        assert took < 2.0, f"SIGTERM took {took:.2f}s"
        assert acknowledged
    finally:
        for sock in crowd:
            sock.close()
        srv.stop()
    # Every acknowledged create was stored.
    srv.start()
    try:
        stored, token = set(), ""
        while True:  # pages are capped (--max-page-size), so follow the tokens
            page = requests.get(srv.api + "/registered_models",
                                params={"pageSize": 1000, "nextPageToken": token},
                                headers={"Connection": "close"}, timeout=TIMEOUT).json()
            stored |= {item["id"] for item in page["items"]}
            token = page["nextPageToken"]
            if not token:
                break
        assert set(acknowledged) <= stored
    finally:
        srv.stop()


# ================================================================ 2. framing

@pytest.fixture(scope="module")
def door(tmp_path_factory):
    srv = seed(start(tmp_path_factory, "--max-body-kib", "64"))
    ids = []
    for n in range(10):
        resp = requests.post(srv.api + "/registered_models", json={"name": f"pipe-{n}"},
                             headers={"Connection": "close"}, timeout=TIMEOUT)
        assert resp.status_code == 201, resp.text
        ids.append(resp.json()["id"])
    srv.pipe_ids = ids
    yield srv
    assert srv.stop() == 0


def names_exist(srv, *names):
    return [requests.get(srv.api + "/registered_model", params={"name": n},
                         headers={"Connection": "close"}, timeout=TIMEOUT).status_code == 200
            for n in names]


def test_pipelined_requests_are_all_answered_in_order(door):
    batch = b"".join(request_bytes("GET", f"{RM_PATH}/{i}") for i in door.pipe_ids)
    batch += request_bytes("POST", RM_PATH, b'{"name": "pipelined-post"}')
    batch += request_bytes("HEAD", f"{RM_PATH}/{door.pipe_ids[0]}")
    batch += request_bytes("GET", f"{RM_PATH}/{door.pipe_ids[-1]}", close=True)
    with connect(door.port) as sock:
        sock.sendall(batch)  # all at once: the requests arrive in one segment
        reader = ResponseReader(sock)
        answers = [reader.read() for _ in door.pipe_ids]
        assert [json.loads(body)["name"] for _, _, body in answers] == \
            [f"pipe-{n}" for n in range(10)]
        status, _, body = reader.read()
        assert status == 201 and json.loads(body)["name"] == "pipelined-post"
        status, headers, _ = reader.read(head_request=True)
        assert status == 200 and int(headers["content-length"]) > 0
        status, headers, body = reader.read()
        assert status == 200 and json.loads(body)["name"] == "pipe-9"
        assert headers.get("connection") == "close"
        assert closed_by_server(sock, 5)


SMUGGLED = request_bytes("POST", RM_PATH, b'{"name": "smuggled"}')


@pytest.mark.parametrize("framing", [
    [f"Content-Length: {len(SMUGGLED)}", "Transfer-Encoding: chunked"],
    ["Transfer-Encoding: chunked", f"Content-Length: {len(SMUGGLED)}"],
    ["Content-Length: 0", f"Content-Length: {len(SMUGGLED)}"],
    [f"Content-Length: {len(SMUGGLED)}", "Content-Length: 0"],
    ["Content-Length: 0", "Content-Length: 0"],
    [f"Content-Length: 0, {len(SMUGGLED)}"],
], ids=["CL+TE", "TE+CL", "two CLs", "two CLs reversed", "repeated CL", "CL list"])
def test_ambiguous_lengths_are_400_and_close(door, framing):
    head = [f"POST {RM_PATH} HTTP/1.1", "Host: x", "Content-Type: application/json"] + framing
    data = ("\r\n".join(head) + "\r\n\r\n").encode() + b"0\r\n\r\n" + SMUGGLED
    with connect(door.port) as sock:
        sock.sendall(data)
        status, headers, body = ResponseReader(sock).read()
        assert status == 400, body
        assert json.loads(body)["code"]
        assert headers.get("connection") == "close"
        assert closed_by_server(sock, 5), "the connection stayed open after a 400"
    assert names_exist(door, "smuggled") == [False], "a request hidden in a body was executed"


def test_unsupported_transfer_coding_is_refused(door):
    data = (f"POST {RM_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: gzip\r\n\r\n").encode() + SMUGGLED
    status, headers, body = parse_raw_response(raw_request(door.port, data))
    assert status == 501 and json.loads(body)["code"], body
    assert names_exist(door, "smuggled") == [False]


@pytest.mark.parametrize("case", ["101 fields", "one 17 KiB field", "90 fields of 200 bytes"])
def test_too_many_or_too_large_headers_are_431(door, case):
    fields = {"101 fields": [f"X-F{n}: v" for n in range(101)],
              "one 17 KiB field": ["X-Big: " + "v" * 17 * 1024],
              "90 fields of 200 bytes": [f"X-F{n}: " + "v" * 200 for n in range(90)]}[case]
    data = request_bytes("GET", f"{RM_PATH}/{door.rm_id}",
                         headers=fields, close=True)
    try:
        answer = raw_request(door.port, data)
    except (ConnectionResetError, BrokenPipeError):
        pytest.fail("the connection was reset instead of answered")
    status, _, body = parse_raw_response(answer)
    assert status == 431, body
    assert set(json.loads(body)) == {"code", "message"}


def test_headers_just_under_the_limits_are_served(door):
    fields = [f"X-F{n}: v" for n in range(95)] + ["X-Big: " + "v" * 12 * 1024]
    status, _, body = parse_raw_response(raw_request(
        door.port, request_bytes("GET", f"{RM_PATH}/{door.rm_id}", headers=fields, close=True)))
    assert status == 200, body


def test_target_over_the_limit_is_414_and_under_it_is_served(door):
    for length, expected in ((8000, 404), (9000, 414), (17_000, 414), (20_000, 414),
                             (100_000, 414)):
        path = "/x" + "y" * (length - 2)
        try:
            answer = raw_request(door.port, request_bytes("GET", path, close=True))
        except (ConnectionResetError, BrokenPipeError):
            pytest.fail(f"target of {length} bytes: connection reset")
        assert parse_raw_response(answer)[0] == expected, length


def test_memory_stays_bounded_under_a_header_flood(door):
    """64 connections each push up to 4 MiB of header lines (256 MiB in all)."""
    before = rss_kib(door.proc.pid)
    line = b"X-Flood: " + b"f" * 1000 + b"\r\n"
    block = line * 64

    def flood():
        sent = 0
        try:
            with connect(door.port, timeout=10) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
                while sent < 4 << 20:
                    sock.sendall(block)
                    sent += len(block)
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            pass
        return sent

    peak = [before]
    floods = [threading.Thread(target=flood, daemon=True) for _ in range(64)]
    for t in floods:
        t.start()
    while any(t.is_alive() for t in floods):
        peak[0] = max(peak[0], rss_kib(door.proc.pid))
        time.sleep(0.01)
    for t in floods:
        t.join(timeout=30)
    after = rss_kib(door.proc.pid)
    print(f"\nheader flood, 64 x 4 MiB: RSS {before / 1024:.1f} MiB before, peak "
          f"{peak[0] / 1024:.1f} MiB, {after / 1024:.1f} MiB after")
    assert peak[0] - before < 64 * 1024, "the header flood grew the server by over 64 MiB"
    fresh = requests.get(f"{door.api}/registered_models/{door.rm_id}",
                         headers={"Connection": "close"}, timeout=TIMEOUT)
    assert fresh.status_code == 200


def test_http10_is_answered_and_closed_unless_kept_alive(door):
    path = f"{RM_PATH}/{door.rm_id}"
    with connect(door.port) as sock:
        sock.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
        status, _, body = ResponseReader(sock).read()
        assert status == 200 and json.loads(body)["id"] == door.rm_id
        assert closed_by_server(sock, 5)
    with connect(door.port) as sock:
        reader = ResponseReader(sock)
        for _ in range(2):
            sock.sendall(f"GET {path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".encode())
            status, headers, _ = reader.read()
            assert status == 200 and headers.get("connection") == "keep-alive"


def test_trace_and_connect_are_405_json(door):
    for method, target in (("TRACE", RM_PATH), ("CONNECT", "127.0.0.1:443")):
        answer = raw_request(door.port, f"{method} {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        status, _, body = parse_raw_response(answer)
        assert status == 405 and json.loads(body)["code"], (method, body)


# ================================================================ 3. bodies

def chunked(*parts):
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts)


def test_chunked_body_is_refused_as_soon_as_it_crosses_the_limit(door):
    """64 KiB limit: 80 KiB of chunks are sent and the request is never finished; the 413
    must come anyway."""
    before = snapshot(door.api)
    with connect(door.port) as sock:
        sock.sendall(f"POST {RM_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Transfer-Encoding: chunked\r\n\r\n".encode())
        sock.sendall(chunked(b'{"name": "big", "description": "'))
        for _ in range(20):
            sock.sendall(chunked(b"x" * 4096))
        status, headers, body = ResponseReader(sock).read()
    assert status == 413, body
    assert set(json.loads(body)) == {"code", "message"}
    assert snapshot(door.api) == before


def test_chunked_body_counts_decoded_bytes(door):
    """Chunk framing does not count: 200 one-byte chunks (1.4 KiB on the wire) of a body
    under the limit are accepted, and a body of small chunks over it is refused."""
    body = json.dumps({"name": "chunked-small", "description": "d" * 180}).encode()
    data = (f"POST {RM_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    data += chunked(*[body[i:i + 1] for i in range(len(body))]) + b"0\r\n\r\n"
    status, _, answer = parse_raw_response(raw_request(door.port, data))
    assert status == 201, answer
    assert json.loads(answer)["description"] == "d" * 180
    big = json.dumps({"name": "chunked-big", "description": "d" * 70 * 1024}).encode()
    data = (f"POST {RM_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    data += chunked(*[big[i:i + 1000] for i in range(0, len(big), 1000)]) + b"0\r\n\r\n"
    status, _, answer = parse_raw_response(raw_request(door.port, data))
    assert status == 413, answer
    assert names_exist(door, "chunked-big") == [False]


def test_oversized_declared_length_is_refused_at_once(door):
    """No body byte is sent; the answer must not wait for one."""
    with connect(door.port, timeout=5) as sock:
        sock.sendall(f"POST {RM_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {10 * 1024 ** 3}\r\n\r\n".encode())
        status, headers, body = ResponseReader(sock).read()
    assert status == 413, body
    assert headers.get("connection") == "close"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "gzip, identity"])
def test_compressed_request_bodies_are_415(door, encoding):
    import gzip
    payload = gzip.compress(json.dumps({"name": "compressed"}).encode())
    resp = requests.post(door.api + "/registered_models", data=payload,
                         headers={"Content-Type": "application/json", "Connection": "close",
                                  "Content-Encoding": encoding}, timeout=TIMEOUT)
    assert resp.status_code == 415, resp.text
    assert set(resp.json()) == {"code", "message"}
    assert names_exist(door, "compressed") == [False]


def test_identity_content_encoding_is_accepted(door):
    resp = requests.post(door.api + "/registered_models", json={"name": "identity-body"},
                         headers={"Connection": "close", "Content-Encoding": "identity"},
                         timeout=TIMEOUT)
    assert resp.status_code == 201, resp.text


def test_expect_100_continue(door):
    body = json.dumps({"name": "expected-body"}).encode()
    with connect(door.port, timeout=5) as sock:
        sock.sendall(f"POST {RM_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n".encode())
        reader = ResponseReader(sock)
        assert reader.read()[0] == 100  # before any body byte was sent
        sock.sendall(body)
        status, _, answer = reader.read()
        assert status == 201, answer
    with connect(door.port, timeout=5) as sock:
        sock.sendall(f"POST {RM_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {1 << 20}\r\nExpect: 100-continue\r\n\r\n".encode())
        status, _, answer = ResponseReader(sock).read()
        assert status == 413, answer  # refused without a 100 Continue
