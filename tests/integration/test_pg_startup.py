"""Starting on PostgreSQL (issue 9, points 1 and 4; docs/DEPLOYMENT.md): a database that
cannot be used ends the start with one line on stderr and a non-zero exit, never a hang;
--db-connect-retry waits for it with a progress line per attempt; --db-max-connections
bounds the connections one process holds.

The first tests need no PostgreSQL server (nothing listens, or something that never
answers); the others run on the cluster of MR_TEST_DATABASE_URL (scripts/test.sh's
postgres suite). Every wait is bounded by a subprocess or socket timeout."""
import os
import re
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import _postgres_url_for, binary_path, free_port

API = "/api/model_registry/v1"
# Bounds every start here: libpq's connect_timeout is 5 s (docs/DEPLOYMENT.md); a hang hits this.
EXIT_BOUND = 60
PASSWORD_ROLE = "mr_password_role"  # scripts/pg-test-cluster.sh asks it for a password

needs_cluster = pytest.mark.skipif(not os.environ.get("MR_TEST_DATABASE_URL"),
                                   reason="needs MR_TEST_DATABASE_URL (a PostgreSQL server)")


def serve_command(tmp_path, database_url, *extra):
    return [binary_path(), "serve", "--hostname", "127.0.0.1", "--port", str(free_port()),
            "--db-file", str(tmp_path / "unused.db"), "--database-url", database_url, *extra]


def start_must_fail(tmp_path, database_url, *extra):
    """Runs serve, which must exit on its own; returns stderr's lines."""
    proc = subprocess.run(serve_command(tmp_path, database_url, *extra), capture_output=True,
                          text=True, timeout=EXIT_BOUND)
    assert proc.returncode != 0, proc.stderr
    assert not (tmp_path / "unused.db").exists(), "fell back to SQLite"
    return proc.stderr.strip().splitlines()


def assert_one_line_error(lines, *fragments):
    assert len(lines) == 1, lines
    assert lines[0].startswith("model-registry: "), lines
    for fragment in fragments:
        assert fragment in lines[0], lines


def cluster_socket_dir():
    match = re.search(r"host=([^&]+)", os.environ["MR_TEST_DATABASE_URL"])
    assert match, "scripts/pg-test-cluster.sh puts the socket directory in host="
    return match.group(1)


def psql(sql):
    return subprocess.run(["psql", os.environ["MR_TEST_DATABASE_URL"], "-Atc", sql], check=True,
                          capture_output=True, text=True, timeout=30).stdout.strip()


def database_of(url):
    return url.split("://", 1)[1].partition("/")[2].partition("?")[0]


# ------------------------------------------------------------------ start-up failures

@pytest.mark.parametrize("database_url", [
    "postgresql://registry@db.example:5432/registry?no_such_option=1",
    "host=db.example dbname",
])
def test_a_malformed_url_is_a_one_line_error(tmp_path, database_url):
    assert_one_line_error(start_must_fail(tmp_path, database_url), "invalid database URL")


def test_nothing_listening_is_a_one_line_error(tmp_path):
    url = f"postgresql://registry@127.0.0.1:{free_port()}/registry"
    assert_one_line_error(start_must_fail(tmp_path, url), "cannot connect to the database",
                          "refused")


def test_a_listener_that_never_answers_is_given_up_after_the_connect_timeout(tmp_path):
    # The kernel completes the TCP handshake for the backlog; nothing ever reads or answers,
    # so only libpq's connect_timeout (5 s by default) can end the wait.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"postgresql://registry@127.0.0.1:{silent.getsockname()[1]}/registry"
        assert_one_line_error(start_must_fail(tmp_path, url), "cannot connect to the database",
                              "timeout")


@needs_cluster
def test_an_unknown_database_is_a_one_line_error(tmp_path):
    url = f"postgresql://postgres@/mr_no_such_database?host={cluster_socket_dir()}"
    assert_one_line_error(start_must_fail(tmp_path, url), "cannot connect to the database",
                          '"mr_no_such_database" does not exist')


@needs_cluster
def test_a_wrong_password_is_a_one_line_error_that_shows_no_password(tmp_path):
    exists = psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{PASSWORD_ROLE}'")
    if not exists:
        psql(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD 'the-right-one'")
    url = f"postgresql://{PASSWORD_ROLE}:not-the-password@/postgres?host={cluster_socket_dir()}"
    lines = start_must_fail(tmp_path, url)
    assert_one_line_error(lines, "cannot connect to the database",
                          f'password authentication failed for user "{PASSWORD_ROLE}"')
    assert "not-the-password" not in lines[0]


# ------------------------------------------------------------------ --db-connect-retry

def test_retry_gives_up_after_the_period_with_the_one_line_error(tmp_path):
    url = f"postgresql://registry@127.0.0.1:{free_port()}/registry"
    lines = start_must_fail(tmp_path, url, "--db-connect-retry", "3")
    progress, last = lines[:-1], lines[-1]
    assert len(progress) >= 2, lines  # about one attempt a second for 3 s
    for n, line in enumerate(progress, start=1):
        assert line.startswith(f"model-registry: waiting for the database (attempt {n}, "), lines
        assert "refused" in line, lines
    assert last.startswith("model-registry: cannot connect to the database: "), lines


def test_retry_is_also_read_from_the_environment(tmp_path):
    url = f"postgresql://registry@127.0.0.1:{free_port()}/registry"
    proc = subprocess.run(serve_command(tmp_path, url), capture_output=True, text=True,
                          timeout=EXIT_BOUND, env=dict(os.environ, MR_DB_CONNECT_RETRY="2"))
    assert proc.returncode != 0
    assert "waiting for the database (attempt 1, " in proc.stderr, proc.stderr


def test_sigterm_ends_the_wait_for_the_database(tmp_path):
    url = f"postgresql://registry@127.0.0.1:{free_port()}/registry"
    proc = subprocess.Popen(serve_command(tmp_path, url, "--db-connect-retry", "600"),
                            stderr=subprocess.PIPE, text=True)
    try:
        assert "waiting for the database" in proc.stderr.readline()
        proc.terminate()
        assert proc.wait(timeout=EXIT_BOUND) != 0
        assert "received SIGTERM while waiting for the database" in proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()


class LateForwarder:
    """Listens on a loopback port only after `delay` seconds, then relays every connection
    to the cluster's Unix socket: a database that becomes reachable while the server waits."""

    def __init__(self, delay):
        self.port = free_port()
        self.target = os.path.join(cluster_socket_dir(), ".s.PGSQL.5432")
        self.delay = delay
        self.stopping = threading.Event()
        self.listener = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        if self.stopping.wait(self.delay):
            return
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.target)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._relay, args=(source, sink), daemon=True).start()
        self.listener.close()

    @staticmethod
    def _relay(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=10)


class Server:
    """`serve` on `database_url`, its stdout and stderr in a log file; `started()` waits for
    health (bounded), and the context ends the process."""

    def __init__(self, tmp_path, database_url, *extra):
        self.log_path = str(tmp_path / "server.log")
        cmd = serve_command(tmp_path, database_url, *extra)
        self.api = f"http://127.0.0.1:{cmd[cmd.index('--port') + 1]}{API}"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)

    def log(self):
        with open(self.log_path) as log:
            return log.read()

    def started(self):
        deadline = time.monotonic() + EXIT_BOUND
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log()
            try:
                if requests.get(self.api + "/readyz/health", timeout=1,
                                headers={"Connection": "close"}).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise AssertionError("server did not become healthy: " + self.log())

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.proc.terminate()
        self.proc.wait(timeout=EXIT_BOUND)


@needs_cluster
def test_retry_serves_once_the_database_becomes_reachable(tmp_path):
    database = database_of(_postgres_url_for(str(tmp_path / "late.db")))
    forwarder = LateForwarder(delay=2.0)
    url = f"postgresql://postgres@127.0.0.1:{forwarder.port}/{database}"
    try:
        with Server(tmp_path, url, "--db-connect-retry", "30") as server:
            created = requests.post(server.started().api + "/registered_models",
                                    json={"name": "after-the-wait"}, timeout=30)
            assert created.status_code == 201, created.text
    finally:
        forwarder.stop()
    lines = server.log().splitlines()
    waits = [line for line in lines if line.startswith("model-registry: waiting for the database")]
    assert waits and "attempt 1, " in waits[0], lines
    assert any("listening on http://127.0.0.1" in line for line in lines), lines


# ------------------------------------------------------------------ --db-max-connections

@needs_cluster
def test_the_pool_never_holds_more_than_max_connections(tmp_path):
    max_connections = 2
    database_url = _postgres_url_for(str(tmp_path / "pool.db"))
    database = database_of(database_url)
    held = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            held.append(int(psql("SELECT count(*) FROM pg_stat_activity "
                                 f"WHERE datname = '{database}' "
                                 "AND application_name = 'model-registry'")))

    def client(api, index):
        codes = []
        with requests.Session() as session:
            for n in range(8):
                if n % 2:
                    r = session.get(api + "/registered_models", params={"pageSize": 5},
                                    timeout=30)
                else:
                    r = session.post(api + "/registered_models", json={"name": f"m{index}-{n}"},
                                     timeout=30)
                codes.append(r.status_code)
        return codes

    with Server(tmp_path, database_url, "--db-max-connections", str(max_connections),
                "--threads", "16") as server:
        api = server.started().api
        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            with ThreadPoolExecutor(48) as pool:
                codes = [c for cs in pool.map(lambda i: client(api, i), range(48)) for c in cs]
        finally:
            stop.set()
            sampler.join(timeout=EXIT_BOUND)
        listed = requests.get(api + "/registered_models", params={"pageSize": 1000},
                              timeout=30).json()
    assert codes == [201, 200] * 4 * 48
    assert len(listed["items"]) == 4 * 48
    # The server's sessions are visible by name, and never more than the bound.
    assert held and max(held) >= 1, held
    assert max(held) <= max_connections, held
